//! Guardrails: what a tenant file may change.
//!
//! In a GitOps platform, tenant files are where tenants send pull requests; tiers and
//! platform.yaml belong to the platform team. So a tenant file is untrusted: through
//! `overrides` it may only tighten what its tier grants, except where the tier opens a door
//! on purpose (`spec.guardrails`); it may not name subjects the API server gives to everyone,
//! take its applications from repositories the platform does not allow, or take a name that
//! belongs to the platform. This stage runs right after `resolve` (which records which layer
//! set every value) and reports each violation at the tenant's value, with a note saying
//! where the tier or the platform sets the bound. One rule per file:
//!
//! | file | code | guardrail |
//! |---|---|---|
//! | `closed.rs` | E0701 | fields a tenant cannot override at all |
//! | `pod_security.rs` | E0702 | Pod Security only stricter |
//! | `network.rs` | E0703, E0704 | network isolation never off; traffic rules only to allowed peers |
//! | `quota.rs` | E0705 | quotas and LimitRange bounds only within the tier's |
//! | `capacity.rs` | E0706, E0707 | node pool and cluster sizes within the tier's |
//! | `sources.rs` | E0708, E0711 | applications only from allow-listed repositories |
//! | `subjects.rs` | E0709 | no `system:` users or groups |
//! | `reserved.rs` | E0710 | no names that belong to the platform |
//!
//! Tier and platform files are trusted: nothing here limits them.

mod capacity;
mod closed;
mod network;
mod pod_security;
mod quota;
mod reserved;
pub(crate) mod sources;
mod subjects;

use crate::diagnostics::{Diagnostic, Diagnostics, Label};
use crate::resolve::{BUILT_IN, Profile, Resolved, ResolvedTenant};
use rayon::prelude::*;
use std::sync::Arc;

/// Checks every tenant against its tier's guardrails and the platform's names and sources.
///
/// Reports E0701–E0711, and E0213 and E0217 for a tier's own guardrails that cannot be read.
pub fn guard(resolved: &Resolved, diags: &mut Diagnostics) {
    let platform_file = resolved.platform_file.as_deref().unwrap_or(BUILT_IN);
    let repos = sources::SourcePatterns::new(&resolved.platform, platform_file, diags);
    let names = reserved::ReservedNames::new(resolved, platform_file);
    for profile in resolved.tiers.values() {
        check_guardrails(profile, diags);
    }
    let found: Vec<Diagnostics> = resolved
        .tenants
        .par_iter()
        .map(|tenant| {
            let mut local = Diagnostics::default();
            if let Some(view) = TenantView::new(resolved, tenant) {
                view.check_overrides(&mut local);
            }
            subjects::check(tenant, &mut local);
            repos.check(tenant, &mut local);
            names.check(tenant, &mut local);
            local
        })
        .collect();
    for local in found {
        diags.extend(local);
    }
}

/// The tier's own guardrails are well-formed: ceilings are quantities (E0213), peers are
/// CIDRs (E0217). A bad one would silently open nothing.
fn check_guardrails(profile: &Profile, diags: &mut Diagnostics) {
    let open = &profile.spec.guardrails;
    for (key, value) in &open.quota {
        if crate::model::Quantity::parse(&value.0).is_err() {
            let pointer = format!("/guardrails/quota/{}", crate::validate::spec::escape(key));
            diags.push(
                Diagnostic::new(
                    crate::diagnostics::codes::INVALID_QUANTITY,
                    format!("`{key}` is not a Kubernetes quantity"),
                )
                .at(profile.label(&pointer, "expected a quantity such as 500m, 2 or 4Gi")),
            );
        }
    }
    for (direction, peers) in [
        ("ingress", &open.network.ingress),
        ("egress", &open.network.egress),
    ] {
        for (i, cidr) in peers.cidrs.iter().enumerate() {
            let (file, at) = profile.origin(&format!("/guardrails/network/{direction}/cidrs/{i}"));
            crate::validate::spec::check_cidr(&file, &at, cidr, diags);
        }
    }
}

/// A tenant whose file overrides part of its tier, seen next to that tier.
pub(crate) struct TenantView<'a> {
    /// The tenant.
    pub tenant: &'a ResolvedTenant,
    /// The tenant's merged profile (tier and its overrides).
    pub mine: &'a Profile,
    /// The tier's own profile, without the tenant's overrides.
    pub tier: &'a Profile,
}

impl<'a> TenantView<'a> {
    /// `None` when the tenant overrides nothing (it shares its tier's profile).
    fn new(resolved: &'a Resolved, tenant: &'a ResolvedTenant) -> Option<Self> {
        let tier = resolved.tiers.get(&tenant.tenant.spec.tier)?;
        if Arc::ptr_eq(tier, &tenant.profile) {
            return None;
        }
        Some(Self {
            tenant,
            mine: &tenant.profile,
            tier,
        })
    }

    fn check_overrides(&self, diags: &mut Diagnostics) {
        closed::check(self, diags);
        pod_security::check(self, diags);
        network::check(self, diags);
        quota::check(self, diags);
        capacity::check(self, diags);
    }

    /// The tier's name.
    pub fn tier_name(&self) -> &str {
        &self.tenant.tenant.spec.tier
    }

    /// A diagnostic at the tenant's value at `pointer` (relative to the spec), with a note
    /// on where the tier sets `tier_pointer`.
    pub fn violation(
        &self,
        code: crate::diagnostics::Code,
        headline: String,
        pointer: &str,
        message: impl Into<String>,
        tier_pointer: &str,
        tier_says: impl Into<String>,
    ) -> Diagnostic {
        let (file, at) = self.tier.origin(tier_pointer);
        Diagnostic::new(code, headline)
            .at(self.mine.label(pointer, message))
            .note(tier_says, Some(Label::value(&file, at, "")))
    }
}

/// Moves a diagnostic's mark from a value to its key: for a whole section, whose value starts
/// on the next line.
pub(crate) fn at_key(mut diagnostic: Diagnostic) -> Diagnostic {
    if let Some(label) = diagnostic.primary.as_mut()
        && let crate::diagnostics::Anchor::Pointer(_, target) = &mut label.anchor
    {
        *target = crate::source::Target::Key;
    }
    diagnostic
}
