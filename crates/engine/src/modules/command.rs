//! `command` and `shell`: run a program on the (local) host.
//!
//! ```yaml
//! - shell: scw secret version access {{ id }} revision=1 -o json | jq -r .data
//!   register: raw
//!   changed_when: false
//! - command: pg_dump mydb
//!   args: {chdir: /backups, creates: /backups/mydb.sql}
//! ```
//! `command` splits its line like a shell would but runs no shell (no pipes, no `$VAR`);
//! `shell` runs `/bin/sh -c` (or `executable`).

use std::io::Write;
use std::path::Path;
use std::process::{Command as Process, Stdio};

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CommandArgs {
    #[serde(default, deserialize_with = "args::string_opt")]
    _raw_params: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    cmd: Option<String>,
    argv: Option<Vec<String>>,
    #[serde(default, deserialize_with = "args::string_opt")]
    chdir: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    creates: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    removes: Option<String>,
    #[serde(default, deserialize_with = "args::string_opt")]
    stdin: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    stdin_add_newline: Option<bool>,
    #[serde(default, deserialize_with = "args::string_opt")]
    executable: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    strip_empty_ends: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    expand_argument_vars: Option<bool>,
}

/// `command` (`shell: false`) and `shell` (`shell: true`).
pub struct Command {
    /// Run through a shell.
    pub shell: bool,
}

impl Module for Command {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(if self.shell {
            crate::module_docs!("shell")
        } else {
            crate::module_docs!("command")
        })
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let name = if self.shell {
            "ansible.builtin.shell"
        } else {
            "ansible.builtin.command"
        };
        let args: CommandArgs = match parse_args(name, args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = args.expand_argument_vars;
        let line = args._raw_params.clone().or(args.cmd.clone());
        let argv: Vec<String> = match (&line, &args.argv) {
            (Some(_), Some(_)) => {
                return failed("parameters are mutually exclusive: cmd|argv|_raw_params");
            }
            (Some(line), None) if self.shell => {
                let executable = args
                    .executable
                    .clone()
                    .unwrap_or_else(|| "/bin/sh".to_string());
                vec![executable, "-c".to_string(), line.clone()]
            }
            (Some(line), None) => match shell_words(line) {
                Ok(words) if !words.is_empty() => words,
                Ok(_) => return failed("no command given"),
                Err(message) => return failed(message),
            },
            (None, Some(argv)) if !argv.is_empty() => argv.clone(),
            _ => return failed("no command given"),
        };
        let chdir = args.chdir.as_deref().map(Path::new);
        let resolve = |path: &str| match chdir {
            Some(dir) if !Path::new(path).is_absolute() => dir.join(path),
            _ => Path::new(path).to_path_buf(),
        };
        if let Some(creates) = &args.creates
            && resolve(creates).exists()
        {
            return skipped_result(&argv, format!("skipped, since {creates} exists"));
        }
        if let Some(removes) = &args.removes
            && !resolve(removes).exists()
        {
            return skipped_result(&argv, format!("skipped, since {removes} does not exist"));
        }
        if context.check_mode {
            let mut result = done(false);
            result.insert("cmd".into(), cmd_json(self.shell, &argv, line.as_deref()));
            result.insert(
                "msg".into(),
                Json::String("Command would have run if not in check mode".into()),
            );
            result.insert("rc".into(), Json::from(0));
            result.insert("stderr".into(), Json::String(String::new()));
            result.insert("stderr_lines".into(), Json::Array(Vec::new()));
            result.insert("stdout".into(), Json::String(String::new()));
            result.insert("stdout_lines".into(), Json::Array(Vec::new()));
            result.insert("skipped".into(), Json::Bool(true));
            return result;
        }

        let mut process = Process::new(&argv[0]);
        process.args(&argv[1..]);
        process.envs(context.environment.iter().map(|(k, v)| (k, v)));
        if let Some(dir) = chdir {
            process.current_dir(dir);
        }
        process.stdin(if args.stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        });
        process.stdout(Stdio::piped()).stderr(Stdio::piped());
        let mut child = match process.spawn() {
            Ok(child) => child,
            Err(error) => {
                let mut result = failed(format!(
                    "[Errno 2] No such file or directory: b'{}' ({error})",
                    argv[0]
                ));
                result.insert("rc".into(), Json::from(2));
                result.insert("cmd".into(), cmd_json(self.shell, &argv, line.as_deref()));
                return result;
            }
        };
        if let (Some(input), Some(mut pipe)) = (&args.stdin, child.stdin.take()) {
            let mut data = input.clone();
            if args.stdin_add_newline != Some(false) {
                data.push('\n');
            }
            // A process that exits without reading stdin is not an error of ours.
            let _ = pipe.write_all(data.as_bytes());
        }
        let started = std::time::SystemTime::now();
        let output = match child.wait_with_output() {
            Ok(output) => output,
            Err(error) => return failed(format!("failed to wait for command: {error}")),
        };
        let strip = args.strip_empty_ends != Some(false);
        let stdout = clean_output(&output.stdout, strip);
        let stderr = clean_output(&output.stderr, strip);
        let rc = output.status.code().unwrap_or(-1);
        let mut result = done(true);
        result.insert("cmd".into(), cmd_json(self.shell, &argv, line.as_deref()));
        result.insert("rc".into(), Json::from(rc));
        let ended = std::time::SystemTime::now();
        result.insert(
            "start".into(),
            Json::String(crate::clock::timestamp(started)),
        );
        result.insert("end".into(), Json::String(crate::clock::timestamp(ended)));
        result.insert(
            "delta".into(),
            Json::String(crate::clock::delta(
                ended.duration_since(started).unwrap_or_default(),
            )),
        );

        result.insert("stdout_lines".into(), lines(&stdout));
        result.insert("stderr_lines".into(), lines(&stderr));
        result.insert("stdout".into(), Json::String(stdout));
        result.insert("stderr".into(), Json::String(stderr));
        result.insert("msg".into(), Json::String(String::new()));
        if rc != 0 {
            result.insert("failed".into(), Json::Bool(true));
            result.insert("msg".into(), Json::String("non-zero return code".into()));
        }
        result
    }
}

fn cmd_json(shell: bool, argv: &[String], line: Option<&str>) -> Json {
    match (shell, line) {
        (true, Some(line)) => Json::String(line.to_string()),
        _ => Json::Array(argv.iter().cloned().map(Json::String).collect()),
    }
}

fn skipped_result(argv: &[String], message: String) -> ModuleResult {
    let mut result = done(false);
    result.insert(
        "cmd".into(),
        Json::Array(argv.iter().cloned().map(Json::String).collect()),
    );
    result.insert("rc".into(), Json::from(0));
    result.insert("stdout".into(), Json::String(message.clone()));
    result.insert(
        "stdout_lines".into(),
        Json::Array(vec![Json::String(message)]),
    );
    result.insert("stderr".into(), Json::String(String::new()));
    result.insert("stderr_lines".into(), Json::Array(Vec::new()));
    result
}

fn clean_output(bytes: &[u8], strip: bool) -> String {
    let text = String::from_utf8_lossy(bytes).into_owned();
    if strip {
        text.trim_end_matches(['\n', '\r'])
            .trim_start_matches(['\n', '\r'])
            .to_string()
    } else {
        text
    }
}

fn lines(text: &str) -> Json {
    Json::Array(text.lines().map(|l| Json::String(l.to_string())).collect())
}

/// Splits a command line like Python's `shlex.split` (quotes and backslashes, no expansion).
/// Shared by every module that takes a command line (`command`, `k8s_exec`).
pub fn shell_words(line: &str) -> Result<Vec<String>, String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut in_word = false;
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\'' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('\'') => break,
                        Some(other) => current.push(other),
                        None => return Err(format!("No closing quotation in command: {line}")),
                    }
                }
            }
            '"' => {
                in_word = true;
                loop {
                    match chars.next() {
                        Some('"') => break,
                        Some('\\') => match chars.next() {
                            Some(escaped @ ('"' | '\\' | '$' | '`')) => current.push(escaped),
                            Some(other) => {
                                current.push('\\');
                                current.push(other);
                            }
                            None => return Err(format!("No closing quotation in command: {line}")),
                        },
                        Some(other) => current.push(other),
                        None => return Err(format!("No closing quotation in command: {line}")),
                    }
                }
            }
            '\\' => {
                in_word = true;
                if let Some(next) = chars.next() {
                    current.push(next);
                }
            }
            c if c.is_whitespace() => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                in_word = true;
                current.push(c);
            }
        }
    }
    if in_word {
        words.push(current);
    }
    Ok(words)
}

#[cfg(test)]
mod tests {
    use super::shell_words;

    #[test]
    fn splits_like_shlex() {
        assert_eq!(
            shell_words(r#"echo "a b" 'c d' e\ f"#).unwrap(),
            vec!["echo", "a b", "c d", "e f"]
        );
        assert!(shell_words("echo 'open").is_err());
    }
}
