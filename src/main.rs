//! The `tenantc` binary.

fn main() -> std::process::ExitCode {
    tenantc::cli::run()
}
