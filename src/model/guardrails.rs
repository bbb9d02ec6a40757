//! A tier's guardrails: how far a tenant file may go beyond its tier.
//!
//! A tenant file is where tenants send pull requests, so it is untrusted: through `overrides`
//! it may only tighten what its tier grants (the `guard` stage enforces it). A tier (or the
//! platform's `tierDefaults`) opens a few doors on purpose here: quota keys a tenant may raise
//! up to a ceiling, peers its own traffic rules may reach, and the node pool or cluster sizes
//! it may pick. Everything not listed stays closed.

use super::{CapacityType, QuantityText};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// What a tenant's `overrides` may loosen, and how far. Empty (the default) means a tenant may
/// only tighten its tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GuardrailsSpec {
    /// The most a tenant may raise each quota key to (`requests.nvidia.com/gpu: "16"`). The
    /// tier's own value is always allowed; a key not listed may only go down.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, QuantityText>,
    /// Peers that traffic rules a tenant adds may reach; the tier's own rules are always
    /// allowed, and a tenant may always drop them.
    #[serde(default, skip_serializing_if = "NetworkGuardrails::is_empty")]
    pub network: NetworkGuardrails,
    /// What a tenant may change about its node pool.
    #[serde(default, skip_serializing_if = "NodePoolGuardrails::is_empty")]
    pub node_pool: NodePoolGuardrails,
    /// What a tenant may change about its own cluster.
    #[serde(default, skip_serializing_if = "ClusterGuardrails::is_empty")]
    pub cluster: ClusterGuardrails,
}

impl GuardrailsSpec {
    /// Whether nothing is opened.
    pub fn is_empty(&self) -> bool {
        self.quota.is_empty()
            && self.network.is_empty()
            && self.node_pool.is_empty()
            && self.cluster.is_empty()
    }
}

/// Peers of tenant-added traffic rules, per direction.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkGuardrails {
    /// Peers a tenant's own ingress rules may admit traffic from.
    #[serde(default, skip_serializing_if = "PeerAllowList::is_empty")]
    pub ingress: PeerAllowList,
    /// Peers a tenant's own egress rules may send traffic to.
    #[serde(default, skip_serializing_if = "PeerAllowList::is_empty")]
    pub egress: PeerAllowList,
}

impl NetworkGuardrails {
    /// Whether no peer is allowed.
    pub fn is_empty(&self) -> bool {
        self.ingress.is_empty() && self.egress.is_empty()
    }
}

/// Peers a tenant rule may name: address ranges and namespaces.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PeerAllowList {
    /// Address ranges; a tenant rule's `cidr` must lie inside one of them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub cidrs: Vec<String>,
    /// Namespaces; a tenant rule that selects namespaces must select exactly one of these by
    /// `kubernetes.io/metadata.name` (the label tenants cannot set).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub namespaces: Vec<String>,
}

impl PeerAllowList {
    /// Whether nothing is allowed.
    pub fn is_empty(&self) -> bool {
        self.cidrs.is_empty() && self.namespaces.is_empty()
    }
}

/// What a tenant may change about its node pool. Its provider, labels and taints are the
/// tier's alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePoolGuardrails {
    /// Instance or VM types a tenant may choose besides the tier's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub instance_types: Vec<String>,
    /// Capacity types a tenant may choose besides the tier's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub capacity_types: Vec<CapacityType>,
    /// The most nodes (`scaling.max`) a tenant may ask for; the tier's own `max` when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 1, max = 1000))]
    pub max_nodes: Option<u32>,
    /// The largest root disk a tenant may ask for, in GiB; the tier's own when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 10, max = 65536))]
    pub max_disk_size_gb: Option<u32>,
}

impl NodePoolGuardrails {
    /// Whether nothing is opened.
    pub fn is_empty(&self) -> bool {
        self.instance_types.is_empty()
            && self.capacity_types.is_empty()
            && self.max_nodes.is_none()
            && self.max_disk_size_gb.is_none()
    }
}

/// What a tenant may change about its own cluster. Its version, class and DataStore are the
/// tier's alone.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterGuardrails {
    /// The most worker machines a tenant may ask for; the tier's own count when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32")]
    pub max_workers: Option<u32>,
    /// Machine sizes a tenant may choose besides the tier's own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub machine_sizes: Vec<String>,
}

impl ClusterGuardrails {
    /// Whether nothing is opened.
    pub fn is_empty(&self) -> bool {
        self.max_workers.is_none() && self.machine_sizes.is_empty()
    }
}

/// Cluster-wide admission settings of the platform (platform.yaml `spec.admission`): which
/// engine enforces the admission policies tenantc emits, and what they allow besides each
/// tier's own grants.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AdmissionSettings {
    /// What enforces the admission policies of `out/platform/admission.yaml`:
    /// `validatingAdmissionPolicy` (the default: ValidatingAdmissionPolicies and their
    /// bindings, built into the API server, Kubernetes 1.30 or later) or `kyverno` (Kyverno
    /// ClusterPolicies with the same CEL rules, for older clusters or platforms that
    /// standardise on Kyverno; needs Kyverno 1.13 or later). Both deny the same objects and
    /// fail closed.
    #[serde(default)]
    pub engine: AdmissionEngine,
    /// PriorityClasses every tenant pod may use besides its tier's own, such as a cluster's
    /// `globalDefault` class (which the API server writes into pods that name none).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[schemars(inner(regex(pattern = r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")))]
    pub allowed_priority_classes: Vec<String>,
}

/// What enforces the cluster-wide admission policies.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum AdmissionEngine {
    /// `admissionregistration.k8s.io/v1` ValidatingAdmissionPolicies and bindings, evaluated
    /// by the API server itself (Kubernetes 1.30 or later).
    #[default]
    ValidatingAdmissionPolicy,
    /// `kyverno.io/v1` ClusterPolicies whose `validate.cel` rules hold the same expressions,
    /// evaluated by Kyverno's webhook (Kyverno 1.13 or later; fails closed when Kyverno is
    /// down).
    Kyverno,
}
