//! `cargo bench --bench fleet`: tenantc on a generated fleet of 10,000 tenants, measured side
//! by side with its baselines (`cp -r` of the output, `kubectl kustomize` on equivalent
//! per-tenant overlays, Helm's template engine run in process on an equivalent chart with one
//! values file per tenant) against the targets of DESIGN.md §11.
//!
//! It reports and never fails on a missed target; `cargo test` does not run it. Settings
//! (environment variables):
//!
//! | variable | default | |
//! |---|---|---|
//! | `TENANTC_BENCH_TENANTS` | 10000 | fleet size |
//! | `TENANTC_BENCH_RUNS` | 3 | repetitions of each tenantc and `cp -r` measurement (best and median reported; ratios and verdicts use the best) |
//! | `TENANTC_BENCH_SCALING` | 0 | `1`: also full renders of 1,000 and 100,000 tenants (100,000 twice), a `cp -r` of each output, and whether the cost per tenant grows linearly |
//! | `TENANTC_BENCH_KUSTOMIZE` | 1 | `0`: skip the kustomize baseline (the slow part) |
//! | `TENANTC_BENCH_KUSTOMIZE_SAMPLE` | 100 | tenants built one process each, extrapolated to the fleet |
//! | `TENANTC_BENCH_KUSTOMIZE_BUDGET` | 300 | seconds for the one-process builds of growing parts of the fleet |
//! | `TENANTC_BENCH_HELM` | 1 | `0`: skip the Helm baseline (skipped anyway, with the reason, without a Python ≥ 3.12 or when `pip install helm-python-sdk` fails) |
//! | `TENANTC_BENCH_HELM_SAMPLE` | 1000 | tenants rendered one call each (in one Python process), extrapolated to the fleet |
//! | `TENANTC_BENCH_HELM_BUDGET` | 300 | seconds for the one-call renders of growing parts of the fleet |
//! | `TENANTC_BENCH_PYTHON` | first of `python3.12`, `python3.13`, `python3.14`, `python3`, `~/.pyenv/versions/3.1[2-9]*/bin/python` that is ≥ 3.12 | the Python that creates the Helm baseline's virtual environment |
//! | `TENANTC_BENCH_HELM_VENV` | `<work directory>/helm/venv` | the virtual environment with `helm-python-sdk` (created there with `python -m venv` and `pip install`; reused if it already imports it) |
//! | `TENANTC_BENCH_DIR` | `$TMPDIR/tenantc-bench-<pid>` | work directory (must not exist; removed at the end) |
//! | `TENANTC_BENCH_KEEP` | 0 | `1`: keep the work directory |
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[path = "../examples/fleet/generator.rs"]
mod generator;
#[path = "fleet/helm.rs"]
mod helm;
#[path = "fleet/kustomize.rs"]
mod kustomize;

use std::ffi::OsString;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::{Duration, Instant};

const TENANTC: &str = env!("CARGO_BIN_EXE_tenantc");
const TIME: &str = "/usr/bin/time";

fn env_number(key: &str, default: usize) -> usize {
    std::env::var(key)
        .ok()
        .and_then(|v| v.replace('_', "").parse().ok())
        .unwrap_or(default)
}

fn env_flag(key: &str, default: bool) -> bool {
    std::env::var(key)
        .map(|v| !matches!(v.as_str(), "" | "0" | "false" | "no"))
        .unwrap_or(default)
}

/// One measured process.
#[derive(Debug, Clone, Copy)]
struct Sample {
    wall: Duration,
    /// Peak resident set size in KiB.
    rss: Option<u64>,
}

/// Repeated measurements of one thing.
#[derive(Debug, Clone, Default)]
struct Stat {
    samples: Vec<Sample>,
}

impl Stat {
    fn push(&mut self, s: Sample) {
        self.samples.push(s);
    }

    fn median(&self) -> Duration {
        let mut walls: Vec<Duration> = self.samples.iter().map(|s| s.wall).collect();
        walls.sort();
        walls.get(walls.len() / 2).copied().unwrap_or_default()
    }

    fn best(&self) -> Duration {
        self.samples
            .iter()
            .map(|s| s.wall)
            .min()
            .unwrap_or_default()
    }

    fn rss(&self) -> Option<u64> {
        self.samples.iter().filter_map(|s| s.rss).max()
    }

    fn all(&self) -> String {
        let walls: Vec<String> = self.samples.iter().map(|s| fmt(s.wall)).collect();
        walls.join(", ")
    }
}

fn fmt(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s >= 100.0 {
        format!("{s:.0} s")
    } else if s >= 1.0 {
        format!("{s:.2} s")
    } else {
        format!("{:.1} ms", s * 1000.0)
    }
}

fn mib(kib: u64) -> String {
    format!("{:.0} MiB", kib as f64 / 1024.0)
}

/// A process to run and measure.
struct Job {
    program: OsString,
    args: Vec<OsString>,
    cwd: Option<PathBuf>,
    envs: Vec<(String, String)>,
    /// Where stdout goes; `None` discards it.
    stdout: Option<PathBuf>,
    /// Measure peak memory (through `/usr/bin/time`, else by polling `/proc`).
    rss: bool,
}

impl Job {
    fn new(program: impl Into<OsString>) -> Self {
        Self {
            program: program.into(),
            args: Vec::new(),
            cwd: None,
            envs: Vec::new(),
            stdout: None,
            rss: true,
        }
    }

    fn args<I: IntoIterator<Item = S>, S: Into<OsString>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    fn cwd(mut self, dir: &Path) -> Self {
        self.cwd = Some(dir.to_path_buf());
        self
    }

    fn env(mut self, key: &str, value: &str) -> Self {
        self.envs.push((key.into(), value.into()));
        self
    }

    fn stdout(mut self, path: &Path) -> Self {
        self.stdout = Some(path.to_path_buf());
        self
    }

    fn no_rss(mut self) -> Self {
        self.rss = false;
        self
    }
}

/// Runs processes in a scratch directory for their stderr and peak-memory files.
struct Runner {
    scratch: PathBuf,
    time: bool,
}

/// What a run left behind.
struct Outcome {
    sample: Sample,
    stderr: String,
}

impl Runner {
    fn run(&self, job: &Job) -> Result<Outcome, String> {
        let rss_file = self.scratch.join("rss");
        let err_file = self.scratch.join("stderr");
        let wrap = job.rss && self.time;
        let mut cmd = if wrap {
            let mut c = Command::new(TIME);
            c.arg("-f")
                .arg("%M")
                .arg("-o")
                .arg(&rss_file)
                .arg(&job.program);
            c
        } else {
            Command::new(&job.program)
        };
        cmd.args(&job.args).stdin(Stdio::null());
        if let Some(dir) = &job.cwd {
            cmd.current_dir(dir);
        }
        for (k, v) in &job.envs {
            cmd.env(k, v);
        }
        let file = |p: &Path| std::fs::File::create(p).map_err(|e| format!("{}: {e}", p.display()));
        cmd.stdout(match &job.stdout {
            Some(p) => Stdio::from(file(p)?),
            None => Stdio::null(),
        });
        cmd.stderr(Stdio::from(file(&err_file)?));
        let start = Instant::now();
        let mut child = cmd
            .spawn()
            .map_err(|e| format!("cannot run `{}`: {e}", job.program.to_string_lossy()))?;
        let mut polled = None;
        let status = if job.rss && !wrap {
            // No /usr/bin/time: sample VmHWM while the process runs.
            let status_file = format!("/proc/{}/status", child.id());
            loop {
                if let Some(status) = child.try_wait().map_err(|e| e.to_string())? {
                    break status;
                }
                if let Ok(text) = std::fs::read_to_string(&status_file)
                    && let Some(kib) = text
                        .lines()
                        .find_map(|l| l.strip_prefix("VmHWM:"))
                        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
                {
                    polled = Some(kib);
                }
                std::thread::sleep(Duration::from_millis(2));
            }
        } else {
            child.wait().map_err(|e| e.to_string())?
        };
        let wall = start.elapsed();
        let stderr = std::fs::read_to_string(&err_file).unwrap_or_default();
        let rss = if wrap {
            std::fs::read_to_string(&rss_file)
                .ok()
                .and_then(|t| t.lines().last().and_then(|l| l.trim().parse().ok()))
        } else {
            polled
        };
        if !status.success() {
            let tail: Vec<&str> = stderr.lines().rev().take(20).collect();
            let tail: Vec<&str> = tail.into_iter().rev().collect();
            return Err(format!(
                "`{} {}` failed ({status}):\n{}",
                job.program.to_string_lossy(),
                job.args
                    .iter()
                    .map(|a| a.to_string_lossy())
                    .collect::<Vec<_>>()
                    .join(" "),
                tail.join("\n")
            ));
        }
        Ok(Outcome {
            sample: Sample { wall, rss },
            stderr,
        })
    }
}

/// The last line of tenantc's stderr that is not a diagnostic: its summary.
fn summary(stderr: &str) -> String {
    stderr
        .lines()
        .rev()
        .find(|l| l.starts_with("tenantc:"))
        .unwrap_or("")
        .to_string()
}

fn sync() {
    let _ = Command::new("sync").status();
}

fn remove(path: &Path) {
    if path.exists() {
        let _ = std::fs::remove_dir_all(path);
    }
}

fn command_output(program: &str, args: &[&str]) -> Option<String> {
    let out = Command::new(program).args(args).output().ok()?;
    out.status
        .success()
        .then(|| String::from_utf8_lossy(&out.stdout).trim().to_string())
}

fn machine() -> Vec<(String, String)> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|v| v.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_else(|| "unknown".into());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map(|kib| format!("{:.1} GiB", kib as f64 / 1024.0 / 1024.0))
        .unwrap_or_else(|| "unknown".into());
    let cores = std::thread::available_parallelism()
        .map(|n| n.get().to_string())
        .unwrap_or_else(|_| "unknown".into());
    let repo = env!("CARGO_MANIFEST_DIR");
    let commit = command_output("git", &["-C", repo, "rev-parse", "--short=12", "HEAD"])
        .unwrap_or_else(|| "unknown".into());
    let dirty = command_output(
        "git",
        &[
            "-C",
            repo,
            "status",
            "--porcelain",
            "--",
            "src",
            "Cargo.toml",
            "Cargo.lock",
        ],
    )
    .is_some_and(|s| !s.is_empty());
    let kubectl = command_output("kubectl", &["version", "--client"])
        .map(|v| v.replace('\n', ", "))
        .unwrap_or_else(|| "not found".into());
    let kernel = command_output("uname", &["-sr"]).unwrap_or_default();
    let load = std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default();
    vec![
        ("cpu".into(), format!("{cores} × {model}")),
        ("memory".into(), mem),
        ("kernel".into(), kernel),
        ("load average".into(), load),
        (
            "tenantc".into(),
            format!(
                "{commit}{}",
                if dirty {
                    " (with uncommitted changes in src/)"
                } else {
                    ""
                }
            ),
        ),
        ("kubectl".into(), kubectl),
        (
            "peak memory via".into(),
            if Path::new(TIME).exists() {
                "/usr/bin/time -f %M".into()
            } else {
                "polling /proc/<pid>/status VmHWM".into()
            },
        ),
    ]
}

/// A row of the result table.
struct Row {
    what: String,
    value: String,
    target: String,
    verdict: Option<bool>,
}

fn row(what: impl Into<String>, value: impl Into<String>) -> Row {
    Row {
        what: what.into(),
        value: value.into(),
        target: String::new(),
        verdict: None,
    }
}

fn ratio_row(what: &str, ratio: f64, target: &str, met: bool) -> Row {
    Row {
        what: what.into(),
        value: format!("{ratio:.2}x"),
        target: target.into(),
        verdict: Some(met),
    }
}

fn print_table(title: &str, rows: &[Row]) {
    println!("\n{title}\n");
    let w = rows.iter().map(|r| r.what.len()).max().unwrap_or(0).max(11);
    let v = rows.iter().map(|r| r.value.len()).max().unwrap_or(0).max(5);
    let t = rows
        .iter()
        .map(|r| r.target.len())
        .max()
        .unwrap_or(0)
        .max(6);
    println!(
        "| {:<w$} | {:<v$} | {:<t$} | verdict    |",
        "measurement", "value", "target"
    );
    println!(
        "|{}|{}|{}|------------|",
        "-".repeat(w + 2),
        "-".repeat(v + 2),
        "-".repeat(t + 2)
    );
    for r in rows {
        let verdict = match r.verdict {
            Some(true) => "target met",
            Some(false) => "MISSED",
            None => "",
        };
        println!(
            "| {:<w$} | {:<v$} | {:<t$} | {verdict:<10} |",
            r.what, r.value, r.target
        );
    }
}

fn dir_size(dir: &Path) -> (usize, u64) {
    let mut files = 0;
    let mut bytes = 0;
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let Ok(meta) = e.metadata() else { continue };
            if meta.is_dir() {
                stack.push(e.path());
            } else {
                files += 1;
                bytes += meta.len();
            }
        }
    }
    (files, bytes)
}

/// The exponent k of time ∝ tenants^k between the last two builds (2 before there are two).
fn growth(points: &[(usize, Duration)]) -> f64 {
    match points {
        [.., (n0, t0), (n1, t1)] if n1 > n0 => {
            ((t1.as_secs_f64() / t0.as_secs_f64()).ln() / (*n1 as f64 / *n0 as f64).ln()).max(1.0)
        }
        _ => 2.0,
    }
}

fn generate(tenants: usize, dir: &Path) -> Result<(generator::Fleet, Duration), String> {
    let start = Instant::now();
    let fleet = generator::generate(tenants)?;
    remove(dir);
    fleet
        .write(dir)
        .map_err(|e| format!("cannot write the fleet to `{}`: {e}", dir.display()))?;
    Ok((fleet, start.elapsed()))
}

/// The Helm baseline (benches/fleet/helm.rs, benches/fleet/helm_render.py): Helm's template
/// engine run in process through `helm-python-sdk` on a chart equivalent to tenantc's
/// `kubernetes/` output, one values file per tenant. Returns the result rows, or why it could
/// not be measured.
fn helm_baseline(
    runner: &Runner,
    work: &Path,
    out: &Path,
    full_best: f64,
    sample_size: usize,
    budget: Duration,
) -> Result<Vec<Row>, String> {
    let (python, version) = helm::find_python()?;
    let venv_dir = std::env::var_os("TENANTC_BENCH_HELM_VENV")
        .map(PathBuf::from)
        .unwrap_or_else(|| work.join("helm").join("venv"));
    println!(
        "\nHelm template engine: Python {version} ({}), virtual environment `{}` with {}",
        python.display(),
        venv_dir.display(),
        helm::PACKAGE
    );
    let start = Instant::now();
    let venv_python = helm::venv(&python, &venv_dir)?;
    println!("  ready in {}", fmt(start.elapsed()));

    let root = work.join("helm");
    let start = Instant::now();
    let chart = helm::build(out, &root)?;
    let n = chart.tenants.len();
    println!(
        "  chart: {} named templates ({} objects, {} of them conditional; {} toJson, {} toYaml \
         and {} print lookups of {} values), {:.0} KiB of templates; {n} values files, {:.1} MiB; \
         {:.1}% of the objects' {} leaves come from values; written in {}",
        chart.templates,
        chart.objects,
        chart.optional,
        chart.lookups,
        chart.merges,
        chart.prints,
        chart.keys,
        chart.template_bytes as f64 / 1024.0,
        chart.values_bytes as f64 / 1024.0 / 1024.0,
        100.0 * chart.value_leaves as f64 / chart.leaves.max(1) as f64,
        chart.leaves,
        fmt(start.elapsed())
    );
    let names: Vec<&String> = chart.tenants.keys().collect();
    let sample: Vec<&String> = (0..sample_size.min(n))
        .map(|i| names[i * n / sample_size.min(n)])
        .collect();
    let list = |path: &Path, names: &[&String]| {
        let text: String = names.iter().map(|n| format!("{n}\n")).collect();
        std::fs::write(path, text).map_err(|e| format!("{}: {e}", path.display()))
    };
    let sample_file = root.join("sample.txt");
    let fleet_file = root.join("fleet.txt");
    list(&sample_file, &sample)?;
    list(&fleet_file, &names)?;
    println!(
        "  one Python process: {} tenants evenly spaced by name rendered one call each, then the \
         first 25, 50, 100, ... tenants by name in one call, while the next fits the budget of {} s",
        sample.len(),
        budget.as_secs()
    );
    let events_file = root.join("events.jsonl");
    let o = runner.run(
        &Job::new(&venv_python)
            .args([
                OsString::from(helm::DRIVER),
                "--chart".into(),
                chart.chart.clone().into_os_string(),
                "--values".into(),
                chart.values.clone().into_os_string(),
                "--sample".into(),
                sample_file.into_os_string(),
                "--fleet".into(),
                fleet_file.into_os_string(),
                "--out".into(),
                root.join("rendered").into_os_string(),
                "--budget".into(),
                budget.as_secs().to_string().into(),
            ])
            .stdout(&events_file),
    )?;
    let text = std::fs::read_to_string(&events_file)
        .map_err(|e| format!("{}: {e}", events_file.display()))?;
    let secs = Duration::from_secs_f64;
    let mut calls: Vec<(f64, f64)> = Vec::new();
    let mut equal = 0;
    let mut mismatch = Vec::new();
    let mut points: Vec<(usize, Duration)> = Vec::new();
    let mut fleet_equal = true;
    let mut floor = 0.0;
    // The driver's report in its order: the single-tenant renders, then the fleet's.
    let (single, fleet): (Vec<helm::Event>, Vec<helm::Event>) = helm::events(&text)?
        .into_iter()
        .partition(|e| !matches!(e, helm::Event::Fleet { .. } | helm::Event::Stopped { .. }));
    for event in single {
        match event {
            helm::Event::Info {
                python,
                helm_c,
                helm_sdk,
                load,
            } => println!(
                "  Python {python}, libhelm_c {helm_c}, Helm SDK {helm_sdk}; chart loaded in {}",
                fmt(secs(load))
            ),
            helm::Event::Floor { calls, median } => {
                floor = median;
                println!(
                    "  a render with no tenants (Helm parses the chart's templates on every call): \
                     median {} of {calls}",
                    fmt(secs(median))
                );
            }
            helm::Event::Tenant {
                tenant,
                parse,
                render,
                output,
            } => {
                calls.push((parse, render));
                let text = std::fs::read_to_string(&output)
                    .map_err(|e| format!("{}: {e}", output.display()))?;
                if Some(&kustomize::Checksum::of_stream(&text)?) == chart.tenants.get(&tenant) {
                    equal += 1;
                } else {
                    mismatch.push(tenant);
                }
            }
            helm::Event::Fleet { .. } | helm::Event::Stopped { .. } => {}
        }
    }
    if calls.is_empty() {
        return Err("the driver reported no single-tenant render".into());
    }
    let per_call: Vec<f64> = calls.iter().map(|(p, r)| p + r).collect();
    let mean = per_call.iter().sum::<f64>() / per_call.len() as f64;
    let mean_render = calls.iter().map(|(_, r)| r).sum::<f64>() / calls.len() as f64;
    let mut sorted = per_call.clone();
    sorted.sort_by(f64::total_cmp);
    let extrapolated = mean * n as f64;
    println!(
        "  one tenant per call: {} for {} tenants: mean {} per tenant (render {}, of which {} is \
         the floor; values file {}), median {}, first call {}; × {n} tenants = {} (extrapolated)",
        fmt(secs(per_call.iter().sum())),
        calls.len(),
        fmt(secs(mean)),
        fmt(secs(mean_render)),
        fmt(secs(floor.min(mean_render))),
        fmt(secs(mean - mean_render)),
        fmt(secs(sorted[sorted.len() / 2])),
        fmt(secs(per_call[0])),
        fmt(secs(extrapolated))
    );
    println!(
        "  output equals tenantc's kubernetes/ objects for {equal} of {} tenants{}",
        calls.len(),
        if mismatch.is_empty() {
            String::new()
        } else {
            format!(
                " (differs: {}{})",
                mismatch
                    .iter()
                    .take(10)
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", "),
                if mismatch.len() > 10 { ", ..." } else { "" }
            )
        }
    );
    for event in fleet {
        match event {
            helm::Event::Fleet {
                tenants,
                parse,
                render,
                output,
                peak_kib,
            } => {
                let text = std::fs::read_to_string(&output)
                    .map_err(|e| format!("{}: {e}", output.display()))?;
                let got = kustomize::Checksum::of_stream(&text)?;
                drop(text);
                let _ = std::fs::remove_file(&output);
                let mut expected = kustomize::Checksum::default();
                for name in &names[..tenants.min(n)] {
                    expected.merge(chart.tenants[*name]);
                }
                let took = secs(parse + render);
                println!(
                    "  {tenants} tenants: {} ({} per tenant; values files {}, render {}), peak so \
                     far {}; {} objects, {}",
                    fmt(took),
                    fmt(took / tenants as u32),
                    fmt(secs(parse)),
                    fmt(secs(render)),
                    mib(peak_kib),
                    got.count,
                    if got == expected {
                        "equal to tenantc's kubernetes/ objects".to_string()
                    } else {
                        format!("NOT equal to tenantc's ({} objects)", expected.count)
                    }
                );
                fleet_equal &= got == expected;
                points.push((tenants, took));
            }
            helm::Event::Stopped {
                next,
                predicted,
                left,
            } => println!(
                "  stopped: {next} tenants would take about {} (budget left: {})",
                fmt(secs(predicted)),
                fmt(secs(left))
            ),
            _ => {}
        }
    }
    if points.is_empty() {
        return Err("the driver reported no fleet render".into());
    }
    if let Some(kib) = o.sample.rss {
        println!("  peak memory of the Python process: {}", mib(kib));
    }
    let (largest, took) = *points.last().expect("at least one render");
    // Beyond the largest render: linear from it (the renders grow about linearly).
    let fleet_secs = took.as_secs_f64() * n as f64 / largest as f64;
    let fleet_value = if largest == n {
        fmt(took)
    } else {
        format!(
            "≈ {} ({largest} took {}; × {n}/{largest})",
            fmt(secs(fleet_secs)),
            fmt(took)
        )
    };
    let fleet_ratio = fleet_secs / full_best;
    Ok(vec![
        row(
            format!(
                "Helm template engine per tenant ({} sampled, × {n})",
                calls.len()
            ),
            fmt(secs(extrapolated)),
        ),
        ratio_row(
            "  Helm per tenant / full render",
            extrapolated / full_best,
            "> 1x",
            extrapolated / full_best > 1.0,
        ),
        row(
            "Helm template engine over the fleet (one call)",
            fleet_value,
        ),
        Row {
            value: format!("{}{fleet_ratio:.2}x", if largest == n { "" } else { "≈ " }),
            ..ratio_row(
                "  Helm over the fleet / full render",
                fleet_ratio,
                "> 1x",
                fleet_ratio > 1.0,
            )
        },
        Row {
            what: "  Helm output equals tenantc's objects".into(),
            value: format!(
                "{equal} of {} tenants; {} of {} fleet renders",
                calls.len(),
                if fleet_equal { points.len() } else { 0 },
                points.len()
            ),
            target: "all".into(),
            verdict: Some(mismatch.is_empty() && fleet_equal),
        },
    ])
}

fn main() -> ExitCode {
    match bench() {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("fleet bench: {e}");
            ExitCode::FAILURE
        }
    }
}

fn bench() -> Result<(), String> {
    let tenants = env_number("TENANTC_BENCH_TENANTS", 10_000).max(1);
    let runs = env_number("TENANTC_BENCH_RUNS", 3).max(1);
    let scaling = env_flag("TENANTC_BENCH_SCALING", false);
    let with_kustomize = env_flag("TENANTC_BENCH_KUSTOMIZE", true);
    let sample_size = env_number("TENANTC_BENCH_KUSTOMIZE_SAMPLE", 100).max(1);
    let budget = Duration::from_secs(env_number("TENANTC_BENCH_KUSTOMIZE_BUDGET", 300) as u64);
    let with_helm = env_flag("TENANTC_BENCH_HELM", true);
    let helm_sample = env_number("TENANTC_BENCH_HELM_SAMPLE", 1000).max(1);
    let helm_budget = Duration::from_secs(env_number("TENANTC_BENCH_HELM_BUDGET", 300) as u64);
    let keep = env_flag("TENANTC_BENCH_KEEP", false);
    let work = std::env::var_os("TENANTC_BENCH_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            std::env::temp_dir().join(format!("tenantc-bench-{}", std::process::id()))
        });
    // A fresh directory, and nothing deleted before or during the measurements: on ext4,
    // creating files within minutes of deleting many is several times slower (the inode
    // allocator skips recently deleted inodes one table block at a time), which would slow
    // tenantc and `cp -r` alike by however much the last run left behind.
    if work.exists() {
        return Err(format!(
            "`{}` exists; remove it first (not done here: a large delete slows file creation for minutes)",
            work.display()
        ));
    }
    let scratch = work.join("scratch");
    std::fs::create_dir_all(&scratch).map_err(|e| format!("{}: {e}", scratch.display()))?;
    let runner = Runner {
        scratch,
        time: Path::new(TIME).exists(),
    };

    println!(
        "tenantc fleet benchmark: {tenants} tenants, {runs} runs per measurement (best and median)"
    );
    for (k, v) in machine() {
        println!("  {k:<16} {v}");
    }
    println!("  tenantc binary   {TENANTC}");
    println!("  work directory   {}", work.display());

    // The fleet.
    let repo = work.join("fleet");
    let (mut fleet, took) = generate(tenants, &repo)?;
    println!(
        "\ngenerated {} tenants ({} files) in {}",
        tenants,
        fleet.files.len(),
        fmt(took)
    );
    for (what, n) in fleet.summary() {
        println!("  {what:<38} {n:>8}");
    }
    // Every full render and copy gets a fresh directory, and nothing is deleted until the
    // end: deleting hundreds of megabytes between runs leaves the file system busy
    // (journal, discard) while the next run is being measured.
    let out = work.join(format!("out-{runs}"));
    let out_arg = out.to_string_lossy().to_string();
    // Every tenantc run records its stage timings (if the build prints them).
    let tenantc = |args: &[&str]| {
        Job::new(TENANTC)
            .args(args.iter().copied())
            .env("TENANTC_TIMINGS", "1")
    };
    let mut timings: Vec<(String, String)> = Vec::new();
    let timing_lines = |stderr: &str| -> String {
        stderr
            .lines()
            .filter_map(|l| l.strip_prefix("tenantc: timing: "))
            .collect::<Vec<_>>()
            .join("\n    ")
    };
    let repo_arg = repo.to_string_lossy().to_string();

    // validate
    println!("\nvalidate");
    let mut validate = Stat::default();
    for _ in 0..runs {
        let o = runner.run(&tenantc(&["validate", "--repo", &repo_arg]))?;
        let warnings = o
            .stderr
            .lines()
            .filter(|l| l.starts_with("warning"))
            .count();
        println!(
            "  {} ({warnings} warnings) {}",
            fmt(o.sample.wall),
            summary(&o.stderr)
        );
        if validate.samples.len() + 1 == runs {
            timings.push(("validate".into(), timing_lines(&o.stderr)));
        }
        validate.push(o.sample);
    }

    // Full render into an empty out/.
    println!("\nfull render into an empty out/ (a new directory each run)");
    let mut full = Stat::default();
    for run in 1..=runs {
        let dir = work.join(format!("out-{run}"));
        sync();
        let o = runner.run(&tenantc(&[
            "render",
            "--repo",
            &repo_arg,
            "--out",
            &dir.to_string_lossy(),
        ]))?;
        println!("  {} {}", fmt(o.sample.wall), summary(&o.stderr));
        if full.samples.len() + 1 == runs {
            timings.push(("full render".into(), timing_lines(&o.stderr)));
        }
        full.push(o.sample);
    }
    let (out_files, out_bytes) = dir_size(&out);

    // cp -r of the result.
    println!(
        "\ncp -r of out/ ({out_files} files, {:.0} MiB) into a fresh directory",
        out_bytes as f64 / 1024.0 / 1024.0
    );
    let mut copy = Stat::default();
    for run in 1..=runs {
        sync();
        let o = runner.run(&Job::new("cp").args([
            OsString::from("-r"),
            out.clone().into_os_string(),
            work.join(format!("copy-{run}")).into_os_string(),
        ]))?;
        println!("  {}", fmt(o.sample.wall));
        copy.push(o.sample);
    }

    // Nothing changed.
    println!("\nre-render, nothing changed");
    let mut unchanged = Stat::default();
    for _ in 0..runs {
        sync();
        let o = runner.run(&tenantc(&[
            "render", "--repo", &repo_arg, "--out", &out_arg,
        ]))?;
        println!("  {} {}", fmt(o.sample.wall), summary(&o.stderr));
        if unchanged.samples.len() + 1 == runs {
            timings.push(("nothing changed".into(), timing_lines(&o.stderr)));
        }
        unchanged.push(o.sample);
    }

    // One tenant changed: its quota override, a different value each run.
    let probe = fleet.probe;
    let probe_name = fleet.tenants[probe].name.clone();
    println!("\nre-render, one tenant changed (`{probe_name}`: overrides.quota.pods)");
    let mut one = Stat::default();
    for run in 0..runs {
        let plan = &mut fleet.tenants[probe];
        if let Some(pods) = plan.overrides.quota.iter_mut().find(|(k, _)| *k == "pods") {
            // 65, 70, 75, ...: every value changes both environments' scaled quota.
            pods.1 = (65 + 5 * run).to_string();
        }
        let path = repo.join(&plan.path);
        std::fs::write(&path, generator::tenant_yaml(plan))
            .map_err(|e| format!("{}: {e}", path.display()))?;
        sync();
        let o = runner.run(&tenantc(&[
            "render", "--repo", &repo_arg, "--out", &out_arg,
        ]))?;
        println!("  {} {}", fmt(o.sample.wall), summary(&o.stderr));
        if one.samples.len() + 1 == runs {
            timings.push(("one tenant changed".into(), timing_lines(&o.stderr)));
        }
        one.push(o.sample);
    }

    // render --check as CI runs it on every push: a fresh checkout has no incremental cache
    // (out/.tenantc is git-ignored), so every tenant is rendered and compared with out/.
    println!(
        "\nrender --check of the up-to-date out/ without the incremental cache (CI on a fresh checkout)"
    );
    let mut check = Stat::default();
    for _ in 0..runs {
        remove(&out.join(".tenantc"));
        sync();
        let o = runner.run(&tenantc(&[
            "render", "--check", "--repo", &repo_arg, "--out", &out_arg,
        ]))?;
        println!("  {} {}", fmt(o.sample.wall), summary(&o.stderr));
        if check.samples.len() + 1 == runs {
            timings.push(("render --check".into(), timing_lines(&o.stderr)));
        }
        check.push(o.sample);
    }

    // cmp generate, as Argo CD's repo server runs it.
    let cmp_tenant = fleet.tenants[fleet.cmp].name.clone();
    let cmp_runs = (runs * 5).max(10);
    println!(
        "\ncmp generate for `{cmp_tenant}` (ARGOCD_APP_PARAMETERS, in the repository), {cmp_runs} runs"
    );
    let params = format!(r#"[{{"name":"tenant","string":"{cmp_tenant}"}}]"#);
    let cmp_job = |rss: bool| {
        let job = Job::new(TENANTC)
            .args(["cmp", "generate"])
            .cwd(&repo)
            .env("ARGOCD_APP_NAME", &format!("{cmp_tenant}-governance"))
            .env("ARGOCD_APP_NAMESPACE", "argocd")
            .env("ARGOCD_APP_PARAMETERS", &params)
            .stdout(&runner.scratch.join("cmp.yaml"));
        if rss { job } else { job.no_rss() }
    };
    let mut cmp = Stat::default();
    for _ in 0..cmp_runs {
        cmp.push(runner.run(&cmp_job(false))?.sample);
    }
    let cmp_rss = runner.run(&cmp_job(true))?.sample.rss;
    let cmp_bytes = std::fs::metadata(runner.scratch.join("cmp.yaml"))
        .map(|m| m.len())
        .unwrap_or(0);
    println!(
        "  median {}, best {} ({cmp_bytes} bytes of YAML){}",
        fmt(cmp.median()),
        fmt(cmp.best()),
        cmp_rss
            .map(|k| format!(", peak {}", mib(k)))
            .unwrap_or_default()
    );

    // kubectl kustomize on equivalent overlays.
    let kubectl = with_kustomize && command_output("kubectl", &["version", "--client"]).is_some();
    let mut kustomize_rows = Vec::new();
    let full_best = full.best().as_secs_f64();
    if kubectl {
        let root = work.join("kustomize");
        let start = Instant::now();
        let tree = kustomize::build(&out, &root)?;
        println!(
            "\nkustomize overlays: {} bases, {} tenants, {} files, {} patch operations, written in {}",
            tree.bases,
            tree.tenants.len(),
            tree.files,
            tree.patches,
            fmt(start.elapsed())
        );
        let names: Vec<&String> = tree.tenants.keys().collect();
        let n = names.len();
        let sample: Vec<&String> = (0..sample_size.min(n))
            .map(|i| names[i * n / sample_size.min(n)])
            .collect();
        println!(
            "kubectl kustomize, one process per tenant: {} tenants evenly spaced by name",
            sample.len()
        );
        let mut per_tenant = Stat::default();
        let mut equal = 0;
        let mut mismatch = Vec::new();
        let out_yaml = runner.scratch.join("kustomize.yaml");
        for name in &sample {
            let (dir, expected) = &tree.tenants[*name];
            let o = runner.run(
                &Job::new("kubectl")
                    .args([OsString::from("kustomize"), dir.clone().into_os_string()])
                    .stdout(&out_yaml)
                    .no_rss(),
            )?;
            per_tenant.push(o.sample);
            let text = std::fs::read_to_string(&out_yaml).unwrap_or_default();
            if kustomize::Checksum::of_stream(&text)? == *expected {
                equal += 1;
            } else {
                mismatch.push(name.as_str());
            }
        }
        let total: Duration = per_tenant.samples.iter().map(|s| s.wall).sum();
        let mean = total / per_tenant.samples.len() as u32;
        let extrapolated = mean.as_secs_f64() * n as f64;
        println!(
            "  {} for {} tenants: mean {} per tenant, median {}; × {n} tenants = {} (extrapolated)",
            fmt(total),
            sample.len(),
            fmt(mean),
            fmt(per_tenant.median()),
            fmt(Duration::from_secs_f64(extrapolated))
        );
        println!(
            "  output equals tenantc's kubernetes/ objects for {equal} of {} tenants{}",
            sample.len(),
            if mismatch.is_empty() {
                String::new()
            } else {
                format!(" (differs: {})", mismatch.join(", "))
            }
        );
        // One process over the fleet. kustomize's build time grows faster than linearly with
        // the number of objects (about 4x per doubling), so a 10,000-tenant build would take
        // days: build the first 25, 50, 100, ... tenants (by name), doubling while the
        // predicted next build fits the time budget, up to the whole fleet.
        println!(
            "kubectl kustomize, one process over the fleet: first 25, 50, 100, ... tenants by name, \
             while the next build fits the budget of {} s",
            budget.as_secs()
        );
        let fleet_yaml = work.join("kustomize-fleet.yaml");
        let mut points: Vec<(usize, Duration)> = Vec::new();
        let mut spent = Duration::ZERO;
        let mut size = 25.min(n);
        loop {
            let subset = &names[..size];
            let dir = tree.fleet_kustomization(subset)?;
            let o = runner.run(
                &Job::new("kubectl")
                    .args([OsString::from("kustomize"), dir.into_os_string()])
                    .stdout(&fleet_yaml),
            )?;
            let text = std::fs::read_to_string(&fleet_yaml).unwrap_or_default();
            let got = kustomize::Checksum::of_stream(&text)?;
            drop(text);
            let mut expected = kustomize::Checksum::default();
            for name in subset {
                expected.merge(tree.tenants[*name].1);
            }
            println!(
                "  {size} tenants: {} ({} per tenant){}; {} objects, {}",
                fmt(o.sample.wall),
                fmt(o.sample.wall / size as u32),
                o.sample
                    .rss
                    .map(|k| format!(", peak {}", mib(k)))
                    .unwrap_or_default(),
                got.count,
                if got == expected {
                    "equal to tenantc's kubernetes/ objects".to_string()
                } else {
                    format!("NOT equal to tenantc's ({} objects)", expected.count)
                }
            );
            spent += o.sample.wall;
            points.push((size, o.sample.wall));
            if size == n {
                break;
            }
            let next = (size * 2).min(n);
            let predicted =
                o.sample.wall.as_secs_f64() * (next as f64 / size as f64).powf(growth(&points));
            if spent.as_secs_f64() + predicted > budget.as_secs_f64() {
                println!(
                    "  stopped: {next} tenants would take about {} (budget left: {})",
                    fmt(Duration::from_secs_f64(predicted)),
                    fmt(budget.saturating_sub(spent))
                );
                break;
            }
            size = next;
        }
        let _ = std::fs::remove_file(&fleet_yaml);
        let (largest, took) = *points.last().expect("at least one build");
        // Lower bound for the fleet: per-tenant cost never falls as the build grows.
        let lower = took.as_secs_f64() * n as f64 / largest as f64;
        let fleet_value = if largest == n {
            fmt(took)
        } else {
            let k = growth(&points);
            let power = took.as_secs_f64() * (n as f64 / largest as f64).powf(k);
            println!(
                "  growth exponent {k:.2} (time ∝ tenants^k); {n} tenants: ≥ {} (linear from {largest}), about {} (power law)",
                fmt(Duration::from_secs_f64(lower)),
                fmt(Duration::from_secs_f64(power)),
            );
            format!(
                "≥ {} ({largest} took {}; × {n}/{largest})",
                fmt(Duration::from_secs_f64(lower)),
                fmt(took)
            )
        };
        kustomize_rows.push(row(
            format!(
                "kubectl kustomize per tenant ({} sampled, × {n})",
                sample.len()
            ),
            fmt(Duration::from_secs_f64(extrapolated)),
        ));
        kustomize_rows.push(ratio_row(
            "  kustomize per tenant / full render",
            extrapolated / full_best,
            "≥ 20x",
            extrapolated / full_best >= 20.0,
        ));
        kustomize_rows.push(row("kubectl kustomize over the fleet", fleet_value));
        let fleet_ratio = lower / full_best;
        kustomize_rows.push(Row {
            value: format!("{}{fleet_ratio:.2}x", if largest == n { "" } else { "≥ " }),
            ..ratio_row(
                "  kustomize over the fleet / full render",
                fleet_ratio,
                "≥ 20x",
                fleet_ratio >= 20.0,
            )
        });
    } else {
        println!("\nkubectl kustomize: skipped (TENANTC_BENCH_KUSTOMIZE=0 or no kubectl)");
    }

    // Helm's template engine, in process, on an equivalent chart.
    let helm_rows = if with_helm {
        helm_baseline(&runner, &work, &out, full_best, helm_sample, helm_budget).unwrap_or_else(
            |reason| {
                println!("\nHelm template engine: skipped: {reason}");
                vec![row(
                    "Helm template engine (helm-python-sdk)",
                    format!("not measured: {reason}"),
                )]
            },
        )
    } else {
        println!("\nHelm template engine: skipped (TENANTC_BENCH_HELM=0)");
        Vec::new()
    };

    // Scaling.
    let mut scaling_rows = Vec::new();
    if scaling {
        println!("\nscaling: full render into an empty out/");
        let per = |d: Duration, n: usize| d.as_secs_f64() * 1e6 / n as f64;
        let base_per = per(full.best(), tenants);
        // (tenants, best full render, cp -r of its output) per size.
        let mut points = vec![(tenants, full.best(), copy.best())];
        for size in [1_000, tenants, 100_000] {
            if size == tenants {
                scaling_rows.push(row(
                    format!("full render, {size} tenants"),
                    format!(
                        "{} ({:.0} µs/tenant, 1.00x); cp -r {} ({:.2}x of it)",
                        fmt(full.best()),
                        base_per,
                        fmt(copy.best()),
                        full.best().as_secs_f64() / copy.best().as_secs_f64()
                    ),
                ));
                continue;
            }
            let dir = work.join(format!("fleet-{size}"));
            generate(size, &dir)?;
            // The largest fleet twice (a single run on a shared machine measures the
            // neighbours as much as tenantc); smaller ones like the main measurement.
            let size_runs = if size > tenants { runs.min(2) } else { runs };
            let mut stat = Stat::default();
            for run in 1..=size_runs {
                sync();
                let o = runner.run(&tenantc(&[
                    "render",
                    "--repo",
                    &dir.to_string_lossy(),
                    "--out",
                    &dir.join(format!("out-{run}")).to_string_lossy(),
                ]))?;
                println!(
                    "  {size} tenants: {}{} {}",
                    fmt(o.sample.wall),
                    o.sample
                        .rss
                        .map(|k| format!(", peak {}", mib(k)))
                        .unwrap_or_default(),
                    summary(&o.stderr)
                );
                stat.push(o.sample);
            }
            // The copy floor at this size too: whether a larger tree costs more per file to
            // write at all, or only for tenantc.
            sync();
            let copied = runner.run(&Job::new("cp").args([
                OsString::from("-r"),
                dir.join("out-1").into_os_string(),
                dir.join("copy").into_os_string(),
            ]))?;
            println!(
                "  {size} tenants: cp -r of out/ {}",
                fmt(copied.sample.wall)
            );
            points.push((size, stat.best(), copied.sample.wall));
            let p = per(stat.best(), size);
            scaling_rows.push(row(
                format!(
                    "full render, {size} tenants ({})",
                    if size_runs == 1 { "1 run" } else { "best" }
                ),
                format!(
                    "{} ({p:.0} µs/tenant, {:.2}x){}; cp -r {} ({:.2}x of it)",
                    fmt(stat.best()),
                    p / base_per,
                    stat.rss()
                        .map(|k| format!(", peak {}", mib(k)))
                        .unwrap_or_default(),
                    fmt(copied.sample.wall),
                    stat.best().as_secs_f64() / copied.sample.wall.as_secs_f64()
                ),
            ));
        }
        scaling_rows.sort_by_key(|r| {
            r.what
                .split_whitespace()
                .nth(2)
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0)
        });
        // Linear growth: from the smallest to the largest fleet, the cost per tenant of a
        // render grows no more than the cost per file of `cp -r` of the same trees (the file
        // system's own growth), give or take 10%, or stays within 20%.
        points.sort_by_key(|p| p.0);
        if let (Some(&(small, render_small, cp_small)), Some(&(large, render_large, cp_large))) =
            (points.first(), points.last())
            && large > small
        {
            let grew = |a: Duration, b: Duration| {
                (b.as_secs_f64() / large as f64) / (a.as_secs_f64() / small as f64)
            };
            let render_growth = grew(render_small, render_large);
            let cp_growth = grew(cp_small, cp_large);
            scaling_rows.push(Row {
                value: format!("per tenant ×{render_growth:.2}; cp -r per tenant ×{cp_growth:.2}"),
                ..ratio_row(
                    &format!("  growth from {small} to {large} tenants"),
                    render_growth,
                    "linear",
                    render_growth <= (1.1 * cp_growth).max(1.2),
                )
            });
        }
    }

    // The table. The best of the runs is the headline (on a shared machine the slower runs
    // measure the neighbours); the median is shown beside it.
    let both = |s: &Stat| format!("{} (median {})", fmt(s.best()), fmt(s.median()));
    let full_s = full.best().as_secs_f64();
    let mut rows = vec![
        row(format!("full render, {tenants} tenants"), both(&full)),
        row(format!("cp -r of out/ ({out_files} files)"), both(&copy)),
    ];
    let r = full_s / copy.best().as_secs_f64();
    rows.push(ratio_row("  full render / cp -r", r, "≤ 2x", r <= 2.0));
    rows.push(row("re-render, nothing changed", both(&unchanged)));
    let r = unchanged.best().as_secs_f64() / full_s;
    rows.push(ratio_row(
        "  nothing changed / full render",
        r,
        "≤ 0.2x",
        r <= 0.2,
    ));
    rows.push(row("re-render, one tenant changed", both(&one)));
    let r = one.best().as_secs_f64() / full_s;
    rows.push(ratio_row(
        "  one changed / full render",
        r,
        "≤ 0.25x",
        r <= 0.25,
    ));
    rows.push(row(
        "render --check, no incremental cache (CI)",
        both(&check),
    ));
    rows.push(Row {
        what: "validate".into(),
        value: both(&validate),
        target: "< 1 s".into(),
        verdict: Some(validate.best() < Duration::from_secs(1)),
    });
    rows.push(Row {
        what: format!("cmp generate, one tenant ({cmp_runs} runs)"),
        value: both(&cmp),
        target: "< 20 ms".into(),
        verdict: Some(cmp.best() < Duration::from_millis(20)),
    });
    let peaks = [
        ("full render", full.rss()),
        ("nothing changed", unchanged.rss()),
        ("one changed", one.rss()),
        ("render --check", check.rss()),
        ("validate", validate.rss()),
        ("cmp generate", cmp_rss),
    ];
    if let Some(peak) = peaks.iter().filter_map(|(_, k)| *k).max() {
        let mut detail = String::new();
        for (what, k) in peaks {
            if let Some(k) = k {
                let _ = write!(
                    detail,
                    "{}{what} {}",
                    if detail.is_empty() { "" } else { ", " },
                    mib(k)
                );
            }
        }
        rows.push(Row {
            what: "peak memory (max RSS of any tenantc run)".into(),
            value: mib(peak),
            target: "< 256 MiB".into(),
            verdict: Some(peak < 256 * 1024),
        });
        println!("\npeak memory: {detail}");
    }
    rows.extend(kustomize_rows);
    rows.extend(helm_rows);
    rows.extend(scaling_rows);
    if timings.iter().any(|(_, t)| !t.is_empty()) {
        println!("\nstage timings of the last run of each (TENANTC_TIMINGS=1):");
        for (what, t) in timings.iter().filter(|(_, t)| !t.is_empty()) {
            println!("  {what}:\n    {t}");
        }
    }
    println!("\nrun of all tenantc measurements: {}", {
        let all = [
            ("full", &full),
            ("cp", &copy),
            ("unchanged", &unchanged),
            ("one", &one),
            ("check", &check),
            ("validate", &validate),
        ];
        all.iter()
            .map(|(k, s)| format!("{k} [{}]", s.all()))
            .collect::<Vec<_>>()
            .join("; ")
    });
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "\nload average at the end: {}",
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    print_table(
        &format!("results ({tenants} tenants; best of {runs} runs unless noted, median beside it)"),
        &rows,
    );
    if keep {
        println!("\nkept {}", work.display());
    } else {
        remove(&work);
    }
    Ok(())
}
