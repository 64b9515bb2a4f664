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
