//! Canary sweep: every failure path of the three lookups, with a canary in every credential,
//! header, URL part and response body; no error's Display or Debug may contain it.

mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Reply, TestServer};
use serde_json::{Value, json};
use stackbook_lookups::{
    AwsSecretOptions, LookupError, ScalewayOptions, UrlOptions, aws_secret, scaleway_secret, url,
};

const CANARY: &str = "CANARY7f3a";

fn kw(v: Value) -> BTreeMap<String, Value> {
    serde_json::from_value(v).expect("kwargs")
}

/// A server whose answer depends on the path, each one carrying the canary.
fn hostile_server() -> TestServer {
    TestServer::start(|req| {
        let p = req.target.as_str();
        if p.contains("/status500") {
            Reply::new(500, format!("internal error {CANARY}"))
        } else if p.contains("/slow") {
            Reply {
                delay: Duration::from_secs(3),
                ..Reply::new(200, CANARY)
            }
        } else if p.contains("/notutf8") {
            let mut body = CANARY.as_bytes().to_vec();
            body.push(0xff);
            Reply::new(200, body)
        } else if p.contains("/secret-manager/") {
            // Scaleway error echoing the token, then bad payloads by revision.
            if p.contains("/versions/1/") {
                Reply::json(200, &json!({"data": format!("{CANARY}!!")}))
            } else if p.contains("/versions/2/") {
                Reply::json(200, &json!({"data": "/w==", "data_crc32": 1}))
            } else {
                Reply::json(
                    403,
                    &json!({"type": "permissions_denied",
                    "message": format!("token {CANARY}-token is not allowed")}),
                )
            }
        } else if req.header("X-Amz-Target").is_some() {
            let body = String::from_utf8_lossy(&req.body).to_string();
            if body.contains("app/garbage") {
                Reply::json(
                    200,
                    &json!({"Name": "app/garbage", "SecretBinary": format!("{CANARY}%%")}),
                )
            } else if body.contains("app/binary") {
                Reply::json(200, &json!({"Name": "app/binary", "SecretBinary": "/w=="}))
            } else if body.contains("app/nojson") {
                Reply::json(200, &json!({"Name": "app/nojson", "SecretString": CANARY}))
            } else {
                Reply::json(
                    400,
                    &json!({"__type": "UnrecognizedClientException",
                    "message": format!("key AKID{CANARY} / {CANARY}-secret / {CANARY}-session rejected")}),
                )
            }
        } else {
            Reply::new(404, CANARY)
        }
    })
}

fn check(label: &str, result: Result<impl std::fmt::Debug, LookupError>) -> String {
    let err = match result {
        Ok(v) => panic!("{label}: expected an error, got {v:?}"),
        Err(e) => e,
    };
    let text = format!("{err}\n{err:?}");
    assert!(!text.contains(CANARY), "{label} leaked:\n{text}");
    eprintln!("{label}: {err}");
    text
}

#[test]
fn no_error_contains_a_secret() {
    let server = hostile_server();
    let base = server.url("");
    let host = server.addr.to_string();

    // url: credentials, headers, userinfo and query carry the canary.
    let url_opts = UrlOptions::from_kwargs(&kw(json!({
        "username": format!("{CANARY}-user"), "password": format!("{CANARY}-pw"),
        "headers": {"Authorization": format!("Bearer {CANARY}"), "X-Other": CANARY},
        "timeout": 0.5
    })))
    .expect("url options");
    for path in ["/status500", "/slow", "/notutf8", "/missing"] {
        let target = format!("http://u:{CANARY}@{host}{path}?token={CANARY}");
        let text = check(path, url(&target, &url_opts));
        assert!(text.contains(path), "{text}");
    }
    check(
        "url bad header",
        url(
            &base,
            &UrlOptions::from_kwargs(&kw(json!({
        "headers": {"X-Bad": format!("{CANARY}\r\n")}})))
            .expect("opts"),
        ),
    );
    check(
        "url password type",
        UrlOptions::from_kwargs(&kw(json!({"password": [CANARY]}))),
    );
    let debug = format!("{url_opts:?}");
    assert!(!debug.contains(CANARY), "UrlOptions Debug leaked: {debug}");

    // aws_secret: keys and token carry the canary; the service echoes them back.
    let aws_opts = |extra: Value| {
        let mut m = kw(json!({
            "region": "eu-west-1", "endpoint": base,
            "access_key": format!("AKID{CANARY}"), "secret_key": format!("{CANARY}-secret"),
            "session_token": format!("{CANARY}-session")}));
        m.extend(kw(extra));
        AwsSecretOptions::from_kwargs(&m).expect("aws options")
    };
    let text = check("aws denied", aws_secret("app/denied", &aws_opts(json!({}))));
    assert!(text.contains("UnrecognizedClientException"), "{text}");
    check(
        "aws garbage",
        aws_secret("app/garbage", &aws_opts(json!({}))),
    );
    check("aws binary", aws_secret("app/binary", &aws_opts(json!({}))));
    check(
        "aws json_key",
        aws_secret("app/nojson", &aws_opts(json!({"json_key": "k"}))),
    );
    let debug = format!("{:?}", aws_opts(json!({})));
    assert!(
        !debug.contains(CANARY),
        "AwsSecretOptions Debug leaked: {debug}"
    );

    // scaleway_secret: the token carries the canary; the API echoes it back.
    let scw_opts = |extra: Value| {
        let mut m = kw(json!({"api_url": base, "secret_key": format!("{CANARY}-token")}));
        m.extend(kw(extra));
        ScalewayOptions::from_kwargs(&m).expect("scw options")
    };
    let text = check("scw denied", scaleway_secret("id-1", &scw_opts(json!({}))));
    assert!(text.contains("permissions_denied"), "{text}");
    check(
        "scw base64",
        scaleway_secret("id-1", &scw_opts(json!({"revision": 1}))),
    );
    check(
        "scw crc",
        scaleway_secret("id-1", &scw_opts(json!({"revision": 2}))),
    );
    let debug = format!("{:?}", scw_opts(json!({})));
    assert!(
        !debug.contains(CANARY),
        "ScalewayOptions Debug leaked: {debug}"
    );
}
