//! Fault injection: error codes with Retry-After, budgets, latency, dropped connections.

use std::time::{Duration, Instant};

use k8s_openapi::api::core::v1::ConfigMap;
use kube::api::{Api, Patch, PatchParams, PostParams};
use kube_test_server::{Config, FaultAction, FaultRule, TestServer};
use serde_json::json;

use crate::support::{client, raw, server, status};

/// One HTTP/1.1 request over a plain TCP connection, so client-side retries cannot hide faults.
async fn bare_get(s: &TestServer, path: &str) -> (u16, String, serde_json::Value) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let mut conn = tokio::net::TcpStream::connect(s.addr())
        .await
        .expect("connect");
    let req = format!(
        "GET {path} HTTP/1.1\r\nHost: {}\r\nAuthorization: Bearer {}\r\nConnection: close\r\n\r\n",
        s.addr(),
        s.token().expect("token")
    );
    conn.write_all(req.as_bytes()).await.expect("write");
    let mut buf = Vec::new();
    conn.read_to_end(&mut buf).await.expect("read");
    let text = String::from_utf8_lossy(&buf).into_owned();
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    let code = head
        .split(' ')
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or(0);
    let json = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    (code, head.to_ascii_lowercase(), json)
}

#[tokio::test]
async fn error_rules_fire_n_times_with_retry_after() {
    let s = TestServer::start(Config::default().plain_http())
        .await
        .expect("start");
    let c = client(&s).await;
    s.faults().add(
        FaultRule::new(
            "/configmaps",
            FaultAction::Status {
                code: 503,
                retry_after: Some(2),
            },
        )
        .method("GET")
        .times(2),
    );
    let path = "/api/v1/namespaces/default/configmaps";
    for _ in 0..2 {
        let (code, head, body) = bare_get(&s, path).await;
        assert_eq!(
            (code, body["reason"].as_str()),
            (503, Some("ServiceUnavailable"))
        );
        assert!(head.contains("retry-after: 2"), "{head}");
        assert_eq!(body["details"]["retryAfterSeconds"], 2);
    }
    assert_eq!(bare_get(&s, path).await.0, 200, "budget exhausted");

    s.faults().add(
        FaultRule::new(
            "",
            FaultAction::Status {
                code: 429,
                retry_after: Some(1),
            },
        )
        .times(1),
    );
    let (code, _, body) = bare_get(&s, path).await;
    assert_eq!(
        (code, body["reason"].as_str()),
        (429, Some("TooManyRequests"))
    );

    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    cms.create(
        &PostParams::default(),
        &serde_json::from_value(json!({"metadata": {"name": "x"}})).expect("cm"),
    )
    .await
    .expect("create");
    s.faults().add(
        FaultRule::new(
            "/configmaps/x",
            FaultAction::Status {
                code: 409,
                retry_after: None,
            },
        )
        .method("PATCH")
        .times(1),
    );
    let st = status(
        cms.patch(
            "x",
            &PatchParams::apply("t"),
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}}),
            ),
        )
        .await
        .expect_err("409"),
    );
    assert_eq!((st.code, st.reason.as_str()), (409, "Conflict"));
    assert!(
        cms.patch(
            "x",
            &PatchParams::apply("t"),
            &Patch::Apply(
                json!({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}})
            )
        )
        .await
        .is_ok()
    );

    s.faults().add(FaultRule::new(
        "/secrets",
        FaultAction::Status {
            code: 403,
            retry_after: None,
        },
    ));
    let (code, _, body) = raw(
        &c,
        http::Request::get("/api/v1/namespaces/default/secrets")
            .body(Vec::new())
            .expect("req"),
    )
    .await;
    assert_eq!((code, body["reason"].as_str()), (403, Some("Forbidden")));
    s.faults().clear();
    assert_eq!(
        raw(
            &c,
            http::Request::get("/api/v1/namespaces/default/secrets")
                .body(Vec::new())
                .expect("req")
        )
        .await
        .0,
        200
    );
}

#[tokio::test]
async fn latency_and_dropped_connections() {
    let s = server().await;
    let c = client(&s).await;
    let cms: Api<ConfigMap> = Api::namespaced(c.clone(), "default");
    s.faults().add(
        FaultRule::new(
            "/configmaps",
            FaultAction::Latency(Duration::from_millis(200)),
        )
        .times(1),
    );
    let t = Instant::now();
    cms.list(&Default::default()).await.expect("slow list");
    assert!(
        t.elapsed() >= Duration::from_millis(200),
        "{:?}",
        t.elapsed()
    );

    s.faults()
        .add(FaultRule::new("/configmaps", FaultAction::DropConnection).times(1));
    match cms.list(&Default::default()).await {
        Err(kube::Error::Api(st)) => panic!("expected a transport error, got Status {st:?}"),
        Err(_) => {}
        Ok(_) => panic!("expected the connection to drop"),
    }
    assert!(
        cms.list(&Default::default()).await.is_ok(),
        "next request succeeds"
    );
}
