//! JSON Schema validation of input documents, with every error mapped to a located diagnostic.

use crate::diagnostics::{Code, Diagnostic, Label, codes};
use crate::model::{DNS_LABEL_PATTERN, Platform, Tenant, Tier};
use jsonschema::error::ValidationErrorKind;
use schemars::JsonSchema;
use std::sync::OnceLock;

/// The three input kinds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// `platform.yaml`.
    Platform,
    /// `tiers/*.yaml`.
    Tier,
    /// `tenants/**/*.yaml`.
    Tenant,
}

impl Kind {
    /// The `kind:` value of documents of this kind.
    pub fn name(self) -> &'static str {
        match self {
            Kind::Platform => "Platform",
            Kind::Tier => "Tier",
            Kind::Tenant => "Tenant",
        }
    }

    /// The JSON Schema of this kind, as `tenantc schema` writes it.
    pub fn schema(self) -> serde_json::Value {
        match self {
            Kind::Platform => schema_of::<Platform>(),
            Kind::Tier => schema_of::<Tier>(),
            Kind::Tenant => schema_of::<Tenant>(),
        }
    }

    /// The schema of this kind, built once: unknown-field errors look up the fields a
    /// mapping has, to suggest the one meant.
    fn schema_value(self) -> &'static serde_json::Value {
        static SCHEMAS: [OnceLock<serde_json::Value>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        SCHEMAS[self as usize].get_or_init(|| self.schema())
    }

    fn validator(self) -> &'static jsonschema::Validator {
        static VALIDATORS: [OnceLock<jsonschema::Validator>; 3] =
            [OnceLock::new(), OnceLock::new(), OnceLock::new()];
        VALIDATORS[self as usize].get_or_init(|| {
            jsonschema::validator_for(self.schema_value()).expect("the derived schemas are valid")
        })
    }
}

fn schema_of<T: JsonSchema>() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft2020_12()
        .into_generator()
        .into_root_schema_for::<T>();
    schema.to_value()
}

/// Validates `value` against the schema of `kind` and reports every violation at its place
/// in `file` (E0201–E0204, E0207).
pub fn check(kind: Kind, file: &str, value: &serde_json::Value) -> Vec<Diagnostic> {
    let mut found: Vec<Diagnostic> = kind
        .validator()
        .iter_errors(value)
        .map(|e| {
            let described = e.to_string();
            let found = to_diagnostic(
                file,
                e.instance_path().as_str(),
                e.kind(),
                e.instance(),
                &described,
            );
            let meant = match e.kind() {
                ValidationErrorKind::AdditionalProperties { unexpected } => unexpected
                    .first()
                    .and_then(|name| closest_field(kind, e.schema_path().as_str(), name)),
                _ => None,
            };
            match meant {
                Some(meant) => found.help(format!("did you mean `{meant}`?")),
                None => found,
            }
        })
        .collect();
    // `anyOf`/`oneOf` failures repeat what their branches say; keep the most precise first.
    found.sort();
    found.dedup();
    found
}

/// `described` is the validator's own sentence for the error, the last resort for kinds
/// without a message of their own here.
fn to_diagnostic(
    file: &str,
    pointer: &str,
    kind: &ValidationErrorKind,
    instance: &serde_json::Value,
    described: &str,
) -> Diagnostic {
    // A list item is named by its list and index (`ports[0]`), not by the index alone.
    let mut segments = pointer.rsplit('/');
    let last = crate::source::unescape_segment(segments.next().unwrap_or(""));
    let field = match segments.next() {
        Some(list) if !last.is_empty() && last.bytes().all(|b| b.is_ascii_digit()) => {
            format!("{}[{last}]", crate::source::unescape_segment(list))
        }
        _ => last.to_string(),
    };
    let shown = short(instance);
    if pointer.is_empty() && !instance.is_object() {
        return Diagnostic::new(codes::WRONG_TYPE, "the document must be a mapping")
            .at(Label::value(file, pointer, format!("found {}", json_type(instance))))
            .help("start from an example: `apiVersion`, `kind`, `metadata` and `spec` at the top level");
    }
    let (code, message, label): (Code, String, Label) = match kind {
        ValidationErrorKind::AdditionalProperties { unexpected }
        | ValidationErrorKind::UnevaluatedProperties { unexpected } => {
            let name = unexpected.first().cloned().unwrap_or_default();
            let escaped = crate::source::escape_segment(&name);
            (
                codes::UNKNOWN_FIELD,
                format!("unknown field `{name}`"),
                Label::key(file, format!("{pointer}/{escaped}"), "not a field here"),
            )
        }
        ValidationErrorKind::Required { property } => {
            let name = property.as_str().unwrap_or_default();
            // Point at the key of the mapping that lacks the field (at the top, its start).
            let label = if pointer.is_empty() {
                Label::value(file, pointer, format!("`{name}` is required here"))
            } else {
                Label::key(file, pointer, format!("`{name}` is required here"))
            };
            (
                codes::MISSING_FIELD,
                format!("missing field `{name}`"),
                label,
            )
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }
            if constants(context).is_some() =>
        {
            let options = constants(context).unwrap_or_default();
            (
                codes::INVALID_VALUE,
                format!("{shown} is not a valid `{field}`"),
                Label::value(file, pointer, format!("expected one of {options}")),
            )
        }
        ValidationErrorKind::OneOfNotValid { context } | ValidationErrorKind::AnyOf { context }
            if branch_types(context).is_some() =>
        {
            let types = branch_types(context).unwrap_or_default();
            (
                codes::WRONG_TYPE,
                format!("`{field}` has the wrong type"),
                Label::value(
                    file,
                    pointer,
                    format!("expected {types}, found {}", json_type(instance)),
                ),
            )
        }
        ValidationErrorKind::Type { kind } => (
            codes::WRONG_TYPE,
            format!("`{field}` has the wrong type"),
            Label::value(
                file,
                pointer,
                format!(
                    "expected {}, found {}",
                    type_words(kind),
                    json_type(instance)
                ),
            ),
        ),
        ValidationErrorKind::Pattern { pattern } if pattern == DNS_LABEL_PATTERN => (
            codes::INVALID_NAME,
            format!("{shown} is not a valid name"),
            Label::value(
                file,
                pointer,
                "expected a DNS-1123 label: lower-case letters, digits and `-`, at most 63 characters",
            ),
        ),
        ValidationErrorKind::Enum { options } => (
            codes::INVALID_VALUE,
            format!("{shown} is not a valid `{field}`"),
            Label::value(file, pointer, format!("expected one of {}", list(options))),
        ),
        ValidationErrorKind::Constant { expected_value } => (
            codes::INVALID_VALUE,
            format!("{shown} is not a valid `{field}`"),
            Label::value(file, pointer, format!("expected {expected_value}")),
        ),
        ValidationErrorKind::Pattern { pattern } => (
            codes::INVALID_VALUE,
            format!("{shown} is not a valid `{field}`"),
            Label::value(
                file,
                pointer,
                format!("expected a value matching `{pattern}`"),
            ),
        ),
        ValidationErrorKind::Minimum { limit }
        | ValidationErrorKind::ExclusiveMinimum { limit } => (
            codes::INVALID_VALUE,
            format!("`{field}` is too small"),
            Label::value(file, pointer, format!("expected at least {limit}")),
        ),
        ValidationErrorKind::Maximum { limit }
        | ValidationErrorKind::ExclusiveMaximum { limit } => (
            codes::INVALID_VALUE,
            format!("`{field}` is too large"),
            Label::value(file, pointer, format!("expected at most {limit}")),
        ),
        ValidationErrorKind::MinItems { limit } => (
            codes::INVALID_VALUE,
            format!("`{field}` has too few items"),
            Label::value(file, pointer, format!("expected at least {limit}")),
        ),
        _ => (
            codes::INVALID_VALUE,
            format!("`{field}` is not valid"),
            Label::value(file, pointer, short_sentence(described)),
        ),
    };
    let diagnostic = Diagnostic::new(code, message).at(label);
    // `ports: [8080]`, `version: 1.30`: YAML reads a bare number as a number.
    let wants_string = matches!(
        kind,
        ValidationErrorKind::Type {
            kind: jsonschema::error::TypeKind::Single(jsonschema::JsonType::String)
        }
    );
    if wants_string && (instance.is_number() || instance.is_boolean()) {
        return diagnostic.help(format!("quote it to make it a string: \"{instance}\""));
    }
    diagnostic
}

/// When every branch of a `oneOf`/`anyOf` failed on a `const` (a documented enum), the
/// allowed values, listed.
fn constants(context: &[Vec<jsonschema::ValidationError<'static>>]) -> Option<String> {
    let mut values = Vec::new();
    for branch in context {
        for error in branch {
            match error.kind() {
                ValidationErrorKind::Constant { expected_value } => {
                    values.push(list(&serde_json::Value::Array(vec![
                        expected_value.as_ref().clone(),
                    ])))
                }
                ValidationErrorKind::Enum { options } => values.push(list(options)),
                _ => return None,
            }
        }
    }
    (!values.is_empty()).then(|| values.join(", "))
}

/// The field of the mapping at `schema_path` (an `additionalProperties` keyword's location)
/// that `unknown` is most likely a misspelling of: the same but for case, `-` and `_`, or at
/// most two edits away (one for short names).
fn closest_field(kind: Kind, schema_path: &str, unknown: &str) -> Option<String> {
    let mapping = schema_path.strip_suffix("/additionalProperties")?;
    let fields = kind
        .schema_value()
        .pointer(mapping)?
        .get("properties")?
        .as_object()?;
    let plain = |s: &str| s.to_lowercase().replace(['-', '_'], "");
    let limit = if unknown.chars().count() <= 4 { 1 } else { 2 };
    fields
        .keys()
        .map(|field| {
            let distance = if plain(field) == plain(unknown) {
                0
            } else {
                edit_distance(field, unknown)
            };
            (distance, field)
        })
        .filter(|(distance, _)| *distance <= limit)
        .min()
        .map(|(_, field)| field.clone())
}

/// Levenshtein distance, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substituted = diagonal + usize::from(ca != *cb);
            diagonal = row[j + 1];
            row[j + 1] = substituted.min(row[j] + 1).min(row[j + 1] + 1);
        }
    }
    row[b.len()]
}

/// When every branch of a `oneOf`/`anyOf` failed on its type (a quantity is a string or an
/// integer, and `null` or a list is neither), the accepted types, in words.
fn branch_types(context: &[Vec<jsonschema::ValidationError<'static>>]) -> Option<String> {
    let mut types: Vec<String> = Vec::new();
    for error in context.iter().flatten() {
        let ValidationErrorKind::Type { kind } = error.kind() else {
            return None;
        };
        let words = type_words(kind);
        if !types.contains(&words) {
            types.push(words);
        }
    }
    (!types.is_empty()).then(|| types.join(" or "))
}

/// The validator's sentence, cut to fit a label.
fn short_sentence(text: &str) -> String {
    let mut cut: String = text.chars().take(120).collect();
    if text.chars().count() > 120 {
        cut.push('…');
    }
    cut
}

fn short(value: &serde_json::Value) -> String {
    let text = match value {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    };
    let mut cut: String = text.chars().take(60).collect();
    if text.chars().count() > 60 {
        cut.push('…');
    }
    format!("`{cut}`")
}

fn list(options: &serde_json::Value) -> String {
    match options {
        serde_json::Value::Array(items) => items
            .iter()
            .map(|i| {
                format!(
                    "`{}`",
                    i.as_str().map_or_else(|| i.to_string(), str::to_owned)
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
        other => other.to_string(),
    }
}

fn json_type(value: &serde_json::Value) -> &'static str {
    match value {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "a boolean",
        serde_json::Value::Number(_) => "a number",
        serde_json::Value::String(_) => "a string",
        serde_json::Value::Array(_) => "a list",
        serde_json::Value::Object(_) => "a mapping",
    }
}

fn type_words(kind: &jsonschema::error::TypeKind) -> String {
    let word = |t: &jsonschema::JsonType| match t.to_string().as_str() {
        "object" => "a mapping".to_string(),
        "array" => "a list".to_string(),
        "integer" => "an integer".to_string(),
        "boolean" => "a boolean".to_string(),
        other => format!("a {other}"),
    };
    match kind {
        jsonschema::error::TypeKind::Single(t) => word(t),
        jsonschema::error::TypeKind::Multiple(set) => set
            .iter()
            .map(|t| word(&t))
            .collect::<Vec<_>>()
            .join(" or "),
    }
}
