//! Graph algorithms on a generated graph of 3000 nodes: BFS distances, iterative DFS
//! finishing order, Dijkstra with a binary heap, union-find components and a topological sort.

#![no_std]
#![no_main]

extern crate alloc;

use alloc::collections::{BinaryHeap, VecDeque};
use alloc::vec;
use alloc::vec::Vec;
use core::cmp::Reverse;

use difftest::XorShift32;
use ox_bare::println;

ox_bare::entry!(main);

const N: usize = 3000;

fn find(parent: &mut [usize], x: usize) -> usize {
    let mut root = x;
    while parent[root] != root {
        root = parent[root];
    }
    let mut x = x;
    while parent[x] != root {
        let next = parent[x];
        parent[x] = root;
        x = next;
    }
    root
}

fn main() {
    let mut rng = XorShift32::new(31337);
    let mut adj: Vec<Vec<(usize, u32)>> = vec![Vec::new(); N];
    let mut edges = Vec::new();
    for _ in 0..N * 3 {
        let (a, b) = (rng.below(N as u32) as usize, rng.below(N as u32) as usize);
        let w = 1 + rng.below(100);
        adj[a].push((b, w));
        adj[b].push((a, w));
        edges.push((a, b));
    }
    let mut dist = vec![u32::MAX; N];
    let mut queue = VecDeque::new();
    dist[0] = 0;
    queue.push_back(0);
    while let Some(u) = queue.pop_front() {
        for &(v, _) in &adj[u] {
            if dist[v] == u32::MAX {
                dist[v] = dist[u] + 1;
                queue.push_back(v);
            }
        }
    }
    let reached = dist.iter().filter(|&&d| d != u32::MAX).count();
    let max = dist.iter().filter(|&&d| d != u32::MAX).max().copied().unwrap_or(0);
    println!("bfs: reached {reached}, eccentricity {max}");

    let mut best = vec![u64::MAX; N];
    let mut heap = BinaryHeap::new();
    best[0] = 0;
    heap.push(Reverse((0u64, 0usize)));
    while let Some(Reverse((d, u))) = heap.pop() {
        if d > best[u] {
            continue;
        }
        for &(v, w) in &adj[u] {
            let nd = d + u64::from(w);
            if nd < best[v] {
                best[v] = nd;
                heap.push(Reverse((nd, v)));
            }
        }
    }
    let finite: Vec<u64> = best.iter().copied().filter(|&d| d != u64::MAX).collect();
    println!(
        "dijkstra: sum {} max {} to 1234: {}",
        finite.iter().sum::<u64>(),
        finite.iter().max().copied().unwrap_or(0),
        best[1234]
    );

    let mut parent: Vec<usize> = (0..N).collect();
    for &(a, b) in edges.iter().take(N / 2) {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra.max(rb)] = ra.min(rb);
        }
    }
    let components = (0..N).filter(|&x| find(&mut parent, x) == x).count();
    println!("union-find with {} edges: {components} components", N / 2);

    let mut visited = vec![false; N];
    let mut order = Vec::with_capacity(N);
    for start in 0..N {
        if visited[start] {
            continue;
        }
        let mut stack = vec![(start, 0usize)];
        visited[start] = true;
        while let Some((u, i)) = stack.pop() {
            if i < adj[u].len() {
                stack.push((u, i + 1));
                let v = adj[u][i].0;
                if !visited[v] {
                    visited[v] = true;
                    stack.push((v, 0));
                }
            } else {
                order.push(u);
            }
        }
    }
    println!("dfs finishing order: first {:?} last {:?}", &order[..5], &order[N - 5..]);

    let mut indegree = vec![0u32; N];
    let dag: Vec<Vec<usize>> =
        (0..N).map(|u| adj[u].iter().map(|&(v, _)| v).filter(|&v| v > u).collect()).collect();
    for targets in &dag {
        for &v in targets {
            indegree[v] += 1;
        }
    }
    let mut ready: BinaryHeap<Reverse<usize>> = (0..N).filter(|&u| indegree[u] == 0).map(Reverse).collect();
    let mut topo = Vec::with_capacity(N);
    while let Some(Reverse(u)) = ready.pop() {
        topo.push(u);
        for &v in &dag[u] {
            indegree[v] -= 1;
            if indegree[v] == 0 {
                ready.push(Reverse(v));
            }
        }
    }
    println!("topological order of {} nodes: {:?}", topo.len(), &topo[..8]);
}
