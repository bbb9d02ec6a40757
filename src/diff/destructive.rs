//! Which changes destroy a tenant's data or infrastructure, so that a reviewer cannot approve
//! one by accident and CI can refuse them (`--deny-destructive`):
//!
//! - a tenant removed while it was not `decommissioned` in the base (Argo CD deletes its
//!   Applications without their resources: its namespaces and workloads keep running with
//!   nobody managing them, and `terraform apply` destroys a node pool under them);
//! - one of its Namespaces removed (the Namespace stays, being `Prune=false`, but its quota,
//!   LimitRange, NetworkPolicies and RBAC are pruned from under whatever runs in it);
//! - a change of isolation level (the tenant moves to other nodes or another cluster);
//! - a changed pod or service CIDR of an existing cluster (it cannot change in place);
//! - a node pool replaced rather than updated (a new cloud, instance types, capacity type,
//!   disk size or EKS AMI type force the node group to be recreated; scaling, labels and taints are updates);
//! - an object's immutable field changed, which the sync cannot apply in place (per object,
//!   in `immutable.rs`).
//!
//! The rules read the input model ([`TenantFacts`]) where a side was compiled from inputs, and
//! what the objects say (labels, file layout, Cluster API networks) where it was not.

use super::{ChangeKind, Group, Side, Unit, tenant_of_path};
use crate::model::{CapacityType, CloudProvider, Isolation, Lifecycle, TenantNetwork};
use crate::objects::ObjectKey;
use crate::resolve::Resolved;
use std::collections::BTreeMap;

/// What the inputs say about a tenant that decides whether a change is destructive. A `None`
/// field is unknown (a side read from a directory cannot tell), and unknown never compares.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TenantFacts {
    /// Active, suspended or decommissioned.
    pub lifecycle: Option<Lifecycle>,
    /// The tier's name.
    pub tier: Option<String>,
    /// The isolation level of the tenant's merged profile.
    pub isolation: Option<Isolation>,
    /// The tenant's cluster networks (`Some(None)`: known to be unset).
    pub network: Option<Option<TenantNetwork>>,
    /// The tenant's node pool (`Some(None)`: known to have none).
    pub node_pool: Option<Option<NodePoolFacts>>,
}

/// The parts of a node pool that cannot change without recreating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NodePoolFacts {
    /// The cloud.
    pub provider: CloudProvider,
    /// The instance or VM types.
    pub instance_types: Vec<String>,
    /// On-demand or spot.
    pub capacity_type: CapacityType,
    /// The root disk size in GiB (every provider recreates the pool to change it).
    pub disk_size_gb: Option<u32>,
    /// The EKS AMI type the node group gets (the tier's, or the one its instance types
    /// imply); `None` for other clouds. A new one replaces the node group.
    pub ami_type: Option<&'static str>,
}

/// The facts of every resolved tenant, by name.
pub fn facts_of(resolved: &Resolved) -> BTreeMap<String, TenantFacts> {
    resolved
        .tenants
        .iter()
        .map(|t| {
            let spec = &t.profile.spec;
            let gpu_prefixes = &resolved.platform.spec.node_pools.gpu_instance_types;
            let facts = TenantFacts {
                lifecycle: Some(t.tenant.spec.lifecycle),
                tier: Some(t.tenant.spec.tier.clone()),
                isolation: Some(spec.isolation),
                network: Some(t.tenant.spec.network.clone()),
                node_pool: Some(spec.node_pool.as_ref().map(|p| NodePoolFacts {
                    provider: p.provider,
                    instance_types: p.instance_types.clone(),
                    capacity_type: p.capacity_type,
                    disk_size_gb: p.disk_size_gb,
                    ami_type: (p.provider == CloudProvider::Aws).then(|| {
                        p.ami_type
                            .unwrap_or_else(|| {
                                crate::render::terraform::default_ami_type(
                                    &p.instance_types,
                                    gpu_prefixes,
                                )
                            })
                            .as_str()
                    }),
                })),
            };
            (t.name.clone(), facts)
        })
        .collect()
}

const LIFECYCLE_LABEL: &str = "tenantc.dev/lifecycle";
const TIER_LABEL: &str = "tenantc.dev/tier";

/// Facts of a side read from a directory: the isolation from the file layout (DESIGN.md §5:
/// `tenants/<t>/cluster.yaml`, `terraform/node-group-<t>.tf.json`), lifecycle and tier from the
/// labels of the Namespaces that were parsed, networks from a parsed Cluster API `Cluster`.
pub(super) fn derive_facts(
    side: &Side<'_>,
    units: &BTreeMap<ObjectKey, Unit>,
) -> BTreeMap<String, TenantFacts> {
    let mut facts: BTreeMap<String, TenantFacts> = BTreeMap::new();
    for path in side.files.keys() {
        let Some(tenant) = tenant_of_path(path) else {
            continue;
        };
        let entry = facts.entry(tenant.to_string()).or_default();
        let isolation = if path.starts_with("terraform/") {
            Isolation::NodePool
        } else if *path == format!("tenants/{tenant}/cluster.yaml") {
            Isolation::Cluster
        } else {
            Isolation::Namespace
        };
        // Cluster wins over node pool wins over namespace.
        let rank = |i: Isolation| match i {
            Isolation::Namespace => 0,
            Isolation::NodePool => 1,
            Isolation::Cluster => 2,
        };
        if entry.isolation.is_none_or(|i| rank(i) < rank(isolation)) {
            entry.isolation = Some(isolation);
        }
    }
    for unit in units.values() {
        let (Some(tenant), Some(value)) = (tenant_of_path(&unit.file), &unit.value) else {
            continue;
        };
        let Some(entry) = facts.get_mut(tenant) else {
            continue;
        };
        let label = |name: &str| {
            value
                .pointer(&format!(
                    "/metadata/labels/{}",
                    crate::source::escape_segment(name)
                ))
                .and_then(|v| v.as_str())
        };
        if unit.key.kind == "Namespace" {
            entry.lifecycle = entry
                .lifecycle
                .or_else(|| lifecycle_of(label(LIFECYCLE_LABEL)));
            if entry.tier.is_none() {
                entry.tier = label(TIER_LABEL).map(str::to_string);
            }
        }
        if unit.key.kind == "Cluster" && unit.key.api_version.starts_with("cluster.x-k8s.io/") {
            let first = |pointer: &str| {
                value
                    .pointer(pointer)
                    .and_then(|v| v.get(0))
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
            };
            if let (Some(pod_cidr), Some(service_cidr)) = (
                first("/spec/clusterNetwork/pods/cidrBlocks"),
                first("/spec/clusterNetwork/services/cidrBlocks"),
            ) {
                entry.network = Some(Some(TenantNetwork {
                    pod_cidr,
                    service_cidr,
                }));
            }
        }
    }
    facts
}

fn lifecycle_of(label: Option<&str>) -> Option<Lifecycle> {
    match label? {
        "active" => Some(Lifecycle::Active),
        "suspended" => Some(Lifecycle::Suspended),
        "decommissioned" => Some(Lifecycle::Decommissioned),
        _ => None,
    }
}

fn isolation_str(i: Isolation) -> &'static str {
    match i {
        Isolation::Namespace => "namespace",
        Isolation::NodePool => "nodePool",
        Isolation::Cluster => "cluster",
    }
}

/// Flags the destructive changes of one tenant's group.
pub(super) fn flag(
    group: &mut Group,
    old_facts: &BTreeMap<String, TenantFacts>,
    new_facts: &BTreeMap<String, TenantFacts>,
    old_units: &BTreeMap<ObjectKey, Unit>,
) {
    let Some(tenant) = group.tenant.clone() else {
        return;
    };
    let old = old_facts.get(&tenant);
    let new = new_facts.get(&tenant);
    let base_lifecycle = old.and_then(|f| f.lifecycle);
    if group.status == super::ChangeKind::Removed
        && base_lifecycle != Some(Lifecycle::Decommissioned)
    {
        let state = match base_lifecycle {
            Some(l) => format!("is removed while `{}` in the base", l.as_str()),
            None => "is removed and the base does not show it `decommissioned`".to_string(),
        };
        let infrastructure = match old.and_then(|f| f.isolation) {
            Some(Isolation::NodePool) => {
                ", and `terraform apply` destroys its node pool under its running pods"
            }
            Some(Isolation::Cluster) => ", its tenant cluster included",
            _ => "",
        };
        group.destructive.push(format!(
            "tenant `{tenant}` {state}: Argo CD deletes its Applications but not what they \
             deployed, so its namespaces and workloads keep running with nobody managing \
             them{infrastructure}; to delete the tenant, set `lifecycle: decommissioned` and \
             merge that first"
        ));
    }
    // A tenant removed as a whole is one destructive change, not one per namespace.
    let removed = group.status == super::ChangeKind::Removed;
    for change in &mut group.changes {
        if removed
            || change.kind != ChangeKind::Removed
            || change.key.kind != "Namespace"
            || change.key.api_version != "v1"
        {
            continue;
        }
        let lifecycle = base_lifecycle.or_else(|| {
            let value = old_units.get(&change.key)?.value.as_ref()?;
            let labels = value.pointer("/metadata/labels")?;
            lifecycle_of(labels.get(LIFECYCLE_LABEL).and_then(|v| v.as_str()))
        });
        if lifecycle == Some(Lifecycle::Decommissioned) {
            continue;
        }
        let state = lifecycle.map_or("not `decommissioned`".to_string(), |l| {
            format!("`{}`", l.as_str())
        });
        change.destructive = Some(format!(
            "namespace `{}` is removed while its tenant is {state}: the namespace stays \
             (`Prune=false`) but Argo CD prunes its quota, LimitRange, NetworkPolicies and \
             RBAC, leaving whatever runs in it without a network fence or limits; move the \
             workloads out first, then delete the namespace by hand",
            change.key.name
        ));
    }
    let (Some(old), Some(new)) = (old, new) else {
        return;
    };
    if group.status != super::ChangeKind::Changed {
        return;
    }
    let tier_note = match (&old.tier, &new.tier) {
        (Some(a), Some(b)) if a != b => format!(" (tier `{a}` → `{b}`)"),
        (Some(a), Some(_)) => format!(" (tier `{a}`)"),
        _ => String::new(),
    };
    if let (Some(a), Some(b)) = (old.isolation, new.isolation)
        && a != b
    {
        group.destructive.push(format!(
            "isolation changes from `{}` to `{}`{tier_note}: the tenant's workloads move to \
             other infrastructure and what runs on the old one is torn down",
            isolation_str(a),
            isolation_str(b)
        ));
    }
    let both = |level: Isolation| old.isolation == Some(level) && new.isolation == Some(level);
    if both(Isolation::Cluster)
        && let (Some(a), Some(b)) = (&old.network, &new.network)
        && a != b
    {
        let show = |n: &Option<TenantNetwork>, f: fn(&TenantNetwork) -> &str| {
            n.as_ref()
                .map_or("(default)".to_string(), |n| format!("`{}`", f(n)))
        };
        let mut parts = Vec::new();
        fn pod(n: &TenantNetwork) -> &str {
            &n.pod_cidr
        }
        fn service(n: &TenantNetwork) -> &str {
            &n.service_cidr
        }
        if show(a, pod) != show(b, pod) {
            parts.push(format!("pod CIDR {} → {}", show(a, pod), show(b, pod)));
        }
        if show(a, service) != show(b, service) {
            parts.push(format!(
                "service CIDR {} → {}",
                show(a, service),
                show(b, service)
            ));
        }
        group.destructive.push(format!(
            "the tenant cluster's {} changes: an existing cluster's networks cannot change in \
             place, so it would be rebuilt",
            parts.join(" and ")
        ));
    }
    if both(Isolation::NodePool)
        && let (Some(Some(a)), Some(Some(b))) = (&old.node_pool, &new.node_pool)
    {
        let mut parts = Vec::new();
        if a.provider != b.provider {
            parts.push(format!(
                "provider `{}` → `{}`",
                provider_str(a.provider),
                provider_str(b.provider)
            ));
        }
        if a.instance_types != b.instance_types {
            parts.push(format!(
                "instance types `{}` → `{}`",
                a.instance_types.join(", "),
                b.instance_types.join(", ")
            ));
        }
        if a.capacity_type != b.capacity_type {
            parts.push(format!(
                "capacity type `{}` → `{}`",
                capacity_str(a.capacity_type),
                capacity_str(b.capacity_type)
            ));
        }
        if a.disk_size_gb != b.disk_size_gb {
            let show = |d: Option<u32>| d.map_or("default".to_string(), |d| format!("{d} GiB"));
            parts.push(format!(
                "disk size {} → {}",
                show(a.disk_size_gb),
                show(b.disk_size_gb)
            ));
        }
        if a.ami_type != b.ami_type {
            let show = |t: Option<&str>| t.unwrap_or("none").to_string();
            parts.push(format!(
                "AMI type `{}` → `{}`",
                show(a.ami_type),
                show(b.ami_type)
            ));
        }
        if !parts.is_empty() {
            group.destructive.push(format!(
                "the node pool is replaced, not updated ({}): its nodes are drained and \
                 recreated",
                parts.join(", ")
            ));
        }
    }
}

fn provider_str(p: CloudProvider) -> &'static str {
    match p {
        CloudProvider::Aws => "aws",
        CloudProvider::Gcp => "gcp",
        CloudProvider::Azure => "azure",
    }
}

fn capacity_str(c: CapacityType) -> &'static str {
    match c {
        CapacityType::OnDemand => "ON_DEMAND",
        CapacityType::Spot => "SPOT",
    }
}
