//! The leak suite: canary secrets from every secret source stackbook knows, pushed through every
//! output sink, and every captured byte grepped for them.
//!
//! Sources: a whole-file age vault, an inline `!age` value, an Ansible Vault 1.1 file and an
//! inline `!vault` value, `lookup('aws_secret')` against moto (a JSON document taken apart with
//! `from_json`), `lookup('url')` against a server the test starts (a plain value and a JSON
//! one), and the registered result of a `no_log: true` task. Sinks: `debug` (msg, var,
//! embedded in an `s3.conf` body, `to_json`), `set_fact`, a loop label, a templated task name,
//! `shell` with the secret in `environment:` (echoed, and on the stderr of a failing command)
//! and shell-quoted (`| quote`) in a command line, `fail`, `assert`, a template error, a
//! Kubernetes Secret applied with `--diff` (stringData and base64 data) against the API test
//! double and read back with `k8s_info`, `-vvvv` logs, `--output json` and `--report FILE`.
//! Two sources carry quotes, backslashes, `%`, `$` and non-ASCII, so every escaping an output
//! format applies is exercised.
//!
//! Each canary is searched verbatim, as every 12-character piece (a secret cut or wrapped), and
//! in standard and URL-safe base64 at every byte alignment (a secret inside a longer base64
//! blob), with every 16-character piece of those. The run must also have *used* each secret —
//! the Secret objects on the server hold it, the shell saw it through its environment — so the
//! suite cannot pass by printing nothing.
//!
//! moto (PyPI `moto[server]`, `crates/lookups/scripts/setup.sh`) is needed for the
//! `aws_secret` source: without it that source is skipped with a notice, or the test fails when
//! `CI` is set.

use std::collections::hash_map::RandomState;
use std::hash::{BuildHasher, Hasher};
use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, STANDARD_NO_PAD, URL_SAFE, URL_SAFE_NO_PAD};
use serde_json::Value as Json;
use stackbook_secrets::SecretString;
use stackbook_secrets::age::{Recipient, encrypt_age_armored};

// ---------------------------------------------------------------------------------------------
// Canaries and the leak detector
// ---------------------------------------------------------------------------------------------

/// A fresh random-looking canary: `tag` (to tell sources apart in failure messages) and 24
/// random characters, so no piece of it can occur in output by chance.
fn canary(tag: &str) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";
    let mut out = String::from(tag);
    let mut round = 0u64;
    while out.len() < tag.len() + 24 {
        let mut hasher = RandomState::new().build_hasher();
        hasher.write_u64(round);
        let mut bits = hasher.finish();
        for _ in 0..8 {
            let index = (bits % ALPHABET.len() as u64) as usize;
            out.push(char::from(ALPHABET[index]));
            bits /= ALPHABET.len() as u64;
        }
        round += 1;
    }
    out
}

/// Every form of `secret` that counts as a leak, with a label for the failure message.
fn leak_forms(secret: &str) -> Vec<(String, String)> {
    let mut forms = vec![("verbatim".to_string(), secret.to_string())];
    forms.extend(windows(secret, 12).map(|w| ("piece".to_string(), w)));
    let bytes = secret.as_bytes();
    for (name, engine) in [
        ("base64", &STANDARD),
        ("base64url", &URL_SAFE),
        ("base64-nopad", &STANDARD_NO_PAD),
        ("base64url-nopad", &URL_SAFE_NO_PAD),
    ] {
        forms.push((name.to_string(), engine.encode(bytes)));
        // Inside a longer blob at byte offset k (mod 3): the characters whose six bits all come
        // from the secret are the same whatever surrounds it.
        for k in 0..3usize {
            let mut buffer = vec![0u8; k];
            buffer.extend_from_slice(bytes);
            let encoded = engine.encode(&buffer);
            let start = (8 * k).div_ceil(6);
            let end = (8 * (k + bytes.len())) / 6;
            if let Some(fragment) = encoded.get(start..end) {
                forms.push((format!("{name} at offset {k}"), fragment.to_string()));
                forms.extend(windows(fragment, 16).map(|w| (format!("{name} piece"), w)));
            }
        }
    }
    forms.sort();
    forms.dedup();
    forms
}

fn windows(text: &str, size: usize) -> impl Iterator<Item = String> + '_ {
    let chars: Vec<char> = text.chars().collect();
    let count = chars.len().saturating_sub(size - 1);
    (0..count).map(move |i| chars[i..i + size].iter().collect())
}

/// Where any canary shows up in any captured output, as readable lines.
fn leaks(canaries: &[(&str, &str)], outputs: &[(&str, &str)]) -> Vec<String> {
    let mut found = Vec::new();
    for (source, secret) in canaries {
        let forms = leak_forms(secret);
        for (sink, text) in outputs {
            for (form, pattern) in &forms {
                if let Some(at) = text.find(pattern.as_str()) {
                    let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                    let line_end = text[at..].find('\n').map_or(text.len(), |i| at + i);
                    found.push(format!(
                        "{source} leaked ({form}) in {sink}: {}",
                        &text[line_start..line_end]
                    ));
                    break;
                }
            }
        }
    }
    found
}

fn assert_no_leaks(canaries: &[(&str, &str)], outputs: &[(&str, &str)]) {
    let found = leaks(canaries, outputs);
    assert!(
        found.is_empty(),
        "{} leaks:\n{}",
        found.len(),
        found.join("\n")
    );
}

#[test]
fn the_leak_detector_finds_every_form_it_promises() {
    let secret = canary("lkDetect");
    let inside = |prefix: &str, engine: &base64::engine::GeneralPurpose| {
        engine.encode(format!("{prefix}{secret}\nmore text"))
    };
    let samples = [
        format!("x={secret};"),
        format!("cut: {}…", &secret[..14]),
        format!("wrapped:\n{}\n{}", &secret[..16], &secret[16..]),
        STANDARD.encode(&secret),
        inside("[global]\nkey=", &STANDARD),
        inside("a", &URL_SAFE),
        inside("ab", &STANDARD_NO_PAD),
        // A base64 blob wrapped at 20 columns.
        inside("[global]\nrepo1-cipher-pass=", &STANDARD)
            .as_bytes()
            .chunks(20)
            .map(|c| String::from_utf8_lossy(c).into_owned())
            .collect::<Vec<_>>()
            .join("\n"),
    ];
    for sample in &samples {
        assert_eq!(
            leaks(&[("canary", &secret)], &[("sample", sample)]).len(),
            1,
            "not detected: {sample}"
        );
    }
    let clean = format!(
        "x=********; {}",
        canary("lkOther") + &STANDARD.encode(canary("lkOther"))
    );
    assert!(leaks(&[("canary", &secret)], &[("clean", &clean)]).is_empty());
}

// ---------------------------------------------------------------------------------------------
// Scratch directory, the binary, and the servers the suite starts
// ---------------------------------------------------------------------------------------------

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir =
            std::env::temp_dir().join(format!("stackbook-leaks-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch dir");
        Scratch { dir }
    }

    fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.dir.join(name);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).expect("parent dir");
        }
        std::fs::write(&path, text).expect("write file");
        path
    }

    fn read(&self, name: &str) -> String {
        std::fs::read_to_string(self.dir.join(name)).unwrap_or_default()
    }

    fn stackbook(&self, args: &[&str], env: &[(&str, &Path)]) -> Output {
        let mut command = Command::new(env!("CARGO_BIN_EXE_stackbook"));
        command
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .env_remove("STACKBOOK_LOG")
            .env_remove("STACKBOOK_AGE_IDENTITY")
            .env_remove("SOPS_AGE_KEY_FILE")
            .env_remove("SOPS_AGE_KEY")
            .env_remove("K8S_AUTH_KUBECONFIG")
            .env_remove("KUBECONFIG")
            .env_remove("AWS_ACCESS_KEY_ID")
            .env_remove("AWS_SECRET_ACCESS_KEY")
            .env_remove("AWS_SESSION_TOKEN")
            .env_remove("AWS_PROFILE")
            .env("HOME", &self.dir)
            .args(args);
        for (key, value) in env {
            command.env(key, value);
        }
        command.output().expect("stackbook runs")
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn text(output: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

fn fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/secrets/tests/fixtures")
        .join(path)
}

fn age_recipient() -> Recipient {
    let text = std::fs::read_to_string(fixture("keys/recipient.txt")).expect("recipient fixture");
    let line = text
        .lines()
        .find(|l| l.starts_with("age1"))
        .expect("an age1 recipient");
    Recipient::parse(line).expect("valid recipient")
}

/// A whole-file age vault holding `yaml`.
fn age_vault(yaml: &str) -> String {
    encrypt_age_armored(yaml.as_bytes(), &[age_recipient()]).expect("age encrypts")
}

/// `name: !age |` with `value` encrypted, as `stackbook vault encrypt-string` writes it.
fn age_inline(name: &str, value: &str) -> String {
    stackbook_secrets::ops::encrypt_string(
        &SecretString::from(value),
        Some(name),
        &[age_recipient()],
    )
    .expect("age encrypts")
}

/// An Ansible Vault 1.1 text of `plaintext` (byte-compatible with `ansible-vault`; interop is
/// proven in crates/secrets/tests/live_interop.rs).
fn ansible_vault(plaintext: &str, password: &str) -> String {
    stackbook_secrets::ansible::encrypt(plaintext.as_bytes(), &SecretString::from(password), None)
        .expect("ansible vault encrypts")
}

/// `name: !vault |` with `value` encrypted, as `ansible-vault encrypt_string` writes it.
fn ansible_inline(name: &str, value: &str, password: &str) -> String {
    let vault = ansible_vault(value, password);
    let body: Vec<String> = vault.lines().map(|l| format!("          {l}")).collect();
    format!("{name}: !vault |\n{}\n", body.join("\n"))
}

/// A loopback HTTP server answering every request with `body`; stops on Drop.
struct HttpServer {
    addr: SocketAddr,
    hits: Arc<AtomicUsize>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl HttpServer {
    fn start(body: String) -> HttpServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        let hits = Arc::new(AtomicUsize::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let (hits2, stop2) = (hits.clone(), stop.clone());
        let thread = std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(mut stream) = stream else { continue };
                let _ = stream.set_read_timeout(Some(Duration::from_secs(5)));
                let mut reader = BufReader::new(stream.try_clone().expect("clone stream"));
                let mut line = String::new();
                while reader.read_line(&mut line).is_ok_and(|n| n > 0) {
                    if line == "\r\n" || line == "\n" {
                        break;
                    }
                    line.clear();
                }
                hits2.fetch_add(1, Ordering::SeqCst);
                let response = format!(
                    "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes());
            }
        });
        HttpServer {
            addr,
            hits,
            stop,
            thread: Some(thread),
        }
    }

    fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        let _ = TcpStream::connect(self.addr);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// moto's server (Secrets Manager), killed by PID and reaped on Drop.
struct Moto {
    child: Child,
    endpoint: String,
    bin: PathBuf,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

const AWS_REGION: &str = "eu-west-1";

/// Starts moto when it is installed; `None` (after a skip notice) when not and `CI` is unset.
fn start_moto() -> Option<Moto> {
    let bin = std::env::var_os("STACKBOOK_ORACLE_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join(".oracle-venv/bin"));
    if !bin.join("moto_server").is_file() {
        assert!(
            std::env::var_os("CI").is_none(),
            "moto_server missing: run crates/lookups/scripts/setup.sh"
        );
        eprintln!(
            "SKIP the aws_secret source: moto_server not installed (crates/lookups/scripts/setup.sh; or set STACKBOOK_ORACLE_BIN)"
        );
        return None;
    }
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
        bin,
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    Some(moto)
}

/// Creates a Secrets Manager secret with boto3 (an independent client).
fn seed_moto(moto: &Moto, name: &str, value: &str) {
    let script = r#"
import sys, boto3
c = boto3.client("secretsmanager", endpoint_url=sys.argv[1], region_name=sys.argv[2],
                 aws_access_key_id="testing", aws_secret_access_key="testing")
c.create_secret(Name=sys.argv[3], SecretString=sys.stdin.read())
"#;
    let mut child = Command::new(moto.bin.join("python"))
        .args(["-c", script, &moto.endpoint, AWS_REGION, name])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run boto3");
    if let Some(mut stdin) = child.stdin.take() {
        stdin.write_all(value.as_bytes()).expect("write secret");
    }
    let output = child.wait_with_output().expect("boto3 finishes");
    assert!(
        output.status.success(),
        "boto3 seeding failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
}

// ---------------------------------------------------------------------------------------------
// The suite
// ---------------------------------------------------------------------------------------------

/// One secret source: its canary, a slug for file and object names, and the template
/// expression that yields the secret in a task.
struct Source {
    slug: &'static str,
    secret: String,
    expr: &'static str,
}

/// Characters that secrets have and that each output format escapes differently.
const SPECIALS: &str = "p@ss/w0rd+\"q\" \\n 'it''s' $HOME %41 é✓";

/// The tasks that push `source`'s secret through every task-level sink.
fn sink_tasks(source: &Source) -> String {
    let (slug, e) = (source.slug, source.expr);
    let var = slug.replace('-', "_");
    format!(
        r#"
    - name: "{slug}: debug msg"
      debug:
        msg: "{{{{ {e} }}}}"
    - name: "{slug}: debug var"
      debug:
        var: {e}
    - name: "{slug}: inside an s3.conf body"
      debug:
        msg: "[global]\nrepo1-s3-key-secret={{{{ {e} }}}}\nrepo1-path=/pgbackrest\n"
    - name: "{slug}: set_fact"
      set_fact:
        fact_{var}: "key={{{{ {e} }}}}"
    - name: "{slug}: the fact"
      debug:
        var: fact_{var}
    - name: "{slug}: a loop label"
      debug:
        msg: "looping"
      loop: ["{{{{ {e} }}}}"]
    - name: "{slug}: templated name {{{{ {e} }}}}"
      debug:
        msg: "named"
    - name: "{slug}: shell environment"
      shell: printf '%s' "$LEAK_SECRET" > "seen-{slug}-{{{{ run_id }}}}.txt"; echo "secret is $LEAK_SECRET"
      environment:
        LEAK_SECRET: "{{{{ {e} }}}}"
    - name: "{slug}: shell-quoted in a command line"
      shell: "printf '%s' {{{{ {e} | quote }}}} > quoted-{slug}-{{{{ run_id }}}}.txt"
    - name: "{slug}: serialized as JSON"
      debug:
        msg: "{{{{ {{'key': {e}}} | to_json }}}}"
    - name: "{slug}: a failing command"
      shell: echo "bad secret $LEAK_SECRET" >&2; exit 3
      environment:
        LEAK_SECRET: "{{{{ {e} }}}}"
      ignore_errors: true
    - name: "{slug}: fail"
      fail:
        msg: "cannot use {{{{ {e} }}}}"
      ignore_errors: true
    - name: "{slug}: assert"
      assert:
        that: "{e} == 'something else'"
        fail_msg: "expected something else than {{{{ {e} }}}}"
      ignore_errors: true
    - name: "{slug}: a template error"
      debug:
        msg: "{{{{ lookup('file', 'missing/' ~ {e}) }}}}"
      ignore_errors: true
    - name: "{slug}: a Kubernetes Secret"
      kubernetes.core.k8s:
        state: present
        definition:
          apiVersion: v1
          kind: Secret
          metadata:
            name: "leak-{slug}-{{{{ run_id }}}}"
            namespace: default
          stringData:
            s3.conf: "[global]\nrepo1-s3-key-secret={{{{ {e} }}}}\nrepo1-path=/pgbackrest\n"
          data:
            key: "{{{{ {e} | b64encode }}}}"
            conf: "{{{{ ('[global]\nrepo1-cipher-pass=' ~ {e} ~ '\n') | b64encode }}}}"
    - name: "{slug}: read it back"
      kubernetes.core.k8s_info:
        kind: Secret
        namespace: default
        name: "leak-{slug}-{{{{ run_id }}}}"
      register: read_{var}
    - name: "{slug}: show what was read"
      debug:
        var: read_{var}
"#
    )
}

#[test]
fn every_secret_source_is_masked_in_every_sink() {
    let scratch = Scratch::new("sinks");
    let password = canary("lkVaultPw");
    let mut sources = vec![
        Source {
            slug: "age-file",
            secret: canary("lkAgeFile"),
            expr: "age_file_secret",
        },
        // Quotes, backslashes, spaces, '%', '$', '/', '+' and non-ASCII: the escaped forms
        // JSON, YAML, shells and URLs give a secret must be masked too.
        Source {
            slug: "age-inline",
            secret: format!("{}-{SPECIALS}", canary("lkAgeInline")),
            expr: "age_inline_secret",
        },
        Source {
            slug: "vault-file",
            secret: canary("lkVaultFile"),
            expr: "vault_file_secret",
        },
        Source {
            slug: "vault-inline",
            secret: format!("{SPECIALS}-{}", canary("lkVaultInline")),
            expr: "vault_inline_secret",
        },
        Source {
            slug: "url",
            secret: canary("lkUrl"),
            expr: "url_secret",
        },
        Source {
            slug: "url-json",
            secret: canary("lkUrlJson"),
            expr: "(url_document | from_json).token",
        },
        Source {
            slug: "no-log",
            secret: canary("lkNoLog"),
            expr: "no_log_result.stdout",
        },
    ];
    let moto = start_moto();
    if moto.is_some() {
        sources.push(Source {
            slug: "aws",
            secret: canary("lkAws"),
            expr: "(aws_document | from_json).password",
        });
    }
    let secret_of = |slug: &str| {
        sources
            .iter()
            .find(|s| s.slug == slug)
            .map(|s| s.secret.clone())
            .expect("source")
    };

    // The vaults.
    scratch.write(
        "vaults/age_file.yml",
        &age_vault(&format!("age_file_secret: \"{}\"\n", secret_of("age-file"))),
    );
    scratch.write(
        "vaults/age_inline.yml",
        &age_inline("age_inline_secret", &secret_of("age-inline")),
    );
    scratch.write(
        "vaults/vault_file.yml",
        &ansible_vault(
            &format!("vault_file_secret: \"{}\"\n", secret_of("vault-file")),
            &password,
        ),
    );
    scratch.write(
        "vaults/vault_inline.yml",
        &ansible_inline("vault_inline_secret", &secret_of("vault-inline"), &password),
    );
    let password_file = scratch.write("vault-password.txt", &format!("{password}\n"));

    // The lookups' servers.
    let url_server = HttpServer::start(secret_of("url"));
    let json_server = HttpServer::start(format!(
        "{{\"user\": \"app\", \"token\": \"{}\"}}",
        secret_of("url-json")
    ));
    let aws_var = match &moto {
        Some(moto) => {
            seed_moto(
                moto,
                "leaks/app",
                &format!(
                    "{{\"username\": \"app\", \"password\": \"{}\"}}",
                    secret_of("aws")
                ),
            );
            format!(
                "    aws_document: \"{{{{ lookup('aws_secret', 'leaks/app', region='{AWS_REGION}', endpoint='{}', access_key='testing', secret_key='testing') }}}}\"\n",
                moto.endpoint
            )
        }
        None => String::new(),
    };
    let kube = kube_test_server::TestServer::start_blocking(kube_test_server::Config::default())
        .expect("the Kubernetes API test double starts");
    let kubeconfig = kube.kubeconfig_path().expect("kubeconfig");

    let reversed: String = secret_of("no-log").chars().rev().collect();
    let mut playbook = format!(
        r#"- hosts: localhost
  gather_facts: false
  vars_files:
    - vaults/age_file.yml
    - vaults/age_inline.yml
    - vaults/vault_file.yml
    - vaults/vault_inline.yml
  vars:
    url_secret: "{{{{ lookup('url', '{}') }}}}"
    url_document: "{{{{ lookup('url', '{}') }}}}"
{aws_var}  tasks:
    - name: a no_log task derives a secret
      shell: echo {reversed} | rev
      register: no_log_result
      changed_when: false
      no_log: true
"#,
        url_server.url("/secret"),
        json_server.url("/document"),
    );
    for source in &sources {
        playbook.push_str(&sink_tasks(source));
    }
    scratch.write("site.yml", &playbook);

    let canaries: Vec<(&str, &str)> = sources
        .iter()
        .map(|s| (s.slug, s.secret.as_str()))
        .chain([("vault-password", password.as_str())])
        .collect();
    let identity = fixture("keys/identity.txt");
    let identity = identity.to_str().expect("utf-8 path");
    let password_file = password_file.to_str().expect("utf-8 path");
    for (run, format) in [("1", "human"), ("2", "json")] {
        let report = format!("report-{run}.md");
        let output = scratch.stackbook(
            &[
                "play",
                "site.yml",
                "--diff",
                "-vvvv",
                "--output",
                format,
                "--report",
                &report,
                "--age-identity",
                identity,
                "--vault-password-file",
                password_file,
                "-e",
                &format!("run_id={run}"),
            ],
            &[("KUBECONFIG", &kubeconfig)],
        );
        let (stdout, stderr) = text(&output);
        let report = scratch.read(&report);
        assert_no_leaks(
            &canaries,
            &[
                ("stdout", &stdout),
                ("stderr", &stderr),
                ("report", &report),
            ],
        );
        assert_eq!(
            output.status.code(),
            Some(0),
            "run {run} ({format}) failed:\n{stdout}\n{stderr}"
        );

        // Not vacuous: every secret was used, and the sinks really printed around it.
        for source in &sources {
            assert_eq!(
                scratch.read(&format!("seen-{}-{run}.txt", source.slug)),
                source.secret,
                "the shell task of {} did not see the secret",
                source.slug
            );
            assert_eq!(
                scratch.read(&format!("quoted-{}-{run}.txt", source.slug)),
                source.secret,
                "the quoted command line of {} did not carry the secret",
                source.slug
            );
            let object = kube
                .object(
                    "v1",
                    "Secret",
                    Some("default"),
                    &format!("leak-{}-{run}", source.slug),
                )
                .unwrap_or_else(|| panic!("Secret for {} applied", source.slug));
            let decoded = |key: &str| {
                object["data"][key]
                    .as_str()
                    .and_then(|b| STANDARD.decode(b).ok())
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
                    .unwrap_or_default()
            };
            assert_eq!(decoded("key"), source.secret, "{}: data.key", source.slug);
            assert_eq!(
                decoded("s3.conf"),
                format!(
                    "[global]\nrepo1-s3-key-secret={}\nrepo1-path=/pgbackrest\n",
                    source.secret
                ),
                "{}: stringData s3.conf",
                source.slug
            );
            assert_eq!(
                decoded("conf"),
                format!("[global]\nrepo1-cipher-pass={}\n", source.secret),
                "{}: data.conf",
                source.slug
            );
        }
        let shown = match format {
            "json" => {
                for line in stdout.lines().filter(|l| !l.trim().is_empty()) {
                    serde_json::from_str::<Json>(line)
                        .unwrap_or_else(|e| panic!("--output json line is not JSON ({e}): {line}"));
                }
                stdout.replace("\\n", "\n")
            }
            _ => stdout.clone(),
        };
        for (marker, what) in [
            ("repo1-s3-key-secret=********", "the s3.conf body"),
            ("cannot use ********", "the fail message"),
            ("secret is ********", "the shell output"),
            ("key=********", "the fact"),
        ] {
            assert!(
                shown.matches(marker).count() >= sources.len(),
                "{what} should show masked secrets ({marker}) for every source:\n{shown}"
            );
        }
        if format == "human" {
            assert!(stdout.contains("missing/********"), "{stdout}");
            assert!(
                stdout.contains("--- before"),
                "--diff shows diffs:\n{stdout}"
            );
            assert!(
                report.contains("Secret"),
                "the report lists tasks:\n{report}"
            );
        }
        for log in [
            "kubernetes request",
            "kubernetes response body",
            "running module",
            "module arguments",
            "secret lookup request",
        ] {
            assert!(stderr.contains(log), "-vvvv logs '{log}':\n{stderr}");
        }
    }
    assert!(url_server.hits.load(Ordering::SeqCst) > 0);
    assert!(json_server.hits.load(Ordering::SeqCst) > 0);
    drop(moto);
}

/// Regression: a lookup result that is a JSON document was registered only as a whole, so
/// `(lookup(...) | from_json).password` printed the password in clear.
#[test]
fn json_fields_of_a_lookup_result_never_print() {
    let scratch = Scratch::new("json-fields");
    let password = canary("lkJsonPw");
    let encoded_key = canary("lkJsonB64");
    let server = HttpServer::start(format!(
        "{{\"username\": \"app\", \"password\": \"{password}\", \"key\": \"{}\"}}",
        STANDARD.encode(&encoded_key)
    ));
    scratch.write(
        "site.yml",
        &format!(
            r#"- hosts: localhost
  gather_facts: false
  vars:
    creds: "{{{{ lookup('url', '{}') | from_json }}}}"
  tasks:
    - debug:
        msg: "pw={{{{ creds.password }}}} key={{{{ creds.key | b64decode }}}} user={{{{ creds.username }}}}"
    - debug:
        var: creds
"#,
            server.url("/creds")
        ),
    );
    for format in ["human", "json"] {
        let output = scratch.stackbook(&["play", "site.yml", "-vvvv", "--output", format], &[]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert_no_leaks(
            &[("password", &password), ("b64 field", &encoded_key)],
            &[("stdout", &stdout), ("stderr", &stderr)],
        );
        assert!(
            stdout.contains("pw=******** key=******** user=app"),
            "{stdout}"
        );
    }
}

/// Regression: `--diff` of a config file whose old password a vault value replaces (a
/// rotation) printed the old password on the `-` line, in human and JSON output.
#[test]
fn rotated_secrets_in_a_diff_never_print() {
    let scratch = Scratch::new("rotation");
    let old = canary("lkOldPw");
    let new = canary("lkNewPw");
    scratch.write("vault.yml", &age_vault(&format!("s3_key: \"{new}\"\n")));
    scratch.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [vault.yml]\n  tasks:\n    - copy:\n        dest: \"{{ playbook_dir }}/s3.conf\"\n        content: \"[global]\\nrepo1-s3-key-secret={{ s3_key }}\\n\"\n",
    );
    let identity = fixture("keys/identity.txt");
    for format in ["human", "json"] {
        scratch.write("s3.conf", &format!("[global]\nrepo1-s3-key-secret={old}\n"));
        let output = scratch.stackbook(
            &[
                "play",
                "site.yml",
                "--diff",
                "-vvvv",
                "--output",
                format,
                "--age-identity",
                identity.to_str().expect("utf-8"),
            ],
            &[],
        );
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert_no_leaks(
            &[("old password", &old), ("new password", &new)],
            &[("stdout", &stdout), ("stderr", &stderr)],
        );
        assert!(
            stdout.contains("repo1-s3-key-secret=********"),
            "the diff is still shown:\n{stdout}"
        );
        assert_eq!(
            scratch.read("s3.conf"),
            format!("[global]\nrepo1-s3-key-secret={new}\n")
        );
    }
}

/// Regression: an error that stops the whole run (here a `vars_files` entry whose template
/// fails, quoting a vault value) was printed without redaction.
#[test]
fn fatal_errors_never_print_secrets() {
    let scratch = Scratch::new("fatal");
    let secret = canary("lkFatal");
    scratch.write("vault.yml", &age_vault(&format!("stage: \"{secret}\"\n")));
    scratch.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_files:\n    - vault.yml\n    - \"{{ lookup('file', 'missing/' ~ stage) }}\"\n  tasks:\n    - debug: msg=unreachable\n",
    );
    let identity = fixture("keys/identity.txt");
    let output = scratch.stackbook(
        &[
            "play",
            "site.yml",
            "-vvvv",
            "--age-identity",
            identity.to_str().expect("utf-8"),
        ],
        &[],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stdout}{stderr}");
    assert!(stderr.contains("missing/********"), "{stderr}");
    assert_no_leaks(
        &[("vault value", &secret)],
        &[("stdout", &stdout), ("stderr", &stderr)],
    );
}

/// Logs start at `-vvv` (requests, lookups, module runs) and carry payloads only at `-vvvv`;
/// below `-vvv` stderr has no log line at all.
#[test]
fn logs_show_requests_at_vvv_and_payloads_only_at_vvvv() {
    let scratch = Scratch::new("levels");
    let secret = canary("lkLevels");
    let server = HttpServer::start(secret.clone());
    let kube = kube_test_server::TestServer::start_blocking(kube_test_server::Config::default())
        .expect("the Kubernetes API test double starts");
    let kubeconfig = kube.kubeconfig_path().expect("kubeconfig");
    scratch.write(
        "site.yml",
        &format!(
            r#"- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s:
        state: present
        definition:
          apiVersion: v1
          kind: ConfigMap
          metadata: {{name: "levels-{{{{ run_id }}}}", namespace: default}}
          data: {{token: "{{{{ lookup('url', '{}') }}}}"}}
"#,
            server.url("/token")
        ),
    );
    let run = |verbosity: &str, run_id: &str| {
        let output = scratch.stackbook(
            &[
                "play",
                "site.yml",
                verbosity,
                "-e",
                &format!("run_id={run_id}"),
            ],
            &[("KUBECONFIG", &kubeconfig)],
        );
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert_no_leaks(
            &[("url lookup", &secret)],
            &[("stdout", &stdout), ("stderr", &stderr)],
        );
        stderr
    };
    let quiet = run("-vv", "1");
    assert!(
        !quiet.contains("DEBUG") && !quiet.contains("TRACE"),
        "{quiet}"
    );
    let debug = run("-vvv", "2");
    for line in [
        "kubernetes request method=PATCH path=/api/v1/namespaces/default/configmaps/levels-2",
        "secret lookup request lookup=\"url\"",
        "running module module=kubernetes.core.k8s",
    ] {
        assert!(debug.contains(line), "-vvv should log '{line}':\n{debug}");
    }
    assert!(
        debug.contains("status=200") || debug.contains("status=201"),
        "{debug}"
    );
    assert!(!debug.contains("TRACE"), "{debug}");
    let trace = run("-vvvv", "3");
    assert!(trace.contains("module arguments"), "{trace}");
    assert!(trace.contains("kubernetes response body"), "{trace}");
    assert!(trace.contains("\"token\":\"********\""), "{trace}");
    assert_eq!(
        kube.object("v1", "ConfigMap", Some("default"), "levels-3")
            .and_then(|o| o["data"]["token"].as_str().map(str::to_string)),
        Some(secret)
    );
}

// ---------------------------------------------------------------------------------------------
// Bad input: a clear error naming the file, never a panic, never plaintext
// ---------------------------------------------------------------------------------------------

/// Runs `args` and checks the failure is clean: a non-zero exit that is not a panic, every
/// `must_name` in the message, and no piece of `secret` anywhere.
fn assert_clean_failure(scratch: &Scratch, args: &[&str], must_name: &[&str], secret: &str) {
    let output = scratch.stackbook(args, &[]);
    let (stdout, stderr) = text(&output);
    let all = format!("{stdout}{stderr}");
    assert!(
        !matches!(output.status.code(), Some(0) | Some(101) | None),
        "{args:?} should fail cleanly, got {:?}:\n{all}",
        output.status.code()
    );
    assert!(!all.contains("panicked"), "{args:?} panicked:\n{all}");
    for name in must_name {
        assert!(
            all.contains(name),
            "{args:?}: the error should name {name}:\n{all}"
        );
    }
    assert_no_leaks(&[("plaintext", secret)], &[("output", &all)]);
}

/// The armored age text with its binary payload changed by `edit` and armored again (so the
/// damage is in the encrypted data, not the armor).
fn rearmor(armored: &str, edit: impl FnOnce(&mut Vec<u8>)) -> String {
    let body: String = armored
        .lines()
        .filter(|l| !l.starts_with("-----"))
        .collect();
    let mut bytes = STANDARD.decode(body.trim()).expect("armored base64");
    edit(&mut bytes);
    let encoded = STANDARD.encode(&bytes);
    let lines: Vec<&str> = encoded
        .as_bytes()
        .chunks(64)
        .map(|c| std::str::from_utf8(c).unwrap_or_default())
        .collect();
    format!(
        "-----BEGIN AGE ENCRYPTED FILE-----\n{}\n-----END AGE ENCRYPTED FILE-----\n",
        lines.join("\n")
    )
}

/// The Ansible Vault text with one ciphertext digit changed so that the envelope stays
/// well-formed and only the HMAC can notice: in the last line (ciphertext), the first hex pair
/// `3d` (an ASCII digit of the inner hex) becomes `3d'`.
fn tamper_ansible(vault: &str) -> String {
    let mut lines: Vec<String> = vault.lines().map(str::to_string).collect();
    let last = lines.len() - 1;
    let mut chars: Vec<char> = lines[last].chars().collect();
    let pair = (0..chars.len() / 2)
        .map(|p| 2 * p)
        .find(|&i| chars[i] == '3' && chars[i + 1].is_ascii_digit())
        .expect("a digit pair in the ciphertext line");
    let digit = chars[pair + 1].to_digit(10).unwrap_or(0);
    chars[pair + 1] = char::from_digit((digit + 1) % 10, 10).unwrap_or('0');
    lines[last] = chars.into_iter().collect();
    lines.join("\n") + "\n"
}

#[test]
fn bad_vault_input_fails_cleanly_naming_the_file() {
    let scratch = Scratch::new("bad-input");
    let secret = canary("lkBadInput");
    let password = canary("lkBadPw");
    let identity = fixture("keys/identity.txt");
    let identity = identity.to_str().expect("utf-8");
    let other = fixture("keys/other-identity.txt");
    let other = other.to_str().expect("utf-8");
    let password_file = scratch.write("pw.txt", &format!("{password}\n"));
    let password_file = password_file.to_str().expect("utf-8");
    let wrong_password_file = scratch.write("wrong-pw.txt", "not-the-password\n");
    let wrong_password_file = wrong_password_file.to_str().expect("utf-8");

    // More than one 64 KiB STREAM chunk, the secret in the first: a decryptor that streamed
    // plaintext out before authenticating the last chunk would show it.
    let big = format!(
        "secret_value: \"{secret}\"\npadding: \"{}\"\n",
        "x".repeat(150_000)
    );
    let good_age = age_vault(&big);
    let good_vault = ansible_vault(&format!("secret_value: \"{secret}\"\n"), &password);
    let files = [
        ("age.yml", good_age.clone()),
        ("age-truncated.yml", good_age[..good_age.len() / 2].to_string()),
        // Armor intact, the last STREAM chunk cut short / one byte flipped in it.
        (
            "age-truncated-payload.yml",
            rearmor(&good_age, |b| b.truncate(b.len() - 100)),
        ),
        (
            "age-tampered.yml",
            rearmor(&good_age, |b| {
                let at = b.len() - 40;
                b[at] ^= 0x01;
            }),
        ),
        ("vault.yml", good_vault.clone()),
        ("vault-tampered.yml", tamper_ansible(&good_vault)),
        (
            "vault-truncated.yml",
            good_vault.lines().take(3).collect::<Vec<_>>().join("\n") + "\n",
        ),
        (
            "vault-unknown-version.yml",
            good_vault.replacen("$ANSIBLE_VAULT;1.1;", "$ANSIBLE_VAULT;9.9;", 1),
        ),
        (
            "age-garbage.yml",
            "-----BEGIN AGE ENCRYPTED FILE-----\nbm90IGFuIGFnZSBmaWxl\n-----END AGE ENCRYPTED FILE-----\n"
                .to_string(),
        ),
        (
            "inline.yml",
            age_inline("secret_value", &format!("inline-{secret}")),
        ),
        (
            "inline-garbage-age.yml",
            "secret_value: !age |\n  -----BEGIN AGE ENCRYPTED FILE-----\n  bm90IGFnZQ==\n  -----END AGE ENCRYPTED FILE-----\n".to_string(),
        ),
        (
            "inline-garbage-vault.yml",
            "secret_value: !vault |\n  not a vault at all\n".to_string(),
        ),
    ];
    for (name, content) in &files {
        scratch.write(name, content);
        scratch.write(
            &format!("play-{name}"),
            &format!(
                "- hosts: localhost\n  gather_facts: false\n  vars_files: [{name}]\n  tasks:\n    - debug: msg=\"{{{{ secret_value | length }}}}\"\n"
            ),
        );
    }
    let play = |name: &str| format!("play-{name}");

    // Wrong identity, wrong password: the file and the key source are named.
    assert_clean_failure(
        &scratch,
        &["play", &play("age.yml"), "--age-identity", other],
        &["age.yml", "other-identity.txt"],
        &secret,
    );
    assert_clean_failure(
        &scratch,
        &["play", &play("inline.yml"), "--age-identity", other],
        &["inline.yml"],
        &secret,
    );
    assert_clean_failure(
        &scratch,
        &[
            "play",
            &play("vault.yml"),
            "--vault-password-file",
            wrong_password_file,
        ],
        &["vault.yml"],
        &secret,
    );
    // Truncated, tampered, unknown formats.
    for name in [
        "age-truncated.yml",
        "age-truncated-payload.yml",
        "age-tampered.yml",
        "age-garbage.yml",
        "inline-garbage-age.yml",
    ] {
        assert_clean_failure(
            &scratch,
            &["play", &play(name), "--age-identity", identity],
            &[name],
            &secret,
        );
    }
    for name in [
        "vault-tampered.yml",
        "vault-truncated.yml",
        "vault-unknown-version.yml",
        "inline-garbage-vault.yml",
    ] {
        assert_clean_failure(
            &scratch,
            &["play", &play(name), "--vault-password-file", password_file],
            &[name],
            &secret,
        );
    }
    // A missing identity file or password file is named before anything runs.
    assert_clean_failure(
        &scratch,
        &[
            "play",
            &play("age.yml"),
            "--age-identity",
            "keys/missing-identity.txt",
        ],
        &["missing-identity.txt"],
        &secret,
    );
    assert_clean_failure(
        &scratch,
        &[
            "play",
            &play("vault.yml"),
            "--vault-password-file",
            "missing-pw.txt",
        ],
        &["missing-pw.txt"],
        &secret,
    );
    // `stackbook vault view/decrypt` of tampered and truncated files print no plaintext, not
    // even the chunks before the damage.
    for name in [
        "age-tampered.yml",
        "age-truncated.yml",
        "age-truncated-payload.yml",
    ] {
        for action in [
            &["vault", "view", name][..],
            &["vault", "decrypt", name, "--output", "-"],
        ] {
            let mut args = action.to_vec();
            args.extend(["--age-identity", identity]);
            assert_clean_failure(&scratch, &args, &[name], &secret);
        }
    }
    for name in ["vault-tampered.yml", "vault-truncated.yml"] {
        assert_clean_failure(
            &scratch,
            &[
                "vault",
                "view",
                name,
                "--vault-password-file",
                password_file,
            ],
            &[name],
            &secret,
        );
    }
    let output = scratch.stackbook(
        &[
            "play",
            &play("vault-tampered.yml"),
            "--vault-password-file",
            password_file,
        ],
        &[],
    );
    assert!(
        text(&output).1.contains("HMAC"),
        "a tampered Ansible Vault is reported as failing its HMAC: {:?}",
        text(&output)
    );
    assert_clean_failure(
        &scratch,
        &["vault", "view", "age.yml", "--age-identity", other],
        &["age.yml"],
        &secret,
    );

    // The good files do work with the right keys (so the failures above are about the damage).
    let output = scratch.stackbook(&["play", &play("age.yml"), "--age-identity", identity], &[]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let output = scratch.stackbook(
        &[
            "play",
            &play("vault.yml"),
            "--vault-password-file",
            password_file,
        ],
        &[],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(
        text(&output)
            .0
            .contains(&format!("\"msg\": {}", secret.len()))
    );
}
