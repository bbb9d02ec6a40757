//! Deep merge of partial tier specs, and the provenance of every merged value.

use serde_json::Value;
use std::sync::Arc;

/// Where the built-in defaults "come from" in provenance and diagnostics.
pub const BUILT_IN: &str = "(built-in default)";

/// One layer of a merge: a partial spec and where it sits in its file.
#[derive(Debug, Clone)]
pub struct Layer {
    /// The file the layer was read from (or [`BUILT_IN`]).
    pub file: String,
    /// The JSON pointer of the layer inside that file, such as `/spec/overrides`.
    pub base: String,
    /// The partial spec.
    pub value: Arc<Value>,
}

/// Merges `over` into `base`: maps merge key by key; scalars and lists replace. A `null`
/// leaves the base value as it is.
pub fn merge(base: &mut Value, over: &Value) {
    match (base, over) {
        (_, Value::Null) => {}
        (Value::Object(b), Value::Object(o)) => {
            for (key, value) in o {
                match b.get_mut(key) {
                    Some(existing) => merge(existing, value),
                    None => {
                        b.insert(key.clone(), value.clone());
                    }
                }
            }
        }
        (b, o) => *b = o.clone(),
    }
}

/// Merges layers bottom to top into one value.
pub fn merge_layers(layers: &[Layer]) -> Value {
    let mut merged = Value::Object(Default::default());
    for layer in layers {
        merge(&mut merged, &layer.value);
    }
    merged
}

/// The file and pointer that set the value at `pointer` (relative to the spec): the topmost
/// layer holding that path. Falls back to the topmost layer holding the nearest ancestor.
pub fn origin(layers: &[Layer], pointer: &str) -> (String, String) {
    let segments: Vec<String> = pointer
        .split('/')
        .skip(1)
        .map(crate::source::unescape_segment)
        .collect();
    for depth in (0..=segments.len()).rev() {
        for layer in layers.iter().rev() {
            if holds(&layer.value, &segments[..depth]) {
                let within: String = segments[..depth]
                    .iter()
                    .map(|s| format!("/{}", crate::source::escape_segment(s)))
                    .collect();
                return (layer.file.clone(), format!("{}{within}", layer.base));
            }
        }
    }
    let top = layers.last();
    (
        top.map_or_else(|| BUILT_IN.to_string(), |l| l.file.clone()),
        top.map_or_else(String::new, |l| l.base.clone()),
    )
}

fn holds(value: &Value, path: &[String]) -> bool {
    let mut node = value;
    for segment in path {
        node = match node {
            Value::Object(map) => match map.get(segment) {
                Some(v) => v,
                None => return false,
            },
            Value::Array(items) => match segment.parse::<usize>().ok().and_then(|i| items.get(i)) {
                Some(v) => v,
                None => return false,
            },
            _ => return false,
        };
    }
    !node.is_null()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn layer(file: &str, base: &str, value: Value) -> Layer {
        Layer {
            file: file.into(),
            base: base.into(),
            value: Arc::new(value),
        }
    }

    #[test]
    fn maps_merge_scalars_and_lists_replace() {
        let layers = [
            layer(
                "tiers/a.yaml",
                "/spec",
                json!({"quota": {"pods": "10", "cpu": "2"}, "envs": [1, 2]}),
            ),
            layer(
                "tenants/t.yaml",
                "/spec/overrides",
                json!({"quota": {"pods": "20"}, "envs": [3]}),
            ),
        ];
        let merged = merge_layers(&layers);
        assert_eq!(
            merged,
            json!({"quota": {"pods": "20", "cpu": "2"}, "envs": [3]})
        );
        assert_eq!(
            origin(&layers, "/quota/pods"),
            ("tenants/t.yaml".into(), "/spec/overrides/quota/pods".into())
        );
        assert_eq!(
            origin(&layers, "/quota/cpu"),
            ("tiers/a.yaml".into(), "/spec/quota/cpu".into())
        );
        assert_eq!(
            origin(&layers, "/envs/0"),
            ("tenants/t.yaml".into(), "/spec/overrides/envs/0".into())
        );
        assert_eq!(
            origin(&layers, "/missing/x"),
            ("tenants/t.yaml".into(), "/spec/overrides".into())
        );
    }

    #[test]
    fn merge_is_associative_for_maps() {
        let a = json!({"x": {"a": 1, "b": 2}});
        let b = json!({"x": {"b": 3}, "y": [1]});
        let c = json!({"x": {"c": 4}, "y": [2]});
        let mut left = a.clone();
        merge(&mut left, &b);
        merge(&mut left, &c);
        let mut bc = b.clone();
        merge(&mut bc, &c);
        let mut right = a;
        merge(&mut right, &bc);
        assert_eq!(left, right);
    }

    mod properties {
        use super::super::merge;
        use proptest::prelude::*;
        use serde_json::{Map, Value};

        /// A scalar, or `null` (unset).
        fn scalar() -> impl Strategy<Value = Value> {
            prop_oneof![
                Just(Value::Null),
                any::<bool>().prop_map(Value::Bool),
                any::<i64>().prop_map(Value::from),
                "[a-z0-9]{0,4}".prop_map(Value::from),
            ]
        }

        /// A spec-like map whose keys have a fixed shape, as in a tier spec: `m*` keys hold
        /// maps, `s*` keys scalars and `l*` keys lists; any of them may be `null`.
        fn spec(depth: u32) -> BoxedStrategy<Value> {
            let leaf = prop_oneof![
                scalar(),
                proptest::collection::vec(scalar(), 0..3).prop_map(Value::Array),
            ];
            let child: BoxedStrategy<Value> = if depth == 0 {
                Just(Value::Null).boxed()
            } else {
                prop_oneof![Just(Value::Null), spec(depth - 1)].boxed()
            };
            let keys = proptest::collection::btree_map("[sl][0-2]", leaf, 0..4);
            let maps = proptest::collection::btree_map("m[0-2]", child, 0..3);
            (keys, maps)
                .prop_map(|(mut keys, maps)| {
                    for (key, value) in keys.iter_mut() {
                        // `l*` keys hold lists (or null), `s*` keys scalars.
                        if key.starts_with('l') && !value.is_array() && !value.is_null() {
                            *value = Value::Array(vec![value.clone()]);
                        } else if key.starts_with('s') && value.is_array() {
                            *value = Value::Null;
                        }
                    }
                    let mut map: Map<String, Value> = keys.into_iter().collect();
                    map.extend(maps);
                    Value::Object(map)
                })
                .boxed()
        }

        fn merged(base: &Value, over: &Value) -> Value {
            let mut out = base.clone();
            merge(&mut out, over);
            out
        }

        proptest! {
            #![proptest_config(ProptestConfig::with_cases(256))]

            /// Layers can be grouped either way: merging c over (b over a) equals merging
            /// (c over b) over a, as long as each key keeps its shape across layers (a key
            /// that is a map in one layer and a scalar in another is where it fails, which
            /// the schema rules out).
            #[test]
            fn merge_is_associative(a in spec(2), b in spec(2), c in spec(2)) {
                prop_assert_eq!(merged(&merged(&a, &b), &c), merged(&a, &merged(&b, &c)));
            }

            /// Merging a value over itself changes nothing, and applying one layer twice is
            /// the same as applying it once.
            #[test]
            fn merge_is_idempotent(a in spec(2), b in spec(2)) {
                prop_assert_eq!(&merged(&a, &a), &a);
                let once = merged(&a, &b);
                prop_assert_eq!(merged(&once, &b), once);
            }

            /// `null` (at the top or under any key) and absent keys leave the base as it is;
            /// an empty map changes nothing.
            #[test]
            fn null_and_absent_keys_leave_the_base(a in spec(2)) {
                prop_assert_eq!(&merged(&a, &Value::Null), &a);
                prop_assert_eq!(&merged(&a, &Value::Object(Map::new())), &a);
                if let Value::Object(map) = &a {
                    let nulls: Map<String, Value> =
                        map.keys().map(|k| (k.clone(), Value::Null)).collect();
                    prop_assert_eq!(&merged(&a, &Value::Object(nulls)), &a);
                }
            }

            /// What the top layer sets (not null) wins, whatever was below.
            #[test]
            fn the_top_layer_wins(a in spec(2), b in spec(2)) {
                let out = merged(&a, &b);
                if let (Value::Object(out), Value::Object(over)) = (&out, &b) {
                    for (key, value) in over {
                        if !value.is_null() && !value.is_object() {
                            prop_assert_eq!(out.get(key), Some(value));
                        }
                    }
                }
            }
        }
    }
}
