//! Pieces shared by the three document kinds.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A DNS-1123 label: lower-case alphanumerics and `-`, starting and ending alphanumeric.
///
/// Names become namespace names, file names and object names, so the pattern is enforced
/// before any name reaches a path.
pub const DNS_LABEL_PATTERN: &str = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

/// Whether `s` is a DNS-1123 label (at most 63 characters).
pub fn is_dns_label(s: &str) -> bool {
    let b = s.as_bytes();
    !b.is_empty()
        && b.len() <= 63
        && b[0].is_ascii_alphanumeric()
        && b[b.len() - 1].is_ascii_alphanumeric()
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
}

/// The `apiVersion` of every input document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ApiVersion {
    /// The only version so far.
    #[default]
    #[serde(rename = "tenantc.dev/v1alpha1")]
    V1Alpha1,
}

/// Object metadata, as in Kubernetes; only the name is used.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct Metadata {
    /// The document's name: a DNS-1123 label. For a tenant or tier it must equal the file
    /// name without `.yaml`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
}

/// A map of Kubernetes label keys to values.
pub type Labels = BTreeMap<String, String>;

/// Why a label key or value would be rejected by Kubernetes, if it would.
pub fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, key),
    };
    if let Some(prefix) = prefix {
        let ok = !prefix.is_empty() && prefix.len() <= 253 && prefix.split('.').all(is_dns_label);
        if !ok {
            return Some("the prefix must be a DNS subdomain such as `example.com`");
        }
    }
    if name.is_empty() || name.len() > 63 {
        return Some("the name part must be 1 to 63 characters");
    }
    label_value_problem(name)
}

/// Why a label value would be rejected by Kubernetes, if it would.
pub fn label_value_problem(value: &str) -> Option<&'static str> {
    let b = value.as_bytes();
    if b.is_empty() {
        return None;
    }
    if b.len() > 63 {
        return Some("at most 63 characters");
    }
    let inner = |c: &u8| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.');
    if !b[0].is_ascii_alphanumeric()
        || !b[b.len() - 1].is_ascii_alphanumeric()
        || !b.iter().all(inner)
    {
        return Some(
            "letters, digits, `-`, `_` and `.`, starting and ending with a letter or digit",
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dns_labels() {
        assert!(is_dns_label("acme-corp"));
        assert!(is_dns_label("a1"));
        for bad in [
            "",
            "Acme",
            "-a",
            "a-",
            "a..b",
            "../x",
            "a/b",
            "a_b",
            &"a".repeat(64),
        ] {
            assert!(!is_dns_label(bad), "{bad}");
        }
    }

    #[test]
    fn label_keys_and_values() {
        assert_eq!(label_key_problem("team"), None);
        assert_eq!(label_key_problem("tenantc.dev/tenant"), None);
        assert!(label_key_problem("Bad Key").is_some());
        assert!(label_key_problem("-x").is_some());
        assert!(label_key_problem("UPPER.example/x").is_some());
        assert_eq!(label_value_problem(""), None);
        assert_eq!(label_value_problem("ML_platform.v2"), None);
        assert!(label_value_problem("a b").is_some());
        assert!(label_value_problem(&"x".repeat(64)).is_some());
    }
}
