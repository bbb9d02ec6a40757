//! `tenantc diff` end to end: a temporary git repository with two commits (or a working tree
//! with changes), compared with `--base` and `--against`; exit codes of `--exit-code` and
//! `--deny-destructive`; golden files of the markdown and json formats
//! (`tests/golden-diff/`); and failures (bad revision, no repository) as exit 2.

use crate::support::{
    bless, copy_example_inputs, copy_tree, git, git_commit_all, git_init, read_tree, root, run,
    tenantc, unified_diff,
};
use serde_json::Value;
use std::fs;
use std::path::Path;

/// A temporary git repository holding the example fleet's inputs in one commit.
fn example_repo() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    copy_example_inputs(dir.path());
    git_commit_all(dir.path(), "base");
    dir
}

fn diff(dir: &Path, args: &[&str]) -> crate::support::Ran {
    run(tenantc().current_dir(dir).arg("diff").args(args))
}

fn json_of(ran: &crate::support::Ran) -> Value {
    serde_json::from_str(&ran.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", ran.stdout))
}

/// The tenant entry named `name` of a JSON report.
fn tenant<'a>(report: &'a Value, name: &str) -> &'a Value {
    report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["tenant"] == name)
        .unwrap_or_else(|| panic!("no tenant {name} in {report:#}"))
}

/// Edits the example inputs: premium's CPU quota grows (ml-platform), `newco` is added,
/// `acme-corp` (active) and `umbrella` (decommissioned) are removed.
fn change_example(dir: &Path, remove_active: bool) {
    let tier = dir.join("tiers/premium.yaml");
    let text = fs::read_to_string(&tier).unwrap();
    assert!(text.contains("requests.cpu: \"20\""), "{text}");
    fs::write(
        &tier,
        text.replacen("requests.cpu: \"20\"", "requests.cpu: \"24\"", 1),
    )
    .unwrap();
    let globex = fs::read_to_string(dir.join("tenants/customers/globex.yaml")).unwrap();
    fs::write(
        dir.join("tenants/customers/newco.yaml"),
        globex.replace("name: globex", "name: newco"),
    )
    .unwrap();
    fs::remove_file(dir.join("tenants/customers/umbrella.yaml")).unwrap();
    if remove_active {
        fs::remove_file(dir.join("tenants/customers/acme-corp.yaml")).unwrap();
    }
}

#[test]
fn base_reports_quota_change_new_tenant_and_removals_with_destructive_flags() {
    let repo = example_repo();
    let dir = repo.path();
    change_example(dir, true);
    git_commit_all(dir, "head");
    let status = git(dir, &["status", "--porcelain"]);

    let ran = diff(dir, &["--base", "HEAD~1", "--format", "json"]);
    ran.expect_code(0, "diff --base HEAD~1 without --exit-code");
    let report = json_of(&ran);

    let ml = tenant(&report, "ml-platform");
    assert_eq!(ml["status"], "changed");
    let objects = ml["objects"].as_array().unwrap();
    assert!(!objects.is_empty());
    for object in objects {
        assert_eq!(object["change"], "changed", "{object:#}");
        assert_eq!(object["kind"], "ResourceQuota", "{object:#}");
        assert!(
            object["diff"]
                .as_str()
                .unwrap()
                .contains("+    requests.cpu: ")
        );
        assert!(object["destructive"].is_null());
    }

    let newco = tenant(&report, "newco");
    assert_eq!(newco["status"], "added");
    assert!(newco["added"].as_u64().unwrap() > 0);
    assert_eq!(newco["removed"], 0);
    assert!(
        newco["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "Namespace" && o["name"] == "newco-prod")
    );

    let acme = tenant(&report, "acme-corp");
    assert_eq!(acme["status"], "removed");
    assert_eq!(acme["added"], 0);
    let reasons = acme["destructive"].as_array().unwrap();
    assert_eq!(reasons.len(), 1, "{acme:#}");
    assert!(reasons[0].as_str().unwrap().contains("`active`"));

    let umbrella = tenant(&report, "umbrella");
    assert_eq!(umbrella["status"], "removed");
    assert!(umbrella["removed"].as_u64().unwrap() > 0);
    assert_eq!(umbrella["destructive"], Value::Array(vec![]));
    assert!(
        umbrella["objects"]
            .as_array()
            .unwrap()
            .iter()
            .all(|o| o["destructive"].is_null())
    );

    assert_eq!(report["summary"]["destructive"], 1);
    assert_eq!(report["destructive"][0]["tenant"], "acme-corp");
    assert_eq!(report["baseline"]["revision"], "HEAD~1");
    // Only those four tenants differ.
    let names: Vec<&str> = report["tenants"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["tenant"].as_str().unwrap_or("(platform)"))
        .collect();
    assert!(
        names.iter().all(|n| [
            "acme-corp",
            "ml-platform",
            "newco",
            "umbrella",
            "(platform)"
        ]
        .contains(n)),
        "{names:?}"
    );

    // Every format flags it; the exit codes follow the flags.
    let unified = diff(dir, &["--base", "HEAD~1"]);
    unified.expect_code(0, "unified");
    assert!(
        unified
            .stdout
            .contains("# DESTRUCTIVE acme-corp: tenant `acme-corp` is removed")
    );
    assert!(!unified.stdout.contains('\x1b'), "colour on a pipe");
    let markdown = diff(dir, &["--base", "HEAD~1", "--format", "markdown"]);
    assert!(markdown.stdout.contains("> [!CAUTION]"));
    diff(dir, &["--base", "HEAD~1", "--exit-code"]).expect_code(1, "--exit-code, non-empty");
    let denied = diff(dir, &["--base", "HEAD~1", "--deny-destructive"]);
    denied.expect_code(1, "--deny-destructive with a removed active tenant");
    assert!(denied.stderr.contains("destructive"), "{}", denied.stderr);

    // The head against itself: nothing, exit 0 even with --exit-code.
    let same = diff(
        dir,
        &["--base", "HEAD", "--exit-code", "--deny-destructive"],
    );
    same.expect_code(0, "no change");
    assert_eq!(same.stdout, "");
    // Neither the working tree nor the index was touched.
    assert_eq!(git(dir, &["status", "--porcelain"]), status);
}

#[test]
fn working_tree_changes_without_destruction_pass_deny_destructive_but_not_exit_code() {
    let repo = example_repo();
    let dir = repo.path();
    change_example(dir, false);
    // The default base is HEAD; the head is the working tree, uncommitted.
    let ran = diff(dir, &["--deny-destructive", "--format", "json"]);
    ran.expect_code(0, "only non-destructive changes");
    let report = json_of(&ran);
    assert_eq!(report["summary"]["destructive"], 0);
    assert_eq!(tenant(&report, "umbrella")["status"], "removed");
    diff(dir, &["--exit-code"]).expect_code(1, "--exit-code with changes");
    // Both flags: the diff is not empty.
    diff(dir, &["--exit-code", "--deny-destructive"]).expect_code(1, "both flags");
}

#[test]
fn removing_one_environment_of_an_active_tenant_is_destructive() {
    let repo = example_repo();
    let dir = repo.path();
    let file = dir.join("tenants/internal/ml-platform.yaml");
    let text = fs::read_to_string(&file).unwrap();
    let edited = text.replace(
        "tier: premium",
        "tier: premium\n  environments: [dev, prod]",
    );
    assert_ne!(text, edited);
    fs::write(&file, edited).unwrap();
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "a removed namespace");
    let report = json_of(&ran);
    let ml = tenant(&report, "ml-platform");
    assert_eq!(ml["status"], "changed");
    let flagged: Vec<&Value> = ml["objects"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|o| !o["destructive"].is_null())
        .collect();
    assert_eq!(flagged.len(), 1, "{ml:#}");
    assert_eq!(flagged[0]["kind"], "Namespace");
    assert_eq!(flagged[0]["name"], "ml-platform-staging");
}

/// Commits `tests/golden-diff/base`, then `head`, and compares `diff --base HEAD~1` in the
/// markdown and json formats with the committed expected files.
#[test]
fn golden_markdown_and_json() {
    let golden = root().join("tests/golden-diff");
    let repo = tempfile::tempdir().unwrap();
    let dir = repo.path();
    git_init(dir);
    copy_tree(&golden.join("base"), dir);
    let base = git_commit_all(dir, "base");
    for sub in ["tiers", "tenants"] {
        fs::remove_dir_all(dir.join(sub)).unwrap();
    }
    copy_tree(&golden.join("head"), dir);
    git_commit_all(dir, "head");

    let mut failures = String::new();
    for (format, file) in [("markdown", "expected.md"), ("json", "expected.json")] {
        let ran = diff(dir, &["--base", "HEAD~1", "--format", format]);
        ran.expect_code(0, format);
        let short: String = base.chars().take(12).collect();
        let actual = ran
            .stdout
            .replace(&base, "<commit>")
            .replace(&short, "<commit>");
        let path = golden.join(file);
        if bless() {
            fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = fs::read_to_string(&path).unwrap_or_default();
        if expected != actual {
            failures.push_str(&unified_diff(&expected, &actual, file));
        }
    }
    assert!(
        failures.is_empty(),
        "diff output differs from tests/golden-diff; if intended, run \
         `TENANTC_BLESS=1 cargo test --test it diff::golden` and review the files\n{failures}"
    );
}

/// Renders the example into `<dir>/out` with the binary.
fn render_out(dir: &Path) {
    run(tenantc().current_dir(dir).args(["render"])).expect_code(0, "render");
}

#[test]
fn against_a_directory_compares_with_committed_output() {
    let repo = example_repo();
    let dir = repo.path();
    render_out(dir);
    diff(dir, &["--against", "out", "--exit-code"]).expect_code(0, "out/ is up to date");
    // A file the lock does not list is not tenantc's: `render --check` ignores it, and so
    // does the diff.
    std::fs::write(dir.join("out/README.md"), "kept by hand\n").unwrap();
    diff(dir, &["--against", "out", "--exit-code"]).expect_code(0, "an unowned file in out/");
    std::fs::remove_file(dir.join("out/README.md")).unwrap();

    change_example(dir, true);
    let ran = diff(dir, &["--against", "out", "--format", "json"]);
    ran.expect_code(0, "diff --against out");
    let report = json_of(&ran);
    assert_eq!(report["baseline"]["directory"], "out");
    assert_eq!(tenant(&report, "ml-platform")["status"], "changed");
    assert_eq!(tenant(&report, "newco")["status"], "added");
    // Without the inputs of out/, the lifecycle comes from the Namespaces' labels.
    assert_eq!(
        tenant(&report, "acme-corp")["destructive"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        tenant(&report, "umbrella")["destructive"],
        Value::Array(vec![])
    );
    diff(dir, &["--against", "out", "--deny-destructive"]).expect_code(1, "deny");

    let missing = diff(dir, &["--against", "no-such-dir"]);
    missing.expect_code(2, "a missing directory");
    assert!(
        missing.stderr.starts_with("tenantc: "),
        "{}",
        missing.stderr
    );
    assert_eq!(missing.stdout, "");
}

/// Every object of the rendered example, parsed back from its file and written again,
/// compares equal to the rendered object: a hand-added comment is a formatting-only change,
/// never an object change.
#[test]
fn parsed_output_round_trips_to_the_rendered_objects() {
    let repo = example_repo();
    let dir = repo.path();
    render_out(dir);
    let mut yaml_files = 0;
    for (path, bytes) in read_tree(&dir.join("out")) {
        if path.ends_with(".yaml") {
            let full = dir.join("out").join(&path);
            let text = format!("# edited by hand\n{}", String::from_utf8(bytes).unwrap());
            fs::write(full, text).unwrap();
            yaml_files += 1;
        }
    }
    assert!(yaml_files > 10);
    let ran = diff(dir, &["--against", "out", "--format", "json"]);
    ran.expect_code(0, "diff --against a commented out/");
    let report = json_of(&ran);
    assert_eq!(report["summary"]["added"], 0, "{report:#}");
    assert_eq!(report["summary"]["changed"], 0, "{report:#}");
    assert_eq!(report["summary"]["removed"], 0, "{report:#}");
    assert_eq!(report["summary"]["formattingOnlyFiles"], yaml_files);
}

#[test]
fn a_bad_revision_or_no_repository_is_exit_2() {
    let repo = example_repo();
    for rev in ["no-such-branch", "HEAD~5", "--help"] {
        let ran = diff(repo.path(), &[&format!("--base={rev}")]);
        ran.expect_code(2, rev);
        assert_eq!(ran.stdout, "");
        assert!(
            ran.stderr.starts_with("tenantc: ") && ran.stderr.contains(rev),
            "{rev}: {}",
            ran.stderr
        );
    }
    let plain = tempfile::tempdir().unwrap();
    copy_example_inputs(plain.path());
    let ran = diff(plain.path(), &[]);
    ran.expect_code(2, "no git repository");
    assert!(
        ran.stderr.contains("not inside a git repository"),
        "{}",
        ran.stderr
    );
    let both = diff(repo.path(), &["--base", "HEAD", "--against", "out"]);
    both.expect_code(2, "--base and --against together");
}

#[test]
fn a_base_that_does_not_compile_is_reported_as_such() {
    let repo = example_repo();
    let dir = repo.path();
    let file = dir.join("tenants/customers/globex.yaml");
    let good = fs::read_to_string(&file).unwrap();
    fs::write(
        &file,
        good.replace("tier: standard", "tier: standard\n  qouta: 1"),
    )
    .unwrap();
    git_commit_all(dir, "broken");
    fs::write(&file, good).unwrap();
    let ran = diff(dir, &[]);
    ran.expect_code(1, "a broken base");
    assert_eq!(ran.stdout, "");
    assert!(
        ran.stderr.contains("base revision `HEAD` does not compile")
            && ran.stderr.contains("tenants/customers/globex.yaml"),
        "{}",
        ran.stderr
    );
}

#[test]
fn platform_repository_in_a_subdirectory_of_the_git_repository() {
    let outer = tempfile::tempdir().unwrap();
    git_init(outer.path());
    let sub = outer.path().join("platform");
    copy_example_inputs(&sub);
    git_commit_all(outer.path(), "base");
    change_example(&sub, false);
    let ran = run(tenantc()
        .current_dir(outer.path())
        .args(["diff", "--repo", "platform", "--format", "json"]));
    ran.expect_code(0, "diff --repo platform");
    let report = json_of(&ran);
    assert_eq!(tenant(&report, "newco")["status"], "added");
    assert_eq!(tenant(&report, "umbrella")["status"], "removed");
}

#[test]
fn render_check_prints_the_per_object_diff_and_the_fixing_command() {
    let repo = example_repo();
    let dir = repo.path();
    render_out(dir);
    change_example(dir, false);
    let ran = run(tenantc().current_dir(dir).args(["render", "--check"]));
    ran.expect_code(1, "render --check after an input change");
    let out = &ran.stdout;
    assert!(
        out.contains("# tenant ml-platform (changed): 0 added, "),
        "{out}"
    );
    assert!(out.contains("# changed ResourceQuota ml-platform-dev/tenant-quota (v1)"));
    assert!(out.contains("# tenant newco (added): "));
    assert!(out.contains("# tenant umbrella (removed): "));
    assert!(
        !out.contains("DESTRUCTIVE"),
        "umbrella is decommissioned:\n{out}"
    );
    assert!(
        ran.stderr.contains("run `tenantc render` to update it"),
        "{}",
        ran.stderr
    );

    // A change of formatting only is still stale, and shown as a file diff.
    run(tenantc().current_dir(dir).args(["render"])).expect_code(0, "re-render");
    let file = dir.join("out/tenants/globex/kubernetes/globex-prod.yaml");
    let text = fs::read_to_string(&file).unwrap();
    fs::write(&file, format!("# a note\n{text}")).unwrap();
    let ran = run(tenantc().current_dir(dir).args(["render", "--check"]));
    ran.expect_code(1, "render --check after a comment was added");
    assert!(
        ran.stdout.contains(
            "# file tenants/globex/kubernetes/globex-prod.yaml differs in formatting or order only"
        ) && ran.stdout.contains("\n-# a note\n"),
        "{}",
        ran.stdout
    );
}

/// A temporary git repository holding the inputs of `fixtures/<case>` (not its `out/`) in
/// one commit.
fn fixture_repo(case: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    git_init(dir.path());
    let from = root().join("fixtures").join(case);
    for entry in fs::read_dir(&from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if name == "out" || name == "expected.stderr" {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_tree(&entry.path(), &dir.path().join(&name));
        } else {
            fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    git_commit_all(dir.path(), "base");
    dir
}

/// Replaces `from` by `to` in the file at `path` (which must contain it).
fn edit(path: &Path, from: &str, to: &str) {
    let text = fs::read_to_string(path).unwrap();
    assert!(
        text.contains(from),
        "{} has no {from:?}:\n{text}",
        path.display()
    );
    fs::write(path, text.replacen(from, to, 1)).unwrap();
}

/// The destructive reasons of a JSON report, tenant-wide and per object.
fn reasons(report: &Value) -> Vec<String> {
    report["destructive"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["reason"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_changed_cluster_cidr_is_destructive() {
    let repo = fixture_repo("cluster-kamaji");
    let dir = repo.path();
    edit(
        &dir.join("tenants/fabrikam.yaml"),
        "podCidr: 10.10.0.0/16",
        "podCidr: 10.12.0.0/16",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "a cluster's pod CIDR changed");
    let report = json_of(&ran);
    let found = reasons(&report);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].contains("pod CIDR `10.10.0.0/16` → `10.12.0.0/16`"),
        "{found:?}"
    );
    assert_eq!(report["destructive"][0]["tenant"], "fabrikam");
}

#[test]
fn an_isolation_change_through_a_tier_change_is_destructive() {
    let repo = fixture_repo("nodepool-aws");
    let dir = repo.path();
    let tenants: Vec<String> = read_tree(&dir.join("tenants"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    let tiers: Vec<String> = read_tree(&dir.join("tiers"))
        .into_iter()
        .map(|(p, _)| p)
        .collect();
    // Move the pool's tier to namespace isolation: every tenant of it leaves its nodes.
    let tier = dir.join("tiers").join(&tiers[0]);
    edit(&tier, "isolation: nodePool", "isolation: namespace");
    let ran = diff(dir, &["--format", "markdown", "--deny-destructive"]);
    ran.expect_code(1, "isolation changed");
    assert!(
        ran.stdout
            .contains("isolation changes from `nodePool` to `namespace`"),
        "{}\n{tenants:?}",
        ran.stdout
    );
}

#[test]
fn a_node_pool_with_new_instance_types_is_replaced_but_scaling_is_an_update() {
    let repo = fixture_repo("nodepool-aws");
    let dir = repo.path();
    let tier = dir.join("tiers/gpu-dedicated.yaml");
    edit(
        &tier,
        "scaling: {min: 1, desired: 2, max: 4}",
        "scaling: {min: 1, desired: 3, max: 6}",
    );
    let ran = diff(
        dir,
        &["--format", "json", "--deny-destructive", "--exit-code"],
    );
    ran.expect_code(1, "scaling changed: not empty");
    let report = json_of(&ran);
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert!(
        report["summary"]["changed"].as_u64().unwrap() > 0,
        "{report:#}"
    );
    diff(dir, &["--deny-destructive"]).expect_code(0, "scaling is an update");

    edit(
        &tier,
        "instanceTypes: [g5.2xlarge, g5.4xlarge]",
        "instanceTypes: [g6.2xlarge]",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "instance types changed");
    let found = reasons(&json_of(&ran));
    assert!(!found.is_empty());
    assert!(
        found.iter().all(|r| r.contains(
            "the node pool is replaced, not updated (instance types `g5.2xlarge, g5.4xlarge` → `g6.2xlarge`)"
        )),
        "{found:?}"
    );
}

/// The JSON report's destructive entries whose object is of kind `kind`, as
/// (namespace/name, reason).
fn flagged_objects(report: &Value, kind: &str) -> Vec<(String, String)> {
    report["destructive"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|d| d["object"]["kind"] == kind)
        .map(|d| {
            (
                format!(
                    "{}/{}",
                    d["object"]["namespace"].as_str().unwrap(),
                    d["object"]["name"].as_str().unwrap()
                ),
                d["reason"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

#[test]
fn a_changed_priority_class_value_cannot_be_applied_in_place() {
    let repo = example_repo();
    let dir = repo.path();
    // A mutable field first: the description is updated in place.
    edit(
        &dir.join("tiers/standard.yaml"),
        "description: Workloads of standard-tier tenants",
        "description: Standard-tier workloads",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(0, "a PriorityClass description is mutable");
    let report = json_of(&ran);
    assert_eq!(report["summary"]["changed"], 1, "{report:#}");
    assert_eq!(reasons(&report), Vec::<String>::new());

    edit(
        &dir.join("tiers/standard.yaml"),
        "value: 10000",
        "value: 20000",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "a PriorityClass value changed");
    let report = json_of(&ran);
    let found = flagged_objects(&report, "PriorityClass");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0].0, "/tenant-standard");
    let reason = &found[0].1;
    for needle in [
        "cannot be applied in place: `value` `10000` → `20000` of PriorityClass `tenant-standard` is immutable",
        "ValidatePriorityClassUpdate",
        "running pods keep the priority",
        "Give the class a new name",
    ] {
        assert!(reason.contains(needle), "{needle:?} not in {reason}");
    }
    // The platform-wide group, and every format.
    assert!(report["destructive"][0]["tenant"].is_null());
    let unified = diff(dir, &["--deny-destructive"]);
    unified.expect_code(1, "unified");
    assert!(
        unified.stdout.contains(
            "# DESTRUCTIVE platform PriorityClass tenant-standard: cannot be applied in place"
        ),
        "{}",
        unified.stdout
    );
    let markdown = diff(dir, &["--format", "markdown"]);
    markdown.expect_code(0, "markdown without flags");
    assert!(
        markdown.stdout.contains("> [!CAUTION]")
            && markdown.stdout.contains(
                "> - **platform** `PriorityClass tenant-standard`: cannot be applied in place"
            ),
        "{}",
        markdown.stdout
    );
}

/// Edits a file of a rendered `out/` so that it holds the old state of an object, for rules
/// no input can reach: `diff --against out` compares it with the inputs' rendering.
#[test]
fn a_changed_preemption_policy_cannot_be_applied_in_place() {
    let repo = example_repo();
    let dir = repo.path();
    render_out(dir);
    edit(
        &dir.join("out/platform/priorityclasses.yaml"),
        "value: 10000\n",
        "preemptionPolicy: Never\nvalue: 10000\n",
    );
    let ran = diff(
        dir,
        &["--against", "out", "--format", "json", "--deny-destructive"],
    );
    ran.expect_code(1, "preemptionPolicy changed");
    let found = flagged_objects(&json_of(&ran), "PriorityClass");
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].1.contains(
            "`preemptionPolicy` `Never` → `PreemptLowerPriority` of PriorityClass `tenant-standard` is immutable"
        ),
        "{found:?}"
    );
    // Spelling out the API server's default is no change of value.
    edit(
        &dir.join("out/platform/priorityclasses.yaml"),
        "preemptionPolicy: Never\n",
        "preemptionPolicy: PreemptLowerPriority\n",
    );
    let ran = diff(
        dir,
        &["--against", "out", "--format", "json", "--deny-destructive"],
    );
    ran.expect_code(0, "the default spelled out");
    assert_eq!(reasons(&json_of(&ran)), Vec::<String>::new());
}

#[test]
fn a_changed_role_binding_role_ref_cannot_be_applied_in_place_but_subjects_can() {
    let repo = example_repo();
    let dir = repo.path();
    // Subjects are mutable: a new admin group is an update.
    edit(
        &dir.join("tenants/customers/globex.yaml"),
        "oidc:globex-sre",
        "oidc:globex-oncall",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(0, "RoleBinding subjects changed");
    let report = json_of(&ran);
    let globex = tenant(&report, "globex");
    assert!(
        globex["objects"]
            .as_array()
            .unwrap()
            .iter()
            .any(|o| o["kind"] == "RoleBinding" && o["change"] == "changed"),
        "{globex:#}"
    );
    assert_eq!(reasons(&report), Vec::<String>::new());

    // roleRef is not: the old side binds another role.
    git_commit_all(dir, "new subjects");
    render_out(dir);
    edit(
        &dir.join("out/tenants/globex/kubernetes/globex-prod.yaml"),
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: tenant-admin\n",
        "roleRef:\n  apiGroup: rbac.authorization.k8s.io\n  kind: Role\n  name: tenant-developer\n",
    );
    let ran = diff(
        dir,
        &["--against", "out", "--format", "json", "--deny-destructive"],
    );
    ran.expect_code(1, "roleRef changed");
    let report = json_of(&ran);
    let found = flagged_objects(&report, "RoleBinding");
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].0, "globex-prod/tenant-admin");
    for needle in [
        "cannot be applied in place: `roleRef` of RoleBinding `tenant-admin` is immutable (`Role/tenant-developer` → `Role/tenant-admin`",
        "ValidateRoleBindingUpdate",
        "its subjects have no access through it in between",
    ] {
        assert!(found[0].1.contains(needle), "{needle:?} not in {found:?}");
    }
    assert_eq!(report["destructive"][0]["tenant"], "globex");
}

#[test]
fn a_changed_data_store_driver_cannot_be_applied_in_place() {
    let repo = fixture_repo("cluster-kamaji");
    let dir = repo.path();
    edit(
        &dir.join("platform.yaml"),
        "      shared: default\n",
        "      shared: default\n      dedicated: {driver: PostgreSQL}\n",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "a DataStore driver changed");
    let report = json_of(&ran);
    let found = flagged_objects(&report, "DataStore");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0].0, "/fabrikam-etcd");
    for needle in [
        "cannot be applied in place: `spec.driver` of DataStore `fabrikam-etcd` is immutable (`etcd` → `PostgreSQL`",
        "driver of a DataStore cannot be changed",
        "same driver",
    ] {
        assert!(found[0].1.contains(needle), "{needle:?} not in {found:?}");
    }
    // Only the driver is flagged: the endpoints and TLS references are updates.
    assert_eq!(reasons(&report).len(), 1, "{report:#}");
}

/// The DataStore schema and user name reach the TenantControlPlane through the Cluster's
/// topology variables; both are immutable there.
#[test]
fn a_changed_data_store_schema_or_username_cannot_be_applied_in_place() {
    for (template, variable) in [
        ("schemaTemplate", "dataStoreSchema"),
        ("usernameTemplate", "dataStoreUsername"),
    ] {
        let repo = fixture_repo("cluster-kamaji");
        let dir = repo.path();
        edit(
            &dir.join("platform.yaml"),
            "      shared: default\n",
            &format!(
                "      shared: default\n      {template}: \"t_{{{{ tenant | replace('-', '_') }}}}\"\n"
            ),
        );
        let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
        ran.expect_code(1, variable);
        let report = json_of(&ran);
        let found = flagged_objects(&report, "Cluster");
        // Both cluster tenants: one with a dedicated DataStore, one on the shared one.
        assert_eq!(found.len(), 2, "{report:#}");
        for (_, reason) in &found {
            assert!(
                reason.starts_with(&format!(
                    "cannot be applied in place: the topology variable `{variable}` changes"
                )) && reason.contains("`self == oldSelf`")
                    && reason.contains("TenantControlPlane")
                    && reason.contains("a new cluster"),
                "{reason}"
            );
        }
        assert_eq!(reasons(&report).len(), 2, "{report:#}");
    }
}

#[test]
fn a_cluster_version_may_rise_one_minor_but_not_fall_or_skip() {
    let repo = fixture_repo("cluster-kamaji");
    let dir = repo.path();
    let tier = dir.join("tiers/dedicated.yaml");
    // Mutable: a patch or one minor up, more workers.
    edit(
        &tier,
        "kubernetesVersion: v1.34.1",
        "kubernetesVersion: v1.35.0",
    );
    edit(&tier, "workers: 5", "workers: 6");
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(0, "one minor up");
    let report = json_of(&ran);
    assert_eq!(reasons(&report), Vec::<String>::new());
    assert!(report["summary"]["changed"].as_u64().unwrap() > 0);

    for (version, says) in [
        (
            "v1.33.4",
            "`spec.topology.version` decreases (`v1.34.1` → `v1.33.4`)",
        ),
        (
            "v1.36.0",
            "`spec.topology.version` skips a minor version (`v1.34.1` → `v1.36.0`)",
        ),
    ] {
        edit(
            &tier,
            "kubernetesVersion: v1.35.0",
            &format!("kubernetesVersion: {version}"),
        );
        let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
        ran.expect_code(1, version);
        let found = flagged_objects(&json_of(&ran), "Cluster");
        assert_eq!(found.len(), 1, "{found:?}");
        assert_eq!(found[0].0, "cluster-fabrikam/fabrikam");
        assert!(
            found[0].1.contains(says) && found[0].1.contains("validateTopologyVersion"),
            "{found:?}"
        );
        edit(
            &tier,
            &format!("kubernetesVersion: {version}"),
            "kubernetesVersion: v1.35.0",
        );
    }
}

/// The node groups' cluster and subnets are variables of the root module: a new default
/// replaces every node group, like the tenant-wide "node pool replaced" rule.
#[test]
fn new_node_group_subnets_replace_every_node_group() {
    let repo = fixture_repo("nodepool-aws");
    let dir = repo.path();
    edit(
        &dir.join("platform.yaml"),
        "subnet-0a1b2c3d4e5f60003]",
        "subnet-0a1b2c3d4e5f60004]",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "new subnets");
    let report = json_of(&ran);
    let found = flagged_objects(&report, "File");
    assert_eq!(found.len(), 1, "{report:#}");
    assert_eq!(found[0].0, "/terraform/versions.tf.json");
    assert!(
        found[0].1.contains("`var.aws_subnet_ids`")
            && found[0]
                .1
                .contains("(`subnet_ids` of `aws_eks_node_group`) forces replacement")
            && found[0]
                .1
                .contains("every `aws_eks_node_group` of the fleet"),
        "{found:?}"
    );
}

/// A new EKS AMI type (here a tier pinning Bottlerocket's NVIDIA image over the one the GPU
/// instance types imply) forces the node group to be recreated, like new instance types.
#[test]
fn a_node_pool_with_a_new_ami_type_is_replaced() {
    let repo = fixture_repo("nodepool-aws");
    let dir = repo.path();
    edit(
        &dir.join("tiers/gpu-dedicated.yaml"),
        "instanceTypes: [g5.2xlarge, g5.4xlarge]",
        "instanceTypes: [g5.2xlarge, g5.4xlarge]\n    amiType: BOTTLEROCKET_x86_64_NVIDIA",
    );
    let ran = diff(dir, &["--format", "json", "--deny-destructive"]);
    ran.expect_code(1, "AMI type changed");
    let found = reasons(&json_of(&ran));
    assert!(
        found.iter().any(|r| r.contains(
            "the node pool is replaced, not updated (AMI type `AL2023_x86_64_NVIDIA` → `BOTTLEROCKET_x86_64_NVIDIA`)"
        )),
        "{found:?}"
    );
}
