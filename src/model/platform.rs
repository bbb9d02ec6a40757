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
