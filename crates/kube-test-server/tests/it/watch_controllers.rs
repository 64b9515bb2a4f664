//! Watch streams and the simulated controllers (built-in and operator imitations).

use std::time::Duration;

use futures::{StreamExt, TryStreamExt};
use k8s_openapi::api::apps::v1::{Deployment, StatefulSet};
use k8s_openapi::api::batch::v1::Job;
use k8s_openapi::api::core::v1::{ConfigMap, Secret};
use kube::api::{Api, DeleteParams, Patch, PatchParams, PostParams, WatchEvent, WatchParams};
use kube_test_server::{Config, Controllers, TestServer};
use serde_json::{Value, json};

use crate::support::{client, create, dynamic, eventually, server, shared_dir, yaml_docs};

fn cm(name: &str) -> ConfigMap {
    serde_json::from_value(json!({"metadata": {"name": name}, "data": {"v": "1"}})).expect("cm")
}

#[tokio::test]
async fn watch_replays_from_resource_version_and_follows() {
    let s = server().await;
    let c = client(&s).await;
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let a = api
        .create(&PostParams::default(), &cm("a"))
        .await
        .expect("a");
    let rv = a.metadata.resource_version.expect("rv");

    // From "0": synthetic ADDED for what exists.
    let mut initial = api
        .watch(&WatchParams::default().timeout(1), "0")
        .await
        .expect("watch")
        .boxed();
    match initial.try_next().await.expect("event") {
        Some(WatchEvent::Added(o)) => assert_eq!(o.metadata.name.as_deref(), Some("a")),
        other => panic!("expected ADDED a, got {other:?}"),
    }

    // From a's RV: only later changes, in order, including ones made before the watch started.
    api.create(&PostParams::default(), &cm("b"))
        .await
        .expect("b");
    let mut stream = api
        .watch(&WatchParams::default().timeout(5), &rv)
        .await
        .expect("watch")
        .boxed();
    api.patch(
        "b",
        &PatchParams::default(),
        &Patch::Merge(json!({"data": {"v": "2"}})),
    )
    .await
    .expect("patch");
    api.delete("b", &DeleteParams::default())
        .await
        .expect("delete");
    let mut seen = Vec::new();
    let mut last_rv = 0u64;
    while seen.len() < 3 {
        let ev = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .expect("in time")
            .expect("ok")
            .expect("some");
        let (kind, obj) = match ev {
            WatchEvent::Added(o) => ("ADDED", o),
            WatchEvent::Modified(o) => ("MODIFIED", o),
            WatchEvent::Deleted(o) => ("DELETED", o),
            other => panic!("unexpected {other:?}"),
        };
        let this_rv: u64 = obj
            .metadata
            .resource_version
            .as_deref()
            .expect("rv")
            .parse()
            .expect("num");
        assert!(this_rv > last_rv, "resourceVersions increase");
        last_rv = this_rv;
        seen.push((kind, obj.metadata.name.unwrap_or_default()));
    }
    let expected = [("ADDED", "b"), ("MODIFIED", "b"), ("DELETED", "b")];
    assert_eq!(seen, expected.map(|(k, n)| (k, n.to_string())));

    // Field selectors filter watches (kubectl delete --wait relies on this).
    let mut only_c = api
        .watch(
            &WatchParams::default().fields("metadata.name=c").timeout(5),
            &last_rv.to_string(),
        )
        .await
        .expect("watch")
        .boxed();
    api.create(&PostParams::default(), &cm("d"))
        .await
        .expect("d");
    api.create(&PostParams::default(), &cm("c"))
        .await
        .expect("c");
    match tokio::time::timeout(Duration::from_secs(5), only_c.try_next())
        .await
        .expect("in time")
        .expect("ok")
    {
        Some(WatchEvent::Added(o)) => assert_eq!(o.metadata.name.as_deref(), Some("c")),
        other => panic!("expected ADDED c, got {other:?}"),
    }
}

#[tokio::test]
async fn selector_watches_see_objects_enter_and_leave() {
    let s = server().await;
    let c = client(&s).await;
    let api: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    let rv = s.resource_version().to_string();
    let mut stream = api
        .watch(&WatchParams::default().labels("tier=db").timeout(5), &rv)
        .await
        .expect("watch")
        .boxed();
    api.create(&PostParams::default(), &cm("x"))
        .await
        .expect("create unlabelled");
    let label = |v: Option<&str>| Patch::Merge(json!({"metadata": {"labels": {"tier": v}}}));
    api.patch("x", &PatchParams::default(), &label(Some("db")))
        .await
        .expect("label");
    api.patch("x", &PatchParams::default(), &label(Some("web")))
        .await
        .expect("relabel");
    let mut kinds = Vec::new();
    while kinds.len() < 2 {
        let ev = tokio::time::timeout(Duration::from_secs(5), stream.try_next())
            .await
            .expect("in time")
            .expect("ok")
            .expect("some");
        kinds.push(match ev {
            WatchEvent::Added(_) => "ADDED",
            WatchEvent::Modified(_) => "MODIFIED",
            WatchEvent::Deleted(_) => "DELETED",
            _ => "OTHER",
        });
    }
    assert_eq!(kinds, ["ADDED", "DELETED"]);
}

fn deployment(name: &str) -> Value {
    json!({"metadata": {"name": name}, "spec": {"replicas": 3, "selector": {"matchLabels": {"app": name}},
        "template": {"metadata": {"labels": {"app": name}}, "spec": {"containers": [{"name": "c", "image": "i"}]}}}})
}

#[tokio::test]
async fn workload_controllers_report_ready_and_complete() {
    let s = server().await;
    let c = client(&s).await;
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "default");
    deps.create(
        &PostParams::default(),
        &serde_json::from_value(deployment("web")).expect("d"),
    )
    .await
    .expect("create");
    eventually("deployment Available", || async {
        deps.get("web")
            .await
            .ok()
            .and_then(|d| d.status)
            .is_some_and(|st| {
                st.ready_replicas == Some(3)
                    && st.observed_generation == Some(1)
                    && st.conditions.unwrap_or_default().iter().any(|c| {
                        c.type_.as_deref() == Some("Available")
                            && c.status.as_deref() == Some("True")
                    })
            })
    })
    .await;
    let sts: Api<StatefulSet> = Api::namespaced(c.clone(), "default");
    let mut body = deployment("db");
    body["spec"]["serviceName"] = json!("db");
    sts.create(
        &PostParams::default(),
        &serde_json::from_value(body).expect("sts"),
    )
    .await
    .expect("create");
    eventually("statefulset ready", || async {
        sts.get("db")
            .await
            .ok()
            .and_then(|d| d.status)
            .is_some_and(|st| st.ready_replicas == Some(3))
    })
    .await;
    let jobs: Api<Job> = Api::namespaced(c.clone(), "default");
    jobs.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "migrate"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "i"}]}}}})).expect("job"))
        .await
        .expect("create");
    eventually("job complete", || async {
        jobs.get("migrate")
            .await
            .ok()
            .and_then(|j| j.status)
            .is_some_and(|st| {
                st.succeeded == Some(1)
                    && st
                        .conditions
                        .unwrap_or_default()
                        .iter()
                        .any(|c| c.type_ == "Complete" && c.status == "True")
            })
    })
    .await;
}

#[tokio::test]
async fn controller_delay_and_switches() {
    let mut ctl = Controllers::none();
    ctl.workloads = Some(Duration::from_millis(1500));
    let s = TestServer::start(Config::default().controllers(ctl))
        .await
        .expect("start");
    let c = client(&s).await;
    let deps: Api<Deployment> = Api::namespaced(c.clone(), "default");
    deps.create(
        &PostParams::default(),
        &serde_json::from_value(deployment("slow")).expect("d"),
    )
    .await
    .expect("create");
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(
        deps.get("slow")
            .await
            .expect("get")
            .status
            .and_then(|s| s.ready_replicas)
            .is_none(),
        "not ready before the delay"
    );
    eventually("ready after the delay", || async {
        deps.get("slow")
            .await
            .ok()
            .and_then(|d| d.status)
            .and_then(|s| s.ready_replicas)
            == Some(3)
    })
    .await;
    // Jobs controller is off: the Job never completes.
    let jobs: Api<Job> = Api::namespaced(c.clone(), "default");
    jobs.create(&PostParams::default(), &serde_json::from_value(json!({"metadata": {"name": "j"},
        "spec": {"template": {"spec": {"restartPolicy": "Never", "containers": [{"name": "m", "image": "i"}]}}}})).expect("job"))
        .await
        .expect("create");
    tokio::time::sleep(Duration::from_millis(150)).await;
    assert!(jobs.get("j").await.expect("get").status.is_none());
}

async fn load(c: &kube::Client, file: &str) {
    let crds = dynamic(
        c,
        None,
        "apiextensions.k8s.io",
        "v1",
        "CustomResourceDefinition",
        "customresourcedefinitions",
    );
    for doc in yaml_docs(&shared_dir().join(file)) {
        create(&crds, doc).await;
    }
}

fn decoded(secret: &Secret, key: &str) -> String {
    secret
        .data
        .as_ref()
        .and_then(|d| d.get(key))
        .map(|b| String::from_utf8_lossy(&b.0).into_owned())
        .unwrap_or_default()
}

#[tokio::test]
async fn pgo_controller_creates_user_secrets_and_status() {
    let s = server().await;
    let c = client(&s).await;
    load(
        &c,
        "charts/pgo/crds/postgres-operator.crunchydata.com_postgresclusters.yaml",
    )
    .await;
    let pg = dynamic(
        &c,
        Some("default"),
        "postgres-operator.crunchydata.com",
        "v1beta1",
        "PostgresCluster",
        "postgresclusters",
    );
    let spec = json!({"apiVersion": "postgres-operator.crunchydata.com/v1beta1", "kind": "PostgresCluster",
        "metadata": {"name": "hippo"},
        "spec": {"postgresVersion": 16,
            "instances": [{"name": "instance1", "replicas": 2, "dataVolumeClaimSpec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}],
            "backups": {"pgbackrest": {"repos": [{"name": "repo1", "volume": {"volumeClaimSpec": {"accessModes": ["ReadWriteOnce"], "resources": {"requests": {"storage": "1Gi"}}}}}]}},
            "users": [{"name": "app", "databases": ["appdb"]}],
            "proxy": {"pgBouncer": {}}}});
    pg.patch(
        "hippo",
        &PatchParams::apply("stackbook"),
        &Patch::Apply(&spec),
    )
    .await
    .expect("apply cluster");
    let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
    eventually("pguser secret", || async {
        secrets
            .get_opt("hippo-pguser-app")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    let sec = secrets.get("hippo-pguser-app").await.expect("secret");
    let password = decoded(&sec, "password");
    assert_eq!(password.len(), 24);
    assert_eq!(decoded(&sec, "user"), "app");
    assert_eq!(decoded(&sec, "dbname"), "appdb");
    assert_eq!(decoded(&sec, "host"), "hippo-primary.default.svc");
    assert_eq!(decoded(&sec, "port"), "5432");
    assert_eq!(
        decoded(&sec, "uri"),
        format!("postgresql://app:{password}@hippo-primary.default.svc:5432/appdb")
    );
    assert_eq!(
        decoded(&sec, "jdbc-uri"),
        format!(
            "jdbc:postgresql://hippo-primary.default.svc:5432/appdb?password={password}&user=app"
        )
    );
    assert_eq!(
        decoded(&sec, "pgbouncer-host"),
        "hippo-pgbouncer.default.svc"
    );
    assert!(decoded(&sec, "pgbouncer-uri").starts_with("postgresql://app:"));
    eventually("cluster status", || async {
        pg.get("hippo").await.ok().is_some_and(|o| {
            o.data["status"]["instances"][0]["readyReplicas"] == 2
                && o.data["status"]["observedGeneration"] == 1
        })
    })
    .await;

    // A spec change reconciles again; the password is stable.
    let mut bigger = spec.clone();
    bigger["spec"]["instances"][0]["replicas"] = json!(3);
    pg.patch(
        "hippo",
        &PatchParams::apply("stackbook"),
        &Patch::Apply(&bigger),
    )
    .await
    .expect("re-apply");
    eventually("new generation observed", || async {
        pg.get("hippo")
            .await
            .ok()
            .is_some_and(|o| o.data["status"]["observedGeneration"] == 2)
    })
    .await;
    assert_eq!(
        decoded(
            &secrets.get("hippo-pguser-app").await.expect("secret"),
            "password"
        ),
        password
    );

    // Restore via spec.dataSource is reported in status.
    let mut restore = spec.clone();
    restore["metadata"]["name"] = json!("restored");
    restore["spec"]["dataSource"] = json!({"pgbackrest": {"stanza": "db", "repo": {"name": "repo1", "s3": {"bucket": "b", "endpoint": "e", "region": "r"}},
        "configuration": [{"secret": {"name": "pgo-s3-creds"}}], "global": {"repo1-path": "/backup/repo1"}}});
    pg.patch(
        "restored",
        &PatchParams::apply("stackbook"),
        &Patch::Apply(&restore),
    )
    .await
    .expect("restore cluster");
    eventually("restore reported", || async {
        pg.get("restored").await.ok().is_some_and(|o| {
            o.data["status"]["conditions"].as_array().is_some_and(|cs| {
                cs.iter().any(|c| {
                    c["type"] == "PostgresDataInitialized"
                        && c["reason"] == "PGBackRestRestoreComplete"
                })
            })
        })
    })
    .await;

    // Deleting the cluster garbage-collects its Secrets through ownerReferences.
    pg.delete("hippo", &DeleteParams::default())
        .await
        .expect("delete");
    assert!(
        secrets
            .get_opt("hippo-pguser-app")
            .await
            .expect("get")
            .is_none()
    );
}

#[tokio::test]
async fn zalando_controller_creates_credentials() {
    let s = server().await;
    let c = client(&s).await;
    load(&c, "charts/zalando-postgres-operator/crds/postgresqls.yaml").await;
    let pg = dynamic(
        &c,
        Some("default"),
        "acid.zalan.do",
        "v1",
        "postgresql",
        "postgresqls",
    );
    create(&pg, json!({"apiVersion": "acid.zalan.do/v1", "kind": "postgresql", "metadata": {"name": "acid-minimal"},
        "spec": {"teamId": "acid", "numberOfInstances": 2, "volume": {"size": "1Gi"},
            "users": {"zalando": ["superuser", "createdb"], "foo_user": []},
            "postgresql": {"version": "16"}}})).await;
    let secrets: Api<Secret> = Api::namespaced(c.clone(), "default");
    eventually("credentials", || async {
        secrets
            .get_opt("foo-user.acid-minimal.credentials.postgresql.acid.zalan.do")
            .await
            .ok()
            .flatten()
            .is_some()
    })
    .await;
    for user in ["postgres", "standby", "zalando"] {
        let sec = secrets
            .get(&format!(
                "{user}.acid-minimal.credentials.postgresql.acid.zalan.do"
            ))
            .await
            .expect("secret");
        assert_eq!(decoded(&sec, "username"), user);
        assert!(!decoded(&sec, "password").is_empty());
    }
    eventually("Running", || async {
        pg.get("acid-minimal")
            .await
            .ok()
            .is_some_and(|o| o.data["status"]["PostgresClusterStatus"] == "Running")
    })
    .await;
}
