//! Golden fixtures: every `fixtures/<case>/` (except `fixtures/invalid`) is an input repo
//! with its expected `out/`. Each case is rendered through the binary and the result is
//! compared byte for byte with the committed `out/`; an optional `expected.stderr` pins the
//! warnings the render prints.
//!
//! `TENANTC_BLESS=1 cargo test --test it golden` rewrites `out/` and `expected.stderr` of
//! every case from the current binary instead of comparing; review the result with
//! `git diff fixtures/` before committing it. See `docs/fixtures.md`.

use crate::support::{bless, copy_tree, read_tree, root, tenantc, unified_diff};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// The expected output tree inside a case.
const OUT: &str = "out";
/// The optional file holding a case's expected stderr.
const EXPECTED_STDERR: &str = "expected.stderr";
/// Cases under `fixtures/` that are not golden cases.
const NOT_GOLDEN: &[&str] = &["invalid"];
/// What the temporary output directory is called in `expected.stderr`.
const OUT_PLACEHOLDER: &str = "<out>";

/// The golden cases: every directory under `fixtures/` except [`NOT_GOLDEN`], sorted.
fn golden_cases() -> Vec<PathBuf> {
    let dir = root().join("fixtures");
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list `{}`: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.is_dir())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            !name.starts_with('.') && !NOT_GOLDEN.contains(&name.as_ref())
        })
        .collect();
    cases.sort();
    cases
}

/// What one render of a case produced.
struct Rendered {
    /// The produced output tree (relative path → bytes).
    files: BTreeMap<String, Vec<u8>>,
    /// The render's stderr, with the temporary output path replaced by [`OUT_PLACEHOLDER`].
    stderr: String,
    /// The temporary output directory (kept alive until the result is dropped).
    out: tempfile::TempDir,
}

/// Copies the case's inputs (everything but `out/` and `expected.stderr`) to a temporary
/// repo and renders it from there with `--repo .` into a fresh temporary output directory.
///
/// Returns an error text when the render does not exit 0.
fn render_case(case: &Path) -> Result<Rendered, String> {
    let repo = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(case).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == OUT || name == EXPECTED_STDERR {
            continue;
        }
        let target = repo.path().join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap();
        }
    }
    let out = tempfile::tempdir().unwrap();
    let out_dir = out.path().join(OUT);
    let output = tenantc()
        .current_dir(repo.path())
        .args(["render", "--repo", "."])
        .arg("--out")
        .arg(&out_dir)
        .output()
        .expect("the tenantc binary runs");
    let stderr = String::from_utf8_lossy(&output.stderr)
        .replace(&out_dir.display().to_string(), OUT_PLACEHOLDER);
    if !output.status.success() {
        return Err(format!(
            "`tenantc render --repo .` exited with {}\n--- stderr ---\n{stderr}",
            output.status
        ));
    }
    Ok(Rendered {
        files: read_tree(&out_dir).into_iter().collect(),
        stderr,
        out,
    })
}

/// Every difference between the expected and the produced tree, as a readable report;
/// empty when they are identical.
fn compare_trees(
    expected: &BTreeMap<String, Vec<u8>>,
    actual: &BTreeMap<String, Vec<u8>>,
) -> String {
    let mut report = String::new();
    for path in expected.keys().filter(|p| !actual.contains_key(*p)) {
        writeln!(report, "missing file (expected, not produced): {path}").unwrap();
    }
    for path in actual.keys().filter(|p| !expected.contains_key(*p)) {
        writeln!(report, "extra file (produced, not expected): {path}").unwrap();
    }
    for (path, want) in expected {
        let Some(got) = actual.get(path) else {
            continue;
        };
        if want == got {
            continue;
        }
        match (std::str::from_utf8(want), std::str::from_utf8(got)) {
            (Ok(want), Ok(got)) => {
                writeln!(report, "file differs: {path}").unwrap();
                report.push_str(&unified_diff(want, got, path));
            }
            _ => writeln!(report, "file differs (not UTF-8 text): {path}").unwrap(),
        }
    }
    report
}

/// Replaces the case's `out/` and `expected.stderr` with what the binary produced.
fn bless_case(case: &Path, rendered: &Rendered) {
    let out = case.join(OUT);
    if out.exists() {
        std::fs::remove_dir_all(&out)
            .unwrap_or_else(|e| panic!("cannot remove `{}`: {e}", out.display()));
    }
    copy_tree(&rendered.out.path().join(OUT), &out);
    std::fs::write(case.join(EXPECTED_STDERR), &rendered.stderr).unwrap();
}

/// Checks one case; returns a report of everything wrong with it (empty when it passes).
fn check_case(case: &Path) -> String {
    let rendered = match render_case(case) {
        Ok(rendered) => rendered,
        Err(error) => return error,
    };
    if bless() {
        bless_case(case, &rendered);
        return String::new();
    }
    let expected: BTreeMap<String, Vec<u8>> = read_tree(&case.join(OUT)).into_iter().collect();
    let mut report = String::new();
    if expected.is_empty() {
        writeln!(
            report,
            "no expected output: `{OUT}/` is missing or empty (run with TENANTC_BLESS=1)"
        )
        .unwrap();
    }
    report.push_str(&compare_trees(&expected, &rendered.files));
    if let Ok(want) = std::fs::read_to_string(case.join(EXPECTED_STDERR))
        && want != rendered.stderr
    {
        writeln!(report, "stderr differs from {EXPECTED_STDERR}:").unwrap();
        report.push_str(&unified_diff(&want, &rendered.stderr, EXPECTED_STDERR));
    }
    report
}

/// Renders every golden case and compares it with its committed output; reports every
/// failing case at once.
#[test]
fn golden_fixtures_render_to_their_committed_output() {
    let cases = golden_cases();
    assert!(
        cases.len() >= 3,
        "expected at least 3 golden fixtures under fixtures/, found {}: {cases:?}",
        cases.len()
    );
    let mut failures = String::new();
    for case in &cases {
        let report = check_case(case);
        if !report.is_empty() {
            let name = case.file_name().unwrap().to_string_lossy();
            writeln!(failures, "=== fixtures/{name} ===\n{report}").unwrap();
        }
    }
    assert!(
        failures.is_empty(),
        "golden fixtures differ from the render; if the change is intended, run \
         `TENANTC_BLESS=1 cargo test --test it golden` and review `git diff fixtures/`\n\n{failures}"
    );
}

/// Every golden case is a complete input repo (`tiers/` and `tenants/`) with a committed
/// output tree (`out/` with its lock), so a case cannot silently compare nothing.
#[test]
fn golden_fixtures_have_inputs_and_expected_output() {
    let mut problems = String::new();
    for case in golden_cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if !case.join("tenants").is_dir() {
            writeln!(problems, "fixtures/{name}: no `tenants/` directory").unwrap();
        }
        if !case.join("tiers").is_dir() {
            writeln!(problems, "fixtures/{name}: no `tiers/` directory").unwrap();
        }
        if !bless() && !case.join(OUT).join("tenantc.lock.json").is_file() {
            writeln!(problems, "fixtures/{name}: no `out/tenantc.lock.json`").unwrap();
        }
    }
    assert!(problems.is_empty(), "{problems}");
}
