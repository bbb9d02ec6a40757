//! NetworkPolicy: `ValidateIPBlock` in `pkg/apis/networking/validation/validation.go`.
//!
//! A `cidr` or `except` that does not parse, has host bits set or lies outside its `cidr`
//! (which includes another address family) is E0217 of the validate stage; this file adds
//! what that leaves: an `except` as large as its `cidr`.

use super::Finding;
use crate::diagnostics::{Diagnostic, Diagnostics, codes};
use crate::resolve::Profile;
use ipnet::IpNet;
use k8s_openapi::api::networking::v1::{IPBlock, NetworkPolicy};

/// Why `except` is not a strict subset of `cidr`, if it is not: `ValidateIPBlock` requires
/// `cidr` to contain the exception's address and have a shorter prefix ("must be a strict
/// subset of `cidr`"); an exception of another family can never be inside.
pub fn except_problem(cidr: &str, except: &str) -> Option<String> {
    let (Ok(outer), Ok(inner)) = (cidr.parse::<IpNet>(), except.parse::<IpNet>()) else {
        return None;
    };
    let same_family = matches!(
        (outer, inner),
        (IpNet::V4(_), IpNet::V4(_)) | (IpNet::V6(_), IpNet::V6(_))
    );
    if !same_family {
        return Some(format!(
            "`{except}` is of another address family than `{cidr}`"
        ));
    }
    if !outer.contains(&inner.addr()) || outer.prefix_len() >= inner.prefix_len() {
        return Some(format!("`{except}` is not a strict subset of `{cidr}`"));
    }
    None
}

/// The input rule (E0424): an exception equal to (or larger than) its rule's `cidr`. The
/// other failures of [`except_problem`] are E0217, reported by `validate`.
pub fn check_profile(profile: &Profile, diags: &mut Diagnostics) {
    let network = &profile.spec.network;
    for (direction, rules) in [("ingress", &network.ingress), ("egress", &network.egress)] {
        for (i, rule) in rules.iter().enumerate() {
            let Some(cidr) = &rule.cidr else { continue };
            let Ok(outer) = cidr.parse::<IpNet>() else {
                continue;
            };
            for (j, except) in rule.except.iter().enumerate() {
                let Ok(inner) = except.parse::<IpNet>() else {
                    continue;
                };
                // Only what E0217 lets through: an exception inside its cidr, yet not smaller.
                if outer.contains(&inner) && outer.prefix_len() >= inner.prefix_len() {
                    diags.push(
                        Diagnostic::new(
                            codes::EXCEPT_NOT_STRICT_SUBSET,
                            format!("rule `{}` excepts its whole `cidr`", rule.name),
                        )
                        .at(profile.label(
                            &format!("/network/{direction}/{i}/except/{j}"),
                            format!("`{except}` is all of `{cidr}`"),
                        ))
                        .note(
                            format!("kube-apiserver: spec.{direction}[…].{}[0].ipBlock.except[{j}]: Invalid value: \"{except}\": must be a strict subset of `cidr`", if direction == "ingress" { "from" } else { "to" }),
                            None,
                        )
                        .help("an exception must be a smaller range inside `cidr`; to allow nothing, remove the rule"),
                    );
                }
            }
        }
    }
}

fn check_block(block: &IPBlock, field: String, found: &mut Vec<Finding>) {
    for (j, except) in block.except.iter().flatten().enumerate() {
        if let Some(why) = except_problem(&block.cidr, except) {
            found.push(Finding::new(
                codes::EXCEPT_NOT_STRICT_SUBSET,
                format!("{field}.except[{j}]"),
                why,
            ));
        }
    }
}

/// The object rule (E0424) on every ipBlock of a policy.
pub fn check_object(policy: &NetworkPolicy, found: &mut Vec<Finding>) {
    let Some(spec) = &policy.spec else { return };
    for (i, rule) in spec.ingress.iter().flatten().enumerate() {
        for (k, peer) in rule.from.iter().flatten().enumerate() {
            if let Some(block) = &peer.ip_block {
                check_block(block, format!("spec.ingress[{i}].from[{k}].ipBlock"), found);
            }
        }
    }
    for (i, rule) in spec.egress.iter().flatten().enumerate() {
        for (k, peer) in rule.to.iter().flatten().enumerate() {
            if let Some(block) = &peer.ip_block {
                check_block(block, format!("spec.egress[{i}].to[{k}].ipBlock"), found);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::except_problem;

    #[test]
    fn strict_subsets() {
        assert_eq!(except_problem("0.0.0.0/0", "10.0.0.0/8"), None);
        assert_eq!(except_problem("10.0.0.0/8", "10.1.0.0/16"), None);
        assert!(except_problem("10.0.0.0/8", "10.0.0.0/8").is_some());
        assert!(except_problem("10.0.0.0/16", "10.0.0.0/8").is_some());
        assert!(except_problem("10.0.0.0/8", "192.168.0.0/16").is_some());
        assert!(except_problem("0.0.0.0/0", "::/0").is_some());
        assert_eq!(except_problem("::/0", "fd00::/8"), None);
    }
}
