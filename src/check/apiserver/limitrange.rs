//! LimitRange: `ValidateLimitRange` in `pkg/apis/core/validation/validation.go`. The order
//! min ≤ defaultRequest ≤ default ≤ max is E0401 (`check::check_order`).

use super::{Finding, is_qualified_name};
use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{LimitBounds, Quantity};
use crate::resolve::Profile;
use crate::validate::spec::escape;
use k8s_openapi::api::core::v1::LimitRange;
use std::collections::BTreeMap;

/// Why a resource name is not one an item of type `kind` takes, if it is not.
///
/// Container and Pod: `validateContainerResourceName` (`cpu`, `memory`, `ephemeral-storage`,
/// `hugepages-<size>` — `IsStandardContainerResourceName` — or an extended
/// `<domain>/<name>`). PersistentVolumeClaim: the API server takes any standard name
/// (`validateResourceName`), but the LimitRanger admission plugin
/// (`plugin/pkg/admission/limitranger`) bounds only `storage` on claims, so tenantc takes
/// only that.
pub fn resource_problem(kind: &str, name: &str) -> Option<String> {
    if !is_qualified_name(name) {
        return Some("not a qualified resource name".into());
    }
    if kind == "PersistentVolumeClaim" {
        return (name != "storage").then(|| {
            "a claim's LimitRange bounds only `storage` (the LimitRanger ignores anything else)"
                .into()
        });
    }
    match name.split_once('/') {
        None => {
            let standard = matches!(name, "cpu" | "memory" | "ephemeral-storage")
                || name
                    .strip_prefix("hugepages-")
                    .is_some_and(|s| Quantity::parse(s).is_ok());
            (!standard).then(|| {
                let hint = name
                    .strip_prefix("requests.")
                    .or_else(|| name.strip_prefix("limits."))
                    .map_or(String::new(), |bare| {
                        format!("; did you mean `{bare}`? (quota keys take `requests.`, LimitRanges do not)")
                    });
                format!("must be a standard resource for containers: `cpu`, `memory`, `ephemeral-storage` or `hugepages-<size>`{hint}")
            })
        }
        Some((domain, _)) => (domain == "kubernetes.io"
            || domain.ends_with(".kubernetes.io")
            || domain.starts_with("requests.")
            || domain.starts_with("limits."))
        .then(|| "doesn't follow extended resource name standard".into()),
    }
}

const PARTS: [(&str, &str); 3] = [
    ("container", "Container"),
    ("pod", "Pod"),
    ("persistentVolumeClaim", "PersistentVolumeClaim"),
];

fn fields(
    bounds: &LimitBounds,
) -> [(&'static str, &BTreeMap<String, crate::model::QuantityText>); 4] {
    [
        ("default", &bounds.default),
        ("defaultRequest", &bounds.default_request),
        ("min", &bounds.min),
        ("max", &bounds.max),
    ]
}

/// The input rules: no defaults on `type: Pod` (E0421), resource names per type (E0422), a
/// claim item bounds `storage` (E0423).
pub fn check_profile(profile: &Profile, diags: &mut Diagnostics) {
    let limits = &profile.spec.limits;
    // The index the rendered LimitRange gives each item: empty sections render no item.
    let index = |upto: usize| {
        [&limits.container, &limits.pod][..upto]
            .iter()
            .filter(|b| !b.is_empty())
            .count()
    };
    for (part, kind) in PARTS {
        let bounds = match part {
            "container" => &limits.container,
            "pod" => &limits.pod,
            _ => &limits.persistent_volume_claim,
        };
        for (field, map) in fields(bounds) {
            if kind == "Pod" && matches!(field, "default" | "defaultRequest") && !map.is_empty() {
                // ValidateLimitRange: "may not be specified when `type` is 'Pod'".
                let (file, at) = profile.origin(&format!("/limits/pod/{field}"));
                diags.push(
                    Diagnostic::new(codes::POD_LIMIT_DEFAULT, format!("a pod LimitRange cannot have `{field}`"))
                        .at(Label::key(&file, at, "only containers get defaults"))
                        .note(format!("kube-apiserver: spec.limits[{}].{field}: Forbidden: may not be specified when `type` is 'Pod'", index(1)), None)
                        .help(format!("move it to `limits.container.{field}`")),
                );
            }
            for name in map.keys() {
                if let Some(why) = resource_problem(kind, name) {
                    let (file, at) =
                        profile.origin(&format!("/limits/{part}/{field}/{}", escape(name)));
                    diags.push(
                        Diagnostic::new(
                            codes::INVALID_LIMIT_RESOURCE,
                            format!("a {part} LimitRange cannot bound `{name}`"),
                        )
                        .at(Label::key(&file, at, why)),
                    );
                }
            }
        }
        if kind == "PersistentVolumeClaim"
            && !bounds.is_empty()
            && !bounds.min.contains_key("storage")
            && !bounds.max.contains_key("storage")
        {
            let (file, at) = profile.origin("/limits/persistentVolumeClaim");
            diags.push(
                Diagnostic::new(codes::CLAIM_LIMIT_WITHOUT_BOUNDS, "the claim LimitRange has neither a minimum nor a maximum `storage`")
                    .at(Label::key(&file, at, "a claim item needs `min.storage` or `max.storage`"))
                    .note(format!("kube-apiserver: spec.limits[{}].limits: Required value: either minimum or maximum storage value is required, but neither was provided", index(2)), None)
                    .help("add `min: {storage: 1Gi}` or `max: {storage: 100Gi}`, or remove the section"),
            );
        }
    }
}

/// The object rules (E0421, E0422, E0423).
pub fn check_object(limit_range: &LimitRange, found: &mut Vec<Finding>) {
    let Some(spec) = &limit_range.spec else {
        return;
    };
    for (i, item) in spec.limits.iter().enumerate() {
        let at = format!("spec.limits[{i}]");
        let maps = [
            ("default", &item.default),
            ("defaultRequest", &item.default_request),
            ("min", &item.min),
            ("max", &item.max),
            ("maxLimitRequestRatio", &item.max_limit_request_ratio),
        ];
        for (field, map) in maps {
            let Some(map) = map else { continue };
            if item.type_ == "Pod"
                && matches!(field, "default" | "defaultRequest")
                && !map.is_empty()
            {
                found.push(
                    Finding::new(
                        codes::POD_LIMIT_DEFAULT,
                        format!("{at}.{field}"),
                        "may not be specified when `type` is 'Pod'",
                    )
                    .near(field),
                );
            }
            for name in map.keys() {
                if let Some(why) = resource_problem(&item.type_, name) {
                    found.push(
                        Finding::new(
                            codes::INVALID_LIMIT_RESOURCE,
                            format!("{at}.{field}[{name}]"),
                            why,
                        )
                        .near(name),
                    );
                }
            }
        }
        let has =
            |m: &Option<BTreeMap<String, _>>| m.as_ref().is_some_and(|m| m.contains_key("storage"));
        if item.type_ == "PersistentVolumeClaim" && !has(&item.min) && !has(&item.max) {
            found.push(Finding::new(
                codes::CLAIM_LIMIT_WITHOUT_BOUNDS,
                format!("{at}.limits"),
                "either minimum or maximum storage value is required, but neither was provided",
            ));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::resource_problem;

    #[test]
    fn resource_names_per_type() {
        for ok in [
            "cpu",
            "memory",
            "ephemeral-storage",
            "hugepages-2Mi",
            "nvidia.com/gpu",
        ] {
            assert_eq!(resource_problem("Container", ok), None, "{ok}");
            assert_eq!(resource_problem("Pod", ok), None, "{ok}");
        }
        for bad in [
            "storage",
            "requests.cpu",
            "pods",
            "kubernetes.io/x",
            "requests.nvidia.com/gpu",
        ] {
            assert!(resource_problem("Container", bad).is_some(), "{bad}");
            assert!(resource_problem("Pod", bad).is_some(), "{bad}");
        }
        assert_eq!(resource_problem("PersistentVolumeClaim", "storage"), None);
        assert!(resource_problem("PersistentVolumeClaim", "cpu").is_some());
    }
}
