//! Every object tenantc emits is valid against the vendored upstream schema of its kind,
//! checked the way kubeconform would (see `tests/upstream-schemas/README.md`).
//!
//! The repository's own example and every golden fixture under `fixtures/*/` (except
//! `fixtures/invalid`) are rendered into a temporary directory; every YAML document and every
//! Terraform `resource.<TYPE>.<NAME>` block is validated. A kind without a schema is a
//! failure: tenantc only emits kinds that have one. All failures are reported at once.
//!
//! The negative tests prove that the checker itself can fail.

use crate::support::{read_tree, root, run, tenantc};
use jsonschema::Validator;
use serde_json::Value;
use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

/// The only top-level keys a CRD object may have. The CRD schemas leave their root open, so
/// the checker enforces this itself, as kubeconform does.
const CRD_TOP_LEVEL_KEYS: [&str; 5] = ["apiVersion", "kind", "metadata", "spec", "status"];

/// API groups whose kinds are stored under `kubernetes/` besides `*.k8s.io`.
const BUILT_IN_GROUPS: [&str; 5] = ["", "apps", "batch", "policy", "autoscaling"];

/// The top-level keys of Terraform's JSON syntax.
const TERRAFORM_TOP_LEVEL_KEYS: [&str; 13] = [
    "//",
    "terraform",
    "provider",
    "resource",
    "data",
    "variable",
    "output",
    "locals",
    "module",
    "moved",
    "import",
    "check",
    "removed",
];

/// Error messages can quote a whole object; keep reports readable.
const MAX_MESSAGE_CHARS: usize = 300;

/// Where the vendored schemas live.
fn schemas_dir() -> PathBuf {
    root().join("tests/upstream-schemas")
}

/// The schema file of a kind, relative to [`schemas_dir`], and whether it is a CRD schema
/// (whose root is not strict), following the README's "How a validator picks a file".
fn schema_file(api_version: &str, kind: &str) -> (String, bool) {
    let (group, version) = api_version.split_once('/').unwrap_or(("", api_version));
    let kind = kind.to_lowercase();
    let built_in = BUILT_IN_GROUPS.contains(&group)
        || (group.ends_with(".k8s.io") && !group.ends_with(".x-k8s.io"));
    if built_in {
        (format!("kubernetes/{kind}.json"), false)
    } else {
        (format!("crds/{group}/{kind}_{version}.json"), true)
    }
}

/// The compiled validator of a schema file (relative to [`schemas_dir`]), or `None` when the
/// file does not exist. Each file is read and compiled once per test run.
fn validator(relative: &str) -> Option<Arc<Validator>> {
    type Cache = Mutex<HashMap<String, Option<Arc<Validator>>>>;
    static CACHE: OnceLock<Cache> = OnceLock::new();
    let mut cache = CACHE
        .get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    cache
        .entry(relative.to_string())
        .or_insert_with(|| {
            let path = schemas_dir().join(relative);
            let text = std::fs::read_to_string(&path).ok()?;
            let schema: Value = serde_json::from_str(&text)
                .unwrap_or_else(|e| panic!("{}: not JSON: {e}", path.display()));
            let compiled = jsonschema::validator_for(&schema)
                .unwrap_or_else(|e| panic!("{}: not a valid schema: {e}", path.display()));
            Some(Arc::new(compiled))
        })
        .clone()
}

/// Validates `instance` against a schema file; one line per error, with its instance path.
fn schema_errors(relative: &str, validator: &Validator, instance: &Value) -> Vec<String> {
    validator
        .iter_errors(instance)
        .map(|error| {
            let path = error.instance_path().to_string();
            let mut message = error.to_string();
            if message.chars().count() > MAX_MESSAGE_CHARS {
                message = message.chars().take(MAX_MESSAGE_CHARS).collect::<String>() + "…";
            }
            format!(
                "at `{}`: {message} (schema {relative}, rule {})",
                if path.is_empty() { "/" } else { &path },
                error.schema_path()
            )
        })
        .collect()
}

/// Checks one Kubernetes-style object against the schema of its kind. Returns its problems
/// (empty when it is valid).
pub(crate) fn check_object(object: &Value) -> Vec<String> {
    let Some(map) = object.as_object() else {
        return vec![format!("not a mapping: {object}")];
    };
    let (Some(api_version), Some(kind)) = (
        map.get("apiVersion").and_then(Value::as_str),
        map.get("kind").and_then(Value::as_str),
    ) else {
        return vec!["no string `apiVersion` and `kind`".to_string()];
    };
    let (relative, is_crd) = schema_file(api_version, kind);
    let Some(validator) = validator(&relative) else {
        return vec![format!(
            "no schema for {api_version} {kind}: tests/upstream-schemas/{relative} does not exist"
        )];
    };
    let mut problems = Vec::new();
    if is_crd {
        for key in map.keys() {
            if !CRD_TOP_LEVEL_KEYS.contains(&key.as_str()) {
                problems.push(format!(
                    "at `/{key}`: unknown top-level field (only {} are allowed)",
                    CRD_TOP_LEVEL_KEYS.join(", ")
                ));
            }
        }
    }
    problems.extend(schema_errors(&relative, &validator, object));
    problems
}

/// Checks a Terraform JSON document: its top-level keys, and every `resource.<TYPE>.<NAME>`
/// against `terraform/<TYPE>.schema.json`. Returns `(block, problem)` pairs and the number of
/// resource blocks checked.
fn check_terraform(document: &Value) -> (Vec<(String, String)>, usize) {
    let mut problems = Vec::new();
    let mut checked = 0;
    let Some(map) = document.as_object() else {
        return (vec![("/".into(), "not a JSON object".into())], 0);
    };
    for key in map.keys() {
        if !TERRAFORM_TOP_LEVEL_KEYS.contains(&key.as_str()) {
            problems.push((key.clone(), "not a Terraform top-level block".into()));
        }
    }
    let Some(resources) = map.get("resource") else {
        return (problems, 0);
    };
    let Some(types) = resources.as_object() else {
        problems.push(("resource".into(), "not an object".into()));
        return (problems, 0);
    };
    for (kind, blocks) in types {
        let relative = format!("terraform/{kind}.schema.json");
        let validator = validator(&relative);
        let Some(blocks) = blocks.as_object() else {
            problems.push((format!("resource.{kind}"), "not an object".into()));
            continue;
        };
        for (name, body) in blocks {
            let label = format!("resource.{kind}.{name}");
            let Some(validator) = &validator else {
                problems.push((
                    label,
                    format!("no schema: tests/upstream-schemas/{relative} does not exist"),
                ));
                continue;
            };
            // Terraform's JSON syntax allows a block to be one object or a list of them.
            let bodies = match body {
                Value::Array(items) => items.iter().collect(),
                other => vec![other],
            };
            for body in bodies {
                checked += 1;
                for problem in schema_errors(&relative, validator, body) {
                    problems.push((label.clone(), problem));
                }
            }
        }
    }
    (problems, checked)
}

/// Splits a YAML stream on lines equal to `---`; yields each document with its first line
/// number (1-based).
fn split_documents(text: &str) -> Vec<(usize, String)> {
    let mut documents = vec![(1, String::new())];
    for (index, line) in text.lines().enumerate() {
        if line == "---" {
            documents.push((index + 2, String::new()));
        } else {
            let current = &mut documents.last_mut().unwrap().1;
            current.push_str(line);
            current.push('\n');
        }
    }
    documents
}

/// `kind namespace/name` of an object, for reports.
fn describe(object: &Value) -> String {
    let text = |pointer: &str| object.pointer(pointer).and_then(Value::as_str);
    let name = text("/metadata/name").unwrap_or("<no name>");
    let kind = text("/kind").unwrap_or("<no kind>");
    match text("/metadata/namespace") {
        Some(namespace) => format!("{kind} {namespace}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// What checking a rendered output tree found.
#[derive(Default)]
pub(crate) struct Report {
    /// Objects and Terraform blocks validated.
    pub(crate) checked: usize,
    /// The kinds of the objects validated.
    pub(crate) kinds: BTreeSet<String>,
    /// One line per problem: file, object and error.
    pub(crate) failures: Vec<String>,
}

impl Report {
    /// Checks every file of an output tree; `label` prefixes file names in the report.
    pub(crate) fn check_tree(&mut self, label: &str, out: &Path) {
        for (path, bytes) in read_tree(out) {
            let file = format!("{label}/{path}");
            let Ok(text) = String::from_utf8(bytes) else {
                self.failures.push(format!("{file}: not UTF-8"));
                continue;
            };
            if path == "tenantc.lock.json" {
                continue;
            } else if path.ends_with(".tf.json") {
                self.check_terraform_file(&file, &text);
            } else if path.ends_with(".yaml") {
                self.check_yaml_file(&file, &text);
            } else {
                self.failures.push(format!(
                    "{file}: unexpected file type; nothing validates it"
                ));
            }
        }
    }

    /// Checks every document of a YAML stream.
    fn check_yaml_file(&mut self, file: &str, text: &str) {
        for (line, document) in split_documents(text) {
            let at = format!("{file}:{line}");
            let object = match serde_saphyr::from_str::<Value>(&document) {
                Ok(Value::Null) => {
                    self.failures.push(format!("{at}: empty document"));
                    continue;
                }
                Ok(object) => object,
                Err(e) => {
                    self.failures.push(format!("{at}: not YAML: {e}"));
                    continue;
                }
            };
            self.checked += 1;
            if let Some(kind) = object.get("kind").and_then(Value::as_str) {
                self.kinds.insert(kind.to_string());
            }
            let what = describe(&object);
            for problem in check_object(&object) {
                self.failures.push(format!("{at} {what}: {problem}"));
            }
        }
    }

    /// Checks a Terraform JSON file.
    fn check_terraform_file(&mut self, file: &str, text: &str) {
        let document = match serde_json::from_str::<Value>(text) {
            Ok(document) => document,
            Err(e) => {
                self.failures.push(format!("{file}: not JSON: {e}"));
                return;
            }
        };
        let (problems, checked) = check_terraform(&document);
        self.checked += checked;
        for (block, problem) in problems {
            self.failures.push(format!("{file} {block}: {problem}"));
        }
    }
}

/// The repositories to render: the example at the root, then every golden fixture with a
/// `tenants/` directory (sorted; `fixtures/invalid` is the bad-input corpus).
fn repositories() -> Vec<(String, PathBuf)> {
    let mut repos = vec![("example".to_string(), root())];
    let Ok(entries) = std::fs::read_dir(root().join("fixtures")) else {
        return repos;
    };
    let mut fixtures: Vec<(String, PathBuf)> = entries
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.join("tenants").is_dir())
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            (format!("fixtures/{name}"), path)
        })
        .filter(|(name, _)| name != "fixtures/invalid")
        .collect();
    fixtures.sort();
    repos.extend(fixtures);
    repos
}

#[test]
fn every_emitted_object_matches_its_upstream_schema() {
    let temp = tempfile::tempdir().unwrap();
    let repos = repositories();
    // Render all repositories concurrently: each is its own process.
    let rendered: Vec<(String, PathBuf, Result<(), String>)> = std::thread::scope(|scope| {
        let handles: Vec<_> = repos
            .iter()
            .enumerate()
            .map(|(index, (label, repo))| {
                let out = temp.path().join(format!("out-{index}"));
                scope.spawn(move || {
                    let ran = run(tenantc()
                        .arg("render")
                        .arg("--repo")
                        .arg(repo)
                        .arg("--out")
                        .arg(&out));
                    let result = if ran.code == Some(0) {
                        Ok(())
                    } else {
                        Err(format!(
                            "{label}: render exited with {:?}:\n{}",
                            ran.code, ran.stderr
                        ))
                    };
                    (label.clone(), out, result)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    let mut report = Report::default();
    for (label, out, result) in rendered {
        match result {
            Ok(()) => report.check_tree(&label, &out),
            Err(message) => report.failures.push(message),
        }
    }
    assert!(
        report.failures.is_empty(),
        "{} problem(s) in the rendered output of {} repositories ({} objects checked):\n{}",
        report.failures.len(),
        repos.len(),
        report.checked,
        report.failures.join("\n")
    );
    assert!(report.checked > 0, "no object was checked");
    // The kinds of every namespace file and Argo CD file, the deployer's included, and of
    // both admission engines (fixtures/admission-kyverno has the ClusterPolicies).
    for kind in [
        "Namespace",
        "Role",
        "RoleBinding",
        "ServiceAccount",
        "AppProject",
        "Application",
        "ValidatingAdmissionPolicy",
        "ValidatingAdmissionPolicyBinding",
        "Policy",
        "ClusterPolicy",
    ] {
        assert!(
            report.kinds.contains(kind),
            "no {kind} was checked: {:?}",
            report.kinds
        );
    }
}

/// Parses one YAML document.
fn yaml(text: &str) -> Value {
    serde_saphyr::from_str(text).unwrap()
}

/// Asserts that the checker accepts `valid` and rejects `invalid` with a problem that
/// mentions `needle`, so that a rejection for another reason does not count.
#[track_caller]
fn assert_rejected(valid: &str, invalid: &str, needle: &str) {
    let problems = check_object(&yaml(valid));
    assert!(
        problems.is_empty(),
        "the valid object is rejected: {problems:#?}"
    );
    let problems = check_object(&yaml(invalid));
    assert!(
        problems.iter().any(|p| p.contains(needle)),
        "the invalid object is not rejected for `{needle}`: {problems:#?}"
    );
}

#[test]
fn rejects_a_namespace_with_a_misspelled_metadata_field() {
    assert_rejected(
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: acme\n  labels: {a: b}\n",
        "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: acme\n  lables: {a: b}\n",
        "lables",
    );
}

const NETWORK_POLICY: &str = "\
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny, namespace: acme}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
";

#[test]
fn rejects_a_network_policy_with_an_unknown_spec_field() {
    let invalid = format!("{NETWORK_POLICY}  ingres: []\n");
    assert_rejected(NETWORK_POLICY, &invalid, "ingres");
}

#[test]
fn rejects_a_built_in_kind_with_the_wrong_api_version() {
    let invalid = NETWORK_POLICY.replace("networking.k8s.io/v1", "networking.k8s.io/v1beta1");
    assert_rejected(NETWORK_POLICY, &invalid, "/apiVersion");
}

const APP_PROJECT: &str = "\
apiVersion: argoproj.io/v1alpha1
kind: AppProject
metadata: {name: acme, namespace: argocd}
spec:
  sourceRepos: ['https://git.example.com/acme/apps.git']
  destinations:
    - {server: 'https://kubernetes.default.svc', namespace: acme-prod}
";

#[test]
fn rejects_an_app_project_with_an_unknown_spec_field() {
    let invalid = APP_PROJECT.replace("destinations:", "destinatons:");
    assert_rejected(APP_PROJECT, &invalid, "destinatons");
}

#[test]
fn rejects_a_destination_service_account_without_its_account() {
    let valid = format!(
        "{APP_PROJECT}  destinationServiceAccounts:\n    - {{server: '*', namespace: acme-prod, defaultServiceAccount: tenantc-deployer}}\n"
    );
    let invalid = valid.replace("defaultServiceAccount", "serviceAccount");
    assert_rejected(&valid, &invalid, "serviceAccount");
}

#[test]
fn rejects_an_unknown_top_level_field_of_a_crd_object() {
    let invalid = format!("{APP_PROJECT}statuss: {{}}\n");
    assert_rejected(APP_PROJECT, &invalid, "statuss");
}

const CLUSTER_POLICY: &str = "\
apiVersion: kyverno.io/v1
kind: ClusterPolicy
metadata: {name: tenantc-service-exposure}
spec:
  background: false
  webhookConfiguration: {failurePolicy: Fail}
  rules:
    - name: service-exposure
      match: {any: [{resources: {kinds: [Service], operations: [CREATE]}}]}
      validate:
        failureAction: Enforce
        cel:
          expressions: [{expression: '!has(object.spec.externalIPs)', message: denied}]
";

#[test]
fn rejects_a_cluster_policy_with_a_misspelled_or_unknown_action() {
    let misspelled = CLUSTER_POLICY.replace("failureAction:", "failureActon:");
    assert_rejected(CLUSTER_POLICY, &misspelled, "failureActon");
    let unknown = CLUSTER_POLICY.replace("failureAction: Enforce", "failureAction: Deny");
    assert_rejected(CLUSTER_POLICY, &unknown, "Deny");
    let precondition = CLUSTER_POLICY.replace(
        "      validate:",
        "      celPreconditions: [{expression: 'true'}]\n      validate:",
    );
    assert_rejected(CLUSTER_POLICY, &precondition, "name");
}

#[test]
fn rejects_a_kind_without_a_schema() {
    let problems = check_object(&yaml(
        "apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\n",
    ));
    assert!(
        problems.iter().any(|p| p.contains("no schema")),
        "{problems:#?}"
    );
}

#[test]
fn rejects_a_terraform_node_group_with_an_unknown_argument() {
    let valid = serde_json::json!({
        "//": "generated",
        "resource": {"aws_eks_node_group": {"acme": {
            "cluster_name": "platform",
            "node_group_name": "tenant-acme",
            "node_role_arn": "arn:aws:iam::123456789012:role/nodes",
            "subnet_ids": ["subnet-1"],
            "scaling_config": {"desired_size": 2, "max_size": 4, "min_size": 1},
            "taint": [{"key": "tenant", "value": "acme", "effect": "NO_SCHEDULE"}],
        }}}
    });
    let (problems, checked) = check_terraform(&valid);
    assert!(problems.is_empty(), "{problems:#?}");
    assert_eq!(checked, 1);

    let mut invalid = valid.clone();
    invalid["resource"]["aws_eks_node_group"]["acme"]["scaling_confg"] =
        serde_json::json!({"desired_size": 2});
    let (problems, _) = check_terraform(&invalid);
    assert!(
        problems.iter().any(|(_, p)| p.contains("scaling_confg")),
        "{problems:#?}"
    );
}

#[test]
fn reports_file_line_object_and_path_of_every_bad_document_in_a_tree() {
    let temp = tempfile::tempdir().unwrap();
    let namespace = "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: acme\n";
    let bad_policy = format!("{NETWORK_POLICY}  ingres: []\n");
    let stream = format!("{namespace}---\n{bad_policy}---\n{APP_PROJECT}");
    let dir = temp.path().join("tenants/acme");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("acme.yaml"), stream).unwrap();
    std::fs::write(
        temp.path().join("node-group-acme.tf.json"),
        r#"{"//": "generated", "resource": {"aws_eks_node_group": {"acme": {"cluster_name": 1}}}}"#,
    )
    .unwrap();

    let mut report = Report::default();
    report.check_tree("t", temp.path());
    assert_eq!(report.checked, 4, "{:#?}", report.failures);
    let policy: Vec<&String> = report
        .failures
        .iter()
        .filter(|f| f.starts_with("t/tenants/acme/acme.yaml:"))
        .collect();
    assert_eq!(policy.len(), 1, "{:#?}", report.failures);
    assert!(
        policy[0]
            .starts_with("t/tenants/acme/acme.yaml:6 NetworkPolicy acme/default-deny: at `/spec`")
            && policy[0].contains("ingres"),
        "{policy:#?}"
    );
    assert!(
        report.failures.iter().any(|f| f.starts_with(
            "t/node-group-acme.tf.json resource.aws_eks_node_group.acme: at `/cluster_name`"
        )),
        "{:#?}",
        report.failures
    );
}
