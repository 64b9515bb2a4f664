//! `scaleway_secret` against a recorded-contract server: the Secret Manager v1beta1
//! `AccessSecretVersion` call (path, method, `X-Auth-Token`) and its documented response and
//! error bodies.

mod common;

use std::collections::BTreeMap;

use base64::Engine;
use common::{Reply, TestServer};
use serde_json::{Value, json};
use stackbook_lookups::{LookupError, ScalewayOptions, scaleway_secret, scaleway_secret_with_env};

const TOKEN: &str = "7b3c0f1e-CANARY-TOKEN-4a6b-9d7e-2f1a3c5e7b9d";
const SECRET_ID: &str = "11111111-2222-4333-8444-555555555555";
const V1: &str = "CANARY-scw-v1: s3.conf\n[global]\nrepo1-s3-key=AAA";
const V2: &str = "CANARY-scw-v2 p@ss wörd";

/// Serves revisions 1 and 2 of one secret in `nl-ams`, like api.scaleway.com does.
fn contract_server() -> TestServer {
    TestServer::start(|req| {
        if req.header("X-Auth-Token") != Some(TOKEN) {
            return Reply::json(
                401,
                &json!({
                "message": "authentication is denied", "method": "api_key",
                "reason": "invalid_argument", "type": "denied_authentication"}),
            );
        }
        let prefix =
            format!("/secret-manager/v1beta1/regions/nl-ams/secrets/{SECRET_ID}/versions/");
        let revision = req
            .target
            .strip_prefix(&prefix)
            .and_then(|rest| rest.strip_suffix("/access"));
        let data = match (req.method.as_str(), revision) {
            ("GET", Some("latest" | "latest_enabled" | "2")) => (2, V2),
            ("GET", Some("1")) => (1, V1),
            _ => {
                return Reply::json(
                    404,
                    &json!({
                    "message": "resource is not found", "resource": "secret_version",
                    "resource_id": SECRET_ID, "type": "not_found"}),
                );
            }
        };
        Reply::json(
            200,
            &json!({
                "secret_id": SECRET_ID,
                "revision": data.0,
                "data": base64::engine::general_purpose::STANDARD.encode(data.1),
                "data_crc32": crc32fast::hash(data.1.as_bytes()),
                "type": "opaque"
            }),
        )
    })
}

fn opts(server: &TestServer, extra: Value) -> ScalewayOptions {
    let mut kw: BTreeMap<String, Value> = serde_json::from_value(json!({
        "api_url": server.url(""), "region": "nl-ams", "secret_key": TOKEN
    }))
    .expect("kwargs");
    let extra: BTreeMap<String, Value> = serde_json::from_value(extra).expect("kwargs");
    kw.extend(extra);
    ScalewayOptions::from_kwargs(&kw).expect("options")
}

fn assert_clean(e: &LookupError) {
    let text = format!("{e} | {e:?}");
    assert!(!text.contains("CANARY"), "leak: {text}");
}

#[test]
fn latest_and_numbered_revisions_are_decoded() {
    let server = contract_server();
    assert_eq!(
        scaleway_secret(SECRET_ID, &opts(&server, json!({}))).expect("latest"),
        V2
    );
    assert_eq!(
        scaleway_secret(SECRET_ID, &opts(&server, json!({"revision": 1}))).expect("rev 1"),
        V1
    );
    let seen = server.recorded();
    assert_eq!(seen.len(), 2);
    assert_eq!(seen[0].method, "GET");
    assert_eq!(
        seen[0].target,
        format!(
            "/secret-manager/v1beta1/regions/nl-ams/secrets/{SECRET_ID}/versions/latest/access"
        )
    );
    assert!(seen[1].target.ends_with("/versions/1/access"));
}

#[test]
fn secret_key_from_the_environment() {
    let server = contract_server();
    let mut o = opts(&server, json!({}));
    o.secret_key = None;
    let env = |v: &str| (v == "SCW_SECRET_KEY").then(|| TOKEN.to_string());
    assert_eq!(
        scaleway_secret_with_env(SECRET_ID, &o, &env).expect("env key"),
        V2
    );
}

#[test]
fn wrong_token_is_a_401_error_without_the_token() {
    let server = contract_server();
    let o = opts(&server, json!({"secret_key": "CANARY-wrong-token"}));
    let e = scaleway_secret(SECRET_ID, &o).expect_err("denied");
    let text = e.to_string();
    assert!(text.contains("HTTP 401"), "{text}");
    assert!(
        text.contains("denied_authentication: authentication is denied"),
        "{text}"
    );
    assert!(
        text.contains(&format!("lookup('scaleway_secret', '{SECRET_ID}')")),
        "{text}"
    );
    assert_clean(&e);
}

#[test]
fn unknown_revision_is_a_404_error() {
    let server = contract_server();
    let e = scaleway_secret(SECRET_ID, &opts(&server, json!({"revision": 9}))).expect_err("404");
    let text = e.to_string();
    assert!(text.contains("HTTP 404"), "{text}");
    assert!(text.contains("not_found"), "{text}");
    assert!(text.contains("/versions/9/access"), "{text}");
    assert_clean(&e);
}

#[test]
fn malformed_responses_are_errors_without_data() {
    let server = TestServer::start(|_| {
        Reply::json(
            200,
            &json!({"secret_id": SECRET_ID, "data": "CANARY-not-base64!!"}),
        )
    });
    let e = scaleway_secret(SECRET_ID, &opts(&server, json!({}))).expect_err("bad b64");
    assert!(e.to_string().contains("not valid base64"), "{e}");
    assert_clean(&e);
}

#[test]
fn unknown_option_suggests_and_ids_are_not_paths() {
    let kw: BTreeMap<String, Value> =
        serde_json::from_value(json!({"revison": 2})).expect("kwargs");
    let e = ScalewayOptions::from_kwargs(&kw).expect_err("unknown");
    assert!(e.to_string().contains("did you mean 'revision'?"), "{e}");
    let e = scaleway_secret("../../x", &ScalewayOptions::default()).expect_err("path");
    assert!(e.to_string().contains("expected a secret id"), "{e}");
}
