//! Runs the stages in order — load, validate, resolve, guard, check, render — and hands back
//! everything a command needs. Commands and tests share it so that they cannot drift apart.

use crate::diagnostics::Diagnostics;
use crate::objects::OutputTree;
use crate::resolve::Resolved;
use crate::source::SourceMap;
use rayon::prelude::*;
use std::io;
use std::path::Path;

/// The result of compiling a repository.
#[derive(Debug, Default)]
pub struct Compiled {
    /// Every source file read, for rendering diagnostics.
    pub sources: SourceMap,
    /// The resolved platform (empty when validation failed).
    pub resolved: Resolved,
    /// Everything every stage reported.
    pub diagnostics: Diagnostics,
    /// The add-on templates under `templates/`.
    pub templates: Vec<std::sync::Arc<crate::source::SourceFile>>,
}

/// Loads, validates, resolves and checks the repository at `repo`.
///
/// Fails only when the repository cannot be listed (exit code 2); every problem with its
/// content is a diagnostic.
pub fn compile(repo: &Path) -> io::Result<Compiled> {
    compile_input(crate::load::Input::Dir(repo))
}

/// Loads, validates, resolves and checks the repository whose files come from `input`.
pub fn compile_input(input: crate::load::Input<'_>) -> io::Result<Compiled> {
    let mut diagnostics = Diagnostics::default();
    let loaded = crate::load::load_input(input, &mut diagnostics)?;
    Ok(stages(loaded, diagnostics))
}

/// Validates, resolves and checks what `load` read.
pub fn stages(loaded: crate::load::Loaded, mut diagnostics: Diagnostics) -> Compiled {
    let validated = crate::validate::validate(&loaded, &mut diagnostics);
    // Each stage's input is freed as soon as the next has what it needs: the parsed
    // documents of a large fleet weigh more than its resolved tenants.
    let (sources, templates) = loaded.into_sources();
    let resolved = crate::resolve::resolve(validated, &mut diagnostics);
    crate::guard::guard(&resolved, &mut diagnostics);
    crate::check::check(&resolved, &mut diagnostics);
    // Rendering compiles the add-on templates too, but `validate` renders nothing: a template
    // that does not compile must fail the pre-commit hook, not only the render after it.
    crate::render::check_templates(&templates, &mut diagnostics);
    Compiled {
        sources,
        resolved,
        diagnostics,
        templates,
    }
}

/// Compiles and renders a single tenant from only the files it depends on (for
/// `cmp generate`); `Ok(None)` when the tenant has no file. The tree is `None` when any error
/// was reported.
pub fn render_tenant(
    repo: &Path,
    tenant: &str,
) -> io::Result<Option<(Compiled, Option<OutputTree>)>> {
    let mut diagnostics = Diagnostics::default();
    let Some(loaded) = crate::load::load_tenant(repo, tenant, &mut diagnostics)? else {
        return Ok(None);
    };
    let compiled = stages(loaded, diagnostics);
    let only = [tenant.to_string()];
    Ok(Some(finish(compiled, Some(&only))))
}

/// Compiles and renders; the tree is `None` when any error was reported.
pub fn render(repo: &Path, only: Option<&[String]>) -> io::Result<(Compiled, Option<OutputTree>)> {
    Ok(finish(compile(repo)?, only))
}

/// Renders a compiled repository unless a stage reported an error.
pub fn finish(mut compiled: Compiled, only: Option<&[String]>) -> (Compiled, Option<OutputTree>) {
    if compiled.diagnostics.has_errors() {
        return (compiled, None);
    }
    let tree = crate::render::render(
        &compiled.resolved,
        &compiled.templates,
        only,
        &mut compiled.diagnostics,
    );
    if compiled.diagnostics.has_errors() {
        return (compiled, None);
    }
    (compiled, Some(tree))
}

/// Compiles and renders a repository whose files come from `input` (a directory, or files in
/// memory such as a git revision's, for `tenantc diff --base`).
pub fn render_input(
    input: crate::load::Input<'_>,
    only: Option<&[String]>,
) -> io::Result<(Compiled, Option<OutputTree>)> {
    let mut diagnostics = Diagnostics::default();
    let loaded = crate::load::load_input(input, &mut diagnostics)?;
    Ok(finish(stages(loaded, diagnostics), only))
}

/// A digest of every input file (path and text) and of `build`: equal digests mean an
/// identical render, which lets a re-render of an unchanged repository skip the pipeline.
pub fn repository_digest(sources: &SourceMap, build: &str) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for part in std::iter::once(build).chain(sources.iter().flat_map(|f| [&*f.path, &*f.text])) {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    }
    crate::digest::hex(&h.finalize())
}

/// Per tenant, a digest of everything its files are rendered from: `build` (which tenantc),
/// `platform.yaml`, the add-on templates, its tier file and its own file. Equal fingerprints
/// mean equal output, which lets a re-render skip unchanged tenants.
pub fn fingerprints(
    compiled: &Compiled,
    build: &str,
) -> std::collections::BTreeMap<String, String> {
    use sha2::{Digest, Sha256};
    let text = |path: &str| compiled.sources.get(path).map_or("", |f| f.text.as_str());
    let mut global = Sha256::new();
    let feed = |h: &mut Sha256, part: &str| {
        h.update((part.len() as u64).to_le_bytes());
        h.update(part.as_bytes());
    };
    feed(&mut global, build);
    feed(
        &mut global,
        text(compiled.resolved.platform_file.as_deref().unwrap_or("")),
    );
    for template in &compiled.templates {
        feed(&mut global, &template.path);
        feed(&mut global, &template.text);
    }
    // Everything up to the tier file, hashed once per tier rather than once per tenant.
    let by_tier: std::collections::BTreeMap<&str, Sha256> = compiled
        .resolved
        .tier_files
        .iter()
        .map(|(tier, file)| {
            let mut h = global.clone();
            feed(&mut h, text(file));
            (tier.as_str(), h)
        })
        .collect();
    let mut no_tier = global;
    feed(&mut no_tier, "");
    let fingerprints: Vec<(String, String)> = compiled
        .resolved
        .tenants
        .par_iter()
        .map(|tenant| {
            let mut h = by_tier
                .get(tenant.tenant.spec.tier.as_str())
                .unwrap_or(&no_tier)
                .clone();
            feed(&mut h, &tenant.file);
            feed(&mut h, text(&tenant.file));
            (tenant.name.clone(), crate::digest::hex(&h.finalize()))
        })
        .collect();
    fingerprints.into_iter().collect()
}
