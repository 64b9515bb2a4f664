//! Behaviour of the public rendering API beyond the Helm goldens: unused
//! value detection, `.tgz` loading, CRD/hook output, `--set` parsing,
//! robustness against malformed templates.

use std::path::PathBuf;

use stackbook_helm::chart::{load_archive, load_chart};
use stackbook_helm::gotmpl::Templates;
use stackbook_helm::render::{Capabilities, ReleaseOptions, RenderError, render_chart};
use stackbook_helm::value::Value;
use stackbook_helm::values::{SetMode, UserValues};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn pgo_dir() -> Option<PathBuf> {
    let p = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/charts/pgo");
    if p.exists() {
        Some(p)
    } else {
        assert!(
            std::env::var_os("CI").is_none(),
            "shared/charts/pgo missing in CI"
        );
        eprintln!("skip: shared/charts/pgo not found");
        None
    }
}

#[test]
fn seed_resources_are_reported_as_never_read_by_pgo() {
    let Some(dir) = pgo_dir() else { return };
    let chart = load_chart(dir).unwrap();
    let mut uv = UserValues::new();
    uv.add_yaml(
        "seed.yaml",
        "resources:\n  limits: {cpu: 500m}\n  requests: {memory: 256Mi}\nsingleNamespace: true\n",
    )
    .unwrap();
    let r = render_chart(
        &chart,
        &uv.to_value(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(
        r.unused_values,
        vec![
            "resources.limits".to_string(),
            "resources.requests".to_string()
        ]
    );

    // The key the chart does read is not reported.
    let mut uv = UserValues::new();
    uv.add_yaml("ok.yaml", "resources:\n  controller:\n    limits: {cpu: 500m}\nfeatures: {A: true}\ncustomPodLabels: {a: b}\n").unwrap();
    let r = render_chart(
        &chart,
        &uv.to_value(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap();
    assert!(r.unused_values.is_empty(), "{:?}", r.unused_values);
    assert!(r.manifest().contains("cpu: 500m"));
}

#[test]
fn unused_values_respect_schema_and_subcharts() {
    let chart = load_chart(fixture("umbrella")).unwrap();
    let mut uv = UserValues::new();
    uv.set(
        "image.digest=sha256:x,sub.typo=1,tgzsub.port=1,second.greeting=hi",
        SetMode::Typed,
    )
    .unwrap();
    let r = render_chart(
        &chart,
        &uv.to_value(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap();
    // image.digest: the schema declares `image` but not `digest`.
    assert_eq!(
        r.unused_values,
        vec!["image.digest".to_string(), "sub.typo".to_string()]
    );
}

#[test]
fn tgz_chart_renders_like_directory() {
    let Some(dir) = pgo_dir() else { return };
    // Pack the chart directory into a .tgz in memory.
    let mut tar_bytes = Vec::new();
    {
        let gz = flate2::write::GzEncoder::new(&mut tar_bytes, flate2::Compression::fast());
        let mut b = tar::Builder::new(gz);
        b.append_dir_all("pgo", &dir).unwrap();
        b.into_inner().unwrap().finish().unwrap();
    }
    let from_tgz = load_archive(&tar_bytes, "pgo.tgz").unwrap();
    let from_dir = load_chart(&dir).unwrap();
    let rel = ReleaseOptions::default();
    let a = render_chart(
        &from_tgz,
        &Value::empty_map(),
        &rel,
        &Capabilities::default(),
    )
    .unwrap();
    let b = render_chart(
        &from_dir,
        &Value::empty_map(),
        &rel,
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(a.manifest(), b.manifest());
    assert_eq!(a.crds.len(), 4);
}

#[test]
fn template_output_has_crds_first_and_hooks_last() {
    let chart = load_chart(fixture("umbrella")).unwrap();
    let r = render_chart(
        &chart,
        &Value::empty_map(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(r.hooks.len(), 1);
    assert_eq!(r.hooks[0].kind, "Job");
    assert!(!r.manifest().contains("kind: Job"));
    let out = r.template_output(true);
    assert!(out.starts_with("---\n# Source: umbrella/crds/widget.yaml\n"));
    assert!(out.trim_end().ends_with("image: busybox"));
    // Kinds in install order; unknown kinds (Widget) last among manifests.
    let kinds: Vec<&str> = r.manifests.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds.first(), Some(&"Namespace"));
    assert_eq!(kinds.last(), Some(&"Widget"));
}

#[test]
fn set_syntax_paths_lists_escapes_and_types() {
    let mut uv = UserValues::new();
    uv.set(
        r"a.b[1].c=x,esc\.dot=1,list={1,two},n=010,t=TRUE,nul=null,empty=",
        SetMode::Typed,
    )
    .unwrap();
    uv.set("s=123", SetMode::String).unwrap();
    uv.set(r#"j={"k":[1,{"z":null}]}"#, SetMode::Json).unwrap();
    let v = uv.to_value().to_json();
    assert_eq!(
        v,
        serde_json::json!({
            "a": {"b": [null, {"c": "x"}]}, "esc.dot": 1, "list": [1, "two"], "n": "010", "t": true,
            "nul": null, "empty": "", "s": "123", "j": {"k": [1.0, {"z": null}]}
        })
    );
    assert!(uv.set("a[70000]=1", SetMode::Typed).is_err());
    assert!(uv.set("novalue", SetMode::Typed).is_err());
}

#[test]
fn null_from_user_deletes_chart_default() {
    let chart = load_chart(fixture("umbrella")).unwrap();
    let mut uv = UserValues::new();
    uv.set("image.tag=null,replicaCount=3", SetMode::Typed)
        .unwrap();
    let r = render_chart(
        &chart,
        &uv.to_value(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap();
    let m = r.manifest();
    assert!(m.contains("replicas: 3"));
    assert!(
        m.contains("image: \"nginx:2.0\""),
        "tag falls back to appVersion"
    );
}

#[test]
fn render_errors_name_the_template_location() {
    let chart = load_chart(fixture("umbrella")).unwrap();
    let mut uv = UserValues::new();
    uv.set("replicaCount=0", SetMode::Typed).unwrap();
    let err = render_chart(
        &chart,
        &uv.to_value(),
        &ReleaseOptions::default(),
        &Capabilities::default(),
    )
    .unwrap_err();
    assert!(matches!(err, RenderError::Schema(_)));
    assert!(
        err.to_string()
            .contains("at '/replicaCount': minimum: got 0, want 1")
    );
}

/// Malformed templates never panic: every prefix of every corpus template
/// either parses or yields a ParseError, and executes or errors.
#[test]
fn truncated_templates_never_panic() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/gotmpl-inputs");
    let funcs = stackbook_helm::sprig::helm_funcs();
    let data = Value::empty_map();
    for entry in std::fs::read_dir(dir).unwrap() {
        let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let tpl = text.split_once("\n---\n").map(|(_, t)| t).unwrap_or(&text);
        for end in (0..=tpl.len()).filter(|i| tpl.is_char_boundary(*i)) {
            let mut t = Templates::new(funcs.clone());
            if t.add("t", &tpl[..end]).is_ok() {
                let _ = t.execute("t", &data);
            }
        }
    }
}

#[test]
fn include_recursion_fits_in_default_thread_stack() {
    // 2 MiB is the default stack of spawned threads (and test threads).
    let handle = std::thread::Builder::new()
        .stack_size(2 * 1024 * 1024)
        .spawn(|| {
            let mut t = Templates::new(stackbook_helm::sprig::helm_funcs());
            t.add(
                "t",
                r#"{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}"#,
            )
            .unwrap();
            t.execute("t", &Value::Nil).is_err()
        })
        .unwrap();
    assert!(handle.join().unwrap());
}

#[test]
fn include_recursion_is_bounded() {
    let mut t = Templates::new(stackbook_helm::sprig::helm_funcs());
    t.add(
        "t",
        r#"{{ define "loop" }}{{ include "loop" . }}{{ end }}{{ include "loop" . }}"#,
    )
    .unwrap();
    let handle = std::thread::Builder::new()
        .stack_size(256 * 1024 * 1024)
        .spawn(move || {
            t.execute("t", &Value::Nil)
                .map(|_| ())
                .unwrap_err()
                .to_string()
        })
        .unwrap();
    let err = handle.join().unwrap();
    assert!(
        err.contains("exceeded maximum template depth") || err.contains("nested reference"),
        "{err}"
    );
}

#[test]
fn chart_kube_version_constraint_is_enforced() {
    let chart = load_chart(fixture("umbrella")).unwrap();
    let old = Capabilities {
        kube_version: "v1.19.4".into(),
        ..Capabilities::default()
    };
    let err = render_chart(
        &chart,
        &Value::empty_map(),
        &ReleaseOptions::default(),
        &old,
    )
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "chart requires kubeVersion: >=1.20.0-0 which is incompatible with Kubernetes v1.19.4"
    );
    let new = Capabilities {
        kube_version: "v1.31.2-gke.100".into(),
        ..Capabilities::default()
    };
    let r = render_chart(
        &chart,
        &Value::empty_map(),
        &ReleaseOptions::default(),
        &new,
    )
    .unwrap();
    assert!(!r.manifests.is_empty());
}

#[test]
fn capabilities_api_versions_are_configurable() {
    let files = vec![
        stackbook_helm::chart::ChartFile { name: "Chart.yaml".into(), data: b"apiVersion: v2\nname: c\nversion: 1.0.0\n".to_vec().into() },
        stackbook_helm::chart::ChartFile {
            name: "templates/x.txt".into(),
            data: br#"{{ .Capabilities.APIVersions.Has "monitoring.coreos.com/v1" }} {{ .Capabilities.KubeVersion.Minor }} {{ .Capabilities.KubeVersion }} {{ .Capabilities.KubeVersion.Version }}"#.to_vec().into(),
        },
    ];
    let chart = stackbook_helm::chart::from_files(files, "c").unwrap();
    let mut caps = Capabilities {
        kube_version: "v1.29.3-eks.7".into(),
        ..Capabilities::default()
    };
    caps.api_versions.push("monitoring.coreos.com/v1".into());
    let r = stackbook_helm::render::render_files(
        &chart,
        &Value::empty_map(),
        &ReleaseOptions::default(),
        &caps,
    )
    .unwrap();
    assert_eq!(
        r.files["c/templates/x.txt"],
        "true 29 v1.29.3 v1.29.3-eks.7"
    );
}

#[test]
fn lookup_uses_the_connected_cluster_when_given() {
    let files = vec![
        stackbook_helm::chart::ChartFile { name: "Chart.yaml".into(), data: b"apiVersion: v2\nname: c\nversion: 1.0.0\n".to_vec().into() },
        stackbook_helm::chart::ChartFile {
            name: "templates/x.txt".into(),
            data: br#"{{ $s := lookup "v1" "Secret" .Release.Namespace "db" }}{{ with $s.data }}{{ .password }}{{ else }}none{{ end }}|{{ len (lookup "v1" "Pod" "" "") }}"#
                .to_vec()
                .into(),
        },
    ];
    let chart = stackbook_helm::chart::from_files(files, "c").unwrap();
    let rel = ReleaseOptions {
        namespace: "prod".into(),
        ..ReleaseOptions::default()
    };
    let offline = stackbook_helm::render::render_files(
        &chart,
        &Value::empty_map(),
        &rel,
        &Capabilities::default(),
    )
    .unwrap();
    assert_eq!(offline.files["c/templates/x.txt"], "none|0");
    let lookup: stackbook_helm::gotmpl::LookupFn =
        std::sync::Arc::new(|api: &str, kind: &str, ns: &str, name: &str| {
            let v: serde_json::Value = if (api, kind, ns, name) == ("v1", "Secret", "prod", "db") {
                serde_json::json!({"data": {"password": "c2VjcmV0"}})
            } else {
                serde_json::json!({})
            };
            Ok(Value::from_json(&v))
        });
    let caps = Capabilities {
        lookup: Some(lookup),
        ..Capabilities::default()
    };
    let live =
        stackbook_helm::render::render_files(&chart, &Value::empty_map(), &rel, &caps).unwrap();
    assert_eq!(live.files["c/templates/x.txt"], "c2VjcmV0|0");
}

#[test]
fn template_command_applies_flags_in_helm_order() {
    let dir = std::env::temp_dir().join(format!("sb-helm-values-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let vf = dir.join("v.yaml");
    std::fs::write(&vf, "replicaCount: 5\nimage:\n  tag: from-file\n").unwrap();
    let opts = stackbook_helm::TemplateOptions {
        chart: fixture("umbrella"),
        values_files: vec![vf],
        set: vec!["image.tag=from-set,replicaCount=7".into()],
        set_string: vec!["image.repository=0123".into()],
        name: "t".into(),
        include_crds: true,
        kube_version: "1.30.0".into(),
        ..Default::default()
    };
    let out = stackbook_helm::template(&opts).unwrap();
    std::fs::remove_dir_all(&dir).unwrap();
    assert!(
        out.text
            .starts_with("---\n# Source: umbrella/crds/widget.yaml")
    );
    assert!(out.text.contains("replicas: 7"), "--set wins over the file");
    assert!(out.text.contains("image: \"0123:from-set\""));
    assert!(out.text.contains("namespace: default") || out.text.contains("name: default-extra"));
}

/// Deterministic pseudo-random generator for the robustness tests.
struct Lcg(u64);
impl Lcg {
    fn next(&mut self) -> usize {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (self.0 >> 33) as usize
    }
}

/// Random token soup through the template parser and executor: errors
/// are fine, panics are not.
#[test]
fn random_templates_never_panic() {
    let pieces = [
        "{{",
        "}}",
        "{{-",
        "-}}",
        " ",
        "\n",
        ".",
        ".Values",
        ".a",
        "$",
        "$x",
        ":=",
        "=",
        "|",
        "(",
        ")",
        "\"s\"",
        "`r`",
        "'c'",
        "1",
        "-2",
        "1.5e3",
        "0x1F",
        "nil",
        "true",
        "if",
        "else",
        "end",
        "range",
        "with",
        "define",
        "template",
        "block",
        "break",
        "continue",
        "include",
        "tpl",
        "printf",
        "\"%d %s %v\"",
        "index",
        "slice",
        "len",
        "eq",
        "and",
        "or",
        "not",
        "default",
        "toYaml",
        "fromYaml",
        "list",
        "dict",
        "set",
        "merge",
        "/*",
        "*/",
        ",",
        "text",
        "required",
        "fail",
        "semverCompare",
        "regexMatch",
        "\"[\"",
    ];
    let funcs = stackbook_helm::sprig::helm_funcs();
    let data =
        Value::from_json(&serde_json::json!({"Values": {"a": {"b": [1, "x", null]}, "n": 3}}));
    let mut rng = Lcg(12345);
    for _ in 0..3000 {
        let n = 1 + rng.next() % 24;
        let src: String = (0..n).map(|_| pieces[rng.next() % pieces.len()]).collect();
        let mut t = Templates::new(funcs.clone());
        if t.add("t", &src).is_ok() {
            let mut log = stackbook_helm::gotmpl::AccessLog::default();
            let _ = t.execute_inline("t", &data, &mut log);
        }
    }
}

/// Random YAML-ish text through the values parser and the emitter.
#[test]
fn random_yaml_never_panics() {
    let pieces = [
        "a", ":", " ", "\n", "- ", "  ", "[", "]", "{", "}", ",", "'", "\"", "&x", "*x", "<<",
        "!!str", "#", "|", ">", "1", ".5", "~", "\t", "é", "---",
    ];
    let mut rng = Lcg(777);
    for _ in 0..3000 {
        let n = 1 + rng.next() % 30;
        let src: String = (0..n).map(|_| pieces[rng.next() % pieces.len()]).collect();
        if let Ok(v) = stackbook_helm::yaml::parse(&src) {
            let out = stackbook_helm::yaml::to_yaml(&v);
            // What we emit must read back to the same value.
            if stackbook_helm::yaml::emit::check_marshal(&v).is_ok() {
                assert_eq!(
                    stackbook_helm::yaml::parse(&out).ok().map(|x| x.to_json()),
                    Some(v.to_json()),
                    "{src:?} -> {out:?}"
                );
            }
        }
    }
}

#[test]
fn bcrypt_and_htpasswd_hashes_verify() {
    let mut t = Templates::new(stackbook_helm::sprig::helm_funcs());
    t.add(
        "t",
        r#"{{ bcrypt "s3cret" }}|{{ htpasswd "admin" "s3cret" }}"#,
    )
    .unwrap();
    let out = t.execute("t", &Value::Nil).unwrap();
    let (hash, line) = out.split_once('|').unwrap();
    assert!(hash.starts_with("$2a$10$"), "{hash}");
    assert!(bcrypt::verify("s3cret", hash).unwrap());
    let (user, h2) = line.split_once(':').unwrap();
    assert_eq!(user, "admin");
    assert!(bcrypt::verify("s3cret", h2).unwrap());
    assert!(!bcrypt::verify("wrong", h2).unwrap());
}
