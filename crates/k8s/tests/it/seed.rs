//! The seed playbook's Kubernetes tasks: the real PGO CRD, a Namespace with `wait`, the
//! pgBackRest S3 Secret and the PostgresCluster — then an idempotent second run and `--check`.

use kube_test_server::{Config, Controllers};
use stackbook_engine::event::Status;

use crate::support::{Env, get, options, pgo_crd_path};

/// The seed's tasks, verbatim apart from the CRD task in front (Helm installs it in the seed)
/// and the user name: the seed's `your_project_user` is rejected by the real PGO CRD (see
/// `seed_user_name_is_rejected_by_the_real_crd`), so the happy path uses `your-project-user`.
pub fn seed_tasks() -> String {
    verbatim_seed_tasks().replace("- name: your_project_user", "- name: your-project-user")
}

/// The seed's tasks as written.
pub fn verbatim_seed_tasks() -> String {
    format!(
        r#"    - name: Install the PostgresCluster CRD
      kubernetes.core.k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        state: present
        src: "{crd}"
    - name: Create the database namespace
      kubernetes.core.k8s:
        wait: true
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        state: present
        definition:
          apiVersion: v1
          kind: Namespace
          metadata:
            name: database
    - name: Create S3 credentials secret for pgBackRest
      kubernetes.core.k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        state: present
        definition:
          apiVersion: v1
          kind: Secret
          metadata:
            name: pgo-s3-creds
            namespace: database
          type: Opaque
          stringData:
            s3.conf: |
              [global]
              repo1-s3-key={{{{ AWS_ACCESS_KEY_ID }}}}
              repo1-s3-key-secret={{{{ AWS_SECRET_ACCESS_KEY }}}}
              repo1-cipher-type=aes-256-cbc
              repo1-retention-full=4
    - name: Create an empty PostgresCluster
      kubernetes.core.k8s:
        kubeconfig: "{{{{ k3s_kubeconfig_path }}}}"
        state: present
        definition:
          apiVersion: postgres-operator.crunchydata.com/v1beta1
          kind: PostgresCluster
          metadata:
            name: your-project-db
            namespace: database
          spec:
            postgresVersion: 16
            instances:
              - name: instance1
                replicas: 1
                dataVolumeClaimSpec:
                  accessModes:
                    - "ReadWriteOnce"
                  resources:
                    requests:
                      storage: 5Gi
            backups:
              pgbackrest:
                repos:
                  - name: repo1
                    s3:
                      bucket: "{{{{ pgo_s3_bucket }}}}"
                      endpoint: "{{{{ pgo_s3_endpoint }}}}"
                      region: "{{{{ pgo_s3_region }}}}"
                    schedules:
                      full: "0 1 * * 0"
                      incremental: "0 1 * * *"
                configuration:
                  - secret:
                      name: pgo-s3-creds
            users:
              - name: your_project_user
                databases:
                  - your_project_db
"#,
        crd = pgo_crd_path().display()
    )
}

pub fn seed_play(env: &Env) -> String {
    // The seed's Scaleway endpoint cannot be reached from here, so these apply-path tests turn
    // the backup guard off; backup_guard.rs runs the same seed tasks against the real fixture.
    let vars = "    AWS_ACCESS_KEY_ID: AKIAEXAMPLEKEY\n    AWS_SECRET_ACCESS_KEY: s3cr3t-access-key-value\n    pgo_s3_bucket: backups\n    pgo_s3_endpoint: s3.fr-par.scw.cloud\n    pgo_s3_region: fr-par\n    stackbook_backup_guard: false\n";
    format!(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    k3s_kubeconfig_path: \"{}\"\n{vars}  tasks:\n{}",
        env.kubeconfig.display(),
        seed_tasks()
    )
}

#[test]
fn seed_user_name_is_rejected_by_the_real_crd() {
    let env = Env::new();
    let play = seed_play(&env).replace(&seed_tasks(), &verbatim_seed_tasks());
    let run = crate::support::run(env.dir.path(), &play, &options());
    assert_eq!(run.code as i32, 2, "{}", run.summary());
    let failure = run.result("Create an empty PostgresCluster");
    assert_eq!(failure.status, Status::Failed);
    let msg = failure.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("spec.users[0].name"), "{msg}");
    assert!(msg.contains("your_project_user"), "{msg}");
}

#[test]
fn seed_tasks_apply_then_second_run_changes_nothing() {
    let env = Env::new();
    let first = crate::support::run(env.dir.path(), &seed_play(&env), &options());
    assert_eq!(first.code as i32, 0, "{}", first.summary());
    assert_eq!(first.count(Status::Changed), 4, "{}", first.summary());
    let ns = first.result("Create the database namespace");
    assert_eq!(ns.result["result"]["status"]["phase"], "Active");
    assert_eq!(ns.result["method"], "apply");
    let pgc = get(
        &env,
        "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/database/postgresclusters/your-project-db",
    )
    .expect("PostgresCluster stored");
    assert_eq!(
        pgc["spec"]["backups"]["pgbackrest"]["repos"][0]["s3"]["bucket"],
        "backups"
    );
    let managers: Vec<&str> = pgc["metadata"]["managedFields"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|m| m["manager"].as_str())
        .collect();
    assert!(managers.contains(&"stackbook"), "{managers:?}");
    let secret = get(&env, "/api/v1/namespaces/database/secrets/pgo-s3-creds").expect("Secret");
    assert!(secret["data"]["s3.conf"].is_string());

    let written = env.settle();
    let second = crate::support::run(env.dir.path(), &seed_play(&env), &options());
    assert_eq!(second.code as i32, 0);
    assert_eq!(second.count(Status::Changed), 0, "{}", second.summary());
    assert_eq!(second.count(Status::Ok), 4);
    assert_eq!(
        env.server.resource_version(),
        written,
        "second run wrote nothing"
    );
}

#[test]
fn check_mode_reports_the_change_and_writes_nothing() {
    // No simulated controllers: only the playbook may move the resourceVersion.
    let env = Env::with(Config::default().controllers(Controllers::none()));
    let first = crate::support::run(env.dir.path(), &seed_play(&env), &options());
    assert_eq!(first.code as i32, 0, "{}", first.summary());
    let written = env.server.resource_version();
    // Change the Secret's content and the cluster's bucket: --check must see both changes.
    let changed_play = seed_play(&env)
        .replace("repo1-retention-full=4", "repo1-retention-full=7")
        .replace("bucket: \"{{ pgo_s3_bucket }}\"", "bucket: other-bucket");
    let check = crate::support::run(
        env.dir.path(),
        &changed_play,
        &stackbook_engine::RunOptions {
            check: true,
            ..options()
        },
    );
    assert_eq!(check.code as i32, 0, "{}", check.summary());
    assert_eq!(
        check
            .result("Create S3 credentials secret for pgBackRest")
            .status,
        Status::Changed
    );
    assert_eq!(
        check.result("Create an empty PostgresCluster").status,
        Status::Changed
    );
    assert_eq!(
        check.result("Create the database namespace").status,
        Status::Ok
    );
    assert_eq!(
        env.server.resource_version(),
        written,
        "--check wrote nothing"
    );
    let pgc = get(
        &env,
        "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/database/postgresclusters/your-project-db",
    )
    .expect("PostgresCluster");
    assert_eq!(
        pgc["spec"]["backups"]["pgbackrest"]["repos"][0]["s3"]["bucket"],
        "backups"
    );
}

#[test]
fn check_mode_on_an_empty_cluster_reports_every_creation() {
    let env = Env::with(Config::default().controllers(Controllers::none()));
    let untouched = env.server.resource_version();
    let check = crate::support::run(
        env.dir.path(),
        &seed_play(&env),
        &stackbook_engine::RunOptions {
            check: true,
            ..options()
        },
    );
    assert_eq!(check.code as i32, 0, "{}", check.summary());
    assert_eq!(check.count(Status::Changed), 4, "{}", check.summary());
    let secret = &check
        .result("Create S3 credentials secret for pgBackRest")
        .result;
    assert!(
        secret["warnings"]
            .to_string()
            .contains("namespace database does not exist yet"),
        "{secret}"
    );
    let pgc = &check.result("Create an empty PostgresCluster").result;
    assert!(
        pgc["warnings"].to_string().contains("is not served yet"),
        "{pgc}"
    );
    assert_eq!(
        env.server.resource_version(),
        untouched,
        "--check wrote nothing"
    );
}

#[test]
fn k8s_info_until_loop_waits_for_the_operator_created_user_secret() {
    let env = Env::new();
    let play = format!(
        "{}    - name: pguser secret
      kubernetes.core.k8s_info:
        kubeconfig: \"{{{{ k3s_kubeconfig_path }}}}\"
        kind: Secret
        namespace: database
        name: your-project-db-pguser-your-project-user
      register: pguser
      until: pguser.resources | length > 0
      retries: 50
      delay: 1
    - name: user
      debug: {{msg: \"{{{{ pguser.resources[0].data.user | b64decode }}}}\"}}
",
        seed_play(&env)
    );
    let run = crate::support::run(env.dir.path(), &play, &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(run.result("user").result["msg"], "your-project-user");
}
