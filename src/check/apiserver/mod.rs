//! The API server's own validation, mirrored: the rules `kube-apiserver` applies beyond the
//! OpenAPI schemas, one file per kind, each rule naming the upstream function it mirrors
//! (`k8s.io/kubernetes` `pkg/apis/*/validation`, `k8s.io/apimachinery` `pkg/util/validation`).
//!
//! Two entry points:
//! - [`check_profile`] and [`check_tenant`] run in the check stage on the inputs, so each
//!   finding points at the tier or tenant line that caused it;
//! - [`check_object`] runs in `render` on every emitted tenant object, built-in or from an
//!   add-on template (the add-on's findings point at the template line), and [`check_json`]
//!   does the same for an object read back from `out/` (the tests run it on the example and
//!   every golden fixture).

pub mod configmap;
pub mod limitrange;
pub mod metadata;
pub mod networkpolicy;
pub mod poddisruptionbudget;
pub mod priorityclass;
pub mod rbac;
pub mod resourcequota;

use crate::diagnostics::{Diagnostics, codes::Code};
use crate::objects::Object;
use crate::resolve::{Profile, ResolvedTenant};

/// What the API server would say about one emitted object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The diagnostic code.
    pub code: Code,
    /// The field, as the API server names it (`spec.hard[request.cpu]`).
    pub field: String,
    /// Why it would be rejected.
    pub message: String,
    /// Text to look for in an add-on template to locate the finding (a key or field name).
    pub needle: Option<String>,
}

impl Finding {
    fn new(code: Code, field: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            code,
            field: field.into(),
            message: message.into(),
            needle: None,
        }
    }

    fn near(mut self, needle: impl Into<String>) -> Self {
        self.needle = Some(needle.into());
        self
    }
}

/// The input rules of one resolved profile (a tier, or a tenant with overrides): quota,
/// LimitRange, NetworkPolicy and PriorityClass.
pub fn check_profile(profile: &Profile, diags: &mut Diagnostics) {
    resourcequota::check_profile(profile, diags);
    limitrange::check_profile(profile, diags);
    networkpolicy::check_profile(profile, diags);
    priorityclass::check_profile(profile, diags);
}

/// The input rules of one tenant: its RoleBinding subjects.
pub fn check_tenant(tenant: &ResolvedTenant, diags: &mut Diagnostics) {
    rbac::check_tenant(tenant, diags);
}

/// Every rule that applies to one emitted object.
pub fn check_object(object: &Object) -> Vec<Finding> {
    let mut found = Vec::new();
    match object {
        Object::Namespace(o) => metadata::check("Namespace", &o.metadata, &mut found),
        Object::ResourceQuota(o) => {
            metadata::check("ResourceQuota", &o.metadata, &mut found);
            resourcequota::check_object(o, &mut found);
        }
        Object::LimitRange(o) => {
            metadata::check("LimitRange", &o.metadata, &mut found);
            limitrange::check_object(o, &mut found);
        }
        Object::NetworkPolicy(o) => {
            metadata::check("NetworkPolicy", &o.metadata, &mut found);
            networkpolicy::check_object(o, &mut found);
        }
        Object::Role(o) => metadata::check("Role", &o.metadata, &mut found),
        Object::RoleBinding(o) => {
            metadata::check("RoleBinding", &o.metadata, &mut found);
            rbac::check_object(o, &mut found);
        }
        Object::PriorityClass(o) => {
            metadata::check("PriorityClass", &o.metadata, &mut found);
            priorityclass::check_object(o, &mut found);
        }
        Object::ServiceAccount(o) => metadata::check("ServiceAccount", &o.metadata, &mut found),
        Object::Other(o) => check_body(&o.key.kind, &o.body, &mut found),
    }
    found
}

/// Every rule that applies to an object given as JSON (as read back from `out/`): the kinds
/// tenantc has a Rust type for are read into it and checked like [`check_object`].
pub fn check_json(body: &serde_json::Value) -> Result<Vec<Finding>, String> {
    let kind = body
        .get("kind")
        .and_then(|k| k.as_str())
        .unwrap_or_default();
    let typed = |r: Result<Object, serde_json::Error>| r.map_err(|e| format!("{kind}: {e}"));
    let object = match kind {
        "Namespace" => typed(serde_json::from_value(body.clone()).map(Object::Namespace))?,
        "ResourceQuota" => typed(serde_json::from_value(body.clone()).map(Object::ResourceQuota))?,
        "LimitRange" => typed(serde_json::from_value(body.clone()).map(Object::LimitRange))?,
        "NetworkPolicy" => typed(serde_json::from_value(body.clone()).map(Object::NetworkPolicy))?,
        "Role" => typed(serde_json::from_value(body.clone()).map(Object::Role))?,
        "RoleBinding" => typed(serde_json::from_value(body.clone()).map(Object::RoleBinding))?,
        "PriorityClass" => typed(serde_json::from_value(body.clone()).map(Object::PriorityClass))?,
        _ => {
            let mut found = Vec::new();
            check_body(kind, body, &mut found);
            return Ok(found);
        }
    };
    Ok(check_object(&object))
}

/// The rules of an object tenantc holds as JSON (add-on kinds and the CRD kinds).
fn check_body(kind: &str, body: &serde_json::Value, found: &mut Vec<Finding>) {
    metadata::check_json(kind, body, found);
    match kind {
        "ConfigMap" => configmap::check(body, found),
        "PodDisruptionBudget" => poddisruptionbudget::check(body, found),
        _ => {}
    }
}

/// Whether `name` is a qualified name (`IsQualifiedName` in apimachinery
/// `pkg/util/validation/validation.go`): an optional DNS-subdomain prefix and `/`, then 1 to
/// 63 alphanumerics, `-`, `_` or `.`, starting and ending alphanumeric.
pub fn is_qualified_name(name: &str) -> bool {
    !name.is_empty() && crate::model::label_key_problem(name).is_none()
}

/// `IsDNS1123Subdomain` in apimachinery `pkg/util/validation/validation.go`.
pub fn is_dns_subdomain(name: &str) -> bool {
    name.len() <= 253 && name.split('.').all(crate::model::is_dns_label)
}
