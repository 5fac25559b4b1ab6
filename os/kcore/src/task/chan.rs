//! What a sleeping process waits for: a [`Chan`], an opaque key (xv6's "channel").
//!
//! The core does not enumerate the things a process can wait for. Whoever owns an event
//! declares a [`Class`] for it — `static PIPE: Class = Class::new("pipe")` beside the pipes —
//! and sleeps and wakes on `Chan::new(&PIPE, id)`. Two channels are the same when they name the
//! same class (by address) and the same id, so a new kind of blocking object is one `static`
//! in its own module, never an edit here.

use core::fmt;

/// A kind of event processes sleep on; its name is for `ps` and debugging.
#[derive(Debug)]
pub struct Class {
    name: &'static str,
}

impl Class {
    /// A class called `name`.
    pub const fn new(name: &'static str) -> Class {
        Class { name }
    }

    /// Its name.
    pub fn name(&self) -> &'static str {
        self.name
    }
}

/// One event of a class: what `sleep` waits for and `wakeup` ends.
#[derive(Clone, Copy)]
pub struct Chan {
    class: &'static Class,
    id: u32,
}

impl Chan {
    /// Event `id` of `class`.
    pub const fn new(class: &'static Class, id: u32) -> Chan {
        Chan { class, id }
    }

    /// Whether this is an event of `class`.
    pub fn is(&self, class: &'static Class) -> bool {
        core::ptr::eq(self.class, class)
    }

    /// The event's id within its class.
    pub fn id(&self) -> u32 {
        self.id
    }
}

impl PartialEq for Chan {
    #[inline]
    fn eq(&self, other: &Chan) -> bool {
        core::ptr::eq(self.class, other.class) && self.id == other.id
    }
}

impl Eq for Chan {}

impl fmt::Debug for Chan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}({})", self.class.name, self.id)
    }
}

/// The next timer tick (`sleep`; the idle loop keeps the timer running while anyone waits).
pub static TICK: Class = Class::new("tick");
/// Nothing but a signal (`pause`).
pub static PAUSE: Class = Class::new("pause");

/// The next timer tick.
pub const fn tick() -> Chan {
    Chan::new(&TICK, 0)
}

/// A signal, for `pause`.
pub const fn pause() -> Chan {
    Chan::new(&PAUSE, 0)
}
