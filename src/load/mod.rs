//! Reads a platform repository: finds `platform.yaml`, `tiers/*.yaml` and
//! `tenants/**/*.yaml`, enforces the size limit and reads each file's single YAML document.
//!
//! Owns all filesystem reads of the input; interprets nothing beyond "is this a YAML
//! document". Files are returned sorted by path, whatever order the filesystem lists them in.

pub mod git;
mod memory;
mod output;
mod tenant;
mod walk;

pub use memory::{MemoryEntry, MemoryRepo, find_memory_files};
pub use output::read_output_dir;
pub use tenant::load_tenant;
pub use walk::{RepoFiles, find_files};

use crate::diagnostics::{Anchor, Diagnostic, Diagnostics, Label, codes};
use crate::source::{ParseErrorKind, Position, SourceFile, SourceMap, parse_document};
use rayon::prelude::*;
use std::io;
use std::path::Path;
use std::sync::Arc;

/// The largest input file accepted.
pub const MAX_FILE_BYTES: u64 = 1024 * 1024;

/// One YAML document read from a file.
#[derive(Debug, Clone)]
pub struct Document {
    /// The file it came from.
    pub file: Arc<SourceFile>,
    /// Its content.
    pub value: serde_json::Value,
}

/// What `load` read: the documents by role, and every file's text for diagnostics.
#[derive(Debug, Default)]
pub struct Loaded {
    /// `platform.yaml`, when present and readable.
    pub platform: Option<Document>,
    /// `tiers/*.yaml`, sorted by path.
    pub tiers: Vec<Document>,
    /// `tenants/**/*.yaml`, sorted by path.
    pub tenants: Vec<Document>,
    /// Every file found under `tiers/`, readable or not, so a tenant of a broken tier is not
    /// also told that its tier does not exist.
    pub tier_paths: Vec<String>,
    /// `templates/**/*.yaml`, sorted by path: template text, not YAML documents.
    pub templates: Vec<Arc<SourceFile>>,
    /// The text of every file read.
    pub sources: SourceMap,
}

impl Loaded {
    /// The source files and templates, dropping the parsed documents: once validated they
    /// are the largest thing a fleet's compile holds.
    pub fn into_sources(self) -> (SourceMap, Vec<Arc<SourceFile>>) {
        // Freeing ten thousand documents' values is a good part of a compile: on every thread.
        self.tenants.into_par_iter().for_each(drop);
        (self.sources, self.templates)
    }
}

/// Where the input files come from: a directory, or files already in memory (such as those
/// of a git revision). Both go through the same listing rules and the same checks.
#[derive(Debug, Clone, Copy)]
pub enum Input<'a> {
    /// A platform repository on disk.
    Dir(&'a Path),
    /// A platform repository's files in memory.
    Memory(&'a MemoryRepo),
}

/// Reads the whole repository at `repo`.
///
/// Reports E0101–E0108 for files that cannot be read as one YAML document and leaves them
/// out; fails only when the repository itself cannot be listed.
pub fn load(repo: &Path, diags: &mut Diagnostics) -> io::Result<Loaded> {
    load_input(Input::Dir(repo), diags)
}

/// Reads the whole repository from `input`, with the same rules and diagnostics as [`load`].
pub fn load_input(input: Input<'_>, diags: &mut Diagnostics) -> io::Result<Loaded> {
    let files = match input {
        Input::Dir(repo) => find_files(repo, diags)?,
        Input::Memory(repo) => find_memory_files(repo, diags),
    };
    Ok(load_files_from(input, &files, diags))
}

/// Reads the text of every input file without parsing it, for a render to tell whether
/// anything changed since the last one. `None` when the listing or a read reported
/// anything (a link, a file too large, not UTF-8): such a repository gets the full pipeline,
/// which reports it.
pub fn read_sources(repo: &Path) -> io::Result<Option<SourceMap>> {
    let mut diags = Diagnostics::default();
    let files = find_files(repo, &mut diags)?;
    if !diags.is_empty() {
        return Ok(None);
    }
    let paths: Vec<&String> = files
        .platform
        .iter()
        .chain(&files.tiers)
        .chain(&files.tenants)
        .chain(&files.templates)
        .collect();
    let read: Option<Vec<Arc<SourceFile>>> = paths
        .par_iter()
        .map(|p| read_text(Input::Dir(repo), p).ok())
        .collect();
    Ok(read.map(|files| {
        let mut sources = SourceMap::default();
        for file in files {
            sources.insert(file);
        }
        sources
    }))
}

/// Reads the files `find_files` (or a caller choosing a subset) listed.
pub fn load_files(repo: &Path, files: &RepoFiles, diags: &mut Diagnostics) -> Loaded {
    load_files_from(Input::Dir(repo), files, diags)
}

/// Reads the listed files from `input`.
pub fn load_files_from(input: Input<'_>, files: &RepoFiles, diags: &mut Diagnostics) -> Loaded {
    let repo = input;
    let mut loaded = Loaded::default();
    let read = |paths: &[String]| -> Vec<FileResult> {
        paths.par_iter().map(|p| read_document(repo, p)).collect()
    };
    let mut collect = |results: Vec<FileResult>| {
        let mut docs = Vec::new();
        for (doc, source, found) in results {
            diags.extend(found);
            if let Some(source) = source {
                loaded.sources.insert(source);
            }
            docs.extend(doc);
        }
        docs
    };
    let platform: Vec<String> = files.platform.iter().cloned().collect();
    loaded.platform = collect(read(&platform)).pop();
    loaded.tiers = collect(read(&files.tiers));
    loaded.tier_paths = files.tiers.clone();
    loaded.tenants = collect(read(&files.tenants));
    for path in &files.templates {
        match read_text(repo, path) {
            Ok(source) => {
                loaded.sources.insert(source.clone());
                loaded.templates.push(source);
            }
            Err(d) => diags.push(*d),
        }
    }
    loaded
}

/// Reads one file's bytes, within the size limit.
fn read_bytes(input: Input<'_>, path: &str) -> Result<Vec<u8>, Box<Diagnostic>> {
    let fail =
        |code, message: String| Box::new(Diagnostic::new(code, message).at(Label::file(path, "")));
    let too_large = |len: u64| {
        fail(
            codes::FILE_TOO_LARGE,
            format!("the file is {len} bytes; the limit is {MAX_FILE_BYTES} (1 MiB)"),
        )
    };
    let repo = match input {
        Input::Dir(repo) => repo,
        Input::Memory(files) => {
            return match files.get(path) {
                Some(MemoryEntry::File(bytes)) if bytes.len() as u64 > MAX_FILE_BYTES => {
                    Err(too_large(bytes.len() as u64))
                }
                Some(MemoryEntry::File(bytes)) => Ok(bytes.clone()),
                Some(MemoryEntry::TooLarge(len)) => Err(too_large(*len)),
                Some(MemoryEntry::Symlink) | None => Err(fail(
                    codes::UNREADABLE_FILE,
                    "cannot read the file: not a regular file".into(),
                )),
            };
        }
    };
    let full = repo.join(path);
    match std::fs::metadata(&full) {
        Ok(m) if m.len() > MAX_FILE_BYTES => return Err(too_large(m.len())),
        Ok(_) => {}
        Err(e) => {
            return Err(fail(
                codes::UNREADABLE_FILE,
                format!("cannot read the file: {e}"),
            ));
        }
    }
    std::fs::read(&full)
        .map_err(|e| fail(codes::UNREADABLE_FILE, format!("cannot read the file: {e}")))
}

/// Reads one file as UTF-8 text, within the size limit.
fn read_text(input: Input<'_>, path: &str) -> Result<Arc<SourceFile>, Box<Diagnostic>> {
    let bytes = read_bytes(input, path)?;
    let text = String::from_utf8(bytes).map_err(|e| {
        let valid = &e.as_bytes()[..e.utf8_error().valid_up_to()];
        let prefix = String::from_utf8_lossy(valid);
        let line = prefix.matches('\n').count() + 1;
        let column = prefix.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
        Box::new(
            Diagnostic::new(codes::NOT_UTF8, "the file is not UTF-8 text")
                .at(Label {
                    file: path.into(),
                    anchor: Anchor::Position(Position {
                        line,
                        column,
                        len: 1,
                    }),
                    message: format!("invalid byte at offset {}", valid.len()),
                })
                .help("save the file as UTF-8"),
        )
    })?;
    Ok(Arc::new(SourceFile {
        path: path.into(),
        text,
    }))
}

/// What reading one file gave: its document, its text (for diagnostics) and its problems.
type FileResult = (Option<Document>, Option<Arc<SourceFile>>, Vec<Diagnostic>);

/// Reads and parses one file; never fails, reports instead.
fn read_document(repo: Input<'_>, path: &str) -> FileResult {
    let source = match read_text(repo, path) {
        Ok(source) => source,
        Err(d) => return (None, None, vec![*d]),
    };
    match parse_document(&source.text) {
        Ok(value) => (
            Some(Document {
                file: source.clone(),
                value,
            }),
            Some(source),
            Vec::new(),
        ),
        Err(e) => {
            let code = match e.kind {
                ParseErrorKind::Syntax => codes::YAML_SYNTAX,
                ParseErrorKind::DuplicateKey => codes::DUPLICATE_KEY,
                ParseErrorKind::Budget => codes::YAML_TOO_COMPLEX,
                ParseErrorKind::Empty => codes::EMPTY_FILE,
                ParseErrorKind::MultipleDocuments => codes::MULTIPLE_DOCUMENTS,
            };
            let anchor = match e.position {
                Some((line, column)) => Anchor::Position(Position {
                    line,
                    column,
                    len: 1,
                }),
                None => Anchor::File,
            };
            let headline = match e.kind {
                ParseErrorKind::Syntax => "the file is not valid YAML",
                ParseErrorKind::DuplicateKey => "a mapping has the same key twice",
                ParseErrorKind::Budget => "the YAML is too complex to read safely",
                ParseErrorKind::Empty => "the file is empty",
                ParseErrorKind::MultipleDocuments => "the file holds more than one YAML document",
            };
            let help = match e.kind {
                ParseErrorKind::Empty => {
                    Some("a tenant or tier file holds one document; delete the file or fill it in")
                }
                ParseErrorKind::MultipleDocuments => {
                    Some("put each tenant or tier in a file of its own")
                }
                ParseErrorKind::Budget if e.message.starts_with("nested") => {
                    Some("tenant and tier documents need far fewer levels; flatten the structure")
                }
                ParseErrorKind::Budget => {
                    Some("write the values out instead of expanding anchors and aliases")
                }
                _ => None,
            };
            let mut d = Diagnostic::new(code, headline).at(Label {
                file: path.into(),
                anchor,
                message: e.message,
            });
            if let Some(help) = help {
                d = d.help(help);
            }
            (None, Some(source), vec![d])
        }
    }
}
