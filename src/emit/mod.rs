//! Writes the output tree: serializes it, compares it with what is on disk, writes only
//! what changed (temporary file and rename), prunes files it wrote earlier and no longer
//! produces, and writes the lock last.
//!
//! Owns every write under `--out` and the ownership rules of DESIGN.md §5. Decides no
//! content; `render` did.

mod cache;
mod lock;
mod serialize;
mod session;
mod yaml;

pub use cache::{
    CACHE_DIR, CachedRepository, CachedTenant, FileStamp, OutputCache, clean_tenants, read_cache,
    unchanged_output, write_cache,
};
pub use lock::{LOCK_FILE, Lock};
pub use serialize::{json, serialize, serialize_file, yaml_stream};
pub use session::{Committed, Mode, Session};

use rayon::prelude::*;
use std::collections::BTreeSet;
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Suffix of the temporary files a write goes through; leftovers of an interrupted run are
/// removed by the next one.
pub const TEMP_SUFFIX: &str = ".tenantc-tmp";

/// A failure to read or write the output directory (exit code 2).
#[derive(Debug)]
pub struct EmitError(pub String);

impl fmt::Display for EmitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

fn io_error(what: &str, path: &Path, e: io::Error) -> EmitError {
    EmitError(format!("cannot {what} `{}`: {e}", path.display()))
}

/// Which owned files a render speaks for: all of them, or only some path prefixes (with
/// `--tenant`, the other tenants' files are neither rewritten nor pruned).
#[derive(Debug, Clone, Default)]
pub struct Scope(pub Option<Vec<String>>);

impl Scope {
    fn covers(&self, path: &str) -> bool {
        self.0
            .as_ref()
            .is_none_or(|prefixes| prefixes.iter().any(|p| path.starts_with(p.as_str())))
    }
}

/// How a file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// A new file.
    Added,
    /// A file whose content changes.
    Modified,
    /// A file tenantc wrote earlier and no longer produces.
    Removed,
}

/// One file that differs between the output directory and the render.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileChange {
    /// The path relative to the output directory.
    pub path: String,
    /// Added, modified or removed.
    pub kind: ChangeKind,
    /// The content on disk, if any.
    pub old: Option<String>,
    /// The rendered content, if any.
    pub new: Option<String>,
}

/// What a render would do to the output directory.
#[derive(Debug, Clone)]
pub struct Plan {
    /// The output directory.
    pub out_dir: PathBuf,
    /// The files to write or remove, by path.
    pub changes: Vec<FileChange>,
    /// How many rendered files are already up to date.
    pub unchanged: usize,
    /// Files under the output directory that tenantc does not own; they are kept.
    pub unowned: Vec<String>,
    /// Temporary files left by an interrupted run.
    pub leftovers: Vec<String>,
    /// The lock after this render.
    pub lock: Lock,
    /// Whether the lock on disk differs from `lock`.
    pub lock_changed: bool,
}

impl Plan {
    /// Whether the output directory already matches the render.
    pub fn is_clean(&self) -> bool {
        self.changes.is_empty() && !self.lock_changed
    }
}

/// What a committed render did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Summary {
    /// Files written.
    pub written: usize,
    /// Files removed.
    pub removed: usize,
    /// Files left as they were.
    pub unchanged: usize,
}

fn is_safe_relative(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('/')
        && !path.contains('\\')
        && !path.contains('\0')
        && path
            .split('/')
            .all(|c| !c.is_empty() && c != "." && c != "..")
}

/// Reads the lock (if any) and lists the files under the output directory.
fn read_existing(out_dir: &Path) -> Result<(Option<Lock>, BTreeSet<String>), EmitError> {
    match std::fs::symlink_metadata(out_dir) {
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok((None, BTreeSet::new())),
        Err(e) => return Err(io_error("read", out_dir, e)),
        Ok(m) if !m.is_dir() => {
            return Err(EmitError(format!(
                "`{}` is not a directory",
                out_dir.display()
            )));
        }
        Ok(_) => {}
    }
    let (files, links) = list_tree(out_dir, "", 0)
        .map_err(|e| EmitError(format!("cannot list `{}`: {e}", out_dir.display())))?;
    let on_disk: BTreeSet<String> = files.into_iter().collect();
    // The walk does not follow links, so every write or removal under a link to a directory
    // would happen wherever it points: refuse such a tree outright. (A link to a file is
    // refused where tenantc would write that file, and kept otherwise.)
    let linked_dirs: BTreeSet<PathBuf> = links.into_iter().collect();
    // The first by name, whatever order the file system lists them in.
    if let Some(link) = linked_dirs.first() {
        return Err(EmitError(format!(
            "refusing to use `{}`: `{}` is a symbolic link to a directory, and tenantc never writes or prunes through links; replace it with a real directory or remove it",
            out_dir.display(),
            link.display()
        )));
    }
    let lock_path = out_dir.join(LOCK_FILE);
    let lock = match std::fs::read_to_string(&lock_path) {
        Ok(text) => Some(serde_json::from_str::<Lock>(&text).map_err(|e| {
            EmitError(format!(
                "`{}` is not a tenantc lock: {e}",
                lock_path.display()
            ))
        })?),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(io_error("read", &lock_path, e)),
    };
    // The lock names the files tenantc may prune: a lock naming anything outside the output
    // directory was not written by tenantc, and is not used at all.
    if let Some(bad) = lock
        .iter()
        .flat_map(|l| l.files.keys())
        .find(|p| !is_safe_relative(p))
    {
        return Err(EmitError(format!(
            "refusing to use `{}`: it lists `{bad}`, which is not a path inside `{}`; restore the lock from version control, or remove the output directory and render again",
            lock_path.display(),
            out_dir.display()
        )));
    }
    if lock.is_none() && !on_disk.is_empty() {
        return Err(EmitError(format!(
            "refusing to write into `{}`: it is not empty and has no {LOCK_FILE}, so tenantc does not own it",
            out_dir.display()
        )));
    }
    Ok((lock, on_disk))
}

/// Directories under the output directory nested deeper than this are refused rather than
/// listed: no output is nearly that deep, and the listing recurses.
const MAX_OUTPUT_DEPTH: usize = 64;

/// The relative `/` paths of everything under `dir` that is not a directory (files and links,
/// unsorted), and the links among them that point to directories; hidden entries at the top
/// (the cache `out/.tenantc`, a `.git`) are left out, but for leftover temporary files.
/// Links are never followed. Sibling directories are listed in parallel: a fleet's output has
/// ten thousand of them.
fn list_tree(dir: &Path, relative: &str, depth: usize) -> io::Result<(Vec<String>, Vec<PathBuf>)> {
    if depth > MAX_OUTPUT_DEPTH {
        return Err(io::Error::other(format!(
            "`{}` is nested deeper than {MAX_OUTPUT_DEPTH} directories",
            dir.display()
        )));
    }
    let (mut files, mut links, mut subdirs) = (Vec::new(), Vec::new(), Vec::new());
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        // Hidden entries at the top (`.git`, `.gitignore`, the cache `.tenantc`) are not
        // tenantc's, which never writes a hidden name there but its temporary files: an
        // output directory may be a git repository of its own. Links are still listed, so
        // that one in place of the cache is refused like any other.
        if depth == 0
            && name.starts_with('.')
            && !kind.is_symlink()
            && (kind.is_dir() || !name.ends_with(TEMP_SUFFIX))
        {
            continue;
        }
        let path = if relative.is_empty() {
            name.into_owned()
        } else {
            format!("{relative}/{name}")
        };
        if kind.is_dir() {
            subdirs.push((entry.path(), path));
            continue;
        }
        if kind.is_symlink() && entry.path().is_dir() {
            links.push(entry.path());
        }
        files.push(path);
    }
    let nested: Vec<io::Result<(Vec<String>, Vec<PathBuf>)>> = subdirs
        .par_iter()
        .map(|(full, path)| list_tree(full, path, depth + 1))
        .collect();
    for listed in nested {
        let (more_files, more_links) = listed?;
        files.extend(more_files);
        links.extend(more_links);
    }
    Ok((files, links))
}

/// Writes the lock, last, through a temporary file; returns its stamp.
fn write_lock(out_dir: &Path, lock: &Lock) -> Result<Option<FileStamp>, EmitError> {
    write_atomic(&out_dir.join(LOCK_FILE), &lock.to_text())
}

/// The temporary file a write of `target` goes through.
fn temp_path(target: &Path) -> PathBuf {
    let dir = target.parent().unwrap_or(Path::new("."));
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.join(format!(".{name}{TEMP_SUFFIX}"))
}

/// Writes `content` to a new temporary file at `temp` and returns the file's stamp (which a
/// rename keeps). Whatever is there already (a leftover of an interrupted run, or a link
/// planted under that name) is removed first and the file is created exclusively, so the
/// write can never go through a symbolic link.
fn write_temp(temp: &Path, content: &str) -> Result<Option<FileStamp>, EmitError> {
    use std::io::Write;
    let create = || {
        std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(temp)
    };
    // Exclusive creation fails on anything already there, a link included, without following
    // it; only then is the name cleared (usually nothing is there: one system call).
    let file = match create() {
        Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
            std::fs::remove_file(temp).map_err(|e| io_error("remove", temp, e))?;
            create()
        }
        other => other,
    };
    file.and_then(|mut file| {
        file.write_all(content.as_bytes())?;
        Ok(FileStamp::of(&file.metadata()?))
    })
    .map_err(|e| io_error("write", temp, e))
}

/// Writes `path` through a temporary file and returns its stamp.
fn write_atomic(path: &Path, content: &str) -> Result<Option<FileStamp>, EmitError> {
    let dir = path.parent().unwrap_or(Path::new("."));
    std::fs::create_dir_all(dir).map_err(|e| io_error("create directory", dir, e))?;
    let temp = temp_path(path);
    let stamp = write_temp(&temp, content)?;
    std::fs::rename(&temp, path).map_err(|e| {
        let _ = std::fs::remove_file(&temp);
        io_error("write", path, e)
    })?;
    Ok(stamp)
}

fn remove_empty_parents(root: &Path, file: &Path) {
    let mut dir = file.parent();
    while let Some(d) = dir {
        if d == root || !d.starts_with(root) || std::fs::remove_dir(d).is_err() {
            break;
        }
        dir = d.parent();
    }
}
