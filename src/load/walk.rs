//! Finds the input files of a repository, in a fixed order.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use std::io;
use std::path::Path;
use walkdir::WalkDir;

/// The input files of a repository, as `/`-separated paths relative to it, sorted.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepoFiles {
    /// `platform.yaml`, if present.
    pub platform: Option<String>,
    /// `tiers/*.yaml`.
    pub tiers: Vec<String>,
    /// `tenants/**/*.yaml`.
    pub tenants: Vec<String>,
    /// `templates/**/*.yaml`: add-on templates and the files they include.
    pub templates: Vec<String>,
}

/// Lists the input files. Symbolic links are never followed (W0110); `.yml` and `.json`
/// files are reported as ignored (W0109), other files are skipped silently.
pub fn find_files(repo: &Path, diags: &mut Diagnostics) -> io::Result<RepoFiles> {
    if !repo.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{}` is not a directory", repo.display()),
        ));
    }
    let present = |name: &str| std::fs::symlink_metadata(repo.join(name)).is_ok();
    if !["platform.yaml", "tiers", "tenants"]
        .into_iter()
        .any(present)
    {
        // An empty tree would validate as a fleet of no tenants: a mistyped `--repo`, or a run
        // from inside `tenants/`, would pass CI and render nothing.
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            "not a platform repository: no `platform.yaml`, `tiers/` or `tenants/` in it \
             (run tenantc from the repository's root, or pass --repo DIR)",
        ));
    }
    for misnamed in ["platform.yml", "platform.json"] {
        if present(misnamed) {
            diags.push(
                Diagnostic::new(
                    codes::IGNORED_FILE,
                    "file ignored: the platform file is `platform.yaml`",
                )
                .at(Label::file(misnamed, ""))
                .help("rename it to `platform.yaml`; until then the built-in defaults apply"),
            );
        }
    }
    let platform = repo.join("platform.yaml");
    let platform = match std::fs::symlink_metadata(&platform) {
        Ok(m) if m.file_type().is_symlink() => {
            diags.push(symlink("platform.yaml"));
            None
        }
        Ok(m) if m.is_file() => Some("platform.yaml".to_string()),
        _ => None,
    };
    Ok(RepoFiles {
        platform,
        tiers: yaml_files(repo, "tiers", 1, diags)?,
        tenants: yaml_files(repo, "tenants", 64, diags)?,
        templates: yaml_files(repo, "templates", 2, diags)?,
    })
}

pub(super) fn symlink(path: &str) -> Diagnostic {
    Diagnostic::new(codes::SYMLINK_IGNORED, "symbolic link not followed")
        .at(Label::file(path, ""))
        .help("replace the link with the file itself")
}

pub(crate) fn yaml_files(
    repo: &Path,
    dir: &str,
    depth: usize,
    diags: &mut Diagnostics,
) -> io::Result<Vec<String>> {
    let root = repo.join(dir);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let mut found = Vec::new();
    // A symbolic link in place of the directory itself is reported like any other link
    // (the root of a walk would otherwise be followed).
    let walker = WalkDir::new(&root)
        .follow_links(false)
        .follow_root_links(false)
        .max_depth(depth)
        // Unsorted: `found` is sorted below, and sorting every directory's entries by name
        // was a third of listing a large fleet.
        .into_iter()
        .filter_entry(|e| {
            e.depth() == 0
                || !e.file_type().is_dir()
                || !e.file_name().to_string_lossy().starts_with('.')
        });
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        let relative = entry.path().strip_prefix(repo).unwrap_or(entry.path());
        let Some(path) = relative.to_str().map(|p| p.replace('\\', "/")) else {
            continue;
        };
        let name = entry.file_name().to_string_lossy();
        if name.starts_with('.') {
            if name.ends_with(".yaml") && entry.file_type().is_file() {
                diags.push(
                    Diagnostic::new(codes::IGNORED_FILE, "hidden file ignored")
                        .at(Label::file(&path, ""))
                        .help("names starting with `.` are never read; rename the file if it is an input"),
                );
            }
            continue;
        }
        if entry.file_type().is_symlink() {
            diags.push(symlink(&path));
        } else if entry.file_type().is_file() {
            if name.ends_with(".yaml") {
                found.push(path);
            } else if name.ends_with(".yml") || name.ends_with(".json") {
                diags.push(
                    Diagnostic::new(codes::IGNORED_FILE, "file ignored: inputs end in `.yaml`")
                        .at(Label::file(&path, ""))
                        .help("rename it to end in `.yaml`"),
                );
            }
        }
    }
    found.sort();
    Ok(found)
}
