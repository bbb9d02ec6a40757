//! A repository's input files held in memory — the files of a git revision, or any set of
//! `(path, bytes)` pairs — and how they are listed with the same rules as a directory.
//!
//! `tenantc diff --base REV` renders a revision without checking it out; this is the shape
//! its files take between `git` and the rest of `load`.

use super::RepoFiles;
use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use std::collections::BTreeMap;

/// One entry of an in-memory repository.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemoryEntry {
    /// A regular file's bytes.
    File(Vec<u8>),
    /// A symbolic link: listed so that it is reported (W0110) like on disk, never followed.
    Symlink,
    /// A file whose content was not read because it is larger than the limit; its size.
    TooLarge(u64),
}

/// The files of a repository, by `/`-separated path relative to its root.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MemoryRepo {
    /// The entries, by path.
    pub entries: BTreeMap<String, MemoryEntry>,
}

impl MemoryRepo {
    /// A repository of regular files.
    pub fn from_files(files: impl IntoIterator<Item = (String, Vec<u8>)>) -> Self {
        Self {
            entries: files
                .into_iter()
                .map(|(path, bytes)| (path, MemoryEntry::File(bytes)))
                .collect(),
        }
    }

    /// The entry at `path`, if any.
    pub fn get(&self, path: &str) -> Option<&MemoryEntry> {
        self.entries.get(path)
    }
}

/// The input directories and how deep each is searched, as `walk` searches them on disk.
const DIRS: [(&str, usize); 3] = [("tiers", 1), ("tenants", 64), ("templates", 2)];

/// Lists the input files of an in-memory repository with the rules `find_files` applies to
/// a directory: `.yaml` files only (W0109 for `.yml`, `.json` and hidden `.yaml` files),
/// symbolic links reported (W0110), hidden directories skipped, the same depth limits.
pub fn find_memory_files(repo: &MemoryRepo, diags: &mut Diagnostics) -> RepoFiles {
    let platform = match repo.get("platform.yaml") {
        Some(MemoryEntry::Symlink) => {
            diags.push(super::walk::symlink("platform.yaml"));
            None
        }
        Some(_) => Some("platform.yaml".to_string()),
        None => None,
    };
    let mut files = RepoFiles {
        platform,
        ..RepoFiles::default()
    };
    // Walk in the order a sorted directory walk would meet the entries, so diagnostics come
    // out in the same order as from disk.
    let dir_rank = |path: &str| {
        DIRS.iter()
            .position(|(d, _)| path.split('/').next() == Some(*d))
    };
    let mut paths: Vec<(&String, &MemoryEntry)> = repo.entries.iter().collect();
    paths.sort_by(|a, b| {
        dir_rank(a.0)
            .cmp(&dir_rank(b.0))
            .then_with(|| a.0.split('/').cmp(b.0.split('/')))
    });
    for (path, entry) in paths {
        let Some((top, rest)) = path.split_once('/') else {
            continue;
        };
        let Some(&(_, depth)) = DIRS.iter().find(|(dir, _)| *dir == top) else {
            continue;
        };
        let parts: Vec<&str> = rest.split('/').collect();
        if parts.len() > depth || parts.iter().any(|p| p.is_empty()) {
            continue;
        }
        if parts[..parts.len() - 1].iter().any(|d| d.starts_with('.')) {
            continue;
        }
        let name = parts[parts.len() - 1];
        if name.starts_with('.') {
            if name.ends_with(".yaml") && !matches!(entry, MemoryEntry::Symlink) {
                diags.push(
                    Diagnostic::new(codes::IGNORED_FILE, "hidden file ignored")
                        .at(Label::file(path, ""))
                        .help("names starting with `.` are never read; rename the file if it is an input"),
                );
            }
            continue;
        }
        if matches!(entry, MemoryEntry::Symlink) {
            diags.push(super::walk::symlink(path));
        } else if name.ends_with(".yaml") {
            let list = match top {
                "tiers" => &mut files.tiers,
                "tenants" => &mut files.tenants,
                _ => &mut files.templates,
            };
            list.push(path.clone());
        } else if name.ends_with(".yml") || name.ends_with(".json") {
            diags.push(
                Diagnostic::new(codes::IGNORED_FILE, "file ignored: inputs end in `.yaml`")
                    .at(Label::file(path, ""))
                    .help("rename it to end in `.yaml`"),
            );
        }
    }
    files.tiers.sort();
    files.tenants.sort();
    files.templates.sort();
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load::find_files;

    /// The same tree on disk and in memory lists the same files with the same diagnostics.
    #[test]
    fn lists_like_a_directory_walk() {
        let files = [
            "platform.yaml",
            "tiers/free.yaml",
            "tiers/nested/ignored.yaml",
            "tiers/.hidden.yaml",
            "tiers/README.md",
            "tenants/a.yaml",
            "tenants/a-b/c.yaml",
            "tenants/a/b.yaml",
            "tenants/x.yml",
            "tenants/y.json",
            "tenants/.git/z.yaml",
            "templates/namespace/cm.yaml",
            "templates/_macros.yaml",
            "templates/deep/er/no.yaml",
            "out/tenants/a/kubernetes/a.yaml",
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut memory = MemoryRepo::default();
        for f in files {
            let path = dir.path().join(f);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, "a: 1\n").unwrap();
            memory
                .entries
                .insert(f.to_string(), MemoryEntry::File(b"a: 1\n".to_vec()));
        }
        let mut on_disk = Diagnostics::default();
        let want = find_files(dir.path(), &mut on_disk).unwrap();
        let mut in_memory = Diagnostics::default();
        let got = find_memory_files(&memory, &mut in_memory);
        assert_eq!(got, want);
        // The same diagnostics; their order does not matter (reports are sorted).
        let sorted = |d: &Diagnostics| {
            let mut all: Vec<String> = d.iter().map(|d| format!("{d:?}")).collect();
            all.sort();
            all
        };
        assert_eq!(sorted(&in_memory), sorted(&on_disk));
        assert_eq!(
            got.tenants,
            ["tenants/a-b/c.yaml", "tenants/a.yaml", "tenants/a/b.yaml"]
        );
    }

    #[test]
    fn reports_symbolic_links() {
        let mut repo = MemoryRepo::default();
        repo.entries
            .insert("platform.yaml".into(), MemoryEntry::Symlink);
        repo.entries
            .insert("tenants/a.yaml".into(), MemoryEntry::Symlink);
        let mut diags = Diagnostics::default();
        let files = find_memory_files(&repo, &mut diags);
        assert_eq!(files, RepoFiles::default());
        assert_eq!(
            diags
                .iter()
                .filter(|d| d.code == codes::SYMLINK_IGNORED)
                .count(),
            2
        );
    }
}
