//! Diagnostics: the one error and warning type every stage reports, the table of stable codes,
//! and the renderers to human, JSON and GitHub output.
//!
//! A diagnostic is data. Stages point at values by file and JSON pointer; positions are looked
//! up only when diagnostics are rendered, so the hot path never builds position trees.
//! Choosing a stream to print to is the CLI's business.

pub mod codes;
mod render;

pub use codes::{Code, Severity};
pub use render::{Format, render};

use crate::source::{Position, SourceMap, Target};

/// Where a label points.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Anchor {
    /// A value or key named by a JSON pointer into the file's document.
    Pointer(String, Target),
    /// A known position (from the YAML parser).
    Position(Position),
    /// The file as a whole.
    File,
}

/// A place in a source file, with what to say there.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Label {
    /// The file's path relative to the repository.
    pub file: String,
    /// Where in the file.
    pub anchor: Anchor,
    /// What to say under the marked text (may be empty).
    pub message: String,
}

impl Label {
    /// A label on the value at `pointer` in `file`.
    pub fn value(file: &str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            anchor: Anchor::Pointer(pointer.into(), Target::Value),
            message: message.into(),
        }
    }

    /// A label on the key at `pointer` in `file`.
    pub fn key(file: &str, pointer: impl Into<String>, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            anchor: Anchor::Pointer(pointer.into(), Target::Key),
            message: message.into(),
        }
    }

    /// A label on a whole file.
    pub fn file(file: &str, message: impl Into<String>) -> Self {
        Self {
            file: file.into(),
            anchor: Anchor::File,
            message: message.into(),
        }
    }
}

/// Context after the main message: where a value came from, or a second place involved.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Note {
    /// The note's text.
    pub message: String,
    /// The place it refers to, printed after the text.
    pub label: Option<Label>,
}

/// One finding: an error or a warning, with a stable code and a located label.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Diagnostic {
    /// The stable code, which also gives the severity.
    pub code: Code,
    /// The headline: lowercase, no final period, values in backticks.
    pub message: String,
    /// The offending value.
    pub primary: Option<Label>,
    /// Where related values came from.
    pub notes: Vec<Note>,
    /// What to do about it.
    pub help: Option<String>,
}

impl Diagnostic {
    /// A new diagnostic with a headline and nothing else.
    pub fn new(code: Code, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            primary: None,
            notes: Vec::new(),
            help: None,
        }
    }

    /// Sets the primary label.
    pub fn at(mut self, label: Label) -> Self {
        self.primary = Some(label);
        self
    }

    /// Adds a note, optionally pointing somewhere.
    pub fn note(mut self, message: impl Into<String>, label: Option<Label>) -> Self {
        self.notes.push(Note {
            message: message.into(),
            label,
        });
        self
    }

    /// Sets the help line.
    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Whether this is an error (rather than a warning).
    pub fn is_error(&self) -> bool {
        self.code.severity == Severity::Error
    }
}

/// The diagnostics of a run, collected from every stage.
#[derive(Debug, Clone, Default)]
pub struct Diagnostics {
    items: Vec<Diagnostic>,
}

impl Diagnostics {
    /// Records a diagnostic.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.items.push(diagnostic);
    }

    /// Records all of `other`.
    pub fn extend(&mut self, other: impl IntoIterator<Item = Diagnostic>) {
        self.items.extend(other);
    }

    /// Whether any error was recorded.
    pub fn has_errors(&self) -> bool {
        self.items.iter().any(Diagnostic::is_error)
    }

    /// How many errors and warnings were recorded.
    pub fn counts(&self) -> (usize, usize) {
        let errors = self.items.iter().filter(|d| d.is_error()).count();
        (errors, self.items.len() - errors)
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    /// The recorded diagnostics, unordered.
    pub fn iter(&self) -> impl Iterator<Item = &Diagnostic> {
        self.items.iter()
    }

    /// Removes duplicates, looks up every position and sorts by file, line and code, so the
    /// report is the same whatever order the stages found things in.
    pub fn finish(mut self, sources: &SourceMap) -> Vec<Located> {
        self.items.sort();
        self.items.dedup();
        let mut located: Vec<Located> = self
            .items
            .into_iter()
            .map(|d| Located::new(d, sources))
            .collect();
        located.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        located.dedup_by(|a, b| a.sort_key() == b.sort_key());
        located
    }
}

/// A label whose position has been looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LocatedLabel {
    /// The file's path relative to the repository.
    pub file: String,
    /// The position, when the file could be read.
    pub position: Option<Position>,
    /// What to say there.
    pub message: String,
}

impl LocatedLabel {
    fn new(label: &Label, sources: &SourceMap) -> Self {
        let position = match &label.anchor {
            Anchor::Position(p) => Some(*p),
            Anchor::File => None,
            Anchor::Pointer(pointer, target) => sources
                .get(&label.file)
                .and_then(|f| crate::source::locate(&f.text, pointer, *target)),
        };
        Self {
            file: label.file.clone(),
            position,
            message: label.message.clone(),
        }
    }

    /// `file:line:column`, or just `file`.
    pub fn location(&self) -> String {
        match self.position {
            Some(p) => format!("{}:{}:{}", self.file, p.line, p.column),
            None => self.file.clone(),
        }
    }
}

/// A diagnostic ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Located {
    /// The stable code.
    pub code: Code,
    /// The headline.
    pub message: String,
    /// The offending value.
    pub primary: Option<LocatedLabel>,
    /// Notes, each possibly with a place.
    pub notes: Vec<(String, Option<LocatedLabel>)>,
    /// What to do.
    pub help: Option<String>,
}

impl Located {
    fn new(d: Diagnostic, sources: &SourceMap) -> Self {
        Self {
            code: d.code,
            primary: d.primary.as_ref().map(|l| LocatedLabel::new(l, sources)),
            notes: d
                .notes
                .iter()
                .map(|n| {
                    (
                        n.message.clone(),
                        n.label.as_ref().map(|l| LocatedLabel::new(l, sources)),
                    )
                })
                .collect(),
            message: d.message,
            help: d.help,
        }
    }

    fn sort_key(&self) -> (Option<&str>, Option<Position>, Code, &str) {
        (
            self.primary.as_ref().map(|l| l.file.as_str()),
            self.primary.as_ref().and_then(|l| l.position),
            self.code,
            self.message.as_str(),
        )
    }

    /// Whether this is an error.
    pub fn is_error(&self) -> bool {
        self.code.severity == Severity::Error
    }
}

impl IntoIterator for Diagnostics {
    type Item = Diagnostic;
    type IntoIter = std::vec::IntoIter<Diagnostic>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.into_iter()
    }
}
