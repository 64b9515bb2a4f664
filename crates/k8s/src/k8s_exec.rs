//! `kubernetes.core.k8s_exec`: run a command in a Pod's container over the exec WebSocket.
//!
//! ```yaml
//! - kubernetes.core.k8s_exec:
//!     namespace: database
//!     pod: your-project-db-instance1-abcd-0
//!     container: database
//!     command: patronictl list
//!   register: patroni
//! ```
//!
//! Returns `stdout`, `stderr`, `stdout_lines`, `stderr_lines` and `rc` (from the exec status's
//! `ExitCode` cause), like kubernetes.core. A string `command` is split like a shell would split
//! words (quotes respected, no expansion); a list is used as is.

use serde::Deserialize;
use serde_json::{Map, Value as Json};
use stackbook_engine::modules::{Module, ModuleContext, ModuleResult, args, failed, parse_args};

use crate::connection::ConnectionArgs;
use crate::error::K8sError;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct ExecArgs {
    #[serde(default, deserialize_with = "args::string_opt")]
    namespace: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    pod: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    container: Option<String>,
    #[serde(default)]
    command: Option<Json>,
}

/// The `kubernetes.core.k8s_exec` module.
#[derive(Debug, Default)]
pub struct K8sExec;

const NAME: &str = "kubernetes.core.k8s_exec";

/// Splits a command line into words the way the `command` module does (Python's
/// `shlex.split`: quotes group, backslashes escape, no expansion).
pub fn split_words(line: &str) -> Result<Vec<String>, String> {
    stackbook_engine::modules::command::shell_words(line)
}
fn command_words(command: &Json) -> Result<Vec<String>, String> {
    match command {
        Json::String(line) => split_words(line),
        Json::Array(items) => Ok(items
            .iter()
            .map(|i| match i {
                Json::String(s) => s.clone(),
                other => other.to_string(),
            })
            .collect()),
        other => Err(format!("command must be a string or a list, got {other}")),
    }
}

impl Module for K8sExec {
    fn docs(&self) -> Option<stackbook_engine::modules::docs::DocSource> {
        Some(stackbook_engine::module_docs!(
            "k8s_exec",
            fragments = ["k8s_connection"]
        ))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let mut map = match args {
            Json::Object(map) => map,
            Json::Null => Map::new(),
            other => return failed(format!("{NAME}: arguments must be a mapping, got {other}")),
        };
        let connection = match ConnectionArgs::take(&mut map) {
            Ok(connection) => connection,
            Err(message) => return failed(message),
        };
        let args: ExecArgs = match parse_args(NAME, Json::Object(map)) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let (Some(pod), Some(command)) = (args.pod.clone(), args.command.as_ref()) else {
            return failed("missing required arguments: command, pod");
        };
        let words = match command_words(command) {
            Ok(words) if !words.is_empty() => words,
            Ok(_) => return failed("command is empty"),
            Err(message) => return failed(message),
        };
        if context.check_mode {
            let mut result = stackbook_engine::modules::done(false);
            result.insert("skipped".into(), Json::Bool(true));
            result.insert(
                "msg".into(),
                Json::String("k8s_exec does not run in check mode".into()),
            );
            return result;
        }
        let source = connection.source(context);
        let outcome = crate::runtime::block_on(async {
            let cluster = crate::cluster::connect(&connection, &source).await?;
            let namespace = args
                .namespace
                .clone()
                .unwrap_or_else(|| cluster.default_namespace.clone());
            exec(&cluster, &namespace, &pod, args.container.as_deref(), words).await
        });
        match outcome {
            None => failed("cannot start the Kubernetes client runtime (no threads available)"),
            Some(Ok(result)) => result,
            Some(Err(error)) => error.into_result(),
        }
    }
}

async fn exec(
    cluster: &crate::cluster::Cluster,
    namespace: &str,
    pod: &str,
    container: Option<&str>,
    command: Vec<String>,
) -> Result<ModuleResult, K8sError> {
    use k8s_openapi::api::core::v1::Pod;
    use kube::api::{Api, AttachParams};
    use tokio::io::AsyncReadExt;

    let what = format!("Pod {namespace}/{pod}");
    let api: Api<Pod> = Api::namespaced(cluster.client().clone(), namespace);
    let mut params = AttachParams::default()
        .stdout(true)
        .stderr(true)
        .stdin(false);
    if let Some(container) = container {
        params = params.container(container);
    }
    // The command line may carry credentials: only at trace (and never in no_log tasks).
    tracing::debug!(namespace, pod, container, "kubernetes exec");
    tracing::trace!(namespace, pod, ?command, "kubernetes exec command");
    let mut process = api
        .exec(pod, command.clone(), &params)
        .await
        .map_err(|e| exec_error(&what, &e))?;
    let mut stdout = process.stdout();
    let mut stderr = process.stderr();
    let status = process.take_status();
    let mut out = Vec::new();
    let mut err = Vec::new();
    let read_out = async {
        if let Some(stream) = stdout.as_mut() {
            let _ = stream.read_to_end(&mut out).await;
        }
    };
    let read_err = async {
        if let Some(stream) = stderr.as_mut() {
            let _ = stream.read_to_end(&mut err).await;
        }
    };
    tokio::join!(read_out, read_err);
    let status = match status {
        Some(status) => status.await,
        None => None,
    };
    let _ = process.join().await;
    let rc = exit_code(status.as_ref());
    let stdout = String::from_utf8_lossy(&out).to_string();
    let stderr = String::from_utf8_lossy(&err).to_string();
    let lines = |text: &str| Json::Array(text.lines().map(|l| Json::String(l.into())).collect());
    let mut result = Map::new();
    result.insert("changed".into(), Json::Bool(true));
    result.insert("stdout_lines".into(), lines(&stdout));
    result.insert("stderr_lines".into(), lines(&stderr));
    result.insert("stdout".into(), Json::String(stdout));
    result.insert("stderr".into(), Json::String(stderr));
    result.insert("rc".into(), Json::from(rc));
    result.insert("return_code".into(), Json::from(rc));
    if rc != 0 {
        result.insert("failed".into(), Json::Bool(true));
        result.insert(
            "msg".into(),
            Json::String(format!("command {command:?} in {what} exited with {rc}")),
        );
    }
    Ok(result)
}

/// The exit code in an exec `Status`: 0 on Success, the `ExitCode` cause otherwise, else 1.
fn exit_code(status: Option<&k8s_openapi::apimachinery::pkg::apis::meta::v1::Status>) -> i64 {
    let Some(status) = status else {
        return 0;
    };
    if status.status.as_deref() == Some("Success") {
        return 0;
    }
    status
        .details
        .as_ref()
        .and_then(|d| d.causes.as_ref())
        .and_then(|causes| {
            causes
                .iter()
                .find(|c| c.reason.as_deref() == Some("ExitCode"))
                .and_then(|c| c.message.as_deref())
                .and_then(|m| m.trim().parse().ok())
        })
        .unwrap_or(1)
}

fn exec_error(what: &str, error: &kube::Error) -> K8sError {
    match error {
        kube::Error::Api(status) => K8sError::Api {
            verb: "exec".into(),
            what: what.into(),
            code: status.code,
            reason: format!(", {}", status.reason),
            message: status.message.clone(),
        },
        other => K8sError::Api {
            verb: "exec".into(),
            what: what.into(),
            code: 0,
            reason: String::new(),
            message: format!("{other} (the API server must support the exec WebSocket protocol)"),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_split_like_a_shell_without_expansion() {
        assert_eq!(
            split_words(r#"patronictl  -c '/etc/patroni cfg' list "a \"b\"" c\ d"#).ok(),
            Some(vec![
                "patronictl".to_string(),
                "-c".into(),
                "/etc/patroni cfg".into(),
                "list".into(),
                "a \"b\"".into(),
                "c d".into()
            ])
        );
        assert_eq!(split_words("''").ok(), Some(vec![String::new()]));
        assert!(split_words("echo 'open").is_err());
    }

    #[test]
    fn exit_codes_come_from_the_status_cause() {
        use k8s_openapi::apimachinery::pkg::apis::meta::v1::{Status, StatusCause, StatusDetails};
        let failure = Status {
            status: Some("Failure".into()),
            details: Some(StatusDetails {
                causes: Some(vec![StatusCause {
                    reason: Some("ExitCode".into()),
                    message: Some("3".into()),
                    ..Default::default()
                }]),
                ..Default::default()
            }),
            ..Default::default()
        };
        assert_eq!(exit_code(Some(&failure)), 3);
        let success = Status {
            status: Some("Success".into()),
            ..Default::default()
        };
        assert_eq!(exit_code(Some(&success)), 0);
    }
}
