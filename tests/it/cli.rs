//! The command line, end to end through the binary: exit codes (0 success, 1 findings, 2 usage
//! or I/O error), what goes to stdout (only the product) and stderr (everything else), and the
//! ownership rules of `out/` (DESIGN.md §5 and §7).

use crate::support::{Ran, copy_example_inputs, read_tree, root, run, tenantc, tree_diff};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

/// A file of the example's output that a test edits by hand.
const EDITED_FILE: &str = "tenants/acme-corp/kubernetes/acme-corp-prod.yaml";
/// A line of [`EDITED_FILE`] (the Namespace's name).
const EDITED_LINE: &str = "  name: acme-corp-prod";

/// A temporary copy of the example's inputs, at `<temp>/repo`.
struct Repo {
    _temp: tempfile::TempDir,
    dir: PathBuf,
}

impl Repo {
    /// Copies the example's inputs (not its `out/`).
    fn new() -> Self {
        let temp = tempfile::tempdir().unwrap();
        let dir = temp.path().join("repo");
        copy_example_inputs(&dir);
        Self { _temp: temp, dir }
    }

    /// The default output directory, `out/` inside the repository.
    fn out(&self) -> PathBuf {
        self.dir.join("out")
    }

    /// A path inside the repository.
    fn path(&self, relative: &str) -> PathBuf {
        self.dir.join(relative)
    }

    /// A directory next to the repository (not created).
    fn sibling(&self, name: &str) -> PathBuf {
        self.dir.parent().unwrap().join(name)
    }

    /// Runs `tenantc render --repo DIR` with `extra` arguments.
    fn render(&self, extra: &[&str]) -> Ran {
        run(tenantc()
            .arg("render")
            .arg("--repo")
            .arg(&self.dir)
            .args(extra))
    }

    /// Renders into `out/` and asserts success with nothing on stdout.
    fn render_ok(&self, extra: &[&str]) -> Ran {
        let ran = self.render(extra);
        ran.expect_code(0, &format!("render {extra:?}"));
        assert_eq!(ran.stdout, "", "render printed on stdout");
        ran
    }

    /// Replaces `from` (which must occur) by `to` in a file of the repository.
    fn edit(&self, relative: &str, from: &str, to: &str) {
        let path = self.path(relative);
        let text = fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{relative} has no `{from}`");
        fs::write(&path, text.replacen(from, to, 1)).unwrap();
    }
}

/// The files of the lock in `out`, by path, with their `sha256:` digests.
fn lock_files(out: &Path) -> BTreeMap<String, String> {
    let text = fs::read_to_string(out.join("tenantc.lock.json")).unwrap();
    let lock: serde_json::Value = serde_json::from_str(&text).unwrap();
    lock["files"]
        .as_object()
        .expect("the lock has no `files` object")
        .iter()
        .map(|(path, digest)| (path.clone(), digest.as_str().unwrap().to_string()))
        .collect()
}

/// `sha256:<hex>` of `bytes`.
fn sha256(bytes: &[u8]) -> String {
    let hex: String = Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("sha256:{hex}")
}

/// Asserts that the lock in `out` lists exactly the files on disk except `unowned`, each with
/// the digest of its content.
#[track_caller]
fn assert_lock_matches_disk(out: &Path, unowned: &[&str]) {
    let lock = lock_files(out);
    let on_disk: BTreeMap<String, String> = read_tree(out)
        .into_iter()
        .filter(|(path, _)| path != "tenantc.lock.json" && !unowned.contains(&path.as_str()))
        .map(|(path, bytes)| (path, sha256(&bytes)))
        .collect();
    assert_eq!(lock, on_disk, "the lock does not match the files on disk");
}

/// The modification time of every file under `dir`, by relative path.
fn mtimes(dir: &Path) -> BTreeMap<String, SystemTime> {
    read_tree(dir)
        .into_iter()
        .map(|(path, _)| {
            let modified = fs::metadata(dir.join(&path)).unwrap().modified().unwrap();
            (path, modified)
        })
        .collect()
}

/// A fixed, old modification time, so that a rewrite shows however fast the test runs.
fn old_time() -> SystemTime {
    SystemTime::UNIX_EPOCH + Duration::from_secs(1_000_000_000)
}

/// Sets the modification time of every file under `dir` to [`old_time`].
fn age_files(dir: &Path) {
    for (path, _) in read_tree(dir) {
        fs::File::options()
            .write(true)
            .open(dir.join(path))
            .unwrap()
            .set_modified(old_time())
            .unwrap();
    }
}

/// The command that stderr says to run, such as `tenantc render --repo DIR`, as arguments
/// after `tenantc` (it is quoted in backticks or ends the line).
fn advised_command(stderr: &str) -> Vec<String> {
    let start = stderr
        .find("tenantc render")
        .unwrap_or_else(|| panic!("stderr names no `tenantc render` command:\n{stderr}"));
    let rest = &stderr[start + "tenantc".len()..];
    let end = rest.find(['`', '\n']).unwrap_or(rest.len());
    rest[..end]
        .split_whitespace()
        .map(|arg| arg.trim_matches(['\'', '"']).to_string())
        .collect()
}

#[test]
fn render_check_passes_on_the_committed_out() {
    let ran = run(tenantc().current_dir(root()).args(["render", "--check"]));
    ran.expect_code(0, "render --check on the committed out/ (is it stale?)");
    assert_eq!(ran.stdout, "", "nothing is stale, so no diff");
}

#[test]
fn check_reports_a_hand_edit_with_a_diff_and_the_fixing_command() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    let ran = repo.render(&["--check"]);
    ran.expect_code(0, "render --check right after render");
    assert_eq!(ran.stdout, "");

    let edited = format!("{EDITED_LINE}-edited-by-hand");
    repo.edit(
        &format!("out/{EDITED_FILE}"),
        &format!("\n{EDITED_LINE}\n"),
        &format!("\n{edited}\n"),
    );
    let before = read_tree(&repo.out());
    let ran = repo.render(&["--check"]);
    ran.expect_code(1, "render --check after a hand edit");
    // A per-object unified diff from what is on disk to what render would write, naming the
    // file: the hand edit renamed the Namespace, so one Namespace is removed and one added.
    let stdout = &ran.stdout;
    assert!(
        stdout.contains(&format!("--- a/{EDITED_FILE}"))
            && stdout.contains(&format!("+++ b/{EDITED_FILE}"))
            && stdout.contains("\n@@ -")
            && stdout.contains(&format!("\n-{edited}\n"))
            && stdout.contains(&format!("\n+{EDITED_LINE}\n"))
            && stdout.contains("# removed Namespace acme-corp-prod-edited-by-hand (v1)")
            && stdout.contains("# added Namespace acme-corp-prod (v1)"),
        "stdout is not a per-object diff of {EDITED_FILE}:\n{stdout}"
    );
    let headers: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("--- ") || l.starts_with("+++ "))
        .collect();
    assert_eq!(headers.len(), 4, "{stdout}");
    assert!(
        headers
            .iter()
            .all(|h| h.ends_with(EDITED_FILE) || h.ends_with("/dev/null")),
        "the diff names other files:\n{stdout}"
    );
    assert!(
        tree_diff(&before, &read_tree(&repo.out())).is_none(),
        "render --check wrote to out/"
    );

    // Running the command that stderr advises repairs out/.
    // (Run it from a directory that is no repository, so that it must name the repository.)
    let fix = advised_command(&ran.stderr);
    let ran = run(tenantc().current_dir(repo.dir.parent().unwrap()).args(&fix));
    ran.expect_code(0, &format!("the advised command {fix:?}"));
    assert_eq!(ran.stdout, "");
    let text = fs::read_to_string(repo.out().join(EDITED_FILE)).unwrap();
    assert!(text.contains(&format!("{EDITED_LINE}\n")) && !text.contains(&edited));
    let ran = repo.render(&["--check"]);
    ran.expect_code(0, "render --check after the re-render");
    assert_eq!(ran.stdout, "");
    assert_lock_matches_disk(&repo.out(), &[]);
}

#[test]
fn a_second_render_writes_nothing() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    assert_lock_matches_disk(&repo.out(), &[]);
    let before = read_tree(&repo.out());
    age_files(&repo.out());

    let ran = repo.render_ok(&[]);
    assert!(
        ran.stderr.contains(" 0 written"),
        "stderr does not say that 0 files were written:\n{}",
        ran.stderr
    );
    let rewritten: Vec<String> = mtimes(&repo.out())
        .into_iter()
        .filter(|(_, modified)| *modified != old_time())
        .map(|(path, _)| path)
        .collect();
    assert!(rewritten.is_empty(), "rewritten: {rewritten:?}");
    assert!(tree_diff(&before, &read_tree(&repo.out())).is_none());
}

/// What a render skipped through the whole-repository shortcut says.
const NO_INPUT_CHANGED: &str = "(no input changed)";

#[test]
fn an_unchanged_repository_skips_the_pipeline_until_anything_differs() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    let rendered = read_tree(&repo.out());
    let again = repo.render_ok(&[]);
    assert!(
        again.stderr.contains(NO_INPUT_CHANGED) && again.stderr.contains(" 0 written"),
        "{}",
        again.stderr
    );

    // A hand edit under out/ is noticed (its stamp changed) and repaired.
    let edited = repo.out().join(EDITED_FILE);
    let text = fs::read_to_string(&edited).unwrap();
    fs::write(&edited, text.replace(EDITED_LINE, "  name: hand-edited")).unwrap();
    let repaired = repo.render_ok(&[]);
    assert!(
        !repaired.stderr.contains(NO_INPUT_CHANGED),
        "{}",
        repaired.stderr
    );
    assert!(tree_diff(&rendered, &read_tree(&repo.out())).is_none());

    // So is a hand edit of the lock.
    let lock = repo.out().join("tenantc.lock.json");
    let locked = fs::read_to_string(&lock).unwrap();
    fs::write(&lock, locked.replacen("\"sha256:", "\"sha256:0", 1)).unwrap();
    let relocked = repo.render_ok(&[]);
    assert!(
        !relocked.stderr.contains(NO_INPUT_CHANGED),
        "{}",
        relocked.stderr
    );
    assert!(tree_diff(&rendered, &read_tree(&repo.out())).is_none());

    // An unowned file is reported on every run, not only the first.
    fs::write(repo.out().join("notes.txt"), "mine\n").unwrap();
    for _ in 0..2 {
        let ran = repo.render_ok(&[]);
        assert!(ran.stderr.contains("W0601"), "{}", ran.stderr);
        assert!(!ran.stderr.contains(NO_INPUT_CHANGED), "{}", ran.stderr);
    }
    fs::remove_file(repo.out().join("notes.txt")).unwrap();
    repo.render_ok(&[]);
    assert!(repo.render_ok(&[]).stderr.contains(NO_INPUT_CHANGED));

    // Any input edit, even one that changes no output, runs the pipeline again.
    repo.edit("platform.yaml", "spec:", "# a comment\nspec:");
    let ran = repo.render_ok(&[]);
    assert!(!ran.stderr.contains(NO_INPUT_CHANGED), "{}", ran.stderr);
    assert!(tree_diff(&rendered, &read_tree(&repo.out())).is_none());
}

#[test]
fn removing_a_tenant_prunes_exactly_its_files_and_keeps_unowned_ones() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    let unowned = ["NOTES.md", "tenants/globex/keep.txt"];
    for path in unowned {
        fs::write(repo.out().join(path), "not tenantc's\n").unwrap();
    }
    let old_lock = lock_files(&repo.out());
    let globex: BTreeSet<String> = old_lock
        .keys()
        .filter(|p| p.starts_with("tenants/globex/"))
        .cloned()
        .collect();
    assert!(!globex.is_empty(), "the lock lists no file of globex");

    fs::remove_file(repo.path("tenants/customers/globex.yaml")).unwrap();
    let ran = repo.render_ok(&[]);
    assert_eq!(
        ran.stderr.matches("W0601").count(),
        unowned.len(),
        "one W0601 warning per unowned file expected:\n{}",
        ran.stderr
    );
    for path in unowned {
        assert!(
            ran.stderr.contains(path),
            "stderr does not warn (W0601) about the unowned file {path}:\n{}",
            ran.stderr
        );
        assert_eq!(
            fs::read_to_string(repo.out().join(path)).unwrap(),
            "not tenantc's\n",
            "the unowned file {path} was touched"
        );
    }
    let present: BTreeSet<String> = read_tree(&repo.out()).into_iter().map(|(p, _)| p).collect();
    let removed: BTreeSet<String> = old_lock
        .keys()
        .filter(|p| !present.contains(*p))
        .cloned()
        .collect();
    assert_eq!(removed, globex, "pruned files");
    assert_lock_matches_disk(&repo.out(), &unowned);

    // The rest is what a fresh render of the remaining tenants gives.
    let fresh = repo.sibling("fresh");
    repo.render_ok(&["--out", fresh.to_str().unwrap()]);
    let mut expected = read_tree(&fresh);
    for path in unowned {
        expected.push((path.to_string(), b"not tenantc's\n".to_vec()));
    }
    expected.sort();
    if let Some(diff) = tree_diff(&expected, &read_tree(&repo.out())) {
        panic!("out/ after pruning is not a fresh render plus the unowned files:\n{diff}");
    }
}

#[test]
fn refuses_a_non_empty_output_directory_without_a_lock() {
    let repo = Repo::new();
    let out = repo.sibling("elsewhere");
    fs::create_dir_all(&out).unwrap();
    fs::write(out.join("keep.txt"), "mine\n").unwrap();
    let before = read_tree(&out);

    let ran = repo.render(&["--out", out.to_str().unwrap()]);
    ran.expect_code(2, "render into a non-empty directory without a lock");
    assert!(
        ran.stderr.lines().any(|l| l.starts_with("tenantc: ")),
        "no `tenantc:` message on stderr:\n{}",
        ran.stderr
    );
    assert_eq!(ran.stdout, "");
    assert!(
        tree_diff(&before, &read_tree(&out)).is_none(),
        "render wrote into the directory"
    );
}

#[test]
fn tenant_flag_renders_only_that_tenant() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    let before: BTreeMap<String, Vec<u8>> = read_tree(&repo.out()).into_iter().collect();
    let old_lock = lock_files(&repo.out());
    age_files(&repo.out());

    // Change two tenants and delete a third; render only the first.
    // (`costCenter` is a governance label of every object in the example's platform.yaml.)
    repo.edit(
        "tenants/customers/acme-corp.yaml",
        "costCenter: customers",
        "costCenter: acme-sales",
    );
    repo.edit(
        "tenants/customers/globex.yaml",
        "costCenter: customers",
        "costCenter: globex-retail",
    );
    fs::remove_file(repo.path("tenants/customers/initech.yaml")).unwrap();
    repo.render_ok(&["--tenant", "acme-corp"]);

    let fresh = repo.sibling("fresh");
    repo.render_ok(&["--out", fresh.to_str().unwrap()]);
    let fresh: BTreeMap<String, Vec<u8>> = read_tree(&fresh).into_iter().collect();
    let after: BTreeMap<String, Vec<u8>> = read_tree(&repo.out()).into_iter().collect();
    let times = mtimes(&repo.out());
    let mut acme = 0;
    for (path, bytes) in &after {
        if path.starts_with("tenants/acme-corp/") {
            acme += 1;
            assert_eq!(
                Some(bytes),
                fresh.get(path),
                "{path} is not the fresh render of acme-corp"
            );
        } else if path.starts_with("tenants/") {
            assert_eq!(Some(bytes), before.get(path), "{path} changed");
            assert_eq!(times[path], old_time(), "{path} was rewritten");
        }
    }
    assert!(acme > 0, "no file of acme-corp");
    assert_ne!(
        before[EDITED_FILE], after[EDITED_FILE],
        "acme-corp was not re-rendered"
    );
    // Other tenants' files stay owned, even initech's (not pruned).
    let new_lock = lock_files(&repo.out());
    for path in old_lock
        .keys()
        .filter(|p| !p.starts_with("tenants/acme-corp/"))
    {
        assert!(new_lock.contains_key(path), "{path} left the lock");
    }
    assert!(
        new_lock.keys().any(|p| p.starts_with("tenants/initech/")),
        "initech was pruned"
    );
    assert_lock_matches_disk(&repo.out(), &[]);

    // The whole tree is still stale (globex changed, initech is gone).
    let ran = repo.render(&["--check"]);
    ran.expect_code(1, "render --check after a partial render");
    assert!(ran.stdout.contains("tenants/globex/") && ran.stdout.contains("tenants/initech/"));
}

#[test]
fn an_unknown_tenant_is_a_usage_error_and_writes_nothing() {
    let repo = Repo::new();
    repo.render_ok(&[]);
    let before = read_tree(&repo.out());
    age_files(&repo.out());
    let ran = repo.render(&["--tenant", "no-such-tenant"]);
    ran.expect_code(2, "render --tenant with an unknown name");
    assert!(
        ran.stderr
            .lines()
            .any(|l| l.starts_with("tenantc: ") && l.contains("no-such-tenant")),
        "no `tenantc:` message naming the tenant:\n{}",
        ran.stderr
    );
    assert_eq!(ran.stdout, "");
    assert!(tree_diff(&before, &read_tree(&repo.out())).is_none());
    assert!(mtimes(&repo.out()).values().all(|t| *t == old_time()));
}

#[test]
fn validate_accepts_the_example() {
    let ran = run(tenantc().current_dir(root()).arg("validate"));
    ran.expect_code(0, "validate on the example");
    assert_eq!(ran.stdout, "", "human diagnostics belong on stderr");

    let ran = run(tenantc()
        .current_dir(root())
        .args(["validate", "--format", "json"]));
    ran.expect_code(0, "validate --format json on the example");
    let value: serde_json::Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", ran.stdout));
    assert_eq!(value, serde_json::json!([]), "no diagnostics expected");
}

/// Where [`repo_with_a_bad_quantity`] puts its tenant.
const BAD_TENANT: &str = "tenants/bad-quota.yaml";

/// A copy of the example with one more tenant, whose quota override has the bad quantity
/// `10x`; returns the repo and the 1-based line and column of the bad value.
fn repo_with_a_bad_quantity() -> (Repo, usize, usize) {
    let repo = Repo::new();
    let tier = read_tree(&repo.path("tiers"))
        .into_iter()
        .map(|(path, _)| path.trim_end_matches(".yaml").to_string())
        .next()
        .expect("the example has no tier");
    let text = format!(
        "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: bad-quota\nspec:\n  \
         tier: {tier}\n  overrides:\n    quota:\n      requests.cpu: 10x\n"
    );
    fs::write(repo.path(BAD_TENANT), text).unwrap();
    (repo, 9, 21)
}

#[test]
fn validate_locates_a_bad_quantity_in_every_format() {
    let (repo, line, col) = repo_with_a_bad_quantity();
    let file = BAD_TENANT;
    let validate = |format: &str| {
        run(tenantc()
            .current_dir(&repo.dir)
            .args(["validate", "--format", format]))
    };

    let ran = validate("human");
    ran.expect_code(1, "validate (human) with a bad quantity");
    assert_eq!(ran.stdout, "", "human diagnostics belong on stderr");
    assert!(
        ran.stderr.contains("error[E0213]") && ran.stderr.contains(&format!("{file}:{line}:{col}")),
        "stderr does not locate the error at {file}:{line}:{col}:\n{}",
        ran.stderr
    );

    let ran = validate("json");
    ran.expect_code(1, "validate --format json with a bad quantity");
    let value: serde_json::Value = serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", ran.stdout));
    let items = value.as_array().expect("stdout is not a JSON array");
    assert!(
        items.iter().any(|d| d["code"] == "E0213"
            && d["severity"] == "error"
            && d["primary"]["file"] == file
            && d["primary"]["line"] == line
            && d["primary"]["column"] == col),
        "no E0213 at {file}:{line}:{col} in:\n{}",
        ran.stdout
    );

    let ran = validate("github");
    ran.expect_code(1, "validate --format github with a bad quantity");
    let prefix = format!("::error file={file},line={line},col={col}");
    assert!(
        ran.stdout
            .lines()
            .any(|l| l.starts_with(&prefix) && l.contains("::") && l.contains("E0213")),
        "no `{prefix}…::` line on stdout:\n{}",
        ran.stdout
    );
    assert!(
        ran.stdout.lines().all(|l| l.starts_with("::")),
        "stdout has lines that are not workflow commands:\n{}",
        ran.stdout
    );
}

#[test]
fn render_with_invalid_input_writes_nothing_and_exits_1() {
    let (repo, line, col) = repo_with_a_bad_quantity();
    let ran = repo.render(&[]);
    ran.expect_code(1, "render with a bad quantity");
    assert_eq!(ran.stdout, "", "render printed on stdout");
    assert!(
        ran.stderr.contains(&format!("{BAD_TENANT}:{line}:{col}")),
        "stderr does not locate the error:\n{}",
        ran.stderr
    );
    assert!(!repo.out().exists(), "render wrote out/ despite the error");
}

#[test]
fn a_directory_without_inputs_is_not_a_repository() {
    // A mistyped `--repo`, or a run from inside `tenants/`, must not pass as a fleet of none.
    let repo = Repo::new();
    for dir in [repo.sibling("empty"), repo.path("tenants")] {
        fs::create_dir_all(&dir).unwrap();
        for command in ["validate", "render"] {
            let ran = run(tenantc().arg(command).arg("--repo").arg(&dir));
            ran.expect_code(2, &format!("{command} in {}", dir.display()));
            assert!(
                ran.stderr.contains("not a platform repository"),
                "{command}: {}",
                ran.stderr
            );
        }
        assert!(
            !dir.join("out").exists(),
            "render wrote into {}",
            dir.display()
        );
    }
    // A misnamed platform file is reported, not silently replaced by the defaults.
    fs::write(repo.path("platform.yml"), "kind: Platform\n").unwrap();
    let ran = run(tenantc().arg("validate").arg("--repo").arg(&repo.dir));
    assert!(
        ran.stderr.contains("warning[W0109]") && ran.stderr.contains("platform.yml"),
        "{}",
        ran.stderr
    );
}

#[test]
fn an_output_directory_inside_the_inputs_is_refused() {
    let repo = Repo::new();
    let before = read_tree(&repo.dir);
    for out in ["tenants/generated", "tiers", "templates/x/../out"] {
        let ran = repo.render(&["--out", &repo.path(out).to_string_lossy()]);
        ran.expect_code(2, &format!("render --out {out}"));
        assert!(
            ran.stderr.contains("would read its own output"),
            "{}",
            ran.stderr
        );
    }
    assert!(
        read_tree(&repo.dir) == before,
        "a refused render wrote into the repository"
    );
}

#[test]
fn an_output_directory_may_be_a_git_repository() {
    // Rendered manifests pushed to a repository of their own: `.git` (and `.gitignore`) at the
    // top of `--out` are not tenantc's, neither a reason to refuse nor unowned files.
    let repo = Repo::new();
    let out = repo.sibling("manifests");
    fs::create_dir_all(out.join(".git/objects")).unwrap();
    fs::write(out.join(".git/HEAD"), "ref: refs/heads/main\n").unwrap();
    fs::write(out.join(".gitignore"), ".tenantc/\n").unwrap();
    let out_arg = out.to_string_lossy().into_owned();
    for _ in 0..2 {
        let ran = repo.render_ok(&["--out", &out_arg]);
        assert!(!ran.stderr.contains("W0601"), "{}", ran.stderr);
    }
    assert!(out.join(".git/HEAD").is_file() && out.join(".gitignore").is_file());
}

#[test]
fn a_closed_stderr_is_not_a_crash() {
    // `tenantc validate 2>&1 | head -1`: the reader goes away before tenantc has said
    // everything. The command still ends with its own exit code, not a panic (101).
    let (repo, _, _) = repo_with_a_bad_quantity();
    for command in [&["validate"][..], &["render", "--check"]] {
        let (reader, writer) = std::io::pipe().unwrap();
        drop(reader);
        let status = tenantc()
            .args(command)
            .arg("--repo")
            .arg(&repo.dir)
            .stdout(std::process::Stdio::null())
            .stderr(writer)
            .status()
            .unwrap();
        assert_eq!(status.code(), Some(1), "{command:?} with a closed stderr");
    }
}

#[test]
fn schema_check_passes_on_the_repo_and_fails_after_an_edit() {
    let ran = run(tenantc().current_dir(root()).args(["schema", "--check"]));
    ran.expect_code(0, "schema --check on the committed schemas/");
    assert_eq!(ran.stdout, "");

    let repo = Repo::new();
    crate::support::copy_tree(&root().join("schemas"), &repo.path("schemas"));
    let schema = |extra: &[&str]| {
        run(tenantc()
            .args(["schema", "--repo"])
            .arg(&repo.dir)
            .args(extra))
    };
    schema(&["--check"]).expect_code(0, "schema --check on a fresh copy");

    let file = repo.path("schemas/tenant.json");
    let edited = fs::read_to_string(&file).unwrap().replacen('{', "{\n", 1);
    fs::write(&file, &edited).unwrap();
    let ran = schema(&["--check"]);
    ran.expect_code(1, "schema --check after an edit");
    assert!(
        ran.stderr.contains("tenant.json"),
        "stderr does not name the stale file:\n{}",
        ran.stderr
    );
    assert_eq!(ran.stdout, "");
    assert_eq!(
        fs::read_to_string(&file).unwrap(),
        edited,
        "schema --check wrote"
    );

    schema(&[]).expect_code(0, "schema");
    schema(&["--check"]).expect_code(0, "schema --check after schema");
}

#[test]
fn help_works() {
    let ran = run(tenantc().arg("--help"));
    ran.expect_code(0, "--help");
    for word in ["Usage", "validate", "render", "schema"] {
        assert!(
            ran.stdout.contains(word),
            "--help lacks `{word}`:\n{}",
            ran.stdout
        );
    }
    let ran = run(tenantc().args(["render", "--help"]));
    ran.expect_code(0, "render --help");
    for flag in ["--repo", "--out", "--tenant", "--check", "--jobs"] {
        assert!(
            ran.stdout.contains(flag),
            "render --help lacks `{flag}`:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn an_unknown_flag_or_command_is_a_usage_error() {
    // An empty working directory: a wrongly accepted `render` cannot write anywhere that matters.
    let cwd = tempfile::tempdir().unwrap();
    for args in [
        &["render", "--no-such-flag"][..],
        &["--no-such-flag"],
        &["no-such-command"],
        &["render", "--jobs", "0"],
    ] {
        let ran = run(tenantc().current_dir(cwd.path()).args(args));
        ran.expect_code(2, &format!("{args:?}"));
        assert_eq!(ran.stdout, "", "{args:?} printed on stdout");
        assert!(
            !ran.stderr.is_empty(),
            "{args:?} explained nothing on stderr"
        );
    }
    let ran = run(tenantc().current_dir(cwd.path()));
    ran.expect_code(2, "no command");
    assert!(
        read_tree(cwd.path()).is_empty(),
        "a usage error wrote files"
    );
}
