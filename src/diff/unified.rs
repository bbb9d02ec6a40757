//! The `unified` format: per tenant, a unified diff of every object that differs, with
//! destructive changes called out first. Coloured for a terminal when asked to.

use super::{Change, ChangeKind, Report, summary_line};

const BOLD: &str = "\x1b[1m";
const RED: &str = "\x1b[31m";
const GREEN: &str = "\x1b[32m";
const CYAN: &str = "\x1b[36m";
const BOLD_RED: &str = "\x1b[1;31m";
const RESET: &str = "\x1b[0m";

/// Writes the report as unified diffs; empty when nothing differs. With `color`, ANSI
/// colours mark headers, removed and added lines and destructive changes.
pub fn format(report: &Report, color: bool) -> String {
    if report.is_empty() {
        return String::new();
    }
    let mut out = Out {
        text: String::new(),
        color,
    };
    out.line(BOLD, &format!("# tenantc diff: {}", summary_line(report)));
    for (group, change, reason) in report.destructive() {
        let subject = match change {
            Some(c) => format!("{} {}", group.name(), c.title()),
            None => group.name().to_string(),
        };
        out.line(BOLD_RED, &format!("# DESTRUCTIVE {subject}: {reason}"));
    }
    for group in &report.groups {
        let counts = [ChangeKind::Added, ChangeKind::Changed, ChangeKind::Removed]
            .iter()
            .map(|k| format!("{} {}", group.count(*k), k.as_str()))
            .collect::<Vec<_>>()
            .join(", ");
        let title = match &group.tenant {
            Some(t) => format!("tenant {t} ({})", group.status.as_str()),
            None => "platform".to_string(),
        };
        out.text.push('\n');
        out.line(BOLD, &format!("# {title}: {counts}"));
        for reason in &group.destructive {
            out.line(BOLD_RED, &format!("# DESTRUCTIVE: {reason}"));
        }
        for change in &group.changes {
            out.change(change);
        }
    }
    for file in &report.files {
        out.text.push('\n');
        out.line(
            BOLD,
            &format!("# file {} differs in formatting or order only", file.path),
        );
        let diff = similar::TextDiff::from_lines(
            file.old.as_deref().unwrap_or(""),
            file.new.as_deref().unwrap_or(""),
        );
        let text = diff
            .unified_diff()
            .context_radius(3)
            .header(&format!("a/{}", file.path), &format!("b/{}", file.path))
            .to_string();
        out.body(&text);
    }
    out.text
}

struct Out {
    text: String,
    color: bool,
}

impl Out {
    fn line(&mut self, style: &str, line: &str) {
        if self.color {
            self.text.push_str(style);
            self.text.push_str(line);
            self.text.push_str(RESET);
        } else {
            self.text.push_str(line);
        }
        self.text.push('\n');
    }

    fn change(&mut self, change: &Change) {
        self.line(
            BOLD,
            &format!(
                "# {} {} ({})",
                change.kind.as_str(),
                change.title(),
                change.key.api_version
            ),
        );
        if let Some(reason) = &change.destructive {
            self.line(BOLD_RED, &format!("# DESTRUCTIVE: {reason}"));
        }
        let a = change
            .old_file
            .as_ref()
            .map_or("/dev/null".to_string(), |f| format!("a/{f}"));
        let b = change
            .new_file
            .as_ref()
            .map_or("/dev/null".to_string(), |f| format!("b/{f}"));
        self.line(BOLD, &format!("--- {a}"));
        self.line(BOLD, &format!("+++ {b}"));
        self.body(&change.hunks());
    }

    /// Diff lines, coloured by their first character; file headers are bold.
    fn body(&mut self, text: &str) {
        for line in text.lines() {
            let style = if line.starts_with("---") || line.starts_with("+++") {
                BOLD
            } else if line.starts_with("@@") {
                CYAN
            } else if line.starts_with('-') {
                RED
            } else if line.starts_with('+') {
                GREEN
            } else {
                ""
            };
            if style.is_empty() {
                self.text.push_str(line);
                self.text.push('\n');
            } else {
                self.line(style, line);
            }
        }
    }
}
