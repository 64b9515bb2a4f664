//! Chart sources against a REAL registry (Debian's `docker-registry`,
//! started by `scripts/setup-registry.sh` on 127.0.0.1:5055 anonymous and
//! :5056 with basic auth) and a static HTTP repository served by a tiny
//! in-test server. Without the registry the OCI tests skip, unless `CI` is
//! set, in which case they fail.

use std::net::TcpStream;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use base64::Engine as _;

mod common;
use common::StaticRepo;
use stackbook_helm::source::package::package_dir;
use stackbook_helm::source::reference::parse_oci;
use stackbook_helm::source::{self, Cache, ChartRef, Credentials, FetchOptions, SourceError};

fn pgo_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/charts/pgo")
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("sb-helm-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn rt() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap()
}

/// `host:port` of the registry, or None (skip) when it is not running.
fn registry(env: &str, default: &str) -> Option<String> {
    let addr = std::env::var(env).unwrap_or_else(|_| default.to_string());
    if TcpStream::connect(&addr).is_ok() {
        return Some(addr);
    }
    if std::env::var_os("CI").is_some() {
        panic!("registry {addr} not reachable: run crates/helm/scripts/setup-registry.sh");
    }
    eprintln!("SKIP: no registry at {addr} (run crates/helm/scripts/setup-registry.sh)");
    None
}

fn opts(cache: &std::path::Path) -> FetchOptions {
    FetchOptions {
        cache: Cache::new(cache),
        plain_http: true,
        registry_config: Some(cache.join("no-docker-config.json")),
        ..Default::default()
    }
}

#[test]
fn oci_push_pull_cache_and_errors() {
    let Some(addr) = registry("STACKBOOK_REGISTRY", "127.0.0.1:5055") else {
        return;
    };
    let (archive, name, version) = package_dir(&pgo_dir()).unwrap();
    assert_eq!(name, "pgo");
    let ns = format!("oci://{addr}/sbtest{}", std::process::id());
    let dir = tmp("oci");
    let o = opts(&dir.join("cache"));
    let rt = rt();
    let (pushed, _) = rt
        .block_on(async { o.oci_client(&addr)?.push(&parse_oci(&ns)?, &archive).await })
        .unwrap();
    assert_eq!(pushed, format!("{ns}/pgo:{version}"));
    let r = ChartRef::parse(&format!("{ns}/pgo")).unwrap();

    // First pull downloads; the bytes are what we pushed and load as a chart.
    let f = rt.block_on(source::fetch(&r, &version, &o)).unwrap();
    assert!(!f.from_cache);
    assert_eq!(f.archive, archive);
    assert_eq!(f.digest, source::sha256_digest(&archive));
    assert!(f.downloaded_bytes >= archive.len() as u64);
    let chart = stackbook_helm::chart::load_archive(&f.archive, "pgo").unwrap();
    assert_eq!(chart.version, version);

    // Second pull: served from the cache, no bytes over the network; also offline.
    let again = rt.block_on(source::fetch(&r, &version, &o)).unwrap();
    assert!(again.from_cache);
    assert_eq!(again.downloaded_bytes, 0);
    let offline = FetchOptions {
        offline: true,
        ..o.clone()
    };
    assert!(
        rt.block_on(source::fetch(&r, &version, &offline))
            .unwrap()
            .from_cache
    );

    // Constraints resolve through the tag list.
    let major_minor: String = version.split('.').take(2).collect::<Vec<_>>().join(".");
    let c = rt
        .block_on(source::fetch(&r, &format!("~{major_minor}"), &o))
        .unwrap();
    assert_eq!(c.version, version);

    // Unknown version: the error lists what exists.
    let e = rt.block_on(source::fetch(&r, "9.9.9", &o)).unwrap_err();
    assert!(matches!(e, SourceError::NoSuchVersion { .. }), "{e}");
    assert!(e.to_string().contains(&version), "{e}");
    // Offline and not cached.
    let e = rt
        .block_on(source::fetch(&r, "9.9.8", &offline))
        .unwrap_err();
    assert!(matches!(e, SourceError::NotCached { .. }), "{e}");
    // Unreachable registry names the URL.
    let dead = ChartRef::parse("oci://127.0.0.1:9/x/pgo").unwrap();
    let e = rt.block_on(source::fetch(&dead, "1.0.0", &o)).unwrap_err();
    assert!(
        e.to_string()
            .contains("http://127.0.0.1:9/v2/x/pgo/manifests/1.0.0"),
        "{e}"
    );
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn oci_basic_auth_from_docker_config() {
    let Some(addr) = registry("STACKBOOK_REGISTRY_AUTH", "127.0.0.1:5056") else {
        return;
    };
    let (archive, _, version) = package_dir(&pgo_dir()).unwrap();
    let ns = format!("oci://{addr}/sbauth{}", std::process::id());
    let dir = tmp("ociauth");
    let rt = rt();
    // Anonymous push is refused with a hint.
    let anon = opts(&dir.join("cache"));
    let e = rt
        .block_on(async {
            anon.oci_client(&addr)?
                .push(&parse_oci(&ns)?, &archive)
                .await
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Auth {
                status: 401,
                had_credentials: false,
                ..
            }
        ),
        "{e}"
    );
    assert!(e.to_string().contains("no credentials found"), "{e}");
    // Wrong password.
    let wrong = FetchOptions {
        credentials: Some(Credentials {
            username: "stackbook".into(),
            password: "nope".into(),
        }),
        ..anon.clone()
    };
    let e = rt
        .block_on(async {
            wrong
                .oci_client(&addr)?
                .push(&parse_oci(&ns)?, &archive)
                .await
        })
        .unwrap_err();
    assert!(
        matches!(
            e,
            SourceError::Auth {
                had_credentials: true,
                ..
            }
        ),
        "{e}"
    );
    assert!(!e.to_string().contains("nope"));
    // Credentials from a Docker config file (--registry-config).
    let cfg = dir.join("config.json");
    let auth = base64::engine::general_purpose::STANDARD.encode("stackbook:s3cret");
    std::fs::write(
        &cfg,
        format!(r#"{{"auths":{{"{addr}":{{"auth":"{auth}"}}}}}}"#),
    )
    .unwrap();
    let o = FetchOptions {
        registry_config: Some(cfg),
        ..anon
    };
    rt.block_on(async { o.oci_client(&addr)?.push(&parse_oci(&ns)?, &archive).await })
        .unwrap();
    let r = ChartRef::parse(&format!("{ns}/pgo")).unwrap();
    let f = rt.block_on(source::fetch(&r, &version, &o)).unwrap();
    assert_eq!(f.archive, archive);
    std::fs::remove_dir_all(&dir).ok();
}

/// Bearer-token auth (the flow of Docker Hub, GHCR, Harbor): the registry
/// answers 401 with a challenge, the token service wants basic auth, the
/// token opens the manifest; a blob whose bytes do not match its digest is
/// rejected.
#[test]
fn oci_bearer_token_flow_and_blob_digest_check() {
    let (archive, _, version) = package_dir(&pgo_dir()).unwrap();
    let good = source::sha256_digest(&archive);
    let manifest = |layer_digest: &str| {
        serde_json::json!({
            "schemaVersion": 2,
            "config": {"mediaType": source::HELM_CONFIG_MEDIA_TYPE, "digest": "sha256:00", "size": 2},
            "layers": [{"mediaType": source::HELM_CHART_MEDIA_TYPE, "digest": layer_digest, "size": archive.len()}],
        })
        .to_string()
        .into_bytes()
    };
    let (good_manifest, bad_manifest) = (
        manifest(&good),
        manifest(&format!("sha256:{}", "1".repeat(64))),
    );
    let addr = Arc::new(std::sync::Mutex::new(String::new()));
    let a2 = addr.clone();
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("robot:tok")
    );
    let archive2 = archive.clone();
    let v2 = version.clone();
    let server = StaticRepo::start_with(Arc::new(move |path: &str, authz: &str| {
        let host = a2.lock().unwrap().clone();
        if path.starts_with("/token?") {
            return if authz == basic && path.contains("scope=repository%3Acharts%2Fpgo%3Apull") {
                ("200 OK".into(), vec![], br#"{"token":"t0k3n"}"#.to_vec())
            } else {
                ("401 Unauthorized".into(), vec![], vec![])
            };
        }
        if authz != "Bearer t0k3n" {
            let challenge = format!(
                r#"Bearer realm="http://{host}/token",service="{host}",scope="repository:charts/pgo:pull""#
            );
            return (
                "401 Unauthorized".into(),
                vec![("WWW-Authenticate".into(), challenge)],
                vec![],
            );
        }
        if path == format!("/v2/charts/pgo/manifests/{v2}") {
            ("200 OK".into(), vec![], good_manifest.clone())
        } else if path == "/v2/charts/pgo/manifests/6.6.6" {
            ("200 OK".into(), vec![], bad_manifest.clone())
        } else if path.starts_with("/v2/charts/pgo/blobs/") {
            ("200 OK".into(), vec![], archive2.clone())
        } else {
            ("404 Not Found".into(), vec![], vec![])
        }
    }));
    *addr.lock().unwrap() = server.addr.clone();
    let dir = tmp("bearer");
    let o = FetchOptions {
        credentials: Some(Credentials {
            username: "robot".into(),
            password: "tok".into(),
        }),
        ..opts(&dir.join("cache"))
    };
    let r = ChartRef::parse(&format!("oci://{}/charts/pgo", server.addr)).unwrap();
    let rt = rt();
    let f = rt.block_on(source::fetch(&r, &version, &o)).unwrap();
    assert_eq!(f.archive, archive);
    let e = rt.block_on(source::fetch(&r, "6.6.6", &o)).unwrap_err();
    assert!(matches!(e, SourceError::DigestMismatch { .. }), "{e}");
    // Wrong robot password: the token service refuses.
    let bad = FetchOptions {
        credentials: Some(Credentials {
            username: "robot".into(),
            password: "x".into(),
        }),
        ..opts(&dir.join("cache2"))
    };
    let e = rt.block_on(source::fetch(&r, &version, &bad)).unwrap_err();
    assert!(matches!(e, SourceError::Auth { .. }), "{e}");
    assert!(e.to_string().contains("/token"), "{e}");
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn http_repository_with_constraint_auth_and_cache() {
    let (archive, _, version) = package_dir(&pgo_dir()).unwrap();
    let digest = source::sha256_digest(&archive);
    let index = format!(
        "apiVersion: v1\nentries:\n  pgo:\n  - version: {version}\n    urls: [charts/pgo-{version}.tgz]\n    digest: {}\n  - version: 5.7.0\n    urls: [charts/pgo-5.7.0.tgz]\n    digest: {}\n",
        &digest[7..],
        &digest[7..]
    );
    let repo = StaticRepo::start(
        vec![
            ("/repo/index.yaml".into(), index.into_bytes()),
            (format!("/repo/charts/pgo-{version}.tgz"), archive.clone()),
            ("/repo/charts/pgo-5.7.0.tgz".into(), b"tampered".to_vec()),
        ],
        "user:pw",
    );
    let dir = tmp("repo");
    let o = FetchOptions {
        repo_url: Some(format!("http://{}/repo", repo.addr)),
        credentials: Some(Credentials {
            username: "user".into(),
            password: "pw".into(),
        }),
        ..opts(&dir.join("cache"))
    };
    let r = ChartRef::parse("crunchy/pgo").unwrap();
    let rt = rt();
    let f = rt.block_on(source::fetch(&r, "~5.8", &o)).unwrap();
    assert_eq!(
        (f.version.as_str(), f.archive == archive),
        (version.as_str(), true)
    );
    // Digest verification catches a tampered archive.
    let e = rt.block_on(source::fetch(&r, "5.7.0", &o)).unwrap_err();
    assert!(matches!(e, SourceError::DigestMismatch { .. }), "{e}");
    // Unknown version lists the index's versions.
    let e = rt.block_on(source::fetch(&r, "~4", &o)).unwrap_err();
    assert!(
        e.to_string()
            .contains(&format!("available: {version}, 5.7.0")),
        "{e}"
    );
    // Wrong credentials.
    let bad = FetchOptions {
        credentials: Some(Credentials {
            username: "user".into(),
            password: "x".into(),
        }),
        update_repo_cache: true,
        ..o.clone()
    };
    assert!(matches!(
        rt.block_on(source::fetch(&r, &version, &bad)),
        Err(SourceError::Auth { .. })
    ));
    // Exact version again: no request at all; then air-gapped with the server gone.
    let before = repo.hits.load(Ordering::Relaxed);
    assert!(
        rt.block_on(source::fetch(&r, &version, &o))
            .unwrap()
            .from_cache
    );
    assert_eq!(repo.hits.load(Ordering::Relaxed), before);
    drop(repo);
    let off = FetchOptions { offline: true, ..o };
    assert_eq!(
        rt.block_on(source::fetch(&r, "~5.8", &off))
            .unwrap()
            .archive,
        archive
    );
    std::fs::remove_dir_all(&dir).ok();
}
