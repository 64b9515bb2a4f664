//! The SDK's HTTPS client: hyper 1 + rustls with the `ring` provider.
//!
//! Why not the SDK's own client? `aws-smithy-http-client` can use rustls+ring (feature
//! `rustls-ring`), but its TLS options stop at "trust these PEMs": it cannot turn verification
//! off, which S3-compatible test stores behind self-signed TLS need (pgBackRest's
//! `repo1-storage-verify-tls=n`), and it panics on an unparsable PEM. The SDK's
//! `default-https-client` feature would pull aws-lc-sys (cmake, slow build), which the project
//! forbids. So this module builds one hyper-util pooled client with a rustls `ClientConfig` we
//! control and adapts it to the SDK's `HttpClient`/`HttpConnector` traits (about what
//! `aws-smithy-http-client` does internally). Connect timeout: hyper's connector; read timeout
//! (time to response headers): here; per-attempt and whole-operation timeouts and retries: the
//! SDK orchestrator.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use aws_smithy_runtime_api::client::http::{
    HttpClient, HttpConnector, HttpConnectorFuture, HttpConnectorSettings, SharedHttpClient,
    SharedHttpConnector,
};
use aws_smithy_runtime_api::client::orchestrator::{HttpRequest, HttpResponse};
use aws_smithy_runtime_api::client::result::ConnectorError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::body::SdkBody;
use hyper_util::client::legacy::Client;
use hyper_util::client::legacy::connect::HttpConnector as TcpConnector;
use hyper_util::rt::{TokioExecutor, TokioTimer};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::CryptoProvider;
use rustls::{DigitallySignedStruct, SignatureScheme};
use rustls_pki_types::pem::PemObject;
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use super::S3ConfigError;

/// How the server certificate is checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TlsTrust {
    /// The operating system's trust store.
    System,
    /// Only the CAs in this PEM file (pgBackRest `repo1-storage-ca-file`).
    CaFile(std::path::PathBuf),
    /// No verification at all (pgBackRest `repo1-storage-verify-tls=n`). Tests only.
    Insecure,
}

type HyperClient = Client<hyper_rustls::HttpsConnector<TcpConnector>, SdkBody>;

/// Build the SDK HTTP client.
pub fn build(
    trust: &TlsTrust,
    connect_timeout: Duration,
) -> Result<SharedHttpClient, S3ConfigError> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let builder = rustls::ClientConfig::builder_with_provider(provider.clone())
        .with_safe_default_protocol_versions()
        .map_err(|e| S3ConfigError::Tls(e.to_string()))?;
    let config = match trust {
        TlsTrust::Insecure => builder
            .dangerous()
            .with_custom_certificate_verifier(Arc::new(NoVerify(provider)))
            .with_no_client_auth(),
        TlsTrust::System => builder
            .with_root_certificates(system_roots()?)
            .with_no_client_auth(),
        TlsTrust::CaFile(path) => builder
            .with_root_certificates(file_roots(path)?)
            .with_no_client_auth(),
    };
    let mut tcp = TcpConnector::new();
    tcp.enforce_http(false);
    tcp.set_nodelay(true);
    tcp.set_connect_timeout(Some(connect_timeout));
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_tls_config(config)
        .https_or_http()
        .enable_http1()
        .wrap_connector(tcp);
    let client = Client::builder(TokioExecutor::new())
        .pool_timer(TokioTimer::new())
        .pool_idle_timeout(Duration::from_secs(90))
        .build(https);
    Ok(SharedHttpClient::new(RustlsHttpClient { client }))
}

fn system_roots() -> Result<rustls::RootCertStore, S3ConfigError> {
    let loaded = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (_added, _ignored) = roots.add_parsable_certificates(loaded.certs);
    if roots.is_empty() {
        return Err(S3ConfigError::Tls(format!(
            "no usable CA certificates in the system trust store ({} load errors); install ca-certificates or set a CA file",
            loaded.errors.len()
        )));
    }
    Ok(roots)
}

fn file_roots(path: &Path) -> Result<rustls::RootCertStore, S3ConfigError> {
    let shown = path.display().to_string();
    let pem = std::fs::read(path).map_err(|e| S3ConfigError::CaFile {
        path: shown.clone(),
        detail: e.to_string(),
    })?;
    let certs = CertificateDer::pem_slice_iter(&pem)
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| S3ConfigError::CaFile {
            path: shown.clone(),
            detail: format!("not valid PEM: {e}"),
        })?;
    let mut roots = rustls::RootCertStore::empty();
    for cert in certs {
        roots.add(cert).map_err(|e| S3ConfigError::CaFile {
            path: shown.clone(),
            detail: format!("unusable certificate: {e}"),
        })?;
    }
    if roots.is_empty() {
        return Err(S3ConfigError::CaFile {
            path: shown,
            detail: "contains no CERTIFICATE block".to_owned(),
        });
    }
    Ok(roots)
}

#[derive(Debug, Clone)]
struct RustlsHttpClient {
    client: HyperClient,
}

impl HttpClient for RustlsHttpClient {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        _components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        SharedHttpConnector::new(RustlsConnector {
            client: self.client.clone(),
            read_timeout: settings.read_timeout(),
        })
    }
}

#[derive(Debug, Clone)]
struct RustlsConnector {
    client: HyperClient,
    read_timeout: Option<Duration>,
}

impl HttpConnector for RustlsConnector {
    fn call(&self, request: HttpRequest) -> HttpConnectorFuture {
        let request = match request.try_into_http1x() {
            Ok(r) => r,
            Err(e) => return HttpConnectorFuture::ready(Err(ConnectorError::user(e.into()))),
        };
        let fut = self.client.request(request);
        let read_timeout = self.read_timeout;
        HttpConnectorFuture::new(async move {
            let response = match read_timeout {
                Some(d) => match tokio::time::timeout(d, fut).await {
                    Ok(r) => r,
                    Err(_) => {
                        return Err(ConnectorError::timeout(
                            format!("no response within the read timeout of {d:?}").into(),
                        ));
                    }
                },
                None => fut.await,
            };
            match response {
                Ok(resp) => HttpResponse::try_from(resp.map(SdkBody::from_body_1_x))
                    .map_err(|e| ConnectorError::other(e.into(), None)),
                // Connection-level failures (refused, reset, TLS) are I/O: the SDK retries them.
                Err(e) => Err(ConnectorError::io(e.into())),
            }
        })
    }
}

/// Accepts any certificate but still checks handshake signatures (so the TLS session is sound,
/// only the peer's identity is unverified).
#[derive(Debug)]
struct NoVerify(Arc<CryptoProvider>);

impl ServerCertVerifier for NoVerify {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ca_file_errors_name_the_file() {
        let dir = std::env::temp_dir().join(format!("sb-backups-ca-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let missing = dir.join("missing.pem");
        let e = file_roots(&missing).unwrap_err().to_string();
        assert!(e.contains("missing.pem"), "{e}");
        let empty = dir.join("empty.pem");
        std::fs::write(&empty, "not a pem\n").unwrap();
        let e = file_roots(&empty).unwrap_err().to_string();
        assert!(
            e.contains("empty.pem") && e.contains("no CERTIFICATE"),
            "{e}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
