//! `render`'s batches: the selected tenants render a batch at a time, each batch compared with
//! the output directory and staged while the next one renders, so memory stays bounded by a
//! batch and the file system's work overlaps the CPU's.

use crate::diagnostics::{Diagnostic, Diagnostics};
use crate::emit::{EmitError, Session};
use crate::objects::OutputTree;
use crate::render::Renderer;
use crate::resolve::ResolvedTenant;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};

/// Tenants rendered per batch: bounds memory to one batch's objects and text.
const BATCH: usize = 256;

/// Why the batches stopped before the last one.
pub(super) enum Stopped {
    /// A batch reported errors (an add-on template failed): nothing is written.
    Findings,
    /// The output directory could not be read or written.
    Failed(EmitError),
}

/// One tenant's serialized files, its objects when `--check` needs them for its diff, and
/// what its render reported.
type RenderedTenant = (
    BTreeMap<String, String>,
    Option<OutputTree>,
    Vec<Diagnostic>,
);

/// A batch's files and, for `--check`, its objects.
type Staged = (BTreeMap<String, String>, OutputTree);

/// Renders `tenants` (and, with the first batch, the platform-wide files) into `session`.
/// Returns, for `--check` (`check`), the objects of the files that differ from the disk, for
/// its per-object diff; what the renders report goes to `diags`.
pub(super) fn run(
    renderer: &Renderer<'_>,
    tenants: &[&ResolvedTenant],
    session: &mut Session,
    check: bool,
    diags: &mut Diagnostics,
) -> Result<OutputTree, Stopped> {
    // `--check` holds a batch's objects until the batch is compared with the disk: half a
    // batch keeps its memory where `render`'s is (10k fleet: 200 MiB; 230 with full batches).
    let batch = if check { BATCH / 2 } else { BATCH };
    let mut batches: Vec<&[&ResolvedTenant]> = tenants.chunks(batch).collect();
    if batches.is_empty() {
        batches.push(&[]);
    }
    // One batch renders and serializes while the previous one is compared with the disk and
    // staged: the file system's work and the CPU's overlap instead of waiting for each other.
    let render_batch = |i: usize, batch: &[&ResolvedTenant]| {
        let mut found = Diagnostics::default();
        // Platform-wide files come with the first batch only.
        let platform = if i == 0 {
            renderer.platform()
        } else {
            OutputTree::default()
        };
        let mut files = crate::emit::serialize(&platform);
        let mut tree = if check {
            platform
        } else {
            OutputTree::default()
        };
        // Each tenant's objects are serialized and freed by the thread that built them, while
        // they are still in its cache (and a thread frees its own allocations fastest);
        // `--check` keeps them for its per-object diff.
        let parts: Vec<RenderedTenant> = batch
            .par_iter()
            .map(|tenant| {
                let mut local = Vec::new();
                let tree = renderer.tenant(tenant, &mut local);
                let files = crate::emit::serialize(&tree);
                (files, check.then_some(tree), local)
            })
            .collect();
        for (part, objects, local) in parts {
            found.extend(local);
            files.extend(part);
            tree.extend(objects.unwrap_or_default());
        }
        let files = (!found.has_errors()).then_some(files);
        (found, files, tree)
    };
    // `--check`: the objects of the files that differ, for the per-object diff.
    let mut checked_tree = OutputTree::default();
    let mut staging: Option<Staged> = None;
    let mut stage_previous =
        |session: &mut Session, staged: Option<Staged>| -> Result<(), EmitError> {
            let Some((files, mut tree)) = staged else {
                return Ok(());
            };
            let before = session.changes().len();
            session.add(files)?;
            if tree.files.is_empty() {
                return Ok(());
            }
            let changed: BTreeSet<&str> = session.changes()[before..]
                .iter()
                .map(|c| c.path.as_str())
                .collect();
            tree.files.retain(|path, _| changed.contains(path.as_str()));
            checked_tree.extend(tree);
            Ok(())
        };
    for (i, batch) in batches.into_iter().enumerate() {
        let previous = staging.take();
        let ((found, files, tree), added) = rayon::join(
            || render_batch(i, batch),
            || stage_previous(session, previous),
        );
        diags.extend(found);
        added.map_err(Stopped::Failed)?;
        let files = files.ok_or(Stopped::Findings)?;
        staging = Some((files, tree));
    }
    stage_previous(session, staging).map_err(Stopped::Failed)?;
    Ok(checked_tree)
}
