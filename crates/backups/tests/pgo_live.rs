//! `pgo::plan` + `check::check_blocking` against the running fixture: what the `k8s` guard
//! will do for a PostgresCluster being created. Skips without the fixture (fails under `CI`).

mod support;

use serde_json::json;
use stackbook_backups::Secret;
use stackbook_backups::check::check_blocking;
use stackbook_backups::pgo::{Plan, plan};
use support::{Fixture, fixture};

fn repo(f: &Fixture, bucket: &str) -> serde_json::Value {
    json!({"name": "repo1", "s3": {"bucket": bucket, "endpoint": f.endpoint_host_port(),
           "region": f.get("PGBR_S3_REGION")}})
}

fn global(f: &Fixture) -> serde_json::Value {
    json!({"repo1-path": f.get("PGBR_REPO_PATH"), "repo1-s3-uri-style": "path",
           "repo1-storage-ca-file": f.get("PGBR_S3_CA_FILE"), "repo1-cipher-type": "aes-256-cbc"})
}

fn cluster(spec: serde_json::Value) -> serde_json::Value {
    json!({"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster",
           "metadata": {"name": "db"}, "spec": spec})
}

#[test]
fn init_over_backups_is_refused_and_over_an_empty_bucket_allowed() {
    let Some(f) = fixture() else { return };
    let conf = Secret::new(f.s3_conf(true));
    for (bucket, allowed) in [
        (f.get("PGBR_S3_BUCKET_BACKUPS"), false),
        (f.get("PGBR_S3_BUCKET_STANZA_ONLY"), false),
        (f.get("PGBR_S3_BUCKET_EMPTY"), true),
    ] {
        let c = cluster(json!({"backups": {"pgbackrest": {
            "global": global(&f), "repos": [repo(&f, &bucket)]}}}));
        let Plan::Init(reqs) = plan(&c, Some(&conf), None).unwrap() else {
            panic!("expected an init plan")
        };
        let outcome = check_blocking(&reqs[0].resolve().unwrap(), None).unwrap();
        assert_eq!(
            outcome.init.is_allow(),
            allowed,
            "{bucket}: {:?}",
            outcome.init
        );
    }
}

#[test]
fn restore_needs_a_backup_and_a_target_in_range() {
    let Some(f) = fixture() else { return };
    let conf = Secret::new(f.s3_conf(true));
    let restore = |bucket: String, options: serde_json::Value| {
        let c = cluster(json!({"dataSource": {"pgbackrest": {
            "stanza": f.get("PGBR_STANZA"), "global": global(&f), "repo": repo(&f, &bucket),
            "options": options}}}));
        let Plan::Restore { request, target } = plan(&c, None, Some(&conf)).unwrap() else {
            panic!("expected a restore plan")
        };
        check_blocking(&request.resolve().unwrap(), target).unwrap()
    };
    let backups = f.get("PGBR_S3_BUCKET_BACKUPS");
    assert!(restore(backups.clone(), json!([])).restore.is_allow());
    let o = restore(f.get("PGBR_S3_BUCKET_EMPTY"), json!([]));
    assert!(!o.restore.is_allow(), "{:?}", o.restore);
    let o = restore(
        backups.clone(),
        json!(["--type=time", "--target=\"2001-01-01 00:00:00+00\""]),
    );
    assert!(!o.restore.is_allow(), "{:?}", o.restore);
    let stop = o.report.backups[0].stop.to_string();
    let o = restore(
        backups,
        json!(["--type=time", format!("--target=\"{stop}\"")]),
    );
    assert!(o.restore.is_allow(), "{:?}", o.restore);
}
