//! present/absent/patched, --diff, field validation, CRD + custom resource in one task,
//! templates and generateName.

use stackbook_engine::RunOptions;
use stackbook_engine::event::Status;

use crate::support::{Env, get, options};

const NAMESPACE: &str = r#"    - name: namespace
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: app}}
"#;

fn configmap(name: &str, value: &str) -> String {
    format!(
        r#"    - name: configmap {name}
      kubernetes.core.k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        namespace: app
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: {name}, labels: {{tier: db}}}}
          data: {{setting: "{value}"}}
"#
    )
}

fn diff_options() -> RunOptions {
    RunOptions {
        diff: true,
        ..options()
    }
}

#[test]
fn diff_shows_the_field_change_without_bookkeeping() {
    let env = Env::new();
    let first = env.play(
        &format!("{NAMESPACE}{}", configmap("cm", "one")),
        &options(),
    );
    assert_eq!(first.code as i32, 0, "{}", first.summary());
    let second = env.play(&configmap("cm", "two"), &diff_options());
    let result = &second.result("configmap cm").result;
    assert_eq!(second.result("configmap cm").status, Status::Changed);
    let diff = &result["diff"];
    assert_eq!(diff["before_header"], "ConfigMap app/cm");
    let before = diff["before"].as_str().unwrap_or_default();
    let after = diff["after"].as_str().unwrap_or_default();
    assert_eq!(
        after,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\n  namespace: app\n  labels:\n    tier: db\ndata:\n  setting: two\n",
        "{after}"
    );
    assert_eq!(before, after.replace("setting: two", "setting: one"));
    // No diff when nothing changes.
    let third = env.play(&configmap("cm", "two"), &diff_options());
    assert_eq!(third.result("configmap cm").status, Status::Ok);
    assert!(third.result("configmap cm").result.get("diff").is_none());
}

#[test]
fn secret_diff_is_redacted() {
    let env = Env::new();
    let secret = |value: &str| {
        format!(
            r#"    - name: secret
      k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        definition:
          apiVersion: v1
          kind: Secret
          metadata: {{name: creds, namespace: app}}
          stringData: {{password: "{value}", user: postgres}}
"#
        )
    };
    let first = env.play(
        &format!("{NAMESPACE}{}", secret("first-Passw0rd")),
        &diff_options(),
    );
    assert_eq!(first.code as i32, 0, "{}", first.summary());
    let created = first.result("secret").result["diff"]["after"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    let second = env.play(&secret("second-Passw0rd"), &diff_options());
    let diff = &second.result("secret").result["diff"];
    let text = format!("{created}{}{}", diff["before"], diff["after"]);
    for leak in [
        "first-Passw0rd",
        "second-Passw0rd",
        "postgres",
        "Zmlyc3Q",
        "c2Vjb25k",
        "cG9zdGdyZXM",
    ] {
        assert!(!text.contains(leak), "{leak} leaked in {text}");
    }
    assert_eq!(
        diff["after"]
            .as_str()
            .map(|a| a.contains("password: '******** (changed)'")),
        Some(true),
        "{diff}"
    );
    assert_eq!(
        diff["after"]
            .as_str()
            .map(|a| a.contains("user: '********'\n")),
        Some(true),
        "{diff}"
    );
}

#[test]
fn absent_deletes_and_then_reports_ok() {
    let env = Env::new();
    let setup = env.play(
        &format!("{NAMESPACE}{}{}", configmap("a", "1"), configmap("b", "2")),
        &options(),
    );
    assert_eq!(setup.code as i32, 0, "{}", setup.summary());
    let absent = r#"    - name: delete a
      kubernetes.core.k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        state: absent
        api_version: v1
        kind: ConfigMap
        namespace: app
        name: a
        wait: true
        delete_options: {propagationPolicy: Foreground, gracePeriodSeconds: 0}
    - name: delete by label
      kubernetes.core.k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        state: absent
        kind: ConfigMap
        namespace: app
        label_selectors: ["tier=db"]
"#;
    let run = env.play(absent, &diff_options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("delete a").status, Status::Changed);
    assert_eq!(run.result("delete a").result["method"], "delete");
    assert_eq!(run.result("delete a").result["diff"]["after"], "");
    assert_eq!(run.result("delete by label").status, Status::Changed);
    assert!(get(&env, "/api/v1/namespaces/app/configmaps/a").is_none());
    assert!(get(&env, "/api/v1/namespaces/app/configmaps/b").is_none());
    let again = env.play(absent, &options());
    assert_eq!(again.count(Status::Changed), 0, "{}", again.summary());
}

#[test]
fn patched_merges_into_existing_objects_and_skips_missing_ones() {
    let env = Env::new();
    let setup = env.play(&format!("{NAMESPACE}{}", configmap("cm", "1")), &options());
    assert_eq!(setup.code as i32, 0, "{}", setup.summary());
    let patch = |name: &str| {
        format!(
            r#"    - name: patch {name}
      kubernetes.core.k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        state: patched
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: {name}, namespace: app}}
          data: {{extra: "yes"}}
"#
        )
    };
    let run = env.play(&format!("{}{}", patch("cm"), patch("missing")), &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("patch cm").status, Status::Changed);
    assert_eq!(run.result("patch cm").result["method"], "patch");
    assert_eq!(run.result("patch missing").status, Status::Ok);
    let warnings = &run.result("patch missing").result["warnings"];
    assert!(warnings.to_string().contains("was not found"), "{warnings}");
    let cm = get(&env, "/api/v1/namespaces/app/configmaps/cm").expect("cm");
    assert_eq!(
        cm["data"],
        serde_json::json!({"setting": "1", "extra": "yes"})
    );
    let again = env.play(&patch("cm"), &options());
    assert_eq!(
        again.result("patch cm").status,
        Status::Ok,
        "{}",
        again.summary()
    );
}

const CRD_AND_CR: &str = r#"apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget}
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec:
              type: object
              properties:
                size: {type: integer}
                colour: {type: string}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: app}
spec:
  size: {{ widget_size }}
  colour: blue
---
apiVersion: v1
kind: Namespace
metadata: {name: app}
"#;

#[test]
fn template_with_crd_and_its_custom_resource_in_one_task() {
    let env = Env::new();
    env.write("templates/widgets.yaml.j2", CRD_AND_CR);
    let task = r#"    - name: widgets
      kubernetes.core.k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        template: widgets.yaml.j2
        wait: true
      vars: {widget_size: 3}
"#;
    let run = env.play(task, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    let result = &run.result("widgets").result;
    let kinds: Vec<&str> = result["result"]["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|r| r["result"]["kind"].as_str())
        .collect();
    assert_eq!(
        kinds,
        vec!["Namespace", "CustomResourceDefinition", "Widget"]
    );
    let widget = get(&env, "/apis/example.com/v1/namespaces/app/widgets/w1").expect("widget");
    assert_eq!(widget["spec"]["size"], 3);
    let again = env.play(task, &options());
    assert_eq!(
        again.result("widgets").status,
        Status::Ok,
        "{}",
        again.summary()
    );
}

#[test]
fn strict_validation_names_the_misspelled_field_and_warn_prunes_it() {
    let env = Env::new();
    env.write("templates/widgets.yaml.j2", CRD_AND_CR);
    let setup = env.play(
        "    - k8s: {kubeconfig: \"{{ k3s_kubeconfig_path }}\", template: widgets.yaml.j2}\n      vars: {widget_size: 1}\n",
        &options(),
    );
    assert_eq!(setup.code as i32, 0, "{}", setup.summary());
    let task = |validate: &str| {
        format!(
            r#"    - name: typo
      k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        {validate}
        definition:
          apiVersion: example.com/v1
          kind: Widget
          metadata: {{name: w2, namespace: app}}
          spec: {{size: 2, coluor: red}}
"#
        )
    };
    let strict = env.play(&task(""), &options());
    assert_eq!(strict.code as i32, 2);
    let failure = strict.result("typo");
    assert_eq!(failure.status, Status::Failed);
    let msg = failure.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("spec.coluor"), "{msg}");
    assert!(get(&env, "/apis/example.com/v1/namespaces/app/widgets/w2").is_none());

    let relaxed = env.play(&task("validate: {fail_on_error: false}"), &options());
    assert_eq!(relaxed.code as i32, 0, "{}", relaxed.summary());
    let warnings = relaxed.result("typo").result["warnings"].to_string();
    assert!(warnings.contains("spec.coluor"), "{warnings}");
    let stored = get(&env, "/apis/example.com/v1/namespaces/app/widgets/w2").expect("w2");
    assert_eq!(stored["spec"], serde_json::json!({"size": 2}));
}

#[test]
fn force_replaces_and_generate_name_creates() {
    let env = Env::new();
    let setup = env.play(&format!("{NAMESPACE}{}", configmap("cm", "1")), &options());
    assert_eq!(setup.code as i32, 0, "{}", setup.summary());
    let tasks = r#"    - name: replace
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        force: true
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: cm, namespace: app}, data: {only: "this"}}
    - name: generated
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        generate_name: job-
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {namespace: app}, data: {a: "1"}}
"#;
    let run = env.play(tasks, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("replace").result["method"], "replace");
    let cm = get(&env, "/api/v1/namespaces/app/configmaps/cm").expect("cm");
    assert_eq!(cm["data"], serde_json::json!({"only": "this"}));
    let generated = &run.result("generated").result;
    assert_eq!(generated["method"], "create");
    let name = generated["result"]["metadata"]["name"]
        .as_str()
        .unwrap_or_default();
    assert!(name.starts_with("job-") && name.len() > 4, "{name}");
    assert!(get(&env, &format!("/api/v1/namespaces/app/configmaps/{name}")).is_some());
}

#[test]
fn misspelled_module_parameter_is_rejected_with_a_hint() {
    let env = Env::new();
    let run = env.play(
        "    - name: bad\n      k8s: {kubeconfig: \"{{ k3s_kubeconfig_path }}\", stat: present, definition: {}}\n",
        &options(),
    );
    let msg = run.result("bad").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.contains("Unsupported parameters") && msg.contains("stat"),
        "{msg}"
    );
}
