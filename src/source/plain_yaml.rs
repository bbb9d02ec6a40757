//! A fast reader for the plain shape of YAML that tenant files and add-on template output
//! almost always have: block mappings and sequences, one-line flow collections, plain words,
//! integers and JSON-style double-quoted strings, comments on lines of their own.
//!
//! serde-saphyr spends about 60 ns per byte on such text (18 µs for a 300-byte ConfigMap,
//! where serde_json takes 1 µs for the same object), and parsing was a quarter of a fleet
//! render. This reader returns `None` for anything outside that shape — anchors, tags, block
//! scalars, single quotes, trailing comments, tabs, duplicate keys, words YAML might read as
//! something other than a string, deep nesting — and the caller then parses with
//! serde-saphyr, which also gives every error its message and position. Whatever this reader
//! accepts, it reads exactly as serde-saphyr does (property-tested, and checked against
//! serde-saphyr on every call in debug builds).

use serde_json::{Map, Number, Value};

/// Nesting beyond this is left to serde-saphyr (and its depth limit).
const MAX_DEPTH: usize = 32;

/// The documents of `text`, nulls left out, or `None` when `text` is outside the plain shape.
pub fn parse_stream(text: &str) -> Option<Vec<Value>> {
    if !text.chars().all(is_plain_char) {
        return None;
    }
    let mut docs = Vec::new();
    let mut lines: Vec<Line<'_>> = Vec::new();
    for raw in text.split('\n') {
        let content = raw.trim_start_matches(' ');
        if content.is_empty() || content.starts_with('#') {
            continue;
        }
        if content.starts_with("---") || content.starts_with("...") || content.starts_with('%') {
            if raw != "---" {
                return None;
            }
            docs.extend(document(&lines)?);
            lines.clear();
            continue;
        }
        if content.ends_with(' ') {
            return None;
        }
        lines.push(Line {
            indent: raw.len() - content.len(),
            content,
        });
    }
    docs.extend(document(&lines)?);
    Some(docs)
}

/// A character this reader takes as it is: YAML's printable characters (comments included,
/// where serde-saphyr rejects control characters too) without tab, carriage return, the
/// byte-order mark and the C1 controls; anything else goes to serde-saphyr.
fn is_plain_char(c: char) -> bool {
    matches!(c, '\n' | ' '..='~')
        || (c >= '\u{a0}' && !matches!(c, '\u{feff}' | '\u{fffe}' | '\u{ffff}'))
}

/// One line with content: its indentation and the rest.
#[derive(Debug, Clone, Copy)]
struct Line<'a> {
    indent: usize,
    content: &'a str,
}

/// One document's value (`Some(None)` for an empty one).
fn document(lines: &[Line<'_>]) -> Option<Option<Value>> {
    let Some(first) = lines.first() else {
        return Some(None);
    };
    let mut reader = Reader { lines, at: 0 };
    let value = reader.node(first.indent, 0)?;
    (reader.at == lines.len()).then_some((!value.is_null()).then_some(value))
}

struct Reader<'a, 'l> {
    lines: &'l [Line<'a>],
    at: usize,
}

impl<'a> Reader<'a, '_> {
    fn peek(&self) -> Option<Line<'a>> {
        self.lines.get(self.at).copied()
    }

    /// The block node starting at the current line, which is indented by `indent`.
    fn node(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let line = self.peek()?;
        if depth > MAX_DEPTH || line.indent != indent {
            return None;
        }
        if is_item(line.content) {
            self.sequence(indent, depth)
        } else {
            let mut map = Map::new();
            self.entries(indent, depth, &mut map)?;
            Some(Value::Object(map))
        }
    }

    /// Mapping entries at `indent`, into `map`.
    fn entries(&mut self, indent: usize, depth: usize, map: &mut Map<String, Value>) -> Option<()> {
        while let Some(line) = self.peek() {
            if line.indent < indent || (line.indent == indent && is_item(line.content)) {
                break;
            }
            if line.indent > indent {
                return None;
            }
            self.at += 1;
            let (key, rest) = split_entry(line.content)?;
            let value = match rest {
                Some(rest) => inline(rest, depth + 1)?,
                None => self.nested(indent, depth, true)?,
            };
            if map.insert(key.to_string(), value).is_some() {
                return None;
            }
        }
        Some(())
    }

    /// The value under `key:` (or `-`) with nothing after it: a block node on the following
    /// lines, or null. A mapping's value may be a sequence at the key's own indent.
    fn nested(&mut self, indent: usize, depth: usize, in_mapping: bool) -> Option<Value> {
        match self.peek() {
            Some(next) if next.indent > indent => self.node(next.indent, depth + 1),
            Some(next) if in_mapping && next.indent == indent && is_item(next.content) => {
                self.sequence(indent, depth + 1)
            }
            _ => Some(Value::Null),
        }
    }

    /// Sequence items at `indent`.
    fn sequence(&mut self, indent: usize, depth: usize) -> Option<Value> {
        let mut items = Vec::new();
        while let Some(line) = self.peek() {
            if line.indent != indent || !is_item(line.content) {
                if line.indent > indent {
                    return None;
                }
                break;
            }
            self.at += 1;
            let rest = line.content[1..].strip_prefix(' ').unwrap_or("");
            if rest.is_empty() {
                items.push(self.nested(indent, depth, false)?);
                continue;
            }
            if rest.starts_with(' ') || is_item(rest) {
                return None;
            }
            match split_entry(rest) {
                // `- key: value`: a mapping whose other entries are indented to its first key.
                Some((key, value)) if !rest.starts_with(['"', '{', '[']) => {
                    let inner = indent + 2;
                    let mut map = Map::new();
                    let first = match value {
                        Some(value) => inline(value, depth + 2)?,
                        None => self.nested(inner, depth + 1, true)?,
                    };
                    map.insert(key.to_string(), first);
                    self.entries(inner, depth + 1, &mut map)?;
                    items.push(Value::Object(map));
                }
                _ => items.push(inline(rest, depth + 1)?),
            }
        }
        Some(Value::Array(items))
    }
}

fn is_item(content: &str) -> bool {
    content == "-" || content.starts_with("- ")
}

/// `key: value` or `key:` with a plain key; `None` when the line is not one.
fn split_entry(content: &str) -> Option<(&str, Option<&str>)> {
    let colon = content.find(':')?;
    let (key, rest) = (&content[..colon], &content[colon + 1..]);
    if !is_plain_word(key) {
        return None;
    }
    match rest.strip_prefix(' ') {
        Some(value) if !value.is_empty() && !value.starts_with(' ') => Some((key, Some(value))),
        _ if rest.is_empty() => Some((key, None)),
        _ => None,
    }
}

/// A value written on the line of its key or item, `depth` levels down.
fn inline(text: &str, depth: usize) -> Option<Value> {
    let (value, rest) = flow_value(text, depth)?;
    rest.is_empty().then_some(value)
}

/// A scalar or one-line flow collection at the start of `text`, and what follows it. Flow
/// collections nest by recursion, so past `MAX_DEPTH` levels the text is left to
/// serde-saphyr, whose depth limit reports it (a 10 KB line of `[` would otherwise overflow
/// the stack).
fn flow_value(text: &str, depth: usize) -> Option<(Value, &str)> {
    if depth > MAX_DEPTH {
        return None;
    }
    match text.as_bytes().first()? {
        b'"' => {
            let end = quoted_end(text)?;
            let value: String = serde_json::from_str(&text[..end]).ok()?;
            Some((Value::String(value), &text[end..]))
        }
        b'{' => flow_mapping(&text[1..], depth + 1),
        b'[' => flow_sequence(&text[1..], depth + 1),
        _ => {
            let end = text.find([',', ']', '}']).unwrap_or(text.len());
            Some((scalar(&text[..end])?, &text[end..]))
        }
    }
}

/// The end (exclusive) of the double-quoted string that starts `text`.
fn quoted_end(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 1;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
    None
}

/// `{k: v, k: v}` after its `{`, whose entries are `depth` levels down.
fn flow_mapping(mut text: &str, depth: usize) -> Option<(Value, &str)> {
    let mut map = Map::new();
    if let Some(rest) = text.strip_prefix('}') {
        return Some((Value::Object(map), rest));
    }
    loop {
        let colon = text.find(": ")?;
        let key = &text[..colon];
        if !is_plain_word(key) {
            return None;
        }
        let (value, rest) = flow_value(&text[colon + 2..], depth)?;
        if map.insert(key.to_string(), value).is_some() {
            return None;
        }
        if let Some(rest) = rest.strip_prefix('}') {
            return Some((Value::Object(map), rest));
        }
        text = rest.strip_prefix(", ")?;
    }
}

/// `[a, b]` after its `[`, whose items are `depth` levels down.
fn flow_sequence(mut text: &str, depth: usize) -> Option<(Value, &str)> {
    let mut items = Vec::new();
    if let Some(rest) = text.strip_prefix(']') {
        return Some((Value::Array(items), rest));
    }
    loop {
        let (value, rest) = flow_value(text, depth)?;
        items.push(value);
        if let Some(rest) = rest.strip_prefix(']') {
            return Some((Value::Array(items), rest));
        }
        text = rest.strip_prefix(", ")?;
    }
}

/// A plain scalar: `true`, `false`, `null`, a decimal integer, a plain word, or a number
/// with a unit such as `15m` or `4Gi`; anything else is left to serde-saphyr.
fn scalar(text: &str) -> Option<Value> {
    match text {
        "true" => return Some(Value::Bool(true)),
        "false" => return Some(Value::Bool(false)),
        "null" => return Some(Value::Null),
        _ => {}
    }
    let digits = text.strip_prefix('-').unwrap_or(text);
    if !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
        if digits.len() > 1 && digits.starts_with('0') || text == "-0" {
            return None;
        }
        return text
            .parse::<i64>()
            .ok()
            .map(|n| Value::Number(Number::from(n)));
    }
    if is_plain_word(text) || is_number_with_unit(text) || is_cidr(text) {
        return Some(Value::String(text.to_string()));
    }
    None
}

/// A letter, then letters, digits, `.`, `/`, `_`, `-` or `@` (an e-mail address), and no
/// word that YAML reads as something else in any schema (booleans of YAML 1.1 included), in
/// any case.
pub fn is_plain_word(text: &str) -> bool {
    const SPECIAL: [&str; 11] = [
        "y", "n", "yes", "no", "on", "off", "null", "true", "false", "nan", "inf",
    ];
    let bytes = text.as_bytes();
    bytes.first().is_some_and(u8::is_ascii_alphabetic)
        && bytes[1..].iter().all(|&b| WORD_BYTES[usize::from(b)])
        && (bytes.len() > 5 || !SPECIAL.iter().any(|w| text.eq_ignore_ascii_case(w)))
}

/// The bytes `is_plain_word` allows after the first, as a table: every string tenantc writes
/// passes through it, and a lookup is cheaper than five comparisons per byte.
const WORD_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut b = 0;
    while b < 256 {
        let c = b as u8;
        table[b] = c.is_ascii_alphanumeric() || matches!(c, b'.' | b'/' | b'_' | b'-' | b'@');
        b += 1;
    }
    table
};

/// An address with a prefix length (`10.0.0.0/8`): digits and dots, a slash, digits. The
/// slash keeps it from reading as a number in any YAML version.
fn is_cidr(text: &str) -> bool {
    text.split_once('/').is_some_and(|(address, prefix)| {
        address.starts_with(|c: char| c.is_ascii_digit())
            && address.bytes().all(|b| b.is_ascii_digit() || b == b'.')
            && !prefix.is_empty()
            && prefix.bytes().all(|b| b.is_ascii_digit())
    })
}

/// Digits and then a duration or quantity unit (`15m`, `30s`, `4Gi`): strings in YAML.
fn is_number_with_unit(text: &str) -> bool {
    const UNITS: [&str; 14] = [
        "ms", "s", "m", "h", "d", "w", "Ki", "Mi", "Gi", "Ti", "k", "M", "G", "T",
    ];
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    split > 0 && UNITS.contains(&&text[split..])
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn saphyr(text: &str) -> Result<Vec<Value>, crate::source::ParseError> {
        crate::source::yaml::parse_stream_with_saphyr(text)
    }

    #[test]
    fn reads_add_on_output_and_tenant_files_like_serde_saphyr() {
        for text in [
            "# c\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n  a: \"b\\\"c\"\n  n: \"10\"\n",
            "spec:\n  groups:\n    - name: \"g\"\n      rules:\n        - alert: A\n          expr: \"a{b=~\\\"c|d\\\", t=\\\"u\\\"} > 0.9\"\n          for: 15m\n          labels: {severity: warning, tenant: \"t\"}\n",
            "a:\n- 1\n- x\nb: [a, \"b, c\", 3]\nc: {}\nd: []\ne:\nf: -5\n",
            "spec:\n  access:\n    admins: {groups: [acme-admins]}\n    viewers: {users: [a.b, \"c@d\"], groups: []}\n",
            "---\na: 1\n---\n---\nb: [c]\n",
            "- - a\n",
            "a: yes\n",
            "a: b # c\n",
            "a: &x 1\n",
            "a: 'q'\n",
            "a: 1.5\n",
            "a: 012\n",
            "a: 1\na: 2\n",
            "a:\n  b: 1\n   c: 2\n",
            "a: |\n  x\n",
            // Found by fuzzing: control characters, even inside a comment.
            "# \0\0a",
            "# An\u{e}",
            "a: \"\u{85}\"\n",
            "a: b\u{7f}\n",
        ] {
            if let Some(ours) = parse_stream(text) {
                assert_eq!(Ok(ours), saphyr(text), "{text:?}");
            }
        }
        assert!(parse_stream("a: yes\n").is_none());
        assert!(parse_stream("# \0\0a").is_none());
        assert!(parse_stream("a: 1\na: 2\n").is_none());
        assert!(
            parse_stream(
                "spec:\n  groups:\n    - name: \"g\"\n      for: 15m\n      labels: {a: b}\n"
            )
            .is_some()
        );
    }

    #[test]
    fn deep_flow_nesting_is_left_to_serde_saphyr_without_recursing() {
        // As deep as a text the reader is given can nest (64 KiB); it used to recurse once per
        // level and overflow the stack.
        for open in ["[", "{a: "] {
            let close = if open == "[" { "]" } else { "}" };
            let text = format!("a: {}1{}\n", open.repeat(30_000), close.repeat(30_000));
            assert_eq!(parse_stream(&text), None);
        }
        let shallow = format!("a: {}1{}\n", "[".repeat(20), "]".repeat(20));
        assert!(parse_stream(&shallow).is_some());
    }

    #[test]
    fn every_yaml_file_of_the_repository_reads_the_same() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut read = 0;
        for dir in [
            "fixtures",
            "tenants",
            "tiers",
            "templates",
            "tests",
            "deploy",
            "examples",
        ] {
            for entry in walkdir::WalkDir::new(root.join(dir)).into_iter().flatten() {
                let path = entry.path();
                if path.extension().is_none_or(|e| e != "yaml") {
                    continue;
                }
                let Ok(text) = std::fs::read_to_string(path) else {
                    continue;
                };
                if let Some(ours) = parse_stream(&text) {
                    read += 1;
                    assert_eq!(Ok(ours), saphyr(&text), "{}", path.display());
                }
            }
        }
        assert!(read > 40, "only {read} files in the plain shape");
    }

    fn word() -> impl Strategy<Value = String> {
        prop_oneof![
            "[a-zA-Z][a-zA-Z0-9./_-]{0,6}",
            "[0-9]{1,3}(ms|s|m|h|Gi|Mi|e|x|E)?",
            prop::sample::select(vec![
                "yes",
                "No",
                "ON",
                "y",
                "null",
                "Null",
                "~",
                "true",
                "True",
                "nan",
                ".inf",
                "0x1f",
                "0o7",
                "012",
                "-0",
                "1e3",
                "1_000",
                "2001-12-14",
                "1:20",
                "a b",
                "a: b",
                "a #b",
                "#c",
                "-",
                "- a",
                "?",
                "&a",
                "*a",
                "!t",
                "|",
                ">",
                "'",
                "%",
                "@",
                "`",
                ",",
                "[",
                "]",
                "{",
                "}",
                "\"",
                "a@b.c",
                "10.0.0.0/8",
                "1.2/3",
                "10.0.0.1",
                "1/2",
                "0/0",
                "1.5",
                "1e3/2",
            ])
            .prop_map(String::from),
        ]
    }

    fn value() -> impl Strategy<Value = Value> {
        let leaf = prop_oneof![
            word().prop_map(Value::String),
            any::<i32>().prop_map(Value::from),
            any::<bool>().prop_map(Value::Bool),
            Just(Value::Null),
        ];
        leaf.prop_recursive(4, 30, 4, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map(word(), inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Writes `value` as block YAML with every string either plain or JSON-quoted (as the
    /// add-on formatter does), small collections sometimes in flow style.
    fn write(value: &Value, indent: usize, quote: bool, flow: bool, out: &mut String) {
        let pad = " ".repeat(indent);
        let scalar = |v: &Value| match v {
            Value::String(s) if !quote => s.clone(),
            other => other.to_string(),
        };
        match value {
            Value::Object(map) if flow && map.values().all(|v| !v.is_object() && !v.is_array()) => {
                let parts: Vec<String> = map
                    .iter()
                    .map(|(k, v)| format!("{k}: {}", scalar(v)))
                    .collect();
                out.push_str(&format!(" {{{}}}\n", parts.join(", ")));
            }
            Value::Array(items)
                if flow && items.iter().all(|v| !v.is_object() && !v.is_array()) =>
            {
                let parts: Vec<String> = items.iter().map(scalar).collect();
                out.push_str(&format!(" [{}]\n", parts.join(", ")));
            }
            Value::Object(map) if !map.is_empty() => {
                out.push('\n');
                for (k, v) in map {
                    out.push_str(&format!("{pad}{k}:"));
                    write(v, indent + 2, quote, flow, out);
                }
            }
            Value::Array(items) if !items.is_empty() => {
                out.push('\n');
                for v in items {
                    out.push_str(&format!("{pad}-"));
                    write(v, indent + 2, quote, flow, out);
                }
            }
            Value::Object(_) => out.push_str(" {}\n"),
            Value::Array(_) => out.push_str(" []\n"),
            Value::Null => out.push('\n'),
            other => out.push_str(&format!(" {}\n", scalar(other))),
        }
    }

    proptest! {
        /// Whatever this reader accepts, it reads as serde-saphyr does.
        #[test]
        fn accepted_text_reads_as_serde_saphyr_reads_it(
            map in prop::collection::btree_map(word(), value(), 1..5),
            quote: bool,
            flow: bool,
        ) {
            let mut text = String::from("# generated");
            write(&Value::Object(map.into_iter().collect()), 0, quote, flow, &mut text);
            if let Some(ours) = parse_stream(&text) {
                prop_assert_eq!(Ok(ours), saphyr(&text), "{}", text);
            }
        }
    }
}
