//! Reads just what one tenant needs — `platform.yaml`, its tier, its own file and the
//! add-on templates — so that `tenantc cmp generate` costs the same for a fleet of ten or ten
//! thousand tenants.

use super::walk::yaml_files;
use super::{Loaded, RepoFiles, load_files};
use crate::diagnostics::Diagnostics;
use crate::model::is_dns_label;
use std::io;
use std::path::Path;
use walkdir::WalkDir;

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
    if root.is_dir() {
        for entry in WalkDir::new(&root)
            .follow_links(false)
            .follow_root_links(false)
            .max_depth(64)
            .sort_by_file_name()
        {
            let entry = entry.map_err(io::Error::other)?;
            if entry.file_type().is_file() && entry.file_name().to_str() == Some(wanted.as_str()) {
                let relative = entry.path().strip_prefix(repo).unwrap_or(entry.path());
                tenants.push(relative.to_string_lossy().replace('\\', "/"));
            }
        }
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
