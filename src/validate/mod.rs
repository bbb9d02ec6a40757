//! Checks every document against the JSON Schema of its kind, deserializes it into the typed
//! model, and checks what the schema cannot: file names, duplicate names, label syntax.
//!
//! Reads no files (load did). Checks of a tier's spec run on merged specs, from `resolve`,
//! through [`spec::check_spec`], because a tenant's overrides can change any of it.

mod schema;
pub mod spec;

pub use schema::Kind;

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::load::{Document, Loaded};
use crate::model::{Platform, Tenant, Tier};
use serde::de::DeserializeOwned;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The platform document after validation.
#[derive(Debug, Clone, Default)]
pub struct ValidPlatform {
    /// Its file, when the repository has one.
    pub file: Option<String>,
    /// The typed document (defaults when absent).
    pub platform: Platform,
}

/// A tier after validation: its typed form and its raw spec for merging.
#[derive(Debug, Clone)]
pub struct ValidTier {
    /// The file it came from.
    pub file: String,
    /// The typed document.
    pub tier: Tier,
    /// The `spec` exactly as written, merged over the platform's tier defaults by `resolve`.
    pub spec: Arc<serde_json::Value>,
}

/// A tenant after validation.
#[derive(Debug, Clone)]
pub struct ValidTenant {
    /// The file it came from.
    pub file: String,
    /// The typed document.
    pub tenant: Tenant,
}

/// The output of `validate`: the documents that passed, by name.
#[derive(Debug, Clone, Default)]
pub struct Validated {
    /// The platform settings.
    pub platform: ValidPlatform,
    /// The valid tiers, by name.
    pub tiers: BTreeMap<String, ValidTier>,
    /// The valid tenants, sorted by name.
    pub tenants: Vec<ValidTenant>,
    /// The names of all tier files, valid or not.
    pub tier_names: std::collections::BTreeSet<String>,
}

/// Validates everything `load` read.
///
/// Reports E0201–E0208 and E0214–E0215 for tenant labels; documents with errors are left
/// out of the result so later stages see only well-formed input.
pub fn validate(loaded: &Loaded, diags: &mut Diagnostics) -> Validated {
    let mut out = Validated {
        tier_names: loaded
            .tier_paths
            .iter()
            .map(|p| file_stem(p).to_string())
            .collect(),
        ..Validated::default()
    };
    if let Some(doc) = &loaded.platform
        && let Some(platform) = typed::<Platform>(Kind::Platform, doc, diags)
    {
        out.platform = ValidPlatform {
            file: Some(doc.file.path.clone()),
            platform,
        };
    }
    let tiers: Vec<_> = loaded
        .tiers
        .iter()
        .filter_map(|doc| Some((doc, typed::<Tier>(Kind::Tier, doc, diags)?)))
        .collect();
    for (doc, tier) in tiers {
        let name = tier.metadata.name.clone();
        if !check_file_name(doc, &name, diags) {
            continue;
        }
        let spec = Arc::new(
            doc.value
                .get("spec")
                .cloned()
                .unwrap_or(serde_json::Value::Null),
        );
        let valid = ValidTier {
            file: doc.file.path.clone(),
            tier,
            spec,
        };
        insert_unique(&mut out.tiers, name, valid, |t| &t.file, diags);
    }
    let found: Vec<Option<Tenant>> = {
        use rayon::prelude::*;
        let results: Vec<(Option<Tenant>, Vec<Diagnostic>)> = loaded
            .tenants
            .par_iter()
            .map(|doc| {
                let mut local = Diagnostics::default();
                let tenant = typed::<Tenant>(Kind::Tenant, doc, &mut local)
                    .filter(|t| check_file_name(doc, &t.metadata.name, &mut local))
                    .filter(|t| check_tenant(&doc.file.path, t, &mut local));
                (tenant, local.into_iter().collect())
            })
            .collect();
        results
            .into_iter()
            .map(|(t, d)| {
                diags.extend(d);
                t
            })
            .collect()
    };
    let mut tenants = BTreeMap::new();
    for (doc, tenant) in loaded.tenants.iter().zip(found) {
        if let Some(tenant) = tenant {
            let valid = ValidTenant {
                file: doc.file.path.clone(),
                tenant,
            };
            insert_unique(
                &mut tenants,
                valid.tenant.metadata.name.clone(),
                valid,
                |t| &t.file,
                diags,
            );
        }
    }
    out.tenants = tenants.into_values().collect();
    out
}

/// Schema-checks a document and deserializes it; `None` (with diagnostics) when invalid.
fn typed<T: DeserializeOwned>(kind: Kind, doc: &Document, diags: &mut Diagnostics) -> Option<T> {
    let file = doc.file.path.as_str();
    if let Some(found) = doc.value.get("kind").and_then(|k| k.as_str())
        && found != kind.name()
        && ["Platform", "Tier", "Tenant"].contains(&found)
    {
        diags.push(
            Diagnostic::new(
                codes::WRONG_KIND,
                format!("a `{found}` document where a `{}` belongs", kind.name()),
            )
            .at(Label::value(
                file,
                "/kind",
                format!("expected `{}`", kind.name()),
            ))
            .help(match kind {
                Kind::Tier => "tiers live in `tiers/`; move the file to `tenants/`",
                Kind::Tenant => "tenants live in `tenants/`; move the file to `tiers/`",
                Kind::Platform => "`platform.yaml` holds the `Platform` document",
            }),
        );
        return None;
    }
    let errors = schema::check(kind, file, &doc.value);
    if !errors.is_empty() {
        diags.extend(errors);
        return None;
    }
    match serde_json::from_value(doc.value.clone()) {
        Ok(t) => Some(t),
        Err(e) => {
            diags.push(
                Diagnostic::new(
                    codes::WRONG_TYPE,
                    format!("the document does not match its kind: {e}"),
                )
                .at(Label::file(file, "")),
            );
            None
        }
    }
}

/// `acme` for `tenants/x/acme.yaml`.
fn file_stem(path: &str) -> &str {
    let name = path.rsplit('/').next().unwrap_or(path);
    name.strip_suffix(".yaml").unwrap_or(name)
}

/// A tenant or tier file must be named after its document: `<name>.yaml`.
fn check_file_name(doc: &Document, name: &str, diags: &mut Diagnostics) -> bool {
    let path = doc.file.path.as_str();
    let stem = path
        .rsplit('/')
        .next()
        .unwrap_or(path)
        .trim_end_matches(".yaml");
    if stem == name {
        return true;
    }
    diags.push(
        Diagnostic::new(
            codes::NAME_MISMATCH,
            format!("`metadata.name` is `{name}` but the file is named `{stem}.yaml`"),
        )
        .at(Label::value(
            path,
            "/metadata/name",
            format!("expected `{stem}`"),
        ))
        .help(format!(
            "rename the file to `{name}.yaml` or the document to `{stem}`"
        )),
    );
    false
}

fn insert_unique<T>(
    into: &mut BTreeMap<String, T>,
    name: String,
    value: T,
    file: impl Fn(&T) -> &String,
    diags: &mut Diagnostics,
) {
    if let Some(existing) = into.get(&name) {
        diags.push(
            Diagnostic::new(codes::DUPLICATE_NAME, format!("`{name}` is defined twice"))
                .at(Label::value(
                    file(&value),
                    "/metadata/name",
                    "second definition",
                ))
                .note(
                    "first defined here",
                    Some(Label::value(file(existing), "/metadata/name", "")),
                ),
        );
        return;
    }
    into.insert(name, value);
}

/// Checks of a tenant that the schema cannot express.
fn check_tenant(file: &str, tenant: &Tenant, diags: &mut Diagnostics) -> bool {
    let here = |p: &str| (file.to_string(), p.to_string());
    spec::check_labels("/spec/labels", &tenant.spec.labels, &here, diags);
    for key in tenant.spec.labels.keys() {
        if let Some(prefix) = reserved_prefix(key) {
            diags.push(
                Diagnostic::new(
                    codes::INVALID_LABEL_KEY,
                    format!("label `{key}` uses the reserved prefix `{prefix}`"),
                )
                .at(Label::key(
                    file,
                    format!("/spec/labels/{}", spec::escape(key)),
                    "set by tenantc or Kubernetes, not by tenants",
                ))
                .help("choose a key of your own, such as `team`"),
            );
        }
    }
    if let Some(envs) = &tenant.spec.environments {
        let mut seen = std::collections::BTreeSet::new();
        for (i, env) in envs.iter().enumerate() {
            if !seen.insert(env) {
                diags.push(
                    Diagnostic::new(
                        codes::DUPLICATE_ENVIRONMENT,
                        format!("environment `{env}` is listed twice"),
                    )
                    .at(Label::value(
                        file,
                        format!("/spec/environments/{i}"),
                        "listed again here",
                    )),
                );
            }
        }
    }
    let mut apps = std::collections::BTreeSet::new();
    for (i, app) in tenant.spec.gitops.apps.iter().enumerate() {
        if !apps.insert(&app.name) {
            diags.push(
                Diagnostic::new(
                    codes::DUPLICATE_RULE,
                    format!("app `{}` is listed twice", app.name),
                )
                .at(Label::value(
                    file,
                    format!("/spec/gitops/apps/{i}/name"),
                    "second app with this name",
                )),
            );
        }
    }
    if let Some(network) = &tenant.spec.network {
        spec::check_cidr(file, "/spec/network/podCidr", &network.pod_cidr, diags);
        spec::check_cidr(
            file,
            "/spec/network/serviceCidr",
            &network.service_cidr,
            diags,
        );
    }
    !diags.has_errors()
}

/// Label prefixes a tenant may not set: tenantc's own, Pod Security's and Kubernetes'.
fn reserved_prefix(key: &str) -> Option<&'static str> {
    let prefix = key.rsplit_once('/')?.0;
    [
        "tenantc.dev",
        "pod-security.kubernetes.io",
        "kubernetes.io",
        "k8s.io",
    ]
    .into_iter()
    .find(|reserved| prefix == *reserved)
}
