//! An interrupted render (DESIGN.md §10): a large render killed with SIGKILL at several points
//! leaves every file under `out/` complete — its old or its new content, never truncated —
//! fails `render --check` (the lock is written last), and the next run removes the leftover
//! temporary files and converges to exactly the tree of an uninterrupted render.

use crate::support::{copy_example_inputs, read_tree, run, tenantc, tree_diff};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

/// Generated tenants on top of the example fleet: about 500 output files, enough for the
/// kill points to land while files are being written, few enough to keep the test short.
const TENANTS: usize = 150;

/// The suffix of tenantc's temporary files.
const TEMP_SUFFIX: &str = ".tenantc-tmp";

/// Writes the example inputs plus [`TENANTS`] generated tenants; `version` changes what
/// every generated tenant renders to, and which ones exist (some are removed, some added).
fn write_fleet(repo: &Path, version: u32) {
    let tenants = repo.join("tenants/fleet");
    let _ = std::fs::remove_dir_all(&tenants);
    std::fs::create_dir_all(&tenants).unwrap();
    let tiers = ["free", "standard", "premium"];
    // Version 1 drops every 10th tenant of version 0 and adds as many new ones.
    let names: Vec<usize> = match version {
        0 => (0..TENANTS).collect(),
        _ => (0..TENANTS + TENANTS / 10)
            .filter(|i| i % 10 != 3 || *i >= TENANTS)
            .collect(),
    };
    for i in names {
        let name = format!("fleet-{i:05}");
        let text = format!(
            "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata:\n  name: {name}\nspec:\n  tier: {tier}\n  displayName: Fleet {i} v{version}\n  costCenter: cc-{cc}-v{version}\n  access:\n    admins: {{groups: [{name}-admins]}}\n    developers: {{groups: [{name}-devs]}}\n",
            tier = tiers[i % tiers.len()],
            cc = i % 7,
        );
        std::fs::write(tenants.join(format!("{name}.yaml")), text).unwrap();
    }
}

/// Removes `dir` and writes `tree` into it.
fn restore(dir: &Path, tree: &[(String, Vec<u8>)]) {
    let _ = std::fs::remove_dir_all(dir);
    crate::support::write_files(dir, tree);
}

fn render_cmd(repo: &Path, out: &Path) -> std::process::Command {
    let mut cmd = tenantc();
    cmd.arg("render")
        .arg("--repo")
        .arg(repo)
        .arg("--out")
        .arg(out);
    cmd
}

/// When to kill a render.
#[derive(Debug, Clone)]
enum KillAt {
    /// After a fixed time.
    After(Duration),
    /// As soon as a temporary file appears under the output directory.
    FirstTempFile,
    /// As soon as this file (relative to the output directory) has its new content.
    Changed(String, Vec<u8>),
}

fn has_temp_file(out: &Path) -> bool {
    walkdir::WalkDir::new(out)
        .into_iter()
        .filter_map(Result::ok)
        .any(|e| e.file_name().to_string_lossy().ends_with(TEMP_SUFFIX))
}

/// Starts a render into `out` and kills it with SIGKILL at `when`; whether it had already
/// finished by then.
fn render_killed(repo: &Path, out: &Path, when: &KillAt) -> bool {
    let mut child = render_cmd(repo, out)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let started = Instant::now();
    loop {
        if child.try_wait().unwrap().is_some() {
            return true;
        }
        let now = match when {
            KillAt::After(delay) => started.elapsed() >= *delay,
            KillAt::FirstTempFile => has_temp_file(out),
            KillAt::Changed(path, new) => std::fs::read(out.join(path)).is_ok_and(|b| &b == new),
        };
        if now {
            break;
        }
        std::thread::sleep(Duration::from_millis(2));
    }
    let finished = child.try_wait().unwrap().is_some();
    child.kill().unwrap_or(()); // SIGKILL on Unix
    child.wait().unwrap();
    finished
}

/// Checks the state an interrupted render left: every file is complete (old or new
/// content), leftovers are only temporary files; returns how many files were new and how
/// many temporary files were left.
fn check_interrupted_tree(
    out: &Path,
    old: &BTreeMap<String, Vec<u8>>,
    new: &BTreeMap<String, Vec<u8>>,
    what: &str,
) -> (usize, usize) {
    let mut updated = 0;
    let mut temps = 0;
    for (path, bytes) in read_tree(out) {
        if path.ends_with(TEMP_SUFFIX) {
            temps += 1;
            continue;
        }
        let is_old = old.get(&path) == Some(&bytes);
        let is_new = new.get(&path) == Some(&bytes);
        assert!(
            is_old || is_new,
            "{what}: `{path}` is neither its old nor its new content ({} bytes; old {:?}, new {:?})",
            bytes.len(),
            old.get(&path).map(Vec::len),
            new.get(&path).map(Vec::len),
        );
        if is_new && !is_old {
            updated += 1;
        }
    }
    (updated, temps)
}

#[test]
fn a_killed_render_leaves_complete_files_and_the_next_run_converges() {
    let test_started = Instant::now();
    let temp = tempfile::tempdir().unwrap();
    let repo = temp.path().join("repo");
    copy_example_inputs(&repo);
    write_fleet(&repo, 0);
    let out: PathBuf = repo.join("out");
    run(&mut render_cmd(&repo, &out)).expect_code(0, "render of version 0");
    let old_tree = read_tree(&out);

    // The expected result of an uninterrupted render of version 1, and how long one takes
    // over the old tree.
    write_fleet(&repo, 1);
    let reference = temp.path().join("reference");
    restore(&reference, &old_tree);
    let started = Instant::now();
    run(&mut render_cmd(&repo, &reference)).expect_code(0, "render of version 1");
    let full = started.elapsed();
    let new_tree = read_tree(&reference);
    let old: BTreeMap<String, Vec<u8>> = old_tree.iter().cloned().collect();
    let new: BTreeMap<String, Vec<u8>> = new_tree.iter().cloned().collect();
    let changed = new.iter().filter(|(p, b)| old.get(*p) != Some(b)).count();
    assert!(changed > TENANTS, "version 1 changes only {changed} files");

    // Kill points: early, spread over the measured render time, and at the first sign of
    // writing (a temporary file; a file with its new content).
    let first_changed = new
        .iter()
        .find(|(p, b)| old.get(*p) != Some(b) && p.as_str() != "tenantc.lock.json")
        .map(|(p, b)| (p.clone(), b.clone()))
        .unwrap();
    let kill_points = vec![
        KillAt::After(Duration::from_millis(20)),
        KillAt::After(full / 2),
        KillAt::After(full * 85 / 100),
        KillAt::FirstTempFile,
        KillAt::Changed(first_changed.0, first_changed.1),
    ];
    let mut interrupted = 0;
    let mut mid_write = 0;
    let mut checked = false;
    let mut report = Vec::new();
    for when in &kill_points {
        restore(&out, &old_tree);
        let what = format!("killed at {when:?}");
        let what = what.chars().take(80).collect::<String>();
        let finished = render_killed(&repo, &out, when);
        let (updated, temps) = check_interrupted_tree(&out, &old, &new, &what);
        report.push(format!(
            "{what}: {updated} files updated, {temps} temporary files ({:?} into the test)",
            test_started.elapsed()
        ));
        if finished || tree_diff(&new_tree, &read_tree(&out)).is_none() {
            continue;
        }
        interrupted += 1;
        if temps > 0 || updated > 0 {
            mid_write += 1;
        }
        // The lock is written last: an interrupted run leaves the old one, so the tree is
        // stale to `render --check` (run once, on the first tree caught while writing: it
        // diffs every stale object, which takes a while).
        assert_eq!(
            std::fs::read(out.join("tenantc.lock.json")).ok().as_ref(),
            old.get("tenantc.lock.json"),
            "{what}: the lock changed before the render finished"
        );
        if mid_write == 1 && !checked {
            checked = true;
            run(render_cmd(&repo, &out).arg("--check").stdout(Stdio::null())).expect_code(
                1,
                &format!("{what}: render --check of the interrupted tree"),
            );
        }
        // The next run repairs everything: no temporary file, exactly the reference tree.
        run(&mut render_cmd(&repo, &out)).expect_code(0, &format!("{what}: the next render"));
        if let Some(diff) = tree_diff(&new_tree, &read_tree(&out)) {
            panic!("{what}: the next render did not converge:\n{diff}");
        }
    }
    assert!(
        interrupted >= 3 && mid_write >= 1 && checked,
        "{interrupted} of {} kills interrupted the render, {mid_write} while it wrote (full render {full:?}):\n{}",
        kill_points.len(),
        report.join("\n")
    );
    run(render_cmd(&repo, &out).arg("--check").stdout(Stdio::null()))
        .expect_code(0, "check after the repairs");

    // Interruptions on top of interruptions, without restoring in between.
    restore(&out, &old_tree);
    for (i, when) in kill_points[1..3].iter().enumerate() {
        render_killed(&repo, &out, when);
        check_interrupted_tree(&out, &old, &new, &format!("chained kill {i}"));
    }
    run(&mut render_cmd(&repo, &out)).expect_code(0, "render after chained kills");
    if let Some(diff) = tree_diff(&new_tree, &read_tree(&out)) {
        panic!("the render after chained kills did not converge:\n{diff}");
    }

    // An incremental render (its cache in out/.tenantc/ is now there) killed while writing.
    assert!(out.join(".tenantc").is_dir(), "no incremental cache");
    write_fleet(&repo, 2);
    let reference2 = temp.path().join("reference2");
    restore(&reference2, &new_tree);
    run(&mut render_cmd(&repo, &reference2)).expect_code(0, "render of version 2");
    let newer_tree = read_tree(&reference2);
    let newer: BTreeMap<String, Vec<u8>> = newer_tree.iter().cloned().collect();
    let finished = render_killed(&repo, &out, &KillAt::FirstTempFile);
    check_interrupted_tree(&out, &new, &newer, "incremental render killed");
    if !finished {
        run(render_cmd(&repo, &out).arg("--check").stdout(Stdio::null()))
            .expect_code(1, "render --check after the incremental render was killed");
    }
    run(&mut render_cmd(&repo, &out)).expect_code(0, "render after the incremental kill");
    if let Some(diff) = tree_diff(&newer_tree, &read_tree(&out)) {
        panic!("the render after the incremental kill did not converge:\n{diff}");
    }
}
