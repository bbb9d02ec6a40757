//! Argo CD names are global in Argo CD's namespace: two tenants must not produce one
//! Application or AppProject name.

use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::model::Isolation;
use crate::resolve::{Resolved, names};
use std::collections::BTreeMap;

/// Reports E0410 for every Application or AppProject name claimed twice, naming both places.
pub fn check_names(resolved: &Resolved, diags: &mut Diagnostics) {
    let settings = &resolved.platform.spec.argocd;
    let platform_file = resolved
        .platform_file
        .as_deref()
        .unwrap_or(crate::resolve::BUILT_IN);
    let mut projects: BTreeMap<String, Label> = BTreeMap::new();
    projects.insert(
        settings.project.clone(),
        Label::value(platform_file, "/spec/argocd/project", ""),
    );
    let mut applications: BTreeMap<String, Label> = BTreeMap::new();
    applications.insert(
        settings.root_application.clone(),
        Label::value(platform_file, "/spec/argocd/rootApplication", ""),
    );
    let mut claim = |names: &mut BTreeMap<String, Label>, kind: &str, name: String, at: Label| {
        if let Some(first) = names.get(&name) {
            diags.push(
                Diagnostic::new(
                    codes::ARGOCD_NAME_COLLISION,
                    format!("Argo CD {kind} `{name}` would be defined twice"),
                )
                .at(Label {
                    message: format!("defines {kind} `{name}`"),
                    ..at
                })
                .note("also defined by", Some(first.clone()))
                .help("rename the tenant or the app"),
            );
        } else {
            names.insert(name, at);
        }
    };
    for tenant in &resolved.tenants {
        let at_tenant = Label::value(&tenant.file, "/metadata/name", "");
        claim(
            &mut projects,
            "AppProject",
            names::app_project(&tenant.name),
            at_tenant.clone(),
        );
        claim(
            &mut applications,
            "Application",
            names::governance_application(&tenant.name),
            at_tenant.clone(),
        );
        if tenant.profile.spec.isolation == Isolation::Cluster {
            claim(
                &mut applications,
                "Application",
                names::cluster_application(&tenant.name),
                at_tenant.clone(),
            );
        }
        for (i, app) in tenant.tenant.spec.gitops.apps.iter().enumerate() {
            let name = names::workload_application(&tenant.name, &app.name);
            claim(
                &mut applications,
                "Application",
                name,
                Label::value(&tenant.file, format!("/spec/gitops/apps/{i}/name"), ""),
            );
        }
    }
}
