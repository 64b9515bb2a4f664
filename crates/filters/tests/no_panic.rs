//! Robustness: every registered filter, test and Python method is called
//! with a spread of awkward inputs and arguments. Errors are fine; panics
//! are not (the engine renders untrusted templates and variables).

use minijinja::{Environment, UndefinedBehavior, context};

const FILTERS: &[&str] = &[
    "bool",
    "int",
    "float",
    "string",
    "list",
    "type_debug",
    "ternary",
    "default",
    "d",
    "mandatory",
    "regex_replace",
    "regex_search",
    "regex_findall",
    "regex_escape",
    "quote",
    "basename",
    "dirname",
    "splitext",
    "center",
    "wordcount",
    "truncate",
    "split",
    "format",
    "comment",
    "unique",
    "union",
    "intersect",
    "difference",
    "symmetric_difference",
    "flatten",
    "dict2items",
    "items2dict",
    "combine",
    "zip",
    "zip_longest",
    "product",
    "join",
    "first",
    "last",
    "extract",
    "subelements",
    "path_join",
    "sort",
    "attr",
    "urlencode",
    "to_json",
    "to_nice_json",
    "from_json",
    "to_yaml",
    "to_nice_yaml",
    "from_yaml",
    "from_yaml_all",
    "b64encode",
    "b64decode",
    "hash",
    "checksum",
    "sha1",
    "md5",
];

const TESTS: &[&str] = &[
    "failed",
    "succeeded",
    "changed",
    "skipped",
    "reachable",
    "finished",
    "match",
    "search",
    "regex",
    "version",
    "truthy",
    "falsy",
    "subset",
    "superset",
    "contains",
    "any",
    "all",
    "nan",
    "sequence",
    "iterable",
    "integer",
    "float",
    "number",
    "divisibleby",
    "file",
    "directory",
    "exists",
    "link",
    "abs",
    "same_file",
];

const METHODS: &[&str] = &[
    "split('')",
    "split(none, -5)",
    "rsplit('', 2)",
    "splitlines(true)",
    "zfill(-1)",
    "ljust(3, '')",
    "find('')",
    "index('zz')",
    "count('')",
    "partition('')",
    "get()",
    "keys(1)",
    "index()",
    "strip(5)",
];

const INPUTS: &[&str] = &[
    "undefined_var",
    "none",
    "''",
    "'\u{0}\u{1}é😀\\n'",
    "'{{ x }}'",
    "'%s %d %'",
    "'(unclosed'",
    "'a: [1'",
    "'%%%='",
    "0",
    "-1",
    "9223372036854775807",
    "1.5e308",
    "-0.0",
    "[]",
    "[none, [[]], {}]",
    "{'a': {'b': [1, 'x']}, 'k': none}",
    "[{'key': 1}, {'value': 2}]",
    "true",
    "range(3)",
];

const ARGS: &[&str] = &[
    "",
    "()",
    "(none)",
    "('')",
    "(0)",
    "(-1)",
    "('(')",
    "('\\\\g<zz>')",
    "('a', 'b', 'c', 'd')",
    "([1], {'a': 1})",
    "(attribute='zz')",
    "(recursive=true, list_merge='bogus')",
    "(99999999999999999999)",
    "('sha999')",
    "('x', 'y', count=-3, mandatory_count=2)",
    "(indent=0)",
    "(indent=1000)",
    "(base=1)",
];

#[test]
fn filters_tests_and_methods_never_panic() {
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    stackbook_filters::add_to_environment(&mut env);
    let mut calls = 0usize;
    for input in INPUTS {
        for args in ARGS {
            for filter in FILTERS {
                let src = format!("{{{{ {input} | {filter}{args} }}}}");
                let _ = env.render_str(&src, context! {});
                calls += 1;
            }
            for test in TESTS {
                let src = format!("{{{{ {input} is {test}{args} }}}}");
                let _ = env.render_str(&src, context! {});
                calls += 1;
            }
        }
        for method in METHODS {
            let src = format!("{{{{ ({input}).{method} }}}}");
            let _ = env.render_str(&src, context! {});
            calls += 1;
        }
    }
    for src in [
        r"{{ lookup('nope') }}",
        r"{{ lookup('vars') }}",
        r"{{ query('file', none) }}",
        r"{{ lookup('first_found', {'files': 5}) }}",
        r"{{ lookup('env', [1, 2]) }}",
        r"{{ lookup('dict', 5) }}",
        r"{{ q('lines', 'exit 1', errors='bogus') }}",
    ] {
        let _ = env.render_str(src, context! {});
        calls += 1;
    }
    for src in [
        "{% raw %}é",
        "{{ 'é\\",
        "{% rawé",
        "{{ '\\'é' }}",
        "{#é",
        "{%é",
    ] {
        let _ = stackbook_filters::compat::escape_backslashes(src);
    }
    assert!(calls > 20_000, "only {calls} calls exercised");
}

/// Deterministic pseudo-random strings over an alphabet of syntax
/// characters and multi-byte characters, fed to every string-parsing
/// filter (YAML/JSON/base64/regex/format/version/size/URL parsers).
#[test]
fn string_parsers_never_panic_on_garbage() {
    const ALPHABET: &[char] = &[
        'a', 'Z', '0', '9', '.', ':', '-', '_', '/', '\\', '[', ']', '{', '}', '(', ')', '%', 's',
        'd', '\'', '"', '#', '&', '*', '!', '|', '>', '?', '@', '`', ' ', '\t', '\n', 'é', '😀',
        '\u{85}', 'K', 'M', 'b', 'B', 'g', '<', '=', '+', ',', '$', '^',
    ];
    let mut env = Environment::new();
    env.set_undefined_behavior(UndefinedBehavior::Strict);
    stackbook_filters::add_to_environment(&mut env);
    let mut seed: u64 = 0x5eed_1234_abcd_ef01;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let templates = [
        "{{ s | from_yaml }}",
        "{{ s | from_yaml_all }}",
        "{{ s | from_json }}",
        "{{ s | b64decode }}",
        "{{ 'abc' | regex_replace(s, s) }}",
        "{{ s | regex_search(s) }}",
        "{{ s | regex_findall(s) }}",
        "{{ s | format(1, 'x') }}",
        "{{ s is version('1.0', '<') }}",
        "{{ s is version(s, 'ge', version_type='semver') }}",
        "{{ s is version(s, 'eq', strict=true) }}",
        "{{ s | human_to_bytes }}",
        "{{ s | urlsplit }}",
        "{{ s | to_yaml }}{{ s | to_nice_yaml }}{{ s | to_json }}",
        "{{ s | split(s) }}{{ s | splitext }}{{ s | dirname }}{{ s | quote }}",
        "{{ s | int }}{{ s | float }}{{ s | bool }}{{ s | int(base=0) }}",
        "{{ s | fileglob }}",
        "{{ s.split(s) }}{{ s.rsplit(s, 1) }}{{ s.partition(s) }}{{ s.splitlines() }}",
    ];
    let mut rendered = 0usize;
    for _ in 0..400 {
        let len = (next() % 24) as usize;
        let s: String = (0..len)
            .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
            .collect();
        let _ = stackbook_filters::compat::escape_backslashes(&s);
        let _ = stackbook_filters::compat::escape_expression_backslashes(&s);
        let _ = stackbook_filters::load_yaml_all(&s);
        for t in templates {
            let _ = env.render_str(t, context! { s => s.clone() });
            rendered += 1;
        }
    }
    assert_eq!(rendered, 400 * templates.len());
}
