//! The one YAML writer and the one JSON writer of output files.

use crate::objects::{FileContent, Object, OutputTree};
use rayon::prelude::*;
use std::collections::BTreeMap;

/// Serializes every file of the tree, in parallel; the result is the same for any thread
/// count.
pub fn serialize(tree: &OutputTree) -> BTreeMap<String, String> {
    let files: Vec<(&String, &FileContent)> = tree.files.iter().collect();
    files
        .par_iter()
        .map(|(path, content)| ((*path).clone(), serialize_file(content)))
        .collect::<Vec<_>>()
        .into_iter()
        .collect()
}

/// Serializes one file's content.
pub fn serialize_file(content: &FileContent) -> String {
    match content {
        FileContent::Yaml(objects) => yaml_stream(objects),
        FileContent::Json(value) => json(value),
    }
}

/// A YAML stream: each object a block-style document, separated by `---` lines, `\n`
/// endings and a final newline.
pub fn yaml_stream(objects: &[Object]) -> String {
    let mut out = String::with_capacity(objects.len() * 1024);
    for (i, object) in objects.iter().enumerate() {
        if i > 0 {
            out.push_str("---\n");
        }
        // The fast writer handles the shapes tenantc emits; serde-saphyr the rest. Typed
        // values cannot fail to serialize: no maps with non-string keys, no NaN.
        if !super::yaml::write_yaml(object, &mut out) {
            let text = serde_saphyr::to_string_with_options(object, super::yaml::saphyr_options())
                .unwrap_or_else(|e| format!("# tenantc could not serialize this object: {e}\n"));
            out.push_str(&text);
        }
        if !out.ends_with('\n') {
            out.push('\n');
        }
    }
    out
}

/// Pretty JSON with sorted keys and a final newline.
pub fn json(value: &serde_json::Value) -> String {
    let mut text = serde_json::to_string_pretty(value).unwrap_or_default();
    text.push('\n');
    text
}
