//! The `json` format, for tools: the summary, every destructive change, and per tenant every
//! object that differs with its unified diff. Keys are sorted; the output is deterministic.

use super::{Baseline, ChangeKind, Report};
use serde_json::{Value, json};

/// Writes the report as one pretty-printed JSON document with a final newline.
pub fn format(report: &Report, baseline: &Baseline) -> String {
    let destructive: Vec<Value> = report
        .destructive()
        .into_iter()
        .map(|(group, change, reason)| {
            json!({
                "tenant": group.tenant,
                "object": change.map(|c| key(&c.key)),
                "reason": reason,
            })
        })
        .collect();
    let tenants: Vec<Value> = report
        .groups
        .iter()
        .map(|group| {
            let objects: Vec<Value> = group
                .changes
                .iter()
                .map(|c| {
                    let mut value = key(&c.key);
                    let extra = json!({
                        "change": c.kind.as_str(),
                        "oldFile": c.old_file,
                        "newFile": c.new_file,
                        "destructive": c.destructive,
                        "diff": c.hunks(),
                    });
                    if let (Some(map), Value::Object(extra)) = (value.as_object_mut(), extra) {
                        map.extend(extra);
                    }
                    value
                })
                .collect();
            json!({
                "tenant": group.tenant,
                "status": group.status.as_str(),
                "added": group.count(ChangeKind::Added),
                "changed": group.count(ChangeKind::Changed),
                "removed": group.count(ChangeKind::Removed),
                "destructive": group.destructive,
                "objects": objects,
            })
        })
        .collect();
    let files: Vec<Value> = report
        .files
        .iter()
        .map(|f| {
            let diff = similar::TextDiff::from_lines(
                f.old.as_deref().unwrap_or(""),
                f.new.as_deref().unwrap_or(""),
            );
            json!({
                "path": f.path,
                "diff": diff.unified_diff().context_radius(3).to_string(),
            })
        })
        .collect();
    let document = json!({
        "baseline": baseline.json,
        "summary": {
            "tenants": report.groups.iter().filter(|g| g.tenant.is_some()).count(),
            "added": report.count(ChangeKind::Added),
            "changed": report.count(ChangeKind::Changed),
            "removed": report.count(ChangeKind::Removed),
            "destructive": report.destructive_count(),
            "formattingOnlyFiles": report.files.len(),
        },
        "destructive": destructive,
        "tenants": tenants,
        "formattingOnlyFiles": files,
    });
    crate::emit::json(&document)
}

fn key(key: &crate::objects::ObjectKey) -> Value {
    json!({
        "apiVersion": key.api_version,
        "kind": key.kind,
        "namespace": key.namespace,
        "name": key.name,
    })
}
