//! The name spaces and right counting against a model: random allocations, rights given by
//! `insert_right` (make-send, copy-send, move-send), reference changes, deallocations, receive
//! rights destroyed and tasks ended, across three tasks. After every step each name must
//! denote exactly the rights and references the model says, and no other name may exist.

use std::collections::BTreeMap;

use ox_ipc::{Disposition, Ipc, IpcError, Name, RightKind, TaskId, Types};
use proptest::prelude::{any, prop, prop_oneof, proptest, Just, ProptestConfig, Strategy};

const TASKS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Obj {
    Port(usize),
    Dead,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    obj: Obj,
    receive: bool,
    send: u32,
    dead: u32,
}

#[derive(Default)]
struct Model {
    spaces: [BTreeMap<u32, Entry>; TASKS as usize],
    ports: usize,
}

impl Model {
    fn free_name(&self, t: usize) -> u32 {
        (1..).find(|n| !self.spaces[t].contains_key(n)).unwrap_or(0)
    }

    fn pick(&self, t: usize, pick: usize) -> Option<u32> {
        let names: Vec<u32> = self.spaces[t].keys().copied().collect();
        (!names.is_empty()).then(|| names[pick % names.len()])
    }

    fn tidy(&mut self, t: usize, name: u32) {
        if self.spaces[t].get(&name).is_some_and(|e| !e.receive && e.send == 0 && e.dead == 0) {
            self.spaces[t].remove(&name);
        }
    }

    fn kill_port(&mut self, port: usize) {
        for space in &mut self.spaces {
            for entry in space.values_mut().filter(|e| e.obj == Obj::Port(port)) {
                entry.obj = Obj::Dead;
                entry.dead += entry.send;
                entry.send = 0;
                entry.receive = false;
            }
            space.retain(|_, e| e.receive || e.send > 0 || e.dead > 0);
        }
    }

    fn types(e: &Entry) -> Types {
        let mut bits = 0;
        if e.receive {
            bits |= Types::RECEIVE;
        }
        if e.send > 0 {
            bits |= Types::SEND;
        }
        if e.dead > 0 {
            bits |= Types::DEAD_NAME;
        }
        Types(bits)
    }
}

#[derive(Clone, Debug)]
enum Op {
    Alloc(usize),
    Give(usize, usize, usize, u8),
    ModRefs(usize, usize, i32),
    KillReceive(usize, usize),
    Dealloc(usize, usize),
    EndTask(usize),
}

fn op() -> impl Strategy<Value = Op> {
    let t = 0..TASKS as usize;
    prop_oneof![
        3 => t.clone().prop_map(Op::Alloc),
        4 => (t.clone(), any::<usize>(), t.clone(), 0u8..3).prop_map(|(a, p, b, d)| Op::Give(a, p, b, d)),
        2 => (t.clone(), any::<usize>(), -2i32..=2).prop_map(|(a, p, d)| Op::ModRefs(a, p, d)),
        1 => (t.clone(), any::<usize>()).prop_map(|(a, p)| Op::KillReceive(a, p)),
        2 => (t.clone(), any::<usize>()).prop_map(|(a, p)| Op::Dealloc(a, p)),
        1 => t.prop_map(Op::EndTask),
        1 => Just(Op::Alloc(0)),
    ]
}

fn task(t: usize) -> TaskId {
    TaskId(t as u32 + 1)
}

/// Which model port each real name denotes is learned as the test goes (ports are numbered in
/// allocation order in both).
fn step(ipc: &mut Ipc<()>, model: &mut Model, op: &Op) {
    match *op {
        Op::Alloc(t) => {
            let name = ipc.allocate(task(t), RightKind::Receive).unwrap();
            let expected = model.free_name(t);
            assert_eq!(name, Name(expected));
            model.spaces[t]
                .insert(expected, Entry { obj: Obj::Port(model.ports), receive: true, send: 0, dead: 0 });
            model.ports += 1;
        }
        Op::Give(from, pick, to, d) => {
            let Some(name) = model.pick(from, pick) else { return };
            let disposition =
                [Disposition::MakeSend, Disposition::CopySend, Disposition::MoveSend][d as usize];
            let e = model.spaces[from][&name];
            let Obj::Port(port) = e.obj else {
                assert_eq!(
                    ipc.insert_right(task(from), Name(name), disposition, task(to), Name(1000)).unwrap_err(),
                    IpcError::DeadName
                );
                return;
            };
            let to_name = model.spaces[to]
                .iter()
                .find(|(_, x)| x.obj == Obj::Port(port))
                .map(|(n, _)| *n)
                .unwrap_or_else(|| model.free_name(to));
            let allowed = match disposition {
                Disposition::MakeSend => e.receive,
                _ => e.send > 0,
            };
            let result = ipc.insert_right(task(from), Name(name), disposition, task(to), Name(to_name));
            if !allowed {
                assert_eq!(result.unwrap_err(), IpcError::InvalidRight);
                return;
            }
            result.unwrap();
            if disposition == Disposition::MoveSend {
                model.spaces[from].get_mut(&name).unwrap().send -= 1;
                model.tidy(from, name);
            }
            let target = model.spaces[to].entry(to_name).or_insert(Entry {
                obj: Obj::Port(port),
                receive: false,
                send: 0,
                dead: 0,
            });
            target.send = (target.send + 1).min(0xffff);
        }
        Op::ModRefs(t, pick, delta) => {
            let Some(name) = model.pick(t, pick) else { return };
            let e = model.spaces[t][&name];
            let result = ipc.mod_refs(task(t), Name(name), RightKind::Send, delta);
            if e.send == 0 {
                assert_eq!(result.unwrap_err(), IpcError::InvalidRight);
                return;
            }
            let new = i64::from(e.send) + i64::from(delta);
            if !(0..=0xffff).contains(&new) {
                assert_eq!(result.unwrap_err(), IpcError::InvalidValue);
                return;
            }
            result.unwrap();
            model.spaces[t].get_mut(&name).unwrap().send = new as u32;
            model.tidy(t, name);
        }
        Op::KillReceive(t, pick) => {
            let Some(name) = model.pick(t, pick) else { return };
            let e = model.spaces[t][&name];
            let result = ipc.mod_refs(task(t), Name(name), RightKind::Receive, -1);
            match (e.receive, e.obj) {
                (true, Obj::Port(port)) => {
                    result.unwrap();
                    model.kill_port(port);
                }
                _ => assert_eq!(result.unwrap_err(), IpcError::InvalidRight),
            }
        }
        Op::Dealloc(t, pick) => {
            let Some(name) = model.pick(t, pick) else { return };
            let e = model.spaces[t][&name];
            let result = ipc.deallocate(task(t), Name(name));
            let entry = model.spaces[t].get_mut(&name).unwrap();
            if e.send > 0 {
                entry.send -= 1;
            } else if e.dead > 0 {
                entry.dead -= 1;
            } else {
                assert_eq!(result.unwrap_err(), IpcError::InvalidRight);
                return;
            }
            result.unwrap();
            model.tidy(t, name);
        }
        Op::EndTask(t) => {
            ipc.remove_task(task(t));
            ipc.add_task(task(t)).unwrap();
            let receives: Vec<usize> = model.spaces[t]
                .values()
                .filter_map(|e| match (e.receive, e.obj) {
                    (true, Obj::Port(p)) => Some(p),
                    _ => None,
                })
                .collect();
            model.spaces[t].clear();
            for port in receives {
                model.kill_port(port);
            }
        }
    }
}

fn check(ipc: &Ipc<()>, model: &Model) {
    let mut names = 0;
    for t in 0..TASKS as usize {
        let top = model.spaces[t].keys().max().copied().unwrap_or(0) + 3;
        for n in 1..=top {
            match model.spaces[t].get(&n) {
                Some(e) => {
                    names += 1;
                    assert_eq!(ipc.types(task(t), Name(n)).unwrap(), Model::types(e), "task {t} name {n}");
                    assert_eq!(
                        ipc.refs(task(t), Name(n), RightKind::Send).unwrap(),
                        e.send,
                        "task {t} name {n}"
                    );
                    assert_eq!(
                        ipc.refs(task(t), Name(n), RightKind::DeadName).unwrap(),
                        e.dead,
                        "task {t} name {n}"
                    );
                }
                None => {
                    assert_eq!(ipc.types(task(t), Name(n)), Err(IpcError::InvalidName), "task {t} name {n}")
                }
            }
        }
    }
    let counts = ipc.counts();
    assert_eq!(counts.names, names);
    assert_eq!(counts.messages, 0);
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 500, ..ProptestConfig::default() })]

    #[test]
    fn rights_match_the_model(ops in prop::collection::vec(op(), 1..120)) {
        let mut ipc: Ipc<()> = Ipc::new();
        let mut model = Model::default();
        for t in 0..TASKS as usize {
            ipc.add_task(task(t)).unwrap();
        }
        for op in &ops {
            step(&mut ipc, &mut model, op);
            check(&ipc, &model);
        }
        for t in 0..TASKS as usize {
            ipc.remove_task(task(t));
        }
        assert_eq!(ipc.counts(), ox_ipc::Counts::default());
    }
}
