//! The input documents of a platform repository: `Platform`, `Tier` and `Tenant`.
//!
//! These types are the single source of truth for the input format: `tenantc schema`
//! derives `schemas/*.json` from them, and `validate` checks every document against those
//! schemas before deserializing it into these types. Owns no I/O and no output types.

mod common;
mod gpu;
mod guardrails;
mod isolation;
mod platform;
mod port;
mod quantity;
mod tenant;
mod tier;

pub use common::*;
pub use gpu::*;
pub use guardrails::*;
pub use isolation::*;
pub use platform::*;
pub use port::*;
pub use quantity::*;
pub use tenant::*;
pub use tier::*;

/// The `apiVersion` every input document carries.
pub const API_VERSION: &str = "tenantc.dev/v1alpha1";

/// The schema of a partial `TierSpec`: the tier's schema with every `required` removed.
///
/// Used for a tenant's `overrides` and the platform's `tierDefaults`, which set only the
/// fields they change. It is inlined so that stripping `required` does not weaken the
/// definitions the `Tier` schema itself uses.
pub fn partial_tier_spec_schema(_: &mut schemars::SchemaGenerator) -> schemars::Schema {
    let mut generator = schemars::generate::SchemaSettings::draft2020_12()
        .with(|s| s.inline_subschemas = true)
        .into_generator();
    let mut schema = generator.root_schema_for::<TierSpec>();
    let value = schema
        .as_object_mut()
        .expect("a struct's schema is an object");
    value.remove("$schema");
    value.remove("title");
    strip_required(value);
    value.insert(
        "description".into(),
        "Parts of a tier spec, deep-merged over it: maps merge key by key; scalars and lists replace."
            .into(),
    );
    schema
}

fn strip_required(value: &mut serde_json::Map<String, serde_json::Value>) {
    value.remove("required");
    for child in value.values_mut() {
        match child {
            serde_json::Value::Object(map) => strip_required(map),
            serde_json::Value::Array(items) => {
                for item in items {
                    if let serde_json::Value::Object(map) = item {
                        strip_required(map);
                    }
                }
            }
            _ => {}
        }
    }
}
