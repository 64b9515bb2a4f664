//! `k8s_exec`: the test double serves no exec WebSocket, so only argument handling and the
//! failure path are tested end to end; exit-code and word-splitting logic are unit-tested.

use stackbook_engine::RunOptions;
use stackbook_engine::event::Status;

use crate::support::{Env, options};

#[test]
fn exec_failure_names_the_pod_and_check_mode_skips() {
    let env = Env::new();
    let task = r#"    - name: exec
      kubernetes.core.k8s_exec:
        kubeconfig: "{{ k3s_kubeconfig_path }}"
        namespace: default
        pod: db-0
        container: database
        command: patronictl list
"#;
    let run = env.play(task, &options());
    let failure = run.result("exec");
    assert_eq!(failure.status, Status::Failed, "{}", run.summary());
    let msg = failure.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("exec Pod default/db-0 failed"), "{msg}");

    let check = env.play(
        task,
        &RunOptions {
            check: true,
            ..options()
        },
    );
    assert_eq!(
        check.result("exec").status,
        Status::Skipped,
        "{}",
        check.summary()
    );
}

#[test]
fn exec_requires_pod_and_command() {
    let env = Env::new();
    let run = env.play(
        "    - name: exec\n      k8s_exec: {kubeconfig: \"{{ k3s_kubeconfig_path }}\", pod: p}\n",
        &options(),
    );
    let msg = run.result("exec").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert!(
        msg.contains("missing required arguments: command, pod"),
        "{msg}"
    );
}
