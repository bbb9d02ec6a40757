//! Argo CD delivery end to end: `cmp generate` run exactly as the repo server runs it, and an
//! isolation audit of every AppProject, RoleBinding and NetworkPolicy of the example output.

use crate::support::{copy_example_inputs, root, tenantc};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::process::{Command, Stdio};

/// A `cmp generate` command as Argo CD's repo server starts it: in the source directory, with
/// only the plugin's environment and stdin closed.
fn plugin(dir: &Path, app: &str, parameters: &str, extra: &[(&str, &str)]) -> Command {
    let mut cmd = tenantc();
    cmd.args(["cmp", "generate"])
        .current_dir(dir)
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("ARGOCD_APP_NAME", app)
        .env("ARGOCD_APP_NAMESPACE", "argocd")
        .env("ARGOCD_APP_PROJECT_NAME", "platform")
        .env("ARGOCD_APP_REVISION", "0123456789abcdef")
        .env("ARGOCD_APP_SOURCE_PATH", ".")
        .env(
            "ARGOCD_APP_SOURCE_REPO_URL",
            "https://git.example.com/platform/tenants.git",
        )
        .env("ARGOCD_APP_PARAMETERS", parameters)
        .env("KUBE_VERSION", "1.33.0")
        .stdin(Stdio::null());
    for (k, v) in extra {
        cmd.env(k, v);
    }
    cmd
}

/// The committed files of a tenant part, joined as one YAML stream.
fn expected_stream(tenant: &str, part: &str) -> String {
    let dir = root().join("out/tenants").join(tenant);
    let mut files: Vec<(String, String)> = crate::support::read_tree(&dir)
        .into_iter()
        .filter(|(path, _)| match part {
            "kubernetes" => path.starts_with("kubernetes/"),
            "all" => true,
            other => path == &format!("{other}.yaml"),
        })
        .map(|(p, b)| (p, String::from_utf8(b).unwrap()))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|(_, c)| c)
        .collect::<Vec<_>>()
        .join("---\n")
}

fn tenants() -> Vec<String> {
    std::fs::read_dir(root().join("out/tenants"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect()
}

#[test]
fn cmp_generate_prints_exactly_the_committed_objects() {
    let repo = root();
    let tenants = tenants();
    assert!(tenants.len() >= 6);
    for tenant in &tenants {
        let mut parts = vec!["kubernetes", "argocd", "all"];
        if repo
            .join("out/tenants")
            .join(tenant)
            .join("cluster.yaml")
            .exists()
        {
            parts.push("cluster");
        }
        for part in parts {
            let params = format!(
                r#"[{{"name":"tenant","string":"{tenant}"}},{{"name":"part","string":"{part}"}}]"#
            );
            let out = plugin(&repo, &format!("{tenant}-governance"), &params, &[])
                .output()
                .unwrap();
            let stderr = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(0), "{tenant}/{part}: {stderr}");
            let stdout = String::from_utf8(out.stdout).unwrap();
            let expected = expected_stream(tenant, part);
            assert!(
                stdout == expected,
                "{tenant}/{part} differs from out/:\n{}",
                crate::support::unified_diff(&expected, &stdout, &format!("{tenant}/{part}"))
            );
        }
    }
}

#[test]
fn cmp_generate_takes_parameters_from_every_place_argo_cd_puts_them() {
    let repo = root();
    let kubernetes = expected_stream("globex", "kubernetes");
    let argocd = expected_stream("globex", "argocd");
    let all = expected_stream("globex", "all");
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, &'a String);
    let cases: Vec<Case> = vec![
        // PARAM_* variables, as Argo CD sets them beside the JSON.
        (
            "x",
            "",
            vec![("PARAM_TENANT", "globex"), ("PARAM_PART", "argocd")],
            &argocd,
        ),
        // Plugin env entries arrive as ARGOCD_ENV_*.
        ("x", "", vec![("ARGOCD_ENV_TENANT", "globex")], &all),
        // An array parameter.
        (
            "x",
            r#"[{"name":"tenant","string":"globex"},{"name":"parts","array":["kubernetes"]}]"#,
            vec![],
            &kubernetes,
        ),
        // Nothing but the Application's name: `<tenant>-governance` implies the kubernetes part.
        ("globex-governance", "", vec![], &kubernetes),
    ];
    for (app, params, extra, expected) in cases {
        let out = plugin(&repo, app, params, &extra).output().unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "{app} {params} {extra:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            String::from_utf8(out.stdout).unwrap() == *expected,
            "{app} {params} {extra:?}"
        );
    }
}

#[test]
fn cmp_generate_reads_only_its_tenant() {
    let dir = tempfile::tempdir().unwrap();
    copy_example_inputs(dir.path());
    // Another tenant's file is broken: globex still renders, because the plugin never reads it.
    std::fs::write(
        dir.path().join("tenants/customers/acme-corp.yaml"),
        "spec: [unclosed\n",
    )
    .unwrap();
    let params = r#"[{"name":"tenant","string":"globex"},{"name":"part","string":"kubernetes"}]"#;
    let out = plugin(dir.path(), "x", params, &[]).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(String::from_utf8(out.stdout).unwrap() == expected_stream("globex", "kubernetes"));
}

#[test]
fn cmp_generate_prints_nothing_on_any_error() {
    let dir = tempfile::tempdir().unwrap();
    copy_example_inputs(dir.path());
    let path = dir.path().join("tenants/customers/globex.yaml");
    let broken = std::fs::read_to_string(&path).unwrap().replace(
        "tier: standard",
        "tier: standard\n  overrides: {quota: {pods: 10x}}",
    );
    std::fs::write(&path, broken).unwrap();
    let cases = [
        (r#"[{"name":"tenant","string":"globex"}]"#, "error[E0213]"),
        (
            r#"[{"name":"tenant","string":"nobody"}]"#,
            "no tenant `nobody`",
        ),
        (
            r#"[{"name":"tenant","string":"docs-team"},{"name":"part","string":"cluster"}]"#,
            "no `cluster` objects",
        ),
        (
            r#"[{"name":"tenant","string":"docs-team"},{"name":"part","string":"everything"}]"#,
            "unknown part",
        ),
        (r#"[{"name":"tenant","string":"../../etc"}]"#, "no tenant"),
        ("not json", "ARGOCD_APP_PARAMETERS"),
        ("", "no tenant given"),
    ];
    for (params, says) in cases {
        let out = plugin(dir.path(), "x", params, &[]).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_ne!(out.status.code(), Some(0), "{params}: {stderr}");
        assert!(
            out.stdout.is_empty(),
            "{params}: stdout must be empty, got {} bytes",
            out.stdout.len()
        );
        assert!(
            stderr.contains(says),
            "{params}: expected `{says}` in {stderr}"
        );
    }
}

/// Every YAML document under `dir`, with the file it came from.
fn documents(dir: &Path) -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for (path, bytes) in crate::support::read_tree(dir) {
        if !path.ends_with(".yaml") {
            continue;
        }
        let text = String::from_utf8(bytes).unwrap();
        let values: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
        docs.extend(values.into_iter().map(|v| (path.clone(), v)));
    }
    docs
}

fn str_at<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
}

/// Every user and group named in each tenant's access lists.
fn tenant_subjects() -> BTreeMap<String, BTreeSet<(String, String)>> {
    let mut subjects = BTreeMap::new();
    for (path, bytes) in crate::support::read_tree(&root().join("tenants")) {
        let doc: Value = serde_saphyr::from_slice(&bytes).unwrap();
        let mut set = BTreeSet::new();
        for role in ["admins", "developers", "viewers"] {
            for (kind, field) in [("User", "users"), ("Group", "groups")] {
                if let Some(list) = doc
                    .pointer(&format!("/spec/access/{role}/{field}"))
                    .and_then(Value::as_array)
                {
                    set.extend(
                        list.iter()
                            .map(|n| (kind.to_string(), n.as_str().unwrap().to_string())),
                    );
                }
            }
        }
        let name = str_at(&doc, "/metadata/name").to_string();
        assert!(path.ends_with(&format!("{name}.yaml")));
        subjects.insert(name, set);
    }
    subjects
}

/// Resource → Kind of everything a tenant Role may write. A Role that writes a resource not
/// listed here fails the audit: add it here once you have decided a tenant may write it.
const TENANT_KINDS: &[(&str, &str, &str)] = &[
    ("", "configmaps", "ConfigMap"),
    ("", "persistentvolumeclaims", "PersistentVolumeClaim"),
    ("", "pods", "Pod"),
    ("", "secrets", "Secret"),
    // Tenants run workloads under their own service accounts; an account has no rights until
    // a RoleBinding gives it some, and no tenant may write RoleBindings.
    ("", "serviceaccounts", "ServiceAccount"),
    ("", "services", "Service"),
    ("apps", "daemonsets", "DaemonSet"),
    ("apps", "deployments", "Deployment"),
    ("apps", "replicasets", "ReplicaSet"),
    ("apps", "statefulsets", "StatefulSet"),
    (
        "autoscaling",
        "horizontalpodautoscalers",
        "HorizontalPodAutoscaler",
    ),
    ("batch", "cronjobs", "CronJob"),
    ("batch", "jobs", "Job"),
    ("networking.k8s.io", "ingresses", "Ingress"),
    ("policy", "poddisruptionbudgets", "PodDisruptionBudget"),
];

/// Kinds no tenant project may let a tenant's Application deploy.
const NEVER_FOR_TENANTS: &[(&str, &str)] = &[
    ("", "Endpoints"),
    ("discovery.k8s.io", "EndpointSlice"),
    ("networking.k8s.io", "NetworkPolicy"),
    ("", "ResourceQuota"),
    ("", "LimitRange"),
    ("rbac.authorization.k8s.io", "Role"),
    ("rbac.authorization.k8s.io", "RoleBinding"),
    ("kyverno.io", "Policy"),
    ("kyverno.io", "ClusterPolicy"),
    ("kyverno.io", "PolicyException"),
    ("policies.kyverno.io", "PolicyException"),
];

/// Argo CD's match of a project pattern (Go's `filepath.Match`, of which only `*` and `?` are
/// expected here).
fn glob(pattern: &str, value: &str) -> bool {
    assert!(
        !pattern.contains(['[', '\\']),
        "unexpected pattern {pattern}"
    );
    let (p, v): (Vec<char>, Vec<char>) = (pattern.chars().collect(), value.chars().collect());
    fn go(p: &[char], v: &[char]) -> bool {
        match p.split_first() {
            None => v.is_empty(),
            Some(('*', rest)) => (0..=v.len()).any(|i| go(rest, &v[i..])),
            Some(('?', rest)) => !v.is_empty() && go(rest, &v[1..]),
            Some((c, rest)) => v.first() == Some(c) && go(rest, &v[1..]),
        }
    }
    go(&p, &v)
}

/// Whether a project's list (`namespaceResourceWhitelist` …) matches (group, kind).
fn listed(project: &Value, list: &str, group: &str, kind: &str) -> bool {
    project
        .pointer(&format!("/spec/{list}"))
        .and_then(Value::as_array)
        .is_some_and(|items| {
            items
                .iter()
                .any(|i| glob(str_at(i, "/group"), group) && glob(str_at(i, "/kind"), kind))
        })
}

/// Whether Argo CD lets `project` deploy a namespaced (group, kind), as its
/// `AppProject.IsGroupKindPermitted` decides: whitelisted (a missing or empty whitelist, which
/// the API server stores as missing, allows every kind) and not blacklisted.
fn kind_permitted(project: &Value, group: &str, kind: &str) -> bool {
    let whitelist_set = project
        .pointer("/spec/namespaceResourceWhitelist")
        .and_then(Value::as_array)
        .is_some_and(|w| !w.is_empty());
    let whitelisted = !whitelist_set || listed(project, "namespaceResourceWhitelist", group, kind);
    whitelisted && !listed(project, "namespaceResourceBlacklist", group, kind)
}

/// Whether an Application's destination is one of the project's (`IsDestinationPermitted`).
fn destination_permitted(project: &Value, destination: &Value) -> bool {
    let allowed = project
        .pointer("/spec/destinations")
        .and_then(Value::as_array);
    allowed.into_iter().flatten().any(|d| {
        let cluster = match (d.get("name"), destination.get("name")) {
            (Some(pattern), Some(name)) => glob(pattern.as_str().unwrap(), name.as_str().unwrap()),
            (None, None) => glob(str_at(d, "/server"), str_at(destination, "/server")),
            _ => false,
        };
        cluster && glob(str_at(d, "/namespace"), str_at(destination, "/namespace"))
    })
}

/// The account Argo CD impersonates to sync an Application of `project` (as
/// `DeriveServiceAccountToImpersonate` does) as `namespace:name`, or `None` when no entry
/// matches and the sync fails. A destination by cluster name has a server URL that tenantc does
/// not know: only a pattern that matches any URL can match it.
fn impersonated(project: &Value, destination: &Value, app_namespace: &str) -> Option<String> {
    let server = match destination.get("name") {
        Some(name) => format!("https://{}.unknown.invalid:6443", name.as_str().unwrap()),
        None => str_at(destination, "/server").to_string(),
    };
    let namespace = str_at(destination, "/namespace");
    let entry = project
        .pointer("/spec/destinationServiceAccounts")
        .and_then(Value::as_array)?
        .iter()
        .find(|e| {
            glob(str_at(e, "/server"), &server) && glob(str_at(e, "/namespace"), namespace)
        })?;
    let account = str_at(entry, "/defaultServiceAccount");
    Some(if account.contains(':') {
        account.to_string()
    } else if namespace.is_empty() {
        format!("{app_namespace}:{account}")
    } else {
        format!("{namespace}:{account}")
    })
}

type Grants = BTreeSet<(String, String, String)>;

/// Every (group, resource, verb) a Role grants.
fn role_grants(role: &Value) -> Grants {
    let mut grants = Grants::new();
    for rule in role.pointer("/rules").and_then(Value::as_array).unwrap() {
        let list = |f: &str| -> Vec<String> {
            rule.get(f)
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
                .map(|v| v.as_str().unwrap().to_string())
                .collect()
        };
        assert!(rule.get("resourceNames").is_none());
        for group in list("apiGroups") {
            for resource in list("resources") {
                for verb in list("verbs") {
                    grants.insert((group.clone(), resource.clone(), verb));
                }
            }
        }
    }
    grants
}

/// The Kinds a Role may create, through [`TENANT_KINDS`].
fn writable_kinds(grants: &Grants, what: &str) -> BTreeSet<(String, String)> {
    grants
        .iter()
        .filter(|(_, resource, verb)| verb == "create" && !resource.contains('/'))
        .map(|(group, resource, _)| {
            let (_, _, kind) = TENANT_KINDS
                .iter()
                .find(|(g, r, _)| g == group && r == resource)
                .unwrap_or_else(|| panic!("{what} writes {group}/{resource}, not in TENANT_KINDS"));
            (group.clone(), kind.to_string())
        })
        .collect()
}

#[test]
fn example_output_keeps_tenants_isolated() {
    let docs = documents(&root().join("out"));
    let subjects = tenant_subjects();
    // Which namespaces belong to which tenant, from the Namespaces themselves; the namespaces
    // of its environments are those of its `kubernetes/` files.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    let mut environments: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // Roles and ServiceAccounts by (namespace, name).
    let mut roles: BTreeMap<(String, String), Grants> = BTreeMap::new();
    let mut accounts: BTreeSet<(String, String)> = BTreeSet::new();
    let mut bindings: Vec<&Value> = Vec::new();
    for (path, doc) in &docs {
        let key = || {
            (
                str_at(doc, "/metadata/namespace").to_string(),
                str_at(doc, "/metadata/name").to_string(),
            )
        };
        match str_at(doc, "/kind") {
            "Namespace" => {
                let (name, tenant) = (
                    str_at(doc, "/metadata/name"),
                    str_at(doc, "/metadata/labels/tenantc.dev~1tenant"),
                );
                owner.insert(name.into(), tenant.into());
                if path.contains("/kubernetes/") {
                    environments
                        .entry(tenant.into())
                        .or_default()
                        .insert(name.into());
                }
            }
            "Role" => {
                roles.insert(key(), role_grants(doc));
            }
            "ServiceAccount" => {
                accounts.insert(key());
            }
            "RoleBinding" => bindings.push(doc),
            _ => {}
        }
    }
    assert!(
        owner.len() >= 10,
        "expected the example's namespaces, found {}",
        owner.len()
    );
    let admin_of = |ns: &str| -> &Grants {
        roles
            .get(&(ns.to_string(), "tenant-admin".to_string()))
            .unwrap_or_else(|| panic!("namespace {ns} has no tenant-admin Role"))
    };
    // What an account bound in a namespace may do: the union of its bound Roles.
    let account_grants = |ns: &str, name: &str| -> Grants {
        bindings
            .iter()
            .filter(|b| str_at(b, "/metadata/namespace") == ns)
            .filter(|b| {
                b.pointer("/subjects")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .any(|s| {
                        str_at(s, "/kind") == "ServiceAccount"
                            && str_at(s, "/name") == name
                            && str_at(s, "/namespace") == ns
                    })
            })
            .flat_map(|b| roles[&(ns.to_string(), str_at(b, "/roleRef/name").to_string())].clone())
            .collect()
    };
    let projects_by_name: BTreeMap<&str, &Value> = docs
        .iter()
        .filter(|(_, d)| str_at(d, "/kind") == "AppProject")
        .map(|(_, d)| (str_at(d, "/metadata/name"), d))
        .collect();
    let mut projects = 0;
    let mut tenant_apps = 0;
    for (path, doc) in &docs {
        let kind = str_at(doc, "/kind");
        let name = str_at(doc, "/metadata/name");
        match kind {
            "AppProject" if name != "platform" => {
                projects += 1;
                let tenant = str_at(doc, "/metadata/labels/tenantc.dev~1tenant");
                assert_eq!(name, tenant, "{path}: a tenant's project is named after it");
                for dest in doc
                    .pointer("/spec/destinations")
                    .and_then(Value::as_array)
                    .unwrap()
                {
                    if let Some(cluster) = dest.get("name").and_then(Value::as_str) {
                        assert_eq!(cluster, tenant, "{path}: only its own cluster");
                    } else {
                        let ns = str_at(dest, "/namespace");
                        assert_eq!(
                            owner.get(ns).map(String::as_str),
                            Some(tenant),
                            "{path}: destination `{ns}` is not {tenant}'s"
                        );
                    }
                }
                let whitelist = doc
                    .pointer("/spec/clusterResourceWhitelist")
                    .and_then(Value::as_array);
                assert!(
                    whitelist.is_some_and(|w| w.is_empty()),
                    "{path}: no cluster-scoped resources for tenants"
                );
                // The whitelist is exactly what tenant-admin may write, in every namespace.
                let namespaces = &environments[tenant];
                let whitelist: BTreeSet<(String, String)> = doc
                    .pointer("/spec/namespaceResourceWhitelist")
                    .and_then(Value::as_array)
                    .unwrap_or_else(|| panic!("{path}: no namespaceResourceWhitelist"))
                    .iter()
                    .map(|k| (str_at(k, "/group").into(), str_at(k, "/kind").into()))
                    .collect();
                for ns in namespaces {
                    let admin = writable_kinds(admin_of(ns), &format!("{ns}/tenant-admin"));
                    assert_eq!(
                        whitelist, admin,
                        "{path}: the whitelist is not what tenant-admin in {ns} may write"
                    );
                }
                for (group, kind) in NEVER_FOR_TENANTS {
                    assert!(
                        !whitelist.contains(&(group.to_string(), kind.to_string()))
                            && !kind_permitted(doc, group, kind),
                        "{path}: {tenant} may deploy {group}/{kind}"
                    );
                }
                // The contract (DESIGN.md §4) still names these in a blacklist.
                for (group, kind) in [
                    ("", "ResourceQuota"),
                    ("", "LimitRange"),
                    ("networking.k8s.io", "NetworkPolicy"),
                ] {
                    assert!(
                        listed(doc, "namespaceResourceBlacklist", group, kind),
                        "{path}: {group}/{kind} not blacklisted"
                    );
                }
                // One deployer per namespace of the tenant, and none elsewhere: each exists in
                // out/, in that namespace, and may do no more than tenant-admin there.
                let entries = doc
                    .pointer("/spec/destinationServiceAccounts")
                    .and_then(Value::as_array)
                    .unwrap_or_else(|| panic!("{path}: no destinationServiceAccounts"));
                let covered: BTreeSet<String> = entries
                    .iter()
                    .map(|e| str_at(e, "/namespace").to_string())
                    .collect();
                assert_eq!(&covered, namespaces, "{path}: one account per namespace");
                assert_eq!(
                    covered.len(),
                    entries.len(),
                    "{path}: one entry per namespace"
                );
                for dest in doc
                    .pointer("/spec/destinations")
                    .and_then(Value::as_array)
                    .unwrap()
                {
                    let ns = str_at(dest, "/namespace");
                    let targets: Vec<&String> = if ns == "*" {
                        namespaces.iter().collect()
                    } else {
                        namespaces.iter().filter(|n| n.as_str() == ns).collect()
                    };
                    assert!(
                        !targets.is_empty(),
                        "{path}: {dest} is no namespace of {tenant}"
                    );
                    for target in targets {
                        let mut dest = dest.clone();
                        dest["namespace"] = target.as_str().into();
                        let account = impersonated(doc, &dest, "argocd")
                            .unwrap_or_else(|| panic!("{path}: no account for {dest}"));
                        let (ns, sa) = account.split_once(':').unwrap();
                        assert_eq!(ns, target, "{path}: {dest} syncs as {account}");
                        assert!(
                            accounts.contains(&(ns.into(), sa.into())),
                            "{path}: ServiceAccount {account} is not in out/"
                        );
                        let grants = account_grants(ns, sa);
                        assert!(!grants.is_empty(), "{path}: {account} is bound to nothing");
                        let extra: Vec<_> = grants.difference(admin_of(ns)).collect();
                        assert!(
                            extra.is_empty(),
                            "{path}: {account} may do more than tenant-admin: {extra:?}"
                        );
                    }
                }
            }
            "Application" => {
                let project = str_at(doc, "/spec/project");
                let tenant = str_at(doc, "/metadata/labels/tenantc.dev~1tenant");
                let destination = doc.pointer("/spec/destination").unwrap();
                let app_project = projects_by_name[project];
                assert!(
                    destination_permitted(app_project, destination),
                    "{path}: {name} is outside its project's destinations"
                );
                let account = impersonated(app_project, destination, "argocd")
                    .unwrap_or_else(|| panic!("{path}: {name} would sync as nobody"));
                if project != "platform" {
                    tenant_apps += 1;
                    assert_eq!(
                        project, tenant,
                        "{path}: {name} deploys in its tenant's project"
                    );
                    let ns = str_at(doc, "/spec/destination/namespace");
                    assert_eq!(
                        owner.get(ns).map(String::as_str),
                        Some(tenant),
                        "{path}: {name} deploys outside its tenant"
                    );
                    assert_eq!(account, format!("{ns}:tenantc-deployer"), "{path}: {name}");
                } else {
                    assert_eq!(
                        account, "argocd:argocd-application-controller",
                        "{path}: {name} syncs as the platform's account"
                    );
                }
                let decommissioned =
                    str_at(doc, "/metadata/labels/tenantc.dev~1tenant") == "umbrella";
                let finalizer = doc.pointer("/metadata/finalizers").is_some();
                assert_eq!(
                    finalizer, decommissioned,
                    "{path}: {name}: the resources finalizer is only for decommissioned tenants"
                );
            }
            "ClusterRoleBinding" | "ClusterRole" => panic!("{path}: tenantc never emits {kind}"),
            "RoleBinding" => {
                let ns = str_at(doc, "/metadata/namespace");
                let tenant = owner
                    .get(ns)
                    .unwrap_or_else(|| panic!("{path}: RoleBinding outside tenant namespaces"));
                assert_eq!(
                    str_at(doc, "/roleRef/kind"),
                    "Role",
                    "{path}: bindings refer to the namespace's Roles only"
                );
                for s in doc.pointer("/subjects").and_then(Value::as_array).unwrap() {
                    if str_at(s, "/kind") == "ServiceAccount" {
                        // The deployer: an account of this namespace, no wider than tenant-admin.
                        assert_eq!(
                            str_at(s, "/namespace"),
                            ns,
                            "{path}: another namespace's account"
                        );
                        let role = &roles[&(ns.to_string(), str_at(doc, "/roleRef/name").into())];
                        assert!(
                            role.is_subset(admin_of(ns)),
                            "{path}: {name} is wider than tenant-admin"
                        );
                        continue;
                    }
                    let subject = (
                        str_at(s, "/kind").to_string(),
                        str_at(s, "/name").to_string(),
                    );
                    assert!(
                        subjects[tenant].contains(&subject),
                        "{path}: {subject:?} is not a subject of {tenant}"
                    );
                }
            }
            "Role" => {
                for rule in doc.pointer("/rules").and_then(Value::as_array).unwrap() {
                    let list = |f: &str| {
                        rule.get(f)
                            .and_then(Value::as_array)
                            .cloned()
                            .unwrap_or_default()
                    };
                    assert!(
                        !list("resources").iter().any(|r| r == "*"),
                        "{path}: {name} grants `*`"
                    );
                    let writes = list("verbs")
                        .iter()
                        .any(|v| !["get", "list", "watch"].contains(&v.as_str().unwrap()));
                    for r in list("resources") {
                        let r = r.as_str().unwrap();
                        // Endpoints steer a Service's traffic (CVE-2021-25740).
                        let governance = [
                            "resourcequotas",
                            "limitranges",
                            "networkpolicies",
                            "roles",
                            "rolebindings",
                            "endpoints",
                            "endpointslices",
                        ];
                        assert!(
                            !(writes && governance.contains(&r)),
                            "{path}: {name} may change {r}"
                        );
                    }
                }
            }
            _ => {}
        }
    }
    assert!(
        projects >= 6,
        "expected a project per tenant, found {projects}"
    );
    assert!(
        tenant_apps >= 3,
        "expected tenant Applications, found {tenant_apps}"
    );
    // Every tenant namespace denies all ingress and egress by default.
    for ns in owner.keys() {
        let deny = docs.iter().any(|(_, d)| {
            str_at(d, "/kind") == "NetworkPolicy"
                && str_at(d, "/metadata/namespace") == ns
                && d.pointer("/spec/podSelector") == Some(&serde_json::json!({}))
                && d.pointer("/spec/ingress").is_none()
                && d.pointer("/spec/egress").is_none()
                && d.pointer("/spec/policyTypes") == Some(&serde_json::json!(["Ingress", "Egress"]))
        });
        assert!(deny, "namespace {ns} has no default-deny NetworkPolicy");
    }
}

/// A tenant's own Application cannot deploy what its Roles may not write: its project refuses
/// an EndpointSlice, Endpoints or a Kyverno PolicyException in the Application's own namespace,
/// as Argo CD evaluates the project, while a Deployment passes. Rendered by the CLI from the
/// example. The blacklist alone (the projects before the whitelist) let them through.
#[test]
fn tenant_applications_cannot_deploy_what_tenant_roles_may_not_write() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    crate::support::run(
        tenantc()
            .args(["render", "--repo"])
            .arg(root())
            .arg("--out")
            .arg(&out),
    )
    .expect_code(0, "render");
    let docs = documents(&out);
    let projects: BTreeMap<&str, &Value> = docs
        .iter()
        .filter(|(_, d)| str_at(d, "/kind") == "AppProject")
        .map(|(_, d)| (str_at(d, "/metadata/name"), d))
        .collect();
    let escapes = [
        ("discovery.k8s.io", "EndpointSlice"),
        ("", "Endpoints"),
        ("kyverno.io", "PolicyException"),
        ("kyverno.io", "Policy"),
        ("networking.k8s.io", "NetworkPolicy"),
        ("rbac.authorization.k8s.io", "RoleBinding"),
    ];
    let mut checked = 0;
    for (path, app) in &docs {
        let project = str_at(app, "/spec/project");
        if str_at(app, "/kind") != "Application" || project == "platform" {
            continue;
        }
        checked += 1;
        let name = str_at(app, "/metadata/name");
        let project = projects[project];
        let destination = app.pointer("/spec/destination").unwrap();
        let permits = |project: &Value, group: &str, kind: &str| {
            destination_permitted(project, destination) && kind_permitted(project, group, kind)
        };
        assert!(
            permits(project, "apps", "Deployment"),
            "{path}: {name} cannot even deploy a Deployment"
        );
        // The project as it was: the governance blacklist, no whitelist.
        let mut before = (*project).clone();
        let spec = before["spec"].as_object_mut().unwrap();
        spec.remove("namespaceResourceWhitelist");
        spec.insert(
            "namespaceResourceBlacklist".into(),
            serde_json::json!([
                {"group": "", "kind": "LimitRange"},
                {"group": "", "kind": "ResourceQuota"},
                {"group": "kyverno.io", "kind": "Policy"},
                {"group": "networking.k8s.io", "kind": "NetworkPolicy"},
                {"group": "rbac.authorization.k8s.io", "kind": "Role"},
                {"group": "rbac.authorization.k8s.io", "kind": "RoleBinding"},
            ]),
        );
        assert!(permits(&before, "discovery.k8s.io", "EndpointSlice"));
        assert!(permits(&before, "kyverno.io", "PolicyException"));
        for (group, kind) in escapes {
            assert!(
                !permits(project, group, kind),
                "{path}: {name} may deploy {group}/{kind}"
            );
        }
    }
    assert!(
        checked >= 3,
        "expected tenant Applications, found {checked}"
    );
}

/// The platform AppProject lets the root Application sync every kind of
/// `platform/admission.yaml`, and permits Kyverno ClusterPolicies only when platform.yaml
/// chooses the Kyverno engine: the example (ValidatingAdmissionPolicies) and
/// `fixtures/admission-kyverno`, whose committed output the golden test keeps current.
#[test]
fn platform_project_permits_the_admission_kinds_of_its_engine() {
    for (repo, kyverno) in [
        (root(), false),
        (root().join("fixtures/admission-kyverno"), true),
    ] {
        let docs = documents(&repo.join("out/platform"));
        let project = docs
            .iter()
            .map(|(_, doc)| doc)
            .find(|doc| str_at(doc, "/kind") == "AppProject")
            .unwrap();
        let mut emitted = BTreeSet::new();
        for (path, doc) in &docs {
            if path != "admission.yaml" {
                continue;
            }
            let api_version = str_at(doc, "/apiVersion");
            let group = api_version.rsplit_once('/').map_or("", |(group, _)| group);
            let kind = str_at(doc, "/kind");
            assert!(
                listed(project, "clusterResourceWhitelist", group, kind),
                "{}: the platform project does not permit {group}/{kind}",
                repo.display()
            );
            emitted.insert(kind.to_string());
        }
        let expected: &[&str] = if kyverno {
            &["ClusterPolicy"]
        } else {
            &[
                "ValidatingAdmissionPolicy",
                "ValidatingAdmissionPolicyBinding",
            ]
        };
        assert_eq!(
            emitted,
            expected.iter().map(|k| k.to_string()).collect(),
            "{}",
            repo.display()
        );
        assert_eq!(
            listed(
                project,
                "clusterResourceWhitelist",
                "kyverno.io",
                "ClusterPolicy"
            ),
            kyverno,
            "{}: kyverno.io ClusterPolicy is permitted only with the Kyverno engine",
            repo.display()
        );
    }
}

#[test]
fn shipped_argocd_manifests_are_valid() {
    let dir = root().join("deploy/argocd");
    let schema = |path: &str| -> jsonschema::Validator {
        let text =
            std::fs::read_to_string(root().join("tests/upstream-schemas").join(path)).unwrap();
        jsonschema::validator_for(&serde_json::from_str(&text).unwrap()).unwrap()
    };
    let app: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("example-application.yaml")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = schema("crds/argoproj.io/application_v1alpha1.json")
        .iter_errors(&app)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(str_at(&app, "/spec/source/plugin/name"), "tenantc");
    let config_map: Value =
        serde_saphyr::from_str(&std::fs::read_to_string(dir.join("plugin.yaml")).unwrap()).unwrap();
    let errors: Vec<String> = schema("kubernetes/configmap.json")
        .iter_errors(&config_map)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    let plugin: Value = serde_saphyr::from_str(str_at(&config_map, "/data/plugin.yaml")).unwrap();
    assert_eq!(str_at(&plugin, "/kind"), "ConfigManagementPlugin");
    assert_eq!(str_at(&plugin, "/metadata/name"), "tenantc");
    assert_eq!(
        plugin.pointer("/spec/generate/command"),
        Some(&serde_json::json!(["tenantc", "cmp", "generate"]))
    );
    // The argocd-cm patch that turns sync impersonation on.
    let argocd_cm: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("argocd-cm-impersonation.yaml")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = schema("kubernetes/configmap.json")
        .iter_errors(&argocd_cm)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(str_at(&argocd_cm, "/metadata/name"), "argocd-cm");
    assert_eq!(str_at(&argocd_cm, "/metadata/namespace"), "argocd");
    assert_eq!(
        argocd_cm.pointer("/data"),
        Some(&serde_json::json!({"application.sync.impersonation.enabled": "true"}))
    );
    // The argocd-cm patch that gives Applications a health check, without which sync waves
    // between Applications order nothing (Argo CD 1.8 removed it from the defaults).
    let health: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(dir.join("argocd-cm-application-health.yaml")).unwrap(),
    )
    .unwrap();
    let errors: Vec<String> = schema("kubernetes/configmap.json")
        .iter_errors(&health)
        .map(|e| e.to_string())
        .collect();
    assert!(errors.is_empty(), "{errors:?}");
    assert_eq!(str_at(&health, "/metadata/name"), "argocd-cm");
    assert_eq!(str_at(&health, "/metadata/namespace"), "argocd");
    let data = health["data"].as_object().unwrap();
    assert_eq!(
        data.keys().collect::<Vec<_>>(),
        ["resource.customizations.health.argoproj.io_Application"],
        "the health patch sets only the Application health check"
    );
    let lua = str_at(
        &health,
        "/data/resource.customizations.health.argoproj.io_Application",
    );
    for needle in [
        "hs.status = \"Progressing\"",
        "if obj.status ~= nil then",
        "hs.status = obj.status.health.status",
        "return hs",
    ] {
        assert!(
            lua.contains(needle),
            "the health check lacks `{needle}`:\n{lua}"
        );
    }
    // The two patches compose: they set different keys of argocd-cm.
    assert!(
        argocd_cm["data"]
            .as_object()
            .unwrap()
            .keys()
            .all(|k| !data.contains_key(k))
    );
    let sidecar = std::fs::read_to_string(dir.join("repo-server-sidecar.yaml")).unwrap();
    for needle in [
        "runAsUser: 999",
        "/var/run/argocd/argocd-cmp-server",
        "mountPath: /tmp",
        "subPath: plugin.yaml",
    ] {
        assert!(
            sidecar.contains(needle),
            "the sidecar patch lacks `{needle}`"
        );
    }
}

/// Every Application of a rendered tree, with the file it is in.
fn applications(out: &Path) -> Vec<(String, Value)> {
    documents(out)
        .into_iter()
        .filter(|(_, doc)| str_at(doc, "/kind") == "Application")
        .collect()
}

fn default_retry() -> Value {
    serde_json::json!({
        "limit": 5,
        "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
    })
}

/// Every generated Application retries a failed sync (Argo CD's automated sync does not sync
/// the same commit again by itself), none may create its namespace, and the waves put a
/// tenant's governance before its own Applications.
#[test]
fn every_application_retries_and_none_creates_its_namespace() {
    let mut kinds = BTreeSet::new();
    for repo in [
        root(),
        root().join("fixtures/cluster-kamaji"),
        root().join("fixtures/argocd-plugin-delivery"),
    ] {
        let apps = applications(&repo.join("out"));
        assert!(!apps.is_empty(), "{}", repo.display());
        for (path, app) in &apps {
            let name = str_at(app, "/metadata/name");
            let policy = &app["spec"]["syncPolicy"];
            assert_eq!(
                policy["retry"],
                default_retry(),
                "{path}: Application {name} has no default retry"
            );
            let options = policy["syncOptions"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            assert!(
                options
                    .iter()
                    .all(|o| !o.as_str().unwrap_or("").starts_with("CreateNamespace")),
                "{path}: Application {name} may create its namespace: {options:?}"
            );
            let wave = str_at(app, "/metadata/annotations/argocd.argoproj.io~1sync-wave");
            let kind = if name.ends_with("-governance") || name.ends_with("-cluster") {
                assert_eq!(wave, "-1", "{path}: {name}");
                "platform"
            } else if path.starts_with("platform/") {
                "root"
            } else {
                // A tenant's own Application: after its governance, in its own project.
                assert_eq!(wave, "1", "{path}: {name}");
                assert_ne!(str_at(app, "/spec/project"), "platform", "{path}: {name}");
                "tenant"
            };
            kinds.insert(kind);
        }
        // A tenant's own project may create no cluster-scoped object, a Namespace included.
        for (path, doc) in documents(&repo.join("out/tenants")) {
            if str_at(&doc, "/kind") == "AppProject" {
                assert_eq!(
                    doc["spec"]["clusterResourceWhitelist"],
                    serde_json::json!([]),
                    "{path}"
                );
            }
        }
    }
    assert_eq!(
        kinds,
        ["platform", "root", "tenant"].into_iter().collect(),
        "every kind of Application was seen"
    );
}

/// platform.yaml `spec.argocd.retry` sets the platform's Applications; a tier's
/// `argocd.retry` its tenants' own; a tenant's `overrides` may set it for its own
/// Applications only (it is no guardrail: retrying concerns nobody else).
#[test]
fn retry_is_configurable_per_platform_tier_and_tenant() {
    let dir = tempfile::tempdir().unwrap();
    copy_example_inputs(dir.path());
    let platform = dir.path().join("platform.yaml");
    let text = std::fs::read_to_string(&platform).unwrap();
    let edited = text.replacen(
        "  argocd:\n",
        "  argocd:\n    retry: {limit: 2, backoff: {duration: 5s, maxDuration: 1m}}\n",
        1,
    );
    assert_ne!(text, edited, "platform.yaml has `  argocd:`");
    std::fs::write(&platform, edited).unwrap();
    let edit = |path: &str, from: &str, to: &str| {
        let path = dir.path().join(path);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{}: {from:?}", path.display());
        std::fs::write(&path, text.replacen(from, to, 1)).unwrap();
    };
    edit(
        "tiers/standard.yaml",
        "  argocd:\n    syncPolicy: {automated: {prune: true, selfHeal: true}}\n",
        "  argocd:\n    syncPolicy: {automated: {prune: true, selfHeal: true}}\n    retry: {limit: 8}\n",
    );
    // A tenant sets its own: no guardrail refuses it.
    edit(
        "tenants/customers/acme-corp.yaml",
        "  overrides:\n",
        "  overrides:\n    argocd: {retry: {limit: 1, backoff: {factor: 3}}}\n",
    );
    let out = dir.path().join("out");
    let ran = crate::support::run(
        tenantc()
            .current_dir(dir.path())
            .args(["render", "--out"])
            .arg(&out),
    );
    ran.expect_code(0, "render with retry settings");
    let platform_retry = serde_json::json!({
        "limit": 2,
        "backoff": {"duration": "5s", "factor": 2, "maxDuration": "1m"},
    });
    let tier_retry = serde_json::json!({
        "limit": 8,
        "backoff": {"duration": "10s", "factor": 2, "maxDuration": "3m"},
    });
    let standard: BTreeSet<String> = documents(&out.join("tenants"))
        .into_iter()
        .filter(|(_, d)| {
            str_at(d, "/kind") == "Namespace"
                && str_at(d, "/metadata/labels/tenantc.dev~1tier") == "standard"
        })
        .map(|(_, d)| str_at(&d, "/metadata/labels/tenantc.dev~1tenant").to_string())
        .collect();
    assert!(!standard.is_empty());
    let tenant_retry = serde_json::json!({
        "limit": 1,
        "backoff": {"duration": "10s", "factor": 3, "maxDuration": "3m"},
    });
    let mut seen_tier = false;
    let mut seen_tenant = false;
    for (path, app) in applications(&out) {
        let name = str_at(&app, "/metadata/name");
        let retry = &app["spec"]["syncPolicy"]["retry"];
        if str_at(&app, "/spec/project") == "platform" {
            assert_eq!(retry, &platform_retry, "{path}: {name}");
        } else if str_at(&app, "/metadata/labels/tenantc.dev~1tenant") == "acme-corp" {
            assert_eq!(retry, &tenant_retry, "{path}: {name}");
            seen_tenant = true;
        } else if standard.contains(str_at(&app, "/metadata/labels/tenantc.dev~1tenant")) {
            assert_eq!(retry, &tier_retry, "{path}: {name}");
            seen_tier = true;
        } else {
            assert_eq!(retry, &default_retry(), "{path}: {name}");
        }
    }
    assert!(seen_tier, "a standard tenant with its own Application");
    assert!(seen_tenant, "acme-corp's own Application");
}
