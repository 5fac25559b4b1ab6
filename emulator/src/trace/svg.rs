//! A little SVG, written by hand: escaping, and a check that a document is well-formed XML
//! (balanced elements, quoted attributes, known entities) for the tests and the docs check.

/// `text` with the five XML special characters escaped.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            c => out.push(c),
        }
    }
    out
}

/// Checks that `doc` is one well-formed XML element (after an optional declaration and
/// comments) whose root is `<svg>`; returns how many elements it holds.
pub fn check_well_formed(doc: &str) -> Result<usize, String> {
    let mut stack: Vec<&str> = Vec::new();
    let mut elements = 0;
    let mut rest = doc;
    let mut root_done = false;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open], stack.is_empty())?;
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<?") {
            let end = after.find("?>").ok_or("an unterminated declaration")?;
            rest = &after[end + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            let end = after.find("-->").ok_or("an unterminated comment")?;
            rest = &after[end + 3..];
            continue;
        }
        let end = rest.find('>').ok_or("an unterminated tag")?;
        let tag = &rest[1..end];
        rest = &rest[end + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            let top = stack.pop().ok_or_else(|| format!("`</{name}>` closes nothing"))?;
            if top != name.trim() {
                return Err(format!("`</{name}>` closes `<{top}>`"));
            }
            root_done = stack.is_empty();
            continue;
        }
        if root_done {
            return Err("content after the root element".into());
        }
        let empty = tag.ends_with('/');
        let tag = tag.trim_end_matches('/');
        let name = tag.split_whitespace().next().ok_or("an empty tag")?;
        if stack.is_empty() && name != "svg" {
            return Err(format!("the root element is `<{name}>`, not `<svg>`"));
        }
        check_attributes(&tag[name.len()..])?;
        elements += 1;
        if empty {
            root_done = stack.is_empty();
        } else {
            stack.push(name);
        }
    }
    check_text(rest, true)?;
    if let Some(top) = stack.last() {
        return Err(format!("`<{top}>` is never closed"));
    }
    if elements == 0 {
        return Err("no elements".into());
    }
    Ok(elements)
}

fn check_text(text: &str, outside: bool) -> Result<(), String> {
    if outside && !text.trim().is_empty() {
        return Err(format!("text outside the root element: {:?}", text.trim()));
    }
    if text.contains('>') {
        return Err(format!("an unescaped `>` in {text:?}"));
    }
    check_entities(text)
}

fn check_entities(text: &str) -> Result<(), String> {
    let mut rest = text;
    while let Some(at) = rest.find('&') {
        let end = rest[at..].find(';').ok_or_else(|| format!("a bare `&` in {text:?}"))?;
        let entity = &rest[at + 1..at + end];
        let known = matches!(entity, "amp" | "lt" | "gt" | "quot" | "apos")
            || entity.strip_prefix('#').is_some_and(|n| !n.is_empty());
        if !known {
            return Err(format!("an unknown entity `&{entity};`"));
        }
        rest = &rest[at + end + 1..];
    }
    Ok(())
}

fn check_attributes(mut attrs: &str) -> Result<(), String> {
    loop {
        attrs = attrs.trim_start();
        if attrs.is_empty() {
            return Ok(());
        }
        let eq = attrs.find('=').ok_or_else(|| format!("an attribute without a value: {attrs:?}"))?;
        let name = attrs[..eq].trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(format!("a bad attribute name {name:?}"));
        }
        let value = attrs[eq + 1..].trim_start();
        let quote = value.chars().next().filter(|q| *q == '"' || *q == '\'');
        let quote = quote.ok_or_else(|| format!("attribute `{name}` is not quoted"))?;
        let close = value[1..].find(quote).ok_or_else(|| format!("attribute `{name}` is not closed"))?;
        let inner = &value[1..1 + close];
        if inner.contains('<') {
            return Err(format!("a `<` in attribute `{name}`"));
        }
        check_entities(inner)?;
        attrs = &value[close + 2..];
    }
}

#[cfg(test)]
mod tests {
    use super::{check_well_formed, escape};

    #[test]
    fn checks_documents() {
        assert_eq!(escape("a<b & \"c\""), "a&lt;b &amp; &quot;c&quot;");
        assert_eq!(
            check_well_formed(
                "<?xml version=\"1.0\"?>\n<svg a=\"1\"><g><text>x &amp; y</text></g><line x=\"1\"/></svg>\n"
            ),
            Ok(4)
        );
        for bad in [
            "<svg><g></svg>",
            "<svg></g>",
            "<svg a=1></svg>",
            "<svg>a & b</svg>",
            "<g></g>",
            "<svg></svg><svg></svg>",
            "<svg><text>",
            "",
            "text<svg/>",
        ] {
            assert!(check_well_formed(bad).is_err(), "{bad}");
        }
    }
}
