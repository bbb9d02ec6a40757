//! Property tests of the guard: for random tiers (quota, ceilings, Pod Security, network
//! switches) and random tenant overrides, the guard reports exactly the loosenings — a
//! tightening never fails, a loosening never passes — compiled in memory through the same
//! pipeline as every command.

use proptest::prelude::*;
use std::collections::BTreeSet;
use tenantc::load::{Input, MemoryRepo};

const LEVELS: [&str; 3] = ["restricted", "baseline", "privileged"];
const KEYS: [&str; 3] = ["requests.cpu", "pods", "requests.nvidia.com/gpu"];

/// A tier and a tenant's overrides, with what the guard must conclude.
#[derive(Debug, Clone)]
struct Case {
    tier_level: usize,
    tenant_level: Option<usize>,
    /// Per key: the tier's value, its guardrail ceiling, the tenant's value.
    quota: Vec<(Option<u32>, Option<u32>, Option<u32>)>,
    /// `defaultDeny`, `allowDns` of the tier, and the tenant's (when set).
    default_deny: (bool, Option<bool>),
    allow_dns: (bool, Option<bool>),
}

fn case() -> impl Strategy<Value = Case> {
    let value = || proptest::option::of(1u32..40);
    (
        0usize..3,
        proptest::option::of(0usize..3),
        proptest::collection::vec((value(), value(), value()), KEYS.len()),
        (any::<bool>(), proptest::option::of(any::<bool>())),
        (any::<bool>(), proptest::option::of(any::<bool>())),
    )
        .prop_map(
            |(tier_level, tenant_level, quota, default_deny, allow_dns)| Case {
                tier_level,
                tenant_level,
                quota,
                default_deny,
                allow_dns,
            },
        )
}

impl Case {
    fn files(&self) -> Vec<(String, Vec<u8>)> {
        let mut quota = serde_json::Map::new();
        let mut ceilings = serde_json::Map::new();
        let mut mine = serde_json::Map::new();
        for (key, (tier, ceiling, tenant)) in KEYS.iter().zip(&self.quota) {
            if let Some(v) = tier {
                quota.insert(key.to_string(), v.to_string().into());
            }
            if let Some(v) = ceiling {
                ceilings.insert(key.to_string(), v.to_string().into());
            }
            if let Some(v) = tenant {
                mine.insert(key.to_string(), v.to_string().into());
            }
        }
        let tier = serde_json::json!({
            "apiVersion": "tenantc.dev/v1alpha1", "kind": "Tier", "metadata": {"name": "t"},
            "spec": {
                "podSecurity": LEVELS[self.tier_level],
                "quota": quota,
                "limits": {"container": {"default": {"cpu": "1", "memory": "1Gi"},
                                         "defaultRequest": {"cpu": "1", "memory": "1Gi"}}},
                "network": {"defaultDeny": self.default_deny.0, "allowDns": self.allow_dns.0},
                "guardrails": {"quota": ceilings},
            },
        });
        let mut overrides = serde_json::json!({"quota": mine, "network": {}});
        if let Some(level) = self.tenant_level {
            overrides["podSecurity"] = LEVELS[level].into();
        }
        if let Some(on) = self.default_deny.1 {
            overrides["network"]["defaultDeny"] = on.into();
        }
        if let Some(on) = self.allow_dns.1 {
            overrides["network"]["allowDns"] = on.into();
        }
        let tenant = serde_json::json!({
            "apiVersion": "tenantc.dev/v1alpha1", "kind": "Tenant", "metadata": {"name": "acme"},
            "spec": {"tier": "t", "access": {"admins": {"groups": ["acme-admins"]}},
                     "overrides": overrides},
        });
        [("tiers/t.yaml", tier), ("tenants/acme.yaml", tenant)]
            .into_iter()
            .map(|(p, v)| (p.to_string(), serde_json::to_vec_pretty(&v).unwrap()))
            .collect()
    }

    /// The codes the guard must report, by the rules README's "Guardrails" states.
    fn expected(&self) -> BTreeSet<&'static str> {
        let mut codes = BTreeSet::new();
        if self.tenant_level.is_some_and(|l| l > self.tier_level) {
            codes.insert("E0702");
        }
        for (tier, ceiling, tenant) in &self.quota {
            let bound = match (tier, ceiling) {
                (None, None) => None,
                (a, b) => (*a).max(*b),
            };
            if let (Some(v), Some(b)) = (tenant, bound)
                && v > &b
            {
                codes.insert("E0705");
            }
        }
        let loosened_deny = self.default_deny.0 && self.default_deny.1 == Some(false);
        let loosened_dns = !self.allow_dns.0 && self.allow_dns.1 == Some(true);
        if loosened_deny || loosened_dns {
            codes.insert("E0703");
        }
        codes
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(128))]

    #[test]
    fn the_guard_refuses_exactly_the_loosenings(case in case()) {
        let repo = MemoryRepo::from_files(case.files());
        let compiled = tenantc::pipeline::compile_input(Input::Memory(&repo)).unwrap();
        let reported: BTreeSet<String> = compiled
            .diagnostics
            .iter()
            .filter(|d| d.code.number >= 700 && d.is_error())
            .map(|d| d.code.to_string())
            .collect();
        let expected: BTreeSet<String> = case.expected().into_iter().map(String::from).collect();
        prop_assert_eq!(reported, expected);
    }
}
