//! Maps a JSON pointer (as JSON Schema and the stages report it) back to a line and column.

use serde::Deserialize;
use serde::de::{self, MapAccess, SeqAccess, Visitor};
use serde_saphyr::Spanned;
use std::fmt;

/// A place in a source file: 1-based line and column, and the length of the marked text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Position {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in characters.
    pub column: usize,
    /// How many characters to underline (at least 1).
    pub len: usize,
}

/// Whether a pointer's last segment should be located at its key or at its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    /// The value (a wrong value).
    Value,
    /// The mapping key (an unknown or misplaced field).
    Key,
}

/// A YAML node with the position of every key and value.
enum Node {
    Scalar,
    Seq(Vec<Spanned<Node>>),
    Map(Vec<(Spanned<KeyText>, Spanned<Node>)>),
}

/// A mapping key of any scalar type, as text.
struct KeyText(String);

impl<'de> Deserialize<'de> for KeyText {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = KeyText;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a scalar key")
            }
            fn visit_str<E>(self, v: &str) -> Result<KeyText, E> {
                Ok(KeyText(v.into()))
            }
            fn visit_bool<E>(self, v: bool) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_i64<E>(self, v: i64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_u64<E>(self, v: u64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_f64<E>(self, v: f64) -> Result<KeyText, E> {
                Ok(KeyText(v.to_string()))
            }
            fn visit_unit<E>(self) -> Result<KeyText, E> {
                Ok(KeyText("null".into()))
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de> Deserialize<'de> for Node {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Node;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("any YAML node")
            }
            fn visit_bool<E>(self, _: bool) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_str<E>(self, _: &str) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_unit<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_none<E>(self) -> Result<Node, E> {
                Ok(Node::Scalar)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Node, A::Error> {
                let mut items = Vec::new();
                while let Some(item) = seq.next_element()? {
                    items.push(item);
                }
                Ok(Node::Seq(items))
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Node, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key()? {
                    entries.push((key, map.next_value()?));
                }
                Ok(Node::Map(entries))
            }
        }
        d.deserialize_any(V)
    }
}

fn position(location: serde_saphyr::Location) -> Position {
    Position {
        line: location.line() as usize,
        column: location.column().max(1) as usize,
        len: (location.span().len() as usize).max(1),
    }
}

/// Finds the position of the value (or key) named by `pointer` in a YAML text.
///
/// When the pointer leads to a missing key, the nearest existing ancestor is returned, so a
/// "missing field" error points at the mapping that lacks it. Returns `None` only when the
/// text cannot be read at all.
pub fn locate(text: &str, pointer: &str, target: Target) -> Option<Position> {
    let root: Spanned<Node> = serde_saphyr::from_str(text).ok()?;
    let mut node = &root;
    let mut found = position(root.referenced);
    let mut segments = pointer.split('/').skip(1).peekable();
    if pointer.is_empty() {
        return Some(first_line(found));
    }
    while let Some(raw) = segments.next() {
        let segment = super::unescape_segment(raw);
        let last = segments.peek().is_none();
        match &node.value {
            Node::Map(entries) => {
                let Some((key, value)) = entries.iter().find(|(k, _)| k.value.0 == segment) else {
                    return Some(found);
                };
                found = if last && target == Target::Key {
                    position(key.referenced)
                } else {
                    position(value.referenced)
                };
                // An empty value (`key:`) has no span of its own: point at the key.
                if value.referenced.line() == 0 {
                    found = position(key.referenced);
                }
                node = value;
            }
            Node::Seq(items) => {
                let Some(item) = segment.parse::<usize>().ok().and_then(|i| items.get(i)) else {
                    return Some(found);
                };
                found = position(item.referenced);
                node = item;
            }
            Node::Scalar => return Some(found),
        }
    }
    Some(match node.value {
        Node::Scalar => found,
        _ => first_line(found),
    })
}

/// A collection's span covers many lines; mark only its first character.
fn first_line(p: Position) -> Position {
    Position { len: 1, ..p }
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOC: &str = "\
kind: Tier
spec:
  quota:
    requests.cpu: 10x
    a/b: 1
  environments:
    - name: dev
      quotaShare: 0.3
";

    #[test]
    fn locates_values_keys_and_items() {
        let p = locate(DOC, "/spec/quota/requests.cpu", Target::Value).unwrap();
        assert_eq!((p.line, p.column, p.len), (4, 19, 3));
        let p = locate(DOC, "/spec/quota/requests.cpu", Target::Key).unwrap();
        assert_eq!((p.line, p.column), (4, 5));
        let p = locate(DOC, "/spec/quota/a~1b", Target::Value).unwrap();
        assert_eq!((p.line, p.column), (5, 10));
        let p = locate(DOC, "/spec/environments/0/quotaShare", Target::Value).unwrap();
        assert_eq!((p.line, p.column), (8, 19));
    }

    #[test]
    fn missing_keys_fall_back_to_the_parent() {
        let p = locate(DOC, "/spec/nodePool/provider", Target::Value).unwrap();
        assert_eq!(p.line, 3);
    }
}
