//! `url` lookup against a local HTTP server.

mod common;

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use common::{Reply, TestServer};
use serde_json::{Value, json};
use stackbook_lookups::{LookupError, UrlOptions, url};

fn opts(v: Value) -> UrlOptions {
    let kw: BTreeMap<String, Value> = serde_json::from_value(v).expect("kwargs object");
    UrlOptions::from_kwargs(&kw).expect("valid options")
}

fn shown(e: &LookupError) -> String {
    format!("{e} | {e:?}")
}

#[test]
fn headers_are_sent_and_lines_are_split() {
    let server = TestServer::start(|req| match req.header("X-Api-Key") {
        Some("k-123") => Reply::new(200, "alpha\nbeta\r\ngamma\n"),
        _ => Reply::new(403, "no key"),
    });
    let lines = url(
        &server.url("/motd"),
        &opts(json!({"headers": {"X-Api-Key": "k-123"}})),
    )
    .expect("fetch");
    assert_eq!(lines, ["alpha", "beta", "gamma"]);
    let req = &server.recorded()[0];
    assert_eq!(req.method, "GET");
    assert_eq!(req.target, "/motd");
    assert_eq!(req.header("User-Agent"), Some("ansible-httpget"));
}

#[test]
fn split_lines_false_returns_the_whole_body() {
    let server = TestServer::start(|_| Reply::new(200, "a\nb\n"));
    let out = url(&server.url("/"), &opts(json!({"split_lines": false}))).expect("fetch");
    assert_eq!(out, ["a\nb\n"]);
}

#[test]
fn method_and_basic_auth_are_sent() {
    let server = TestServer::start(|req| {
        // "bob:s3cret" in base64.
        if req.method == "POST" && req.header("Authorization") == Some("Basic Ym9iOnMzY3JldA==") {
            Reply::new(200, "ok")
        } else {
            Reply::new(401, "denied")
        }
    });
    let out = url(
        &server.url("/x"),
        &opts(json!({"method": "post", "username": "bob", "password": "s3cret"})),
    )
    .expect("fetch");
    assert_eq!(out, ["ok"]);
}

#[test]
fn non_2xx_is_an_error_naming_the_status_and_url_without_credentials() {
    let server = TestServer::start(|_| Reply::new(404, "CANARY-BODY"));
    let target = format!(
        "http://alice:CANARY-PW@{}/missing?token=CANARY-Q",
        server.addr
    );
    let err = url(
        &target,
        &opts(json!({"headers": {"Authorization": "Bearer CANARY-H"}})),
    )
    .expect_err("404 must fail");
    let text = shown(&err);
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("lookup('url'"), "{text}");
    assert!(
        text.contains(&format!("http://{}/missing?<query>", server.addr)),
        "{text}"
    );
    assert!(!text.contains("CANARY"), "{text}");
    assert!(!text.contains("alice"), "{text}");
}

#[test]
fn timeout_is_honoured() {
    let server = TestServer::start(|_| Reply {
        delay: Duration::from_secs(4),
        ..Reply::new(200, "late")
    });
    let started = Instant::now();
    let err = url(&server.url("/slow"), &opts(json!({"timeout": 0.5}))).expect_err("timeout");
    let elapsed = started.elapsed();
    assert!(elapsed < Duration::from_secs(3), "took {elapsed:?}");
    assert!(elapsed >= Duration::from_millis(400), "took {elapsed:?}");
    let text = err.to_string();
    assert!(text.contains("timed out"), "{text}");
}

#[test]
fn connection_refused_is_a_transport_error() {
    // Bind and drop to get a port nobody listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("port");
    let err = url(
        &format!("http://127.0.0.1:{port}/"),
        &opts(json!({"use_proxy": false})),
    )
    .expect_err("refused");
    let text = err.to_string();
    assert!(text.contains("could not connect"), "{text}");
    assert!(
        text.contains(&format!("http://127.0.0.1:{port}/")),
        "{text}"
    );
}

#[test]
fn bad_header_value_is_named_without_the_value() {
    let err = url(
        "http://127.0.0.1:1/",
        &opts(json!({"headers": {"X-Token": "CANARY\nInjected: 1"}})),
    )
    .expect_err("invalid header");
    let text = shown(&err);
    assert!(text.contains("headers.X-Token"), "{text}");
    assert!(!text.contains("CANARY"), "{text}");
}

/// Proxies from the environment: re-runs this test binary with `HTTP_PROXY` set (tests cannot
/// set environment variables of their own process safely).
#[test]
fn proxy_from_env_is_honoured() {
    if std::env::var_os("LOOKUPS_PROXY_CHILD").is_some() {
        return proxy_child();
    }
    let server = TestServer::start(|_| Reply::new(200, "via proxy"));
    let exe = std::env::current_exe().expect("test binary");
    let status = std::process::Command::new(exe)
        .args(["--exact", "proxy_from_env_is_honoured", "--test-threads=1"])
        .env("LOOKUPS_PROXY_CHILD", "1")
        .env("HTTP_PROXY", server.url(""))
        .env("http_proxy", server.url(""))
        .env_remove("NO_PROXY")
        .env_remove("no_proxy")
        .status()
        .expect("run child");
    assert!(status.success(), "child failed: {status}");
    let seen = server.recorded();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert_eq!(seen[0].target, "http://stackbook-proxy-test.invalid/x");
}

fn proxy_child() {
    let out =
        url("http://stackbook-proxy-test.invalid/x", &opts(json!({}))).expect("through proxy");
    assert_eq!(out, ["via proxy"]);
    // use_proxy=false goes direct, and the .invalid name does not resolve.
    let err = url(
        "http://stackbook-proxy-test.invalid/x",
        &opts(json!({"use_proxy": false})),
    )
    .expect_err("direct");
    assert!(err.to_string().contains("request to"), "{err}");
}

#[test]
fn several_terms_concatenate_their_lines_through_run() {
    let server = TestServer::start(|req| Reply::new(200, format!("{}\nend", req.target)));
    let terms = [server.url("/a"), server.url("/b")];
    let kw: BTreeMap<String, Value> =
        serde_json::from_value(json!({"wantlist": true})).expect("kwargs");
    let out = stackbook_lookups::run("ansible.builtin.url", &terms, &kw)
        .expect("url is ours")
        .expect("fetch");
    assert_eq!(out, ["/a", "end", "/b", "end"]);
}

/// reqwest's blocking client panics inside an async runtime; the lookups run it on their own
/// thread, so a caller that happens to be inside one (e.g. a kube-rs task) still works.
#[test]
fn works_inside_an_async_runtime() {
    let server = TestServer::start(|_| Reply::new(200, "from async"));
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    let target = server.url("/");
    let out = rt.block_on(async { url(&target, &opts(json!({}))) });
    assert_eq!(out.expect("fetch"), ["from async"]);
}
