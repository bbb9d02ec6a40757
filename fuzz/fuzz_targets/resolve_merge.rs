//! Resolve: merging a tier spec with a tenant's overrides, and the quantity arithmetic.
//!
//! Input: `TIER-SPEC \0 OVERRIDES [\0 QUANTITY]`, each part YAML (or JSON). A tier file
//! is the spec under `spec:` (or the whole file when it has a `spec`), a tenant subscribes to
//! it with those overrides, and the repository goes through validate → resolve → check →
//! render in memory. The third part, and every quota value, is checked against the quantity
//! invariants: `parse(format(q)) == q` for every unit and scaling never grows a quantity.
#![no_main]

use libfuzzer_sys::fuzz_target;
use serde_json::{Value, json};
use tenantc::load::{Input, MemoryRepo};
use tenantc::model::{Quantity, ResourceUnit};
use tenantc::source::parse_document;

const UNITS: [ResourceUnit; 3] = [ResourceUnit::Cpu, ResourceUnit::Bytes, ResourceUnit::Count];

fn quantity_invariants(text: &str) {
    let Ok(q) = Quantity::parse(text) else {
        return;
    };
    for unit in UNITS {
        let formatted = q.format(unit);
        assert_eq!(
            Quantity::parse(&formatted),
            Ok(q),
            "`{text}` formats as `{formatted}` ({unit:?})"
        );
        for (n, d) in [
            (0, 1),
            (1, 1),
            (3, 10),
            (1, 3),
            (999_999_999, 1_000_000_000),
        ] {
            let scaled = q.scale(n, d, unit);
            assert!(scaled <= q, "`{text}` * {n}/{d} grew ({unit:?})");
            let again = Quantity::parse(&scaled.format(unit));
            assert_eq!(again, Ok(scaled), "scaled `{text}` does not round-trip");
        }
    }
}

fn part(text: &str) -> Value {
    if text.trim().is_empty() {
        return Value::Null;
    }
    parse_document(text).unwrap_or(Value::Null)
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let mut parts = text.splitn(3, '\0');
    let tier_text = parts.next().unwrap_or_default();
    let overrides_text = parts.next().unwrap_or_default();
    if let Some(q) = parts.next() {
        quantity_invariants(q);
    }
    let tier = part(tier_text);
    let spec = match tier.get("spec") {
        Some(spec) => spec.clone(),
        None => tier,
    };
    if let Some(quota) = spec.get("quota").and_then(Value::as_object) {
        for value in quota.values() {
            if let Some(s) = value.as_str() {
                quantity_invariants(s);
            }
        }
    }
    let overrides = part(overrides_text);
    let tier_doc = json!({
        "apiVersion": "tenantc.dev/v1alpha1",
        "kind": "Tier",
        "metadata": {"name": "fuzz"},
        "spec": spec,
    });
    let mut tenant_spec = json!({"tier": "fuzz", "displayName": "Fuzz"});
    if !overrides.is_null() {
        tenant_spec["overrides"] = overrides;
    }
    let tenant_doc = json!({
        "apiVersion": "tenantc.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "acme"},
        "spec": tenant_spec,
    });
    let other_doc = json!({
        "apiVersion": "tenantc.dev/v1alpha1",
        "kind": "Tenant",
        "metadata": {"name": "beta"},
        "spec": {"tier": "fuzz"},
    });
    let repo = MemoryRepo::from_files([
        (
            "tiers/fuzz.yaml".to_string(),
            tier_doc.to_string().into_bytes(),
        ),
        (
            "tenants/acme.yaml".to_string(),
            tenant_doc.to_string().into_bytes(),
        ),
        (
            "tenants/beta.yaml".to_string(),
            other_doc.to_string().into_bytes(),
        ),
    ]);
    let Ok((compiled, tree)) = tenantc::pipeline::render_input(Input::Memory(&repo), None) else {
        return;
    };
    let located = compiled.diagnostics.finish(&compiled.sources);
    let _ = tenantc::diagnostics::render(
        &located,
        &compiled.sources,
        tenantc::diagnostics::Format::Human,
    );
    if let Some(tree) = tree {
        let _ = tenantc::emit::serialize(&tree);
    }
});
