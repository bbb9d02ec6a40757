//! E0703 and E0704: network isolation never loosened by a tenant file.
//!
//! A tenant may not turn default-deny off, nor turn on same-tenant or DNS traffic its tier
//! denies (E0703). Its ingress and egress lists replace the tier's, so it may drop the tier's
//! rules; every rule it keeps must be the tier's own, word for word, or reach only a peer the
//! tier opens in `guardrails.network` (E0704): an IP block inside one of the allowed CIDRs, a
//! namespace selected by `kubernetes.io/metadata.name` among the allowed namespaces or the
//! tenant's own, or pods of the tenant's own namespace.

use super::TenantView;
use crate::diagnostics::{Diagnostics, codes};
use crate::model::{PeerAllowList, TrafficRule};
use ipnet::IpNet;

/// The label the API server sets on every namespace to its name; tenants cannot change it.
const NAME_LABEL: &str = "kubernetes.io/metadata.name";

/// Reports every switch turned the loose way and every rule outside the allowed peers.
pub fn check(view: &TenantView, diags: &mut Diagnostics) {
    let (mine, tier) = (&view.mine.spec.network, &view.tier.spec.network);
    for (loosened, field, what) in [
        (
            tier.default_deny && !mine.default_deny,
            "defaultDeny",
            "turn off default-deny networking",
        ),
        (
            !tier.allow_same_tenant && mine.allow_same_tenant,
            "allowSameTenant",
            "allow traffic between its namespaces",
        ),
        (
            !tier.allow_dns && mine.allow_dns,
            "allowDns",
            "allow DNS traffic",
        ),
    ] {
        if loosened {
            let pointer = format!("/network/{field}");
            diags.push(
                view.violation(
                    codes::NETWORK_ISOLATION_LOOSENED,
                    format!("a tenant cannot {what}"),
                    &pointer,
                    "set by the tenant file",
                    &pointer,
                    format!("tier `{}` sets it", view.tier_name()),
                )
                .help("network isolation is the tier's decision; allow what the tenant needs with rules the tier's `guardrails.network` permits"),
            );
        }
    }
    let guardrails = &view.tier.spec.guardrails.network;
    for (direction, rules, tier_rules, allowed) in [
        ("ingress", &mine.ingress, &tier.ingress, &guardrails.ingress),
        ("egress", &mine.egress, &tier.egress, &guardrails.egress),
    ] {
        for (i, rule) in rules.iter().enumerate() {
            if tier_rules.contains(rule) {
                continue;
            }
            if let Some(peer) = outside(rule, allowed, view) {
                let pointer = format!("/network/{direction}/{i}");
                diags.push(
                    view.violation(
                        codes::TRAFFIC_RULE_NOT_ALLOWED,
                        format!("{direction} rule `{}` reaches {peer}, which tier `{}` does not open to tenants", rule.name, view.tier_name()),
                        &pointer,
                        "a rule of the tenant file",
                        &format!("/guardrails/network/{direction}"),
                        allowed_peers(allowed, direction),
                    )
                    .help(format!("keep the tier's own rules unchanged, or ask the platform team to allow the peer in the tier's `guardrails.network.{direction}`")),
                );
            }
        }
    }
}

/// The peer of `rule` that is not allowed, described; `None` when the rule is allowed.
fn outside(rule: &TrafficRule, allowed: &PeerAllowList, view: &TenantView) -> Option<String> {
    if let Some(cidr) = &rule.cidr {
        let net: IpNet = cidr.parse().ok()?;
        let inside = allowed
            .cidrs
            .iter()
            .filter_map(|a| a.parse::<IpNet>().ok())
            .any(|a| a.contains(&net));
        return (!inside).then(|| format!("`{cidr}`"));
    }
    if rule.namespace_labels.is_empty() {
        // Pods of the tenant's own namespace.
        return None;
    }
    let named = match rule.namespace_labels.get(NAME_LABEL) {
        Some(name) if rule.namespace_labels.len() == 1 => name,
        _ => {
            return Some(
                "namespaces selected by labels other than `kubernetes.io/metadata.name`".into(),
            );
        }
    };
    let own = view
        .tenant
        .environments
        .iter()
        .any(|e| &e.namespace == named);
    let opened = allowed.namespaces.contains(named);
    (!own && !opened).then(|| format!("namespace `{named}`"))
}

fn allowed_peers(allowed: &PeerAllowList, direction: &str) -> String {
    if allowed.is_empty() {
        return format!("the tier opens no {direction} peers to tenants");
    }
    let mut peers: Vec<String> = allowed.cidrs.iter().map(|c| format!("`{c}`")).collect();
    peers.extend(
        allowed
            .namespaces
            .iter()
            .map(|n| format!("namespace `{n}`")),
    );
    format!("the tier opens {direction} to {}", peers.join(", "))
}
