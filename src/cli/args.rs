//! Every command and flag, with its help text.

use clap::{Parser, Subcommand, ValueEnum};
use std::path::PathBuf;

/// Compiles a GitOps repository of tenants and tiers into multi-tenant Kubernetes manifests.
#[derive(Debug, Parser)]
#[command(name = "tenantc", version, about, max_term_width = 100)]
pub struct Args {
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check every tenant, tier and platform file; print located diagnostics.
    Validate(ValidateArgs),
    /// Render the output tree into `out/` (or check that it is up to date).
    Render(RenderArgs),
    /// Write the JSON Schemas of the input kinds (for editors and CI).
    Schema(SchemaArgs),
    /// Show per tenant and per object what a change does to the rendered output, flagging
    /// destructive changes.
    Diff(DiffArgs),
    /// Argo CD Config Management Plugin commands.
    #[command(subcommand)]
    Cmp(CmpCommand),
}

/// The plugin commands Argo CD's repo server runs.
#[derive(Debug, Subcommand)]
pub enum CmpCommand {
    /// Print one tenant's objects as a YAML stream, exactly as in `out/` (nothing on stdout on
    /// any error).
    Generate(CmpArgs),
}

/// Arguments of `cmp generate`; Argo CD passes them as plugin parameters in the environment
/// (`ARGOCD_APP_PARAMETERS`, `PARAM_TENANT`, `PARAM_PART`, `ARGOCD_ENV_TENANT`, …).
#[derive(Debug, clap::Args)]
pub struct CmpArgs {
    /// The platform repository (default: the current directory, where Argo CD runs the plugin).
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// The tenant (overrides the plugin parameter).
    #[arg(long, value_name = "NAME")]
    pub tenant: Option<String>,
    /// kubernetes, cluster, argocd or all (overrides the plugin parameter; default all).
    #[arg(long, value_name = "PART")]
    pub part: Option<String>,
}

/// Where the platform repository is.
#[derive(Debug, clap::Args)]
pub struct RepoArgs {
    /// The platform repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// How diagnostics are printed.
    #[arg(long, value_enum, default_value_t = DiagnosticFormat::Human)]
    pub format: DiagnosticFormat,
}

/// Arguments of `validate`.
#[derive(Debug, clap::Args)]
pub struct ValidateArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
}

/// Arguments of `render`.
#[derive(Debug, clap::Args)]
pub struct RenderArgs {
    #[command(flatten)]
    pub repo: RepoArgs,
    /// The output directory (default: `out` inside the repository).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Render only this tenant (repeatable); other tenants' files are left as they are.
    #[arg(long = "tenant", value_name = "NAME")]
    pub tenants: Vec<String>,
    /// Write nothing; exit 1 and print the difference when the output is not up to date.
    #[arg(long)]
    pub check: bool,
    /// Worker threads (default: one per core). Output is identical for any value.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u16).range(1..=256))]
    pub jobs: Option<u16>,
}

/// Arguments of `schema`.
#[derive(Debug, clap::Args)]
pub struct SchemaArgs {
    /// The platform repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Where to write the schemas (default: `schemas` inside the repository).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write nothing; exit 1 when the schemas on disk are stale.
    #[arg(long)]
    pub check: bool,
}

/// Diagnostic output formats.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiagnosticFormat {
    /// Text with source snippets, on stderr.
    Human,
    /// A JSON array (on stdout for `validate`, stderr otherwise).
    Json,
    /// GitHub Actions annotations (on stdout for `validate`, stderr otherwise).
    Github,
}

/// Arguments of `diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The platform repository.
    #[arg(long, value_name = "DIR", default_value = ".")]
    pub repo: PathBuf,
    /// Compare with the inputs at this git revision, read from git and rendered in memory
    /// [default: HEAD].
    #[arg(long, value_name = "GIT-REF", conflicts_with = "against")]
    pub base: Option<String>,
    /// Compare with a directory of rendered output instead, such as a committed `out/`.
    #[arg(long, value_name = "DIR")]
    pub against: Option<PathBuf>,
    /// How the diff is printed on stdout.
    #[arg(long, value_enum, default_value_t = DiffFormat::Unified)]
    pub format: DiffFormat,
    /// Exit 1 when anything differs.
    #[arg(long)]
    pub exit_code: bool,
    /// Exit 1 when a change is destructive: a tenant or namespace removed while not
    /// decommissioned, a changed isolation level or cluster CIDR, a node pool replaced.
    #[arg(long)]
    pub deny_destructive: bool,
}

/// Output formats of `diff`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DiffFormat {
    /// Unified diffs per object, coloured on a terminal (unless NO_COLOR is set).
    Unified,
    /// A pull-request comment: summary table, then a collapsible section per tenant.
    Markdown,
    /// One JSON document.
    Json,
}
