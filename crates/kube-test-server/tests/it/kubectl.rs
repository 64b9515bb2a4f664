//! The real kubectl against the generated kubeconfig: apply --server-side, get, wait, delete.
//!
//! kubectl is found on PATH (the machine image has /usr/bin/kubectl; `scripts/setup-kubectl.sh`
//! installs Debian's kubernetes-client otherwise). Missing kubectl fails under CI, skips otherwise.

use std::path::Path;
use std::process::Command;

use crate::support::{server, shared_dir};

fn kubectl_available() -> bool {
    let found = Command::new("kubectl")
        .arg("version")
        .arg("--client")
        .output()
        .is_ok_and(|o| o.status.success());
    if !found {
        assert!(
            std::env::var_os("CI").is_none(),
            "kubectl is required in CI: run crates/kube-test-server/scripts/setup-kubectl.sh"
        );
        eprintln!("SKIP: kubectl not found on PATH (set CI to make this a failure)");
    }
    found
}

struct Out {
    ok: bool,
    stdout: String,
    stderr: String,
}

fn kubectl(kubeconfig: &Path, args: &[&str], stdin: Option<&str>) -> Out {
    use std::io::Write as _;
    let mut cmd = Command::new("kubectl");
    cmd.env("KUBECONFIG", kubeconfig)
        .env_remove("KUBERNETES_SERVICE_HOST")
        .args(args);
    cmd.stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped());
    let mut child = cmd.spawn().expect("spawn kubectl");
    if let Some(mut pipe) = child.stdin.take() {
        pipe.write_all(stdin.unwrap_or_default().as_bytes())
            .expect("stdin");
    }
    let out = child.wait_with_output().expect("kubectl output");
    Out {
        ok: out.status.success(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

const MANIFEST: &str = "\
apiVersion: v1
kind: Namespace
metadata:
  name: database
---
apiVersion: v1
kind: Secret
metadata:
  name: pgo-s3-creds
  namespace: database
type: Opaque
stringData:
  s3.conf: |
    [global]
    repo1-retention-full=4
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: database
spec:
  replicas: 2
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
      - name: web
        image: nginx:1.27
";

#[tokio::test]
async fn kubectl_apply_get_wait_delete() {
    if !kubectl_available() {
        return;
    }
    let s = server().await;
    let kc = s.kubeconfig_path().expect("kubeconfig");

    let out = kubectl(&kc, &["apply", "--server-side", "-f", "-"], Some(MANIFEST));
    assert!(out.ok, "apply failed: {}", out.stderr);
    assert!(
        out.stdout
            .contains("deployment.apps/web serverside-applied"),
        "{}",
        out.stdout
    );

    // Re-applying the same manifest writes nothing.
    let before = s.resource_version();
    let out = kubectl(&kc, &["apply", "--server-side", "-f", "-"], Some(MANIFEST));
    assert!(out.ok, "{}", out.stderr);
    // Controllers may still be settling the Deployment status; wait for it first, then compare.
    let out = kubectl(
        &kc,
        &[
            "wait",
            "--for=condition=Available",
            "deployment/web",
            "-n",
            "database",
            "--timeout=10s",
        ],
        None,
    );
    assert!(out.ok, "wait: {}", out.stderr);
    let settled = s.resource_version();
    let out = kubectl(&kc, &["apply", "--server-side", "-f", "-"], Some(MANIFEST));
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(
        s.resource_version(),
        settled,
        "idempotent re-apply must not write (before first re-apply: {before})"
    );

    let out = kubectl(
        &kc,
        &[
            "get",
            "secret",
            "pgo-s3-creds",
            "-n",
            "database",
            "-o",
            "jsonpath={.data.s3\\.conf}",
        ],
        None,
    );
    assert!(out.ok, "{}", out.stderr);
    assert_eq!(out.stdout, "W2dsb2JhbF0KcmVwbzEtcmV0ZW50aW9uLWZ1bGw9NAo=");
    // Server-side Table printing: kube-apiserver's columns for Secrets.
    let out = kubectl(
        &kc,
        &["get", "secret", "pgo-s3-creds", "-n", "database"],
        None,
    );
    let rows: Vec<Vec<&str>> = out
        .stdout
        .lines()
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows.first().map(|r| r.as_slice()),
        Some(&["NAME", "TYPE", "DATA", "AGE"][..]),
        "{}",
        out.stdout
    );
    assert_eq!(
        rows.get(1).and_then(|r| r.get(..3)),
        Some(&["pgo-s3-creds", "Opaque", "1"][..])
    );
    let out = kubectl(
        &kc,
        &[
            "get",
            "deploy",
            "-n",
            "database",
            "-o",
            "jsonpath={.items[0].status.readyReplicas}",
        ],
        None,
    );
    assert_eq!(out.stdout, "2", "{}", out.stderr);

    // A different field manager changing an owned field gets the real conflict message.
    let changed = MANIFEST.replace("replicas: 2", "replicas: 5");
    let out = kubectl(
        &kc,
        &["apply", "--server-side", "--field-manager=other", "-f", "-"],
        Some(&changed),
    );
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.replicas"),
        "{}",
        out.stderr
    );
    let out = kubectl(
        &kc,
        &[
            "apply",
            "--server-side",
            "--field-manager=other",
            "--force-conflicts",
            "-f",
            "-",
        ],
        Some(&changed),
    );
    assert!(out.ok, "{}", out.stderr);

    let out = kubectl(&kc, &["delete", "-f", "-"], Some(MANIFEST));
    assert!(out.ok, "delete: {}", out.stderr);
    let out = kubectl(&kc, &["get", "namespace", "database"], None);
    assert!(
        !out.ok && out.stderr.contains("NotFound"),
        "{} {}",
        out.stdout,
        out.stderr
    );
}

#[tokio::test]
async fn kubectl_applies_pgo_crds_and_validates_strictly() {
    if !kubectl_available() {
        return;
    }
    let s = server().await;
    let kc = s.kubeconfig_path().expect("kubeconfig");
    let crds = shared_dir().join("charts/pgo/crds");
    let out = kubectl(
        &kc,
        &[
            "apply",
            "--server-side",
            "-f",
            crds.to_str().expect("utf-8 path"),
        ],
        None,
    );
    assert!(out.ok, "{}", out.stderr);
    let out = kubectl(
        &kc,
        &[
            "wait",
            "--for=condition=Established",
            "crd/postgresclusters.postgres-operator.crunchydata.com",
            "--timeout=10s",
        ],
        None,
    );
    assert!(out.ok, "{}", out.stderr);
    let cluster = "\
apiVersion: v1
kind: Namespace
metadata: {name: database}
---
apiVersion: postgres-operator.crunchydata.com/v1beta1
kind: PostgresCluster
metadata: {name: hippo, namespace: database}
spec:
  postgresVersion: 16
  instances:
  - name: instance1
    replica: 1
    dataVolumeClaimSpec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
  backups:
    pgbackrest:
      repos:
      - name: repo1
        volume:
          volumeClaimSpec:
            accessModes: [ReadWriteOnce]
            resources: {requests: {storage: 1Gi}}
";
    let out = kubectl(&kc, &["apply", "--server-side", "-f", "-"], Some(cluster));
    assert!(!out.ok);
    assert!(
        out.stderr
            .contains("strict decoding error: unknown field \"spec.instances[0].replica\""),
        "{}",
        out.stderr
    );
    let out = kubectl(
        &kc,
        &["apply", "--server-side", "--validate=warn", "-f", "-"],
        Some(cluster),
    );
    assert!(out.ok, "{}", out.stderr);
    assert!(
        out.stderr
            .contains("Warning: unknown field \"spec.instances[0].replica\""),
        "{}",
        out.stderr
    );
    let out = kubectl(
        &kc,
        &["get", "postgresclusters", "-n", "database", "-o", "name"],
        None,
    );
    assert_eq!(
        out.stdout.trim(),
        "postgrescluster.postgres-operator.crunchydata.com/hippo"
    );
}

#[tokio::test]
async fn kubectl_generator_commands_send_protobuf() {
    if !kubectl_available() {
        return;
    }
    let s = server().await;
    let kc = s.kubeconfig_path().expect("kubeconfig");
    let run = |args: &[&str]| {
        let out = kubectl(&kc, args, None);
        assert!(out.ok, "kubectl {args:?}: {}", out.stderr);
        out.stdout
    };
    run(&["create", "namespace", "demo"]);
    run(&[
        "create",
        "configmap",
        "cfg",
        "-n",
        "demo",
        "--from-literal=a=b",
    ]);
    run(&[
        "create",
        "secret",
        "generic",
        "creds",
        "-n",
        "demo",
        "--from-literal=password=hunter2",
    ]);
    run(&["create", "serviceaccount", "app", "-n", "demo"]);
    assert_eq!(
        s.object("v1", "Namespace", None, "demo")
            .map(|n| n["status"]["phase"].clone()),
        Some("Active".into())
    );
    assert_eq!(
        s.object("v1", "ConfigMap", Some("demo"), "cfg")
            .map(|c| c["data"]["a"].clone()),
        Some("b".into())
    );
    let secret = s
        .object("v1", "Secret", Some("demo"), "creds")
        .expect("secret");
    assert_eq!(secret["data"]["password"], "aHVudGVyMg==");
    assert_eq!(secret["type"], "Opaque");
    assert!(
        s.object("v1", "ServiceAccount", Some("demo"), "app")
            .is_some()
    );
    // Other kinds are not decoded: a clear 415 rather than a wrong object.
    let out = kubectl(
        &kc,
        &["create", "deployment", "d", "--image=nginx", "-n", "demo"],
        None,
    );
    assert!(
        !out.ok && out.stderr.contains("decodes protobuf only for"),
        "{}",
        out.stderr
    );
}
