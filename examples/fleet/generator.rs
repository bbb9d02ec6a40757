//! A deterministic fleet generator: a realistic platform repository of any number of tenants.
//!
//! Shared by `examples/gen-fleet.rs` (the command) and `benches/fleet.rs` (the benchmark).
//! The fleet mirrors this repository's example: the same `platform.yaml` settings, the same
//! nine tiers (namespace, node-pool on AWS, GCP and Azure, Kamaji clusters with a dedicated
//! or the shared DataStore) and the same add-on templates, with tenants spread across the
//! tiers and into subdirectories of `tenants/`.
//!
//! There is no randomness: every choice is a function of the tenant's index (a fixed-seed
//! SplitMix64 hash), so the same `--tenants` gives the same bytes on every machine, and a
//! smaller fleet is a prefix of a larger one (tenant `k` is the same in both). Cluster
//! tenants get pod and service ranges allocated in order from private pools, skipping the
//! platform's reserved ranges, so no two ranges ever overlap.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::io;
use std::net::Ipv4Addr;
use std::path::Path;

/// The seed of every choice.
const SEED: u64 = 0x7e4a_47c0_f1ee_7001;

/// A generated platform repository, in memory.
pub struct Fleet {
    /// Every file, as (path relative to the repository, contents), platform and tiers first.
    pub files: Vec<(String, String)>,
    /// The tenants, by index.
    pub tenants: Vec<TenantPlan>,
    /// A namespace-isolated `standard` tenant with a quota override (`pods`), in the middle
    /// of the fleet: the benchmark's "one tenant changed" edits it.
    pub probe: usize,
    /// A `premium` tenant with all three environments and Argo CD apps: the benchmark's
    /// `cmp generate` renders it.
    pub cmp: usize,
}

/// One tenant: everything its file says.
#[derive(Debug, Clone)]
pub struct TenantPlan {
    /// The tenant's index in the fleet.
    pub index: usize,
    /// `metadata.name`.
    pub name: String,
    /// The file, relative to the repository: `tenants/<group>/<subdirectory>/<name>.yaml`.
    pub path: String,
    /// The tier.
    pub tier: &'static Tier,
    /// `displayName`.
    pub display_name: String,
    /// `costCenter`.
    pub cost_center: &'static str,
    /// `billingCode`.
    pub billing_code: Option<String>,
    /// `lifecycle`.
    pub lifecycle: &'static str,
    /// `access.admins`, `access.developers`, `access.viewers`.
    pub access: [Subjects; 3],
    /// `environments`: a subset of the tier's, or all of them.
    pub environments: Option<Vec<&'static str>>,
    /// `labels`.
    pub labels: Vec<(&'static str, String)>,
    /// `network` (pod CIDR, service CIDR), for cluster tiers.
    pub network: Option<(String, String)>,
    /// `gitops.apps`.
    pub apps: Vec<App>,
    /// `overrides`.
    pub overrides: Overrides,
}

/// Users and groups of one role.
#[derive(Debug, Clone, Default)]
pub struct Subjects {
    /// User names.
    pub users: Vec<String>,
    /// Group names.
    pub groups: Vec<String>,
}

/// One Argo CD application of a tenant.
#[derive(Debug, Clone)]
pub struct App {
    /// `name`.
    pub name: &'static str,
    /// `repoURL`.
    pub repo_url: String,
    /// `path`.
    pub path: String,
    /// `targetRevision`.
    pub target_revision: String,
    /// `environment`, absent for tiers without environments.
    pub environment: Option<&'static str>,
}

/// What a tenant changes of its tier.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    /// `overrides.quota`, in order.
    pub quota: Vec<(&'static str, String)>,
    /// `overrides.network.egress`: a rule to the card processor instead of the tier's.
    pub card_processor_egress: bool,
    /// `overrides.nodePool.scaling` (min, desired, max).
    pub scaling: Option<(u32, u32, u32)>,
    /// `overrides.cluster.workers`.
    pub workers: Option<u32>,
}

impl Overrides {
    fn is_empty(&self) -> bool {
        self.quota.is_empty()
            && !self.card_processor_egress
            && self.scaling.is_none()
            && self.workers.is_none()
    }
}

/// What the generator knows about a tier.
#[derive(Debug)]
pub struct Tier {
    /// The tier's name.
    pub name: &'static str,
    /// `namespace`, `nodePool` or `cluster`.
    pub isolation: &'static str,
    /// The node pool's cloud, for node-pool tiers.
    pub provider: Option<&'static str>,
    /// The environments, in order (empty: one namespace).
    pub environments: &'static [&'static str],
    /// How many of every 100 tenants subscribe to it.
    pub weight: u64,
    /// The file `tiers/<name>.yaml`.
    pub yaml: &'static str,
}

/// The tiers, mirroring this repository's `tiers/`.
pub static TIERS: [Tier; 9] = [
    Tier {
        name: "free",
        isolation: "namespace",
        provider: None,
        environments: &[],
        weight: 20,
        yaml: TIER_FREE,
    },
    Tier {
        name: "standard",
        isolation: "namespace",
        provider: None,
        environments: &["dev", "prod"],
        weight: 30,
        yaml: TIER_STANDARD,
    },
    Tier {
        name: "premium",
        isolation: "namespace",
        provider: None,
        environments: &["dev", "staging", "prod"],
        weight: 18,
        yaml: TIER_PREMIUM,
    },
    Tier {
        name: "enterprise",
        isolation: "namespace",
        provider: None,
        environments: &["staging", "prod"],
        weight: 8,
        yaml: TIER_ENTERPRISE,
    },
    Tier {
        name: "gpu-dedicated",
        isolation: "nodePool",
        provider: Some("aws"),
        environments: &["dev", "prod"],
        weight: 5,
        yaml: TIER_GPU_DEDICATED,
    },
    Tier {
        name: "batch-spot",
        isolation: "nodePool",
        provider: Some("gcp"),
        environments: &[],
        weight: 5,
        yaml: TIER_BATCH_SPOT,
    },
    Tier {
        name: "isolated-nodes",
        isolation: "nodePool",
        provider: Some("azure"),
        environments: &["staging", "prod"],
        weight: 6,
        yaml: TIER_ISOLATED_NODES,
    },
    Tier {
        name: "dedicated-cluster",
        isolation: "cluster",
        provider: None,
        environments: &["staging", "prod"],
        weight: 3,
        yaml: TIER_DEDICATED_CLUSTER,
    },
    Tier {
        name: "hosted-cluster",
        isolation: "cluster",
        provider: None,
        environments: &[],
        weight: 5,
        yaml: TIER_HOSTED_CLUSTER,
    },
];

/// Generates a fleet of `count` tenants.
///
/// Fails only when the address pools cannot give every cluster tenant its own ranges
/// (beyond about 8,000 cluster tenants, some 170,000 tenants in all).
pub fn generate(count: usize) -> Result<Fleet, String> {
    let mut files = vec![("platform.yaml".to_string(), PLATFORM.to_string())];
    for tier in &TIERS {
        files.push((format!("tiers/{}.yaml", tier.name), tier.yaml.to_string()));
    }
    for (path, text) in TEMPLATES {
        files.push((path.to_string(), text.to_string()));
    }
    let mut cidrs = CidrAllocator::new();
    let mut tenants = Vec::with_capacity(count);
    for index in 0..count {
        let mut plan = plan_tenant(index);
        if plan.tier.isolation == "cluster" {
            plan.network = Some(cidrs.next().ok_or_else(|| {
                format!(
                    "the address pools are exhausted after {} cluster tenants; generate fewer tenants",
                    cidrs.allocated
                )
            })?);
        }
        files.push((plan.path.clone(), tenant_yaml(&plan)));
        tenants.push(plan);
    }
    let middle = count / 2;
    let probe = (middle..count)
        .chain(0..middle)
        .find(|&i| is_probe(&tenants[i]))
        .unwrap_or(0);
    let cmp = (middle..count)
        .chain(0..middle)
        .find(|&i| is_cmp(&tenants[i]))
        .unwrap_or(0);
    Ok(Fleet {
        files,
        tenants,
        probe,
        cmp,
    })
}

fn is_probe(t: &TenantPlan) -> bool {
    t.tier.name == "standard"
        && t.lifecycle == "active"
        && t.overrides.quota.iter().any(|(k, _)| *k == "pods")
}

fn is_cmp(t: &TenantPlan) -> bool {
    t.tier.name == "premium"
        && t.lifecycle == "active"
        && t.environments.is_none()
        && !t.apps.is_empty()
}

impl Fleet {
    /// Writes the repository into `dir`, which must be absent or empty.
    pub fn write(&self, dir: &Path) -> io::Result<()> {
        if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
            return Err(io::Error::new(
                io::ErrorKind::AlreadyExists,
                format!("`{}` is not empty", dir.display()),
            ));
        }
        let mut made = BTreeSet::new();
        for (path, text) in &self.files {
            let file = dir.join(path);
            if let Some(parent) = file.parent()
                && made.insert(parent.to_path_buf())
            {
                std::fs::create_dir_all(parent)?;
            }
            std::fs::write(&file, text)?;
        }
        Ok(())
    }

    /// Counts for a summary: (what, how many).
    pub fn summary(&self) -> Vec<(String, usize)> {
        let mut rows = Vec::new();
        for tier in &TIERS {
            let n = self
                .tenants
                .iter()
                .filter(|t| std::ptr::eq(t.tier, tier))
                .count();
            let kind = match (tier.isolation, tier.provider) {
                ("nodePool", Some(p)) => format!("nodePool/{p}"),
                (i, _) => i.to_string(),
            };
            rows.push((format!("tier {} ({kind})", tier.name), n));
        }
        let count = |f: &dyn Fn(&TenantPlan) -> bool| self.tenants.iter().filter(|t| f(t)).count();
        rows.push((
            "namespaces".into(),
            self.tenants.iter().map(namespaces).sum(),
        ));
        rows.push(("suspended".into(), count(&|t| t.lifecycle == "suspended")));
        rows.push((
            "decommissioned".into(),
            count(&|t| t.lifecycle == "decommissioned"),
        ));
        rows.push((
            "with an environment subset".into(),
            count(&|t| t.environments.is_some()),
        ));
        rows.push(("with overrides".into(), count(&|t| !t.overrides.is_empty())));
        rows.push((
            "Argo CD apps".into(),
            self.tenants.iter().map(|t| t.apps.len()).sum(),
        ));
        let dirs: BTreeSet<&str> = self
            .tenants
            .iter()
            .filter_map(|t| t.path.rsplit_once('/').map(|(d, _)| d))
            .collect();
        rows.push(("tenant directories".into(), dirs.len()));
        rows
    }
}

/// How many namespaces a tenant gets.
pub fn namespaces(t: &TenantPlan) -> usize {
    match &t.environments {
        Some(envs) => envs.len(),
        None => t.tier.environments.len().max(1),
    }
}

/// SplitMix64 of the index and a salt: the generator's only source of variety.
fn hash(index: usize, salt: u64) -> u64 {
    let mut z = SEED
        .wrapping_add((index as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15))
        .wrapping_add(salt.wrapping_mul(0xd1b5_4a32_d192_ed03));
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

fn pick<T: Copy>(list: &[T], index: usize, salt: u64) -> T {
    list[(hash(index, salt) % list.len() as u64) as usize]
}

fn percent(index: usize, salt: u64) -> u64 {
    hash(index, salt) % 100
}

const ADJECTIVES: [&str; 40] = [
    "amber", "arctic", "azure", "bold", "brave", "bright", "calm", "cedar", "clear", "cobalt",
    "coral", "crimson", "daring", "eager", "ember", "fair", "fleet", "gentle", "golden", "granite",
    "hidden", "indigo", "ivory", "jade", "keen", "lucky", "lunar", "maple", "misty", "noble",
    "onyx", "polar", "quiet", "rapid", "silver", "solar", "stellar", "swift", "tidal", "vivid",
];

const NOUNS: [&str; 40] = [
    "anchor", "badger", "beacon", "bison", "canyon", "cinder", "comet", "condor", "delta", "dune",
    "falcon", "fjord", "forge", "garnet", "glacier", "harbor", "heron", "horizon", "lagoon",
    "lynx", "meadow", "mesa", "nebula", "orbit", "osprey", "otter", "pine", "prairie", "quartz",
    "raven", "reef", "ridge", "summit", "tundra", "valley", "vertex", "willow", "wren", "yak",
    "zephyr",
];

const REGIONS: [&str; 4] = ["emea", "amer", "apac", "latam"];

const DEPARTMENTS: [(&str, &str); 5] = [
    ("engineering", "ENG"),
    ("research", "RES"),
    ("media", "MED"),
    ("fintech", "FIN"),
    ("data", "DAT"),
];

const SUFFIXES: [&str; 6] = ["Corp", "Ltd", "Inc.", "GmbH", "Group", "& Co"];

const APP_NAMES: [&str; 8] = [
    "api",
    "frontend",
    "worker",
    "inference",
    "storefront",
    "etl",
    "search",
    "billing",
];

fn title(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
        .unwrap_or_default()
}

/// Tenant `index`'s tier: the first nine tenants take one tier each, so that every tier is
/// used by any fleet; after them, tiers are drawn by weight.
fn tier_of(index: usize) -> &'static Tier {
    if index < TIERS.len() {
        return &TIERS[index];
    }
    let mut roll = hash(index, 1) % TIERS.iter().map(|t| t.weight).sum::<u64>();
    for tier in &TIERS {
        if roll < tier.weight {
            return tier;
        }
        roll -= tier.weight;
    }
    unreachable!("weights cover every roll")
}

fn plan_tenant(index: usize) -> TenantPlan {
    let tier = tier_of(index);
    // The first nine tenants are plain: active, all environments, no overrides.
    let plain = index < TIERS.len();
    let adjective = pick(&ADJECTIVES, index, 2);
    let noun = pick(&NOUNS, index, 3);
    let name = format!("{adjective}-{noun}-{index:05}");
    let internal = percent(index, 4) < 25;
    let (cost_center, code) = if internal {
        pick(&DEPARTMENTS, index, 5)
    } else {
        ("customers", "BC")
    };
    let dir = if internal {
        format!("tenants/internal/{cost_center}")
    } else {
        format!(
            "tenants/customers/{}/{}",
            pick(&REGIONS, index, 6),
            &adjective[..1]
        )
    };
    let display_name = if internal {
        format!("{} {} team", title(adjective), title(noun))
    } else {
        format!(
            "{} {} {}",
            title(adjective),
            title(noun),
            pick(&SUFFIXES, index, 7)
        )
    };
    let billing_code = match (internal, percent(index, 8)) {
        (true, p) if p < 30 => None,
        (true, _) => Some(format!("INT-{code}-{:03}", index % 1000)),
        (false, _) => Some(format!("BC-{index:05}")),
    };
    let lifecycle = match percent(index, 9) {
        _ if plain => "active",
        0..2 => "suspended",
        2 => "decommissioned",
        _ => "active",
    };
    let access = access(&name, index, plain);
    let environments = environment_subset(tier, index, plain);
    let mut labels = Vec::new();
    match (internal, percent(index, 10)) {
        (_, _) if plain => {}
        (true, p) if p < 80 => labels.push(("team", noun.to_string())),
        (false, p) if p < 60 => labels.push(("customer", format!("{adjective}-{noun}"))),
        _ => {}
    }
    if !plain && percent(index, 11) < 5 {
        labels.push(("compliance", "pci-dss".to_string()));
    }
    let envs: Vec<&'static str> = environments
        .clone()
        .unwrap_or_else(|| tier.environments.to_vec());
    let apps = apps(&name, index, &envs, lifecycle);
    let overrides = if plain {
        Overrides::default()
    } else {
        overrides(tier, index)
    };
    TenantPlan {
        index,
        path: format!("{dir}/{name}.yaml"),
        name,
        tier,
        display_name,
        cost_center,
        billing_code,
        lifecycle,
        access,
        environments,
        labels,
        network: None,
        apps,
        overrides,
    }
}

fn access(name: &str, index: usize, plain: bool) -> [Subjects; 3] {
    let mut admins = Subjects::default();
    let mut developers = Subjects::default();
    let mut viewers = Subjects::default();
    match percent(index, 12) {
        // Identity-provider groups, like `globex`.
        0..20 => {
            admins.groups = vec![
                format!("oidc:{name}-platform-admins"),
                format!("oidc:{name}-sre"),
            ];
            developers.groups = vec![format!("oidc:{name}-developers")];
        }
        // A named admin and groups, like `acme-corp`.
        20..60 => {
            admins.users = vec![format!("admin@{name}.example")];
            admins.groups = vec![format!("{name}-admins")];
            developers.groups = vec![format!("{name}-devs")];
        }
        // Groups only.
        60..90 => {
            admins.groups = vec![format!("{name}-admins")];
            if percent(index, 13) < 70 {
                developers.groups = vec![format!("{name}-devs")];
            }
        }
        // A small team of named people, like `docs-team`.
        _ => {
            admins.users = vec![format!("lead@{name}.example")];
            let n = 1 + (hash(index, 14) % 3) as usize;
            developers.users = (0..n).map(|k| format!("dev{k}@{name}.example")).collect();
        }
    }
    match percent(index, 15) {
        _ if plain => viewers.groups = vec![format!("{name}-viewers")],
        0..30 => viewers.groups = vec![format!("{name}-viewers")],
        30..45 => viewers.groups = vec!["auditors".into()],
        45..55 => viewers.groups = vec!["data-science".into(), format!("{name}-viewers")],
        _ => {}
    }
    if plain && developers.is_empty() {
        developers.groups = vec![format!("{name}-devs")];
    }
    [admins, developers, viewers]
}

impl Subjects {
    fn is_empty(&self) -> bool {
        self.users.is_empty() && self.groups.is_empty()
    }
}

/// A subset of the tier's environments for some tenants; always ending with the last one.
fn environment_subset(tier: &Tier, index: usize, plain: bool) -> Option<Vec<&'static str>> {
    let all = tier.environments;
    if plain || all.len() < 2 {
        return None;
    }
    match percent(index, 16) {
        0..12 => Some(vec![all[all.len() - 1]]),
        12..20 if all.len() > 2 => Some(all[1..].to_vec()),
        _ => None,
    }
}

fn apps(name: &str, index: usize, envs: &[&'static str], lifecycle: &str) -> Vec<App> {
    let count = match (lifecycle, hash(index, 17) % 10) {
        ("decommissioned", _) => 0,
        (_, 0..3) => 0,
        (_, 3..7) => 1,
        (_, 7..9) => 2,
        _ => 3,
    };
    let first = (hash(index, 18) % APP_NAMES.len() as u64) as usize;
    (0..count)
        .map(|k| {
            let app = APP_NAMES[(first + k) % APP_NAMES.len()];
            let environment = (!envs.is_empty()).then(|| envs[(index + k) % envs.len()]);
            let path = match environment {
                Some(env) if k.is_multiple_of(2) => format!("deploy/{env}"),
                _ => "deploy".to_string(),
            };
            let target_revision = if hash(index, 19 + k as u64).is_multiple_of(3) {
                format!("v{}.{}.0", 1 + index % 4, index % 20)
            } else {
                "main".to_string()
            };
            App {
                name: app,
                repo_url: format!("https://git.example.com/{name}/{app}.git"),
                path,
                target_revision,
                environment,
            }
        })
        .collect()
}

fn overrides(tier: &Tier, index: usize) -> Overrides {
    let mut o = Overrides::default();
    let roll = percent(index, 20);
    if roll >= 25 {
        return o;
    }
    let quota = |pairs: &[(&'static str, &str)]| -> Vec<(&'static str, String)> {
        pairs.iter().map(|(k, v)| (*k, v.to_string())).collect()
    };
    let second = roll.is_multiple_of(2);
    match tier.name {
        "free" => o.quota = quota(&[("pods", "40")]),
        "standard" if second => {
            o.quota = quota(&[("requests.memory", "32Gi"), ("limits.memory", "64Gi")]);
        }
        "standard" => o.quota = quota(&[("pods", "60")]),
        "premium" if second => o.quota = quota(&[("requests.nvidia.com/gpu", "20")]),
        "premium" => o.quota = quota(&[("pods", "200"), ("requests.cpu", "30")]),
        "enterprise" => o.quota = quota(&[("requests.nvidia.com/gpu", "16")]),
        "gpu-dedicated" if second => o.scaling = Some((1, 3, 12)),
        "gpu-dedicated" => o.quota = quota(&[("requests.nvidia.com/gpu", "16")]),
        "batch-spot" => o.scaling = Some((0, 2, 40)),
        "isolated-nodes" => o.quota = quota(&[("pods", "300")]),
        "dedicated-cluster" => o.workers = Some(9),
        "hosted-cluster" => {
            o.quota = quota(&[("requests.cpu", "32"), ("requests.memory", "128Gi")])
        }
        _ => {}
    }
    // Like the example's `payments`: egress only to the card processor.
    if tier.isolation == "namespace" && tier.name != "free" && roll < 4 {
        o.card_processor_egress = true;
    }
    o
}

/// Hands out /21 pod ranges and /24 service ranges in order, skipping the platform's
/// reserved ranges (`platform.yaml` `spec.clusters.reservedCidrs`).
struct CidrAllocator {
    pods: Blocks,
    services: Blocks,
    allocated: usize,
}

/// Consecutive blocks of one size from a list of pools.
struct Blocks {
    pools: Vec<(u32, u32)>,
    prefix: u8,
    pool: usize,
    next: u32,
}

/// `platform.yaml`'s reserved ranges.
const RESERVED: [(Ipv4Addr, u8); 3] = [
    (Ipv4Addr::new(10, 96, 0, 0), 12),
    (Ipv4Addr::new(10, 244, 0, 0), 16),
    (Ipv4Addr::new(10, 8, 0, 0), 16),
];

fn range(addr: Ipv4Addr, prefix: u8) -> (u32, u32) {
    let start = u32::from(addr);
    (start, start + ((1u64 << (32 - prefix)) - 1) as u32)
}

impl Blocks {
    fn new(pools: &[(Ipv4Addr, u8)], prefix: u8) -> Self {
        let pools: Vec<(u32, u32)> = pools.iter().map(|&(a, p)| range(a, p)).collect();
        let next = pools[0].0;
        Self {
            pools,
            prefix,
            pool: 0,
            next,
        }
    }

    fn next(&mut self) -> Option<String> {
        let size = 1u64 << (32 - self.prefix);
        while self.pool < self.pools.len() {
            let (_, end) = self.pools[self.pool];
            let start = self.next;
            let last = u64::from(start) + size - 1;
            if last > u64::from(end) {
                self.pool += 1;
                if let Some(&(s, _)) = self.pools.get(self.pool) {
                    self.next = s;
                }
                continue;
            }
            self.next = (last + 1).min(u64::from(u32::MAX)) as u32;
            let last = last as u32;
            let reserved = RESERVED.iter().any(|&(a, p)| {
                let (rs, re) = range(a, p);
                start <= re && rs <= last
            });
            if !reserved {
                return Some(format!("{}/{}", Ipv4Addr::from(start), self.prefix));
            }
        }
        None
    }
}

impl CidrAllocator {
    fn new() -> Self {
        Self {
            pods: Blocks::new(
                &[
                    (Ipv4Addr::new(10, 0, 0, 0), 8),
                    (Ipv4Addr::new(172, 16, 0, 0), 12),
                ],
                21,
            ),
            services: Blocks::new(&[(Ipv4Addr::new(100, 64, 0, 0), 10)], 24),
            allocated: 0,
        }
    }

    fn next(&mut self) -> Option<(String, String)> {
        let pair = (self.pods.next()?, self.services.next()?);
        self.allocated += 1;
        Some(pair)
    }
}

/// A YAML scalar: plain when that is unambiguous, else double-quoted (JSON quoting is valid
/// YAML).
fn scalar(text: &str) -> String {
    let plain = text.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./@".contains(c))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        );
    if plain {
        text.to_string()
    } else {
        serde_json::to_string(text).expect("a string serializes")
    }
}

fn flow_list(items: &[String]) -> String {
    let items: Vec<String> = items.iter().map(|s| scalar(s)).collect();
    format!("[{}]", items.join(", "))
}

fn subjects_yaml(s: &Subjects) -> String {
    let mut parts = Vec::new();
    if !s.users.is_empty() {
        parts.push(format!("users: {}", flow_list(&s.users)));
    }
    if !s.groups.is_empty() {
        parts.push(format!("groups: {}", flow_list(&s.groups)));
    }
    format!("{{{}}}", parts.join(", "))
}

/// The tenant's file.
pub fn tenant_yaml(t: &TenantPlan) -> String {
    let mut y = String::new();
    let _ = writeln!(
        y,
        "# gen-fleet tenant #{} on the {} tier.",
        t.index, t.tier.name
    );
    y.push_str("apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n");
    let _ = writeln!(y, "  name: {}", t.name);
    y.push_str("spec:\n");
    let _ = writeln!(y, "  tier: {}", t.tier.name);
    let _ = writeln!(y, "  displayName: {}", scalar(&t.display_name));
    let _ = writeln!(y, "  costCenter: {}", t.cost_center);
    if let Some(code) = &t.billing_code {
        let _ = writeln!(y, "  billingCode: {code}");
    }
    if t.lifecycle != "active" {
        let _ = writeln!(y, "  lifecycle: {}", t.lifecycle);
    }
    if let Some(envs) = &t.environments {
        let envs: Vec<String> = envs.iter().map(|e| e.to_string()).collect();
        let _ = writeln!(y, "  environments: {}", flow_list(&envs));
    }
    y.push_str("  access:\n");
    for (role, subjects) in ["admins", "developers", "viewers"].iter().zip(&t.access) {
        if !subjects.is_empty() {
            let _ = writeln!(y, "    {role}: {}", subjects_yaml(subjects));
        }
    }
    if !t.labels.is_empty() {
        let labels: Vec<String> = t
            .labels
            .iter()
            .map(|(k, v)| format!("{k}: {}", scalar(v)))
            .collect();
        let _ = writeln!(y, "  labels: {{{}}}", labels.join(", "));
    }
    if let Some((pod, service)) = &t.network {
        let _ = writeln!(y, "  network: {{podCidr: {pod}, serviceCidr: {service}}}");
    }
    if !t.apps.is_empty() {
        y.push_str("  gitops:\n    apps:\n");
        for app in &t.apps {
            let _ = write!(
                y,
                "      - {{name: {}, repoURL: {}, path: {}, targetRevision: {}",
                app.name,
                serde_json::to_string(&app.repo_url).expect("a string serializes"),
                app.path,
                scalar(&app.target_revision)
            );
            if let Some(env) = app.environment {
                let _ = write!(y, ", environment: {env}");
            }
            y.push_str("}\n");
        }
    }
    let o = &t.overrides;
    if !o.is_empty() {
        y.push_str("  overrides:\n");
        if !o.quota.is_empty() {
            let pairs: Vec<String> = o
                .quota
                .iter()
                .map(|(k, v)| format!("{k}: {}", serde_json::to_string(v).expect("a string")))
                .collect();
            let _ = writeln!(y, "    quota: {{{}}}", pairs.join(", "));
        }
        if o.card_processor_egress {
            y.push_str(
                "    network:\n      egress:\n        - name: card-processor\n          cidr: 203.0.113.0/24\n          ports: [\"443/TCP\"]\n",
            );
        }
        if let Some((min, desired, max)) = o.scaling {
            let _ = writeln!(
                y,
                "    nodePool: {{scaling: {{min: {min}, desired: {desired}, max: {max}}}}}"
            );
        }
        if let Some(workers) = o.workers {
            let _ = writeln!(y, "    cluster: {{workers: {workers}}}");
        }
    }
    y
}

const PLATFORM: &str = r#"# A generated fleet (gen-fleet); the settings mirror tenantc's example platform.yaml.
apiVersion: tenantc.dev/v1alpha1
kind: Platform
metadata:
  name: generated-fleet
spec:
  naming:
    namespaceTemplate: "{{ tenant }}-{{ env }}"
    singleNamespaceTemplate: "{{ tenant }}"
  governanceLabels:
    genops.ai/tenant-id: "{{ tenant.name }}"
    cost-center: "{{ tenant.costCenter }}"
    billing-code: "{{ tenant.billingCode }}"
  governanceAnnotations:
    tenantc.dev/owner-tier: "{{ tier }}"
  tierDefaults:
    network:
      defaultDeny: true
      allowDns: true
      allowSameTenant: true
      egress:
        - name: observability
          namespaceLabels: {kubernetes.io/metadata.name: observability}
          podLabels: {app: otel-collector}
          ports: ["4317/TCP", "4318/TCP"]
    limits:
      container:
        defaultRequest: {cpu: 100m, memory: 128Mi}
        default: {cpu: 500m, memory: 512Mi}
  argocd:
    namespace: argocd
    repoURL: https://git.example.com/platform/tenants.git
    targetRevision: main
    outPath: out
    project: platform
    rootApplication: tenantc
    tenantSourceRepos: ["https://git.example.com/*"]
  sharedServices:
    dns:
      namespace: kube-system
      podLabels: {k8s-app: kube-dns}
  nodePools:
    placement: kyverno
    terraform:
      backend:
        s3: {bucket: example-platform-tfstate, key: tenants/node-groups.tfstate, region: eu-west-1}
    aws:
      region: eu-west-1
      clusterName: platform-prod
      nodeRoleArn: arn:aws:iam::123456789012:role/platform-prod-nodes
      subnetIds: [subnet-0a1b2c3d4e5f60001, subnet-0a1b2c3d4e5f60002, subnet-0a1b2c3d4e5f60003]
    gcp:
      project: example-platform-batch
      location: europe-west1
      cluster: batch-prod
    azure:
      kubernetesClusterId: /subscriptions/00000000-0000-0000-0000-000000000000/resourceGroups/platform-prod/providers/Microsoft.ContainerService/managedClusters/platform-westeurope
  clusters:
    classNamespace: kmetal-capi-providers
    failureDomains: [zone-a, zone-b, zone-c]
    controlPlane: {replicas: 2, serviceType: LoadBalancer, kamajiNamespace: kamaji-system}
    dataStores:
      shared: default
    # The management cluster's pod and service ranges and the office VPN.
    reservedCidrs: [10.96.0.0/12, 10.244.0.0/16, 10.8.0.0/16]
"#;

const TEMPLATES: [(&str, &str); 2] = [
    (
        "templates/namespace/tenant-info.yaml",
        r#"# Rendered once per tenant namespace.
apiVersion: v1
kind: ConfigMap
metadata:
  name: tenant-info
data:
  tenant: {{ tenant.name }}
  tier: {{ tier }}
  environment: {{ env }}
  costCenter: {{ tenant.costCenter }}
  lifecycle: {{ tenant.lifecycle }}
"#,
    ),
    (
        "templates/tenant/quota-alerts.yaml",
        r#"# Rendered once per tenant, into its last (production) namespace.
apiVersion: monitoring.coreos.com/v1
kind: PrometheusRule
metadata:
  name: tenant-quota-alerts
  namespace: {{ namespaces | last }}
spec:
  groups:
    - name: {{ "tenant-" ~ tenant ~ "-quota" }}
      rules:
        - alert: TenantQuotaNearlyExhausted
          expr: {{ 'kube_resourcequota{namespace=~"' ~ namespaces | join("|") ~ '", type="used"} / ignoring(type) kube_resourcequota{type="hard"} > 0.9' }}
          for: 15m
          labels: {severity: warning, tenant: {{ tenant.name }}}
          annotations:
            summary: {{ "Tenant " ~ tenant ~ " uses more than 90% of a quota" }}
"#,
    ),
];

const TIER_FREE: &str = r#"apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: free
spec:
  isolation: namespace
  podSecurity: baseline
  quota:
    requests.cpu: "2"
    requests.memory: 4Gi
    limits.cpu: "4"
    limits.memory: 8Gi
    pods: "20"
    persistentvolumeclaims: "2"
    requests.storage: 10Gi
    services.loadbalancers: "0"
    services.nodeports: "0"
  limits:
    container:
      min: {cpu: 50m, memory: 64Mi}
      max: {cpu: "1", memory: 2Gi}
    persistentVolumeClaim:
      max: {storage: 5Gi}
  budget: {monthly: 0, currency: USD}
  guardrails:
    quota: {pods: "40"}
"#;

const TIER_STANDARD: &str = r#"apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: standard
spec:
  isolation: namespace
  podSecurity: restricted
  priorityClass: {name: tenant-standard, value: 10000, description: Workloads of standard-tier tenants}
  environments:
    - {name: dev, quotaShare: 0.4, podSecurity: baseline}
    - {name: prod, quotaShare: 0.6}
  quota:
    requests.cpu: "10"
    requests.memory: 20Gi
    limits.cpu: "20"
    limits.memory: 40Gi
    requests.storage: 200Gi
    persistentvolumeclaims: "10"
    pods: "50"
    services.loadbalancers: "5"
    services.nodeports: "10"
  limits:
    container:
      min: {cpu: 50m, memory: 64Mi}
      max: {cpu: "4", memory: 8Gi}
    pod:
      max: {cpu: "8", memory: 16Gi}
    persistentVolumeClaim:
      min: {storage: 1Gi}
      max: {storage: 50Gi}
  network:
    ingress:
      - name: from-gateway
        namespaceLabels: {kubernetes.io/metadata.name: api-gateway}
        ports: ["8080/TCP"]
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 1500, currency: USD}
  guardrails:
    quota: {requests.memory: 32Gi, limits.memory: 64Gi, pods: "60"}
    network:
      egress: {cidrs: [203.0.113.0/24]}
"#;

const TIER_PREMIUM: &str = r#"apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: premium
spec:
  isolation: namespace
  podSecurity: restricted
  priorityClass: {name: tenant-high, value: 100000, description: Workloads of premium-tier tenants}
  environments:
    - {name: dev, quotaShare: 0.3, podSecurity: baseline}
    - {name: staging, quotaShare: 0.2}
    - {name: prod, quotaShare: 0.5}
  quota:
    requests.cpu: "20"
    requests.memory: 40Gi
    requests.nvidia.com/gpu: "10"
    limits.cpu: "40"
    limits.memory: 80Gi
    requests.storage: 500Gi
    persistentvolumeclaims: "20"
    pods: "100"
    services.loadbalancers: "10"
    services.nodeports: "20"
  limits:
    container:
      default: {cpu: "1", memory: 2Gi}
      defaultRequest: {cpu: 500m, memory: 1Gi}
      min: {cpu: 100m, memory: 128Mi}
      max: {cpu: "8", memory: 16Gi}
    pod:
      max: {cpu: "32", memory: 128Gi}
    persistentVolumeClaim:
      min: {storage: 1Gi}
      max: {storage: 100Gi}
  network:
    ingress:
      - name: from-gateway
        namespaceLabels: {kubernetes.io/metadata.name: api-gateway}
        ports: ["8080/TCP"]
    egress:
      - name: observability
        namespaceLabels: {kubernetes.io/metadata.name: observability}
        podLabels: {app: otel-collector}
        ports: ["4318/TCP"]
      - name: https
        cidr: 0.0.0.0/0
        except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
        ports: ["443/TCP"]
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 5000, currency: USD}
  guardrails:
    quota: {requests.nvidia.com/gpu: "20", pods: "200", requests.cpu: "30"}
    network:
      egress: {cidrs: [203.0.113.0/24]}
"#;

const TIER_ENTERPRISE: &str = r#"apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: enterprise
spec:
  isolation: namespace
  podSecurity: restricted
  priorityClass: {name: tenant-critical, value: 500000, description: Workloads of enterprise-tier tenants}
  environments:
    - {name: staging, quotaShare: 0.25}
    - {name: prod, quotaShare: 0.75}
  quota:
    requests.cpu: "64"
    requests.memory: 256Gi
    requests.nvidia.com/gpu: "8"
    limits.cpu: "128"
    limits.memory: 512Gi
    requests.storage: 2Ti
    persistentvolumeclaims: "100"
    pods: "400"
    services.loadbalancers: "4"
    services.nodeports: "8"
  limits:
    container:
      default: {cpu: "2", memory: 4Gi}
      defaultRequest: {cpu: "1", memory: 2Gi}
      min: {cpu: 100m, memory: 128Mi}
      max: {cpu: "16", memory: 64Gi}
    persistentVolumeClaim:
      min: {storage: 1Gi}
      max: {storage: 1Ti}
  network:
    ingress:
      - name: from-gateway
        namespaceLabels: {kubernetes.io/metadata.name: api-gateway}
        ports: ["8080/TCP", "8443/TCP"]
      - name: from-monitoring
        namespaceLabels: {kubernetes.io/metadata.name: monitoring}
        podLabels: {app.kubernetes.io/name: prometheus}
        ports: ["9090-9100/TCP"]
    egress:
      - name: https
        cidr: 0.0.0.0/0
        except: [10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16]
        ports: ["443/TCP"]
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 25000, currency: USD}
  guardrails:
    quota: {requests.nvidia.com/gpu: "16"}
    network:
      egress: {cidrs: [203.0.113.0/24]}
"#;

const TIER_GPU_DEDICATED: &str = r#"# Dedicated NVIDIA GPU nodes on EKS: an EKS managed node group per tenant.
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: gpu-dedicated
spec:
  isolation: nodePool
  podSecurity: restricted
  priorityClass: {name: tenant-high, value: 100000, description: Workloads of premium-tier tenants}
  environments:
    - {name: dev, quotaShare: 0.25, podSecurity: baseline}
    - {name: prod, quotaShare: 0.75}
  quota:
    requests.cpu: "64"
    requests.memory: 256Gi
    requests.nvidia.com/gpu: "8"
    limits.cpu: "128"
    limits.memory: 512Gi
    pods: "120"
    services.loadbalancers: "0"
    services.nodeports: "0"
  limits:
    container:
      default: {cpu: "2", memory: 8Gi}
      defaultRequest: {cpu: "1", memory: 4Gi}
  nodePool:
    provider: aws
    instanceTypes: [g5.12xlarge, g6.12xlarge]
    capacityType: ON_DEMAND
    scaling: {min: 1, desired: 2, max: 6}
    diskSizeGb: 500
    labels: {example.com/accelerator: nvidia}
    taints:
      - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 40000, currency: USD}
  guardrails:
    quota: {requests.nvidia.com/gpu: "16"}
    nodePool: {maxNodes: 12}
"#;

const TIER_BATCH_SPOT: &str = r#"# Interruptible batch capacity on GKE spot VMs: a node pool per tenant that scales to zero.
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: batch-spot
spec:
  isolation: nodePool
  podSecurity: restricted
  quota:
    requests.cpu: "96"
    requests.memory: 384Gi
    pods: "500"
    services.loadbalancers: "0"
  nodePool:
    provider: gcp
    instanceTypes: [c3-standard-22]
    capacityType: SPOT
    scaling: {min: 0, desired: 1, max: 20}
  budget: {monthly: 8000, currency: USD}
  guardrails:
    nodePool: {maxNodes: 40}
"#;

const TIER_ISOLATED_NODES: &str = r#"# Customers whose contracts forbid sharing nodes: an AKS node pool of their own.
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: isolated-nodes
spec:
  isolation: nodePool
  podSecurity: restricted
  environments:
    - {name: staging, quotaShare: 0.3}
    - {name: prod, quotaShare: 0.7}
  quota:
    requests.cpu: "24"
    requests.memory: 96Gi
    limits.cpu: "48"
    limits.memory: 192Gi
    pods: "150"
  nodePool:
    provider: azure
    instanceTypes: [Standard_D16s_v5]
    capacityType: ON_DEMAND
    scaling: {min: 2, desired: 2, max: 6}
    diskSizeGb: 256
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 12000, currency: EUR}
  guardrails:
    quota: {pods: "300"}
"#;

const TIER_DEDICATED_CLUSTER: &str = r#"# Hard multi-tenancy: a Kamaji-hosted control plane with its own etcd.
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: dedicated-cluster
spec:
  isolation: cluster
  podSecurity: restricted
  environments:
    - {name: staging, quotaShare: 0.3}
    - {name: prod, quotaShare: 0.7}
  quota:
    requests.cpu: "80"
    requests.memory: 320Gi
    pods: "600"
  cluster:
    kubernetesVersion: v1.34.1
    classRef: {name: kubevirt-kamaji}
    machineSize: large
    workers: 6
    dataStore: dedicated
  argocd:
    syncPolicy: {automated: {prune: true, selfHeal: true}}
  budget: {monthly: 30000, currency: USD}
  guardrails:
    cluster: {maxWorkers: 9}
"#;

const TIER_HOSTED_CLUSTER: &str = r#"# A cluster of its own on the platform's shared Kamaji DataStore.
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: hosted-cluster
spec:
  isolation: cluster
  podSecurity: restricted
  quota:
    requests.cpu: "16"
    requests.memory: 64Gi
    pods: "200"
  cluster:
    kubernetesVersion: v1.33.5
    classRef: {name: kubevirt-kamaji}
    machineSize: medium
    workers: 3
    dataStore: shared
  budget: {monthly: 6000, currency: USD}
  guardrails:
    quota: {requests.cpu: "32", requests.memory: 128Gi}
"#;
