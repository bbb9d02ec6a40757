//! The bad-input corpus: every case under `fixtures/invalid/` is a small platform repository
//! with exactly one problem.
//!
//! For each case the test copies the case to a temporary directory, writes the files too large
//! to commit (see [`GENERATED`]), seeds `out/` with a valid earlier render, and runs
//! `tenantc render --repo . --out out` from inside the copy. The run must:
//!
//! - exit with code 1 within [`TIMEOUT`], without a panic, with nothing on stdout;
//! - print exactly the case's `expected.stderr` (`TENANTC_BLESS=1` rewrites it instead);
//! - report every `# error: CODE` marker of its input files as `error[CODE]` located at
//!   `--> FILE:LINE:` of the marked line;
//! - leave `out/` byte for byte as it was.

use crate::support::{
    bless, copy_tree, output_with_timeout, read_tree, root, tenantc, unified_diff,
};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// Where the cases live, relative to the project root.
const CORPUS: &str = "fixtures/invalid";

/// The file in each case holding the exact expected stderr.
const EXPECTED_STDERR: &str = "expected.stderr";

/// Fewer cases than this means the corpus went missing, not that all is well.
const MIN_CASES: usize = 15;

/// A run that takes longer than this is a hang.
const TIMEOUT: Duration = Duration::from_secs(20);

/// The largest committed corpus file; big inputs are generated (see [`GENERATED`]).
const MAX_COMMITTED_BYTES: u64 = 16 * 1024;

/// Files written into a case's copy before the run, because they are too large to commit:
/// `(case, path in the case, size in bytes)`. Each such case documents this in a
/// `GENERATE.md`.
const GENERATED: &[(&str, &str, usize)] =
    &[("file-too-large", "tenants/huge.yaml", 2 * 1024 * 1024)];

/// The marker that names the code expected on a line of an input file.
const MARKER: &str = "# error: ";

/// Cases without a marker, because their problem has no line: an empty file, a generated
/// file, and a second document (tenantc reports E0107 for the whole file); and
/// `deep-flow-nesting`, where a trailing comment would send the file down another reader's
/// path than the one the case is about.
const UNMARKED: &[&str] = &[
    "deep-flow-nesting",
    "empty-file",
    "file-too-large",
    "multiple-documents",
];

/// A tier of the valid repository whose render seeds each case's `out/`.
const SEED_TIER: &str = "\
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata:
  name: seed
spec:
  isolation: namespace
  podSecurity: restricted
  quota:
    requests.cpu: \"2\"
    pods: \"10\"
";

/// The tenant of the seed repository.
const SEED_TENANT: &str = "\
apiVersion: tenantc.dev/v1alpha1
kind: Tenant
metadata:
  name: seeded
spec:
  tier: seed
  displayName: Seeded
  access:
    admins: {groups: [seeded-admins]}
";

#[test]
fn every_invalid_case_fails_cleanly_and_writes_nothing() {
    let cases = case_dirs();
    assert!(
        cases.len() >= MIN_CASES,
        "only {} cases under {CORPUS}; expected at least {MIN_CASES}",
        cases.len()
    );
    let scratch = tempfile::tempdir().unwrap();
    let seed = seed_output(scratch.path());
    let started = Instant::now();
    let failures: Vec<String> =
        run_in_parallel(&cases, |case| check_case(case, &seed, scratch.path())).concat();
    assert!(
        failures.is_empty(),
        "{} problem(s) in {} cases ({:.1?}):\n\n{}",
        failures.len(),
        cases.len(),
        started.elapsed(),
        failures.join("\n\n")
    );
}

#[test]
fn corpus_files_are_small_and_generated_files_documented() {
    for entry in walkdir::WalkDir::new(root().join(CORPUS)) {
        let entry = entry.unwrap();
        if entry.file_type().is_file() {
            let size = entry.metadata().unwrap().len();
            assert!(
                size <= MAX_COMMITTED_BYTES,
                "{} is {size} bytes; generate large inputs in the test instead (see GENERATED)",
                entry.path().display()
            );
        }
    }
    for case in case_dirs() {
        let name = case_name(&case);
        let documented = case.join("GENERATE.md").is_file();
        let generated = GENERATED.iter().any(|(c, _, _)| *c == name);
        assert_eq!(
            documented, generated,
            "case `{name}`: a GENERATE.md and an entry in GENERATED go together"
        );
    }
    for (case, path, _) in GENERATED {
        let dir = root().join(CORPUS).join(case);
        assert!(dir.is_dir(), "GENERATED names a missing case `{case}`");
        assert!(
            !dir.join(path).exists(),
            "`{case}/{path}` is generated; it must not be committed"
        );
    }
}

#[cfg(unix)]
#[test]
fn a_hanging_command_is_killed_at_the_deadline() {
    let started = Instant::now();
    let output = output_with_timeout(
        std::process::Command::new("sleep").arg("30"),
        Duration::from_millis(200),
    );
    assert!(
        output.is_none(),
        "the command was not reported as timed out"
    );
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// Applies `check` to every item on a few threads; the results keep the items' order.
fn run_in_parallel<T: Sync, R: Send>(items: &[T], check: impl Fn(&T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(4, |n| n.get().clamp(4, 8));
    let next = AtomicUsize::new(0);
    let results = Mutex::new(Vec::with_capacity(items.len()));
    std::thread::scope(|scope| {
        for _ in 0..threads {
            scope.spawn(|| {
                loop {
                    let index = next.fetch_add(1, Ordering::Relaxed);
                    let Some(item) = items.get(index) else { break };
                    let result = check(item);
                    results.lock().unwrap().push((index, result));
                }
            });
        }
    });
    let mut results = results.into_inner().unwrap();
    results.sort_by_key(|(index, _)| *index);
    results.into_iter().map(|(_, result)| result).collect()
}

/// The case directories of the corpus, sorted by name.
fn case_dirs() -> Vec<PathBuf> {
    let corpus = root().join(CORPUS);
    let Ok(entries) = std::fs::read_dir(&corpus) else {
        return Vec::new();
    };
    let mut cases: Vec<PathBuf> = entries
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    cases.sort();
    cases
}

/// The directory name of a case.
fn case_name(case: &Path) -> String {
    case.file_name().unwrap().to_string_lossy().into_owned()
}

/// Renders a small valid repository under `scratch` and returns its output directory, a
/// tenantc-owned `out/` (with `tenantc.lock.json`) for the cases to start from.
fn seed_output(scratch: &Path) -> PathBuf {
    let repo = scratch.join("seed");
    std::fs::create_dir_all(repo.join("tiers")).unwrap();
    std::fs::create_dir_all(repo.join("tenants")).unwrap();
    std::fs::write(repo.join("tiers/seed.yaml"), SEED_TIER).unwrap();
    std::fs::write(repo.join("tenants/seeded.yaml"), SEED_TENANT).unwrap();
    let out = repo.join("out");
    let output = output_with_timeout(
        tenantc()
            .arg("render")
            .arg("--repo")
            .arg(&repo)
            .arg("--out")
            .arg(&out),
        TIMEOUT,
    )
    .expect("the seed render timed out");
    assert!(
        output.status.success(),
        "the seed render failed:\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        out.join("tenantc.lock.json").is_file(),
        "the seed render wrote no lock"
    );
    out
}

/// Writes the generated files of `name` into its copy at `copy`.
fn generate_files(name: &str, copy: &Path) {
    for (case, path, size) in GENERATED {
        if *case != name {
            continue;
        }
        // Comment lines of 64 bytes: valid YAML, so only the size is wrong.
        let line = format!("#{}\n", "x".repeat(62));
        let mut text = line.repeat(size.div_ceil(line.len()));
        text.truncate(*size);
        let target = copy.join(path);
        std::fs::create_dir_all(target.parent().unwrap()).unwrap();
        std::fs::write(target, text).unwrap();
    }
}

/// Runs one case; returns its problems (empty when it passes).
fn check_case(case: &Path, seed: &Path, scratch: &Path) -> Vec<String> {
    let name = case_name(case);
    let copy = scratch.join("cases").join(&name);
    copy_tree(case, &copy);
    generate_files(&name, &copy);
    let out = copy.join("out");
    copy_tree(seed, &out);
    let before = read_tree(&out);

    let mut problems = Vec::new();
    let mut problem = |text: String| problems.push(format!("case `{name}`: {text}"));
    let Some(output) = output_with_timeout(
        tenantc()
            .current_dir(&copy)
            .args(["render", "--repo", ".", "--out", "out"]),
        TIMEOUT,
    ) else {
        problem(format!("tenantc did not finish within {TIMEOUT:?}"));
        return problems;
    };
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();

    if output.status.code() != Some(1) {
        problem(format!(
            "{} instead of exit code 1; stderr:\n{stderr}",
            output.status
        ));
    }
    if stderr.contains("panicked") {
        problem(format!("tenantc panicked:\n{stderr}"));
    }
    if !output.stdout.is_empty() {
        problem(format!(
            "unexpected stdout:\n{}",
            String::from_utf8_lossy(&output.stdout)
        ));
    }
    if stderr.contains(&*scratch.to_string_lossy()) {
        problem(format!("stderr shows a temporary path:\n{stderr}"));
    }

    let expected_path = case.join(EXPECTED_STDERR);
    if bless() {
        std::fs::write(&expected_path, &stderr).unwrap();
    } else {
        match std::fs::read_to_string(&expected_path) {
            Ok(expected) if expected == stderr => {}
            Ok(expected) => problem(format!(
                "stderr differs from {EXPECTED_STDERR} (TENANTC_BLESS=1 rewrites it):\n{}",
                unified_diff(&expected, &stderr, EXPECTED_STDERR)
            )),
            Err(e) => problem(format!(
                "cannot read {EXPECTED_STDERR} ({e}); run with TENANTC_BLESS=1 to create it"
            )),
        }
    }

    let markers = markers(case);
    if markers.is_empty() != UNMARKED.contains(&name.as_str()) {
        problem(format!(
            "has {} `{MARKER}CODE` marker(s); only the cases in UNMARKED have none",
            markers.len()
        ));
    }
    for marker in markers {
        match marker {
            Ok(m) if !reports(&stderr, &m) => problem(format!(
                "no `error[{}]` at `--> {}:{}:` in stderr:\n{stderr}",
                m.code, m.file, m.line
            )),
            Ok(_) => {}
            Err(e) => problem(e),
        }
    }

    let after = read_tree(&out);
    if after != before {
        problem(format!("out/ changed: {}", tree_changes(&before, &after)));
    }
    problems
}

/// A `# error: CODE` marker: the diagnostic expected on one line of an input file.
#[derive(Debug)]
struct Marker {
    /// The input file, relative to the case, with `/` separators.
    file: String,
    /// The 1-based line.
    line: usize,
    /// The code, such as `E0213`.
    code: String,
}

/// Every marker in the `.yaml` files of `case`, in path order; a malformed one is an `Err`.
fn markers(case: &Path) -> Vec<Result<Marker, String>> {
    let mut found = Vec::new();
    for entry in walkdir::WalkDir::new(case).sort_by_file_name() {
        let entry = entry.unwrap();
        let path = entry.path();
        if !entry.file_type().is_file() || path.extension().is_none_or(|e| e != "yaml") {
            continue;
        }
        let file = path
            .strip_prefix(case)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        let text = String::from_utf8_lossy(&std::fs::read(path).unwrap()).into_owned();
        // Lines end as YAML ends them: `\n`, `\r\n` or a lone `\r`.
        let text = text.replace("\r\n", "\n");
        for (index, line) in text.split(['\n', '\r']).enumerate() {
            let Some(at) = line.find(MARKER) else {
                continue;
            };
            let code = line[at + MARKER.len()..].trim_end();
            let well_formed = code.len() == 5
                && code.starts_with('E')
                && code[1..].bytes().all(|b| b.is_ascii_digit());
            found.push(if well_formed {
                Ok(Marker {
                    file: file.clone(),
                    line: index + 1,
                    code: code.to_string(),
                })
            } else {
                Err(format!(
                    "{file}:{}: malformed marker `{}`; expected `{MARKER}E0000`",
                    index + 1,
                    &line[at..]
                ))
            });
        }
    }
    found
}

/// Whether `stderr` holds a diagnostic `error[CODE]` whose location is the marker's line.
fn reports(stderr: &str, marker: &Marker) -> bool {
    let header = format!("error[{}]", marker.code);
    let location = format!("--> {}:{}:", marker.file, marker.line);
    let mut in_block = false;
    for line in stderr.lines() {
        if line.starts_with("error[") || line.starts_with("warning[") {
            in_block = line.starts_with(&header);
        } else if in_block && line.trim_start().starts_with(&location) {
            return true;
        }
    }
    false
}

/// The paths that were added, removed or changed between two snapshots of a tree.
fn tree_changes(before: &[(String, Vec<u8>)], after: &[(String, Vec<u8>)]) -> String {
    let mut changes = Vec::new();
    for (path, bytes) in before {
        match after.iter().find(|(p, _)| p == path) {
            None => changes.push(format!("removed {path}")),
            Some((_, now)) if now != bytes => changes.push(format!("changed {path}")),
            Some(_) => {}
        }
    }
    for (path, _) in after {
        if !before.iter().any(|(p, _)| p == path) {
            changes.push(format!("added {path}"));
        }
    }
    changes.join(", ")
}
