//! `tenantc schema`: writes `schemas/{platform,tier,tenant}.json`.

use super::{Outcome, args::SchemaArgs, fail};
use crate::validate::Kind;

/// The schema files and their content.
pub fn schema_files() -> Vec<(&'static str, String)> {
    [
        ("platform.json", Kind::Platform),
        ("tier.json", Kind::Tier),
        ("tenant.json", Kind::Tenant),
    ]
    .into_iter()
    .map(|(name, kind)| (name, crate::emit::json(&kind.schema())))
    .collect()
}

/// Runs `schema`.
pub fn run(args: &SchemaArgs) -> Outcome {
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| args.repo.join("schemas"));
    // A repository could hold links in place of `schemas/` or its files: never write
    // through one.
    let is_link = |p: &std::path::Path| {
        std::fs::symlink_metadata(p).is_ok_and(|m| m.file_type().is_symlink())
    };
    if !args.check {
        let files = schema_files();
        let links = std::iter::once(dir.clone()).chain(files.iter().map(|(n, _)| dir.join(n)));
        if let Some(link) = links.into_iter().find(|p| is_link(p)) {
            return fail(&format!(
                "refusing to write `{}`: it is a symbolic link",
                link.display()
            ));
        }
    }
    let mut stale = Vec::new();
    for (name, content) in schema_files() {
        let path = dir.join(name);
        if std::fs::read_to_string(&path).ok().as_deref() == Some(content.as_str()) {
            continue;
        }
        stale.push(path.display().to_string());
        if !args.check
            && let Err(e) =
                std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&path, &content))
        {
            return fail(&format!("cannot write `{}`: {e}", path.display()));
        }
    }
    match (args.check, stale.is_empty()) {
        (true, false) => {
            let mut fix = String::from("tenantc schema");
            if args.repo.as_os_str() != "." {
                fix.push_str(&format!(" --repo {}", args.repo.display()));
            }
            if let Some(out) = &args.out {
                fix.push_str(&format!(" --out {}", out.display()));
            }
            status!("tenantc: stale schemas: {}; run `{fix}`", stale.join(", "));
            Outcome::Findings
        }
        _ => {
            status!(
                "tenantc: {} schema files {}",
                stale.len(),
                if args.check { "stale" } else { "written" }
            );
            Outcome::Success
        }
    }
}
