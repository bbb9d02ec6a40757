//! Output types: the objects tenantc emits, their identity (apiVersion, kind, namespace,
//! name), their order inside a file, and the tree of output files.
//!
//! Knows nothing of tenants; `render` fills it, `emit` serializes and writes it.

use k8s_openapi::api::core::v1::{LimitRange, Namespace, ResourceQuota, ServiceAccount};
use k8s_openapi::api::networking::v1::NetworkPolicy;
use k8s_openapi::api::rbac::v1::{Role, RoleBinding};
use k8s_openapi::api::scheduling::v1::PriorityClass;
use k8s_openapi::{Metadata, Resource};
use serde::Serialize;
use std::collections::BTreeMap;

/// One emitted object. Core kinds are typed `k8s-openapi` values; `Other` holds objects of
/// any other kind (such as add-on template output) as checked JSON values.
#[derive(Debug, Clone, PartialEq)]
pub enum Object {
    /// A tenant namespace.
    Namespace(Namespace),
    /// A namespace's quota.
    ResourceQuota(ResourceQuota),
    /// A namespace's defaults and bounds.
    LimitRange(LimitRange),
    /// A network rule.
    NetworkPolicy(NetworkPolicy),
    /// A tenant role.
    Role(Role),
    /// A binding of a tenant role.
    RoleBinding(RoleBinding),
    /// A tier's PriorityClass.
    PriorityClass(PriorityClass),
    /// A tenant namespace's deployer account.
    ServiceAccount(ServiceAccount),
    /// Any other kind.
    Other(OtherObject),
}

/// An object of a kind tenantc has no Rust type for.
#[derive(Debug, Clone, PartialEq)]
pub struct OtherObject {
    /// Its identity.
    pub key: ObjectKey,
    /// The whole object, including apiVersion, kind and metadata.
    pub body: serde_json::Value,
}

/// What identifies an object in a cluster; `diff` matches objects by it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ObjectKey {
    /// `apiVersion`.
    pub api_version: String,
    /// `kind`.
    pub kind: String,
    /// The namespace, empty for cluster-scoped objects.
    pub namespace: String,
    /// `metadata.name`.
    pub name: String,
}

fn key_of<
    T: Resource + Metadata<Ty = k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta>,
>(
    object: &T,
) -> ObjectKey {
    let meta = object.metadata();
    ObjectKey {
        api_version: T::API_VERSION.to_string(),
        kind: T::KIND.to_string(),
        namespace: meta.namespace.clone().unwrap_or_default(),
        name: meta.name.clone().unwrap_or_default(),
    }
}

impl Object {
    /// The object's identity.
    pub fn key(&self) -> ObjectKey {
        match self {
            Object::Namespace(o) => key_of(o),
            Object::ResourceQuota(o) => key_of(o),
            Object::LimitRange(o) => key_of(o),
            Object::NetworkPolicy(o) => key_of(o),
            Object::Role(o) => key_of(o),
            Object::RoleBinding(o) => key_of(o),
            Object::PriorityClass(o) => key_of(o),
            Object::ServiceAccount(o) => key_of(o),
            Object::Other(o) => o.key.clone(),
        }
    }

    /// The position of the object's kind in a file: Namespace, ResourceQuota, LimitRange,
    /// NetworkPolicies, Roles, RoleBindings, then any other kind.
    pub fn rank(&self) -> u8 {
        match self {
            Object::Namespace(_) => 0,
            Object::ResourceQuota(_) => 1,
            Object::LimitRange(_) => 2,
            Object::NetworkPolicy(_) => 3,
            Object::Role(_) => 4,
            Object::RoleBinding(_) => 5,
            Object::PriorityClass(_) | Object::ServiceAccount(_) | Object::Other(_) => 6,
        }
    }

    /// The sort key inside a file: kind rank, then kind, then name.
    pub fn order(&self) -> (u8, String, String) {
        let key = self.key();
        (self.rank(), key.kind, key.name)
    }
}

impl Serialize for Object {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Object::Namespace(o) => o.serialize(s),
            Object::ResourceQuota(o) => o.serialize(s),
            Object::LimitRange(o) => o.serialize(s),
            Object::NetworkPolicy(o) => o.serialize(s),
            Object::Role(o) => o.serialize(s),
            Object::RoleBinding(o) => o.serialize(s),
            // k8s-openapi writes PriorityClass and ServiceAccount fields alphabetically,
            // `description` or `automountServiceAccountToken` before `metadata`; put them in
            // kubectl's order like every other object.
            Object::PriorityClass(o) => {
                let value = serde_json::to_value(o).map_err(serde::ser::Error::custom)?;
                KubernetesOrder(&value).serialize(s)
            }
            Object::ServiceAccount(o) => {
                let value = serde_json::to_value(o).map_err(serde::ser::Error::custom)?;
                KubernetesOrder(&value).serialize(s)
            }
            Object::Other(o) => KubernetesOrder(&o.body).serialize(s),
        }
    }
}

/// Serializes an object's fields the way kubectl prints them: `apiVersion`, `kind`,
/// `metadata`, then the rest in sorted order.
struct KubernetesOrder<'a>(&'a serde_json::Value);

impl Serialize for KubernetesOrder<'_> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let Some(map) = self.0.as_object() else {
            return self.0.serialize(s);
        };
        const FIRST: [&str; 3] = ["apiVersion", "kind", "metadata"];
        let mut out = s.serialize_map(Some(map.len()))?;
        for key in FIRST {
            if let Some(value) = map.get(key) {
                out.serialize_entry(key, value)?;
            }
        }
        for (key, value) in map.iter().filter(|(k, _)| !FIRST.contains(&k.as_str())) {
            out.serialize_entry(key, value)?;
        }
        out.end()
    }
}

/// The content of one output file.
#[derive(Debug, Clone, PartialEq)]
pub enum FileContent {
    /// A YAML stream of objects, in file order.
    Yaml(Vec<Object>),
    /// A JSON document (Terraform).
    Json(serde_json::Value),
}

/// Every file a render produces, by path relative to the output directory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct OutputTree {
    /// Files by `/`-separated relative path.
    pub files: BTreeMap<String, FileContent>,
}

impl OutputTree {
    /// Adds a YAML file, putting its objects in file order.
    pub fn add_yaml(&mut self, path: String, mut objects: Vec<Object>) {
        objects.sort_by_cached_key(Object::order);
        self.files.insert(path, FileContent::Yaml(objects));
    }

    /// Adds every file of `other`.
    pub fn extend(&mut self, other: OutputTree) {
        self.files.extend(other.files);
    }
}
