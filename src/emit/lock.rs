//! `tenantc.lock.json`: every file tenantc wrote, with its sha256. It is what makes tenantc
//! the owner of exactly those files.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The lock file's name inside the output directory.
pub const LOCK_FILE: &str = "tenantc.lock.json";

/// The lock's content.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lock {
    /// Always `tenantc`.
    pub generator: String,
    /// The lock format's version.
    pub version: u32,
    /// Each owned file's path and `sha256:<hex>` digest.
    pub files: BTreeMap<String, String>,
}

impl Lock {
    /// A lock of `files` (path → `sha256:` digest).
    pub fn new(files: BTreeMap<String, String>) -> Self {
        Self {
            generator: "tenantc".into(),
            version: 1,
            files,
        }
    }

    /// The lock as it is written.
    pub fn to_text(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).unwrap_or_default();
        text.push('\n');
        text
    }
}
