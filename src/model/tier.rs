//! `kind: Tier`: a profile of isolation, quotas, limits and policies that tenants subscribe to.

use super::{ApiVersion, Labels, Metadata, QuantityText};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A tier document, as found in `tiers/<name>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Tier")]
pub struct Tier {
    /// Always `tenantc.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `Tier`.
    pub kind: TierKind,
    /// The tier's name; tenants refer to it in `spec.tier`.
    pub metadata: Metadata,
    /// The profile itself.
    #[serde(default)]
    pub spec: TierSpec,
}

/// The `kind` of a tier document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TierKind {
    /// A tier profile.
    #[default]
    Tier,
}

/// Everything a tier decides for its tenants.
///
/// Every field has a default, so the same shape also serves as a partial profile: the
/// platform's `tierDefaults` and a tenant's `overrides` are deep-merged over it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TierSpec {
    /// How hard the tenants are isolated: `namespace` (soft), `nodePool` (dedicated nodes) or
    /// `cluster` (a dedicated Kamaji / Cluster API cluster).
    #[serde(default)]
    pub isolation: Isolation,
    /// The Pod Security Standard enforced (and audited and warned) in the tenant's namespaces.
    #[serde(default)]
    pub pod_security: PodSecurityLevel,
    /// A PriorityClass for the tier's workloads, emitted once under `out/platform/`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "PriorityClassSpec")]
    pub priority_class: Option<PriorityClassSpec>,
    /// The environments a tenant gets one namespace each for, with the share of the quota each
    /// receives. Without environments a tenant gets a single namespace with the whole quota.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub environments: Vec<EnvironmentSpec>,
    /// The tenant's total ResourceQuota (`spec.hard`), split across environments by share.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub quota: BTreeMap<String, QuantityText>,
    /// The LimitRange of every tenant namespace.
    #[serde(default)]
    pub limits: LimitsSpec,
    /// The NetworkPolicies of every tenant namespace.
    #[serde(default)]
    pub network: NetworkSpec,
    /// The dedicated node pool; required when `isolation` is `nodePool`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "NodePoolSpec")]
    pub node_pool: Option<NodePoolSpec>,
    /// The dedicated cluster; required when `isolation` is `cluster`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "ClusterSpec")]
    pub cluster: Option<ClusterSpec>,
    /// How Argo CD syncs the tenant's Applications.
    #[serde(default)]
    pub argocd: ArgoCdSpec,
    /// The tenant's budget, written as governance annotations.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "BudgetSpec")]
    pub budget: Option<BudgetSpec>,
    /// Whether tenants may create `type: ExternalName` Services (default false): behind a
    /// shared ingress controller, an ExternalName Service sends the controller's requests to
    /// any host, including other tenants' services. Enforced by an admission policy.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub allow_external_name_services: bool,
    /// What a tenant file may loosen through `overrides`, and how far (by default nothing:
    /// a tenant may only tighten its tier). Set by the tier or platform.yaml `tierDefaults`,
    /// never by a tenant.
    #[serde(default, skip_serializing_if = "super::GuardrailsSpec::is_empty")]
    pub guardrails: super::GuardrailsSpec,
}

/// Soft, medium or hard multi-tenancy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Isolation {
    /// Namespaces on shared nodes.
    #[default]
    Namespace,
    /// Namespaces whose pods run on a node pool of their own.
    NodePool,
    /// A cluster of its own.
    Cluster,
}

/// A Pod Security Standards level.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, JsonSchema,
)]
#[serde(rename_all = "camelCase")]
pub enum PodSecurityLevel {
    /// Heavily restricted pods, following current hardening best practice (the default).
    #[default]
    Restricted,
    /// Prevents known privilege escalations.
    Baseline,
    /// Unrestricted.
    Privileged,
}

impl PodSecurityLevel {
    /// The label value Kubernetes expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restricted => "restricted",
            Self::Baseline => "baseline",
            Self::Privileged => "privileged",
        }
    }
}

/// A PriorityClass shared by all tenants of a tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PriorityClassSpec {
    /// The PriorityClass's name (a DNS-1123 label).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
    /// Its priority; user classes must stay at or below one billion.
    #[schemars(range(min = -2147483648, max = 1000000000))]
    pub value: i32,
    /// A human description, copied onto the object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
}

/// One environment of a tenant: one namespace.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct EnvironmentSpec {
    /// The environment's name (a DNS-1123 label), used in the namespace name.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
    /// The share of the tenant's quota this environment receives (0 to 1; all shares of a tier
    /// add up to at most 1).
    #[schemars(range(min = 0.0, max = 1.0))]
    pub quota_share: f64,
    /// A Pod Security level for this environment only (for example `baseline` in dev).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "PodSecurityLevel")]
    pub pod_security: Option<PodSecurityLevel>,
}

/// A LimitRange: defaults and bounds per container, pod and claim.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitsSpec {
    /// Per container: `default` (limits), `defaultRequest`, `min`, `max`.
    #[serde(default)]
    pub container: LimitBounds,
    /// Per pod (the sum of its containers): `min`, `max`.
    #[serde(default)]
    pub pod: LimitBounds,
    /// Per PersistentVolumeClaim: `min`, `max` of `storage`.
    #[serde(default)]
    pub persistent_volume_claim: LimitBounds,
}

/// Resource name → quantity maps of one LimitRange item.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct LimitBounds {
    /// The limit a container gets when it sets none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default: BTreeMap<String, QuantityText>,
    /// The request a container gets when it sets none.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub default_request: BTreeMap<String, QuantityText>,
    /// The smallest request allowed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub min: BTreeMap<String, QuantityText>,
    /// The largest limit allowed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub max: BTreeMap<String, QuantityText>,
}

impl LimitBounds {
    /// Whether no bound at all is set.
    pub fn is_empty(&self) -> bool {
        self.default.is_empty()
            && self.default_request.is_empty()
            && self.min.is_empty()
            && self.max.is_empty()
    }
}

/// The NetworkPolicies of every tenant namespace.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NetworkSpec {
    /// Deny all ingress and egress not allowed by another policy (default true). Turning it off
    /// is an explicit opt-out of tenant network isolation.
    #[serde(default = "yes")]
    pub default_deny: bool,
    /// Allow traffic between all namespaces of the same tenant (default true).
    #[serde(default = "yes")]
    pub allow_same_tenant: bool,
    /// Allow DNS lookups to the cluster DNS (default true).
    #[serde(default = "yes")]
    pub allow_dns: bool,
    /// Extra allowed ingress, each a NetworkPolicy of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ingress: Vec<TrafficRule>,
    /// Extra allowed egress, each a NetworkPolicy of its own.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub egress: Vec<TrafficRule>,
}

fn yes() -> bool {
    true
}

impl Default for NetworkSpec {
    fn default() -> Self {
        Self {
            default_deny: true,
            allow_same_tenant: true,
            allow_dns: true,
            ingress: Vec::new(),
            egress: Vec::new(),
        }
    }
}

/// Traffic allowed from (ingress) or to (egress) a set of peers.
///
/// A peer is either pods selected by labels (`namespaceLabels`, `podLabels`) or an IP block
/// (`cidr` with `except`); internet egress must be an IP block.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TrafficRule {
    /// The rule's name (a DNS-1123 label), part of the NetworkPolicy's name.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
    /// Labels of the peer namespaces.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub namespace_labels: Labels,
    /// Labels of the peer pods (in the tenant's own namespace when `namespaceLabels` is empty).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pod_labels: Labels,
    /// An IP block such as `0.0.0.0/0`, instead of label selectors.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub cidr: Option<String>,
    /// Ranges inside `cidr` that stay denied, such as the private ranges.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub except: Vec<String>,
    /// Ports as `443`, `443/TCP`, `53/UDP` or a range `8000-8100/TCP`; empty means all ports.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub ports: Vec<String>,
}

/// A dedicated node pool (rendered as a Terraform node group).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePoolSpec {
    /// The cloud whose node group resource is emitted.
    pub provider: CloudProvider,
    /// Instance or VM types, most preferred first.
    #[schemars(length(min = 1))]
    pub instance_types: Vec<String>,
    /// `ON_DEMAND` or `SPOT`.
    #[serde(default)]
    pub capacity_type: CapacityType,
    /// How many nodes the pool keeps.
    pub scaling: ScalingSpec,
    /// Extra Kubernetes labels on the pool's nodes, besides `tenantc.dev/tenant` and
    /// `tenantc.dev/tier`, which tenantc always sets.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: Labels,
    /// Extra taints on the pool's nodes, besides `tenantc.dev/tenant=<tenant>:NoSchedule`,
    /// which keeps other tenants off the pool. The tenant's pods get tolerations for all of
    /// them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub taints: Vec<TaintSpec>,
    /// The nodes' root disk size in GiB; the provider's default when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "u32", range(min = 10, max = 65536))]
    pub disk_size_gb: Option<u32>,
    /// AWS only: the EKS AMI type of the nodes. Unset, tenantc picks one from the first
    /// instance type: `AL2023_x86_64_NVIDIA` (or `AL2023_ARM_64_NVIDIA`) for NVIDIA GPU
    /// types, `AL2023_x86_64_NEURON` for Inferentia and Trainium, `AL2023_ARM_64_STANDARD`
    /// for Graviton, else `AL2023_x86_64_STANDARD`. Ignored by the other providers, whose
    /// GPU settings follow from the machine type. Changing it replaces the node group.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AmiType")]
    pub ami_type: Option<AmiType>,
}

/// An Amazon EKS managed node group AMI type (the `aws_eks_node_group.ami_type` values of
/// Linux nodes that need no launch template; Amazon Linux 2 is left out, EKS 1.33 and later
/// have no AL2 AMIs).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum AmiType {
    /// Amazon Linux 2023, x86-64.
    #[serde(rename = "AL2023_x86_64_STANDARD")]
    Al2023X86Standard,
    /// Amazon Linux 2023, ARM-64 (Graviton).
    #[serde(rename = "AL2023_ARM_64_STANDARD")]
    Al2023ArmStandard,
    /// Amazon Linux 2023 with the NVIDIA driver and container toolkit, x86-64.
    #[serde(rename = "AL2023_x86_64_NVIDIA")]
    Al2023X86Nvidia,
    /// Amazon Linux 2023 with the NVIDIA driver and container toolkit, ARM-64.
    #[serde(rename = "AL2023_ARM_64_NVIDIA")]
    Al2023ArmNvidia,
    /// Amazon Linux 2023 with the AWS Neuron driver (Inferentia, Trainium), x86-64.
    #[serde(rename = "AL2023_x86_64_NEURON")]
    Al2023X86Neuron,
    /// Bottlerocket, x86-64.
    #[serde(rename = "BOTTLEROCKET_x86_64")]
    BottlerocketX86,
    /// Bottlerocket, ARM-64.
    #[serde(rename = "BOTTLEROCKET_ARM_64")]
    BottlerocketArm,
    /// Bottlerocket with NVIDIA support, x86-64.
    #[serde(rename = "BOTTLEROCKET_x86_64_NVIDIA")]
    BottlerocketX86Nvidia,
    /// Bottlerocket with NVIDIA support, ARM-64.
    #[serde(rename = "BOTTLEROCKET_ARM_64_NVIDIA")]
    BottlerocketArmNvidia,
    /// Bottlerocket with FIPS enabled, x86-64.
    #[serde(rename = "BOTTLEROCKET_x86_64_FIPS")]
    BottlerocketX86Fips,
    /// Bottlerocket with FIPS enabled, ARM-64.
    #[serde(rename = "BOTTLEROCKET_ARM_64_FIPS")]
    BottlerocketArmFips,
}

impl AmiType {
    /// The value EKS and the Terraform provider expect.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Al2023X86Standard => "AL2023_x86_64_STANDARD",
            Self::Al2023ArmStandard => "AL2023_ARM_64_STANDARD",
            Self::Al2023X86Nvidia => "AL2023_x86_64_NVIDIA",
            Self::Al2023ArmNvidia => "AL2023_ARM_64_NVIDIA",
            Self::Al2023X86Neuron => "AL2023_x86_64_NEURON",
            Self::BottlerocketX86 => "BOTTLEROCKET_x86_64",
            Self::BottlerocketArm => "BOTTLEROCKET_ARM_64",
            Self::BottlerocketX86Nvidia => "BOTTLEROCKET_x86_64_NVIDIA",
            Self::BottlerocketArmNvidia => "BOTTLEROCKET_ARM_64_NVIDIA",
            Self::BottlerocketX86Fips => "BOTTLEROCKET_x86_64_FIPS",
            Self::BottlerocketArmFips => "BOTTLEROCKET_ARM_64_FIPS",
        }
    }
}

/// A node taint, in Kubernetes terms; tenantc converts it to each provider's spelling.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TaintSpec {
    /// The taint's key: a label key such as `nvidia.com/gpu`.
    pub key: String,
    /// The taint's value: a label value (may be empty).
    #[serde(default)]
    pub value: String,
    /// What happens to pods that do not tolerate it.
    #[serde(default)]
    pub effect: TaintEffect,
}

/// The effect of a taint.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TaintEffect {
    /// New pods that do not tolerate it are not scheduled (the default).
    #[default]
    NoSchedule,
    /// The scheduler avoids the node for pods that do not tolerate it.
    PreferNoSchedule,
    /// Running pods that do not tolerate it are evicted too.
    NoExecute,
}

impl TaintEffect {
    /// The Kubernetes spelling, as in `NoSchedule`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NoSchedule => "NoSchedule",
            Self::PreferNoSchedule => "PreferNoSchedule",
            Self::NoExecute => "NoExecute",
        }
    }
}

/// A cloud provider with a node-group resource.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "lowercase")]
pub enum CloudProvider {
    /// Amazon EKS managed node groups.
    #[default]
    Aws,
    /// Google GKE node pools.
    Gcp,
    /// Azure AKS node pools.
    Azure,
}

/// Whether nodes are on-demand or spot capacity.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum CapacityType {
    /// Regular instances.
    #[default]
    OnDemand,
    /// Spot / preemptible instances.
    Spot,
}

/// Node counts of a pool.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ScalingSpec {
    /// The fewest nodes.
    #[schemars(range(max = 1000))]
    pub min: u32,
    /// The nodes to start with.
    #[schemars(range(max = 1000))]
    pub desired: u32,
    /// The most nodes (1 to 1000: AWS needs at least one, AKS allows at most 1000).
    #[schemars(range(min = 1, max = 1000))]
    pub max: u32,
}

/// A dedicated Kamaji / Cluster API cluster.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSpec {
    /// The Kubernetes version, such as `v1.34.1`.
    #[schemars(regex(pattern = r"^v[0-9]+\.[0-9]+\.[0-9]+$"))]
    pub kubernetes_version: String,
    /// The ClusterClass the cluster is built from.
    pub class_ref: ClassRef,
    /// The worker machine size, passed to the ClusterClass as a variable.
    pub machine_size: String,
    /// The number of worker machines.
    pub workers: u32,
    /// A dedicated Kamaji DataStore per tenant, or the platform's shared one.
    #[serde(default)]
    pub data_store: DataStoreMode,
}

/// A reference to a ClusterClass.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClassRef {
    /// The ClusterClass's name.
    pub name: String,
    /// Its namespace (the Cluster's own when empty).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub namespace: Option<String>,
}

/// Where a tenant cluster's control plane keeps its state.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum DataStoreMode {
    /// A DataStore of the tenant's own.
    Dedicated,
    /// The platform's shared DataStore.
    #[default]
    Shared,
}

/// Argo CD settings of a tier.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCdSpec {
    /// The sync policy of the tenant's Applications.
    #[serde(default)]
    pub sync_policy: SyncPolicySpec,
    /// How Argo CD retries a failed sync of the tenant's workload Applications (default: 5
    /// times, backing off from 10s, doubling, up to 3m). Argo CD's automated sync does not
    /// sync the same commit again after a failure, so without retries an app that synced
    /// before its namespace existed stays failed until the next commit.
    #[serde(default)]
    pub retry: RetrySpec,
}

/// Argo CD's `syncPolicy.retry`: how often, and how far apart, a failed sync is retried.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RetrySpec {
    /// How many times a failed sync is retried (default 5; 0: never; -1: without end).
    #[serde(default = "default_retry_limit")]
    #[schemars(range(min = -1, max = 1000))]
    pub limit: i64,
    /// The wait between attempts.
    #[serde(default)]
    pub backoff: BackoffSpec,
}

/// The wait between sync attempts: `duration`, multiplied by `factor` after each failure, up
/// to `maxDuration`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BackoffSpec {
    /// The first wait, as a Go duration such as `10s` or `1m30s` (default `10s`).
    #[serde(default = "default_backoff_duration")]
    #[schemars(regex(pattern = r"^([0-9]+(ns|us|ms|s|m|h))+$"))]
    pub duration: String,
    /// What each wait is multiplied by for the next one (default 2).
    #[serde(default = "default_backoff_factor")]
    #[schemars(range(min = 1, max = 100))]
    pub factor: i64,
    /// The longest wait, as a Go duration (default `3m`).
    #[serde(default = "default_backoff_max_duration")]
    #[schemars(regex(pattern = r"^([0-9]+(ns|us|ms|s|m|h))+$"))]
    pub max_duration: String,
}

fn default_retry_limit() -> i64 {
    5
}

fn default_backoff_duration() -> String {
    "10s".into()
}

fn default_backoff_factor() -> i64 {
    2
}

fn default_backoff_max_duration() -> String {
    "3m".into()
}

impl Default for RetrySpec {
    fn default() -> Self {
        Self {
            limit: default_retry_limit(),
            backoff: BackoffSpec::default(),
        }
    }
}

impl Default for BackoffSpec {
    fn default() -> Self {
        Self {
            duration: default_backoff_duration(),
            factor: default_backoff_factor(),
            max_duration: default_backoff_max_duration(),
        }
    }
}

/// An Argo CD sync policy.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SyncPolicySpec {
    /// Sync automatically; manual sync when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "AutomatedSync")]
    pub automated: Option<AutomatedSync>,
}

/// Automated sync options.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AutomatedSync {
    /// Delete resources that are no longer in git.
    #[serde(default)]
    pub prune: bool,
    /// Revert changes made outside git.
    #[serde(default)]
    pub self_heal: bool,
}

/// A monthly budget, written onto the tenant's namespaces as annotations.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct BudgetSpec {
    /// The monthly amount.
    #[schemars(range(min = 0))]
    pub monthly: u64,
    /// An ISO 4217 currency code such as `USD`.
    #[schemars(regex(pattern = "^[A-Z]{3}$"))]
    pub currency: String,
}
