//! `kind: Tenant`: one customer or team.

use super::{ApiVersion, Labels, Metadata};
use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

/// A tenant document, as found in `tenants/**/<name>.yaml`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
#[schemars(title = "Tenant")]
pub struct Tenant {
    /// Always `tenantc.dev/v1alpha1`.
    pub api_version: ApiVersion,
    /// Always `Tenant`.
    pub kind: TenantKind,
    /// The tenant's name: a DNS-1123 label equal to the file name without `.yaml`.
    pub metadata: Metadata,
    /// The tenant itself.
    pub spec: TenantSpec,
}

/// The `kind` of a tenant document.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
pub enum TenantKind {
    /// A tenant.
    #[default]
    Tenant,
}

/// What a tenant declares about itself.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantSpec {
    /// The tier the tenant subscribes to: the name of a file under `tiers/`.
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub tier: String,
    /// A human-readable name, written as an annotation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub display_name: Option<String>,
    /// The cost center charged for the tenant (available to label templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub cost_center: Option<String>,
    /// The billing code (available to label templates).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub billing_code: Option<String>,
    /// `active`, `suspended` (no new pods: the quota allows 0) or `decommissioned` (Argo CD may
    /// prune the namespaces once the tenant is removed).
    #[serde(default)]
    pub lifecycle: Lifecycle,
    /// Who gets which role in the tenant's namespaces.
    #[serde(default)]
    pub access: AccessSpec,
    /// A subset of the tier's environments; all of them when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "Vec<String>")]
    pub environments: Option<Vec<String>>,
    /// Extra labels on every object of this tenant.
    #[serde(default, skip_serializing_if = "Labels::is_empty")]
    pub labels: Labels,
    /// Pod and service ranges, for cluster isolation.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "TenantNetwork")]
    pub network: Option<TenantNetwork>,
    /// Applications Argo CD deploys for the tenant.
    #[serde(default)]
    pub gitops: GitOpsSpec,
    /// Parts of the tier's spec to change for this tenant only, deep-merged over it: maps merge
    /// key by key; scalars and lists replace.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    #[schemars(schema_with = "crate::model::partial_tier_spec_schema")]
    pub overrides: serde_json::Value,
}

/// Where a tenant is in its life.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(rename_all = "camelCase")]
pub enum Lifecycle {
    /// In service.
    #[default]
    Active,
    /// Kept, but no new pods may start.
    Suspended,
    /// To be removed: its namespaces lose the prune protection.
    Decommissioned,
}

impl Lifecycle {
    /// The label value.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Suspended => "suspended",
            Self::Decommissioned => "decommissioned",
        }
    }
}

/// Role assignments.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct AccessSpec {
    /// Bound to `tenant-admin`: everything inside the namespaces except governance objects.
    #[serde(default)]
    pub admins: Subjects,
    /// Bound to `tenant-developer`: workloads, but no secrets or RBAC.
    #[serde(default)]
    pub developers: Subjects,
    /// Bound to `tenant-viewer`: read-only, no secrets.
    #[serde(default)]
    pub viewers: Subjects,
}

impl AccessSpec {
    /// Every user and group named, as (role list, `users` or `groups`, index, name): for the
    /// rules that look at each subject wherever it is listed.
    pub fn named(&self) -> impl Iterator<Item = (&'static str, &'static str, usize, &str)> {
        [
            ("admins", &self.admins),
            ("developers", &self.developers),
            ("viewers", &self.viewers),
        ]
        .into_iter()
        .flat_map(|(role, subjects)| {
            [("users", &subjects.users), ("groups", &subjects.groups)]
                .into_iter()
                .flat_map(move |(field, names)| {
                    names
                        .iter()
                        .enumerate()
                        .map(move |(i, n)| (role, field, i, n.as_str()))
                })
        })
    }
}

/// Users and groups given one role.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct Subjects {
    /// User names as the cluster's authenticator reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub users: Vec<String>,
    /// Group names as the cluster's authenticator reports them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<String>,
}

impl Subjects {
    /// Whether nobody is listed.
    pub fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// A tenant cluster's address ranges.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct TenantNetwork {
    /// The pod CIDR, such as `10.200.0.0/16`.
    pub pod_cidr: String,
    /// The service CIDR, such as `10.201.0.0/16`.
    pub service_cidr: String,
}

/// The tenant's own Argo CD Applications.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitOpsSpec {
    /// One Application each.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub apps: Vec<GitOpsApp>,
}

/// One workload Application of a tenant.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct GitOpsApp {
    /// The application's name (a DNS-1123 label).
    #[schemars(regex(pattern = r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$"))]
    pub name: String,
    /// The git repository holding its manifests.
    #[serde(rename = "repoURL")]
    pub repo_url: String,
    /// The directory inside the repository.
    #[serde(default = "dot")]
    pub path: String,
    /// The branch, tag or commit.
    #[serde(default = "head")]
    pub target_revision: String,
    /// The environment whose namespace it deploys into; required when the tier has
    /// environments, absent when the tenant has a single namespace.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schemars(with = "String")]
    pub environment: Option<String>,
}

fn dot() -> String {
    ".".into()
}

fn head() -> String {
    "HEAD".into()
}
