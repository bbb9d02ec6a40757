//! Add-on templates: extra objects per tenant namespace (`templates/namespace/*.yaml`) or per
//! tenant (`templates/tenant/*.yaml`), such as a ServiceMonitor or a PrometheusRule.
//!
//! Templates run sandboxed: no file access beyond `templates/` (other files there can be
//! included or imported), bounded execution, and a formatter that writes every value as a
//! JSON scalar or flow collection, so a value such as `no` or `a: b` can never change the
//! YAML's structure (`|safe` opts out). Their output is parsed, checked against the upstream
//! schema of its kind, labelled like every tenant object and placed in the namespace's file.

mod kinds;

use crate::diagnostics::{Anchor, Diagnostic, Label, codes};
use crate::objects::{Object, ObjectKey, OtherObject};
use crate::resolve::{ResolvedEnvironment, ResolvedTenant, TenantContext, sandboxed_environment};
use crate::source::{Position, SourceFile, parse_stream};
use minijinja::value::Value;
use minijinja::{Environment, Error, ErrorKind};
use std::sync::Arc;

/// Fuel of one add-on render: generous for real templates, small enough to stop a runaway
/// loop in well under a second.
const FUEL: u64 = 200_000;

/// The compiled add-on templates of a repository.
pub struct Addons {
    env: Environment<'static>,
    per_namespace: Vec<String>,
    per_tenant: Vec<String>,
}

/// Whether a template file is rendered per namespace, per tenant, or only included.
fn role(path: &str) -> Option<bool> {
    let name = path.rsplit('/').next().unwrap_or(path);
    if name.starts_with('_') {
        return None;
    }
    if path.starts_with("templates/namespace/") {
        Some(true)
    } else if path.starts_with("templates/tenant/") {
        Some(false)
    } else {
        None
    }
}

impl Addons {
    /// Compiles every template; reports E0501 for each that does not compile.
    pub fn compile(files: &[Arc<SourceFile>], diags: &mut Vec<Diagnostic>) -> Self {
        let mut env = sandboxed_environment(FUEL);
        env.set_formatter(|out, state, value| {
            if value.is_safe() || value.is_undefined() {
                return minijinja::escape_formatter(out, state, value);
            }
            let json = serde_json::to_string(value)
                .map_err(|e| Error::new(ErrorKind::BadSerialization, e.to_string()))?;
            out.write_str(&json).map_err(Error::from)
        });
        let mut per_namespace = Vec::new();
        let mut per_tenant = Vec::new();
        for file in files {
            let name = file.path.trim_start_matches("templates/").to_string();
            if let Err(e) = env.add_template_owned(name.clone(), file.text.clone()) {
                diags.push(template_error(
                    &file.path,
                    &e,
                    "the template does not compile",
                ));
                continue;
            }
            match role(&file.path) {
                Some(true) => per_namespace.push(name),
                Some(false) => per_tenant.push(name),
                None => {}
            }
        }
        Self {
            env,
            per_namespace,
            per_tenant,
        }
    }

    /// Whether there is nothing to render.
    pub fn is_empty(&self) -> bool {
        self.per_namespace.is_empty() && self.per_tenant.is_empty()
    }

    /// Renders every add-on of a tenant: namespace templates once per environment, tenant
    /// templates once. Returns each object with the namespace it belongs to.
    pub fn render(
        &self,
        tenant: &ResolvedTenant,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(String, Object)> {
        let context = Arc::new(TenantContext::new(&tenant.tenant));
        let mut objects = Vec::new();
        for env in &tenant.environments {
            for name in &self.per_namespace {
                objects.extend(self.render_one(name, tenant, &context, Some(env), diags));
            }
        }
        for name in &self.per_tenant {
            objects.extend(self.render_one(name, tenant, &context, None, diags));
        }
        objects
    }

    fn render_one(
        &self,
        name: &str,
        tenant: &ResolvedTenant,
        context: &Arc<TenantContext>,
        env: Option<&ResolvedEnvironment>,
        diags: &mut Vec<Diagnostic>,
    ) -> Vec<(String, Object)> {
        let path = format!("templates/{name}");
        let namespaces: Vec<String> = tenant
            .environments
            .iter()
            .map(|e| e.namespace.clone())
            .collect();
        let ctx = minijinja::context! {
            tenant => Value::from_dyn_object(context.clone()),
            tier => tenant.tenant.spec.tier.clone(),
            env => env.and_then(|e| e.name.clone()).unwrap_or_default(),
            namespace => env.map(|e| e.namespace.clone()).unwrap_or_default(),
            namespaces => namespaces.clone(),
            labels => env.map(|e| super::labels::tenant(tenant, e)).unwrap_or_default(),
        };
        let for_whom = match env {
            Some(e) => format!(
                "for namespace `{}` of tenant `{}`",
                e.namespace, tenant.name
            ),
            None => format!("for tenant `{}`", tenant.name),
        };
        let rendered = match self.env.get_template(name).and_then(|t| t.render(ctx)) {
            Ok(text) => text,
            Err(e) => {
                diags.push(
                    template_error(&path, &e, "the add-on template failed").note(for_whom, None),
                );
                return Vec::new();
            }
        };
        let documents = match parse_stream(&rendered) {
            Ok(docs) => docs,
            Err(e) => {
                let at = e.position.map_or(String::new(), |(l, c)| {
                    format!(" at output line {l}, column {c}")
                });
                diags.push(
                    Diagnostic::new(codes::ADDON_FAILED, "the add-on template's output is not valid YAML")
                        .at(Label::file(&path, format!("{}{at}", e.message)))
                        .note(for_whom, None)
                        .help("values are written as JSON scalars: write `name: {{ tenant ~ \"-x\" }}`, not `name: {{ tenant }}-x`"),
                );
                return Vec::new();
            }
        };
        let mut out = Vec::new();
        for (index, body) in documents.into_iter().enumerate() {
            match self.finish(body, tenant, env, &namespaces) {
                Ok(placed) => {
                    let findings = crate::check::apiserver::check_object(&placed.1);
                    if findings.is_empty() {
                        out.push(placed);
                    }
                    let template = self.env.get_template(name).ok();
                    let source = template.as_ref().map_or("", |t| t.source());
                    for finding in findings {
                        diags.push(
                            Diagnostic::new(
                                finding.code,
                                format!(
                                    "the API server would reject object {} of the add-on template",
                                    index + 1
                                ),
                            )
                            .at(locate(
                                &path,
                                source,
                                finding.needle.as_deref(),
                                format!("{}: {}", finding.field, finding.message),
                            ))
                            .note(for_whom.clone(), None),
                        );
                    }
                }
                Err(problem) => diags.push(
                    Diagnostic::new(
                        codes::ADDON_FAILED,
                        format!("object {} of the add-on template is invalid", index + 1),
                    )
                    .at(Label::file(&path, problem))
                    .note(for_whom.clone(), None),
                ),
            }
        }
        out
    }

    /// Checks an object, fills in its namespace and labels, and wraps it.
    fn finish(
        &self,
        mut body: serde_json::Value,
        tenant: &ResolvedTenant,
        env: Option<&ResolvedEnvironment>,
        namespaces: &[String],
    ) -> Result<(String, Object), String> {
        let api_version = body
            .get("apiVersion")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let kind = body
            .get("kind")
            .and_then(|v| v.as_str())
            .unwrap_or_default()
            .to_string();
        let kind_index = kinds::lookup(&api_version, &kind).ok_or_else(|| {
            format!(
                "`{api_version}` `{kind}` is not an add-on kind; allowed: {}",
                kinds::allowed()
            )
        })?;
        let metadata = body
            .get_mut("metadata")
            .and_then(|m| m.as_object_mut())
            .ok_or("the object has no `metadata` mapping")?;
        let name = metadata
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_string();
        // Whether the name suits the kind is the API server's rule E0430, checked with the
        // others after this (`check::apiserver`).
        let namespace = match (metadata.get("namespace").and_then(|n| n.as_str()), env) {
            (Some(ns), _) if namespaces.iter().any(|n| n == ns) => ns.to_string(),
            (Some(ns), _) => {
                return Err(format!(
                    "namespace `{ns}` is not one of the tenant's: {}",
                    namespaces.join(", ")
                ));
            }
            (None, Some(e)) => e.namespace.clone(),
            (None, None) => {
                return Err(format!(
                    "a tenant add-on must set `metadata.namespace` to one of: {}",
                    namespaces.join(", ")
                ));
            }
        };
        metadata.insert("namespace".into(), namespace.clone().into());
        let env = tenant
            .environments
            .iter()
            .find(|e| e.namespace == namespace)
            .ok_or("unknown namespace")?;
        let labels = metadata
            .entry("labels")
            .or_insert_with(|| serde_json::json!({}));
        let labels = labels
            .as_object_mut()
            .ok_or("`metadata.labels` is not a mapping")?;
        for (k, v) in super::labels::tenant(tenant, env) {
            labels.insert(k, v.into());
        }
        kinds::validate(kind_index, &body)?;
        let key = ObjectKey {
            api_version,
            kind,
            namespace: namespace.clone(),
            name,
        };
        Ok((namespace, Object::Other(OtherObject { key, body })))
    }
}

/// A label on the first template line that holds `needle` (a key or field name of the
/// finding), or on the whole template.
fn locate(path: &str, source: &str, needle: Option<&str>, message: String) -> Label {
    let found = needle.and_then(|needle| {
        source.lines().enumerate().find_map(|(i, line)| {
            if line.trim_start().starts_with('#') {
                return None;
            }
            let code = line.split(" #").next().unwrap_or(line);
            code.find(needle).map(|at| {
                (
                    i + 1,
                    code[..at].chars().count() + 1,
                    needle.chars().count(),
                )
            })
        })
    });
    match found {
        Some((line, column, len)) => Label {
            file: path.to_string(),
            anchor: Anchor::Position(Position { line, column, len }),
            message,
        },
        None => Label::file(path, message),
    }
}

fn template_error(path: &str, e: &Error, headline: &str) -> Diagnostic {
    let anchor = match e.line() {
        Some(line) => Anchor::Position(Position {
            line,
            column: 1,
            len: 1,
        }),
        None => Anchor::File,
    };
    Diagnostic::new(codes::ADDON_FAILED, headline).at(Label {
        file: path.to_string(),
        anchor,
        message: crate::resolve::first_line(e),
    })
}
