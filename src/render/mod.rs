//! Builds the output tree from the resolved platform: per tenant, one file per environment
//! namespace with all of its governance objects, a Terraform node group (`nodePool`
//! isolation) or a `cluster.yaml` (`cluster` isolation); platform-wide, the tiers'
//! PriorityClasses, the admission policies and the Terraform root module's settings.
//!
//! Builds typed values only; serializing and writing them is `emit`'s job.

mod addons;
pub mod admission;
pub mod argocd;
mod cluster;
mod labels;
mod namespace;
mod network;
mod nodepool;
mod rbac;
mod tenant_access;
pub mod terraform;

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::objects::{FileContent, Object, ObjectKey, OutputTree};
use crate::resolve::{Resolved, ResolvedTenant};
use crate::source::SourceFile;
use addons::Addons;
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rayon::prelude::*;
use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

/// The path prefixes of every file that belongs to one tenant: its directory and its node
/// group. Used to scope partial renders and the incremental cache.
pub fn tenant_prefixes(tenant: &str) -> [String; 2] {
    [
        format!("{}/", tenant_dir(tenant)),
        terraform::node_group_path(tenant),
    ]
}

/// The output directory's path of a tenant's files.
pub fn tenant_dir(tenant: &str) -> String {
    format!("tenants/{tenant}")
}

/// Renders the whole platform, or only the tenants in `only` (platform-wide files are always
/// rendered), with the add-on templates of `templates/`. Output is the same for any thread
/// count: tenants render in parallel but are collected in name order.
///
/// Reports E0501 for add-on templates that fail or produce objects that are not allowed.
pub fn render(
    resolved: &Resolved,
    templates: &[Arc<SourceFile>],
    only: Option<&[String]>,
    diags: &mut Diagnostics,
) -> OutputTree {
    let renderer = Renderer::new(resolved, templates, diags);
    let wanted: Option<BTreeSet<&str>> =
        only.map(|names| names.iter().map(String::as_str).collect());
    let tenants: Vec<&ResolvedTenant> = resolved
        .tenants
        .iter()
        .filter(|t| wanted.as_ref().is_none_or(|w| w.contains(t.name.as_str())))
        .collect();
    let mut tree = renderer.platform();
    tree.extend(renderer.tenants(&tenants, diags));
    tree
}

/// The add-on and cluster templates compiled once, for a render done in parts (`render` in
/// batches): each part costs what its tenants cost, whatever the size of the fleet.
pub struct Renderer<'r> {
    resolved: &'r Resolved,
    addons: Addons,
    clusters: crate::resolve::cluster::ClusterTemplates,
}

/// Compiles the add-on templates only to report those that do not compile (E0501), for
/// the stages that render nothing (`validate`).
pub fn check_templates(templates: &[Arc<SourceFile>], diags: &mut Diagnostics) {
    let mut found = Vec::new();
    addons::Addons::compile(templates, &mut found);
    diags.extend(found);
}

impl<'r> Renderer<'r> {
    /// Compiles the add-on templates (reporting E0501 for those that do not compile) and the
    /// platform's cluster templates.
    pub fn new(
        resolved: &'r Resolved,
        templates: &[Arc<SourceFile>],
        diags: &mut Diagnostics,
    ) -> Self {
        let mut found = Vec::new();
        let addons = Addons::compile(templates, &mut found);
        diags.extend(found);
        // `check` reported templates that do not compile; their tenants get no cluster file.
        let (clusters, _) =
            crate::resolve::cluster::ClusterTemplates::compile(&resolved.platform.spec.clusters);
        Self {
            resolved,
            addons,
            clusters,
        }
    }

    /// The files of `tenants` (in parallel, collected in their order); reports E0501 for
    /// add-on templates that fail or produce objects that are not allowed.
    pub fn tenants(&self, tenants: &[&ResolvedTenant], diags: &mut Diagnostics) -> OutputTree {
        let parts: Vec<(OutputTree, Vec<Diagnostic>)> = tenants
            .par_iter()
            .map(|t| {
                let mut local = Vec::new();
                let tree = self.tenant(t, &mut local);
                (tree, local)
            })
            .collect();
        let mut tree = OutputTree::default();
        for (part, found) in parts {
            diags.extend(found);
            tree.extend(part);
        }
        tree
    }

    /// One tenant's files; reports E0501 into `diags` for add-on templates that fail or
    /// produce objects that are not allowed.
    pub fn tenant(&self, tenant: &ResolvedTenant, diags: &mut Vec<Diagnostic>) -> OutputTree {
        render_tenant(self.resolved, tenant, &self.addons, &self.clusters, diags)
    }

    /// The platform-wide files, which depend on the whole fleet (the AppProject's
    /// destinations, the Terraform root module's providers).
    pub fn platform(&self) -> OutputTree {
        render_platform(self.resolved)
    }
}

/// Renders one tenant's files: one per environment namespace, holding its governance
/// objects and the add-on objects placed in it.
fn render_tenant(
    resolved: &Resolved,
    tenant: &ResolvedTenant,
    addons: &Addons,
    clusters: &crate::resolve::cluster::ClusterTemplates,
    diags: &mut Vec<Diagnostic>,
) -> OutputTree {
    let mut tree = OutputTree::default();
    let dns = &resolved.platform.spec.shared_services.dns;
    let mut extra = if addons.is_empty() {
        Vec::new()
    } else {
        addons.render(tenant, diags)
    };
    // The tier's own spec, not the tenant's merged profile: what the admission policies
    // grant is the tier's to decide, never a tenant file's `overrides`.
    let tier = resolved
        .tiers
        .get(&tenant.tenant.spec.tier)
        .map(|profile| &profile.spec);
    for env in &tenant.environments {
        let mut objects = namespace::governance(tenant, env, tier);
        objects.extend(network::policies(tenant, env, dns));
        objects.extend(rbac::roles(tenant, env));
        objects.extend(rbac::deployer(tenant, env));
        let placement = resolved.platform.spec.node_pools.placement;
        nodepool::annotate_namespace(
            &mut objects,
            nodepool::placement_annotations(tenant, placement),
        );
        objects.extend(nodepool::placement_policy(tenant, env, placement));
        // The API server's rules on what tenantc built (the check stage caught what the
        // inputs can cause; a finding here is a gap in it, reported at the tenant).
        for object in &objects {
            for finding in crate::check::apiserver::check_object(object) {
                let key = object.key();
                diags.push(
                    Diagnostic::new(
                        finding.code,
                        format!(
                            "the API server would reject {} `{}`: {}: {}",
                            key.kind, key.name, finding.field, finding.message
                        ),
                    )
                    .at(Label::value(
                        &tenant.file,
                        "/metadata/name",
                        format!("in namespace `{}` of this tenant", env.namespace),
                    )),
                );
            }
        }
        let (mine, rest): (Vec<_>, Vec<_>) =
            extra.into_iter().partition(|(ns, _)| *ns == env.namespace);
        extra = rest;
        objects.extend(mine.into_iter().map(|(_, o)| o));
        if let Some(duplicate) = duplicate_key(&objects) {
            diags.push(
                Diagnostic::new(
                    codes::ADDON_FAILED,
                    format!(
                        "two objects are `{} {}` in namespace `{}`",
                        duplicate.kind, duplicate.name, env.namespace
                    ),
                )
                .at(Label::value(
                    &tenant.file,
                    "/metadata/name",
                    "for this tenant",
                ))
                .help("give each add-on object its own name"),
            );
        }
        let path = format!(
            "{}/kubernetes/{}.yaml",
            tenant_dir(&tenant.name),
            env.namespace
        );
        tree.add_yaml(path, objects);
    }
    let settings = &resolved.platform.spec.argocd;
    tree.add_yaml(
        format!("{}/argocd.yaml", tenant_dir(&tenant.name)),
        argocd::tenant_objects(settings, tenant),
    );
    if let Some((path, document)) = terraform::node_group(resolved, tenant) {
        tree.files.insert(path, FileContent::Json(document));
    }
    if let Some(objects) = cluster::objects(resolved, clusters, tenant) {
        tree.add_yaml(cluster::cluster_path(&tenant.name), objects);
    }
    tree
}

fn duplicate_key(objects: &[Object]) -> Option<ObjectKey> {
    let mut seen = BTreeSet::new();
    objects
        .iter()
        .map(Object::key)
        .find(|k| !seen.insert(k.clone()))
}

fn render_platform(resolved: &Resolved) -> OutputTree {
    let mut tree = OutputTree::default();
    tree.add_yaml(
        "platform/argocd.yaml".into(),
        argocd::platform_objects(resolved),
    );
    let mut classes: BTreeMap<&str, Object> = BTreeMap::new();
    for profile in resolved.tiers.values() {
        let Some(pc) = &profile.spec.priority_class else {
            continue;
        };
        classes.entry(pc.name.as_str()).or_insert_with(|| {
            Object::PriorityClass(PriorityClass {
                metadata: ObjectMeta {
                    name: Some(pc.name.clone()),
                    labels: Some(labels::platform([])),
                    ..Default::default()
                },
                value: pc.value,
                global_default: Some(false),
                description: pc.description.clone(),
                preemption_policy: None,
            })
        });
    }
    if !classes.is_empty() {
        tree.add_yaml(
            "platform/priorityclasses.yaml".into(),
            classes.into_values().collect(),
        );
    }
    tree.add_yaml(
        admission::PATH.into(),
        admission::objects(&resolved.platform.spec.admission),
    );
    if let Some((path, document)) = terraform::root_module(resolved) {
        tree.files.insert(path, FileContent::Json(document));
    }
    tree
}
