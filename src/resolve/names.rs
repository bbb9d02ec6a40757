//! Names that tenantc derives from tenant names for objects outside the tenant's namespaces:
//! decided once here so that `check` (collisions) and `render` always agree.

/// The AppProject of a tenant.
pub fn app_project(tenant: &str) -> String {
    tenant.to_string()
}

/// The Application that syncs a tenant's namespaces and governance.
pub fn governance_application(tenant: &str) -> String {
    format!("{tenant}-governance")
}

/// The Application that syncs a cluster-isolation tenant's `cluster.yaml`.
pub fn cluster_application(tenant: &str) -> String {
    format!("{tenant}-cluster")
}

/// The Application of one of a tenant's gitops apps.
pub fn workload_application(tenant: &str, app: &str) -> String {
    format!("{tenant}-{app}")
}
