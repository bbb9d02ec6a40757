//! E0706 and E0707: a tenant's node pool and cluster stay within what its tier allows.
//!
//! Instance types, capacity types and machine sizes must be the tier's own or among those it
//! lists in `guardrails`; node counts, disk sizes and worker counts may go up to the tier's
//! own value or to the ceiling `guardrails` sets. (Provider, labels, taints, version, class
//! and DataStore are closed fields, see `closed.rs`.)

use super::TenantView;
use crate::diagnostics::{Code, Diagnostics, codes};

/// Reports every node-pool and cluster value beyond the tier's bounds.
pub fn check(view: &TenantView, diags: &mut Diagnostics) {
    node_pool(view, diags);
    cluster(view, diags);
}

fn node_pool(view: &TenantView, diags: &mut Diagnostics) {
    let (Some(mine), Some(tier)) = (&view.mine.spec.node_pool, &view.tier.spec.node_pool) else {
        return;
    };
    let open = &view.tier.spec.guardrails.node_pool;
    let code = codes::NODE_POOL_OUT_OF_BOUNDS;
    for (i, instance) in mine.instance_types.iter().enumerate() {
        if !tier.instance_types.contains(instance) && !open.instance_types.contains(instance) {
            let mut allowed = tier.instance_types.clone();
            allowed.extend(open.instance_types.iter().cloned());
            push(
                view,
                diags,
                code,
                format!("instance type `{instance}` is not one the tier allows"),
                &format!("/nodePool/instanceTypes/{i}"),
                (
                    "/guardrails/nodePool/instanceTypes",
                    !open.instance_types.is_empty(),
                    "/nodePool/instanceTypes",
                ),
                format!("allowed: {}", allowed.join(", ")),
            );
        }
    }
    if mine.capacity_type != tier.capacity_type
        && !open.capacity_types.contains(&mine.capacity_type)
    {
        push(
            view,
            diags,
            code,
            "the tier does not let tenants change the capacity type".into(),
            "/nodePool/capacityType",
            (
                "/guardrails/nodePool/capacityTypes",
                !open.capacity_types.is_empty(),
                "/nodePool/capacityType",
            ),
            "no other capacity type is opened".into(),
        );
    }
    let max_nodes = open.max_nodes.unwrap_or(0).max(tier.scaling.max);
    if mine.scaling.max > max_nodes {
        push(
            view,
            diags,
            code,
            format!(
                "a node pool of up to {} nodes is more than the tier allows ({max_nodes})",
                mine.scaling.max
            ),
            "/nodePool/scaling/max",
            (
                "/guardrails/nodePool/maxNodes",
                open.max_nodes.is_some(),
                "/nodePool/scaling/max",
            ),
            format!("at most {max_nodes} nodes"),
        );
    }
    if let Some(disk) = mine.disk_size_gb
        && Some(disk) != tier.disk_size_gb
    {
        let ceiling = open.max_disk_size_gb.max(tier.disk_size_gb);
        if ceiling.is_none_or(|c| disk > c) {
            push(
                view,
                diags,
                code,
                format!("a {disk} GiB disk is more than the tier allows"),
                "/nodePool/diskSizeGb",
                (
                    "/guardrails/nodePool/maxDiskSizeGb",
                    open.max_disk_size_gb.is_some(),
                    "/nodePool/diskSizeGb",
                ),
                ceiling.map_or_else(
                    || "the tier sets no disk size a tenant may change".into(),
                    |c| format!("at most {c} GiB"),
                ),
            );
        }
    }
}

fn cluster(view: &TenantView, diags: &mut Diagnostics) {
    let (Some(mine), Some(tier)) = (&view.mine.spec.cluster, &view.tier.spec.cluster) else {
        return;
    };
    let open = &view.tier.spec.guardrails.cluster;
    let code = codes::CLUSTER_OUT_OF_BOUNDS;
    let max_workers = open.max_workers.unwrap_or(0).max(tier.workers);
    if mine.workers > max_workers {
        push(
            view,
            diags,
            code,
            format!(
                "{} workers are more than the tier allows ({max_workers})",
                mine.workers
            ),
            "/cluster/workers",
            (
                "/guardrails/cluster/maxWorkers",
                open.max_workers.is_some(),
                "/cluster/workers",
            ),
            format!("at most {max_workers} workers"),
        );
    }
    if mine.machine_size != tier.machine_size && !open.machine_sizes.contains(&mine.machine_size) {
        let mut allowed = vec![tier.machine_size.clone()];
        allowed.extend(open.machine_sizes.iter().cloned());
        push(
            view,
            diags,
            code,
            format!(
                "machine size `{}` is not one the tier allows",
                mine.machine_size
            ),
            "/cluster/machineSize",
            (
                "/guardrails/cluster/machineSizes",
                !open.machine_sizes.is_empty(),
                "/cluster/machineSize",
            ),
            format!("allowed: {}", allowed.join(", ")),
        );
    }
}

/// The guardrail that bounds a value: its pointer, whether the tier sets it, and the tier's
/// own value to point at when it does not.
type Guardrail<'a> = (&'a str, bool, &'a str);

fn push(
    view: &TenantView,
    diags: &mut Diagnostics,
    code: Code,
    headline: String,
    pointer: &str,
    (guardrail, set, own): Guardrail,
    allowed: String,
) {
    let field = guardrail.trim_start_matches('/').replace('/', ".");
    diags.push(
        view.violation(
            code,
            headline,
            pointer,
            "set by the tenant file",
            if set { guardrail } else { own },
            format!("tier `{}`: {allowed}", view.tier_name()),
        )
        .help(format!(
            "stay within the tier, or ask the platform team to open it in the tier's `{field}`"
        )),
    );
}
