//! The naming and governance-label templates of platform.yaml, compiled once and rendered
//! per tenant and environment.

use crate::model::{Labels, Tenant};
use minijinja::value::{Enumerator, Object, Value};
use minijinja::{Environment, UndefinedBehavior};
use std::collections::BTreeMap;
use std::fmt;
use std::sync::Arc;

/// A compiled set of platform templates, keyed by name (the JSON pointer of their source).
pub struct PlatformTemplates {
    env: Environment<'static>,
    names: Vec<String>,
}

/// A minijinja environment for user templates: no loader (so no file access beyond the
/// templates added to it), undefined names are errors, and execution is bounded by `fuel`
/// and a recursion limit, so an endless loop fails instead of hanging.
pub fn sandboxed_environment(fuel: u64) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    env.set_fuel(Some(fuel));
    env.set_recursion_limit(20);
    // minijinja's debug mode says which name was undefined; it is on only in debug builds
    // by default, and a release build must give users the messages the tests check.
    env.set_debug(true);
    env
}

/// What a template sees of a tenant. Printed on its own it is the tenant's name, so both
/// `{{ tenant }}` and `{{ tenant.name }}` work.
#[derive(Debug)]
pub struct TenantContext {
    name: String,
    tier: String,
    cost_center: Option<String>,
    billing_code: Option<String>,
    display_name: Option<String>,
    lifecycle: &'static str,
    labels: Labels,
}

impl TenantContext {
    /// The tenant's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The context of `tenant`.
    pub fn new(tenant: &Tenant) -> Self {
        let spec = &tenant.spec;
        Self {
            name: tenant.metadata.name.clone(),
            tier: spec.tier.clone(),
            cost_center: spec.cost_center.clone(),
            billing_code: spec.billing_code.clone(),
            display_name: spec.display_name.clone(),
            lifecycle: spec.lifecycle.as_str(),
            labels: spec.labels.clone(),
        }
    }
}

const TENANT_FIELDS: &[&str] = &[
    "name",
    "tier",
    "costCenter",
    "billingCode",
    "displayName",
    "lifecycle",
    "labels",
];

impl Object for TenantContext {
    fn get_value(self: &Arc<Self>, key: &Value) -> Option<Value> {
        let optional = |v: &Option<String>| Value::from(v.clone().unwrap_or_default());
        Some(match key.as_str()? {
            "name" => Value::from(self.name.clone()),
            "tier" => Value::from(self.tier.clone()),
            "costCenter" => optional(&self.cost_center),
            "billingCode" => optional(&self.billing_code),
            "displayName" => optional(&self.display_name),
            "lifecycle" => Value::from(self.lifecycle),
            "labels" => Value::from(self.labels.clone()),
            _ => return None,
        })
    }

    fn enumerate(self: &Arc<Self>) -> Enumerator {
        Enumerator::Str(TENANT_FIELDS)
    }

    fn render(self: &Arc<Self>, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.name)
    }
}

impl PlatformTemplates {
    /// Compiles `sources` (name → template text). Returns the names that failed with their
    /// errors, so each can be reported at its own line.
    pub fn compile(sources: &BTreeMap<String, String>) -> (Self, Vec<(String, String)>) {
        let mut env = sandboxed_environment(10_000);
        let mut failed = Vec::new();
        for (name, source) in sources {
            if let Err(e) = env.add_template_owned(name.clone(), source.clone()) {
                failed.push((name.clone(), first_line(&e)));
            }
        }
        (
            Self {
                env,
                names: sources.keys().cloned().collect(),
            },
            failed,
        )
    }

    /// The names of the templates whose name starts with `prefix`, sorted.
    pub fn names_under<'a>(&'a self, prefix: &'a str) -> impl Iterator<Item = &'a String> + 'a {
        self.names.iter().filter(move |n| n.starts_with(prefix))
    }

    /// Renders template `name` for a tenant, its tier and environment.
    pub fn render(
        &self,
        name: &str,
        tenant: &Arc<TenantContext>,
        env: Option<&str>,
    ) -> Result<String, String> {
        let template = self.env.get_template(name).map_err(|e| first_line(&e))?;
        let ctx = minijinja::context! {
            tenant => Value::from_dyn_object(tenant.clone()),
            tier => tenant.tier.clone(),
            env => env.unwrap_or_default(),
        };
        template
            .render(ctx)
            .map(|s| s.trim().to_string())
            .map_err(|e| first_line(&e))
    }
}

/// A template error as one line: its kind and detail.
pub fn first_line(e: &minijinja::Error) -> String {
    let mut text = e.kind().to_string();
    if let Some(detail) = e.detail() {
        text = format!("{text}: {detail}");
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tenant() -> Arc<TenantContext> {
        Arc::new(TenantContext {
            name: "acme".into(),
            tier: "gold".into(),
            cost_center: Some("eng".into()),
            billing_code: None,
            display_name: None,
            lifecycle: "active",
            labels: Labels::new(),
        })
    }

    #[test]
    fn tenant_prints_as_its_name() {
        let sources = BTreeMap::from([
            (
                "ns".to_string(),
                "tenant-{{ tenant }}-{{ env }}".to_string(),
            ),
            (
                "cc".to_string(),
                "{{ tenant.costCenter }}/{{ tier }}".to_string(),
            ),
            ("bad".to_string(), "{{ tenant.nope }}".to_string()),
        ]);
        let (t, failed) = PlatformTemplates::compile(&sources);
        assert!(failed.is_empty());
        assert_eq!(
            t.render("ns", &tenant(), Some("dev")).unwrap(),
            "tenant-acme-dev"
        );
        assert_eq!(t.render("cc", &tenant(), None).unwrap(), "eng/gold");
        assert!(t.render("bad", &tenant(), None).is_err());
    }

    #[test]
    fn endless_loops_run_out_of_fuel() {
        let sources = BTreeMap::from([(
            "loop".to_string(),
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}"
                .to_string(),
        )]);
        let (t, _) = PlatformTemplates::compile(&sources);
        assert!(t.render("loop", &tenant(), None).is_err());
    }
}
