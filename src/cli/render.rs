//! `tenantc render`: renders into the output directory, or with `--check` reports how it
//! differs.

use super::{Outcome, args::RenderArgs, fail, print_stdout, report};
use crate::diagnostics::{Diagnostic, Label, codes};
use crate::emit::{ChangeKind, Plan, Scope};
use similar::TextDiff;

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Outcome {
    let repo = &args.repo.repo;
    let out = args.out.clone().unwrap_or_else(|| repo.join("out"));
    let only = (!args.tenants.is_empty()).then_some(args.tenants.as_slice());
    let (compiled, tree) = match crate::pipeline::render(repo, only) {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot read `{}`: {e}", repo.display())),
    };
    if let Some(names) = only {
        let missing: Vec<&String> = names
            .iter()
            .filter(|n| !compiled.resolved.tenants.iter().any(|t| &t.name == *n))
            .collect();
        if !missing.is_empty() && tree.is_some() {
            report(
                compiled.diagnostics,
                &compiled.sources,
                args.repo.format,
                false,
            );
            let list: Vec<String> = missing.iter().map(|n| format!("`{n}`")).collect();
            return fail(&format!("no tenant named {}", list.join(", ")));
        }
    }
    let mut diags = compiled.diagnostics;
    let Some(tree) = tree else {
        report(diags, &compiled.sources, args.repo.format, false);
        eprintln!("tenantc: nothing written: fix the errors above first");
        return Outcome::Findings;
    };
    let scope = Scope(only.map(|names| {
        let mut prefixes: Vec<String> = names
            .iter()
            .flat_map(|n| {
                [
                    format!("{}/", crate::render::tenant_dir(n)),
                    crate::render::terraform::node_group_path(n),
                ]
            })
            .collect();
        prefixes.push("platform/".into());
        prefixes.push(crate::render::terraform::versions_path());
        prefixes
    }));
    let files = crate::emit::serialize(&tree);
    let plan = match crate::emit::plan(&out, files, &scope) {
        Ok(p) => p,
        Err(e) => {
            report(diags, &compiled.sources, args.repo.format, false);
            return fail(&e.to_string());
        }
    };
    for path in &plan.unowned {
        diags.push(
            Diagnostic::new(codes::UNOWNED_FILE, "file not written by tenantc; kept")
                .at(Label::file(&format!("{}/{path}", out.display()), ""))
                .help("move it out of the output directory, or delete it"),
        );
    }
    report(diags, &compiled.sources, args.repo.format, false);
    if args.check {
        return check(&plan, args);
    }
    match crate::emit::apply(&plan) {
        Ok(summary) => {
            eprintln!(
                "tenantc: {} file{} in `{}`: {} written, {} removed, {} unchanged",
                summary.written + summary.unchanged,
                if summary.written + summary.unchanged == 1 {
                    ""
                } else {
                    "s"
                },
                out.display(),
                summary.written,
                summary.removed,
                summary.unchanged
            );
            Outcome::Success
        }
        Err(e) => fail(&e.to_string()),
    }
}

/// `--check`: prints a unified diff of every stale file on stdout.
fn check(plan: &Plan, args: &RenderArgs) -> Outcome {
    if plan.is_clean() {
        eprintln!("tenantc: `{}` is up to date", plan.out_dir.display());
        return Outcome::Success;
    }
    let mut text = String::new();
    for change in &plan.changes {
        let old = change.old.as_deref().unwrap_or("");
        let new = change.new.as_deref().unwrap_or("");
        let (a, b) = match change.kind {
            ChangeKind::Added => ("/dev/null".to_string(), format!("b/{}", change.path)),
            ChangeKind::Removed => (format!("a/{}", change.path), "/dev/null".to_string()),
            ChangeKind::Modified => (format!("a/{}", change.path), format!("b/{}", change.path)),
        };
        let diff = TextDiff::from_lines(old, new);
        text.push_str(
            &diff
                .unified_diff()
                .context_radius(3)
                .header(&a, &b)
                .to_string(),
        );
        if !text.ends_with('\n') {
            text.push('\n');
        }
    }
    print_stdout(&text);
    let count = |k| plan.changes.iter().filter(|c| c.kind == k).count();
    let mut fix = String::from("tenantc render");
    if args.repo.repo.as_os_str() != "." {
        fix.push_str(&format!(" --repo {}", args.repo.repo.display()));
    }
    if let Some(out) = &args.out {
        fix.push_str(&format!(" --out {}", out.display()));
    }
    for t in &args.tenants {
        fix.push_str(&format!(" --tenant {t}"));
    }
    eprintln!(
        "tenantc: `{}` is stale: {} to add, {} to change, {} to remove{}\ntenantc: run `{fix}` to update it",
        plan.out_dir.display(),
        count(ChangeKind::Added),
        count(ChangeKind::Modified),
        count(ChangeKind::Removed),
        if plan.changes.is_empty() {
            " (the lock differs)"
        } else {
            ""
        },
    );
    Outcome::Findings
}
