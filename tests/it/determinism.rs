//! The same inputs give byte-identical output whatever the file creation order, the layout of
//! `tenants/**`, the thread count, the working directory, the form of `--repo` (relative or
//! absolute), the locale and the time zone (DESIGN.md §8), and that output is the committed
//! `out/` of the repository.

use crate::support::{Ran, example_inputs, read_tree, root, run, tenantc, tree_diff, write_files};
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
