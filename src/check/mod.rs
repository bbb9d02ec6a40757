//! Rules that look across values or across tenants: LimitRange order, quota limits against
//! requests, namespace collisions, PriorityClass conflicts, isolation sections and app
//! environments.
//!
//! Reads the resolved model and reports; it never changes it.

pub mod apiserver;

mod argocd;

mod isolation;

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{Isolation, LimitBounds, Quantity, ResourceUnit};
use crate::resolve::{Profile, Resolved};
use crate::validate::spec::escape;
use std::collections::BTreeMap;
use std::sync::Arc;

/// Runs every check over the resolved platform.
///
/// Reports E0401, E0403–E0408, W0409 and E0410; for node-pool and cluster isolation, E0402
/// and E0411–E0415 (see `isolation`); the API server's own rules, E0417–E0432 and W0420
/// (see `apiserver`).
pub fn check(resolved: &Resolved, diags: &mut Diagnostics) {
    let mut profiles: Vec<&Arc<Profile>> = resolved.tiers.values().collect();
    for tenant in &resolved.tenants {
        if !resolved
            .tiers
            .values()
            .any(|p| Arc::ptr_eq(p, &tenant.profile))
        {
            profiles.push(&tenant.profile);
        }
    }
    for profile in profiles {
        check_limits(profile, diags);
        check_quota(profile, diags);
        check_isolation(profile, diags);
        check_defaults(profile, diags);
        apiserver::check_profile(profile, diags);
        isolation::check_profile(
            profile,
            &resolved.platform.spec.node_pools.gpu_instance_types,
            diags,
        );
    }
    for tenant in &resolved.tenants {
        apiserver::check_tenant(tenant, diags);
    }
    // The fleet-wide checks are independent: they run side by side, and what they report is
    // added in this order whatever the thread count.
    let fleet = |checks: &[fn(&Resolved, &mut Diagnostics)]| {
        let mut found = Diagnostics::default();
        for check in checks {
            check(resolved, &mut found);
        }
        found
    };
    let (first, (second, third)) = rayon::join(
        || fleet(&[isolation::check_fleet, check_tenant_labels]),
        || {
            rayon::join(
                || fleet(&[argocd::check_names]),
                || fleet(&[check_namespaces, check_priority_classes, check_apps]),
            )
        },
    );
    diags.extend(first);
    diags.extend(second);
    diags.extend(third);
}

fn check_limits(profile: &Profile, diags: &mut Diagnostics) {
    let limits = &profile.spec.limits;
    for (part, bounds) in [
        ("container", &limits.container),
        ("pod", &limits.pod),
        ("persistentVolumeClaim", &limits.persistent_volume_claim),
    ] {
        check_order(profile, part, bounds, diags);
    }
}

/// min ≤ defaultRequest ≤ default ≤ max, for every resource that has two of them.
fn check_order(profile: &Profile, part: &str, bounds: &LimitBounds, diags: &mut Diagnostics) {
    let order = [
        ("min", &bounds.min),
        ("defaultRequest", &bounds.default_request),
        ("default", &bounds.default),
        ("max", &bounds.max),
    ];
    let mut resources: Vec<&String> = order.iter().flat_map(|(_, m)| m.keys()).collect();
    resources.sort();
    resources.dedup();
    for resource in resources {
        let present: Vec<(&str, Quantity)> = order
            .iter()
            .filter_map(|(field, map)| Some((*field, Quantity::parse(&map.get(resource)?.0).ok()?)))
            .collect();
        for (i, (low_field, low)) in present.iter().enumerate() {
            if let Some((high_field, high)) = present[i + 1..].iter().find(|(_, high)| low > high) {
                let unit = ResourceUnit::of(resource);
                let at = |f: &str| format!("/limits/{part}/{f}/{}", escape(resource));
                let (high_file, high_at) = profile.origin(&at(high_field));
                diags.push(
                    Diagnostic::new(
                        codes::LIMIT_ORDER,
                        format!("{part} `{low_field}` of `{resource}` is above its `{high_field}`"),
                    )
                    .at(profile.label(
                        &at(low_field),
                        format!("{} is more than {}", low.format(unit), high.format(unit)),
                    ))
                    .note(
                        format!("`{high_field}` is set here"),
                        Some(Label::value(&high_file, high_at, "")),
                    )
                    .help("keep min ≤ defaultRequest ≤ default ≤ max"),
                );
                break;
            }
        }
    }
}

fn check_quota(profile: &Profile, diags: &mut Diagnostics) {
    for (key, limit) in &profile.quota {
        let Some(resource) = key.strip_prefix("limits.") else {
            continue;
        };
        let request_key = format!("requests.{resource}");
        let request = profile
            .quota
            .get(&request_key)
            .or_else(|| profile.quota.get(resource));
        if let Some(request) = request.filter(|r| *r > limit) {
            let unit = ResourceUnit::of(key);
            let (file, at) = profile.origin(&format!("/quota/{}", escape(&request_key)));
            diags.push(
                Diagnostic::new(
                    codes::QUOTA_LIMIT_BELOW_REQUEST,
                    format!("quota `{key}` is below `{request_key}`"),
                )
                .at(profile.label(
                    &format!("/quota/{}", escape(key)),
                    format!(
                        "{} is less than {}",
                        limit.format(unit),
                        request.format(unit)
                    ),
                ))
                .note(
                    format!("`{request_key}` is set here"),
                    Some(Label::value(&file, at, "")),
                )
                .help("no pod could use the requests it is granted; raise the limit"),
            );
        }
    }
}

fn check_isolation(profile: &Profile, diags: &mut Diagnostics) {
    let spec = &profile.spec;
    let missing = match spec.isolation {
        Isolation::NodePool if spec.node_pool.is_none() => Some("nodePool"),
        Isolation::Cluster if spec.cluster.is_none() => Some("cluster"),
        _ => None,
    };
    if let Some(section) = missing {
        diags.push(
            Diagnostic::new(
                codes::ISOLATION_CONFIG_MISSING,
                format!("isolation `{section}` needs a `{section}` section"),
            )
            .at(profile.label("/isolation", format!("no `{section}` section in the tier")))
            .help(format!("add `{section}:` to the tier's spec")),
        );
    }
}

fn check_namespaces(resolved: &Resolved, diags: &mut Diagnostics) {
    let mut owners: BTreeMap<&str, &str> = BTreeMap::new();
    for tenant in &resolved.tenants {
        for env in &tenant.environments {
            if let Some(first) = owners.insert(&env.namespace, &tenant.file) {
                owners.insert(&env.namespace, first);
                diags.push(
                    Diagnostic::new(
                        codes::NAMESPACE_COLLISION,
                        format!("namespace `{}` belongs to two tenants", env.namespace),
                    )
                    .at(Label::value(
                        &tenant.file,
                        "/metadata/name",
                        "this tenant's namespace",
                    ))
                    .note(
                        "the other tenant",
                        Some(Label::value(first, "/metadata/name", "")),
                    )
                    .help("rename one tenant, or change the platform's naming template"),
                );
            }
        }
    }
}

fn check_priority_classes(resolved: &Resolved, diags: &mut Diagnostics) {
    let mut seen: BTreeMap<&str, (&str, i32)> = BTreeMap::new();
    for (tier, profile) in &resolved.tiers {
        let Some(pc) = &profile.spec.priority_class else {
            continue;
        };
        match seen.get(pc.name.as_str()) {
            Some((first, value)) if *value != pc.value => {
                let first_profile = &resolved.tiers[*first];
                let (file, at) = first_profile.origin("/priorityClass/value");
                diags.push(
                    Diagnostic::new(
                        codes::PRIORITY_CLASS_CONFLICT,
                        format!("PriorityClass `{}` has two values", pc.name),
                    )
                    .at(profile.label("/priorityClass/value", format!("{} here", pc.value)))
                    .note(
                        format!("tier `{first}` gives it {value}"),
                        Some(Label::value(&file, at, "")),
                    )
                    .help("give each value its own PriorityClass name"),
                );
            }
            Some(_) => {}
            None => {
                seen.insert(&pc.name, (tier, pc.value));
            }
        }
    }
}

fn check_apps(resolved: &Resolved, diags: &mut Diagnostics) {
    for tenant in &resolved.tenants {
        let single = tenant.environments.len() == 1 && tenant.environments[0].name.is_none();
        for (i, app) in tenant.tenant.spec.gitops.apps.iter().enumerate() {
            let at = format!("/spec/gitops/apps/{i}");
            match (&app.environment, single) {
                (None, true) => {}
                (Some(_), true) => diags.push(
                    Diagnostic::new(codes::UNKNOWN_APP_ENVIRONMENT, format!("app `{}` names an environment, but the tenant has a single namespace", app.name))
                        .at(Label::value(&tenant.file, format!("{at}/environment"), "the tier has no environments"))
                        .help("remove `environment`"),
                ),
                (None, false) => diags.push(
                    Diagnostic::new(codes::UNKNOWN_APP_ENVIRONMENT, format!("app `{}` needs an environment", app.name))
                        .at(Label::value(&tenant.file, at, "no `environment`"))
                        .help(format!("the tenant has: {}", env_names(tenant))),
                ),
                (Some(env), false) if !tenant.environments.iter().any(|e| e.name.as_deref() == Some(env)) => diags.push(
                    Diagnostic::new(codes::UNKNOWN_APP_ENVIRONMENT, format!("app `{}` deploys to environment `{env}`, which the tenant does not have", app.name))
                        .at(Label::value(&tenant.file, format!("{at}/environment"), "not an environment of this tenant"))
                        .help(format!("the tenant has: {}", env_names(tenant))),
                ),
                _ => {}
            }
        }
    }
}

fn env_names(tenant: &crate::resolve::ResolvedTenant) -> String {
    tenant
        .environments
        .iter()
        .filter_map(|e| e.name.as_deref())
        .collect::<Vec<_>>()
        .join(", ")
}

/// A quota on `requests.cpu` makes Kubernetes reject every pod without a cpu request; a
/// LimitRange default request avoids that. Likewise for limits and memory.
fn check_defaults(profile: &Profile, diags: &mut Diagnostics) {
    let container = &profile.spec.limits.container;
    for resource in ["cpu", "memory"] {
        for (prefix, defaults, field) in [
            ("requests", &container.default_request, "defaultRequest"),
            ("limits", &container.default, "default"),
        ] {
            let key = format!("{prefix}.{resource}");
            let constrained = profile.quota.contains_key(&key)
                || (prefix == "requests" && profile.quota.contains_key(resource));
            if constrained && !defaults.contains_key(resource) {
                diags.push(
                    Diagnostic::new(
                        codes::QUOTA_WITHOUT_DEFAULTS,
                        format!("the quota sets `{key}` but containers get no default `{resource}` {prefix}"),
                    )
                    .at(profile.label(&format!("/quota/{}", escape(&key)), "pods that set no value will be rejected"))
                    .help(format!("set `limits.container.{field}.{resource}` in the tier or in `tierDefaults`")),
                );
            }
        }
    }
}

/// A tenant must not set a label the platform sets, nor one that namespace selectors of
/// traffic rules match on: labelling its own namespace `name: api-gateway` would let it
/// into every tenant that admits traffic from the gateway.
fn check_tenant_labels(resolved: &Resolved, diags: &mut Diagnostics) {
    let governance = &resolved.platform.spec.governance_labels;
    let mut selected: BTreeMap<&str, &Profile> = BTreeMap::new();
    for profile in resolved
        .tiers
        .values()
        .map(Arc::as_ref)
        .chain(resolved.tenants.iter().map(|t| t.profile.as_ref()))
    {
        let network = &profile.spec.network;
        for rule in network.ingress.iter().chain(&network.egress) {
            for key in rule.namespace_labels.keys() {
                selected.entry(key).or_insert(profile);
            }
        }
    }
    for tenant in &resolved.tenants {
        for key in tenant.tenant.spec.labels.keys() {
            let at = Label::key(&tenant.file, format!("/spec/labels/{}", escape(key)), "");
            if governance.contains_key(key) {
                let platform = resolved
                    .platform_file
                    .as_deref()
                    .unwrap_or(crate::resolve::BUILT_IN);
                diags.push(
                    Diagnostic::new(
                        codes::TENANT_LABEL_CONFLICT,
                        format!("label `{key}` is set by the platform"),
                    )
                    .at(Label {
                        message: "a governance label of platform.yaml".into(),
                        ..at
                    })
                    .note(
                        "the platform sets it here",
                        Some(Label::key(
                            platform,
                            format!("/spec/governanceLabels/{}", escape(key)),
                            "",
                        )),
                    )
                    .help("remove it from the tenant's labels"),
                );
            } else if let Some(profile) = selected.get(key.as_str()) {
                let rule_at = find_selector(profile, key);
                diags.push(
                    Diagnostic::new(codes::TENANT_LABEL_CONFLICT, format!("label `{key}` is matched by namespace selectors"))
                        .at(Label { message: "a tenant could join other tenants' allowed peers with it".into(), ..at })
                        .note("a traffic rule selects namespaces by it", rule_at)
                        .help("remove it; select namespaces by `kubernetes.io/metadata.name`, which tenants cannot set"),
                );
            }
        }
    }
}

fn find_selector(profile: &Profile, key: &str) -> Option<Label> {
    let network = &profile.spec.network;
    for (direction, rules) in [("ingress", &network.ingress), ("egress", &network.egress)] {
        if let Some(i) = rules
            .iter()
            .position(|r| r.namespace_labels.contains_key(key))
        {
            return Some(profile.label(
                &format!("/network/{direction}/{i}/namespaceLabels/{}", escape(key)),
                "",
            ));
        }
    }
    None
}
