//! The compact form of a topology file, for many alike nodes and links (docs/topology.md,
//! *Many nodes*): a `[[node]]` with `count` stands for that many nodes whose `name` holds
//! `{n}` (numbered from `first`, default 1), and a `[[tree]]` wires a root to a list of nodes
//! breadth-first, `fanout` children each. Both expand into the same nodes and links the long
//! form would give, before any other check, so every mistake in an expanded node is reported
//! at the group's value, with the same line, column and hint as in the long form.

use std::collections::{HashMap, HashSet, VecDeque};
use std::ops::Range;

use serde::Deserialize;
use toml::Spanned;

use super::{
    parse_props, unknown_node, Complaint, Endpoint, LinkSpec, Locator, NodeSpec, RawLink, RawNode,
    TopologyError, MAX_NODES,
};

/// The placeholder of a group's node number in its `name`.
const PLACEHOLDER: &str = "{n}";

/// A tree of links: `root` to the first `fanout` of `children`, each of those to the next
/// `fanout`, and so on, breadth-first. A child's port 0 leads up; its children are on its
/// ports 1, 2, …; the root's on its lowest free ports.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RawTree {
    root: Spanned<String>,
    children: Spanned<String>,
    fanout: Spanned<u32>,
    latency_us: Option<Spanned<f64>>,
    bandwidth_mbps: Option<Spanned<f64>>,
    mtu: Option<Spanned<u32>>,
    drop: Option<Spanned<f64>>,
    corrupt: Option<Spanned<f64>>,
    seed: Option<Spanned<u64>>,
}

/// The most children a node of a tree has: every port but the one leading up.
const MAX_FANOUT: u32 = ox32::memmap::LINK_PORTS - 1;

/// The nodes of the file, every group expanded into its members (in file order); refuses a
/// topology of more than [`MAX_NODES`] nodes before building them.
pub(super) fn expand_nodes(
    raw: &[Spanned<RawNode>],
    loc: &Locator<'_>,
) -> Result<Vec<RawNode>, TopologyError> {
    let mut nodes: Vec<RawNode> = Vec::new();
    for spanned in raw {
        let node = spanned.get_ref();
        let Some(count) = &node.count else {
            if let Some(first) = &node.first {
                return Err(loc.at(
                    first,
                    "`first` numbers a group of nodes, and this node has no `count`",
                    Some(group_hint()),
                ));
            }
            push(&mut nodes, node.clone(), &node.name, loc)?;
            continue;
        };
        let pattern = node.name.get_ref();
        if !pattern.contains(PLACEHOLDER) {
            return Err(loc.at(
                &node.name,
                format!("a group of {} nodes needs `{PLACEHOLDER}` in its name", count.get_ref()),
                Some(group_hint()),
            ));
        }
        if *count.get_ref() == 0 || nodes.len() + *count.get_ref() as usize > MAX_NODES {
            return Err(loc.at(
                count,
                format!(
                    "count must be from 1 to {}: a topology has at most {MAX_NODES} nodes",
                    MAX_NODES - nodes.len().min(MAX_NODES - 1)
                ),
                None,
            ));
        }
        let first = node.first.as_ref().map_or(1, |f| *f.get_ref());
        for k in 0..*count.get_ref() {
            let number = first.checked_add(k).ok_or_else(|| {
                let at = node.first.as_ref().map_or(node.name.span(), Spanned::span);
                loc.error(at, "the group's numbers run past 4294967295", None)
            })?;
            let name = Spanned::new(node.name.span(), pattern.replace(PLACEHOLDER, &number.to_string()));
            let id = match &node.id {
                Some(id) => Some(Spanned::new(
                    id.span(),
                    id.get_ref()
                        .checked_add(k)
                        .ok_or_else(|| loc.at(id, "the group's ids run past 4294967295", None))?,
                )),
                None => None,
            };
            let member = RawNode { name: name.clone(), count: None, first: None, id, ..node.clone() };
            push(&mut nodes, member, &name, loc)?;
        }
    }
    Ok(nodes)
}

/// Adds `node` (named by `at`) unless the topology is full.
fn push(
    nodes: &mut Vec<RawNode>,
    node: RawNode,
    at: &Spanned<String>,
    loc: &Locator<'_>,
) -> Result<(), TopologyError> {
    if nodes.len() == MAX_NODES {
        return Err(loc.at(
            at,
            format!("more than {MAX_NODES} nodes"),
            Some(format!("a topology has at most {MAX_NODES} nodes; split the system across processes")),
        ));
    }
    nodes.push(node);
    Ok(())
}

fn group_hint() -> String {
    "a group of alike nodes is `name = \"sat{n}\"` with `count = 8` (and `first = 1`, the first number)"
        .into()
}

/// The names a tree's `children` list: `NAME{A..B}` with text before and after the range
/// (`sat{2..64}` is sat2, sat3, …, sat64), or one node's name, or several of those separated
/// by commas.
fn child_names(text: &str) -> Result<Vec<String>, Complaint> {
    let hint = || {
        Some(
            "children are names and ranges separated by commas, as in `sat{1..63}` or `a, b, sat{5..9}`"
                .to_string(),
        )
    };
    let mut names = Vec::new();
    for part in text.split(',').map(str::trim) {
        let Some((before, rest)) = part.split_once('{') else {
            if part.is_empty() {
                return Err((format!("`{text}` names an empty child"), hint()));
            }
            names.push(part.to_string());
            continue;
        };
        let Some((range, after)) = rest.split_once('}') else {
            return Err((format!("`{part}` has a `{{` without its `}}`"), hint()));
        };
        let bounds = range
            .split_once("..")
            .and_then(|(a, b)| Some((a.trim().parse::<u32>().ok()?, b.trim().parse::<u32>().ok()?)));
        let Some((from, to)) = bounds.filter(|(a, b)| a <= b) else {
            return Err((format!("`{{{range}}}` is not a range of numbers"), hint()));
        };
        if (to - from) as usize >= MAX_NODES {
            return Err((format!("`{{{range}}}` names more than {MAX_NODES} nodes"), hint()));
        }
        names.extend((from..=to).map(|n| format!("{before}{n}{after}")));
    }
    Ok(names)
}

/// The links of one `[[tree]]`, each port it takes added to `used`; `index` is the index of its
/// first link in the file (which seeds its fault generator unless `seed` is given; the tree's
/// links then take `seed`, `seed + 1`, …).
pub(super) fn tree_links(
    tree: &RawTree,
    names: &HashMap<String, usize>,
    nodes: &[NodeSpec],
    used: &mut HashMap<Endpoint, Range<usize>>,
    index: usize,
    loc: &Locator<'_>,
) -> Result<Vec<LinkSpec>, TopologyError> {
    let fanout = *tree.fanout.get_ref();
    if !(1..=MAX_FANOUT).contains(&fanout) {
        return Err(loc.at(
            &tree.fanout,
            format!("fanout must be from 1 to {MAX_FANOUT}"),
            Some("a node of a tree keeps one port for the link up".into()),
        ));
    }
    let root = *names.get(tree.root.get_ref()).ok_or_else(|| {
        let (message, hint) = unknown_node(tree.root.get_ref(), names);
        loc.at(&tree.root, message, hint)
    })?;
    let children = child_names(tree.children.get_ref()).map_err(|(m, h)| loc.at(&tree.children, m, h))?;
    let mut seen = HashSet::from([root]);
    let mut members = Vec::new();
    for name in &children {
        let node = *names.get(name).ok_or_else(|| {
            let (message, hint) = unknown_node(name, names);
            loc.at(&tree.children, message, hint)
        })?;
        if !seen.insert(node) {
            return Err(loc.at(
                &tree.children,
                format!("`{name}` appears twice in the tree"),
                Some("a tree names its root and each child once".into()),
            ));
        }
        members.push(node);
    }
    let props = RawLink {
        a: tree.root.clone(),
        b: tree.children.clone(),
        latency_us: tree.latency_us.clone(),
        bandwidth_mbps: tree.bandwidth_mbps.clone(),
        mtu: tree.mtu.clone(),
        drop: tree.drop.clone(),
        corrupt: tree.corrupt.clone(),
        seed: tree.seed.clone(),
    };
    let take = |end: Endpoint, used: &mut HashMap<Endpoint, Range<usize>>| -> Result<(), TopologyError> {
        if end.port >= ox32::memmap::LINK_PORTS {
            return Err(loc.at(
                &tree.children,
                format!("`{}` has no free port left for the tree", nodes[end.node].name),
                Some(format!(
                    "a node has {} ports; give the tree a smaller fanout or fewer children",
                    ox32::memmap::LINK_PORTS
                )),
            ));
        }
        if let Some(other) = used.get(&end) {
            let line = loc.error(other.clone(), "", None).line;
            return Err(loc.at(
                &tree.children,
                format!("port {} of `{}` is used twice", end.port, nodes[end.node].name),
                Some(format!(
                    "the link on line {line} already uses it; a tree's children lead up through their port 0"
                )),
            ));
        }
        used.insert(end, tree.children.span());
        Ok(())
    };
    let mut links = Vec::new();
    // (node, its next port for a child, its children so far), breadth-first.
    let mut parents = VecDeque::from([(root, 0u32, 0u32)]);
    for &child in &members {
        let Some(parent) = parents.front_mut() else { break };
        let node = parent.0;
        let mut port = parent.1;
        // The root takes its lowest free ports, skipping those a `[[link]]` uses.
        while node == root && used.contains_key(&Endpoint { node, port }) {
            port += 1;
        }
        parent.1 = port + 1;
        parent.2 += 1;
        if parent.2 == fanout {
            parents.pop_front();
        }
        take(Endpoint { node, port }, used)?;
        take(Endpoint { node: child, port: 0 }, used)?;
        links.push((Endpoint { node, port }, child));
        parents.push_back((child, 1, 0));
    }
    links
        .into_iter()
        .enumerate()
        .map(|(k, (a, child))| {
            let mut props = parse_props(&props, index + k, loc)?;
            if let (Some(faults), Some(seed)) = (props.faults.as_mut(), &tree.seed) {
                faults.seed = seed.get_ref().wrapping_add(k as u64);
            }
            Ok(LinkSpec { a, b: Endpoint { node: child, port: 0 }, props })
        })
        .collect()
}
