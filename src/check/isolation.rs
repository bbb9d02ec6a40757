//! Checks of node-pool and cluster isolation: pool scaling, node labels and taints, GPU
//! quotas without GPU nodes, tenant cluster address ranges, and the names tenant clusters
//! get on the management cluster and in their Kamaji DataStore.
//!
//! Reads the resolved model and reports; it never changes it.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{CloudProvider, Isolation, is_gpu_instance_type};
use crate::resolve::cluster::{ClusterTemplates, TemplateProblem};
use crate::resolve::{BUILT_IN, Profile, Resolved, ResolvedTenant};
use crate::validate::spec::{check_cidr, check_labels, escape};
use ipnet::IpNet;
use std::collections::BTreeMap;

/// Label prefixes tenantc or Kubernetes own on nodes.
const RESERVED_NODE_PREFIXES: [&str; 3] = ["tenantc.dev", "kubernetes.io", "k8s.io"];

/// Checks the node pool of one merged profile.
///
/// Reports E0412 (scaling out of order), E0214 and E0215 (node labels and taints), E0204
/// (several machine types for GKE or AKS) and W0413 (a GPU quota on a pool without GPU
/// instance types).
pub fn check_profile(profile: &Profile, gpu_prefixes: &[String], diags: &mut Diagnostics) {
    let spec = &profile.spec;
    let Some(pool) = spec.node_pool.as_ref() else {
        return;
    };
    if spec.isolation != Isolation::NodePool {
        return;
    }
    let scaling = &pool.scaling;
    let order = [
        ("min", scaling.min),
        ("desired", scaling.desired),
        ("max", scaling.max),
    ];
    for pair in order.windows(2) {
        let ((low_field, low), (high_field, high)) = (pair[0], pair[1]);
        if low > high {
            let (file, at) = profile.origin(&format!("/nodePool/scaling/{high_field}"));
            diags.push(
                Diagnostic::new(
                    codes::SCALING_OUT_OF_ORDER,
                    format!("node pool `{low_field}` is above its `{high_field}`"),
                )
                .at(profile.label(
                    &format!("/nodePool/scaling/{low_field}"),
                    format!("{low} is more than {high}"),
                ))
                .note(
                    format!("`{high_field}` is set here"),
                    Some(Label::value(&file, at, "")),
                )
                .help("keep min ≤ desired ≤ max"),
            );
            break;
        }
    }
    if pool.provider != CloudProvider::Aws && pool.instance_types.len() > 1 {
        let provider = if pool.provider == CloudProvider::Gcp {
            "gcp"
        } else {
            "azure"
        };
        diags.push(
            Diagnostic::new(
                codes::INVALID_VALUE,
                format!(
                    "`{provider}` node pools take one machine type, not {}",
                    pool.instance_types.len()
                ),
            )
            .at(profile.label("/nodePool/instanceTypes/1", "a second type"))
            .help(
                "GKE and AKS pools take a single machine type; keep one, or use one tier per type",
            ),
        );
    }
    let origin = |p: &str| profile.origin(p);
    check_labels("/nodePool/labels", &pool.labels, &origin, diags);
    for key in pool.labels.keys() {
        if let Some(prefix) = reserved_prefix(key) {
            let (file, at) = profile.origin(&format!("/nodePool/labels/{}", escape(key)));
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_KEY,
                    format!("node label `{key}` uses the reserved prefix `{prefix}`"),
                )
                .at(Label::key(&file, at, "set by tenantc or Kubernetes"))
                .help("choose a key of your own, such as `example.com/pool`"),
            );
        }
    }
    for (i, taint) in pool.taints.iter().enumerate() {
        let at = format!("/nodePool/taints/{i}");
        if let Some(problem) = crate::model::label_key_problem(&taint.key) {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_KEY,
                    format!("`{}` is not a valid taint key", taint.key),
                )
                .at(profile.label(&format!("{at}/key"), problem)),
            );
        } else if taint.key.starts_with("tenantc.dev/") {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_KEY,
                    format!(
                        "taint `{}` uses the reserved prefix `tenantc.dev`",
                        taint.key
                    ),
                )
                .at(profile.label(&format!("{at}/key"), "set by tenantc"))
                .help("tenantc taints every pool with `tenantc.dev/tenant` itself"),
            );
        }
        if let Some(problem) = crate::model::label_value_problem(&taint.value) {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_VALUE,
                    format!("`{}` is not a valid taint value", taint.value),
                )
                .at(profile.label(&format!("{at}/value"), problem)),
            );
        }
    }
    let has_gpu = pool
        .instance_types
        .iter()
        .any(|t| is_gpu_instance_type(pool.provider, t, gpu_prefixes));
    if has_gpu {
        return;
    }
    for (key, quantity) in &profile.quota {
        if is_gpu_resource(key) && !quantity.is_zero() {
            let (file, at) = profile.origin("/nodePool/instanceTypes");
            diags.push(
                Diagnostic::new(
                    codes::GPU_QUOTA_WITHOUT_GPU_NODES,
                    format!("the quota grants `{key}` but the node pool has no GPU instance type"),
                )
                .at(profile.label(
                    &format!("/quota/{}", escape(key)),
                    "pods requesting GPUs will stay pending",
                ))
                .note(
                    format!("the pool's instance types: {}", pool.instance_types.join(", ")),
                    Some(Label::value(&file, at, "")),
                )
                .help("add a GPU instance type to `nodePool.instanceTypes`, or drop the GPU quota; list types tenantc does not know in platform.yaml `spec.nodePools.gpuInstanceTypes`"),
            );
        }
    }
}

fn reserved_prefix(key: &str) -> Option<&'static str> {
    let prefix = key.rsplit_once('/')?.0;
    RESERVED_NODE_PREFIXES
        .into_iter()
        .find(|reserved| prefix == *reserved || prefix.ends_with(&format!(".{reserved}")))
}

/// Whether a quota key grants GPUs (`requests.nvidia.com/gpu`, `nvidia.com/gpu`, …).
pub fn is_gpu_resource(key: &str) -> bool {
    let resource = key
        .strip_prefix("requests.")
        .or_else(|| key.strip_prefix("limits."))
        .unwrap_or(key);
    resource == "nvidia.com/gpu"
}

/// Checks across tenants: cluster tenants' address ranges and their management-cluster and
/// DataStore names.
///
/// Reports E0217 (a reserved range that is not a CIDR), E0402 (overlapping ranges), W0416
/// (ranges on a tenant without a cluster, which claim nothing), E0411
/// (a cluster tenant without ranges), E0223, E0304 and E0415 (cluster templates), E0403 (a
/// management namespace used twice) and E0414 (DataStore names used twice).
pub fn check_fleet(resolved: &Resolved, diags: &mut Diagnostics) {
    let platform_file = resolved.platform_file.as_deref().unwrap_or(BUILT_IN);
    let settings = &resolved.platform.spec.clusters;
    let mut claims = Vec::new();
    for (i, text) in settings.reserved_cidrs.iter().enumerate() {
        let pointer = format!("/spec/clusters/reservedCidrs/{i}");
        if let Some(net) = check_cidr(platform_file, &pointer, text, diags) {
            claims.push(Claim {
                net,
                owner: None,
                what: "reserved range",
                label: Label::value(platform_file, pointer, ""),
            });
        }
    }
    for tenant in &resolved.tenants {
        let Some(network) = &tenant.tenant.spec.network else {
            continue;
        };
        // Only a cluster of its own uses the ranges; another tenant's would block real
        // cluster tenants from ranges nothing uses.
        if !is_cluster(tenant) {
            diags.push(
                Diagnostic::new(
                    codes::NETWORK_IGNORED,
                    format!(
                        "tenant `{}` declares pod and service CIDRs but gets no cluster of its own",
                        tenant.name
                    ),
                )
                .at(Label::key(&tenant.file, "/spec/network", "ignored"))
                .note(
                    "the tier's isolation is set here",
                    Some(tenant.profile.label("/isolation", "")),
                )
                .help("remove `network`, or move the tenant to a tier with `isolation: cluster`; the ranges are not reserved for it"),
            );
            continue;
        }
        for (what, field, text) in [
            ("pod CIDR", "podCidr", &network.pod_cidr),
            ("service CIDR", "serviceCidr", &network.service_cidr),
        ] {
            // Malformed ranges were reported by `validate` (E0217).
            if let Ok(net) = text.parse::<IpNet>() {
                claims.push(Claim {
                    net: net.trunc(),
                    owner: Some(&tenant.name),
                    what,
                    label: Label::value(&tenant.file, format!("/spec/network/{field}"), ""),
                });
            }
        }
    }
    check_overlaps(&claims, diags);
    let clusters: Vec<&ResolvedTenant> =
        resolved.tenants.iter().filter(|t| is_cluster(t)).collect();
    for tenant in &clusters {
        if tenant.tenant.spec.network.is_none() {
            let (pod, service) = suggest_pair(&claims);
            diags.push(
                Diagnostic::new(
                    codes::CLUSTER_NETWORK_MISSING,
                    format!("tenant `{}` gets a cluster of its own but declares no pod and service CIDRs", tenant.name),
                )
                .at(Label::value(&tenant.file, "/spec/tier", "a tier with `isolation: cluster`"))
                .note("the isolation is set here", Some(tenant.profile.label("/isolation", "")))
                .help(format!("add `network: {{podCidr: {pod}, serviceCidr: {service}}}` with ranges no other tenant uses")),
            );
        }
    }
    check_cluster_names(resolved, &clusters, platform_file, diags);
}

/// Whether a tenant gets a cluster of its own.
fn is_cluster(tenant: &ResolvedTenant) -> bool {
    let spec = &tenant.profile.spec;
    spec.isolation == Isolation::Cluster && spec.cluster.is_some()
}

/// An address range claimed by a tenant or reserved by the platform.
struct Claim<'a> {
    net: IpNet,
    /// The tenant, or `None` for the platform.
    owner: Option<&'a str>,
    what: &'static str,
    label: Label,
}

impl Claim<'_> {
    /// `(is IPv6, first address, last address)`.
    fn range(&self) -> (bool, u128, u128) {
        match self.net {
            IpNet::V4(n) => (
                false,
                u128::from(u32::from(n.network())),
                u128::from(u32::from(n.broadcast())),
            ),
            IpNet::V6(n) => (true, u128::from(n.network()), u128::from(n.broadcast())),
        }
    }

    fn overlaps(&self, other: &IpNet) -> bool {
        self.net.contains(other) || other.contains(&self.net)
    }
}

/// Finds overlapping claims in O(n log n): sorted by start, each range is compared with the
/// earlier range reaching furthest. Each claim is reported at most once.
fn check_overlaps(claims: &[Claim], diags: &mut Diagnostics) {
    let mut order: Vec<usize> = (0..claims.len()).collect();
    order.sort_by_key(|&i| {
        let (v6, start, end) = claims[i].range();
        (v6, start, std::cmp::Reverse(end), i)
    });
    let mut widest: Option<usize> = None;
    for i in order {
        let (v6, start, end) = claims[i].range();
        match widest {
            Some(w) if claims[w].range().0 == v6 && start <= claims[w].range().2 => {
                report_overlap(&claims[i], &claims[w], claims, diags);
                if end > claims[w].range().2 {
                    widest = Some(i);
                }
            }
            _ => widest = Some(i),
        }
    }
}

fn report_overlap(a: &Claim, b: &Claim, claims: &[Claim], diags: &mut Diagnostics) {
    // Put the tenant first; two platform ranges may overlap as they like.
    let (claim, other) = match (a.owner, b.owner) {
        (None, None) => return,
        (None, Some(_)) => (b, a),
        _ => (a, b),
    };
    let who = match (claim.owner, other.owner) {
        (Some(x), Some(y)) if x == y => format!("its own {}", other.what),
        (_, Some(y)) => format!("tenant `{y}`"),
        (_, None) => "a range the platform reserves".to_string(),
    };
    let whose = match other.owner {
        Some(y) => format!("`{y}` claims it"),
        None => "the platform reserves it".to_string(),
    };
    let mut help = "give each tenant its own range".to_string();
    if let Some(free) = suggest(claims, claim.net.prefix_len()) {
        help = format!("{help}, such as `{free}`");
    }
    diags.push(
        Diagnostic::new(
            codes::CIDR_OVERLAP,
            format!("{} `{}` overlaps {who}", claim.what, claim.net),
        )
        .at(Label {
            message: format!("overlaps `{}`", other.net),
            ..claim.label.clone()
        })
        .note(whose, Some(other.label.clone()))
        .help(help),
    );
}

/// The first private IPv4 range of `prefix` bits that no claim overlaps.
fn suggest(claims: &[Claim], prefix: u8) -> Option<IpNet> {
    const POOLS: [&str; 3] = ["10.0.0.0/8", "172.16.0.0/12", "100.64.0.0/10"];
    for pool in POOLS {
        let pool: ipnet::Ipv4Net = pool.parse().ok()?;
        if prefix < pool.prefix_len() || prefix > 30 {
            continue;
        }
        let found = pool.subnets(prefix).ok()?.take(4096).find(|candidate| {
            let net = IpNet::V4(*candidate);
            !claims.iter().any(|c| c.overlaps(&net))
        });
        if let Some(net) = found {
            return Some(IpNet::V4(net));
        }
    }
    None
}

/// Two free /16 ranges, for a tenant that declares none.
fn suggest_pair(claims: &[Claim]) -> (String, String) {
    let fallback = || ("10.200.0.0/16".to_string(), "10.201.0.0/16".to_string());
    let Some(pod) = suggest(claims, 16) else {
        return fallback();
    };
    let with_pod = Claim {
        net: pod,
        owner: None,
        what: "",
        label: Label::file(BUILT_IN, ""),
    };
    let mut all: Vec<&Claim> = claims.iter().collect();
    all.push(&with_pod);
    let service = ["10.0.0.0/8", "172.16.0.0/12"]
        .iter()
        .filter_map(|p| p.parse::<ipnet::Ipv4Net>().ok())
        .flat_map(|p| p.subnets(16).into_iter().flatten().take(4096))
        .map(IpNet::V4)
        .find(|net| !all.iter().any(|c| c.overlaps(net)));
    match service {
        Some(service) => (pod.to_string(), service.to_string()),
        None => fallback(),
    }
}

fn check_cluster_names(
    resolved: &Resolved,
    clusters: &[&ResolvedTenant],
    platform_file: &str,
    diags: &mut Diagnostics,
) {
    let settings = &resolved.platform.spec.clusters;
    let (templates, problems) = ClusterTemplates::compile(settings);
    if !problems.is_empty() {
        for problem in problems {
            diags.push(
                Diagnostic::new(codes::INVALID_TEMPLATE, "the template does not compile").at(
                    Label::value(platform_file, problem.pointer, problem.message),
                ),
            );
        }
        return;
    }
    if clusters.is_empty() {
        return;
    }
    // Management namespaces share the cluster with the namespaces of the other tenants.
    let mut namespaces: BTreeMap<String, &str> = BTreeMap::new();
    for tenant in &resolved.tenants {
        if !is_cluster(tenant) {
            for env in &tenant.environments {
                namespaces
                    .entry(env.namespace.clone())
                    .or_insert(&tenant.file);
            }
        }
    }
    let shared = &settings.data_stores.shared;
    let mut schemas: BTreeMap<String, &ResolvedTenant> = BTreeMap::new();
    let mut usernames: BTreeMap<String, &ResolvedTenant> = BTreeMap::new();
    let mut stores: BTreeMap<String, &ResolvedTenant> = BTreeMap::new();
    for tenant in clusters {
        let names = match templates.names(tenant) {
            Ok(names) => names.with_shared(shared),
            Err(problem) => {
                diags.push(template_problem(&problem, tenant, platform_file));
                continue;
            }
        };
        if let Some(first) = namespaces.insert(names.namespace.clone(), &tenant.file) {
            namespaces.insert(names.namespace.clone(), first);
            diags.push(
                Diagnostic::new(
                    codes::NAMESPACE_COLLISION,
                    format!("namespace `{}` belongs to two tenants", names.namespace),
                )
                .at(Label::value(&tenant.file, "/metadata/name", "this tenant's cluster namespace"))
                .note("the other tenant", Some(Label::value(first, "/metadata/name", "")))
                .note(
                    "cluster namespaces are named by this template",
                    Some(Label::value(platform_file, crate::resolve::cluster::pointers::NAMESPACE, "")),
                )
                .help("make `spec.clusters.namespaceTemplate` unique per tenant, such as `cluster-{{ tenant }}`"),
            );
        }
        if names.dedicated.is_some() {
            if names.data_store == *shared {
                diags.push(
                    Diagnostic::new(
                        codes::DATA_STORE_NAME_CONFLICT,
                        format!("the dedicated DataStore of `{}` is named like the shared one, `{shared}`", tenant.name),
                    )
                    .at(Label::value(&tenant.file, "/metadata/name", "this tenant's DataStore"))
                    .note(
                        "named by this template",
                        Some(Label::value(platform_file, crate::resolve::cluster::pointers::DEDICATED_NAME, "")),
                    )
                    .help("rename the tenant or change `spec.clusters.dataStores.dedicated.nameTemplate`"),
                );
            }
            conflict(
                &mut stores,
                names.data_store.clone(),
                tenant,
                "DataStore name",
                crate::resolve::cluster::pointers::DEDICATED_NAME,
                platform_file,
                diags,
            );
        }
        conflict(
            &mut schemas,
            names.schema.clone(),
            tenant,
            "data-store schema",
            crate::resolve::cluster::pointers::SCHEMA,
            platform_file,
            diags,
        );
        conflict(
            &mut usernames,
            names.username.clone(),
            tenant,
            "data-store user name",
            crate::resolve::cluster::pointers::USERNAME,
            platform_file,
            diags,
        );
    }
}

fn conflict<'a>(
    seen: &mut BTreeMap<String, &'a ResolvedTenant>,
    name: String,
    tenant: &'a ResolvedTenant,
    what: &str,
    pointer: &str,
    platform_file: &str,
    diags: &mut Diagnostics,
) {
    if let Some(first) = seen.get(&name) {
        diags.push(
            Diagnostic::new(
                codes::DATA_STORE_NAME_CONFLICT,
                format!("{what} `{name}` is used by tenants `{}` and `{}`", first.name, tenant.name),
            )
            .at(Label::value(&tenant.file, "/metadata/name", format!("renders to `{name}`")))
            .note(format!("`{}` has it too", first.name), Some(Label::value(&first.file, "/metadata/name", "")))
            .note("rendered from this template", Some(Label::value(platform_file, pointer, "")))
            .help("Kamaji does not keep tenants apart by itself; make the template unique per tenant, such as `{{ tenant | replace('-', '_') }}`"),
        );
    } else {
        seen.insert(name, tenant);
    }
}

fn template_problem(
    problem: &TemplateProblem,
    tenant: &ResolvedTenant,
    platform_file: &str,
) -> Diagnostic {
    let note = Some(Label::value(&tenant.file, "/metadata/name", ""));
    match &problem.value {
        None => Diagnostic::new(
            codes::TEMPLATE_FAILED,
            "a platform template failed for this tenant",
        )
        .at(Label::value(
            platform_file,
            problem.pointer.clone(),
            problem.message.clone(),
        ))
        .note(format!("while rendering tenant `{}`", tenant.name), note),
        Some(value) => Diagnostic::new(
            codes::INVALID_CLUSTER_NAME,
            format!(
                "the template renders `{value}` for tenant `{}`, which cannot be used",
                tenant.name
            ),
        )
        .at(Label::value(
            platform_file,
            problem.pointer.clone(),
            problem.message.clone(),
        ))
        .note(format!("while rendering tenant `{}`", tenant.name), note),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gpu_instance_types() {
        let none: &[String] = &[];
        assert!(is_gpu_instance_type(CloudProvider::Aws, "g5.xlarge", none));
        assert!(is_gpu_instance_type(
            CloudProvider::Aws,
            "p5.48xlarge",
            none
        ));
        assert!(is_gpu_instance_type(
            CloudProvider::Aws,
            "p6-b200.48xlarge",
            none
        ));
        assert!(!is_gpu_instance_type(
            CloudProvider::Aws,
            "c5.2xlarge",
            none
        ));
        assert!(!is_gpu_instance_type(
            CloudProvider::Aws,
            "g4ad.xlarge",
            none
        ));
        assert!(is_gpu_instance_type(
            CloudProvider::Gcp,
            "a2-highgpu-1g",
            none
        ));
        assert!(is_gpu_instance_type(
            CloudProvider::Gcp,
            "g2-standard-8",
            none
        ));
        assert!(!is_gpu_instance_type(
            CloudProvider::Gcp,
            "n2-standard-8",
            none
        ));
        assert!(is_gpu_instance_type(
            CloudProvider::Azure,
            "Standard_NC24ads_A100_v4",
            none
        ));
        assert!(!is_gpu_instance_type(
            CloudProvider::Azure,
            "Standard_D8s_v5",
            none
        ));
        let extra = ["p7.".to_string()];
        assert!(is_gpu_instance_type(
            CloudProvider::Aws,
            "p7.48xlarge",
            &extra
        ));
    }

    #[test]
    fn gpu_resources() {
        assert!(is_gpu_resource("requests.nvidia.com/gpu"));
        assert!(is_gpu_resource("nvidia.com/gpu"));
        assert!(!is_gpu_resource("requests.cpu"));
    }

    fn claim(text: &str, owner: Option<&'static str>) -> Claim<'static> {
        Claim {
            net: text.parse().unwrap(),
            owner,
            what: "pod CIDR",
            label: Label::file("t.yaml", ""),
        }
    }

    #[test]
    fn overlaps_are_found_once_each() {
        let claims = [
            claim("10.200.0.0/16", Some("a")),
            claim("10.201.0.0/16", Some("b")),
            claim("10.200.128.0/17", Some("c")),
            claim("10.0.0.0/16", None),
            claim("10.0.0.0/24", None),
            claim("fd00::/64", Some("d")),
            claim("10.1.0.0/16", Some("e")),
        ];
        let mut diags = Diagnostics::default();
        check_overlaps(&claims, &mut diags);
        let messages: Vec<String> = diags.into_iter().map(|d| d.message).collect();
        assert_eq!(
            messages,
            ["pod CIDR `10.200.128.0/17` overlaps tenant `a`"],
            "two platform ranges may overlap; distinct ranges do not"
        );
        assert_eq!(
            suggest(&claims, 16).map(|n| n.to_string()).as_deref(),
            Some("10.2.0.0/16")
        );
    }
}
