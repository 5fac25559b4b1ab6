//! A sequence chart of a trace, as SVG: a lifeline per node, an arrow per message from the
//! send of its first frame to the arrival of its last, slanted by virtual time, labelled with
//! the decoded message; frames the link lost, damaged or refused end in a red cross halfway.
//!
//! Time runs down. Every send and arrival time gets a row in order; the gap between rows
//! grows with the virtual time between them, up to a cap (so a long quiet stretch does not
//! take the page), and the left column gives each send's virtual time in milliseconds.

use crate::system::Fate;
use crate::trace::decode::{decode, Decoded};
use crate::trace::svg::escape;
use crate::trace::{fate_name, Trace, REMOTE};

/// What part of a trace to draw.
#[derive(Clone, Debug, Default)]
pub struct ChartOptions {
    /// Only what was sent at or after this virtual time (ns).
    pub from: Option<u64>,
    /// Only what was sent at or before this virtual time (ns).
    pub to: Option<u64>,
    /// Only these nodes (by name), in this order; all of them if empty.
    pub nodes: Vec<String>,
}

/// One arrow.
struct Arrow {
    from: usize,
    to: usize,
    sent: u64,
    arrive: u64,
    label: String,
    /// Lost, damaged or refused: ends halfway in a cross.
    failed: bool,
    /// A reply (drawn in another colour).
    reply: bool,
}

const LEFT: f64 = 120.0;
const COLUMN: f64 = 340.0;
const TOP: f64 = 70.0;
/// The least space between two send rows, and between two other rows.
const SEND_ROW: f64 = 20.0;
const OTHER_ROW: f64 = 4.0;
/// The most extra space a gap in time adds, and the virtual nanoseconds per pixel below it.
const GAP_CAP: f64 = 40.0;
const NS_PER_PX: f64 = 2000.0;

/// Draws the chart.
pub fn chart(trace: &Trace, options: &ChartOptions) -> Result<String, String> {
    let columns: Vec<usize> = if options.nodes.is_empty() {
        (0..trace.nodes.len()).collect()
    } else {
        options
            .nodes
            .iter()
            .map(|name| {
                trace.nodes.iter().position(|n| n.name == *name).ok_or_else(|| {
                    let known: Vec<&str> = trace.nodes.iter().map(|n| n.name.as_str()).collect();
                    format!("the trace has no node `{name}` (it has {})", known.join(", "))
                })
            })
            .collect::<Result<_, _>>()?
    };
    let column_of = |node: u32| {
        if node == REMOTE {
            None
        } else {
            columns.iter().position(|c| *c == node as usize)
        }
    };
    let decoded: Vec<Decoded> = decode(trace);
    let mut arrows = Vec::new();
    for (i, (record, d)) in trace.records.iter().zip(&decoded).enumerate() {
        let (first, label, failed) = match (&d.message, record.fate) {
            (Some(m), _) => (m.first, m.label.clone(), false),
            (None, Fate::Delivered) => continue,
            (None, fate) => (i, format!("{}: {}", fate_name(fate), d.header), true),
        };
        let start = &trace.records[first];
        let (Some(from), Some(to)) = (column_of(start.from.node), column_of(record.to.node)) else {
            continue;
        };
        if options.from.is_some_and(|t| start.sent < t) || options.to.is_some_and(|t| start.sent > t) {
            continue;
        }
        let reply = label.starts_with("Reply");
        arrows.push(Arrow { from, to, sent: start.sent, arrive: record.arrive, label, failed, reply });
    }
    arrows.sort_by_key(|a| a.sent);
    let mut times: Vec<(u64, bool)> = Vec::new();
    for a in &arrows {
        times.push((a.sent, true));
        times.push((a.arrive, false));
    }
    times.sort();
    let mut rows: Vec<(u64, f64)> = Vec::new();
    let mut y = TOP;
    for (t, send) in times {
        match rows.last_mut() {
            Some(last) if last.0 == t => {}
            Some(last) => {
                let gap = ((t - last.0) as f64 / NS_PER_PX).min(GAP_CAP);
                y += gap + if send { SEND_ROW } else { OTHER_ROW };
                rows.push((t, y));
            }
            None => {
                y += SEND_ROW;
                rows.push((t, y));
            }
        }
    }
    let y_of = |t: u64| rows.binary_search_by_key(&t, |r| r.0).map_or(TOP, |i| rows[i].1);
    let x_of = |c: usize| LEFT + COLUMN * (c as f64 + 0.5);
    let width = LEFT + COLUMN * columns.len() as f64;
    let height = y + 40.0;
    let mut svg = String::new();
    svg.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    svg.push_str(&format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{width:.0}\" height=\"{height:.0}\" \
         viewBox=\"0 0 {width:.0} {height:.0}\" font-family=\"monospace\" font-size=\"11\">\n"
    ));
    svg.push_str(
        "<defs><marker id=\"head\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"7\" \
         markerHeight=\"7\" orient=\"auto\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"context-stroke\"/></marker></defs>\n",
    );
    svg.push_str("<rect width=\"100%\" height=\"100%\" fill=\"white\"/>\n");
    let span = match (arrows.first(), arrows.iter().map(|a| a.arrive).max()) {
        (Some(first), Some(last)) => format!(
            "{} messages and failed frames, {} ms to {} ms",
            arrows.len(),
            millis(first.sent),
            millis(last)
        ),
        _ => "nothing in this window".to_string(),
    };
    svg.push_str(&format!(
        "<text x=\"10\" y=\"18\" font-size=\"13\">Orrery link trace: {}</text>\n",
        escape(&span)
    ));
    svg.push_str(&format!("<text x=\"10\" y=\"{:.0}\" fill=\"#666\">virtual ms</text>\n", TOP - 12.0));
    for (c, node) in columns.iter().enumerate() {
        let x = x_of(c);
        let name = &trace.nodes[*node].name;
        svg.push_str(&format!(
            "<rect x=\"{:.1}\" y=\"30\" width=\"120\" height=\"22\" rx=\"4\" fill=\"#eef\" stroke=\"#335\"/>\
             <text x=\"{x:.1}\" y=\"45\" text-anchor=\"middle\" font-weight=\"bold\">{}</text>\n",
            x - 60.0,
            escape(name)
        ));
        svg.push_str(&format!(
            "<line x1=\"{x:.1}\" y1=\"52\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#99a\" stroke-dasharray=\"4 3\"/>\n",
            height - 20.0
        ));
    }
    let mut labelled = None;
    for a in &arrows {
        let (x1, y1) = (x_of(a.from), y_of(a.sent));
        let (x2, y2) = (x_of(a.to), y_of(a.arrive));
        if labelled != Some(a.sent) {
            svg.push_str(&format!(
                "<text x=\"6\" y=\"{:.1}\" fill=\"#666\">{}</text>\n",
                y1 + 3.0,
                millis(a.sent)
            ));
            labelled = Some(a.sent);
        }
        let colour = if a.failed {
            "#c0392b"
        } else if a.reply {
            "#2a5db0"
        } else {
            "#222"
        };
        let (anchor, tx) = if x2 >= x1 { ("start", x1 + 6.0) } else { ("end", x1 - 6.0) };
        if a.failed {
            let (mx, my) = ((x1 + x2) / 2.0, (y1 + y2) / 2.0);
            svg.push_str(&format!(
                "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{mx:.1}\" y2=\"{my:.1}\" stroke=\"{colour}\" stroke-dasharray=\"3 2\"/>\
                 <text x=\"{mx:.1}\" y=\"{:.1}\" fill=\"{colour}\" text-anchor=\"middle\" font-size=\"14\">\u{d7}</text>\n",
                my + 5.0
            ));
        } else {
            svg.push_str(&format!(
                "<line x1=\"{x1:.1}\" y1=\"{y1:.1}\" x2=\"{x2:.1}\" y2=\"{y2:.1}\" stroke=\"{colour}\" marker-end=\"url(#head)\"/>\n"
            ));
        }
        svg.push_str(&format!(
            "<text x=\"{tx:.1}\" y=\"{:.1}\" fill=\"{colour}\" text-anchor=\"{anchor}\">{}</text>\n",
            y1 - 3.0,
            escape(&a.label)
        ));
    }
    svg.push_str("</svg>\n");
    Ok(svg)
}

/// Virtual nanoseconds as milliseconds with six decimals.
fn millis(ns: u64) -> String {
    format!("{}.{:06}", ns / 1_000_000, ns % 1_000_000)
}
