//! Reads a repository's input files at a git revision, without touching the working tree or
//! the index: `git ls-tree -r -z -l` lists them, one `git cat-file --batch` reads them all.
//!
//! Shelling out to `git` costs ~80 ms for 20k files and no build time, where a Rust git
//! library would add over a minute to every cold build (see `shared/notes/crates.md`).

use super::MAX_FILE_BYTES;
use super::memory::{MemoryEntry, MemoryRepo};
use std::collections::BTreeMap;
use std::fmt;
use std::io::{BufRead, BufReader, Read, Write};
use std::path::Path;
use std::process::{Command, Stdio};

/// The top-level paths of a platform repository that hold inputs; nothing else is read.
const INPUT_PATHS: [&str; 4] = ["platform.yaml", "tiers", "tenants", "templates"];

/// Why a revision could not be read (exit code 2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GitError(pub String);

impl fmt::Display for GitError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for GitError {}

/// A revision resolved to a commit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// What the user wrote, such as `origin/main`.
    pub name: String,
    /// The full commit id.
    pub commit: String,
}

/// Reads the input files (`platform.yaml`, `tiers/`, `tenants/`, `templates/`) of the platform
/// repository at `repo` as they are at `rev`.
///
/// `repo` may be a subdirectory of the git work tree (a platform repository inside a larger
/// one): paths are relative to it. Files over the size limit are listed but not read.
pub fn read_revision(repo: &Path, rev: &str) -> Result<(Revision, MemoryRepo), GitError> {
    if rev.is_empty() || rev.starts_with('-') || rev.contains('\0') {
        return Err(GitError(format!("`{rev}` is not a git revision")));
    }
    let commit = resolve(repo, rev)?;
    let listing = git(repo)
        .args(["ls-tree", "-r", "-z", "-l", &commit, "--"])
        .args(INPUT_PATHS)
        .output()
        .map_err(|e| spawn_error(&e))?;
    if !listing.status.success() {
        return Err(GitError(format!(
            "cannot list the files of `{rev}`: {}",
            first_line(&listing.stderr)
        )));
    }
    let listed = parse_listing(&listing.stdout)?;
    let mut entries = BTreeMap::new();
    let mut wanted = Vec::new();
    for item in listed {
        match item.kind {
            ItemKind::Symlink => {
                entries.insert(item.path, MemoryEntry::Symlink);
            }
            ItemKind::Blob if item.size > MAX_FILE_BYTES => {
                entries.insert(item.path, MemoryEntry::TooLarge(item.size));
            }
            ItemKind::Blob => wanted.push((item.path, item.object)),
            ItemKind::Other => {}
        }
    }
    let blobs = cat_blobs(repo, wanted.iter().map(|(_, o)| o.as_str()))?;
    for ((path, _), bytes) in wanted.into_iter().zip(blobs) {
        entries.insert(path, MemoryEntry::File(bytes));
    }
    Ok((
        Revision {
            name: rev.to_string(),
            commit,
        },
        MemoryRepo { entries },
    ))
}

/// A `git` command run in `repo`, with a fixed, quiet environment.
fn git(repo: &Path) -> Command {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(repo)
        .args(["-c", "core.quotePath=false"])
        .env("GIT_TERMINAL_PROMPT", "0")
        .env("LC_ALL", "C")
        .stdin(Stdio::null());
    cmd
}

fn spawn_error(e: &std::io::Error) -> GitError {
    if e.kind() == std::io::ErrorKind::NotFound {
        GitError("`git` is not installed (it is needed to read a revision)".into())
    } else {
        GitError(format!("cannot run `git`: {e}"))
    }
}

fn first_line(bytes: &[u8]) -> String {
    let text = String::from_utf8_lossy(bytes);
    let line = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
    line.trim()
        .trim_start_matches("fatal: ")
        .trim_start_matches("error: ")
        .to_string()
}

/// Resolves `rev` to a commit id, with a clear error for a bad revision or no repository.
fn resolve(repo: &Path, rev: &str) -> Result<String, GitError> {
    let inside = git(repo)
        .args(["rev-parse", "--is-inside-work-tree"])
        .output()
        .map_err(|e| spawn_error(&e))?;
    if !inside.status.success() {
        return Err(GitError(format!(
            "`{}` is not inside a git repository: {}",
            repo.display(),
            first_line(&inside.stderr)
        )));
    }
    let out = git(repo)
        .args(["rev-parse", "--verify", "--quiet", "--end-of-options"])
        .arg(format!("{rev}^{{commit}}"))
        .output()
        .map_err(|e| spawn_error(&e))?;
    let commit = String::from_utf8_lossy(&out.stdout).trim().to_string();
    if !out.status.success() || commit.is_empty() {
        return Err(GitError(format!(
            "`{rev}` is not a commit in the git repository at `{}` (for a pull request's \
             base, fetch it first, e.g. `git fetch origin main`)",
            repo.display()
        )));
    }
    Ok(commit)
}

#[derive(Debug, PartialEq, Eq)]
enum ItemKind {
    Blob,
    Symlink,
    /// A submodule or anything else that is not file content.
    Other,
}

#[derive(Debug)]
struct Item {
    kind: ItemKind,
    object: String,
    size: u64,
    path: String,
}

/// Parses `git ls-tree -r -z -l` output: `<mode> SP <type> SP <object> SP+ <size> TAB <path> NUL`.
fn parse_listing(out: &[u8]) -> Result<Vec<Item>, GitError> {
    let mut items = Vec::new();
    for record in out.split(|b| *b == 0).filter(|r| !r.is_empty()) {
        let bad = || {
            GitError(format!(
                "unexpected output from `git ls-tree`: {:?}",
                String::from_utf8_lossy(record)
            ))
        };
        let tab = record.iter().position(|b| *b == b'\t').ok_or_else(bad)?;
        let meta = std::str::from_utf8(&record[..tab]).map_err(|_| bad())?;
        let Ok(path) = std::str::from_utf8(&record[tab + 1..]) else {
            // A path that is not UTF-8 cannot name a tenant or tier; skip it as the
            // directory walk does.
            continue;
        };
        let fields: Vec<&str> = meta.split_whitespace().collect();
        let [mode, kind, object, size] = fields[..] else {
            return Err(bad());
        };
        let kind = match (mode, kind) {
            ("120000", _) => ItemKind::Symlink,
            (_, "blob") => ItemKind::Blob,
            _ => ItemKind::Other,
        };
        items.push(Item {
            kind,
            object: object.to_string(),
            size: size.parse().unwrap_or(0),
            path: path.to_string(),
        });
    }
    Ok(items)
}

/// Reads blobs with one `git cat-file --batch`, in the order given.
fn cat_blobs<'a>(
    repo: &Path,
    objects: impl Iterator<Item = &'a str>,
) -> Result<Vec<Vec<u8>>, GitError> {
    let request: String = objects.map(|o| format!("{o}\n")).collect();
    if request.is_empty() {
        return Ok(Vec::new());
    }
    let expected = request.lines().count();
    let mut child = git(repo)
        .args(["cat-file", "--batch"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| spawn_error(&e))?;
    let mut stdin = child
        .stdin
        .take()
        .ok_or_else(|| GitError("cannot write to `git cat-file`".into()))?;
    // Write on a thread of its own: git answers while it reads, and a full pipe either way
    // would otherwise stall both processes.
    let writer = std::thread::spawn(move || stdin.write_all(request.as_bytes()));
    let stdout = child
        .stdout
        .take()
        .ok_or_else(|| GitError("cannot read from `git cat-file`".into()))?;
    let mut reader = BufReader::new(stdout);
    let mut blobs = Vec::with_capacity(expected);
    let mut header = Vec::new();
    let broken = |what: &str| GitError(format!("unexpected output from `git cat-file`: {what}"));
    for _ in 0..expected {
        header.clear();
        reader
            .read_until(b'\n', &mut header)
            .map_err(|e| broken(&e.to_string()))?;
        let line = String::from_utf8_lossy(&header);
        let fields: Vec<&str> = line.split_whitespace().collect();
        let [_, "blob", size] = fields[..] else {
            return Err(broken(line.trim()));
        };
        let size: usize = size.parse().map_err(|_| broken(line.trim()))?;
        let mut bytes = vec![0; size];
        reader
            .read_exact(&mut bytes)
            .map_err(|e| broken(&e.to_string()))?;
        let mut newline = [0u8; 1];
        reader
            .read_exact(&mut newline)
            .map_err(|e| broken(&e.to_string()))?;
        blobs.push(bytes);
    }
    let _ = writer.join();
    let mut stderr = String::new();
    if let Some(mut e) = child.stderr.take() {
        let _ = e.read_to_string(&mut stderr);
    }
    let status = child.wait().map_err(|e| broken(&e.to_string()))?;
    if !status.success() {
        return Err(GitError(format!(
            "`git cat-file` failed: {}",
            first_line(stderr.as_bytes())
        )));
    }
    Ok(blobs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_a_listing() {
        let out = b"100644 blob 0123abcd     12\ttenants/a b.yaml\x00\
                    120000 blob 99aa  5\tplatform.yaml\x00\
                    160000 commit ffee       -\ttemplates/sub\x00";
        let items = parse_listing(out).unwrap();
        assert_eq!(items.len(), 3);
        assert_eq!(items[0].path, "tenants/a b.yaml");
        assert_eq!(items[0].size, 12);
        assert_eq!(items[0].kind, ItemKind::Blob);
        assert_eq!(items[1].kind, ItemKind::Symlink);
        assert_eq!(items[2].kind, ItemKind::Other);
    }

    #[test]
    fn refuses_option_like_revisions() {
        let dir = tempfile::tempdir().unwrap();
        for rev in ["", "--output=/tmp/x", "-p"] {
            let e = read_revision(dir.path(), rev).unwrap_err();
            assert!(e.0.contains("is not a git revision"), "{e}");
        }
    }
}
