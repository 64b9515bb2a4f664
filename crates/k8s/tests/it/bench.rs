//! Benchmark (ignored by default): apply the rendered PGO stack — CRDs, RBAC, ServiceAccount,
//! Deployment, Namespaces, Secret, PostgresCluster — with stackbook and with
//! `kubectl apply --server-side`, each against a fresh test server, and print the time ratio
//! and the HTTP requests each made.
//!
//! ```sh
//! scripts/setup-kubectl.sh   # once, as root
//! cargo test --release --test it bench -- --ignored --nocapture
//! ```

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::support::{Env, options};

/// Renders the PGO chart (CRDs included) as `helm template pgo -n postgres-operator` does and
/// adds the seed's objects.
fn stack() -> String {
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/charts/pgo");
    let rendered = stackbook_helm::template(&stackbook_helm::TemplateOptions {
        chart,
        name: "pgo".into(),
        namespace: "postgres-operator".into(),
        include_crds: true,
        ..Default::default()
    })
    .expect("PGO chart renders");
    let seed = r#"---
apiVersion: v1
kind: Namespace
metadata: {name: postgres-operator}
---
apiVersion: v1
kind: Namespace
metadata: {name: database}
---
apiVersion: v1
kind: Secret
metadata: {name: pgo-s3-creds, namespace: database}
type: Opaque
stringData:
  s3.conf: |
    [global]
    repo1-s3-key=AKIAEXAMPLE
    repo1-s3-key-secret=example-secret
---
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata: {name: your-project-db, namespace: database}
spec:
  postgresVersion: 16
  instances:
    - name: instance1
      replicas: 1
      dataVolumeClaimSpec:
        accessModes: ["ReadWriteOnce"]
        resources: {requests: {storage: 5Gi}}
  backups:
    pgbackrest:
      repos:
        - name: repo1
          s3: {bucket: backups, endpoint: s3.example.com, region: fr-par}
  users:
    - name: your-project-user
      databases: [your_project_db]
"#;
    // Namespaces first, as a human would write the file for kubectl.
    format!("{seed}---\n{}", rendered.text)
}

/// Namespaced objects of the rendered chart go to postgres-operator (helm's `-n`).
fn with_namespace(stack: &str) -> String {
    stack.replace(
        "kind: ServiceAccount\nmetadata:\n",
        "kind: ServiceAccount\nmetadata:\n  namespace: postgres-operator\n",
    )
}

fn kubectl_available() -> bool {
    let found = Command::new("kubectl")
        .args(["version", "--client"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is missing in CI: run crates/k8s/scripts/setup-kubectl.sh"
        );
        eprintln!("SKIP: kubectl not installed (crates/k8s/scripts/setup-kubectl.sh)");
    }
    found
}

/// One `kubectl apply --server-side` run; returns (time, requests, success).
fn kubectl_apply(kubeconfig: &Path, file: &Path) -> (Duration, usize, bool, String) {
    let started = Instant::now();
    let output = Command::new("kubectl")
        .env("KUBECONFIG", kubeconfig)
        // kubectl caches discovery under $HOME/.kube: keep it beside the server's kubeconfig.
        .env("HOME", kubeconfig.parent().unwrap_or(&std::env::temp_dir()))
        // --validate=false: the test server's /openapi/v3 does not list CRD groups, so kubectl's
        // validation check for the PostgresCluster falls back to /openapi/v2 (404) and aborts.
        .args([
            "apply",
            "--server-side",
            "--field-manager=kubectl",
            "--validate=false",
            "-v=6",
            "-f",
        ])
        .arg(file)
        .output()
        .expect("kubectl runs");
    let elapsed = started.elapsed();
    let log = String::from_utf8_lossy(&output.stderr).to_string();
    // -v=6 logs one line per request: `... "Response" verb="GET" url="https://..." status="200 OK"`
    // (older kubectl: `GET https://... 200 OK in 3 milliseconds`).
    let requests = log
        .lines()
        .filter(|l| {
            l.contains("\"Response\"")
                || ["GET https", "POST https", "PATCH https", "PUT https"]
                    .iter()
                    .any(|m| l.contains(m))
        })
        .count();
    (elapsed, requests, output.status.success(), log)
}

#[test]
#[ignore = "benchmark: run with --ignored --nocapture (needs kubectl)"]
fn bench_pgo_stack_stackbook_vs_kubectl() {
    if !kubectl_available() {
        return;
    }
    let stack = with_namespace(&stack());
    let objects = stack.matches("\nkind: ").count() + usize::from(stack.starts_with("kind: "));

    // stackbook: one task applying the multi-document file, then again (nothing to change).
    let env = Env::new();
    let file = env.write("stack.yaml", &stack);
    let task = format!(
        // safety_checks: false — kubectl has no backup guard, and s3.example.com is not reachable.
        "    - name: stack\n      kubernetes.core.k8s:\n        kubeconfig: \"{{{{ k3s_kubeconfig_path }}}}\"\n        safety_checks: false\n        src: \"{}\"\n",
        file.display()
    );
    let stackbook = |expect_changed: bool| {
        let before = stackbook_k8s::cluster::total_requests();
        let started = Instant::now();
        let run = env.play(&task, &options());
        let elapsed = started.elapsed();
        assert_eq!(run.code as i32, 0, "{}", run.summary());
        assert_eq!(
            run.result("stack").status == stackbook_engine::event::Status::Changed,
            expect_changed
        );
        (elapsed, stackbook_k8s::cluster::total_requests() - before)
    };
    let (stackbook_time, stackbook_requests) = stackbook(true);
    let (stackbook_again, stackbook_again_requests) = stackbook(false);

    // kubectl: the same file against a fresh server. kubectl cannot map a custom resource
    // whose CRD it creates in the same invocation, so it needs a second run, as in practice.
    let kube_env = Env::new();
    let kube_file = kube_env.write("stack.yaml", &stack);
    let (mut kubectl_time, mut kubectl_requests, ok, log) =
        kubectl_apply(&kube_env.kubeconfig, &kube_file);
    let mut kubectl_runs = 1;
    if !ok {
        let (time, requests, ok, second_log) = kubectl_apply(&kube_env.kubeconfig, &kube_file);
        assert!(ok, "kubectl failed twice:\n{log}\n{second_log}");
        kubectl_time += time;
        kubectl_requests += requests;
        kubectl_runs += 1;
    }
    let (kubectl_again, kubectl_again_requests, ok, log) =
        kubectl_apply(&kube_env.kubeconfig, &kube_file);
    assert!(ok, "kubectl re-apply failed:\n{log}");
    println!("PGO stack: {objects} objects");
    println!(
        "stackbook: {:>8.1} ms, {stackbook_requests} HTTP requests (1 task)",
        stackbook_time.as_secs_f64() * 1e3
    );
    println!(
        "kubectl:   {:>8.1} ms, {kubectl_requests} HTTP requests ({kubectl_runs} invocation(s))",
        kubectl_time.as_secs_f64() * 1e3
    );
    println!(
        "ratio stackbook/kubectl: {:.2}",
        stackbook_time.as_secs_f64() / kubectl_time.as_secs_f64()
    );
    println!(
        "re-apply (no changes): stackbook {:.1} ms / {stackbook_again_requests} requests, \
         kubectl {:.1} ms / {kubectl_again_requests} requests, ratio {:.2}",
        stackbook_again.as_secs_f64() * 1e3,
        kubectl_again.as_secs_f64() * 1e3,
        stackbook_again.as_secs_f64() / kubectl_again.as_secs_f64()
    );
}
