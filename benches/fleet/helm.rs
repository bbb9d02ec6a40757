//! The Helm baseline: a chart whose `helm template` gives, for each tenant, the same Kubernetes
//! governance objects as tenantc's `out/tenants/<tenant>/kubernetes/`, rendered in process by
//! Helm's template engine through the `helm-python-sdk` package (which bundles Helm's Go SDK as
//! a shared library, `libhelm_c`, and calls it with `ctypes`).
//!
//! The layout is the one a platform team would write, with one values file per tenant:
//!
//! ```text
//! helm/chart/Chart.yaml
//! helm/chart/values.yaml                      `tenants: []`
//! helm/chart/templates/_<tier>-<env>.tpl      one named template per tier and environment:
//!                                             every governance object of one namespace, as
//!                                             block YAML, with `{{ toJson .<value> }}` where
//!                                             tenants differ and `{{- if .has_<object> }}`
//!                                             around the objects not every tenant has
//! helm/chart/templates/governance.yaml        `range` over `.Values.tenants` and their
//!                                             namespaces, `include` of each one's template
//! helm/values/<tenant>.yaml                   the tenant: its namespaces, each with the
//!                                             template it uses and the values of its holes
//! ```
//!
//! Each tier-and-environment template starts from the rendered file of the first tenant (by
//! name) with that tier and environment, as the kustomize bases do; objects that tenant lacks
//! come from the first tenant that has them. What differs between the tenants of the group
//! becomes values, found automatically:
//!
//! - a leaf or subtree where any tenant differs becomes `{{ toJson .<value> }}` (a list whose
//!   length differs between tenants is one value as a whole);
//! - a map whose keys differ between tenants (labels, annotations) keeps the keys every tenant
//!   has in the template and merges the others in from one value,
//!   `{{- with .extra_<key> }}{{ toYaml . | nindent <n> }}{{- end }}`;
//! - places that hold the same value wherever they occur read one value (the namespace name in
//!   every object's `metadata.namespace`, the tenant label on every object), and a string that
//!   is such a value with fixed text around it is printed from it
//!   (`{{ print "tenant-" .tenant "-quota" | toJson }}`);
//! - an object not every tenant of the group has is wrapped in `{{- if .has_<kind>_<name> }}`.
//!
//! The rest, the structure of the objects and what all tenants share, is fixed text in the
//! templates.
//!
//! It is one chart for the whole fleet, as a platform team would keep it, with one release (or
//! `helm template -f values/<tenant>.yaml`) per tenant. Helm parses every template of a chart on
//! each render, so a one-tenant render pays for all the tier-and-environment templates: the
//! driver measures that floor (a render with no tenants) and the benchmark prints it beside
//! the per-tenant time.
//!
//! The driver, `helm_render.py` beside this file, loads the chart once and renders it with
//! `helm_python.Chart.render` (the SDK's `helm_render`: Helm's engine, no cluster) for single
//! tenants and for the fleet's first n tenants at once; the benchmark checks the output with
//! the order-independent [`Checksum`].

use crate::kustomize::{Checksum, NamespaceFile, identity, read_tenant, tenant_names};
use rayon::prelude::*;
use serde_json::{Map, Value};
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

/// The package the benchmark installs into its virtual environment.
pub const PACKAGE: &str = "helm-python-sdk==0.2.2";

/// The Python driver.
pub const DRIVER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/fleet/helm_render.py");

/// The generated chart and values.
pub struct Chart {
    /// `helm/chart/`.
    pub chart: PathBuf,
    /// `helm/values/`: `<tenant>.yaml` per tenant.
    pub values: PathBuf,
    /// Per tenant (by name): the checksum of tenantc's objects.
    pub tenants: BTreeMap<String, Checksum>,
    /// Named templates (tier and environment pairs).
    pub templates: usize,
    /// Objects in all templates, and how many of them are conditional.
    pub objects: usize,
    pub optional: usize,
    /// In all templates: `toJson` of a value, `toYaml` of the rest of a map, `print` of a
    /// value with fixed text around it; and the values they read (per template).
    pub lookups: usize,
    pub merges: usize,
    pub prints: usize,
    pub keys: usize,
    /// Bytes of the chart's templates and of all values files.
    pub template_bytes: u64,
    pub values_bytes: u64,
    /// Scalar leaves of tenantc's objects, and how many of them come from values.
    pub leaves: u64,
    pub value_leaves: u64,
}

/// Identifies an object within one namespace file.
type Identity = (String, String, String);

/// Where the tenants of a group differ from a template's object.
#[derive(Debug, Clone)]
enum Mask {
    /// The same for every tenant.
    Same,
    /// One value (numbered once every tenant has been seen).
    Hole(usize),
    /// A map: `sub` where its keys' values differ, `dropped` for the keys some tenant lacks,
    /// `open` (numbered like a hole) once some tenant's keys differ from the template's: the
    /// keys not fixed in the template then come from one value, merged in with `toYaml`.
    Map {
        sub: BTreeMap<String, Mask>,
        dropped: BTreeSet<String>,
        open: Option<usize>,
    },
    /// A list of the same length for every tenant.
    List(Vec<Mask>),
}

const UNNUMBERED: usize = usize::MAX;

/// Widens `mask` so that it covers where `doc` differs from `base`.
fn mark(mask: &mut Mask, base: &Value, doc: &Value) {
    if matches!(mask, Mask::Hole(_)) || base == doc {
        return;
    }
    match (base, doc) {
        (Value::Object(a), Value::Object(b)) => {
            if matches!(mask, Mask::Same) {
                *mask = Mask::Map {
                    sub: BTreeMap::new(),
                    dropped: BTreeSet::new(),
                    open: None,
                };
            }
            let Mask::Map { sub, dropped, open } = mask else {
                unreachable!("a map's mask is a map or a hole")
            };
            if a.len() != b.len() || !a.keys().all(|k| b.contains_key(k)) {
                *open = Some(UNNUMBERED);
            }
            for (key, old) in a {
                if dropped.contains(key) {
                    continue;
                }
                match b.get(key) {
                    None => {
                        dropped.insert(key.clone());
                        sub.remove(key);
                    }
                    Some(new) if new != old => {
                        mark(sub.entry(key.clone()).or_insert(Mask::Same), old, new);
                    }
                    Some(_) => {}
                }
            }
        }
        (Value::Array(a), Value::Array(b)) if a.len() == b.len() => {
            if matches!(mask, Mask::Same) {
                *mask = Mask::List(vec![Mask::Same; a.len()]);
            }
            let Mask::List(m) = mask else {
                unreachable!("a list's mask is a list or a hole")
            };
            for ((old, new), sub) in a.iter().zip(b).zip(m.iter_mut()) {
                mark(sub, old, new);
            }
        }
        _ => *mask = Mask::Hole(UNNUMBERED),
    }
}

#[derive(Debug, Clone)]
enum Seg {
    Key(String),
    Index(usize),
}

/// A place in a template that reads values.
struct Site {
    slot: usize,
    path: Vec<Seg>,
    /// For the rest of an open map: the keys the template fixes.
    fixed: Option<BTreeSet<String>>,
}

/// Numbers the holes and open maps of `mask` (over `base`), recording where they are. An open
/// map that fixes no key becomes a hole.
fn number(mask: &mut Mask, base: &Value, path: &mut Vec<Seg>, slot: usize, sites: &mut Vec<Site>) {
    if let (Mask::Map { dropped, open, .. }, Value::Object(m)) = (&*mask, base)
        && open.is_some()
        && m.keys().all(|k| dropped.contains(k))
    {
        *mask = Mask::Hole(UNNUMBERED);
    }
    match mask {
        Mask::Same => {}
        Mask::Hole(n) => {
            *n = sites.len();
            sites.push(Site {
                slot,
                path: path.clone(),
                fixed: None,
            });
        }
        Mask::Map { sub, dropped, open } => {
            for (key, sub) in sub.iter_mut() {
                path.push(Seg::Key(key.clone()));
                number(sub, &base[key.as_str()], path, slot, sites);
                path.pop();
            }
            if let Some(n) = open {
                *n = sites.len();
                let fixed = base
                    .as_object()
                    .map(|m| {
                        m.keys()
                            .filter(|k| !dropped.contains(*k))
                            .cloned()
                            .collect()
                    })
                    .unwrap_or_default();
                sites.push(Site {
                    slot,
                    path: path.clone(),
                    fixed: Some(fixed),
                });
            }
        }
        Mask::List(items) => {
            for (i, sub) in items.iter_mut().enumerate() {
                path.push(Seg::Index(i));
                number(sub, &base[i], path, slot, sites);
                path.pop();
            }
        }
    }
}

fn at<'a>(mut value: &'a Value, path: &[Seg]) -> Option<&'a Value> {
    for seg in path {
        value = match seg {
            Seg::Key(k) => value.get(k)?,
            Seg::Index(i) => value.get(i)?,
        };
    }
    Some(value)
}

impl Site {
    /// What the site reads for one tenant's object: the value, or the rest of the open map.
    fn value(&self, doc: &Value) -> Option<Value> {
        let value = at(doc, &self.path)?;
        Some(match &self.fixed {
            None => value.clone(),
            Some(fixed) => Value::Object(
                value
                    .as_object()?
                    .iter()
                    .filter(|(k, _)| !fixed.contains(*k))
                    .map(|(k, v)| (k.clone(), v.clone()))
                    .collect(),
            ),
        })
    }
}

/// What a site reads.
#[derive(Debug, Clone)]
enum Use {
    /// A value of the tenant's namespace entry.
    Key(usize),
    /// A string: `parts` joined by the value of a key (`tenant-{{ .namespace }}-quota`).
    Print { key: usize, parts: Vec<String> },
}

/// An object of a tier-and-environment template.
struct Slot {
    id: Identity,
    base: Value,
    mask: Mask,
    /// Namespace files that have it.
    present: usize,
    /// `has_<kind>_<name>`, for objects not every file has.
    flag: String,
}

/// A tier-and-environment template.
struct Group {
    name: String,
    slots: Vec<Slot>,
    index: HashMap<Identity, usize>,
    /// (tenant, file) of each member, in tenant order.
    members: Vec<(usize, usize)>,
    sites: Vec<Site>,
    /// Per site: what it reads.
    uses: Vec<Use>,
    /// The values' names.
    keys: Vec<String>,
}

/// A Go template field name: letters, digits and `_`, not starting with a digit.
fn identifier(text: &str) -> String {
    let mut out: String = text
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if !out.starts_with(|c: char| c.is_ascii_alphabetic()) {
        out.insert_str(0, "v_");
    }
    out
}

/// A value's name: the key it fills (after the last `/` of a label key), with the list index
/// for a list item, `extra_` before it for the rest of an open map.
fn key_name(site: &Site) -> String {
    let mut suffix = String::new();
    let mut name = String::from("object");
    for seg in site.path.iter().rev() {
        match seg {
            Seg::Index(i) => suffix = format!("_{i}{suffix}"),
            Seg::Key(k) => {
                name = k.rsplit('/').next().unwrap_or(k).to_string();
                break;
            }
        }
    }
    let name = identifier(&format!("{name}{suffix}"));
    if site.fixed.is_some() {
        format!("extra_{name}")
    } else if name == "tpl" || name.starts_with("has_") {
        format!("v_{name}")
    } else {
        name
    }
}

/// `parts` such that the site's string is `parts` joined by the key's value, for every tenant
/// that has the site.
fn print_parts(site: &[Option<Value>], key: &[Option<Value>]) -> Option<Vec<String>> {
    let first = site.iter().position(Option::is_some)?;
    let text = site[first].as_ref()?.as_str()?;
    let value = key[first].as_ref()?.as_str()?;
    if value.len() < 3 || !text.contains(value) {
        return None;
    }
    let parts: Vec<String> = text.split(value).map(String::from).collect();
    for (s, k) in site.iter().zip(key) {
        if let Some(s) = s {
            let k = k.as_ref()?.as_str()?;
            if s.as_str()? != parts.join(k) {
                return None;
            }
        }
    }
    Some(parts)
}

/// Decides what each site of `group` reads. A site reads the value of an earlier one (sites
/// that more tenants have come first) where that one is there whenever it is and holds the
/// same (the namespace name in every object's `metadata.namespace`); a string that is another
/// string value with fixed text around it is printed from that value; the others get a value
/// of their own.
fn assign(group: &mut Group, files: &[Vec<NamespaceFile>], assigned: &[Vec<Vec<usize>>]) {
    // Per member: its document of each object.
    let docs: Vec<Vec<Option<&Value>>> = group
        .members
        .iter()
        .map(|&(t, f)| {
            let mut of = vec![None; group.slots.len()];
            for (d, &slot) in assigned[t][f].iter().enumerate() {
                of[slot] = Some(&files[t][f].docs[d]);
            }
            of
        })
        .collect();
    let values: Vec<Vec<Option<Value>>> = group
        .sites
        .par_iter()
        .map(|site| {
            docs.iter()
                .map(|of| of[site.slot].and_then(|doc| site.value(doc)))
                .collect()
        })
        .collect();
    let mut order: Vec<usize> = (0..group.sites.len()).collect();
    order.sort_by_key(|&s| std::cmp::Reverse(values[s].iter().flatten().count()));
    let mut uses = vec![Use::Key(0); group.sites.len()];
    // Per key: its first site.
    let mut owners: Vec<usize> = Vec::new();
    for s in order {
        let site = &group.sites[s];
        let covers = |owner: usize| {
            group.sites[owner].fixed.is_some() == site.fixed.is_some()
                && values[s]
                    .iter()
                    .zip(&values[owner])
                    .all(|(v, o)| v.is_none() || v == o)
        };
        if let Some(key) = owners.iter().position(|&o| covers(o)) {
            uses[s] = Use::Key(key);
            continue;
        }
        if site.fixed.is_none()
            && let Some((key, parts)) = owners.iter().enumerate().find_map(|(key, &o)| {
                if group.sites[o].fixed.is_some() {
                    return None;
                }
                print_parts(&values[s], &values[o]).map(|parts| (key, parts))
            })
        {
            uses[s] = Use::Print { key, parts };
            continue;
        }
        uses[s] = Use::Key(owners.len());
        owners.push(s);
    }
    // Names: each value is named after the key it fills most often; the values read most get
    // the plain names, the others the object's name before it.
    let mut named: Vec<(usize, String)> = owners
        .iter()
        .enumerate()
        .map(|(key, _)| {
            let mut counts: Vec<(String, usize)> = Vec::new();
            for (site, used) in group.sites.iter().zip(&uses) {
                if matches!(used, Use::Key(k) | Use::Print { key: k, .. } if *k == key) {
                    let name = key_name(site);
                    match counts.iter_mut().find(|(n, _)| *n == name) {
                        Some((_, c)) => *c += 1,
                        None => counts.push((name, 1)),
                    }
                }
            }
            let total = counts.iter().map(|(_, c)| c).sum();
            let best = counts
                .iter()
                .rev()
                .max_by_key(|(_, c)| *c)
                .map(|(n, _)| n.clone())
                .unwrap_or_default();
            (total, best)
        })
        .collect();
    let mut order: Vec<usize> = (0..owners.len()).collect();
    order.sort_by_key(|&k| std::cmp::Reverse(named[k].0));
    let mut taken: HashMap<String, usize> = HashMap::new();
    for key in order {
        let mut name = std::mem::take(&mut named[key].1);
        if taken.contains_key(&name) {
            let object = &group.slots[group.sites[owners[key]].slot].id;
            let object = if object.2.is_empty() {
                &object.1
            } else {
                &object.2
            };
            name = identifier(&format!("{object}_{name}").to_lowercase());
        }
        let count = taken.entry(name.clone()).or_insert(0);
        *count += 1;
        if *count > 1 {
            name = format!("{name}_{count}");
        }
        named[key].1 = name;
    }
    group.keys = named.into_iter().map(|(_, name)| name).collect();
    group.uses = uses;
}

fn is_plain(text: &str) -> bool {
    text.starts_with(|c: char| c.is_ascii_alphabetic())
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-' | '/'))
        && !matches!(
            text.to_ascii_lowercase().as_str(),
            "y" | "n" | "yes" | "no" | "on" | "off" | "true" | "false" | "null"
        )
}

/// A string as a YAML scalar: plain where that is unambiguous, else JSON-quoted (in a
/// template, with `{{` written as an action that prints it).
fn string(text: &str, template: bool) -> String {
    if is_plain(text) {
        return text.to_string();
    }
    let quoted = serde_json::to_string(text).expect("a string serializes");
    if template {
        quoted.replace("{{", "{{ \"{{\" }}")
    } else {
        quoted
    }
}

/// Writes block YAML: a template's object with its value lookups, or a values file.
struct Writer<'a> {
    group: Option<&'a Group>,
}

impl Writer<'_> {
    fn key(&self, n: usize) -> &str {
        let group = self.group.expect("only templates have holes");
        match &group.uses[n] {
            Use::Key(k) | Use::Print { key: k, .. } => &group.keys[*k],
        }
    }

    fn inline(&self, value: &Value, mask: &Mask) -> Option<String> {
        if let Mask::Hole(n) = mask {
            let group = self.group.expect("only templates have holes");
            return Some(match &group.uses[*n] {
                Use::Key(_) => format!("{{{{ toJson .{} }}}}", self.key(*n)),
                Use::Print { parts, .. } => {
                    let mut action = String::from("{{ print");
                    for (i, part) in parts.iter().enumerate() {
                        if i > 0 {
                            action.push_str(" .");
                            action.push_str(self.key(*n));
                        }
                        if !part.is_empty() {
                            action.push(' ');
                            action.push_str(&serde_json::to_string(part).expect("serializes"));
                        }
                    }
                    action.push_str(" | toJson }}");
                    action
                }
            });
        }
        let template = self.group.is_some();
        Some(match value {
            Value::Null => "null".into(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => n.to_string(),
            Value::String(s) => string(s, template),
            Value::Object(m) if m.is_empty() => "{}".into(),
            Value::Array(a) if a.is_empty() => "[]".into(),
            _ => return None,
        })
    }

    /// `value` after `key:` at `indent`.
    fn after_key(&self, value: &Value, mask: &Mask, indent: usize, out: &mut String) {
        if let Some(text) = self.inline(value, mask) {
            out.push(' ');
            out.push_str(&text);
            out.push('\n');
            return;
        }
        out.push('\n');
        match value {
            Value::Object(m) => self.map(m, mask, indent + 2, out),
            Value::Array(a) => self.list(a, mask, indent, out),
            _ => unreachable!("scalars are inline"),
        }
    }

    fn map(&self, map: &Map<String, Value>, mask: &Mask, indent: usize, out: &mut String) {
        let none = BTreeSet::new();
        let (sub, dropped, open) = match mask {
            Mask::Map { sub, dropped, open } => (Some(sub), dropped, *open),
            _ => (None, &none, None),
        };
        for (key, value) in map.iter().filter(|(k, _)| !dropped.contains(*k)) {
            let mask = sub.and_then(|m| m.get(key)).unwrap_or(&Mask::Same);
            out.push_str(&" ".repeat(indent));
            out.push_str(&string(key, self.group.is_some()));
            out.push(':');
            self.after_key(value, mask, indent, out);
        }
        if let Some(n) = open {
            out.push_str(&format!(
                "{}{{{{- with .{} }}}}{{{{ toYaml . | nindent {indent} }}}}{{{{- end }}}}\n",
                " ".repeat(indent),
                self.key(n)
            ));
        }
    }

    fn list(&self, items: &[Value], mask: &Mask, indent: usize, out: &mut String) {
        for (i, value) in items.iter().enumerate() {
            let sub = match mask {
                Mask::List(m) => &m[i],
                _ => &Mask::Same,
            };
            if let Some(text) = self.inline(value, sub) {
                out.push_str(&" ".repeat(indent));
                out.push_str("- ");
                out.push_str(&text);
                out.push('\n');
                continue;
            }
            // A map or list item: written two further in, its first indentation becoming `- `.
            let mut item = String::new();
            match value {
                Value::Object(m) => self.map(m, sub, indent + 2, &mut item),
                Value::Array(a) => self.list(a, sub, indent + 2, &mut item),
                _ => unreachable!("scalars are inline"),
            }
            out.push_str(&" ".repeat(indent));
            out.push_str("- ");
            out.push_str(&item[indent + 2..]);
        }
    }

    fn document(&self, value: &Value, mask: &Mask) -> String {
        let mut out = String::new();
        match (value, mask) {
            (Value::Object(m), Mask::Same | Mask::Map { .. }) if !m.is_empty() => {
                self.map(m, mask, 0, &mut out)
            }
            _ => {
                out.push_str(&self.inline(value, mask).unwrap_or_default());
                out.push('\n');
            }
        }
        out
    }
}

fn leaves(value: &Value) -> u64 {
    match value {
        Value::Object(m) if !m.is_empty() => m.values().map(leaves).sum(),
        Value::Array(a) if !a.is_empty() => a.iter().map(leaves).sum(),
        _ => 1,
    }
}

fn write(path: &Path, text: &str) -> Result<(), String> {
    if let Some(parent) = path.parent() {
        std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create `{}`: {e}", parent.display()))?;
    }
    std::fs::write(path, text).map_err(|e| format!("cannot write `{}`: {e}", path.display()))
}

const GOVERNANCE: &str = "\
{{- /* Every governance object of every tenant namespace in .Values.tenants. */ -}}
{{- range $tenant := .Values.tenants }}
{{- range $tenant.namespaces }}
{{- include (print \"governance.\" .tpl) . }}
{{- end }}
{{- end }}
";

/// Builds the chart and the values files for every tenant in `out/tenants/` under `root`.
pub fn build(out: &Path, root: &Path) -> Result<Chart, String> {
    let tenants_dir = out.join("tenants");
    let names = tenant_names(out)?;
    let files: Vec<Vec<NamespaceFile>> = names
        .par_iter()
        .map(|name| read_tenant(&tenants_dir.join(name).join("kubernetes")))
        .collect::<Result<_, _>>()?;

    // The groups, their objects and where their tenants differ.
    let mut groups: BTreeMap<(String, String), Group> = BTreeMap::new();
    // Per tenant, file and document: its object in the group's template.
    let mut assigned: Vec<Vec<Vec<usize>>> = Vec::with_capacity(files.len());
    for (t, tenant) in files.iter().enumerate() {
        let mut per_file = Vec::with_capacity(tenant.len());
        for (f, file) in tenant.iter().enumerate() {
            let group = groups
                .entry((file.tier.clone(), file.env.clone()))
                .or_insert_with(|| Group {
                    name: if file.env.is_empty() {
                        file.tier.clone()
                    } else {
                        format!("{}-{}", file.tier, file.env)
                    },
                    slots: Vec::new(),
                    index: HashMap::new(),
                    members: Vec::new(),
                    sites: Vec::new(),
                    uses: Vec::new(),
                    keys: Vec::new(),
                });
            group.members.push((t, f));
            let mut slots = Vec::with_capacity(file.docs.len());
            let mut seen = BTreeSet::new();
            for doc in &file.docs {
                let id = identity(doc);
                if !seen.insert(id.clone()) {
                    return Err(format!(
                        "tenant `{}` has two {} `{}` objects in one namespace",
                        names[t], id.1, id.2
                    ));
                }
                let slot = match group.index.get(&id) {
                    Some(&slot) => slot,
                    None => {
                        group.index.insert(id.clone(), group.slots.len());
                        group.slots.push(Slot {
                            flag: identifier(&format!("has_{}_{}", id.1, id.2).to_lowercase()),
                            id,
                            base: doc.clone(),
                            mask: Mask::Same,
                            present: 0,
                        });
                        group.slots.len() - 1
                    }
                };
                let s = &mut group.slots[slot];
                mark(&mut s.mask, &s.base, doc);
                s.present += 1;
                slots.push(slot);
            }
            per_file.push(slots);
        }
        assigned.push(per_file);
    }
    for group in groups.values_mut() {
        let mut sites = Vec::new();
        for (i, slot) in group.slots.iter_mut().enumerate() {
            number(&mut slot.mask, &slot.base, &mut Vec::new(), i, &mut sites);
        }
        group.sites = sites;
        assign(group, &files, &assigned);
    }

    // The chart.
    let chart = root.join("chart");
    write(
        &chart.join("Chart.yaml"),
        "apiVersion: v2\nname: tenant-governance\ndescription: The governance objects of every tenant namespace\ntype: application\nversion: 0.1.0\n",
    )?;
    write(
        &chart.join("values.yaml"),
        "# One entry per tenant: helm template -f values/<tenant>.yaml\ntenants: []\n",
    )?;
    write(&chart.join("templates/governance.yaml"), GOVERNANCE)?;
    let mut template_bytes = GOVERNANCE.len() as u64;
    let (mut objects, mut optional, mut lookups, mut merges, mut prints, mut keys) =
        (0, 0, 0, 0, 0, 0);
    for group in groups.values() {
        let writer = Writer { group: Some(group) };
        let mut text = format!("{{{{- define \"governance.{}\" }}}}", group.name);
        for slot in &group.slots {
            let conditional = slot.present < group.members.len();
            if conditional {
                text.push_str(&format!("\n{{{{- if .{} }}}}", slot.flag));
                optional += 1;
            }
            text.push_str("\n---\n");
            text.push_str(writer.document(&slot.base, &slot.mask).trim_end());
            if conditional {
                text.push_str("\n{{- end }}");
            }
        }
        text.push_str("\n{{- end }}\n");
        template_bytes += text.len() as u64;
        write(&chart.join(format!("templates/_{}.tpl", group.name)), &text)?;
        objects += group.slots.len();
        for (site, used) in group.sites.iter().zip(&group.uses) {
            match (used, &site.fixed) {
                (Use::Print { .. }, _) => prints += 1,
                (Use::Key(_), Some(_)) => merges += 1,
                (Use::Key(_), None) => lookups += 1,
            }
        }
        keys += group.keys.len();
    }

    // The values files and the checksums of tenantc's objects.
    let values = root.join("values");
    std::fs::create_dir_all(&values)
        .map_err(|e| format!("cannot create `{}`: {e}", values.display()))?;
    let by_group: HashMap<&(String, String), &Group> = groups.iter().collect();
    let results: Vec<Result<(Checksum, u64, u64, u64), String>> = names
        .par_iter()
        .enumerate()
        .map(|(t, name)| {
            let mut sum = Checksum::default();
            let (mut all, mut from_values) = (0, 0);
            let mut namespaces = Vec::new();
            for (f, file) in files[t].iter().enumerate() {
                let group = by_group[&(file.tier.clone(), file.env.clone())];
                let mut entry = Map::new();
                entry.insert("tpl".into(), Value::String(group.name.clone()));
                let mut doc_of = vec![None; group.slots.len()];
                for (d, doc) in file.docs.iter().enumerate() {
                    sum.add(doc);
                    all += leaves(doc);
                    doc_of[assigned[t][f][d]] = Some(doc);
                }
                for (slot, doc) in group.slots.iter().zip(&doc_of) {
                    if doc.is_some() && slot.present < group.members.len() {
                        entry.insert(slot.flag.clone(), Value::Bool(true));
                    }
                }
                for (site, used) in group.sites.iter().zip(&group.uses) {
                    let Some(doc) = doc_of[site.slot] else {
                        continue;
                    };
                    let value = site.value(doc).ok_or_else(|| {
                        format!(
                            "tenant `{name}`: a value's path is missing in {:?}",
                            group.slots[site.slot].id
                        )
                    })?;
                    if site.fixed.is_some() && value.as_object().is_some_and(|m| m.is_empty()) {
                        continue;
                    }
                    from_values += leaves(&value);
                    let Use::Key(key) = used else { continue };
                    entry.entry(group.keys[*key].clone()).or_insert(value);
                }
                namespaces.push(Value::Object(entry));
            }
            let tenant = serde_json::json!({
                "tenants": [{"name": name, "namespaces": namespaces}]
            });
            let text = Writer { group: None }.document(&tenant, &Mask::Same);
            write(&values.join(format!("{name}.yaml")), &text)?;
            Ok((sum, all, from_values, text.len() as u64))
        })
        .collect();
    let mut tenants = BTreeMap::new();
    let (mut leaves_all, mut value_leaves, mut values_bytes) = (0, 0, 0);
    for (name, result) in names.into_iter().zip(results) {
        let (sum, all, from_values, bytes) = result?;
        leaves_all += all;
        value_leaves += from_values;
        values_bytes += bytes;
        tenants.insert(name, sum);
    }
    Ok(Chart {
        chart,
        values,
        tenants,
        templates: groups.len(),
        objects,
        optional,
        lookups,
        merges,
        prints,
        keys,
        template_bytes,
        values_bytes,
        leaves: leaves_all,
        value_leaves,
    })
}

/// A Python ≥ 3.12: `TENANTC_BENCH_PYTHON`, else the first of `python3.12`, `python3.13`,
/// `python3.14`, `python3` and `~/.pyenv/versions/3.1[2-9]*/bin/python` that runs and is new
/// enough. Returns the interpreter and its version, or why there is none.
pub fn find_python() -> Result<(PathBuf, String), String> {
    let version = |python: &Path| -> Option<(bool, String)> {
        let out = Command::new(python)
            .args([
                "-c",
                "import sys; print(sys.version_info >= (3, 12), sys.version.split()[0])",
            ])
            .output()
            .ok()?;
        let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
        let (ok, version) = text.split_once(' ')?;
        out.status
            .success()
            .then(|| (ok == "True", version.to_string()))
    };
    if let Some(python) = std::env::var_os("TENANTC_BENCH_PYTHON") {
        let python = PathBuf::from(python);
        return match version(&python) {
            Some((true, v)) => Ok((python, v)),
            Some((false, v)) => Err(format!(
                "TENANTC_BENCH_PYTHON `{}` is Python {v}, not ≥ 3.12",
                python.display()
            )),
            None => Err(format!(
                "TENANTC_BENCH_PYTHON `{}` does not run",
                python.display()
            )),
        };
    }
    let mut candidates: Vec<PathBuf> = ["python3.12", "python3.13", "python3.14", "python3"]
        .iter()
        .map(PathBuf::from)
        .collect();
    if let Some(home) = std::env::var_os("HOME") {
        let versions = Path::new(&home).join(".pyenv/versions");
        let mut found: Vec<PathBuf> = std::fs::read_dir(&versions)
            .into_iter()
            .flatten()
            .filter_map(|e| e.ok())
            .filter(|e| {
                let name = e.file_name().to_string_lossy().to_string();
                name.strip_prefix("3.1")
                    .and_then(|rest| rest.chars().next())
                    .is_some_and(|c| ('2'..='9').contains(&c))
            })
            .map(|e| e.path().join("bin/python"))
            .collect();
        found.sort();
        candidates.extend(found);
    }
    let mut seen = Vec::new();
    for python in &candidates {
        match version(python) {
            Some((true, v)) => return Ok((python.clone(), v)),
            Some((false, v)) => seen.push(format!("{} is {v}", python.display())),
            None => {}
        }
    }
    Err(format!(
        "no Python ≥ 3.12 found (tried {}{}; set TENANTC_BENCH_PYTHON)",
        candidates
            .iter()
            .map(|p| p.display().to_string())
            .collect::<Vec<_>>()
            .join(", "),
        if seen.is_empty() {
            String::new()
        } else {
            format!("; {}", seen.join(", "))
        }
    ))
}

/// The last lines of a command's output, on one line (it ends up in a table row).
fn tail(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .rev()
        .take(3)
        .collect();
    lines.into_iter().rev().collect::<Vec<_>>().join("; ")
}

/// A virtual environment at `dir` with [`PACKAGE`] installed: reused if its Python imports
/// `helm_python`, else created with `python -m venv` and `pip install`. Returns its Python.
pub fn venv(python: &Path, dir: &Path) -> Result<PathBuf, String> {
    let venv_python = dir.join("bin/python");
    let imports = || {
        Command::new(&venv_python)
            .args(["-c", "import helm_python"])
            .output()
            .is_ok_and(|o| o.status.success())
    };
    if imports() {
        return Ok(venv_python);
    }
    let out = Command::new(python)
        .args(["-m", "venv"])
        .arg(dir)
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`{} -m venv {}` failed: {}",
            python.display(),
            dir.display(),
            tail(&out.stderr)
        ));
    }
    let out = Command::new(&venv_python)
        .args([
            "-m",
            "pip",
            "install",
            "--disable-pip-version-check",
            "--quiet",
            PACKAGE,
        ])
        .output()
        .map_err(|e| format!("cannot run `{}`: {e}", venv_python.display()))?;
    if !out.status.success() {
        return Err(format!(
            "`pip install {PACKAGE}` failed: {}",
            tail(&out.stderr)
        ));
    }
    if !imports() {
        return Err(format!(
            "`import helm_python` fails after `pip install {PACKAGE}`"
        ));
    }
    Ok(venv_python)
}

/// One line of the driver's output.
#[derive(Debug, Clone, serde::Deserialize)]
#[serde(tag = "event", rename_all = "lowercase")]
pub enum Event {
    /// The versions, and the chart's load time in seconds.
    Info {
        python: String,
        helm_c: String,
        helm_sdk: String,
        load: f64,
    },
    /// The median of `calls` renders with no tenants, seconds.
    Floor { calls: usize, median: f64 },
    /// One tenant rendered alone: seconds to read and parse its values file, and to render.
    Tenant {
        tenant: String,
        parse: f64,
        render: f64,
        output: PathBuf,
    },
    /// The first `tenants` tenants rendered at once.
    Fleet {
        tenants: usize,
        parse: f64,
        render: f64,
        output: PathBuf,
        /// The process's peak resident set size so far, KiB.
        peak_kib: u64,
    },
    /// The next fleet render was predicted not to fit the budget.
    Stopped {
        next: usize,
        predicted: f64,
        left: f64,
    },
}

/// Parses the driver's output (one JSON object a line).
pub fn events(text: &str) -> Result<Vec<Event>, String> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            serde_json::from_str(l).map_err(|e| format!("unexpected driver output `{l}`: {e}"))
        })
        .collect()
}
