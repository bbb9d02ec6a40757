//! Source files and the YAML front end: reading YAML into plain values, and finding where a
//! value (named by a JSON pointer) sits in its file.
//!
//! Reading is the hot path, so it builds no position tree; positions are recovered only for
//! the few files a diagnostic points into, by re-reading that file into a spanned tree.

mod locate;
mod yaml;

pub use locate::{Position, Target, locate};
pub use yaml::{ParseError, ParseErrorKind, parse_document, parse_stream};

use std::collections::BTreeMap;
use std::sync::Arc;

/// Escapes a map key for use as one segment of a JSON pointer (`/` → `~1`, `~` → `~0`).
pub fn escape_segment(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// Reverses [`escape_segment`].
pub fn unescape_segment(segment: &str) -> String {
    segment.replace("~1", "/").replace("~0", "~")
}

/// One input file: its path relative to the repository (with `/` separators) and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SourceFile {
    /// The path relative to the repository root, such as `tenants/acme-corp.yaml`.
    pub path: String,
    /// The file's text.
    pub text: String,
}

/// Every source file of a run, by path, so diagnostics can show lines and locate values.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    files: BTreeMap<String, Arc<SourceFile>>,
}

impl SourceMap {
    /// Adds a file, replacing any earlier one with the same path.
    pub fn insert(&mut self, file: Arc<SourceFile>) {
        self.files.insert(file.path.clone(), file);
    }

    /// The file at `path`, if it was read.
    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path).map(|f| f.as_ref())
    }

    /// The text of line `line` (1-based) of `path`, without its line ending.
    pub fn line(&self, path: &str, line: usize) -> Option<&str> {
        let text = &self.get(path)?.text;
        text.split('\n')
            .nth(line.checked_sub(1)?)
            .map(|l| l.trim_end_matches('\r'))
    }
}
