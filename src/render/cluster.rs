//! `tenants/<tenant>/cluster.yaml` of a tenant with `isolation: cluster`: the objects on the
//! management cluster that build its own cluster.
//!
//! - the tenant's management namespace (Pod Security baseline, prune-protected);
//! - a ResourceQuota there that admits one Cluster, one KamajiControlPlane and one
//!   `tenantcontrolplanes.kamaji.clastix.io`;
//! - NetworkPolicies isolating the control plane: `default-deny`, and `allow-control-plane`,
//!   under which only the API server and konnectivity ports are reachable and the control
//!   plane reaches only the Kamaji namespace (its DataStore) and DNS;
//! - the Cluster API `Cluster` (`cluster.x-k8s.io/v1beta2`, a ClusterClass topology) with the
//!   tenant's pod and service CIDRs;
//! - a Kamaji `DataStore` of its own when the tier asks for a dedicated one.
//!
//! Names come from `resolve::cluster`, the same code `check` validated them with.

use super::labels::MANAGED_BY;
use crate::model::{
    ClusterSettings, DataStoreDriver, Isolation, Labels, Lifecycle, ServiceLocation,
};
use crate::objects::{Object, ObjectKey, OtherObject};
use crate::resolve::cluster::{ClusterNames, ClusterTemplates};
use crate::resolve::{Resolved, ResolvedTenant};
use k8s_openapi::api::core::v1::{Namespace, ResourceQuota, ResourceQuotaSpec};
use k8s_openapi::api::networking::v1::{
    NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::api::resource::Quantity;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::{LabelSelector, ObjectMeta};
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use serde_json::{Value, json};
use std::collections::BTreeMap;

/// The tenant API server's port (Kamaji's default `networkProfile.port`).
const API_SERVER_PORT: i32 = 6443;
/// The konnectivity server's port, which the tenant's nodes' agents dial.
const KONNECTIVITY_PORT: i32 = 8132;

/// The path of a tenant's cluster file.
pub fn cluster_path(tenant: &str) -> String {
    format!("{}/cluster.yaml", super::tenant_dir(tenant))
}

/// The objects of `cluster.yaml`, when the tenant's tier isolates it in a cluster of its own
/// and its names render (`check` reported any that do not).
pub fn objects(
    resolved: &Resolved,
    templates: &ClusterTemplates,
    tenant: &ResolvedTenant,
) -> Option<Vec<Object>> {
    let spec = &tenant.profile.spec;
    let cluster = spec.cluster.as_ref()?;
    if spec.isolation != Isolation::Cluster {
        return None;
    }
    let platform = &resolved.platform.spec;
    let settings = &platform.clusters;
    let names = templates
        .names(tenant)
        .ok()?
        .with_shared(&settings.data_stores.shared);
    let labels = labels(tenant);
    let lifecycle = tenant.tenant.spec.lifecycle;
    let protected = lifecycle != Lifecycle::Decommissioned;
    let annotations = protected.then(|| {
        BTreeMap::from([(
            "argocd.argoproj.io/sync-options".to_string(),
            "Prune=false".to_string(),
        )])
    });
    let meta = |name: &str| ObjectMeta {
        name: Some(name.to_string()),
        namespace: Some(names.namespace.clone()),
        labels: Some(labels.clone()),
        ..Default::default()
    };
    let mut namespace_labels = labels.clone();
    namespace_labels.insert("tenantc.dev/lifecycle".into(), lifecycle.as_str().into());
    for (mode, level) in [
        ("enforce", "baseline"),
        ("audit", "restricted"),
        ("warn", "restricted"),
    ] {
        namespace_labels.insert(format!("pod-security.kubernetes.io/{mode}"), level.into());
        namespace_labels.insert(
            format!("pod-security.kubernetes.io/{mode}-version"),
            "latest".into(),
        );
    }
    let mut objects = vec![
        Object::Namespace(Namespace {
            metadata: ObjectMeta {
                name: Some(names.namespace.clone()),
                labels: Some(namespace_labels),
                annotations: annotations.clone(),
                ..Default::default()
            },
            spec: None,
            status: None,
        }),
        Object::ResourceQuota(ResourceQuota {
            metadata: meta("tenant-cluster-quota"),
            spec: Some(ResourceQuotaSpec {
                hard: Some(
                    [
                        "count/clusters.cluster.x-k8s.io",
                        "count/kamajicontrolplanes.controlplane.cluster.x-k8s.io",
                        "count/tenantcontrolplanes.kamaji.clastix.io",
                    ]
                    .into_iter()
                    .map(|k| (k.to_string(), Quantity("1".into())))
                    .collect(),
                ),
                ..Default::default()
            }),
            status: None,
        }),
        Object::NetworkPolicy(NetworkPolicy {
            metadata: meta("default-deny"),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
                ..Default::default()
            }),
        }),
        Object::NetworkPolicy(control_plane_policy(
            meta("allow-control-plane"),
            settings,
            &platform.shared_services.dns,
        )),
    ];
    let mut cluster_meta = json!({
        "name": tenant.name,
        "namespace": names.namespace,
        "labels": labels,
    });
    if let Some(annotations) = &annotations {
        cluster_meta["annotations"] = json!(annotations);
    }
    let mut class_ref = json!({"name": cluster.class_ref.name});
    if let Some(namespace) = cluster
        .class_ref
        .namespace
        .as_ref()
        .or(settings.class_namespace.as_ref())
    {
        class_ref["namespace"] = json!(namespace);
    }
    let mut variables: Vec<(&str, Value)> = vec![
        (
            "controlPlaneServiceType",
            json!(settings.control_plane.service_type.as_str()),
        ),
        ("dataStoreName", json!(names.data_store)),
        ("dataStoreSchema", json!(names.schema)),
        ("dataStoreUsername", json!(names.username)),
        ("machineSize", json!(cluster.machine_size)),
    ];
    variables.sort_by_key(|(name, _)| *name);
    let mut cluster_spec = json!({
        "topology": {
            "classRef": class_ref,
            "version": cluster.kubernetes_version,
            "controlPlane": {"replicas": settings.control_plane.replicas},
            "workers": {"machineDeployments": machine_deployments(cluster.workers, settings)},
            "variables": variables.into_iter().map(|(name, value)| json!({"name": name, "value": value})).collect::<Vec<_>>(),
        },
    });
    if let Some(network) = &tenant.tenant.spec.network {
        cluster_spec["clusterNetwork"] = json!({
            "pods": {"cidrBlocks": [network.pod_cidr]},
            "services": {"cidrBlocks": [network.service_cidr]},
        });
    }
    objects.push(other(
        "cluster.x-k8s.io/v1beta2",
        "Cluster",
        &names.namespace,
        &tenant.name,
        json!({
            "apiVersion": "cluster.x-k8s.io/v1beta2",
            "kind": "Cluster",
            "metadata": cluster_meta,
            "spec": cluster_spec,
        }),
    ));
    if let Some(store) = data_store(tenant, &names, settings, annotations.as_ref()) {
        objects.push(store);
    }
    Some(objects)
}

/// Labels of every management-cluster object of a tenant: its own labels, then tenantc's.
fn labels(tenant: &ResolvedTenant) -> Labels {
    let mut labels = tenant.tenant.spec.labels.clone();
    labels.insert(MANAGED_BY.0.into(), MANAGED_BY.1.into());
    labels.insert("tenantc.dev/tenant".into(), tenant.name.clone());
    labels.insert("tenantc.dev/tier".into(), tenant.tenant.spec.tier.clone());
    labels
}

/// The workers: one MachineDeployment `md-0`, or one per failure domain `md-<i>` with the
/// workers spread evenly (the first domains take the remainder).
fn machine_deployments(workers: u32, settings: &ClusterSettings) -> Vec<Value> {
    let class = &settings.worker_class;
    if settings.failure_domains.is_empty() {
        return vec![json!({"class": class, "name": "md-0", "replicas": workers})];
    }
    let count = settings.failure_domains.len() as u32;
    settings
        .failure_domains
        .iter()
        .enumerate()
        .map(|(i, domain)| {
            let i = i as u32;
            let replicas = workers / count + u32::from(i < workers % count);
            json!({"class": class, "name": format!("md-{i}"), "failureDomain": domain, "replicas": replicas})
        })
        .collect()
}

fn tcp_port(port: i32) -> NetworkPolicyPort {
    NetworkPolicyPort {
        port: Some(IntOrString::Int(port)),
        protocol: Some("TCP".into()),
        end_port: None,
    }
}

fn namespace_peer(namespace: &str, pods: Option<&Labels>) -> NetworkPolicyPeer {
    NetworkPolicyPeer {
        namespace_selector: Some(LabelSelector {
            match_labels: Some(BTreeMap::from([(
                "kubernetes.io/metadata.name".to_string(),
                namespace.to_string(),
            )])),
            ..Default::default()
        }),
        pod_selector: pods.filter(|p| !p.is_empty()).map(|p| LabelSelector {
            match_labels: Some(p.clone()),
            ..Default::default()
        }),
        ip_block: None,
    }
}

/// What the tenant's control plane may do in its default-deny namespace: accept traffic
/// only on the API server and konnectivity ports, and reach only the Kamaji namespace and
/// the DataStore's Secret namespace (the data stores) and DNS.
fn control_plane_policy(
    metadata: ObjectMeta,
    settings: &ClusterSettings,
    dns: &ServiceLocation,
) -> NetworkPolicy {
    let mut store_namespaces = vec![
        settings.control_plane.kamaji_namespace.as_str(),
        settings.data_stores.dedicated.secret_namespace.as_str(),
    ];
    store_namespaces.sort();
    store_namespaces.dedup();
    let mut egress = vec![NetworkPolicyEgressRule {
        to: Some(
            store_namespaces
                .into_iter()
                .map(|ns| namespace_peer(ns, None))
                .collect(),
        ),
        ports: None,
    }];
    egress.push(NetworkPolicyEgressRule {
        to: Some(vec![namespace_peer(&dns.namespace, Some(&dns.pod_labels))]),
        ports: Some(
            ["UDP", "TCP"]
                .into_iter()
                .map(|protocol| NetworkPolicyPort {
                    port: Some(IntOrString::Int(53)),
                    protocol: Some(protocol.into()),
                    end_port: None,
                })
                .collect(),
        ),
    });
    NetworkPolicy {
        metadata,
        spec: Some(NetworkPolicySpec {
            pod_selector: Some(LabelSelector::default()),
            ingress: Some(vec![NetworkPolicyIngressRule {
                from: None,
                ports: Some(vec![tcp_port(API_SERVER_PORT), tcp_port(KONNECTIVITY_PORT)]),
            }]),
            egress: Some(egress),
            policy_types: Some(vec!["Ingress".into(), "Egress".into()]),
        }),
    }
}

/// The tenant's own DataStore, with TLS material referenced from Secrets (never inlined)
/// that tenantc does not create: by default those of a `kamaji-etcd` release (see
/// `DedicatedDataStore`). Kamaji's admission webhook rejects the DataStore until they exist.
fn data_store(
    tenant: &ResolvedTenant,
    names: &ClusterNames,
    settings: &ClusterSettings,
    annotations: Option<&BTreeMap<String, String>>,
) -> Option<Object> {
    let dedicated = names.dedicated.as_ref()?;
    let config = &settings.data_stores.dedicated;
    let reference = |secret: &str, key: &str| json!({"secretReference": {"name": secret, "namespace": config.secret_namespace, "keyPath": key}});
    let keys = &config.secret_keys;
    let mut authority =
        json!({"certificate": reference(&dedicated.ca_secret, &keys.ca_certificate)});
    if config.driver == DataStoreDriver::Etcd {
        // Kamaji signs etcd client certificates itself, so it needs the CA's key.
        authority["privateKey"] = reference(&dedicated.ca_secret, &keys.ca_private_key);
    }
    let mut metadata = json!({"name": names.data_store, "labels": labels(tenant)});
    if let Some(annotations) = annotations {
        metadata["annotations"] = json!(annotations);
    }
    Some(other(
        "kamaji.clastix.io/v1alpha1",
        "DataStore",
        "",
        &names.data_store,
        json!({
            "apiVersion": "kamaji.clastix.io/v1alpha1",
            "kind": "DataStore",
            "metadata": metadata,
            "spec": {
                "driver": config.driver.as_str(),
                "endpoints": dedicated.endpoints,
                "tlsConfig": {
                    "certificateAuthority": authority,
                    "clientCertificate": {
                        "certificate": reference(&dedicated.client_secret, &keys.client_certificate),
                        "privateKey": reference(&dedicated.client_secret, &keys.client_private_key),
                    },
                },
            },
        }),
    ))
}

fn other(api_version: &str, kind: &str, namespace: &str, name: &str, body: Value) -> Object {
    Object::Other(OtherObject {
        key: ObjectKey {
            api_version: api_version.into(),
            kind: kind.into(),
            namespace: namespace.into(),
            name: name.into(),
        },
        body,
    })
}
