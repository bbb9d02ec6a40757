//! `tenantc cmp generate`: the Argo CD Config Management Plugin entry point.
//!
//! Argo CD's repo server runs it in the Application's source directory with the plugin
//! parameters in the environment and stdin closed. It prints one tenant's objects as a YAML
//! stream on stdout, byte-identical to the files in `out/`. On any error it prints nothing on
//! stdout and exits non-zero: an empty or partial stream with auto-prune would delete the
//! tenant's resources.

use super::args::CmpArgs;
use super::{Outcome, fail, print_stdout, report};
use crate::render::tenant_dir;
use std::collections::BTreeMap;

/// Which of a tenant's files to print.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Part {
    /// `tenants/<t>/kubernetes/*.yaml`: namespaces and governance.
    Kubernetes,
    /// `tenants/<t>/cluster.yaml`: the tenant's own cluster (cluster isolation).
    Cluster,
    /// `tenants/<t>/argocd.yaml`: AppProject and Applications.
    Argocd,
    /// All of the tenant's files.
    All,
}

impl Part {
    fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "kubernetes" => Part::Kubernetes,
            "cluster" => Part::Cluster,
            "argocd" => Part::Argocd,
            "all" => Part::All,
            _ => return None,
        })
    }

    fn selects(self, relative: &str) -> bool {
        match self {
            Part::Kubernetes => relative.starts_with("kubernetes/"),
            Part::Cluster => relative == "cluster.yaml",
            Part::Argocd => relative == "argocd.yaml",
            Part::All => true,
        }
    }
}

/// The plugin's inputs, from flags, then `ARGOCD_APP_PARAMETERS`, then `PARAM_*`, then
/// `ARGOCD_ENV_*`, then what the Application's name implies.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Request {
    /// The tenant.
    pub tenant: Option<String>,
    /// The part, as given.
    pub part: Option<String>,
}

/// Reads the request from `env` (a snapshot of the environment).
pub fn request(env: &BTreeMap<String, String>, args: &CmpArgs) -> Result<Request, String> {
    let mut request = Request {
        tenant: args.tenant.clone(),
        part: args.part.clone(),
    };
    if let Some(json) = env
        .get("ARGOCD_APP_PARAMETERS")
        .filter(|j| !j.trim().is_empty())
    {
        let params: Vec<serde_json::Value> = serde_json::from_str(json)
            .map_err(|e| format!("ARGOCD_APP_PARAMETERS is not a JSON list: {e}"))?;
        for param in params {
            let name = param
                .get("name")
                .and_then(|n| n.as_str())
                .unwrap_or_default();
            let string = param
                .get("string")
                .and_then(|s| s.as_str())
                .map(str::to_owned);
            let first = param
                .get("array")
                .and_then(|a| a.as_array())
                .and_then(|a| a.first())
                .and_then(|v| v.as_str())
                .map(str::to_owned);
            let value = string.or(first);
            match name {
                "tenant" => request.tenant = request.tenant.or(value),
                "part" | "parts" => request.part = request.part.or(value),
                _ => {}
            }
        }
    }
    let from_env = |keys: &[&str]| {
        keys.iter()
            .find_map(|k| env.get(*k).filter(|v| !v.is_empty()).cloned())
    };
    request.tenant = request
        .tenant
        .or_else(|| from_env(&["PARAM_TENANT", "ARGOCD_ENV_TENANT"]));
    request.part = request
        .part
        .or_else(|| from_env(&["PARAM_PART", "PARAM_PARTS_0", "ARGOCD_ENV_PART"]));
    // An Application named `<tenant>-governance` or `<tenant>-cluster` implies both.
    if let Some(app) = env.get("ARGOCD_APP_NAME") {
        for (suffix, part) in [("-governance", "kubernetes"), ("-cluster", "cluster")] {
            if let Some(tenant) = app.strip_suffix(suffix) {
                request.tenant = request.tenant.or_else(|| Some(tenant.to_string()));
                request.part = request.part.or_else(|| Some(part.to_string()));
            }
        }
    }
    Ok(request)
}

/// Runs `cmp generate`.
pub fn run(args: &CmpArgs) -> Outcome {
    let env: BTreeMap<String, String> = std::env::vars().collect();
    let request = match request(&env, args) {
        Ok(r) => r,
        Err(e) => return fail(&e),
    };
    let Some(tenant) = request.tenant else {
        return fail(
            "no tenant given: set the plugin parameter `tenant` (or name the Application `<tenant>-governance`)",
        );
    };
    let part_text = request.part.unwrap_or_else(|| "all".into());
    let Some(part) = Part::parse(&part_text) else {
        return fail(&format!(
            "unknown part `{part_text}`: expected kubernetes, cluster, argocd or all"
        ));
    };
    let rendered = match crate::pipeline::render_tenant(&args.repo, &tenant) {
        Ok(Some(r)) => r,
        Ok(None) => {
            return fail(&format!(
                "no tenant `{tenant}`: no tenants/**/{tenant}.yaml in `{}`",
                args.repo.display()
            ));
        }
        Err(e) => return fail(&format!("cannot read `{}`: {e}", args.repo.display())),
    };
    let (compiled, tree) = rendered;
    let Some(tree) = tree else {
        report(
            compiled.diagnostics,
            &compiled.sources,
            super::DiagnosticFormat::Human,
            false,
        );
        return Outcome::Findings;
    };
    report(
        compiled.diagnostics,
        &compiled.sources,
        super::DiagnosticFormat::Human,
        false,
    );
    let prefix = format!("{}/", tenant_dir(&tenant));
    let files = crate::emit::serialize(&tree);
    let selected: Vec<&String> = files
        .iter()
        .filter(|(path, _)| {
            path.strip_prefix(&prefix)
                .is_some_and(|rest| part.selects(rest))
        })
        .map(|(_, content)| content)
        .collect();
    if selected.is_empty() {
        return fail(&format!(
            "tenant `{tenant}` has no `{part_text}` objects; refusing to print an empty stream"
        ));
    }
    let mut stream = String::new();
    for (i, content) in selected.iter().enumerate() {
        if i > 0 {
            stream.push_str("---\n");
        }
        stream.push_str(content);
    }
    print_stdout(&stream);
    Outcome::Success
}
