//! Renders located diagnostics as human text (with source snippets), JSON or GitHub
//! workflow commands.

use super::{Located, LocatedLabel};
use crate::source::SourceMap;
use std::fmt::Write;

/// An output format for diagnostics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Format {
    /// rustc-style text with the offending line.
    #[default]
    Human,
    /// One JSON array.
    Json,
    /// GitHub Actions `::error file=…,line=…,col=…::` lines.
    Github,
}

/// Renders `diagnostics` in `format`.
pub fn render(diagnostics: &[Located], sources: &SourceMap, format: Format) -> String {
    match format {
        Format::Human => {
            let mut out = String::new();
            for d in diagnostics {
                human(&mut out, d, sources);
            }
            out
        }
        Format::Json => {
            let items: Vec<serde_json::Value> = diagnostics.iter().map(json).collect();
            let mut text = serde_json::to_string_pretty(&items).unwrap_or_default();
            text.push('\n');
            text
        }
        Format::Github => diagnostics.iter().map(github).collect(),
    }
}

fn severity_word(d: &Located) -> &'static str {
    if d.is_error() { "error" } else { "warning" }
}

fn human(out: &mut String, d: &Located, sources: &SourceMap) {
    let _ = writeln!(out, "{}[{}]: {}", severity_word(d), d.code, d.message);
    // The gutter is as wide as the line number shown, as in rustc's output.
    let width = d
        .primary
        .as_ref()
        .and_then(|l| l.position)
        .map_or(1, |p| p.line.to_string().len());
    let gutter = " ".repeat(width);
    if let Some(label) = &d.primary {
        let _ = writeln!(out, "{gutter}--> {}", label.location());
        snippet(out, label, sources, &gutter);
    }
    for (message, label) in &d.notes {
        match label {
            Some(l) => {
                let _ = writeln!(out, "{gutter} = note: {message} ({})", l.location());
            }
            None => {
                let _ = writeln!(out, "{gutter} = note: {message}");
            }
        }
    }
    if let Some(help) = &d.help {
        let _ = writeln!(out, "{gutter} = help: {help}");
    }
    out.push('\n');
}

fn snippet(out: &mut String, label: &LocatedLabel, sources: &SourceMap, gutter: &str) {
    let line = label
        .position
        .and_then(|p| Some((p, sources.line(&label.file, p.line)?)));
    let Some((p, line)) = line else {
        if !label.message.is_empty() {
            let _ = writeln!(out, "{gutter} |");
            let _ = writeln!(out, "{gutter} = {}", label.message);
        }
        return;
    };
    // At most 200 characters of the line; past column 120, a window from 60 characters
    // before the column, marked with `…`, so the caret and its message stay in view.
    let skip = if p.column > 120 { p.column - 61 } else { 0 };
    let marker = if skip > 0 { "…" } else { "" };
    let shown: String = line.chars().skip(skip).take(200).collect();
    let before = p.column - 1 - skip;
    let available = shown.chars().count().saturating_sub(before).max(1);
    let carets = "^".repeat(p.len.min(available));
    let _ = writeln!(out, "{gutter} |");
    let _ = writeln!(out, "{} | {marker}{shown}", p.line);
    // Tabs stay tabs under the text, so the caret lines up however a terminal expands them.
    let pad: String = marker
        .chars()
        .map(|_| ' ')
        .chain(
            shown
                .chars()
                .take(before)
                .map(|c| if c == '\t' { '\t' } else { ' ' }),
        )
        .chain(std::iter::repeat_n(
            ' ',
            before.saturating_sub(shown.chars().count()),
        ))
        .collect();
    if label.message.is_empty() {
        let _ = writeln!(out, "{gutter} | {pad}{carets}");
    } else {
        let _ = writeln!(out, "{gutter} | {pad}{carets} {}", label.message);
    }
}

fn json(d: &Located) -> serde_json::Value {
    let label = |l: &LocatedLabel| {
        serde_json::json!({
            "file": l.file,
            "line": l.position.map(|p| p.line),
            "column": l.position.map(|p| p.column),
            "message": l.message,
        })
    };
    serde_json::json!({
        "severity": severity_word(d),
        "code": d.code.to_string(),
        "name": d.code.name,
        "message": d.message,
        "primary": d.primary.as_ref().map(label),
        "notes": d.notes.iter().map(|(m, l)| serde_json::json!({
            "message": m,
            "location": l.as_ref().map(label),
        })).collect::<Vec<_>>(),
        "help": d.help,
    })
}

/// GitHub workflow commands need `%`, `\r`, `\n` (and in properties `:` and `,`) escaped.
fn escape(s: &str, property: bool) -> String {
    let mut out = s
        .replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A");
    if property {
        out = out.replace(':', "%3A").replace(',', "%2C");
    }
    out
}

fn github(d: &Located) -> String {
    let mut props = Vec::new();
    if let Some(l) = &d.primary {
        props.push(format!("file={}", escape(&l.file, true)));
        if let Some(p) = l.position {
            props.push(format!("line={}", p.line));
            props.push(format!("col={}", p.column));
        }
    }
    props.push(format!(
        "title={}",
        escape(&format!("{} {}", d.code, d.code.name), true)
    ));
    let mut message = d.message.clone();
    if let Some(l) = d.primary.as_ref().filter(|l| !l.message.is_empty()) {
        let _ = write!(message, ": {}", l.message);
    }
    for (note, label) in &d.notes {
        let _ = write!(message, "\nnote: {note}");
        if let Some(l) = label {
            let _ = write!(message, " ({})", l.location());
        }
    }
    if let Some(help) = &d.help {
        let _ = write!(message, "\nhelp: {help}");
    }
    format!(
        "::{} {}::{}\n",
        severity_word(d),
        props.join(","),
        escape(&message, false)
    )
}
