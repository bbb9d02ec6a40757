//! E0709: no `system:` users or groups in a tenant's access lists.
//!
//! The API server gives `system:` names to whole populations and to itself:
//! `system:authenticated` is every signed-in user, `system:serviceaccounts` every service
//! account of every tenant, `system:masters` bypasses RBAC. Binding a tenant role to one of
//! them hands the tenant's namespaces to others; no tenant needs to.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::resolve::ResolvedTenant;

/// Reports every `system:` user or group of the tenant.
pub fn check(tenant: &ResolvedTenant, diags: &mut Diagnostics) {
    for (role, field, i, name) in tenant.tenant.spec.access.named() {
        if !name.starts_with("system:") {
            continue;
        }
        diags.push(
            Diagnostic::new(
                codes::SYSTEM_SUBJECT,
                format!("`{name}` is a name the API server gives to the system or to everyone"),
            )
            .at(Label::value(
                &tenant.file,
                format!("/spec/access/{role}/{field}/{i}"),
                "would grant this tenant's role beyond the tenant",
            ))
            .help("name the tenant's own users and groups, as its identity provider reports them"),
        );
    }
}
