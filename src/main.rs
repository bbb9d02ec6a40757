//! The `tenantc` binary.

/// glibc's allocator spent about a quarter of a fleet render in `malloc`/`free` and their
/// consolidation (rendering builds and drops many small objects on two threads); mimalloc
/// takes a fraction of that (BENCHMARKS.md).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> std::process::ExitCode {
    tenantc::cli::run()
}
