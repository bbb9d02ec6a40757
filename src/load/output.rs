//! Reads a directory of rendered output, such as a committed `out/`, for `tenantc diff
//! --against DIR`: every file's text by relative path. Off the hot path; the diff stage parses
//! only the files that differ.

use std::collections::BTreeMap;
use std::io;
use std::path::Path;
use walkdir::WalkDir;

/// Every regular file under `dir` except the lock, hidden files and a render's leftover
/// temporary files, by `/`-separated relative path, sorted. Where `dir` has a lock, only the
/// files it lists: the others are not tenantc's (`render` keeps them and reports them as
/// W0601), so they are not part of the output being compared. Symbolic links are not
/// followed; bytes that are not UTF-8 are replaced (such a file can only compare as changed).
pub fn read_output_dir(dir: &Path) -> io::Result<BTreeMap<String, String>> {
    if !dir.is_dir() {
        return Err(io::Error::new(
            io::ErrorKind::NotFound,
            format!("`{}` is not a directory", dir.display()),
        ));
    }
    // Not even the directory itself may be a link: an output tree from a pull request could
    // otherwise point the diff (and the comment it is posted as) at any directory.
    if std::fs::symlink_metadata(dir).is_ok_and(|m| m.file_type().is_symlink()) {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!(
                "`{}` is a symbolic link; tenantc does not follow links in an output tree",
                dir.display()
            ),
        ));
    }
    // The files the directory's lock lists, when it has a readable one.
    let owned = std::fs::read(dir.join(crate::emit::LOCK_FILE))
        .ok()
        .and_then(|bytes| serde_json::from_slice::<crate::emit::Lock>(&bytes).ok())
        .map(|lock| lock.files);
    let mut files = BTreeMap::new();
    let walker = WalkDir::new(dir)
        .follow_links(false)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| e.depth() == 0 || !e.file_name().to_string_lossy().starts_with('.'));
    for entry in walker {
        let entry = entry.map_err(io::Error::other)?;
        if !entry.file_type().is_file() {
            continue;
        }
        let relative = entry.path().strip_prefix(dir).unwrap_or(entry.path());
        let path = relative.to_string_lossy().replace('\\', "/");
        if path == crate::emit::LOCK_FILE
            || path.ends_with(crate::emit::TEMP_SUFFIX)
            || owned
                .as_ref()
                .is_some_and(|owned| !owned.contains_key(&path))
        {
            continue;
        }
        let bytes = std::fs::read(entry.path()).map_err(|e| {
            io::Error::new(
                e.kind(),
                format!("cannot read `{}`: {e}", entry.path().display()),
            )
        })?;
        files.insert(path, String::from_utf8_lossy(&bytes).into_owned());
    }
    Ok(files)
}
