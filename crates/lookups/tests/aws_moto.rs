//! `aws_secret` against a real moto server (PyPI `moto[server]`, installed by
//! `scripts/setup.sh`). Secrets are created with boto3, an independent client; the lookup must
//! read them back through its own SigV4-signed requests.
//!
//! Without moto: skipped with a notice, or a failure when `CI` is set.

use std::collections::BTreeMap;
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use stackbook_lookups::{AwsSecretOptions, LookupError, aws_secret, aws_secret_with_env};

const REGION: &str = "eu-west-1";

/// The moto server process; killed (by PID) and reaped on Drop.
struct Moto {
    child: Child,
    endpoint: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn venv_bin() -> Option<PathBuf> {
    let bin = std::env::var_os("STACKBOOK_ORACLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../.oracle-venv/bin")
        });
    bin.join("moto_server").is_file().then_some(bin)
}

fn start_moto(bin: &Path) -> Moto {
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("free port");
    let child = Command::new(bin.join("moto_server"))
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start moto_server");
    let moto = Moto {
        child,
        endpoint: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            Instant::now() < deadline,
            "moto_server did not listen on {port} within 60 s"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Creates the fixtures with boto3 and returns the version ids it reports.
fn seed(bin: &Path, endpoint: &str) -> Value {
    let script = r#"
import json, sys, boto3
c = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name=sys.argv[2],
                 aws_access_key_id="testing", aws_secret_access_key="testing")
first = c.create_secret(Name="app/db", SecretString="CANARY-aws-v1")["VersionId"]
second = c.put_secret_value(SecretId="app/db", SecretString="CANARY-aws-v2")["VersionId"]
c.create_secret(Name="app/json", SecretString=json.dumps({"username": "pg", "password": "CANARY-json", "port": 5432}))
c.create_secret(Name="app/bin", SecretBinary="CANARY-binary text".encode())
print(json.dumps({"first": first, "second": second}))
"#;
    let out = Command::new(bin.join("python"))
        .args(["-c", script, endpoint, REGION])
        .output()
        .expect("run boto3");
    assert!(
        out.status.success(),
        "boto3 seeding failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("version ids")
}

fn opts(endpoint: &str, extra: Value) -> AwsSecretOptions {
    let mut kw: BTreeMap<String, Value> = serde_json::from_value(json!({
        "region": REGION, "endpoint": endpoint,
        "access_key": "AKIDCANARYKEY", "secret_key": "CANARY-secret-key"
    }))
    .expect("kwargs");
    let extra: BTreeMap<String, Value> = serde_json::from_value(extra).expect("kwargs");
    kw.extend(extra);
    AwsSecretOptions::from_kwargs(&kw).expect("options")
}

fn assert_clean(e: &LookupError) {
    let text = format!("{e} | {e:?}");
    assert!(!text.contains("CANARY"), "leak: {text}");
}

#[test]
fn aws_secret_against_moto() {
    let Some(bin) = venv_bin() else {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto_server missing: run crates/lookups/scripts/setup.sh"
        );
        eprintln!(
            "SKIP aws_secret_against_moto: moto_server not installed (crates/lookups/scripts/setup.sh)"
        );
        return;
    };
    let moto = start_moto(&bin);
    let ids = seed(&bin, &moto.endpoint);
    let ep = moto.endpoint.as_str();

    // Current version, the previous stage, and a version id.
    assert_eq!(
        aws_secret("app/db", &opts(ep, json!({}))).expect("current"),
        "CANARY-aws-v2"
    );
    assert_eq!(
        aws_secret("app/db", &opts(ep, json!({"version_stage": "AWSPREVIOUS"}))).expect("previous"),
        "CANARY-aws-v1"
    );
    let first = ids["first"].as_str().expect("first id");
    assert_eq!(
        aws_secret("app/db", &opts(ep, json!({"version_id": first}))).expect("by id"),
        "CANARY-aws-v1"
    );

    // JSON fields and binary secrets.
    assert_eq!(
        aws_secret("app/json", &opts(ep, json!({"json_key": "password"}))).expect("json"),
        "CANARY-json"
    );
    assert_eq!(
        aws_secret("app/json", &opts(ep, json!({"json_key": "port"}))).expect("port"),
        "5432"
    );
    assert_eq!(
        aws_secret("app/bin", &opts(ep, json!({}))).expect("binary"),
        "CANARY-binary text"
    );

    // Session tokens are sent (and signed) without breaking the request.
    assert_eq!(
        aws_secret(
            "app/db",
            &opts(ep, json!({"session_token": "CANARY-session"}))
        )
        .expect("token"),
        "CANARY-aws-v2"
    );

    // Credentials and region from the environment.
    let env_opts = AwsSecretOptions::from_kwargs(
        &serde_json::from_value(json!({"endpoint": ep})).expect("kwargs"),
    )
    .expect("options");
    let env = |var: &str| match var {
        "AWS_ACCESS_KEY_ID" => Some("AKIDENV".to_string()),
        "AWS_SECRET_ACCESS_KEY" => Some("CANARY-env-secret".to_string()),
        "AWS_SESSION_TOKEN" => Some("CANARY-env-token".to_string()),
        "AWS_REGION" => Some(REGION.to_string()),
        _ => None,
    };
    assert_eq!(
        aws_secret_with_env("app/db", &env_opts, &env).expect("env creds"),
        "CANARY-aws-v2"
    );

    // A missing secret: status, AWS error code, secret name; no credentials or values.
    let e = aws_secret("app/nope", &opts(ep, json!({}))).expect_err("missing");
    let text = e.to_string();
    assert!(text.contains("lookup('aws_secret', 'app/nope')"), "{text}");
    // AWS answers 400, moto 404: either way a 4xx naming the AWS error code.
    assert!(text.contains("HTTP 4"), "{text}");
    assert!(text.contains("ResourceNotFoundException"), "{text}");
    assert!(!text.contains("AKIDCANARYKEY"), "{text}");
    assert_clean(&e);

    // The region travels in the signed credential scope: moto keeps secrets per region.
    let mut other_region = opts(ep, json!({}));
    other_region.region = Some("us-east-1".into());
    let e = aws_secret("app/db", &other_region).expect_err("other region");
    assert!(e.to_string().contains("ResourceNotFoundException"), "{e}");
    assert_clean(&e);

    // Wrong json_key and a non-JSON secret with json_key: named, value never shown.
    let e = aws_secret("app/json", &opts(ep, json!({"json_key": "user"}))).expect_err("no key");
    assert!(e.to_string().contains("no key 'user'"), "{e}");
    assert_clean(&e);
    let e = aws_secret("app/db", &opts(ep, json!({"json_key": "x"}))).expect_err("not json");
    assert!(
        e.to_string()
            .contains("needs the secret to be a JSON object"),
        "{e}"
    );
    assert_clean(&e);

    // An unknown version stage.
    let e = aws_secret("app/db", &opts(ep, json!({"version_stage": "NOPE"}))).expect_err("stage");
    assert!(e.to_string().contains("HTTP 4"), "{e}");
    assert_clean(&e);
    drop(moto);
}
