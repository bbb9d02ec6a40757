//! Merges platform defaults, a tier and a tenant into one resolved tenant, and fans it out
//! into one namespace per environment with its share of the quota.
//!
//! Owns the merge order (platform `tierDefaults` → tier → tenant `overrides` → tenant
//! fields) and provenance: every value of a merged spec can say which file and line set it.
//! Cross-tenant rules belong to `check`.

pub mod cluster;
mod merge;
pub mod names;
mod templates;

pub use merge::{BUILT_IN, Layer, merge, merge_layers, origin};
pub use templates::{PlatformTemplates, TenantContext, first_line, sandboxed_environment};

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::{
    Labels, Platform, PodSecurityLevel, Quantity, ResourceUnit, Share, Tenant, TierSpec,
    is_dns_label, label_key_problem, label_value_problem,
};
use crate::validate::spec::{check_spec, escape};
use crate::validate::{ValidTier, Validated};
use rayon::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A merged tier spec, with the layers it was merged from.
#[derive(Debug)]
pub struct Profile {
    /// The merged spec.
    pub spec: TierSpec,
    /// The layers, bottom first, for provenance.
    pub layers: Vec<Layer>,
    /// The quota, parsed.
    pub quota: BTreeMap<String, Quantity>,
}

impl Profile {
    /// The file and pointer that set the value at `pointer` of the merged spec.
    pub fn origin(&self, pointer: &str) -> (String, String) {
        origin(&self.layers, pointer)
    }

    /// A label at the origin of `pointer`.
    pub fn label(&self, pointer: &str, message: impl Into<String>) -> Label {
        let (file, at) = self.origin(pointer);
        Label::value(&file, at, message)
    }
}

/// One environment of a tenant: one namespace.
#[derive(Debug, Clone, PartialEq)]
pub struct ResolvedEnvironment {
    /// The environment's name; `None` for the single namespace of a tier without environments.
    pub name: Option<String>,
    /// The namespace name.
    pub namespace: String,
    /// The share of the quota.
    pub share: Share,
    /// The Pod Security level.
    pub pod_security: PodSecurityLevel,
    /// The ResourceQuota's `hard`, scaled by the share and formatted.
    pub quota: BTreeMap<String, String>,
    /// Governance labels from platform.yaml, rendered.
    pub governance_labels: Labels,
    /// Governance annotations from platform.yaml, rendered.
    pub governance_annotations: BTreeMap<String, String>,
}

/// A tenant with everything it inherits resolved.
#[derive(Debug, Clone)]
pub struct ResolvedTenant {
    /// The tenant's name.
    pub name: String,
    /// The file it came from.
    pub file: String,
    /// The tenant document.
    pub tenant: Tenant,
    /// The merged profile (shared with the tier when the tenant overrides nothing).
    pub profile: Arc<Profile>,
    /// Its namespaces, in the tier's environment order.
    pub environments: Vec<ResolvedEnvironment>,
}

/// The output of `resolve`.
#[derive(Debug, Default)]
pub struct Resolved {
    /// The platform settings.
    pub platform: Platform,
    /// The platform file, when there is one.
    pub platform_file: Option<String>,
    /// Every valid tier's merged profile, by name.
    pub tiers: BTreeMap<String, Arc<Profile>>,
    /// The tiers' files, by name.
    pub tier_files: BTreeMap<String, String>,
    /// The resolved tenants, sorted by name.
    pub tenants: Vec<ResolvedTenant>,
}

impl Resolved {
    /// Frees the tenants on every thread: one by one, freeing a fleet of ten thousand is a
    /// noticeable part of a command that has nothing left to do.
    pub fn free(self) {
        self.tenants.into_par_iter().for_each(drop);
    }
}

const NAMESPACE_TEMPLATE: &str = "/spec/naming/namespaceTemplate";
const SINGLE_NAMESPACE_TEMPLATE: &str = "/spec/naming/singleNamespaceTemplate";

/// Resolves every valid tier and every tenant whose tier exists.
///
/// Reports E0301 for an unknown tier and carries on, so one run lists every bad reference;
/// also E0302–E0307 and, through `check_spec`, the spec checks E0213–E0224.
pub fn resolve(input: Validated, diags: &mut Diagnostics) -> Resolved {
    let platform = &input.platform.platform;
    let platform_file = input
        .platform
        .file
        .clone()
        .unwrap_or_else(|| BUILT_IN.to_string());
    let templates = compile_templates(platform, &platform_file, diags);
    let defaults = (!platform.spec.tier_defaults.is_null()).then(|| Layer {
        file: platform_file.clone(),
        base: "/spec/tierDefaults".into(),
        value: Arc::new(platform.spec.tier_defaults.clone()),
    });
    let mut tiers = BTreeMap::new();
    let mut tier_files = BTreeMap::new();
    for (name, tier) in &input.tiers {
        let layers: Vec<Layer> = defaults.iter().cloned().chain([tier_layer(tier)]).collect();
        tier_files.insert(name.clone(), tier.file.clone());
        if let Some(profile) = build_profile(layers, diags) {
            tiers.insert(name.clone(), Arc::new(profile));
        }
    }
    let Some(templates) = templates else {
        return Resolved {
            platform: platform.clone(),
            platform_file: input.platform.file.clone(),
            tiers,
            tier_files,
            tenants: Vec::new(),
        };
    };
    // The tenants move on into the result: a fleet's worth of copies would be a good part of
    // the peak memory.
    let tier_names = &input.tier_names;
    let results: Vec<(Option<ResolvedTenant>, Diagnostics)> = input
        .tenants
        .into_par_iter()
        .map(|valid| {
            let mut local = Diagnostics::default();
            let resolved = resolve_tenant(
                valid.file,
                valid.tenant,
                &tiers,
                tier_names,
                &templates,
                &platform_file,
                &mut local,
            );
            (resolved, local)
        })
        .collect();
    let mut tenants = Vec::with_capacity(results.len());
    for (tenant, found) in results {
        diags.extend(found);
        tenants.extend(tenant);
    }
    Resolved {
        platform: platform.clone(),
        platform_file: input.platform.file.clone(),
        tiers,
        tier_files,
        tenants,
    }
}

fn tier_layer(tier: &ValidTier) -> Layer {
    Layer {
        file: tier.file.clone(),
        base: "/spec".into(),
        value: tier.spec.clone(),
    }
}

/// Merges layers into a typed, checked profile; `None` when the result is invalid.
fn build_profile(layers: Vec<Layer>, diags: &mut Diagnostics) -> Option<Profile> {
    let merged = merge_layers(&layers);
    let spec: TierSpec = match serde_json::from_value(merged) {
        Ok(spec) => spec,
        Err(e) => {
            let top = layers.last()?;
            diags.push(
                Diagnostic::new(
                    codes::INVALID_MERGE,
                    format!("the merged tier spec is invalid: {e}"),
                )
                .at(Label::value(
                    &top.file,
                    top.base.clone(),
                    "merged from here",
                ))
                .help("an override of a section must still give the section's required fields"),
            );
            return None;
        }
    };
    let mut local = Diagnostics::default();
    check_spec(&spec, &|p: &str| origin(&layers, p), &mut local);
    let failed = local.has_errors();
    diags.extend(local);
    if failed {
        return None;
    }
    let quota = spec
        .quota
        .iter()
        .filter_map(|(k, v)| Some((k.clone(), Quantity::parse(&v.0).ok()?)))
        .collect();
    Some(Profile {
        spec,
        layers,
        quota,
    })
}

fn compile_templates(
    platform: &Platform,
    file: &str,
    diags: &mut Diagnostics,
) -> Option<PlatformTemplates> {
    let spec = &platform.spec;
    let mut sources = BTreeMap::from([
        (
            NAMESPACE_TEMPLATE.to_string(),
            spec.naming.namespace_template.clone(),
        ),
        (
            SINGLE_NAMESPACE_TEMPLATE.to_string(),
            spec.naming.single_namespace_template.clone(),
        ),
    ]);
    for (field, map) in [
        ("governanceLabels", &spec.governance_labels),
        ("governanceAnnotations", &spec.governance_annotations),
    ] {
        for (key, template) in map {
            let pointer = format!("/spec/{field}/{}", escape(key));
            if let Some(problem) = label_key_problem(key) {
                diags.push(
                    Diagnostic::new(
                        codes::INVALID_LABEL_KEY,
                        format!(
                            "`{key}` is not a valid {} key",
                            if field == "governanceLabels" {
                                "label"
                            } else {
                                "annotation"
                            }
                        ),
                    )
                    .at(Label::key(file, pointer.clone(), problem)),
                );
            }
            sources.insert(pointer, template.clone());
        }
    }
    let (templates, failed) = PlatformTemplates::compile(&sources);
    for (pointer, error) in &failed {
        diags.push(
            Diagnostic::new(codes::INVALID_TEMPLATE, "the template does not compile")
                .at(Label::value(file, pointer.clone(), error.clone())),
        );
    }
    failed.is_empty().then_some(templates)
}

#[allow(clippy::too_many_arguments)]
fn resolve_tenant(
    owned_file: String,
    owned: Tenant,
    tiers: &BTreeMap<String, Arc<Profile>>,
    tier_names: &std::collections::BTreeSet<String>,
    templates: &PlatformTemplates,
    platform_file: &str,
    diags: &mut Diagnostics,
) -> Option<ResolvedTenant> {
    let (file, tenant) = (owned_file.as_str(), &owned);
    let tier_name = &tenant.spec.tier;
    let Some(tier_profile) = tiers.get(tier_name) else {
        if !tier_names.contains(tier_name) {
            let known: Vec<&str> = tier_names.iter().map(String::as_str).collect();
            let help = if known.is_empty() {
                "add a file under `tiers/`".to_string()
            } else {
                format!("known tiers: {}", known.join(", "))
            };
            diags.push(
                Diagnostic::new(
                    codes::UNKNOWN_TIER,
                    format!("tier `{tier_name}` does not exist"),
                )
                .at(Label::value(
                    file,
                    "/spec/tier",
                    format!("no `tiers/{tier_name}.yaml`"),
                ))
                .help(help),
            );
        }
        // A tier with errors was reported at its own file; its tenants are skipped quietly.
        // (A tier file named after the tier but holding another name is E0206 there.)
        return None;
    };
    let profile = if tenant.spec.overrides.is_null() {
        tier_profile.clone()
    } else {
        let mut layers = tier_profile.layers.clone();
        layers.push(Layer {
            file: file.to_string(),
            base: "/spec/overrides".into(),
            value: Arc::new(tenant.spec.overrides.clone()),
        });
        let mut local = Diagnostics::default();
        let profile = build_profile(layers, &mut local);
        // A tenant that turns default-deny off breaks a guardrail (E0703, from `guard`): the
        // tier-level warning would only repeat it in a milder voice.
        diags.extend(local.into_iter().filter(|d| {
            d.code != codes::DEFAULT_DENY_DISABLED
                || d.primary.as_ref().is_none_or(|l| l.file != file)
        }));
        Arc::new(profile?)
    };
    let context = Arc::new(TenantContext::new(tenant));
    let spec = &profile.spec;
    let mut environments = Vec::new();
    if spec.environments.is_empty() {
        if let Some(selected) = &tenant.spec.environments {
            for (i, env) in selected.iter().enumerate() {
                diags.push(unknown_environment(file, i, env, tier_name, &[]));
            }
            return None;
        }
        let namespace = render_name(
            templates,
            SINGLE_NAMESPACE_TEMPLATE,
            &context,
            None,
            file,
            platform_file,
            diags,
        )?;
        environments.push(fan_out(
            &profile,
            &context,
            None,
            namespace,
            Share::WHOLE,
            spec.pod_security,
            templates,
            (file, platform_file),
            diags,
        )?);
    } else {
        let names: Vec<&str> = spec.environments.iter().map(|e| e.name.as_str()).collect();
        if let Some(selected) = &tenant.spec.environments {
            let mut ok = true;
            for (i, env) in selected.iter().enumerate() {
                if !names.contains(&env.as_str()) {
                    diags.push(unknown_environment(file, i, env, tier_name, &names));
                    ok = false;
                }
            }
            if !ok {
                return None;
            }
        }
        for (i, env) in spec.environments.iter().enumerate() {
            if tenant
                .spec
                .environments
                .as_ref()
                .is_some_and(|s| !s.contains(&env.name))
            {
                continue;
            }
            let namespace = render_name(
                templates,
                NAMESPACE_TEMPLATE,
                &context,
                Some(&env.name),
                file,
                platform_file,
                diags,
            )?;
            let share = Share::from_f64(env.quota_share)?;
            let level = env.pod_security.unwrap_or(spec.pod_security);
            let mut resolved = fan_out(
                &profile,
                &context,
                Some((i, &env.name)),
                namespace,
                share,
                level,
                templates,
                (file, platform_file),
                diags,
            )?;
            resolved.name = Some(env.name.clone());
            environments.push(resolved);
        }
    }
    Some(ResolvedTenant {
        name: tenant.metadata.name.clone(),
        file: owned_file,
        tenant: owned,
        profile,
        environments,
    })
}

fn unknown_environment(
    file: &str,
    index: usize,
    env: &str,
    tier: &str,
    known: &[&str],
) -> Diagnostic {
    let help = if known.is_empty() {
        format!("tier `{tier}` has no environments; remove `environments`")
    } else {
        format!("tier `{tier}` has: {}", known.join(", "))
    };
    Diagnostic::new(
        codes::UNKNOWN_ENVIRONMENT,
        format!("tier `{tier}` has no environment `{env}`"),
    )
    .at(Label::value(
        file,
        format!("/spec/environments/{index}"),
        "not an environment of the tier",
    ))
    .help(help)
}

fn render_name(
    templates: &PlatformTemplates,
    template: &str,
    context: &Arc<TenantContext>,
    env: Option<&str>,
    file: &str,
    platform_file: &str,
    diags: &mut Diagnostics,
) -> Option<String> {
    match templates.render(template, context, env) {
        Ok(name) if is_dns_label(&name) => Some(name),
        Ok(name) => {
            diags.push(
                Diagnostic::new(codes::INVALID_NAMESPACE, match name.chars().count() {
                    n if n > 63 => format!("namespace name `{name}` is {n} characters long, over the 63 of a DNS-1123 label"),
                    _ => format!("namespace name `{name}` is not a DNS-1123 label"),
                })
                    .at(Label::value(file, "/metadata/name", "the tenant whose namespace it is"))
                    .note("rendered from the naming template", Some(Label::value(platform_file, template, "")))
                    .help("namespace names are DNS-1123 labels: at most 63 lower-case letters, digits and `-`, starting and ending with a letter or digit"),
            );
            None
        }
        Err(e) => {
            diags.push(template_failed(file, platform_file, template, e));
            None
        }
    }
}

fn template_failed(file: &str, platform_file: &str, template: &str, error: String) -> Diagnostic {
    let tenant = file
        .rsplit('/')
        .next()
        .unwrap_or(file)
        .trim_end_matches(".yaml");
    Diagnostic::new(
        codes::TEMPLATE_FAILED,
        "a platform template failed for this tenant",
    )
    .at(Label::value(platform_file, template, error))
    .note(
        format!("while rendering tenant `{tenant}`"),
        Some(Label::value(file, "/metadata/name", "")),
    )
}

#[allow(clippy::too_many_arguments)]
fn fan_out(
    profile: &Profile,
    context: &Arc<TenantContext>,
    env: Option<(usize, &String)>,
    namespace: String,
    share: Share,
    pod_security: PodSecurityLevel,
    templates: &PlatformTemplates,
    (file, platform_file): (&str, &str),
    diags: &mut Diagnostics,
) -> Option<ResolvedEnvironment> {
    let mut quota = BTreeMap::new();
    for (key, total) in &profile.quota {
        let unit = ResourceUnit::of(key);
        let scaled = total.scale(share.numerator, share.denominator, unit);
        if scaled.is_zero()
            && !total.is_zero()
            && let Some((i, name)) = env
        {
            let (total_file, total_at) = profile.origin(&format!("/quota/{}", escape(key)));
            diags.push(
                    Diagnostic::new(codes::SHARE_ROUNDS_TO_ZERO, format!("environment `{name}` gets 0 of `{key}`"))
                        .at(profile.label(&format!("/environments/{i}/quotaShare"), format!("{share} of {} rounds down to 0", total.format(unit))))
                        .note("the total is set here", Some(Label::value(&total_file, total_at, "")))
                        .help("raise the share or the total, or set the total to a multiple the share can divide"),
                );
        }
        quota.insert(key.clone(), scaled.format(unit));
    }
    let env_name = env.map(|(_, n)| n.as_str());
    let mut governance_labels = Labels::new();
    let mut governance_annotations = BTreeMap::new();
    for (field, target) in [
        ("governanceLabels", &mut governance_labels),
        ("governanceAnnotations", &mut governance_annotations),
    ] {
        for name in templates.names_under(&format!("/spec/{field}/")) {
            let key = crate::source::unescape_segment(&name[field.len() + 7..]);
            match templates.render(name, context, env_name) {
                Ok(value) => {
                    if field == "governanceLabels"
                        && let Some(problem) = label_value_problem(&value)
                    {
                        diags.push(
                                Diagnostic::new(codes::INVALID_GOVERNANCE_LABEL, format!("governance label `{key}` renders to `{value}`, not a valid label value"))
                                    .at(Label::value(platform_file, name.clone(), problem))
                                    .note(format!("for tenant `{}`", context.name()), Some(Label::value(file, "/metadata/name", ""))),
                            );
                        return None;
                    }
                    if !value.is_empty() {
                        target.insert(key, value);
                    }
                }
                Err(e) => {
                    diags.push(template_failed(file, platform_file, name, e));
                    return None;
                }
            }
        }
    }
    Some(ResolvedEnvironment {
        name: None,
        namespace,
        share,
        pod_security,
        quota,
        governance_labels,
        governance_annotations,
    })
}
