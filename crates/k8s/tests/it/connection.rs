//! Connection parameters: inline kubeconfig, `K8S_AUTH_KUBECONFIG`, `host`/`api_key`/`ca_cert`,
//! `validate_certs: false`, and a context that does not exist.

use stackbook_engine::event::Status;

use crate::support::{Env, options};

fn namespace_task(connection: &str) -> String {
    format!(
        "    - name: apply\n      k8s:\n{connection}        definition: {{apiVersion: v1, kind: Namespace, metadata: {{name: conn}}}}\n"
    )
}

#[test]
fn inline_kubeconfig_mapping() {
    let env = Env::new();
    let inline = env.server.kubeconfig_yaml().replace('\n', "\n      ");
    let playbook = format!(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    kc:\n      {inline}\n  tasks:\n{}",
        namespace_task("        kubeconfig: \"{{ kc }}\"\n")
    );
    let run = crate::support::run(env.dir.path(), &playbook, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("apply").status, Status::Changed);
}

#[test]
fn k8s_auth_kubeconfig_from_the_task_environment() {
    let env = Env::new();
    let task = format!(
        "{}      environment:\n        K8S_AUTH_KUBECONFIG: \"{{{{ k3s_kubeconfig_path }}}}\"\n",
        namespace_task("")
    );
    let run = env.play(&task, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("apply").status, Status::Changed);
}

#[test]
fn host_api_key_and_ca_cert_without_kubeconfig() {
    let env = Env::new();
    let ca = env.write("ca.pem", env.server.ca_pem().unwrap_or_default());
    let token = env.server.token().unwrap_or_default().to_string();
    let connection = format!(
        "        host: \"{}\"\n        api_key: \"{token}\"\n        ca_cert: \"{}\"\n",
        env.server.url(),
        ca.display()
    );
    let run = env.play(&namespace_task(&connection), &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());

    // Without the CA the certificate is rejected (unreachable), unless validate_certs is off.
    let no_ca = format!(
        "        host: \"{}\"\n        api_key: \"{token}\"\n",
        env.server.url()
    );
    let rejected = env.play(&namespace_task(&no_ca), &options());
    assert_eq!(
        rejected.result("apply").result["unreachable"],
        true,
        "{}",
        rejected.summary()
    );
    let insecure = env.play(
        &namespace_task(&format!("{no_ca}        validate_certs: false\n")),
        &options(),
    );
    assert_eq!(insecure.code as i32, 0, "{}", insecure.summary());
    assert_eq!(
        insecure.result("apply").status,
        Status::Ok,
        "already created above"
    );
}

#[test]
fn unknown_context_is_named() {
    let env = Env::new();
    let run = env.play(
        &namespace_task(
            "        kubeconfig: \"{{ k3s_kubeconfig_path }}\"\n        context: nope\n",
        ),
        &options(),
    );
    let msg = run.result("apply").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    assert_eq!(run.result("apply").status, Status::Failed);
    assert!(msg.contains("nope"), "{msg}");
    assert!(msg.contains(&env.kubeconfig.display().to_string()), "{msg}");
}
