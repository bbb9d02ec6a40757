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
