//! Changes the API server (or an admission webhook, or Terraform) cannot apply in place: an
//! object whose immutable field changes must be deleted and created again, which Argo CD's
//! ordinary sync never does, so the sync fails — and doing it by hand has consequences for
//! everything that depends on the object. `diff` flags each such change as destructive, naming
//! the field, where its immutability comes from, and what recreating the object does.
//!
//! The rules read the objects themselves (both sides, rendered or parsed back from a
//! directory), so they hold for add-on output and `--against DIR` alike. One rule per
//! immutable field tenantc emits:
//!
//! | kind | field | refused by |
//! |---|---|---|
//! | PriorityClass | `value`, `preemptionPolicy` | `ValidatePriorityClassUpdate` (kubernetes `pkg/apis/scheduling/validation`) |
//! | RoleBinding, ClusterRoleBinding | `roleRef` | `ValidateRoleBindingUpdate` / `ValidateClusterRoleBindingUpdate` (kubernetes `pkg/apis/rbac/validation`) |
//! | Kamaji DataStore | `spec.driver` | Kamaji's DataStore webhook (`DataStoreValidation.OnUpdate`) |
//! | Cluster API Cluster | topology variables `dataStoreSchema`, `dataStoreUsername` | the TenantControlPlane CRD (`self == oldSelf` on `spec.dataStoreSchema`, `spec.dataStoreUsername`) and the KamajiControlPlane CRD (`spec.dataStoreUsername`) |
//! | Cluster API Cluster | `spec.topology.version` lowered, or raised by two minors or more | the Cluster webhook (`validateTopologyVersion`) |
//! | Terraform root module | the defaults of the node groups' cluster and network variables | the providers' schemas (`ForceNew` on `cluster_name`, `node_role_arn`, `subnet_ids`, `cluster`, `location`, `kubernetes_cluster_id`) |
//!
//! Not flagged, on purpose: a Cluster's `topology.classRef` (Cluster API rebases a cluster
//! onto a compatible ClusterClass in place), its `dataStoreName` variable (Kamaji migrates a
//! control plane to another DataStore of the same driver), its `clusterNetwork` (the
//! tenant-wide CIDR rule in `destructive.rs` already flags it, once), and node-pool
//! attributes of the tenant's own Terraform file (the tenant-wide "node pool replaced" rule).

use crate::objects::ObjectKey;
use serde_json::Value;

/// The Terraform root module, compared as one file.
const TERRAFORM_ROOT: &str = "terraform/versions.tf.json";

/// Whether an object of this identity has an immutable-field rule, so its parsed value is
/// worth keeping for the comparison.
pub(super) fn watched(key: &ObjectKey) -> bool {
    let group = key.api_version.split_once('/').map_or("", |(g, _)| g);
    matches!(
        (group, key.kind.as_str()),
        ("scheduling.k8s.io", "PriorityClass")
            | (
                "rbac.authorization.k8s.io",
                "RoleBinding" | "ClusterRoleBinding"
            )
            | ("kamaji.clastix.io", "DataStore")
            | ("cluster.x-k8s.io", "Cluster")
    ) || (key.kind == "File" && key.name == TERRAFORM_ROOT)
}

/// Why changing the object from `old` to `new` cannot be applied in place, if it cannot.
/// `old_text` and `new_text` are the units' texts (used for files compared whole).
pub(super) fn reason(
    key: &ObjectKey,
    old: Option<&Value>,
    new: Option<&Value>,
    old_text: &str,
    new_text: &str,
) -> Option<String> {
    if key.kind == "File" && key.name == TERRAFORM_ROOT {
        let old: Value = serde_json::from_str(old_text).ok()?;
        let new: Value = serde_json::from_str(new_text).ok()?;
        return terraform_root(&old, &new);
    }
    let (old, new) = (old?, new?);
    let group = key.api_version.split_once('/').map_or("", |(g, _)| g);
    match (group, key.kind.as_str()) {
        ("scheduling.k8s.io", "PriorityClass") => priority_class(key, old, new),
        ("rbac.authorization.k8s.io", "RoleBinding" | "ClusterRoleBinding") => {
            role_binding(key, old, new)
        }
        ("kamaji.clastix.io", "DataStore") => data_store(key, old, new),
        ("cluster.x-k8s.io", "Cluster") => cluster(old, new),
        _ => None,
    }
}

/// `a` → `b` for two values, `(unset)` for a missing one.
fn show(value: Option<&Value>) -> String {
    match value {
        None | Some(Value::Null) => "(unset)".to_string(),
        Some(Value::String(s)) => format!("`{s}`"),
        Some(v) => format!("`{v}`"),
    }
}

fn changed<'a>(old: &'a Value, new: &'a Value, pointer: &str) -> Option<(String, String)> {
    let (a, b) = (old.pointer(pointer), new.pointer(pointer));
    (a != b).then(|| (show(a), show(b)))
}

fn priority_class(key: &ObjectKey, old: &Value, new: &Value) -> Option<String> {
    let mut parts = Vec::new();
    for field in ["value", "preemptionPolicy"] {
        // The API server defaults an unset preemptionPolicy to PreemptLowerPriority.
        let get = |v: &Value| {
            v.get(field).cloned().or_else(|| {
                (field == "preemptionPolicy").then(|| Value::from("PreemptLowerPriority"))
            })
        };
        let (a, b) = (get(old), get(new));
        if a != b {
            parts.push(format!(
                "`{field}` {} → {}",
                show(a.as_ref()),
                show(b.as_ref())
            ));
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "cannot be applied in place: {} of PriorityClass `{}` is immutable (the API server's \
         ValidatePriorityClassUpdate refuses the update, so the sync fails). Recreating the \
         class does not reprioritise anything: running pods keep the priority copied into \
         them at admission, and while the class is absent every pod that names it is refused \
         at creation. Give the class a new name instead (the tier's `priorityClass.name`) \
         and move workloads to it as they roll",
        parts.join(" and "),
        key.name
    ))
}

fn role_binding(key: &ObjectKey, old: &Value, new: &Value) -> Option<String> {
    let (a, b) = (old.get("roleRef"), new.get("roleRef"));
    if a == b {
        return None;
    }
    let describe = |r: Option<&Value>| {
        r.map_or("(unset)".to_string(), |r| {
            format!(
                "`{}/{}`",
                r.get("kind").and_then(Value::as_str).unwrap_or(""),
                r.get("name").and_then(Value::as_str).unwrap_or("")
            )
        })
    };
    let function = if key.kind == "ClusterRoleBinding" {
        "ValidateClusterRoleBindingUpdate"
    } else {
        "ValidateRoleBindingUpdate"
    };
    Some(format!(
        "cannot be applied in place: `roleRef` of {} `{}` is immutable ({} → {}; the API \
         server's {function} refuses the update, so the sync fails). The binding must be \
         deleted and created again, and its subjects have no access through it in between; \
         bind the new role under a new name instead, then remove the old binding",
        key.kind,
        key.name,
        describe(a),
        describe(b),
    ))
}

fn data_store(key: &ObjectKey, old: &Value, new: &Value) -> Option<String> {
    let (a, b) = changed(old, new, "/spec/driver")?;
    Some(format!(
        "cannot be applied in place: `spec.driver` of DataStore `{}` is immutable ({a} → {b}; \
         Kamaji's DataStore webhook refuses it: \"driver of a DataStore cannot be changed\"). \
         Nor can the DataStore be deleted while a TenantControlPlane uses it, and Kamaji \
         migrates a control plane only between DataStores of the same driver: a new driver \
         means a new DataStore under another name and an offline migration of the tenant \
         cluster's state, or a new cluster",
        key.name
    ))
}

/// The value of the topology variable `name`.
fn variable<'a>(cluster: &'a Value, name: &str) -> Option<&'a Value> {
    cluster
        .pointer("/spec/topology/variables")?
        .as_array()?
        .iter()
        .find(|v| v.get("name").and_then(Value::as_str) == Some(name))?
        .get("value")
}

fn cluster(old: &Value, new: &Value) -> Option<String> {
    let mut reasons = Vec::new();
    for (name, field, crds) in [
        (
            "dataStoreSchema",
            "spec.dataStoreSchema",
            "the TenantControlPlane CRD's rule `self == oldSelf`",
        ),
        (
            "dataStoreUsername",
            "spec.dataStoreUsername",
            "the `self == oldSelf` rules of the KamajiControlPlane and TenantControlPlane CRDs",
        ),
    ] {
        let (a, b) = (variable(old, name), variable(new, name));
        if a != b {
            reasons.push(format!(
                "the topology variable `{name}` changes ({} → {}), which the ClusterClass \
                 patches into the control plane's `{field}`, immutable ({crds}): the Cluster \
                 accepts the change but its topology never reconciles, and the control plane \
                 keeps its old {}. The tenant's state lives under that name in the DataStore: \
                 changing it means a new cluster (or an offline copy of the data)",
                show(a),
                show(b),
                if name == "dataStoreSchema" {
                    "schema"
                } else {
                    "user"
                },
            ));
        }
    }
    let version = |v: &Value| {
        v.pointer("/spec/topology/version")
            .and_then(Value::as_str)
            .and_then(semver_of)
    };
    if let (Some(a), Some(b)) = (version(old), version(new)) {
        let text = |v: (u64, u64, u64)| format!("`v{}.{}.{}`", v.0, v.1, v.2);
        if b < a {
            reasons.push(format!(
                "`spec.topology.version` decreases ({} → {}): Cluster API's Cluster webhook \
                 refuses it (validateTopologyVersion: a version can only be increased); a \
                 downgrade means a new cluster",
                text(a),
                text(b)
            ));
        } else if b.0 != a.0 || b.1 >= a.1 + 2 {
            reasons.push(format!(
                "`spec.topology.version` skips a minor version ({} → {}): Cluster API's \
                 Cluster webhook refuses it (validateTopologyVersion: one minor version at a \
                 time); upgrade through every minor version, one change each",
                text(a),
                text(b)
            ));
        }
    }
    if reasons.is_empty() {
        return None;
    }
    Some(format!(
        "cannot be applied in place: {}",
        reasons.join("; and ")
    ))
}

/// `v1.34.1` (or `1.34.1`, with any `-pre` or `+build` suffix) as numbers.
fn semver_of(text: &str) -> Option<(u64, u64, u64)> {
    let text = text.strip_prefix('v').unwrap_or(text);
    let core = text.split(['-', '+']).next()?;
    let mut parts = core.split('.').map(|p| p.parse::<u64>().ok());
    Some((
        parts.next()??,
        parts.next()??,
        parts.next().flatten().unwrap_or(0),
    ))
}

/// The variables of the Terraform root module whose defaults feed an attribute that forces
/// a node group's replacement, and the node groups they replace.
const FORCE_NEW: [(&str, &str, &str); 6] = [
    ("aws_cluster_name", "cluster_name", "aws_eks_node_group"),
    ("aws_node_role_arn", "node_role_arn", "aws_eks_node_group"),
    ("aws_subnet_ids", "subnet_ids", "aws_eks_node_group"),
    ("gcp_cluster", "cluster", "google_container_node_pool"),
    ("gcp_location", "location", "google_container_node_pool"),
    (
        "azure_kubernetes_cluster_id",
        "kubernetes_cluster_id",
        "azurerm_kubernetes_cluster_node_pool",
    ),
];

fn terraform_root(old: &Value, new: &Value) -> Option<String> {
    let mut parts = Vec::new();
    let mut kinds: Vec<&str> = Vec::new();
    for (variable, attribute, resource) in FORCE_NEW {
        let pointer = format!("/variable/{variable}/default");
        // A variable that appears or disappears comes with its provider's first or last node
        // group, which the tenant-wide rules already cover.
        let (Some(_), Some(_)) = (
            old.pointer(&format!("/variable/{variable}")),
            new.pointer(&format!("/variable/{variable}")),
        ) else {
            continue;
        };
        if let Some((a, b)) = changed(old, new, &pointer) {
            parts.push(format!(
                "`var.{variable}` {a} → {b} (`{attribute}` of `{resource}`)"
            ));
            if !kinds.contains(&resource) {
                kinds.push(resource);
            }
        }
    }
    if parts.is_empty() {
        return None;
    }
    Some(format!(
        "cannot be applied in place: {} force{} replacement (the provider's schema marks \
         {} `ForceNew`): `terraform apply` destroys and recreates every `{}` of the fleet, \
         draining each tenant's nodes; move the node groups one at a time instead",
        parts.join(", "),
        if parts.len() == 1 { "s" } else { "" },
        if parts.len() == 1 { "it" } else { "them" },
        kinds.join("`, `"),
    ))
}
