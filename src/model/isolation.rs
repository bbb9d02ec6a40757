//! Platform settings of the two harder isolation levels: where node pools are created and how
//! pods are placed on them (`spec.nodePools`), and how tenant clusters are built on the
//! management cluster (`spec.clusters`).
//!
//! Every field has a default, so a repository without `platform.yaml` still renders: cloud
//! settings left out become Terraform variables without a default, which `terraform plan`
//! asks for.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Where tenants' node pools live and how their pods are pinned to them.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NodePoolSettings {
    /// How a node-pool tenant's pods are placed on its pool: `kyverno` (a namespaced Kyverno
    /// mutate Policy, the default) or `podNodeSelector` (the PodNodeSelector and
    /// PodTolerationRestriction admission plugins' namespace annotations).
    #[serde(default)]
    pub placement: PodPlacement,
    /// Settings of the generated Terraform root module.
    #[serde(default)]
    pub terraform: TerraformSettings,
    /// The EKS cluster that AWS node groups join.
    #[serde(default)]
    pub aws: AwsAccount,
    /// The GKE cluster that GCP node pools join.
    #[serde(default)]
    pub gcp: GcpAccount,
    /// The AKS cluster that Azure node pools join.
    #[serde(default)]
    pub azure: AzureAccount,
    /// Extra instance or VM type prefixes that have NVIDIA GPUs, for types the built-in list
    /// does not know yet (such as `p7.`); used only for warning W0413.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gpu_instance_types: Vec<String>,
}

/// How pods are pinned to their tenant's node pool.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum PodPlacement {
    /// A Kyverno `Policy` in each tenant namespace adds the node selector and tolerations
    /// to every new pod (needs Kyverno; fails closed when Kyverno is down).
    #[default]
    Kyverno,
    /// `scheduler.alpha.kubernetes.io/node-selector`, `defaultTolerations` and
    /// `tolerationsWhitelist` namespace annotations (needs the PodNodeSelector and
    /// PodTolerationRestriction admission plugins enabled on the API server).
    PodNodeSelector,
}

/// Settings of the Terraform root module under `out/terraform/`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TerraformSettings {
    /// The Terraform versions the module supports (default `>= 1.10.0` when an `s3` backend
    /// locks its state with a lock file, else `>= 1.5.0`). A constraint of your own must admit
    /// only 1.10 or later with an `s3` backend that tenantc makes lock.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub required_version: Option<String>,
    /// A backend block such as `{s3: {bucket: tf-state, key: tenants.tfstate, region:
    /// eu-west-1}}`: the backend type and its string settings. Without it Terraform keeps
    /// local state. An `s3` backend without `dynamodb_table` or `use_lockfile` gets
    /// `use_lockfile = true` (S3-native state locking, Terraform 1.10 or later).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub backend: BTreeMap<String, BTreeMap<String, String>>,
}

/// The Terraform version constraint without S3 lock files.
pub const TERRAFORM_VERSION: &str = ">= 1.5.0";
/// The Terraform version constraint with S3 lock files (`use_lockfile`, Terraform 1.10).
pub const TERRAFORM_VERSION_S3_LOCKFILE: &str = ">= 1.10.0";

impl TerraformSettings {
    /// Whether tenantc adds `use_lockfile = true` to the backend: an `s3` backend that names
    /// neither a DynamoDB lock table nor `use_lockfile` itself.
    pub fn adds_s3_lockfile(&self) -> bool {
        self.backend.get("s3").is_some_and(|s3| {
            !s3.contains_key("dynamodb_table") && !s3.contains_key("use_lockfile")
        })
    }

    /// The `required_version` the module declares.
    pub fn required_version(&self) -> &str {
        match &self.required_version {
            Some(version) => version,
            None if self.adds_s3_lockfile() => TERRAFORM_VERSION_S3_LOCKFILE,
            None => TERRAFORM_VERSION,
        }
    }
}

/// The AWS account and EKS cluster of AWS node groups. Unset values become Terraform
/// variables (`aws_region`, `aws_cluster_name`, `aws_node_role_arn`, `aws_subnet_ids`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AwsAccount {
    /// The AWS region, such as `eu-west-1` (unset: the provider's environment decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub region: Option<String>,
    /// The EKS cluster's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub cluster_name: Option<String>,
    /// The ARN of the IAM role the nodes assume.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub node_role_arn: Option<String>,
    /// The subnets the nodes are placed in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>", length(min = 1))]
    pub subnet_ids: Option<Vec<String>>,
    /// The `hashicorp/aws` provider version constraint (default `~> 6.0`).
    #[serde(default = "default_aws_version")]
    pub provider_version: String,
}

fn default_aws_version() -> String {
    "~> 6.0".into()
}

impl Default for AwsAccount {
    fn default() -> Self {
        Self {
            region: None,
            cluster_name: None,
            node_role_arn: None,
            subnet_ids: None,
            provider_version: default_aws_version(),
        }
    }
}

/// The Google Cloud project and GKE cluster of GCP node pools. Unset values become Terraform
/// variables (`gcp_project`, `gcp_location`, `gcp_cluster`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GcpAccount {
    /// The project ID (unset: the provider's environment decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub project: Option<String>,
    /// The cluster's location: a region such as `europe-west1` or a zone.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub location: Option<String>,
    /// The GKE cluster's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub cluster: Option<String>,
    /// The `hashicorp/google` provider version constraint (default `~> 7.0`).
    #[serde(default = "default_google_version")]
    pub provider_version: String,
}

fn default_google_version() -> String {
    "~> 7.0".into()
}

impl Default for GcpAccount {
    fn default() -> Self {
        Self {
            project: None,
            location: None,
            cluster: None,
            provider_version: default_google_version(),
        }
    }
}

/// The Azure subscription and AKS cluster of Azure node pools. Unset values become Terraform
/// variables (`azure_subscription_id`, `azure_kubernetes_cluster_id`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AzureAccount {
    /// The subscription ID (unset: `ARM_SUBSCRIPTION_ID` decides).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub subscription_id: Option<String>,
    /// The AKS cluster's resource ID
    /// (`/subscriptions/…/resourceGroups/…/providers/Microsoft.ContainerService/managedClusters/…`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub kubernetes_cluster_id: Option<String>,
    /// The subnet ID for the pools' nodes; the cluster's default subnet when unset.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub vnet_subnet_id: Option<String>,
    /// The `hashicorp/azurerm` provider version constraint (default `~> 4.0`).
    #[serde(default = "default_azurerm_version")]
    pub provider_version: String,
}

fn default_azurerm_version() -> String {
    "~> 4.0".into()
}

impl Default for AzureAccount {
    fn default() -> Self {
        Self {
            subscription_id: None,
            kubernetes_cluster_id: None,
            vnet_subnet_id: None,
            provider_version: default_azurerm_version(),
        }
    }
}

/// How tenant clusters are built on the management cluster with Cluster API and Kamaji.
///
/// Templates are minijinja, like the naming templates, and see `tenant` (with `name`,
/// `tier`, `costCenter`, `billingCode`, `displayName`, `lifecycle`, `labels`) and `tier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ClusterSettings {
    /// The management-cluster namespace of a tenant's Cluster and control plane (default
    /// `cluster-{{ tenant }}`); must render to a DNS-1123 label unique per tenant.
    #[serde(default = "default_cluster_namespace")]
    pub namespace_template: String,
    /// The namespace of the ClusterClass when a tier's `classRef` names none (default: the
    /// Cluster's own namespace).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub class_namespace: Option<String>,
    /// The MachineDeployment class of the workers, as defined by the ClusterClass (default
    /// `default-worker`).
    #[serde(default = "default_worker_class")]
    pub worker_class: String,
    /// Failure domains to spread the workers over, one MachineDeployment each; one
    /// MachineDeployment `md-0` when empty.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub failure_domains: Vec<String>,
    /// The tenant control plane (Kamaji TenantControlPlane) settings.
    #[serde(default)]
    pub control_plane: ControlPlaneSettings,
    /// Kamaji DataStores: the shared one, the dedicated ones and the names inside them.
    #[serde(default)]
    pub data_stores: DataStoreSettings,
    /// Address ranges of the platform itself (management cluster pods and services, node
    /// networks, VPN ranges) that no tenant cluster may use.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved_cidrs: Vec<String>,
}

fn default_cluster_namespace() -> String {
    "cluster-{{ tenant }}".into()
}

fn default_worker_class() -> String {
    "default-worker".into()
}

impl Default for ClusterSettings {
    fn default() -> Self {
        Self {
            namespace_template: default_cluster_namespace(),
            class_namespace: None,
            worker_class: default_worker_class(),
            failure_domains: Vec::new(),
            control_plane: ControlPlaneSettings::default(),
            data_stores: DataStoreSettings::default(),
            reserved_cidrs: Vec::new(),
        }
    }
}

/// A tenant control plane: how many API server replicas run and how they are exposed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ControlPlaneSettings {
    /// Control plane replicas (default 2).
    #[serde(default = "default_replicas")]
    #[schemars(range(min = 1, max = 9))]
    pub replicas: u32,
    /// How the API server is exposed: `LoadBalancer` (default), `NodePort` or `ClusterIP`;
    /// passed to the ClusterClass as the `controlPlaneServiceType` variable.
    #[serde(default)]
    pub service_type: ServiceType,
    /// The namespace of the management cluster's Kamaji controller and data stores; the
    /// control plane's NetworkPolicy allows egress there (default `kamaji-system`).
    #[serde(default = "default_kamaji_namespace")]
    pub kamaji_namespace: String,
}

fn default_replicas() -> u32 {
    2
}

fn default_kamaji_namespace() -> String {
    "kamaji-system".into()
}

impl Default for ControlPlaneSettings {
    fn default() -> Self {
        Self {
            replicas: default_replicas(),
            service_type: ServiceType::default(),
            kamaji_namespace: default_kamaji_namespace(),
        }
    }
}

/// A Kubernetes Service type for the tenant API server.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum ServiceType {
    /// A cloud or MetalLB load balancer.
    #[default]
    LoadBalancer,
    /// A port on every management-cluster node.
    NodePort,
    /// Reachable only inside the management cluster.
    ClusterIP,
}

impl ServiceType {
    /// The value Kubernetes expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::LoadBalancer => "LoadBalancer",
            Self::NodePort => "NodePort",
            Self::ClusterIP => "ClusterIP",
        }
    }
}

/// Kamaji DataStores and the names tenants get inside them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataStoreSettings {
    /// The name of the shared DataStore used by tiers with `dataStore: shared` (default
    /// `default`, the one the Kamaji chart installs). tenantc references it and never
    /// emits it.
    #[serde(default = "default_shared_data_store")]
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub shared: String,
    /// A tenant's schema (etcd key prefix, SQL database) in its DataStore (default
    /// `{{ tenant | replace('-', '_') }}`). Kamaji does not check that two tenants differ;
    /// tenantc does (E0414).
    #[serde(default = "default_data_store_name")]
    pub schema_template: String,
    /// A tenant's user name in its DataStore (default like `schemaTemplate`); unique across
    /// tenants (E0414).
    #[serde(default = "default_data_store_name")]
    pub username_template: String,
    /// The DataStore each tenant with `dataStore: dedicated` gets.
    #[serde(default)]
    pub dedicated: DedicatedDataStore,
}

fn default_shared_data_store() -> String {
    "default".into()
}

fn default_data_store_name() -> String {
    "{{ tenant | replace('-', '_') }}".into()
}

impl Default for DataStoreSettings {
    fn default() -> Self {
        Self {
            shared: default_shared_data_store(),
            schema_template: default_data_store_name(),
            username_template: default_data_store_name(),
            dedicated: DedicatedDataStore::default(),
        }
    }
}

/// A dedicated Kamaji DataStore: its driver, where its servers answer and the Secrets with
/// its TLS material. tenantc references the Secrets and never creates them; the defaults are
/// what the `kamaji-etcd` Helm chart (0.17) creates for a release named `{{ tenant }}-etcd`
/// in `kamaji-system` with its default self-signed certificates. Templates see `tenant` and
/// `tier`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DedicatedDataStore {
    /// The DataStore's name, cluster-scoped (default `{{ tenant }}-etcd`).
    #[serde(default = "default_dedicated_name")]
    pub name_template: String,
    /// The database driver (default `etcd`).
    #[serde(default)]
    pub driver: DataStoreDriver,
    /// The servers as `host:port`, without a scheme (default: the three members of a
    /// `kamaji-etcd` release named `{{ tenant }}-etcd` in `kamaji-system`, spelled as in the
    /// chart's server certificate:
    /// `{{ tenant }}-etcd-<i>.{{ tenant }}-etcd.kamaji-system.svc.cluster.local:2379`).
    #[serde(default = "default_endpoints")]
    #[schemars(length(min = 1))]
    pub endpoint_templates: Vec<String>,
    /// The namespace of the TLS Secrets (default `kamaji-system`).
    #[serde(default = "default_kamaji_namespace")]
    pub secret_namespace: String,
    /// The Secret holding the CA certificate and, for etcd, its key (default
    /// `{{ tenant }}-etcd-certs`, the kamaji-etcd chart's CA Secret).
    #[serde(default = "default_ca_secret")]
    pub ca_secret_template: String,
    /// The Secret holding the client certificate and key (default
    /// `{{ tenant }}-etcd-root-client-certs`, the kamaji-etcd chart's root client Secret).
    #[serde(default = "default_client_secret")]
    pub client_secret_template: String,
    /// The keys inside the two Secrets (default: the chart's `ca.crt` and `ca.key`, and
    /// `tls.crt` and `tls.key`).
    #[serde(default)]
    pub secret_keys: DataStoreSecretKeys,
}

/// The keys of the TLS material inside a dedicated DataStore's Secrets (Kamaji's
/// `secretReference.keyPath`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct DataStoreSecretKeys {
    /// The CA certificate's key in the CA Secret (default `ca.crt`; `tls.crt` for a
    /// cert-manager CA Secret).
    #[serde(default = "default_ca_certificate_key")]
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]{1,253}$"))]
    pub ca_certificate: String,
    /// The CA private key's key in the CA Secret (default `ca.key`; `tls.key` for a
    /// cert-manager CA Secret); used with etcd only.
    #[serde(default = "default_ca_private_key")]
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]{1,253}$"))]
    pub ca_private_key: String,
    /// The client certificate's key in the client Secret (default `tls.crt`).
    #[serde(default = "default_tls_crt")]
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]{1,253}$"))]
    pub client_certificate: String,
    /// The client private key's key in the client Secret (default `tls.key`).
    #[serde(default = "default_tls_key")]
    #[schemars(regex(pattern = r"^[-._a-zA-Z0-9]{1,253}$"))]
    pub client_private_key: String,
}

fn default_ca_certificate_key() -> String {
    "ca.crt".into()
}

fn default_ca_private_key() -> String {
    "ca.key".into()
}

fn default_tls_crt() -> String {
    "tls.crt".into()
}

fn default_tls_key() -> String {
    "tls.key".into()
}

impl Default for DataStoreSecretKeys {
    fn default() -> Self {
        Self {
            ca_certificate: default_ca_certificate_key(),
            ca_private_key: default_ca_private_key(),
            client_certificate: default_tls_crt(),
            client_private_key: default_tls_key(),
        }
    }
}

fn default_dedicated_name() -> String {
    "{{ tenant }}-etcd".into()
}

fn default_endpoints() -> Vec<String> {
    (0..3)
        .map(|i| {
            format!(
                "{{{{ tenant }}}}-etcd-{i}.{{{{ tenant }}}}-etcd.kamaji-system.svc.cluster.local:2379"
            )
        })
        .collect()
}

fn default_ca_secret() -> String {
    "{{ tenant }}-etcd-certs".into()
}

fn default_client_secret() -> String {
    "{{ tenant }}-etcd-root-client-certs".into()
}

impl Default for DedicatedDataStore {
    fn default() -> Self {
        Self {
            name_template: default_dedicated_name(),
            driver: DataStoreDriver::default(),
            endpoint_templates: default_endpoints(),
            secret_namespace: default_kamaji_namespace(),
            ca_secret_template: default_ca_secret(),
            client_secret_template: default_client_secret(),
            secret_keys: DataStoreSecretKeys::default(),
        }
    }
}

/// A Kamaji DataStore driver.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum DataStoreDriver {
    /// etcd, with mutual TLS (the CA's key is needed too).
    #[default]
    #[serde(rename = "etcd")]
    Etcd,
    /// MySQL, with TLS client certificates.
    MySQL,
    /// PostgreSQL, with TLS client certificates.
    PostgreSQL,
    /// NATS, with TLS client certificates.
    #[serde(rename = "NATS")]
    Nats,
}

impl DataStoreDriver {
    /// The value Kamaji expects.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Etcd => "etcd",
            Self::MySQL => "MySQL",
            Self::PostgreSQL => "PostgreSQL",
            Self::Nats => "NATS",
        }
    }
}
