//! The NetworkPolicies of one tenant environment: default-deny, same-tenant, DNS and the
//! tier's ingress and egress rules.

use super::namespace::meta;
use crate::model::{PortRule, PortValue, ServiceLocation, TrafficRule};
use crate::objects::Object;
use crate::resolve::{ResolvedEnvironment, ResolvedTenant};
use k8s_openapi::api::networking::v1::{
    IPBlock, NetworkPolicy, NetworkPolicyEgressRule, NetworkPolicyIngressRule, NetworkPolicyPeer,
    NetworkPolicyPort, NetworkPolicySpec,
};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::LabelSelector;
use k8s_openapi::apimachinery::pkg::util::intstr::IntOrString;
use std::collections::BTreeMap;

const INGRESS: &str = "Ingress";
const EGRESS: &str = "Egress";

/// Every NetworkPolicy of the environment.
pub fn policies(
    tenant: &ResolvedTenant,
    env: &ResolvedEnvironment,
    dns: &ServiceLocation,
) -> Vec<Object> {
    let network = &tenant.profile.spec.network;
    let mut out = Vec::new();
    let policy = |name: String, ingress, egress, types: &[&str]| {
        Object::NetworkPolicy(NetworkPolicy {
            metadata: meta(tenant, env, &name),
            spec: Some(NetworkPolicySpec {
                pod_selector: Some(LabelSelector::default()),
                ingress,
                egress,
                policy_types: Some(types.iter().map(|t| t.to_string()).collect()),
            }),
        })
    };
    if network.default_deny {
        out.push(policy(
            "default-deny".into(),
            None,
            None,
            &[INGRESS, EGRESS],
        ));
    }
    // Allow rules only carve exceptions out of directions that are isolated: by default-deny,
    // or (when a tier opts out of it) by its own rules in that direction. They never isolate
    // a direction by themselves.
    let ingress_isolated = network.default_deny || !network.ingress.is_empty();
    let egress_isolated = network.default_deny || !network.egress.is_empty();
    if network.allow_same_tenant && (ingress_isolated || egress_isolated) {
        let peer = NetworkPolicyPeer {
            namespace_selector: Some(match_labels([("tenantc.dev/tenant", tenant.name.as_str())])),
            ..Default::default()
        };
        let types: Vec<&str> = [(ingress_isolated, INGRESS), (egress_isolated, EGRESS)]
            .into_iter()
            .filter_map(|(isolated, t)| isolated.then_some(t))
            .collect();
        out.push(policy(
            "allow-same-tenant".into(),
            ingress_isolated.then(|| {
                vec![NetworkPolicyIngressRule {
                    from: Some(vec![peer.clone()]),
                    ports: None,
                }]
            }),
            egress_isolated.then(|| {
                vec![NetworkPolicyEgressRule {
                    to: Some(vec![peer]),
                    ports: None,
                }]
            }),
            &types,
        ));
    }
    if network.allow_dns && egress_isolated {
        let peer = NetworkPolicyPeer {
            namespace_selector: Some(match_labels([(
                "kubernetes.io/metadata.name",
                dns.namespace.as_str(),
            )])),
            pod_selector: (!dns.pod_labels.is_empty()).then(|| LabelSelector {
                match_labels: Some(dns.pod_labels.clone()),
                ..Default::default()
            }),
            ..Default::default()
        };
        let ports = ["53/UDP", "53/TCP"]
            .iter()
            .filter_map(|p| port(p))
            .collect();
        out.push(policy(
            "allow-dns".into(),
            None,
            Some(vec![NetworkPolicyEgressRule {
                to: Some(vec![peer]),
                ports: Some(ports),
            }]),
            &[EGRESS],
        ));
    }
    for rule in &network.ingress {
        let ingress = NetworkPolicyIngressRule {
            from: Some(vec![peer(rule)]),
            ports: ports(rule),
        };
        out.push(policy(
            format!("ingress-{}", rule.name),
            Some(vec![ingress]),
            None,
            &[INGRESS],
        ));
    }
    for rule in &network.egress {
        let egress = NetworkPolicyEgressRule {
            to: Some(vec![peer(rule)]),
            ports: ports(rule),
        };
        out.push(policy(
            format!("egress-{}", rule.name),
            None,
            Some(vec![egress]),
            &[EGRESS],
        ));
    }
    out
}

fn match_labels<'a>(labels: impl IntoIterator<Item = (&'a str, &'a str)>) -> LabelSelector {
    LabelSelector {
        match_labels: Some(
            labels
                .into_iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect::<BTreeMap<_, _>>(),
        ),
        ..Default::default()
    }
}

/// The peer of a rule: an IP block, or pods selected by namespace and pod labels.
fn peer(rule: &TrafficRule) -> NetworkPolicyPeer {
    if let Some(cidr) = &rule.cidr {
        return NetworkPolicyPeer {
            ip_block: Some(IPBlock {
                cidr: cidr.clone(),
                except: (!rule.except.is_empty()).then(|| rule.except.clone()),
            }),
            ..Default::default()
        };
    }
    let selector = |labels: &BTreeMap<String, String>| {
        (!labels.is_empty()).then(|| LabelSelector {
            match_labels: Some(labels.clone()),
            ..Default::default()
        })
    };
    NetworkPolicyPeer {
        namespace_selector: selector(&rule.namespace_labels),
        pod_selector: selector(&rule.pod_labels),
        ip_block: None,
    }
}

fn ports(rule: &TrafficRule) -> Option<Vec<NetworkPolicyPort>> {
    let ports: Vec<NetworkPolicyPort> = rule.ports.iter().filter_map(|p| port(p)).collect();
    (!ports.is_empty()).then_some(ports)
}

fn port(text: &str) -> Option<NetworkPolicyPort> {
    let rule = PortRule::parse(text).ok()?;
    Some(NetworkPolicyPort {
        port: Some(match rule.port {
            PortValue::Number(n) => IntOrString::Int(i32::from(n)),
            PortValue::Name(name) => IntOrString::String(name),
        }),
        end_port: rule.end_port.map(i32::from),
        protocol: Some(rule.protocol.to_string()),
    })
}
