//! E0705: quotas and LimitRange bounds only within the tier's.
//!
//! A quota key may go up to the tier's value, or to the ceiling the tier sets for it in
//! `guardrails.quota`; a key the tier leaves out only adds a limit, which is allowed (below a
//! ceiling, when there is one). A LimitRange `max` may only go down and a `min` only up;
//! defaults stay free, since min, max and the quota still bound them.

use super::TenantView;
use crate::diagnostics::{Diagnostics, codes};
use crate::model::{LimitBounds, Quantity, ResourceUnit};
use crate::validate::spec::escape;

/// Reports every quota key and LimitRange bound the tenant loosens.
pub fn check(view: &TenantView, diags: &mut Diagnostics) {
    check_quota(view, diags);
    let (mine, tier) = (&view.mine.spec.limits, &view.tier.spec.limits);
    for (part, m, t) in [
        ("container", &mine.container, &tier.container),
        ("pod", &mine.pod, &tier.pod),
        (
            "persistentVolumeClaim",
            &mine.persistent_volume_claim,
            &tier.persistent_volume_claim,
        ),
    ] {
        check_bounds(view, part, m, t, diags);
    }
}

fn parse(text: &str) -> Option<Quantity> {
    Quantity::parse(text).ok()
}

fn check_quota(view: &TenantView, diags: &mut Diagnostics) {
    let ceilings = &view.tier.spec.guardrails.quota;
    for (key, value) in &view.mine.quota {
        let tier = view.tier.quota.get(key);
        let ceiling = ceilings.get(key).and_then(|c| parse(&c.0));
        let bound = match (tier, ceiling) {
            (None, None) => continue,
            (Some(t), None) => *t,
            (None, Some(c)) => c,
            (Some(t), Some(c)) => c.max(*t),
        };
        if *value <= bound {
            continue;
        }
        let unit = ResourceUnit::of(key);
        let pointer = format!("/quota/{}", escape(key));
        let (tier_pointer, says) = match ceiling {
            Some(c) => (
                format!("/guardrails/quota/{}", escape(key)),
                format!(
                    "tier `{}` lets tenants raise it to {}",
                    view.tier_name(),
                    c.format(unit)
                ),
            ),
            None => (
                pointer.clone(),
                format!(
                    "tier `{}` grants {} and lets no tenant raise it",
                    view.tier_name(),
                    bound.format(unit)
                ),
            ),
        };
        diags.push(
            view.violation(
                codes::QUOTA_ABOVE_TIER,
                format!("quota `{key}` is above what the tier allows"),
                &pointer,
                format!("{} is more than {}", value.format(unit), bound.format(unit)),
                &tier_pointer,
                says,
            )
            .help(format!(
                "lower it, or ask the platform team to raise `guardrails.quota.{key}` in the tier"
            )),
        );
    }
}

fn check_bounds(
    view: &TenantView,
    part: &str,
    mine: &LimitBounds,
    tier: &LimitBounds,
    diags: &mut Diagnostics,
) {
    for (field, m, t, looser) in [
        ("max", &mine.max, &tier.max, true),
        ("min", &mine.min, &tier.min, false),
    ] {
        for (resource, value) in m {
            let (Some(value), Some(bound)) =
                (parse(&value.0), t.get(resource).and_then(|b| parse(&b.0)))
            else {
                continue;
            };
            let loosened = if looser { value > bound } else { value < bound };
            if !loosened {
                continue;
            }
            let unit = ResourceUnit::of(resource);
            let pointer = format!("/limits/{part}/{field}/{}", escape(resource));
            let (direction, word) = if looser {
                ("above", "raise")
            } else {
                ("below", "lower")
            };
            diags.push(
                view.violation(
                    codes::QUOTA_ABOVE_TIER,
                    format!("{part} `{field}` of `{resource}` is {direction} the tier's"),
                    &pointer,
                    format!(
                        "{} against the tier's {}",
                        value.format(unit),
                        bound.format(unit)
                    ),
                    &pointer,
                    format!("tier `{}` sets it", view.tier_name()),
                )
                .help(format!(
                    "a tenant file may not {word} a LimitRange `{field}`; only tighten it"
                )),
            );
        }
    }
}
