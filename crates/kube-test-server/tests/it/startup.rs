//! Startup time, TLS/plain HTTP, token auth, kubeconfig, shutdown on drop.

use std::time::Instant;

use kube_test_server::{Config, TestServer};

use crate::support::{client, server};

#[tokio::test]
async fn starts_fast_and_serves_version_over_tls() {
    // Warm-up start so one-time costs (page faults, ring init) are not counted.
    drop(server().await);
    let mut samples = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let s = TestServer::start(Config::default()).await.expect("start");
        samples.push(t.elapsed());
        drop(s);
    }
    samples.sort();
    println!(
        "startup-to-ready (TLS, in-process): min {:?}, median {:?}, max {:?}",
        samples[0], samples[2], samples[4]
    );

    let s = server().await;
    assert!(s.url().starts_with("https://127.0.0.1:"));
    let c = client(&s).await;
    let info = c
        .apiserver_version()
        .await
        .expect("version over TLS with CA from kubeconfig");
    assert_eq!(info.major, "1");
    assert_eq!(info.git_version, "v1.32.0");
}

#[tokio::test]
async fn plain_http_and_token_auth() {
    let s = TestServer::start(Config::default().plain_http())
        .await
        .expect("start");
    assert!(s.url().starts_with("http://127.0.0.1:"));
    let c = client(&s).await;
    assert!(c.apiserver_version().await.is_ok());

    // Same server, wrong token: 401 Unauthorized Status.
    let yaml = s
        .kubeconfig_yaml()
        .replace(s.token().expect("token"), "wrong-token");
    let kc = kube::config::Kubeconfig::from_yaml(&yaml).expect("yaml");
    let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
        .await
        .expect("cfg");
    let bad = kube::Client::try_from(cfg).expect("client");
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> = kube::Api::default_namespaced(bad);
    let err = pods
        .list(&Default::default())
        .await
        .expect_err("must be unauthorized");
    let st = crate::support::status(err);
    assert_eq!((st.code, st.reason.as_str()), (401, "Unauthorized"));
}

#[tokio::test]
async fn drop_stops_the_server_and_removes_kubeconfig() {
    let s = server().await;
    let addr = s.addr();
    let path = s.kubeconfig_path().expect("kubeconfig file");
    let text = std::fs::read_to_string(&path).expect("readable");
    assert!(text.contains("certificate-authority-data"));
    assert!(text.contains("current-context: kube-test-server"));
    drop(s);
    assert!(!path.exists(), "kubeconfig removed on drop");
    assert!(
        tokio::net::TcpStream::connect(addr).await.is_err(),
        "port closed after drop"
    );
}

#[test]
fn blocking_start_works_outside_a_runtime() {
    let s = TestServer::start_blocking(Config::default()).expect("start");
    let out = std::net::TcpStream::connect(s.addr());
    assert!(out.is_ok());
    assert!(
        format!("{s:?}").contains("<redacted>"),
        "token never printed"
    );
}

#[tokio::test]
async fn standalone_binary_writes_a_working_kubeconfig() {
    let dir = std::env::temp_dir().join(format!("kts-bin-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("kubeconfig");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kube-test-server"))
        .arg("--kubeconfig-out")
        .arg(&path)
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("spawn binary");
    let mut text = String::new();
    for _ in 0..500 {
        if let Ok(t) = std::fs::read_to_string(&path)
            && t.contains("current-context")
        {
            text = t;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    let result = async {
        let kc = kube::config::Kubeconfig::from_yaml(&text).map_err(|e| e.to_string())?;
        let cfg = kube::Config::from_custom_kubeconfig(kc, &Default::default())
            .await
            .map_err(|e| e.to_string())?;
        let c = kube::Client::try_from(cfg).map_err(|e| e.to_string())?;
        c.apiserver_version().await.map_err(|e| e.to_string())
    }
    .await;
    // Stop the server by its PID before asserting, so a failure never leaks the process.
    child.kill().expect("kill by pid");
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(result.map(|v| v.git_version), Ok("v1.32.0".to_string()));
}
