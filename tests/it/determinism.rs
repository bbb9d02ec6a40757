//! The same inputs give byte-identical output whatever the file creation order, the layout of
//! `tenants/**`, the thread count, the working directory, the form of `--repo` (relative or
//! absolute), the locale and the time zone (DESIGN.md §8), and that output is the committed
//! `out/` of the repository.

use crate::support::{Ran, example_inputs, read_tree, root, run, tenantc, tree_diff, write_files};
use std::fs;
use std::path::{Path, PathBuf};

/// Input files with their bytes, as relative `/` paths.
type Files = Vec<(String, Vec<u8>)>;

/// Moves every tenant file into another subdirectory of `tenants/` (some at the top, some one
/// and some two levels deep), chosen so that path order is not name order.
fn relocate_tenants(files: &Files) -> Files {
    let mut tenants: Vec<&str> = files
        .iter()
        .filter(|(path, _)| path.starts_with("tenants/"))
        .map(|(path, _)| path.rsplit('/').next().unwrap())
        .collect();
    tenants.sort_unstable();
    let count = tenants.len();
    files
        .iter()
        .map(|(path, bytes)| {
            let Some(file) = path.strip_prefix("tenants/") else {
                return (path.clone(), bytes.clone());
            };
            let file = file.rsplit('/').next().unwrap();
            let index = tenants.binary_search(&file).unwrap();
            let moved = match index % 3 {
                0 => format!("tenants/{file}"),
                1 => format!("tenants/{:02}-group/{file}", count - index),
                _ => format!("tenants/{:02}-group/nested/{file}", count - index),
            };
            (moved, bytes.clone())
        })
        .collect()
}

/// Runs `tenantc render` with `args` from `cwd`, with the given worker count and environment,
/// and asserts it succeeded quietly on stdout.
fn render(cwd: &Path, args: &[&str], jobs: &str, env: &[(&str, &str)]) -> Ran {
    let mut cmd = tenantc();
    cmd.current_dir(cwd)
        .arg("render")
        .args(args)
        .args(["--jobs", jobs]);
    for (key, value) in env {
        cmd.env(key, value);
    }
    let ran = run(&mut cmd);
    ran.expect_code(
        0,
        &format!("render {args:?} --jobs {jobs} in {}", cwd.display()),
    );
    assert_eq!(ran.stdout, "", "render printed on stdout");
    ran
}

/// The path as a string (the test's temporary paths are UTF-8).
fn text(path: &Path) -> &str {
    path.to_str().unwrap()
}

#[test]
fn output_is_byte_identical_across_input_order_layout_threads_and_directories() {
    let temp = tempfile::tempdir().unwrap();
    let base = temp.path();
    let inputs = example_inputs();

    // Copy A: the original layout, files created in sorted order.
    let a = base.join("a");
    write_files(&a, &inputs);
    // Copy B: tenants moved around, files created in reverse order.
    let b = base.join("b");
    let moved = relocate_tenants(&inputs);
    assert_ne!(
        moved.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        inputs.iter().map(|(p, _)| p).collect::<Vec<_>>(),
        "the relocation moved nothing"
    );
    write_files(&b, moved.iter().rev());

    let absolute = |path: PathBuf| path.to_str().unwrap().to_string();
    let out_a8 = absolute(base.join("out-a-8"));
    let out_b8 = absolute(base.join("out-b-8"));
    // A, one thread: relative `--repo` and `--out`, from the directory above the copy.
    render(
        base,
        &["--repo", "a", "--out", "out-a-1"],
        "1",
        &[("LC_ALL", "C"), ("TZ", "UTC")],
    );
    // A, eight threads: absolute paths, from inside the other copy.
    render(
        &b,
        &["--repo", text(&a), "--out", &out_a8],
        "8",
        &[("LC_ALL", "tr_TR.UTF-8"), ("TZ", "Asia/Kolkata")],
    );
    // B, one thread: `--repo .` and the default `out/` inside the repository.
    render(
        &b,
        &["--repo", "."],
        "1",
        &[("LANG", "de_DE.UTF-8"), ("TZ", "America/Los_Angeles")],
    );
    // B, eight threads: absolute paths, from the file-system root.
    render(
        Path::new("/"),
        &["--repo", text(&b), "--out", &out_b8],
        "8",
        &[("LC_ALL", "ja_JP.UTF-8"), ("TZ", "Pacific/Chatham")],
    );

    let committed = read_tree(&root().join("out"));
    assert!(
        committed.iter().any(|(p, _)| p == "tenantc.lock.json"),
        "the committed out/ has no lock"
    );
    let outputs = [
        ("copy A, --jobs 1", base.join("out-a-1")),
        ("copy A, --jobs 8", base.join("out-a-8")),
        ("copy B, --jobs 1", b.join("out")),
        ("copy B, --jobs 8", base.join("out-b-8")),
    ];
    let forbidden: Vec<String> = [base.to_path_buf(), base.canonicalize().unwrap(), root()]
        .iter()
        .map(|p| p.to_str().unwrap().to_string())
        .collect();
    let mut failures = Vec::new();
    let first = read_tree(&outputs[0].1);
    if let Some(diff) = tree_diff(&committed, &first) {
        failures.push(format!(
            "{} differs from the committed out/:\n{diff}",
            outputs[0].0
        ));
    }
    for (name, dir) in &outputs {
        let tree = read_tree(dir);
        if let Some(diff) = tree_diff(&first, &tree) {
            failures.push(format!("{name} differs from {}:\n{diff}", outputs[0].0));
        }
        for (path, bytes) in &tree {
            let content = String::from_utf8_lossy(bytes);
            for needle in forbidden.iter().filter(|n| content.contains(n.as_str())) {
                failures.push(format!("{name}: {path} contains the path `{needle}`"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// Tenants on top of the example's: more than two of `render`'s batches of 256, so that a
/// batch renders while the one before it is written.
const MANY: usize = 600;

/// The example inputs plus [`MANY`] generated tenants, spread over three tiers.
fn many_tenants() -> Files {
    let mut files = example_inputs();
    let tiers = ["free", "standard", "premium"];
    for i in 0..MANY {
        let name = format!("bulk-{i:04}");
        let text = format!(
            "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: {name}\nspec:\n  tier: {tier}\n  costCenter: cc-{cc}\n  access:\n    admins: {{groups: [{name}-admins]}}\n",
            tier = tiers[i % tiers.len()],
            cc = i % 7,
        );
        files.push((format!("tenants/bulk/{name}.yaml"), text.into_bytes()));
    }
    files
}

fn render_into(repo: &Path, out: &Path, jobs: &str) -> Ran {
    run(tenantc()
        .args(["render", "--jobs", jobs, "--repo"])
        .arg(repo)
        .arg("--out")
        .arg(out))
}

#[test]
fn a_render_of_many_batches_is_the_same_for_any_thread_count_and_all_or_nothing() {
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("repo");
    write_files(&repo, &many_tenants());
    let (one, four) = (temp.path().join("out-1"), temp.path().join("out-4"));
    render_into(&repo, &one, "1").expect_code(0, "render --jobs 1");
    render_into(&repo, &four, "4").expect_code(0, "render --jobs 4");
    let rendered = read_tree(&one);
    assert!(rendered.len() > 3 * MANY, "only {} files", rendered.len());
    if let Some(diff) = tree_diff(&rendered, &read_tree(&four)) {
        panic!("--jobs 1 and --jobs 4 differ:\n{diff}");
    }

    // `render --check` without the incremental cache (as in CI, on a fresh checkout) renders
    // in batches too and keeps the objects of the files that differ only: hand edits in the
    // first and the last batch both get their per-object diff, the same for any thread count.
    let first = "bulk-0000";
    let last = format!("bulk-{:04}", MANY - 1);
    let mut edited = Vec::new();
    for tenant in [first, last.as_str()] {
        let (path, text) = rendered
            .iter()
            .map(|(path, bytes)| (path, String::from_utf8_lossy(bytes)))
            .find(|(path, text)| {
                path.starts_with(&format!("tenants/{tenant}/kubernetes/"))
                    && text.contains(&format!("{tenant}-admins"))
            })
            .unwrap_or_else(|| panic!("no file of {tenant} names its admins"));
        let text = text.replace(&format!("{tenant}-admins"), &format!("{tenant}-intruders"));
        fs::write(one.join(path), text).unwrap();
        edited.push(path.clone());
    }
    fs::remove_dir_all(one.join(".tenantc")).unwrap();
    let check = |jobs: &str| {
        run(tenantc()
            .args(["render", "--check", "--jobs", jobs, "--repo"])
            .arg(&repo)
            .arg("--out")
            .arg(&one))
    };
    let checked = check("1");
    checked.expect_code(1, "render --check after hand edits in two batches");
    let headers: Vec<&str> = checked
        .stdout
        .lines()
        .filter(|l| l.starts_with("--- a/") || l.starts_with("+++ b/"))
        .collect();
    let expected: Vec<String> = edited
        .iter()
        .flat_map(|p| [format!("--- a/{p}"), format!("+++ b/{p}")])
        .collect();
    assert_eq!(headers, expected, "{}", checked.stdout);
    for tenant in [first, last.as_str()] {
        assert!(
            checked
                .stdout
                .contains(&format!("-  name: {tenant}-intruders\n"))
                && checked
                    .stdout
                    .contains(&format!("+  name: {tenant}-admins\n")),
            "no per-object diff for {tenant}:\n{}",
            checked.stdout
        );
    }
    assert_eq!(
        check("4").stdout,
        checked.stdout,
        "--jobs 4 reports otherwise"
    );
    render_into(&repo, &one, "2").expect_code(0, "render after the check");
    if let Some(diff) = tree_diff(&rendered, &read_tree(&one)) {
        panic!("render did not repair the hand edits:\n{diff}");
    }

    // An add-on that fails for the last tenant only: its batch comes after others were
    // staged, and still nothing under out/ changes.
    let template = format!(
        "{{% if tenant.name == \"{last}\" %}}{{{{ missing }}}}{{% endif %}}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: marker\ndata:\n  tenant: {{{{ tenant.name }}}}\n"
    );
    write_files(
        &repo,
        &[(
            "templates/namespace/marker.yaml".to_string(),
            template.into_bytes(),
        )],
    );
    let failed = render_into(&repo, &one, "2");
    failed.expect_code(1, "render with an add-on failing in the last batch");
    assert!(failed.stderr.contains(&last), "{}", failed.stderr);
    if let Some(diff) = tree_diff(&rendered, &read_tree(&one)) {
        panic!("a failed render changed out/:\n{diff}");
    }
}
