//! The incremental cache: which inputs each tenant's files were rendered from, and the size
//! and modification time each file had when tenantc wrote or checked it. A tenant whose
//! inputs are unchanged and whose files are exactly as tenantc left them is not rendered
//! again, so a re-render with nothing changed costs little more than `validate`.
//!
//! It lives in `<out>/.tenantc/` with a `.gitignore` that keeps it out of git. It is a hint,
//! never the truth: a missing or unreadable cache only means a full comparison, and a file
//! touched by hand (new size or mtime) makes its tenant render again.

use super::{EmitError, Lock, write_atomic};
use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::time::UNIX_EPOCH;

/// The cache directory inside the output directory; never part of the output.
pub const CACHE_DIR: &str = ".tenantc";
/// No `.json` or `.yaml` extension, so `kubectl apply -R` and Argo CD directory sources skip it.
const CACHE_FILE: &str = "cache";
const FORMAT: u32 = 1;

/// What tenantc remembers between renders.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OutputCache {
    /// The cache format.
    pub version: u32,
    /// Per tenant: its input fingerprint and its files' stamps.
    pub tenants: BTreeMap<String, CachedTenant>,
    /// The whole repository, when the last render was of every tenant and reported nothing.
    #[serde(default)]
    pub repository: Option<CachedRepository>,
}

/// The last render of the whole repository: what it was made from, and the stamps of the
/// files that belong to no tenant (the platform's and Terraform's own, and the lock).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedRepository {
    /// `pipeline::repository_digest` of the inputs.
    pub inputs: String,
    /// Each platform-wide file's stamp.
    pub files: BTreeMap<String, FileStamp>,
}

/// One tenant's entry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct CachedTenant {
    /// The fingerprint of everything the tenant's files were rendered from.
    pub inputs: String,
    /// Each file's stamp when tenantc last wrote or verified it.
    pub files: BTreeMap<String, FileStamp>,
}

/// A file's size and modification time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct FileStamp {
    /// Size in bytes.
    pub size: u64,
    /// Modification time, nanoseconds since the Unix epoch.
    pub mtime_ns: u64,
}

/// Reads the cache; an absent or unreadable cache is an empty one.
pub fn read_cache(out_dir: &Path) -> OutputCache {
    std::fs::read(out_dir.join(CACHE_DIR).join(CACHE_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<OutputCache>(&bytes).ok())
        .filter(|c| c.version == FORMAT)
        .unwrap_or_default()
}

/// Writes the cache (and the `.gitignore` that keeps it out of git).
pub fn write_cache(out_dir: &Path, cache: &OutputCache) -> Result<(), EmitError> {
    let dir = out_dir.join(CACHE_DIR);
    let ignore = dir.join(".gitignore");
    if !ignore.exists() {
        write_atomic(
            &ignore,
            "# tenantc's incremental cache: local, never committed\n*\n",
        )?;
    }
    /// The cache as written: this format's version, the entries borrowed.
    #[derive(Serialize)]
    struct Written<'a> {
        version: u32,
        tenants: &'a BTreeMap<String, CachedTenant>,
        repository: &'a Option<CachedRepository>,
    }
    let text = serde_json::to_string(&Written {
        version: FORMAT,
        tenants: &cache.tenants,
        repository: &cache.repository,
    })
    .map_err(|e| EmitError(format!("cannot encode the cache: {e}")))?;
    write_atomic(&dir.join(CACHE_FILE), &text).map(|_| ())
}

/// The stamp of a file under `out_dir`, if it is a regular file.
pub fn stamp(out_dir: &Path, path: &str) -> Option<FileStamp> {
    FileStamp::of(&std::fs::symlink_metadata(out_dir.join(path)).ok()?)
}

impl FileStamp {
    /// The stamp of a regular file's metadata (`None` for anything else). Taken from the open
    /// file right after writing it, it is the stamp the file keeps when renamed into place.
    pub fn of(meta: &std::fs::Metadata) -> Option<FileStamp> {
        if !meta.is_file() {
            return None;
        }
        let mtime = meta.modified().ok()?.duration_since(UNIX_EPOCH).ok()?;
        Some(FileStamp {
            size: meta.len(),
            mtime_ns: u64::try_from(mtime.as_nanos()).ok()?,
        })
    }
}

/// How many files the output directory holds, when it is exactly as the last render of the
/// whole repository left it: the lock lists every file on disk and nothing else (no unowned
/// files, no leftover temporary files), and every file has the stamp the cache recorded.
/// `None` otherwise, or when it cannot tell.
pub fn unchanged_output(out_dir: &Path, cache: &OutputCache) -> Option<usize> {
    let repository = cache.repository.as_ref()?;
    let (Some(lock), on_disk) = super::read_existing(out_dir).ok()? else {
        return None;
    };
    let listed = on_disk.len() == lock.files.len() + 1
        && on_disk.contains(super::LOCK_FILE)
        && lock.files.keys().all(|p| on_disk.contains(p));
    if !listed {
        return None;
    }
    let mut stamped: BTreeMap<&str, FileStamp> = repository
        .files
        .iter()
        .map(|(p, s)| (p.as_str(), *s))
        .collect();
    for tenant in cache.tenants.values() {
        stamped.extend(tenant.files.iter().map(|(p, s)| (p.as_str(), *s)));
    }
    // The lock too: one edited by hand is rewritten by the pipeline.
    let lock_file = super::LOCK_FILE.to_string();
    let paths: Vec<&String> = lock.files.keys().chain([&lock_file]).collect();
    paths
        .par_iter()
        .all(|p| {
            stamped
                .get(p.as_str())
                .is_some_and(|s| stamp(out_dir, p) == Some(*s))
        })
        .then_some(lock.files.len())
}

/// The tenants among `candidates` that need no render: same input fingerprint as cached,
/// and every cached file still in the lock and on disk with the cached stamp.
pub fn clean_tenants(
    out_dir: &Path,
    cache: &OutputCache,
    fingerprints: &BTreeMap<String, String>,
    lock: Option<&Lock>,
    candidates: &[String],
) -> BTreeSet<String> {
    let Some(lock) = lock else {
        return BTreeSet::new();
    };
    candidates
        .par_iter()
        .filter(|name| {
            let (Some(entry), Some(fingerprint)) =
                (cache.tenants.get(*name), fingerprints.get(*name))
            else {
                return false;
            };
            entry.inputs == *fingerprint
                && !entry.files.is_empty()
                && entry.files.iter().all(|(path, stamped)| {
                    lock.files.contains_key(path) && stamp(out_dir, path) == Some(*stamped)
                })
        })
        .cloned()
        .collect()
}
