//! RoleBinding subjects and roleRef: `ValidateRoleBinding` and `ValidateRoleBindingSubject`
//! in `pkg/apis/rbac/validation/validation.go`.

use super::Finding;
use crate::diagnostics::{Diagnostic, Diagnostics, Label, codes};
use crate::resolve::ResolvedTenant;
use k8s_openapi::api::rbac::v1::{RoleBinding, Subject};

/// `rbac.GroupName`.
const RBAC_GROUP: &str = "rbac.authorization.k8s.io";

/// Why a subject is invalid, if it is (`ValidateRoleBindingSubject`): a name; a
/// ServiceAccount has a valid name, no apiGroup and (in a RoleBinding, optionally) a
/// namespace; a User or Group has apiGroup `rbac.authorization.k8s.io`; no other kind.
pub fn subject_problem(subject: &Subject) -> Option<String> {
    if subject.name.is_empty() {
        return Some("name: Required value".into());
    }
    let group = subject.api_group.as_deref().unwrap_or_default();
    match subject.kind.as_str() {
        "ServiceAccount" => {
            if !super::is_dns_subdomain(&subject.name) {
                Some(format!(
                    "name: Invalid value: \"{}\": a ServiceAccount name is a DNS-1123 subdomain",
                    subject.name
                ))
            } else if !group.is_empty() {
                Some(format!(
                    "apiGroup: Unsupported value: \"{group}\": supported values: \"\""
                ))
            } else {
                None
            }
        }
        "User" | "Group" => (group != RBAC_GROUP).then(|| {
            format!("apiGroup: Unsupported value: \"{group}\": supported values: \"{RBAC_GROUP}\"")
        }),
        other => Some(format!(
            "kind: Unsupported value: \"{other}\": supported values: \"ServiceAccount\", \"User\", \"Group\""
        )),
    }
}

/// The object rules (E0432): roleRef (`apiGroup` `rbac.authorization.k8s.io`, kind `Role`
/// or `ClusterRole`, a path-segment name) and every subject.
pub fn check_object(binding: &RoleBinding, found: &mut Vec<Finding>) {
    let role_ref = &binding.role_ref;
    if role_ref.api_group != RBAC_GROUP {
        found.push(Finding::new(
            codes::INVALID_ROLE_BINDING,
            "roleRef.apiGroup",
            format!(
                "Unsupported value: \"{}\": supported values: \"{RBAC_GROUP}\"",
                role_ref.api_group
            ),
        ));
    }
    if !matches!(role_ref.kind.as_str(), "Role" | "ClusterRole") {
        found.push(Finding::new(
            codes::INVALID_ROLE_BINDING,
            "roleRef.kind",
            format!(
                "Unsupported value: \"{}\": supported values: \"Role\", \"ClusterRole\"",
                role_ref.kind
            ),
        ));
    }
    if let Some(why) = super::metadata::name_problem("Role", &role_ref.name) {
        found.push(Finding::new(
            codes::INVALID_ROLE_BINDING,
            "roleRef.name",
            why,
        ));
    }
    for (i, subject) in binding.subjects.iter().flatten().enumerate() {
        if let Some(why) = subject_problem(subject) {
            found.push(Finding::new(
                codes::INVALID_ROLE_BINDING,
                format!("subjects[{i}]"),
                why,
            ));
        }
    }
}

/// The input rule (E0432): every user and group of a tenant's `access` has a name (they
/// become RoleBinding subjects of kind User and Group).
pub fn check_tenant(tenant: &ResolvedTenant, diags: &mut Diagnostics) {
    for (role, field, i, name) in tenant.tenant.spec.access.named() {
        if name.trim().is_empty() {
            diags.push(
                Diagnostic::new(codes::INVALID_ROLE_BINDING, format!("an empty name in `access.{role}.{field}`"))
                    .at(Label::value(&tenant.file, format!("/spec/access/{role}/{field}/{i}"), "a RoleBinding subject needs a name"))
                    .note("kube-apiserver: subjects[0].name: Required value", None)
                    .help("write the user or group name as the cluster's authenticator reports it, or remove the entry"),
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn subject(kind: &str, group: Option<&str>, name: &str) -> Subject {
        Subject {
            api_group: group.map(str::to_string),
            kind: kind.into(),
            name: name.into(),
            namespace: None,
        }
    }

    #[test]
    fn subjects() {
        assert_eq!(
            subject_problem(&subject("User", Some(RBAC_GROUP), "a@b.example")),
            None
        );
        assert_eq!(
            subject_problem(&subject("ServiceAccount", None, "deployer")),
            None
        );
        assert!(subject_problem(&subject("User", None, "a")).is_some());
        assert!(
            subject_problem(&subject("ServiceAccount", Some(RBAC_GROUP), "deployer")).is_some()
        );
        assert!(subject_problem(&subject("Team", Some(RBAC_GROUP), "a")).is_some());
        assert!(subject_problem(&subject("Group", Some(RBAC_GROUP), "")).is_some());
    }
}
