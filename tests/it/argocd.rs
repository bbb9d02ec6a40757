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

#[test]
fn example_output_keeps_tenants_isolated() {
    let docs = documents(&root().join("out"));
    let subjects = tenant_subjects();
    // Which namespaces belong to which tenant, from the Namespaces themselves.
    let mut owner: BTreeMap<String, String> = BTreeMap::new();
    for (_, doc) in docs
        .iter()
        .filter(|(_, d)| str_at(d, "/kind") == "Namespace")
    {
        owner.insert(
            str_at(doc, "/metadata/name").into(),
            str_at(doc, "/metadata/labels/tenantc.dev~1tenant").into(),
        );
    }
    assert!(
        owner.len() >= 10,
        "expected the example's namespaces, found {}",
        owner.len()
    );
    let mut projects = 0;
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
                    whitelist.is_none_or(|w| w.is_empty()),
                    "{path}: no cluster-scoped resources for tenants"
                );
                let blacklist: BTreeSet<(String, String)> = doc
                    .pointer("/spec/namespaceResourceBlacklist")
                    .and_then(Value::as_array)
                    .unwrap()
                    .iter()
                    .map(|k| {
                        (
                            str_at(k, "/group").to_string(),
                            str_at(k, "/kind").to_string(),
                        )
                    })
                    .collect();
                for governance in [
                    ("", "ResourceQuota"),
                    ("", "LimitRange"),
                    ("networking.k8s.io", "NetworkPolicy"),
                    ("kyverno.io", "Policy"),
                ] {
                    assert!(
                        blacklist.contains(&(governance.0.into(), governance.1.into())),
                        "{path}: {governance:?} not blacklisted"
                    );
                }
            }
            "Application" => {
                let project = str_at(doc, "/spec/project");
                let tenant = str_at(doc, "/metadata/labels/tenantc.dev~1tenant");
                if project != "platform" {
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
                for s in doc.pointer("/subjects").and_then(Value::as_array).unwrap() {
                    let subject = (
                        str_at(s, "/kind").to_string(),
                        str_at(s, "/name").to_string(),
                    );
                    assert!(
                        subjects[tenant].contains(&subject),
                        "{path}: {subject:?} is not a subject of {tenant}"
                    );
                }
                assert_eq!(
                    str_at(doc, "/roleRef/kind"),
                    "Role",
                    "{path}: bindings refer to the namespace's Roles only"
                );
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
