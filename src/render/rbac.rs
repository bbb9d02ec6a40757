//! The tenant Roles and their RoleBindings.
//!
//! Roles list resources explicitly: never `*`, never write access to ResourceQuota,
//! LimitRange, NetworkPolicy or RBAC objects, so a tenant cannot loosen its own governance.
//! Endpoints and EndpointSlices are read-only too: whoever writes them can point a Service at
//! addresses in other namespaces (CVE-2021-25740, why Kubernetes took them out of `edit`).

use super::namespace::meta;
use crate::model::Subjects;
use crate::objects::Object;
use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

const RBAC_GROUP: &str = "rbac.authorization.k8s.io";
const READ: &[&str] = &["get", "list", "watch"];
const WRITE: &[&str] = &[
    "get",
    "list",
    "watch",
    "create",
    "update",
    "patch",
    "delete",
    "deletecollection",
];

/// (API group, resources) that tenants run workloads with.
const WORKLOADS: &[(&str, &[&str])] = &[
    (
        "",
        &["configmaps", "persistentvolumeclaims", "pods", "services"],
    ),
    (
        "apps",
        &["daemonsets", "deployments", "replicasets", "statefulsets"],
    ),
    ("autoscaling", &["horizontalpodautoscalers"]),
    ("batch", &["cronjobs", "jobs"]),
    ("networking.k8s.io", &["ingresses"]),
    ("policy", &["poddisruptionbudgets"]),
];

/// Resources every role may read but no tenant role may change.
const GOVERNANCE: &[(&str, &[&str])] = &[
    (
        "",
        &["endpoints", "events", "limitranges", "resourcequotas"],
    ),
    ("discovery.k8s.io", &["endpointslices"]),
    ("networking.k8s.io", &["networkpolicies"]),
];

fn rule(group: &str, resources: &[&str], verbs: &[&str]) -> PolicyRule {
    PolicyRule {
        api_groups: Some(vec![group.to_string()]),
        resources: Some(resources.iter().map(|r| r.to_string()).collect()),
        verbs: verbs.iter().map(|v| v.to_string()).collect(),
        ..Default::default()
    }
}

fn rules(groups: &[(&str, &[&str])], verbs: &[&str]) -> Vec<PolicyRule> {
    groups.iter().map(|(g, r)| rule(g, r, verbs)).collect()
}

/// The rules of each role, by role name.
fn role_rules(role: &str) -> Vec<PolicyRule> {
    let mut out = rules(GOVERNANCE, READ);
    match role {
        "tenant-admin" => {
            out.extend(rules(WORKLOADS, WRITE));
            out.push(rule("", &["secrets", "serviceaccounts"], WRITE));
            out.push(rule(
                "",
                &["pods/exec", "pods/portforward"],
                &["create", "get"],
            ));
            out.push(rule("", &["pods/log"], READ));
            out.push(rule(RBAC_GROUP, &["rolebindings", "roles"], READ));
        }
        "tenant-developer" => {
            out.extend(rules(WORKLOADS, WRITE));
            out.push(rule("", &["serviceaccounts"], READ));
            out.push(rule(
                "",
                &["pods/exec", "pods/portforward"],
                &["create", "get"],
            ));
            out.push(rule("", &["pods/log"], READ));
        }
        _ => {
            out.extend(rules(WORKLOADS, READ));
            out.push(rule("", &["pods/log"], READ));
        }
    }
    out
}

/// The three Roles and a RoleBinding for each role that has subjects.
pub fn roles(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> Vec<Object> {
    let access = &tenant.tenant.spec.access;
    let mut out = Vec::new();
    for (name, subjects) in [
        ("tenant-admin", &access.admins),
        ("tenant-developer", &access.developers),
        ("tenant-viewer", &access.viewers),
    ] {
        out.push(Object::Role(Role {
            metadata: meta(tenant, env, name),
            rules: Some(role_rules(name)),
        }));
        if !subjects.is_empty() {
            out.push(Object::RoleBinding(RoleBinding {
                metadata: meta(tenant, env, name),
                role_ref: RoleRef {
                    api_group: RBAC_GROUP.into(),
                    kind: "Role".into(),
                    name: name.into(),
                },
                subjects: Some(subjects_of(subjects)),
            }));
        }
    }
    out
}

fn subjects_of(subjects: &Subjects) -> Vec<Subject> {
    let subject = |kind: &str, name: &String| Subject {
        api_group: Some(RBAC_GROUP.into()),
        kind: kind.into(),
        name: name.clone(),
        namespace: None,
    };
    subjects
        .groups
        .iter()
        .map(|g| subject("Group", g))
        .chain(subjects.users.iter().map(|u| subject("User", u)))
        .collect()
}
