//! PriorityClass: `ValidatePriorityClass` in `pkg/apis/scheduling/validation/validation.go`,
//! and the `Priority` admission plugin (`plugin/pkg/admission/priority/admission.go`) for
//! the single `globalDefault`.

use super::Finding;
use crate::diagnostics::{Diagnostic, Diagnostics, codes};
use crate::resolve::Profile;
use k8s_openapi::api::scheduling::v1::PriorityClass;

/// `scheduling.SystemPriorityClassPrefix`: names reserved for `system-cluster-critical` and
/// `system-node-critical`.
pub const SYSTEM_PREFIX: &str = "system-";

/// `scheduling.HighestUserDefinablePriority`.
pub const HIGHEST_USER_DEFINABLE_PRIORITY: i64 = 1_000_000_000;

/// The input rules: the reserved prefix (E0425) and the highest value (E0426).
pub fn check_profile(profile: &Profile, diags: &mut Diagnostics) {
    let Some(pc) = &profile.spec.priority_class else {
        return;
    };
    if pc.name.starts_with(SYSTEM_PREFIX) {
        diags.push(
            Diagnostic::new(codes::RESERVED_PRIORITY_CLASS, format!("PriorityClass `{}` has the reserved `system-` prefix", pc.name))
                .at(profile.label("/priorityClass/name", "reserved for system-cluster-critical and system-node-critical"))
                .note("kube-apiserver: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only", None)
                .help("choose a name without the `system-` prefix, such as `tenant-high`"),
        );
    } else if i64::from(pc.value) > HIGHEST_USER_DEFINABLE_PRIORITY {
        diags.push(
            Diagnostic::new(codes::INVALID_PRIORITY, format!("PriorityClass `{}` is above the highest user priority", pc.name))
                .at(profile.label("/priorityClass/value", format!("{} is more than {HIGHEST_USER_DEFINABLE_PRIORITY}", pc.value)))
                .note(format!("kube-apiserver: value: Forbidden: maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}"), None)
                .help(format!("use a value of at most {HIGHEST_USER_DEFINABLE_PRIORITY}; higher values belong to system classes")),
        );
    }
}

/// The object rules (E0425, E0426).
pub fn check_object(pc: &PriorityClass, found: &mut Vec<Finding>) {
    let name = pc.metadata.name.as_deref().unwrap_or_default();
    if name.starts_with(SYSTEM_PREFIX) {
        found.push(Finding::new(
            codes::RESERVED_PRIORITY_CLASS,
            "metadata.name",
            "priority class names with 'system-' prefix are reserved for system use only",
        ));
    } else if i64::from(pc.value) > HIGHEST_USER_DEFINABLE_PRIORITY {
        found.push(Finding::new(codes::INVALID_PRIORITY, "value", format!("maximum allowed value of a user defined priority is {HIGHEST_USER_DEFINABLE_PRIORITY}")));
    }
}

/// At most one class may be `globalDefault` (the Priority admission plugin: "PriorityClass
/// … is already marked as default. Only one default can exist"). tenantc writes
/// `globalDefault: false` on every class it emits; the tests run this over the output.
pub fn check_global_defaults<'a>(
    classes: impl IntoIterator<Item = &'a PriorityClass>,
) -> Vec<Finding> {
    let defaults: Vec<&str> = classes
        .into_iter()
        .filter(|pc| pc.global_default == Some(true))
        .map(|pc| pc.metadata.name.as_deref().unwrap_or_default())
        .collect();
    if defaults.len() > 1 {
        vec![Finding::new(
            codes::INVALID_PRIORITY,
            "globalDefault",
            format!("only one default can exist: {}", defaults.join(", ")),
        )]
    } else {
        Vec::new()
    }
}
