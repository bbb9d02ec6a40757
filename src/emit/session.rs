//! A render of the output directory done in batches: each batch of rendered files is compared
//! with the disk and, when it differs, written to a temporary file beside its target; only
//! when every batch has succeeded are the temporary files renamed into place, pruned files
//! removed and the lock written. Memory stays bounded by one batch, and nothing under the
//! output directory changes unless the whole render succeeded.

use super::{
    ChangeKind, EmitError, FileChange, FileStamp, LOCK_FILE, Lock, Plan, Scope, Summary,
    TEMP_SUFFIX, io_error, is_safe_relative, read_existing, remove_empty_parents, temp_path,
    write_lock, write_temp,
};
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::io;
use std::path::{Path, PathBuf};

/// Whether a session writes (render) or only compares (`--check`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Compare only; changes keep both contents for a diff.
    Compare,
    /// Write changed files to temporary files as they come; changes keep no content.
    Write,
}

/// An output directory being rendered into.
#[derive(Debug)]
pub struct Session {
    out_dir: PathBuf,
    mode: Mode,
    old_lock: Option<Lock>,
    on_disk: BTreeSet<String>,
    digests: BTreeMap<String, String>,
    /// The stamp of every file written or found up to date, taken as it was written or read:
    /// what the incremental cache records, without asking the disk again.
    stamps: BTreeMap<String, FileStamp>,
    changes: Vec<FileChange>,
    staged: Vec<(PathBuf, PathBuf)>,
    unchanged: usize,
    /// Directories under the output directory known to exist (relative paths).
    directories: BTreeSet<String>,
}

impl Session {
    /// Reads the lock and lists the directory. Refuses an existing, non-empty directory
    /// without a lock: tenantc never takes over files it did not write.
    pub fn open(out_dir: &Path, mode: Mode) -> Result<Self, EmitError> {
        let (old_lock, on_disk) = read_existing(out_dir)?;
        Ok(Self {
            out_dir: out_dir.to_path_buf(),
            mode,
            old_lock,
            on_disk,
            digests: BTreeMap::new(),
            stamps: BTreeMap::new(),
            changes: Vec::new(),
            staged: Vec::new(),
            unchanged: 0,
            directories: BTreeSet::new(),
        })
    }

    /// The files found to differ so far, in the order they were added.
    pub fn changes(&self) -> &[FileChange] {
        &self.changes
    }

    /// The lock found on disk, if any.
    pub fn old_lock(&self) -> Option<&Lock> {
        self.old_lock.as_ref()
    }

    /// Compares a batch of rendered files with the disk and, in write mode, writes the ones
    /// that differ to temporary files.
    pub fn add(&mut self, files: BTreeMap<String, String>) -> Result<(), EmitError> {
        if let Some(path) = files.keys().find(|p| !is_safe_relative(p)) {
            return Err(EmitError(format!(
                "internal error: unsafe output path `{path}`"
            )));
        }
        if self.mode == Mode::Write {
            self.create_directories(files.keys())?;
        }
        let out_dir = &self.out_dir;
        let mode = self.mode;
        let on_disk = &self.on_disk;
        let compared: Vec<Result<Compared, EmitError>> = files
            .into_par_iter()
            .map(|(path, new)| {
                let full = out_dir.join(&path);
                // A file the listing did not show is new: no need to ask the disk again.
                let (change, mut stamp) = if on_disk.contains(&path) {
                    compare(&full, &path, &new, mode)?
                } else {
                    let added = FileChange {
                        path: path.clone(),
                        kind: ChangeKind::Added,
                        old: None,
                        new: (mode == Mode::Compare).then(|| new.clone()),
                    };
                    (Some(added), None)
                };
                let staged = match (&change, mode) {
                    (Some(_), Mode::Write) => {
                        let (temp, written) = stage(&full, &new)?;
                        stamp = written;
                        Some((temp, full))
                    }
                    _ => None,
                };
                Ok(Compared {
                    digest: crate::digest::sha256_tagged(new.as_bytes()),
                    path,
                    change,
                    stamp,
                    staged,
                })
            })
            .collect();
        for result in compared {
            let compared = result?;
            if let Some(stamp) = compared.stamp {
                self.stamps.insert(compared.path.clone(), stamp);
            }
            self.digests.insert(compared.path, compared.digest);
            match compared.change {
                Some(change) => self.changes.push(change),
                None => self.unchanged += 1,
            }
            self.staged.extend(compared.staged);
        }
        Ok(())
    }

    /// Creates the directories of `paths` that the listing did not show, each once, rather
    /// than asking the disk for a file's directory every time a file is written.
    fn create_directories<'p>(
        &mut self,
        paths: impl Iterator<Item = &'p String>,
    ) -> Result<(), EmitError> {
        if self.directories.is_empty() {
            self.directories = self
                .on_disk
                .iter()
                .flat_map(|path| ancestors(path))
                .map(str::to_string)
                .collect();
        }
        let missing: BTreeSet<&str> = paths
            .filter_map(|path| path.rsplit_once('/').map(|(dir, _)| dir))
            .filter(|dir| !self.directories.contains(*dir))
            .collect();
        // In parallel: creating directories is most of a new tenant's system time, and
        // `create_dir_all` accepts a parent another thread has just created.
        let out_dir = &self.out_dir;
        missing.par_iter().try_for_each(|dir| {
            let full = out_dir.join(dir);
            std::fs::create_dir_all(&full).map_err(|e| io_error("create directory", &full, e))
        })?;
        for dir in missing {
            self.directories
                .extend(ancestors(&format!("{dir}/")).map(str::to_string));
        }
        Ok(())
    }

    /// Keeps the lock entries of files this render does not produce but must not prune (the
    /// files of tenants whose inputs did not change).
    pub fn keep<'p>(&mut self, paths: impl IntoIterator<Item = &'p String>) {
        if let Some(lock) = &self.old_lock {
            for path in paths {
                if let Some(digest) = lock.files.get(path) {
                    self.unchanged += 1;
                    self.digests.insert(path.clone(), digest.clone());
                }
            }
        }
    }

    /// What the render does to the directory: the changes so far, the files to prune (in
    /// `scope`, in the old lock, no longer produced), unowned files and the new lock.
    pub fn plan(&self, scope: &Scope) -> Plan {
        let old_files = self
            .old_lock
            .as_ref()
            .map(|l| l.files.clone())
            .unwrap_or_default();
        let mut changes = self.changes.clone();
        for path in old_files.keys() {
            if scope.covers(path) && !self.digests.contains_key(path) && self.on_disk.contains(path)
            {
                let old = match self.mode {
                    Mode::Compare => std::fs::read(self.out_dir.join(path))
                        .ok()
                        .map(|b| String::from_utf8_lossy(&b).into_owned()),
                    Mode::Write => None,
                };
                changes.push(FileChange {
                    path: path.clone(),
                    kind: ChangeKind::Removed,
                    old,
                    new: None,
                });
            }
        }
        changes.sort_by(|a, b| a.path.cmp(&b.path));
        let mut lock_files: BTreeMap<String, String> = old_files
            .iter()
            .filter(|(p, _)| !scope.covers(p))
            .map(|(p, d)| (p.clone(), d.clone()))
            .collect();
        lock_files.extend(self.digests.iter().map(|(p, d)| (p.clone(), d.clone())));
        let lock = Lock::new(lock_files);
        let lock_changed = self.old_lock.as_ref() != Some(&lock);
        let mut unowned = Vec::new();
        let mut leftovers = Vec::new();
        for path in &self.on_disk {
            if path.ends_with(TEMP_SUFFIX) {
                leftovers.push(path.clone());
            } else if path != LOCK_FILE
                && !old_files.contains_key(path)
                && !self.digests.contains_key(path)
            {
                unowned.push(path.clone());
            }
        }
        Plan {
            out_dir: self.out_dir.clone(),
            changes,
            unchanged: self.unchanged,
            unowned,
            leftovers,
            lock,
            lock_changed,
        }
    }

    /// Moves the staged files into place, prunes, removes leftovers and writes the lock last.
    pub fn commit(mut self, plan: &Plan) -> Result<Committed, EmitError> {
        let staged = std::mem::take(&mut self.staged);
        let renamed: Vec<Result<(), EmitError>> = staged
            .par_iter()
            .map(|(temp, target)| {
                std::fs::rename(temp, target).map_err(|e| io_error("write", target, e))
            })
            .collect();
        for r in renamed {
            r?;
        }
        let mut summary = Summary {
            written: staged.len(),
            removed: 0,
            unchanged: plan.unchanged,
        };
        for change in plan
            .changes
            .iter()
            .filter(|c| c.kind == ChangeKind::Removed)
        {
            let full = plan.out_dir.join(&change.path);
            match std::fs::remove_file(&full) {
                Ok(()) => summary.removed += 1,
                Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                Err(e) => return Err(io_error("remove", &full, e)),
            }
            remove_empty_parents(&plan.out_dir, &full);
        }
        for leftover in &plan.leftovers {
            let _ = std::fs::remove_file(plan.out_dir.join(leftover));
        }
        let lock_stamp = if plan.lock_changed || !plan.changes.is_empty() {
            write_lock(&plan.out_dir, &plan.lock)?
        } else {
            super::cache::stamp(&plan.out_dir, LOCK_FILE)
        };
        let mut stamps = std::mem::take(&mut self.stamps);
        stamps.extend(lock_stamp.map(|s| (LOCK_FILE.to_string(), s)));
        Ok(Committed { summary, stamps })
    }
}

impl Drop for Session {
    /// A session dropped before `commit` (a later batch failed) removes its temporary files.
    fn drop(&mut self) {
        for (temp, _) in &self.staged {
            let _ = std::fs::remove_file(temp);
        }
    }
}

/// What a committed render did, and the stamps of the files it wrote or found up to date
/// (the lock's included) for the incremental cache.
#[derive(Debug)]
pub struct Committed {
    /// Files written, removed and left alone.
    pub summary: Summary,
    /// By path: each file's stamp as this render left it.
    pub stamps: BTreeMap<String, FileStamp>,
}

/// One rendered file after comparison with the disk.
struct Compared {
    path: String,
    digest: String,
    change: Option<FileChange>,
    /// The file's stamp when it was written or found up to date (write mode).
    stamp: Option<FileStamp>,
    /// The temporary file written and its target, in write mode.
    staged: Option<(PathBuf, PathBuf)>,
}

/// How the file at `full` differs from `new`, if it does, and its stamp when it does not.
fn compare(
    full: &Path,
    path: &str,
    new: &str,
    mode: Mode,
) -> Result<(Option<FileChange>, Option<FileStamp>), EmitError> {
    let keep = |s: &str| (mode == Mode::Compare).then(|| s.to_string());
    let read_old = || {
        std::fs::read(full)
            .ok()
            .map(|b| String::from_utf8_lossy(&b).into_owned())
    };
    let modified = |old: Option<String>| FileChange {
        path: path.to_string(),
        kind: ChangeKind::Modified,
        old,
        new: keep(new),
    };
    match std::fs::symlink_metadata(full) {
        Ok(m) if m.file_type().is_symlink() => Err(EmitError(format!(
            "refusing to write `{}`: it is a symbolic link",
            full.display()
        ))),
        Ok(m) if m.len() as usize != new.len() => {
            let old = if mode == Mode::Compare {
                read_old()
            } else {
                None
            };
            Ok((Some(modified(old)), None))
        }
        Ok(m) => {
            let old = std::fs::read(full).map_err(|e| io_error("read", full, e))?;
            if old == new.as_bytes() {
                return Ok((None, FileStamp::of(&m)));
            }
            let old = (mode == Mode::Compare).then(|| String::from_utf8_lossy(&old).into_owned());
            Ok((Some(modified(old)), None))
        }
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok((
            Some(FileChange {
                path: path.to_string(),
                kind: ChangeKind::Added,
                old: None,
                new: keep(new),
            }),
            None,
        )),
        Err(e) => Err(io_error("read", full, e)),
    }
}

/// The directories a relative file path lies in: `a/b/c.yaml` gives `a/b` and `a`.
fn ancestors(path: &str) -> impl Iterator<Item = &str> {
    path.match_indices('/').map(|(i, _)| &path[..i])
}

/// Writes `content` to the temporary file beside `target` (whose directory exists) and
/// returns its path and stamp.
fn stage(target: &Path, content: &str) -> Result<(PathBuf, Option<FileStamp>), EmitError> {
    let temp = temp_path(target);
    let stamp = write_temp(&temp, content)?;
    Ok((temp, stamp))
}
