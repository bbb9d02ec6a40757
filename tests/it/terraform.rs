//! The Terraform node groups carry what the nodes need to run GPU work, and the root module
//! locks its state: the example's GPU node group boots an NVIDIA AMI, other AWS pools a
//! standard one (ARM-64 on Graviton), GKE accelerator-optimized machines name their GPUs so
//! GKE installs the driver, AKS GPU pools keep AKS's default driver installation, and an S3
//! backend gets `use_lockfile` with a Terraform that has it. Everything rendered here is also
//! checked against the hand-made provider schemas.

use crate::support::{root, run, tenantc};
use crate::upstream_schemas::Report;
use serde_json::Value;
use std::path::Path;

/// Renders `repo` into `out` and returns the parsed file `relative` of the output.
fn render(repo: &Path, out: &Path) {
    run(tenantc()
        .arg("render")
        .arg("--repo")
        .arg(repo)
        .arg("--out")
        .arg(out))
    .expect_code(0, "render");
    let mut report = Report::default();
    report.check_tree("terraform", out);
    assert!(report.failures.is_empty(), "{:#?}", report.failures);
}

fn json(out: &Path, relative: &str) -> Value {
    let text =
        std::fs::read_to_string(out.join(relative)).unwrap_or_else(|e| panic!("{relative}: {e}"));
    serde_json::from_str(&text).unwrap()
}

/// The single resource body of a node-group file.
fn body<'a>(document: &'a Value, kind: &str) -> &'a Value {
    let resources = document["resource"][kind].as_object().unwrap();
    assert_eq!(resources.len(), 1, "{document:#}");
    resources.values().next().unwrap()
}

#[test]
fn the_example_gpu_node_group_boots_a_gpu_ami_and_the_s3_backend_locks() {
    let temp = tempfile::tempdir().unwrap();
    let out = temp.path().join("out");
    render(&root(), &out);
    let group = json(&out, "terraform/node-group-vision-lab.tf.json");
    let group = body(&group, "aws_eks_node_group");
    assert_eq!(group["ami_type"], "AL2023_x86_64_NVIDIA", "{group:#}");
    assert_eq!(group["instance_types"][0], "g5.12xlarge");

    let versions = json(&out, "terraform/versions.tf.json");
    let terraform = &versions["terraform"];
    assert_eq!(
        terraform["backend"]["s3"]["use_lockfile"], true,
        "{terraform:#}"
    );
    assert!(terraform["backend"]["s3"].get("dynamodb_table").is_none());
    assert_eq!(terraform["required_version"], ">= 1.10.0");
    assert_eq!(
        terraform["required_providers"]["aws"]["version"], "~> 6.0",
        "AL2023 NVIDIA AMI types need a provider whose EKS SDK knows them"
    );
}

const PLATFORM_DYNAMODB: &str = r#"apiVersion: tenantc.dev/v1alpha1
kind: Platform
metadata: {name: clouds}
spec:
  nodePools:
    terraform:
      backend:
        s3: {bucket: tf, key: nodes.tfstate, region: eu-west-1, dynamodb_table: tf-locks}
"#;

fn tier(name: &str, provider: &str, instance: &str, extra: &str) -> String {
    format!(
        "apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata: {{name: {name}}}
spec:
  isolation: nodePool
  quota: {{requests.cpu: \"8\", requests.memory: 32Gi, requests.nvidia.com/gpu: \"1\"}}
  nodePool:
    provider: {provider}
    instanceTypes: [{instance}]
    scaling: {{min: 1, desired: 1, max: 3}}
{extra}"
    )
}

fn tenant(name: &str, tier: &str, overrides: &str) -> String {
    format!(
        "apiVersion: tenantc.dev/v1alpha1
kind: Tenant
metadata: {{name: {name}}}
spec:
  tier: {tier}
  access:
    admins: {{users: [admin@{name}.example]}}
{overrides}"
    )
}

/// A repository with one tenant per tier in `tiers`: `(tier, provider, instance type, extra
/// tier lines)`; each tenant is named like its tier.
fn repository(dir: &Path, platform: Option<&str>, tiers: &[(&str, &str, &str, &str)]) {
    std::fs::create_dir_all(dir.join("tiers")).unwrap();
    std::fs::create_dir_all(dir.join("tenants")).unwrap();
    if let Some(platform) = platform {
        std::fs::write(dir.join("platform.yaml"), platform).unwrap();
    }
    for (name, provider, instance, extra) in tiers {
        std::fs::write(
            dir.join(format!("tiers/{name}.yaml")),
            tier(name, provider, instance, extra),
        )
        .unwrap();
        std::fs::write(
            dir.join(format!("tenants/{name}.yaml")),
            tenant(name, name, ""),
        )
        .unwrap();
    }
}

#[test]
fn node_groups_get_the_image_and_gpu_settings_of_their_machine_type() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("repo");
    repository(
        &repo,
        Some(PLATFORM_DYNAMODB),
        &[
            ("cpu", "aws", "c6i.2xlarge", ""),
            ("arm", "aws", "m7g.2xlarge", ""),
            ("arm-gpu", "aws", "g5g.4xlarge", ""),
            (
                "pinned",
                "aws",
                "g6.xlarge",
                "    amiType: BOTTLEROCKET_x86_64_NVIDIA\n",
            ),
            ("l4", "gcp", "g2-standard-24", ""),
            ("a100", "gcp", "a2-highgpu-4g", ""),
            ("general", "gcp", "n2-standard-8", ""),
            ("ncv4", "azure", "Standard_NC24ads_A100_v4", ""),
        ],
    );
    let out = temp.path().join("out");
    render(&repo, &out);
    let group = |tenant: &str, kind: &str| {
        body(
            &json(&out, &format!("terraform/node-group-{tenant}.tf.json")),
            kind,
        )
        .clone()
    };
    let ami = |tenant: &str| group(tenant, "aws_eks_node_group")["ami_type"].clone();
    assert_eq!(ami("cpu"), "AL2023_x86_64_STANDARD");
    assert_eq!(ami("arm"), "AL2023_ARM_64_STANDARD");
    assert_eq!(ami("arm-gpu"), "AL2023_ARM_64_NVIDIA");
    assert_eq!(ami("pinned"), "BOTTLEROCKET_x86_64_NVIDIA");

    let accelerator = |tenant: &str| {
        group(tenant, "google_container_node_pool")["node_config"]["guest_accelerator"].clone()
    };
    assert_eq!(
        accelerator("l4"),
        serde_json::json!([{"type": "nvidia-l4", "count": 2,
            "gpu_driver_installation_config": [{"gpu_driver_version": "DEFAULT"}]}])
    );
    assert_eq!(accelerator("a100")[0]["type"], "nvidia-tesla-a100");
    assert_eq!(accelerator("a100")[0]["count"], 4);
    assert!(accelerator("general").is_null());

    // AKS installs the NVIDIA driver on GPU VM sizes by default; MIG partitioning
    // (`gpu_instance`) and opting out (`gpu_driver: None`) are never emitted.
    let aks = group("ncv4", "azurerm_kubernetes_cluster_node_pool");
    assert_eq!(aks["vm_size"], "Standard_NC24ads_A100_v4");
    assert!(aks.get("gpu_instance").is_none() && aks.get("gpu_driver").is_none());

    // A DynamoDB lock table is kept as the lock; no lock file, no raised Terraform version.
    let versions = json(&out, "terraform/versions.tf.json");
    let terraform = &versions["terraform"];
    assert_eq!(terraform["backend"]["s3"]["dynamodb_table"], "tf-locks");
    assert!(terraform["backend"]["s3"].get("use_lockfile").is_none());
    assert_eq!(terraform["required_version"], ">= 1.5.0");
}

#[test]
fn a_tenant_cannot_change_its_node_pools_ami_type() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path();
    repository(repo, None, &[("gpu", "aws", "g5.xlarge", "")]);
    std::fs::write(
        repo.join("tenants/gpu.yaml"),
        tenant(
            "gpu",
            "gpu",
            "  overrides:\n    nodePool:\n      provider: aws\n      instanceTypes: [g5.xlarge]\n      scaling: {min: 1, desired: 1, max: 3}\n      amiType: AL2023_x86_64_STANDARD\n",
        ),
    )
    .unwrap();
    let ran = run(tenantc().args(["validate", "--repo"]).arg(repo));
    assert_ne!(ran.code, Some(0), "{}", ran.stderr);
    assert!(
        ran.stderr.contains("E0701") && ran.stderr.contains("amiType"),
        "{}",
        ran.stderr
    );
}
