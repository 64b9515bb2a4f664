//! `kube-test-server`: runs a TEST DOUBLE Kubernetes API server until killed.
//!
//! ```text
//! kube-test-server --kubeconfig-out PATH [--plain-http] [--port N]
//! ```

use std::path::PathBuf;
use std::process::ExitCode;

use kube_test_server::{Config, TestServer};

const USAGE: &str = "usage: kube-test-server --kubeconfig-out PATH [--plain-http] [--port N]\n\
TEST DOUBLE of kube-apiserver for stackbook's tests; never use it as a real cluster.";

struct Args {
    kubeconfig_out: PathBuf,
    plain_http: bool,
    port: u16,
}

fn parse(mut argv: impl Iterator<Item = String>) -> Result<Args, String> {
    let mut out = None;
    let mut plain_http = false;
    let mut port = 0u16;
    while let Some(arg) = argv.next() {
        match arg.as_str() {
            "--kubeconfig-out" => {
                out = Some(PathBuf::from(
                    argv.next().ok_or("--kubeconfig-out needs a PATH")?,
                ))
            }
            "--plain-http" => plain_http = true,
            "--port" => {
                let v = argv.next().ok_or("--port needs a number")?;
                port = v
                    .parse()
                    .map_err(|_| format!("--port: expected a port number, got {v:?}"))?;
            }
            "-h" | "--help" => return Err(String::new()),
            other => return Err(format!("unknown argument {other:?}")),
        }
    }
    Ok(Args {
        kubeconfig_out: out.ok_or("--kubeconfig-out PATH is required")?,
        plain_http,
        port,
    })
}

fn main() -> ExitCode {
    let args = match parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(msg) => {
            if !msg.is_empty() {
                eprintln!("error: {msg}");
            }
            eprintln!("{USAGE}");
            return if msg.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::from(2)
            };
        }
    };
    let mut config = Config {
        tls: !args.plain_http,
        port: args.port,
        ..Config::default()
    };
    if args.plain_http {
        // client-go (kubectl, Helm) never sends bearer tokens over plain HTTP, so a token would
        // lock kubectl out; the plain-HTTP demo server runs without authentication instead.
        config.token = None;
    }
    let server = match TestServer::start_blocking(config) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    if let Err(e) = server.write_kubeconfig(&args.kubeconfig_out) {
        eprintln!(
            "error: writing kubeconfig to {}: {e}",
            args.kubeconfig_out.display()
        );
        return ExitCode::FAILURE;
    }
    eprintln!(
        "kube-test-server (TEST DOUBLE) listening on {}{}; kubeconfig written to {}",
        server.url(),
        if server.token().is_some() {
            " (bearer token auth)"
        } else {
            " (no authentication)"
        },
        args.kubeconfig_out.display()
    );
    loop {
        std::thread::park();
    }
}
