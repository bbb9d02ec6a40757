//! The cluster-wide admission policies that stop what RBAC cannot: a tenant may create Pods
//! and Services, and RBAC has no say over their fields.
//!
//! In every tenant namespace (every namespace labelled `tenantc.dev/tenant`) they deny:
//! - `tenantc-pod-placement`: tolerations of another tenant's pool taint, keyless `Exists`
//!   tolerations (they tolerate every taint), a node selector or required node affinity on
//!   another tenant's pool label, and `spec.nodeName` on CREATE (it skips the scheduler, and
//!   the kubelet only checks NoExecute taints);
//! - `tenantc-priority-class`: a `priorityClassName` the tenant's tier does not grant;
//! - `tenantc-service-exposure`: Services with `spec.externalIPs` (CVE-2020-8554), and
//!   `type: ExternalName` Services unless the tier allows them.
//!
//! The policies read what a namespace is granted from its labels (see [`namespace_labels`]),
//! which tenants cannot change: they have no RBAC on namespaces, and their own labels cannot
//! use the `tenantc.dev/` prefix. One policy set serves every tenant, so the file is the same
//! whatever the fleet, and adding a tenant never changes a cluster-wide object.
//!
//! Each policy is described once here ([`Policy`]: the resource and operations it checks, its
//! CEL match conditions, variables and validations) and rendered by the engine platform.yaml
//! `spec.admission.engine` chooses: [`vap`] writes a ValidatingAdmissionPolicy and its binding
//! (`admissionregistration.k8s.io/v1`, GA since Kubernetes 1.30), [`kyverno`] a Kyverno
//! ClusterPolicy whose `validate.cel` rule holds the very same expressions, which Kyverno
//! evaluates with the API server's own ValidatingAdmissionPolicy library. So the CEL cannot
//! drift between the engines. Every CEL feature the expressions use (`has()`, `in`, `[...]`,
//! `size()`, the macros `all`, the conditional operator, string `+`, list literals, `==`/`!=`
//! on objects) is in Kubernetes' CEL environment since 1.30; `tests/it/admission.rs` evaluates
//! both forms and checks every field they select against the Kubernetes OpenAPI schemas.

mod kyverno;
mod vap;

use super::labels;
use super::nodepool::TENANT_KEY;
use crate::model::{AdmissionEngine, AdmissionSettings, TierSpec};
use crate::objects::{Object, ObjectKey, OtherObject};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The output file of the policies (and, with ValidatingAdmissionPolicies, their bindings).
pub const PATH: &str = "platform/admission.yaml";

/// The namespace label naming the PriorityClass a tenant's tier grants its pods.
pub const PRIORITY_CLASS_LABEL: &str = "tenantc.dev/priority-class";

/// The namespace label that allows `type: ExternalName` Services, with value
/// [`EXTERNAL_NAME_ALLOWED`].
pub const EXTERNAL_NAME_LABEL: &str = "tenantc.dev/external-name-services";

/// The value of [`EXTERNAL_NAME_LABEL`] that allows ExternalName Services.
pub const EXTERNAL_NAME_ALLOWED: &str = "allowed";

/// The pod placement policy's name.
pub const POD_PLACEMENT: &str = "tenantc-pod-placement";
/// The priority class policy's name.
pub const PRIORITY_CLASS: &str = "tenantc-priority-class";
/// The Service exposure policy's name.
pub const SERVICE_EXPOSURE: &str = "tenantc-service-exposure";

/// The labels a tenant namespace carries for the policies: the PriorityClass its tier grants
/// (when the tier has one) and whether the tier allows ExternalName Services.
///
/// They come from the tier's own spec, never from a tenant's `overrides`: a tenant file is
/// untrusted and must not grant itself a class or a Service type.
pub fn namespace_labels(tier: Option<&TierSpec>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let Some(tier) = tier else {
        return out;
    };
    if let Some(class) = &tier.priority_class {
        out.insert(PRIORITY_CLASS_LABEL.into(), class.name.clone());
    }
    if tier.allow_external_name_services {
        out.insert(EXTERNAL_NAME_LABEL.into(), EXTERNAL_NAME_ALLOWED.into());
    }
    out
}

/// Every policy in the form of the platform's engine, for [`PATH`]. Emitted whatever the
/// tiers are: the rules protect every tenant, including those of tiers without a pool or a
/// class.
pub fn objects(settings: &AdmissionSettings) -> Vec<Object> {
    let policies = [
        pod_placement(),
        priority_class(settings),
        service_exposure(),
    ];
    match settings.engine {
        AdmissionEngine::ValidatingAdmissionPolicy => vap::objects(policies),
        AdmissionEngine::Kyverno => kyverno::objects(policies),
    }
}

/// A single-quoted CEL string literal of `text`, escaped so that a value from platform.yaml
/// can never end the literal early.
fn cel_string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' | '\'' => {
                out.push('\\');
                out.push(c);
            }
            c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// A CEL expression reading the label `key` of the request's namespace, `''` when absent.
fn namespace_label(key: &str) -> String {
    let labels = "namespaceObject.metadata.labels";
    let key = cel_string(key);
    format!("has({labels}) && {key} in {labels}\n  ? {labels}[{key}] : ''")
}

/// The variable every pod rule compares with: the tenant the namespace belongs to (`''` when
/// the label is missing, which no pool label or taint value equals).
fn tenant_variable() -> (String, String) {
    ("tenant".into(), namespace_label(TENANT_KEY))
}

/// Skips an UPDATE that leaves `spec` as it was (labels, annotations, finalizers): it cannot
/// add what the rules deny, and a pod created before the policies existed can still have its
/// finalizers removed.
fn create_or_spec_change() -> (String, String) {
    (
        "create-or-spec-change".into(),
        "request.operation == 'CREATE' || object.spec != oldObject.spec".into(),
    )
}

/// One rule of a policy: a CEL expression that must be true, and what the tenant is told
/// when it is not.
struct Validation {
    expression: String,
    message: String,
    message_expression: Option<String>,
    reason: &'static str,
}

impl Validation {
    fn forbidden(expression: String, message: &str) -> Self {
        Self {
            expression,
            message: message.into(),
            message_expression: None,
            reason: "Forbidden",
        }
    }

    fn with_message_expression(mut self, expression: String) -> Self {
        self.message_expression = Some(expression);
        self
    }

    fn to_json(&self) -> Value {
        let mut out = json!({
            "expression": self.expression,
            "message": self.message,
            "reason": self.reason,
        });
        if let Some(expression) = &self.message_expression {
            out["messageExpression"] = expression.clone().into();
        }
        out
    }
}

/// The core resource a policy checks.
#[derive(Clone, Copy)]
enum Resource {
    Pods,
    Services,
}

impl Resource {
    /// The resource's name, as ValidatingAdmissionPolicies match it.
    fn plural(self) -> &'static str {
        match self {
            Resource::Pods => "pods",
            Resource::Services => "services",
        }
    }

    /// The resource's kind, as Kyverno rules match it.
    fn kind(self) -> &'static str {
        match self {
            Resource::Pods => "Pod",
            Resource::Services => "Service",
        }
    }
}

/// One admission policy, whatever the engine: the core resource and the operations it checks
/// in tenant namespaces, and its CEL. Each engine's renderer writes all of it, so both deny
/// exactly the same requests.
struct Policy {
    name: &'static str,
    description: &'static str,
    resource: Resource,
    operations: &'static [&'static str],
    /// Checked first; one `false` skips the policy (`matchConditions`, Kyverno
    /// `celPreconditions`).
    match_conditions: Vec<(String, String)>,
    /// Evaluated in order, each seeing the ones before it as `variables.<name>`.
    variables: Vec<(String, String)>,
    validations: Vec<Validation>,
}

/// Selects the namespaces of every tenant, and only those.
fn tenant_namespaces() -> Value {
    json!({"matchExpressions": [{"key": TENANT_KEY, "operator": "Exists"}]})
}

/// The metadata of a policy object: its name, tenantc's label and `annotations`.
fn metadata(name: &str, annotations: &[(&str, &str)]) -> Value {
    let mut metadata = json!({"name": name, "labels": labels::platform([])});
    if !annotations.is_empty() {
        metadata["annotations"] = annotations
            .iter()
            .map(|(key, value)| (key.to_string(), Value::from(*value)))
            .collect();
    }
    metadata
}

/// `name`/`expression` pairs as the list both engines take (`matchConditions`, `variables`).
fn named(pairs: &[(String, String)]) -> Value {
    pairs
        .iter()
        .map(|(name, expression)| json!({"name": name, "expression": expression}))
        .collect()
}

/// A cluster-scoped object of `api_version` and `kind`.
fn object(api_version: &str, kind: &str, name: &str, body: Value) -> Object {
    Object::Other(OtherObject {
        key: ObjectKey {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: String::new(),
            name: name.into(),
        },
        body,
    })
}

/// Keeps a tenant's pods off every other tenant's node pool.
///
/// A pool's nodes carry the label and the taint `tenantc.dev/tenant=<tenant>:NoSchedule`
/// (`nodepool.rs`). A pod reaches another tenant's pool by tolerating its taint (or every
/// taint) and, to be sure to land there, selecting its label; or by naming a node outright
/// in `spec.nodeName`, which skips the scheduler. The owner's own pods, as the Kyverno
/// placement policy or the PodNodeSelector plugin mutate them (selector and `Equal`
/// tolerations of its own taints), pass. Tolerations can be added, and selectors set on a
/// gated pod, by UPDATE, so both operations are checked.
fn pod_placement() -> Policy {
    let key = cel_string(TENANT_KEY);
    let tolerations = "object.spec.tolerations";
    let selector = "object.spec.nodeSelector";
    let required =
        "object.spec.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution";
    let required_terms = format!(
        "has(object.spec.affinity) && has(object.spec.affinity.nodeAffinity) &&\n  \
         has({required})\n  ? {required}.nodeSelectorTerms : []"
    );
    let validations = vec![
        Validation::forbidden(
            format!(
                "!has({tolerations}) || {tolerations}.all(t,\n  \
                 (has(t.key) && t.key != '') || !has(t.operator) || t.operator != 'Exists')"
            ),
            "a toleration with operator Exists and no key tolerates every taint, including \
             other tenants' node pools: give each toleration the key of the taint it tolerates",
        ),
        Validation::forbidden(
            format!(
                "!has({tolerations}) || {tolerations}.all(t,\n  \
                 !has(t.key) || t.key != {key} ||\n  \
                 ((!has(t.operator) || t.operator == 'Equal') &&\n   \
                 has(t.value) && t.value == variables.tenant))"
            ),
            "a toleration of the taint tenantc.dev/tenant may only tolerate your own node \
             pool: operator Equal and your tenant's name as the value",
        )
        .with_message_expression(format!(
            "'a toleration of the taint {TENANT_KEY} may only tolerate your own node pool: \
             operator Equal, value ' + variables.tenant"
        )),
        Validation::forbidden(
            format!(
                "!has({selector}) || !({key} in {selector}) ||\n  \
                 {selector}[{key}] == variables.tenant"
            ),
            "spec.nodeSelector may select only your own node pool with the label \
             tenantc.dev/tenant: use your tenant's name as the value",
        )
        .with_message_expression(format!(
            "'spec.nodeSelector may select only your own node pool: {TENANT_KEY} must be ' + \
             variables.tenant"
        )),
        Validation::forbidden(
            format!(
                "variables.requiredNodeTerms.all(term, !has(term.matchExpressions) ||\n  \
                 term.matchExpressions.all(e, e.key != {key} || e.operator == 'DoesNotExist' ||\n    \
                 (e.operator == 'In' && has(e.values) && e.values.all(v, v == variables.tenant))))"
            ),
            "required node affinity on the label tenantc.dev/tenant may only use operator In \
             with your own tenant's name (your node pool) or DoesNotExist (shared nodes)",
        )
        .with_message_expression(format!(
            "'required node affinity on the label {TENANT_KEY} may only use operator In with ' + \
             variables.tenant + ' (your node pool) or DoesNotExist (shared nodes)'"
        )),
        Validation::forbidden(
            "request.operation != 'CREATE' || !has(object.spec.nodeName) ||\n  \
             object.spec.nodeName == ''"
                .into(),
            "spec.nodeName may not be set when a pod is created: it skips the scheduler and \
             with it the node pools' taints; select nodes with spec.nodeSelector or node \
             affinity instead",
        ),
    ];
    Policy {
        name: POD_PLACEMENT,
        description: "Keeps tenant pods off other tenants' node pools: tolerations, node \
                      selectors, required node affinity and spec.nodeName.",
        resource: Resource::Pods,
        operations: &["CREATE", "UPDATE"],
        match_conditions: vec![create_or_spec_change()],
        variables: vec![
            tenant_variable(),
            ("requiredNodeTerms".into(), required_terms),
        ],
        validations,
    }
}

/// Lets a tenant's pods use only the PriorityClass its tier grants (the namespace label
/// `tenantc.dev/priority-class`), the classes platform.yaml `spec.admission.
/// allowedPriorityClasses` lists for everyone (such as a cluster's `globalDefault` class,
/// which the API server's Priority plugin writes into pods that name none, before
/// validation), or none.
///
/// Upstream's own answer is a ResourceQuota `scopeSelector` on `PriorityClass` in each
/// namespace plus `limitedResources` in the API server's admission configuration file, so
/// that a class without a quota is refused. That file is an API server flag, which managed
/// clusters (EKS, GKE, AKS) do not let you set; without it a quota scope only counts pods
/// and denies nothing. A ValidatingAdmissionPolicy (every cluster since 1.30) or a Kyverno
/// ClusterPolicy is an ordinary API object, and one policy reads the grant from the
/// namespace's label, so it needs no object per namespace and also catches the `system-*`
/// classes.
///
/// Only CREATE is checked: the API server refuses to change `priorityClassName` on UPDATE.
fn priority_class(settings: &AdmissionSettings) -> Policy {
    let mut allowed: Vec<&str> = settings
        .allowed_priority_classes
        .iter()
        .map(String::as_str)
        .collect();
    allowed.sort_unstable();
    allowed.dedup();
    let allowed: Vec<String> = allowed.into_iter().map(cel_string).collect();
    let class = "object.spec.priorityClassName";
    Policy {
        name: PRIORITY_CLASS,
        description: "Lets tenant pods use only the PriorityClass of their tier, the classes \
                      the platform allows everyone, or none.",
        resource: Resource::Pods,
        operations: &["CREATE"],
        match_conditions: Vec::new(),
        variables: vec![
            (
                "grantedClass".into(),
                namespace_label(PRIORITY_CLASS_LABEL),
            ),
            (
                "platformClasses".into(),
                format!("[{}]", allowed.join(", ")),
            ),
        ],
        validations: vec![
            Validation::forbidden(
                format!(
                    "!has({class}) || {class} == '' ||\n  \
                     {class} == variables.grantedClass ||\n  \
                     {class} in variables.platformClasses"
                ),
                "this priorityClassName is not granted to your namespace: use your tier's \
                 class (the namespace label tenantc.dev/priority-class), one the platform \
                 allows everyone, or none",
            )
            .with_message_expression(format!(
                "'priorityClassName ' + {class} + ' is not granted to namespace ' +\n  \
                 request.namespace + (variables.grantedClass != ''\n  \
                 ? ': use ' + variables.grantedClass + ' (your tier), a platform-wide class or none'\n  \
                 : ': use a platform-wide class or none')"
            )),
        ],
    }
}

/// Stops tenant Services from capturing traffic meant for others: `spec.externalIPs` lets a
/// Service intercept any address (CVE-2020-8554), and an ExternalName Service behind a shared
/// ingress controller sends the controller's requests to any host, other tenants' Services
/// included, unless the tier allows it (the namespace label
/// `tenantc.dev/external-name-services: allowed`).
fn service_exposure() -> Policy {
    let allowed = format!(
        "has(namespaceObject.metadata.labels) &&\n  \
         {label} in namespaceObject.metadata.labels &&\n  \
         namespaceObject.metadata.labels[{label}] == {value}",
        label = cel_string(EXTERNAL_NAME_LABEL),
        value = cel_string(EXTERNAL_NAME_ALLOWED),
    );
    Policy {
        name: SERVICE_EXPOSURE,
        description: "Denies tenant Services with spec.externalIPs (CVE-2020-8554), and of \
                      type ExternalName unless the tier allows them.",
        resource: Resource::Services,
        operations: &["CREATE", "UPDATE"],
        match_conditions: vec![create_or_spec_change()],
        variables: vec![("externalNameAllowed".into(), allowed)],
        validations: vec![
            Validation::forbidden(
                "!has(object.spec.externalIPs) || size(object.spec.externalIPs) == 0".into(),
                "spec.externalIPs may not be set: it lets a Service capture traffic to any \
                 address (CVE-2020-8554); use a LoadBalancer Service or an Ingress",
            ),
            Validation::forbidden(
                "!has(object.spec.type) || object.spec.type != 'ExternalName' ||\n  \
                 variables.externalNameAllowed"
                    .into(),
                "your tier does not allow Services of type ExternalName (behind a shared \
                 ingress controller they can reach any host, other tenants' Services \
                 included); ask the platform team for a tier with allowExternalNameServices",
            ),
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A platform.yaml value becomes a CEL literal that evaluates back to exactly that value,
    /// whatever quotes, backslashes or control characters it holds.
    #[test]
    fn cel_string_literals_hold_any_text() {
        let texts = [
            "cluster-default",
            "it's",
            r"a\b",
            "x' || true || '",
            "line\nbreak\ttab",
            "\u{7f}\u{85}é",
        ];
        for text in texts {
            let literal = cel_string(text);
            let value = cel::Program::compile(&literal)
                .unwrap_or_else(|e| panic!("{literal}: {e}"))
                .execute(&cel::Context::default())
                .unwrap();
            assert_eq!(
                value,
                cel::Value::String(text.to_string().into()),
                "{literal}"
            );
        }
    }

    #[test]
    fn namespace_labels_follow_the_tier() {
        assert!(namespace_labels(None).is_empty());
        let mut tier = TierSpec::default();
        assert!(namespace_labels(Some(&tier)).is_empty());
        tier.priority_class = Some(crate::model::PriorityClassSpec {
            name: "tenant-high".into(),
            value: 1000,
            ..Default::default()
        });
        tier.allow_external_name_services = true;
        let labels = namespace_labels(Some(&tier));
        assert_eq!(labels[PRIORITY_CLASS_LABEL], "tenant-high");
        assert_eq!(labels[EXTERNAL_NAME_LABEL], EXTERNAL_NAME_ALLOWED);
    }
}
