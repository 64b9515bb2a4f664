//! Retries through injected 500/429/409 and dropped connections; unreachable clusters.

use std::time::{Duration, Instant};

use kube_test_server::{Config, FaultAction, FaultRule, TestServer};
use stackbook_engine::event::Status;

use crate::support::{Env, get, options};

const TASK: &str = r#"    - name: namespace
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition: {apiVersion: v1, kind: Namespace, metadata: {name: app}}
    - name: configmap
      k8s:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        definition: {apiVersion: v1, kind: ConfigMap, metadata: {name: c, namespace: app}, data: {a: "1"}}
"#;

fn status(code: u16, retry_after: Option<u32>) -> FaultAction {
    FaultAction::Status { code, retry_after }
}

#[test]
fn retries_through_500_429_409_and_resets() {
    let env = Env::new();
    let faults = env.server.faults();
    faults.add(
        FaultRule::new("/configmaps/c", status(500, None))
            .method("GET")
            .times(2),
    );
    faults.add(
        FaultRule::new("/configmaps/c", status(429, Some(1)))
            .method("PATCH")
            .times(1),
    );
    faults.add(
        FaultRule::new("/configmaps/c", status(409, None))
            .method("PATCH")
            .times(2),
    );
    faults.add(
        FaultRule::new("/namespaces/app", FaultAction::DropConnection)
            .method("PATCH")
            .times(1),
    );
    let started = Instant::now();
    let run = env.play(TASK, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("configmap").status, Status::Changed);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    let cm = get(&env, "/api/v1/namespaces/app/configmaps/c").expect("stored");
    assert_eq!(cm["data"]["a"], "1");
}

#[test]
fn persistent_server_errors_fail_with_the_status() {
    let env = Env::new();
    env.server
        .faults()
        .add(FaultRule::new("/configmaps/c", status(503, None)).method("PATCH"));
    let run = env.play(TASK, &options());
    let failure = run.result("configmap");
    assert_eq!(failure.status, Status::Failed);
    let msg = failure.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("HTTP 503"), "{msg}");
    assert!(msg.contains("ConfigMap app/c"), "{msg}");
}

#[test]
fn unreachable_cluster_marks_the_host_unreachable_naming_server_and_kubeconfig() {
    let server = TestServer::start_blocking(Config::default()).expect("server");
    let dir = tempfile::tempdir().expect("dir");
    let kubeconfig = dir.path().join("dead.kubeconfig");
    server.write_kubeconfig(&kubeconfig).expect("kubeconfig");
    let url = server.url();
    drop(server); // nothing listens on that port any more
    let playbook = format!(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: apply\n      k8s:\n        kubeconfig: \"{}\"\n        definition: {{apiVersion: v1, kind: Namespace, metadata: {{name: x}}}}\n",
        kubeconfig.display()
    );
    let started = Instant::now();
    let run = crate::support::run(dir.path(), &playbook, &options());
    assert!(started.elapsed() < Duration::from_secs(10), "fails fast");
    let result = &run.result("apply").result;
    assert_eq!(result["unreachable"], true, "{result}");
    let msg = result["msg"].as_str().unwrap_or_default();
    assert!(
        msg.contains(&url) || msg.contains(url.trim_end_matches('/')),
        "{msg}"
    );
    assert!(msg.contains("dead.kubeconfig"), "{msg}");
    // An unreachable cluster makes the host unreachable: exit 4, as ansible-playbook.
    assert_eq!(run.code as i32, 4, "{:?}", run.code);
}

#[test]
fn wrong_token_fails_naming_server_and_kubeconfig() {
    let env = Env::new();
    let task = format!(
        "    - name: apply\n      k8s:\n        kubeconfig: \"{}\"\n        api_key: not-the-token\n        definition: {{apiVersion: v1, kind: Namespace, metadata: {{name: x}}}}\n",
        env.kubeconfig.display()
    );
    let run = env.play(&task, &options());
    let msg = run.result("apply").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(run.result("apply").status, Status::Failed);
    assert!(msg.contains("rejected the credentials"), "{msg}");
    assert!(msg.contains(&env.server.url()), "{msg}");
    assert!(msg.contains(&env.kubeconfig.display().to_string()), "{msg}");
}
