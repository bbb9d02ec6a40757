//! Filesystem safety through the CLI (DESIGN.md §5 and §10): symbolic links in the input tree
//! or under `out/` are never followed outside the repository, a lock naming paths outside
//! `out/` is never used to delete anything, and a read-only `out/` is a clear I/O error.
//!
//! The other ownership rules have their tests in `cli.rs`: a non-empty `--out` without a lock
//! is refused (`refuses_a_non_empty_output_directory_without_a_lock`), and a removed
//! tenant's files are pruned while unowned files are reported and kept
//! (`removing_a_tenant_prunes_exactly_its_files_and_keeps_unowned_ones`).

use crate::support::{Ran, read_tree, run, tenantc, tree_diff};
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};

const TIER: &str = "\
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata: {name: basic}
spec:
  environments: [{name: dev, quotaShare: 0.5}, {name: prod, quotaShare: 0.5}]
  quota: {pods: \"10\"}
";

fn tenant(name: &str) -> String {
    format!(
        "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata: {{name: {name}}}\nspec:\n  tier: basic\n  displayName: {name}\n"
    )
}

/// A repository (`<temp>/repo`) with one tier and the tenants `acme` and `beta`, and a
/// directory outside it (`<temp>/outside`) that no test may see changed by tenantc.
struct Setup {
    temp: tempfile::TempDir,
}

impl Setup {
    fn new() -> Self {
        let setup = Self {
            temp: tempfile::tempdir().unwrap(),
        };
        setup.write("repo/tiers/basic.yaml", TIER);
        setup.write("repo/tenants/acme.yaml", &tenant("acme"));
        setup.write("repo/tenants/beta.yaml", &tenant("beta"));
        fs::create_dir_all(setup.outside()).unwrap();
        setup
    }

    fn path(&self, relative: &str) -> PathBuf {
        self.temp.path().join(relative)
    }

    fn repo(&self) -> PathBuf {
        self.path("repo")
    }

    fn out(&self) -> PathBuf {
        self.path("repo/out")
    }

    fn outside(&self) -> PathBuf {
        self.path("outside")
    }

    fn write(&self, relative: &str, text: &str) {
        let path = self.path(relative);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(path, text).unwrap();
    }

    fn render(&self, extra: &[&str]) -> Ran {
        run(tenantc()
            .arg("render")
            .arg("--repo")
            .arg(self.repo())
            .args(extra))
    }

    /// Changes tenant `acme`'s display name, so that every file of `acme` is rewritten.
    fn change_acme(&self) {
        self.write(
            "repo/tenants/acme.yaml",
            &tenant("acme").replace("displayName: acme", "displayName: Acme Inc"),
        );
    }
}

/// The files tenantc rendered for `tenant`, relative to `out/`.
fn tenant_files(out: &Path, tenant: &str) -> Vec<String> {
    read_tree(out)
        .into_iter()
        .map(|(p, _)| p)
        .filter(|p| p.starts_with(&format!("tenants/{tenant}/")))
        .collect()
}

#[test]
fn a_symlinked_tenant_file_is_reported_and_not_read() {
    let s = Setup::new();
    s.write("outside/evil.yaml", &tenant("evil"));
    symlink(
        s.path("outside/evil.yaml"),
        s.path("repo/tenants/evil.yaml"),
    )
    .unwrap();

    let ran = s.render(&[]);
    ran.expect_code(0, "render with a symlinked tenant file");
    assert!(
        ran.stderr.contains("warning[W0110]") && ran.stderr.contains("tenants/evil.yaml"),
        "no W0110 for the link:\n{}",
        ran.stderr
    );
    assert!(
        tenant_files(&s.out(), "evil").is_empty(),
        "the link was followed"
    );
    assert!(!tenant_files(&s.out(), "acme").is_empty());
}

#[test]
fn a_symlinked_tenants_subdirectory_is_reported_and_not_read() {
    let s = Setup::new();
    s.write("outside/team/evil.yaml", &tenant("evil"));
    symlink(s.path("outside/team"), s.path("repo/tenants/team")).unwrap();

    let ran = s.render(&[]);
    ran.expect_code(0, "render with a symlinked tenants/ subdirectory");
    assert!(
        ran.stderr.contains("warning[W0110]") && ran.stderr.contains("tenants/team"),
        "no W0110 for the link:\n{}",
        ran.stderr
    );
    assert!(
        tenant_files(&s.out(), "evil").is_empty(),
        "the link was followed"
    );
}

#[test]
fn symlinked_input_directories_are_reported_and_not_read() {
    let s = Setup::new();
    // `tenants/` itself is a link to a directory outside the repository; `tiers/` too.
    s.write("outside/tenants/evil.yaml", &tenant("evil"));
    s.write("outside/tiers/basic.yaml", TIER);
    fs::remove_dir_all(s.path("repo/tenants")).unwrap();
    fs::remove_dir_all(s.path("repo/tiers")).unwrap();
    symlink(s.path("outside/tenants"), s.path("repo/tenants")).unwrap();
    symlink(s.path("outside/tiers"), s.path("repo/tiers")).unwrap();

    let ran = run(tenantc().arg("validate").arg("--repo").arg(s.repo()));
    for dir in ["tenants", "tiers"] {
        assert!(
            ran.stderr.contains(&format!("--> {dir}\n")),
            "no W0110 for `{dir}`:\n{}",
            ran.stderr
        );
    }
    assert_eq!(
        ran.stderr.matches("warning[W0110]").count(),
        2,
        "{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("evil"), "{}", ran.stderr);
    // `cmp generate` (Argo CD) looks a single tenant up: it must not find it behind the link.
    let ran = run(tenantc()
        .args(["cmp", "generate", "--tenant", "evil", "--repo"])
        .arg(s.repo()));
    ran.expect_code(2, "cmp generate of a tenant behind a link");
    assert_eq!(ran.stdout, "");
}

#[test]
fn a_symlinked_file_under_out_is_never_written_through() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    let file = s.out().join("tenants/acme/kubernetes/tenant-acme-dev.yaml");
    assert!(file.is_file());
    s.write("outside/victim.txt", "precious\n");
    fs::remove_file(&file).unwrap();
    symlink(s.path("outside/victim.txt"), &file).unwrap();
    s.change_acme();

    let ran = s.render(&[]);
    ran.expect_code(2, "render over a symlinked output file");
    assert!(
        ran.stderr.starts_with("tenantc: ") || ran.stderr.contains("\ntenantc: "),
        "{}",
        ran.stderr
    );
    assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
    assert_eq!(
        fs::read_to_string(s.path("outside/victim.txt")).unwrap(),
        "precious\n"
    );
}

#[test]
fn a_symlinked_directory_under_out_is_never_written_through() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    // `out/tenants/acme` becomes a link to a directory outside; the next render must not
    // write acme's files there, whether they are new or changed.
    let before_out = read_tree(&s.out());
    let acme = s.out().join("tenants/acme");
    fs::rename(&acme, s.path("outside/acme")).unwrap();
    symlink(s.path("outside/acme"), &acme).unwrap();
    let outside_before = read_tree(&s.outside());
    s.change_acme();

    for extra in [&[][..], &["--tenant", "acme"][..], &["--check"][..]] {
        let ran = s.render(extra);
        ran.expect_code(
            2,
            &format!("render {extra:?} through a symlinked directory"),
        );
        assert!(
            ran.stderr.contains("symbolic link") && ran.stderr.contains("tenants/acme"),
            "{extra:?}: the error does not name the link:\n{}",
            ran.stderr
        );
        assert!(
            tree_diff(&outside_before, &read_tree(&s.outside())).is_none(),
            "render {extra:?} wrote outside the output directory"
        );
    }
    // A link further down: `out/tenants` itself.
    fs::remove_file(&acme).unwrap();
    fs::rename(s.out().join("tenants"), s.path("outside/tenants")).unwrap();
    symlink(s.path("outside/tenants"), s.out().join("tenants")).unwrap();
    let outside_before = read_tree(&s.outside());
    s.render(&[])
        .expect_code(2, "render through a symlinked out/tenants");
    assert!(tree_diff(&outside_before, &read_tree(&s.outside())).is_none());
    assert!(!before_out.is_empty());
}

#[test]
fn a_symlinked_cache_directory_is_never_written_through() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    // tenantc keeps its incremental cache in `out/.tenantc/`; a link there must not send
    // the cache anywhere else.
    let cache = s.out().join(".tenantc");
    if cache.exists() {
        fs::remove_dir_all(&cache).unwrap();
    }
    symlink(s.outside(), &cache).unwrap();
    s.change_acme();

    let ran = s.render(&[]);
    ran.expect_code(2, "render with a symlinked cache directory");
    assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
    assert!(read_tree(&s.outside()).is_empty(), "wrote through the link");
}

#[test]
fn pruning_never_follows_a_symlinked_directory() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    // beta's directory is replaced by a link to a copy outside; then beta is removed. Its
    // files are in the lock, but the copies behind the link are not tenantc's to delete.
    let beta = s.out().join("tenants/beta");
    fs::rename(&beta, s.path("outside/beta")).unwrap();
    symlink(s.path("outside/beta"), &beta).unwrap();
    let outside_before = read_tree(&s.outside());
    assert!(!outside_before.is_empty());
    fs::remove_file(s.path("repo/tenants/beta.yaml")).unwrap();

    let ran = s.render(&[]);
    ran.expect_code(2, "render after removing beta, whose directory is a link");
    assert!(
        ran.stderr.contains("symbolic link") && ran.stderr.contains("tenants/beta"),
        "the error does not name the link:\n{}",
        ran.stderr
    );
    assert!(
        tree_diff(&outside_before, &read_tree(&s.outside())).is_none(),
        "pruning deleted files behind a link"
    );
    assert!(
        fs::symlink_metadata(&beta)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[test]
fn a_symlinked_file_under_out_that_tenantc_does_not_write_is_reported_and_kept() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    s.write("outside/notes.txt", "precious\n");
    let link = s.out().join("NOTES.txt");
    symlink(s.path("outside/notes.txt"), &link).unwrap();
    s.change_acme();

    let ran = s.render(&[]);
    ran.expect_code(0, "render with an unowned link under out/");
    assert!(
        ran.stderr.contains("warning[W0601]") && ran.stderr.contains("NOTES.txt"),
        "the link is not reported as unowned:\n{}",
        ran.stderr
    );
    assert!(
        fs::symlink_metadata(&link)
            .unwrap()
            .file_type()
            .is_symlink()
    );
    assert_eq!(
        fs::read_to_string(s.path("outside/notes.txt")).unwrap(),
        "precious\n"
    );
}

#[test]
fn a_lock_naming_paths_outside_out_is_refused_and_nothing_is_deleted() {
    let victim = |s: &Setup| s.path("outside/victim.txt");
    for bad in [
        "../../outside/victim.txt".to_string(),
        "tenants/../../../outside/victim.txt".to_string(),
        String::from("ABSOLUTE"),
    ] {
        let s = Setup::new();
        s.render(&[]).expect_code(0, "first render");
        s.write("outside/victim.txt", "precious\n");
        let bad = if bad == "ABSOLUTE" {
            victim(&s).to_string_lossy().into_owned()
        } else {
            bad
        };
        let lock_path = s.out().join("tenantc.lock.json");
        let mut lock: serde_json::Value =
            serde_json::from_str(&fs::read_to_string(&lock_path).unwrap()).unwrap();
        lock["files"][&bad] = serde_json::json!(format!("sha256:{}", "0".repeat(64)));
        fs::write(&lock_path, serde_json::to_string_pretty(&lock).unwrap()).unwrap();
        let before = read_tree(&s.out());

        for extra in [&[][..], &["--check"][..], &["--tenant", "acme"][..]] {
            let ran = s.render(extra);
            ran.expect_code(2, &format!("render {extra:?} with `{bad}` in the lock"));
            assert!(
                ran.stderr.contains("tenantc: ") && ran.stderr.contains(&bad),
                "the error does not name `{bad}`:\n{}",
                ran.stderr
            );
            assert_eq!(
                fs::read_to_string(victim(&s)).unwrap(),
                "precious\n",
                "render {extra:?} touched the file the lock named"
            );
            assert!(
                tree_diff(&before, &read_tree(&s.out())).is_none(),
                "render {extra:?} changed out/"
            );
        }
    }
}

/// The numeric user id of this process (`id -u`).
fn euid() -> u32 {
    let out = std::process::Command::new("id").arg("-u").output().unwrap();
    String::from_utf8_lossy(&out.stdout).trim().parse().unwrap()
}

/// Makes `path` and everything under it read-only (`a-w`), or writable again (`u+w`).
fn set_read_only(path: &Path, read_only: bool) {
    let mut entries: Vec<PathBuf> = walkdir::WalkDir::new(path)
        .into_iter()
        .map(|e| e.unwrap().into_path())
        .collect();
    if read_only {
        entries.reverse();
    }
    for entry in entries {
        let meta = fs::symlink_metadata(&entry).unwrap();
        if meta.file_type().is_symlink() {
            continue;
        }
        let mut perms = meta.permissions();
        perms.set_readonly(read_only);
        fs::set_permissions(&entry, perms).unwrap();
    }
}

#[test]
#[allow(clippy::print_stderr)] // says so when the test has to skip itself
fn a_read_only_out_is_a_clear_io_error_with_exit_2() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    s.change_acme();
    let before = read_tree(&s.out());
    set_read_only(&s.out(), true);

    // Root ignores permission bits: run tenantc as `nobody` instead (its files stay
    // readable by all, and it cannot write a file owned by root whatever the bits).
    let mut cmd = if euid() == 0 {
        let setpriv = Path::new("/usr/bin/setpriv");
        if !setpriv.exists() {
            set_read_only(&s.out(), false);
            eprintln!(
                "SKIPPED a_read_only_out_is_a_clear_io_error_with_exit_2: running as root, which ignores permission bits, and /usr/bin/setpriv is missing"
            );
            return;
        }
        // The temporary directory is private to its owner; the rest is world-readable. The
        // binary is linked (or copied) into it, since `nobody` may not reach the target
        // directory of the checkout.
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(s.temp.path(), fs::Permissions::from_mode(0o755)).unwrap();
        let binary = s.path("tenantc");
        fs::hard_link(env!("CARGO_BIN_EXE_tenantc"), &binary)
            .or_else(|_| fs::copy(env!("CARGO_BIN_EXE_tenantc"), &binary).map(|_| ()))
            .unwrap();
        let mut cmd = std::process::Command::new(setpriv);
        cmd.args(["--reuid=65534", "--regid=65534", "--clear-groups", "--"])
            .arg(&binary)
            .env("NO_COLOR", "1");
        cmd
    } else {
        tenantc()
    };
    let ran = run(cmd.arg("render").arg("--repo").arg(s.repo()));
    set_read_only(&s.out(), false);

    ran.expect_code(2, "render into a read-only out/");
    let last = ran.stderr.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("tenantc: cannot ") && last.contains("ermission denied"),
        "not a clear `tenantc:` I/O error:\n{}",
        ran.stderr
    );
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    assert!(
        tree_diff(&before, &read_tree(&s.out())).is_none(),
        "out/ changed"
    );
    // Once writable again, the next render brings it up to date.
    s.render(&[])
        .expect_code(0, "render after making out/ writable");
    s.render(&["--check"])
        .expect_code(0, "check after the repair");
}

#[test]
fn diff_against_a_symlinked_output_tree_is_refused() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "render");
    // A pull request replaces out/ by a link to a directory holding a secret.
    s.write("outside/secret/creds.yaml", "password: hunter2\n");
    fs::rename(s.out(), s.path("outside/out")).unwrap();
    symlink(s.path("outside/secret"), s.out()).unwrap();
    for format in ["unified", "markdown", "json"] {
        let ran = run(tenantc()
            .args(["diff", "--format", format, "--against"])
            .arg(s.out())
            .arg("--repo")
            .arg(s.repo()));
        ran.expect_code(2, &format!("diff --against a link ({format})"));
        assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
        assert!(
            !ran.stdout.contains("hunter2") && !ran.stderr.contains("hunter2"),
            "the diff read through the link:\n{}",
            ran.stdout
        );
    }
}

#[test]
fn schema_never_writes_through_a_link() {
    for linked in ["schemas", "schemas/tenant.json"] {
        let s = Setup::new();
        s.write("outside/victim.json", "precious\n");
        fs::create_dir_all(s.path("repo/schemas")).unwrap();
        let target = if linked == "schemas" {
            s.outside()
        } else {
            s.path("outside/victim.json")
        };
        let link = s.path(&format!("repo/{linked}"));
        if link.is_dir() {
            fs::remove_dir(&link).unwrap();
        }
        symlink(&target, &link).unwrap();
        let ran = run(tenantc().arg("schema").arg("--repo").arg(s.repo()));
        ran.expect_code(2, &format!("schema with `{linked}` a link"));
        assert!(ran.stderr.contains("symbolic link"), "{}", ran.stderr);
        assert_eq!(
            read_tree(&s.outside()),
            vec![("victim.json".to_string(), b"precious\n".to_vec())],
            "`tenantc schema` wrote through the link `{linked}`"
        );
    }
}

#[test]
fn a_link_planted_as_a_temporary_file_is_never_written_through() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    // tenantc writes `.NAME.tenantc-tmp` beside a file and renames it; a link committed
    // under that name must be replaced, not followed.
    s.write("outside/victim.txt", "precious\n");
    let dir = s.out().join("tenants/acme/kubernetes");
    let temp = dir.join(".tenant-acme-dev.yaml.tenantc-tmp");
    symlink(s.path("outside/victim.txt"), &temp).unwrap();
    s.change_acme();

    s.render(&[]).expect_code(0, "render with a planted link");
    assert_eq!(
        fs::read_to_string(s.path("outside/victim.txt")).unwrap(),
        "precious\n",
        "the render wrote through the planted link"
    );
    assert!(
        fs::symlink_metadata(&temp).is_err(),
        "the link is still there"
    );
    s.render(&["--check"])
        .expect_code(0, "check after the render");
}

#[test]
fn an_absurdly_deep_directory_under_out_is_refused_without_a_crash() {
    let s = Setup::new();
    s.render(&[]).expect_code(0, "first render");
    // Listing out/ recurses; a committed tree thousands of directories deep must be an
    // error, not a stack overflow.
    let mut deep = s.out().join("deep");
    for _ in 0..2_000 {
        deep.push("d");
    }
    fs::create_dir_all(&deep).unwrap();
    let before = read_tree(&s.out());
    s.change_acme();

    let ran = s.render(&[]);
    ran.expect_code(2, "render with a very deep directory under out/");
    assert!(ran.stderr.contains("nested deeper than"), "{}", ran.stderr);
    assert_eq!(read_tree(&s.out()), before, "out/ changed");
}
