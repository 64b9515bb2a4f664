//! Running a playbook through the engine with the k8s modules registered, and reading back
//! what happened.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use kube_test_server::{Config, TestServer};
use serde_json::Value as Json;
use stackbook_engine::event::{CollectingSink, Event, Status};
use stackbook_engine::exec::{RunContext, run_playbook};
use stackbook_engine::inventory::Inventory;
use stackbook_engine::load::load_playbook;
use stackbook_engine::modules::Registry;
use stackbook_engine::output::redact::Redactor;
use stackbook_engine::{ExitCode, RunOptions};
use stackbook_template::Templar;

/// A fresh API server and a scratch directory for playbooks.
pub struct Env {
    pub server: TestServer,
    pub kubeconfig: PathBuf,
    pub dir: tempfile::TempDir,
}

impl Env {
    pub fn new() -> Env {
        Env::with(Config::default())
    }

    pub fn with(config: Config) -> Env {
        let server = TestServer::start_blocking(config).expect("test server starts");
        let kubeconfig = server.kubeconfig_path().expect("kubeconfig written");
        Env {
            server,
            kubeconfig,
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// Writes `tasks` (YAML list items, indented by 4) into a playbook with
    /// `k3s_kubeconfig_path` set, and runs it.
    pub fn play(&self, tasks: &str, options: &RunOptions) -> Outcome {
        let playbook = format!(
            "- hosts: localhost\n  gather_facts: false\n  vars:\n    k3s_kubeconfig_path: \"{}\"\n  tasks:\n{tasks}",
            self.kubeconfig.display()
        );
        run(self.dir.path(), &playbook, options)
    }

    /// Waits until the simulated controllers stop writing (resourceVersion stable for 200 ms)
    /// and returns the resourceVersion.
    pub fn settle(&self) -> u64 {
        let mut last = self.server.resource_version();
        for _ in 0..50 {
            std::thread::sleep(std::time::Duration::from_millis(200));
            let now = self.server.resource_version();
            if now == last {
                return now;
            }
            last = now;
        }
        last
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.path().join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("mkdir");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }
}

/// One task result.
#[derive(Debug, Clone)]
pub struct TaskResult {
    pub task: String,
    pub status: Status,
    pub result: Json,
}

/// What a run produced.
#[derive(Debug)]
pub struct Outcome {
    pub code: ExitCode,
    pub results: Vec<TaskResult>,
}

impl Outcome {
    pub fn result(&self, task: &str) -> &TaskResult {
        self.results
            .iter()
            .find(|r| r.task == task)
            .unwrap_or_else(|| panic!("no result for task {task:?}: {:#?}", self.results))
    }

    /// One line per task (status, changed, msg) for assertion messages.
    pub fn summary(&self) -> String {
        self.results
            .iter()
            .map(|r| {
                format!(
                    "{}: {:?} msg={}\n",
                    r.task,
                    r.status,
                    r.result.get("msg").cloned().unwrap_or_default()
                )
            })
            .collect()
    }

    pub fn count(&self, status: Status) -> usize {
        self.results.iter().filter(|r| r.status == status).count()
    }
}

pub fn options() -> RunOptions {
    RunOptions {
        forks: 1,
        ..RunOptions::default()
    }
}

pub fn run(dir: &Path, playbook: &str, options: &RunOptions) -> Outcome {
    let path = dir.join("site.yml");
    std::fs::write(&path, playbook).expect("write playbook");
    let mut registry = Registry::builtin();
    stackbook_k8s::register(&mut registry);
    let loaded = load_playbook(&path, &registry).expect("playbook loads");
    let mut sink = CollectingSink::default();
    let mut context = RunContext {
        registry: &registry,
        templar: Templar::default(),
        options,
        inventory: Inventory::implicit(),
        sink: &mut sink,
        redactor: Arc::new(Redactor::new()),
        decryptor: None,
    };
    let code = run_playbook(&loaded, &mut context).expect("run completes");
    let results = sink
        .events
        .iter()
        .filter_map(|event| match event {
            Event::HostResult {
                task,
                status,
                result,
                ..
            } => Some(TaskResult {
                task: task.clone(),
                status: *status,
                result: result.clone(),
            }),
            _ => None,
        })
        .collect();
    Outcome { code, results }
}

/// The real PGO PostgresCluster CRD from the shared charts.
pub fn pgo_crd_path() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(
        "../../../shared/charts/pgo/crds/postgres-operator.crunchydata.com_postgresclusters.yaml",
    )
}

/// A GET against the server with the test's kubeconfig, through kube directly (to check what
/// the modules did without trusting them).
pub fn get(env: &Env, path: &str) -> Option<Json> {
    let yaml = env.server.kubeconfig_yaml();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime");
    runtime.block_on(async {
        let kubeconfig = kube::config::Kubeconfig::from_yaml(&yaml).ok()?;
        let config = kube::Config::from_custom_kubeconfig(kubeconfig, &Default::default())
            .await
            .ok()?;
        let client = kube::Client::try_from(config).ok()?;
        let request = http::Request::get(path).body(Vec::new()).ok()?;
        let text = client.request_text(request).await.ok()?;
        serde_json::from_str(&text).ok()
    })
}
