//! Shared ownership: Rc/Weak trees with parent links, RefCell mutation, drop order and counts
//! observed through Drop, and a Box-linked list reversed and sorted.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::boxed::Box;
use alloc::rc::{Rc, Weak};
use alloc::vec::Vec;
use core::cell::{Cell, RefCell};

use ox_bare::println;

ox_bare::entry!(main);

struct Node {
    value: u32,
    parent: RefCell<Weak<Node>>,
    children: RefCell<Vec<Rc<Node>>>,
    drops: Rc<Cell<u32>>,
}

impl Drop for Node {
    fn drop(&mut self) {
        self.drops.set(self.drops.get() + 1);
    }
}

fn sum(node: &Rc<Node>) -> u64 {
    u64::from(node.value) + node.children.borrow().iter().map(sum).sum::<u64>()
}

fn depth(node: &Rc<Node>) -> u32 {
    match node.parent.borrow().upgrade() {
        Some(parent) => 1 + depth(&parent),
        None => 0,
    }
}

struct List {
    value: i32,
    next: Option<Box<List>>,
}

fn main() {
    let drops = Rc::new(Cell::new(0));
    {
        let root = Rc::new(Node {
            value: 1,
            parent: RefCell::new(Weak::new()),
            children: RefCell::new(Vec::new()),
            drops: drops.clone(),
        });
        let mut frontier = alloc::vec![root.clone()];
        let mut next_value = 2;
        for _level in 0..6 {
            let mut next = Vec::new();
            for parent in &frontier {
                for _ in 0..3 {
                    let child = Rc::new(Node {
                        value: next_value,
                        parent: RefCell::new(Rc::downgrade(parent)),
                        children: RefCell::new(Vec::new()),
                        drops: drops.clone(),
                    });
                    next_value += 1;
                    parent.children.borrow_mut().push(child.clone());
                    next.push(child);
                }
            }
            frontier = next;
        }
        println!("tree sum {} leaves {} leaf depth {}", sum(&root), frontier.len(), depth(&frontier[100]));
        println!("root strong {} weak {}", Rc::strong_count(&root), Rc::weak_count(&root));
        let detached = root.children.borrow_mut().pop();
        drop(frontier);
        println!("after detaching one subtree: drops {}", drops.get());
        drop(detached);
        println!("after dropping it: drops {}", drops.get());
    }
    println!("after dropping the tree: drops {}", drops.get());

    let shared = Rc::new(RefCell::new(Vec::<u32>::new()));
    let writers: Vec<Rc<RefCell<Vec<u32>>>> = (0..5).map(|_| shared.clone()).collect();
    for (i, w) in writers.iter().enumerate() {
        w.borrow_mut().extend((0..i as u32).map(|x| x * 10 + i as u32));
    }
    println!("shared {:?} count {}", shared.borrow(), Rc::strong_count(&shared));
    println!("try_borrow_mut while borrowed: {}", {
        let _guard = shared.borrow();
        shared.try_borrow_mut().is_err()
    });

    let mut list: Option<Box<List>> = None;
    for v in [5, -3, 9, 0, 12, -8, 7] {
        list = Some(Box::new(List { value: v, next: list }));
    }
    let mut reversed: Option<Box<List>> = None;
    while let Some(mut node) = list {
        list = node.next.take();
        node.next = reversed;
        reversed = Some(node);
    }
    let mut values = Vec::new();
    let mut cursor = &reversed;
    while let Some(node) = cursor {
        values.push(node.value);
        cursor = &node.next;
    }
    println!("reversed list {values:?}");
    values.sort();
    println!("sorted {values:?}");
}
