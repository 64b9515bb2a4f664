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
        let server =
            kube_test_server::TestServer::start_blocking(kube_test_server::Config::default())
                .expect("start kube-test-server");
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
    run_playbook(&loaded, &mut context).unwrap_or_else(|e| panic!("run: {e}"));
    sink.events
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
    assert!(
        r["diff"]["after"]
            .as_str()
            .unwrap()
            .contains("value: \"true\""),
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
