//! Builds the output tree from the resolved platform: per tenant, one file per environment
//! namespace with all of its governance objects; platform-wide, the tiers' PriorityClasses.
//!
//! Builds typed values only; serializing and writing them is `emit`'s job.

mod labels;
mod namespace;
mod network;
mod rbac;

use crate::objects::{Object, OutputTree};
use crate::resolve::{Resolved, ResolvedTenant};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use std::collections::BTreeMap;

/// The output directory's path of a tenant's files.
pub fn tenant_dir(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

/// Renders the whole platform, or only the tenants in `only` (platform-wide files are always
/// rendered). Output is the same for any thread count: tenants render in parallel but are
/// collected in name order.
pub fn render(resolved: &Resolved, only: Option<&[String]>) -> OutputTree {
    let tenants: Vec<&ResolvedTenant> = resolved
        .tenants
        .iter()
        .filter(|t| only.is_none_or(|names| names.contains(&t.name)))
        .collect();
    let parts: Vec<OutputTree> = tenants
        .par_iter()
        .map(|t| render_tenant(resolved, t))
        .collect();
    let mut tree = render_platform(resolved);
    for part in parts {
        tree.extend(part);
    }
    tree
}

/// Renders one tenant's files.
pub fn render_tenant(resolved: &Resolved, tenant: &ResolvedTenant) -> OutputTree {
    let mut tree = OutputTree::default();
    let dns = &resolved.platform.spec.shared_services.dns;
    for env in &tenant.environments {
        let mut objects = namespace::governance(tenant, env);
        objects.extend(network::policies(tenant, env, dns));
        objects.extend(rbac::roles(tenant, env));
        tree.add_yaml(
            format!(
                "{}/kubernetes/{}.yaml",
                tenant_dir(&tenant.name),
                env.namespace
            ),
            objects,
        );
    }
    tree
}

fn render_platform(resolved: &Resolved) -> OutputTree {
    let mut tree = OutputTree::default();
    let mut classes: BTreeMap<&str, Object> = BTreeMap::new();
    for (tier, profile) in &resolved.tiers {
        let Some(pc) = &profile.spec.priority_class else {
            continue;
        };
        classes.entry(pc.name.as_str()).or_insert_with(|| {
            Object::PriorityClass(PriorityClass {
                metadata: ObjectMeta {
                    name: Some(pc.name.clone()),
                    labels: Some(labels::platform([("tenantc.dev/tier", tier.as_str())])),
                    ..Default::default()
                },
                value: pc.value,
                global_default: Some(false),
                description: pc.description.clone(),
                preemption_policy: None,
            })
        });
    }
    if !classes.is_empty() {
        tree.add_yaml(
            "platform/priorityclasses.yaml".into(),
            classes.into_values().collect(),
        );
    }
    tree
}
