//! The labels tenantc puts on the objects it owns.

use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use std::collections::BTreeMap;

/// The label that marks every object tenantc writes.
pub const MANAGED_BY: (&str, &str) = ("app.kubernetes.io/managed-by", "tenantc");

/// Labels of a platform-wide object.
pub fn platform<'a>(
    extra: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> BTreeMap<String, String> {
    [MANAGED_BY]
        .into_iter()
        .chain(extra)
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

/// Labels of every object of a tenant's environment: the tenant's own labels first, so that
/// tenantc's identifying labels always win.
pub fn tenant(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> BTreeMap<String, String> {
    let mut labels = tenant.tenant.spec.labels.clone();
    labels.extend(identity(tenant, env));
    labels
}

/// The labels that say what an object belongs to: managed by tenantc, which tenant, tier
/// and environment.
pub fn identity(tenant: &ResolvedTenant, env: &ResolvedEnvironment) -> BTreeMap<String, String> {
    let mut labels = BTreeMap::from([
        (MANAGED_BY.0.to_string(), MANAGED_BY.1.to_string()),
        ("tenantc.dev/tenant".to_string(), tenant.name.clone()),
        (
            "tenantc.dev/tier".to_string(),
            tenant.tenant.spec.tier.clone(),
        ),
    ]);
    if let Some(name) = &env.name {
        labels.insert("tenantc.dev/environment".into(), name.clone());
    }
    labels
}
