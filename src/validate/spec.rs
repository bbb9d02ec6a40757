//! Checks of a (merged) tier spec that JSON Schema cannot express: quantities, label syntax,
//! ports, CIDRs, environment shares and traffic-rule peers.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{
    PortRule, Quantity, QuantityError, QuantityText, Share, TierSpec, TrafficRule,
    label_key_problem, label_value_problem,
};
use std::collections::{BTreeMap, BTreeSet};

/// Says where a value of the merged spec came from: given a pointer into the spec, the file
/// and pointer of the document that set it.
pub type Origin<'a> = &'a dyn Fn(&str) -> (String, String);

fn label(origin: Origin, pointer: &str, message: impl Into<String>) -> Label {
    let (file, at) = origin(pointer);
    Label::value(&file, at, message)
}

fn key_label(origin: Origin, pointer: &str, message: impl Into<String>) -> Label {
    let (file, at) = origin(pointer);
    Label::key(&file, at, message)
}

/// Escapes a map key for use in a JSON pointer.
pub fn escape(key: &str) -> String {
    crate::source::escape_segment(key)
}

/// Checks a merged tier spec; every diagnostic points at the document that set the value.
///
/// Reports E0213–E0222 and W0224.
pub fn check_spec(spec: &TierSpec, origin: Origin, diags: &mut Diagnostics) {
    check_quantities("/quota", &spec.quota, origin, diags);
    for (part, bounds) in [
        ("container", &spec.limits.container),
        ("pod", &spec.limits.pod),
        (
            "persistentVolumeClaim",
            &spec.limits.persistent_volume_claim,
        ),
    ] {
        for (field, map) in [
            ("default", &bounds.default),
            ("defaultRequest", &bounds.default_request),
            ("min", &bounds.min),
            ("max", &bounds.max),
        ] {
            check_quantities(&format!("/limits/{part}/{field}"), map, origin, diags);
        }
    }
    check_environments(spec, origin, diags);
    if !spec.network.default_deny {
        diags.push(
            Diagnostic::new(
                codes::DEFAULT_DENY_DISABLED,
                "the tier opts out of default-deny networking",
            )
            .at(label(
                origin,
                "/network/defaultDeny",
                "tenant namespaces accept any traffic their rules do not restrict",
            ))
            .help("keep `defaultDeny: true` and allow what is needed with `ingress` and `egress` rules"),
        );
    }
    for (direction, rules) in [
        ("ingress", &spec.network.ingress),
        ("egress", &spec.network.egress),
    ] {
        let mut names = BTreeSet::new();
        for (i, rule) in rules.iter().enumerate() {
            let at = format!("/network/{direction}/{i}");
            if !names.insert(&rule.name) {
                diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE_RULE,
                        format!("two {direction} rules are named `{}`", rule.name),
                    )
                    .at(label(
                        origin,
                        &format!("{at}/name"),
                        "second rule with this name",
                    )),
                );
            }
            check_rule(&at, rule, origin, diags);
        }
    }
}

fn check_quantities(
    pointer: &str,
    map: &BTreeMap<String, QuantityText>,
    origin: Origin,
    diags: &mut Diagnostics,
) {
    for (key, value) in map {
        if let Err(e) = Quantity::parse(&value.0) {
            let (headline, expected) = match e {
                QuantityError::Malformed => (
                    "is not a Kubernetes quantity",
                    "expected a quantity such as 500m, 2 or 4Gi",
                ),
                QuantityError::TooLarge => ("is too large", "expected a quantity below 2^64 units"),
            };
            diags.push(
                Diagnostic::new(codes::INVALID_QUANTITY, format!("`{key}` {headline}")).at(label(
                    origin,
                    &format!("{pointer}/{}", escape(key)),
                    expected,
                )),
            );
        }
    }
}

fn check_environments(spec: &TierSpec, origin: Origin, diags: &mut Diagnostics) {
    let mut names = BTreeSet::new();
    let mut shares = Vec::new();
    for (i, env) in spec.environments.iter().enumerate() {
        if !names.insert(&env.name) {
            diags.push(
                Diagnostic::new(
                    codes::DUPLICATE_ENVIRONMENT,
                    format!("environment `{}` is defined twice", env.name),
                )
                .at(label(
                    origin,
                    &format!("/environments/{i}/name"),
                    "defined again here",
                )),
            );
        }
        match Share::from_f64(env.quota_share) {
            Some(share) => shares.push(share),
            None => diags.push(
                Diagnostic::new(
                    codes::INVALID_SHARE,
                    format!("`{}` is not a usable share", env.quota_share),
                )
                .at(label(
                    origin,
                    &format!("/environments/{i}/quotaShare"),
                    "expected 0 to 1 with at most 9 decimals",
                )),
            ),
        }
    }
    let total = Share::sum(shares);
    if total > 1_000_000_000 {
        let listed: Vec<String> = spec
            .environments
            .iter()
            .map(|e| format!("{} {}", e.name, e.quota_share))
            .collect();
        diags.push(
            Diagnostic::new(
                codes::SHARES_EXCEED_ONE,
                format!(
                    "environment shares add up to {}, more than 1",
                    total as f64 / 1e9
                ),
            )
            .at(label(origin, "/environments", listed.join(", ")))
            .help("lower the shares so they add up to at most 1"),
        );
    }
}

fn check_rule(at: &str, rule: &TrafficRule, origin: Origin, diags: &mut Diagnostics) {
    check_labels(
        &format!("{at}/namespaceLabels"),
        &rule.namespace_labels,
        origin,
        diags,
    );
    check_labels(&format!("{at}/podLabels"), &rule.pod_labels, origin, diags);
    let selects = !rule.namespace_labels.is_empty() || !rule.pod_labels.is_empty();
    match &rule.cidr {
        Some(cidr) => {
            if selects {
                diags.push(
                    Diagnostic::new(
                        codes::INVALID_VALUE,
                        format!("rule `{}` mixes `cidr` with label selectors", rule.name),
                    )
                    .at(label(
                        origin,
                        &format!("{at}/cidr"),
                        "a rule is either an IP block or a selector",
                    ))
                    .help("split it into two rules"),
                );
            }
            let (file, pointer) = origin(&format!("{at}/cidr"));
            if let Some(net) = check_cidr(&file, &pointer, cidr, diags) {
                for (i, except) in rule.except.iter().enumerate() {
                    let (file, pointer) = origin(&format!("{at}/except/{i}"));
                    if let Some(inner) = check_cidr(&file, &pointer, except, diags)
                        && !net.contains(&inner)
                    {
                        diags.push(
                            Diagnostic::new(
                                codes::INVALID_CIDR,
                                format!("`{except}` is not inside `{cidr}`"),
                            )
                            .at(Label::value(
                                &file,
                                pointer,
                                "an exception must lie inside the rule's `cidr`",
                            )),
                        );
                    }
                }
            }
        }
        None if !selects => diags.push(
            Diagnostic::new(
                codes::EMPTY_PEER,
                format!("rule `{}` selects no peer", rule.name),
            )
            .at(label(
                origin,
                at,
                "no `cidr`, `namespaceLabels` or `podLabels`",
            ))
            .help("for internet traffic use `cidr: 0.0.0.0/0` with the private ranges in `except`"),
        ),
        None if !rule.except.is_empty() => diags.push(
            Diagnostic::new(
                codes::INVALID_VALUE,
                format!("rule `{}` has `except` without `cidr`", rule.name),
            )
            .at(label(
                origin,
                &format!("{at}/except"),
                "`except` needs a `cidr`",
            )),
        ),
        None => {}
    }
    for (i, port) in rule.ports.iter().enumerate() {
        if let Err(problem) = PortRule::parse(port) {
            diags.push(
                Diagnostic::new(codes::INVALID_PORT, format!("`{port}` is not a port")).at(label(
                    origin,
                    &format!("{at}/ports/{i}"),
                    problem,
                )),
            );
        }
    }
}

/// Parses a CIDR, reporting E0217 at `pointer` of `file` when it is not one.
pub fn check_cidr(
    file: &str,
    pointer: &str,
    text: &str,
    diags: &mut Diagnostics,
) -> Option<ipnet::IpNet> {
    match text.parse::<ipnet::IpNet>() {
        Ok(net) if net.trunc() == net => Some(net),
        Ok(net) => {
            diags.push(
                Diagnostic::new(codes::INVALID_CIDR, format!("`{text}` has host bits set")).at(
                    Label::value(file, pointer, format!("did you mean `{}`?", net.trunc())),
                ),
            );
            None
        }
        Err(_) => {
            diags.push(
                Diagnostic::new(codes::INVALID_CIDR, format!("`{text}` is not a CIDR")).at(
                    Label::value(
                        file,
                        pointer,
                        "expected an address range such as `10.0.0.0/8`",
                    ),
                ),
            );
            None
        }
    }
}

/// Reports label keys and values Kubernetes would reject (E0214, E0215) in the label map at
/// `pointer`.
pub fn check_labels(
    pointer: &str,
    labels: &BTreeMap<String, String>,
    origin: Origin,
    diags: &mut Diagnostics,
) {
    for (key, value) in labels {
        let at = format!("{pointer}/{}", escape(key));
        if let Some(problem) = label_key_problem(key) {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_KEY,
                    format!("`{key}` is not a valid label key"),
                )
                .at(key_label(origin, &at, problem)),
            );
        }
        if let Some(problem) = label_value_problem(value) {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_VALUE,
                    format!("`{value}` is not a valid label value"),
                )
                .at(label(origin, &at, problem)),
            );
        }
    }
}
