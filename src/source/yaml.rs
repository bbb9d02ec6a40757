//! Reads one YAML document into a `serde_json::Value`, with the limits hostile input needs.

use serde_saphyr::{Budget, Options};

/// Why a YAML file could not be read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// What went wrong.
    pub kind: ParseErrorKind,
    /// A one-line description.
    pub message: String,
    /// 1-based line and column, when the parser knows them.
    pub position: Option<(usize, usize)>,
}

/// The kinds of YAML failure, each with its own diagnostic code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ParseErrorKind {
    /// Not well-formed YAML.
    Syntax,
    /// The same key twice in one mapping.
    DuplicateKey,
    /// Too many aliases, nodes or nesting levels.
    Budget,
    /// No document, or only a null one.
    Empty,
    /// More than one document in the file.
    MultipleDocuments,
}

/// The deepest nesting accepted; real documents need fewer than 20 levels.
pub const MAX_DEPTH: usize = 64;

fn options() -> Options {
    let mut budget = Budget::default();
    budget.max_depth = MAX_DEPTH;
    budget.max_aliases = 1_000;
    budget.max_anchors = 1_000;
    budget.max_documents = 2;
    budget.max_nodes = 250_000;
    serde_saphyr::options! {
        strict_booleans: true,
        leading_zero_numbers_as_strings: true,
        budget: Some(budget),
        with_snippet: false,
    }
}

/// Parses the single YAML document of a file into a JSON value.
///
/// Duplicate keys, alias bombs and excessive nesting are errors; an empty file is an error.
pub fn parse_document(text: &str) -> Result<serde_json::Value, ParseError> {
    // A separator line would bring in serde-saphyr's limit on documents per file.
    let single = !text.starts_with("---") && !text.contains("\n---");
    if single
        && let Some(mut docs) = plain(text)
        && docs.len() == 1
    {
        return Ok(docs.remove(0));
    }
    let mut docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple_with_options(text, options()).map_err(|e| classify(&e))?;
    docs.retain(|d| !d.is_null());
    match docs.len() {
        0 => Err(ParseError {
            kind: ParseErrorKind::Empty,
            message: String::new(),
            position: None,
        }),
        1 => Ok(docs.pop().unwrap_or_default()),
        _ => Err(ParseError {
            kind: ParseErrorKind::MultipleDocuments,
            message: String::new(),
            position: None,
        }),
    }
}

/// Parses a YAML stream (such as a template's output) into its non-null documents.
pub fn parse_stream(text: &str) -> Result<Vec<serde_json::Value>, ParseError> {
    match plain(text) {
        Some(docs) => Ok(docs),
        None => parse_stream_with_saphyr(text),
    }
}

/// Texts larger than this, or with more documents, always go to serde-saphyr and its limits.
const PLAIN_MAX_BYTES: usize = 64 * 1024;
const PLAIN_MAX_DOCUMENTS: usize = 100;

/// `plain_yaml::parse_stream` for small texts; in debug builds (the tests, the fuzzers) every
/// text it reads is also read by serde-saphyr, and the two must agree.
fn plain(text: &str) -> Option<Vec<serde_json::Value>> {
    if text.len() > PLAIN_MAX_BYTES || text.matches("\n---").count() >= PLAIN_MAX_DOCUMENTS {
        return None;
    }
    let docs = super::plain_yaml::parse_stream(text)?;
    #[cfg(debug_assertions)]
    assert_eq!(
        Ok(&docs),
        parse_stream_with_saphyr(text).as_ref(),
        "the plain YAML reader disagrees with serde-saphyr on {text:?}"
    );
    Some(docs)
}

/// [`parse_stream`] by serde-saphyr alone.
pub(crate) fn parse_stream_with_saphyr(text: &str) -> Result<Vec<serde_json::Value>, ParseError> {
    let mut opts = options();
    if let Some(budget) = opts.budget.as_mut() {
        budget.max_documents = 1_000;
    }
    let mut docs: Vec<serde_json::Value> =
        serde_saphyr::from_str_multiple_with_options(text, opts).map_err(|e| classify(&e))?;
    docs.retain(|d| !d.is_null());
    Ok(docs)
}

fn classify(error: &serde_saphyr::Error) -> ParseError {
    let position = error
        .location()
        .filter(|l| l.line() > 0)
        .map(|l| (l.line() as usize, l.column().max(1) as usize));
    let full = error.without_snippet().to_string();
    let first = full.lines().next().unwrap_or("invalid YAML").trim();
    // The position is shown separately; drop the parser's own " at line N, column M".
    let first = first.split(" at line ").next().unwrap_or(first).trim();
    let lower = first.to_lowercase();
    let (kind, message) = if let Some(rest) = first.strip_prefix("duplicate mapping key: ") {
        let key = rest
            .split(", set DuplicateKeyPolicy")
            .next()
            .unwrap_or(rest);
        (
            ParseErrorKind::DuplicateKey,
            format!("`{key}` appears again in this mapping"),
        )
    } else if lower.contains("duplicate") {
        (
            ParseErrorKind::DuplicateKey,
            "a key appears twice in this mapping".to_string(),
        )
    } else if lower.contains("budget") || lower.contains("recursion limit") {
        let message = if lower.contains("depth") || lower.contains("recursion") {
            format!("nested deeper than {MAX_DEPTH} levels")
        } else if lower.contains("documents") {
            return ParseError {
                kind: ParseErrorKind::MultipleDocuments,
                message: String::new(),
                position,
            };
        } else if lower.contains("alias") || lower.contains("anchor") {
            "too many aliases or anchors".to_string()
        } else {
            "aliases expand to too many nodes".to_string()
        };
        (ParseErrorKind::Budget, message)
    } else {
        (ParseErrorKind::Syntax, first.to_string())
    };
    ParseError {
        kind,
        message,
        position,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_mapping() {
        let v = parse_document("a: 1\nb: [x, no]\nc: 0800\n").unwrap();
        assert_eq!(
            v,
            serde_json::json!({"a": 1, "b": ["x", "no"], "c": "0800"})
        );
    }

    #[test]
    fn rejects_duplicate_keys() {
        let e = parse_document("a: 1\nb: 2\na: 3\n").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::DuplicateKey, "{e:?}");
        assert_eq!(e.position.map(|p| p.0), Some(3));
    }

    #[test]
    fn rejects_alias_bombs() {
        let mut text = String::from("a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n");
        for i in 1..12 {
            let p = i - 1;
            text.push_str(&format!(
                "a{i}: &a{i} [*a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}, *a{p}]\n"
            ));
        }
        let e = parse_document(&text).unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Budget, "{e:?}");
    }

    #[test]
    fn rejects_deep_nesting() {
        let text = format!("{}{}", "[".repeat(500), "]".repeat(500));
        assert_eq!(
            parse_document(&text).unwrap_err().kind,
            ParseErrorKind::Budget
        );
    }

    #[test]
    fn rejects_empty_and_syntax_errors() {
        assert_eq!(parse_document("").unwrap_err().kind, ParseErrorKind::Empty);
        assert_eq!(
            parse_document("# only\n").unwrap_err().kind,
            ParseErrorKind::Empty
        );
        let e = parse_document("a: [1, 2\nb: 3\n").unwrap_err();
        assert_eq!(e.kind, ParseErrorKind::Syntax);
        assert!(e.position.is_some());
    }
}
