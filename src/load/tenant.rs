//! Reads just what one tenant needs — `platform.yaml`, its tier, its own file and the
//! add-on templates — so that `tenantc cmp generate` costs the same for a fleet of ten or ten
//! thousand tenants.

use super::walk::yaml_files;
use super::{Loaded, RepoFiles, load_files};
use crate::diagnostics::Diagnostics;
use crate::model::is_dns_label;
use std::io;
use std::path::Path;

/// Loads one tenant and what it depends on; `Ok(None)` when no `tenants/**/<tenant>.yaml`
/// exists. Fleet-wide checks (namespace collisions) cannot run on this subset: CI's
/// `validate` covers them.
pub fn load_tenant(
    repo: &Path,
    tenant: &str,
    diags: &mut Diagnostics,
) -> io::Result<Option<Loaded>> {
    if !is_dns_label(tenant) {
        return Ok(None);
    }
    let wanted = format!("{tenant}.yaml");
    let mut tenants = Vec::new();
    let root = repo.join("tenants");
    if root.symlink_metadata().is_ok_and(|m| m.is_dir()) {
        find_files(&root, "tenants", &wanted, 64, &mut tenants)?;
        tenants.sort();
    }
    if tenants.is_empty() {
        return Ok(None);
    }
    let platform = repo
        .join("platform.yaml")
        .symlink_metadata()
        .is_ok_and(|m| m.is_file())
        .then(|| "platform.yaml".to_string());
    let mut files = RepoFiles {
        platform,
        tiers: Vec::new(),
        tenants,
        templates: yaml_files(repo, "templates", 2, diags)?,
    };
    // The tier is named inside the tenant file: read it once to find out which.
    let mut scratch = Diagnostics::default();
    let first = load_files(
        repo,
        &RepoFiles {
            tenants: files.tenants.clone(),
            ..RepoFiles::default()
        },
        &mut scratch,
    );
    let tier = first
        .tenants
        .first()
        .and_then(|d| d.value.pointer("/spec/tier"))
        .and_then(|t| t.as_str())
        .filter(|t| is_dns_label(t));
    if let Some(tier) = tier {
        let path = format!("tiers/{tier}.yaml");
        let real = |p: &str, dir: bool| {
            repo.join(p)
                .symlink_metadata()
                .is_ok_and(|m| if dir { m.is_dir() } else { m.is_file() })
        };
        if real("tiers", true) && real(&path, false) {
            files.tiers.push(path);
        }
    }
    Ok(Some(load_files(repo, &files, diags)))
}

/// Collects, under `dir` (whose repository-relative path is `relative`), the paths of the
/// regular files named `wanted`, without following links and at most `depth` levels down.
///
/// Argo CD runs `cmp generate` for every Application: this looks at directory entries only
/// (no sorting, no metadata calls), which keeps the search of a ten-thousand-tenant tree a
/// few milliseconds.
fn find_files(
    dir: &Path,
    relative: &str,
    wanted: &str,
    depth: usize,
    found: &mut Vec<String>,
) -> io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let kind = entry.file_type()?;
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if kind.is_dir() && depth > 1 {
            find_files(
                &entry.path(),
                &format!("{relative}/{name}"),
                wanted,
                depth - 1,
                found,
            )?;
        } else if kind.is_file() && name == wanted {
            found.push(format!("{relative}/{name}"));
        }
    }
    Ok(())
}
