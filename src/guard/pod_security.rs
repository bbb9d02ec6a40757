//! E0702: Pod Security only stricter. A tenant may move from `baseline` to `restricted`, never
//! the other way: not for the tenant as a whole, not for one environment, and not by
//! replacing the environment list with one that drops an environment's own level.

use super::TenantView;
use crate::diagnostics::{Diagnostics, codes};
use crate::model::{PodSecurityLevel, TierSpec};

/// The level environment `name` of `spec` enforces (its own, else the spec's).
fn effective(spec: &TierSpec, name: &str) -> PodSecurityLevel {
    spec.environments
        .iter()
        .find(|e| e.name == name)
        .and_then(|e| e.pod_security)
        .unwrap_or(spec.pod_security)
}

/// Reports the tenant-wide level and every environment whose level is looser than the tier's.
pub fn check(view: &TenantView, diags: &mut Diagnostics) {
    let (mine, tier) = (&view.mine.spec, &view.tier.spec);
    // `Restricted < Baseline < Privileged`: a greater level is a looser one.
    if mine.pod_security > tier.pod_security {
        report(
            view,
            None,
            "/podSecurity",
            "/podSecurity",
            (tier.pod_security, mine.pod_security),
            diags,
        );
    }
    for (i, env) in mine.environments.iter().enumerate() {
        let (was, now) = (effective(tier, &env.name), effective(mine, &env.name));
        if now <= was {
            continue;
        }
        let tier_at = tier
            .environments
            .iter()
            .position(|e| e.name == env.name && e.pod_security.is_some())
            .map_or_else(
                || "/podSecurity".to_string(),
                |t| format!("/environments/{t}/podSecurity"),
            );
        match env.pod_security {
            Some(_) => {
                let at = format!("/environments/{i}/podSecurity");
                report(view, Some(&env.name), &at, &tier_at, (was, now), diags);
            }
            // The tenant-wide level, reported above, is looser.
            None if mine.pod_security > tier.pod_security => {}
            // The environment lost the level the tier gave it.
            None => {
                let at = format!("/environments/{i}");
                report(view, Some(&env.name), &at, &tier_at, (was, now), diags);
            }
        }
    }
}

fn report(
    view: &TenantView,
    env: Option<&str>,
    at: &str,
    tier_at: &str,
    (was, now): (PodSecurityLevel, PodSecurityLevel),
    diags: &mut Diagnostics,
) {
    let scope = env.map_or_else(String::new, |e| format!(" in environment `{e}`"));
    diags.push(
        view.violation(
            codes::POD_SECURITY_LOOSENED,
            format!(
                "a tenant cannot loosen Pod Security{scope} from `{}` to `{}`",
                was.as_str(),
                now.as_str()
            ),
            at,
            "looser than the tier",
            tier_at,
            format!("tier `{}` enforces `{}`", view.tier_name(), was.as_str()),
        )
        .help("a tenant file may only make Pod Security stricter (privileged → baseline → restricted)"),
    );
}
