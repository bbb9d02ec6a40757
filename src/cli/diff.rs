//! `tenantc diff`: renders the working tree and a baseline — a git revision rendered in
//! memory, or a directory of output — and prints per tenant and per object what differs.

use super::args::{DiffArgs, DiffFormat};
use super::{DiagnosticFormat, Outcome, fail, print_stdout, report};
use crate::diff::{Baseline, Report, Side, facts_of};
use crate::load::{Input, git};
use std::collections::BTreeMap;
use std::io::IsTerminal;

/// The revision compared with when neither `--base` nor `--against` is given.
const DEFAULT_BASE: &str = "HEAD";

/// Runs `diff`.
pub fn run(args: &DiffArgs) -> Outcome {
    let repo = &args.repo;
    let (compiled, tree) = match crate::pipeline::render(repo, None) {
        Ok(r) => r,
        Err(e) => return fail(&format!("cannot read `{}`: {e}", repo.display())),
    };
    let failed = report(
        compiled.diagnostics,
        &compiled.sources,
        DiagnosticFormat::Human,
        false,
    );
    let Some(tree) = tree.filter(|_| !failed) else {
        status!("tenantc: nothing compared: fix the errors above first");
        return Outcome::Findings;
    };
    let new_files = crate::emit::serialize(&tree);
    let new = Side {
        files: borrow(&new_files),
        tree: Some(&tree),
        tenants: Some(facts_of(&compiled.resolved)),
    };

    let mut flags = String::new();
    if repo.as_os_str() != "." {
        flags.push_str(&format!(" --repo {}", repo.display()));
    }
    let (result, baseline) = if let Some(dir) = &args.against {
        let files = match crate::load::read_output_dir(dir) {
            Ok(files) => files,
            Err(e) => return fail(&format!("cannot read `{}`: {e}", dir.display())),
        };
        let old = Side {
            files: borrow(&files),
            tree: None,
            tenants: None,
        };
        let baseline = Baseline {
            description: format!("the directory `{}`", dir.display()),
            command: format!("tenantc diff{flags} --against {}", dir.display()),
            json: serde_json::json!({"directory": dir.display().to_string()}),
        };
        (crate::diff::diff(&old, &new), baseline)
    } else {
        let rev = args.base.as_deref().unwrap_or(DEFAULT_BASE);
        let (revision, files) = match git::read_revision(repo, rev) {
            Ok(r) => r,
            Err(e) => return fail(&e.to_string()),
        };
        let (base, base_tree) = match crate::pipeline::render_input(Input::Memory(&files), None) {
            Ok(r) => r,
            Err(e) => return fail(&format!("cannot read the revision `{rev}`: {e}")),
        };
        let Some(base_tree) = base_tree else {
            status!("tenantc: the base revision `{rev}` does not compile:");
            report(
                base.diagnostics,
                &base.sources,
                DiagnosticFormat::Human,
                false,
            );
            status!("tenantc: nothing compared: the base `{rev}` has errors");
            return Outcome::Findings;
        };
        let old_files = crate::emit::serialize(&base_tree);
        let old = Side {
            files: borrow(&old_files),
            tree: Some(&base_tree),
            tenants: Some(facts_of(&base.resolved)),
        };
        let short: String = revision.commit.chars().take(12).collect();
        let baseline = Baseline {
            description: format!("the base `{rev}` (`{short}`)"),
            command: format!("tenantc diff{flags} --base {rev}"),
            json: serde_json::json!({"revision": rev, "commit": revision.commit}),
        };
        (crate::diff::diff(&old, &new), baseline)
    };
    print(&result, &baseline, args.format);
    outcome(&result, &baseline, args.exit_code, args.deny_destructive)
}

fn borrow(files: &BTreeMap<String, String>) -> BTreeMap<&str, &str> {
    files
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect()
}

/// Whether stdout gets ANSI colours: only on a terminal, and never with `NO_COLOR` set to
/// anything but the empty string (<https://no-color.org>).
pub(super) fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

fn print(result: &Report, baseline: &Baseline, format: DiffFormat) {
    let text = match format {
        DiffFormat::Unified => crate::diff::unified::format(result, use_color()),
        DiffFormat::Markdown => crate::diff::markdown::format(result, baseline),
        DiffFormat::Json => crate::diff::json::format(result, baseline),
    };
    print_stdout(&text);
}

/// Says on stderr what was found, and decides the exit code.
fn outcome(result: &Report, baseline: &Baseline, exit_code: bool, deny: bool) -> Outcome {
    if result.is_empty() {
        status!("tenantc: no changes compared with {}", baseline.description);
        return Outcome::Success;
    }
    status!(
        "tenantc: compared with {}: {}",
        baseline.description,
        crate::diff::summary_line(result)
    );
    let destructive = result.destructive_count();
    if destructive > 0 && deny {
        status!(
            "tenantc: refusing {destructive} destructive change{} (--deny-destructive)",
            if destructive == 1 { "" } else { "s" }
        );
        return Outcome::Findings;
    }
    if exit_code {
        return Outcome::Findings;
    }
    Outcome::Success
}
