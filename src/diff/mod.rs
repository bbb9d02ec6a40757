//! Compares two output trees object by object, so a reviewer sees per tenant what a change
//! does to the cluster, and flags the changes that destroy a tenant's data or infrastructure.
//!
//! The last stage of the pipeline. Reads no files: `load` and `render` (or `cli`, for a
//! directory such as a committed `out/`) supply both sides as file texts; rendered sides also
//! bring their typed objects and what the inputs said about each tenant ([`TenantFacts`]).
//! Objects are matched by apiVersion, kind, namespace and name, whatever file they are in.
//! The formatters ([`unified`], [`markdown`], [`json`]) build text; printing it is `cli`'s.

mod destructive;
mod immutable;
pub mod json;
pub mod markdown;
mod plan;
mod split;
pub mod unified;

pub use destructive::{NodePoolFacts, TenantFacts, facts_of};
pub use plan::plan_report;

use crate::objects::{ObjectKey, OutputTree};
use std::collections::{BTreeMap, BTreeSet};

/// One side of a comparison.
#[derive(Debug, Clone, Default)]
pub struct Side<'a> {
    /// The text of every file of the tree, by `/`-separated path relative to the output
    /// directory (the lock excluded). It must list the whole tree: a tenant with no file
    /// left counts as removed.
    pub files: BTreeMap<&'a str, &'a str>,
    /// The typed objects, when the side was rendered; YAML files of a side without them are
    /// parsed back from their text (only the files that differ).
    pub tree: Option<&'a OutputTree>,
    /// What the inputs said about each tenant, when the side was compiled from inputs; without
    /// it, what the objects themselves say is used.
    pub tenants: Option<BTreeMap<String, TenantFacts>>,
}

/// How an object, or a tenant's whole group of objects, changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ChangeKind {
    /// Only in the new tree.
    Added,
    /// In both, with different content.
    Changed,
    /// Only in the old tree.
    Removed,
}

impl ChangeKind {
    /// The word used in every format.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Added => "added",
            Self::Changed => "changed",
            Self::Removed => "removed",
        }
    }
}

/// One object that differs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    /// Added, changed or removed.
    pub kind: ChangeKind,
    /// The object's identity. A file that could not be read as objects is one unit of kind
    /// `File` named by its path.
    pub key: ObjectKey,
    /// The file it is in, in the old tree.
    pub old_file: Option<String>,
    /// The file it is in, in the new tree.
    pub new_file: Option<String>,
    /// Its text in the old tree.
    pub old: Option<String>,
    /// Its text in the new tree.
    pub new: Option<String>,
    /// Why this change is destructive, if it is.
    pub destructive: Option<String>,
}

impl Change {
    /// The object's line-by-line difference as unified-diff hunks (no file header), with three
    /// lines of context.
    pub fn hunks(&self) -> String {
        let old = self.old.as_deref().unwrap_or("");
        let new = self.new.as_deref().unwrap_or("");
        let diff = similar::TextDiff::from_lines(old, new);
        let mut text = String::new();
        for hunk in diff.unified_diff().context_radius(3).iter_hunks() {
            text.push_str(&hunk.to_string());
            if !text.ends_with('\n') {
                text.push('\n');
            }
        }
        text
    }

    /// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
    pub fn title(&self) -> String {
        object_title(&self.key)
    }

    /// The file named in the change's headers: the new one, else the old one.
    pub fn file(&self) -> &str {
        self.new_file
            .as_deref()
            .or(self.old_file.as_deref())
            .unwrap_or("")
    }
}

/// `Kind namespace/name`, or `Kind name` for a cluster-scoped object.
pub fn object_title(key: &ObjectKey) -> String {
    if key.namespace.is_empty() {
        format!("{} {}", key.kind, key.name)
    } else {
        format!("{} {}/{}", key.kind, key.namespace, key.name)
    }
}

/// The changes of one tenant, or of the platform-wide files.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// The tenant; `None` for platform-wide objects.
    pub tenant: Option<String>,
    /// Whether the tenant is new (added), gone (removed) or changed.
    pub status: ChangeKind,
    /// Its objects that differ, by namespace, kind order and name.
    pub changes: Vec<Change>,
    /// Destructive changes of the tenant as a whole (removal, isolation, network, node pool).
    pub destructive: Vec<String>,
}

impl Group {
    /// How many of its objects changed in this way.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.changes.iter().filter(|c| c.kind == kind).count()
    }

    /// How many destructive changes it has, tenant-wide and per object.
    pub fn destructive_count(&self) -> usize {
        self.destructive.len()
            + self
                .changes
                .iter()
                .filter(|c| c.destructive.is_some())
                .count()
    }

    /// The tenant's name, or `platform` for platform-wide objects.
    pub fn name(&self) -> &str {
        self.tenant.as_deref().unwrap_or("platform")
    }
}

/// A file whose text differs although every object in it is the same (formatting, comments
/// or order edited by hand): only `render --check` can see these.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path relative to the output directory.
    pub path: String,
    /// The old text.
    pub old: Option<String>,
    /// The new text.
    pub new: Option<String>,
}

/// Everything that differs between two trees.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Report {
    /// Per tenant, platform-wide first, then tenants by name.
    pub groups: Vec<Group>,
    /// Files that differ only in text, not in objects.
    pub files: Vec<FileChange>,
}

impl Report {
    /// Whether nothing differs.
    pub fn is_empty(&self) -> bool {
        self.groups.is_empty() && self.files.is_empty()
    }

    /// How many objects changed in this way, over all tenants.
    pub fn count(&self, kind: ChangeKind) -> usize {
        self.groups.iter().map(|g| g.count(kind)).sum()
    }

    /// How many objects differ.
    pub fn objects(&self) -> usize {
        self.groups.iter().map(|g| g.changes.len()).sum()
    }

    /// How many destructive changes there are.
    pub fn destructive_count(&self) -> usize {
        self.groups.iter().map(Group::destructive_count).sum()
    }

    /// Every destructive change: the group, the object (for an object's change) and why.
    pub fn destructive(&self) -> Vec<(&Group, Option<&Change>, &str)> {
        let mut out = Vec::new();
        for group in &self.groups {
            for reason in &group.destructive {
                out.push((group, None, reason.as_str()));
            }
            for change in &group.changes {
                if let Some(reason) = &change.destructive {
                    out.push((group, Some(change), reason.as_str()));
                }
            }
        }
        out
    }
}

/// The tenant a file of the output tree belongs to: `tenants/<tenant>/…` and
/// `terraform/node-group-<tenant>.tf.json`; `None` for platform-wide files.
pub fn tenant_of_path(path: &str) -> Option<&str> {
    if let Some(rest) = path.strip_prefix("tenants/") {
        return rest.split_once('/').map(|(tenant, _)| tenant);
    }
    path.strip_prefix("terraform/node-group-")
        .and_then(|rest| rest.strip_suffix(".tf.json"))
}

/// One object (or unreadable file) of one side, ready to compare.
#[derive(Debug, Clone)]
pub(crate) struct Unit {
    /// apiVersion, kind, namespace and name (or kind `File` and the path).
    pub(crate) key: ObjectKey,
    /// The file it is in.
    pub(crate) file: String,
    /// Its YAML as tenantc's writer writes it (or the file's text).
    pub(crate) text: String,
    /// The parsed object, when it came from text (for facts of a side without a model).
    pub(crate) value: Option<serde_json::Value>,
}

/// Compares two trees.
///
/// Files whose text is the same on both sides are skipped without looking inside; the objects
/// of the others are matched by key, so an object that moves to another file is unchanged.
pub fn diff(old: &Side<'_>, new: &Side<'_>) -> Report {
    let paths: BTreeSet<&str> = old.files.keys().chain(new.files.keys()).copied().collect();
    let differing: Vec<&str> = paths
        .into_iter()
        .filter(|p| old.files.get(p) != new.files.get(p))
        .collect();
    let old_units = split::units(old, &differing);
    let new_units = split::units(new, &differing);
    let mut changes: Vec<Change> = Vec::new();
    let keys: BTreeSet<&ObjectKey> = old_units.keys().chain(new_units.keys()).collect();
    let mut touched: BTreeSet<&str> = BTreeSet::new();
    for key in keys {
        let (a, b) = (old_units.get(key), new_units.get(key));
        let kind = match (a, b) {
            (Some(a), Some(b)) if a.text == b.text => continue,
            (Some(_), Some(_)) => ChangeKind::Changed,
            (None, Some(_)) => ChangeKind::Added,
            (Some(_), None) => ChangeKind::Removed,
            (None, None) => continue,
        };
        touched.extend(a.map(|u| u.file.as_str()));
        touched.extend(b.map(|u| u.file.as_str()));
        let destructive = match (a, b) {
            (Some(a), Some(b)) if immutable::watched(key) => {
                immutable::reason(key, a.value.as_ref(), b.value.as_ref(), &a.text, &b.text)
            }
            _ => None,
        };
        changes.push(Change {
            kind,
            key: key.clone(),
            old_file: a.map(|u| u.file.clone()),
            new_file: b.map(|u| u.file.clone()),
            old: a.map(|u| u.text.clone()),
            new: b.map(|u| u.text.clone()),
            destructive,
        });
    }
    let files = differing
        .iter()
        .filter(|p| !touched.contains(**p))
        .map(|p| FileChange {
            path: p.to_string(),
            old: old.files.get(p).map(|t| t.to_string()),
            new: new.files.get(p).map(|t| t.to_string()),
        })
        .collect();

    let old_facts = facts_or_derived(old, &old_units);
    let new_facts = facts_or_derived(new, &new_units);
    let mut by_tenant: BTreeMap<Option<String>, Vec<Change>> = BTreeMap::new();
    for change in changes {
        let tenant = tenant_of_path(change.file()).map(str::to_string);
        by_tenant.entry(tenant).or_default().push(change);
    }
    let old_tenants = tenants_of(old);
    let new_tenants = tenants_of(new);
    // Tenants whose facts changed may have no object change at all (a tier's isolation
    // changed before its renderer exists): they still get a group.
    for name in old_facts.keys().chain(new_facts.keys()) {
        if old_facts.get(name) != new_facts.get(name)
            && (old_tenants.contains(name.as_str()) || new_tenants.contains(name.as_str()))
        {
            by_tenant.entry(Some(name.clone())).or_default();
        }
    }
    let mut groups = Vec::new();
    for (tenant, mut changes) in by_tenant {
        let status = match &tenant {
            Some(t) => match (
                old_tenants.contains(t.as_str()),
                new_tenants.contains(t.as_str()),
            ) {
                (false, true) => ChangeKind::Added,
                (true, false) => ChangeKind::Removed,
                _ => ChangeKind::Changed,
            },
            None => ChangeKind::Changed,
        };
        changes.sort_by_cached_key(|c| sort_key(&c.key));
        let mut group = Group {
            tenant,
            status,
            changes,
            destructive: Vec::new(),
        };
        destructive::flag(&mut group, &old_facts, &new_facts, &old_units);
        if !group.changes.is_empty() || !group.destructive.is_empty() {
            groups.push(group);
        }
    }
    Report { groups, files }
}

/// Every tenant with at least one file on a side.
fn tenants_of<'a>(side: &Side<'a>) -> BTreeSet<&'a str> {
    side.files
        .keys()
        .filter_map(|p| tenant_of_path(p))
        .collect()
}

fn facts_or_derived(
    side: &Side<'_>,
    units: &BTreeMap<ObjectKey, Unit>,
) -> BTreeMap<String, TenantFacts> {
    match &side.tenants {
        Some(facts) => facts.clone(),
        None => destructive::derive_facts(side, units),
    }
}

/// Changes sort by namespace, then in file order (Namespace, ResourceQuota, LimitRange,
/// NetworkPolicies, Roles, RoleBindings, others), then by kind and name.
fn sort_key(key: &ObjectKey) -> (String, u8, String, String, String) {
    let rank = match key.kind.as_str() {
        "Namespace" => 0,
        "ResourceQuota" => 1,
        "LimitRange" => 2,
        "NetworkPolicy" => 3,
        "Role" => 4,
        "RoleBinding" => 5,
        _ => 6,
    };
    let namespace = if key.kind == "Namespace" {
        key.name.clone()
    } else {
        key.namespace.clone()
    };
    (
        namespace,
        rank,
        key.kind.clone(),
        key.name.clone(),
        key.api_version.clone(),
    )
}

#[cfg(test)]
mod tests;

/// One line summing the report up, such as `2 tenants changed: 4 objects differ (1 added,
/// 3 changed, 0 removed); 1 destructive change`.
pub fn summary_line(report: &Report) -> String {
    let plural =
        |n: usize, one: &str, many: &str| format!("{n} {}", if n == 1 { one } else { many });
    let tenants = report.groups.iter().filter(|g| g.tenant.is_some()).count();
    let platform = report.groups.iter().any(|g| g.tenant.is_none());
    let mut line = plural(tenants, "tenant", "tenants");
    if platform {
        line.push_str(" and the platform");
    }
    line.push_str(&format!(
        " changed: {} ({} added, {} changed, {} removed)",
        plural(report.objects(), "object differs", "objects differ"),
        report.count(ChangeKind::Added),
        report.count(ChangeKind::Changed),
        report.count(ChangeKind::Removed),
    ));
    if !report.files.is_empty() {
        line.push_str(&format!(
            "; {} differing only in formatting",
            plural(report.files.len(), "file", "files")
        ));
    }
    match report.destructive_count() {
        0 => line.push_str("; no destructive change"),
        n => line.push_str(&format!(
            "; {}",
            plural(n, "destructive change", "destructive changes")
        )),
    }
    line
}

/// What the new tree was compared with, for titles and advice in the formats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Baseline {
    /// The old side in words, such as ``the base `origin/main` (`0123456789ab`)``.
    pub description: String,
    /// The command that shows the whole diff locally, for a truncated report.
    pub command: String,
    /// JSON: `{"revision": …, "commit": …}` for a git base, `{"directory": …}` for a
    /// directory.
    pub json: serde_json::Value,
}
