//! Argo CD delivery objects: per tenant an AppProject fenced to the tenant's namespaces (or
//! its own cluster), a governance Application in the platform project, and the tenant's
//! workload Applications; platform-wide the platform AppProject and the root app-of-apps.
//!
//! The AppProject is the tenant's security boundary in Argo CD: destinations only in its own
//! namespaces, no cluster-scoped resources, and only the kinds its `tenant-admin` Role may
//! write (the whitelist, from [`super::tenant_access`]), so nothing a tenant commits to its
//! own repositories can change its quota, limits, network or RBAC, or do what its Role may
//! not. With Argo CD's sync impersonation on, its syncs also run as the `tenantc-deployer`
//! ServiceAccount of the target namespace, whose Role is that same table, instead of with
//! the application controller's cluster-wide rights.

use super::rbac::DEPLOYER_SERVICE_ACCOUNT;
use super::tenant_access::{self, GOVERNANCE_KINDS};
use super::tenant_dir;
use crate::model::{AdmissionEngine, ArgoCdSettings, Delivery, Isolation, Lifecycle, RetrySpec};
use crate::objects::{Object, ObjectKey, OtherObject};
use crate::resolve::{Resolved, ResolvedTenant, names};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const API_VERSION: &str = "argoproj.io/v1alpha1";
/// The finalizer that makes deleting an Application delete its resources.
pub const RESOURCES_FINALIZER: &str = "resources-finalizer.argocd.argoproj.io";
/// The annotation that orders a sync.
pub const SYNC_WAVE: &str = "argocd.argoproj.io/sync-wave";
/// The name of the Config Management Plugin in `deploy/argocd/plugin.yaml`.
pub const PLUGIN_NAME: &str = "tenantc";

fn object(kind: &str, name: &str, namespace: &str, body: Value) -> Object {
    let mut body = body;
    body["apiVersion"] = API_VERSION.into();
    body["kind"] = kind.into();
    body["metadata"]["name"] = name.into();
    body["metadata"]["namespace"] = namespace.into();
    Object::Other(OtherObject {
        key: ObjectKey {
            api_version: API_VERSION.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        },
        body,
    })
}

fn labels(tenant: Option<&ResolvedTenant>) -> Value {
    let mut labels = json!({"app.kubernetes.io/managed-by": "tenantc"});
    if let Some(t) = tenant {
        labels["tenantc.dev/tenant"] = t.name.clone().into();
        labels["tenantc.dev/tier"] = t.tenant.spec.tier.clone().into();
    }
    labels
}

/// The Argo CD name of a cluster-isolation tenant's own cluster.
pub fn tenant_cluster_name(tenant: &ResolvedTenant) -> String {
    tenant.name.clone()
}

fn is_cluster(tenant: &ResolvedTenant) -> bool {
    tenant.profile.spec.isolation == Isolation::Cluster
}

/// Where a tenant's own objects go: its cluster, or the shared one.
fn tenant_destination(
    settings: &ArgoCdSettings,
    tenant: &ResolvedTenant,
    namespace: &str,
) -> Value {
    if is_cluster(tenant) {
        json!({"name": tenant_cluster_name(tenant), "namespace": namespace})
    } else {
        json!({"server": settings.destination_server, "namespace": namespace})
    }
}

/// A source reading part of this platform repository: the rendered directory, or the plugin.
fn platform_source(
    settings: &ArgoCdSettings,
    tenant: &str,
    part: &str,
    path: String,
    include: Option<&str>,
) -> Value {
    let mut source = json!({
        "repoURL": settings.repo_url,
        "targetRevision": settings.target_revision,
    });
    match settings.delivery {
        Delivery::Rendered => {
            source["path"] = path.into();
            let mut directory = json!({"recurse": true});
            if let Some(include) = include {
                directory["include"] = include.into();
            }
            source["directory"] = directory;
        }
        Delivery::Plugin => {
            source["path"] = ".".into();
            source["plugin"] = json!({
                "name": PLUGIN_NAME,
                "parameters": [
                    {"name": "tenant", "string": tenant},
                    {"name": "part", "string": part},
                ],
            });
        }
    }
    source
}

/// A platform Application's sync policy: automated with prune, the given options (never
/// `CreateNamespace=true`: a namespace exists only as the governance Application's Namespace
/// object, with its labels and prune protection) and the platform's retries.
fn sync_policy(settings: &ArgoCdSettings, self_heal: bool, options: &[&str]) -> Value {
    let mut policy = json!({
        "automated": {"prune": true, "selfHeal": self_heal},
        "retry": retry(&settings.retry),
    });
    if !options.is_empty() {
        policy["syncOptions"] = json!(options);
    }
    policy
}

/// Argo CD's `syncPolicy.retry`. Automated sync does not retry a failed sync of the same
/// commit by itself: without this, an Application that synced before what it needs existed
/// (its namespace, its AppProject) stays failed until the next commit.
fn retry(spec: &RetrySpec) -> Value {
    json!({
        "limit": spec.limit,
        "backoff": {
            "duration": spec.backoff.duration,
            "factor": spec.backoff.factor,
            "maxDuration": spec.backoff.max_duration,
        },
    })
}

fn finalizers(tenant: &ResolvedTenant) -> Option<Value> {
    (tenant.tenant.spec.lifecycle == Lifecycle::Decommissioned)
        .then(|| json!([RESOURCES_FINALIZER]))
}

/// Every Argo CD object of one tenant, for `tenants/<tenant>/argocd.yaml`.
pub fn tenant_objects(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Vec<Object> {
    let mut out = vec![app_project(settings, tenant)];
    out.push(governance_application(settings, tenant));
    if is_cluster(tenant) {
        out.push(cluster_application(settings, tenant));
    }
    out.extend(workload_applications(settings, tenant));
    out
}

fn app_project(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Object {
    let spec = &tenant.tenant.spec;
    let destinations: Vec<Value> = if is_cluster(tenant) {
        vec![json!({"name": tenant_cluster_name(tenant), "namespace": "*"})]
    } else {
        tenant
            .environments
            .iter()
            .map(|e| tenant_destination(settings, tenant, &e.namespace))
            .collect()
    };
    let repos: BTreeSet<&str> = spec
        .gitops
        .apps
        .iter()
        .map(|a| a.repo_url.as_str())
        .collect();
    // The whitelist is what decides: with one set, Argo CD deploys only the kinds on it.
    // The blacklist is kept as defence in depth and as the contract's statement: it names the
    // governance kinds outright, so they stay refused even if the whitelist were ever emptied
    // (an empty or missing whitelist means every namespaced kind) or a row were added to the
    // table by mistake (a unit test keeps the two disjoint).
    let whitelist: Vec<Value> = tenant_access::admin()
        .map(|w| json!({"group": w.group, "kind": w.kind}))
        .collect();
    let blacklist: Vec<Value> = GOVERNANCE_KINDS
        .iter()
        .map(|(group, kind)| json!({"group": group, "kind": kind}))
        .collect();
    let name = &tenant.name;
    let role = |role: &str, groups: &[String], actions: &[&str]| -> Option<Value> {
        if groups.is_empty() {
            return None;
        }
        let policies: Vec<String> = actions
            .iter()
            .map(|a| format!("p, proj:{name}:{role}, applications, {a}, {name}/*, allow"))
            .collect();
        Some(json!({
            "name": role,
            "description": format!("{role}s of tenant {name}"),
            "groups": groups,
            "policies": policies,
        }))
    };
    let access = &spec.access;
    let roles: Vec<Value> = [
        role("admin", &access.admins.groups, &["*"]),
        role("developer", &access.developers.groups, &["get", "sync"]),
        role("viewer", &access.viewers.groups, &["get"]),
    ]
    .into_iter()
    .flatten()
    .collect();
    let mut body = json!({
        "metadata": {"labels": labels(Some(tenant)), "annotations": {SYNC_WAVE: "-2"}},
        "spec": {
            "description": format!("Tenant {}", spec.display_name.as_deref().unwrap_or(name)),
            "sourceRepos": repos,
            "destinations": destinations,
            "clusterResourceWhitelist": [],
            "namespaceResourceWhitelist": whitelist,
            "namespaceResourceBlacklist": blacklist,
            "destinationServiceAccounts": deployer_accounts(settings, tenant),
        },
    });
    if !roles.is_empty() {
        body["spec"]["roles"] = roles.into();
    }
    object(
        "AppProject",
        &names::app_project(name),
        &settings.namespace,
        body,
    )
}

/// The tenant project's `destinationServiceAccounts`: one per tenant namespace, naming its
/// `tenantc-deployer` (in the Application's destination namespace, as Argo CD resolves a
/// name without `namespace:`). Argo CD takes the first entry whose server and namespace
/// patterns match an Application's destination; an Application with none fails to sync, so a
/// namespace without an entry is closed, not open.
///
/// A cluster tenant's Applications name its own cluster (`destination.name`), whose API
/// server URL tenantc does not know, so its entries match any server (`*`). That widens
/// nothing: the entries only pick the account to impersonate, the project's `destinations`
/// still admit only the tenant's own cluster, and each entry names a namespace, where only
/// that tenant's deployer is bound.
fn deployer_accounts(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Vec<Value> {
    let server = if is_cluster(tenant) {
        "*"
    } else {
        settings.destination_server.as_str()
    };
    tenant
        .environments
        .iter()
        .map(|e| {
            json!({
                "server": server,
                "namespace": e.namespace,
                "defaultServiceAccount": DEPLOYER_SERVICE_ACCOUNT,
            })
        })
        .collect()
}

fn application(
    settings: &ArgoCdSettings,
    tenant: &ResolvedTenant,
    name: &str,
    wave: &str,
    spec: Value,
) -> Object {
    let mut metadata = json!({"labels": labels(Some(tenant)), "annotations": {SYNC_WAVE: wave}});
    if let Some(finalizers) = finalizers(tenant) {
        metadata["finalizers"] = finalizers;
    }
    object(
        "Application",
        name,
        &settings.namespace,
        json!({"metadata": metadata, "spec": spec}),
    )
}

/// Syncs the tenant's namespaces and their governance, in the platform project, so that the
/// tenant's own project never needs the governance kinds.
fn governance_application(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Object {
    let path = format!(
        "{}/{}/kubernetes",
        settings.out_path,
        tenant_dir(&tenant.name)
    );
    let destination = if is_cluster(tenant) {
        json!({"name": tenant_cluster_name(tenant)})
    } else {
        json!({"server": settings.destination_server})
    };
    application(
        settings,
        tenant,
        &names::governance_application(&tenant.name),
        "-1",
        json!({
            "project": settings.project,
            "source": platform_source(settings, &tenant.name, "kubernetes", path, None),
            "destination": destination,
            "syncPolicy": sync_policy(settings, true, &["PruneLast=true"]),
        }),
    )
}

/// Syncs the tenant's `cluster.yaml` (Cluster API and Kamaji objects) to the management
/// cluster.
fn cluster_application(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Object {
    let path = format!("{}/{}", settings.out_path, tenant_dir(&tenant.name));
    application(
        settings,
        tenant,
        &names::cluster_application(&tenant.name),
        "-1",
        json!({
            "project": settings.project,
            "source": platform_source(settings, &tenant.name, "cluster", path, Some("cluster.yaml")),
            "destination": {"server": settings.destination_server},
            "syncPolicy": sync_policy(settings, true, &["PruneLast=true"]),
        }),
    )
}

fn workload_applications(settings: &ArgoCdSettings, tenant: &ResolvedTenant) -> Vec<Object> {
    let argocd = &tenant.profile.spec.argocd;
    let automated = argocd.sync_policy.automated.as_ref();
    tenant
        .tenant
        .spec
        .gitops
        .apps
        .iter()
        .filter_map(|app| {
            let env = match &app.environment {
                Some(name) => tenant
                    .environments
                    .iter()
                    .find(|e| e.name.as_ref() == Some(name))?,
                None => tenant.environments.first()?,
            };
            // No `CreateNamespace=true`: the namespace comes only from the governance
            // Application (wave -1). An app that syncs first fails and retries, rather than
            // creating a namespace without quota, NetworkPolicies or RBAC.
            let mut policy = json!({"retry": retry(&argocd.retry)});
            if let Some(auto) = automated {
                policy["automated"] = json!({"prune": auto.prune, "selfHeal": auto.self_heal});
            }
            Some(application(
                settings,
                tenant,
                &names::workload_application(&tenant.name, &app.name),
                "1",
                json!({
                    "project": names::app_project(&tenant.name),
                    "source": {
                        "repoURL": app.repo_url,
                        "path": app.path,
                        "targetRevision": app.target_revision,
                    },
                    "destination": tenant_destination(settings, tenant, &env.namespace),
                    "syncPolicy": policy,
                }),
            ))
        })
        .collect()
}

/// The platform AppProject and the root app-of-apps, for `platform/argocd.yaml`.
pub fn platform_objects(resolved: &Resolved) -> Vec<Object> {
    let settings = &resolved.platform.spec.argocd;
    let mut destinations = vec![json!({"server": settings.destination_server, "namespace": "*"})];
    destinations.extend(
        resolved
            .tenants
            .iter()
            .filter(|t| is_cluster(t))
            .map(|t| json!({"name": tenant_cluster_name(t), "namespace": "*"})),
    );
    // With sync impersonation on, every platform sync runs as the platform service account
    // (default: the application controller's own, so nothing changes); without an entry it
    // would fail. Tenant clusters are named destinations whose URL tenantc does not know:
    // the `*` entry matches them, and the project's destinations confine it to them.
    let account = &settings.platform_service_account;
    let mut accounts = vec![json!({
        "server": settings.destination_server,
        "namespace": "*",
        "defaultServiceAccount": account,
    })];
    if resolved.tenants.iter().any(is_cluster) {
        accounts.push(json!({"server": "*", "namespace": "*", "defaultServiceAccount": account}));
    }
    let mut cluster_kinds = vec![
        json!({"group": "", "kind": "Namespace"}),
        json!({"group": "scheduling.k8s.io", "kind": "PriorityClass"}),
        json!({"group": "kamaji.clastix.io", "kind": "DataStore"}),
        // Kept with either admission engine: Argo CD neither shows nor prunes live objects of
        // kinds its project does not permit, so after a switch to Kyverno it can still prune
        // the ValidatingAdmissionPolicies.
        json!({"group": "admissionregistration.k8s.io", "kind": "ValidatingAdmissionPolicy"}),
        json!({"group": "admissionregistration.k8s.io", "kind": "ValidatingAdmissionPolicyBinding"}),
    ];
    if resolved.platform.spec.admission.engine == AdmissionEngine::Kyverno {
        cluster_kinds.push(json!({"group": "kyverno.io", "kind": "ClusterPolicy"}));
    }
    let project = object(
        "AppProject",
        &settings.project,
        &settings.namespace,
        json!({
            "metadata": {"labels": labels(None), "annotations": {SYNC_WAVE: "-3"}},
            "spec": {
                "description": "Platform governance rendered by tenantc",
                "destinationServiceAccounts": accounts,
                "sourceRepos": [settings.repo_url],
                "destinations": destinations,
                "clusterResourceWhitelist": cluster_kinds,
            },
        }),
    );
    let root = object(
        "Application",
        &settings.root_application,
        &settings.namespace,
        json!({
            "metadata": {"labels": labels(None)},
            "spec": {
                "project": settings.project,
                "source": {
                    "repoURL": settings.repo_url,
                    "targetRevision": settings.target_revision,
                    "path": settings.out_path,
                    "directory": {
                        "recurse": true,
                        "include": "{platform/*.yaml,tenants/*/argocd.yaml}",
                    },
                },
                "destination": {"server": settings.destination_server, "namespace": settings.namespace},
                "syncPolicy": sync_policy(settings, true, &[]),
            },
        }),
    );
    vec![project, root]
}
