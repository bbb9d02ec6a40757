//! Writes a deterministic, realistic platform repository of N tenants, for benchmarks and
//! load tests:
//!
//! ```sh
//! cargo run --release --example gen-fleet -- --tenants 10000 --out /tmp/fleet
//! tenantc validate --repo /tmp/fleet && tenantc render --repo /tmp/fleet
//! ```
//!
//! See `BENCHMARKS.md` for what the fleet holds and how `cargo bench --bench fleet` uses it.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "fleet/generator.rs"]
mod generator;

use std::path::PathBuf;
use std::process::ExitCode;

const USAGE: &str = "usage: gen-fleet --tenants N --out DIR   (DIR must be absent or empty)";

fn main() -> ExitCode {
    let mut tenants: Option<usize> = None;
    let mut out: Option<PathBuf> = None;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--tenants" | "-n" => {
                tenants = args.next().and_then(|n| n.replace('_', "").parse().ok())
            }
            "--out" | "-o" => out = args.next().map(PathBuf::from),
            "--help" | "-h" => {
                println!("{USAGE}");
                return ExitCode::SUCCESS;
            }
            other => {
                eprintln!("gen-fleet: unexpected argument `{other}`\n{USAGE}");
                return ExitCode::from(2);
            }
        }
    }
    let (Some(tenants), Some(out)) = (tenants, out) else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let fleet = match generator::generate(tenants) {
        Ok(f) => f,
        Err(e) => {
            eprintln!("gen-fleet: {e}");
            return ExitCode::from(2);
        }
    };
    if let Err(e) = fleet.write(&out) {
        eprintln!("gen-fleet: cannot write `{}`: {e}", out.display());
        return ExitCode::from(2);
    }
    println!(
        "wrote {} files for {tenants} tenants to {}",
        fleet.files.len(),
        out.display()
    );
    for (what, n) in fleet.summary() {
        println!("  {what:<38} {n:>8}");
    }
    if !fleet.tenants.is_empty() {
        println!(
            "  benchmark tenants: one-changed `{}`, cmp generate `{}`",
            fleet.tenants[fleet.probe].name, fleet.tenants[fleet.cmp].name
        );
    }
    ExitCode::SUCCESS
}
