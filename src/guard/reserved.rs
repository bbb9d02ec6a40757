//! E0710: no tenant takes a name that belongs to the platform.
//!
//! A tenant is named after its AppProject and, with a naming template such as
//! `{{ tenant }}`, after its namespace. Taken by a tenant, `kube-system` would get the
//! tenant's admin Role and a default-deny policy (a cluster-wide DNS outage), `default` would
//! replace Argo CD's built-in project, and a namespace that other tenants' rules admit by
//! name (`api-gateway`) would let the tenant into all of them. Reserved: `default`, `kube-*`,
//! Argo CD's namespace and the platform project, the DNS namespace, the Kamaji and
//! ClusterClass namespaces, every namespace a traffic rule names, and platform.yaml
//! `spec.reservedNamespaces`.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::resolve::{BUILT_IN, Resolved, ResolvedTenant};
use std::collections::BTreeMap;

/// The label every namespace carries with its own name.
const NAME_LABELS: [&str; 2] = ["kubernetes.io/metadata.name", "name"];

/// Why a name is reserved, and where.
#[derive(Clone)]
struct Reason {
    why: String,
    at: Option<Label>,
}

/// Every reserved name of the platform, with where each is reserved.
pub struct ReservedNames {
    exact: BTreeMap<String, Reason>,
    prefixes: Vec<(&'static str, Reason)>,
}

impl ReservedNames {
    /// Collects the reserved names from platform.yaml and the tiers.
    pub fn new(resolved: &Resolved, platform_file: &str) -> Self {
        let spec = &resolved.platform.spec;
        let mut exact = BTreeMap::new();
        let mut reserve = |name: &str, why: String, at: Option<Label>| {
            exact.entry(name.to_string()).or_insert(Reason { why, at });
        };
        reserve(
            "default",
            "Kubernetes' default namespace and Argo CD's default project".into(),
            None,
        );
        let platform = |pointer: &str| Some(Label::value(platform_file, pointer, ""));
        for (name, why, pointer) in [
            (
                &spec.argocd.namespace,
                "Argo CD's namespace",
                "/spec/argocd/namespace",
            ),
            (
                &spec.argocd.project,
                "the platform's AppProject",
                "/spec/argocd/project",
            ),
            (
                &spec.shared_services.dns.namespace,
                "the cluster DNS's namespace",
                "/spec/sharedServices/dns/namespace",
            ),
            (
                &spec.clusters.control_plane.kamaji_namespace,
                "Kamaji's namespace",
                "/spec/clusters/controlPlane/kamajiNamespace",
            ),
            (
                &spec.clusters.data_stores.dedicated.secret_namespace,
                "the namespace of the DataStores' TLS Secrets",
                "/spec/clusters/dataStores/dedicated/secretNamespace",
            ),
        ] {
            reserve(name, why.into(), platform(pointer));
        }
        if let Some(ns) = &spec.clusters.class_namespace {
            reserve(
                ns,
                "the ClusterClasses' namespace".into(),
                platform("/spec/clusters/classNamespace"),
            );
        }
        for (i, ns) in spec.reserved_namespaces.iter().enumerate() {
            reserve(
                ns,
                "reserved by the platform".into(),
                platform(&format!("/spec/reservedNamespaces/{i}")),
            );
        }
        for (tier, profile) in &resolved.tiers {
            let tier_spec = &profile.spec;
            if let Some(ns) = tier_spec
                .cluster
                .as_ref()
                .and_then(|c| c.class_ref.namespace.as_ref())
            {
                reserve(
                    ns,
                    format!("the namespace of tier `{tier}`'s ClusterClass"),
                    Some(profile.label("/cluster/classRef/namespace", "")),
                );
            }
            let network = &tier_spec.network;
            for (direction, rules) in [("ingress", &network.ingress), ("egress", &network.egress)] {
                for (i, rule) in rules.iter().enumerate() {
                    for key in NAME_LABELS {
                        if let Some(ns) = rule.namespace_labels.get(key) {
                            let pointer = format!(
                                "/network/{direction}/{i}/namespaceLabels/{}",
                                crate::validate::spec::escape(key)
                            );
                            reserve(
                                ns,
                                format!(
                                    "a namespace that tier `{tier}`'s {direction} rule `{}` admits by name",
                                    rule.name
                                ),
                                Some(profile.label(&pointer, "")),
                            );
                        }
                    }
                }
            }
            let open = &tier_spec.guardrails.network;
            for (direction, allowed) in [("ingress", &open.ingress), ("egress", &open.egress)] {
                for (i, ns) in allowed.namespaces.iter().enumerate() {
                    reserve(
                        ns,
                        format!("a namespace tier `{tier}` opens to tenants' {direction} rules"),
                        Some(profile.label(
                            &format!("/guardrails/network/{direction}/namespaces/{i}"),
                            "",
                        )),
                    );
                }
            }
        }
        let prefixes = vec![(
            "kube-",
            Reason {
                why: "one of Kubernetes' own namespaces (`kube-*`)".into(),
                at: None,
            },
        )];
        Self { exact, prefixes }
    }

    fn reason(&self, name: &str) -> Option<&Reason> {
        self.exact.get(name).or_else(|| {
            self.prefixes
                .iter()
                .find(|(p, _)| name.starts_with(p))
                .map(|(_, r)| r)
        })
    }

    /// Reports the tenant's name and each of its namespaces that is reserved.
    pub fn check(&self, tenant: &ResolvedTenant, diags: &mut Diagnostics) {
        let mut taken: Vec<(&str, &str, &str)> = vec![(
            tenant.name.as_str(),
            "tenant name",
            "also the name of its AppProject (and, with some naming templates, its namespace)",
        )];
        taken.extend(
            tenant
                .environments
                .iter()
                .filter(|e| e.namespace != tenant.name)
                .map(|e| {
                    (
                        e.namespace.as_str(),
                        "namespace",
                        "a namespace of this tenant, from the naming template",
                    )
                }),
        );
        for (name, what, message) in taken {
            let Some(reason) = self.reason(name) else {
                continue;
            };
            let note = format!("`{name}` is {}", reason.why);
            let at = reason.at.clone().filter(|l| l.file != BUILT_IN);
            diags.push(
                Diagnostic::new(
                    codes::RESERVED_NAME,
                    format!("{what} `{name}` belongs to the platform"),
                )
                .at(Label::value(&tenant.file, "/metadata/name", message))
                .note(note, at)
                .help("rename the tenant (and its file), or change the platform's naming template"),
            );
        }
    }
}
