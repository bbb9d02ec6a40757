//! All integration tests, compiled into one binary. Modules by theme; helpers in `support`.

mod support;

mod addons;
mod argocd;
mod cli;
mod determinism;
mod diff;
mod golden;
mod invalid;
mod precommit;
mod properties;
mod upstream_schemas;
