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
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    labels.insert("tenantc.dev/tenant".into(), tenant.name.clone());
    labels.insert("tenantc.dev/tier".into(), tenant.tenant.spec.tier.clone());
    if let Some(name) = &env.name {
        labels.insert("tenantc.dev/environment".into(), name.clone());
    }
    labels
}
