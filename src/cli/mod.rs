//! The command line: parses arguments, runs a command, prints its product on stdout and
//! everything else on stderr, and maps the outcome to an exit code (0 success, 1 findings,
//! 2 usage, I/O or internal error).
//!
//! The only module that prints.
#![allow(clippy::print_stdout, clippy::print_stderr)]

/// `eprintln!` that ignores a closed or failing stderr (`tenantc validate 2>&1 | head -1`):
/// a message nobody can read must not turn a finished command into a panic (exit 101).
macro_rules! status {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stderr(), $($arg)*);
    }};
}

mod args;
mod cmp;
mod diff;
mod render;
mod render_batches;
mod schema;
mod validate;

pub use args::{Args, Command, DiagnosticFormat};

use crate::diagnostics::{Diagnostics, Format};
use crate::source::SourceMap;
use clap::Parser;
use std::io::Write;
use std::process::ExitCode;

/// The outcome of a command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Exit 0.
    Success,
    /// Exit 1: invalid input, stale output under `--check`.
    Findings,
    /// Exit 2: usage, I/O or internal error.
    Failure,
}

impl From<Outcome> for ExitCode {
    fn from(o: Outcome) -> Self {
        ExitCode::from(match o {
            Outcome::Success => 0,
            Outcome::Findings => 1,
            Outcome::Failure => 2,
        })
    }
}

/// Runs tenantc with the process's arguments.
pub fn run() -> ExitCode {
    let args = match Args::try_parse() {
        Ok(args) => args,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let outcome = match args.command {
        Command::Validate(a) => validate::run(&a),
        Command::Render(a) => with_jobs(a.jobs, || render::run(&a)),
        Command::Schema(a) => schema::run(&a),
        Command::Diff(a) => diff::run(&a),
        Command::Cmp(args::CmpCommand::Generate(a)) => cmp::run(&a),
    };
    outcome.into()
}

fn with_jobs(jobs: Option<u16>, f: impl FnOnce() -> Outcome + Send) -> Outcome {
    let Some(n) = jobs else { return f() };
    match rayon::ThreadPoolBuilder::new()
        .num_threads(n.into())
        .build()
    {
        Ok(pool) => pool.install(f),
        Err(e) => fail(&format!("cannot start {n} worker threads: {e}")),
    }
}

/// Stage timings for `TENANTC_TIMINGS=1`, printed on stderr: how a run spends its time,
/// for profiling and the benchmark's "what dominates" table.
pub(crate) struct Timings {
    start: Option<std::time::Instant>,
    last: Option<std::time::Instant>,
    marks: Vec<(&'static str, std::time::Duration, Option<u64>)>,
}

impl Timings {
    /// Recording when `TENANTC_TIMINGS=1`, else a no-op.
    pub(crate) fn from_env() -> Self {
        let on = std::env::var_os("TENANTC_TIMINGS").is_some_and(|v| v == "1");
        let now = on.then(std::time::Instant::now);
        Self {
            start: now,
            last: now,
            marks: Vec::new(),
        }
    }

    /// Records the time since the previous mark under `stage`.
    pub(crate) fn mark(&mut self, stage: &'static str) {
        if let Some(last) = self.last {
            let now = std::time::Instant::now();
            self.marks.push((stage, now - last, resident_kib()));
            self.last = Some(now);
        }
    }

    /// Prints the recorded stages and the total.
    pub(crate) fn print(&self) {
        let Some(start) = self.start else { return };
        for (stage, d, rss) in &self.marks {
            let rss = rss.map_or(String::new(), |k| format!(" (resident {} MiB)", k / 1024));
            status!(
                "tenantc: timing: {stage}: {:.1} ms{rss}",
                d.as_secs_f64() * 1e3
            );
        }
        status!(
            "tenantc: timing: total: {:.1} ms",
            start.elapsed().as_secs_f64() * 1e3
        );
    }
}

/// The process's resident memory now, where the platform tells it (Linux), to see which stage
/// holds the memory.
fn resident_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Prints an I/O or internal error as one `tenantc:` line and returns exit code 2.
pub(crate) fn fail(message: &str) -> Outcome {
    status!("tenantc: {message}");
    Outcome::Failure
}

/// Writes to stdout, treating a closed pipe (`tenantc … | head`) as success.
pub(crate) fn print_stdout(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes());
    let _ = out.flush();
}

/// Prints diagnostics in the chosen format: human text on stderr, machine formats on stdout
/// when `machine_on_stdout` (the product of `validate`), else on stderr.
pub(crate) fn report(
    diags: Diagnostics,
    sources: &SourceMap,
    format: DiagnosticFormat,
    machine_on_stdout: bool,
) -> bool {
    let has_errors = diags.has_errors();
    let (errors, warnings) = diags.counts();
    let located = diags.finish(sources);
    let format = match format {
        DiagnosticFormat::Human => Format::Human,
        DiagnosticFormat::Json => Format::Json,
        DiagnosticFormat::Github => Format::Github,
    };
    let text = crate::diagnostics::render(&located, sources, format);
    if format != Format::Human && machine_on_stdout {
        print_stdout(&text);
    } else if !text.is_empty() {
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
    if format == Format::Human && (errors > 0 || warnings > 0) {
        status!(
            "{}",
            counts(
                located.iter().filter(|d| d.is_error()).count(),
                located.len() - located.iter().filter(|d| d.is_error()).count()
            )
        );
    }
    has_errors
}

fn counts(errors: usize, warnings: usize) -> String {
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    format!(
        "tenantc: {}, {}",
        plural(errors, "error"),
        plural(warnings, "warning")
    )
}
