//! The tenant Roles and their RoleBindings, and the deployer that Argo CD impersonates.
//!
//! Roles list resources explicitly: never `*`, never write access to ResourceQuota,
//! LimitRange, NetworkPolicy or RBAC objects, so a tenant cannot loosen its own governance.
//! Endpoints and EndpointSlices are read-only too: whoever writes them can point a Service at
//! addresses in other namespaces (CVE-2021-25740, why Kubernetes took them out of `edit`).
//! What the roles may write comes from one table, [`super::tenant_access::WRITABLE`].

use super::namespace::meta;
use super::tenant_access::{self, Writable};
use crate::model::Subjects;
use crate::objects::Object;
use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use k8s_openapi::api::core::v1::ServiceAccount;
use k8s_openapi::api::rbac::v1::{PolicyRule, Role, RoleBinding, RoleRef, Subject};

/// The ServiceAccount in every tenant namespace that Argo CD impersonates when it syncs the
/// tenant's own Applications (the tenant AppProject's `destinationServiceAccounts`).
pub const DEPLOYER_SERVICE_ACCOUNT: &str = "tenantc-deployer";
/// The Role of [`DEPLOYER_SERVICE_ACCOUNT`]: exactly what `tenant-admin` may write.
pub const DEPLOYER_ROLE: &str = "tenant-deployer";

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

/// One rule per API group of `rows`, with `verbs`.
fn table_rules<'a>(rows: impl Iterator<Item = &'a Writable>, verbs: &[&str]) -> Vec<PolicyRule> {
    tenant_access::by_group(rows)
        .iter()
        .map(|(group, resources)| rule(group, resources, verbs))
        .collect()
}

/// The rules of each role, by role name.
fn role_rules(role: &str) -> Vec<PolicyRule> {
    let mut out = rules(GOVERNANCE, READ);
    match role {
        "tenant-admin" => {
            out.extend(table_rules(tenant_access::admin(), WRITE));
            out.push(rule(
                "",
                &["pods/exec", "pods/portforward"],
                &["create", "get"],
            ));
            out.push(rule("", &["pods/log"], READ));
            out.push(rule(RBAC_GROUP, &["rolebindings", "roles"], READ));
        }
        "tenant-developer" => {
            out.extend(table_rules(tenant_access::developer(), WRITE));
            out.push(rule("", &["serviceaccounts"], READ));
            out.push(rule(
                "",
                &["pods/exec", "pods/portforward"],
                &["create", "get"],
            ));
            out.push(rule("", &["pods/log"], READ));
        }
        _ => {
            out.extend(table_rules(tenant_access::developer(), READ));
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

/// The rules of [`DEPLOYER_ROLE`]: what `tenant-admin` may write, and nothing else. Argo CD
/// reads and writes only the kinds it deploys (get, list and watch to compare, create, patch
/// and delete to sync and prune); no exec, logs, RBAC or governance reads.
fn deployer_rules() -> Vec<PolicyRule> {
    table_rules(tenant_access::admin(), WRITE)
}

/// The deployer of one tenant namespace: the ServiceAccount Argo CD impersonates to sync the
/// tenant's Applications there, its Role and the RoleBinding between them.
///
/// It gives a tenant nothing: `tenant-admin` may already run a pod as any service account of
/// its namespaces (and mint its tokens), so the deployer's Role may hold nothing that
/// `tenant-admin` lacks (a unit test checks it). The account mounts no token by default; Argo
/// CD impersonates it and needs none.
pub fn deployer(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> Vec<Object> {
    vec![
        Object::ServiceAccount(ServiceAccount {
            metadata: meta(tenant, env, DEPLOYER_SERVICE_ACCOUNT),
            automount_service_account_token: Some(false),
            ..Default::default()
        }),
        Object::Role(Role {
            metadata: meta(tenant, env, DEPLOYER_ROLE),
            rules: Some(deployer_rules()),
        }),
        Object::RoleBinding(RoleBinding {
            metadata: meta(tenant, env, DEPLOYER_ROLE),
            role_ref: RoleRef {
                api_group: RBAC_GROUP.into(),
                kind: "Role".into(),
                name: DEPLOYER_ROLE.into(),
            },
            subjects: Some(vec![Subject {
                api_group: None,
                kind: "ServiceAccount".into(),
                name: DEPLOYER_SERVICE_ACCOUNT.into(),
                namespace: Some(env.namespace.clone()),
            }]),
        }),
    ]
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

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeSet;

    /// Every (group, resource, verb) a list of rules grants.
    fn grants(rules: &[PolicyRule]) -> BTreeSet<(String, String, String)> {
        let mut out = BTreeSet::new();
        for rule in rules {
            assert!(rule.resource_names.is_none() && rule.non_resource_urls.is_none());
            for group in rule.api_groups.iter().flatten() {
                for resource in rule.resources.iter().flatten() {
                    for verb in &rule.verbs {
                        out.insert((group.clone(), resource.clone(), verb.clone()));
                    }
                }
            }
        }
        out
    }

    #[test]
    fn the_deployer_grants_nothing_tenant_admin_lacks() {
        let admin = grants(&role_rules("tenant-admin"));
        let deployer = grants(&deployer_rules());
        let extra: Vec<_> = deployer.difference(&admin).collect();
        assert!(
            extra.is_empty(),
            "the deployer may do more than tenant-admin: {extra:?}"
        );
        // And exactly the write table: every verb on every row, no subresource, no `*`.
        let expected: BTreeSet<(String, String, String)> = tenant_access::admin()
            .flat_map(|w| {
                WRITE
                    .iter()
                    .map(|v| (w.group.to_string(), w.resource.to_string(), v.to_string()))
            })
            .collect();
        assert_eq!(deployer, expected);
    }

    #[test]
    fn roles_write_exactly_their_rows_of_the_table() {
        let writes = |role: &str| -> BTreeSet<(String, String)> {
            grants(&role_rules(role))
                .into_iter()
                .filter(|(_, r, v)| v == "delete" && !r.contains('/'))
                .map(|(g, r, _)| (g, r))
                .collect()
        };
        let rows = |rows: &mut dyn Iterator<Item = &Writable>| -> BTreeSet<(String, String)> {
            rows.map(|w| (w.group.to_string(), w.resource.to_string()))
                .collect()
        };
        assert_eq!(writes("tenant-admin"), rows(&mut tenant_access::admin()));
        assert_eq!(
            writes("tenant-developer"),
            rows(&mut tenant_access::developer())
        );
        assert!(writes("tenant-viewer").is_empty());
    }
}
