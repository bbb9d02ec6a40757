//! The names a `cluster` tenant gets on the management cluster and in its Kamaji DataStore,
//! rendered from the templates of platform.yaml `spec.clusters`.
//!
//! Both `check` (which reports bad templates and names, and names used twice) and `render`
//! (which builds the objects) derive them here, so they cannot disagree.

use super::{PlatformTemplates, ResolvedTenant, TenantContext};
use crate::model::{ClusterSettings, DataStoreMode, is_dns_label};
use std::collections::BTreeMap;
use std::sync::Arc;

/// Where each template of `spec.clusters` lives in platform.yaml, as a JSON pointer.
pub mod pointers {
    /// The management namespace template.
    pub const NAMESPACE: &str = "/spec/clusters/namespaceTemplate";
    /// The data-store schema template.
    pub const SCHEMA: &str = "/spec/clusters/dataStores/schemaTemplate";
    /// The data-store user name template.
    pub const USERNAME: &str = "/spec/clusters/dataStores/usernameTemplate";
    /// The dedicated DataStore's name template.
    pub const DEDICATED_NAME: &str = "/spec/clusters/dataStores/dedicated/nameTemplate";
    /// The dedicated DataStore's endpoint templates (followed by `/<index>`).
    pub const ENDPOINTS: &str = "/spec/clusters/dataStores/dedicated/endpointTemplates";
    /// The dedicated DataStore's CA Secret template.
    pub const CA_SECRET: &str = "/spec/clusters/dataStores/dedicated/caSecretTemplate";
    /// The dedicated DataStore's client certificate Secret template.
    pub const CLIENT_SECRET: &str = "/spec/clusters/dataStores/dedicated/clientSecretTemplate";
}

/// The compiled templates of `spec.clusters`.
pub struct ClusterTemplates {
    templates: PlatformTemplates,
    endpoints: usize,
}

/// A template of `spec.clusters` that failed, or a value it rendered that cannot be used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateProblem {
    /// The template's JSON pointer in platform.yaml.
    pub pointer: String,
    /// The rendered value, when rendering worked but the value is unusable.
    pub value: Option<String>,
    /// What is wrong.
    pub message: String,
}

/// Everything a cluster tenant is named on the management cluster and in its DataStore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterNames {
    /// The management-cluster namespace of the Cluster and its control plane.
    pub namespace: String,
    /// The DataStore the control plane uses: the shared one or the tenant's own.
    pub data_store: String,
    /// The tenant's own DataStore, when the tier asks for a dedicated one.
    pub dedicated: Option<DedicatedNames>,
    /// The tenant's schema in the DataStore.
    pub schema: String,
    /// The tenant's user name in the DataStore.
    pub username: String,
}

/// The rendered settings of a dedicated DataStore.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DedicatedNames {
    /// Its servers, as `host:port`.
    pub endpoints: Vec<String>,
    /// The Secret with the CA certificate (and key).
    pub ca_secret: String,
    /// The Secret with the client certificate and key.
    pub client_secret: String,
}

impl ClusterTemplates {
    /// Compiles the templates; the ones that do not compile come back as problems.
    pub fn compile(settings: &ClusterSettings) -> (Self, Vec<TemplateProblem>) {
        let stores = &settings.data_stores;
        let dedicated = &stores.dedicated;
        let mut sources = BTreeMap::from([
            (
                pointers::NAMESPACE.to_string(),
                settings.namespace_template.clone(),
            ),
            (pointers::SCHEMA.to_string(), stores.schema_template.clone()),
            (
                pointers::USERNAME.to_string(),
                stores.username_template.clone(),
            ),
            (
                pointers::DEDICATED_NAME.to_string(),
                dedicated.name_template.clone(),
            ),
            (
                pointers::CA_SECRET.to_string(),
                dedicated.ca_secret_template.clone(),
            ),
            (
                pointers::CLIENT_SECRET.to_string(),
                dedicated.client_secret_template.clone(),
            ),
        ]);
        for (i, endpoint) in dedicated.endpoint_templates.iter().enumerate() {
            sources.insert(format!("{}/{i}", pointers::ENDPOINTS), endpoint.clone());
        }
        let (templates, failed) = PlatformTemplates::compile(&sources);
        let problems = failed
            .into_iter()
            .map(|(pointer, message)| TemplateProblem {
                pointer,
                value: None,
                message,
            })
            .collect();
        (
            Self {
                templates,
                endpoints: dedicated.endpoint_templates.len(),
            },
            problems,
        )
    }

    /// Renders the names of one cluster tenant; the first problem stops it.
    pub fn names(&self, tenant: &ResolvedTenant) -> Result<ClusterNames, TemplateProblem> {
        let context = Arc::new(TenantContext::new(&tenant.tenant));
        let render = |pointer: &str, check: fn(&str) -> Option<&'static str>| {
            let value = self
                .templates
                .render(pointer, &context, None)
                .map_err(|message| TemplateProblem {
                    pointer: pointer.to_string(),
                    value: None,
                    message,
                })?;
            match check(&value) {
                None => Ok(value),
                Some(problem) => Err(TemplateProblem {
                    pointer: pointer.to_string(),
                    value: Some(value),
                    message: problem.to_string(),
                }),
            }
        };
        let namespace = render(pointers::NAMESPACE, label_problem)?;
        let schema = render(pointers::SCHEMA, identifier_problem)?;
        let username = render(pointers::USERNAME, identifier_problem)?;
        let cluster = tenant.profile.spec.cluster.as_ref();
        let (data_store, dedicated) = match cluster.map(|c| c.data_store) {
            Some(DataStoreMode::Dedicated) => {
                let name = render(pointers::DEDICATED_NAME, subdomain_problem)?;
                let endpoints = (0..self.endpoints)
                    .map(|i| render(&format!("{}/{i}", pointers::ENDPOINTS), endpoint_problem))
                    .collect::<Result<Vec<_>, _>>()?;
                let dedicated = DedicatedNames {
                    endpoints,
                    ca_secret: render(pointers::CA_SECRET, subdomain_problem)?,
                    client_secret: render(pointers::CLIENT_SECRET, subdomain_problem)?,
                };
                (name, Some(dedicated))
            }
            _ => (String::new(), None),
        };
        Ok(ClusterNames {
            namespace,
            data_store,
            dedicated,
            schema,
            username,
        })
    }
}

impl ClusterNames {
    /// The DataStore name, with the platform's shared one filled in for shared tenants.
    pub fn with_shared(mut self, shared: &str) -> Self {
        if self.dedicated.is_none() {
            self.data_store = shared.to_string();
        }
        self
    }
}

fn label_problem(value: &str) -> Option<&'static str> {
    (!is_dns_label(value)).then_some(
        "a namespace name is a DNS-1123 label: at most 63 lower-case letters, digits and `-`",
    )
}

fn subdomain_problem(value: &str) -> Option<&'static str> {
    let ok = !value.is_empty() && value.len() <= 253 && value.split('.').all(is_dns_label);
    (!ok).then_some("expected a DNS-1123 subdomain such as `acme-etcd`")
}

/// Schema and user names must work as etcd prefixes and as SQL identifiers alike.
fn identifier_problem(value: &str) -> Option<&'static str> {
    let b = value.as_bytes();
    let ok = !b.is_empty()
        && b.len() <= 63
        && (b[0].is_ascii_lowercase() || b[0] == b'_')
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'_');
    (!ok).then_some(
        "expected at most 63 lower-case letters, digits and `_`, not starting with a digit",
    )
}

fn endpoint_problem(value: &str) -> Option<&'static str> {
    let ok = value.rsplit_once(':').is_some_and(|(host, port)| {
        !host.is_empty()
            && !host.contains("://")
            && !host.contains('/')
            && port.parse::<u16>().is_ok_and(|p| p > 0)
    });
    (!ok).then_some(
        "expected `host:port` without a scheme, such as `etcd-0.etcd.kamaji-system.svc:2379`",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked() {
        assert!(identifier_problem("acme_corp").is_none());
        assert!(identifier_problem("acme-corp").is_some());
        assert!(identifier_problem("1acme").is_some());
        assert!(endpoint_problem("etcd-0.etcd.kamaji-system.svc:2379").is_none());
        assert!(endpoint_problem("https://etcd:2379").is_some());
        assert!(endpoint_problem("etcd").is_some());
        assert!(subdomain_problem("acme-etcd").is_none());
        assert!(subdomain_problem("Acme").is_some());
    }
}
