//! Starting and stopping a test server, and the kubeconfig that reaches it.
//!
//! The server runs on its own thread with its own single-threaded Tokio runtime, so it works the
//! same from `#[tokio::test]` (any flavor), from plain `#[test]`s that block on `kubectl`, and from
//! the standalone binary. Dropping the [`TestServer`] stops it and releases the port.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::{Arc, OnceLock};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio_rustls::TlsAcceptor;

use crate::controllers::{self, Controllers};
use crate::faults::{FaultRule, Faults};
use crate::seed::{self, SeedError};
use crate::state::{RequestRecord, State};
use crate::{http, ids, kubeconfig, tls};

/// How to start a server.
#[derive(Debug, Clone)]
pub struct Config {
    /// Serve HTTPS with a fresh self-signed CA (default) or plain HTTP.
    pub tls: bool,
    /// Port on 127.0.0.1; 0 (default) picks a free one.
    pub port: u16,
    /// Bearer token every request must carry; `None` disables authentication.
    /// Default: a random token.
    pub token: Option<String>,
    /// Simulated controllers.
    pub controllers: Controllers,
    /// Fault rules active from the start (more can be added with [`TestServer::faults`]).
    pub faults: Vec<FaultRule>,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            tls: true,
            port: 0,
            token: Some(format!("kts-{}", ids::password(32))),
            controllers: Controllers::default(),
            faults: Vec::new(),
        }
    }
}

impl Config {
    /// Plain HTTP instead of HTTPS. The token stays required; note that client-go (kubectl,
    /// Helm) refuses to send bearer tokens over plain HTTP, so for kubectl over HTTP also set
    /// `token: None`. kube-rs sends the token either way.
    pub fn plain_http(mut self) -> Self {
        self.tls = false;
        self
    }

    /// Replaces the controller settings.
    pub fn controllers(mut self, controllers: Controllers) -> Self {
        self.controllers = controllers;
        self
    }
}

/// Why a server could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    /// Binding 127.0.0.1:port failed.
    #[error("binding 127.0.0.1:{port}: {source}")]
    Bind {
        /// Requested port.
        port: u16,
        /// Cause.
        source: std::io::Error,
    },
    /// TLS material could not be generated.
    #[error(transparent)]
    Tls(#[from] tls::TlsError),
    /// The server thread or runtime could not be created.
    #[error("starting the server thread/runtime: {0}")]
    Runtime(std::io::Error),
    /// The server thread exited before reporting readiness.
    #[error("the server thread exited during startup")]
    Died,
}

struct Ready {
    addr: SocketAddr,
    ca_pem: Option<String>,
    state: Arc<State>,
}

/// A running test API server. Dropping it stops the server.
pub struct TestServer {
    addr: SocketAddr,
    tls: bool,
    ca_pem: Option<String>,
    token: Option<String>,
    faults: Faults,
    state: Arc<State>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
    kubeconfig_file: OnceLock<PathBuf>,
}

impl std::fmt::Debug for TestServer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestServer")
            .field("url", &self.url())
            .field("token", &self.token.as_ref().map(|_| "<redacted>"))
            .finish_non_exhaustive()
    }
}

impl TestServer {
    /// Starts a server and waits until it accepts connections.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let (rx, pieces) = Self::spawn(config)?;
        let ready = rx.await.map_err(|_| StartError::Died)??;
        Ok(Self::assemble(ready, pieces))
    }

    /// Like [`TestServer::start`] for synchronous code. Must not be called from inside an async
    /// runtime (use `start` there).
    pub fn start_blocking(config: Config) -> Result<Self, StartError> {
        let (rx, pieces) = Self::spawn(config)?;
        let ready = rx.blocking_recv().map_err(|_| StartError::Died)??;
        Ok(Self::assemble(ready, pieces))
    }

    #[allow(clippy::type_complexity)]
    fn spawn(
        config: Config,
    ) -> Result<
        (
            oneshot::Receiver<Result<Ready, StartError>>,
            (
                Config,
                Faults,
                oneshot::Sender<()>,
                std::thread::JoinHandle<()>,
            ),
        ),
        StartError,
    > {
        let (ready_tx, ready_rx) = oneshot::channel();
        let (stop_tx, stop_rx) = oneshot::channel();
        let faults = Faults::default();
        for rule in &config.faults {
            faults.add(rule.clone());
        }
        let thread_config = config.clone();
        let thread_faults = faults.clone();
        let thread = std::thread::Builder::new()
            .name("kube-test-server".into())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    Ok(rt) => rt,
                    Err(e) => {
                        let _ = ready_tx.send(Err(StartError::Runtime(e)));
                        return;
                    }
                };
                runtime.block_on(run(thread_config, thread_faults, ready_tx, stop_rx));
            })
            .map_err(StartError::Runtime)?;
        Ok((ready_rx, (config, faults, stop_tx, thread)))
    }

    fn assemble(
        ready: Ready,
        (config, faults, stop, thread): (
            Config,
            Faults,
            oneshot::Sender<()>,
            std::thread::JoinHandle<()>,
        ),
    ) -> Self {
        Self {
            addr: ready.addr,
            tls: config.tls,
            ca_pem: ready.ca_pem,
            token: config.token,
            faults,
            state: ready.state,
            stop: Some(stop),
            thread: Some(thread),
            kubeconfig_file: OnceLock::new(),
        }
    }

    /// `https://127.0.0.1:<port>` (or `http://` with plain HTTP).
    pub fn url(&self) -> String {
        let scheme = if self.tls { "https" } else { "http" };
        format!("{scheme}://{}", self.addr)
    }

    /// The bound address.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// The bearer token clients must send, if authentication is on.
    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    /// The CA certificate (PEM) that signed the server certificate, for HTTPS servers.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Fault rules, editable while the server runs.
    pub fn faults(&self) -> &Faults {
        &self.faults
    }

    /// The current global resourceVersion (number of writes so far).
    pub fn resource_version(&self) -> u64 {
        self.state.lock().rv
    }

    /// A kubeconfig (cluster, user with the token, context `kube-test-server`, namespace
    /// `default`) accepted by kube-rs and kubectl.
    pub fn kubeconfig_yaml(&self) -> String {
        kubeconfig::render(&self.url(), self.ca_pem.as_deref(), self.token.as_deref())
    }

    /// Writes the kubeconfig to `path` (mode 0600 on Unix).
    pub fn write_kubeconfig(&self, path: &Path) -> std::io::Result<()> {
        std::fs::write(path, self.kubeconfig_yaml())?;
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
        }
        Ok(())
    }

    /// Writes the kubeconfig once to a per-server file in the system temp dir and returns its
    /// path; the file is removed when the server is dropped.
    pub fn kubeconfig_path(&self) -> std::io::Result<PathBuf> {
        if let Some(p) = self.kubeconfig_file.get() {
            return Ok(p.clone());
        }
        let path = std::env::temp_dir().join(format!(
            "kube-test-server-{}-{}.kubeconfig",
            std::process::id(),
            self.addr.port()
        ));
        self.write_kubeconfig(&path)?;
        Ok(self.kubeconfig_file.get_or_init(|| path).clone())
    }

    /// Applies a multi-document YAML manifest directly (server-side apply, field manager
    /// `kube-test-server`, forced), e.g. to preload CRDs or fixtures. Returns `Kind/name` per
    /// document. Namespaced objects without a namespace go to `default`.
    pub fn apply_manifests(&self, yaml: &str) -> Result<Vec<String>, SeedError> {
        seed::apply_manifests(&self.state, yaml)
    }

    /// A stored object as `api_version` presents it, e.g.
    /// `server.object("v1", "Secret", Some("database"), "pgo-s3-creds")`.
    pub fn object(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
        name: &str,
    ) -> Option<serde_json::Value> {
        seed::get(&self.state, api_version, kind, namespace, name)
    }

    /// Stored objects of a kind, in one namespace or (`None`) all.
    pub fn objects(
        &self,
        api_version: &str,
        kind: &str,
        namespace: Option<&str>,
    ) -> Vec<serde_json::Value> {
        seed::list(&self.state, api_version, kind, namespace)
    }

    /// The requests handled so far, in order (auth failures and injected faults included).
    pub fn requests(&self) -> Vec<RequestRecord> {
        self.state.requests(false)
    }

    /// Returns the request log and clears it (e.g. between a first and a second run).
    pub fn take_requests(&self) -> Vec<RequestRecord> {
        self.state.requests(true)
    }

    /// Stops the server (same as dropping it).
    pub fn stop(self) {}
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
        if let Some(p) = self.kubeconfig_file.get() {
            let _ = std::fs::remove_file(p);
        }
    }
}

async fn run(
    config: Config,
    faults: Faults,
    ready: oneshot::Sender<Result<Ready, StartError>>,
    mut stop: oneshot::Receiver<()>,
) {
    let listener = match TcpListener::bind(("127.0.0.1", config.port)).await {
        Ok(l) => l,
        Err(source) => {
            let _ = ready.send(Err(StartError::Bind {
                port: config.port,
                source,
            }));
            return;
        }
    };
    let addr = match listener.local_addr() {
        Ok(a) => a,
        Err(source) => {
            let _ = ready.send(Err(StartError::Bind {
                port: config.port,
                source,
            }));
            return;
        }
    };
    let (acceptor, ca_pem) = if config.tls {
        match tls::generate() {
            Ok(m) => (Some(TlsAcceptor::from(m.server_config)), Some(m.ca_pem)),
            Err(e) => {
                let _ = ready.send(Err(e.into()));
                return;
            }
        }
    } else {
        (None, None)
    };
    let state = Arc::new(State::new(config.token.clone(), faults, addr.to_string()));
    controllers::spawn(state.clone(), config.controllers.clone());
    if ready
        .send(Ok(Ready {
            addr,
            ca_pem,
            state: state.clone(),
        }))
        .is_err()
    {
        return;
    }
    loop {
        tokio::select! {
            _ = &mut stop => return,
            accepted = listener.accept() => {
                let Ok((stream, _)) = accepted else { continue };
                let state = state.clone();
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let svc = service_fn(move |req| http::handle(state.clone(), req));
                    match acceptor {
                        Some(a) => {
                            if let Ok(tls_stream) = a.accept(stream).await {
                                let _ = http1::Builder::new().serve_connection(TokioIo::new(tls_stream), svc).await;
                            }
                        }
                        None => {
                            let _ = http1::Builder::new().serve_connection(TokioIo::new(stream), svc).await;
                        }
                    }
                });
            }
        }
    }
}
