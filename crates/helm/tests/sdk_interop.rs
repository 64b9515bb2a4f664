//! Interop with the real Helm SDK (helm-python-sdk 0.2.2 = Helm v4.2.3)
//! against the kube-test-server TEST DOUBLE: the SDK lists, reads and
//! upgrades a release stackbook installed, and stackbook upgrades a release
//! the SDK installed. Needs the oracle venv (`tests/setup-oracle.sh`);
//! skipped without it unless `CI` is set.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use serde_json::{Value as Json, json};
use stackbook_helm::install::{Cluster, InstallRequest, upgrade_install};
use stackbook_helm::release::Status;
use stackbook_helm::values::UserValues;
use stackbook_helm::{Value, load_chart};

const NS: &str = "interop";

fn chart_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/relchart")
}

fn python() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.oracle-venv/bin/python");
    let ok = Command::new(&p)
        .args(["-c", "import helm_python"])
        .status()
        .is_ok_and(|s| s.success());
    if ok {
        return Some(p);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "Helm SDK missing: run crates/helm/tests/setup-oracle.sh"
    );
    eprintln!("SKIP: Helm SDK not installed (crates/helm/tests/setup-oracle.sh)");
    None
}

struct Kts {
    server: kube_test_server::TestServer,
}

impl Kts {
    fn start() -> Kts {
        let server =
            kube_test_server::TestServer::start_blocking(kube_test_server::Config::default())
                .expect("start kube-test-server");
        Kts { server }
    }
}

fn sdk(py: &Path, kc: &Path, action: &str, name: &str, values: Option<Json>) -> Json {
    sdk_chart(py, kc, action, name, values, &chart_dir())
}

fn sdk_chart(
    py: &Path,
    kc: &Path,
    action: &str,
    name: &str,
    values: Option<Json>,
    chart: &Path,
) -> Json {
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_interop.py");
    // Helm names its server-side-apply field manager after argv[0] (the
    // `helm` CLI is "helm", the Python host would be "python"); run the SDK
    // with argv[0] = "helm" so it behaves like the CLI users run.
    let site = Command::new(py)
        .args(["-c", "import site; print(site.getsitepackages()[0])"])
        .output()
        .unwrap();
    let mut cmd = Command::new("bash");
    cmd.args(["-c", "exec -a helm \"$0\" \"$@\""])
        .arg(py)
        .env("PYTHONPATH", String::from_utf8_lossy(&site.stdout).trim())
        .arg(script)
        .arg(kc)
        .args([NS, action, name]);
    if let Some(v) = values {
        cmd.arg(chart).arg(v.to_string());
    }
    let out = cmd.output().unwrap();
    assert!(
        out.status.success(),
        "SDK {action}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn install(rt: &tokio::runtime::Runtime, kc: &Path, name: &str, values: &str) -> (bool, i64) {
    install_chart(rt, kc, name, values, &chart_dir())
}

fn install_chart(
    rt: &tokio::runtime::Runtime,
    kc: &Path,
    name: &str,
    values: &str,
    dir: &Path,
) -> (bool, i64) {
    let chart = load_chart(dir).unwrap();
    let mut uv = UserValues::new();
    uv.add_yaml("values", values).unwrap();
    let values: Value = uv.to_value();
    rt.block_on(async {
        let c = Cluster::connect(Some(kc), None).await.unwrap();
        let req = InstallRequest {
            name,
            namespace: NS,
            chart: &chart,
            values: &values,
            create_namespace: true,
            wait: true,
            timeout: Duration::from_secs(60),
            atomic: false,
            skip_crds: false,
            dry_run: false,
            max_history: None,
        };
        let out = upgrade_install(&c, &req).await.unwrap();
        (out.changed, out.release.unwrap().version)
    })
}

fn history(rt: &tokio::runtime::Runtime, kc: &Path, name: &str) -> Vec<(i64, Status)> {
    rt.block_on(async {
        let c = Cluster::connect(Some(kc), None).await.unwrap();
        c.history(NS, name).await.unwrap()
    })
    .into_iter()
    .map(|r| (r.version, r.info.status))
    .collect()
}

#[test]
fn sdk_and_stackbook_share_releases() {
    let Some(py) = python() else { return };
    let kts = Kts::start();
    let kc = kts.server.kubeconfig_path().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();

    // stackbook installs; the SDK lists, reads values, upgrades.
    assert_eq!(
        install(&rt, &kc, "sbrel", "greeting: from-stackbook\n"),
        (true, 1)
    );
    let list = sdk(&py, &kc, "list", "", None);
    let entry = list
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["name"] == "sbrel")
        .unwrap_or_else(|| panic!("SDK does not list sbrel: {list}"));
    assert_eq!(entry["status"], "deployed", "{entry}");
    assert_eq!(entry["revision"], 1);
    assert_eq!(entry["chart_version"], "0.3.1");
    let values = sdk(&py, &kc, "get_values", "sbrel", None);
    assert_eq!(values, json!({"greeting": "from-stackbook"}), "{values}");
    let up = sdk(
        &py,
        &kc,
        "upgrade",
        "sbrel",
        Some(json!({"greeting": "from-sdk"})),
    );
    assert_eq!(up["revision"], 2, "{up}");
    assert_eq!(
        history(&rt, &kc, "sbrel"),
        [(1, Status::Superseded), (2, Status::Deployed)]
    );
    // stackbook sees the SDK's revision as current: same values -> no change.
    assert_eq!(
        install(&rt, &kc, "sbrel", "greeting: from-sdk\n"),
        (false, 2)
    );

    // The SDK installs; stackbook upgrades; the SDK sees the new revision.
    sdk(
        &py,
        &kc,
        "install",
        "sdkrel",
        Some(json!({"greeting": "hi"})),
    );
    assert_eq!(install(&rt, &kc, "sdkrel", "greeting: bye\n"), (true, 2));
    let h = sdk(&py, &kc, "history", "sdkrel", None);
    let statuses: Vec<_> = h
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["revision"].as_i64().unwrap(),
                r["status"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        statuses,
        [(1, "superseded".to_string()), (2, "deployed".to_string())],
        "{h}"
    );
    assert_eq!(
        sdk(&py, &kc, "get_values", "sdkrel", None),
        json!({"greeting": "bye"})
    );
    // stackbook uninstalls it; the SDK no longer lists it. (The SDK's own
    // uninstall is not exercised: the test double rejects the protobuf
    // DeleteOptions body client-go sends when purging release Secrets.)
    rt.block_on(async {
        let c = Cluster::connect(Some(&kc), None).await.unwrap();
        stackbook_helm::install::uninstall(&c, "sdkrel", NS, false, Duration::from_secs(60))
            .await
            .unwrap()
    });
    assert!(history(&rt, &kc, "sdkrel").is_empty());
    let list = sdk(&py, &kc, "list", "", None);
    assert!(
        !list
            .as_array()
            .unwrap()
            .iter()
            .any(|r| r["name"] == "sdkrel"),
        "{list}"
    );
}

/// Benchmark (run with `--ignored --nocapture`): installing the real PGO
/// chart from a local directory into the test double, stackbook vs the Helm
/// SDK in the same run, no wait. stackbook's time includes loading and
/// rendering the chart; the SDK's is its install action alone.
#[test]
#[ignore]
fn bench_pgo_install_vs_sdk() {
    let Some(py) = python() else { return };
    // One fresh server each: PGO's cluster-scoped objects have fixed names.
    let (ours_server, sdk_server) = (Kts::start(), Kts::start());
    let kc = ours_server.server.kubeconfig_path().unwrap();
    let sdk_kc = sdk_server.server.kubeconfig_path().unwrap();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let pgo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/charts/pgo")
        .canonicalize()
        .unwrap();
    // Like the SDK's timing: the chart is loaded before the clock starts.
    let chart = load_chart(&pgo).unwrap();
    let values = Value::empty_map();
    let t = std::time::Instant::now();
    let (changed, phases) = rt.block_on(async {
        let c = Cluster::connect(Some(&kc), None).await.unwrap();
        let connected = t.elapsed();
        let req = InstallRequest {
            name: "pgo-sb",
            namespace: NS,
            chart: &chart,
            values: &values,
            create_namespace: true,
            wait: false,
            timeout: Duration::from_secs(60),
            atomic: false,
            skip_crds: false,
            dry_run: false,
            max_history: None,
        };
        let out = upgrade_install(&c, &req).await.unwrap();
        (out.changed, connected)
    });
    assert!(changed);
    let ours = t.elapsed().as_secs_f64();
    eprintln!("stackbook: connect + discovery {phases:?}");
    let out = sdk_chart(&py, &sdk_kc, "install", "pgo-sdk", Some(json!({})), &pgo);
    let theirs = out["_elapsed_s"].as_f64().unwrap();
    eprintln!(
        "PGO install into kube-test-server: stackbook {ours:.3}s, Helm SDK {theirs:.3}s, ratio {:.2}x",
        theirs / ours
    );
}

/// Benchmark (run with `--ignored --nocapture`; needs the registry from
/// `scripts/setup-registry.sh` and the SDK): the real PGO chart pushed to
/// the local OCI registry, then installed into fresh test-double servers,
/// pull included, stackbook vs the Helm SDK in the same run — once with a
/// cold chart cache and once warm. Prints the ratios and the bytes
/// stackbook downloaded on the warm run (the target is zero).
#[test]
#[ignore]
fn bench_pgo_install_from_registry_vs_sdk() {
    use stackbook_helm::source::{self, Cache, ChartRef, FetchOptions};
    let Some(py) = python() else { return };
    let addr = std::env::var("STACKBOOK_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5055".into());
    if std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "registry {addr} not running"
        );
        eprintln!("SKIP: no registry at {addr} (scripts/setup-registry.sh)");
        return;
    }
    let pgo = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../../../shared/charts/pgo")
        .canonicalize()
        .unwrap();
    let (archive, _, version) = source::package::package_dir(&pgo).unwrap();
    let repo = format!("oci://{addr}/bench{}", std::process::id());
    let cache_dir = std::env::temp_dir().join(format!("sb-helm-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&cache_dir);
    let opts = FetchOptions {
        cache: Cache::new(&cache_dir),
        plain_http: true,
        registry_config: Some(cache_dir.join("none.json")),
        ..Default::default()
    };
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        opts.oci_client(&addr)?
            .push(&source::reference::parse_oci(&repo)?, &archive)
            .await
    })
    .unwrap();
    let chart_ref = format!("{repo}/pgo");
    let reference = ChartRef::parse(&chart_ref).unwrap();
    let values = Value::empty_map();
    // stackbook: pull (through the cache) + load + connect + install.
    let ours = |label: &str| -> (f64, u64) {
        let kts = Kts::start();
        let kc = kts.server.kubeconfig_path().unwrap();
        let t = std::time::Instant::now();
        let downloaded = rt.block_on(async {
            let f = source::fetch(&reference, &version, &opts).await.unwrap();
            let chart = stackbook_helm::chart::load_archive(&f.archive, "pgo").unwrap();
            let c = Cluster::connect(Some(&kc), None).await.unwrap();
            let req = InstallRequest {
                name: "pgo",
                namespace: NS,
                chart: &chart,
                values: &values,
                create_namespace: true,
                wait: false,
                timeout: Duration::from_secs(60),
                atomic: false,
                skip_crds: false,
                dry_run: false,
                max_history: None,
            };
            assert!(upgrade_install(&c, &req).await.unwrap().changed);
            f.downloaded_bytes
        });
        let secs = t.elapsed().as_secs_f64();
        eprintln!("stackbook {label}: {secs:.3}s, {downloaded} bytes downloaded");
        (secs, downloaded)
    };
    let sdk_install = |label: &str| -> f64 {
        let kts = Kts::start();
        let kc = kts.server.kubeconfig_path().unwrap();
        let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk_interop.py");
        let out = Command::new(&py)
            .arg(script)
            .arg(&kc)
            .args([NS, "install", "pgo", &chart_ref, "{}", &version])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "SDK install: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let j: Json = serde_json::from_slice(&out.stdout).unwrap();
        let secs = j["_elapsed_s"].as_f64().unwrap();
        eprintln!("Helm SDK  {label}: {secs:.3}s");
        secs
    };
    let (cold, cold_bytes) = ours("cold cache");
    let sdk_cold = sdk_install("first pull");
    let (warm, warm_bytes) = ours("warm cache");
    let sdk_warm = sdk_install("second pull");
    eprintln!(
        "PGO {version} from {chart_ref} into kube-test-server: cold stackbook {cold:.3}s vs SDK {sdk_cold:.3}s ({:.2}x), warm stackbook {warm:.3}s vs SDK {sdk_warm:.3}s ({:.2}x); bytes downloaded: cold {cold_bytes}, warm {warm_bytes}",
        sdk_cold / cold,
        sdk_warm / warm
    );
    assert!(cold_bytes >= archive.len() as u64);
    assert_eq!(warm_bytes, 0, "a warm cache must not download");
    let _ = std::fs::remove_dir_all(&cache_dir);
}
