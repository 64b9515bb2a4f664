//! Release records against records written by the real Helm SDK
//! (helm-python-sdk 0.2.2 = Helm v4.2.3) into the kube-test-server test
//! double; regenerate with `tests/release-fixtures/regenerate.sh`.

use std::collections::BTreeMap;
use std::path::PathBuf;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as B64;
use serde_json::Value as Json;
use stackbook_helm::release::{
    self, NewRelease, ReleaseError, Status, decode_payload, encode_payload, from_secret,
    secret_name, to_secret,
};
use stackbook_helm::values::UserValues;
use stackbook_helm::{Capabilities, ReleaseOptions, load_chart, render_chart};

fn dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests")
}

fn fixture(name: &str) -> Json {
    let path = dir().join("release-fixtures").join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The release JSON inside a Secret, decoded by hand (base64, base64, gunzip).
fn raw_release_json(secret: &Json) -> Json {
    use std::io::Read;
    let outer = B64
        .decode(secret["data"]["release"].as_str().unwrap())
        .unwrap();
    let gz = B64.decode(outer).unwrap();
    let mut json = Vec::new();
    flate2::read::GzDecoder::new(gz.as_slice())
        .read_to_end(&mut json)
        .unwrap();
    serde_json::from_slice(&json).unwrap()
}

#[test]
fn decodes_sdk_records() {
    let v2 = from_secret(&fixture("sh.helm.release.v1.relchart.v2.secret.json")).unwrap();
    let status = fixture("relchart.status.json");
    assert_eq!(v2.name, "relchart");
    assert_eq!(v2.namespace, "fixtures");
    assert_eq!(v2.version, 2);
    assert_eq!(v2.info.status, Status::Deployed);
    assert_eq!(v2.info.description, "Upgrade complete");
    assert_eq!(v2.chart_name(), status["chart_name"]);
    assert_eq!(v2.chart_version(), status["chart_version"]);
    assert_eq!(v2.app_version(), status["app_version"]);
    assert_eq!(v2.manifest, status["manifest"]);
    assert_eq!(v2.info.notes, status["notes"]);
    assert_eq!(
        v2.config,
        serde_json::json!({"greeting": "bye", "replicas": 2})
    );
    assert_eq!(v2.apply_method, "ssa");
    assert_eq!(v2.hooks.len(), 1);
    assert_eq!(v2.hooks[0].events, ["pre-install", "pre-upgrade"]);
    assert_eq!(v2.hooks[0].weight, -5);
    assert_eq!(v2.hooks[0].last_run.phase, "Succeeded");
    assert!(v2.info.deleted.is_empty());
    // Helm's system labels are not custom labels.
    assert!(v2.labels.is_empty(), "{:?}", v2.labels);

    let v1 = from_secret(&fixture("sh.helm.release.v1.relchart.v1.secret.json")).unwrap();
    assert_eq!(v1.info.status, Status::Superseded);
    assert_eq!(v1.info.first_deployed, v2.info.first_deployed);

    let gone = from_secret(&fixture("sh.helm.release.v1.gone.v1.secret.json")).unwrap();
    assert_eq!(gone.info.status, Status::Uninstalled);
    assert!(!gone.info.deleted.is_empty());
    assert_eq!(gone.config, Json::Null);
}

#[test]
fn round_trip_is_lossless() {
    for name in [
        "sh.helm.release.v1.relchart.v1",
        "sh.helm.release.v1.relchart.v2",
        "sh.helm.release.v1.gone.v1",
    ] {
        let secret = fixture(&format!("{name}.secret.json"));
        let raw = raw_release_json(&secret);
        let rel = from_secret(&secret).unwrap();
        // Every field Helm wrote (incl. ones we do not model, e.g. modtime)
        // survives decode -> encode.
        assert_eq!(serde_json::to_value(&rel).unwrap(), raw, "{name}");
        let again = decode_payload(&encode_payload(&rel).unwrap(), name).unwrap();
        assert_eq!(again, rel, "{name}");
        // The Secret we would write carries Helm's name, type and labels.
        let ours = to_secret(&rel, Some(("modifiedAt", 1_795_423_885))).unwrap();
        assert_eq!(ours["metadata"]["name"], secret["metadata"]["name"]);
        assert_eq!(
            ours["metadata"]["namespace"],
            secret["metadata"]["namespace"]
        );
        assert_eq!(ours["type"], secret["type"]);
        let mut want = secret["metadata"]["labels"].clone();
        want["modifiedAt"] = Json::from("1795423885");
        assert_eq!(ours["metadata"]["labels"], want, "{name}");
        assert_eq!(from_secret(&ours).unwrap(), rel);
    }
}

#[test]
fn custom_labels_live_on_the_secret() {
    let mut rel = from_secret(&fixture("sh.helm.release.v1.relchart.v2.secret.json")).unwrap();
    rel.labels = BTreeMap::from([("team".to_string(), "db".to_string())]);
    let s = to_secret(&rel, None).unwrap();
    assert_eq!(s["metadata"]["labels"]["team"], "db");
    assert!(raw_release_json(&s).get("labels").is_none());
    assert_eq!(from_secret(&s).unwrap().labels, rel.labels);
}

/// stackbook builds the same record Helm wrote for the same chart and values
/// (timestamps and hook run state aside).
#[test]
fn built_record_matches_helm() {
    let helm = from_secret(&fixture("sh.helm.release.v1.relchart.v2.secret.json")).unwrap();
    let chart = load_chart(dir().join("fixtures/relchart")).unwrap();
    let mut values = UserValues::new();
    values
        .add_yaml("values", "greeting: bye\nreplicas: 2\n")
        .unwrap();
    let values = values.to_value();
    let opts = ReleaseOptions {
        name: "relchart".into(),
        namespace: "fixtures".into(),
        revision: 2,
        is_install: false,
        is_upgrade: true,
    };
    let rendered = render_chart(&chart, &values, &opts, &Capabilities::default()).unwrap();
    let ours = NewRelease {
        name: "relchart",
        namespace: "fixtures",
        version: 2,
        chart: &chart,
        config: &values,
        rendered: &rendered,
        status: Status::Deployed,
        description: "Upgrade complete",
        first_deployed: Some(&helm.info.first_deployed),
        now: &helm.info.last_deployed,
        labels: BTreeMap::new(),
    }
    .build();
    assert_eq!(ours.manifest, helm.manifest);
    assert_eq!(ours.info, helm.info);
    assert_eq!(ours.config, helm.config);
    assert_eq!(ours.version, helm.version);
    assert_eq!(ours.namespace, helm.namespace);
    assert_eq!(ours.apply_method, helm.apply_method);
    assert_eq!(ours.chart.metadata, helm.chart.metadata);
    assert_eq!(ours.chart.values, helm.chart.values);
    assert_eq!(ours.chart.schema, helm.chart.schema);
    assert_eq!(ours.chart.lock, helm.chart.lock);
    let files = |fs: &[release::ChartFileRecord]| {
        fs.iter()
            .map(|f| (f.name.clone(), f.data.clone()))
            .collect::<Vec<_>>()
    };
    assert_eq!(files(&ours.chart.templates), files(&helm.chart.templates));
    assert_eq!(files(&ours.chart.files), files(&helm.chart.files));
    let mut helm_hooks = helm.hooks.clone();
    for h in &mut helm_hooks {
        h.last_run = Default::default();
    }
    assert_eq!(ours.hooks, helm_hooks);
}

#[test]
fn bad_payloads_are_errors_not_panics() {
    assert!(matches!(
        decode_payload("not base64!!", "x"),
        Err(ReleaseError::Base64 { .. })
    ));
    // Plain JSON (Helm 2-era, no gzip) is accepted.
    let plain = B64.encode(br#"{"name":"a","info":{"status":"failed"},"version":3}"#);
    let r = decode_payload(&plain, "x").unwrap();
    assert_eq!((r.name.as_str(), r.version), ("a", 3));
    assert_eq!(r.info.status, Status::Failed);
    // Truncated gzip.
    let good = encode_payload(&r).unwrap();
    let bytes = B64.decode(&good).unwrap();
    let cut = B64.encode(&bytes[..bytes.len() / 2]);
    let err = decode_payload(&cut, "sh.helm.release.v1.a.v3").unwrap_err();
    assert!(matches!(err, ReleaseError::Gzip { .. }), "{err}");
    assert!(err.to_string().contains("sh.helm.release.v1.a.v3"));
    // Not a release shape.
    let arr = B64.encode(b"[1,2]");
    assert!(matches!(
        decode_payload(&arr, "x"),
        Err(ReleaseError::Json { .. })
    ));
    // Secret without data.release.
    let err = from_secret(&serde_json::json!({"metadata": {"name": "s"}})).unwrap_err();
    assert!(
        err.to_string().contains("secret s: expected data.release"),
        "{err}"
    );
    assert_eq!(secret_name("pgo", 12), "sh.helm.release.v1.pgo.v12");
}
