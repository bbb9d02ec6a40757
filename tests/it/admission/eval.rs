//! Runs ValidatingAdmissionPolicies and their bindings on one admission request, the way the
//! Kubernetes API server does (staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/
//! validating), with the `cel` crate as the CEL implementation:
//!
//! 1. a binding applies when its `policyName` names the policy and its `matchResources`
//!    (namespace selector, resource rules) match; the policy's `matchConstraints` must match
//!    too (resource, operation, namespace selector);
//! 2. `matchConditions` are evaluated; one `false` skips the policy, an error is a failure
//!    (`failurePolicy: Fail` denies);
//! 3. `variables` are evaluated in order, each seeing the ones before it as `variables.<name>`.
//!    Kubernetes evaluates them lazily; a variable that fails here is left out, so an
//!    expression that reads it fails as it would there;
//! 4. every validation is evaluated: `false` denies with `messageExpression` (falling back to
//!    `message` when that fails) and `reason`; an error denies too (`failurePolicy: Fail`).
//!
//! The CEL names are bound as the API server binds them: `object`, `oldObject` (`null` on
//! CREATE), `request` (an AdmissionRequest without its objects), `namespaceObject`,
//! `variables`. `params` and `authorizer` are not bound: the policies use neither.

use cel::{Context, Program, Value as Cel};
use serde_json::{Value, json};
use std::collections::HashMap;

/// One admission request as the tests describe it.
pub struct Request<'a> {
    /// `CREATE` or `UPDATE`.
    pub operation: &'static str,
    /// The object being admitted.
    pub object: &'a Value,
    /// The object before an UPDATE.
    pub old_object: Option<&'a Value>,
    /// The Namespace the object is in.
    pub namespace: &'a Value,
    /// Who sends it.
    pub user: &'a str,
}

/// Why a validation failed.
#[derive(Debug, Clone, PartialEq)]
pub enum Cause {
    /// The expression evaluated to `false`.
    False,
    /// The expression (or a match condition) failed to evaluate; `failurePolicy: Fail`
    /// denies the request.
    Error(String),
}

/// One failed validation.
#[derive(Debug, Clone, PartialEq)]
pub struct Failure {
    /// The policy.
    pub policy: String,
    /// What the tenant is told.
    pub message: String,
    /// The validation's `reason`.
    pub reason: String,
    /// Why it failed.
    pub cause: Cause,
    /// Why the `messageExpression` could not give the message, when it could not.
    pub message_expression_error: Option<String>,
}

/// What the policies did with a request.
#[derive(Debug, Default)]
pub struct Review {
    /// The policies whose bindings, constraints and match conditions applied.
    pub evaluated: Vec<String>,
    /// Every failed validation, of every policy.
    pub failures: Vec<Failure>,
}

impl Review {
    /// Whether the request is admitted.
    pub fn admitted(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The policies and bindings of one rendered `admission.yaml`.
pub struct PolicySet {
    /// The ValidatingAdmissionPolicies.
    pub policies: Vec<Value>,
    /// The ValidatingAdmissionPolicyBindings.
    pub bindings: Vec<Value>,
}

impl PolicySet {
    /// Reads a YAML stream of policies and bindings; any other kind is an error.
    pub fn from_documents(documents: Vec<Value>) -> Self {
        let mut set = PolicySet {
            policies: Vec::new(),
            bindings: Vec::new(),
        };
        for document in documents {
            match document["kind"].as_str() {
                Some("ValidatingAdmissionPolicy") => set.policies.push(document),
                Some("ValidatingAdmissionPolicyBinding") => set.bindings.push(document),
                other => panic!("unexpected kind {other:?} in admission.yaml"),
            }
        }
        set
    }

    /// Runs every policy a binding applies to the request.
    pub fn review(&self, request: &Request) -> Review {
        let mut review = Review::default();
        for policy in &self.policies {
            let name = policy["metadata"]["name"].as_str().unwrap().to_string();
            let bound = self.bindings.iter().any(|b| {
                b["spec"]["policyName"] == policy["metadata"]["name"]
                    && resources_match(&b["spec"]["matchResources"], request)
            });
            if !bound || !resources_match(&policy["spec"]["matchConstraints"], request) {
                continue;
            }
            if let Some(failures) = evaluate(&name, &policy["spec"], request) {
                review.evaluated.push(name);
                review.failures.extend(failures);
            }
        }
        review
    }
}

/// `(group, version, resource, kind)` of the kinds the tests send.
fn resource_of(object: &Value) -> (&'static str, &'static str, &'static str, &'static str) {
    match (object["apiVersion"].as_str(), object["kind"].as_str()) {
        (Some("v1"), Some("Pod")) => ("", "v1", "pods", "Pod"),
        (Some("v1"), Some("Service")) => ("", "v1", "services", "Service"),
        other => panic!("the tests send only Pods and Services, not {other:?}"),
    }
}

/// Whether `matchResources` / `matchConstraints` select the request: its namespace selector
/// (absent: every namespace) and its resource rules (absent: every resource).
fn resources_match(matcher: &Value, request: &Request) -> bool {
    let labels = &request.namespace["metadata"]["labels"];
    if let Some(selector) = matcher.get("namespaceSelector")
        && !selects(selector, labels)
    {
        return false;
    }
    if matcher.get("objectSelector").is_some() {
        panic!("objectSelector is not supported by this evaluator");
    }
    let Some(rules) = matcher.get("resourceRules").and_then(Value::as_array) else {
        return true;
    };
    let (group, version, resource, _) = resource_of(request.object);
    rules.iter().any(|rule| {
        let has = |field: &str, wanted: &str| {
            rule[field]
                .as_array()
                .is_some_and(|v| v.iter().any(|x| x == "*" || x == wanted))
        };
        has("apiGroups", group)
            && has("apiVersions", version)
            && has("resources", resource)
            && has("operations", request.operation)
    })
}

/// Evaluates a `metav1.LabelSelector` against `labels` (a JSON map, or null): `matchLabels`
/// and `matchExpressions` with `In`, `NotIn`, `Exists` and `DoesNotExist`, all ANDed.
pub fn selects(selector: &Value, labels: &Value) -> bool {
    let value = |key: &str| labels.get(key).and_then(Value::as_str);
    let match_labels = selector["matchLabels"].as_object();
    let labels_ok = match_labels.is_none_or(|wanted| {
        wanted
            .iter()
            .all(|(k, v)| value(k).is_some_and(|have| v == have))
    });
    let expressions = selector["matchExpressions"].as_array();
    let expressions_ok = expressions.is_none_or(|all| {
        all.iter().all(|e| {
            let key = e["key"].as_str().unwrap();
            let values: Vec<&str> = e["values"]
                .as_array()
                .map(|v| v.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            match e["operator"].as_str().unwrap() {
                "In" => value(key).is_some_and(|have| values.contains(&have)),
                "NotIn" => value(key).is_none_or(|have| !values.contains(&have)),
                "Exists" => value(key).is_some(),
                "DoesNotExist" => value(key).is_none(),
                other => panic!("unknown label selector operator {other}"),
            }
        })
    });
    labels_ok && expressions_ok
}

/// A JSON value as CEL sees a Kubernetes object: objects are maps with string keys, integers
/// are `int` (as the API server's schema-typed values are), absent fields stay absent.
pub fn to_cel(value: &Value) -> Cel {
    match value {
        Value::Null => Cel::Null,
        Value::Bool(b) => Cel::Bool(*b),
        Value::Number(n) => match n.as_i64() {
            Some(i) => Cel::Int(i),
            None => Cel::Float(n.as_f64().unwrap()),
        },
        Value::String(s) => Cel::String(s.clone().into()),
        Value::Array(items) => Cel::List(items.iter().map(to_cel).collect::<Vec<_>>().into()),
        Value::Object(map) => {
            let map: HashMap<String, Cel> =
                map.iter().map(|(k, v)| (k.clone(), to_cel(v))).collect();
            map.into()
        }
    }
}

/// The `request` variable: an AdmissionRequest without `uid`, `object` and `oldObject`, as
/// the API server declares it to CEL.
fn request_value(request: &Request) -> Value {
    let (group, version, resource, kind) = resource_of(request.object);
    let options_kind = if request.operation == "CREATE" {
        "CreateOptions"
    } else {
        "UpdateOptions"
    };
    json!({
        "kind": {"group": group, "version": version, "kind": kind},
        "resource": {"group": group, "version": version, "resource": resource},
        "requestKind": {"group": group, "version": version, "kind": kind},
        "requestResource": {"group": group, "version": version, "resource": resource},
        "name": request.object["metadata"]["name"],
        "namespace": request.namespace["metadata"]["name"],
        "operation": request.operation,
        "userInfo": {"username": request.user, "groups": ["system:authenticated"]},
        "dryRun": false,
        "options": {"apiVersion": "meta.k8s.io/v1", "kind": options_kind},
    })
}

/// The context every expression of a policy is evaluated in, without `variables`.
fn base_context(request: &Request) -> Context<'static, 'static> {
    let mut context = Context::default();
    context.add_variable_from_value("object", to_cel(request.object));
    context.add_variable_from_value("oldObject", request.old_object.map_or(Cel::Null, to_cel));
    context.add_variable_from_value("request", to_cel(&request_value(request)));
    context.add_variable_from_value("namespaceObject", to_cel(request.namespace));
    context
}

/// Compiles and runs one expression.
pub fn run(expression: &str, context: &Context) -> Result<Cel, String> {
    let program = Program::compile(expression).map_err(|e| format!("does not parse: {e}"))?;
    program.execute(context).map_err(|e| e.to_string())
}

/// Runs an expression that must give a bool.
fn run_bool(expression: &str, context: &Context) -> Result<bool, String> {
    match run(expression, context)? {
        Cel::Bool(b) => Ok(b),
        other => Err(format!("gave {other:?}, not a bool")),
    }
}

/// The `name`/`expression` pairs of a list such as `variables` or `matchConditions`.
pub fn named(list: &Value) -> Vec<(&str, &str)> {
    list.as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["name"].as_str().unwrap(),
                        i["expression"].as_str().unwrap(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

/// Evaluates a policy whose binding and constraints matched. `None` when a match condition
/// is false (the policy does not apply); otherwise its failures.
fn evaluate(name: &str, spec: &Value, request: &Request) -> Option<Vec<Failure>> {
    let mut context = base_context(request);
    let error = |message: String| Failure {
        policy: name.to_string(),
        message: message.clone(),
        reason: "InternalError".into(),
        cause: Cause::Error(message),
        message_expression_error: None,
    };
    for (condition, expression) in named(&spec["matchConditions"]) {
        match run_bool(expression, &context) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(vec![error(format!("matchCondition {condition}: {e}"))]),
        }
    }
    let mut variables: HashMap<String, Cel> = HashMap::new();
    for (variable, expression) in named(&spec["variables"]) {
        context.add_variable_from_value("variables", variables.clone());
        if let Ok(value) = run(expression, &context) {
            variables.insert(variable.to_string(), value);
        }
    }
    context.add_variable_from_value("variables", variables);
    let mut failures = Vec::new();
    for validation in spec["validations"].as_array().unwrap() {
        let expression = validation["expression"].as_str().unwrap();
        let cause = match run_bool(expression, &context) {
            Ok(true) => continue,
            Ok(false) => Cause::False,
            Err(e) => Cause::Error(format!("{expression}: {e}")),
        };
        let (message, message_expression_error) = message(validation, &context);
        failures.push(Failure {
            policy: name.to_string(),
            message,
            reason: validation["reason"]
                .as_str()
                .unwrap_or("Invalid")
                .to_string(),
            cause,
            message_expression_error,
        });
    }
    Some(failures)
}

/// A failed validation's message: its `messageExpression` when that gives a non-empty
/// string, else `message` (with why the expression did not give it).
fn message(validation: &Value, context: &Context) -> (String, Option<String>) {
    let fallback = validation["message"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let Some(expression) = validation["messageExpression"].as_str() else {
        return (fallback, None);
    };
    match run(expression, context) {
        Ok(Cel::String(s)) if !s.is_empty() => (s.to_string(), None),
        Ok(other) => (fallback, Some(format!("gave {other:?}"))),
        Err(e) => (fallback, Some(e)),
    }
}
