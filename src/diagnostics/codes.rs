//! The table of stable diagnostic codes.
//!
//! A code is `E` (error) or `W` (warning) plus four digits; the hundreds give the stage that
//! reports it (01 load, 02 validate, 03 resolve, 04 check, 05 render, 06 emit, 07 guard). Codes are
//! product: never renumber or reuse one. `docs/errors.md` lists them with examples.

use std::fmt;

/// How bad a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// Blocks rendering; exit code 1.
    Error,
    /// Reported, but the render goes ahead.
    Warning,
}

/// A stable diagnostic code with its kebab-case name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Code {
    /// The number, such as 213 for `E0213`.
    pub number: u16,
    /// A short name for the problem, such as `invalid-quantity`.
    pub name: &'static str,
    /// Error or warning.
    pub severity: Severity,
}

impl Code {
    const fn error(number: u16, name: &'static str) -> Self {
        Self {
            number,
            name,
            severity: Severity::Error,
        }
    }

    const fn warning(number: u16, name: &'static str) -> Self {
        Self {
            number,
            name,
            severity: Severity::Warning,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let letter = match self.severity {
            Severity::Error => 'E',
            Severity::Warning => 'W',
        };
        write!(f, "{letter}{:04}", self.number)
    }
}

// 01 load
/// The file is not well-formed YAML.
pub const YAML_SYNTAX: Code = Code::error(101, "yaml-syntax");
/// A mapping has the same key twice.
pub const DUPLICATE_KEY: Code = Code::error(102, "duplicate-key");
/// The file is larger than 1 MiB.
pub const FILE_TOO_LARGE: Code = Code::error(103, "file-too-large");
/// Too many aliases, nodes or nesting levels.
pub const YAML_TOO_COMPLEX: Code = Code::error(104, "yaml-too-complex");
/// The file holds no document.
pub const EMPTY_FILE: Code = Code::error(105, "empty-file");
/// The file is not UTF-8 text.
pub const NOT_UTF8: Code = Code::error(106, "not-utf8");
/// The file holds more than one document.
pub const MULTIPLE_DOCUMENTS: Code = Code::error(107, "multiple-documents");
/// The file could not be read.
pub const UNREADABLE_FILE: Code = Code::error(108, "unreadable-file");
/// A file in `tenants/` or `tiers/` that is not `.yaml` is ignored.
pub const IGNORED_FILE: Code = Code::warning(109, "ignored-file");
/// A symbolic link in the input tree is not followed.
pub const SYMLINK_IGNORED: Code = Code::warning(110, "symlink-ignored");

// 02 validate
/// A field the schema does not know (often a typo).
pub const UNKNOWN_FIELD: Code = Code::error(201, "unknown-field");
/// A value of the wrong type.
pub const WRONG_TYPE: Code = Code::error(202, "wrong-type");
/// A required field is missing.
pub const MISSING_FIELD: Code = Code::error(203, "missing-field");
/// A value outside the allowed set or range.
pub const INVALID_VALUE: Code = Code::error(204, "invalid-value");
/// A document of the wrong kind for its directory.
pub const WRONG_KIND: Code = Code::error(205, "wrong-kind");
/// The file name and `metadata.name` differ.
pub const NAME_MISMATCH: Code = Code::error(206, "name-mismatch");
/// A name that is not a DNS-1123 label.
pub const INVALID_NAME: Code = Code::error(207, "invalid-name");
/// Two documents of one kind with the same name.
pub const DUPLICATE_NAME: Code = Code::error(208, "duplicate-name");
/// A value that is not a Kubernetes quantity.
pub const INVALID_QUANTITY: Code = Code::error(213, "invalid-quantity");
/// A label key that Kubernetes would reject, or that is reserved.
pub const INVALID_LABEL_KEY: Code = Code::error(214, "invalid-label-key");
/// A label value that Kubernetes would reject.
pub const INVALID_LABEL_VALUE: Code = Code::error(215, "invalid-label-value");
/// A port that is not `N`, `N/PROTO` or `N-M/PROTO`.
pub const INVALID_PORT: Code = Code::error(216, "invalid-port");
/// A value that is not a CIDR.
pub const INVALID_CIDR: Code = Code::error(217, "invalid-cidr");
/// Two environments of a tier with one name.
pub const DUPLICATE_ENVIRONMENT: Code = Code::error(218, "duplicate-environment");
/// Environment shares add up to more than 1.
pub const SHARES_EXCEED_ONE: Code = Code::error(219, "shares-exceed-one");
/// Two traffic rules (or apps) with one name.
pub const DUPLICATE_RULE: Code = Code::error(220, "duplicate-rule");
/// A traffic rule that selects no peer.
pub const EMPTY_PEER: Code = Code::error(221, "empty-peer");
/// A share with more than 9 decimal places.
pub const INVALID_SHARE: Code = Code::error(222, "invalid-share");
/// A template in platform.yaml that does not compile.
pub const INVALID_TEMPLATE: Code = Code::error(223, "invalid-template");
/// A tier that opts out of default-deny networking.
pub const DEFAULT_DENY_DISABLED: Code = Code::warning(224, "default-deny-disabled");

// 03 resolve
/// A tenant names a tier that does not exist.
pub const UNKNOWN_TIER: Code = Code::error(301, "unknown-tier");
/// A tenant selects an environment its tier does not have.
pub const UNKNOWN_ENVIRONMENT: Code = Code::error(302, "unknown-environment");
/// The merged spec is invalid (an override left a required field out).
pub const INVALID_MERGE: Code = Code::error(303, "invalid-merge");
/// A naming or label template failed for a tenant.
pub const TEMPLATE_FAILED: Code = Code::error(304, "template-failed");
/// A rendered namespace name is not a DNS-1123 label.
pub const INVALID_NAMESPACE: Code = Code::error(305, "invalid-namespace");
/// A rendered governance label is not a valid label.
pub const INVALID_GOVERNANCE_LABEL: Code = Code::error(306, "invalid-governance-label");
/// An environment's share scales a granted resource down to 0.
pub const SHARE_ROUNDS_TO_ZERO: Code = Code::warning(307, "share-rounds-to-zero");

// 04 check
/// LimitRange bounds out of order (min ≤ defaultRequest ≤ default ≤ max).
pub const LIMIT_ORDER: Code = Code::error(401, "limit-order");
/// Two tenants' cluster address ranges overlap, or one overlaps a range the platform reserves.
pub const CIDR_OVERLAP: Code = Code::error(402, "cidr-overlap");
/// Two tenants resolve to the same namespace.
pub const NAMESPACE_COLLISION: Code = Code::error(403, "namespace-collision");
/// A quota limit below the matching request.
pub const QUOTA_LIMIT_BELOW_REQUEST: Code = Code::error(404, "quota-limit-below-request");
/// Two tiers declare one PriorityClass with different values.
pub const PRIORITY_CLASS_CONFLICT: Code = Code::error(405, "priority-class-conflict");
/// A tier's isolation needs a section it lacks.
pub const ISOLATION_CONFIG_MISSING: Code = Code::error(406, "isolation-config-missing");
/// A gitops app names an environment the tenant does not have.
pub const UNKNOWN_APP_ENVIRONMENT: Code = Code::error(407, "unknown-app-environment");
/// A tenant label whose key the platform sets or namespace selectors match on.
pub const TENANT_LABEL_CONFLICT: Code = Code::error(408, "tenant-label-conflict");
/// A quota constrains cpu or memory but the LimitRange gives containers no default for it.
pub const QUOTA_WITHOUT_DEFAULTS: Code = Code::warning(409, "quota-without-defaults");
/// A tenant with cluster isolation declares no pod and service CIDRs.
pub const CLUSTER_NETWORK_MISSING: Code = Code::error(411, "cluster-network-missing");
/// A node pool's scaling is out of order (min ≤ desired ≤ max).
pub const SCALING_OUT_OF_ORDER: Code = Code::error(412, "scaling-out-of-order");
/// A GPU quota on a node-pool tenant whose pool has no GPU instance type.
pub const GPU_QUOTA_WITHOUT_GPU_NODES: Code = Code::warning(413, "gpu-quota-without-gpu-nodes");
/// Two cluster tenants get one Kamaji DataStore name, schema or user name.
pub const DATA_STORE_NAME_CONFLICT: Code = Code::error(414, "data-store-name-conflict");
/// A `spec.clusters` template renders a name that cannot be used.
pub const INVALID_CLUSTER_NAME: Code = Code::error(415, "invalid-cluster-name");
/// A tenant declares pod and service CIDRs but its tier gives it no cluster of its own.
pub const NETWORK_IGNORED: Code = Code::warning(416, "network-ignored");
/// Two Argo CD Applications or AppProjects would have the same name.
pub const ARGOCD_NAME_COLLISION: Code = Code::error(410, "argocd-name-collision");

/// A quota key that is not a resource the API server accepts in `spec.hard`.
pub const INVALID_QUOTA_RESOURCE: Code = Code::error(417, "invalid-quota-resource");
/// A quota key the API server accepts but that limits nothing (an extended resource without
/// `requests.`, an unknown storage-class resource).
pub const QUOTA_RESOURCE_IGNORED: Code = Code::error(418, "quota-resource-ignored");
/// A quota of objects (pods, secrets, ...) that is not a whole number.
pub const FRACTIONAL_COUNT: Code = Code::error(419, "fractional-count");
/// A quota allows LoadBalancer Services but fewer node ports than load balancers.
pub const LOAD_BALANCERS_WITHOUT_NODE_PORTS: Code =
    Code::warning(420, "load-balancers-without-node-ports");
/// A `type: Pod` LimitRange item with `default` or `defaultRequest`.
pub const POD_LIMIT_DEFAULT: Code = Code::error(421, "pod-limit-default");
/// A LimitRange resource that its item's type does not take.
pub const INVALID_LIMIT_RESOURCE: Code = Code::error(422, "invalid-limit-resource");
/// A PersistentVolumeClaim LimitRange item with neither a minimum nor a maximum `storage`.
pub const CLAIM_LIMIT_WITHOUT_BOUNDS: Code = Code::error(423, "claim-limit-without-bounds");
/// An ipBlock `except` that is not a strict subset of its `cidr`.
pub const EXCEPT_NOT_STRICT_SUBSET: Code = Code::error(424, "except-not-strict-subset");
/// A PriorityClass name with the reserved `system-` prefix.
pub const RESERVED_PRIORITY_CLASS: Code = Code::error(425, "reserved-priority-class");
/// A PriorityClass value above 1000000000, or a second `globalDefault` class.
pub const INVALID_PRIORITY: Code = Code::error(426, "invalid-priority");
/// A ConfigMap key the API server rejects.
pub const INVALID_CONFIG_MAP_KEY: Code = Code::error(427, "invalid-config-map-key");
/// A PodDisruptionBudget with both `minAvailable` and `maxUnavailable`.
pub const DISRUPTION_BUDGET_CONFLICT: Code = Code::error(428, "disruption-budget-conflict");
/// A PodDisruptionBudget bound that is not a non-negative integer or a percentage up to 100%.
pub const INVALID_DISRUPTION_BUDGET: Code = Code::error(429, "invalid-disruption-budget");
/// An object name its kind does not allow (DNS-1123 label, subdomain or path segment).
pub const INVALID_OBJECT_NAME: Code = Code::error(430, "invalid-object-name");
/// An invalid label or annotation key or value, or annotations over 256 KiB.
pub const INVALID_METADATA: Code = Code::error(431, "invalid-metadata");
/// A RoleBinding subject or roleRef the API server rejects.
pub const INVALID_ROLE_BINDING: Code = Code::error(432, "invalid-role-binding");

// 07 guard (numbered after emit: the stage came later; it runs right after resolve)
/// A tenant overrides a field its tier keeps to itself (isolation, priority class, budget,
/// guardrails, node pool provider/labels/taints, cluster version/class/DataStore, new
/// environments, ExternalName Services).
pub const OVERRIDE_NOT_ALLOWED: Code = Code::error(701, "override-not-allowed");
/// A tenant loosens its Pod Security level.
pub const POD_SECURITY_LOOSENED: Code = Code::error(702, "pod-security-loosened");
/// A tenant turns off default-deny, or turns on same-tenant or DNS traffic its tier denies.
pub const NETWORK_ISOLATION_LOOSENED: Code = Code::error(703, "network-isolation-loosened");
/// A tenant's own traffic rule reaches a peer its tier does not allow.
pub const TRAFFIC_RULE_NOT_ALLOWED: Code = Code::error(704, "traffic-rule-not-allowed");
/// A tenant raises a quota or a LimitRange bound beyond what its tier allows.
pub const QUOTA_ABOVE_TIER: Code = Code::error(705, "quota-above-tier");
/// A tenant's node pool goes beyond what its tier allows.
pub const NODE_POOL_OUT_OF_BOUNDS: Code = Code::error(706, "node-pool-out-of-bounds");
/// A tenant's cluster goes beyond what its tier allows.
pub const CLUSTER_OUT_OF_BOUNDS: Code = Code::error(707, "cluster-out-of-bounds");
/// A tenant application's repository is not on the platform's allow-list.
pub const SOURCE_REPO_NOT_ALLOWED: Code = Code::error(708, "source-repo-not-allowed");
/// A tenant grants a role to a `system:` user or group.
pub const SYSTEM_SUBJECT: Code = Code::error(709, "system-subject");
/// A tenant name, namespace or AppProject takes a name that belongs to the platform.
pub const RESERVED_NAME: Code = Code::error(710, "reserved-name");
/// A platform source-repository pattern that would allow any host.
pub const INVALID_SOURCE_PATTERN: Code = Code::error(711, "invalid-source-pattern");

// 05 render
/// An add-on template failed to render or produced an invalid object.
pub const ADDON_FAILED: Code = Code::error(501, "addon-failed");

// 06 emit
/// A file under the output directory that tenantc did not write; it is kept.
pub const UNOWNED_FILE: Code = Code::warning(601, "unowned-file");

/// Every code, for documentation and tests.
pub const ALL: &[Code] = &[
    YAML_SYNTAX,
    DUPLICATE_KEY,
    FILE_TOO_LARGE,
    YAML_TOO_COMPLEX,
    EMPTY_FILE,
    NOT_UTF8,
    MULTIPLE_DOCUMENTS,
    UNREADABLE_FILE,
    IGNORED_FILE,
    SYMLINK_IGNORED,
    UNKNOWN_FIELD,
    WRONG_TYPE,
    MISSING_FIELD,
    INVALID_VALUE,
    WRONG_KIND,
    NAME_MISMATCH,
    INVALID_NAME,
    DUPLICATE_NAME,
    INVALID_QUANTITY,
    INVALID_LABEL_KEY,
    INVALID_LABEL_VALUE,
    INVALID_PORT,
    INVALID_CIDR,
    DUPLICATE_ENVIRONMENT,
    SHARES_EXCEED_ONE,
    DUPLICATE_RULE,
    EMPTY_PEER,
    INVALID_SHARE,
    INVALID_TEMPLATE,
    DEFAULT_DENY_DISABLED,
    UNKNOWN_TIER,
    UNKNOWN_ENVIRONMENT,
    INVALID_MERGE,
    TEMPLATE_FAILED,
    INVALID_NAMESPACE,
    INVALID_GOVERNANCE_LABEL,
    SHARE_ROUNDS_TO_ZERO,
    LIMIT_ORDER,
    CIDR_OVERLAP,
    NAMESPACE_COLLISION,
    QUOTA_LIMIT_BELOW_REQUEST,
    PRIORITY_CLASS_CONFLICT,
    ISOLATION_CONFIG_MISSING,
    UNKNOWN_APP_ENVIRONMENT,
    TENANT_LABEL_CONFLICT,
    QUOTA_WITHOUT_DEFAULTS,
    CLUSTER_NETWORK_MISSING,
    SCALING_OUT_OF_ORDER,
    GPU_QUOTA_WITHOUT_GPU_NODES,
    DATA_STORE_NAME_CONFLICT,
    INVALID_CLUSTER_NAME,
    NETWORK_IGNORED,
    ARGOCD_NAME_COLLISION,
    INVALID_QUOTA_RESOURCE,
    QUOTA_RESOURCE_IGNORED,
    FRACTIONAL_COUNT,
    LOAD_BALANCERS_WITHOUT_NODE_PORTS,
    POD_LIMIT_DEFAULT,
    INVALID_LIMIT_RESOURCE,
    CLAIM_LIMIT_WITHOUT_BOUNDS,
    EXCEPT_NOT_STRICT_SUBSET,
    RESERVED_PRIORITY_CLASS,
    INVALID_PRIORITY,
    INVALID_CONFIG_MAP_KEY,
    DISRUPTION_BUDGET_CONFLICT,
    INVALID_DISRUPTION_BUDGET,
    INVALID_OBJECT_NAME,
    INVALID_METADATA,
    INVALID_ROLE_BINDING,
    ADDON_FAILED,
    UNOWNED_FILE,
    OVERRIDE_NOT_ALLOWED,
    POD_SECURITY_LOOSENED,
    NETWORK_ISOLATION_LOOSENED,
    TRAFFIC_RULE_NOT_ALLOWED,
    QUOTA_ABOVE_TIER,
    NODE_POOL_OUT_OF_BOUNDS,
    CLUSTER_OUT_OF_BOUNDS,
    SOURCE_REPO_NOT_ALLOWED,
    SYSTEM_SUBJECT,
    RESERVED_NAME,
    INVALID_SOURCE_PATTERN,
];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_and_names_are_unique() {
        let mut numbers: Vec<_> = ALL.iter().map(|c| c.number).collect();
        numbers.sort();
        numbers.dedup();
        assert_eq!(numbers.len(), ALL.len());
        let mut names: Vec<_> = ALL.iter().map(|c| c.name).collect();
        names.sort();
        names.dedup();
        assert_eq!(names.len(), ALL.len());
    }

    #[test]
    fn every_code_is_documented() {
        let docs = include_str!("../../docs/errors.md");
        for code in ALL {
            let row = format!("| `{code}` | `{}` |", code.name);
            assert!(docs.contains(&row), "docs/errors.md lacks {row}");
            let example = format!("\n### `{code}` {}\n", code.name);
            assert!(
                docs.contains(&example),
                "docs/errors.md has no example ({}) for {code}",
                example.trim()
            );
        }
    }
}
