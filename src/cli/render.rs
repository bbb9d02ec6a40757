//! `tenantc render`: renders into the output directory, or with `--check` reports how it
//! differs.

use super::{Outcome, args::RenderArgs, fail, print_stdout, render_batches, report};
use crate::diagnostics::{Diagnostic, Label, codes};
use crate::emit::{ChangeKind, Mode, Plan, Scope, Session};
use crate::render::tenant_prefixes;
use std::collections::BTreeSet;

/// Runs `render`.
///
/// Tenants whose inputs and files are unchanged since the last render (see
/// `emit::read_cache`) are skipped; the rest render in batches whose files go to temporary
/// files, renamed into place only when every batch succeeded.
pub fn run(args: &RenderArgs) -> Outcome {
    let repo = &args.repo.repo;
    let out = args.out.clone().unwrap_or_else(|| repo.join("out"));
    if let Some(inputs) = inside_inputs(repo, &out) {
        return fail(&format!(
            "`{}` is inside the repository's `{inputs}/`: tenantc would read its own output as \
             input; choose an output directory outside `tenants/`, `tiers/` and `templates/`",
            out.display()
        ));
    }
    let only = (!args.tenants.is_empty()).then_some(args.tenants.as_slice());
    let mut timings = super::Timings::from_env();
    let build = build_id();
    // A full render first reads every input's text: when nothing changed since the last full
    // render and the output is as it left it, that is all there is to do.
    let sources = if only.is_none() && !args.check {
        crate::load::read_sources(repo).ok().flatten()
    } else {
        None
    };
    // The digest of the inputs, known only when every one of them could be read cleanly.
    let digest = sources
        .as_ref()
        .map(|sources| crate::pipeline::repository_digest(sources, &build));
    let cache = crate::emit::read_cache(&out);
    if let Some(digest) = &digest {
        let files = unchanged_repository(&out, &cache, digest);
        timings.mark("read inputs, compare with the cache");
        if let Some(files) = files {
            timings.print();
            status!(
                "tenantc: {files} file{} in `{}`: 0 written, 0 removed, {files} unchanged (no input changed)",
                if files == 1 { "" } else { "s" },
                out.display()
            );
            return Outcome::Success;
        }
    }
    // The texts just read are what the pipeline reads: no second trip to the disk.
    let memory = sources.map(|sources| {
        crate::load::MemoryRepo::from_files(
            sources
                .iter()
                .map(|f| (f.path.clone(), f.text.clone().into_bytes())),
        )
    });
    let mode = if args.check {
        Mode::Compare
    } else {
        Mode::Write
    };
    // Listing the output directory is the file system's work and compiling the CPU's: side
    // by side. Opening a session only reads.
    let (compiled, session) = rayon::join(
        || match &memory {
            Some(memory) => crate::pipeline::compile_input(crate::load::Input::Memory(memory)),
            None => crate::pipeline::compile(repo),
        },
        || Session::open(&out, mode),
    );
    drop(memory);
    let mut compiled = match compiled {
        Ok(c) => c,
        Err(e) => return fail(&format!("cannot read `{}`: {e}", repo.display())),
    };
    timings.mark("load, validate, resolve, check; list the output directory");
    let mut diags = std::mem::take(&mut compiled.diagnostics);
    if diags.has_errors() {
        report(diags, &compiled.sources, args.repo.format, false);
        status!("tenantc: nothing written: fix the errors above first");
        return Outcome::Findings;
    }
    let known: BTreeSet<&str> = compiled
        .resolved
        .tenants
        .iter()
        .map(|t| t.name.as_str())
        .collect();
    if let Some(names) = only {
        let missing: Vec<String> = names
            .iter()
            .filter(|n| !known.contains(n.as_str()))
            .map(|n| format!("`{n}`"))
            .collect();
        if !missing.is_empty() {
            report(diags, &compiled.sources, args.repo.format, false);
            return fail(&format!("no tenant named {}", missing.join(", ")));
        }
    }
    let selected: Vec<String> = match only {
        Some(names) => names.to_vec(),
        None => known.iter().map(|n| n.to_string()).collect(),
    };
    let scope = Scope(only.map(|names| {
        let mut prefixes: Vec<String> = names.iter().flat_map(|n| tenant_prefixes(n)).collect();
        prefixes.push("platform/".into());
        prefixes.push(crate::render::terraform::versions_path());
        prefixes
    }));
    let mut session = match session {
        Ok(s) => s,
        Err(e) => {
            report(diags, &compiled.sources, args.repo.format, false);
            return fail(&e.to_string());
        }
    };
    let fingerprints = crate::pipeline::fingerprints(&compiled, &build);
    timings.mark("fingerprints");
    let clean =
        crate::emit::clean_tenants(&out, &cache, &fingerprints, session.old_lock(), &selected);
    session.keep(clean.iter().flat_map(|n| cache.tenants[n].files.keys()));
    let dirty: Vec<String> = selected
        .into_iter()
        .filter(|n| !clean.contains(n))
        .collect();
    timings.mark("incremental cache");
    let renderer =
        crate::render::Renderer::new(&compiled.resolved, &compiled.templates, &mut diags);
    if diags.has_errors() {
        drop(session);
        report(diags, &compiled.sources, args.repo.format, false);
        status!("tenantc: nothing written: fix the errors above first");
        return Outcome::Findings;
    }
    let tenants = &compiled.resolved.tenants;
    let dirty_tenants: Vec<&crate::resolve::ResolvedTenant> = dirty
        .iter()
        .filter_map(|name| {
            let i = tenants
                .binary_search_by(|t| t.name.as_str().cmp(name))
                .ok()?;
            Some(&tenants[i])
        })
        .collect();
    let checked_tree = match render_batches::run(
        &renderer,
        &dirty_tenants,
        &mut session,
        args.check,
        &mut diags,
    ) {
        Ok(tree) => tree,
        Err(stopped) => {
            drop(session);
            report(diags, &compiled.sources, args.repo.format, false);
            return match stopped {
                render_batches::Stopped::Findings => {
                    status!("tenantc: nothing written: fix the errors above first");
                    Outcome::Findings
                }
                render_batches::Stopped::Failed(e) => fail(&e.to_string()),
            };
        }
    };
    timings.mark("render, serialize, compare, stage");
    let plan = session.plan(&scope);
    for path in &plan.unowned {
        diags.push(
            Diagnostic::new(codes::UNOWNED_FILE, "file not written by tenantc; kept")
                .at(Label::file(&format!("{}/{path}", out.display()), ""))
                .help("move it out of the output directory, or delete it"),
        );
    }
    // Only a render of every tenant (the only kind with a digest) that reported nothing can be
    // skipped next time.
    let repository = digest.filter(|_| diags.is_empty());
    report(diags, &compiled.sources, args.repo.format, false);
    if args.check {
        let facts = crate::diff::facts_of(&compiled.resolved);
        return check(&plan, &checked_tree, facts, args);
    }
    let committed = session.commit(&plan);
    timings.mark("write");
    let crate::emit::Committed { summary, stamps } = match committed {
        Ok(committed) => committed,
        Err(e) => return fail(&e.to_string()),
    };
    let repository_changed = cache.repository.as_ref().map(|r| &r.inputs) != repository.as_ref();
    if !dirty.is_empty() || cache.tenants.len() != fingerprints.len() || repository_changed {
        update_cache(
            &out,
            cache,
            &fingerprints,
            &plan,
            &stamps,
            &dirty,
            repository,
        );
    }
    compiled.resolved.free();
    timings.mark("update cache");
    timings.print();
    let total = summary.written + summary.unchanged;
    status!(
        "tenantc: {total} file{} in `{}`: {} written, {} removed, {} unchanged",
        if total == 1 { "" } else { "s" },
        out.display(),
        summary.written,
        summary.removed,
        summary.unchanged
    );
    Outcome::Success
}

/// The input directory (`tenants`, `tiers` or `templates`) that `out` lies in, if any. Paths
/// are compared as written, made absolute, with `.` and `..` resolved.
fn inside_inputs(repo: &std::path::Path, out: &std::path::Path) -> Option<&'static str> {
    let absolute = |path: &std::path::Path| {
        let mut resolved = std::path::PathBuf::new();
        for part in std::path::absolute(path).ok()?.components() {
            match part {
                std::path::Component::CurDir => {}
                std::path::Component::ParentDir => {
                    resolved.pop();
                }
                other => resolved.push(other),
            }
        }
        Some(resolved)
    };
    let (repo, out) = (absolute(repo)?, absolute(out)?);
    ["tenants", "tiers", "templates"]
        .into_iter()
        .find(|inputs| out.starts_with(repo.join(inputs)))
}

/// Identifies this tenantc build, so that a new build renders everything again: the
/// executable's size and modification time (cheap, and changes with every build).
fn build_id() -> String {
    let exe = std::env::current_exe()
        .ok()
        .and_then(|p| std::fs::metadata(p).ok());
    let stamp = exe.map(|m| {
        let mtime = m
            .modified()
            .ok()
            .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        format!("{}:{mtime}", m.len())
    });
    format!(
        "{} {}",
        env!("CARGO_PKG_VERSION"),
        stamp.unwrap_or_default()
    )
}

/// The tenant an output file belongs to; `None` for the platform's own files.
fn tenant_of(path: &str) -> Option<&str> {
    path.strip_prefix("tenants/")
        .and_then(|rest| rest.split('/').next())
        .or_else(|| {
            path.strip_prefix("terraform/node-group-")
                .and_then(|rest| rest.strip_suffix(".tf.json"))
        })
}

/// The number of files in `out`, when `digest` (of the inputs) is that of the last full
/// render (which reported nothing) and the output directory is exactly as it left it.
fn unchanged_repository(
    out: &std::path::Path,
    cache: &crate::emit::OutputCache,
    digest: &str,
) -> Option<usize> {
    if cache.repository.as_ref()?.inputs != digest {
        return None;
    }
    crate::emit::unchanged_output(out, cache)
}

/// Records, after a successful render, what each rendered tenant's files were made from and
/// how they look on disk (`stamps`, taken as the render wrote or read them; tenants not
/// rendered this time keep their entries). A cache that cannot be written only costs speed
/// next time.
fn update_cache(
    out: &std::path::Path,
    mut cache: crate::emit::OutputCache,
    fingerprints: &std::collections::BTreeMap<String, String>,
    plan: &Plan,
    stamps: &std::collections::BTreeMap<String, crate::emit::FileStamp>,
    rendered: &[String],
    repository: Option<String>,
) {
    let rendered: BTreeSet<&str> = rendered.iter().map(String::as_str).collect();
    cache
        .tenants
        .retain(|name, _| fingerprints.contains_key(name));
    let stamped = |path: &String| Some((path.clone(), *stamps.get(path)?));
    let mut by_tenant: std::collections::BTreeMap<&str, Vec<&String>> = Default::default();
    for path in plan.lock.files.keys() {
        if let Some(tenant) = tenant_of(path).filter(|t| rendered.contains(t)) {
            by_tenant.entry(tenant).or_default().push(path);
        }
    }
    // An entry missing a file's stamp would vouch for a file nobody looked at: without every
    // stamp, there is no entry (and the next render compares everything).
    let lock_file = crate::emit::LOCK_FILE.to_string();
    let platform_wide = plan
        .lock
        .files
        .keys()
        .filter(|p| tenant_of(p).is_none())
        .chain([&lock_file])
        .map(stamped)
        .collect::<Option<_>>();
    cache.repository = repository
        .zip(platform_wide)
        .map(|(inputs, files)| crate::emit::CachedRepository { inputs, files });
    for (tenant, files) in by_tenant {
        match files.into_iter().map(stamped).collect::<Option<_>>() {
            Some(files) => cache.tenants.insert(
                tenant.to_string(),
                crate::emit::CachedTenant {
                    inputs: fingerprints[tenant].clone(),
                    files,
                },
            ),
            None => cache.tenants.remove(tenant),
        };
    }
    let _ = crate::emit::write_cache(out, &cache);
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
        status!("tenantc: `{}` is up to date", plan.out_dir.display());
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
    status!(
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
