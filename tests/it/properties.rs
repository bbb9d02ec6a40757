//! Property test: any generated valid repository — the example's platform and tiers, a
//! generated tier with random quotas, shares, limits and traffic rules, and generated tenants
//! on any of those tiers (namespace, node-pool and cluster isolation) with random labels,
//! access, environments, overrides and free-text fields — renders without errors into objects
//! that are valid against their upstream schemas (the checker of `upstream_schemas.rs`).
//!
//! Rendering runs in process (`tenantc::pipeline`), so each case costs milliseconds; the case
//! count stays modest to keep `cargo test` fast.

use crate::support::{root, write_files};
use crate::upstream_schemas::Report;
use proptest::prelude::*;
use serde_json::{Value, json};
use tenantc::load::{Input, MemoryRepo};

/// Cases per run (each renders a small repository and validates every object);
/// `TENANTC_PROPTEST_CASES=N` runs more.
fn cases() -> u32 {
    std::env::var("TENANTC_PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(24)
}

/// The example tiers a generated tenant may pick.
const EXAMPLE_TIERS: [&str; 8] = [
    "free",
    "standard",
    "premium",
    "enterprise",
    "gpu-dedicated",
    "batch-spot",
    "isolated-nodes",
    "dedicated-cluster",
];

/// The environment names of an example tier, read from its file.
fn example_tier_environments(tier: &str) -> Vec<String> {
    let text = std::fs::read_to_string(root().join(format!("tiers/{tier}.yaml"))).unwrap();
    let doc: Value = serde_saphyr::from_str(&text).unwrap();
    doc.pointer("/spec/environments")
        .and_then(Value::as_array)
        .map(|envs| {
            envs.iter()
                .filter_map(|e| e["name"].as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// A DNS-1123 label value for labels and names (not starting or ending with `-`).
fn label_value() -> impl Strategy<Value = String> {
    "[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?"
}

/// Free text as users write it in display names: any printable characters, including YAML
/// indicators and words YAML 1.1 reads as booleans.
fn free_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "\\PC{0,24}",
        Just("no".to_string()),
        Just("on: [1, 2]".to_string()),
        Just("'\"#&*!|>%@`".to_string()),
        Just("10".to_string()),
    ]
}

/// The generated tier's environments: names and shares (percent) adding up to at most 100.
fn environments() -> impl Strategy<Value = Vec<(String, u32)>> {
    proptest::sample::subsequence(vec!["dev", "qa", "staging", "prod"], 0..=4).prop_flat_map(
        |names| {
            let n = names.len().max(1) as u32;
            proptest::collection::vec(1..=100 / n, names.len()).prop_map(move |shares| {
                names
                    .iter()
                    .map(|s| s.to_string())
                    .zip(shares)
                    .collect::<Vec<_>>()
            })
        },
    )
}

/// Four quantities in order (min ≤ defaultRequest ≤ default ≤ max), as `(cpu m, memory Mi)`.
fn ordered_limits() -> impl Strategy<Value = [(u32, u32); 4]> {
    proptest::array::uniform4((1u32..4000, 1u32..8192)).prop_map(|mut bounds| {
        let mut cpu: Vec<u32> = bounds.iter().map(|b| b.0).collect();
        let mut memory: Vec<u32> = bounds.iter().map(|b| b.1).collect();
        cpu.sort_unstable();
        memory.sort_unstable();
        for (i, b) in bounds.iter_mut().enumerate() {
            *b = (cpu[i], memory[i]);
        }
        bounds
    })
}

fn traffic_rule(index: usize, egress: bool) -> impl Strategy<Value = Value> {
    let ports = proptest::sample::subsequence(
        vec![
            "80",
            "443/TCP",
            "53/UDP",
            "8080-8090/TCP",
            "http/TCP",
            "9000/SCTP",
        ],
        1..=3,
    );
    (any::<bool>(), label_value(), ports).prop_map(move |(by_cidr, team, ports)| {
        let name = format!("rule{index}");
        if by_cidr && egress {
            json!({"name": name, "cidr": "0.0.0.0/0",
                   "except": ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"], "ports": ports})
        } else if by_cidr {
            json!({"name": name, "cidr": "192.168.10.0/24", "ports": ports})
        } else {
            json!({"name": name, "namespaceLabels": {"kubernetes.io/metadata.name": team},
                   "podLabels": {"app": "gateway"}, "ports": ports})
        }
    })
}

/// The generated tier `gen`: its document and its environment names.
fn generated_tier() -> impl Strategy<Value = (Value, Vec<String>)> {
    let quota = (
        100u32..100_000,
        1u32..4,
        64u32..262_144,
        1u32..4,
        0u32..1000,
        0u32..50,
        0u32..5000,
    );
    let network = (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        0usize..3,
        0usize..3,
    )
        .prop_flat_map(|(deny, dns, same, ni, ne)| {
            (
                Just((deny, dns, same)),
                (0..ni).map(|i| traffic_rule(i, false)).collect::<Vec<_>>(),
                (0..ne).map(|i| traffic_rule(i, true)).collect::<Vec<_>>(),
            )
        });
    let isolation = prop_oneof![
        Just(json!(null)),
        (
            1u32..3,
            0u32..3,
            0u32..5,
            prop_oneof![Just("ON_DEMAND"), Just("SPOT")]
        )
            .prop_map(|(min, up, more, capacity)| json!({
                "provider": "aws",
                "instanceTypes": ["m6i.xlarge"],
                "capacityType": capacity,
                "scaling": {"min": min, "desired": min + up, "max": min + up + more},
            })),
    ];
    (
        prop_oneof![Just("restricted"), Just("baseline"), Just("privileged")],
        environments(),
        quota,
        ordered_limits(),
        network,
        isolation,
        proptest::option::of(0i32..1_000_000),
    )
        .prop_map(
            |(pss, envs, q, limits, (flags, ingress, egress), node_pool, priority)| {
                let (cpu, cpu_factor, mem, mem_factor, pods, pvcs, storage) = q;
                let mut spec = json!({
                    "podSecurity": pss,
                    "quota": {
                        "requests.cpu": format!("{cpu}m"),
                        "limits.cpu": format!("{}m", cpu * cpu_factor),
                        "requests.memory": format!("{mem}Mi"),
                        "limits.memory": format!("{}Mi", mem * mem_factor),
                        "pods": pods,
                        "persistentvolumeclaims": pvcs.to_string(),
                        "requests.storage": format!("{storage}Gi"),
                    },
                    "limits": {"container": {
                        "min": {"cpu": format!("{}m", limits[0].0), "memory": format!("{}Mi", limits[0].1)},
                        "defaultRequest": {"cpu": format!("{}m", limits[1].0), "memory": format!("{}Mi", limits[1].1)},
                        "default": {"cpu": format!("{}m", limits[2].0), "memory": format!("{}Mi", limits[2].1)},
                        "max": {"cpu": format!("{}m", limits[3].0), "memory": format!("{}Mi", limits[3].1)},
                    }},
                    "network": {
                        "defaultDeny": flags.0, "allowDns": flags.1, "allowSameTenant": flags.2,
                        "ingress": ingress, "egress": egress,
                    },
                });
                if !envs.is_empty() {
                    spec["environments"] = envs
                        .iter()
                        .map(|(name, share)| {
                            json!({"name": name, "quotaShare": f64::from(*share) / 100.0})
                        })
                        .collect();
                }
                if !node_pool.is_null() {
                    spec["isolation"] = json!("nodePool");
                    spec["nodePool"] = node_pool;
                }
                // Tenants override `pods` and the GPU quota (below); the tier opens both.
                spec["guardrails"] = json!({"quota": {"pods": "500", "requests.nvidia.com/gpu": "64"}});
                if let Some(value) = priority {
                    spec["priorityClass"] = json!({"name": "tenant-generated", "value": value});
                }
                let doc = json!({
                    "apiVersion": "tenantc.dev/v1alpha1", "kind": "Tier",
                    "metadata": {"name": "gen"}, "spec": spec,
                });
                (doc, envs.into_iter().map(|(n, _)| n).collect())
            },
        )
}

/// The parts of a tenant that do not depend on its tier.
#[derive(Debug, Clone)]
struct TenantParts {
    name: String,
    tier: usize,
    display_name: Option<String>,
    cost_center: Option<String>,
    lifecycle: &'static str,
    labels: Vec<(&'static str, String)>,
    admins: Vec<String>,
    users: Vec<String>,
    env_pick: Vec<bool>,
    gpu: Option<u32>,
    pods: Option<u32>,
    app: bool,
}

fn tenant_parts(index: usize) -> impl Strategy<Value = TenantParts> {
    (
        "[a-z]{1,8}",
        0..=EXAMPLE_TIERS.len(),
        proptest::option::of(free_text()),
        proptest::option::of(label_value()),
        prop_oneof![Just("active"), Just("suspended"), Just("decommissioned")],
        proptest::collection::vec(
            (
                prop_oneof![
                    Just("team"),
                    Just("app.kubernetes.io/part-of"),
                    Just("example.com/owner")
                ],
                label_value(),
            ),
            0..3,
        ),
        proptest::collection::vec("[a-z]{1,8}-admins", 0..3),
        proptest::collection::vec("[a-z]{1,8}@example\\.com", 0..2),
        proptest::collection::vec(any::<bool>(), 4),
        (
            proptest::option::of(0u32..64),
            proptest::option::of(0u32..500),
            any::<bool>(),
        ),
    )
        .prop_map(
            move |(
                stem,
                tier,
                display_name,
                cost_center,
                lifecycle,
                labels,
                admins,
                users,
                env_pick,
                (gpu, pods, app),
            )| {
                TenantParts {
                    // No `-` in tenant names: two tenants' namespaces or Argo CD names can
                    // then never collide by construction.
                    name: format!("{stem}{index}"),
                    tier,
                    display_name,
                    cost_center,
                    lifecycle,
                    labels,
                    admins,
                    users,
                    env_pick,
                    gpu,
                    pods,
                    app,
                }
            },
        )
}

/// The tenant document for `parts`, given the environments of the tier it picked.
fn tenant_document(parts: &TenantParts, index: usize, gen_envs: &[String]) -> Value {
    let (tier, tier_envs): (&str, Vec<String>) = match EXAMPLE_TIERS.get(parts.tier) {
        Some(name) => (name, example_tier_environments(name)),
        None => ("gen", gen_envs.to_vec()),
    };
    let mut spec = json!({"tier": tier, "lifecycle": parts.lifecycle});
    if let Some(d) = &parts.display_name {
        spec["displayName"] = json!(d);
    }
    if let Some(c) = &parts.cost_center {
        spec["costCenter"] = json!(c);
        spec["billingCode"] = json!(format!("BC-{c}"));
    }
    let labels: serde_json::Map<String, Value> = parts
        .labels
        .iter()
        .map(|(k, v)| (k.to_string(), json!(v)))
        .collect();
    spec["labels"] = Value::Object(labels);
    spec["access"] = json!({
        "admins": {"groups": parts.admins, "users": parts.users},
        "viewers": {"groups": [format!("{}-viewers", parts.name)]},
    });
    // A non-empty subset of the tier's environments, or all of them.
    let picked: Vec<String> = tier_envs
        .iter()
        .zip(&parts.env_pick)
        .filter(|(_, keep)| **keep)
        .map(|(e, _)| e.clone())
        .collect();
    let envs = if picked.is_empty() {
        tier_envs.clone()
    } else {
        spec["environments"] = json!(picked);
        picked
    };
    if parts.app {
        let mut app = json!({
            "name": "web", "repoURL": "https://git.example.com/apps.git",
            "path": format!("deploy/{}", parts.name), "targetRevision": "main",
        });
        if let Some(env) = envs.last() {
            app["environment"] = json!(env);
        }
        spec["gitops"] = json!({"apps": [app]});
    }
    let mut quota = serde_json::Map::new();
    if let Some(gpu) = parts.gpu {
        quota.insert("requests.nvidia.com/gpu".into(), json!(gpu.to_string()));
    }
    if let Some(pods) = parts.pods {
        quota.insert("pods".into(), json!(pods));
    }
    // Only the generated tier opens these quota keys to its tenants (`guardrails.quota`).
    if !quota.is_empty() && tier == "gen" {
        spec["overrides"] = json!({"quota": quota});
    }
    if tier == "dedicated-cluster" {
        spec["network"] = json!({
            "podCidr": format!("10.{}.0.0/16", 130 + 2 * index),
            "serviceCidr": format!("10.{}.0.0/16", 131 + 2 * index),
        });
    }
    json!({
        "apiVersion": "tenantc.dev/v1alpha1", "kind": "Tenant",
        "metadata": {"name": parts.name}, "spec": spec,
    })
}

/// A repository's files, shown as text when a case fails.
#[derive(Clone)]
struct Files(Vec<(String, Vec<u8>)>);

impl std::fmt::Debug for Files {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        for (path, bytes) in &self.0 {
            if path.starts_with("tenants/") || path == "tiers/gen.yaml" {
                writeln!(f, "--- {path}\n{}", String::from_utf8_lossy(bytes))?;
            }
        }
        Ok(())
    }
}

fn repository() -> impl Strategy<Value = Files> {
    (
        generated_tier(),
        (1usize..=4).prop_flat_map(|n| (0..n).map(tenant_parts).collect::<Vec<_>>()),
    )
        .prop_map(|((tier, gen_envs), tenants)| {
            let mut files = vec![(
                "platform.yaml".to_string(),
                std::fs::read(root().join("platform.yaml")).unwrap(),
            )];
            for name in EXAMPLE_TIERS {
                let path = format!("tiers/{name}.yaml");
                files.push((path.clone(), std::fs::read(root().join(&path)).unwrap()));
            }
            files.push(("tiers/gen.yaml".into(), tier.to_string().into_bytes()));
            for (index, parts) in tenants.iter().enumerate() {
                let doc = tenant_document(parts, index, &gen_envs);
                files.push((
                    format!("tenants/{}.yaml", parts.name),
                    serde_json::to_string_pretty(&doc).unwrap().into_bytes(),
                ));
            }
            Files(files)
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(cases()))]

    #[test]
    fn generated_valid_repositories_render_to_schema_valid_objects(files in repository()) {
        let repo = MemoryRepo::from_files(files.0.clone());
        let (compiled, tree) =
            tenantc::pipeline::render_input(Input::Memory(&repo), None).unwrap();
        let sources = compiled.sources.clone();
        let has_errors = compiled.diagnostics.has_errors();
        let located = compiled.diagnostics.finish(&sources);
        let text = tenantc::diagnostics::render(&located, &sources, tenantc::diagnostics::Format::Human);
        prop_assert!(!has_errors, "the generated repository is invalid:\n{text}");
        let tree = tree.expect("a tree without errors");
        let out = tempfile::tempdir().unwrap();
        let rendered: Vec<(String, Vec<u8>)> = tenantc::emit::serialize(&tree)
            .into_iter()
            .map(|(p, c)| (p, c.into_bytes()))
            .collect();
        write_files(out.path(), &rendered);
        let mut report = Report::default();
        report.check_tree("generated", out.path());
        prop_assert!(report.checked > 0);
        prop_assert!(
            report.failures.is_empty(),
            "{} schema problem(s):\n{}",
            report.failures.len(),
            report.failures.join("\n")
        );
    }
}
