//! A fast block-style YAML writer for the objects tenantc emits.
//!
//! serde-saphyr decides how every scalar must be written (plain, quoted, which quotes) with
//! careful YAML 1.1/1.2 ambiguity rules, and that analysis dominated render time at fleet
//! scale. This writer keeps serde-saphyr's decisions but makes each one once: it asks
//! serde-saphyr how to write a given key or string the first time it sees it and remembers
//! the answer, and lays out the block structure itself. Anything outside the shapes tenantc
//! emits (multi-line strings, nested sequences, floats, nulls, non-string keys) makes it give
//! up, and the caller falls back to serde-saphyr for that object, so the output is always
//! exactly serde-saphyr's.

use serde::ser::{self, Serialize};
use std::cell::RefCell;
use std::collections::HashMap;
use std::fmt;

/// serde-saphyr's options for tenantc's output: block style, two-space indent, no folding.
pub fn saphyr_options() -> serde_saphyr::SerializerOptions {
    serde_saphyr::ser_options! {
        indent_step: 2,
        folded_wrap_chars: usize::MAX,
        min_fold_chars: usize::MAX,
    }
}

/// `write_yaml` into a new string, for the tests.
#[cfg(test)]
fn to_yaml<T: Serialize + ?Sized>(value: &T) -> Option<String> {
    let mut out = String::new();
    write_yaml(value, &mut out).then_some(out)
}

/// Appends `value` as a YAML document to `out` and returns `true`, or leaves `out` as it was
/// and returns `false` when `value` has a shape this writer leaves to serde-saphyr.
pub fn write_yaml<T: Serialize + ?Sized>(value: &T, out: &mut String) -> bool {
    let start = out.len();
    let mut writer = Writer {
        out,
        slot: Slot::Root,
    };
    if value.serialize(&mut writer).is_ok() {
        return true;
    }
    out.truncate(start);
    false
}

/// A cache of how serde-saphyr writes each key and each string value, per thread.
#[derive(Default)]
struct Memo {
    keys: HashMap<String, Option<Box<str>>>,
    values: HashMap<String, Option<Box<str>>>,
}

/// Past this many remembered scalars a thread's cache starts afresh, bounding memory.
const MEMO_LIMIT: usize = 16_384;

thread_local! {
    static MEMO: RefCell<Memo> = RefCell::new(Memo::default());
}

/// How serde-saphyr writes `text` as a mapping key (`key == true`) or value; `None` when it
/// would not fit on one line.
fn rendered(text: &str, key: bool, out: &mut String) -> bool {
    if plainly_safe(text) {
        out.push_str(text);
        return true;
    }
    MEMO.with(|memo| {
        let mut memo = memo.borrow_mut();
        if memo.keys.len() + memo.values.len() > MEMO_LIMIT {
            *memo = Memo::default();
        }
        let map = if key {
            &mut memo.keys
        } else {
            &mut memo.values
        };
        if let Some(found) = map.get(text) {
            return match found {
                Some(r) => {
                    out.push_str(r);
                    true
                }
                None => false,
            };
        }
        let decided = decide(text, key);
        let ok = decided.is_some();
        if let Some(r) = &decided {
            out.push_str(r);
        }
        map.insert(text.to_string(), decided);
        ok
    })
}

/// Whether serde-saphyr certainly writes `text` as itself, key or value: the plain words the
/// YAML reader also takes as they are (`source::is_plain_word`: a letter, then letters,
/// digits, `.`, `/`, `_`, `-`, `@`, and no word YAML reads as something else). Such a string
/// has no indicator, no `: ` or ` #`, no whitespace, and cannot be read as a number or
/// timestamp, so it is plain. Most names, label values and verbs tenantc writes are, and many
/// are unique per tenant, so the memo would only miss on them.
fn plainly_safe(text: &str) -> bool {
    crate::source::is_plain_word(text)
}

/// Asks serde-saphyr how it writes `text` in a one-entry mapping.
fn decide(text: &str, key: bool) -> Option<Box<str>> {
    if text.contains(['\n', '\r']) {
        return None;
    }
    let doc = if key {
        let mut map = std::collections::BTreeMap::new();
        map.insert(text, 0u8);
        serde_saphyr::to_string_with_options(&map, saphyr_options()).ok()?
    } else {
        let mut map = std::collections::BTreeMap::new();
        map.insert("k", text);
        serde_saphyr::to_string_with_options(&map, saphyr_options()).ok()?
    };
    let line = doc.strip_suffix('\n')?;
    if line.contains('\n') {
        return None;
    }
    let part = if key {
        line.strip_suffix(": 0")?
    } else {
        line.strip_prefix("k: ")?
    };
    Some(part.into())
}

/// Why the writer gave up.
#[derive(Debug)]
pub struct Unsupported;

impl fmt::Display for Unsupported {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("shape left to serde-saphyr")
    }
}

impl std::error::Error for Unsupported {}

impl ser::Error for Unsupported {
    fn custom<T: fmt::Display>(_: T) -> Self {
        Unsupported
    }
}

/// Where the value being written goes.
#[derive(Debug, Clone, Copy)]
enum Slot {
    /// The document itself.
    Root,
    /// After `key:` of a mapping entry at this indent.
    MapValue(usize),
    /// After `- ` of a sequence item at this indent.
    SeqItem(usize),
}

struct Writer<'a> {
    out: &'a mut String,
    slot: Slot,
}

fn indent(out: &mut String, n: usize) {
    for _ in 0..n {
        out.push(' ');
    }
}

impl Writer<'_> {
    fn scalar(&mut self, text: &str) -> Result<(), Unsupported> {
        match self.slot {
            Slot::Root => return Err(Unsupported),
            Slot::MapValue(_) => self.out.push(' '),
            Slot::SeqItem(_) => {}
        }
        self.out.push_str(text);
        self.out.push('\n');
        Ok(())
    }

    fn string(&mut self, text: &str) -> Result<(), Unsupported> {
        match self.slot {
            Slot::Root => return Err(Unsupported),
            Slot::MapValue(_) => self.out.push(' '),
            Slot::SeqItem(_) => {}
        }
        if !rendered(text, false, self.out) {
            return Err(Unsupported);
        }
        self.out.push('\n');
        Ok(())
    }
}

/// A mapping being written.
struct MapWriter<'w, 'a> {
    writer: &'w mut Writer<'a>,
    /// How the mapping was opened.
    opened: Slot,
    /// The indent of its entries after the first.
    indent: usize,
    entries: usize,
}

impl MapWriter<'_, '_> {
    fn key(&mut self, key: &str) -> Result<(), Unsupported> {
        let out = &mut *self.writer.out;
        match (self.opened, self.entries) {
            (Slot::SeqItem(_), 0) => {}
            (Slot::MapValue(_), 0) => {
                out.push('\n');
                indent(out, self.indent);
            }
            _ => indent(out, self.indent),
        }
        self.entries += 1;
        if !rendered(key, true, out) {
            return Err(Unsupported);
        }
        out.push(':');
        Ok(())
    }

    fn value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.writer.slot = Slot::MapValue(self.indent);
        value.serialize(&mut *self.writer)
    }

    fn finish(self) -> Result<(), Unsupported> {
        if self.entries == 0 {
            match self.opened {
                Slot::MapValue(_) => self.writer.out.push_str(" {}\n"),
                Slot::SeqItem(_) | Slot::Root => self.writer.out.push_str("{}\n"),
            }
        }
        Ok(())
    }
}

/// A sequence being written (compact: items at the indent of the key that holds them).
struct SeqWriter<'w, 'a> {
    writer: &'w mut Writer<'a>,
    indent: usize,
    items: usize,
}

impl<'w, 'a> ser::Serializer for &'w mut Writer<'a> {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = SeqWriter<'w, 'a>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = MapWriter<'w, 'a>;
    type SerializeStruct = MapWriter<'w, 'a>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_bool(self, v: bool) -> Result<(), Unsupported> {
        self.scalar(if v { "true" } else { "false" })
    }
    fn serialize_i8(self, v: i8) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i16(self, v: i16) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i32(self, v: i32) -> Result<(), Unsupported> {
        self.serialize_i64(v.into())
    }
    fn serialize_i64(self, v: i64) -> Result<(), Unsupported> {
        self.scalar(&v.to_string())
    }
    fn serialize_u8(self, v: u8) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u16(self, v: u16) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u32(self, v: u32) -> Result<(), Unsupported> {
        self.serialize_u64(v.into())
    }
    fn serialize_u64(self, v: u64) -> Result<(), Unsupported> {
        self.scalar(&v.to_string())
    }
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, v: char) -> Result<(), Unsupported> {
        self.string(v.encode_utf8(&mut [0; 4]))
    }
    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.string(v)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, value: &T) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        variant: &'static str,
    ) -> Result<(), Unsupported> {
        self.string(variant)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<SeqWriter<'w, 'a>, Unsupported> {
        let Slot::MapValue(indent) = self.slot else {
            return Err(Unsupported);
        };
        Ok(SeqWriter {
            writer: self,
            indent,
            items: 0,
        })
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<MapWriter<'w, 'a>, Unsupported> {
        let opened = self.slot;
        let indent = match opened {
            Slot::Root => 0,
            Slot::MapValue(n) | Slot::SeqItem(n) => n + 2,
        };
        Ok(MapWriter {
            writer: self,
            opened,
            indent,
            entries: 0,
        })
    }
    fn serialize_struct(
        self,
        _: &'static str,
        len: usize,
    ) -> Result<MapWriter<'w, 'a>, Unsupported> {
        self.serialize_map(Some(len))
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeSeq for SeqWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_element<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        let out = &mut *self.writer.out;
        if self.items == 0 {
            out.push('\n');
        }
        self.items += 1;
        indent(out, self.indent);
        out.push_str("- ");
        self.writer.slot = Slot::SeqItem(self.indent);
        value.serialize(&mut *self.writer)
    }

    fn end(self) -> Result<(), Unsupported> {
        if self.items == 0 {
            self.writer.out.push_str(" []\n");
        }
        Ok(())
    }
}

/// Keys must be strings; anything else is left to serde-saphyr.
struct KeyText(String);

impl ser::Serializer for &mut KeyText {
    type Ok = ();
    type Error = Unsupported;
    type SerializeSeq = ser::Impossible<(), Unsupported>;
    type SerializeTuple = ser::Impossible<(), Unsupported>;
    type SerializeTupleStruct = ser::Impossible<(), Unsupported>;
    type SerializeTupleVariant = ser::Impossible<(), Unsupported>;
    type SerializeMap = ser::Impossible<(), Unsupported>;
    type SerializeStruct = ser::Impossible<(), Unsupported>;
    type SerializeStructVariant = ser::Impossible<(), Unsupported>;

    fn serialize_str(self, v: &str) -> Result<(), Unsupported> {
        self.0.push_str(v);
        Ok(())
    }
    fn serialize_bool(self, _: bool) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i8(self, _: i8) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i16(self, _: i16) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i32(self, _: i32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_i64(self, _: i64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u8(self, _: u8) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u16(self, _: u16) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u32(self, _: u32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_u64(self, _: u64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f32(self, _: f32) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_f64(self, _: f64) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_char(self, _: char) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_bytes(self, _: &[u8]) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_none(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_some<T: Serialize + ?Sized>(self, _: &T) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit(self) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_struct(self, _: &'static str) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_unit_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_struct<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_newtype_variant<T: Serialize + ?Sized>(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: &T,
    ) -> Result<(), Unsupported> {
        Err(Unsupported)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self::SerializeSeq, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self::SerializeTuple, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_tuple_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeTupleVariant, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self::SerializeMap, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct(
        self,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStruct, Unsupported> {
        Err(Unsupported)
    }
    fn serialize_struct_variant(
        self,
        _: &'static str,
        _: u32,
        _: &'static str,
        _: usize,
    ) -> Result<Self::SerializeStructVariant, Unsupported> {
        Err(Unsupported)
    }
}

impl ser::SerializeMap for MapWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_key<T: Serialize + ?Sized>(&mut self, key: &T) -> Result<(), Unsupported> {
        let mut text = KeyText(String::new());
        key.serialize(&mut text)?;
        self.key(&text.0)
    }

    fn serialize_value<T: Serialize + ?Sized>(&mut self, value: &T) -> Result<(), Unsupported> {
        self.value(value)
    }

    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

impl ser::SerializeStruct for MapWriter<'_, '_> {
    type Ok = ();
    type Error = Unsupported;

    fn serialize_field<T: Serialize + ?Sized>(
        &mut self,
        key: &'static str,
        value: &T,
    ) -> Result<(), Unsupported> {
        self.key(key)?;
        self.value(value)
    }

    fn end(self) -> Result<(), Unsupported> {
        self.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use serde_json::{Value, json};

    fn saphyr(value: &Value) -> String {
        serde_saphyr::to_string_with_options(value, saphyr_options()).unwrap()
    }

    #[test]
    fn matches_serde_saphyr_on_kubernetes_shapes() {
        let doc = json!({
            "apiVersion": "v1",
            "kind": "ConfigMap",
            "metadata": {"name": "x", "labels": {"a/b": "on", "n": "10", "e": ""}, "annotations": {}},
            "data": {"yes": "no", "k": "a: b", "h": "#x", "d": "-2", "q": "'", "dq": "\"", "s": " x"},
            "list": [{"a": 1, "b": [true, false]}, {}, "x", 3],
            "empty": [],
            "nested": {"deeper": {"deepest": [{"k": {"m": []}}]}},
        });
        assert_eq!(to_yaml(&doc).as_deref(), Some(saphyr(&doc).as_str()));
    }

    #[test]
    fn leaves_hard_shapes_to_serde_saphyr() {
        for doc in [
            json!({"a": "two\nlines"}),
            json!({"a": [[1]]}),
            json!({"a": null}),
            json!({"a": 1.5}),
        ] {
            assert_eq!(to_yaml(&doc), None, "{doc}");
        }
    }

    fn scalar() -> impl Strategy<Value = Value> {
        prop_oneof![
            prop::sample::select(vec![
                "",
                "no",
                "on",
                "yes",
                "null",
                "~",
                "1e3",
                "0x1f",
                "012",
                "10",
                "-2",
                "a: b",
                "- x",
                "#c",
                "x #c",
                "'q'",
                "\"dq\"",
                " lead",
                "trail ",
                "{a}",
                "[b]",
                "*ref",
                "&anc",
                "!tag",
                "%p",
                "@at",
                "`bt",
                "a,b",
                "?",
                ":",
                "-",
                "0.5",
                ".inf",
                "2001-12-14",
                "1:20",
                "tenant-a",
                "Prune=false",
                "https://x.example/a?b=c",
                "ünï",
                "tab\there",
            ])
            .prop_map(|s| Value::String(s.to_string())),
            any::<i32>().prop_map(|i| json!(i)),
            any::<bool>().prop_map(Value::Bool),
            "[a-z:#'\" ./-]{0,8}".prop_map(Value::String),
        ]
    }

    fn tree() -> impl Strategy<Value = Value> {
        scalar().prop_recursive(4, 40, 5, |inner| {
            prop_oneof![
                prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
                prop::collection::btree_map("[a-z:#'\" ./-]{0,6}", inner, 0..4)
                    .prop_map(|m| Value::Object(m.into_iter().collect())),
            ]
        })
    }

    proptest! {
        /// Whenever this writer writes a document, it is byte-identical to serde-saphyr's.
        #[test]
        fn identical_to_serde_saphyr(map in prop::collection::btree_map("[a-z:#'\" ./-]{0,6}", tree(), 0..5)) {
            let doc = Value::Object(map.into_iter().collect());
            if let Some(ours) = to_yaml(&doc) {
                prop_assert_eq!(ours, saphyr(&doc));
            }
        }

        /// The shortcut past serde-saphyr only takes strings it writes as themselves.
        #[test]
        fn plainly_safe_strings_are_written_as_themselves(
            text in prop_oneof![
                "[A-Za-z][A-Za-z0-9./_@-]{0,10}",
                prop::sample::select(vec![
                    "null", "Null", "NULL", "true", "True", "false", "FALSE", "yes", "Yes",
                    "no", "on", "off", "y", "n", "nan", "inf", ".inf", "nan.", "e100", "E1e5",
                    "0x1f", "b101", "o777", "Prune=false", "a.b/c_d-e", "x--", "t.", "ab..",
                    "Y", "N", "YES", "On", "OFF", "NaN", "Inf", "v1", "get", "x", "TCP", "a-",
                    "a.", "a/", "a_", "e", "E", "o", "b", "x1", "NULL", "Nan", "nO", "oN",
                ]).prop_map(String::from),
            ]
        ) {
            if plainly_safe(&text) {
                let (as_key, as_value) = (decide(&text, true), decide(&text, false));
                prop_assert_eq!(as_key.as_deref(), Some(text.as_str()));
                prop_assert_eq!(as_value.as_deref(), Some(text.as_str()));
            }
        }
    }
}
