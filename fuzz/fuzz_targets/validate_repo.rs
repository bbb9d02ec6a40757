//! The whole path of `tenantc validate` (and render) on a small repository in memory.
//!
//! Input: up to eight files separated by `\0`, each its path on the first line and its
//! content after it (`tiers/gold.yaml\napiVersion: …`), as the files of a git revision reach
//! `load` from memory. The repository goes through load (listing, size and depth rules) →
//! validate → resolve → check → render → serialize, and the diagnostics are located and
//! rendered in every format. Nothing may panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use tenantc::diagnostics::{Format, render};
use tenantc::load::{Input, MemoryRepo};

fuzz_target!(|data: &[u8]| {
    let files = data.split(|b| *b == 0).take(8).filter_map(|part| {
        let newline = part.iter().position(|b| *b == b'\n')?;
        let path = std::str::from_utf8(&part[..newline]).ok()?;
        Some((path.to_string(), part[newline + 1..].to_vec()))
    });
    let repo = MemoryRepo::from_files(files);
    let Ok((compiled, tree)) = tenantc::pipeline::render_input(Input::Memory(&repo), None) else {
        return;
    };
    let located = compiled.diagnostics.finish(&compiled.sources);
    for format in [Format::Human, Format::Json, Format::Github] {
        let _ = render(&located, &compiled.sources, format);
    }
    if let Some(tree) = tree {
        let _ = tenantc::emit::serialize(&tree);
    }
});
