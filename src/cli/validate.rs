//! `tenantc validate`: checks the repository and prints diagnostics.

use super::{Outcome, args::ValidateArgs, fail, report};

/// Runs `validate`.
pub fn run(args: &ValidateArgs) -> Outcome {
    let compiled = match crate::pipeline::compile(&args.repo.repo) {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot read `{}`: {e}", args.repo.repo.display())),
    };
    let tenants = compiled.resolved.tenants.len();
    let found = report(
        compiled.diagnostics,
        &compiled.sources,
        args.repo.format,
        true,
    );
    compiled.resolved.free();
    if found {
        Outcome::Findings
    } else {
        let plural = if tenants == 1 { "" } else { "s" };
        status!("tenantc: {tenants} tenant{plural} valid");
        Outcome::Success
    }
}
