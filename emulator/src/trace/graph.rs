//! A topology as a graph, in SVG: each node a box with its name, role, RAM and clock; each
//! link a line labelled with its ports, latency, bandwidth, MTU and injected faults; a link to
//! another emulator process a dashed line to a box naming its address.
//!
//! The central processor sits in the middle and every other node on a circle around it, in
//! topology order, starting at the top.

use crate::topology::{Endpoint, LinkProps, Role, Topology};
use crate::trace::svg::escape;

const BOX_W: f64 = 190.0;
const BOX_H: f64 = 52.0;

/// Bytes as KiB, MiB or GiB.
fn size(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 && b % (1 << 30) == 0 => format!("{} GiB", b >> 30),
        b if b >= 1 << 20 && b % (1 << 20) == 0 => format!("{} MiB", b >> 20),
        b => format!("{} KiB", b >> 10),
    }
}

/// Nanoseconds in the unit that reads best.
fn duration(ns: u64) -> String {
    match ns {
        n if n >= 1_000_000 && n % 1_000 == 0 => format!("{} ms", n as f64 / 1e6),
        n if n >= 1_000 => format!("{} \u{b5}s", n as f64 / 1e3),
        n => format!("{n} ns"),
    }
}

/// Bits per second in the unit that reads best.
fn rate(bps: u64) -> String {
    match bps {
        b if b >= 1_000_000_000 => format!("{} Gbit/s", b as f64 / 1e9),
        b if b >= 1_000_000 => format!("{} Mbit/s", b as f64 / 1e6),
        b if b >= 1_000 => format!("{} kbit/s", b as f64 / 1e3),
        b => format!("{b} bit/s"),
    }
}

/// A link's properties, in two lines: latency and bandwidth; MTU and faults.
fn props_label(props: &LinkProps) -> [String; 2] {
    let mut second = format!("MTU {}", props.mtu);
    if let Some(f) = props.faults {
        second.push_str(&format!(", loss {}%, damage {}%", f.drop * 100.0, f.corrupt * 100.0));
    }
    [format!("{}, {}", duration(props.latency_ns), rate(props.bandwidth_bps)), second]
}

fn end_label(topology: &Topology, end: Endpoint) -> String {
    format!("{}.{}", topology.nodes[end.node].name, end.port)
}

/// Draws `topology`.
pub fn graph(topology: &Topology) -> String {
    let n = topology.nodes.len();
    let central = topology.central();
    let around: Vec<usize> = (0..n).filter(|i| Some(*i) != central).collect();
    let ring = around.len() + topology.remotes.len();
    let radius = if ring <= 1 { 260.0 } else { (130.0 * ring as f64 / std::f64::consts::PI).max(340.0) };
    let (cx, cy) = (radius + BOX_W + 40.0, radius + BOX_H + 60.0);
    let place = |k: usize| {
        let angle = -std::f64::consts::FRAC_PI_2 + std::f64::consts::TAU * k as f64 / ring.max(1) as f64;
        (cx + radius * angle.cos(), cy + radius * angle.sin())
    };
    let mut at = vec![(cx, cy); n];
    for (k, node) in around.iter().enumerate() {
        at[*node] = if central.is_none() && ring == 1 { (cx, cy) } else { place(k) };
    }
    let width = 2.0 * cx;
    let height = 2.0 * cy;
    let mut svg = String::new();
    svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"sans-serif\" font-size=\"12\">\n"
    ));
    svg.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    svg.push_str(&format!(
        "<text x=\"10\" y=\"20\" font-size=\"14\">Orrery topology: {} nodes, {} links</text>\n",
        n,
        topology.links.len() + topology.remotes.len()
    ));
    let line = |svg: &mut String, a: (f64, f64), b: (f64, f64), dashed: bool, labels: [String; 3]| {
        let dash = if dashed { " stroke-dasharray=\"6 4\"" } else { "" };
        svg.push_str(&format!(
            "<line x1=\"{:.1}\" y1=\"{:.1}\" x2=\"{:.1}\" y2=\"{:.1}\" stroke=\"#557\" stroke-width=\"2\"{dash}/>\n",
            a.0, a.1, b.0, b.1
        ));
        let (mx, my) = ((a.0 + b.0) / 2.0, (a.1 + b.1) / 2.0);
        for (i, label) in labels.iter().enumerate() {
            svg.push_str(&format!(
                "<text x=\"{mx:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#335\" stroke=\"white\" \
                 stroke-width=\"3\" paint-order=\"stroke\">{}</text>\n",
                my - 10.0 + 14.0 * i as f64,
                escape(label)
            ));
        }
    };
    for link in &topology.links {
        let ends = format!("{} \u{2013} {}", end_label(topology, link.a), end_label(topology, link.b));
        let [first, second] = props_label(&link.props);
        line(&mut svg, at[link.a.node], at[link.b.node], false, [ends, first, second]);
    }
    for (r, remote) in topology.remotes.iter().enumerate() {
        let p = place(around.len() + r);
        let ends = format!("{} \u{2013} {}", end_label(topology, remote.local), remote.addr);
        let [first, second] = props_label(&remote.props);
        line(&mut svg, at[remote.local.node], p, true, [ends, first, second]);
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"#f4f4f4\" stroke=\"#888\" stroke-dasharray=\"6 4\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\">another process</text>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#555\">{}</text>\n",
            p.0 - BOX_W / 2.0,
            p.1 - BOX_H / 2.0,
            p.0,
            p.1 - 4.0,
            p.0,
            p.1 + 12.0,
            escape(&remote.addr)
        ));
    }
    for (i, node) in topology.nodes.iter().enumerate() {
        let (x, y) = at[i];
        let (fill, role) = match node.role {
            Role::Central => ("#fde9c8", "central"),
            Role::Satellite => ("#e3ecfb", "satellite"),
        };
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{BOX_W}\" height=\"{BOX_H}\" rx=\"6\" fill=\"{fill}\" stroke=\"#335\"/>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\
             <text x=\"{x:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#444\">{role}, {}, {} MHz</text>\n",
            x - BOX_W / 2.0,
            y - BOX_H / 2.0,
            y - 6.0,
            escape(&node.name),
            y + 12.0,
            size(u64::from(node.ram)),
            node.mhz
        ));
    }
    svg.push_str("</svg>\n");
    svg
}
