//! Runs the admission policies of one rendered `admission.yaml` on one admission request, in
//! either engine's form, with the `cel` crate as the CEL implementation.
//!
//! ValidatingAdmissionPolicies and their bindings are run the way the Kubernetes API server
//! does (staging/src/k8s.io/apiserver/pkg/admission/plugin/policy/validating): a binding
//! applies when its `policyName` names the policy and its `matchResources` (namespace
//! selector, resource rules) match; the policy's `matchConstraints` must match too
//! (resource, operation, namespace selector).
//!
//! Kyverno ClusterPolicies are run the way Kyverno (1.13 and later) does: each rule applies
//! when one entry of its `match.any` matches (kind, operation, namespace selector); its
//! `validate.cel` is then handed to the same API server library
//! (pkg/engine/handlers/validation/validate_cel.go: `celPreconditions` become the match
//! conditions, `validate.cel.variables` and `validate.cel.expressions` the variables and
//! validations, with the library's default failure policy, Fail). A failed validation denies
//! only when the rule's `validate.failureAction` (else the policy's deprecated
//! `validationFailureAction`, which defaults to Audit) is Enforce.
//!
//! Both forms then share one evaluation ([`Program`]):
//! 1. match conditions are evaluated; one `false` skips the policy, an error is a failure
//!    (`failurePolicy: Fail` denies);
//! 2. variables are evaluated in order, each seeing the ones before it as
//!    `variables.<name>`. Kubernetes evaluates them lazily; a variable that fails here is
//!    left out, so an expression that reads it fails as it would there;
//! 3. every validation is evaluated: `false` denies with `messageExpression` (falling back to
//!    `message` when that fails) and `reason`; an error denies too (`failurePolicy: Fail`).
//!    Both engines tell the requester only the first failed validation of a policy; the
//!    evaluator records all of them, so that an error in any expression is seen.
//!
//! The CEL names are bound as the API server binds them: `object`, `oldObject` (`null` on
//! CREATE), `request` (an AdmissionRequest without its objects), `namespaceObject`,
//! `variables`. `params` and `authorizer` are not bound: the policies use neither.

use cel::{Context, Value as Cel};
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

/// The engine a rendered `admission.yaml` is written for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Engine {
    /// ValidatingAdmissionPolicies and their bindings.
    ValidatingAdmissionPolicy,
    /// Kyverno ClusterPolicies.
    Kyverno,
}

/// The policies of one rendered `admission.yaml`.
pub struct PolicySet {
    /// Which engine's form they are in.
    pub engine: Engine,
    /// The ValidatingAdmissionPolicies, or the Kyverno ClusterPolicies.
    pub policies: Vec<Value>,
    /// The ValidatingAdmissionPolicyBindings (none with Kyverno).
    pub bindings: Vec<Value>,
}

/// One CEL program of a policy, where its engine keeps it: a ValidatingAdmissionPolicy's
/// `spec`, or one rule of a Kyverno ClusterPolicy.
pub struct Program<'a> {
    /// The policy's name.
    pub policy: &'a str,
    /// The policy, or the policy and its rule, for reports.
    pub what: String,
    /// The resources it matches (`pods`, `services`).
    pub resources: Vec<&'static str>,
    /// Checked first; one `false` skips the program.
    pub match_conditions: &'a Value,
    /// Evaluated in order.
    pub variables: &'a Value,
    /// Each must give `true`.
    pub validations: &'a Value,
    /// Whether a failed validation denies the request (Kyverno's Audit does not).
    pub enforced: bool,
    /// Where its matching rules are.
    source: &'a Value,
}

impl PolicySet {
    /// Reads a YAML stream of ValidatingAdmissionPolicies and bindings, or of Kyverno
    /// ClusterPolicies; any other kind, or a mix of both engines, is an error.
    pub fn from_documents(documents: Vec<Value>) -> Self {
        let mut policies = Vec::new();
        let mut bindings = Vec::new();
        let mut engines = Vec::new();
        for document in documents {
            let engine = match (document["apiVersion"].as_str(), document["kind"].as_str()) {
                (Some("admissionregistration.k8s.io/v1"), Some("ValidatingAdmissionPolicy")) => {
                    policies.push(document);
                    Engine::ValidatingAdmissionPolicy
                }
                (
                    Some("admissionregistration.k8s.io/v1"),
                    Some("ValidatingAdmissionPolicyBinding"),
                ) => {
                    bindings.push(document);
                    Engine::ValidatingAdmissionPolicy
                }
                (Some("kyverno.io/v1"), Some("ClusterPolicy")) => {
                    policies.push(document);
                    Engine::Kyverno
                }
                other => panic!("unexpected kind {other:?} in admission.yaml"),
            };
            if !engines.contains(&engine) {
                engines.push(engine);
            }
        }
        assert_eq!(
            engines.len(),
            1,
            "one engine per admission.yaml: {engines:?}"
        );
        PolicySet {
            engine: engines[0],
            policies,
            bindings,
        }
    }

    /// Every CEL program: one per ValidatingAdmissionPolicy, one per Kyverno rule.
    pub fn programs(&self) -> Vec<Program<'_>> {
        let mut programs = Vec::new();
        for policy in &self.policies {
            let name = policy["metadata"]["name"].as_str().unwrap();
            let spec = &policy["spec"];
            match self.engine {
                Engine::ValidatingAdmissionPolicy => programs.push(Program {
                    policy: name,
                    what: name.to_string(),
                    resources: resource_rule_resources(&spec["matchConstraints"]),
                    match_conditions: &spec["matchConditions"],
                    variables: &spec["variables"],
                    validations: &spec["validations"],
                    enforced: true,
                    source: policy,
                }),
                Engine::Kyverno => {
                    for rule in spec["rules"].as_array().unwrap() {
                        let cel = &rule["validate"]["cel"];
                        assert!(cel.is_object(), "{name}: a rule without validate.cel");
                        let action = rule["validate"]["failureAction"]
                            .as_str()
                            .or(spec["validationFailureAction"].as_str())
                            .unwrap_or("Audit");
                        programs.push(Program {
                            policy: name,
                            what: format!("{name} rule {}", rule["name"]),
                            resources: kyverno_resources(&rule["match"]),
                            match_conditions: &rule["celPreconditions"],
                            variables: &cel["variables"],
                            validations: &cel["expressions"],
                            enforced: action.eq_ignore_ascii_case("enforce"),
                            source: rule,
                        });
                    }
                }
            }
        }
        programs
    }

    /// Whether `program` applies to the request: its bindings and match constraints, or its
    /// Kyverno rule's `match`.
    fn applies(&self, program: &Program, request: &Request) -> bool {
        match self.engine {
            Engine::ValidatingAdmissionPolicy => {
                let bound = self.bindings.iter().any(|b| {
                    b["spec"]["policyName"] == program.policy
                        && resources_match(&b["spec"]["matchResources"], request)
                });
                bound && resources_match(&program.source["spec"]["matchConstraints"], request)
            }
            Engine::Kyverno => kyverno_match(&program.source["match"], request),
        }
    }

    /// Runs every program that applies to the request.
    pub fn review(&self, request: &Request) -> Review {
        let mut review = Review::default();
        for program in self.programs() {
            if !self.applies(&program, request) {
                continue;
            }
            if let Some(failures) = evaluate(&program, request) {
                if !review.evaluated.iter().any(|p| p == program.policy) {
                    review.evaluated.push(program.policy.to_string());
                }
                if program.enforced {
                    review.failures.extend(failures);
                }
            }
        }
        review
    }
}

/// The resources of a `matchConstraints`' resource rules.
fn resource_rule_resources(matcher: &Value) -> Vec<&'static str> {
    matcher["resourceRules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| r["resources"].as_array().unwrap())
        .map(|r| match r.as_str().unwrap() {
            "pods" => "pods",
            "services" => "services",
            other => panic!("the tests know only pods and services, not {other}"),
        })
        .collect()
}

/// The resources of a Kyverno rule's `match.any[].resources.kinds`.
fn kyverno_resources(matcher: &Value) -> Vec<&'static str> {
    let mut resources = Vec::new();
    for filter in matcher["any"].as_array().unwrap() {
        for kind in filter["resources"]["kinds"].as_array().unwrap() {
            let (_, _, kind) = kind_selector(kind.as_str().unwrap());
            let resource = match kind {
                "Pod" => "pods",
                "Service" => "services",
                other => panic!("the tests know only Pods and Services, not {other}"),
            };
            if !resources.contains(&resource) {
                resources.push(resource);
            }
        }
    }
    resources
}

/// `(group, version, kind)` of a Kyverno kind selector: `Kind`, `version/Kind` or
/// `group/version/Kind` (`*` for what it leaves out), as Kyverno's `ParseKindSelector` reads
/// it (without subresources, which the policies do not use).
fn kind_selector(selector: &str) -> (&str, &str, &str) {
    let parts: Vec<&str> = selector.split('/').collect();
    match parts.as_slice() {
        [kind] => ("*", "*", kind),
        [version, kind] => ("*", version, kind),
        [group, version, kind] => (group, version, kind),
        _ => panic!("unsupported kind selector {selector}"),
    }
}

/// Whether a Kyverno rule's `match` selects the request: one entry of `any` whose kinds
/// (any API group unless one is named), operations (absent: all) and namespace selector
/// (absent: every namespace) all match. Other ways to match are not supported, so that a
/// change to the rendered rules is noticed here.
fn kyverno_match(matcher: &Value, request: &Request) -> bool {
    for key in matcher.as_object().unwrap().keys() {
        assert_eq!(
            key, "any",
            "`match.{key}` is not supported by this evaluator"
        );
    }
    let (group, version, _, kind) = resource_of(request.object);
    matcher["any"].as_array().unwrap().iter().any(|filter| {
        for key in filter.as_object().unwrap().keys() {
            assert_eq!(key, "resources", "`{key}` in match.any is not supported");
        }
        let resources = &filter["resources"];
        for key in resources.as_object().unwrap().keys() {
            assert!(
                ["kinds", "operations", "namespaceSelector"].contains(&key.as_str()),
                "`resources.{key}` is not supported by this evaluator"
            );
        }
        let wildcard = |pattern: &str, value: &str| pattern == "*" || pattern == value;
        let kind_ok = resources["kinds"].as_array().unwrap().iter().any(|k| {
            let (g, v, k) = kind_selector(k.as_str().unwrap());
            wildcard(g, group) && wildcard(v, version) && wildcard(k, kind)
        });
        let operation_ok = resources["operations"]
            .as_array()
            .is_none_or(|ops| ops.iter().any(|o| o == request.operation));
        let namespace_ok = resources
            .get("namespaceSelector")
            .is_none_or(|selector| selects(selector, &request.namespace["metadata"]["labels"]));
        kind_ok && operation_ok && namespace_ok
    })
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
    let program = cel::Program::compile(expression).map_err(|e| format!("does not parse: {e}"))?;
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

/// Evaluates a program that applies to the request. `None` when a match condition is false
/// (the program does not apply); otherwise its failures.
fn evaluate(program: &Program, request: &Request) -> Option<Vec<Failure>> {
    let mut context = base_context(request);
    let error = |message: String| Failure {
        policy: program.policy.to_string(),
        message: message.clone(),
        reason: "InternalError".into(),
        cause: Cause::Error(message),
        message_expression_error: None,
    };
    for (condition, expression) in named(program.match_conditions) {
        match run_bool(expression, &context) {
            Ok(true) => {}
            Ok(false) => return None,
            Err(e) => return Some(vec![error(format!("matchCondition {condition}: {e}"))]),
        }
    }
    let mut variables: HashMap<String, Cel> = HashMap::new();
    for (variable, expression) in named(program.variables) {
        context.add_variable_from_value("variables", variables.clone());
        if let Ok(value) = run(expression, &context) {
            variables.insert(variable.to_string(), value);
        }
    }
    context.add_variable_from_value("variables", variables);
    let mut failures = Vec::new();
    for validation in program.validations.as_array().unwrap() {
        let expression = validation["expression"].as_str().unwrap();
        let cause = match run_bool(expression, &context) {
            Ok(true) => continue,
            Ok(false) => Cause::False,
            Err(e) => Cause::Error(format!("{expression}: {e}")),
        };
        let (message, message_expression_error) = message(validation, &context);
        failures.push(Failure {
            policy: program.policy.to_string(),
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
