//! The kustomize baseline: per-tenant overlays that make `kubectl kustomize` produce the same
//! Kubernetes governance objects as tenantc's `out/tenants/<tenant>/kubernetes/`.
//!
//! The layout is the one a platform team would write by hand:
//!
//! ```text
//! kustomize/bases/<tier>/<env>/          one base per tier and environment: every governance
//!                                        object of one namespace (Namespace, ResourceQuota,
//!                                        LimitRange, NetworkPolicies, Roles, RoleBindings,
//!                                        the add-ons, the Kyverno placement Policy)
//! kustomize/tenants/<tenant>/<ns>/       an overlay per tenant namespace: `namespace:`,
//!                                        `labels:` for the tenant's common labels, and
//!                                        `patches:` for what differs (the Namespace's labels
//!                                        and annotations, the scaled quota, the subjects of
//!                                        the RoleBindings, the same-tenant selectors, ...)
//! kustomize/tenants/<tenant>/            the tenant: a kustomization listing its namespaces
//! kustomize/fleet-<n>/                    the fleet (or its first n tenants by name): a
//!                                        kustomization listing every tenant
//! ```
//!
//! Each base is the rendered file of the first tenant (by name) with that tier and
//! environment; each overlay's patches are the JSON-patch difference between its base and the
//! tenant's rendered file, after the `namespace:` and `labels:` transformers, so the overlays
//! are exactly as large as the per-tenant variation and `kubectl kustomize` of a tenant gives
//! the objects tenantc gives (the benchmark checks this with an order-independent checksum).

use rayon::prelude::*;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The generated tree.
pub struct Tree {
    /// `kustomize/`.
    pub root: PathBuf,
    /// Per tenant (by name): its overlay directory and the checksum of tenantc's objects.
    pub tenants: BTreeMap<String, (PathBuf, Checksum)>,
    /// Files written.
    pub files: usize,
    /// Bases written.
    pub bases: usize,
    /// JSON-patch operations and `$patch: delete` patches in all overlays.
    pub patches: usize,
}

impl Tree {
    /// A kustomization listing `tenants`: the whole fleet, or its first part.
    pub fn fleet_kustomization(&self, tenants: &[&String]) -> Result<PathBuf, String> {
        let dir = self.root.join(format!("fleet-{}", tenants.len()));
        let mut k = String::from(
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
        );
        for name in tenants {
            let _ = writeln!(k, "- ../tenants/{name}");
        }
        write(&dir.join("kustomization.yaml"), &k)?;
        Ok(dir)
    }
}

/// An order-independent checksum of a set of objects: their count and the wrapping sum of
/// the SHA-256 (first 16 bytes) of each object's canonical JSON.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Checksum {
    /// Objects.
    pub count: usize,
    /// The sum.
    pub sum: u128,
}

impl Checksum {
    /// Adds one object.
    pub fn add(&mut self, doc: &Value) {
        let mut text = String::new();
        canonical(doc, &mut text);
        let digest = Sha256::digest(text.as_bytes());
        let mut first = [0u8; 16];
        first.copy_from_slice(&digest[..16]);
        self.sum = self.sum.wrapping_add(u128::from_le_bytes(first));
        self.count += 1;
    }

    /// Merges another checksum.
    pub fn merge(&mut self, other: Checksum) {
        self.sum = self.sum.wrapping_add(other.sum);
        self.count += other.count;
    }

    /// The checksum of a YAML stream.
    pub fn of_stream(text: &str) -> Result<Checksum, String> {
        let mut sum = Checksum::default();
        for doc in split_documents(text) {
            sum.add(&parse(doc)?);
        }
        Ok(sum)
    }
}

/// JSON with keys sorted at every level.
fn canonical(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            let sorted: BTreeMap<&String, &Value> = map.iter().collect();
            out.push('{');
            for (i, (k, v)) in sorted.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&serde_json::to_string(k).expect("a string serializes"));
                out.push(':');
                canonical(v, out);
            }
            out.push('}');
        }
        Value::Array(items) => {
            out.push('[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                canonical(v, out);
            }
            out.push(']');
        }
        other => out.push_str(&other.to_string()),
    }
}

/// The documents of a YAML stream whose separators are `---` lines.
pub fn split_documents(text: &str) -> impl Iterator<Item = &str> {
    text.split("\n---\n")
        .map(|d| d.strip_prefix("---\n").unwrap_or(d))
        .filter(|d| !d.trim().is_empty())
}

fn parse(doc: &str) -> Result<Value, String> {
    serde_saphyr::from_str::<Value>(doc).map_err(|e| format!("cannot parse a document: {e}"))
}

/// One namespace file of one tenant (the Helm baseline reads them too).
pub struct NamespaceFile {
    /// The file as tenantc wrote it.
    pub text: String,
    /// The namespace, and its tier and environment labels.
    pub namespace: String,
    pub tier: String,
    pub env: String,
    /// Its objects.
    pub docs: Vec<Value>,
}

fn read_file(path: &Path, text: &str) -> Result<NamespaceFile, String> {
    let docs = split_documents(text)
        .map(parse)
        .collect::<Result<Vec<_>, _>>()?;
    let ns = docs
        .iter()
        .find(|d| d["kind"] == "Namespace")
        .ok_or_else(|| format!("`{}` has no Namespace", path.display()))?;
    let label = |key: &str| {
        ns["metadata"]["labels"][key]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    Ok(NamespaceFile {
        text: text.to_string(),
        namespace: ns["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string(),
        tier: label("tenantc.dev/tier"),
        env: label("tenantc.dev/environment"),
        docs,
    })
}

/// A tenant's namespace files (`out/tenants/<tenant>/kubernetes/`), by path.
pub fn read_tenant(dir: &Path) -> Result<Vec<NamespaceFile>, String> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir)
        .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yaml"))
        .collect();
    paths.sort();
    let mut files = Vec::new();
    for path in paths {
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
        files.push(read_file(&path, &text)?);
    }
    Ok(files)
}

/// Identifies an object within one namespace file: a Namespace by kind alone (the
/// `namespace:` transformer renames it, and a chart prints each tenant's name), everything
/// else by apiVersion, kind and name.
pub fn identity(doc: &Value) -> (String, String, String) {
    let kind = doc["kind"].as_str().unwrap_or_default().to_string();
    let name = if kind == "Namespace" {
        String::new()
    } else {
        doc["metadata"]["name"]
            .as_str()
            .unwrap_or_default()
            .to_string()
    };
    (
        doc["apiVersion"].as_str().unwrap_or_default().to_string(),
        kind,
        name,
    )
}

/// Labels every document of the file carries with the same value: what a kustomize user
/// sets with one `labels:` entry.
fn common_labels(docs: &[Value]) -> BTreeMap<String, String> {
    let mut common: Option<BTreeMap<String, String>> = None;
    for doc in docs {
        let labels: BTreeMap<String, String> = doc["metadata"]["labels"]
            .as_object()
            .map(|m| {
                m.iter()
                    .filter_map(|(k, v)| v.as_str().map(|v| (k.clone(), v.to_string())))
                    .collect()
            })
            .unwrap_or_default();
        common = Some(match common {
            None => labels,
            Some(c) => c
                .into_iter()
                .filter(|(k, v)| labels.get(k) == Some(v))
                .collect(),
        });
    }
    common.unwrap_or_default()
}

fn escape(key: &str) -> String {
    key.replace('~', "~0").replace('/', "~1")
}

/// JSON-patch operations turning `a` into `b`.
fn diff(path: &str, a: &Value, b: &Value, ops: &mut Vec<Value>) {
    if a == b {
        return;
    }
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => {
            for key in x.keys().filter(|k| !y.contains_key(*k)) {
                ops.push(
                    serde_json::json!({"op": "remove", "path": format!("{path}/{}", escape(key))}),
                );
            }
            for (key, value) in y {
                let sub = format!("{path}/{}", escape(key));
                match x.get(key) {
                    Some(old) => diff(&sub, old, value, ops),
                    None => ops.push(serde_json::json!({"op": "add", "path": sub, "value": value})),
                }
            }
        }
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            for (i, (old, new)) in x.iter().zip(y).enumerate() {
                diff(&format!("{path}/{i}"), old, new, ops);
            }
        }
        _ => ops.push(serde_json::json!({"op": "replace", "path": path, "value": b})),
    }
}

/// What the tenant's document must look like before kustomize's `namespace:` and `labels:`
/// transformers run (they run after `patches:`), given the base document it patches.
fn before_transformers(doc: &Value, base: &Value, labels: &BTreeMap<String, String>) -> Value {
    let mut doc = doc.clone();
    let meta = doc["metadata"]
        .as_object_mut()
        .expect("objects have metadata");
    if meta.contains_key("namespace") {
        meta.insert("namespace".into(), base["metadata"]["namespace"].clone());
    }
    if doc["kind"] == "Namespace" {
        doc["metadata"]["name"] = base["metadata"]["name"].clone();
    }
    if let Some(own) = doc["metadata"]["labels"].as_object_mut() {
        for key in labels.keys() {
            match base["metadata"]["labels"].get(key) {
                Some(value) => own.insert(key.clone(), value.clone()),
                None => own.remove(key),
            };
        }
        if own.is_empty() && base["metadata"].get("labels").is_none() {
            doc["metadata"]
                .as_object_mut()
                .expect("objects have metadata")
                .remove("labels");
        }
    }
    doc
}

fn group_version(api_version: &str) -> (&str, &str) {
    api_version.split_once('/').unwrap_or(("", api_version))
}

fn yaml_string(text: &str) -> String {
    serde_json::to_string(text).expect("a string serializes")
}

/// One overlay's kustomization, and how many patches it has.
fn overlay(
    file: &NamespaceFile,
    base: &NamespaceFile,
    base_dir: &str,
) -> (String, Option<String>, usize) {
    let labels = common_labels(&file.docs);
    let base_docs: BTreeMap<_, &Value> = base.docs.iter().map(|d| (identity(d), d)).collect();
    let mut patches = Vec::new();
    let mut count = 0;
    let mut extra = String::new();
    let mut matched = std::collections::BTreeSet::new();
    for doc in &file.docs {
        let id = identity(doc);
        let Some(base_doc) = base_docs.get(&id) else {
            // An object the base does not have: an extra resource of the overlay.
            if !extra.is_empty() {
                extra.push_str("---\n");
            }
            extra.push_str(&serde_json::to_string(doc).expect("a value serializes"));
            extra.push('\n');
            continue;
        };
        matched.insert(id.clone());
        let target = before_transformers(doc, base_doc, &labels);
        let mut ops = Vec::new();
        diff("", base_doc, &target, &mut ops);
        if ops.is_empty() {
            continue;
        }
        count += ops.len();
        let (group, version) = group_version(&id.0);
        let name = base_doc["metadata"]["name"].as_str().unwrap_or_default();
        let mut entry = String::from("- target:\n");
        if !group.is_empty() {
            let _ = writeln!(entry, "    group: {group}");
        }
        let _ = writeln!(entry, "    version: {version}\n    kind: {}", id.1);
        let _ = writeln!(entry, "    name: {name}");
        let ops = serde_json::to_string(&Value::Array(ops)).expect("a value serializes");
        let _ = writeln!(entry, "  patch: |-\n    {ops}");
        patches.push(entry);
    }
    for (id, base_doc) in &base_docs {
        if matched.contains(id) {
            continue;
        }
        // An object the tenant does not have (a role without subjects, the alerts of
        // another namespace): deleted by a strategic-merge patch.
        let mut meta = Map::new();
        meta.insert("name".into(), base_doc["metadata"]["name"].clone());
        if let Some(ns) = base_doc["metadata"].get("namespace") {
            meta.insert("namespace".into(), ns.clone());
        }
        let delete = serde_json::json!({
            "apiVersion": id.0, "kind": id.1, "metadata": meta, "$patch": "delete"
        });
        count += 1;
        patches.push(format!(
            "- patch: |-\n    {}\n",
            serde_json::to_string(&delete).expect("a value serializes")
        ));
    }
    let mut k = String::from("apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\n");
    let _ = writeln!(k, "namespace: {}", file.namespace);
    let _ = writeln!(k, "resources:\n- {base_dir}");
    if !extra.is_empty() {
        k.push_str("- extra.yaml\n");
    }
    if !labels.is_empty() {
        k.push_str("labels:\n- includeSelectors: false\n  pairs:\n");
        for (key, value) in &labels {
            let _ = writeln!(k, "    {key}: {}", yaml_string(value));
        }
    }
    if !patches.is_empty() {
        k.push_str("patches:\n");
        for p in patches {
            k.push_str(&p);
        }
    }
    ((k), (!extra.is_empty()).then_some(extra), count)
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

/// One tenant's overlays: its name, directory, checksum, files written and patches.
type Built = (String, PathBuf, Checksum, usize, usize);

/// The tenants of tenantc's output `out` that have Kubernetes files, by name.
pub fn tenant_names(out: &Path) -> Result<Vec<String>, String> {
    let tenants_dir = out.join("tenants");
    let mut names: Vec<String> = std::fs::read_dir(&tenants_dir)
        .map_err(|e| format!("cannot read `{}`: {e}", tenants_dir.display()))?
        .filter_map(|e| e.ok())
        .filter(|e| e.path().join("kubernetes").is_dir())
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    Ok(names)
}

/// Builds the kustomize tree for every tenant in `out/tenants/` under `root`.
pub fn build(out: &Path, root: &Path) -> Result<Tree, String> {
    let tenants_dir = out.join("tenants");
    let names = tenant_names(out)?;
    // Bases: the first tenant (by name) of each tier and environment. Only the Namespace
    // (the first document of each file) is parsed to find them.
    let mut bases: BTreeMap<(String, String), NamespaceFile> = BTreeMap::new();
    for name in &names {
        let dir = tenants_dir.join(name).join("kubernetes");
        let mut paths: Vec<PathBuf> = std::fs::read_dir(&dir)
            .map_err(|e| format!("cannot read `{}`: {e}", dir.display()))?
            .filter_map(|e| e.ok().map(|e| e.path()))
            .collect();
        paths.sort();
        for path in paths {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read `{}`: {e}", path.display()))?;
            let first = parse(split_documents(&text).next().unwrap_or_default())?;
            let label = |key: &str| {
                first["metadata"]["labels"][key]
                    .as_str()
                    .unwrap_or_default()
                    .to_string()
            };
            let key = (label("tenantc.dev/tier"), label("tenantc.dev/environment"));
            if let std::collections::btree_map::Entry::Vacant(slot) = bases.entry(key) {
                slot.insert(read_file(&path, &text)?);
            }
        }
    }
    let mut files = 0;
    let base_dir = |tier: &str, env: &str| {
        let env = if env.is_empty() { "single" } else { env };
        format!("bases/{tier}/{env}")
    };
    for ((tier, env), base) in &bases {
        let dir = root.join(base_dir(tier, env));
        write(&dir.join("objects.yaml"), &base.text)?;
        write(
            &dir.join("kustomization.yaml"),
            "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n- objects.yaml\n",
        )?;
        files += 2;
    }
    let results: Vec<Result<Built, String>> = names
        .par_iter()
        .map(|name| {
            let dir = root.join("tenants").join(name);
            let mut sum = Checksum::default();
            let mut written = 0;
            let mut patches = 0;
            let mut entries = Vec::new();
            for file in read_tenant(&tenants_dir.join(name).join("kubernetes"))? {
                for doc in &file.docs {
                    sum.add(doc);
                }
                let Some(base) = bases.get(&(file.tier.clone(), file.env.clone())) else {
                    return Err(format!(
                        "no base for tier `{}` environment `{}`",
                        file.tier, file.env
                    ));
                };
                let (kustomization, extra, n) = overlay(
                    &file,
                    base,
                    &format!("../../../{}", base_dir(&file.tier, &file.env)),
                );
                patches += n;
                let ns_dir = dir.join(&file.namespace);
                write(&ns_dir.join("kustomization.yaml"), &kustomization)?;
                written += 1;
                if let Some(extra) = extra {
                    write(&ns_dir.join("extra.yaml"), &extra)?;
                    written += 1;
                }
                entries.push(file.namespace);
            }
            let mut k = String::from(
                "apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n",
            );
            for e in entries {
                let _ = writeln!(k, "- {e}");
            }
            write(&dir.join("kustomization.yaml"), &k)?;
            Ok((name.clone(), dir, sum, written + 1, patches))
        })
        .collect();
    let mut tenants = BTreeMap::new();
    let mut patches = 0;
    for result in results {
        let (name, dir, sum, written, n) = result?;
        files += written;
        patches += n;
        tenants.insert(name, (dir, sum));
    }
    Ok(Tree {
        root: root.to_path_buf(),
        tenants,
        files,
        bases: bases.len(),
        patches,
    })
}
