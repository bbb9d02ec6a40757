//! E0701: fields a tenant cannot override at all. They decide what the tenant is (its
//! isolation, its node pool's provider, labels, taints and AMI type, its cluster's version, class and
//! DataStore), what it costs (its budget), what it may do to others (its priority class,
//! ExternalName Services) and what a tenant may loosen (the guardrails themselves).

use super::{TenantView, at_key};
use crate::diagnostics::{Diagnostics, codes};

/// Reports every closed field whose merged value differs from the tier's.
pub fn check(view: &TenantView, diags: &mut Diagnostics) {
    let (mine, tier) = (&view.mine.spec, &view.tier.spec);
    let mut closed = |differs: bool, pointer: &str, what: &str| {
        if differs {
            // Sections are marked at their key; their value starts on the next line.
            let section = matches!(
                pointer,
                "/guardrails" | "/nodePool" | "/cluster" | "/nodePool/labels" | "/nodePool/taints"
            );
            let diagnostic = view
                .violation(
                    codes::OVERRIDE_NOT_ALLOWED,
                    format!("a tenant cannot override {what}"),
                    pointer,
                    "set by the tenant file",
                    pointer,
                    format!("tier `{}` decides it", view.tier_name()),
                )
                .help("remove it from `overrides`, or move the tenant to a tier that has it (tiers belong to the platform team)");
            diags.push(if section {
                at_key(diagnostic)
            } else {
                diagnostic
            });
        }
    };
    closed(
        mine.isolation != tier.isolation,
        "/isolation",
        "its `isolation`",
    );
    closed(
        mine.priority_class != tier.priority_class,
        "/priorityClass",
        "its `priorityClass` (a cluster-wide priority shared by the tier)",
    );
    closed(mine.budget != tier.budget, "/budget", "its `budget`");
    closed(
        mine.guardrails != tier.guardrails,
        "/guardrails",
        "`guardrails` (what a tenant file may loosen is the tier's decision)",
    );
    closed(
        mine.allow_external_name_services && !tier.allow_external_name_services,
        "/allowExternalNameServices",
        "`allowExternalNameServices` (ExternalName Services can send a shared ingress controller's traffic to other tenants)",
    );
    for (i, env) in mine.environments.iter().enumerate() {
        closed(
            !tier.environments.iter().any(|t| t.name == env.name),
            &format!("/environments/{i}/name"),
            &format!("its environments with one the tier lacks (`{}`)", env.name),
        );
    }
    match (&mine.node_pool, &tier.node_pool) {
        (Some(_), None) => closed(true, "/nodePool", "a `nodePool` its tier does not have"),
        (Some(m), Some(t)) => {
            closed(
                m.provider != t.provider,
                "/nodePool/provider",
                "its node pool's `provider`",
            );
            closed(
                m.labels != t.labels,
                "/nodePool/labels",
                "its node pool's `labels`",
            );
            closed(
                m.taints != t.taints,
                "/nodePool/taints",
                "its node pool's `taints`",
            );
            closed(
                m.ami_type != t.ami_type,
                "/nodePool/amiType",
                "its node pool's `amiType` (the nodes' image and drivers)",
            );
        }
        _ => {}
    }
    match (&mine.cluster, &tier.cluster) {
        (Some(_), None) => closed(true, "/cluster", "a `cluster` its tier does not have"),
        (Some(m), Some(t)) => {
            closed(
                m.kubernetes_version != t.kubernetes_version,
                "/cluster/kubernetesVersion",
                "its cluster's `kubernetesVersion`",
            );
            closed(
                m.class_ref != t.class_ref,
                "/cluster/classRef",
                "its cluster's `classRef`",
            );
            closed(
                m.data_store != t.data_store,
                "/cluster/dataStore",
                "its cluster's `dataStore`",
            );
        }
        _ => {}
    }
}
