//! `k8s_info`: by name, by selector, unknown kinds, and waiting.

use stackbook_engine::event::Status;

use crate::support::{Env, options};

#[test]
fn reads_by_name_and_selector_and_reports_unknown_apis() {
    let env = Env::new();
    let tasks = r#"    - k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition:
          - {apiVersion: v1, kind: Namespace, metadata: {name: app}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: a, namespace: app, labels: {tier: db}}, data: {k: v}}
          - {apiVersion: v1, kind: ConfigMap, metadata: {name: b, namespace: app, labels: {tier: web}}}
    - name: by name
      kubernetes.core.k8s_info: {kubeconfig: "{{ k3s_kubeconfig_path }}", kind: ConfigMap, namespace: app, name: a}
    - name: by label
      k8s_info: {kubeconfig: "{{ k3s_kubeconfig_path }}", kind: ConfigMap, namespace: app, label_selectors: ["tier=web"]}
    - name: by field
      k8s_info: {kubeconfig: "{{ k3s_kubeconfig_path }}", kind: ConfigMap, field_selectors: ["metadata.name=a"]}
    - name: missing
      k8s_info: {kubeconfig: "{{ k3s_kubeconfig_path }}", kind: ConfigMap, namespace: app, name: zzz}
    - name: unknown kind
      k8s_info: {kubeconfig: "{{ k3s_kubeconfig_path }}", api_version: example.com/v1, kind: Widget}
    - name: namespace ready
      k8s_info:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        kind: Namespace
        name: app
        wait: true
        wait_timeout: 5
"#;
    let run = env.play(tasks, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    let names = |task: &str| -> Vec<String> {
        run.result(task).result["resources"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|r| r["metadata"]["name"].as_str().map(str::to_string))
            .collect()
    };
    assert_eq!(names("by name"), vec!["a"]);
    assert_eq!(
        run.result("by name").result["resources"][0]["data"]["k"],
        "v"
    );
    assert_eq!(names("by label"), vec!["b"]);
    assert_eq!(
        run.result("by label").result["resources"][0]["kind"],
        "ConfigMap"
    );
    assert_eq!(names("by field"), vec!["a"]);
    assert_eq!(names("missing"), Vec::<String>::new());
    assert_eq!(run.result("missing").result["api_found"], true);
    assert_eq!(run.result("unknown kind").result["api_found"], false);
    assert_eq!(run.result("unknown kind").status, Status::Ok);
    assert_eq!(names("namespace ready"), vec!["app"]);
}
