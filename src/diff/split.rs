//! Splits the files of one side into objects: rendered files from their typed objects,
//! other YAML files by parsing their streams back (off the hot path: only files that differ),
//! anything else as one unit per file.

use super::{Side, Unit};
use crate::emit::yaml_stream;
use crate::objects::{FileContent, Object, ObjectKey, OtherObject};
use crate::source::parse_stream;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The objects of the files `paths` of `side`, by key. When two objects share a key (only
/// possible in a hand-edited directory), the first one in path order is kept.
pub(super) fn units(side: &Side<'_>, paths: &[&str]) -> BTreeMap<ObjectKey, Unit> {
    let parts: Vec<Vec<Unit>> = paths
        .par_iter()
        .filter_map(|path| {
            let text = side.files.get(path)?;
            let rendered = side.tree.and_then(|t| t.files.get(*path));
            Some(match rendered {
                Some(FileContent::Yaml(objects)) => objects
                    .iter()
                    .map(|o| {
                        let key = o.key();
                        // Only objects with an immutable-field rule need their value.
                        let value = super::immutable::watched(&key)
                            .then(|| serde_json::to_value(o).ok())
                            .flatten();
                        Unit {
                            key,
                            file: path.to_string(),
                            text: yaml_stream(std::slice::from_ref(o)),
                            value,
                        }
                    })
                    .collect(),
                Some(FileContent::Json(_)) => vec![file_unit(path, text)],
                None => parse_file(path, text),
            })
        })
        .collect();
    let mut units = BTreeMap::new();
    for unit in parts.into_iter().flatten() {
        units.entry(unit.key.clone()).or_insert(unit);
    }
    units
}

/// A file compared as a whole: kind `File`, named by its path.
fn file_unit(path: &str, text: &str) -> Unit {
    Unit {
        key: ObjectKey {
            api_version: String::new(),
            kind: "File".into(),
            namespace: String::new(),
            name: path.to_string(),
        },
        file: path.to_string(),
        text: text.to_string(),
        value: None,
    }
}

/// Parses a YAML stream back into objects, each written out again by the one YAML writer so
/// that texts from either side compare equal exactly when the objects are equal. A file
/// that is not a stream of Kubernetes objects is one unit.
fn parse_file(path: &str, text: &str) -> Vec<Unit> {
    if !path.ends_with(".yaml") && !path.ends_with(".yml") {
        return vec![file_unit(path, text)];
    }
    let Ok(docs) = parse_stream(text) else {
        return vec![file_unit(path, text)];
    };
    let mut units = Vec::with_capacity(docs.len());
    for body in docs {
        let Some(key) = key_of(&body) else {
            return vec![file_unit(path, text)];
        };
        let value = body.clone();
        let object = Object::Other(OtherObject {
            key: key.clone(),
            body,
        });
        units.push(Unit {
            key,
            file: path.to_string(),
            text: yaml_stream(std::slice::from_ref(&object)),
            value: Some(value),
        });
    }
    units
}

/// apiVersion, kind, namespace and name of a parsed object; `None` when it has no
/// apiVersion, kind or name.
fn key_of(body: &serde_json::Value) -> Option<ObjectKey> {
    let text = |pointer: &str| body.pointer(pointer).and_then(|v| v.as_str());
    Some(ObjectKey {
        api_version: text("/apiVersion")?.to_string(),
        kind: text("/kind")?.to_string(),
        namespace: text("/metadata/namespace").unwrap_or("").to_string(),
        name: text("/metadata/name")?.to_string(),
    })
}
