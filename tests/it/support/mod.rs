//! Helpers shared by the integration tests.
#![allow(dead_code)]

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// The project root (where `Cargo.toml` is).
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A `tenantc` command for the binary under test, with a clean, fixed environment.
pub fn tenantc() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_tenantc"));
    cmd.env_remove("RAYON_NUM_THREADS");
    cmd.env("NO_COLOR", "1");
    cmd
}

/// Copies a directory tree (regular files and directories only).
pub fn copy_tree(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in walkdir::WalkDir::new(from).sort_by_file_name() {
        let entry = entry.unwrap();
        let relative = entry.path().strip_prefix(from).unwrap();
        let target = to.join(relative);
        if entry.file_type().is_dir() {
            std::fs::create_dir_all(&target).unwrap();
        } else if entry.file_type().is_file() {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
}

/// Every regular file under `dir`, as relative `/` paths with their bytes, sorted. Skips
/// `.tenantc/` at the top, tenantc's local incremental cache, which is not output.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files = Vec::new();
    if !dir.exists() {
        return files;
    }
    let walker = walkdir::WalkDir::new(dir)
        .sort_by_file_name()
        .into_iter()
        .filter_entry(|e| !(e.depth() == 1 && e.file_name() == ".tenantc"));
    for entry in walker {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let relative = entry
                .path()
                .strip_prefix(dir)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            files.push((relative, std::fs::read(entry.path()).unwrap()));
        }
    }
    files
}

/// A unified diff of two texts, for readable assertion failures.
pub fn unified_diff(expected: &str, actual: &str, name: &str) -> String {
    similar::TextDiff::from_lines(expected, actual)
        .unified_diff()
        .context_radius(3)
        .header(&format!("expected/{name}"), &format!("actual/{name}"))
        .to_string()
}

/// Whether golden files should be rewritten instead of compared (`TENANTC_BLESS=1`).
pub fn bless() -> bool {
    std::env::var_os("TENANTC_BLESS").is_some_and(|v| v == "1")
}

/// How a finished command exited and what it printed.
#[derive(Debug)]
pub struct Ran {
    /// The exit code (`None` when killed by a signal).
    pub code: Option<i32>,
    /// Everything written to stdout.
    pub stdout: String,
    /// Everything written to stderr.
    pub stderr: String,
}

impl Ran {
    /// Panics, showing both streams, unless the command exited with `code`.
    #[track_caller]
    pub fn expect_code(&self, code: i32, what: &str) -> &Self {
        assert_eq!(
            self.code,
            Some(code),
            "{what}: expected exit code {code}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.stdout,
            self.stderr
        );
        self
    }
}

/// Runs `cmd` to completion with stdin closed, capturing stdout and stderr.
pub fn run(cmd: &mut Command) -> Ran {
    let output = cmd
        .stdin(std::process::Stdio::null())
        .output()
        .expect("cannot start tenantc");
    Ran {
        code: output.status.code(),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

/// The example repository's inputs (`platform.yaml`, `tiers/`, `tenants/` and, when present,
/// `templates/`), as relative `/` paths with their bytes, sorted by path.
pub fn example_inputs() -> Vec<(String, Vec<u8>)> {
    let root = root();
    let mut files = vec![(
        "platform.yaml".to_string(),
        std::fs::read(root.join("platform.yaml")).unwrap(),
    )];
    for dir in ["tiers", "tenants", "templates"] {
        for (relative, bytes) in read_tree(&root.join(dir)) {
            files.push((format!("{dir}/{relative}"), bytes));
        }
    }
    files.sort();
    files
}

/// Writes `files` (relative `/` paths with their bytes) under `dir`, in the given order.
pub fn write_files<'a>(dir: &Path, files: impl IntoIterator<Item = &'a (String, Vec<u8>)>) {
    for (relative, bytes) in files {
        let path = dir.join(relative);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, bytes).unwrap();
    }
}

/// Copies the example repository's inputs (not its `out/`) into `dir`.
pub fn copy_example_inputs(dir: &Path) {
    write_files(dir, &example_inputs());
}

/// Compares two file trees (as from [`read_tree`]); `None` when they are byte-identical,
/// else a report of missing, extra and differing files with unified diffs of the first few.
pub fn tree_diff(expected: &[(String, Vec<u8>)], actual: &[(String, Vec<u8>)]) -> Option<String> {
    use std::collections::BTreeMap;
    use std::fmt::Write;
    let expected: BTreeMap<&str, &[u8]> = expected
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let actual: BTreeMap<&str, &[u8]> = actual
        .iter()
        .map(|(p, b)| (p.as_str(), b.as_slice()))
        .collect();
    let mut report = String::new();
    let mut diffs = 0;
    for (path, want) in &expected {
        match actual.get(path) {
            None => writeln!(report, "missing: {path}").unwrap(),
            Some(got) if got != want => {
                writeln!(report, "differs: {path}").unwrap();
                diffs += 1;
                if diffs <= 3 {
                    report.push_str(&unified_diff(
                        &String::from_utf8_lossy(want),
                        &String::from_utf8_lossy(got),
                        path,
                    ));
                }
            }
            Some(_) => {}
        }
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        writeln!(report, "extra: {path}").unwrap();
    }
    (!report.is_empty()).then_some(report)
}

/// Runs `cmd` to completion with piped stdout and stderr, killing it after `timeout`.
///
/// Returns `None` when the command had to be killed, so a hang fails a test instead of
/// blocking it. Both pipes are drained on their own threads so a chatty child cannot stall
/// on a full pipe.
pub fn output_with_timeout(cmd: &mut Command, timeout: Duration) -> Option<Output> {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the command");
    let stdout = drain(child.stdout.take().expect("piped stdout"));
    let stderr = drain(child.stderr.take().expect("piped stderr"));
    let deadline = Instant::now() + timeout;
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait for the command") {
            break Some(status);
        }
        if Instant::now() >= deadline {
            let _ = child.kill();
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    let stdout = stdout.join().expect("stdout reader");
    let stderr = stderr.join().expect("stderr reader");
    status.map(|status| Output {
        status,
        stdout,
        stderr,
    })
}

/// Reads `pipe` to its end on a new thread.
fn drain(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<Vec<u8>> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        bytes
    })
}

/// Runs `git` in `dir` with a fixed identity, dates and no user or system configuration, so
/// commits are the same on every machine; panics (showing stderr) when it fails.
pub fn git(dir: &Path, args: &[&str]) -> String {
    let output = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "tenantc tests")
        .env("GIT_AUTHOR_EMAIL", "tests@tenantc.invalid")
        .env("GIT_AUTHOR_DATE", "2026-01-01T00:00:00Z")
        .env("GIT_COMMITTER_NAME", "tenantc tests")
        .env("GIT_COMMITTER_EMAIL", "tests@tenantc.invalid")
        .env("GIT_COMMITTER_DATE", "2026-01-01T00:00:00Z")
        .stdin(Stdio::null())
        .output()
        .expect("git runs");
    assert!(
        output.status.success(),
        "git {args:?} failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Creates a git repository in `dir` on branch `main`.
pub fn git_init(dir: &Path) {
    std::fs::create_dir_all(dir).unwrap();
    git(dir, &["init", "-q", "-b", "main"]);
}

/// Stages everything in `dir` and commits it; returns the new commit's id.
pub fn git_commit_all(dir: &Path, message: &str) -> String {
    git(dir, &["add", "-A"]);
    git(dir, &["commit", "-q", "--allow-empty", "-m", message]);
    git(dir, &["rev-parse", "HEAD"]).trim().to_string()
}
