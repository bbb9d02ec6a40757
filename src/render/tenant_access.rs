//! What a tenant may write in its own namespaces: one table, read by everything that grants
//! or fences tenant access, so that they cannot drift apart.
//!
//! - the `tenant-admin` Role may write every row, `tenant-developer` the rows marked for
//!   developers, and `tenant-viewer` may read those (`rbac.rs`);
//! - the `tenant-deployer` Role, which Argo CD impersonates when it syncs a tenant's own
//!   Applications, may write exactly every row, nothing else (`rbac.rs`);
//! - the tenant AppProject's `namespaceResourceWhitelist` is exactly the rows' Kinds
//!   (`argocd.rs`), so a tenant's Application cannot deploy a kind its Role may not write.
//!
//! A kind that is not in the table is out by construction: Endpoints and EndpointSlices
//! (CVE-2021-25740), Kyverno policies and policy exceptions, NetworkPolicies, quotas, limit
//! ranges and RBAC objects. Subresources (`pods/exec`, `pods/log`) are not kinds Argo CD
//! deploys; the Roles grant them on their own.
//!
//! [`GOVERNANCE_KINDS`] lists, apart from the table, the kinds tenantc owns in a tenant
//! namespace; a unit test keeps the two disjoint.

/// One resource a tenant may write.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Writable {
    /// The API group (`""` for the core group).
    pub group: &'static str,
    /// The resource, as RBAC names it (plural, lower case).
    pub resource: &'static str,
    /// The Kind, as Argo CD's project lists name it.
    pub kind: &'static str,
    /// Whether `tenant-developer` may write it too; otherwise only `tenant-admin` may.
    pub developers: bool,
}

const fn row(
    group: &'static str,
    resource: &'static str,
    kind: &'static str,
    developers: bool,
) -> Writable {
    Writable {
        group,
        resource,
        kind,
        developers,
    }
}

/// Everything `tenant-admin` may write, sorted by group, then resource. Developers may write
/// the same but secrets and service accounts (a developer who may create pods can still mount
/// the namespace's secrets and run as its service accounts: README says so).
pub const WRITABLE: &[Writable] = &[
    row("", "configmaps", "ConfigMap", true),
    row("", "persistentvolumeclaims", "PersistentVolumeClaim", true),
    row("", "pods", "Pod", true),
    row("", "secrets", "Secret", false),
    row("", "serviceaccounts", "ServiceAccount", false),
    row("", "services", "Service", true),
    row("apps", "daemonsets", "DaemonSet", true),
    row("apps", "deployments", "Deployment", true),
    row("apps", "replicasets", "ReplicaSet", true),
    row("apps", "statefulsets", "StatefulSet", true),
    row(
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
        true,
    ),
    row("batch", "cronjobs", "CronJob", true),
    row("batch", "jobs", "Job", true),
    row("networking.k8s.io", "ingresses", "Ingress", true),
    row(
        "policy",
        "poddisruptionbudgets",
        "PodDisruptionBudget",
        true,
    ),
];

/// Kinds tenantc owns in a tenant namespace, or that would let a tenant reach beyond its
/// governance, as (group, kind) Argo CD glob patterns: no tenant may write them. They are not
/// in [`WRITABLE`] (a unit test checks it); the tenant AppProject also blacklists them.
pub const GOVERNANCE_KINDS: &[(&str, &str)] = &[
    // Writing them points a Service at another namespace's pods (CVE-2021-25740).
    ("", "Endpoints"),
    ("", "LimitRange"),
    ("", "ResourceQuota"),
    ("discovery.k8s.io", "EndpointSlice"),
    // Every Kyverno kind: the Policy that places a node-pool tenant's pods on its pool, and
    // PolicyExceptions, which exempt a namespace from the cluster-wide policies
    // (`policies.kyverno.io` has the exceptions of the CEL policies).
    ("kyverno.io", "*"),
    ("*.kyverno.io", "*"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
];

/// What `tenant-admin` may write: the whole table.
pub fn admin() -> impl Iterator<Item = &'static Writable> {
    WRITABLE.iter()
}

/// What `tenant-developer` may write.
pub fn developer() -> impl Iterator<Item = &'static Writable> {
    WRITABLE.iter().filter(|w| w.developers)
}

/// Rows grouped by API group, in table order: one RBAC rule per group.
pub fn by_group<'a>(
    rows: impl Iterator<Item = &'a Writable>,
) -> Vec<(&'static str, Vec<&'static str>)> {
    let mut groups: Vec<(&'static str, Vec<&'static str>)> = Vec::new();
    for row in rows {
        match groups.last_mut() {
            Some((group, resources)) if *group == row.group => resources.push(row.resource),
            _ => groups.push((row.group, vec![row.resource])),
        }
    }
    groups
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    // Argo CD's match of a project list's group or kind pattern (`*`: any run of characters)
    // is the guard's matcher of source patterns.
    use crate::guard::sources::glob_match;

    /// Whether (group, kind) is one of [`GOVERNANCE_KINDS`].
    fn is_governance(group: &str, kind: &str) -> bool {
        GOVERNANCE_KINDS
            .iter()
            .any(|(g, k)| glob_match(g, group) && glob_match(k, kind))
    }

    #[test]
    fn the_table_is_sorted_and_has_no_duplicates() {
        let keys: Vec<(&str, &str)> = WRITABLE.iter().map(|w| (w.group, w.resource)).collect();
        let mut sorted = keys.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(keys, sorted);
        let kinds: BTreeSet<(&str, &str)> = WRITABLE.iter().map(|w| (w.group, w.kind)).collect();
        assert_eq!(kinds.len(), WRITABLE.len(), "one Kind per resource");
    }

    #[test]
    fn no_tenant_may_write_a_governance_kind() {
        for w in WRITABLE {
            assert!(
                !is_governance(w.group, w.kind),
                "{}/{} is tenantc's",
                w.group,
                w.kind
            );
            assert!(!w.resource.contains('/'), "subresources are not kinds");
            assert!(!w.resource.contains('*') && !w.kind.contains('*'));
        }
        for (group, kind) in [
            ("", "Endpoints"),
            ("discovery.k8s.io", "EndpointSlice"),
            ("kyverno.io", "Policy"),
            ("kyverno.io", "PolicyException"),
            ("policies.kyverno.io", "PolicyException"),
            ("networking.k8s.io", "NetworkPolicy"),
            ("", "ResourceQuota"),
            ("", "LimitRange"),
            ("rbac.authorization.k8s.io", "Role"),
            ("rbac.authorization.k8s.io", "RoleBinding"),
        ] {
            assert!(is_governance(group, kind), "{group}/{kind}");
        }
        assert!(!is_governance("apps", "Deployment"));
        assert!(!is_governance("", "ServiceAccount"));
    }

    #[test]
    fn developers_write_all_but_secrets_and_service_accounts() {
        let admin: BTreeSet<&str> = admin().map(|w| w.resource).collect();
        let developer: BTreeSet<&str> = developer().map(|w| w.resource).collect();
        let only_admin: Vec<&str> = admin.difference(&developer).copied().collect();
        assert_eq!(only_admin, ["secrets", "serviceaccounts"]);
    }

    #[test]
    fn globs_match_like_argo_cd() {
        assert!(glob_match("*", ""));
        assert!(glob_match("*", "Policy"));
        assert!(glob_match("*.kyverno.io", "policies.kyverno.io"));
        assert!(!glob_match("*.kyverno.io", "kyverno.io"));
        assert!(glob_match("Pod", "Pod"));
        assert!(!glob_match("Pod", "PodTemplate"));
        assert!(glob_match("P*y", "Policy"));
        assert!(!glob_match("P*y", "Policies"));
    }
}
