//! The object-level view of a render plan, for `render --check`: what the output directory
//! holds compared with what the render would write, object by object.

use super::{Report, Side, TenantFacts, diff};
use crate::emit::{ChangeKind, Plan};
use crate::objects::OutputTree;
use std::collections::BTreeMap;

/// Compares the output directory (old) with the render (new) through the plan's changed
/// files; files the plan found up to date take part by path only.
pub fn plan_report(
    plan: &Plan,
    tree: &OutputTree,
    tenants: BTreeMap<String, TenantFacts>,
) -> Report {
    // Up-to-date files are the same on both sides, so their text is never looked at.
    let mut old: BTreeMap<&str, &str> = plan.lock.files.keys().map(|p| (p.as_str(), "")).collect();
    let mut new = old.clone();
    for change in &plan.changes {
        match change.kind {
            ChangeKind::Added => {
                old.remove(change.path.as_str());
            }
            ChangeKind::Removed => {
                new.remove(change.path.as_str());
            }
            ChangeKind::Modified => {}
        }
        if let Some(text) = &change.old {
            old.insert(&change.path, text);
        }
        if let Some(text) = &change.new {
            new.insert(&change.path, text);
        }
    }
    let old = Side {
        files: old,
        tree: None,
        tenants: None,
    };
    let new = Side {
        files: new,
        tree: Some(tree),
        tenants: Some(tenants),
    };
    diff(&old, &new)
}
