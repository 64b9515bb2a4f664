//! End-to-end runs of the stack's playbooks and runbooks (`playbooks/`) with the `demo`
//! inventory, against the stand-ins `scripts/demo.sh` uses: the Kubernetes API test double
//! (kube-test-server, here in-process, one per test; it imitates PGO's and Zalando's status
//! reports, it runs no database), the pgBackRest S3 fixture with real backups
//! (`crates/backups/tests/setup-fixture.sh`) and the operator charts from `shared/charts`.
//!
//! What is checked is what a user observes: the exit code, the recap, and the objects stored in
//! the API server, read back directly from the test server.
//!
//! Needs the running fixture and the shared charts: without them the tests print a skip notice
//! and pass, unless `CI` is set (then they fail).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use kube_test_server::{Config, TestServer};
use serde_json::{Value as Json, json};

const PGO_API: &str = "postgres-operator.crunchydata.com/v1beta1";
const NAMESPACE: &str = "database";

/// A test's stand-ins and scratch folder (removed on drop; the server stops on drop).
struct Stack {
    server: TestServer,
    scratch: PathBuf,
    kubeconfig: PathBuf,
    fixture: HashMap<String, String>,
    shared: PathBuf,
}

/// One `stackbook play` run.
struct Run {
    code: i32,
    stdout: String,
    stderr: String,
    /// The recap's counters for localhost (`changed`, `failed`, …).
    recap: HashMap<String, i64>,
    seconds: f64,
}

impl Run {
    fn changed(&self) -> i64 {
        self.recap.get("changed").copied().unwrap_or(-1)
    }

    fn assert_ok(&self, what: &str) {
        assert!(
            self.code == 0 && self.recap.get("failed") == Some(&0),
            "{what}: exit {}\nstdout:\n{}\nstderr:\n{}",
            self.code,
            tail(&self.stdout),
            self.stderr
        );
    }
}

/// The last lines of a long output, for assertion messages.
fn tail(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(40)..].join("\n")
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Skips (prints why, returns `None`) or, under `CI`, fails.
fn unavailable(why: String) -> Option<Stack> {
    let message = format!("playbook e2e stand-ins unavailable: {why}");
    if std::env::var_os("CI").is_some() {
        panic!("{message}");
    }
    eprintln!("SKIP: {message}");
    None
}

fn parse_env(path: &Path) -> HashMap<String, String> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter_map(|l| {
            let l = l.trim();
            let l = l.strip_prefix("export ").unwrap_or(l);
            (!l.starts_with('#'))
                .then(|| l.split_once('='))
                .flatten()
                .map(|(k, v)| (k.to_string(), v.trim_matches(['"', '\'']).to_string()))
        })
        .collect()
}

fn stack(name: &str) -> Option<Stack> {
    let dir = PathBuf::from(
        std::env::var("PGBR_FIXTURE_DIR").unwrap_or_else(|_| "/tmp/pgbr-fixture".into()),
    );
    let fixture = parse_env(&dir.join("fixture.env"));
    let Some(port) = fixture.get("PGBR_S3_TLS_PORT") else {
        return unavailable(format!(
            "{}/fixture.env missing; run crates/backups/tests/setup-fixture.sh as root",
            dir.display()
        ));
    };
    let reachable = format!("127.0.0.1:{port}")
        .parse()
        .ok()
        .is_some_and(|a| std::net::TcpStream::connect_timeout(&a, Duration::from_secs(2)).is_ok());
    if !reachable {
        return unavailable(format!("the S3 fixture does not listen on port {port}"));
    }
    let shared = std::env::var_os("STACKBOOK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("../shared"));
    if !shared.join("charts/pgo/Chart.yaml").is_file() {
        return unavailable(format!(
            "{}/charts/pgo missing (set STACKBOOK_SHARED_DIR)",
            shared.display()
        ));
    }
    let server = TestServer::start_blocking(Config::default()).expect("kube-test-server starts");
    let scratch = std::env::temp_dir().join(format!("stackbook-e2e-{}-{name}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    std::fs::create_dir_all(&scratch).expect("scratch dir");
    let kubeconfig = scratch.join("kubeconfig");
    server
        .write_kubeconfig(&kubeconfig)
        .expect("kubeconfig written");
    // The fixture's credentials replace the demo vault's (extra vars win), through a file so
    // they never appear on a command line.
    let secrets = json!({
        "vault_s3_access_key_id": fixture["PGBR_S3_KEY"],
        "vault_s3_secret_access_key": fixture["PGBR_S3_KEY_SECRET"],
        "vault_pgbackrest_cipher_pass": fixture["PGBR_CIPHER_PASS"],
    });
    std::fs::write(scratch.join("fixture-vars.json"), secrets.to_string()).expect("vars file");
    Some(Stack {
        server,
        scratch,
        kubeconfig,
        fixture,
        shared,
    })
}

impl Drop for Stack {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

impl Stack {
    /// `stackbook play PLAYBOOK -i inventories/demo …` with `bucket` as the repository.
    fn play(&self, playbook: &str, bucket: &str, args: &[&str]) -> Run {
        let started = Instant::now();
        let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
            .current_dir(root())
            .env("NO_COLOR", "1")
            .env("KUBECONFIG", &self.kubeconfig)
            .env("STACKBOOK_PGO_CHART", self.shared.join("charts/pgo"))
            .env("STACKBOOK_S3_BUCKET", bucket)
            .env(
                "STACKBOOK_S3_ENDPOINT",
                format!("127.0.0.1:{}", self.fixture["PGBR_S3_TLS_PORT"]),
            )
            .env("STACKBOOK_S3_CA_FILE", &self.fixture["PGBR_S3_CA_FILE"])
            .args([
                "play",
                playbook,
                "-i",
                "inventories/demo",
                "--output",
                "json",
            ])
            .args(["--age-identity", "vaults/demo-identity.txt"])
            .arg("-e")
            .arg(format!(
                "@{}",
                self.scratch.join("fixture-vars.json").display()
            ))
            .args(args)
            .output()
            .expect("stackbook runs");
        let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
        let recap = stdout
            .lines()
            .filter_map(|l| serde_json::from_str::<Json>(l).ok())
            .find(|e| e["event"] == "recap")
            .and_then(|e| e["stats"]["localhost"].as_object().cloned())
            .map(|stats| {
                stats
                    .into_iter()
                    .filter_map(|(k, v)| v.as_i64().map(|n| (k, n)))
                    .collect()
            })
            .unwrap_or_default();
        Run {
            code: output.status.code().unwrap_or(-1),
            stdout,
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
            recap,
            seconds: started.elapsed().as_secs_f64(),
        }
    }

    /// `-e postgres_cluster_repo_path=…`: the path the fixture's backups are in (runs that
    /// read them; other runs keep the inventory's per-cluster default).
    fn fixture_repo(&self) -> String {
        format!(
            "postgres_cluster_repo_path={}",
            self.fixture["PGBR_REPO_PATH"]
        )
    }

    fn bucket(&self, which: &str) -> String {
        self.fixture[which].clone()
    }

    /// The stored PostgresCluster, as the API server keeps it.
    fn cluster(&self, name: &str) -> Option<Json> {
        self.server
            .object(PGO_API, "PostgresCluster", Some(NAMESPACE), name)
    }

    /// Deploys the stack fresh on the empty bucket (the first run of `pgo.yml`).
    fn deploy(&self) -> Run {
        let bucket = self.bucket("PGBR_S3_BUCKET_EMPTY");
        let run = self.play("playbooks/pgo.yml", &bucket, &[]);
        run.assert_ok("pgo.yml first run");
        run
    }

    /// Restores `app-db` from the fixture's backups with `pgo.yml -e restore_db=true` (a
    /// cluster whose repository holds real backups).
    fn deploy_restored(&self) -> Run {
        let run = self.play(
            "playbooks/pgo.yml",
            &self.bucket("PGBR_S3_BUCKET_BACKUPS"),
            &["-e", &self.fixture_repo(), "-e", "restore_db=true"],
        );
        run.assert_ok("pgo.yml -e restore_db=true");
        run
    }

    /// Deletes the PostgresCluster `name` (the operator stays), as a lost cluster.
    fn delete_cluster(&self, name: &str) {
        let playbook = self.scratch.join("delete-cluster.yml");
        let text = format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - kubernetes.core.k8s:\n        \
             state: absent\n        api_version: {PGO_API}\n        kind: PostgresCluster\n        \
             namespace: {NAMESPACE}\n        name: {name}\n        wait: true\n"
        );
        std::fs::write(&playbook, text).expect("playbook written");
        let run = self.play(&playbook.display().to_string(), "unused", &[]);
        run.assert_ok("deleting the cluster");
        assert!(self.cluster(name).is_none(), "{name} still stored");
    }

    /// The latest backup of the fixture's `pgbr-backups` bucket: its stop time as a
    /// restore target PGO accepts (`2026-04-12 08:30:00+00`).
    fn restore_target(&self) -> String {
        let dir = PathBuf::from(
            std::env::var("PGBR_FIXTURE_DIR").unwrap_or_else(|_| "/tmp/pgbr-fixture".into()),
        );
        let info: Json = serde_json::from_str(
            &std::fs::read_to_string(dir.join("stackbook-backups/info-pgbr-backups.json"))
                .expect("fixture info file"),
        )
        .expect("fixture info JSON");
        let stop = info[0]["backup"]
            .as_array()
            .and_then(|b| b.last())
            .and_then(|b| b["timestamp"]["stop"].as_i64())
            .expect("a backup in pgbr-backups");
        let output = Command::new("date")
            .args(["-u", "-d", &format!("@{stop}"), "+%Y-%m-%d %H:%M:%S+00"])
            .output()
            .expect("date runs");
        String::from_utf8_lossy(&output.stdout).trim().to_string()
    }
}

#[test]
fn pgo_deploys_then_reruns_without_changes_and_checks_clean() {
    let Some(stack) = stack("pgo") else { return };
    let first = stack.deploy();
    assert!(first.changed() > 0, "first run changed nothing");
    let cluster = stack
        .cluster("app-db")
        .expect("PostgresCluster app-db stored");
    assert!(cluster["spec"].get("dataSource").is_none(), "{cluster:#}");
    let repo = &cluster["spec"]["backups"]["pgbackrest"]["repos"][0];
    assert_eq!(repo["s3"]["bucket"], stack.bucket("PGBR_S3_BUCKET_EMPTY"));
    let secret = stack
        .server
        .object("v1", "Secret", Some(NAMESPACE), "pgo-s3-creds")
        .expect("pgBackRest S3 credentials Secret stored");
    assert!(
        secret["data"]["s3.conf"].is_string(),
        "no s3.conf in the Secret"
    );
    assert_eq!(
        cluster["spec"]["backups"]["pgbackrest"]["configuration"][0]["secret"]["name"],
        "pgo-s3-creds"
    );
    assert!(
        stack
            .server
            .objects("apps/v1", "Deployment", Some("postgres-operator"))
            .iter()
            .any(|d| d.to_string().contains("pgo")),
        "the PGO operator Deployment is missing"
    );

    let second = stack.play(
        "playbooks/pgo.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &[],
    );
    second.assert_ok("pgo.yml second run");
    assert_eq!(
        second.changed(),
        0,
        "second run changed:\n{}",
        tail(&second.stdout)
    );

    let version =
        |s: &Stack| s.cluster("app-db").expect("cluster")["metadata"]["resourceVersion"].clone();
    let before = version(&stack);
    let check = stack.play(
        "playbooks/pgo.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &["--check", "--diff"],
    );
    check.assert_ok("pgo.yml --check --diff");
    assert_eq!(
        check.changed(),
        0,
        "check run reports changes:\n{}",
        tail(&check.stdout)
    );
    assert_eq!(version(&stack), before, "--check wrote the cluster");
    eprintln!(
        "pgo.yml: first run {:.1}s, second {:.1}s, check {:.1}s",
        first.seconds, second.seconds, check.seconds
    );
}

#[test]
fn pgo_refuses_a_new_cluster_over_backups_then_restores_from_them() {
    let Some(stack) = stack("restore") else {
        return;
    };
    let bucket = stack.bucket("PGBR_S3_BUCKET_BACKUPS");
    let repo = stack.fixture_repo();
    let refused = stack.play("playbooks/pgo.yml", &bucket, &["-e", &repo]);
    assert_eq!(
        refused.code,
        2,
        "guard did not refuse:\n{}",
        tail(&refused.stdout)
    );
    assert!(
        stack.cluster("app-db").is_none(),
        "a cluster was created over existing backups"
    );

    let restored = stack.play(
        "playbooks/pgo.yml",
        &bucket,
        &["-e", &repo, "-e", "restore_db=true"],
    );
    restored.assert_ok("pgo.yml -e restore_db=true");
    let cluster = stack.cluster("app-db").expect("restored cluster stored");
    let source = &cluster["spec"]["dataSource"]["pgbackrest"];
    assert_eq!(source["stanza"], "db", "{cluster:#}");
    assert_eq!(source["repo"]["name"], "repo1");
    assert_eq!(source["repo"]["s3"]["bucket"], bucket.as_str());
    assert_eq!(
        source["global"]["repo1-path"],
        stack.fixture["PGBR_REPO_PATH"].as_str()
    );
    assert!(
        source.get("options").is_none(),
        "no target, no options: {source:#}"
    );

    let again = stack.play(
        "playbooks/pgo.yml",
        &bucket,
        &["-e", &repo, "-e", "restore_db=true"],
    );
    again.assert_ok("restore re-run");
    assert_eq!(
        again.changed(),
        0,
        "restore re-run changed:\n{}",
        tail(&again.stdout)
    );
}

#[test]
fn pitr_restore_recreates_a_lost_cluster_at_the_target() {
    let Some(stack) = stack("pitr-gone") else {
        return;
    };
    let target = stack.restore_target();
    let bucket = stack.bucket("PGBR_S3_BUCKET_BACKUPS");
    stack.deploy_restored();
    stack.delete_cluster("app-db");
    let run = stack.play(
        "playbooks/runbooks/pitr_restore.yml",
        &bucket,
        &[
            "-e",
            &stack.fixture_repo(),
            "-e",
            &json!({ "restore_target": target }).to_string(),
        ],
    );
    run.assert_ok("pitr_restore.yml, cluster gone");
    let cluster = stack
        .cluster("app-db")
        .expect("cluster created from the repository");
    let source = &cluster["spec"]["dataSource"]["pgbackrest"];
    assert_eq!(
        source["repo"]["s3"]["bucket"],
        bucket.as_str(),
        "{cluster:#}"
    );
    assert_eq!(
        source["options"],
        json!([
            "--type=time",
            format!("--target=\"{target}\""),
            "--target-action=promote"
        ])
    );
}

#[test]
fn pitr_restore_in_place_sets_the_restore_spec_then_disables_it() {
    let Some(stack) = stack("pitr-in-place") else {
        return;
    };
    let target = stack.restore_target();
    let bucket = stack.bucket("PGBR_S3_BUCKET_BACKUPS");
    stack.deploy_restored();
    let run = stack.play(
        "playbooks/runbooks/pitr_restore.yml",
        &bucket,
        &[
            "-e",
            &stack.fixture_repo(),
            "-e",
            &json!({ "restore_target": target }).to_string(),
        ],
    );
    run.assert_ok("pitr_restore.yml, cluster present");
    let cluster = stack.cluster("app-db").expect("cluster");
    let restore = &cluster["spec"]["backups"]["pgbackrest"]["restore"];
    assert_eq!(restore["repoName"], "repo1", "{cluster:#}");
    assert_eq!(
        restore["enabled"], false,
        "restore left enabled: {restore:#}"
    );
    let options = restore["options"].to_string();
    assert!(
        options.contains("--type=time") && options.contains(&target),
        "{restore:#}"
    );
    let trigger =
        &cluster["metadata"]["annotations"]["postgres-operator.crunchydata.com/pgbackrest-restore"];
    assert!(
        trigger.is_string(),
        "no restore trigger annotation: {cluster:#}"
    );
    assert_eq!(
        cluster["status"]["pgbackrest"]["restore"]["id"], *trigger,
        "the operator did not report the restore: {cluster:#}"
    );
}

#[test]
fn clone_for_validation_clones_from_the_source_cluster() {
    let Some(stack) = stack("clone") else {
        return;
    };
    // The source must have backups to clone from: a cluster restored from the fixture's.
    stack.deploy_restored();
    let bucket = stack.bucket("PGBR_S3_BUCKET_BACKUPS");
    let run = stack.play(
        "playbooks/runbooks/clone_for_validation.yml",
        &bucket,
        &["-e", "keep_clone=true"],
    );
    run.assert_ok("clone_for_validation.yml");
    let clone = stack.cluster("app-db-validate").expect("clone kept");
    let source = &clone["spec"]["dataSource"]["postgresCluster"];
    assert_eq!(source["clusterName"], "app-db", "{clone:#}");
    assert_eq!(source["clusterNamespace"], NAMESPACE);
    assert_eq!(source["repoName"], "repo1");
    let repo_path = clone["spec"]["backups"]["pgbackrest"]["global"]["repo1-path"].clone();
    let source_path =
        stack.cluster("app-db").expect("source")["spec"]["backups"]["pgbackrest"]["global"]
            ["repo1-path"]
            .clone();
    assert!(repo_path.is_string(), "{clone:#}");
    assert_ne!(
        repo_path, source_path,
        "the clone must not write into the source's repository"
    );

    let deleted = stack.play("playbooks/runbooks/clone_for_validation.yml", &bucket, &[]);
    deleted.assert_ok("clone_for_validation.yml without keep_clone");
    assert!(
        stack.cluster("app-db-validate").is_none(),
        "clone not deleted"
    );
}

#[test]
fn zalando_deploys_reruns_clean_and_restores_by_clone() {
    let Some(stack) = stack("zalando") else {
        return;
    };
    let chart = stack.shared.join("charts/zalando-postgres-operator");
    let chart_vars = json!({
        "zalando_chart_ref": chart.display().to_string(),
        "zalando_chart_repo_url": "",
        // The API test double serves no PriorityClass (scheduling.k8s.io); the chart's own
        // switch leaves it out.
        "zalando_operator_extra_values": {"podPriorityClassName": {"create": false}},
    })
    .to_string();
    let bucket = stack.bucket("PGBR_S3_BUCKET_EMPTY");
    let zalando = |extra: &[&str]| {
        let mut args = vec!["-e", chart_vars.as_str()];
        args.extend_from_slice(extra);
        stack.play("playbooks/zalando.yml", &bucket, &args)
    };
    let stored = || {
        stack
            .server
            .object("acid.zalan.do/v1", "postgresql", Some(NAMESPACE), "app-db")
    };

    let first = zalando(&[]);
    first.assert_ok("zalando.yml first run");
    assert!(first.changed() > 0);
    let cluster = stored().expect("postgresql app-db stored");
    assert!(cluster["spec"].get("clone").is_none(), "{cluster:#}");
    assert_eq!(cluster["status"]["PostgresClusterStatus"], "Running");
    let uid = cluster["metadata"]["uid"]
        .as_str()
        .expect("uid")
        .to_string();

    let second = zalando(&[]);
    second.assert_ok("zalando.yml second run");
    assert_eq!(
        second.changed(),
        0,
        "second run changed:\n{}",
        tail(&second.stdout)
    );
    let check = zalando(&["--check", "--diff"]);
    check.assert_ok("zalando.yml --check --diff");
    assert_eq!(
        check.changed(),
        0,
        "check run reports changes:\n{}",
        tail(&check.stdout)
    );

    // The cluster is lost; restore it by cloning its own backups up to a point in time.
    let playbook = stack.scratch.join("delete-postgresql.yml");
    std::fs::write(
        &playbook,
        format!(
            "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - kubernetes.core.k8s:\n        \
             state: absent\n        api_version: acid.zalan.do/v1\n        kind: postgresql\n        \
             namespace: {NAMESPACE}\n        name: app-db\n        wait: true\n"
        ),
    )
    .expect("playbook written");
    stack
        .play(&playbook.display().to_string(), &bucket, &[])
        .assert_ok("deleting the postgresql");
    assert!(stored().is_none());
    let restore_vars = json!({
        "restore_db": true,
        "clone_uid": uid,
        "restore_target": "2026-04-12 08:30:00+00",
    })
    .to_string();
    let restored = zalando(&["-e", &restore_vars]);
    restored.assert_ok("zalando.yml -e restore_db=true");
    let cluster = stored().expect("restored postgresql stored");
    assert_eq!(
        cluster["spec"]["clone"],
        json!({"cluster": "app-db", "uid": uid, "timestamp": "2026-04-12T08:30:00+00:00"}),
        "{cluster:#}"
    );
}

/// The part of PGO the API test double does not imitate for runbooks: when the trigger
/// annotation `annotation` appears on PostgresCluster `app-db` (and the test double's own
/// reconcile has caught up with the spec), report the operation done the way PGO does, in the
/// status subresource. Runs `kubectl` in a thread until dropped.
struct OperatorStandIn {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Drop for OperatorStandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

fn kubectl_available() -> bool {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        let message = "kubectl not found (crates/k8s/scripts/setup-kubectl.sh installs it)";
        assert!(std::env::var_os("CI").is_none(), "{message}");
        eprintln!("SKIP: {message}");
    }
    found
}

impl Stack {
    /// Reports PGO's status for the trigger annotation `annotation` on PostgresCluster
    /// `app-db`.
    fn operator_stand_in(
        &self,
        annotation: &'static str,
        status: fn(&str) -> Json,
    ) -> OperatorStandIn {
        self.stand_in("postgrescluster", "app-db", status, move |object| {
            let trigger = object["metadata"]["annotations"][annotation].as_str()?;
            // Only once the test double's own reconcile has caught up with the spec (it
            // rewrites the whole status).
            (object["status"]["observedGeneration"] == object["metadata"]["generation"])
                .then(|| trigger.to_string())
        })
    }

    /// Watches `resource`/`name` with kubectl; whenever `trigger` yields a value not handled
    /// yet, merges `status(value)` into its status subresource.
    fn stand_in(
        &self,
        resource: &'static str,
        name: &'static str,
        status: fn(&str) -> Json,
        trigger: impl Fn(&Json) -> Option<String> + Send + 'static,
    ) -> OperatorStandIn {
        let stop = Arc::new(AtomicBool::new(false));
        let kubeconfig = self.kubeconfig.clone();
        let stopping = stop.clone();
        let thread = std::thread::spawn(move || {
            let kubectl = |args: &[&str]| {
                Command::new("kubectl")
                    .arg("--kubeconfig")
                    .arg(&kubeconfig)
                    .args(["-n", NAMESPACE])
                    .args(args)
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            };
            let mut done = String::new();
            while !stopping.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let Some(value) = kubectl(&["get", resource, name, "-o", "json"])
                    .and_then(|text| serde_json::from_str::<Json>(&text).ok())
                    .and_then(|object| trigger(&object))
                else {
                    continue;
                };
                if value == done {
                    continue;
                }
                let patch = json!({ "status": status(&value) }).to_string();
                let patched = kubectl(&[
                    "patch",
                    resource,
                    name,
                    "--subresource=status",
                    "--type=merge",
                    "-p",
                    &patch,
                ]);
                if patched.is_some() {
                    done = value;
                }
            }
        });
        OperatorStandIn {
            stop,
            thread: Some(thread),
        }
    }
}

#[test]
fn manual_backup_requests_a_backup_and_waits_for_the_operator() {
    let Some(stack) = stack("backup") else {
        return;
    };
    if !kubectl_available() {
        return;
    }
    stack.deploy();
    let _pgo = stack.operator_stand_in(
        "postgres-operator.crunchydata.com/pgbackrest-backup",
        |id| {
            json!({"pgbackrest": {"manualBackup": {
                "id": id, "finished": true, "succeeded": 1,
                "completionTime": "2026-04-12T08:30:00Z",
            }}})
        },
    );
    let run = stack.play(
        "playbooks/runbooks/manual_backup.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &[
            "-e",
            "backup_type=diff",
            "-e",
            "postgres_cluster_backup_delay=1",
        ],
    );
    run.assert_ok("manual_backup.yml");
    let cluster = stack.cluster("app-db").expect("cluster");
    assert_eq!(
        cluster["spec"]["backups"]["pgbackrest"]["manual"],
        json!({"repoName": "repo1", "options": ["--type=diff"]}),
        "{cluster:#}"
    );
    let trigger =
        &cluster["metadata"]["annotations"]["postgres-operator.crunchydata.com/pgbackrest-backup"];
    assert_eq!(
        cluster["status"]["pgbackrest"]["manualBackup"]["id"],
        *trigger
    );

    let wrong = stack.play(
        "playbooks/runbooks/manual_backup.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &["-e", "backup_type=weekly"],
    );
    assert_eq!(wrong.code, 2, "a wrong backup type must be refused");
}

#[test]
fn switchover_triggers_patroni_and_waits_for_the_operator() {
    let Some(stack) = stack("switchover") else {
        return;
    };
    if !kubectl_available() {
        return;
    }
    stack.deploy();
    // Two instance Pods as PGO labels them: a primary and a replica.
    let pod = |name: &str, role: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}-0\n  namespace: {NAMESPACE}\n  labels:\n    \
             postgres-operator.crunchydata.com/cluster: app-db\n    \
             postgres-operator.crunchydata.com/instance: {name}\n    \
             postgres-operator.crunchydata.com/role: {role}\nspec:\n  containers:\n    - name: database\n      image: postgres\n"
        )
    };
    stack
        .server
        .apply_manifests(&format!(
            "{}---\n{}",
            pod("app-db-instance1-aaaa", "master"),
            pod("app-db-instance1-bbbb", "replica")
        ))
        .expect("pods seeded");
    let _pgo = stack.operator_stand_in(
        "postgres-operator.crunchydata.com/trigger-switchover",
        |id| json!({"patroni": {"switchover": id}}),
    );
    let run = stack.play(
        "playbooks/runbooks/switchover.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &["-e", "target=app-db-instance1-bbbb"],
    );
    run.assert_ok("switchover.yml");
    let cluster = stack.cluster("app-db").expect("cluster");
    assert_eq!(
        cluster["spec"]["patroni"]["switchover"],
        json!({"enabled": true, "type": "Switchover", "targetInstance": "app-db-instance1-bbbb"}),
        "{cluster:#}"
    );
    let trigger =
        &cluster["metadata"]["annotations"]["postgres-operator.crunchydata.com/trigger-switchover"];
    assert_eq!(cluster["status"]["patroni"]["switchover"], *trigger);

    let primary = stack.play(
        "playbooks/runbooks/switchover.yml",
        &stack.bucket("PGBR_S3_BUCKET_EMPTY"),
        &["-e", "target=app-db-instance1-aaaa"],
    );
    assert_eq!(
        primary.code, 2,
        "switching over to the primary must be refused"
    );
}

#[test]
fn promote_standby_turns_a_standby_into_a_primary() {
    let Some(stack) = stack("promote") else {
        return;
    };
    if !kubectl_available() {
        return;
    }
    let bucket = stack.bucket("PGBR_S3_BUCKET_BACKUPS");
    let standby = stack.play(
        "playbooks/pgo.yml",
        &bucket,
        &["-e", &stack.fixture_repo(), "-e", "pg_cluster_mode=standby"],
    );
    standby.assert_ok("pgo.yml as a standby");
    let cluster = stack.cluster("app-db").expect("standby stored");
    assert_eq!(
        cluster["spec"]["standby"],
        json!({"enabled": true, "repoName": "repo1"}),
        "{cluster:#}"
    );
    // Patroni's DCS: the standby_cluster section goes once Patroni promotes. PGO keeps it on
    // Endpoints, which the API test double does not serve; the runbook reads a ConfigMap with
    // postgres_cluster_dcs_kind=ConfigMap (Patroni's other Kubernetes DCS).
    stack
        .server
        .apply_manifests(&format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app-db-ha-config\n  namespace: {NAMESPACE}\n  \
             annotations:\n    config: '{{\"standby_cluster\": {{\"restore_command\": \"pgbackrest archive-get\"}}}}'\n"
        ))
        .expect("DCS seeded");
    let stop = Arc::new(AtomicBool::new(false));
    let patroni = {
        let stop = stop.clone();
        let kubeconfig = stack.kubeconfig.clone();
        std::thread::spawn(move || {
            let kubectl = |args: &[&str]| {
                Command::new("kubectl")
                    .arg("--kubeconfig")
                    .arg(&kubeconfig)
                    .args(["-n", NAMESPACE])
                    .args(args)
                    .output()
                    .ok()
                    .filter(|o| o.status.success())
                    .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            };
            while !stop.load(Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(200));
                let promoted = kubectl(&["get", "postgrescluster", "app-db", "-o", "json"])
                    .and_then(|t| serde_json::from_str::<Json>(&t).ok())
                    .is_some_and(|c| c["spec"]["standby"]["enabled"] == false);
                if promoted {
                    kubectl(&[
                        "annotate",
                        "configmap",
                        "app-db-ha-config",
                        "--overwrite",
                        "config={\"ttl\": 30}",
                    ]);
                    return;
                }
            }
        })
    };
    let dcs = "postgres_cluster_dcs_kind=ConfigMap";
    let refused = stack.play(
        "playbooks/runbooks/promote_standby.yml",
        &bucket,
        &["-e", dcs],
    );
    assert_eq!(
        refused.code, 2,
        "promotion without confirming the primary is down must be refused"
    );
    let run = stack.play(
        "playbooks/runbooks/promote_standby.yml",
        &bucket,
        &["-e", "confirm_primary_down=true", "-e", dcs],
    );
    stop.store(true, Ordering::Relaxed);
    let _ = patroni.join();
    run.assert_ok("promote_standby.yml");
    let cluster = stack.cluster("app-db").expect("cluster");
    assert_eq!(cluster["spec"]["standby"]["enabled"], false, "{cluster:#}");
}

#[test]
fn major_upgrade_backs_up_shuts_down_upgrades_and_starts_on_the_new_version() {
    let Some(stack) = stack("upgrade") else {
        return;
    };
    if !kubectl_available() {
        return;
    }
    let bucket = stack.bucket("PGBR_S3_BUCKET_EMPTY");
    stack
        .play(
            "playbooks/pgo.yml",
            &bucket,
            &["-e", "pg_postgres_version=15"],
        )
        .assert_ok("pgo.yml on PostgreSQL 15");
    let backup = |id: &str| {
        json!({"pgbackrest": {"manualBackup": {
            "id": id, "finished": true, "succeeded": 1, "completionTime": "2026-04-12T08:30:00Z",
        }}})
    };
    let _backups = stack.operator_stand_in(
        "postgres-operator.crunchydata.com/pgbackrest-backup",
        backup,
    );
    let _pg_upgrade = stack.stand_in(
        "pgupgrade",
        "app-db-upgrade-16",
        |_| {
            json!({"conditions": [{
                "type": "Succeeded", "status": "True", "reason": "PGUpgradeSucceeded",
                "message": "done", "lastTransitionTime": "2026-04-12T08:30:00Z",
            }]})
        },
        |object| object["metadata"]["uid"].as_str().map(str::to_string),
    );
    let run = stack.play(
        "playbooks/runbooks/major_upgrade.yml",
        &bucket,
        &["-e", "postgres_cluster_backup_delay=1"],
    );
    run.assert_ok("major_upgrade.yml");
    let upgrade = stack
        .server
        .object(PGO_API, "PGUpgrade", Some(NAMESPACE), "app-db-upgrade-16")
        .expect("PGUpgrade stored");
    assert_eq!(upgrade["spec"]["postgresClusterName"], "app-db");
    assert_eq!(upgrade["spec"]["fromPostgresVersion"], 15);
    assert_eq!(upgrade["spec"]["toPostgresVersion"], 16);
    let cluster = stack.cluster("app-db").expect("cluster");
    assert_eq!(cluster["spec"]["postgresVersion"], 16, "{cluster:#}");
    assert_ne!(
        cluster["spec"]["shutdown"], true,
        "left shut down: {cluster:#}"
    );
    // The upgrade permission is withdrawn once the cluster runs the new version.
    assert!(
        cluster["metadata"]["annotations"]
            .get("postgres-operator.crunchydata.com/allow-upgrade")
            .is_none(),
        "{cluster:#}"
    );

    let again = stack.play("playbooks/runbooks/major_upgrade.yml", &bucket, &[]);
    assert_eq!(again.code, 2, "nothing to upgrade must be refused");
}
