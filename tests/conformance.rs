//! Runs the Ansible conformance corpus (`tests/conformance/`) through stackbook and compares
//! its JSON events with the goldens produced by real ansible-core (`regenerate.sh`).
//!
//! What is compared, per playbook: the exit code; the sequence of plays, tasks (name and
//! resolved action) and per-host/per-item results (status, `ignored`, the item) and, inside
//! results, the fields a playbook can observe: debug output, `msg` of `fail`/`assert`,
//! command `rc`/`stdout`/`stderr`, `ansible_facts` of `set_fact`/`include_vars`, `censored`,
//! `attempts`, `stat.exists`; and the recap counters. Ansible's internal error wording is not
//! compared (see DIFFERENCES.md). Playbooks listed in `known-differences.txt` must still
//! differ — when one starts passing, the list must shrink.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value as Json};

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/conformance")
}

/// POSIX-like word splitting (quotes and backslashes, no expansion), as `shlex.split`: the
/// same splitter the `command` module uses.
fn split_words(text: &str) -> Vec<String> {
    stackbook_engine::modules::command::shell_words(text)
        .unwrap_or_else(|error| panic!("bad header: {error}"))
}

fn header(text: &str, key: &str) -> String {
    text.lines()
        .take_while(|l| l.starts_with('#'))
        .filter_map(|l| {
            l.trim_start_matches('#')
                .trim_start()
                .strip_prefix(&format!("{key}:"))
        })
        .map(str::trim)
        .collect::<Vec<_>>()
        .join(" ")
}

struct Run {
    rc: i32,
    events: Vec<Json>,
    stderr: String,
}

fn run_stackbook(playbook: &Path, out_dir: &Path) -> Run {
    let text = std::fs::read_to_string(playbook).expect("playbook readable");
    let dir = playbook.parent().expect("playbook dir");
    let mut command = Command::new(env!("CARGO_BIN_EXE_stackbook"));
    command.current_dir(dir).env_clear();
    command.env("PATH", std::env::var("PATH").unwrap_or_default());
    command
        .env("HOME", out_dir)
        .env("LANG", "C.UTF-8")
        .env("LC_ALL", "C.UTF-8")
        .env("TZ", "UTC");
    for word in split_words(&header(&text, "env")) {
        if let Some((key, value)) = word.split_once('=') {
            command.env(key, value);
        }
    }
    command.arg("play");
    match header(&text, "inventory").trim() {
        "none" => {}
        "" => {
            command.arg("-i").arg(corpus_dir().join("inventory.yml"));
        }
        own => {
            command.arg("-i").arg(own);
        }
    }
    command.arg(playbook.file_name().expect("file name"));
    command
        .arg("-e")
        .arg(format!("out_dir={}", out_dir.display()));
    command.args(split_words(&header(&text, "args")));
    command.arg("--output").arg("json");
    let output = command.output().expect("stackbook runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let dir_text = std::fs::canonicalize(dir)
        .unwrap_or(dir.to_path_buf())
        .display()
        .to_string();
    let out_text = out_dir.display().to_string();
    let events = stdout
        .lines()
        // Listing modes (--syntax-check, --list-tasks) print text, not events.
        .filter(|l| l.trim_start().starts_with('{'))
        .map(|line| {
            let line = line
                .replace(&out_text, "<out_dir>")
                .replace(&dir_text, "<playbook_dir>");
            serde_json::from_str(&line)
                .unwrap_or_else(|e| panic!("{}: bad JSON event {line}: {e}", playbook.display()))
        })
        .collect();
    Run {
        rc: output.status.code().unwrap_or(-1),
        events,
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
    }
}

fn read_golden(path: &Path) -> Vec<Json> {
    std::fs::read_to_string(path)
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("golden JSON"))
        .collect()
}

/// The observable part of a module result, by action.
fn project_result(action: &str, result: &Json, status_skipped: bool) -> Json {
    let Some(map) = result.as_object() else {
        return Json::Null;
    };
    let short = action.rsplit('.').next().unwrap_or(action);
    let mut out = Map::new();
    let keep = |out: &mut Map<String, Json>, key: &str| {
        if let Some(value) = map.get(key) {
            out.insert(key.to_string(), value.clone());
        }
    };
    if map.contains_key("censored") {
        keep(&mut out, "censored");
        return Json::Object(out);
    }
    // The oracle's callback drops the top-level `skipped` flag; the event status carries it.
    let skipped = status_skipped || map.get("skipped").and_then(Json::as_bool) == Some(true);

    if skipped {
        for key in ["false_condition", "skip_reason", "skipped_reason"] {
            keep(&mut out, key);
        }
    }
    if !skipped || matches!(short, "command" | "shell") {
        match short {
            "debug" => {
                // Everything debug shows, except bookkeeping and a loop's aggregate message.
                let is_loop_aggregate = map.contains_key("results");
                for (key, value) in map {
                    let bookkeeping = matches!(
                        key.as_str(),
                        "changed"
                            | "failed"
                            | "skipped"
                            | "results"
                            | "_ansible_verbose_always"
                            | "item"
                            | "ansible_loop_var"
                    );
                    let aggregate_message = is_loop_aggregate && key == "msg";
                    if !(bookkeeping || aggregate_message) {
                        out.insert(key.clone(), value.clone());
                    }
                }
            }
            "fail" | "assert" => keep(&mut out, "msg"),
            "command" | "shell" => {
                for key in ["rc", "stdout", "stderr", "stdout_lines"] {
                    keep(&mut out, key);
                }
            }
            "set_fact" | "include_vars" => keep(&mut out, "ansible_facts"),
            "stat" => {
                if let Some(exists) = map.get("stat").and_then(|s| s.get("exists")) {
                    out.insert("stat.exists".into(), exists.clone());
                }
            }
            _ => {}
        }
    }
    keep(&mut out, "attempts");
    if let Some(Json::Array(items)) = map.get("results") {
        out.insert(
            "results".into(),
            Json::Array(
                items
                    .iter()
                    .map(|item| project_result(action, item, false))
                    .collect(),
            ),
        );
    }
    Json::Object(out)
}

/// Sorts object keys recursively, so that key order never decides a comparison.
fn canonical(json: &Json) -> Json {
    match json {
        Json::Object(map) => {
            let mut entries: Vec<(&String, &Json)> = map.iter().collect();
            entries.sort_by(|a, b| a.0.cmp(b.0));
            Json::Object(
                entries
                    .into_iter()
                    .map(|(k, v)| (k.clone(), canonical(v)))
                    .collect(),
            )
        }
        Json::Array(items) => Json::Array(items.iter().map(canonical).collect()),
        other => other.clone(),
    }
}

/// Reduces an event stream to comparable lines.
fn normalise(events: &[Json]) -> Vec<String> {
    let events: Vec<Json> = events.iter().map(canonical).collect();
    let mut actions: BTreeMap<String, String> = BTreeMap::new();
    let mut lines = Vec::new();
    for event in &events {
        let kind = event["event"].as_str().unwrap_or_default();
        let task = event["task"].as_str().unwrap_or_default().to_string();
        match kind {
            "play_start" => lines.push(format!("PLAY {} {}", event["play"], event["hosts"])),
            "task_start" | "handler_start" => {
                let action = event["action"].as_str().unwrap_or_default().to_string();
                // Ansible reports include/meta actions without host results in some cases;
                // keep the banner for everything that has one.
                lines.push(format!(
                    "{} [{task}] {action}",
                    if kind == "task_start" {
                        "TASK"
                    } else {
                        "HANDLER"
                    }
                ));
                actions.insert(task, action);
            }
            "item_result" => {
                let action = actions.get(&task).cloned().unwrap_or_default();
                lines.push(format!(
                    "  item {} {} item={} {}",
                    event["host"].as_str().unwrap_or_default(),
                    event["status"].as_str().unwrap_or_default(),
                    event["item"],
                    project_result(&action, &event["result"], event["status"] == "skipped")
                ));
            }
            "host_result" => {
                let action = actions.get(&task).cloned().unwrap_or_default();
                let mut result =
                    project_result(&action, &event["result"], event["status"] == "skipped");
                // Per-item details were already compared on item lines.
                if let Some(map) = result.as_object_mut() {
                    map.remove("results");
                }
                lines.push(format!(
                    "  host {} {}{} {}",
                    event["host"].as_str().unwrap_or_default(),
                    event["status"].as_str().unwrap_or_default(),
                    if event["ignored"].as_bool() == Some(true) {
                        " ignored"
                    } else {
                        ""
                    },
                    result
                ));
            }
            "recap" => lines.push(format!("RECAP {}", event["stats"])),
            _ => {}
        }
    }
    lines
}

/// The `--forks`/`-f` a playbook's header asks for (1 when absent).
fn forks(playbook: &Path) -> usize {
    let text = std::fs::read_to_string(playbook).unwrap_or_default();
    let words = split_words(&header(&text, "args"));
    let mut forks = 1;
    for (index, word) in words.iter().enumerate() {
        let value = match word.as_str() {
            "--forks" | "-f" => words.get(index + 1).map(String::as_str),
            other => other
                .strip_prefix("--forks=")
                .or_else(|| other.strip_prefix("-f")),
        };
        if let Some(number) = value.and_then(|v| v.parse().ok()) {
            forks = number;
        }
    }
    forks
}

/// With more than one fork, ansible-core reports a task's host results in the order the
/// hosts finish; stackbook reports them in inventory order. Such runs are compared with
/// each task's result lines ordered by host (a host's own lines keep their order).
fn order_results_by_host(lines: Vec<String>) -> Vec<String> {
    let host_of = |line: &str| {
        line.split_whitespace()
            .nth(1)
            .unwrap_or_default()
            .to_string()
    };
    let mut out = Vec::with_capacity(lines.len());
    let mut results: Vec<String> = Vec::new();
    for line in lines {
        if line.starts_with("  ") {
            results.push(line);
            continue;
        }
        results.sort_by_key(|l| host_of(l));
        out.append(&mut results);
        out.push(line);
    }
    results.sort_by_key(|l| host_of(l));
    out.append(&mut results);
    out
}

fn known_differences() -> BTreeMap<String, String> {
    std::fs::read_to_string(corpus_dir().join("known-differences.txt"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.trim().is_empty() && !l.starts_with('#'))
        .map(|l| match l.split_once('#') {
            Some((name, reason)) => (name.trim().to_string(), reason.trim().to_string()),
            None => (l.trim().to_string(), String::new()),
        })
        .collect()
}

fn first_difference(expected: &[String], actual: &[String]) -> String {
    for (index, (e, a)) in expected.iter().zip(actual).enumerate() {
        if e != a {
            return format!("line {index}:\n    ansible:   {e}\n    stackbook: {a}");
        }
    }
    format!(
        "lengths differ: ansible {} lines, stackbook {} lines; next ansible: {:?}; next stackbook: {:?}",
        expected.len(),
        actual.len(),
        expected.get(actual.len()),
        actual.get(expected.len())
    )
}

fn scratch_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!(
        "stackbook-conformance-{}-{name}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

#[test]
fn conformance_corpus_matches_ansible_core() {
    let playbooks_dir = corpus_dir().join("playbooks");
    // Top-level playbooks, and suites with a folder of their own (playbooks/suite_*/).
    let yaml_files = |dir: &Path| -> Vec<PathBuf> {
        std::fs::read_dir(dir)
            .map(|entries| {
                entries
                    .filter_map(Result::ok)
                    .map(|e| e.path())
                    .filter(|p| p.extension().is_some_and(|e| e == "yml"))
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut playbooks = yaml_files(&playbooks_dir);
    for entry in std::fs::read_dir(&playbooks_dir)
        .expect("corpus present")
        .filter_map(Result::ok)
    {
        if entry.file_name().to_string_lossy().starts_with("suite_") {
            playbooks.extend(yaml_files(&entry.path()));
        }
    }
    playbooks.sort_by_key(|p| p.file_name().map(|n| n.to_os_string()));
    assert!(
        playbooks.len() >= 40,
        "the corpus must have at least 40 playbooks"
    );
    let known = known_differences();
    let mut passed = Vec::new();
    let mut unexpected = Vec::new();
    let mut now_passing = Vec::new();
    for playbook in &playbooks {
        let name = playbook
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        let out_dir = scratch_dir(&name);
        let run = run_stackbook(playbook, &out_dir);
        let _ = std::fs::remove_dir_all(&out_dir);
        let expected_rc: i32 =
            std::fs::read_to_string(corpus_dir().join(format!("expected/{name}.rc")))
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(-1);
        let expected = normalise(&read_golden(
            &corpus_dir().join(format!("expected/{name}.jsonl")),
        ));
        let mut actual = normalise(&run.events);
        let mut expected = expected;
        if forks(playbook) > 1 {
            expected = order_results_by_host(expected);
            actual = order_results_by_host(actual);
        }
        let verdict = if run.rc != expected_rc {
            Some(format!(
                "exit code: ansible {expected_rc}, stackbook {} (stderr: {})",
                run.rc,
                run.stderr.lines().next().unwrap_or("")
            ))
        } else if expected != actual {
            Some(first_difference(&expected, &actual))
        } else {
            None
        };
        match (verdict, known.contains_key(&name)) {
            (None, false) => passed.push(name),
            (None, true) => now_passing.push(name),
            (Some(_), true) => {}
            (Some(difference), false) => unexpected.push(format!("{name}: {difference}")),
        }
    }
    println!(
        "conformance: {} of {} playbooks match ansible-core; {} known differences",
        passed.len(),
        playbooks.len(),
        known.len()
    );
    assert!(
        unexpected.is_empty(),
        "playbooks differing from ansible-core:\n{}",
        unexpected.join("\n")
    );
    assert!(
        now_passing.is_empty(),
        "these now match; remove them from known-differences.txt: {now_passing:?}"
    );
}

#[test]
fn bad_input_corpus_reports_location_and_exit_code() {
    let errors_dir = corpus_dir().join("errors");
    let mut playbooks: Vec<PathBuf> = std::fs::read_dir(&errors_dir)
        .expect("error corpus present")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "yml"))
        .collect();
    playbooks.sort();
    let known = known_differences();
    let mut failures = Vec::new();
    for playbook in &playbooks {
        let name = playbook
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_string();
        if known.contains_key(&format!("errors/{name}")) {
            continue;
        }
        let out_dir = scratch_dir(&format!("err-{name}"));
        let run = run_stackbook(playbook, &out_dir);
        let _ = std::fs::remove_dir_all(&out_dir);
        let expected_rc: i32 =
            std::fs::read_to_string(corpus_dir().join(format!("expected/errors/{name}.rc")))
                .ok()
                .and_then(|t| t.trim().parse().ok())
                .unwrap_or(-1);
        if run.rc != expected_rc {
            failures.push(format!(
                "{name}: exit code ansible {expected_rc}, stackbook {}; stderr: {}",
                run.rc,
                run.stderr.trim()
            ));
            continue;
        }
        // Where ansible names a line:column, stackbook must point at the same place.
        let golden =
            std::fs::read_to_string(corpus_dir().join(format!("expected/errors/{name}.err")))
                .unwrap_or_default();
        if let Some(origin) = golden.lines().find_map(|l| l.strip_prefix("Origin: ")) {
            let position = origin
                .rsplit_once(".yml:")
                .map(|(_, p)| p.to_string())
                .unwrap_or_default();
            // The file ansible names, relative to the playbook's folder (the playbook itself,
            // or e.g. a role's meta/main.yml).
            let file = match origin.strip_prefix("<playbook_dir>/") {
                Some(relative) => relative.to_string(),
                None => format!("{name}.yml:{position}"),
            };
            let in_events = run.events.iter().any(|e| e.to_string().contains(&position));
            if !run.stderr.contains(&file) && !in_events {
                failures.push(format!(
                    "{name}: expected location {file}; stderr: {}",
                    run.stderr.trim()
                ));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "bad-input cases:\n{}",
        failures.join("\n")
    );
}
