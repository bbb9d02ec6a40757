//! The `markdown` format, for a pull-request comment: a summary table first, destructive
//! changes called out, then a collapsible `<details>` section per tenant with a `diff` block
//! per object. It stays under [`LIMIT`] characters, leaving objects out (and saying how many)
//! rather than being cut off mid-block by the forge.

use super::{Baseline, Change, ChangeKind, Group, Report, summary_line};

/// The most characters the comment may have (GitHub's limit is 65,536).
pub const LIMIT: usize = 60_000;

/// Writes the report as Markdown of at most [`LIMIT`] characters.
pub fn format(report: &Report, baseline: &Baseline) -> String {
    format_within(report, baseline, LIMIT)
}

/// Writes the report as Markdown of at most `limit` characters (never less than a short
/// header and the note about what was left out).
pub fn format_within(report: &Report, baseline: &Baseline, limit: usize) -> String {
    let mut out = Budget::new(limit);
    out.push_always("## tenantc diff\n\n");
    if report.is_empty() {
        out.push_always(&format!(
            "No rendered object changes compared with {}.\n",
            baseline.description
        ));
        return out.text;
    }
    out.push_always(&format!(
        "Compared with {}: **{}**.\n\n",
        baseline.description,
        escape(&summary_line(report))
    ));
    // Room kept for the closing note and the end of an open section.
    let reserve = 600.min(limit / 4);
    let mut left_out_lines = 0usize;

    let destructive = report.destructive();
    if !destructive.is_empty() {
        out.push_always(&format!(
            "> [!CAUTION]\n> **{} destructive change{}** — merging this deletes, abandons or \
             rebuilds tenant resources, or cannot be applied in place:\n",
            destructive.len(),
            if destructive.len() == 1 { "" } else { "s" }
        ));
        let share = out.used() + (limit - out.used().min(limit)) / 4;
        for (i, (group, change, reason)) in destructive.iter().enumerate() {
            let subject = match change {
                Some(c) => format!("**{}** `{}`", escape(group.name()), code(&c.title())),
                None => format!("**{}**", escape(group.name())),
            };
            let line = format!("> - {subject}: {}\n", escape(reason));
            if !out.push_within(&line, share) {
                out.push_always(&format!("> - … and {} more\n", destructive.len() - i));
                break;
            }
        }
        out.push_always("\n");
    }

    out.push_always(
        "| tenant | status | added | changed | removed | destructive |\n\
         |:--|:--|--:|--:|--:|--:|\n",
    );
    let share = out.used() + (limit - out.used().min(limit)) / 3;
    for (i, group) in report.groups.iter().enumerate() {
        let destructive = match group.destructive_count() {
            0 => String::new(),
            n => format!("⚠️ {n}"),
        };
        let row = format!(
            "| {} | {} | {} | {} | {} | {destructive} |\n",
            tenant_cell(group),
            group.status.as_str(),
            group.count(ChangeKind::Added),
            group.count(ChangeKind::Changed),
            group.count(ChangeKind::Removed),
        );
        if !out.push_within(&row, share) {
            out.push_always(&format!(
                "| … {} more | | | | | |\n",
                report.groups.len() - i
            ));
            break;
        }
    }
    out.push_always("\n");

    let mut full = true;
    for group in &report.groups {
        if !full {
            left_out_lines += group.changes.len();
            continue;
        }
        let open = section_open(group);
        if !out.push_within(&open, limit - reserve) {
            full = false;
            left_out_lines += group.changes.len();
            continue;
        }
        for (i, change) in group.changes.iter().enumerate() {
            if !full {
                left_out_lines += 1;
                continue;
            }
            let after_list = i > 0 && group.changes[i - 1].kind == ChangeKind::Removed;
            if !out.push_within(&entry(change, after_list), limit - reserve) {
                full = false;
                left_out_lines += group.changes.len() - i;
            }
        }
        let close = if out.text.ends_with("\n\n") {
            "</details>\n\n"
        } else {
            "\n</details>\n\n"
        };
        out.push_always(close);
    }
    if !report.files.is_empty() && full {
        let mut list =
            String::from("Files that differ only in formatting or order (no object changed):\n\n");
        for file in &report.files {
            list.push_str(&format!("- `{}`\n", code(&file.path)));
        }
        list.push('\n');
        out.push_within(&list, limit - reserve);
    }
    if left_out_lines > 0 {
        out.push_always(&format!(
            "> [!NOTE]\n> This comment is truncated to stay under {limit} characters: **{} \
             object{} left out**. Run `{}` to see the whole diff.\n",
            left_out_lines,
            if left_out_lines == 1 {
                " was"
            } else {
                "s were"
            },
            baseline.command
        ));
    }
    out.text
}

fn tenant_cell(group: &Group) -> String {
    match &group.tenant {
        Some(t) => format!("`{}`", code(t)),
        None => "*platform*".to_string(),
    }
}

fn section_open(group: &Group) -> String {
    let mut counts = Vec::new();
    for kind in [ChangeKind::Added, ChangeKind::Changed, ChangeKind::Removed] {
        let n = group.count(kind);
        if n > 0 {
            counts.push(format!("{n} {}", kind.as_str()));
        }
    }
    let mut summary = match &group.tenant {
        Some(t) => format!("<code>{}</code> ({})", html(t), group.status.as_str()),
        None => "platform".to_string(),
    };
    if !counts.is_empty() {
        summary.push_str(&format!(": {}", counts.join(", ")));
    }
    if group.destructive_count() > 0 {
        summary.push_str(" — ⚠️ destructive");
    }
    let mut text = format!("<details>\n<summary>{summary}</summary>\n\n");
    for reason in &group.destructive {
        text.push_str(&format!("> ⚠️ **Destructive:** {}\n\n", escape(reason)));
    }
    text
}

fn entry(change: &Change, after_list: bool) -> String {
    let title = format!(
        "**{}** `{}` (`{}` in `{}`)",
        change.kind.as_str(),
        code(&change.title()),
        code(&change.key.api_version),
        code(change.file()),
    );
    let warning = change
        .destructive
        .as_ref()
        .map(|reason| format!("⚠️ **Destructive:** {}", escape(reason)));
    // A removed object's text would be all `-` lines: its title is what a reviewer needs.
    if change.kind == ChangeKind::Removed {
        return match warning {
            Some(w) => format!("- {title} — {w}\n"),
            None => format!("- {title}\n"),
        };
    }
    // A paragraph right after a list item would continue the item: separate them.
    let mut text = if after_list {
        format!("\n{title}\n\n")
    } else {
        format!("{title}\n\n")
    };
    if let Some(w) = warning {
        text.push_str(&format!("> {w}\n\n"));
    }
    let hunks = change.hunks();
    let fence = fence_for(&hunks);
    text.push_str(&format!("{fence}diff\n{hunks}{fence}\n\n"));
    text
}

/// A code fence longer than any run of backticks in `text`.
fn fence_for(text: &str) -> String {
    let mut longest = 0;
    let mut run = 0;
    for c in text.chars() {
        if c == '`' {
            run += 1;
            longest = longest.max(run);
        } else {
            run = 0;
        }
    }
    "`".repeat(longest.max(2) + 1)
}

/// Text for inside an inline code span: backticks would end it early, pipes would split a
/// table cell.
fn code(text: &str) -> String {
    text.replace('`', "'").replace('|', "\\|")
}

/// Text for inside HTML.
fn html(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

/// Plain text that must not start HTML tags or split table cells.
fn escape(text: &str) -> String {
    text.replace('<', "&lt;").replace('|', "\\|")
}

/// Text with a running character count.
struct Budget {
    text: String,
    chars: usize,
    limit: usize,
}

impl Budget {
    fn new(limit: usize) -> Self {
        Self {
            text: String::new(),
            chars: 0,
            limit,
        }
    }

    fn used(&self) -> usize {
        self.chars
    }

    /// Appends text that must be there (headers, closing tags, the truncation note).
    fn push_always(&mut self, piece: &str) {
        self.text.push_str(piece);
        self.chars += piece.chars().count();
    }

    /// Appends `piece` if the text stays within `until` (and the limit); says whether it did.
    fn push_within(&mut self, piece: &str, until: usize) -> bool {
        let n = piece.chars().count();
        if self.chars + n > until.min(self.limit) {
            return false;
        }
        self.text.push_str(piece);
        self.chars += n;
        true
    }
}
