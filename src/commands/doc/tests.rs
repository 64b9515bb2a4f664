//! The docs are held to the code: every registered module has docs, the parameters they list
//! are exactly the ones the module's argument struct accepts, every example loads, and
//! `docs/modules.md` is what `stackbook doc --markdown` prints.
//!
//! Parameters are checked by asking the module itself: every module parses its arguments into
//! a `deny_unknown_fields` struct before doing anything, so running it with an unknown probe
//! parameter fails at parsing and names every parameter the struct accepts; running it with a
//! documented parameter plus the probe must fail on the probe, not on the documented one.

use std::collections::BTreeSet;
use std::sync::Arc;

use serde::Deserialize;
use serde_json::{Value as Json, json};
use stackbook_engine::modules::docs::{DocSource, ModuleDoc};
use stackbook_engine::modules::{
    Action, Module, ModuleContext, ModuleResult, Registry, done, parse_args,
};
use stackbook_syntax::load_single_document;
use stackbook_syntax::playbook::{ModuleNames, parse_task_list};
use stackbook_template::{Scope, Templar};

use super::{collect, find, render};

/// A parameter name no module has, far from every real one (so no did-you-mean either).
const PROBE: &str = "zz_stackbook_doc_probe";

/// Runs `module` with `args` in check mode, with no variables.
fn run(module: &dyn Module, args: Json) -> ModuleResult {
    let templar = Templar::default();
    let scope = Scope::new(&templar, Vec::<(String, minijinja::Value)>::new());
    let context = ModuleContext {
        host: "localhost",
        check_mode: true,
        diff: false,
        verbosity: 0,
        environment: &[],
        search_dirs: &[],
        templar: &templar,
        scope: &scope,
    };
    module.run(&context, args)
}

/// From "Unsupported parameters for (m) module: FIELD. Supported parameters include: a, b":
/// the rejected field and the supported ones.
fn unsupported(result: &ModuleResult) -> Option<(String, BTreeSet<String>)> {
    let msg = result.get("msg")?.as_str()?;
    let rest = msg.split_once(" module: ")?.1;
    let (field, supported) = rest.split_once(". Supported parameters include: ")?;
    let supported = supported.split("; did you mean").next().unwrap_or_default();
    Some((
        field.to_string(),
        supported.split(", ").map(str::to_string).collect(),
    ))
}

/// The struct's name for a documented parameter (`free_form` is `_raw_params` inside).
fn argument_name(documented: &str) -> &str {
    if documented == "free_form" {
        "_raw_params"
    } else {
        documented
    }
}

/// Everything wrong between a module's docs and its argument parsing.
fn parameter_mismatches(module: &dyn Module, doc: &ModuleDoc) -> Vec<String> {
    let mut problems = Vec::new();
    let probe = run(module, json!({ PROBE: true }));
    let Some((field, supported)) = unsupported(&probe) else {
        return vec![format!(
            "{}: an unknown parameter is not rejected as unsupported (got {probe:?}); \
             parse the arguments into a deny_unknown_fields struct first",
            doc.module
        )];
    };
    if field != PROBE {
        problems.push(format!("{}: probe rejected as {field}", doc.module));
    }
    let documented: BTreeSet<&str> = doc
        .parameters
        .iter()
        .flat_map(|p| std::iter::once(p.name.as_str()).chain(p.aliases.iter().map(String::as_str)))
        .map(argument_name)
        .collect();
    for accepted in &supported {
        if !documented.contains(accepted.as_str()) {
            problems.push(format!(
                "{}: accepts `{accepted}` but {} does not document it",
                doc.module, doc.path
            ));
        }
    }
    for name in &documented {
        let result = run(module, json!({ *name: null, PROBE: true }));
        let rejected = unsupported(&result).map(|(field, _)| field);
        if rejected.as_deref() == Some(*name) {
            problems.push(format!(
                "{}: {} documents `{name}`, which the module rejects as unsupported",
                doc.module, doc.path
            ));
        } else if result.get("failed") != Some(&Json::Bool(true)) {
            problems.push(format!(
                "{}: `{name}` with the probe parameter was not rejected: {result:?}",
                doc.module
            ));
        }
    }
    problems
}

#[test]
fn every_registered_module_has_docs_naming_it() {
    let registry = super::super::registry();
    let documented = collect(&registry).unwrap_or_else(|e| panic!("{e}"));
    let fqcns: BTreeSet<&str> = registry
        .all_names()
        .into_iter()
        .filter_map(|name| registry.resolve(name))
        .map(|entry| entry.fqcn.as_str())
        .collect();
    let with_docs: BTreeSet<&str> = documented.iter().map(|d| d.doc.module.as_str()).collect();
    assert_eq!(fqcns, with_docs);
    // The modules the stack's playbooks use are all there.
    for module in [
        "ansible.builtin.debug",
        "ansible.builtin.set_fact",
        "kubernetes.core.k8s",
        "kubernetes.core.k8s_info",
        "kubernetes.core.k8s_exec",
        "kubernetes.core.helm",
        "kubernetes.core.helm_info",
        "stackbook.db.pgbackrest_info",
    ] {
        assert!(with_docs.contains(module), "{module} missing");
    }
}

#[test]
fn documented_parameters_are_exactly_the_accepted_ones() {
    let registry = super::super::registry();
    let mut problems = Vec::new();
    let mut checked = 0;
    for documented in collect(&registry).unwrap_or_else(|e| panic!("{e}")) {
        let Some(entry) = registry.resolve(&documented.doc.module) else {
            continue;
        };
        // Executor actions (set_fact, include_role, …) have no argument struct to ask.
        if let Action::Module(module) = &entry.action {
            problems.extend(parameter_mismatches(module.as_ref(), &documented.doc));
            checked += 1;
        }
    }
    assert!(checked >= 15, "only {checked} modules checked");
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn every_example_loads_as_a_task_list_using_its_module() {
    let registry = super::super::registry();
    for documented in collect(&registry).unwrap_or_else(|e| panic!("{e}")) {
        let doc = &documented.doc;
        let node = load_single_document(&doc.examples, &doc.path)
            .unwrap_or_else(|e| panic!("{}: examples: {e}", doc.module));
        let tasks = parse_task_list(&node, &registry)
            .unwrap_or_else(|e| panic!("{}: examples: {e}", doc.module));
        assert!(!tasks.is_empty(), "{}: no example task", doc.module);
        let uses_module = std::iter::once(&doc.module)
            .chain(&documented.aliases)
            .any(|name| doc.examples.contains(&format!("{name}:")));
        assert!(uses_module, "{}: the example does not use it", doc.module);
    }
}

#[test]
fn docs_modules_md_is_generated_from_the_registry() {
    let registry = super::super::registry();
    let expected = render::markdown(&collect(&registry).unwrap_or_else(|e| panic!("{e}")));
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/modules.md");
    let committed = std::fs::read_to_string(&path).unwrap_or_default();
    assert!(
        committed == expected,
        "docs/modules.md is out of date: run `cargo run -- doc --markdown > docs/modules.md`"
    );
}

#[test]
fn unknown_modules_get_a_did_you_mean() {
    let registry = super::super::registry();
    let documented = collect(&registry).unwrap_or_else(|e| panic!("{e}"));
    let error = find(&registry, &documented, "k8s_inf").unwrap_err();
    assert!(error.contains("did you mean 'k8s_info'"), "{error}");
    let found = find(&registry, &documented, "ansible.legacy.debug").unwrap();
    assert_eq!(found.doc.module, "ansible.builtin.debug");
}

#[test]
fn text_view_shows_parameters_defaults_secrets_and_examples() {
    let registry = super::super::registry();
    let documented = collect(&registry).unwrap_or_else(|e| panic!("{e}"));
    let info = find(&registry, &documented, "pgbackrest_info").unwrap();
    let text = render::text(info);
    assert!(text.starts_with("> STACKBOOK.DB.PGBACKREST_INFO"), "{text}");
    assert!(text.contains("- cipher_pass\n"), "{text}");
    assert!(text.contains("secret: yes"), "{text}");
    assert!(text.contains("default: db"), "{text}");
    assert!(text.contains("EXAMPLES:"), "{text}");
    assert!(text.contains("RETURN VALUES:"), "{text}");
    let listing = render::list(&documented);
    assert_eq!(listing.lines().count(), documented.len());
}

// The checks themselves catch mistakes, on a module made up for the purpose.

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FakeArgs {
    #[allow(dead_code)]
    name: Option<String>,
    #[allow(dead_code)]
    #[serde(alias = "ns")]
    namespace: Option<String>,
}

struct Fake(Option<DocSource>);

impl Module for Fake {
    fn run(&self, _context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        match parse_args::<FakeArgs>("test.fake", args) {
            Ok(_) => done(false),
            Err(failure) => failure,
        }
    }

    fn docs(&self) -> Option<DocSource> {
        self.0
    }
}

fn fake_doc(parameters: &'static str) -> DocSource {
    DocSource {
        path: "test/docs/fake.yml",
        text: parameters,
        fragments: &[],
    }
}

#[test]
fn a_module_without_docs_is_reported() {
    let mut registry = Registry::builtin();
    registry.register("test.fake", &["fake"], Arc::new(Fake(None)), false);
    let error = collect(&registry).unwrap_err();
    assert!(error.contains("test.fake has no documentation"), "{error}");
}

#[test]
fn undocumented_and_unknown_parameters_are_reported() {
    let doc = fake_doc(
        "module: test.fake\nshort_description: f\ndescription: f\nexamples: ''\n\
         parameters:\n  name: {description: n}\n  nmae: {description: typo}\n",
    )
    .parse()
    .unwrap();
    let problems = parameter_mismatches(&Fake(None), &doc);
    assert!(
        problems
            .iter()
            .any(|p| p.contains("accepts `namespace`") && p.contains("does not document")),
        "{problems:?}"
    );
    assert!(
        problems
            .iter()
            .any(|p| p.contains("documents `nmae`") && p.contains("rejects")),
        "{problems:?}"
    );
    let good = fake_doc(
        "module: test.fake\nshort_description: f\ndescription: f\nexamples: ''\n\
         parameters:\n  name: {description: n}\n  namespace: {description: n, aliases: [ns]}\n",
    )
    .parse()
    .unwrap();
    assert_eq!(
        parameter_mismatches(&Fake(None), &good),
        Vec::<String>::new()
    );
}
