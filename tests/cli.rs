//! End-to-end tests of the `stackbook` binary: exit codes, located error messages, and the
//! promise that secrets never reach any output.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

struct Scratch {
    dir: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!("stackbook-cli-{}-{name}", std::process::id()));
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

    fn play(&self, playbook: &str, args: &[&str]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_stackbook"))
            .current_dir(&self.dir)
            .env("NO_COLOR", "1")
            .arg("play")
            .arg(playbook)
            .args(args)
            .output()
            .expect("stackbook runs")
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

const HEADER: &str = "- hosts: localhost\n  gather_facts: false\n  tasks:\n";

#[test]
fn malformed_yaml_exits_4_with_file_line_column() {
    let scratch = Scratch::new("malformed");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - debug:\n        msg: [unclosed\n"),
    );
    let output = scratch.play("site.yml", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("site.yml:"), "{stderr}");
    assert!(stderr.contains("YAML syntax error"), "{stderr}");
}

#[test]
fn unknown_module_suggests_the_closest_name() {
    let scratch = Scratch::new("unknown-module");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - name: typo\n      debgu:\n        msg: hi\n"),
    );
    let output = scratch.play("site.yml", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("site.yml:4:7"), "{stderr}");
    assert!(stderr.contains("did you mean 'debug'?"), "{stderr}");
}

#[test]
fn unknown_task_keyword_is_rejected_before_anything_runs() {
    let scratch = Scratch::new("unknown-keyword");
    let marker = scratch.dir.join("ran");
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - command: touch {}\n    - debug: msg=hi\n      regster: out\n",
            marker.display()
        ),
    );
    let output = scratch.play("site.yml", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(4), "{stderr}");
    assert!(stderr.contains("did you mean 'register'?"), "{stderr}");
    assert!(
        !marker.exists(),
        "the first task must not run when the playbook is invalid"
    );
}

#[test]
fn wrong_argument_type_fails_the_task_with_the_parameter_named() {
    let scratch = Scratch::new("arg-type");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - pause:\n        seconds: soon\n"),
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("'soon' is not a valid number"), "{stdout}");
}

#[test]
fn unsupported_argument_gets_did_you_mean() {
    let scratch = Scratch::new("arg-name");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - debug:\n        mgs: hi\n"),
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("Unsupported parameters for (ansible.builtin.debug) module: mgs"),
        "{stdout}"
    );
    assert!(stdout.contains("did you mean 'msg'?"), "{stdout}");
}

#[test]
fn undefined_variable_is_named_and_fails_the_host() {
    let scratch = Scratch::new("undefined");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - debug:\n        msg: \"{{{{ no_such_var }}}}\"\n"),
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("'no_such_var' is undefined"), "{stdout}");
    assert!(stdout.contains("failed=1"), "{stdout}");
}

#[test]
fn recursive_variable_is_reported_not_looped() {
    let scratch = Scratch::new("recursive");
    scratch.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars:\n    a: \"{{ b }}\"\n    b: \"{{ a }}\"\n  tasks:\n    - debug: msg=\"{{ a }}\"\n",
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(
        stdout.contains("recursive loop detected in template: a -> b -> a"),
        "{stdout}"
    );
}

#[test]
fn failing_assert_exits_2_with_its_message() {
    let scratch = Scratch::new("assert");
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - assert:\n        that: [1 == 2]\n        fail_msg: numbers disagree\n"
        ),
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, _) = text(&output);
    assert_eq!(output.status.code(), Some(2), "{stdout}");
    assert!(stdout.contains("numbers disagree"), "{stdout}");
}

#[test]
fn usage_errors_exit_5() {
    let scratch = Scratch::new("usage");
    let output = scratch.play("missing.yml", &[]);
    assert_eq!(output.status.code(), Some(5));
    let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .args(["play", "--no-such-flag"])
        .output()
        .expect("runs");
    assert_eq!(output.status.code(), Some(5));
}

#[test]
fn syntax_check_and_list_tasks_do_not_run_tasks() {
    let scratch = Scratch::new("listing");
    let marker = scratch.dir.join("ran");
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - name: make marker\n      command: touch {}\n      tags: [db]\n",
            marker.display()
        ),
    );
    let output = scratch.play("site.yml", &["--syntax-check"]);
    assert_eq!(output.status.code(), Some(0));
    let output = scratch.play("site.yml", &["--list-tasks"]);
    let (stdout, _) = text(&output);
    assert!(stdout.contains("make marker"), "{stdout}");
    assert!(stdout.contains("TAGS: [db]"), "{stdout}");
    assert!(!marker.exists());
}

/// A canary that must never appear in any output, in any form.
const CANARY: &str = "canary-7f3a9c-s3cr3t";

fn assert_no_canary(outputs: &[&str]) {
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(CANARY);
    for output in outputs {
        assert!(!output.contains(CANARY), "secret leaked:\n{output}");
        assert!(
            !output.contains(&encoded),
            "base64 of secret leaked:\n{output}"
        );
    }
}

#[test]
fn no_log_results_and_values_derived_from_them_never_print() {
    let scratch = Scratch::new("no-log");
    use base64::Engine;
    let encoded = base64::engine::general_purpose::STANDARD.encode(CANARY);
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - name: fetch the key (like the seed's secret manager call)
      shell: echo {encoded}
      register: raw
      changed_when: false
      no_log: true
    - name: use it inside a longer string
      debug:
        msg: \"repo1-cipher-pass={{{{ raw.stdout | trim | b64decode }}}};\"
    - name: and base64 again
      debug:
        msg: \"{{{{ ('[global]' ~ (raw.stdout | b64decode)) | b64encode }}}}\"
    - name: and in a failure message
      fail:
        msg: \"bad key {{{{ raw.stdout | b64decode }}}}\"
"
        ),
    );
    for format in ["human", "json"] {
        let output = scratch.play("site.yml", &["-vvvv", "--output", format]);
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(2), "{stdout}{stderr}");
        assert!(
            stdout.contains("********"),
            "the masked value should still be visible as masked:\n{stdout}"
        );
        assert_no_canary(&[&stdout, &stderr]);
    }
}

#[test]
fn demo_playbook_runs_both_branches() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    for (restore, expected) in [
        ("false", "init: a fresh cluster"),
        ("true", "restore: a cluster restored"),
    ] {
        let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
            .current_dir(root)
            .args(["play", "playbooks/demo.yml", "-e"])
            .arg(format!("restore_db={restore}"))
            .output()
            .expect("runs");
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert!(stdout.contains(expected), "{stdout}");
    }
}

fn secrets_fixture(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("crates/secrets/tests/fixtures")
        .join(path)
}

fn stackbook(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .env_remove("STACKBOOK_AGE_IDENTITY")
        .env_remove("SOPS_AGE_KEY_FILE")
        .env_remove("SOPS_AGE_KEY")
        .args(args)
        .output()
        .expect("stackbook runs")
}

#[test]
fn age_vault_values_are_usable_and_never_printed() {
    let scratch = Scratch::new("age-vault");
    let recipient =
        std::fs::read_to_string(secrets_fixture("keys/recipient.txt")).expect("recipient");
    let recipient = recipient
        .lines()
        .find(|l| l.starts_with("age1"))
        .expect("age1 recipient")
        .to_string();
    // An inline `!age` value made by `stackbook vault encrypt-string`.
    let output = stackbook(
        &scratch.dir,
        &[
            "vault",
            "encrypt-string",
            CANARY,
            "--name",
            "cipher_pass",
            "--recipient",
            &recipient,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let (snippet, _) = text(&output);
    assert!(!snippet.contains(CANARY));
    scratch.write("vaults/inline.yml", &snippet);
    // A whole-file age vault made by `stackbook vault encrypt`.
    scratch.write(
        "vaults/whole.yml",
        &format!("s3_secret: \"whole-{CANARY}\"\n"),
    );
    let output = stackbook(
        &scratch.dir,
        &[
            "vault",
            "encrypt",
            "vaults/whole.yml",
            "--recipient",
            &recipient,
        ],
    );
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    assert!(
        !std::fs::read_to_string(scratch.dir.join("vaults/whole.yml"))
            .unwrap()
            .contains(CANARY)
    );
    scratch.write(
        "site.yml",
        "- hosts: localhost
  gather_facts: false
  vars_files: [vaults/inline.yml, \"vaults/{{ kind }}.yml\"]
  vars: {kind: whole}
  tasks:
    - name: render a config with both secrets
      copy:
        dest: \"{{ playbook_dir }}/s3.conf\"
        content: \"repo1-cipher-pass={{ cipher_pass }}\\nrepo1-s3-key-secret={{ s3_secret }}\\n\"
      diff: true
    - debug: msg=\"pass is {{ cipher_pass }} and {{ s3_secret | b64encode }}\"
    - debug: var=s3_secret
",
    );
    let identity = secrets_fixture("keys/identity.txt");
    let identity = identity.to_str().expect("utf-8 path");
    for format in ["human", "json"] {
        let output = stackbook(
            &scratch.dir,
            &[
                "play",
                "site.yml",
                "--diff",
                "-vvvv",
                "--age-identity",
                identity,
                "--output",
                format,
            ],
        );
        let (stdout, stderr) = text(&output);
        assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
        assert_no_canary(&[&stdout, &stderr]);
        assert!(stdout.contains("********"), "{stdout}");
    }
    let written = std::fs::read_to_string(scratch.dir.join("s3.conf")).expect("config written");
    assert_eq!(
        written,
        format!("repo1-cipher-pass={CANARY}\nrepo1-s3-key-secret=whole-{CANARY}\n")
    );
    // Without the identity, the run stops before any task with a clear message.
    let output = stackbook(&scratch.dir, &["play", "site.yml"]);
    let (stdout, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0));
    assert!(
        stderr.contains("--age-identity") || stdout.contains("--age-identity"),
        "{stdout}{stderr}"
    );
}

#[test]
fn ansible_vault_files_decrypt_with_a_password_file() {
    let scratch = Scratch::new("ansible-vault");
    let vault = std::fs::read_to_string(secrets_fixture("ansible/vault-1.1.yml")).expect("fixture");
    scratch.write("vault.yml", &vault);
    scratch.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  vars_files: [vault.yml]\n  tasks:\n    - debug: msg=\"{{ s3_access_key | length }}\"\n",
    );
    let password = secrets_fixture("ansible/pw-default.txt");
    let output = scratch.play(
        "site.yml",
        &["--vault-password-file", password.to_str().expect("utf-8")],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("\"msg\": 21"), "{stdout}");
    assert!(!stdout.contains("AKIAFIXTURE0123456789"), "{stdout}");
    let output = scratch.play("site.yml", &[]);
    assert_eq!(
        output.status.code(),
        Some(1),
        "a vault without a password exits 1 as ansible-playbook does"
    );
}

#[test]
fn template_command_prints_what_helm_prints_for_the_pgo_chart() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let chart = root.join("../shared/charts/pgo");
    if !chart.is_dir() {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared/charts/pgo is missing beside the repository"
        );
        eprintln!("skipping: {} not found", chart.display());
        return;
    }
    let output = stackbook(
        root,
        &[
            "template",
            "pgo",
            chart.to_str().expect("utf-8"),
            "-n",
            "postgres-operator",
        ],
    );
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    // The golden was produced by Helm's own SDK (crates/helm/tests/regenerate.py).
    let golden =
        std::fs::read_to_string(root.join("crates/helm/tests/goldens/pgo-defaults.manifest"))
            .expect("golden");
    assert_eq!(stdout, golden);
}

#[test]
fn inventory_list_matches_ansible_inventory() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let suite = root.join("tests/conformance/playbooks/suite_precedence/inventory");
    let output = stackbook(&suite, &["inventory", "-i", "hosts.ini", "--list"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stderr}");
    let ours: serde_json::Value = serde_json::from_str(&stdout).expect("JSON");
    // Produced by ansible-inventory (tests/conformance/regenerate.sh).
    let golden = std::fs::read_to_string(
        root.join("tests/conformance/expected/inventory/suite_precedence.list.json"),
    )
    .expect("golden");
    let theirs: serde_json::Value = serde_json::from_str(&golden).expect("golden JSON");
    assert_eq!(ours, theirs);
    let output = stackbook(&suite, &["inventory", "-i", "hosts.ini", "--graph"]);
    let (stdout, _) = text(&output);
    assert_eq!(
        stdout.trim_end(),
        "@all:\n  |--@ungrouped:\n  |--@prec:\n  |  |--phost"
    );
}

#[test]
fn report_lists_tasks_durations_and_changes_without_secrets() {
    let scratch = Scratch::new("report");
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - name: fetch secret
      command: echo {CANARY}
      register: key
      no_log: true
    - name: write config
      copy:
        dest: \"{{{{ playbook_dir }}}}/out.conf\"
        content: \"key={{{{ key.stdout }}}}\\n\"
    - name: nothing to do
      debug: msg=done
"
        ),
    );
    let output = scratch.play("site.yml", &["--report", "report.md"]);
    assert_eq!(output.status.code(), Some(0), "{:?}", text(&output));
    let report = std::fs::read_to_string(scratch.dir.join("report.md")).expect("report written");
    assert!(report.starts_with("# Run report: site.yml"), "{report}");
    assert!(report.contains("Total wall time: **"), "{report}");
    assert!(
        report.contains("| write config | `ansible.builtin.copy` |"),
        "{report}"
    );
    assert!(
        report.contains("## Changed\n\n- fetch secret (`ansible.builtin.command`)\n- write config"),
        "{report}"
    );
    assert!(
        report.contains("| localhost | 3 | 2 | 0 | 0 | 0 | 0 | 0 |"),
        "{report}"
    );
    assert_no_canary(&[&report]);
}

#[test]
fn notifying_a_handler_that_does_not_exist_aborts_the_run_like_ansible_core() {
    let scratch = Scratch::new("missing-handler");
    scratch.write(
        "site.yml",
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n    - name: change\n      command: \"true\"\n      notify: restart postgress\n  handlers:\n    - name: restart postgres\n      debug: msg=restarted\n",
    );
    let output = scratch.play("site.yml", &[]);
    let (stdout, stderr) = text(&output);
    // ansible-core 2.19 aborts the whole run with exit 1 (tests/conformance/errors).
    assert_eq!(output.status.code(), Some(1), "{stdout}{stderr}");
    let all = format!("{stdout}{stderr}");
    assert!(
        all.contains("The requested handler 'restart postgress' was not found"),
        "{all}"
    );
    assert!(all.contains("site.yml:4:7"), "{all}");
}

#[test]
fn role_errors_name_the_role_and_location() {
    let scratch = Scratch::new("role-errors");
    scratch.write(
        "missing.yml",
        "- hosts: localhost\n  gather_facts: false\n  roles:\n    - no_such_role\n",
    );
    let output = scratch.play("missing.yml", &[]);
    let (_, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("missing.yml:4:7"), "{stderr}");
    assert!(
        stderr.contains("the role 'no_such_role' was not found"),
        "{stderr}"
    );

    scratch.write("roles/a/meta/main.yml", "dependencies: [b]\n");
    scratch.write("roles/a/tasks/main.yml", "- debug: msg=a\n");
    scratch.write("roles/b/meta/main.yml", "dependencies: [a]\n");
    scratch.write("roles/b/tasks/main.yml", "- debug: msg=b\n");
    scratch.write(
        "cycle.yml",
        "- hosts: localhost\n  gather_facts: false\n  roles: [a]\n",
    );
    let output = scratch.play("cycle.yml", &[]);
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("role dependencies nested too deeply"),
        "{stderr}"
    );
}

#[test]
fn malformed_inventory_lines_are_located() {
    let scratch = Scratch::new("bad-inventory");
    scratch.write("hosts.ini", "[db]\ndb1\n[db:varz]\nx=1\n");
    scratch.write(
        "site.yml",
        "- hosts: all\n  gather_facts: false\n  tasks: []\n",
    );
    let output = scratch.play("site.yml", &["-i", "hosts.ini"]);
    let (_, stderr) = text(&output);
    assert_ne!(output.status.code(), Some(0));
    assert!(stderr.contains("hosts.ini:3"), "{stderr}");
    assert!(
        stderr.contains("unknown section suffix ':varz'"),
        "{stderr}"
    );
}

#[test]
fn no_log_does_not_mask_plain_words_written_in_the_task() {
    // Regression: a no_log set_fact of {kind: Secret, namespace: database} masked "Secret"
    // and "database" in every later line.
    let scratch = Scratch::new("no-log-literals");
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - set_fact:
        obj: {{kind: Secret, namespace: database, token: \"{{{{ lookup('env', 'CANARY_TOKEN') }}}}\"}}
      no_log: true
    - name: Apply the Secret to database
      debug: {{msg: \"namespace database, kind Secret, token {{{{ obj.token }}}}\"}}
"
        ),
    );
    let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .current_dir(&scratch.dir)
        .env("NO_COLOR", "1")
        .env("CANARY_TOKEN", CANARY)
        .args(["play", "site.yml"])
        .output()
        .expect("runs");
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(
        stdout.contains("TASK [Apply the Secret to database]"),
        "{stdout}"
    );
    assert!(
        stdout.contains("namespace database, kind Secret, token ********"),
        "{stdout}"
    );
    assert_no_canary(&[&stdout, &stderr]);
}

/// A one-shot HTTP server on loopback that answers every request with `body`.
fn serve_once(body: &'static str) -> (String, std::thread::JoinHandle<()>) {
    use std::io::{Read, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}/secret", listener.local_addr().expect("addr"));
    let handle = std::thread::spawn(move || {
        if let Ok((mut stream, _)) = listener.accept() {
            let mut buffer = [0u8; 4096];
            let _ = stream.read(&mut buffer);
            let response = format!(
                "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    (url, handle)
}

#[test]
fn values_from_the_url_lookup_are_secrets_everywhere() {
    let scratch = Scratch::new("url-lookup");
    let (url, server) = serve_once(CANARY);
    scratch.write(
        "site.yml",
        &format!(
            "{HEADER}    - set_fact:
        fetched: \"{{{{ lookup('url', '{url}') }}}}\"
    - debug: msg=\"pass={{{{ fetched }}}} b64={{{{ fetched | b64encode }}}}\"
    - copy:
        dest: \"{{{{ playbook_dir }}}}/out.txt\"
        content: \"{{{{ fetched }}}}\"
"
        ),
    );
    // The server answers once, so one run: human output at -v shows every result.
    let output = scratch.play("site.yml", &["-v"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("pass=********"), "{stdout}");
    assert_no_canary(&[&stdout, &stderr]);
    server.join().expect("server thread");
    assert_eq!(
        std::fs::read_to_string(scratch.dir.join("out.txt")).expect("written"),
        CANARY
    );
}

#[test]
fn diff_mode_shows_a_unified_diff_of_changed_files() {
    let scratch = Scratch::new("diff");
    scratch.write("conf.txt", "a=1\nb=2\n");
    scratch.write(
        "site.yml",
        &format!("{HEADER}    - copy:\n        dest: \"{{{{ playbook_dir }}}}/conf.txt\"\n        content: \"a=1\\nb=3\\n\"\n"),
    );
    let output = scratch.play("site.yml", &["--diff", "--check"]);
    let (stdout, stderr) = text(&output);
    assert_eq!(output.status.code(), Some(0), "{stdout}{stderr}");
    assert!(stdout.contains("--- before: "), "{stdout}");
    assert!(stdout.contains("-b=2\n+b=3\n"), "{stdout}");
    // --check wrote nothing.
    assert_eq!(
        std::fs::read_to_string(scratch.dir.join("conf.txt")).expect("file"),
        "a=1\nb=2\n"
    );
}

/// A plain HTTP/1.0 GET to the local registry (an independent check, no stackbook code).
fn registry_get(addr: &str, path: &str, accept: &str) -> String {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(addr).expect("registry reachable");
    write!(
        stream,
        "GET {path} HTTP/1.0\r\nHost: {addr}\r\nAccept: {accept}\r\n\r\n"
    )
    .expect("request sent");
    let mut response = String::new();
    stream.read_to_string(&mut response).expect("response read");
    response
}

#[test]
fn chart_push_puts_a_chart_directory_into_an_oci_registry() {
    let addr = std::env::var("STACKBOOK_REGISTRY").unwrap_or_else(|_| "127.0.0.1:5055".into());
    if std::net::TcpStream::connect(&addr).is_err() {
        assert!(
            std::env::var_os("CI").is_none(),
            "no registry at {addr} in CI (crates/helm/scripts/setup-registry.sh)"
        );
        eprintln!("SKIP: no registry at {addr}; run crates/helm/scripts/setup-registry.sh");
        return;
    }
    let chart = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/charts/pgo");
    let namespace = format!("clipush{}", std::process::id());
    let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .args(["chart", "push"])
        .arg(&chart)
        .arg(format!("oci://{addr}/{namespace}"))
        .arg("--plain-http")
        .output()
        .expect("stackbook runs");
    let (stdout, stderr) = text(&output);
    assert!(output.status.success(), "{stdout}{stderr}");
    let chart_yaml = std::fs::read_to_string(chart.join("Chart.yaml")).expect("Chart.yaml");
    let version = chart_yaml
        .lines()
        .find_map(|l| l.strip_prefix("version:"))
        .map(|v| v.trim().trim_matches('"').to_owned())
        .expect("chart version");
    assert!(
        stdout.contains(&format!("Pushed: oci://{addr}/{namespace}/pgo:{version}")),
        "{stdout}"
    );
    let tags = registry_get(&addr, &format!("/v2/{namespace}/pgo/tags/list"), "*/*");
    assert!(tags.contains(&format!("\"{version}\"")), "{tags}");
    let manifest = registry_get(
        &addr,
        &format!("/v2/{namespace}/pgo/manifests/{version}"),
        "application/vnd.oci.image.manifest.v1+json",
    );
    assert!(
        manifest.contains("application/vnd.cncf.helm.chart.content.v1.tar+gzip"),
        "{manifest}"
    );
    let digest = stdout
        .lines()
        .find_map(|l| l.strip_prefix("Digest: "))
        .expect("digest printed");
    assert!(
        manifest
            .to_ascii_lowercase()
            .contains(&format!("docker-content-digest: {digest}")),
        "{manifest}"
    );

    // A missing chart is a clear error, exit 1.
    let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .args([
            "chart",
            "push",
            "no-such-chart",
            &format!("oci://{addr}/x"),
            "--plain-http",
        ])
        .output()
        .expect("stackbook runs");
    assert_eq!(output.status.code(), Some(1));
    assert!(
        text(&output).1.contains("no-such-chart"),
        "{}",
        text(&output).1
    );
}
