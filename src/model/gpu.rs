//! Which machine types have NVIDIA GPUs, per cloud: one list that the check of GPU quotas
//! (W0413) and the node groups' images and accelerators (render) both read.

use super::CloudProvider;

/// AWS instance families with NVIDIA GPUs.
const AWS_GPU_FAMILIES: &[&str] = &[
    "p2", "p3", "p3dn", "p4d", "p4de", "p5", "p5e", "p5en", "g3", "g3s", "g4dn", "g5", "g5g", "g6",
    "g6e", "g6f", "gr6", "gr6f",
];

/// GCP machine families with attached NVIDIA GPUs.
const GCP_GPU_FAMILIES: &[&str] = &["a2", "a3", "a4", "a4x", "g2", "g4"];

/// Whether an instance or VM type has NVIDIA GPUs: built-in families per provider, plus the
/// platform's extra prefixes.
pub fn is_gpu_instance_type(provider: CloudProvider, instance: &str, extra: &[String]) -> bool {
    if extra.iter().any(|p| instance.starts_with(p.as_str())) {
        return true;
    }
    match provider {
        CloudProvider::Aws => {
            let family = instance.split('.').next().unwrap_or(instance);
            AWS_GPU_FAMILIES.contains(&family) || family.starts_with("p6")
        }
        CloudProvider::Gcp => {
            let family = instance.split('-').next().unwrap_or(instance);
            GCP_GPU_FAMILIES.contains(&family)
        }
        // The N series: NC, ND and NV.
        CloudProvider::Azure => instance.to_ascii_lowercase().starts_with("standard_n"),
    }
}
