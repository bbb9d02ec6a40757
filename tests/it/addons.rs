//! Add-on templates end to end: they render into the namespace files, and a hostile or broken
//! template gets a located error in bounded time without writing anything.

use crate::support::tenantc;
use std::path::Path;
use std::time::{Duration, Instant};

const TIER: &str = "apiVersion: tenantc.dev/v1alpha1\nkind: Tier\nmetadata: {name: basic}\nspec:\n  environments: [{name: dev, quotaShare: 0.5}, {name: prod, quotaShare: 0.5}]\n  quota: {pods: \"10\"}\n";
const TENANT: &str = "apiVersion: tenantc.dev/v1alpha1\nkind: Tenant\nmetadata: {name: acme}\nspec:\n  tier: basic\n  costCenter: \"no: [1, 2]\"\n";

/// A repository with one tier, one tenant and the given templates.
fn repo(templates: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let write = |path: &str, text: &str| {
        let full = dir.path().join(path);
        std::fs::create_dir_all(full.parent().unwrap()).unwrap();
        std::fs::write(full, text).unwrap();
    };
    write("tiers/basic.yaml", TIER);
    write("tenants/acme.yaml", TENANT);
    for (path, text) in templates {
        write(path, text);
    }
    dir
}

/// Runs `render` in `dir` and returns (exit code, stderr).
fn render(dir: &Path) -> (i32, String) {
    let output = tenantc()
        .args(["render", "--repo", ".", "--out", "out"])
        .current_dir(dir)
        .output()
        .unwrap();
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8(output.stderr).unwrap(),
    )
}

#[test]
fn namespace_and_tenant_templates_render_into_namespace_files() {
    let dir = repo(&[
        (
            "templates/namespace/info.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: info\ndata:\n  costCenter: {{ tenant.costCenter }}\n  env: {{ env }}\n",
        ),
        (
            "templates/tenant/alerts.yaml",
            "{% from '_macros.yaml' import group %}apiVersion: monitoring.coreos.com/v1\nkind: PrometheusRule\nmetadata:\n  name: alerts\n  namespace: {{ namespaces | last }}\nspec:\n  groups:\n    - {{ group(tenant) | safe }}\n",
        ),
        (
            "templates/_macros.yaml",
            "{% macro group(t) %}{name: {{ 'tenant-' ~ t }}, rules: [{alert: Down, expr: {{ 'up == 0' }}}]}{% endmacro %}",
        ),
    ]);
    let (code, stderr) = render(dir.path());
    assert_eq!(code, 0, "{stderr}");
    let dev = std::fs::read_to_string(
        dir.path()
            .join("out/tenants/acme/kubernetes/tenant-acme-dev.yaml"),
    )
    .unwrap();
    let prod = std::fs::read_to_string(
        dir.path()
            .join("out/tenants/acme/kubernetes/tenant-acme-prod.yaml"),
    )
    .unwrap();
    // The cost center `no: [1, 2]` stays one string: templates cannot change the structure.
    assert!(
        dev.contains("  costCenter: 'no: [1, 2]'\n")
            || dev.contains("  costCenter: \"no: [1, 2]\"\n"),
        "{dev}"
    );
    assert!(dev.contains("  env: dev\n"), "{dev}");
    assert!(dev.contains("namespace: tenant-acme-dev\n"));
    assert!(!dev.contains("PrometheusRule"));
    assert!(prod.contains("kind: PrometheusRule"), "{prod}");
    assert!(prod.contains("- name: tenant-acme\n"), "{prod}");
    assert!(
        prod.contains("tenantc.dev/tenant: acme"),
        "add-on objects carry the tenant's labels"
    );
}

/// Asserts that rendering fails with E0501 at `file` within a few seconds, writing nothing.
fn assert_rejected(templates: &[(&str, &str)], file: &str, says: &str) {
    let dir = repo(templates);
    let start = Instant::now();
    let (code, stderr) = render(dir.path());
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[E0501]"), "{stderr}");
    assert!(stderr.contains(&format!("--> {file}")), "{stderr}");
    assert!(stderr.contains(says), "expected `{says}` in:\n{stderr}");
    assert!(!dir.path().join("out").exists(), "nothing may be written");
}

#[test]
fn include_outside_templates_is_not_found() {
    assert_rejected(
        &[(
            "templates/namespace/evil.yaml",
            "{% include '../../tiers/basic.yaml' %}\n",
        )],
        "templates/namespace/evil.yaml:1:1",
        "template not found",
    );
}

#[test]
fn endless_loop_runs_out_of_fuel() {
    assert_rejected(
        &[(
            "templates/namespace/loop.yaml",
            "{% for i in range(100000) %}{% for j in range(100000) %}x{% endfor %}{% endfor %}\n",
        )],
        "templates/namespace/loop.yaml:1:1",
        "out of fuel",
    );
}

#[test]
fn governance_kinds_are_not_allowed() {
    assert_rejected(
        &[(
            "templates/namespace/rb.yaml",
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\nmetadata: {name: x}\nroleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}\n",
        )],
        "templates/namespace/rb.yaml",
        "is not an add-on kind",
    );
}

#[test]
fn objects_invalid_for_their_schema_are_rejected() {
    assert_rejected(
        &[(
            "templates/namespace/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {key: [not, a, string]}\n",
        )],
        "templates/namespace/cm.yaml",
        "does not match its schema",
    );
}

#[test]
fn objects_outside_the_tenants_namespaces_are_rejected() {
    assert_rejected(
        &[(
            "templates/tenant/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: kube-system}\n",
        )],
        "templates/tenant/cm.yaml",
        "is not one of the tenant's",
    );
}

#[test]
fn output_that_is_not_yaml_is_rejected() {
    assert_rejected(
        &[(
            "templates/namespace/bad.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ tenant }}-info\n",
        )],
        "templates/namespace/bad.yaml",
        "not valid YAML",
    );
}

#[test]
fn include_by_absolute_path_is_not_found() {
    assert_rejected(
        &[(
            "templates/namespace/evil.yaml",
            "data: {% include '/etc/passwd' %}\n",
        )],
        "templates/namespace/evil.yaml:1:1",
        "template not found",
    );
}

#[test]
fn a_symlink_in_templates_is_not_read_nor_includable() {
    let outside = tempfile::tempdir().unwrap();
    std::fs::write(outside.path().join("secret.yaml"), "password: hunter2\n").unwrap();
    let dir = repo(&[(
        "templates/namespace/cm.yaml",
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {v: {% include 'linked.yaml' %}}\n",
    )]);
    std::os::unix::fs::symlink(
        outside.path().join("secret.yaml"),
        dir.path().join("templates/linked.yaml"),
    )
    .unwrap();
    let (code, stderr) = render(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains("warning[W0110]") && stderr.contains("templates/linked.yaml"),
        "{stderr}"
    );
    assert!(stderr.contains("template not found"), "{stderr}");
    assert!(!stderr.contains("hunter2"), "{stderr}");
}

#[test]
fn endless_recursion_hits_the_recursion_limit() {
    assert_rejected(
        &[(
            "templates/namespace/rec.yaml",
            "{% macro f(n) %}{{ f(n + 1) }}{% endmacro %}{{ f(1) }}\n",
        )],
        "templates/namespace/rec.yaml:1:1",
        "recursion limit exceeded",
    );
}

#[test]
fn huge_output_runs_out_of_fuel() {
    let grow = "| replace('x', 'xxxxxxxxxx') ".repeat(9);
    assert_rejected(
        &[(
            "templates/namespace/big.yaml",
            &format!("data: {{{{ 'xxxxxxxxxx' {grow}}}}}\n"),
        )],
        "templates/namespace/big.yaml:1:1",
        "out of fuel",
    );
}

/// A failing add-on template leaves an earlier render exactly as it was: no half-written
/// file, no file of the bad template.
#[test]
fn a_failing_template_leaves_the_previous_output_untouched() {
    let dir = repo(&[]);
    let (code, stderr) = render(dir.path());
    assert_eq!(code, 0, "{stderr}");
    let before = crate::support::read_tree(&dir.path().join("out"));
    std::fs::create_dir_all(dir.path().join("templates/namespace")).unwrap();
    std::fs::write(
        dir.path().join("templates/namespace/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\ndata: {key: [not, a, string]}\n",
    )
    .unwrap();
    let (code, stderr) = render(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert!(stderr.contains("error[E0501]"), "{stderr}");
    let after = crate::support::read_tree(&dir.path().join("out"));
    assert!(
        crate::support::tree_diff(&before, &after).is_none(),
        "out/ changed"
    );
}

#[test]
fn validate_reports_a_template_that_does_not_compile_once() {
    // `validate` renders nothing, yet it is what pre-commit runs: a broken template must fail
    // it, and `render` must report it once, not once per compile.
    let dir = repo(&[(
        "templates/namespace/broken.yaml",
        "kind: ConfigMap\nname: {{ tenant ~ \"-x\"\n",
    )]);
    let validate = tenantc()
        .args(["validate", "--repo", "."])
        .current_dir(dir.path())
        .output()
        .unwrap();
    let stderr = String::from_utf8(validate.stderr).unwrap();
    assert_eq!(validate.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("error[E0501]") && stderr.contains("--> templates/namespace/broken.yaml:2"),
        "{stderr}"
    );
    let (code, stderr) = render(dir.path());
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(stderr.matches("error[E0501]").count(), 1, "{stderr}");
}
