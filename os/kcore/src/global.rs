//! [`Global`]: kernel-wide state without locks.
//!
//! The kernel runs on one hart and is never interrupted (it keeps `status.IE` = 0), so
//! mutual exclusion only has to guard against re-entry: a second `lock` while a guard is alive
//! is a kernel bug and panics with the state's name instead of corrupting it. Code must drop
//! its guards before it switches to another kernel thread (`sched`).

use core::cell::{Cell, UnsafeCell};
use core::ops::{Deref, DerefMut};

/// A value shared by the whole kernel, borrowed through [`Global::lock`].
pub struct Global<T> {
    name: &'static str,
    borrowed: Cell<bool>,
    value: UnsafeCell<T>,
}

// Safety: there is one hart and the kernel is never interrupted, so no two threads of
// execution ever touch a Global at once; `borrowed` catches re-entry.
unsafe impl<T> Sync for Global<T> {}

impl<T> Global<T> {
    /// A global named `name` (for the re-entry panic) holding `value`.
    pub const fn new(name: &'static str, value: T) -> Global<T> {
        Global { name, borrowed: Cell::new(false), value: UnsafeCell::new(value) }
    }

    /// The value's address, for the context switch, which must hand a saved context to
    /// assembly without a guard alive across the switch.
    pub fn as_ptr(&self) -> *mut T {
        self.value.get()
    }

    /// Exclusive access until the guard is dropped; panics if a guard is already alive.
    pub fn lock(&self) -> GlobalGuard<'_, T> {
        if self.borrowed.replace(true) {
            panic!("{} locked twice", self.name);
        }
        GlobalGuard { global: self }
    }
}

/// Exclusive access to a [`Global`].
pub struct GlobalGuard<'a, T> {
    global: &'a Global<T>,
}

impl<T> Deref for GlobalGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        // Safety: the guard is the only borrow (`lock` checked `borrowed`).
        unsafe { &*self.global.value.get() }
    }
}

impl<T> DerefMut for GlobalGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        // Safety: as for `deref`; `&mut self` makes this the only access through the guard.
        unsafe { &mut *self.global.value.get() }
    }
}

impl<T> Drop for GlobalGuard<'_, T> {
    fn drop(&mut self) {
        self.global.borrowed.set(false);
    }
}
