//! `pgbackrest_info` through the real engine: a playbook is loaded and run with the builtin
//! registry plus this crate's `register`, and the events are checked. Fixture-backed tests skip
//! without the running pgBackRest S3 fixture (fail under `CI`); the others always run.

mod support;

use stackbook_backups::module::{FQCN, register};
use stackbook_engine::RunOptions;
use stackbook_engine::event::{CollectingSink, Event, Status};
use stackbook_engine::exec::{RunContext, run_playbook};
use stackbook_engine::inventory::Inventory;
use stackbook_engine::load::load_playbook;
use stackbook_engine::modules::Registry;
use stackbook_engine::output::redact::Redactor;
use stackbook_template::Templar;
use support::{Fixture, Scratch, fixture};

/// Run `tasks` (YAML, indented for a play's `tasks:`) with `vars` (YAML, indented for `vars:`)
/// and return the events and the serialized event stream.
fn play(vars: &str, tasks: &str) -> (Vec<Event>, String) {
    play_with(vars, tasks, RunOptions::default())
}

fn play_with(vars: &str, tasks: &str, options: RunOptions) -> (Vec<Event>, String) {
    let dir = Scratch::new("play");
    let path = dir.write(
        "site.yml",
        &format!(
            "- hosts: localhost\n  gather_facts: false\n  vars:\n    _unused: 0\n{vars}  tasks:\n{tasks}"
        ),
    );
    let mut registry = Registry::builtin();
    register(&mut registry);
    let loaded = load_playbook(&path, &registry).unwrap_or_else(|e| panic!("load: {e}"));
    let mut sink = CollectingSink::default();
    let mut context = RunContext {
        registry: &registry,
        templar: Templar::default(),
        options: &options,
        inventory: Inventory::implicit(),
        sink: &mut sink,
        redactor: std::sync::Arc::new(Redactor::new()),
        decryptor: None,
    };
    run_playbook(&loaded, &mut context).unwrap_or_else(|e| panic!("run: {e}"));
    let text = sink
        .events
        .iter()
        .map(|e| serde_json::to_string(e).unwrap())
        .collect::<Vec<_>>()
        .join("\n");
    (sink.events, text)
}

/// The result and status of the task named `name`.
fn result_of<'a>(events: &'a [Event], name: &str) -> (Status, &'a serde_json::Value) {
    events
        .iter()
        .find_map(|e| match e {
            Event::HostResult {
                task,
                status,
                result,
                ..
            } if task == name => Some((*status, result)),
            _ => None,
        })
        .unwrap_or_else(|| panic!("no result for task {name}: {events:#?}"))
}

/// Play vars for one bucket of the fixture, in the PGO shape: `s3_conf` (the Secret's text),
/// `global` (spec.backups.pgbackrest.global) and `repo` (spec.backups.pgbackrest.repos[0]).
fn pgo_vars(f: &Fixture, bucket: &str, encrypted: bool) -> String {
    let conf: String = f
        .s3_conf(encrypted)
        .lines()
        .map(|l| format!("      {l}\n"))
        .collect();
    format!(
        "    s3_conf: |\n{conf}    global:\n      repo1-path: {path}\n      repo1-s3-uri-style: path\n      \
         repo1-storage-ca-file: {ca}\n{cipher}    repo:\n      name: repo1\n      s3:\n        \
         bucket: {bucket}\n        endpoint: \"{endpoint}\"\n        region: {region}\n",
        path = f.get("PGBR_REPO_PATH"),
        ca = f.get("PGBR_S3_CA_FILE"),
        cipher = if encrypted {
            "      repo1-cipher-type: aes-256-cbc\n"
        } else {
            ""
        },
        endpoint = f.endpoint_host_port(),
        region = f.get("PGBR_S3_REGION"),
    )
}

const PGO_TASK: &str = "    - name: inspect\n      pgbackrest_info:\n        s3_conf: \"{{ s3_conf }}\"\n        \
                        global: \"{{ global }}\"\n        repo: \"{{ repo }}\"\n";

fn assert_no_secret(f: &Fixture, text: &str) {
    for k in ["PGBR_CIPHER_PASS", "PGBR_S3_KEY_SECRET"] {
        assert!(
            !text.contains(&f.get(k)),
            "{k} leaked into the events:\n{text}"
        );
    }
}

#[test]
fn bucket_with_backups_refuses_init_and_allows_restore() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let tasks = format!(
        "{PGO_TASK}      register: info\n    - name: check\n      assert:\n        that:\n          \
         - info.stanza_exists\n          - not info.init_allowed\n          - info.restore_allowed\n          \
         - info.backups | length == 2\n          - info.backups[0].kind == 'full'\n"
    );
    let (events, text) = play(&pgo_vars(&f, &bucket, true), &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Ok, "{r:#}");
    assert_eq!(r["changed"], false);
    assert_eq!(r["status"], "ok");
    assert_eq!(r["encrypted"], true);
    assert_eq!(r["init_allowed"], false);
    let reason = r["init_refused_reason"].as_str().unwrap();
    assert!(reason.starts_with("refusing to initialise"), "{reason}");
    assert_eq!(r["restore_allowed"], true);
    assert!(r["restore_refused_reason"].is_null());
    assert!(r["wal_archive"]["min"].is_string(), "{r:#}");
    assert!(r["db"]["system_id"].is_u64(), "{r:#}");
    // Labels match what pgBackRest itself reports for this bucket.
    let oracle: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(format!(
            "{}/stackbook-backups/info-{bucket}.json",
            f.get("PGBR_FIXTURE_DIR")
        ))
        .unwrap(),
    )
    .unwrap();
    let want: Vec<&str> = oracle[0]["backup"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    let got: Vec<&str> = r["backups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["label"].as_str().unwrap())
        .collect();
    assert_eq!(got, want);
    let (status, r) = result_of(&events, "check");
    assert_eq!(status, Status::Ok, "{r:#}");
    assert_no_secret(&f, &text);
}

#[test]
fn fail_if_backups_exist_fails_the_task_with_the_guard_reason() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let tasks = format!("{PGO_TASK}        fail_if: backups_exist\n");
    let (events, text) = play(&pgo_vars(&f, &bucket, true), &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Failed, "{r:#}");
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.contains("refusing to initialise"), "{msg}");
    assert!(msg.contains("system-id"), "{msg}");
    assert_no_secret(&f, &text);
}

#[test]
fn empty_bucket_allows_init_and_refuses_restore() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_EMPTY");
    let tasks = format!(
        "{PGO_TASK}      register: info\n    - name: restore guard\n      pgbackrest_info:\n        \
         s3_conf: \"{{{{ s3_conf }}}}\"\n        global: \"{{{{ global }}}}\"\n        repo: \"{{{{ repo }}}}\"\n        \
         fail_if: no_backups\n      ignore_errors: true\n"
    );
    let (events, text) = play(&pgo_vars(&f, &bucket, true), &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Ok, "{r:#}");
    assert_eq!(r["stanza_exists"], false);
    assert_eq!(r["status"], "missing-stanza-path");
    assert_eq!(r["init_allowed"], true);
    assert!(r["init_refused_reason"].is_null());
    assert_eq!(r["restore_allowed"], false);
    let reason = r["restore_refused_reason"].as_str().unwrap();
    assert!(reason.starts_with("nothing to restore"), "{reason}");
    assert_eq!(r["backups"], serde_json::json!([]));
    let (status, r) = result_of(&events, "restore guard");
    assert_eq!(status, Status::Failed, "{r:#}");
    assert!(r["msg"].as_str().unwrap().starts_with("nothing to restore"));
    assert_no_secret(&f, &text);
}

#[test]
fn explicit_settings_and_pitr_target_outside_the_range() {
    let Some(f) = fixture() else { return };
    let tasks = format!(
        "    - name: inspect\n      pgbackrest_info:\n        endpoint: {ep}\n        bucket: {b}\n        \
         region: {r}\n        uri_style: path\n        ca_file: {ca}\n        access_key: {k}\n        \
         secret_key: {s}\n        cipher_pass: {p}\n        repo_path: {path}\n        stanza: {st}\n        \
         restore_target: '2001-01-01 00:00:00+00'\n        timeout: 30\n        attempts: '2'\n",
        ep = f.get("PGBR_S3_ENDPOINT_URL"),
        b = f.get("PGBR_S3_BUCKET_BACKUPS"),
        r = f.get("PGBR_S3_REGION"),
        ca = f.get("PGBR_S3_CA_FILE"),
        k = f.get("PGBR_S3_KEY"),
        s = f.get("PGBR_S3_KEY_SECRET"),
        p = f.get("PGBR_CIPHER_PASS"),
        path = f.get("PGBR_REPO_PATH"),
        st = f.get("PGBR_STANZA"),
    );
    let (events, text) = play("", &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Ok, "{r:#}");
    assert_eq!(r["restore_allowed"], false);
    assert_eq!(r["restore_target"], "2001-01-01T00:00:00Z");
    let reason = r["restore_refused_reason"].as_str().unwrap();
    assert!(
        reason.contains("is before the end of the oldest backup"),
        "{reason}"
    );
    assert_no_secret(&f, &text);
}

#[test]
fn wrong_passphrase_is_a_clear_failure_and_never_printed() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let wrong = "canary-wrong-passphrase-7f3a9c";
    let vars = pgo_vars(&f, &bucket, false).replace(
        "    global:\n",
        &format!("    wrong: {wrong}\n    global:\n"),
    );
    let tasks =
        format!("{PGO_TASK}        cipher_pass: \"{{{{ wrong }}}}\"\n      ignore_errors: true\n");
    let (events, text) = play(&vars, &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Failed, "{r:#}");
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.contains("wrong cipher passphrase"), "{msg}");
    assert!(msg.contains(&bucket), "{msg}");
    assert_eq!(r["wrong_passphrase"], true);
    assert!(
        !text.contains(wrong),
        "the wrong passphrase leaked:\n{text}"
    );
    assert_no_secret(&f, &text);
}

#[test]
fn unreachable_endpoint_marks_the_host_unreachable_within_the_timeout() {
    // Always runs: a closed local port, no fixture needed.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let tasks = format!(
        "    - name: inspect\n      stackbook.db.pgbackrest_info:\n        endpoint: http://127.0.0.1:{port}\n        \
         bucket: b\n        region: us-east-1\n        access_key: k\n        secret_key: canary-s3-secret-1234\n        \
         cipher_pass: canary-cipher-pass-5678\n        connect_timeout: 1\n        timeout: 5\n        attempts: 1\n      \
         ignore_errors: true\n"
    );
    let start = std::time::Instant::now();
    let (events, text) = play("", &tasks);
    assert!(start.elapsed() < std::time::Duration::from_secs(10));
    let (status, r) = result_of(&events, "inspect");
    // Like an unreachable inventory host (exit 4), not an ordinary task failure.
    assert_eq!(status, Status::Unreachable, "{r:#}");
    assert_eq!(r["unreachable"], true);
    let msg = r["msg"].as_str().unwrap();
    assert!(
        msg.contains(&format!("cannot reach http://127.0.0.1:{port}")),
        "{msg}"
    );
    assert_eq!(r["wrong_passphrase"], false);
    assert!(!text.contains("canary-s3-secret-1234") && !text.contains("canary-cipher-pass-5678"));
    assert!(
        events
            .iter()
            .any(|e| matches!(e, Event::TaskStart { action, .. } if action == FQCN))
    );
}

#[test]
fn argument_errors_fail_the_task() {
    let tasks = "    - name: bad\n      pgbackrest_info:\n        bucket: b\n        fail_if: always\n      \
                 ignore_errors: true\n    - name: missing\n      pgbackrest_info:\n        bucket: b\n      \
                 ignore_errors: true\n    - name: typo\n      pgbackrest_info:\n        buckt: b\n      \
                 ignore_errors: true\n";
    let (events, _) = play("", tasks);
    let msg = |name| {
        let (status, r) = result_of(&events, name);
        assert_eq!(status, Status::Failed, "{r:#}");
        r["msg"].as_str().unwrap().to_owned()
    };
    assert!(msg("bad").contains("fail_if: 'always' is not one of"));
    let m = msg("missing");
    assert!(
        m.contains("'repo1-s3-endpoint' is required") && m.contains("error 037"),
        "{m}"
    );
    let m = msg("typo");
    assert!(
        m.contains("Unsupported parameters") && m.contains("buckt"),
        "{m}"
    );
}

#[test]
fn check_mode_still_inspects_and_a_whole_repos_list_is_accepted() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_STANZA_ONLY");
    // `repos` as the whole PostgresCluster list: the first s3 entry is used.
    let vars = pgo_vars(&f, &bucket, true).replace(
        "    repo:\n      name: repo1\n",
        "    repo:\n    - name: repo9\n      volume: {}\n    - name: repo1\n",
    );
    let options = RunOptions {
        check: true,
        ..RunOptions::default()
    };
    let (events, text) = play_with(&vars, PGO_TASK, options);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Ok, "{r:#}");
    assert_eq!(r["status"], "no-valid-backups");
    assert_eq!(r["repo"], 1);
    assert_eq!(
        r["init_allowed"], false,
        "a stanza without backups still blocks init"
    );
    assert_eq!(r["restore_allowed"], false);
    assert_no_secret(&f, &text);
}

#[test]
fn a_secret_echoed_by_the_server_is_masked() {
    let Some(f) = fixture() else { return };
    // A bucket named like the passphrase: the store's "does not exist" message would carry it.
    let canary = "canary-echoed-pass-2c71";
    let tasks = format!(
        "    - name: inspect\n      pgbackrest_info:\n        endpoint: {ep}\n        bucket: {canary}\n        \
         region: {r}\n        uri_style: path\n        ca_file: {ca}\n        access_key: {k}\n        \
         secret_key: {s}\n        cipher_pass: {canary}\n      ignore_errors: true\n",
        ep = f.get("PGBR_S3_ENDPOINT_URL"),
        r = f.get("PGBR_S3_REGION"),
        ca = f.get("PGBR_S3_CA_FILE"),
        k = f.get("PGBR_S3_KEY"),
        s = f.get("PGBR_S3_KEY_SECRET"),
    );
    let (events, text) = play("", &tasks);
    let (status, r) = result_of(&events, "inspect");
    assert_eq!(status, Status::Failed, "{r:#}");
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.contains("bucket '********' does not exist"), "{msg}");
    assert!(!text.contains(canary), "{text}");
    assert_no_secret(&f, &text);
}

/// Reads a bucket's state with boto3 from the fixture's moto venv — an independent client.
fn boto3_state(f: &Fixture, bucket: &str) -> serde_json::Value {
    let python = std::env::var("PGBR_MOTO_VENV")
        .unwrap_or_else(|_| "/tmp/pgbr-fixture-venv".to_owned())
        + "/bin/python";
    let script = r#"
import json, sys, boto3, botocore
s3 = boto3.client("s3", endpoint_url=sys.argv[1], region_name="us-east-1",
                  aws_access_key_id=sys.argv[2], aws_secret_access_key=sys.argv[3])
b = sys.argv[4]
try:
    s3.head_bucket(Bucket=b)
except botocore.exceptions.ClientError:
    print(json.dumps({"exists": False})); sys.exit(0)
v = s3.get_bucket_versioning(Bucket=b).get("Status", "Disabled")
try:
    rules = s3.get_bucket_lifecycle_configuration(Bucket=b)["Rules"]
except botocore.exceptions.ClientError:
    rules = []
print(json.dumps({"exists": True, "versioning": v, "rules": rules}, default=str))
"#;
    let out = std::process::Command::new(python)
        .args([
            "-c",
            script,
            &f.get("PGBR_S3_HTTP_ENDPOINT_URL"),
            &f.get("PGBR_S3_KEY"),
            &f.get("PGBR_S3_KEY_SECRET"),
            bucket,
        ])
        .output()
        .expect("boto3 runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("boto3 JSON")
}

fn bucket_task(f: &Fixture, name: &str, extra: &str) -> String {
    format!(
        "    - name: bucket\n      stackbook.db.s3_bucket:\n        name: {name}\n        \
         endpoint_url: \"https://{endpoint}\"\n        ca_file: \"{ca}\"\n        region: us-east-1\n        \
         access_key: {key}\n        secret_key: {secret}\n{extra}",
        endpoint = f.endpoint_host_port(),
        ca = f.get("PGBR_S3_CA_FILE"),
        key = f.get("PGBR_S3_KEY"),
        secret = f.get("PGBR_S3_KEY_SECRET"),
    )
}

fn unique_bucket(tag: &str) -> String {
    format!(
        "sb-{tag}-{}-{}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.subsec_nanos())
            .unwrap_or(0)
    )
}

#[test]
fn s3_bucket_creates_versioned_bucket_with_lifecycle_then_reports_ok() {
    let Some(f) = fixture() else { return };
    let bucket = unique_bucket("ver");
    let task = bucket_task(
        &f,
        &bucket,
        "        versioning: true\n        noncurrent_version_expiration_days: 30\n",
    );
    let (events, text) = play("", &task);
    let (status, r) = result_of(&events, "bucket");
    assert_eq!(status, Status::Changed, "{r:#}");
    assert_eq!(r["versioning"], "Enabled");
    let state = boto3_state(&f, &bucket);
    assert_eq!(state["versioning"], "Enabled", "{state}");
    let rule = &state["rules"][0];
    assert_eq!(
        rule["ID"], "stackbook-noncurrent-version-expiration",
        "{state}"
    );
    assert_eq!(
        rule["NoncurrentVersionExpiration"]["NoncurrentDays"], 30,
        "{state}"
    );
    assert_no_secret(&f, &text);

    let (events, _) = play("", &task);
    let (status, r) = result_of(&events, "bucket");
    assert_eq!(status, Status::Ok, "second run must change nothing: {r:#}");

    // A different retention is one honest change, and other state stays.
    let task = task.replace("days: 30", "days: 7");
    let (events, _) = play("", &task);
    let (status, r) = result_of(&events, "bucket");
    assert_eq!(status, Status::Changed, "{r:#}");
    assert!(r["msg"].as_str().unwrap_or("").contains("7 days"), "{r:#}");
    let state = boto3_state(&f, &bucket);
    assert_eq!(state["rules"].as_array().map(Vec::len), Some(1), "{state}");
    assert_eq!(
        state["rules"][0]["NoncurrentVersionExpiration"]["NoncurrentDays"],
        7
    );

    // Empty again: state absent deletes it.
    let (events, _) = play("", &bucket_task(&f, &bucket, "        state: absent\n"));
    assert_eq!(result_of(&events, "bucket").0, Status::Changed);
    assert_eq!(boto3_state(&f, &bucket)["exists"], false);
}

#[test]
fn s3_bucket_check_mode_writes_nothing() {
    let Some(f) = fixture() else { return };
    let bucket = unique_bucket("chk");
    let task = bucket_task(
        &f,
        &bucket,
        "        versioning: true\n        noncurrent_version_expiration_days: 30\n",
    );
    let (events, _) = play_with(
        "",
        &task,
        RunOptions {
            check: true,
            ..RunOptions::default()
        },
    );
    let (status, r) = result_of(&events, "bucket");
    assert_eq!(status, Status::Changed, "{r:#}");
    assert!(
        r["msg"]
            .as_str()
            .unwrap_or("")
            .contains("created the bucket")
    );
    assert_eq!(boto3_state(&f, &bucket)["exists"], false);
}

#[test]
fn s3_bucket_refuses_to_delete_a_bucket_holding_backups() {
    let Some(f) = fixture() else { return };
    let bucket = f.get("PGBR_S3_BUCKET_BACKUPS");
    let (events, text) = play("", &bucket_task(&f, &bucket, "        state: absent\n"));
    let (status, r) = result_of(&events, "bucket");
    assert_eq!(status, Status::Failed, "{r:#}");
    assert!(
        r["msg"].as_str().unwrap_or("").contains("not empty"),
        "{r:#}"
    );
    assert_eq!(boto3_state(&f, &bucket)["exists"], true);
    assert_no_secret(&f, &text);
}
