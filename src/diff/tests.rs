//! Unit tests of matching, grouping and the destructive-change rules on hand-made trees.

use super::*;

fn ns(name: &str, tenant: &str, lifecycle: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  labels:\n    tenantc.dev/lifecycle: {lifecycle}\n    tenantc.dev/tenant: {tenant}\n  name: {name}\n"
    )
}

fn quota(namespace: &str, pods: &str) -> String {
    format!(
        "apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: tenant-quota\n  namespace: {namespace}\nspec:\n  hard:\n    pods: \"{pods}\"\n"
    )
}

fn side<'a>(files: &'a [(String, String)]) -> Side<'a> {
    Side {
        files: files
            .iter()
            .map(|(p, t)| (p.as_str(), t.as_str()))
            .collect(),
        tree: None,
        tenants: None,
    }
}

fn file(path: &str, docs: &[String]) -> (String, String) {
    (path.to_string(), docs.join("---\n"))
}

#[test]
fn matches_objects_by_key_across_files() {
    let old = [file(
        "tenants/a/kubernetes/a-dev.yaml",
        &[ns("a-dev", "a", "active"), quota("a-dev", "10")],
    )];
    // The same objects, split over two files, the quota changed.
    let new = [
        file(
            "tenants/a/kubernetes/a-dev.yaml",
            &[ns("a-dev", "a", "active")],
        ),
        file("tenants/a/kubernetes/extra.yaml", &[quota("a-dev", "20")]),
    ];
    let report = diff(&side(&old), &side(&new));
    assert_eq!(report.groups.len(), 1);
    let group = &report.groups[0];
    assert_eq!(group.tenant.as_deref(), Some("a"));
    assert_eq!(group.status, ChangeKind::Changed);
    assert_eq!(group.changes.len(), 1, "{group:#?}");
    let change = &group.changes[0];
    assert_eq!(change.kind, ChangeKind::Changed);
    assert_eq!(change.key.kind, "ResourceQuota");
    assert_eq!(
        change.old_file.as_deref(),
        Some("tenants/a/kubernetes/a-dev.yaml")
    );
    assert_eq!(
        change.new_file.as_deref(),
        Some("tenants/a/kubernetes/extra.yaml")
    );
    assert!(
        change
            .hunks()
            .contains("-    pods: \"10\"\n+    pods: \"20\"\n")
    );
    assert_eq!(report.destructive_count(), 0);
}

#[test]
fn removing_an_active_tenant_is_destructive_and_a_decommissioned_one_is_not() {
    let old = [
        file(
            "tenants/a/kubernetes/a-dev.yaml",
            &[ns("a-dev", "a", "active")],
        ),
        file(
            "tenants/b/kubernetes/b-dev.yaml",
            &[ns("b-dev", "b", "decommissioned")],
        ),
    ];
    let new: [(String, String); 0] = [];
    let report = diff(&side(&old), &side(&new));
    assert_eq!(report.groups.len(), 2);
    let a = &report.groups[0];
    assert_eq!(a.status, ChangeKind::Removed);
    assert_eq!(a.destructive.len(), 1, "{a:#?}");
    assert!(a.destructive[0].contains("`active`"));
    // One destructive change for the tenant, not one more per namespace.
    assert!(a.changes[0].destructive.is_none());
    let b = &report.groups[1];
    assert_eq!(b.destructive_count(), 0, "{b:#?}");
    assert_eq!(report.destructive_count(), 1);
}

#[test]
fn a_removed_namespace_of_an_active_tenant_is_destructive() {
    let old = [
        file(
            "tenants/a/kubernetes/a-dev.yaml",
            &[ns("a-dev", "a", "active")],
        ),
        file(
            "tenants/a/kubernetes/a-prod.yaml",
            &[ns("a-prod", "a", "active")],
        ),
    ];
    let new = [file(
        "tenants/a/kubernetes/a-prod.yaml",
        &[ns("a-prod", "a", "active")],
    )];
    let report = diff(&side(&old), &side(&new));
    let group = &report.groups[0];
    assert_eq!(group.status, ChangeKind::Changed);
    assert!(group.destructive.is_empty());
    assert_eq!(group.changes.len(), 1);
    assert!(
        group.changes[0]
            .destructive
            .as_deref()
            .is_some_and(|r| r.contains("namespace `a-dev`")),
        "{group:#?}"
    );
}

#[test]
fn unreadable_files_compare_as_wholes_and_formatting_only_changes_are_listed() {
    let old = [
        (
            "tenants/a/kubernetes/a-dev.yaml".to_string(),
            ns("a-dev", "a", "active"),
        ),
        ("tenants/a/notes.txt".to_string(), "one\n".to_string()),
    ];
    let new = [
        (
            "tenants/a/kubernetes/a-dev.yaml".to_string(),
            format!("# a comment\n{}", ns("a-dev", "a", "active")),
        ),
        ("tenants/a/notes.txt".to_string(), "two\n".to_string()),
    ];
    let report = diff(&side(&old), &side(&new));
    assert_eq!(report.groups[0].changes.len(), 1);
    assert_eq!(report.groups[0].changes[0].key.kind, "File");
    assert_eq!(report.files.len(), 1);
    assert_eq!(report.files[0].path, "tenants/a/kubernetes/a-dev.yaml");
}

fn facts(isolation: Isolation_, tier: &str) -> TenantFacts {
    TenantFacts {
        lifecycle: Some(crate::model::Lifecycle::Active),
        tier: Some(tier.into()),
        isolation: Some(isolation),
        network: Some(None),
        node_pool: Some(None),
    }
}

type Isolation_ = crate::model::Isolation;

#[test]
fn model_rules_flag_isolation_cidr_and_node_pool_replacement() {
    use crate::model::{CapacityType, CloudProvider, TenantNetwork};
    let files = [file(
        "tenants/a/kubernetes/a-dev.yaml",
        &[ns("a-dev", "a", "active")],
    )];
    let with = |f: TenantFacts| {
        let mut s = side(&files);
        s.tenants = Some([("a".to_string(), f)].into());
        s
    };
    // Isolation.
    let report = diff(
        &with(facts(Isolation_::Namespace, "standard")),
        &with(facts(Isolation_::Cluster, "enterprise")),
    );
    assert_eq!(report.groups.len(), 1);
    assert!(
        report.groups[0].destructive[0]
            .contains("from `namespace` to `cluster` (tier `standard` → `enterprise`)")
    );
    // CIDR of an existing cluster.
    let net = |pod: &str| {
        let mut f = facts(Isolation_::Cluster, "enterprise");
        f.network = Some(Some(TenantNetwork {
            pod_cidr: pod.into(),
            service_cidr: "10.201.0.0/16".into(),
        }));
        f
    };
    let report = diff(&with(net("10.200.0.0/16")), &with(net("10.210.0.0/16")));
    assert!(
        report.groups[0].destructive[0].contains("pod CIDR `10.200.0.0/16` → `10.210.0.0/16`"),
        "{report:#?}"
    );
    assert!(diff(&with(net("10.200.0.0/16")), &with(net("10.200.0.0/16"))).is_empty());
    // Node pool: scaling is an update, instance types a replacement.
    let pool = |types: &[&str]| {
        let mut f = facts(Isolation_::NodePool, "premium");
        f.node_pool = Some(Some(NodePoolFacts {
            provider: CloudProvider::Aws,
            instance_types: types.iter().map(|t| t.to_string()).collect(),
            capacity_type: CapacityType::OnDemand,
            disk_size_gb: None,
            ami_type: Some("AL2023_x86_64_STANDARD"),
        }));
        f
    };
    assert!(diff(&with(pool(&["c5.2xlarge"])), &with(pool(&["c5.2xlarge"]))).is_empty());
    let report = diff(&with(pool(&["c5.2xlarge"])), &with(pool(&["m5.2xlarge"])));
    assert!(report.groups[0].destructive[0].contains("instance types `c5.2xlarge` → `m5.2xlarge`"));
    // A GPU image for the same instance types replaces the nodes too.
    let mut gpu = pool(&["c5.2xlarge"]);
    if let Some(Some(p)) = gpu.node_pool.as_mut() {
        p.ami_type = Some("AL2023_x86_64_NVIDIA");
    }
    let report = diff(&with(pool(&["c5.2xlarge"])), &with(gpu));
    assert!(
        report.groups[0].destructive[0]
            .contains("AMI type `AL2023_x86_64_STANDARD` → `AL2023_x86_64_NVIDIA`"),
        "{report:#?}"
    );
}

#[test]
fn derived_facts_read_the_file_layout_and_labels() {
    let files = [
        file("tenants/a/kubernetes/a-dev.yaml", &[ns("a-dev", "a", "suspended")]),
        ("tenants/a/cluster.yaml".to_string(), "apiVersion: cluster.x-k8s.io/v1beta2\nkind: Cluster\nmetadata:\n  name: a\n  namespace: tenants\nspec:\n  clusterNetwork:\n    pods:\n      cidrBlocks: [10.1.0.0/16]\n    services:\n      cidrBlocks: [10.2.0.0/16]\n".to_string()),
        ("terraform/node-group-b.tf.json".to_string(), "{}\n".to_string()),
    ];
    let s = side(&files);
    let paths: Vec<&str> = files.iter().map(|(p, _)| p.as_str()).collect();
    let units = split::units(&s, &paths);
    let facts = destructive::derive_facts(&s, &units);
    assert_eq!(facts["a"].isolation, Some(Isolation_::Cluster));
    assert_eq!(
        facts["a"].lifecycle,
        Some(crate::model::Lifecycle::Suspended)
    );
    assert_eq!(
        facts["a"].network.clone().flatten().map(|n| n.pod_cidr),
        Some("10.1.0.0/16".to_string())
    );
    assert_eq!(facts["b"].isolation, Some(Isolation_::NodePool));
}

#[test]
fn markdown_truncates_politely() {
    let mut old = Vec::new();
    for i in 0..100 {
        let t = format!("t{i:03}");
        old.push(file(
            &format!("tenants/{t}/kubernetes/{t}-dev.yaml"),
            &[
                ns(&format!("{t}-dev"), &t, "decommissioned"),
                quota(&format!("{t}-dev"), "1"),
            ],
        ));
    }
    let new: Vec<(String, String)> = old
        .iter()
        .map(|(p, t)| (p.clone(), t.replace("pods: \"1\"", "pods: \"2\"")))
        .collect();
    let report = diff(&side(&old), &side(&new));
    assert_eq!(report.objects(), 100);
    let baseline = Baseline {
        description: "`main`".into(),
        command: "tenantc diff --base main".into(),
        json: serde_json::Value::Null,
    };
    let text = markdown::format_within(&report, &baseline, 10_000);
    assert!(
        text.chars().count() <= 10_000,
        "{} chars",
        text.chars().count()
    );
    assert!(text.contains("objects were left out"), "{text}");
    assert!(text.contains("tenantc diff --base main"));
    // Every opened section is closed.
    assert_eq!(
        text.matches("<details>").count(),
        text.matches("</details>").count()
    );
    let full = markdown::format(&report, &baseline);
    assert!(!full.contains("left out"));
}

#[test]
fn unified_is_coloured_only_when_asked() {
    let old = [file(
        "tenants/a/kubernetes/a-dev.yaml",
        &[quota("a-dev", "1")],
    )];
    let new = [file(
        "tenants/a/kubernetes/a-dev.yaml",
        &[quota("a-dev", "2")],
    )];
    let report = diff(&side(&old), &side(&new));
    let plain = unified::format(&report, false);
    assert!(!plain.contains('\x1b'));
    assert!(
        plain.contains("\n-    pods: \"1\"\n+    pods: \"2\"\n"),
        "{plain}"
    );
    let coloured = unified::format(&report, true);
    assert!(
        coloured.contains("\x1b[31m-    pods: \"1\"\x1b[0m"),
        "{coloured}"
    );
    assert!(coloured.contains("\x1b[32m+    pods: \"2\"\x1b[0m"));
    assert_eq!(unified::format(&Report::default(), true), "");
}
