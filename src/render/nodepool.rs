//! Placement of a node-pool tenant's pods on its own pool, and the one model of the pool's
//! labels and taints that the Terraform node group and the placement share.
//!
//! Placement is either a namespaced Kyverno `Policy` in each tenant namespace (adds the node
//! selector and the tolerations to every new pod) or the PodNodeSelector and
//! PodTolerationRestriction annotations on the tenant's namespaces, as platform.yaml
//! `spec.nodePools.placement` chooses.

use super::terraform::node_pool;
use crate::model::{
    CapacityType, CloudProvider, Labels, NodePoolSpec, PodPlacement, TaintEffect, TaintSpec,
};
use crate::objects::{Object, ObjectKey, OtherObject};
use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The node label and taint key that ties a pool to its tenant.
pub const TENANT_KEY: &str = "tenantc.dev/tenant";

/// The name of the Kyverno Policy in each tenant namespace.
pub const POLICY_NAME: &str = "tenant-node-pool";

/// The taint AKS puts on every spot node; spot pools list it so Terraform sees no drift,
/// and tenants' pods tolerate it.
const AZURE_SPOT_TAINT: &str = "kubernetes.azure.com/scalesetpriority";

/// The Kubernetes labels of a pool's nodes: the pool's own, then tenantc's, which win.
pub fn pool_labels(tenant: &ResolvedTenant, pool: &NodePoolSpec) -> Labels {
    let mut labels = pool.labels.clone();
    labels.insert(TENANT_KEY.into(), tenant.name.clone());
    labels.insert("tenantc.dev/tier".into(), tenant.tenant.spec.tier.clone());
    labels
}

/// The taints of a pool's nodes: the tenant taint first, then the tier's. With
/// `provider_managed`, also the taints the provider adds by itself (AKS spot nodes).
pub fn pool_taints(
    tenant: &ResolvedTenant,
    pool: &NodePoolSpec,
    provider_managed: bool,
) -> Vec<TaintSpec> {
    let mut taints = vec![TaintSpec {
        key: TENANT_KEY.into(),
        value: tenant.name.clone(),
        effect: TaintEffect::NoSchedule,
    }];
    taints.extend(pool.taints.iter().cloned());
    if provider_managed
        && pool.provider == CloudProvider::Azure
        && pool.capacity_type == CapacityType::Spot
    {
        taints.push(TaintSpec {
            key: AZURE_SPOT_TAINT.into(),
            value: "spot".into(),
            effect: TaintEffect::NoSchedule,
        });
    }
    taints
}

/// The tolerations a tenant's pods need on its pool.
fn tolerations(tenant: &ResolvedTenant, pool: &NodePoolSpec) -> Vec<Value> {
    pool_taints(tenant, pool, true)
        .iter()
        .map(|t| {
            json!({
                "key": t.key,
                "operator": "Equal",
                "value": t.value,
                "effect": t.effect.as_str(),
            })
        })
        .collect()
}

/// The Kyverno Policy of one tenant namespace, when the tenant has a pool and the platform
/// places pods with Kyverno.
///
/// It fails closed (`failurePolicy: Fail`): while Kyverno is unavailable no pod of the
/// tenant is admitted, rather than one landing on shared nodes.
pub fn placement_policy(
    tenant: &ResolvedTenant,
    env: &ResolvedEnvironment,
    placement: PodPlacement,
) -> Option<Object> {
    let pool = node_pool(tenant)?;
    if placement != PodPlacement::Kyverno {
        return None;
    }
    let pods = json!({"any": [{"resources": {"kinds": ["Pod"], "operations": ["CREATE"]}}]});
    // JSON patches append to the pod's own tolerations; a strategic merge would replace them.
    // Written as YAML with every scalar a JSON string, so a value such as `true` stays text.
    let mut patches = String::new();
    for t in tolerations(tenant, pool) {
        patches.push_str("- op: add\n  path: /spec/tolerations/-\n  value:\n");
        for field in ["key", "operator", "value", "effect"] {
            patches.push_str(&format!("    {field}: {}\n", t[field]));
        }
    }
    let body = json!({
        "apiVersion": "kyverno.io/v1",
        "kind": "Policy",
        "metadata": {
            "name": POLICY_NAME,
            "namespace": env.namespace,
            "labels": super::labels::tenant(tenant, env),
            "annotations": {
                "policies.kyverno.io/title": "Tenant node pool placement",
                "policies.kyverno.io/description": format!("Places every new pod of tenant {} on its node pool: adds the node selector {TENANT_KEY}={} and tolerations for the pool's taints.", tenant.name, tenant.name),
            },
        },
        "spec": {
            "background": false,
            "failurePolicy": "Fail",
            "rules": [
                {
                    "name": "node-selector",
                    "match": pods,
                    "mutate": {"patchStrategicMerge": {"spec": {"nodeSelector": {TENANT_KEY: tenant.name}}}},
                },
                {
                    "name": "tolerations",
                    "match": pods,
                    "mutate": {"patchesJson6902": patches},
                },
            ],
        },
    });
    Some(Object::Other(OtherObject {
        key: ObjectKey {
            api_version: "kyverno.io/v1".into(),
            kind: "Policy".into(),
            namespace: env.namespace.clone(),
            name: POLICY_NAME.into(),
        },
        body,
    }))
}

/// The PodNodeSelector and PodTolerationRestriction annotations of a tenant namespace, when
/// the tenant has a pool and the platform places pods with them. The whitelist holds only
/// the pool's tolerations (and the not-ready / unreachable defaults), so no pod of the tenant
/// can tolerate another tenant's pool.
pub fn placement_annotations(
    tenant: &ResolvedTenant,
    placement: PodPlacement,
) -> BTreeMap<String, String> {
    let mut annotations = BTreeMap::new();
    let Some(pool) = node_pool(tenant) else {
        return annotations;
    };
    if placement != PodPlacement::PodNodeSelector {
        return annotations;
    }
    let defaults = tolerations(tenant, pool);
    // The whitelist also admits the tolerations the DefaultTolerationSeconds plugin adds.
    let mut whitelist = defaults.clone();
    for key in [
        "node.kubernetes.io/not-ready",
        "node.kubernetes.io/unreachable",
    ] {
        whitelist.push(json!({"key": key, "operator": "Exists", "effect": "NoExecute"}));
    }
    annotations.insert(
        "scheduler.alpha.kubernetes.io/node-selector".into(),
        format!("{TENANT_KEY}={}", tenant.name),
    );
    annotations.insert(
        "scheduler.alpha.kubernetes.io/defaultTolerations".into(),
        Value::Array(defaults).to_string(),
    );
    annotations.insert(
        "scheduler.alpha.kubernetes.io/tolerationsWhitelist".into(),
        Value::Array(whitelist).to_string(),
    );
    annotations
}

/// Adds `annotations` to the Namespace among `objects`.
pub fn annotate_namespace(objects: &mut [Object], annotations: BTreeMap<String, String>) {
    if annotations.is_empty() {
        return;
    }
    for object in objects {
        if let Object::Namespace(namespace) = object {
            namespace
                .metadata
                .annotations
                .get_or_insert_with(BTreeMap::new)
                .extend(annotations.clone());
        }
    }
}
