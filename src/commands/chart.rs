//! `stackbook chart push`: package a chart directory (or take a `.tgz`) and push it to an OCI
//! registry as `helm push` does, so air-gapped and demo registries can be filled without the
//! helm binary.

use std::path::Path;

use stackbook_helm::source::package::package_dir;
use stackbook_helm::source::reference::parse_oci;
use stackbook_helm::source::{Cache, Credentials, FetchOptions, SourceError};

use crate::cli::{ChartArgs, ChartCommand, ChartPushArgs};

/// Runs a `chart` subcommand; exit 0 on success, 1 on any error (message on stderr).
pub fn run(args: ChartArgs) -> i32 {
    match args.command {
        ChartCommand::Push(push_args) => match push(&push_args) {
            Ok((reference, digest)) => {
                println!("Pushed: {reference}");
                println!("Digest: {digest}");
                0
            }
            Err(message) => {
                eprintln!("Error: {message}");
                1
            }
        },
    }
}

fn push(args: &ChartPushArgs) -> Result<(String, String), String> {
    let archive = read_chart(&args.chart).map_err(|e| e.to_string())?;
    let namespace = parse_oci(&args.remote).map_err(|e| e.to_string())?;
    let credentials = match (&args.username, password(args)?) {
        (Some(username), Some(password)) => Some(Credentials {
            username: username.clone(),
            password,
        }),
        (None, None) => None,
        _ => return Err("--username and a password (--password-stdin) go together".into()),
    };
    let options = FetchOptions {
        cache: Cache::new(Cache::default_root()),
        plain_http: args.plain_http,
        registry_config: args.registry_config.clone(),
        credentials,
        ..FetchOptions::default()
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the async runtime: {e}"))?;
    runtime
        .block_on(async {
            options
                .oci_client(&namespace.registry)?
                .push(&namespace, &archive)
                .await
        })
        .map_err(|e| e.to_string())
}

/// A `.tgz` is pushed as is; a directory is packaged like `helm package`.
fn read_chart(path: &Path) -> Result<Vec<u8>, SourceError> {
    if path.is_dir() {
        return package_dir(path).map(|(archive, _, _)| archive);
    }
    std::fs::read(path).map_err(|source| SourceError::Io {
        path: path.to_path_buf(),
        source,
    })
}

fn password(args: &ChartPushArgs) -> Result<Option<String>, String> {
    if !args.password_stdin {
        return Ok(None);
    }
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .map_err(|e| format!("reading the password from stdin: {e}"))?;
    Ok(Some(line.trim_end_matches(['\r', '\n']).to_owned()))
}
