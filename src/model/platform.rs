//! `kind: Platform`: settings shared by every tenant, from `platform.yaml`.

use super::{ApiVersion, Metadata};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The platform document. Optional: without `platform.yaml` every field takes its default.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Platform")]
pub struct Platform {
    /// Always `tenantc.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `Platform`.
    pub kind: PlatformKind,
    /// The platform's name.
    pub metadata: Metadata,
    /// The settings.
    #[serde(default)]
    pub spec: PlatformSpec,
}

impl Default for Platform {
    fn default() -> Self {
        Self {
            api_version: ApiVersion::V1Alpha1,
            kind: PlatformKind::Platform,
            metadata: Metadata {
                name: "platform".into(),
            },
            spec: PlatformSpec::default(),
        }
    }
}

/// The `kind` of the platform document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum PlatformKind {
    /// The platform.
    #[default]
    Platform,
}

/// Repo-wide settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct PlatformSpec {
    /// How namespaces are named.
    #[serde(default)]
    pub naming: NamingSpec,
    /// Extra labels on every tenant namespace. Values are minijinja templates that see
    /// `tenant` (with `name`, `tier`, `costCenter`, `billingCode`, `displayName`, `lifecycle`,
    /// `labels`), `tier` and `env`; they must render to valid label values.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub governance_labels: BTreeMap<String, String>,
    /// Extra annotations on every tenant namespace; templates like `governanceLabels`.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub governance_annotations: BTreeMap<String, String>,
    /// Defaults for every tier, deep-merged under each tier's own spec.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[schemars(schema_with = "crate::model::partial_tier_spec_schema")]
    pub tier_defaults: serde_json::Value,
    /// Where shared services live, for the NetworkPolicies that reach them.
    #[serde(default)]
    pub shared_services: SharedServices,
    /// Where `nodePool` tenants' node pools are created (the cloud account of the Terraform
    /// node groups) and how their pods are placed on them.
    #[serde(default)]
    pub node_pools: super::NodePoolSettings,
    /// How `cluster` tenants' clusters are built on the management cluster (Cluster API
    /// defaults, Kamaji DataStores, the platform's reserved address ranges).
    #[serde(default)]
    pub clusters: super::ClusterSettings,
    /// How Argo CD delivers the rendered output: the platform project, the root app-of-apps
    /// and the repository it reads.
    #[serde(default)]
    pub argocd: ArgoCdSettings,
    /// Namespaces that belong to the platform, besides the ones tenantc knows of (`default`,
    /// `kube-*`, Argo CD's, the DNS's, Kamaji's, the ClusterClasses', and every namespace a
    /// traffic rule names): no tenant may be named after one or get one as a namespace.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub reserved_namespaces: Vec<String>,
    /// Which engine enforces the cluster-wide admission policies, and what they allow besides
    /// each tier's grants.
    #[serde(default)]
    pub admission: super::AdmissionSettings,
}

/// Argo CD settings shared by every tenant.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ArgoCdSettings {
    /// The namespace Argo CD runs in, where AppProjects and Applications live (default
    /// `argocd`).
    #[serde(default = "default_argocd_namespace")]
    pub namespace: String,
    /// The URL of this platform repository, which governance Applications sync from
    /// (default `https://git.example.com/platform.git`, a placeholder to replace).
    #[serde(default = "default_repo_url", rename = "repoURL")]
    pub repo_url: String,
    /// The branch, tag or commit of this repository that Argo CD follows (default `HEAD`).
    #[serde(default = "default_target_revision")]
    pub target_revision: String,
    /// Where the rendered tree sits in this repository (default `out`).
    #[serde(default = "default_out_path")]
    pub out_path: String,
    /// The API server of the cluster tenants run on, as Argo CD knows it (default
    /// `https://kubernetes.default.svc`, the cluster Argo CD runs in).
    #[serde(default = "default_destination_server")]
    pub destination_server: String,
    /// The AppProject of the platform's own Applications (default `platform`).
    #[serde(default = "default_platform_project")]
    pub project: String,
    /// The name of the root app-of-apps Application (default `tenantc`).
    #[serde(default = "default_root_application")]
    pub root_application: String,
    /// `rendered` (default): governance Applications sync the committed `out/`; `plugin`:
    /// they run `tenantc cmp generate` through the Config Management Plugin instead.
    #[serde(default)]
    pub delivery: Delivery,
    /// The repositories tenants' own Applications may come from, as Argo CD glob patterns
    /// such as `https://git.example.com/*` (the host must be written out; a bare `*` is
    /// refused). Empty (the default): tenants may have no Applications.
    #[serde(
        default,
        rename = "tenantSourceRepos",
        skip_serializing_if = "Vec::is_empty"
    )]
    pub tenant_source_repos: Vec<String>,
    /// The service account platform Applications sync as when Argo CD's sync impersonation is
    /// on, as `namespace:name` (default `argocd:argocd-application-controller`, the
    /// controller's own).
    #[serde(default = "default_platform_service_account")]
    #[schemars(regex(
        pattern = r"^([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?:)?[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$"
    ))]
    pub platform_service_account: String,
    /// How Argo CD retries a failed sync of the platform's Applications (the root, and every
    /// tenant's governance and cluster Applications); default: 5 times, backing off from 10s,
    /// doubling, up to 3m. A tier's `argocd.retry` sets it for the tenants' own Applications.
    #[serde(default)]
    pub retry: super::RetrySpec,
}

/// How governance Applications get their manifests.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Delivery {
    /// From the committed `out/` directory.
    #[default]
    Rendered,
    /// From the `tenantc` Config Management Plugin, at sync time.
    Plugin,
}

fn default_argocd_namespace() -> String {
    "argocd".into()
}

fn default_repo_url() -> String {
    "https://git.example.com/platform.git".into()
}

fn default_target_revision() -> String {
    "HEAD".into()
}

fn default_out_path() -> String {
    "out".into()
}

fn default_destination_server() -> String {
    "https://kubernetes.default.svc".into()
}

fn default_platform_project() -> String {
    "platform".into()
}

fn default_root_application() -> String {
    "tenantc".into()
}

fn default_platform_service_account() -> String {
    "argocd:argocd-application-controller".into()
}

impl Default for ArgoCdSettings {
    fn default() -> Self {
        Self {
            namespace: default_argocd_namespace(),
            repo_url: default_repo_url(),
            target_revision: default_target_revision(),
            out_path: default_out_path(),
            destination_server: default_destination_server(),
            project: default_platform_project(),
            root_application: default_root_application(),
            delivery: Delivery::default(),
            tenant_source_repos: Vec::new(),
            platform_service_account: default_platform_service_account(),
            retry: super::RetrySpec::default(),
        }
    }
}

/// Namespace naming templates.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct NamingSpec {
    /// The namespace of one environment of a tenant (default `tenant-{{ tenant }}-{{ env }}`).
    #[serde(default = "default_namespace_template")]
    pub namespace_template: String,
    /// The namespace of a tenant whose tier has no environments (default `tenant-{{ tenant }}`).
    #[serde(default = "default_single_namespace_template")]
    pub single_namespace_template: String,
}

fn default_namespace_template() -> String {
    "tenant-{{ tenant }}-{{ env }}".into()
}

fn default_single_namespace_template() -> String {
    "tenant-{{ tenant }}".into()
}

impl Default for NamingSpec {
    fn default() -> Self {
        Self {
            namespace_template: default_namespace_template(),
            single_namespace_template: default_single_namespace_template(),
        }
    }
}

/// Shared services tenants may reach.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct SharedServices {
    /// The cluster DNS (default: `k8s-app: kube-dns` pods in `kube-system`).
    #[serde(default = "default_dns")]
    pub dns: ServiceLocation,
}

impl Default for SharedServices {
    fn default() -> Self {
        Self { dns: default_dns() }
    }
}

fn default_dns() -> ServiceLocation {
    ServiceLocation {
        namespace: "kube-system".into(),
        pod_labels: BTreeMap::from([("k8s-app".into(), "kube-dns".into())]),
    }
}

/// Pods of a shared service.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct ServiceLocation {
    /// The namespace it runs in.
    pub namespace: String,
    /// The labels of its pods.
    #[serde(default)]
    pub pod_labels: BTreeMap<String, String>,
}
