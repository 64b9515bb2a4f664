//! The automatic backup guard of `kubernetes.core.k8s` for PGO PostgresClusters, end to end:
//! the real PGO CRD in the API test double, and REAL pgBackRest repositories in the local S3
//! fixture (`crates/backups/tests/setup-fixture.sh`). Skips without the fixture, fails under CI.

use serde_json::Value as Json;
use stackbook_engine::RunOptions;
use stackbook_engine::event::Status;

use crate::pgbr_fixture::{Fixture, fixture};
use crate::support::{Env, Outcome, get, options, pgo_crd_path, run};

const CLUSTER_PATH: &str =
    "/apis/postgres-operator.crunchydata.com/v1beta1/namespaces/database/postgresclusters";

/// The seed's shape: CRD, namespace, the `s3.conf` Secret, then the cluster task `cluster`.
fn playbook(env: &Env, f: &Fixture, extra_vars: &str, cluster: &str) -> String {
    format!(
        r#"- hosts: localhost
  gather_facts: false
  vars:
    kubeconfig: "{kubeconfig}"
    stackbook_backup_guard_ca_file: "{ca}"
    s3_endpoint: "{endpoint}"
    s3_region: "{region}"
    repo_path: "{repo_path}"
{extra_vars}  tasks:
    - name: CRD
      kubernetes.core.k8s:
        kubeconfig: "{{{{ kubeconfig }}}}"
        src: "{crd}"
    - name: Namespace
      kubernetes.core.k8s:
        kubeconfig: "{{{{ kubeconfig }}}}"
        definition: {{apiVersion: v1, kind: Namespace, metadata: {{name: database}}}}
    - name: S3 credentials
      no_log: true
      kubernetes.core.k8s:
        kubeconfig: "{{{{ kubeconfig }}}}"
        definition:
          apiVersion: v1
          kind: Secret
          metadata: {{name: pgo-s3-creds, namespace: database}}
          stringData:
            s3.conf: |
              [global]
              repo1-s3-key={key}
              repo1-s3-key-secret={key_secret}
              repo1-cipher-pass={cipher_pass}
{cluster}"#,
        kubeconfig = env.kubeconfig.display(),
        ca = f.get("PGBR_S3_CA_FILE"),
        endpoint = f.endpoint_host_port(),
        region = f.get("PGBR_S3_REGION"),
        repo_path = f.get("PGBR_REPO_PATH"),
        crd = pgo_crd_path().display(),
        key = f.get("PGBR_S3_KEY"),
        key_secret = f.get("PGBR_S3_KEY_SECRET"),
        cipher_pass = f.get("PGBR_CIPHER_PASS"),
    )
}

/// A `PostgresCluster` task named `Cluster`, with `spec_extra` (indented 10) added to the spec.
fn cluster_task(name: &str, bucket: &str, spec_extra: &str, task_extra: &str) -> String {
    format!(
        r#"    - name: Cluster
      kubernetes.core.k8s:
        kubeconfig: "{{{{ kubeconfig }}}}"
{task_extra}        definition:
          apiVersion: postgres-operator.crunchydata.com/v1beta1
          kind: PostgresCluster
          metadata: {{name: {name}, namespace: database}}
          spec:
            postgresVersion: 15
            instances:
              - name: instance1
                dataVolumeClaimSpec:
                  accessModes: [ReadWriteOnce]
                  resources: {{requests: {{storage: 1Gi}}}}
            backups:
              pgbackrest:
                configuration: [{{secret: {{name: pgo-s3-creds}}}}]
                global:
                  repo1-path: "{{{{ repo_path }}}}"
                  repo1-s3-uri-style: path
                  repo1-cipher-type: aes-256-cbc
                repos:
                  - name: repo1
                    s3: {{bucket: {bucket}, endpoint: "{{{{ s3_endpoint }}}}", region: "{{{{ s3_region }}}}"}}
{spec_extra}"#
    )
}

/// `dataSource.pgbackrest` restoring from `bucket`, with pgBackRest `options`.
fn restore_source(bucket: &str, options: &str) -> String {
    format!(
        r#"            dataSource:
              pgbackrest:
                stanza: db
                configuration: [{{secret: {{name: pgo-s3-creds}}}}]
                global:
                  repo1-path: "{{{{ repo_path }}}}"
                  repo1-s3-uri-style: path
                  repo1-cipher-type: aes-256-cbc
                repo:
                  name: repo1
                  s3: {{bucket: {bucket}, endpoint: "{{{{ s3_endpoint }}}}", region: "{{{{ s3_region }}}}"}}
                options: {options}
"#
    )
}

fn stored(env: &Env, name: &str) -> Option<Json> {
    get(env, &format!("{CLUSTER_PATH}/{name}"))
}

fn message(run: &Outcome) -> String {
    run.result("Cluster").result["msg"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

fn assert_no_secret(f: &Fixture, run: &Outcome) {
    let text = format!("{:?}", run.results);
    for k in ["PGBR_CIPHER_PASS", "PGBR_S3_KEY_SECRET"] {
        assert!(!text.contains(&f.get(k)), "{k} leaked into a result");
    }
}

#[test]
fn init_over_a_repository_with_backups_is_refused_and_nothing_is_written() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let play = playbook(&env, &f, "", &cluster_task("db", &bucket, "", ""));
    let run = run(env.dir.path(), &play, &options());
    assert_eq!(run.code as i32, 2, "{}", run.summary());
    let cluster = run.result("Cluster");
    assert_eq!(cluster.status, Status::Failed);
    let msg = message(&run);
    assert!(msg.contains("refusing to initialise"), "{msg}");
    assert!(msg.contains("system-id"), "{msg}");
    assert!(msg.contains("restore_db=true"), "{msg}");
    assert!(msg.contains("safety_checks: false"), "{msg}");
    assert!(msg.contains(&bucket), "{msg}");
    assert!(stored(&env, "db").is_none(), "the cluster must not exist");
    assert_no_secret(&f, &run);
}

#[test]
fn init_over_a_stanza_without_backups_is_refused_too() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let bucket = f.get("PGBR_S3_BUCKET_STANZA_ONLY");
    let run = run(
        env.dir.path(),
        &playbook(&env, &f, "", &cluster_task("db", &bucket, "", "")),
        &options(),
    );
    assert_eq!(run.result("Cluster").status, Status::Failed);
    assert!(message(&run).contains("no backups"), "{}", message(&run));
    assert!(stored(&env, "db").is_none());
}

#[test]
fn init_over_an_empty_repository_proceeds_and_reports_what_was_checked() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let bucket = f.get("PGBR_S3_BUCKET_EMPTY");
    let run = run(
        env.dir.path(),
        &playbook(&env, &f, "", &cluster_task("db", &bucket, "", "")),
        &options(),
    );
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    let guard = &run.result("Cluster").result["backup_guard"];
    assert_eq!(guard["action"], "init", "{guard}");
    assert!(guard["requests"].as_u64().unwrap_or(0) > 0, "{guard}");
    assert!(
        guard["findings"][0]
            .as_str()
            .unwrap_or("")
            .contains(&bucket)
    );
    assert!(stored(&env, "db").is_some());
}

#[test]
fn an_existing_cluster_is_not_inspected_again() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    // Created deliberately over backups (override), then re-applied: no guard on updates.
    let task = cluster_task(
        "db",
        &f.get("PGBR_S3_BUCKET_BACKUPS"),
        "",
        "        safety_checks: false\n",
    );
    let first = run(env.dir.path(), &playbook(&env, &f, "", &task), &options());
    assert_eq!(first.code as i32, 0, "{}", first.summary());
    assert!(first.result("Cluster").result.get("backup_guard").is_none());
    let guarded = cluster_task("db", &f.get("PGBR_S3_BUCKET_BACKUPS"), "", "");
    let second = run(
        env.dir.path(),
        &playbook(&env, &f, "", &guarded),
        &options(),
    );
    assert_eq!(second.code as i32, 0, "{}", second.summary());
    assert!(
        second
            .result("Cluster")
            .result
            .get("backup_guard")
            .is_none()
    );
}

#[test]
fn the_run_wide_override_variable_disables_the_guard() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let task = cluster_task("db", &f.get("PGBR_S3_BUCKET_BACKUPS"), "", "");
    let vars = "    stackbook_backup_guard: \"false\"\n";
    let run = run(env.dir.path(), &playbook(&env, &f, vars, &task), &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert!(stored(&env, "db").is_some());
}

#[test]
fn restore_from_a_repository_without_backups_is_refused() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let spec = restore_source(&f.get("PGBR_S3_BUCKET_EMPTY"), "[]");
    let task = cluster_task("db", &f.get("PGBR_S3_BUCKET_EMPTY"), &spec, "");
    let run = run(env.dir.path(), &playbook(&env, &f, "", &task), &options());
    assert_eq!(run.result("Cluster").status, Status::Failed);
    let msg = message(&run);
    assert!(msg.contains("nothing to restore"), "{msg}");
    assert!(msg.contains("Nothing was written"), "{msg}");
    assert!(stored(&env, "db").is_none());
}

#[test]
fn restore_from_a_repository_with_backups_proceeds() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let spec = restore_source(&f.get("PGBR_S3_BUCKET_BACKUPS"), "[]");
    // The new cluster backs up into the empty bucket; the source holds the backups.
    let task = cluster_task("db", &f.get("PGBR_S3_BUCKET_EMPTY"), &spec, "");
    let run = run(env.dir.path(), &playbook(&env, &f, "", &task), &options());
    assert_eq!(run.code as i32, 0, "{}", run.summary());
    assert_eq!(
        run.result("Cluster").result["backup_guard"]["action"],
        "restore"
    );
    let stored = stored(&env, "db").expect("restored cluster stored");
    assert_eq!(
        stored["spec"]["dataSource"]["pgbackrest"]["repo"]["s3"]["bucket"],
        f.get("PGBR_S3_BUCKET_BACKUPS")
    );
}

#[test]
fn a_pitr_target_outside_the_recoverable_range_is_refused() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let spec = restore_source(
        &f.get("PGBR_S3_BUCKET_BACKUPS"),
        r#"["--type=time", "--target=\"2001-01-01 00:00:00+00\""]"#,
    );
    let task = cluster_task("db", &f.get("PGBR_S3_BUCKET_EMPTY"), &spec, "");
    let run = run(env.dir.path(), &playbook(&env, &f, "", &task), &options());
    assert_eq!(run.result("Cluster").status, Status::Failed);
    let msg = message(&run);
    assert!(msg.contains("before the end of the oldest backup"), "{msg}");
    assert!(stored(&env, "db").is_none());
}

#[test]
fn a_clone_needs_a_source_cluster_with_backups() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let clone = |source: &str| {
        format!(
            "            dataSource:\n              postgresCluster: {{clusterName: {source}, repoName: repo1}}\n"
        )
    };
    // Source clusters created deliberately (override): one over backups, one over nothing.
    let sources = format!(
        "{}{}",
        cluster_task(
            "with-backups",
            &f.get("PGBR_S3_BUCKET_BACKUPS"),
            "",
            "        safety_checks: false\n"
        )
        .replace("name: Cluster", "name: Source with backups"),
        cluster_task(
            "without",
            &f.get("PGBR_S3_BUCKET_EMPTY"),
            "",
            "        safety_checks: false\n"
        )
        .replace("name: Cluster", "name: Source without backups"),
    );
    let refused = format!(
        "{sources}{}",
        cluster_task(
            "copy",
            &f.get("PGBR_S3_BUCKET_EMPTY"),
            &clone("without"),
            ""
        )
    );
    let run1 = run(
        env.dir.path(),
        &playbook(&env, &f, "", &refused),
        &options(),
    );
    assert_eq!(
        run1.result("Cluster").status,
        Status::Failed,
        "{}",
        run1.summary()
    );
    assert!(
        message(&run1).contains("nothing to restore"),
        "{}",
        message(&run1)
    );
    assert!(stored(&env, "copy").is_none());

    let allowed = format!(
        "{sources}{}",
        cluster_task(
            "copy",
            &f.get("PGBR_S3_BUCKET_EMPTY"),
            &clone("with-backups"),
            ""
        )
    );
    let run2 = run(
        env.dir.path(),
        &playbook(&env, &f, "", &allowed),
        &options(),
    );
    assert_eq!(run2.code as i32, 0, "{}", run2.summary());
    assert_eq!(
        run2.result("Cluster").result["backup_guard"]["action"],
        "clone"
    );
    assert!(stored(&env, "copy").is_some());
}

#[test]
fn check_mode_runs_the_guard_and_reports_it() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let check = RunOptions {
        check: true,
        ..options()
    };
    let refused = cluster_task("db", &f.get("PGBR_S3_BUCKET_BACKUPS"), "", "");
    let run1 = run(env.dir.path(), &playbook(&env, &f, "", &refused), &check);
    // The Secret only exists as a dry run: the guard found its s3.conf all the same.
    assert_eq!(
        run1.result("Cluster").status,
        Status::Failed,
        "{}",
        run1.summary()
    );
    assert!(message(&run1).contains("refusing to initialise"));
    let allowed = cluster_task("db", &f.get("PGBR_S3_BUCKET_EMPTY"), "", "");
    let run2 = run(env.dir.path(), &playbook(&env, &f, "", &allowed), &check);
    assert_eq!(run2.code as i32, 0, "{}", run2.summary());
    let warnings = run2.result("Cluster").result["warnings"].to_string();
    assert!(
        warnings.contains("backup guard: init allowed"),
        "{warnings}"
    );
    assert!(get(&env, "/api/v1/namespaces/database/secrets/pgo-s3-creds").is_none());
}

#[test]
fn a_missing_credentials_secret_is_named() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let task = cluster_task("db", &f.get("PGBR_S3_BUCKET_EMPTY"), "", "")
        .replace("name: pgo-s3-creds}}]", "name: no-such-secret}}]");
    let run = run(env.dir.path(), &playbook(&env, &f, "", &task), &options());
    let msg = message(&run);
    assert!(msg.contains("Secret database/no-such-secret"), "{msg}");
    assert!(msg.contains("does not exist"), "{msg}");
    assert!(stored(&env, "db").is_none());
}

#[test]
fn an_unreachable_s3_endpoint_marks_the_host_unreachable() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    drop(listener);
    let task = cluster_task("db", "any", "", "");
    let play = playbook(&env, &f, "", &task).replace(
        &format!("s3_endpoint: \"{}\"", f.endpoint_host_port()),
        &format!("s3_endpoint: \"127.0.0.1:{port}\""),
    );
    let start = std::time::Instant::now();
    let run = run(env.dir.path(), &play, &options());
    assert!(start.elapsed() < std::time::Duration::from_secs(60));
    assert_eq!(run.code as i32, 4, "{}", run.summary());
    assert_eq!(run.result("Cluster").status, Status::Unreachable);
    assert!(
        message(&run).contains("cannot inspect") && message(&run).contains("error 039"),
        "{}",
        message(&run)
    );
    assert!(stored(&env, "db").is_none());
}

#[test]
fn the_seed_playbook_tasks_are_guarded_unchanged() {
    let Some(f) = fixture() else { return };
    let env = Env::new();
    // The seed's tasks (seed.rs); its s3.conf also carries the cipher passphrase in the seed.
    let tasks = crate::seed::seed_tasks().replace(
        "repo1-retention-full=4",
        "repo1-cipher-pass={{ cipher_pass }}\n              repo1-retention-full=4",
    );
    let play = format!(
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    k3s_kubeconfig_path: \"{}\"\n    \
         AWS_ACCESS_KEY_ID: {}\n    AWS_SECRET_ACCESS_KEY: {}\n    cipher_pass: {}\n    \
         pgo_s3_bucket: {}\n    pgo_s3_endpoint: \"{}\"\n    pgo_s3_region: {}\n    \
         stackbook_backup_guard_ca_file: \"{}\"\n  tasks:\n{tasks}",
        env.kubeconfig.display(),
        f.get("PGBR_S3_KEY"),
        f.get("PGBR_S3_KEY_SECRET"),
        f.get("PGBR_CIPHER_PASS"),
        f.get("PGBR_S3_BUCKET_BACKUPS"),
        f.endpoint_host_port(),
        f.get("PGBR_S3_REGION"),
        f.get("PGBR_S3_CA_FILE"),
    );
    let run = run(env.dir.path(), &play, &options());
    assert_eq!(run.code as i32, 2, "{}", run.summary());
    let cluster = run.result("Create an empty PostgresCluster");
    assert_eq!(cluster.status, Status::Failed);
    let msg = cluster.result["msg"].as_str().unwrap_or_default();
    assert!(msg.contains("refusing to initialise"), "{msg}");
    assert!(stored(&env, "your-project-db").is_none());
    assert_no_secret(&f, &run);
}
