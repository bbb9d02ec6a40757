//! tenantc compiles a GitOps repository of tenant specs and tier profiles into the manifests
//! that run a multi-tenant Kubernetes platform.
//!
//! # Steps
//!
//! 1. [`load`] walks `platform.yaml`, `tiers/` and `tenants/` and reads each file's YAML
//!    document, with size, alias and depth limits.
//! 2. [`validate`] checks each document against the JSON Schema derived from [`model`] and
//!    deserializes it into typed values.
//! 3. [`resolve`] merges platform defaults, tier and tenant overrides (keeping where every
//!    value came from) and fans each tenant out into one namespace per environment.
//! 4. [`guard`] holds every tenant file to its tier's guardrails: a tenant may only tighten
//!    what its tier grants, and never take a name or a subject that belongs to the platform.
//! 5. [`check`] applies rules across values and tenants.
//! 6. [`render`] builds the typed output objects ([`objects`]).
//! 7. [`emit`] serializes them, writes only what changed and keeps the lock.
//! 8. [`diff`] compares two output trees object by object and flags destructive changes
//!    (`tenantc diff`, `render --check`).
//!
//! [`pipeline`] runs the stages in order; [`diagnostics`] is the error type they share;
//! [`digest`] writes the SHA-256 digests the lock and the incremental cache keep;
//! [`cli`] is the only module that prints.

pub mod check;
pub mod cli;
pub mod diagnostics;
pub mod diff;
pub mod digest;
pub mod emit;
pub mod guard;
pub mod load;
pub mod model;
pub mod objects;
pub mod pipeline;
pub mod render;
pub mod resolve;
pub mod source;
pub mod validate;
