//! The escape corpus: tenant files written by someone who wants more than the tier gives,
//! dropped into the example repository as a pull request would drop them.
//!
//! Each escape an audit reproduced (main at 11c0c37 rendered every one with exit 0) must now
//! be refused: exit 1, every escape reported with its guardrail's code at the line the
//! tenant wrote it (`# escape: CODE` marks the line), and nothing under `out/` touched. The
//! escapes that only a running cluster can stop (tolerations, node selection, priority
//! classes, Service external IPs) are evaluated in `admission.rs`; Argo CD's side in
//! `argocd.rs`.

use crate::support::{copy_example_inputs, read_tree, run, tenantc};
use serde_json::Value;
use std::collections::BTreeSet;
use std::path::Path;

/// The marker naming the code expected on a line.
const MARKER: &str = "# escape: ";

/// One tenant file with every loosening the audit tried through `overrides`, on the
/// restricted `standard` tier.
const HOSTILE_OVERRIDES: &str = r#"# A tenant file that tries every way out of its tier at once.
apiVersion: tenantc.dev/v1alpha1
kind: Tenant
metadata:
  name: mallory
spec:
  tier: standard
  access:
    admins:
      groups:
        - system:authenticated  # escape: E0709
        - system:serviceaccounts  # escape: E0709
  gitops:
    apps:
      - name: anything
        repoURL: "*"  # escape: E0708
        environment: prod
      - name: elsewhere
        repoURL: https://github.com/mallory/manifests.git  # escape: E0708
        environment: prod
      - name: sideways
        repoURL: https://git.example.com/mallory/../acme/apps.git  # escape: E0708
        environment: prod
  network: {podCidr: 10.200.0.0/16, serviceCidr: 10.201.0.0/16}
  overrides:
    podSecurity: privileged  # escape: E0702
    environments:
      - {name: dev, quotaShare: 0.4, podSecurity: privileged}  # escape: E0702
      - {name: prod, quotaShare: 0.6, podSecurity: privileged}  # escape: E0702
    isolation: cluster  # escape: E0701
    cluster:  # escape: E0701
      kubernetesVersion: v1.34.1
      classRef: {name: kubevirt-kamaji}
      machineSize: large
      workers: 50
      dataStore: dedicated
    nodePool:  # escape: E0701
      provider: aws
      instanceTypes: [p5.48xlarge]
      scaling: {min: 1, desired: 1, max: 1000}
    quota:
      requests.cpu: "1000"  # escape: E0705
      requests.memory: 2000Gi  # escape: E0705
      limits.cpu: "2000"  # escape: E0705
      limits.memory: 4000Gi  # escape: E0705
      pods: "5000"  # escape: E0705
    network:
      defaultDeny: false  # escape: E0703
      ingress:
        - name: world  # escape: E0704
          cidr: 0.0.0.0/0
      egress:
        - name: internet  # escape: E0704
          cidr: 0.0.0.0/0
    allowExternalNameServices: true  # escape: E0701
    priorityClass: {name: tenant-critical, value: 500000}  # escape: E0701
    guardrails:  # escape: E0701
      quota: {requests.cpu: "1000"}
"#;

/// Every `(code, line)` a marker expects in `text`.
fn markers(text: &str) -> BTreeSet<(String, usize)> {
    text.lines()
        .enumerate()
        .filter_map(|(i, line)| {
            let code = line.split(MARKER).nth(1)?;
            Some((code.trim().to_string(), i + 1))
        })
        .collect()
}

/// Every `(code, line)` reported in `file`, from `validate --format json`.
fn reported(repo: &Path, file: &str) -> (Option<i32>, BTreeSet<(String, usize)>) {
    let ran = run(tenantc()
        .args(["validate", "--format", "json", "--repo"])
        .arg(repo));
    let all: Vec<Value> = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("{e}: {}\n{}", ran.stdout, ran.stderr));
    let found = all
        .iter()
        .filter(|d| d.pointer("/primary/file").and_then(Value::as_str) == Some(file))
        .map(|d| {
            (
                d["code"].as_str().unwrap().to_string(),
                d.pointer("/primary/line").and_then(Value::as_u64).unwrap() as usize,
            )
        })
        .collect();
    (ran.code, found)
}

/// Adds `files` to a copy of the example, renders it once before (a valid `out/`), and checks
/// that a render with the files exits 1, reports every marker and writes nothing.
fn assert_refused(files: &[(&str, &str)]) {
    let dir = tempfile::tempdir().unwrap();
    copy_example_inputs(dir.path());
    run(tenantc().arg("render").arg("--repo").arg(dir.path())).expect_code(0, "seed render");
    let before = read_tree(&dir.path().join("out"));
    for (path, text) in files {
        std::fs::write(dir.path().join(path), text).unwrap();
    }
    let render = run(tenantc().arg("render").arg("--repo").arg(dir.path()));
    assert_eq!(render.code, Some(1), "{}", render.stderr);
    assert!(
        read_tree(&dir.path().join("out")) == before,
        "out/ changed on a refused render"
    );
    for (path, text) in files {
        let expected = markers(text);
        let (code, found) = reported(dir.path(), path);
        assert_eq!(code, Some(1));
        let missing: Vec<_> = expected.difference(&found).collect();
        assert!(
            missing.is_empty(),
            "{path}: escapes not reported (code, line): {missing:?}\nreported: {found:?}"
        );
    }
}

#[test]
fn a_tenant_file_cannot_loosen_its_own_governance() {
    let expected = markers(HOSTILE_OVERRIDES);
    assert!(expected.len() >= 20, "the corpus went missing");
    assert_refused(&[("tenants/customers/mallory.yaml", HOSTILE_OVERRIDES)]);
}

/// With the repository's own `singleNamespaceTemplate: "{{ tenant }}"`, a tenant named after
/// a platform namespace would own it (and its AppProject would be named after it).
#[test]
fn a_tenant_cannot_take_a_name_that_belongs_to_the_platform() {
    for name in [
        "kube-system",
        "kube-public",
        "default",
        "argocd",
        "kamaji-system",
        "kmetal-capi-providers",
        "api-gateway",
        "observability",
        "monitoring",
    ] {
        let text = format!(
            "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: {name}  # escape: E0710\nspec:\n  tier: free\n  access:\n    admins: {{groups: [team-admins]}}\n"
        );
        let path = format!("tenants/{name}.yaml");
        assert_refused(&[(path.as_str(), text.as_str())]);
    }
}

/// What a tier opens on purpose stays open: the example's `standard` tier lets `payments` raise
/// its memory and reach the card processor, and the same tenant file within those bounds
/// renders.
#[test]
fn a_tenant_may_use_what_its_tier_opens() {
    let dir = tempfile::tempdir().unwrap();
    copy_example_inputs(dir.path());
    let text = "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: trent\nspec:\n  tier: standard\n  access:\n    admins: {groups: [trent-admins]}\n  gitops:\n    apps:\n      - {name: web, repoURL: \"https://git.example.com/trent/web.git\", environment: prod}\n  overrides:\n    podSecurity: restricted\n    quota: {requests.memory: 40Gi, limits.memory: 80Gi, requests.cpu: \"2\"}\n    limits:\n      container:\n        max: {memory: 2Gi}\n    network:\n      allowDns: true\n      egress:\n        - {name: card-processor, cidr: 203.0.113.128/25, ports: [\"443/TCP\"]}\n";
    std::fs::write(dir.path().join("tenants/trent.yaml"), text).unwrap();
    run(tenantc().arg("render").arg("--repo").arg(dir.path())).expect_code(0, "render");
    // One more GiB of memory than the tier's ceiling is refused.
    std::fs::write(
        dir.path().join("tenants/trent.yaml"),
        text.replace("requests.memory: 40Gi", "requests.memory: 41Gi"),
    )
    .unwrap();
    let (code, found) = reported(dir.path(), "tenants/trent.yaml");
    assert_eq!(code, Some(1));
    assert_eq!(
        found.iter().map(|(c, _)| c.as_str()).collect::<Vec<_>>(),
        ["E0705"]
    );
}

/// Every YAML document of the example's committed `out/`, with its file.
fn example_documents() -> Vec<(String, Value)> {
    let mut docs = Vec::new();
    for (path, bytes) in read_tree(&crate::support::root().join("out")) {
        if path.ends_with(".yaml") {
            let text = String::from_utf8(bytes).unwrap();
            let values: Vec<Value> = serde_saphyr::from_str_multiple(&text).unwrap();
            docs.extend(values.into_iter().map(|v| (path.clone(), v)));
        }
    }
    docs
}

/// A tier file of the example, as JSON.
fn tier(name: &str) -> Value {
    let path = crate::support::root().join(format!("tiers/{name}.yaml"));
    serde_saphyr::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn text<'a>(v: &'a Value, pointer: &str) -> &'a str {
    v.pointer(pointer).and_then(Value::as_str).unwrap_or("")
}

/// The isolation audit of the guardrails, over the example's committed output: whatever the
/// tenant files say, what reaches `out/` stays within each tier and the platform.
#[test]
fn example_output_holds_every_guardrail() {
    use tenantc::model::Quantity;
    let with_paths = example_documents();
    let docs: Vec<&Value> = with_paths.iter().map(|(_, d)| d).collect();
    let platform: Value = serde_saphyr::from_str(
        &std::fs::read_to_string(crate::support::root().join("platform.yaml")).unwrap(),
    )
    .unwrap();
    let patterns: Vec<&str> = platform
        .pointer("/spec/argocd/tenantSourceRepos")
        .and_then(Value::as_array)
        .unwrap()
        .iter()
        .map(|p| p.as_str().unwrap())
        .collect();
    let level = |l: &str| {
        ["restricted", "baseline", "privileged"]
            .iter()
            .position(|x| *x == l)
    };
    let mut owner = std::collections::BTreeMap::new();
    let mut checked = 0;
    // The tenants' own namespaces (a cluster tenant's management namespace, in `cluster.yaml`,
    // belongs to the platform's Kamaji control plane).
    for (_, doc) in with_paths
        .iter()
        .filter(|(path, d)| path.contains("/kubernetes/") && text(d, "/kind") == "Namespace")
    {
        let name = text(doc, "/metadata/name");
        let labels = |key: &str| text(doc, &format!("/metadata/labels/{}", key.replace('/', "~1")));
        let tenant = labels("tenantc.dev/tenant");
        owner.insert(name.to_string(), tenant.to_string());
        // Reserved names.
        assert!(
            name != "default" && !name.starts_with("kube-") && name != "argocd",
            "{tenant} owns the platform namespace {name}"
        );
        // Pod Security at least as strict as the tier's level for the environment.
        let tier = tier(labels("tenantc.dev/tier"));
        let env = labels("tenantc.dev/environment");
        let tier_level = tier
            .pointer("/spec/environments")
            .and_then(Value::as_array)
            .and_then(|envs| envs.iter().find(|e| text(e, "/name") == env))
            .and_then(|e| e.get("podSecurity"))
            .and_then(Value::as_str)
            .or_else(|| tier.pointer("/spec/podSecurity").and_then(Value::as_str))
            .unwrap_or("restricted");
        assert!(
            level(labels("pod-security.kubernetes.io/enforce")) <= level(tier_level),
            "{name}: looser Pod Security than its tier"
        );
        // The priority class the admission policy grants is the tier's.
        assert_eq!(
            labels("tenantc.dev/priority-class"),
            text(&tier, "/spec/priorityClass/name"),
            "{name}: granted another class than its tier's"
        );
        // Quotas within the tier's total or its guardrail ceiling.
        for quota in docs.iter().filter(|d| {
            text(d, "/kind") == "ResourceQuota" && text(d, "/metadata/namespace") == name
        }) {
            for (key, value) in quota
                .pointer("/spec/hard")
                .and_then(Value::as_object)
                .unwrap()
            {
                let bound = |at: &str| {
                    tier.pointer(&format!("{at}/{}", key.replace('/', "~1")))
                        .map(|v| {
                            Quantity::parse(
                                &v.as_str().map_or_else(|| v.to_string(), str::to_string),
                            )
                            .unwrap()
                        })
                };
                let Some(allowed) = bound("/spec/quota").max(bound("/spec/guardrails/quota"))
                else {
                    continue;
                };
                assert!(
                    Quantity::parse(value.as_str().unwrap()).unwrap() <= allowed,
                    "{name}: quota {key} above what tier allows"
                );
                checked += 1;
            }
        }
    }
    assert!(checked > 50, "checked only {checked} quota values");
    for doc in docs.iter().copied() {
        match text(doc, "/kind") {
            "RoleBinding" => {
                for s in doc.pointer("/subjects").and_then(Value::as_array).unwrap() {
                    assert!(
                        !text(s, "/name").starts_with("system:"),
                        "{}: binds {}",
                        text(doc, "/metadata/namespace"),
                        text(s, "/name")
                    );
                }
            }
            "AppProject" if text(doc, "/metadata/name") != "platform" => {
                for repo in doc
                    .pointer("/spec/sourceRepos")
                    .and_then(Value::as_array)
                    .unwrap()
                {
                    let repo = repo.as_str().unwrap();
                    assert!(
                        !repo.contains(['*', '?', '[']),
                        "a pattern as a source: {repo}"
                    );
                    assert!(
                        patterns
                            .iter()
                            .any(|p| repo.starts_with(p.trim_end_matches('*'))),
                        "{repo} is not on the platform's allow-list"
                    );
                }
            }
            "NetworkPolicy" => {
                // A rule may name another namespace only if no other tenant owns it.
                let ns = text(doc, "/metadata/namespace");
                let rules = ["/spec/ingress", "/spec/egress"]
                    .iter()
                    .filter_map(|p| doc.pointer(p).and_then(Value::as_array))
                    .flatten();
                for peer in rules
                    .filter_map(|r| {
                        r.get("from")
                            .or_else(|| r.get("to"))
                            .and_then(Value::as_array)
                    })
                    .flatten()
                {
                    let named = text(
                        peer,
                        "/namespaceSelector/matchLabels/kubernetes.io~1metadata.name",
                    );
                    if let Some(other) = owner.get(named) {
                        assert_eq!(
                            Some(other),
                            owner.get(ns),
                            "{ns} admits {named}, another tenant's"
                        );
                    }
                }
            }
            _ => {}
        }
    }
}
