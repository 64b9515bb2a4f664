//! End to end: the `kubernetes.core.helm` module through the real engine
//! against the kube-test-server TEST DOUBLE (in-process, stopped on drop),
//! with the real PGO chart — from a local directory and from a
//! real OCI registry (scripts/setup-registry.sh).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use stackbook_engine::RunOptions;
use stackbook_engine::event::{CollectingSink, Event, Status};
use stackbook_engine::exec::{RunContext, run_playbook};
use stackbook_engine::inventory::Inventory;
use stackbook_engine::load::load_playbook;
use stackbook_engine::modules::Registry;
use stackbook_engine::output::redact::Redactor;
use stackbook_helm::install::Cluster;
use stackbook_helm::release::Status as RelStatus;
use stackbook_template::Templar;

fn pgo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/charts/pgo")
        .canonicalize()
        .unwrap()
}

/// The kube-test-server test double (in-process, on its own thread);
/// stopped on drop. `dir` holds the playbook.
struct Kts {
    server: kube_test_server::TestServer,
    dir: PathBuf,
}

impl Kts {
    fn start(name: &str) -> Option<Kts> {
        Kts::start_with(name, kube_test_server::Config::default())
    }

    fn start_with(name: &str, config: kube_test_server::Config) -> Option<Kts> {
        let server =
            kube_test_server::TestServer::start_blocking(config).expect("start kube-test-server");
        let dir = std::env::temp_dir().join(format!("sb-helm-e2e-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Some(Kts { server, dir })
    }

    fn kubeconfig(&self) -> PathBuf {
        self.server.kubeconfig_path().unwrap()
    }
}

impl Drop for Kts {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn play(dir: &Path, tasks: &str, check: bool) -> Vec<Event> {
    play_rc(dir, tasks, check).0
}

/// Runs the tasks; returns the events and the run's exit code.
fn play_rc(dir: &Path, tasks: &str, check: bool) -> (Vec<Event>, i32) {
    let path = dir.join("site.yml");
    std::fs::write(
        &path,
        format!("- hosts: localhost\n  gather_facts: false\n  tasks:\n{tasks}"),
    )
    .unwrap();
    let mut registry = Registry::builtin();
    stackbook_helm::module::register(&mut registry);
    let loaded = load_playbook(&path, &registry).unwrap_or_else(|e| panic!("load: {e}"));
    let mut sink = CollectingSink::default();
    let options = RunOptions {
        check,
        diff: check,
        ..RunOptions::default()
    };
    let mut context = RunContext {
        registry: &registry,
        templar: Templar::default(),
        options: &options,
        inventory: Inventory::implicit(),
        sink: &mut sink,
        redactor: std::sync::Arc::new(Redactor::new()),
        decryptor: None,
    };
    let rc = run_playbook(&loaded, &mut context).unwrap_or_else(|e| panic!("run: {e}"));
    (sink.events, rc as i32)
}

fn result(events: &[Event]) -> (Status, serde_json::Value) {
    events
        .iter()
        .find_map(|e| match e {
            Event::HostResult { status, result, .. } => Some((*status, result.clone())),
            _ => None,
        })
        .expect("a task result")
}

fn helm_task(kubeconfig: &Path, chart_ref: &str, extra: &str) -> String {
    format!(
        "    - name: pgo\n      kubernetes.core.helm:\n        name: pgo\n        chart_ref: {chart_ref}\n        release_namespace: postgres-operator\n        create_namespace: true\n        wait: true\n        wait_timeout: 2m\n        kubeconfig: {}\n{extra}",
        kubeconfig.display()
    )
}

fn history(kubeconfig: &Path) -> Vec<(i64, RelStatus)> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let c = Cluster::connect(Some(kubeconfig), None).await.unwrap();
        c.history("postgres-operator", "pgo").await.unwrap()
    })
    .into_iter()
    .map(|r| (r.version, r.info.status))
    .collect()
}

#[test]
fn local_chart_install_rerun_upgrade_check_uninstall() {
    let Some(kts) = Kts::start("local") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = pgo_dir();
    let chart = chart.display().to_string();
    let values = "        values:\n          debug: false\n";

    // Check mode on an empty cluster: CRDs, the namespace and every object
    // would be created (dry-run on the server); nothing is written.
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, values), true));
    assert_eq!(st, Status::Changed, "{r}");
    let changes = r["changes"].as_array().expect("changes");
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "CustomResourceDefinition" && c["action"] == "create"),
        "{r}"
    );
    assert!(changes.iter().all(|c| c["action"] == "create"), "{r}");
    assert!(history(&kc).is_empty());
    assert!(
        kts.server.requests().iter().all(|q| !q.is_write()),
        "check mode wrote to the server"
    );

    let t = Instant::now();
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, values), false));
    let install_time = t.elapsed();
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(r["status"]["revision"], "1", "{r}");
    assert_eq!(r["status"]["status"], "deployed");
    assert_eq!(r["status"]["chart"], "pgo-5.8.5");
    assert_eq!(r["status"]["values"], serde_json::json!({"debug": false}));
    assert_eq!(history(&kc), [(1, RelStatus::Deployed)]);
    let info = format!(
        "    - name: info\n      helm_info:\n        name: pgo\n        release_namespace: postgres-operator\n        kubeconfig: {}\n",
        kc.display()
    );
    let (st, r) = result(&play(&kts.dir, &info, false));
    assert_eq!(st, Status::Ok, "{r}");
    assert_eq!(r["status"]["status"], "deployed", "{r}");
    assert_eq!(r["status"]["revision"], "1");
    eprintln!("install PGO (local chart, wait) took {install_time:?}");

    // Identical second run: ok, no new revision.
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, values), false));
    assert_eq!(st, Status::Ok, "{r}");
    assert_eq!(r["status"]["revision"], "1");
    assert_eq!(history(&kc).len(), 1);

    // Check mode with changed values: reports a change, writes nothing.
    let changed = "        values:\n          debug: true\n";
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, changed), true));
    assert_eq!(st, Status::Changed, "{r}");
    // One diff entry: the operator Deployment, whose env var changed.
    let diffs = r["diff"].as_array().expect("per-object diff list");
    assert_eq!(diffs.len(), 1, "{r}");
    assert!(
        diffs[0]["before_header"]
            .as_str()
            .unwrap()
            .starts_with("Deployment postgres-operator/pgo "),
        "{r}"
    );
    assert!(
        diffs[0]["after"]
            .as_str()
            .unwrap()
            .contains("value: \"true\""),
        "{r}"
    );
    // The server-side dry run: only the Deployment would change; the
    // cluster-scoped ClusterRole is placed in no namespace.
    let changes = r["changes"].as_array().expect("changes");
    let updated: Vec<_> = changes
        .iter()
        .filter(|c| c["action"] != "unchanged")
        .map(|c| format!("{} {} {}", c["action"], c["kind"], c["name"]))
        .collect();
    assert_eq!(updated, ["\"update\" \"Deployment\" \"pgo\""], "{r}");
    assert!(
        changes
            .iter()
            .any(|c| c["kind"] == "ClusterRole" && c["namespace"] == ""),
        "{r}"
    );
    assert_eq!(history(&kc).len(), 1);

    // Upgrade with changed values bumps the revision.
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, changed), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(r["status"]["revision"], "2");
    assert_eq!(
        history(&kc),
        [(1, RelStatus::Superseded), (2, RelStatus::Deployed)]
    );

    // Rollback to revision 1 is a new revision 3 with revision 1's values.
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let rolled = rt.block_on(async {
        let c = Cluster::connect(Some(&kc), None).await.unwrap();
        stackbook_helm::install::rollback(
            &c,
            "pgo",
            "postgres-operator",
            1,
            Duration::from_secs(60),
            true,
        )
        .await
        .unwrap()
    });
    let rel = rolled.release.unwrap();
    assert_eq!(
        (rel.version, rel.info.description.as_str()),
        (3, "Rollback to 1")
    );
    assert_eq!(rel.config, serde_json::json!({"debug": false}));
    assert_eq!(
        history(&kc),
        [
            (1, RelStatus::Superseded),
            (2, RelStatus::Superseded),
            (3, RelStatus::Deployed)
        ]
    );
    // history_max trims old records after an upgrade.
    let trimmed = "        history_max: 2\n        values:\n          debug: true\n";
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, trimmed), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(
        history(&kc),
        [(3, RelStatus::Superseded), (4, RelStatus::Deployed)]
    );

    // Uninstall removes the release Secrets; a second uninstall is ok.
    let absent = "        release_state: absent\n";
    let (st, r) = result(&play(&kts.dir, &helm_task(&kc, &chart, absent), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert!(history(&kc).is_empty());
    let (st, _) = result(&play(&kts.dir, &helm_task(&kc, &chart, absent), false));
    assert_eq!(st, Status::Ok);
}

#[test]
fn oci_registry_install() {
    let addr = std::env::var("STACKBOOK_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5055".into());
    if std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "registry {addr} not running"
        );
        eprintln!("SKIP: no registry at {addr}");
        return;
    }
    let Some(kts) = Kts::start("oci") else { return };
    let kc = kts.kubeconfig();
    let (archive, _, version) = stackbook_helm::source::package::package_dir(&pgo_dir()).unwrap();
    let ns = format!("oci://{addr}/e2e{}", std::process::id());
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let opts = stackbook_helm::source::FetchOptions {
        plain_http: true,
        ..Default::default()
    };
    rt.block_on(async {
        opts.oci_client(&addr)?
            .push(
                &stackbook_helm::source::reference::parse_oci(&ns)?,
                &archive,
            )
            .await
    })
    .unwrap();
    let extra = format!("        chart_version: {version}\n        plain_http: true\n");
    let (st, r) = result(&play(
        &kts.dir,
        &helm_task(&kc, &format!("{ns}/pgo"), &extra),
        false,
    ));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(r["status"]["status"], "deployed");
    let (st, _) = result(&play(
        &kts.dir,
        &helm_task(&kc, &format!("{ns}/pgo"), &extra),
        false,
    ));
    assert_eq!(st, Status::Ok);
    // Unknown version: a clear failure listing what exists.
    let bad = "        chart_version: 9.9.9\n        plain_http: true\n";
    let (st, r) = result(&play(
        &kts.dir,
        &helm_task(&kc, &format!("{ns}/pgo"), bad),
        false,
    ));
    assert_eq!(st, Status::Failed);
    assert!(
        r["msg"]
            .as_str()
            .unwrap()
            .contains(&format!("available: {version}")),
        "{r}"
    );
    // Registry auth failure: the basic-auth registry refuses an anonymous
    // pull (no credentials in the empty registry_config); nothing recorded.
    let auth_addr =
        std::env::var("STACKBOOK_REGISTRY_AUTH").unwrap_or_else(|_| "127.0.0.1:5056".into());
    if std::net::TcpStream::connect(&auth_addr).is_ok() {
        let none = kts.dir.join("no-docker-config.json");
        std::fs::write(&none, "{}").unwrap();
        let extra = format!(
            "        chart_version: {version}\n        plain_http: true\n        registry_config: {}\n",
            none.display()
        );
        let (st, r) = result(&play(
            &kts.dir,
            &helm_task(&kc, &format!("oci://{auth_addr}/private/pgo"), &extra).replace(
                "name: pgo\n        chart_ref",
                "name: private\n        chart_ref",
            ),
            false,
        ));
        assert_eq!(st, Status::Failed, "{r}");
        let msg = r["msg"].as_str().unwrap();
        assert!(msg.contains("authentication failed (HTTP 401)"), "{msg}");
        assert!(msg.contains("no credentials found"), "{msg}");
    }
    let secrets = release_secrets(&kts.server, "postgres-operator", "pgo");
    assert_eq!(secrets, [(1, "deployed".into())]);
    assert!(release_secrets(&kts.server, "postgres-operator", "private").is_empty());
}

/// `atomic` with a wait that cannot succeed (no simulated controllers, so
/// the operator Deployment never becomes ready): the module fails, and the
/// failed install is removed — no release left, pending or otherwise.
#[test]
fn atomic_install_rolls_back_on_failed_wait() {
    let server = kube_test_server::TestServer::start_blocking(
        kube_test_server::Config::default().controllers(kube_test_server::Controllers::none()),
    )
    .unwrap();
    let kc = server.kubeconfig_path().unwrap();
    let dir = std::env::temp_dir().join(format!("sb-helm-e2e-atomic-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let chart = pgo_dir().display().to_string();
    let task = helm_task(&kc, &chart, "        atomic: true\n")
        .replace("wait_timeout: 2m", "wait_timeout: 1s");
    let (st, r) = result(&play(&dir, &task, false));
    assert_eq!(st, Status::Failed, "{r}");
    let msg = r["msg"].as_str().unwrap();
    assert!(
        msg.contains("atomic")
            && msg.contains("timed out")
            && msg.contains("Deployment postgres-operator/pgo"),
        "{msg}"
    );
    assert!(history(&kc).is_empty());
    let deployment = server.object("apps/v1", "Deployment", Some("postgres-operator"), "pgo");
    assert!(deployment.is_none(), "{deployment:?}");
    // Without atomic the failed revision stays, marked failed (Helm's behaviour).
    let task = helm_task(&kc, &chart, "").replace("wait_timeout: 2m", "wait_timeout: 1s");
    let (st, _) = result(&play(&dir, &task, false));
    assert_eq!(st, Status::Failed);
    assert_eq!(history(&kc), [(1, RelStatus::Failed)]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// A chart that renders invalid YAML fails before anything is written.
#[test]
fn invalid_manifest_leaves_nothing_behind() {
    let Some(kts) = Kts::start("badyaml") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = kts.dir.join("bad");
    std::fs::create_dir_all(chart.join("templates")).unwrap();
    std::fs::write(
        chart.join("Chart.yaml"),
        "apiVersion: v2\nname: bad\nversion: 0.1.0\n",
    )
    .unwrap();
    std::fs::write(
        chart.join("templates/cm.yaml"),
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: [unclosed\n",
    )
    .unwrap();
    let (st, r) = result(&play(
        &kts.dir,
        &helm_task(&kc, &chart.display().to_string(), ""),
        false,
    ));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"].as_str().unwrap().contains("bad/templates/cm.yaml"),
        "{r}"
    );
    assert!(history(&kc).is_empty());
}

/// Argument errors are reported before anything connects.
#[test]
fn bad_arguments_fail_clearly() {
    let dir = std::env::temp_dir().join(format!("sb-helm-e2e-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    for (args, want) in [
        (
            "name: x\n        release_namespace: y\n        chart_ref: ./c\n        bogus: 1\n",
            "bogus",
        ),
        (
            "release_namespace: y\n        chart_ref: ./c\n",
            "missing required arguments: name",
        ),
        (
            "name: x\n        release_namespace: y\n        release_state: gone\n",
            "present, absent",
        ),
        (
            "name: x\n        release_namespace: y\n        chart_ref: ./c\n        wait_timeout: 10 minutes\n",
            "wait_timeout",
        ),
        (
            "name: x\n        release_namespace: y\n        chart_ref: oci://h/Bad\n",
            "oci://h/Bad",
        ),
    ] {
        let task = format!("    - name: t\n      kubernetes.core.helm:\n        {args}");
        let (st, r) = result(&play(&dir, &task, false));
        assert_eq!(st, Status::Failed, "{args}: {r}");
        let msg = r["msg"].as_str().unwrap_or_default();
        assert!(msg.contains(want), "{args}: {msg}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

mod common;

/// Release Secrets of `release` in `ns` as stored in the test server:
/// (revision, `status` label), oldest first.
fn release_secrets(
    server: &kube_test_server::TestServer,
    ns: &str,
    release: &str,
) -> Vec<(i64, String)> {
    let mut out: Vec<(i64, String)> = server
        .objects("v1", "Secret", Some(ns))
        .into_iter()
        .filter(|s| s["type"] == "helm.sh/release.v1" && s["metadata"]["labels"]["name"] == release)
        .map(|s| {
            let l = &s["metadata"]["labels"];
            (
                l["version"].as_str().unwrap().parse().unwrap(),
                l["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    out.sort();
    out
}

fn no_pending(secrets: &[(i64, String)]) {
    assert!(
        secrets.iter().all(|(_, s)| !s.starts_with("pending")),
        "a release record was left pending: {secrets:?}"
    );
}

/// A small chart exercising check mode, diffs, wait kinds and hooks.
fn gaps_chart(dir: &Path) -> PathBuf {
    let c = dir.join("gaps");
    std::fs::create_dir_all(c.join("templates")).unwrap();
    let files = [
        ("Chart.yaml", "apiVersion: v2\nname: gaps\nversion: 0.1.0\n"),
        (
            "values.yaml",
            "greeting: hello\npassword: hunter2-initial\npvc: false\nlb: false\nbadname: false\nhookjob: false\n",
        ),
        (
            "templates/cm.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}-cfg\ndata:\n  greeting: {{ .Values.greeting | quote }}\n",
        ),
        (
            "templates/secret.yaml",
            "apiVersion: v1\nkind: Secret\nmetadata:\n  name: {{ .Release.Name }}-creds\nstringData:\n  password: {{ .Values.password | quote }}\n",
        ),
        (
            "templates/pvc.yaml",
            "{{- if .Values.pvc }}\napiVersion: v1\nkind: PersistentVolumeClaim\nmetadata:\n  name: data\nspec:\n  accessModes: [ReadWriteOnce]\n  resources:\n    requests:\n      storage: 1Gi\n{{- end }}\n",
        ),
        (
            "templates/svc.yaml",
            "{{- if .Values.lb }}\napiVersion: v1\nkind: Service\nmetadata:\n  name: lb\nspec:\n  type: LoadBalancer\n  selector:\n    app: x\n  ports:\n  - port: 80\n{{- end }}\n",
        ),
        (
            "templates/bad.yaml",
            "{{- if .Values.badname }}\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: Bad_Name\n{{- end }}\n",
        ),
        (
            "templates/hookjob.yaml",
            "{{- if .Values.hookjob }}\napiVersion: batch/v1\nkind: Job\nmetadata:\n  name: hookjob\n  annotations:\n    helm.sh/hook: pre-upgrade\n    helm.sh/hook-delete-policy: hook-failed\nspec:\n  template:\n    spec:\n      restartPolicy: Never\n      containers:\n      - name: c\n        image: busybox\n{{- end }}\n",
        ),
        (
            "templates/hooks.yaml",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre-rb\n  annotations:\n    helm.sh/hook: pre-rollback\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: post-rb\n  annotations:\n    helm.sh/hook: post-rollback\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre-del-b\n  annotations:\n    helm.sh/hook: pre-delete\n    helm.sh/hook-weight: \"5\"\n    helm.sh/hook-delete-policy: hook-succeeded\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: pre-del-a\n  annotations:\n    helm.sh/hook: pre-delete\n    helm.sh/hook-weight: \"-5\"\n    helm.sh/hook-delete-policy: hook-succeeded\n---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: post-del\n  annotations:\n    helm.sh/hook: post-delete\n",
        ),
    ];
    for (f, text) in files {
        std::fs::write(c.join(f), text).unwrap();
    }
    c
}

fn gaps_task(kc: &Path, chart: &Path, extra: &str) -> String {
    format!(
        "    - name: gaps\n      kubernetes.core.helm:\n        name: rel\n        chart_ref: {}\n        release_namespace: gaps\n        create_namespace: true\n        kubeconfig: {}\n{extra}",
        chart.display(),
        kc.display()
    )
}

fn writes(server: &kube_test_server::TestServer) -> Vec<String> {
    server
        .take_requests()
        .into_iter()
        .filter(|r| r.is_write())
        .map(|r| format!("{} {}", r.method, r.path))
        .collect()
}

/// `--check` dry-runs every object on the server (dryRun=All), lists what
/// would change and writes nothing; `--diff` shows one entry per changed
/// object with Secret values redacted; a server-side validation error
/// surfaces in check mode.
#[test]
fn check_mode_server_dry_run_and_per_object_diff() {
    let Some(kts) = Kts::start("check") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = gaps_chart(&kts.dir);
    kts.server.take_requests();
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), true));
    assert_eq!(st, Status::Changed, "{r}");
    let changes = r["changes"].as_array().expect("changes");
    let has = |action: &str, kind: &str, name: &str| {
        changes
            .iter()
            .any(|c| c["action"] == action && c["kind"] == kind && c["name"] == name)
    };
    assert!(has("create", "Namespace", "gaps"), "{changes:?}");
    assert!(has("create", "ConfigMap", "rel-cfg"), "{changes:?}");
    assert!(has("create", "Secret", "rel-creds"), "{changes:?}");
    assert_eq!(writes(&kts.server), Vec::<String>::new());
    assert!(release_secrets(&kts.server, "gaps", "rel").is_empty());

    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), false));
    assert_eq!(st, Status::Changed, "{r}");

    // Against the deployed release: dry-run requests reach the server, writes do not.
    kts.server.take_requests();
    let changed = "        values:\n          greeting: bye\n          password: new-s3cret\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, changed), true));
    assert_eq!(st, Status::Changed, "{r}");
    let dry_runs = kts
        .server
        .requests()
        .iter()
        .filter(|q| q.method == "PATCH" && q.query.contains("dryRun=All"))
        .count();
    assert!(dry_runs >= 2, "expected server-side dry runs");
    assert_eq!(writes(&kts.server), Vec::<String>::new());
    let changes = r["changes"].as_array().unwrap();
    let action_of = |name: &str| {
        changes
            .iter()
            .find(|c| c["name"] == name)
            .map(|c| c["action"].as_str().unwrap().to_string())
    };
    assert_eq!(
        action_of("rel-cfg").as_deref(),
        Some("update"),
        "{changes:?}"
    );
    assert_eq!(action_of("rel-creds").as_deref(), Some("update"));
    let diffs = r["diff"].as_array().expect("per-object diff list");
    assert_eq!(diffs.len(), 2, "{diffs:?}");
    let cm = diffs
        .iter()
        .find(|d| d["before_header"] == "ConfigMap gaps/rel-cfg (gaps/templates/cm.yaml)")
        .expect("a diff entry for the ConfigMap");
    assert!(
        cm["after"].as_str().unwrap().contains("greeting: bye"),
        "{cm}"
    );
    assert!(
        diffs
            .iter()
            .any(|d| d["before_header"] == "Secret gaps/rel-creds (gaps/templates/secret.yaml)")
    );
    // (`status.values` echoes the user's own values, as kubernetes.core does.)
    let text = serde_json::to_string(&(&r["diff"], &r["changes"])).unwrap();
    assert!(
        !text.contains("new-s3cret") && !text.contains("hunter2-initial"),
        "a Secret value leaked into the diff: {text}"
    );
    assert!(text.contains("(changed)"), "{text}");
    assert_eq!(
        release_secrets(&kts.server, "gaps", "rel"),
        [(1, "deployed".into())]
    );

    // The API server rejects an invalid object during the dry run.
    let bad = "        values:\n          badname: true\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, bad), true));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("Bad_Name"), "{r}");
    assert_eq!(writes(&kts.server), Vec::<String>::new());

    // Identical in check mode: ok, no changes listed.
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), true));
    assert_eq!(st, Status::Ok, "{r}");
}

fn patch_status(kc: &Path, kind: &str, plural: &str, name: &str, status: serde_json::Value) {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let config = kube::Config::from_custom_kubeconfig(
            kube::config::Kubeconfig::read_from(kc).unwrap(),
            &Default::default(),
        )
        .await
        .unwrap();
        let _ = rustls::crypto::ring::default_provider().install_default();
        let client = kube::Client::try_from(config).unwrap();
        let ar = kube::core::ApiResource {
            group: String::new(),
            version: "v1".into(),
            api_version: "v1".into(),
            kind: kind.into(),
            plural: plural.into(),
        };
        let api: kube::Api<kube::core::DynamicObject> =
            kube::Api::namespaced_with(client, "gaps", &ar);
        api.patch_status(
            name,
            &kube::api::PatchParams::default(),
            &kube::api::Patch::Merge(serde_json::json!({ "status": status })),
        )
        .await
        .unwrap();
    });
}

/// `wait` covers PVCs (Bound) and LoadBalancer Services (ingress) and names
/// what is not ready; `atomic` rolls a failed upgrade back (running the
/// rollback hooks); uninstall runs pre-delete hooks by weight and
/// post-delete hooks, honouring delete policies.
#[test]
fn wait_pvc_and_service_atomic_upgrade_and_hooks() {
    let Some(kts) = Kts::start("wait") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = gaps_chart(&kts.dir);
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), false));
    assert_eq!(st, Status::Changed, "{r}");

    // Upgrade adding a PVC and a LoadBalancer nobody provisions: the wait
    // times out naming both, atomic rolls back to revision 1.
    let upgrade = "        wait: true\n        wait_timeout: 1s\n        atomic: true\n        values:\n          pvc: true\n          lb: true\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, upgrade), false));
    assert_eq!(st, Status::Failed, "{r}");
    let msg = r["msg"].as_str().unwrap();
    assert!(msg.contains("atomic"), "{msg}");
    assert!(
        msg.contains("PersistentVolumeClaim gaps/data (phase Pending)"),
        "{msg}"
    );
    assert!(
        msg.contains("Service gaps/lb (load balancer has no ingress address yet)"),
        "{msg}"
    );
    let secrets = release_secrets(&kts.server, "gaps", "rel");
    assert_eq!(
        secrets,
        [
            (1, "superseded".into()),
            (2, "failed".into()),
            (3, "deployed".into())
        ]
    );
    no_pending(&secrets);
    assert!(
        kts.server
            .object("v1", "PersistentVolumeClaim", Some("gaps"), "data")
            .is_none(),
        "rollback removes what revision 1 did not have"
    );
    for hook in ["pre-rb", "post-rb"] {
        assert!(
            kts.server
                .object("v1", "ConfigMap", Some("gaps"), hook)
                .is_some(),
            "{hook} hook did not run"
        );
    }

    // Provisioned: the same wait succeeds.
    let add = "        values:\n          pvc: true\n          lb: true\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, add), false));
    assert_eq!(st, Status::Changed, "{r}");
    patch_status(
        &kc,
        "PersistentVolumeClaim",
        "persistentvolumeclaims",
        "data",
        serde_json::json!({"phase": "Bound"}),
    );
    patch_status(
        &kc,
        "Service",
        "services",
        "lb",
        serde_json::json!({"loadBalancer": {"ingress": [{"ip": "192.0.2.10"}]}}),
    );
    let waited = "        wait: true\n        wait_timeout: 5s\n        values:\n          pvc: true\n          lb: true\n          greeting: ready\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, waited), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(r["status"]["revision"], "5");

    // Uninstall: pre-delete hooks by weight (a before b), deleted on
    // success; the post-delete hook keeps its object (default policy).
    kts.server.take_requests();
    let (st, r) = result(&play(
        &kts.dir,
        &gaps_task(&kc, &chart, "        release_state: absent\n"),
        false,
    ));
    assert_eq!(st, Status::Changed, "{r}");
    let log: Vec<String> = kts
        .server
        .requests()
        .into_iter()
        .map(|q| format!("{} {}", q.method, q.path))
        .collect();
    let pos = |needle: &str| {
        log.iter()
            .position(|l| l.starts_with("PATCH") && l.ends_with(needle))
            .unwrap_or_else(|| panic!("{needle} not applied: {log:?}"))
    };
    let deleted_cfg = log
        .iter()
        .position(|l| l.starts_with("DELETE") && l.ends_with("/configmaps/rel-cfg"))
        .expect("release objects deleted");
    assert!(pos("/configmaps/pre-del-a") < pos("/configmaps/pre-del-b"));
    assert!(pos("/configmaps/pre-del-b") < deleted_cfg);
    assert!(deleted_cfg < pos("/configmaps/post-del"));
    let cm = |n: &str| kts.server.object("v1", "ConfigMap", Some("gaps"), n);
    assert!(cm("pre-del-a").is_none() && cm("pre-del-b").is_none());
    assert!(cm("post-del").is_some());
    assert!(release_secrets(&kts.server, "gaps", "rel").is_empty());
}

/// An API failure in the middle of an install (fault injection: the
/// server answers 500 to applying one object) leaves the revision
/// `failed`, never `pending-install`, so the next run can proceed.
#[test]
fn failed_apply_leaves_failed_not_pending() {
    let Some(kts) = Kts::start("fault") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = gaps_chart(&kts.dir);
    kts.server.faults().add(
        kube_test_server::FaultRule::new(
            "/configmaps/rel-cfg",
            kube_test_server::FaultAction::Status {
                code: 500,
                retry_after: None,
            },
        )
        .method("PATCH"),
    );
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), false));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"]
            .as_str()
            .unwrap()
            .contains("ConfigMap gaps/rel-cfg"),
        "{r}"
    );
    let secrets = release_secrets(&kts.server, "gaps", "rel");
    assert_eq!(secrets, [(1, "failed".into())]);
    kts.server.faults().clear();
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(
        release_secrets(&kts.server, "gaps", "rel"),
        [(1, "failed".into()), (2, "deployed".into())]
    );
}

/// `helm_repository` registers a classic repository by name in Helm's
/// repositories.yaml, `helm` installs `<repo>/<chart>` through it; bad
/// input fails clearly and leaves no release record behind: wrong
/// password (auth failure), tampered archive (digest mismatch), unknown
/// version (lists the available ones); removal is idempotent.
#[test]
fn helm_repository_and_named_repo_installs() {
    let Some(kts) = Kts::start("repo") else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart_dir = gaps_chart(&kts.dir);
    let (archive, _, version) = stackbook_helm::source::package::package_dir(&chart_dir).unwrap();
    let digest = stackbook_helm::source::sha256_digest(&archive);
    let index = format!(
        "apiVersion: v1\nentries:\n  gaps:\n  - version: {version}\n    urls: [gaps-{version}.tgz]\n    digest: {d}\n  - version: 0.0.9\n    urls: [gaps-0.0.9.tgz]\n    digest: {d}\n",
        d = &digest[7..]
    );
    let repo = common::StaticRepo::start(
        vec![
            ("/charts/index.yaml".into(), index.into_bytes()),
            (format!("/charts/gaps-{version}.tgz"), archive),
            ("/charts/gaps-0.0.9.tgz".into(), b"tampered".to_vec()),
        ],
        "deploy:s3cret-pw",
    );
    let env = format!(
        "      environment:\n        HELM_REPOSITORY_CONFIG: {d}/helm/repositories.yaml\n        HELM_REPOSITORY_CACHE: {d}/helm/cache\n        XDG_CACHE_HOME: {d}/cache\n",
        d = kts.dir.display()
    );
    let repo_file = kts.dir.join("helm/repositories.yaml");
    let repo_task = |password: &str, extra: &str| {
        format!(
            "    - name: repo\n      kubernetes.core.helm_repository:\n        name: internal\n        repo_url: http://{}/charts\n        repo_username: deploy\n        repo_password: {password}\n{extra}{env}",
            repo.addr
        )
    };
    // Check mode: would add, writes nothing.
    let (st, r) = result(&play(&kts.dir, &repo_task("s3cret-pw", ""), true));
    assert_eq!(st, Status::Changed, "{r}");
    assert!(!repo_file.exists());
    // Added: Helm's file (mode 0600) and Helm's index cache.
    let (st, r) = result(&play(&kts.dir, &repo_task("s3cret-pw", ""), false));
    assert_eq!(st, Status::Changed, "{r}");
    assert!(
        !r.to_string().contains("s3cret-pw"),
        "password in result: {r}"
    );
    let text = std::fs::read_to_string(&repo_file).unwrap();
    assert!(
        text.contains(&format!("url: http://{}/charts", repo.addr))
            && text.contains("name: internal"),
        "{text}"
    );
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt as _;
        let mode = std::fs::metadata(&repo_file).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }
    assert!(kts.dir.join("helm/cache/internal-index.yaml").exists());
    // Same settings again: ok.
    let (st, r) = result(&play(&kts.dir, &repo_task("s3cret-pw", ""), false));
    assert_eq!(st, Status::Ok, "{r}");
    // Different password without force_update: refused, the value never shown.
    let (st, r) = result(&play(&kts.dir, &repo_task("other-pw", ""), false));
    assert_eq!(st, Status::Failed, "{r}");
    let msg = r["msg"].as_str().unwrap();
    assert!(
        msg.contains("password") && msg.contains("force_update"),
        "{msg}"
    );
    assert!(
        !msg.contains("other-pw") && !msg.contains("s3cret-pw"),
        "{msg}"
    );
    // With force_update the repository must accept the new password: it does
    // not, so the module fails with the auth error and the file is unchanged.
    let (st, r) = result(&play(
        &kts.dir,
        &repo_task("other-pw", "        force_update: true\n"),
        false,
    ));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"]
            .as_str()
            .unwrap()
            .contains("authentication failed (HTTP 401)"),
        "{r}"
    );
    assert_eq!(std::fs::read_to_string(&repo_file).unwrap(), text);

    // Install through the named repository.
    let helm = |extra: &str| {
        format!(
            "    - name: install\n      kubernetes.core.helm:\n        name: rel\n        chart_ref: internal/gaps\n        release_namespace: gaps\n        create_namespace: true\n        kubeconfig: {}\n{extra}{env}",
            kc.display()
        )
    };
    let (st, r) = result(&play(
        &kts.dir,
        &helm(&format!("        chart_version: \"~{version}\"\n")),
        false,
    ));
    assert_eq!(st, Status::Changed, "{r}");
    assert_eq!(r["status"]["chart"], format!("gaps-{version}"));
    // Digest mismatch: clear error, no new record.
    let (st, r) = result(&play(
        &kts.dir,
        &helm("        chart_version: 0.0.9\n"),
        false,
    ));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"].as_str().unwrap().contains("digest mismatch"),
        "{r}"
    );
    // Unknown version: lists what exists.
    let (st, r) = result(&play(
        &kts.dir,
        &helm("        chart_version: 9.9.9\n"),
        false,
    ));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"]
            .as_str()
            .unwrap()
            .contains(&format!("available: {version}, 0.0.9")),
        "{r}"
    );
    // Unknown repository name.
    let other = helm("").replace("internal/gaps", "nosuch/gaps");
    let (st, r) = result(&play(&kts.dir, &other, false));
    assert_eq!(st, Status::Failed, "{r}");
    assert!(
        r["msg"].as_str().unwrap().contains("known: internal"),
        "{r}"
    );
    let secrets = release_secrets(&kts.server, "gaps", "rel");
    assert_eq!(secrets, [(1, "deployed".into())]);

    // Removal, then idempotent.
    let absent = repo_task("s3cret-pw", "        repo_state: absent\n");
    let (st, _) = result(&play(&kts.dir, &absent, false));
    assert_eq!(st, Status::Changed);
    assert!(
        !std::fs::read_to_string(&repo_file)
            .unwrap()
            .contains("internal")
    );
    assert!(!kts.dir.join("helm/cache/internal-index.yaml").exists());
    let (st, _) = result(&play(&kts.dir, &absent, false));
    assert_eq!(st, Status::Ok);
}

/// A registry nobody answers on: the task is reported unreachable and the
/// run exits 4 (as for an unreachable cluster); nothing is recorded.
#[test]
fn unreachable_registry_exits_4() {
    let Some(kts) = Kts::start("unreach") else {
        return;
    };
    let kc = kts.kubeconfig();
    let task = helm_task(
        &kc,
        "oci://127.0.0.1:9/charts/pgo",
        "        chart_version: 5.8.5\n        plain_http: true\n",
    );
    let (events, rc) = play_rc(&kts.dir, &task, false);
    let (st, r) = result(&events);
    assert_eq!(st, Status::Unreachable, "{r}");
    assert!(r["msg"].as_str().unwrap().contains("127.0.0.1:9"), "{r}");
    assert_eq!(rc, 4);
    assert!(release_secrets(&kts.server, "postgres-operator", "pgo").is_empty());

    // An API server nobody answers on: unreachable too.
    let dead = kts.dir.join("dead-kubeconfig");
    let text = std::fs::read_to_string(&kc).unwrap();
    let url = kts.server.url();
    let port = url.rsplit(':').next().unwrap().trim_end_matches('/');
    std::fs::write(&dead, text.replace(&format!(":{port}"), ":9")).unwrap();
    let task = helm_task(&dead, &pgo_dir().display().to_string(), "");
    let (events, rc) = play_rc(&kts.dir, &task, false);
    let (st, r) = result(&events);
    assert_eq!(st, Status::Unreachable, "{r}");
    assert_eq!(rc, 4);
}

/// A failing hook (a pre-upgrade Job nobody completes: no Job controller)
/// fails the upgrade naming the hook; its `hook-failed` delete policy
/// removes the Job; the revision is `failed`, not pending.
#[test]
fn failing_hook_with_hook_failed_policy() {
    let controllers = kube_test_server::Controllers {
        jobs: None,
        ..kube_test_server::Controllers::default()
    };
    let Some(kts) = Kts::start_with(
        "hookfail",
        kube_test_server::Config::default().controllers(controllers),
    ) else {
        return;
    };
    let kc = kts.kubeconfig();
    let chart = gaps_chart(&kts.dir);
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, ""), false));
    assert_eq!(st, Status::Changed, "{r}");
    let up = "        wait_timeout: 1s\n        values:\n          hookjob: true\n";
    let (st, r) = result(&play(&kts.dir, &gaps_task(&kc, &chart, up), false));
    assert_eq!(st, Status::Failed, "{r}");
    let msg = r["msg"].as_str().unwrap();
    assert!(
        msg.contains("pre-upgrade hook hookjob (gaps/templates/hookjob.yaml) failed")
            && msg.contains("Job gaps/hookjob (0/1 completions)"),
        "{msg}"
    );
    assert!(
        kts.server
            .object("batch/v1", "Job", Some("gaps"), "hookjob")
            .is_none(),
        "hook-failed policy must delete the Job"
    );
    assert_eq!(
        release_secrets(&kts.server, "gaps", "rel"),
        [(1, "deployed".into()), (2, "failed".into())]
    );
}
