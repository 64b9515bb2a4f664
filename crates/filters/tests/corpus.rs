//! Golden corpus: every `inputs/<name>.txt` (JSON context, `---`, template)
//! is rendered with minijinja + `stackbook_filters` and compared with
//! `goldens/<name>.txt`, which `regenerate.py` produced with real
//! ansible-core. See `DIFFERENCES.md` for the cases listed in
//! `KNOWN_DIFFERENCES`, which must keep differing until fixed.
//!
//! The environment mirrors what the engine's `Templar` does: strict
//! undefined handling, Ansible's backslash handling in `{{ }}` string
//! literals, and Python `str()` for printed values.

use std::fs;
use std::path::{Path, PathBuf};

use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, ErrorKind, UndefinedBehavior};

/// Cases where stackbook deliberately differs from ansible-core, with the
/// reason (mirrored in DIFFERENCES.md).
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[
    (
        "loop_controls",
        "minijinja's loop_controls ({% break %}/{% continue %}) are enabled; Ansible does not load jinja2.ext.loopcontrols",
    ),
    (
        "defined_chain",
        "the harness uses UndefinedBehavior::Strict, where `a.missing.deeper` fails; Ansible's undefined \
         chains through attribute access (the engine's Templar decides this)",
    ),
];

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests")
        .join("fixtures")
}

/// A template that is exactly one `{{ expr }}` yields a native value in
/// Ansible (shown here with Python's `str()`, so `None` prints as `None`);
/// in mixed text a `None` renders as the empty string.
fn is_single_expression(template: &str) -> bool {
    let t = template.trim_end_matches('\n');
    t.starts_with("{{") && t.ends_with("}}") && t.matches("{{").count() == 1
}

fn environment(single_expression: bool) -> Environment<'static> {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    stackbook_filters::add_to_environment(&mut env);
    env.set_formatter(move |out, _state, value| {
        if value.kind() == ValueKind::Undefined {
            return Err(Error::new(
                ErrorKind::UndefinedError,
                "undefined value printed",
            ));
        }
        if value.is_none() && !single_expression {
            return Ok(());
        }
        out.write_str(&stackbook_filters::python_str(value))
            .map_err(|e| Error::new(ErrorKind::WriteFailure, "write failed").with_source(e))
    });
    env
}

/// Renders one case; `Err` carries the error's display text.
fn render(source: &str, fixtures: &str) -> Result<String, String> {
    let text = source.replace("__FIXTURES__", fixtures);
    let (ctx, template) = text.split_once("\n---\n").ok_or("missing --- separator")?;
    let ctx: serde_json::Value =
        serde_json::from_str(ctx).map_err(|e| format!("bad context JSON: {e}"))?;
    let mut ctx = stackbook_filters::json_to_value(ctx);
    // playbook_dir first, then the case's own variables (as regenerate.py does).
    let mut pairs = vec![(Value::from("playbook_dir"), Value::from(fixtures))];
    if let Some(obj) = ctx.as_object().and_then(|o| o.try_iter_pairs()) {
        pairs.extend(obj);
    }
    ctx = Value::from_pairs(pairs);
    let template =
        stackbook_filters::compat::escape_backslashes(template.trim_end_matches('\n')).into_owned();
    let env = environment(is_single_expression(&template));
    let out = env
        .render_str(&template, ctx)
        .map_err(|e| format!("{e:#}"))?;
    Ok(out.replace(fixtures, "<FIXTURES>"))
}

#[test]
fn golden_corpus() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests");
    let fixtures = fixtures();
    let fixtures_str = fixtures.to_string_lossy().into_owned();
    // `pipe`/`lines`/path tests resolve relative paths from playbook_dir or
    // the working directory, like regenerate.py (which chdirs there).
    std::env::set_current_dir(&fixtures).expect("chdir into fixtures");
    let mut inputs: Vec<PathBuf> = fs::read_dir(root.join("inputs"))
        .expect("read inputs dir")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "txt"))
        .collect();
    inputs.sort();
    assert!(inputs.len() >= 150, "corpus too small: {}", inputs.len());

    let mut failures = Vec::new();
    let mut passed = 0;
    let mut known = 0;
    for input in &inputs {
        let name = input
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default()
            .to_owned();
        let source = fs::read_to_string(input).expect("read input");
        let golden_path = root.join("goldens").join(format!("{name}.txt"));
        let golden = fs::read_to_string(&golden_path).unwrap_or_else(|_| {
            panic!(
                "missing golden {}; run tests/regenerate.py",
                golden_path.display()
            )
        });
        let actual = render(&source, &fixtures_str);
        let ok = match (&actual, golden.starts_with("!!!ERROR!!!")) {
            (Err(_), true) => true,
            (Ok(out), false) => *out == golden,
            _ => false,
        };
        let expected_diff = KNOWN_DIFFERENCES.iter().any(|(n, _)| *n == name);
        match (ok, expected_diff) {
            (true, false) => passed += 1,
            (false, true) => known += 1,
            (true, true) => failures.push(format!(
                "{name}: listed in KNOWN_DIFFERENCES but now matches; remove it"
            )),
            (false, false) => failures.push(format!(
                "{name}\n  template: {}\n  expected: {golden:?}\n  actual:   {actual:?}",
                source.split_once("\n---\n").map_or("", |x| x.1).trim_end()
            )),
        }
    }
    eprintln!(
        "golden corpus: {passed} passed, {known} known differences, {} failed, {} total",
        failures.len(),
        inputs.len()
    );
    assert!(
        failures.is_empty(),
        "{} corpus case(s) differ from ansible-core:\n\n{}",
        failures.len(),
        failures.join("\n\n")
    );
}
