//! The Kyverno form of the admission policies (platform.yaml `spec.admission.engine:
//! kyverno`), for clusters older than Kubernetes 1.30 or platforms that standardise on
//! Kyverno: one `kyverno.io/v1` ClusterPolicy per [`Policy`], of the same name, with one
//! `validate.cel` rule. No binding: a ClusterPolicy applies by itself.
//!
//! Kyverno (since 1.11) evaluates `validate.cel` with the API server's ValidatingAdmissionPolicy
//! library: the same CEL environment and names (`object`, `oldObject`, `request`,
//! `namespaceObject`, `variables`), `celPreconditions` as `matchConditions`, and an expression
//! that errors denies. The rule holds the policy's match conditions, variables and
//! validations unchanged, so both engines deny exactly the same requests.
//!
//! The fields, checked against the vendored CRD schema (`tests/upstream-schemas/crds/
//! kyverno.io/clusterpolicy_v1.json`, Kyverno chart 3.8.1) and Kyverno's sources; both
//! non-deprecated fields below exist since Kyverno 1.13, the version the README requires:
//! - `validate.failureAction: Enforce` on the rule, not `spec.validationFailureAction`, which
//!   the CRD marks deprecated in its favour (Kyverno reads the rule's action first). On a
//!   Kyverno older than 1.13 the API server would drop the unknown field and the policy would
//!   only audit, which is why 1.13 is the minimum.
//! - `spec.webhookConfiguration.failurePolicy: Fail`, not the deprecated `spec.failurePolicy`
//!   (Kyverno refuses a policy that sets both): while Kyverno cannot answer, the API server
//!   denies tenant Pods and Services rather than admitting them unchecked.
//! - `background: false`: the rules read `request` and `namespaceObject`, which only an
//!   admission request has; background scans would only report, never deny.
//! - `validate.allowExistingViolations: false`: Kyverno applies it only to pattern rules
//!   today, but were it applied to CEL rules an UPDATE of an object that already broke a rule
//!   would be admitted, which the ValidatingAdmissionPolicy denies.
//! - the annotation `pod-policies.kyverno.io/autogen-controllers: none`: otherwise Kyverno
//!   copies Pod rules to Deployments, Jobs, CronJobs and the other pod controllers, rewriting
//!   `object.spec` to `object.spec.template.spec` by plain text replacement, and would judge
//!   objects the ValidatingAdmissionPolicies never see. The pods those controllers create are
//!   checked like any other.

use super::{Policy, metadata, named, object, tenant_namespaces};
use crate::objects::Object;
use serde_json::{Value, json};

/// The API version of Kyverno's policies.
const API_VERSION: &str = "kyverno.io/v1";

/// The annotation that stops Kyverno from generating rules for pod controllers.
const AUTOGEN_CONTROLLERS: &str = "pod-policies.kyverno.io/autogen-controllers";

/// One ClusterPolicy per policy.
pub(super) fn objects(policies: impl IntoIterator<Item = Policy>) -> Vec<Object> {
    policies.into_iter().map(cluster_policy).collect()
}

/// The name of a policy's one rule: what Kyverno's denial message names under the policy's
/// own name, so without the policies' common `tenantc-` prefix.
fn rule_name(policy: &str) -> &str {
    policy.strip_prefix("tenantc-").unwrap_or(policy)
}

fn cluster_policy(policy: Policy) -> Object {
    let mut rule = json!({
        "name": rule_name(policy.name),
        "match": {"any": [{"resources": {
            "kinds": [policy.resource.kind()],
            "operations": policy.operations,
            "namespaceSelector": tenant_namespaces(),
        }}]},
        "validate": {
            "failureAction": "Enforce",
            "allowExistingViolations": false,
            "cel": {
                "variables": named(&policy.variables),
                "expressions": policy.validations.iter().map(|v| v.to_json()).collect::<Vec<Value>>(),
            },
        },
    });
    if !policy.match_conditions.is_empty() {
        rule["celPreconditions"] = named(&policy.match_conditions);
    }
    let annotations = [
        ("tenantc.dev/description", policy.description),
        (AUTOGEN_CONTROLLERS, "none"),
    ];
    let body = json!({
        "apiVersion": API_VERSION,
        "kind": "ClusterPolicy",
        "metadata": metadata(policy.name, &annotations),
        "spec": {
            "background": false,
            "webhookConfiguration": {"failurePolicy": "Fail"},
            "rules": [rule],
        },
    });
    object(API_VERSION, "ClusterPolicy", policy.name, body)
}
