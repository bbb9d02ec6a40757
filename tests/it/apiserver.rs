//! The API server's own validation (`tenantc::check::apiserver`): every object tenantc has
//! committed — the example's `out/` (built-in and add-on objects) and every golden
//! fixture's — passes the mirrored rules, and the warning for load balancers without node
//! ports fires with its fix. The rules run inside `render` too, so a golden fixture that
//! renders with exit 0 passes them; this test reads the committed trees back, which also
//! covers the platform-wide files (PriorityClasses, admission policies).

use crate::support::{read_tree, root, run, tenantc, write_files};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use serde_json::Value;
use std::collections::BTreeSet;
use tenantc::check::apiserver::{check_json, priorityclass};

/// `out/` of the example and of every golden fixture, with a label for reports.
fn committed_trees() -> Vec<(String, std::path::PathBuf)> {
    let mut trees = vec![("out".to_string(), root().join("out"))];
    let mut fixtures: Vec<_> = std::fs::read_dir(root().join("fixtures"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.join("out").is_dir())
        .map(|p| {
            let name = p.file_name().unwrap().to_string_lossy().into_owned();
            (format!("fixtures/{name}/out"), p.join("out"))
        })
        .collect();
    fixtures.sort();
    trees.extend(fixtures);
    trees
}

#[test]
fn every_committed_object_passes_the_api_servers_rules() {
    let mut failures = Vec::new();
    let mut kinds = BTreeSet::new();
    let mut checked = 0;
    for (label, dir) in committed_trees() {
        let mut classes = Vec::new();
        for (path, bytes) in read_tree(&dir) {
            if !path.ends_with(".yaml") {
                continue;
            }
            let text = String::from_utf8(bytes).unwrap();
            for document in text.split("\n---\n") {
                let object: Value = serde_saphyr::from_str(document)
                    .unwrap_or_else(|e| panic!("{label}/{path}: {e}"));
                let kind = object["kind"].as_str().unwrap_or_default().to_string();
                let name = object["metadata"]["name"].as_str().unwrap_or_default();
                match check_json(&object) {
                    Ok(found) => failures.extend(found.into_iter().map(|f| {
                        format!(
                            "{label}/{path}: {kind} {name}: {}: {} ({})",
                            f.field, f.message, f.code
                        )
                    })),
                    Err(e) => failures.push(format!("{label}/{path}: {e}")),
                }
                if kind == "PriorityClass" {
                    classes.push(serde_json::from_value::<PriorityClass>(object.clone()).unwrap());
                }
                kinds.insert(kind);
                checked += 1;
            }
        }
        for f in priorityclass::check_global_defaults(&classes) {
            failures.push(format!("{label}: {}: {}", f.field, f.message));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    // The trees hold every kind the rules cover, add-on output included.
    for kind in [
        "Namespace",
        "ResourceQuota",
        "LimitRange",
        "NetworkPolicy",
        "Role",
        "RoleBinding",
        "PriorityClass",
        "ConfigMap",
    ] {
        assert!(kinds.contains(kind), "no {kind} in the committed output");
    }
    assert!(checked > 100, "only {checked} objects checked");
}

#[test]
fn load_balancers_without_node_ports_warn_with_the_fix() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "tiers/web.yaml".to_string(),
            b"apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: web
spec:
  isolation: namespace
  podSecurity: restricted
  quota:
    pods: \"20\"
    services.loadbalancers: \"2\"
    services.nodeports: \"0\"
"
            .to_vec(),
        ),
        (
            "tenants/shop.yaml".to_string(),
            b"apiVersion: tenantc.dev/v1alpha1
kind: Tenant
metadata:
  name: shop
spec:
  tier: web
  displayName: Shop
  access:
    admins: {groups: [shop-admins]}
"
            .to_vec(),
        ),
    ];
    write_files(dir.path(), &files);
    let ran = run(tenantc().args(["validate", "--repo"]).arg(dir.path()));
    ran.expect_code(0, "a warning does not fail validate");
    assert!(
        ran.stderr
            .contains("warning[W0420]: the quota allows 2 load balancers but only 0 node ports")
            && ran.stderr.contains("tiers/web.yaml:11:")
            && ran.stderr.contains("allocateLoadBalancerNodePorts: false"),
        "{}",
        ran.stderr
    );
    // Enough node ports: no warning.
    let fixed = String::from_utf8(files[0].1.clone())
        .unwrap()
        .replace("services.nodeports: \"0\"", "services.nodeports: \"4\"");
    std::fs::write(dir.path().join("tiers/web.yaml"), fixed).unwrap();
    let ran = run(tenantc().args(["validate", "--repo"]).arg(dir.path()));
    ran.expect_code(0, "valid");
    assert!(!ran.stderr.contains("W0420"), "{}", ran.stderr);
}
