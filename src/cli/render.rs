//! `tenantc render`: renders into the output directory, or with `--check` reports how it
//! differs.

use super::{Outcome, args::RenderArgs, fail, print_stdout, report};
use crate::diagnostics::{Diagnostic, Label, codes};
use crate::emit::{ChangeKind, Plan, Scope};

/// Runs `render`.
pub fn run(args: &RenderArgs) -> Outcome {
    let repo = &args.repo.repo;
    let out = args.out.clone().unwrap_or_else(|| repo.join("out"));
    let only = (!args.tenants.is_empty()).then_some(args.tenants.as_slice());
    let mut timings = super::Timings::from_env();
    let compiled = match crate::pipeline::compile(repo) {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot read `{}`: {e}", repo.display())),
    };
    timings.mark("load, validate, resolve, check");
    let (compiled, tree) = crate::pipeline::finish(compiled, only);
    timings.mark("render");
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
    timings.mark("serialize");
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
        let facts = crate::diff::facts_of(&compiled.resolved);
        return check(&plan, &tree, facts, args);
    }
    timings.mark("compare with out/");
    let applied = crate::emit::apply(&plan);
    timings.mark("write");
    timings.print();
    match applied {
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

/// `--check`: prints on stdout how every stale object differs (the same per-object diff as
/// `tenantc diff`), and on stderr the command that brings the directory up to date.
fn check(
    plan: &Plan,
    tree: &crate::objects::OutputTree,
    facts: std::collections::BTreeMap<String, crate::diff::TenantFacts>,
    args: &RenderArgs,
) -> Outcome {
    if plan.is_clean() {
        eprintln!("tenantc: `{}` is up to date", plan.out_dir.display());
        return Outcome::Success;
    }
    let report = crate::diff::plan_report(plan, tree, facts);
    print_stdout(&crate::diff::unified::format(
        &report,
        super::diff::use_color(),
    ));
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
