//! TLS validation for the lookups' shared client: on by default, off with
//! `validate_certs=false`, and extendable with `ca_path=`. The server is rustls (ring) on a std
//! `TcpListener` with a fresh self-signed certificate for 127.0.0.1.

mod common;

use std::collections::BTreeMap;
use std::io::{BufReader, Write};
use std::net::TcpListener;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::thread::JoinHandle;

use rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};
use serde_json::{Value, json};
use stackbook_lookups::{UrlOptions, url};

struct TlsServer {
    port: u16,
    cert_pem: String,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl TlsServer {
    fn start() -> Self {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let key = rcgen::KeyPair::generate().expect("key");
        let params = rcgen::CertificateParams::new(vec!["127.0.0.1".into(), "localhost".into()])
            .expect("params");
        let cert = params.self_signed(&key).expect("self-signed");
        let config = rustls::ServerConfig::builder()
            .with_no_client_auth()
            .with_single_cert(
                vec![cert.der().clone()],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der())),
            )
            .expect("server config");
        let config = Arc::new(config);
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let stop = Arc::new(AtomicBool::new(false));
        let stop2 = stop.clone();
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let (Ok(tcp), Ok(conn)) = (stream, rustls::ServerConnection::new(config.clone()))
                else {
                    continue;
                };
                let mut tls = rustls::StreamOwned::new(conn, tcp);
                let mut reader = BufReader::new(&mut tls);
                if common::read_request(&mut reader).is_none() {
                    continue; // handshake refused by the client
                }
                let _ = tls.write_all(
                    b"HTTP/1.1 200 OK\r\nContent-Length: 6\r\nConnection: close\r\n\r\nsecure",
                );
                tls.conn.send_close_notify();
                let _ = tls.flush();
            }
        });
        Self {
            port,
            cert_pem: cert.pem(),
            stop,
            thread: Some(thread),
        }
    }
}

impl Drop for TlsServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn opts(v: Value) -> UrlOptions {
    let kw: BTreeMap<String, Value> = serde_json::from_value(v).expect("kwargs");
    UrlOptions::from_kwargs(&kw).expect("options")
}

#[test]
fn untrusted_certificates_are_refused_by_default() {
    let server = TlsServer::start();
    let target = format!("https://127.0.0.1:{}/", server.port);
    let err = url(&target, &opts(json!({"use_proxy": false}))).expect_err("untrusted");
    let text = err.to_string();
    eprintln!("{text}");
    assert!(text.contains("certificate"), "{text}");
    assert!(text.contains("validate_certs=false"), "{text}");
}

#[test]
fn validate_certs_false_accepts_them() {
    let server = TlsServer::start();
    let target = format!("https://127.0.0.1:{}/", server.port);
    let out = url(
        &target,
        &opts(json!({"validate_certs": false, "use_proxy": false})),
    )
    .expect("insecure fetch");
    assert_eq!(out, ["secure"]);
}

#[test]
fn ca_path_trusts_a_private_ca() {
    let server = TlsServer::start();
    let dir = std::env::temp_dir().join(format!("stackbook-lookups-tls-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("tmp dir");
    let ca = dir.join("ca.pem");
    std::fs::write(&ca, &server.cert_pem).expect("write ca");
    let target = format!("https://127.0.0.1:{}/", server.port);
    let result = url(
        &target,
        &opts(json!({"ca_path": ca.to_string_lossy(), "use_proxy": false})),
    );
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(result.expect("trusted via ca_path"), ["secure"]);
}
