//! The kinds add-on templates may produce, each with its upstream JSON Schema (vendored under
//! `tests/upstream-schemas/`, see its README for sources and licences).
//!
//! Governance kinds (Namespace, ResourceQuota, LimitRange, NetworkPolicy, RBAC) are not on
//! the list: only tenantc's built-in rules produce those, so a template cannot loosen them.

use std::sync::OnceLock;

struct AddonKind {
    api_version: &'static str,
    kind: &'static str,
    schema: &'static str,
    /// CRD schemas do not restrict the top-level keys; check them here.
    crd: bool,
}

const KINDS: &[AddonKind] = &[
    AddonKind {
        api_version: "v1",
        kind: "ConfigMap",
        schema: include_str!("../../../tests/upstream-schemas/kubernetes/configmap.json"),
        crd: false,
    },
    AddonKind {
        api_version: "v1",
        kind: "ServiceAccount",
        schema: include_str!("../../../tests/upstream-schemas/kubernetes/serviceaccount.json"),
        crd: false,
    },
    AddonKind {
        api_version: "policy/v1",
        kind: "PodDisruptionBudget",
        schema: include_str!("../../../tests/upstream-schemas/kubernetes/poddisruptionbudget.json"),
        crd: false,
    },
    AddonKind {
        api_version: "monitoring.coreos.com/v1",
        kind: "ServiceMonitor",
        schema: include_str!(
            "../../../tests/upstream-schemas/crds/monitoring.coreos.com/servicemonitor_v1.json"
        ),
        crd: true,
    },
    AddonKind {
        api_version: "monitoring.coreos.com/v1",
        kind: "PrometheusRule",
        schema: include_str!(
            "../../../tests/upstream-schemas/crds/monitoring.coreos.com/prometheusrule_v1.json"
        ),
        crd: true,
    },
];

static VALIDATORS: [OnceLock<Option<jsonschema::Validator>>; KINDS.len()] =
    [const { OnceLock::new() }; KINDS.len()];

/// Which allowed kind an object is, or `None` for a kind templates may not produce.
pub fn lookup(api_version: &str, kind: &str) -> Option<usize> {
    KINDS
        .iter()
        .position(|k| k.api_version == api_version && k.kind == kind)
}

/// Checks an object of allowed kind `index` against its upstream schema.
pub fn validate(index: usize, object: &serde_json::Value) -> Result<(), String> {
    let spec = &KINDS[index];
    let validator = VALIDATORS[index]
        .get_or_init(|| {
            let schema: serde_json::Value = serde_json::from_str(spec.schema).ok()?;
            jsonschema::validator_for(&schema).ok()
        })
        .as_ref()
        .ok_or("internal error: the vendored schema does not load")?;
    let top_level = ["apiVersion", "kind", "metadata", "spec", "status"];
    let extra = object
        .as_object()
        .and_then(|map| map.keys().find(|k| !top_level.contains(&k.as_str())));
    if let Some(extra) = extra.filter(|_| spec.crd) {
        return Err(format!("unknown top-level field `{extra}`"));
    }
    let errors: Vec<String> = validator
        .iter_errors(object)
        .take(5)
        .map(|e| format!("at `{}`: {}", e.instance_path(), e.masked()))
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} `{}` does not match its schema: {}",
            spec.api_version,
            spec.kind,
            errors.join("; ")
        ))
    }
}

/// The allowed kinds, for error messages.
pub fn allowed() -> String {
    KINDS
        .iter()
        .map(|k| format!("{} {}", k.api_version, k.kind))
        .collect::<Vec<_>>()
        .join(", ")
}
