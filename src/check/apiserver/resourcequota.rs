//! ResourceQuota: `ValidateResourceQuota` in `pkg/apis/core/validation/validation.go`.

use super::{Finding, is_qualified_name};
use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{Quantity, ResourceUnit};
use crate::resolve::Profile;
use crate::validate::spec::escape;
use k8s_openapi::api::core::v1::ResourceQuota;

/// `standardQuotaResources` in `pkg/apis/core/helper/helpers.go`.
const STANDARD_QUOTA_RESOURCES: &[&str] = &[
    "cpu",
    "memory",
    "ephemeral-storage",
    "requests.cpu",
    "requests.memory",
    "requests.storage",
    "requests.ephemeral-storage",
    "limits.cpu",
    "limits.memory",
    "limits.ephemeral-storage",
    "pods",
    "services",
    "replicationcontrollers",
    "resourcequotas",
    "secrets",
    "persistentvolumeclaims",
    "configmaps",
    "services.nodeports",
    "services.loadbalancers",
];

/// `integerResources` in `pkg/apis/core/helper/helpers.go`: quota keys that count objects.
const INTEGER_RESOURCES: &[&str] = &[
    "pods",
    "resourcequotas",
    "services",
    "replicationcontrollers",
    "secrets",
    "configmaps",
    "persistentvolumeclaims",
    "services.nodeports",
    "services.loadbalancers",
];

/// What is wrong with a quota key, if anything.
pub enum Problem {
    /// The API server rejects it (E0417).
    Rejected(String),
    /// The API server accepts it, but the quota controller never counts it (E0418).
    Ignored(String),
}

/// Whether a name (without `requests.`/`limits.`) is native: no domain, or a
/// `kubernetes.io` one (`IsNativeResource` in `pkg/apis/core/helper/helpers.go`).
fn is_native(name: &str) -> bool {
    match name.split_once('/') {
        None => true,
        Some((domain, _)) => domain == "kubernetes.io" || domain.ends_with(".kubernetes.io"),
    }
}

/// `hugepages-<size>` with a quantity as size (`IsHugePageResourceName`).
fn is_hugepages(name: &str) -> bool {
    name.strip_prefix("hugepages-")
        .is_some_and(|size| Quantity::parse(size).is_ok())
}

/// The rule for one `spec.hard` key: `ValidateResourceQuotaResourceName` (a qualified name;
/// without a `/`, one of `standardQuotaResources` or `hugepages-`/`requests.hugepages-`),
/// plus what the quota controller counts: extended resources only as
/// `requests.<domain>/<name>` (`pkg/quota/v1/evaluator/core/pods.go`, `isExtendedResourceNameForQuota`),
/// storage classes only as `<class>.storageclass.storage.k8s.io/requests.storage` or
/// `/persistentvolumeclaims`, object counts as `count/<resource>[.<group>]`.
pub fn key_problem(key: &str) -> Option<Problem> {
    if !is_qualified_name(key) {
        return Some(Problem::Rejected(
            "not a qualified name: an optional DNS-subdomain prefix and `/`, then up to 63 letters, digits, `-`, `_` or `.`".into(),
        ));
    }
    let Some((domain, name)) = key.split_once('/') else {
        let standard = STANDARD_QUOTA_RESOURCES.contains(&key)
            || is_hugepages(key)
            || key.strip_prefix("requests.").is_some_and(is_hugepages);
        return (!standard).then(|| {
            Problem::Rejected(match suggestion(key) {
                Some(s) => format!("not a standard quota resource; did you mean `{s}`?"),
                None => "not a standard quota resource, nor fully qualified (`count/<resource>.<group>`, `requests.<domain>/<name>`)".into(),
            })
        });
    };
    if domain == "count" {
        return None;
    }
    if let Some(class) = domain.strip_suffix(".storageclass.storage.k8s.io") {
        let _ = class;
        return (!matches!(name, "requests.storage" | "persistentvolumeclaims")).then(|| {
            Problem::Ignored(format!(
                "a storage class quota counts only `requests.storage` and `persistentvolumeclaims`, not `{name}`"
            ))
        });
    }
    if let Some(resource) = key.strip_prefix("requests.") {
        if is_native(resource) {
            return Some(Problem::Ignored(format!(
                "`{resource}` is not an extended resource the quota counts"
            )));
        }
        return None;
    }
    let bare = key.strip_prefix("limits.").unwrap_or(key);
    if is_native(bare) {
        return Some(Problem::Ignored(
            "`kubernetes.io` resources are not quota resources".into(),
        ));
    }
    Some(Problem::Ignored(format!(
        "extended resources are limited only as `requests.{bare}`: requests and limits of an extended resource are equal, and the quota counts only the `requests.` form"
    )))
}

/// A likely intended standard name for a misspelt one (case, `request.`, plurals).
fn suggestion(key: &str) -> Option<&'static str> {
    let lower = key.to_ascii_lowercase();
    let fixed = lower
        .replacen("request.", "requests.", 1)
        .replacen("limit.", "limits.", 1);
    let candidates = [
        fixed.clone(),
        fixed.trim_end_matches('s').to_string(),
        format!("{fixed}s"),
    ];
    STANDARD_QUOTA_RESOURCES
        .iter()
        .find(|s| candidates.iter().any(|c| c == *s))
        .copied()
        .or(match lower.as_str() {
            "storage" => Some("requests.storage"),
            _ => None,
        })
}

/// Whether a quota key counts objects, so that a fraction is meaningless: `integerResources`
/// (whose fractions the API server rejects: `validateResourceQuantityValue`, "must be an
/// integer"), `count/…`, storage-class claim counts, and extended resources (devices are
/// whole).
pub fn counts_objects(key: &str) -> bool {
    INTEGER_RESOURCES.contains(&key)
        || key.starts_with("count/")
        || key.ends_with(".storageclass.storage.k8s.io/persistentvolumeclaims")
        || (key.contains('/') && ResourceUnit::of(key) == ResourceUnit::Count)
}

/// The input rules: quota keys (E0417, E0418), whole counts (E0419), and load balancers
/// without node ports (W0420).
pub fn check_profile(profile: &Profile, diags: &mut Diagnostics) {
    for key in profile.spec.quota.keys() {
        let pointer = format!("/quota/{}", escape(key));
        let (file, at) = profile.origin(&pointer);
        match key_problem(key) {
            Some(Problem::Rejected(why)) => diags.push(
                Diagnostic::new(
                    codes::INVALID_QUOTA_RESOURCE,
                    format!("`{key}` is not a resource a ResourceQuota can limit"),
                )
                .at(Label::key(&file, at, why))
                .note(
                    if key.trim_start_matches("requests.").starts_with("hugepages-") {
                        // The server checks only the prefix (recorded on v1.20.2,
                        // docs/apiserver-verdicts.md); the size must be a quantity for a pod's
                        // request to ever match the key.
                        "kube-apiserver accepts it (it checks only the `hugepages-` prefix), but no pod requests a huge page of that size, so it limits nothing".to_string()
                    } else {
                        format!("kube-apiserver: spec.hard[{key}]: Invalid value: \"{key}\": must be a standard resource for quota")
                    },
                    None,
                )
                .help("use a standard name such as `requests.cpu`, `limits.memory`, `requests.storage` or `pods`, `count/<resource>.<group>`, or `requests.<domain>/<name>`"),
            ),
            Some(Problem::Ignored(why)) => {
                let help = match key.strip_prefix("limits.").unwrap_or(key) {
                    bare if !bare.contains(".storageclass.") && !is_native(bare) => {
                        format!("write `requests.{bare}`")
                    }
                    _ => "remove it, or use a key the quota controller counts".into(),
                };
                diags.push(
                    Diagnostic::new(
                        codes::QUOTA_RESOURCE_IGNORED,
                        format!("quota `{key}` would limit nothing"),
                    )
                    .at(Label::key(&file, at, why))
                    .help(help),
                );
            }
            None => {}
        }
    }
    for (key, value) in &profile.quota {
        if counts_objects(key) && !value.is_whole() {
            diags.push(
                Diagnostic::new(
                    codes::FRACTIONAL_COUNT,
                    format!("quota `{key}` counts objects but is not a whole number"),
                )
                .at(profile.label(
                    &format!("/quota/{}", escape(key)),
                    "a count must be a whole number",
                ))
                .note(
                    // The server's integer check covers the object counts, not extended
                    // resources or `count/…` (recorded on v1.20.2, docs/apiserver-verdicts.md).
                    if key.contains('/') {
                        "kube-apiserver accepts it, but objects and devices come whole: tenantc refuses it rather than round it".to_string()
                    } else {
                        format!("kube-apiserver: spec.hard[{key}]: Invalid value: must be an integer")
                    },
                    None,
                )
                .help(format!(
                    "write a whole number; tenantc would otherwise round it down to `{}` without a word",
                    value.scale(1, 1, ResourceUnit::Count).format(ResourceUnit::Count)
                )),
            );
        }
    }
    check_node_ports(profile, diags);
}

/// A LoadBalancer Service allocates a node port per port unless it sets
/// `allocateLoadBalancerNodePorts: false`, and the quota counts them against
/// `services.nodeports` (`pkg/quota/v1/evaluator/core/services.go`): fewer node ports than
/// load balancers rejects the load balancers the quota grants.
fn check_node_ports(profile: &Profile, diags: &mut Diagnostics) {
    let (Some(lbs), Some(ports)) = (
        profile.quota.get("services.loadbalancers"),
        profile.quota.get("services.nodeports"),
    ) else {
        return;
    };
    if lbs.is_zero() || ports >= lbs {
        return;
    }
    let (lb_file, lb_at) = profile.origin("/quota/services.loadbalancers");
    diags.push(
        Diagnostic::new(
            codes::LOAD_BALANCERS_WITHOUT_NODE_PORTS,
            format!(
                "the quota allows {} load balancers but only {} node ports",
                lbs.format(ResourceUnit::Count),
                ports.format(ResourceUnit::Count)
            ),
        )
        .at(profile.label(
            "/quota/services.nodeports",
            "a LoadBalancer Service takes a node port per port",
        ))
        .note(
            "the load balancers are granted here",
            Some(Label::value(&lb_file, lb_at, "")),
        )
        .help(format!(
            "set `services.nodeports` to at least the ports of the load balancers (e.g. `{}` for two ports each), or have every LoadBalancer Service set `allocateLoadBalancerNodePorts: false`",
            lbs.format(ResourceUnit::Count).parse::<u64>().map_or(String::from("2x"), |n| (2 * n).to_string())
        )),
    );
}

/// The object rules: `spec.hard` keys (E0417, E0418) and whole counts (E0419).
pub fn check_object(quota: &ResourceQuota, found: &mut Vec<Finding>) {
    let Some(hard) = quota.spec.as_ref().and_then(|s| s.hard.as_ref()) else {
        return;
    };
    for (key, value) in hard {
        let field = format!("spec.hard[{key}]");
        match key_problem(key) {
            Some(Problem::Rejected(why)) => {
                found.push(Finding::new(codes::INVALID_QUOTA_RESOURCE, &field, why).near(key))
            }
            Some(Problem::Ignored(why)) => {
                found.push(Finding::new(codes::QUOTA_RESOURCE_IGNORED, &field, why).near(key))
            }
            None => {}
        }
        if counts_objects(key) && Quantity::parse(&value.0).is_ok_and(|q| !q.is_whole()) {
            found.push(
                Finding::new(codes::FRACTIONAL_COUNT, &field, "must be an integer").near(key),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn verdict(key: &str) -> &'static str {
        match key_problem(key) {
            None => "ok",
            Some(Problem::Rejected(_)) => "rejected",
            Some(Problem::Ignored(_)) => "ignored",
        }
    }

    #[test]
    fn quota_resource_names() {
        for ok in [
            "requests.cpu",
            "limits.memory",
            "pods",
            "services.nodeports",
            "count/deployments.apps",
            "count/secrets",
            "requests.nvidia.com/gpu",
            "hugepages-2Mi",
            "requests.hugepages-1Gi",
            "gold.storageclass.storage.k8s.io/requests.storage",
            "gold.storageclass.storage.k8s.io/persistentvolumeclaims",
        ] {
            assert_eq!(verdict(ok), "ok", "{ok}");
        }
        for bad in [
            "request.cpu",
            "requests.cpus",
            "storage",
            "Pods",
            "foo",
            "hugepages-x",
            "a b",
        ] {
            assert_eq!(verdict(bad), "rejected", "{bad}");
        }
        for ignored in [
            "nvidia.com/gpu",
            "limits.nvidia.com/gpu",
            "requests.kubernetes.io/foo",
            "gold.storageclass.storage.k8s.io/limits.storage",
        ] {
            assert_eq!(verdict(ignored), "ignored", "{ignored}");
        }
        assert_eq!(suggestion("request.cpu"), Some("requests.cpu"));
        assert_eq!(suggestion("Pods"), Some("pods"));
    }

    #[test]
    fn counts() {
        assert!(counts_objects("pods"));
        assert!(counts_objects("count/deployments.apps"));
        assert!(counts_objects("requests.nvidia.com/gpu"));
        assert!(!counts_objects("requests.cpu"));
        assert!(!counts_objects("requests.memory"));
    }
}
