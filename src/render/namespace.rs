//! The Namespace, ResourceQuota and LimitRange of one tenant environment.

use super::labels;
use crate::model::{Lifecycle, LimitBounds, Quantity, QuantityText, ResourceUnit, TierSpec};
use crate::objects::Object;
use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use k8s_openapi::api::core::v1::{
    LimitRange, LimitRangeItem, LimitRangeSpec, Namespace, ResourceQuota, ResourceQuotaSpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity as K8sQuantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use std::collections::BTreeMap;

/// Namespace, ResourceQuota and LimitRange. `tier` is the tenant's tier as the tier file
/// (and platform defaults) set it, without the tenant's `overrides`: it decides what the
/// namespace's admission labels grant.
pub fn governance(
    tenant: &ResolvedTenant,
    env: &ResolvedEnvironment,
    tier: Option<&TierSpec>,
) -> Vec<Object> {
    let mut objects = vec![Object::Namespace(namespace(tenant, env, tier))];
    objects.extend(quota(tenant, env).map(Object::ResourceQuota));
    objects.extend(limit_range(tenant, env).map(Object::LimitRange));
    objects
}

/// Metadata of a namespaced object of this environment.
pub fn meta(tenant: &ResolvedTenant, env: &ResolvedEnvironment, name: &str) -> ObjectMeta {
    ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(env.namespace.clone()),
        labels: Some(labels::tenant(tenant, env)),
        ..Default::default()
    }
}

fn namespace(
    tenant: &ResolvedTenant,
    env: &ResolvedEnvironment,
    tier: Option<&TierSpec>,
) -> Namespace {
    let spec = &tenant.tenant.spec;
    // The tenant's own labels first, then the platform's governance labels, then tenantc's:
    // a tenant cannot override what the platform or tenantc set.
    let mut labels = spec.labels.clone();
    labels.extend(env.governance_labels.clone());
    labels.extend(labels::identity(tenant, env));
    // What the cluster-wide admission policies read: the tier's PriorityClass and whether it
    // allows ExternalName Services.
    labels.extend(super::admission::namespace_labels(tier));
    labels.insert(
        "tenantc.dev/lifecycle".into(),
        spec.lifecycle.as_str().into(),
    );
    let level = env.pod_security.as_str();
    for mode in ["enforce", "audit", "warn"] {
        labels.insert(format!("pod-security.kubernetes.io/{mode}"), level.into());
        labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            "latest".into(),
        );
    }
    let mut annotations = env.governance_annotations.clone();
    if spec.lifecycle != Lifecycle::Decommissioned {
        annotations.insert(
            "argocd.argoproj.io/sync-options".into(),
            "Prune=false".into(),
        );
    }
    if let Some(display) = &spec.display_name {
        annotations.insert("tenantc.dev/display-name".into(), display.clone());
    }
    if let Some(budget) = &tenant.profile.spec.budget {
        annotations.insert(
            "tenantc.dev/budget-monthly".into(),
            budget.monthly.to_string(),
        );
        annotations.insert(
            "tenantc.dev/budget-currency".into(),
            budget.currency.clone(),
        );
    }
    Namespace {
        metadata: ObjectMeta {
            name: Some(env.namespace.clone()),
            labels: Some(labels),
            annotations: (!annotations.is_empty()).then_some(annotations),
            ..Default::default()
        },
        spec: None,
        status: None,
    }
}

fn quota(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> Option<ResourceQuota> {
    let mut hard: BTreeMap<String, K8sQuantity> = env
        .quota
        .iter()
        .map(|(k, v)| (k.clone(), K8sQuantity(v.clone())))
        .collect();
    if tenant.tenant.spec.lifecycle == Lifecycle::Suspended {
        hard.insert("pods".into(), K8sQuantity("0".into()));
    }
    if hard.is_empty() {
        return None;
    }
    Some(ResourceQuota {
        metadata: meta(tenant, env, "tenant-quota"),
        spec: Some(ResourceQuotaSpec {
            hard: Some(hard),
            ..Default::default()
        }),
        status: None,
    })
}

fn quantities(map: &BTreeMap<String, QuantityText>) -> Option<BTreeMap<String, K8sQuantity>> {
    if map.is_empty() {
        return None;
    }
    Some(
        map.iter()
            .map(|(k, v)| {
                let unit = ResourceUnit::of(k);
                let text = Quantity::parse(&v.0).map_or_else(|_| v.0.clone(), |q| q.format(unit));
                (k.clone(), K8sQuantity(text))
            })
            .collect(),
    )
}

fn item(kind: &str, bounds: &LimitBounds) -> Option<LimitRangeItem> {
    if bounds.is_empty() {
        return None;
    }
    Some(LimitRangeItem {
        type_: kind.to_string(),
        default: quantities(&bounds.default),
        default_request: quantities(&bounds.default_request),
        min: quantities(&bounds.min),
        max: quantities(&bounds.max),
        max_limit_request_ratio: None,
    })
}

fn limit_range(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> Option<LimitRange> {
    let limits = &tenant.profile.spec.limits;
    let items: Vec<LimitRangeItem> = [
        item("Container", &limits.container),
        item("Pod", &limits.pod),
        item("PersistentVolumeClaim", &limits.persistent_volume_claim),
    ]
    .into_iter()
    .flatten()
    .collect();
    if items.is_empty() {
        return None;
    }
    Some(LimitRange {
        metadata: meta(tenant, env, "tenant-limits"),
        spec: Some(LimitRangeSpec { limits: items }),
    })
}
