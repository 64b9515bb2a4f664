//! `stackbook doc` on the command line: exit codes and what reaches stdout/stderr.

use std::process::Command;

fn doc(args: &[&str]) -> (i32, String, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_stackbook"))
        .arg("doc")
        .args(args)
        .output()
        .expect("stackbook runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_module_by_alias_prints_its_options_example_and_returns() {
    let (code, stdout, _) = doc(&["k8s"]);
    assert_eq!(code, 0);
    assert!(stdout.starts_with("> KUBERNETES.CORE.K8S"), "{stdout}");
    for needle in [
        "- state\n",
        "choices: [present, absent, patched]",
        "default: present",
        "aliases: [resource_definition]",
        "- api_key\n",
        "secret: yes",
        "EXAMPLES:",
        "RETURN VALUES:",
    ] {
        assert!(stdout.contains(needle), "missing {needle:?} in:\n{stdout}");
    }
}

#[test]
fn unknown_module_exits_5_with_a_suggestion() {
    let (code, stdout, stderr) = doc(&["k8s_inf"]);
    assert_eq!(code, 5);
    assert!(stdout.is_empty());
    assert!(stderr.contains("did you mean 'k8s_info'"), "{stderr}");
    let (code, _, _) = doc(&[]);
    assert_eq!(code, 5, "no module and no --list is a usage error");
}

#[test]
fn list_has_one_line_per_module() {
    let (code, stdout, _) = doc(&["--list"]);
    assert_eq!(code, 0);
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("stackbook.db.pgbackrest_info ")),
        "{stdout}"
    );
    assert!(stdout.lines().all(|l| l.split_whitespace().count() >= 2));
}
