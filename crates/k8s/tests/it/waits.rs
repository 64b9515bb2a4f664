//! `wait`: built-in readiness, `wait_condition` on conditions and plain status fields, and
//! timeouts that report the last observed state.

use std::time::{Duration, Instant};

use kube_test_server::{Config, Controllers};
use stackbook_engine::event::Status;

use crate::support::{Env, options};

const DEPLOYMENT: &str = r#"    - name: namespace
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: app}}
        wait: true
        wait_condition: {type: status.phase, status: Active}
    - name: deployment
      kubernetes.core.k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        wait: true
        wait_timeout: 20
        definition:
          apiVersion: apps/v1
          kind: Deployment
          metadata: {name: web, namespace: app}
          spec:
            replicas: 2
            selector: {matchLabels: {app: web}}
            template:
              metadata: {labels: {app: web}}
              spec: {containers: [{name: web, image: nginx}]}
    - name: job
      kubernetes.core.k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        wait: true
        wait_timeout: 20
        definition:
          apiVersion: batch/v1
          kind: Job
          metadata: {name: once, namespace: app}
          spec:
            template:
              spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
"#;

#[test]
fn waits_for_builtin_readiness_and_plain_status_fields() {
    let env = Env::new();
    let run = env.play(DEPLOYMENT, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    let deployment = &run.result("deployment").result;
    assert_eq!(deployment["result"]["status"]["readyReplicas"], 2);
    assert!(deployment["duration"].as_f64().is_some());
    let job = &run.result("job").result;
    let conditions = job["result"]["status"]["conditions"].to_string();
    assert!(conditions.contains("Complete"), "{conditions}");
}

#[test]
fn wait_timeout_fails_with_the_last_observed_state() {
    let env = Env::with(Config::default().controllers(Controllers::none()));
    let task = DEPLOYMENT
        .split("    - name: job")
        .next()
        .unwrap_or_default()
        .replace("wait_timeout: 20", "wait_timeout: 1");
    let started = Instant::now();
    let run = env.play(&task, &options());
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(run.code as i32, 2);
    let failure = run.result("deployment");
    assert_eq!(failure.status, Status::Failed);
    let msg = failure.result["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains("timed out after 1s waiting for Deployment app/web"),
        "{msg}"
    );
    assert!(msg.contains("0/2 ready"), "{msg}");
}

#[test]
fn wait_condition_with_reason_on_a_custom_resource() {
    let env = Env::new();
    // The PGO-like controller marks PostgresClusters; the condition below never appears.
    let task = r#"    - name: crd
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: app}}
    - name: never
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        wait: true
        wait_timeout: 1
        wait_condition: {type: Frobnicated, status: "True", reason: Done}
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: app}}
"#;
    let run = env.play(task, &options());
    let msg = run.result("never").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.contains("condition Frobnicated=True reason=Done"),
        "{msg}"
    );
    assert!(msg.contains("last observed: no conditions"), "{msg}");
}
