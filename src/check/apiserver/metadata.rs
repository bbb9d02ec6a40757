//! Names per kind, labels and annotations: `ValidateObjectMeta` in apimachinery
//! `pkg/api/validation/objectmeta.go`, with the name rule each kind passes to it.

use super::{Finding, is_dns_subdomain, is_qualified_name};
use crate::diagnostics::codes;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// `TotalAnnotationSizeLimitB` in apimachinery `pkg/api/validation/objectmeta.go`.
pub const TOTAL_ANNOTATION_SIZE_LIMIT: usize = 256 * 1024;

/// Why `name` is not a valid name for an object of `kind`, if it is not.
///
/// - Namespace: `ValidateNamespaceName`, a DNS-1123 label (`IsDNS1123Label`);
/// - Role, RoleBinding, ClusterRole, ClusterRoleBinding: `ValidateRBACName`, a path segment
///   (`path.IsValidPathSegmentName`: not `.` or `..`, no `/` or `%`);
/// - every other kind tenantc emits (ResourceQuota, LimitRange, ServiceAccount, ConfigMap,
///   NetworkPolicy, PriorityClass, PodDisruptionBudget, custom resources):
///   `NameIsDNSSubdomain` (`IsDNS1123Subdomain`).
pub fn name_problem(kind: &str, name: &str) -> Option<&'static str> {
    if name.is_empty() {
        return Some("name or generateName is required");
    }
    match kind {
        "Namespace" => (!crate::model::is_dns_label(name)).then_some(
            "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (at most 63)",
        ),
        "Role" | "RoleBinding" | "ClusterRole" | "ClusterRoleBinding" => {
            (name == "." || name == ".." || name.contains(['/', '%']))
                .then_some("may not be '.' or '..' and may not contain '/' or '%'")
        }
        _ => (!is_dns_subdomain(name)).then_some(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (at most 253)",
        ),
    }
}

/// Label and annotation findings (`ValidateLabels`, `ValidateAnnotations`).
fn check_maps<'a>(
    labels: impl Iterator<Item = (&'a str, &'a str)>,
    annotations: impl Iterator<Item = (&'a str, &'a str)>,
    found: &mut Vec<Finding>,
) {
    for (key, value) in labels {
        // ValidateLabels: IsQualifiedName(key), IsValidLabelValue(value).
        if !is_qualified_name(key) {
            found.push(
                Finding::new(
                    codes::INVALID_METADATA,
                    format!("metadata.labels[{key}]"),
                    "a label key must be a qualified name",
                )
                .near(key),
            );
        }
        if let Some(why) = crate::model::label_value_problem(value) {
            found.push(
                Finding::new(
                    codes::INVALID_METADATA,
                    format!("metadata.labels[{key}]"),
                    format!("invalid label value: {why}"),
                )
                .near(key),
            );
        }
    }
    let mut total = 0;
    for (key, value) in annotations {
        // ValidateAnnotations: IsQualifiedName(strings.ToLower(k)), total size ≤ 256 KiB.
        if !is_qualified_name(&key.to_ascii_lowercase()) {
            found.push(
                Finding::new(
                    codes::INVALID_METADATA,
                    format!("metadata.annotations[{key}]"),
                    "an annotation key must be a qualified name",
                )
                .near(key),
            );
        }
        total += key.len() + value.len();
    }
    if total > TOTAL_ANNOTATION_SIZE_LIMIT {
        found.push(Finding::new(codes::INVALID_METADATA, "metadata.annotations", format!("Too long: may not be more than {TOTAL_ANNOTATION_SIZE_LIMIT} bytes (is {total})")).near("annotations"));
    }
}

fn pairs(map: &Option<BTreeMap<String, String>>) -> impl Iterator<Item = (&str, &str)> {
    map.iter().flatten().map(|(k, v)| (k.as_str(), v.as_str()))
}

/// The name rule of a kind (E0430).
fn check_name(kind: &str, name: &str, found: &mut Vec<Finding>) {
    if let Some(why) = name_problem(kind, name) {
        found.push(
            Finding::new(
                codes::INVALID_OBJECT_NAME,
                "metadata.name",
                format!("`{name}`: {why}"),
            )
            .near("name"),
        );
    }
}

/// The rules of a typed object's metadata (E0430, E0431).
pub fn check(kind: &str, meta: &ObjectMeta, found: &mut Vec<Finding>) {
    let name = meta.name.as_deref().unwrap_or_default();
    check_name(kind, name, found);
    check_maps(pairs(&meta.labels), pairs(&meta.annotations), found);
}

/// The rules of an object's metadata given as JSON (E0430, E0431).
pub fn check_json(kind: &str, body: &serde_json::Value, found: &mut Vec<Finding>) {
    let meta = body.get("metadata");
    let name = meta
        .and_then(|m| m.get("name"))
        .and_then(|n| n.as_str())
        .unwrap_or_default();
    check_name(kind, name, found);
    let pairs = |field: &str| {
        meta.and_then(|m| m.get(field))
            .and_then(|m| m.as_object())
            .into_iter()
            .flatten()
            .map(|(k, v)| (k.as_str(), v.as_str().unwrap_or_default()))
            .collect::<Vec<_>>()
    };
    check_maps(
        pairs("labels").into_iter(),
        pairs("annotations").into_iter(),
        found,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_per_kind() {
        assert!(name_problem("Namespace", "tenant-a").is_none());
        assert!(name_problem("Namespace", "tenant.a").is_some());
        assert!(name_problem("ConfigMap", "tenant.a").is_none());
        assert!(name_problem("ConfigMap", "Tenant").is_some());
        assert!(name_problem("Role", "tenant:admin").is_none());
        assert!(name_problem("Role", "a/b").is_some());
        assert!(name_problem("Role", "..").is_some());
        assert!(name_problem("PriorityClass", "").is_some());
    }

    #[test]
    fn annotation_size() {
        let big = "x".repeat(TOTAL_ANNOTATION_SIZE_LIMIT);
        let mut found = Vec::new();
        check_maps(
            std::iter::empty(),
            [("a", big.as_str())].into_iter(),
            &mut found,
        );
        assert_eq!(found.len(), 1);
        let mut found = Vec::new();
        check_maps(
            [("a b", "x")].into_iter(),
            [("Example.com/A", "x")].into_iter(),
            &mut found,
        );
        assert_eq!(found.len(), 1, "{found:?}");
    }
}
