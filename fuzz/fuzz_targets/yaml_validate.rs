//! The YAML front end and schema validation of one document.
//!
//! Input: one byte choosing the kind (tenant, tier or platform), then the file's text. The
//! text goes through `parse_document`, then `validate` as that kind's only file, and every
//! diagnostic is located and rendered in all three formats (which re-reads the file into a
//! spanned tree to map JSON pointers back to lines). Nothing may panic or hang.
#![no_main]

use libfuzzer_sys::fuzz_target;
use std::sync::Arc;
use tenantc::diagnostics::Diagnostics;
use tenantc::diagnostics::{Format, render};
use tenantc::load::{Document, Loaded};
use tenantc::source::{SourceFile, parse_document};

fuzz_target!(|data: &[u8]| {
    let Some((&selector, rest)) = data.split_first() else {
        return;
    };
    let Ok(text) = std::str::from_utf8(rest) else {
        return;
    };
    let path = match selector % 3 {
        0 => "tenants/fuzz.yaml",
        1 => "tiers/fuzz.yaml",
        _ => "platform.yaml",
    };
    let file = Arc::new(SourceFile {
        path: path.into(),
        text: text.into(),
    });
    let mut loaded = Loaded::default();
    loaded.sources.insert(file.clone());
    loaded.tier_paths = vec!["tiers/fuzz.yaml".into()];
    let mut diags = Diagnostics::default();
    match parse_document(text) {
        Ok(value) => {
            let doc = Document { file, value };
            match selector % 3 {
                0 => loaded.tenants.push(doc),
                1 => loaded.tiers.push(doc),
                _ => loaded.platform = Some(doc),
            }
            let _ = tenantc::validate::validate(&loaded, &mut diags);
        }
        Err(e) => {
            // A parse error's position must lie inside the file (YAML breaks lines at
            // `\n`, `\r\n` and a lone `\r`).
            if let Some((line, _column)) = e.position {
                let lines = text
                    .replace("\r\n", "\n")
                    .split(['\n', '\r'])
                    .count()
                    .max(1);
                assert!(
                    line >= 1 && line <= lines + 1,
                    "line {line} of {lines}: {e:?}"
                );
            }
        }
    }
    let located = diags.finish(&loaded.sources);
    for format in [Format::Human, Format::Json, Format::Github] {
        let _ = render(&located, &loaded.sources, format);
    }
});
