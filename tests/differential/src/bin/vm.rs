//! A tiny stack-machine interpreter: bytecode for loops, calls and arithmetic, dispatched by a
//! `match` in a hot loop; runs fib, a prime counter and gcd sums.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::vec::Vec;

use ox_bare::println;

ox_bare::entry!(main);

#[derive(Clone, Copy, Debug)]
enum Insn {
    Push(i64),
    Load(usize),
    Store(usize),
    Add,
    Sub,
    Mul,
    Rem,
    Lt,
    Eq,
    Jmp(usize),
    Jz(usize),
    Call(usize),
    Ret,
    Dup,
    Drop,
    Print,
    Halt,
}

struct Vm<'a> {
    code: &'a [Insn],
    stack: Vec<i64>,
    frames: Vec<(usize, [i64; 8])>,
    locals: [i64; 8],
    steps: u64,
}

impl Vm<'_> {
    fn pop(&mut self) -> i64 {
        self.stack.pop().unwrap_or(0)
    }

    fn run(&mut self) -> Vec<i64> {
        let mut out = Vec::new();
        let mut pc = 0;
        loop {
            self.steps += 1;
            let insn = self.code[pc];
            pc += 1;
            match insn {
                Insn::Push(v) => self.stack.push(v),
                Insn::Load(i) => self.stack.push(self.locals[i]),
                Insn::Store(i) => self.locals[i] = self.pop(),
                Insn::Add => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(a.wrapping_add(b));
                }
                Insn::Sub => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(a.wrapping_sub(b));
                }
                Insn::Mul => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(a.wrapping_mul(b));
                }
                Insn::Rem => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(a.checked_rem(b).unwrap_or(0));
                }
                Insn::Lt => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(i64::from(a < b));
                }
                Insn::Eq => {
                    let (b, a) = (self.pop(), self.pop());
                    self.stack.push(i64::from(a == b));
                }
                Insn::Jmp(t) => pc = t,
                Insn::Jz(t) => {
                    if self.pop() == 0 {
                        pc = t;
                    }
                }
                Insn::Call(t) => {
                    let arg = self.pop();
                    self.frames.push((pc, self.locals));
                    self.locals = [0; 8];
                    self.locals[0] = arg;
                    pc = t;
                }
                Insn::Ret => match self.frames.pop() {
                    Some((ret, locals)) => {
                        pc = ret;
                        self.locals = locals;
                    }
                    None => return out,
                },
                Insn::Dup => {
                    let v = self.pop();
                    self.stack.push(v);
                    self.stack.push(v);
                }
                Insn::Drop => {
                    self.pop();
                }
                Insn::Print => {
                    let v = self.pop();
                    out.push(v);
                }
                Insn::Halt => return out,
            }
        }
    }
}

/// Builds bytecode with named labels: jumps name a label, resolved when the code is done.
struct Asm {
    code: Vec<Insn>,
    labels: Vec<(&'static str, usize)>,
    fixups: Vec<(usize, &'static str)>,
}

impl Asm {
    fn new() -> Asm {
        Asm { code: Vec::new(), labels: Vec::new(), fixups: Vec::new() }
    }

    fn label(&mut self, name: &'static str) -> &mut Asm {
        self.labels.push((name, self.code.len()));
        self
    }

    fn op(&mut self, insn: Insn) -> &mut Asm {
        self.code.push(insn);
        self
    }

    /// A jump-like instruction (`Jmp`, `Jz` or `Call`) to `target`.
    fn to(&mut self, make: fn(usize) -> Insn, target: &'static str) -> &mut Asm {
        self.fixups.push((self.code.len(), target));
        self.code.push(make(0));
        self
    }

    fn finish(&mut self) -> Vec<Insn> {
        for &(at, name) in &self.fixups {
            let target = self.labels.iter().find(|(l, _)| *l == name).map(|(_, t)| *t).unwrap_or(0);
            self.code[at] = match self.code[at] {
                Insn::Jmp(_) => Insn::Jmp(target),
                Insn::Jz(_) => Insn::Jz(target),
                Insn::Call(_) => Insn::Call(target),
                other => other,
            };
        }
        core::mem::take(&mut self.code)
    }
}

fn run(name: &str, code: &[Insn]) {
    let mut vm = Vm { code, stack: Vec::new(), frames: Vec::new(), locals: [0; 8], steps: 0 };
    let out = vm.run();
    println!("{name}: {out:?} in {} steps", vm.steps);
}

fn main() {
    use Insn::*;
    // Recursive fib(22), then iterative fib(90).
    let mut a = Asm::new();
    a.op(Push(22)).to(Call, "fib").op(Print).to(Jmp, "iter");
    a.label("fib").op(Load(0)).op(Push(2)).op(Lt).to(Jz, "fib_rec").op(Load(0)).op(Ret);
    a.label("fib_rec").op(Load(0)).op(Push(1)).op(Sub).to(Call, "fib");
    a.op(Load(0)).op(Push(2)).op(Sub).to(Call, "fib").op(Add).op(Ret);
    a.label("iter").op(Push(0)).op(Store(1)).op(Push(1)).op(Store(2)).op(Push(0)).op(Store(3));
    a.label("loop").op(Load(3)).op(Push(90)).op(Lt).to(Jz, "done");
    a.op(Load(1)).op(Load(2)).op(Add).op(Load(2)).op(Store(1)).op(Store(2));
    a.op(Load(3)).op(Push(1)).op(Add).op(Store(3)).to(Jmp, "loop");
    a.label("done").op(Load(1)).op(Print).op(Halt);
    run("fib", &a.finish());

    // Count the primes below 5000 by trial division (locals: 0 n, 1 count, 2 d).
    let mut a = Asm::new();
    a.op(Push(2)).op(Store(0)).op(Push(0)).op(Store(1));
    a.label("outer").op(Load(0)).op(Push(5000)).op(Lt).to(Jz, "end");
    a.op(Push(2)).op(Store(2));
    a.label("inner").op(Load(2)).op(Load(2)).op(Mul).op(Load(0)).op(Push(1)).op(Add).op(Lt).to(Jz, "prime");
    a.op(Load(0)).op(Load(2)).op(Rem).op(Push(0)).op(Eq).to(Jz, "next_d").to(Jmp, "next_n");
    a.label("next_d").op(Load(2)).op(Push(1)).op(Add).op(Store(2)).to(Jmp, "inner");
    a.label("prime").op(Load(1)).op(Push(1)).op(Add).op(Store(1));
    a.label("next_n").op(Load(0)).op(Push(1)).op(Add).op(Store(0)).to(Jmp, "outer");
    a.label("end").op(Load(1)).op(Print).op(Halt);
    run("primes below 5000", &a.finish());

    // Sum of gcd(i, 360) for i in 1..3000, gcd by Euclid in a called function (locals 0 a, 1 b).
    let mut a = Asm::new();
    a.op(Push(1)).op(Store(5)).op(Push(0)).op(Store(6));
    a.label("each").op(Load(5)).op(Push(3000)).op(Lt).to(Jz, "out");
    a.op(Load(5)).to(Call, "gcd360").op(Load(6)).op(Add).op(Store(6));
    a.op(Load(5)).op(Push(1)).op(Add).op(Store(5)).to(Jmp, "each");
    a.label("out").op(Load(6)).op(Print).op(Halt);
    a.label("gcd360").op(Push(360)).op(Store(1));
    a.label("euclid").op(Load(1)).op(Push(0)).op(Eq).to(Jz, "step").op(Load(0)).op(Ret);
    a.label("step").op(Load(0)).op(Load(1)).op(Rem).op(Load(1)).op(Store(0)).op(Store(1)).to(Jmp, "euclid");
    a.op(Dup).op(Drop);
    run("gcd sum", &a.finish());
}
