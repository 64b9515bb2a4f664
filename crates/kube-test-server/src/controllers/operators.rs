//! Operator imitations: a PGO-like PostgresCluster controller and a Zalando-like `postgresql`
//! controller. They create the credential Secrets applications read and report status, so
//! stackbook's waits and secret lookups can be tested; no database is started.

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use serde_json::{Map, Value, json};

use super::{ObjRef, update_status};
use crate::ids;
use crate::ops::WriteOpts;
use crate::state::State;
use crate::store::Store;
use crate::time::now_rfc3339;

fn b64(s: &str) -> Value {
    Value::String(STANDARD.encode(s))
}

fn decoded(secret: &Value, key: &str) -> Option<String> {
    let raw = secret.pointer(&format!("/data/{key}"))?.as_str()?;
    String::from_utf8(STANDARD.decode(raw).ok()?).ok()
}

fn owner_ref(obj: &Value, kind: &str) -> Value {
    json!([{
        "apiVersion": obj.get("apiVersion").cloned().unwrap_or(Value::Null),
        "kind": kind,
        "name": obj.pointer("/metadata/name").cloned().unwrap_or(Value::Null),
        "uid": obj.pointer("/metadata/uid").cloned().unwrap_or(Value::Null),
        "controller": true,
        "blockOwnerDeletion": true,
    }])
}

/// Creates or updates a Secret so that it has exactly `data` and `labels`.
fn upsert_secret(
    store: &mut Store,
    ns: &str,
    name: &str,
    labels: Value,
    owner: Value,
    data: Map<String, Value>,
    manager: &str,
) {
    let Some(rt) = store.registry.by_plural("", "secrets").cloned() else {
        return;
    };
    let opts = WriteOpts::internal(manager, "v1");
    let body = json!({
        "apiVersion": "v1", "kind": "Secret",
        "metadata": {"name": name, "namespace": ns, "labels": labels, "ownerReferences": owner},
        "type": "Opaque",
        "data": data,
    });
    // Failures (e.g. an invalid Secret name from an invalid user name) leave no Secret, as the
    // real operators would fail to create it.
    if store.get("", "secrets", ns, name).is_some() {
        let _ = store.op_update(&rt, ns, name, body, &opts, "");
    } else {
        let _ = store.op_create(&rt, ns, body, &opts);
    }
}

/// PGO: `<cluster>-pguser-<user>` Secrets and PostgresCluster status.
pub fn reconcile_pgo(state: &State, r: &ObjRef) {
    {
        let mut store = state.lock();
        let Some(obj) = store.get(&r.group, &r.plural, &r.ns, &r.name).cloned() else {
            return;
        };
        let cluster = r.name.as_str();
        let port = obj
            .pointer("/spec/port")
            .and_then(Value::as_i64)
            .unwrap_or(5432)
            .to_string();
        let host = format!("{cluster}-primary.{}.svc", r.ns);
        let bouncer = obj.pointer("/spec/proxy/pgBouncer").is_some();
        let bouncer_host = format!("{cluster}-pgbouncer.{}.svc", r.ns);
        let bouncer_port = obj
            .pointer("/spec/proxy/pgBouncer/port")
            .and_then(Value::as_i64)
            .unwrap_or(5432)
            .to_string();
        let users: Vec<(String, Option<String>)> =
            match obj.pointer("/spec/users").and_then(Value::as_array) {
                // An explicit empty list creates no users; an absent one creates the default user.
                Some(list) => list
                    .iter()
                    .filter_map(|u| {
                        let name = u.get("name")?.as_str()?.to_string();
                        let db = u
                            .pointer("/databases/0")
                            .and_then(Value::as_str)
                            .map(str::to_string);
                        Some((name, db))
                    })
                    .collect(),
                _ => vec![(cluster.to_string(), Some(cluster.to_string()))],
            };
        for (user, db) in users {
            let secret_name = format!("{cluster}-pguser-{user}");
            let password = store
                .get("", "secrets", &r.ns, &secret_name)
                .and_then(|s| decoded(s, "password"))
                .unwrap_or_else(|| ids::password(24));
            let db_path = db.as_deref().map(|d| format!("/{d}")).unwrap_or_default();
            let mut data = Map::new();
            data.insert("user".into(), b64(&user));
            data.insert("password".into(), b64(&password));
            data.insert("host".into(), b64(&host));
            data.insert("port".into(), b64(&port));
            if let Some(d) = &db {
                data.insert("dbname".into(), b64(d));
            }
            data.insert(
                "uri".into(),
                b64(&format!(
                    "postgresql://{user}:{password}@{host}:{port}{db_path}"
                )),
            );
            data.insert(
                "jdbc-uri".into(),
                b64(&format!(
                    "jdbc:postgresql://{host}:{port}{db_path}?password={password}&user={user}"
                )),
            );
            if bouncer {
                data.insert("pgbouncer-host".into(), b64(&bouncer_host));
                data.insert("pgbouncer-port".into(), b64(&bouncer_port));
                data.insert(
                    "pgbouncer-uri".into(),
                    b64(&format!(
                        "postgresql://{user}:{password}@{bouncer_host}:{bouncer_port}{db_path}"
                    )),
                );
                data.insert("pgbouncer-jdbc-uri".into(), b64(&format!("jdbc:postgresql://{bouncer_host}:{bouncer_port}{db_path}?password={password}&prepareThreshold=0&user={user}")));
            }
            let labels = json!({
                "postgres-operator.crunchydata.com/cluster": cluster,
                "postgres-operator.crunchydata.com/pguser": user,
                "postgres-operator.crunchydata.com/role": "pguser",
            });
            upsert_secret(
                &mut store,
                &r.ns,
                &secret_name,
                labels,
                owner_ref(&obj, "PostgresCluster"),
                data,
                "postgres-operator",
            );
        }
    }
    update_status(state, r, "postgres-operator", pgo_status);
}

fn pgo_status(obj: &Value) -> Option<Value> {
    let now = now_rfc3339();
    let generation = obj
        .pointer("/metadata/generation")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let instances: Vec<Value> = obj
        .pointer("/spec/instances")
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .enumerate()
                .map(|(i, set)| {
                    let name = set
                        .get("name")
                        .and_then(Value::as_str)
                        .map(str::to_string)
                        .unwrap_or_else(|| format!("{:02}", i));
                    let n = set.get("replicas").and_then(Value::as_i64).unwrap_or(1);
                    json!({"name": name, "replicas": n, "readyReplicas": n, "updatedReplicas": n})
                })
                .collect()
        })
        .unwrap_or_default();
    let mut conditions = vec![json!({
        "type": "Progressing", "status": "False", "reason": "ReconcileComplete",
        "message": "cluster reconciled", "lastTransitionTime": now, "observedGeneration": generation,
    })];
    let restoring = obj.pointer("/spec/dataSource").is_some();
    conditions.push(json!({
        "type": "PostgresDataInitialized", "status": "True",
        "reason": if restoring { "PGBackRestRestoreComplete" } else { "ClusterBootstrapped" },
        "message": if restoring { "pgBackRest restore completed successfully" } else { "cluster bootstrapped" },
        "lastTransitionTime": now, "observedGeneration": generation,
    }));
    if obj.pointer("/spec/proxy/pgBouncer").is_some() {
        conditions.push(json!({
            "type": "ProxyAvailable", "status": "True", "reason": "MinimumReplicasAvailable",
            "message": "Deployment has minimum availability.", "lastTransitionTime": now, "observedGeneration": generation,
        }));
    }
    let mut status = json!({
        "observedGeneration": generation,
        "postgresVersion": obj.pointer("/spec/postgresVersion").cloned().unwrap_or(Value::Null),
        "instances": instances,
        "conditions": conditions,
    });
    if restoring && let Some(m) = status.as_object_mut() {
        m.insert(
            "startupInstance".into(),
            json!(format!(
                "{}-restore",
                obj.pointer("/metadata/name")
                    .and_then(Value::as_str)
                    .unwrap_or_default()
            )),
        );
    }
    let in_place = obj
        .pointer("/spec/backups/pgbackrest/restore/enabled")
        .and_then(Value::as_bool)
        == Some(true);
    let restore_id = obj
        .pointer("/metadata/annotations/postgres-operator.crunchydata.com~1pgbackrest-restore")
        .and_then(Value::as_str);
    if let (true, Some(id), Some(m)) = (in_place, restore_id, status.as_object_mut()) {
        m.insert("pgbackrest".into(), json!({"restore": {"id": id, "finished": true, "succeeded": 1, "startTime": now, "completionTime": now}}));
    }
    Some(status)
}

/// Zalando: `<user>.<cluster>.credentials.postgresql.acid.zalan.do` Secrets and status.
pub fn reconcile_zalando(state: &State, r: &ObjRef) {
    {
        let mut store = state.lock();
        let Some(obj) = store.get(&r.group, &r.plural, &r.ns, &r.name).cloned() else {
            return;
        };
        let cluster = r.name.as_str();
        let team = obj
            .pointer("/spec/teamId")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string();
        let mut users: Vec<String> = vec!["postgres".into(), "standby".into()];
        if let Some(map) = obj.pointer("/spec/users").and_then(Value::as_object) {
            users.extend(map.keys().cloned());
        }
        for user in users {
            let secret_name = format!(
                "{}.{cluster}.credentials.postgresql.acid.zalan.do",
                user.replace('_', "-")
            );
            let password = store
                .get("", "secrets", &r.ns, &secret_name)
                .and_then(|s| decoded(s, "password"))
                .unwrap_or_else(|| ids::password(64));
            let mut data = Map::new();
            data.insert("username".into(), b64(&user));
            data.insert("password".into(), b64(&password));
            let labels = json!({"application": "spilo", "cluster-name": cluster, "team": team});
            upsert_secret(
                &mut store,
                &r.ns,
                &secret_name,
                labels,
                owner_ref(&obj, "postgresql"),
                data,
                "postgres-operator",
            );
        }
    }
    update_status(state, r, "postgres-operator", |obj| {
        let generation = obj
            .pointer("/metadata/generation")
            .and_then(Value::as_i64)
            .unwrap_or(1);
        let _ = generation;
        Some(json!({"PostgresClusterStatus": "Running"}))
    });
}
