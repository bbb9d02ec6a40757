//! The hooks of `.pre-commit-hooks.yaml`, run by the real pre-commit framework on a temporary
//! platform repository: a broken tenant file stops the commit with its `file:line`, the fixed
//! file commits.
//!
//! The hook repository is a snapshot of this checkout's working tree committed to a temporary git repository and named by path and commit in the platform
//! repository's `.pre-commit-config.yaml`, exactly as a platform team would name this
//! repository; pre-commit then builds tenantc with `cargo install --path` (`language: rust`).
//! Cargo runs offline from the local registry cache, with an unoptimised release profile and
//! a target directory kept under `target/`, so the test needs no network and rebuilds fast.
//!
//! Needs the `pre-commit` program (`pip install pre-commit`), so it is ignored by default:
//! `.ci/run` installs pre-commit and runs it with `TENANTC_PRECOMMIT_TEST=1 cargo test --test it
//! precommit -- --ignored`.

use crate::support::{copy_example_inputs, git, git_commit_all, git_init, root};
use std::path::Path;
use std::process::{Command, Output, Stdio};

/// The environment variable `.ci/run` sets to say pre-commit must be there.
const ENABLE: &str = "TENANTC_PRECOMMIT_TEST";

/// Copies this checkout (every file git tracks or would track, as it is in the working tree)
/// into a new git repository and commits it; returns the commit.
fn hook_repository(dir: &Path) -> String {
    git_init(dir);
    let root = root();
    let listed = git(
        &root,
        &[
            "ls-files",
            "-z",
            "--cached",
            "--others",
            "--exclude-standard",
        ],
    );
    for path in listed.split('\0').filter(|p| !p.is_empty()) {
        let from = root.join(path);
        if !from.is_file() {
            continue; // deleted in the working tree
        }
        let to = dir.join(path);
        std::fs::create_dir_all(to.parent().unwrap()).unwrap();
        std::fs::copy(&from, &to).unwrap();
    }
    assert!(dir.join(".pre-commit-hooks.yaml").is_file());
    git_commit_all(dir, "tenantc snapshot")
}

/// A command with the environment every pre-commit run of the test shares.
fn with_env(mut cmd: Command, cache: &Path) -> Command {
    cmd.env("PRE_COMMIT_HOME", cache)
        .env("PRE_COMMIT_COLOR", "never")
        .env("NO_COLOR", "1")
        .env("CARGO_NET_OFFLINE", "true")
        .env("CARGO_TARGET_DIR", root().join("target/precommit-hook"))
        .env("CARGO_PROFILE_RELEASE_OPT_LEVEL", "0")
        .env("CARGO_PROFILE_RELEASE_DEBUG", "false")
        .env("CARGO_PROFILE_RELEASE_LTO", "false")
        .env("CARGO_PROFILE_RELEASE_INCREMENTAL", "true")
        .env("CARGO_PROFILE_RELEASE_CODEGEN_UNITS", "64")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "tenantc tests")
        .env("GIT_AUTHOR_EMAIL", "tests@tenantc.invalid")
        .env("GIT_COMMITTER_NAME", "tenantc tests")
        .env("GIT_COMMITTER_EMAIL", "tests@tenantc.invalid")
        .stdin(Stdio::null());
    cmd
}

fn text(output: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

/// The pre-commit program: `pre-commit` on the PATH, else the Python module `pre_commit` (pip
/// may install the module without the PATH knowing the script yet, as with pyenv shims).
fn pre_commit() -> Command {
    let on_path = Command::new("pre-commit")
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .is_ok_and(|o| o.status.success());
    if on_path {
        Command::new("pre-commit")
    } else {
        let mut cmd = Command::new("python3");
        cmd.args(["-m", "pre_commit"]);
        cmd
    }
}

/// `git commit` in `repo`, through the installed pre-commit hook.
fn commit(repo: &Path, cache: &Path, message: &str) -> Output {
    let mut cmd = Command::new("git");
    cmd.arg("-C")
        .arg(repo)
        .args(["commit", "-q", "-m", message]);
    with_env(cmd, cache).output().expect("git runs")
}

#[test]
#[ignore = "runs the real pre-commit framework: `pip install pre-commit`, then \
            `TENANTC_PRECOMMIT_TEST=1 cargo test --test it precommit -- --ignored`"]
fn pre_commit_hooks_stop_a_broken_tenant_and_pass_a_fixed_one() {
    let version = pre_commit().arg("--version").stdin(Stdio::null()).output();
    if !version.is_ok_and(|o| o.status.success()) {
        panic!(
            "the `pre-commit` program is not installed (or does not run); install it with \
             `pip install pre-commit`{}",
            if std::env::var_os(ENABLE).is_some() {
                format!(" ({ENABLE} is set, so it must be there)")
            } else {
                String::new()
            }
        );
    };

    let work = tempfile::tempdir().unwrap();
    let hooks = work.path().join("tenantc");
    let rev = hook_repository(&hooks);
    let cache = work.path().join("pre-commit-cache");

    // A platform repository with its rendered out/, committed.
    let repo = work.path().join("platform");
    git_init(&repo);
    copy_example_inputs(&repo);
    let rendered = crate::support::run(
        crate::support::tenantc()
            .current_dir(&repo)
            .args(["render"]),
    );
    rendered.expect_code(0, "render of the example");
    std::fs::write(
        repo.join(".pre-commit-config.yaml"),
        format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: tenantc-validate\n      - id: tenantc-render-check\n",
            hooks.display()
        ),
    )
    .unwrap();
    git_commit_all(&repo, "platform");

    let mut install = pre_commit();
    install.current_dir(&repo).arg("install");
    let installed = with_env(install, &cache).output().unwrap();
    assert!(installed.status.success(), "{}", text(&installed));

    // Every hook passes on the committed repository (this builds tenantc the first time).
    let mut all = pre_commit();
    all.current_dir(&repo).args(["run", "--all-files"]);
    let ran = with_env(all, &cache).output().unwrap();
    assert!(
        ran.status.success(),
        "hooks on a valid repository:\n{}",
        text(&ran)
    );
    let out = text(&ran);
    assert!(
        out.contains("tenantc validate") && out.contains("tenantc render --check"),
        "{out}"
    );

    // A typo in a tenant file stops the commit and names the file and line.
    let file = repo.join("tenants/customers/globex.yaml");
    let good = std::fs::read_to_string(&file).unwrap();
    let (line, _) = good
        .lines()
        .enumerate()
        .find(|(_, l)| l.trim_start().starts_with("tier:"))
        .expect("a tier line");
    let broken = good.replacen(
        "  tier: standard\n",
        "  tier: standard\n  qouta: {pods: \"9\"}\n",
        1,
    );
    assert_ne!(broken, good);
    std::fs::write(&file, &broken).unwrap();
    git(&repo, &["add", "tenants/customers/globex.yaml"]);
    let refused = commit(&repo, &cache, "typo");
    let out = text(&refused);
    assert!(
        !refused.status.success(),
        "the broken commit went through:\n{out}"
    );
    let location = format!("tenants/customers/globex.yaml:{}:", line + 2);
    assert!(
        out.contains(&location) && out.contains("qouta"),
        "pre-commit output does not point at {location}:\n{out}"
    );
    assert!(
        out.contains("tenantc validate") && out.contains("Failed"),
        "{out}"
    );
    let head = git(&repo, &["log", "--oneline"]);
    assert_eq!(head.lines().count(), 1, "{head}");

    // The fixed file commits.
    std::fs::write(&file, &good).unwrap();
    std::fs::write(repo.join("tenants/customers/README.md"), "customers\n").unwrap();
    git(&repo, &["add", "-A"]);
    let accepted = commit(&repo, &cache, "fixed");
    assert!(
        accepted.status.success(),
        "the fixed commit was refused:\n{}",
        text(&accepted)
    );
    assert_eq!(git(&repo, &["log", "--oneline"]).lines().count(), 2);

    // A stale out/ stops the commit, with the per-object diff and the fixing command.
    let tier = repo.join("tiers/standard.yaml");
    let text_before = std::fs::read_to_string(&tier).unwrap();
    std::fs::write(&tier, text_before.replacen("pods: \"", "pods: \"1", 1)).unwrap();
    git(&repo, &["add", "tiers/standard.yaml"]);
    let stale = commit(&repo, &cache, "stale");
    let out = text(&stale);
    assert!(
        !stale.status.success(),
        "a stale out/ was committed:\n{out}"
    );
    assert!(
        out.contains("# changed ResourceQuota") && out.contains("run `tenantc render`"),
        "{out}"
    );
}
