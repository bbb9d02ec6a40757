//! The ValidatingAdmissionPolicy form of the admission policies (platform.yaml
//! `spec.admission.engine: validatingAdmissionPolicy`, the default): one policy and one
//! binding of the same name per [`Policy`], `admissionregistration.k8s.io/v1`, GA since
//! Kubernetes 1.30. The API server evaluates them itself, so no controller has to run.

use super::{Policy, metadata, named, object, tenant_namespaces};
use crate::objects::Object;
use serde_json::{Value, json};

/// The API version of the policies and bindings (GA since Kubernetes 1.30).
const API_VERSION: &str = "admissionregistration.k8s.io/v1";

/// Each policy, preceded by its binding.
pub(super) fn objects(policies: impl IntoIterator<Item = Policy>) -> Vec<Object> {
    policies
        .into_iter()
        .flat_map(|policy| [binding(policy.name), validating_policy(policy)])
        .collect()
}

/// The policy: fails closed (`failurePolicy: Fail`), so an expression that errors denies.
fn validating_policy(policy: Policy) -> Object {
    let mut spec = json!({
        "failurePolicy": "Fail",
        "matchConstraints": {
            // The bindings select tenant namespaces too; selecting them here as well keeps a
            // hand-made binding from applying tenant rules to kube-system.
            "namespaceSelector": tenant_namespaces(),
            "resourceRules": [{
                "apiGroups": [""],
                "apiVersions": ["v1"],
                "operations": policy.operations,
                "resources": [policy.resource.plural()],
            }],
        },
        "variables": named(&policy.variables),
        "validations": policy.validations.iter().map(|v| v.to_json()).collect::<Vec<Value>>(),
    });
    if !policy.match_conditions.is_empty() {
        spec["matchConditions"] = named(&policy.match_conditions);
    }
    let body = json!({
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata(policy.name, &[("tenantc.dev/description", policy.description)]),
        "spec": spec,
    });
    object(API_VERSION, "ValidatingAdmissionPolicy", policy.name, body)
}

/// Binds a policy to every tenant namespace, denying what it rejects.
fn binding(policy: &str) -> Object {
    let body = json!({
        "apiVersion": API_VERSION,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": metadata(policy, &[]),
        "spec": {
            "policyName": policy,
            "validationActions": ["Deny"],
            "matchResources": {"namespaceSelector": tenant_namespaces()},
        },
    });
    object(
        API_VERSION,
        "ValidatingAdmissionPolicyBinding",
        policy,
        body,
    )
}
