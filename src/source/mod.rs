//! Source files and the YAML front end: reading YAML into plain values, and finding where a
//! value (named by a JSON pointer) sits in its file.
//!
//! Reading is the hot path, so it builds no position tree; positions are recovered only for
//! the few files a diagnostic points into, by re-reading that file into a spanned tree.

mod locate;
mod plain_yaml;
mod yaml;

pub use locate::{Position, Target, locate};
pub use plain_yaml::is_plain_word;
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

    /// Every file, by path.
    pub fn iter(&self) -> impl Iterator<Item = &SourceFile> {
        self.files.values().map(|f| f.as_ref())
    }

    /// The file at `path`, if it was read.
    pub fn get(&self, path: &str) -> Option<&SourceFile> {
        self.files.get(path).map(|f| f.as_ref())
    }

    /// The text of line `line` (1-based) of `path`, without its line ending. Lines end as
    /// YAML ends them, at `\n`, `\r\n` or a lone `\r`, so that the parser's line numbers
    /// and the lines shown agree.
    pub fn line(&self, path: &str, line: usize) -> Option<&str> {
        if line == 0 {
            return None;
        }
        let mut rest = self.get(path)?.text.as_str();
        for _ in 1..line {
            let end = rest.find(['\n', '\r'])?;
            let skip = if rest[end..].starts_with("\r\n") {
                2
            } else {
                1
            };
            rest = &rest[end + skip..];
        }
        Some(&rest[..rest.find(['\n', '\r']).unwrap_or(rest.len())])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_end_as_yaml_ends_them() {
        let mut map = SourceMap::default();
        for (path, text) in [("lf", "a\nb\n"), ("crlf", "a\r\nb\r\n"), ("cr", "a\rb\r")] {
            map.insert(Arc::new(SourceFile {
                path: path.into(),
                text: text.into(),
            }));
            assert_eq!(map.line(path, 0), None, "{path}");
            assert_eq!(map.line(path, 1), Some("a"), "{path}");
            assert_eq!(map.line(path, 2), Some("b"), "{path}");
            assert_eq!(map.line(path, 3), Some(""), "{path}");
            assert_eq!(map.line(path, 4), None, "{path}");
        }
    }
}
