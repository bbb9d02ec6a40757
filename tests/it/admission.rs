//! The cluster-wide admission policies of `out/platform/admission.yaml` are evaluated, not
//! just parsed.
//!
//! A small platform repository ([`SCENARIO`]: two tenants on the node-pool tier `gpu`, one on
//! the shared tier `shared`, which allows ExternalName Services, and a platform-wide
//! PriorityClass) is rendered through the CLI twice: with the default engine
//! (ValidatingAdmissionPolicies and bindings) and with `spec.admission.engine: kyverno`
//! (Kyverno ClusterPolicies, [`kyverno_scenario`]). Both forms' policies then judge attack objects (each
//! must be DENIED by a validation that evaluates to `false`, with the expected message and
//! reason `Forbidden`) and legitimate ones (each must be ADMITTED, with no expression failing,
//! and evaluated by exactly the policies that should look at it). Pods in a node-pool tenant's
//! namespace are first mutated by that namespace's rendered Kyverno placement policy, as the
//! cluster does. Every object sent is itself checked against the vendored `pod.json` or
//! `service.json`. See `admission/eval.rs` for how the API server's and Kyverno's evaluation
//! are mirrored with the `cel` crate. Both engines must judge every request alike: the same
//! policies evaluate it and the same validations fail with the same messages. The Kyverno form
//! must hold exactly the VAP's match conditions, variables and validations, fail closed
//! (`validate.failureAction: Enforce`, `webhookConfiguration.failurePolicy: Fail`) and match
//! the vendored Kyverno CRD schema.
//!
//! Every expression of both forms must also type-check ([`admission::types`](types)): each field it selects
//! from `object`, `oldObject`, `namespaceObject`, `request` and `variables` exists in the
//! Kubernetes OpenAPI schemas, list macros run only on lists, `in` and `[...]` only on maps and
//! lists. The CEL features the policies use are: the `all` macro; `has()` on object fields;
//! `in` on maps (label and node selector keys) and lists; map index `[...]`; `size()` on a
//! list; the conditional `?:`; `&&`, `||`, `!`; `==` and `!=`, also on whole objects
//! (`object.spec != oldObject.spec`); string concatenation with `+`; list literals. No
//! extension library (strings, lists, regex, quantity, authorizer) and no optional types. All
//! of them are CEL's standard language, which Kubernetes' CEL environment has had since it
//! first shipped (1.23), so they all compile on 1.30, the release that made
//! ValidatingAdmissionPolicy (with `variables`, `matchConditions` and `messageExpression`) GA.
//!
//! Finally the example repository's committed `out/` is audited: its `admission.yaml` holds
//! the policies and bindings, every tenant Namespace is selected by them and no platform
//! namespace is, and each node-pool tenant's placed pods are admitted at home and denied in
//! every other pool tenant's namespaces (checked also for the scenario with either
//! placement: Kyverno, or the PodNodeSelector and PodTolerationRestriction annotations).

mod eval;
mod types;

use crate::support::{read_tree, root, run, tenantc};
use crate::upstream_schemas::check_object;
use eval::{Cause, Engine, PolicySet, Program, Request, Review, named};
use serde_json::{Value, json};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;
use std::sync::OnceLock;

/// The scenario repository: relative path and content.
const SCENARIO: &[(&str, &str)] = &[
    (
        "platform.yaml",
        "\
apiVersion: tenantc.dev/v1alpha1
kind: Platform
metadata: {name: admission-scenario}
spec:
  admission:
    allowedPriorityClasses: [cluster-default]
  nodePools:
    placement: kyverno
    aws:
      region: eu-west-1
      clusterName: platform-prod
      nodeRoleArn: arn:aws:iam::123456789012:role/platform-prod-nodes
      subnetIds: [subnet-0a1b2c3d4e5f60001]
",
    ),
    (
        "tiers/gpu.yaml",
        "\
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata: {name: gpu}
spec:
  isolation: nodePool
  priorityClass: {name: gpu-high, value: 100000}
  environments:
    - {name: dev, quotaShare: 0.5}
    - {name: prod, quotaShare: 0.5}
  nodePool:
    provider: aws
    instanceTypes: [g5.2xlarge]
    scaling: {min: 1, desired: 1, max: 2}
    taints:
      - {key: nvidia.com/gpu, value: present, effect: NoSchedule}
",
    ),
    (
        "tiers/shared.yaml",
        "\
apiVersion: tenantc.dev/v1alpha1
kind: Tier
metadata: {name: shared}
spec:
  isolation: namespace
  priorityClass: {name: shared-low, value: 1000}
  allowExternalNameServices: true
",
    ),
    (
        "tenants/acme.yaml",
        "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\nspec: {tier: gpu}\n",
    ),
    (
        "tenants/globex.yaml",
        "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata: {name: globex}\nspec: {tier: gpu}\n",
    ),
    (
        "tenants/initech.yaml",
        "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata: {name: initech}\nspec: {tier: shared}\n",
    ),
];

const PLACEMENT: &str = "tenantc-pod-placement";
const PRIORITY: &str = "tenantc-priority-class";
const SERVICES: &str = "tenantc-service-exposure";
const TAINT_KEY: &str = "tenantc.dev/tenant";
const NODE: &str = "ip-10-0-1-17.eu-west-1.compute.internal";

/// A rendered output tree, parsed.
struct Output {
    /// `platform/admission.yaml`.
    policies: PolicySet,
    /// Every tenant Namespace, by name.
    namespaces: BTreeMap<String, Value>,
    /// The Kyverno placement Policy of each namespace that has one, by namespace.
    placements: BTreeMap<String, Value>,
}

/// Splits a YAML stream on `---` lines and parses each document.
fn documents(text: &str) -> Vec<Value> {
    let mut out = vec![String::new()];
    for line in text.lines() {
        if line == "---" {
            out.push(String::new());
        } else {
            let last = out.last_mut().unwrap();
            last.push_str(line);
            last.push('\n');
        }
    }
    out.iter()
        .map(|d| serde_saphyr::from_str(d).unwrap_or_else(|e| panic!("not YAML: {e}\n{d}")))
        .collect()
}

/// Reads what the tests need from an output directory.
fn read_output(dir: &Path) -> Output {
    let mut policies = None;
    let mut namespaces = BTreeMap::new();
    let mut placements = BTreeMap::new();
    for (path, bytes) in read_tree(dir) {
        let text = String::from_utf8(bytes).unwrap();
        if path == "platform/admission.yaml" {
            policies = Some(PolicySet::from_documents(documents(&text)));
        } else if path.starts_with("tenants/") && path.contains("/kubernetes/") {
            for object in documents(&text) {
                let name = object["metadata"]["name"].as_str().unwrap().to_string();
                match object["kind"].as_str() {
                    Some("Namespace") => {
                        namespaces.insert(name, object);
                    }
                    Some("Policy") if object["apiVersion"] == "kyverno.io/v1" => {
                        let ns = object["metadata"]["namespace"].as_str().unwrap();
                        placements.insert(ns.to_string(), object);
                    }
                    _ => {}
                }
            }
        }
    }
    Output {
        policies: policies.unwrap_or_else(|| panic!("no platform/admission.yaml in {dir:?}")),
        namespaces,
        placements,
    }
}

/// The scenario repository, with the files of `replaced` instead of its own, rendered
/// through the CLI.
fn render(replaced: &[(&str, &str)]) -> Output {
    let repo = tempfile::tempdir().unwrap();
    for (path, text) in SCENARIO {
        let text = replaced
            .iter()
            .find(|(p, _)| p == path)
            .map_or(*text, |(_, t)| t);
        let path = repo.path().join(path);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }
    let out = repo.path().join("out");
    run(tenantc()
        .arg("render")
        .arg("--repo")
        .arg(repo.path())
        .arg("--out")
        .arg(&out))
    .expect_code(0, "render the scenario repository");
    read_output(&out)
}

/// The scenario repository rendered through the CLI, once per test run.
fn scenario() -> &'static Output {
    static OUTPUT: OnceLock<Output> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        let output = render(&[]);
        assert_eq!(output.policies.engine, Engine::ValidatingAdmissionPolicy);
        output
    })
}

/// The scenario repository with `spec.admission.engine: kyverno`, rendered through the CLI
/// once per test run.
fn kyverno_scenario() -> &'static Output {
    static OUTPUT: OnceLock<Output> = OnceLock::new();
    OUTPUT.get_or_init(|| {
        let platform = SCENARIO[0]
            .1
            .replace("  admission:\n", "  admission:\n    engine: kyverno\n");
        let output = render(&[("platform.yaml", &platform)]);
        assert_eq!(output.policies.engine, Engine::Kyverno);
        output
    })
}

/// Both renderings of the scenario, labelled with their engine.
fn both_engines() -> [(&'static str, &'static Output); 2] {
    [
        ("validatingAdmissionPolicy", scenario()),
        ("kyverno", kyverno_scenario()),
    ]
}

/// A Pod named `app` in `namespace`, with `spec` merged over one container.
fn pod(namespace: &str, spec: Value) -> Value {
    let mut object = json!({
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "app", "namespace": namespace, "labels": {"app": "web"}},
        "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1.0"}]},
    });
    merge(&mut object["spec"], spec);
    object
}

/// A Service named `web` in `namespace` with `spec`.
fn service(namespace: &str, spec: Value) -> Value {
    json!({
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": "web", "namespace": namespace},
        "spec": spec,
    })
}

fn cluster_ip() -> Value {
    json!({"type": "ClusterIP", "selector": {"app": "web"},
           "ports": [{"name": "http", "port": 80, "targetPort": 8080, "protocol": "TCP"}]})
}

/// Sets every field of `extra` on `target`.
fn merge(target: &mut Value, extra: Value) {
    if let Value::Object(fields) = extra {
        for (k, v) in fields {
            target[k] = v;
        }
    }
}

/// Appends a toleration to a pod.
fn tolerate(mut pod: Value, toleration: Value) -> Value {
    let list = &mut pod["spec"]["tolerations"];
    if list.is_null() {
        *list = json!([]);
    }
    list.as_array_mut().unwrap().push(toleration);
    pod
}

/// A required node affinity of one term with one expression on the tenant label.
fn affinity(operator: &str, values: &[&str]) -> Value {
    let mut expression = json!({"key": TAINT_KEY, "operator": operator});
    if !values.is_empty() {
        expression["values"] = json!(values);
    }
    required_terms(vec![json!({"matchExpressions": [expression]})])
}

fn required_terms(terms: Vec<Value>) -> Value {
    json!({"affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
        "nodeSelectorTerms": terms}}}})
}

/// The namespace annotation of the PodNodeSelector plugin.
const NODE_SELECTOR_ANNOTATION: &str = "scheduler.alpha.kubernetes.io/node-selector";
/// The namespace annotation of the PodTolerationRestriction plugin's default tolerations.
const DEFAULT_TOLERATIONS_ANNOTATION: &str = "scheduler.alpha.kubernetes.io/defaultTolerations";

/// The pod as the cluster admits it into its namespace, mutated as platform.yaml
/// `spec.nodePools.placement` has it: by the namespace's Kyverno placement policy (node
/// selector by strategic merge, tolerations appended by JSON patches), or by the
/// PodNodeSelector and PodTolerationRestriction plugins from the namespace's annotations;
/// unchanged in a namespace without a pool.
fn placed(output: &Output, pod: Value) -> Value {
    let namespace = pod["metadata"]["namespace"].as_str().unwrap().to_string();
    if let Some(policy) = output.placements.get(&namespace) {
        return apply_kyverno(policy, pod);
    }
    match output.namespaces.get(&namespace) {
        Some(ns) => apply_annotations(&ns["metadata"]["annotations"], pod),
        None => pod,
    }
}

/// What the PodNodeSelector plugin (`k=v,...` merged into the node selector) and the
/// PodTolerationRestriction plugin (default tolerations merged in) do to a new pod.
fn apply_annotations(annotations: &Value, mut pod: Value) -> Value {
    if let Some(selector) = annotations[NODE_SELECTOR_ANNOTATION].as_str() {
        for pair in selector.split(',').filter(|p| !p.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap();
            pod["spec"]["nodeSelector"][key] = value.into();
        }
    }
    if let Some(defaults) = annotations[DEFAULT_TOLERATIONS_ANNOTATION].as_str() {
        let defaults: Vec<Value> = serde_json::from_str(defaults).unwrap();
        for toleration in defaults {
            let present = pod["spec"]["tolerations"]
                .as_array()
                .is_some_and(|list| list.contains(&toleration));
            if !present {
                pod = tolerate(pod, toleration);
            }
        }
    }
    pod
}

/// The namespaces whose pods are placed on a pool, by either placement.
fn pool_namespaces(output: &Output) -> Vec<&str> {
    output
        .namespaces
        .iter()
        .filter(|(name, ns)| {
            output.placements.contains_key(*name)
                || ns["metadata"]["annotations"][NODE_SELECTOR_ANNOTATION].is_string()
        })
        .map(|(name, _)| name.as_str())
        .collect()
}

/// Applies the two rules of a rendered Kyverno placement policy; any other kind of patch is
/// a failure, so that a change of `nodepool.rs` is noticed here.
fn apply_kyverno(policy: &Value, mut pod: Value) -> Value {
    for rule in policy["spec"]["rules"].as_array().unwrap() {
        let mutate = &rule["mutate"];
        if let Some(patch) = mutate.get("patchStrategicMerge") {
            let selector = patch["spec"]["nodeSelector"].as_object().unwrap();
            assert_eq!(patch.as_object().unwrap().len(), 1, "{patch}");
            assert_eq!(patch["spec"].as_object().unwrap().len(), 1, "{patch}");
            for (key, value) in selector {
                pod["spec"]["nodeSelector"][key] = value.clone();
            }
        }
        if let Some(patches) = mutate.get("patchesJson6902") {
            let patches: Vec<Value> = serde_saphyr::from_str(patches.as_str().unwrap()).unwrap();
            for patch in patches {
                assert_eq!(patch["op"], "add", "{patch}");
                assert_eq!(patch["path"], "/spec/tolerations/-", "{patch}");
                pod = tolerate(pod, patch["value"].clone());
            }
        }
    }
    pod
}

/// The pod after the scheduler bound it to a node.
fn scheduled(mut pod: Value) -> Value {
    pod["spec"]["nodeName"] = NODE.into();
    pod
}

/// One request the tests send.
struct Case {
    what: &'static str,
    operation: &'static str,
    object: Value,
    old: Option<Value>,
}

fn create(what: &'static str, object: Value) -> Case {
    Case {
        what,
        operation: "CREATE",
        object,
        old: None,
    }
}

fn update(what: &'static str, old: Value, object: Value) -> Case {
    Case {
        what,
        operation: "UPDATE",
        object,
        old: Some(old),
    }
}

/// The Namespace object of a name that is not a tenant's.
fn platform_namespace(name: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Namespace",
           "metadata": {"name": name, "labels": {"kubernetes.io/metadata.name": name}}})
}

/// Sends a case to the policies; panics when an object is not a valid Pod or Service.
fn review(output: &Output, case: &Case) -> Review {
    for object in std::iter::once(&case.object).chain(&case.old) {
        let problems = check_object(object);
        assert!(
            problems.is_empty(),
            "{}: not a valid object: {problems:#?}",
            case.what
        );
    }
    let name = case.object["metadata"]["namespace"].as_str().unwrap();
    let fallback = platform_namespace(name);
    let namespace = output.namespaces.get(name).unwrap_or_else(|| {
        assert!(
            !name.starts_with("tenant-"),
            "{}: no namespace {name}",
            case.what
        );
        &fallback
    });
    output.policies.review(&Request {
        operation: case.operation,
        object: &case.object,
        old_object: case.old.as_ref(),
        namespace,
        user: "dev@tenant.example",
    })
}

/// The problems with an attack: it must be denied by `policy` through a validation that
/// evaluated to `false`, with reason Forbidden and a message containing `says`, and no
/// expression may fail.
fn attack_problems(output: &Output, case: &Case, policy: &str, says: &str) -> Vec<String> {
    let review = review(output, case);
    let mut problems = Vec::new();
    if !review.failures.iter().any(|f| f.policy == policy) {
        problems.push(format!("not denied by {policy}: {review:?}"));
    }
    for failure in &review.failures {
        if failure.cause != Cause::False || failure.message_expression_error.is_some() {
            problems.push(format!("an expression failed: {failure:?}"));
        }
        if failure.reason != "Forbidden" {
            problems.push(format!("reason is not Forbidden: {failure:?}"));
        }
    }
    if !review
        .failures
        .iter()
        .any(|f| f.policy == policy && f.message.contains(says))
    {
        problems.push(format!("no message says `{says}`: {:?}", review.failures));
    }
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", case.what))
        .collect()
}

/// The problems with a legitimate request: it must be admitted, evaluated by exactly the
/// policies `evaluated`.
fn legit_problems(output: &Output, case: &Case, evaluated: &[&str]) -> Vec<String> {
    let review = review(output, case);
    let mut problems = Vec::new();
    if !review.admitted() {
        problems.push(format!("denied: {:?}", review.failures));
    }
    let got: BTreeSet<&str> = review.evaluated.iter().map(String::as_str).collect();
    let wanted: BTreeSet<&str> = evaluated.iter().copied().collect();
    if got != wanted {
        problems.push(format!("evaluated by {got:?}, expected {wanted:?}"));
    }
    problems
        .into_iter()
        .map(|p| format!("{}: {p}", case.what))
        .collect()
}

/// Every attack, with the policy that must deny it and what its message must say.
fn attacks(o: &Output) -> Vec<(Case, &'static str, &'static str)> {
    let acme = |spec: Value| placed(o, pod("tenant-acme-prod", spec));
    let initech = |spec: Value| pod("tenant-initech", spec);
    let other_pool =
        json!({"key": TAINT_KEY, "operator": "Equal", "value": "globex", "effect": "NoSchedule"});
    let wrong_toleration = "may only tolerate your own node pool: operator Equal, value acme";
    let every_taint = "tolerates every taint";
    let home = scheduled(acme(json!({})));
    let ip_service = {
        let mut spec = cluster_ip();
        spec["externalIPs"] = json!(["203.0.113.10"]);
        spec
    };
    vec![
        (
            create(
                "toleration of another tenant's pool",
                tolerate(acme(json!({})), other_pool.clone()),
            ),
            PLACEMENT,
            wrong_toleration,
        ),
        (
            create(
                "toleration Exists on the tenant key",
                tolerate(
                    acme(json!({})),
                    json!({"key": TAINT_KEY, "operator": "Exists"}),
                ),
            ),
            PLACEMENT,
            wrong_toleration,
        ),
        (
            create(
                "toleration of another pool with the default operator",
                tolerate(
                    initech(json!({})),
                    json!({"key": TAINT_KEY, "value": "acme", "effect": "NoSchedule"}),
                ),
            ),
            PLACEMENT,
            "operator Equal, value initech",
        ),
        (
            create(
                "keyless Exists toleration",
                tolerate(initech(json!({})), json!({"operator": "Exists"})),
            ),
            PLACEMENT,
            every_taint,
        ),
        (
            create(
                "keyless Exists toleration of one effect",
                tolerate(
                    acme(json!({})),
                    json!({"operator": "Exists", "effect": "NoSchedule"}),
                ),
            ),
            PLACEMENT,
            every_taint,
        ),
        (
            update(
                "toleration of another tenant's pool added on UPDATE",
                home.clone(),
                tolerate(home.clone(), other_pool.clone()),
            ),
            PLACEMENT,
            wrong_toleration,
        ),
        (
            update(
                "keyless Exists toleration added on UPDATE",
                home.clone(),
                tolerate(home.clone(), json!({"operator": "Exists"})),
            ),
            PLACEMENT,
            every_taint,
        ),
        (
            create(
                "nodeSelector on another tenant's pool",
                initech(json!({"nodeSelector": {TAINT_KEY: "acme"}})),
            ),
            PLACEMENT,
            "tenantc.dev/tenant must be initech",
        ),
        (
            create(
                "nodeSelector on another pool, no mutation",
                pod(
                    "tenant-globex-dev",
                    json!({"nodeSelector": {TAINT_KEY: "acme"}}),
                ),
            ),
            PLACEMENT,
            "tenantc.dev/tenant must be globex",
        ),
        (
            create(
                "affinity In another tenant",
                initech(affinity("In", &["acme"])),
            ),
            PLACEMENT,
            "operator In with initech",
        ),
        (
            create(
                "affinity In own and another tenant",
                acme(affinity("In", &["acme", "globex"])),
            ),
            PLACEMENT,
            "operator In with acme",
        ),
        (
            create("affinity NotIn", initech(affinity("NotIn", &["initech"]))),
            PLACEMENT,
            "operator In with initech",
        ),
        (
            create("affinity Exists", initech(affinity("Exists", &[]))),
            PLACEMENT,
            "operator In with initech",
        ),
        (
            create(
                "affinity on another pool in a second term",
                initech(required_terms(vec![
                    json!({"matchExpressions": [{"key": TAINT_KEY, "operator": "DoesNotExist"}]}),
                    json!({"matchExpressions": [{"key": TAINT_KEY, "operator": "In", "values": ["acme"]}]}),
                ])),
            ),
            PLACEMENT,
            "operator In with initech",
        ),
        (
            create("nodeName on CREATE", initech(json!({"nodeName": NODE}))),
            PLACEMENT,
            "spec.nodeName may not be set",
        ),
        (
            create(
                "nodeName on CREATE in a pool namespace",
                scheduled(acme(json!({}))),
            ),
            PLACEMENT,
            "spec.nodeName may not be set",
        ),
        (
            create(
                "another tier's priority class",
                acme(json!({"priorityClassName": "shared-low"})),
            ),
            PRIORITY,
            "priorityClassName shared-low is not granted to namespace tenant-acme-prod: use gpu-high (your tier)",
        ),
        (
            create(
                "a node-pool tier's class from a shared tier",
                initech(json!({"priorityClassName": "gpu-high"})),
            ),
            PRIORITY,
            "use shared-low (your tier)",
        ),
        (
            create(
                "system-node-critical",
                acme(json!({"priorityClassName": "system-node-critical"})),
            ),
            PRIORITY,
            "priorityClassName system-node-critical is not granted",
        ),
        (
            create(
                "system-cluster-critical",
                initech(json!({"priorityClassName": "system-cluster-critical"})),
            ),
            PRIORITY,
            "priorityClassName system-cluster-critical is not granted",
        ),
        (
            create(
                "Service with externalIPs",
                service("tenant-initech", ip_service.clone()),
            ),
            SERVICES,
            "CVE-2020-8554",
        ),
        (
            update(
                "externalIPs added on UPDATE",
                service("tenant-acme-dev", cluster_ip()),
                service("tenant-acme-dev", ip_service),
            ),
            SERVICES,
            "CVE-2020-8554",
        ),
        (
            create(
                "ExternalName in a tier that does not allow it",
                service(
                    "tenant-acme-prod",
                    json!({"type": "ExternalName", "externalName": "db.globex.svc.cluster.local"}),
                ),
            ),
            SERVICES,
            "does not allow Services of type ExternalName",
        ),
        (
            update(
                "ClusterIP turned ExternalName on UPDATE",
                service("tenant-globex-prod", cluster_ip()),
                service(
                    "tenant-globex-prod",
                    json!({"type": "ExternalName", "externalName": "example.com"}),
                ),
            ),
            SERVICES,
            "does not allow Services of type ExternalName",
        ),
    ]
}

/// Every legitimate request, with the policies that must evaluate (and admit) it.
fn legitimate(o: &Output) -> Vec<(Case, &'static [&'static str])> {
    let acme = |spec: Value| placed(o, pod("tenant-acme-prod", spec));
    let initech = |spec: Value| pod("tenant-initech", spec);
    let pods: &[&str] = &[PLACEMENT, PRIORITY];
    let home = scheduled(acme(json!({})));
    let relabelled = {
        let mut pod = home.clone();
        pod["metadata"]["labels"]["version"] = "2".into();
        pod
    };
    let new_image = {
        let mut pod = home.clone();
        pod["spec"]["containers"][0]["image"] = "registry.example.com/app:1.1".into();
        pod
    };
    let load_balancer = |port: u16| {
        json!({"type": "LoadBalancer", "selector": {"app": "web"},
               "ports": [{"port": port, "targetPort": "http", "protocol": "TCP"}]})
    };
    let not_ready = |key: &str| json!({"key": key, "operator": "Exists", "effect": "NoExecute", "tolerationSeconds": 300});
    let external_ips =
        json!({"type": "ClusterIP", "externalIPs": ["203.0.113.10"], "ports": [{"port": 80}]});
    let keyless = json!({"operator": "Exists"});
    let own_default = json!({"key": TAINT_KEY, "value": "acme"});
    let with_not_ready = tolerate(
        initech(json!({})),
        not_ready("node.kubernetes.io/not-ready"),
    );
    vec![
        (
            create("own pool pod as Kyverno places it", acme(json!({}))),
            pods,
        ),
        (
            create(
                "own pool pod in another environment",
                placed(o, pod("tenant-acme-dev", json!({}))),
            ),
            pods,
        ),
        (
            create(
                "another pool tenant's own pod",
                placed(o, pod("tenant-globex-prod", json!({}))),
            ),
            pods,
        ),
        (
            create("ordinary pod on shared nodes", initech(json!({}))),
            pods,
        ),
        (
            create(
                "pod with the tolerations the API server adds",
                tolerate(with_not_ready, not_ready("node.kubernetes.io/unreachable")),
            ),
            pods,
        ),
        (
            create(
                "own pool toleration with the default operator",
                tolerate(pod("tenant-acme-dev", json!({})), own_default),
            ),
            pods,
        ),
        (
            create(
                "nodeSelector on other labels",
                initech(json!({"nodeSelector": {"kubernetes.io/arch": "amd64"}})),
            ),
            pods,
        ),
        (
            create(
                "affinity DoesNotExist: shared nodes",
                initech(affinity("DoesNotExist", &[])),
            ),
            pods,
        ),
        (
            create("affinity In own pool", acme(affinity("In", &["acme"]))),
            pods,
        ),
        (
            create(
                "the tier's priority class",
                acme(json!({"priorityClassName": "gpu-high"})),
            ),
            pods,
        ),
        (
            create(
                "the shared tier's priority class",
                initech(json!({"priorityClassName": "shared-low"})),
            ),
            pods,
        ),
        (
            create(
                "a platform-wide priority class",
                acme(json!({"priorityClassName": "cluster-default"})),
            ),
            pods,
        ),
        (
            create(
                "a platform-wide class on shared nodes",
                initech(json!({"priorityClassName": "cluster-default"})),
            ),
            pods,
        ),
        (
            create(
                "an empty priority class",
                initech(json!({"priorityClassName": ""})),
            ),
            pods,
        ),
        (
            update(
                "UPDATE of a scheduled pod, spec unchanged",
                home.clone(),
                relabelled,
            ),
            &[],
        ),
        (
            update("UPDATE of a scheduled pod's image", home, new_image),
            &[PLACEMENT],
        ),
        (
            create(
                "ClusterIP Service",
                service("tenant-acme-prod", cluster_ip()),
            ),
            &[SERVICES],
        ),
        (
            create(
                "LoadBalancer Service",
                service("tenant-initech", load_balancer(443)),
            ),
            &[SERVICES],
        ),
        (
            update(
                "LoadBalancer port change",
                service("tenant-initech", load_balancer(443)),
                service("tenant-initech", load_balancer(8443)),
            ),
            &[SERVICES],
        ),
        (
            create(
                "ExternalName where the tier allows it",
                service(
                    "tenant-initech",
                    json!({"type": "ExternalName", "externalName": "db.example.com"}),
                ),
            ),
            &[SERVICES],
        ),
        (
            create(
                "keyless Exists in kube-system: not a tenant namespace",
                tolerate(pod("kube-system", json!({})), keyless),
            ),
            &[],
        ),
        (
            create(
                "externalIPs in ingress-nginx: not a tenant namespace",
                service("ingress-nginx", external_ips),
            ),
            &[],
        ),
    ]
}

#[test]
fn emitted_policies_deny_every_attack() {
    let mut problems = Vec::new();
    for (engine, output) in both_engines() {
        for (case, policy, says) in attacks(output) {
            problems.extend(
                attack_problems(output, &case, policy, says)
                    .into_iter()
                    .map(|p| format!("{engine}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn emitted_policies_admit_legitimate_objects() {
    let mut problems = Vec::new();
    for (engine, output) in both_engines() {
        for (case, evaluated) in legitimate(output) {
            problems.extend(
                legit_problems(output, &case, evaluated)
                    .into_iter()
                    .map(|p| format!("{engine}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// Every request of the corpus gets the same verdict from both engines: the same policies
/// evaluate it, and the same validations fail, with the same messages and reasons.
#[test]
fn both_engines_judge_every_request_alike() {
    let (vap, kyverno) = (scenario(), kyverno_scenario());
    let cases: Vec<Case> = attacks(vap)
        .into_iter()
        .map(|(case, _, _)| case)
        .chain(legitimate(vap).into_iter().map(|(case, _)| case))
        .collect();
    assert!(cases.len() > 40, "{} cases", cases.len());
    let mut problems = Vec::new();
    for case in &cases {
        let (a, b) = (review(vap, case), review(kyverno, case));
        if a.evaluated != b.evaluated || a.failures != b.failures {
            problems.push(format!(
                "{}:\n  validatingAdmissionPolicy: {a:?}\n  kyverno: {b:?}",
                case.what
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn namespaces_carry_what_their_tier_grants() {
    let output = scenario();
    let labels = |ns: &str| output.namespaces[ns]["metadata"]["labels"].clone();
    let acme = labels("tenant-acme-prod");
    assert_eq!(acme["tenantc.dev/tenant"], "acme");
    assert_eq!(acme["tenantc.dev/priority-class"], "gpu-high");
    assert!(
        acme.get("tenantc.dev/external-name-services").is_none(),
        "{acme}"
    );
    let initech = labels("tenant-initech");
    assert_eq!(initech["tenantc.dev/priority-class"], "shared-low");
    assert_eq!(initech["tenantc.dev/external-name-services"], "allowed");
    for (engine, output) in both_engines() {
        let programs = output.policies.programs();
        let priority = programs.iter().find(|p| p.policy == PRIORITY).unwrap();
        assert_eq!(
            named(priority.variables)[1],
            ("platformClasses", "['cluster-default']"),
            "{engine}"
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Matching: bindings and constraints, or Kyverno rules.

/// The namespace selectors that must all select a namespace for a policy to apply to it:
/// each binding's `matchResources` and each policy's `matchConstraints`, or each Kyverno
/// rule's `match.any` entries.
fn selectors(set: &PolicySet) -> Vec<(String, &Value)> {
    let bindings = set.bindings.iter().map(|b| {
        (
            format!("binding {}", b["metadata"]["name"]),
            &b["spec"]["matchResources"]["namespaceSelector"],
        )
    });
    let policies = set.policies.iter().flat_map(|p| {
        let name = &p["metadata"]["name"];
        match set.engine {
            Engine::ValidatingAdmissionPolicy => vec![(
                format!("policy {name}"),
                &p["spec"]["matchConstraints"]["namespaceSelector"],
            )],
            Engine::Kyverno => p["spec"]["rules"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|rule| rule["match"]["any"].as_array().unwrap())
                .map(|filter| {
                    (
                        format!("ClusterPolicy {name}"),
                        &filter["resources"]["namespaceSelector"],
                    )
                })
                .collect(),
        }
    });
    bindings.chain(policies).collect()
}

/// The resource rules every policy must have, by policy: `(operations, resource)`.
const GUARDED: [(&str, &[&str], &str); 3] = [
    (PLACEMENT, &["CREATE", "UPDATE"], "pods"),
    (PRIORITY, &["CREATE"], "pods"),
    (SERVICES, &["CREATE", "UPDATE"], "services"),
];

/// What every rendered policy set must hold: the three policies, failing closed, each bound
/// once with `Deny` (or, with Kyverno, one enforced rule each), matching exactly the
/// resources and operations it must.
fn assert_policy_set(set: &PolicySet) {
    let names: Vec<&str> = set
        .policies
        .iter()
        .map(|p| p["metadata"]["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, [PLACEMENT, PRIORITY, SERVICES]);
    for policy in &set.policies {
        assert_eq!(
            policy["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "tenantc"
        );
    }
    match set.engine {
        Engine::ValidatingAdmissionPolicy => assert_validating_policies(set),
        Engine::Kyverno => assert_kyverno_policies(set),
    }
}

fn assert_validating_policies(set: &PolicySet) {
    for (name, operations, resource) in GUARDED {
        let policy = set
            .policies
            .iter()
            .find(|p| p["metadata"]["name"] == name)
            .unwrap();
        assert_eq!(policy["spec"]["failurePolicy"], "Fail", "{name}");
        assert_eq!(
            policy["spec"]["matchConstraints"]["resourceRules"],
            json!([{"apiGroups": [""], "apiVersions": ["v1"], "operations": operations, "resources": [resource]}]),
            "{name}"
        );
    }
    let bound: Vec<&str> = set
        .bindings
        .iter()
        .map(|b| b["spec"]["policyName"].as_str().unwrap())
        .collect();
    assert_eq!(
        bound,
        [PLACEMENT, PRIORITY, SERVICES],
        "one binding per policy"
    );
    for binding in &set.bindings {
        assert_eq!(
            binding["spec"]["validationActions"],
            json!(["Deny"]),
            "{binding}"
        );
        assert_eq!(
            binding["metadata"]["labels"]["app.kubernetes.io/managed-by"],
            "tenantc"
        );
    }
}

/// The Kyverno form: one rule per ClusterPolicy, enforced (`validate.failureAction:
/// Enforce`), failing closed (`webhookConfiguration.failurePolicy: Fail`), admission only,
/// no pod-controller rules generated and no ValidatingAdmissionPolicy generated in its
/// place; none of the deprecated policy-wide fields; valid against the vendored CRD schema.
fn assert_kyverno_policies(set: &PolicySet) {
    assert!(set.bindings.is_empty(), "no bindings with Kyverno");
    for (name, operations, resource) in GUARDED {
        let policy = set
            .policies
            .iter()
            .find(|p| p["metadata"]["name"] == name)
            .unwrap();
        let problems = check_object(policy);
        assert!(problems.is_empty(), "{name}: {problems:#?}");
        let spec = &policy["spec"];
        assert_eq!(
            policy["metadata"]["annotations"]["pod-policies.kyverno.io/autogen-controllers"],
            "none",
            "{name}"
        );
        assert_eq!(spec["background"], false, "{name}");
        assert_eq!(
            spec["webhookConfiguration"],
            json!({"failurePolicy": "Fail"}),
            "{name}"
        );
        for deprecated in ["failurePolicy", "validationFailureAction"] {
            assert!(spec.get(deprecated).is_none(), "{name}: spec.{deprecated}");
        }
        let rules = spec["rules"].as_array().unwrap();
        assert_eq!(rules.len(), 1, "{name}: one rule");
        let rule = &rules[0];
        let validate = &rule["validate"];
        assert_eq!(validate["failureAction"], "Enforce", "{name}");
        assert_eq!(validate["allowExistingViolations"], false, "{name}");
        assert!(validate["cel"].get("generate").is_none(), "{name}");
        let kind = match resource {
            "pods" => "Pod",
            _ => "Service",
        };
        assert_eq!(
            rule["match"],
            json!({"any": [{"resources": {
                "kinds": [kind],
                "operations": operations,
                "namespaceSelector": {"matchExpressions": [{"key": TAINT_KEY, "operator": "Exists"}]},
            }}]}),
            "{name}"
        );
    }
}

/// Asserts that every tenant namespace of `output` is selected by every binding and policy,
/// and that the platform's own namespaces are not.
fn assert_selects_tenant_namespaces_only(output: &Output) {
    assert!(!output.namespaces.is_empty(), "no tenant namespace");
    let mut problems = Vec::new();
    for (what, selector) in selectors(&output.policies) {
        assert!(selector.is_object(), "{what} has no namespace selector");
        for (name, namespace) in &output.namespaces {
            if !eval::selects(selector, &namespace["metadata"]["labels"]) {
                problems.push(format!("{what} does not select tenant namespace {name}"));
            }
        }
        for name in [
            "default",
            "kube-system",
            "argocd",
            "kyverno",
            "kamaji-system",
        ] {
            if eval::selects(selector, &platform_namespace(name)["metadata"]["labels"]) {
                problems.push(format!("{what} selects platform namespace {name}"));
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn policies_match_the_resources_operations_and_namespaces_they_guard() {
    for (engine, output) in both_engines() {
        assert_policy_set(&output.policies);
        assert_selects_tenant_namespaces_only(output);
        // A Pod never reaches the Service policy, a Service never the pod policies, DELETE
        // never any: the request's resource and operation are matched, not assumed.
        let pod = Case {
            what: "DELETE of a pod",
            operation: "DELETE",
            object: pod("tenant-initech", json!({"nodeName": NODE})),
            old: None,
        };
        assert!(review(output, &pod).evaluated.is_empty(), "{engine}");
    }
}

/// The Kyverno form holds each ValidatingAdmissionPolicy's CEL unchanged: its match
/// conditions as `celPreconditions`, its variables and validations as `validate.cel`.
#[test]
fn kyverno_policies_hold_the_same_cel_as_the_validating_admission_policies() {
    let vap = scenario().policies.programs();
    let kyverno = kyverno_scenario().policies.programs();
    assert_eq!(vap.len(), kyverno.len());
    for (a, b) in vap.iter().zip(&kyverno) {
        assert_eq!(a.policy, b.policy);
        assert_eq!(a.resources, b.resources, "{}", a.policy);
        assert_eq!(
            named(a.match_conditions),
            named(b.match_conditions),
            "{}",
            a.policy
        );
        assert_eq!(a.variables, b.variables, "{}", a.policy);
        assert_eq!(a.validations, b.validations, "{}", a.policy);
        assert!(a.enforced && b.enforced, "{}", a.policy);
    }
}

// ---------------------------------------------------------------------------------------------
// The evaluator itself can fail.

#[test]
fn evaluator_denies_on_false_and_on_errors_and_skips_on_false_match_conditions() {
    let policy = |condition: &str, expression: &str| {
        json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicy",
               "metadata": {"name": "probe"},
               "spec": {"failurePolicy": "Fail",
                        "matchConstraints": {"resourceRules": [{"apiGroups": [""], "apiVersions": ["v1"], "operations": ["CREATE"], "resources": ["pods"]}]},
                        "matchConditions": [{"name": "c", "expression": condition}],
                        "variables": [{"name": "a", "expression": "1"}, {"name": "b", "expression": "variables.a + 1"}],
                        "validations": [{"expression": expression, "message": "no", "reason": "Forbidden"}]}})
    };
    let binding = json!({"apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingAdmissionPolicyBinding", "spec": {"policyName": "probe", "validationActions": ["Deny"], "matchResources": {}}});
    let namespace = platform_namespace("probe");
    let object = pod("probe", json!({}));
    let judge = |condition: &str, expression: &str| {
        let set = PolicySet::from_documents(vec![policy(condition, expression), binding.clone()]);
        set.review(&Request {
            operation: "CREATE",
            object: &object,
            old_object: None,
            namespace: &namespace,
            user: "u",
        })
    };
    assert!(
        judge("true", "variables.b == 2").admitted(),
        "a later variable sees an earlier one"
    );
    let denied = judge("true", "variables.b == 3");
    assert_eq!(denied.failures[0].cause, Cause::False);
    // Reading an absent field is an error in Kubernetes' CEL, which `failurePolicy: Fail`
    // turns into a denial: an unguarded field is caught by the legitimate cases.
    let unguarded = judge("true", "object.spec.nodeSelector['a'] == 'b'");
    assert!(
        matches!(unguarded.failures[0].cause, Cause::Error(_)),
        "{unguarded:?}"
    );
    let skipped = judge("object.spec.containers.size() == 2", "false");
    assert!(
        skipped.admitted() && skipped.evaluated.is_empty(),
        "{skipped:?}"
    );
}

/// The same for a Kyverno rule, which also must match the request's kind, operation and
/// namespace, and denies only when enforced.
#[test]
fn evaluator_runs_kyverno_rules_as_kyverno_does() {
    let policy = |action: Option<&str>, resources: Value, condition: &str, expression: &str| {
        let mut validate = json!({"cel": {
            "variables": [{"name": "a", "expression": "1"}, {"name": "b", "expression": "variables.a + 1"}],
            "expressions": [{"expression": expression, "message": "no", "reason": "Forbidden"}]}});
        if let Some(action) = action {
            validate["failureAction"] = action.into();
        }
        json!({"apiVersion": "kyverno.io/v1", "kind": "ClusterPolicy", "metadata": {"name": "probe"},
               "spec": {"rules": [{"name": "r", "match": {"any": [{"resources": resources}]},
                                   "celPreconditions": [{"name": "c", "expression": condition}],
                                   "validate": validate}]}})
    };
    let pods = json!({"kinds": ["Pod"], "operations": ["CREATE"]});
    let namespace = platform_namespace("probe");
    let object = pod("probe", json!({}));
    let judge = |policy: Value| {
        let set = PolicySet::from_documents(vec![policy]);
        assert_eq!(set.engine, Engine::Kyverno);
        set.review(&Request {
            operation: "CREATE",
            object: &object,
            old_object: None,
            namespace: &namespace,
            user: "u",
        })
    };
    let enforce = Some("Enforce");
    assert!(judge(policy(enforce, pods.clone(), "true", "variables.b == 2")).admitted());
    let denied = judge(policy(enforce, pods.clone(), "true", "variables.b == 3"));
    assert_eq!(denied.failures[0].cause, Cause::False, "{denied:?}");
    let unguarded = judge(policy(
        enforce,
        pods.clone(),
        "true",
        "object.spec.nodeSelector['a'] == 'b'",
    ));
    assert!(
        matches!(unguarded.failures[0].cause, Cause::Error(_)),
        "{unguarded:?}"
    );
    let skipped = judge(policy(enforce, pods.clone(), "false", "false"));
    assert!(skipped.admitted() && skipped.evaluated.is_empty());
    // Without an action Kyverno only audits: evaluated, reported, not denied.
    for action in [None, Some("Audit")] {
        let audited = judge(policy(action, pods.clone(), "true", "false"));
        assert!(
            audited.admitted() && audited.evaluated == ["probe"],
            "{audited:?}"
        );
    }
    for resources in [
        json!({"kinds": ["Service"], "operations": ["CREATE"]}),
        json!({"kinds": ["Pod"], "operations": ["UPDATE"]}),
        json!({"kinds": ["Pod"], "namespaceSelector": {"matchExpressions": [{"key": TAINT_KEY, "operator": "Exists"}]}}),
    ] {
        let unmatched = judge(policy(enforce, resources.clone(), "true", "false"));
        assert!(unmatched.evaluated.is_empty(), "{resources}: {unmatched:?}");
    }
    for kinds in [
        json!(["v1/Pod"]),
        json!(["*/v1/Pod"]),
        json!(["Service", "Pod"]),
    ] {
        let matched = judge(policy(enforce, json!({"kinds": kinds}), "true", "false"));
        assert!(!matched.admitted(), "{kinds}: {matched:?}");
    }
}

// ---------------------------------------------------------------------------------------------
// Types.

/// The vendored schemas the type check reads.
struct Schemas {
    pod: Value,
    service: Value,
    namespace: Value,
    request: Value,
}

fn schemas() -> &'static Schemas {
    static SCHEMAS: OnceLock<Schemas> = OnceLock::new();
    SCHEMAS.get_or_init(|| {
        let read = |kind: &str| -> Value {
            let path = root().join(format!("tests/upstream-schemas/kubernetes/{kind}.json"));
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap()
        };
        Schemas {
            pod: read("pod"),
            service: read("service"),
            namespace: types::namespace_object_schema(&read("namespace")),
            request: types::request_schema(),
        }
    })
}

/// The roots of a policy's expressions: `object`/`oldObject` of its one resource,
/// `namespaceObject`, `request`.
fn roots<'s>(schemas: &'s Schemas, resource: &str) -> types::Roots<'s> {
    let object = match resource {
        "pods" => &schemas.pod,
        "services" => &schemas.service,
        other => panic!("no schema for resource {other}"),
    };
    BTreeMap::from([
        ("object".to_string(), types::from_schema(object, "object")),
        (
            "oldObject".to_string(),
            types::from_schema(object, "oldObject"),
        ),
        (
            "namespaceObject".to_string(),
            types::from_schema(&schemas.namespace, "namespaceObject"),
        ),
        (
            "request".to_string(),
            types::from_schema(&schemas.request, "request"),
        ),
    ])
}

/// Type-checks `source`, recording its problems (and a result type other than `wanted`, by
/// name, when given) in `problems`.
fn typed<'s>(
    problems: &mut Vec<String>,
    what: String,
    source: &str,
    roots: &types::Roots<'s>,
    wanted: Option<&str>,
) -> Option<types::Ty<'s>> {
    match types::check(source, roots) {
        Ok(ty) => {
            let got = format!("{ty:?}");
            if let Some(wanted) = wanted.filter(|w| *w != got) {
                problems.push(format!("{what}: gives {got}, not {wanted}"));
            }
            Some(ty)
        }
        Err(errors) => {
            problems.extend(errors.into_iter().map(|e| format!("{what}: {e}")));
            None
        }
    }
}

/// Type-checks every expression of a policy as the API server would when it is created:
/// match conditions (no `variables`), variables in order (each sees the ones before it),
/// validations (bool) and message expressions (string). One line per problem.
fn type_problems(program: &Program, schemas: &Schemas) -> Vec<String> {
    let name = &program.what;
    assert_eq!(
        program.resources.len(),
        1,
        "{name}: one resource per policy, so `object` has one type"
    );
    let mut roots = roots(schemas, program.resources[0]);
    let mut problems = Vec::new();
    for (n, source) in named(program.match_conditions) {
        typed(
            &mut problems,
            format!("{name} matchCondition {n}"),
            source,
            &roots,
            Some("Bool"),
        );
    }
    let mut variables = BTreeMap::new();
    for (n, source) in named(program.variables) {
        roots.insert("variables".into(), types::Ty::Record(variables.clone()));
        let ty = typed(
            &mut problems,
            format!("{name} variable {n}"),
            source,
            &roots,
            None,
        );
        variables.insert(n.to_string(), ty.unwrap_or(types::Ty::Dyn));
    }
    roots.insert("variables".into(), types::Ty::Record(variables));
    for (i, validation) in program.validations.as_array().unwrap().iter().enumerate() {
        let what = format!("{name} validation {i}");
        let source = validation["expression"].as_str().unwrap();
        typed(&mut problems, what.clone(), source, &roots, Some("Bool"));
        if let Some(message) = validation["messageExpression"].as_str() {
            typed(
                &mut problems,
                format!("{what} messageExpression"),
                message,
                &roots,
                Some("String"),
            );
        }
    }
    problems
}

/// Every expression of both engines' forms, and of the example's committed output.
#[test]
fn every_expression_type_checks_against_the_kubernetes_schemas() {
    let schemas = schemas();
    let example = read_output(&root().join("out"));
    let mut problems = Vec::new();
    let mut checked = 0;
    for set in [
        &scenario().policies,
        &kyverno_scenario().policies,
        &example.policies,
    ] {
        for program in set.programs() {
            checked += 1;
            problems.extend(type_problems(&program, schemas));
        }
    }
    assert_eq!(checked, 9, "three policies in each of three sets");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn type_check_reports_unknown_fields_and_misused_operators() {
    let schemas = schemas();
    let mut roots = roots(schemas, "pods");
    roots.insert(
        "variables".into(),
        types::Ty::Record(BTreeMap::from([("tenant".to_string(), types::Ty::String)])),
    );
    let cases = [
        (
            "object.spec.tolerations.all(t, t.kye == 'x')",
            "no field `kye`",
        ),
        ("has(object.spec.nodName)", "no field `nodName`"),
        (
            "namespaceObject.metadata.lables['a'] == 'b'",
            "no field `lables`",
        ),
        ("request.operaton == 'CREATE'", "no field `operaton`"),
        ("request.uid == 'a'", "no field `uid`"),
        (
            "namespaceObject.metadata.ownerReferences.size() == 0",
            "no field `ownerReferences`",
        ),
        ("variables.tenantt == 'a'", "no variable `tenantt`"),
        ("object.spec.nodeSelector.all(k, k == 'a')", "not a list"),
        ("object.spec.nodeSelector.tenant == 'a'", "selected on map"),
        ("'a' in object.spec.nodeName", "`in` on string"),
        ("object.spec.tolerations['a'].key == 'b'", "a list index"),
        (
            "object.spec.priorityClassName == 1",
            "compares string with int",
        ),
        (
            "object.spec.containers.size() > 0 && object.spec.nodeName",
            "not bool",
        ),
        (
            "lowerAscii(object.spec.nodeName) == 'a'",
            "not one the check knows",
        ),
        ("params.x == 1", "unknown name `params`"),
    ];
    for (source, needle) in cases {
        match types::check(source, &roots) {
            Ok(ty) => panic!("`{source}` passes as {ty:?}; expected a problem with `{needle}`"),
            Err(errors) => assert!(
                errors.iter().any(|e| e.contains(needle)),
                "`{source}`: no problem mentions `{needle}`: {errors:#?}"
            ),
        }
    }
    let fine = "has(object.spec.tolerations) && object.spec.tolerations.exists(t, has(t.key) && t.key == variables.tenant)";
    assert!(
        types::check(fine, &roots).is_ok(),
        "{:?}",
        types::check(fine, &roots)
    );
}

// ---------------------------------------------------------------------------------------------
// The example's committed output.

/// Asserts that each node-pool tenant's pods, placed on its pool, are admitted at home, and
/// that sent into another pool tenant's namespace (and placed there too) they, still
/// carrying their own pool's tolerations, are denied.
fn assert_pools_fenced(output: &Output) {
    let pools = pool_namespaces(output);
    let tenant =
        |ns: &str| output.namespaces[ns]["metadata"]["labels"]["tenantc.dev/tenant"].clone();
    let tenants: BTreeSet<String> = pools.iter().map(|ns| tenant(ns).to_string()).collect();
    assert!(
        tenants.len() >= 2,
        "two node-pool tenants at least: {pools:?}"
    );
    let mut problems = Vec::new();
    for home in &pools {
        let own = placed(output, pod(home, json!({})));
        assert!(
            own["spec"]["nodeSelector"].is_object(),
            "{home}: not placed: {own}"
        );
        let case = create("own placed pod", own.clone());
        problems.extend(legit_problems(output, &case, &[PLACEMENT, PRIORITY]));
        for away in pools.iter().filter(|away| tenant(away) != tenant(home)) {
            let mut intruder = own.clone();
            intruder["metadata"]["namespace"] = (*away).into();
            let case = create("pod of another pool", placed(output, intruder));
            let says = "may only tolerate your own node pool";
            problems.extend(
                attack_problems(output, &case, PLACEMENT, says)
                    .into_iter()
                    .map(|p| format!("{home} → {away}: {p}")),
            );
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn example_output_holds_the_policies_and_binds_every_tenant_namespace() {
    let example = read_output(&root().join("out"));
    assert_policy_set(&example.policies);
    assert_selects_tenant_namespaces_only(&example);
    assert_pools_fenced(&example);
}

#[test]
fn pools_stay_fenced_with_either_placement() {
    assert_pools_fenced(scenario());
    assert_pools_fenced(kyverno_scenario());
    let annotated = render(&[(
        "platform.yaml",
        &SCENARIO[0]
            .1
            .replace("placement: kyverno", "placement: podNodeSelector"),
    )]);
    assert!(annotated.placements.is_empty());
    assert_pools_fenced(&annotated);
}
