//! Differential tests against goldens produced by Helm's own Go SDK
//! (`tests/regenerate.py`, helm-python-sdk 0.2.2 = Helm v4.2.3).
//!
//! - chart cases (`tests/cases/*.json`) render the real charts in
//!   `shared/charts/` and compare the release manifest and NOTES byte for
//!   byte (or the error message);
//! - the template corpus (`tests/gotmpl-inputs/*.txt`) compares the output
//!   of one template per file.

use std::path::{Path, PathBuf};

use stackbook_helm::chart::{ChartFile, from_files, load_chart};
use stackbook_helm::render::{Capabilities, ReleaseOptions, render_chart, render_files};
use stackbook_helm::value::Value;
use stackbook_helm::values::{SetMode, UserValues};

fn here() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

fn charts_dir() -> PathBuf {
    here().join("../../../shared/charts")
}

fn strs(case: &serde_json::Value, key: &str) -> Vec<String> {
    case.get(key)
        .and_then(|v| v.as_array())
        .map(|a| {
            a.iter()
                .filter_map(|s| s.as_str().map(str::to_string))
                .collect()
        })
        .unwrap_or_default()
}

/// Renders one case; returns (manifest, notes) or the error text.
fn render_case(case: &serde_json::Value) -> Result<(String, String), String> {
    let chart_name = case["chart"].as_str().ok_or("case without chart")?;
    let dir = match chart_name.strip_prefix("fixtures/") {
        Some(f) => here().join("tests/fixtures").join(f),
        None => charts_dir().join(chart_name),
    };
    let chart = load_chart(dir).map_err(|e| e.to_string())?;
    let mut uv = UserValues::new();
    for (i, doc) in strs(case, "values_files").iter().enumerate() {
        uv.add_yaml(&format!("values-{i}.yaml"), doc)
            .map_err(|e| e.to_string())?;
    }
    for e in strs(case, "set_json") {
        uv.set(&e, SetMode::Json).map_err(|e| e.to_string())?;
    }
    for e in strs(case, "set") {
        uv.set(&e, SetMode::Typed).map_err(|e| e.to_string())?;
    }
    for e in strs(case, "set_string") {
        uv.set(&e, SetMode::String).map_err(|e| e.to_string())?;
    }
    let rel = case.get("release");
    let get = |k: &str, d: &str| {
        rel.and_then(|r| r.get(k))
            .and_then(|v| v.as_str())
            .unwrap_or(d)
            .to_string()
    };
    let release = ReleaseOptions {
        name: get("name", "release-name"),
        namespace: get("namespace", "default"),
        ..ReleaseOptions::default()
    };
    let r = render_chart(&chart, &uv.to_value(), &release, &Capabilities::default())
        .map_err(|e| e.to_string())?;
    Ok((r.manifest(), r.notes))
}

fn first_diff(a: &str, b: &str) -> String {
    let line = a
        .lines()
        .zip(b.lines())
        .position(|(x, y)| x != y)
        .unwrap_or_else(|| a.lines().count().min(b.lines().count()));
    let ctx = |s: &str| {
        s.lines()
            .skip(line.saturating_sub(2))
            .take(5)
            .collect::<Vec<_>>()
            .join("\n")
    };
    format!(
        "first difference at line {}\n--- ours:\n{}\n--- helm:\n{}",
        line + 1,
        ctx(a),
        ctx(b)
    )
}

#[test]
fn chart_cases_match_helm() {
    if !charts_dir().exists() {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared/charts missing in CI"
        );
        eprintln!("skip: {} not found", charts_dir().display());
        return;
    }
    let mut cases: Vec<PathBuf> = std::fs::read_dir(here().join("tests/cases"))
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    cases.sort();
    let goldens = here().join("tests/goldens");
    let (mut ok, mut failures) = (0, Vec::new());
    for path in &cases {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let case: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        let got = render_case(&case);
        let err_golden = goldens.join(format!("{name}.error"));
        let res = if err_golden.exists() {
            let want = std::fs::read_to_string(&err_golden).unwrap();
            match got {
                Err(e) if e == want => Ok(()),
                Err(e) => Err(format!("error differs:\n ours: {e}\n helm: {want}")),
                Ok(_) => Err(format!("expected error: {want}")),
            }
        } else {
            let want_m = std::fs::read_to_string(goldens.join(format!("{name}.manifest"))).unwrap();
            let want_n = std::fs::read_to_string(goldens.join(format!("{name}.notes"))).unwrap();
            match got {
                Ok((m, n)) if m == want_m && n == want_n => Ok(()),
                Ok((m, _)) if m != want_m => Err(first_diff(&m, &want_m)),
                Ok((_, n)) => Err(format!("notes differ:\n{}", first_diff(&n, &want_n))),
                Err(e) => Err(format!("render failed: {e}")),
            }
        };
        match res {
            Ok(()) => ok += 1,
            Err(e) => failures.push(format!("[{name}] {e}")),
        }
    }
    eprintln!("chart goldens: {ok}/{} byte-identical", cases.len());
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

fn render_template(values: &Value, tpl: &str) -> String {
    let files = vec![
        ChartFile {
            name: "Chart.yaml".into(),
            data: b"apiVersion: v2\nname: gotmpl\nversion: 0.1.0\nappVersion: 1.2.3\n"
                .to_vec()
                .into(),
        },
        ChartFile {
            name: "templates/out.txt".into(),
            data: tpl.as_bytes().to_vec().into(),
        },
    ];
    let chart = from_files(files, "gotmpl").unwrap();
    let release = ReleaseOptions {
        name: "rel".into(),
        namespace: "ns".into(),
        ..ReleaseOptions::default()
    };
    stackbook_helm::sprig::set_random_seed(42);
    match render_files(&chart, values, &release, &Capabilities::default()) {
        Ok(r) => r
            .files
            .get("gotmpl/templates/out.txt")
            .cloned()
            .unwrap_or_default(),
        Err(e) => format!("!!!ERROR!!!\n{e}"),
    }
}

#[test]
fn gotmpl_corpus_matches_helm() {
    let dir = here().join("tests/gotmpl-inputs");
    let mut inputs: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    inputs.sort();
    let (mut ok, mut failures) = (0, Vec::new());
    for path in &inputs {
        let name = path.file_stem().unwrap().to_string_lossy().to_string();
        let text = std::fs::read_to_string(path).unwrap();
        let (ctx, tpl) = text.split_once("\n---\n").unwrap_or(("", &text));
        let vals = if ctx.trim().is_empty() {
            Value::empty_map()
        } else {
            Value::from_json(&serde_json::from_str(ctx).unwrap())
        };
        let got = render_template(&vals, tpl);
        let want = std::fs::read_to_string(golden_path(&name))
            .unwrap_or_else(|_| panic!("missing golden for {name}"));
        if got == want {
            ok += 1;
        } else {
            failures.push(format!("[{name}]\n ours: {got:?}\n helm: {want:?}"));
        }
    }
    eprintln!("template corpus: {ok}/{} identical", inputs.len());
    assert!(
        failures.is_empty(),
        "{} of {} differ:\n{}",
        failures.len(),
        inputs.len(),
        failures.join("\n")
    );
}

fn golden_path(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/gotmpl-goldens")
        .join(format!("{name}.out"))
}
