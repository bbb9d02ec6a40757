//! All integration tests, compiled into one binary. Modules by theme; helpers in `support`.

mod support;

mod addons;
mod admission;
mod apiserver;
mod argocd;
mod cli;
mod determinism;
mod diff;
mod escapes;
mod fs_safety;
mod golden;
mod guard_properties;
mod interrupted;
mod invalid;
mod precommit;
mod properties;
mod terraform;
mod upstream_schemas;
