//! Ansible's Jinja2 filters, tests and lookups for [minijinja].
//!
//! Playbooks are written against Ansible's templating layer: Jinja2 plus
//! ansible-core's filter, test and lookup plugins, all evaluated in
//! Python. This crate supplies those plugins for minijinja with Ansible's
//! semantics (checked against real ansible-core by the golden corpus in
//! `tests/`), through one entry point in the style of `minijinja-contrib`:
//!
//! ```
//! let mut env = minijinja::Environment::new();
//! stackbook_filters::add_to_environment(&mut env);
//! let out = env.render_str("{{ 'yes' | bool }} {{ ['b', 'a'] | to_yaml }}", ()).unwrap();
//! assert_eq!(out, "True [b, a]\n");
//! ```
//!
//! Stringification of native values is Python's (`['a', 'b']`, `True`,
//! `None`): see [`python_repr`] and [`python_str`], which the engine's
//! formatter should use as well.

#![deny(missing_docs)]

mod collections;
pub mod compat;
mod convert;
mod glob;
mod lookups;
mod predicates;
pub mod pymethods;
mod pyrandom;
mod pyregex;
mod repr;
mod serialize;
mod sizes;
mod text;
mod unprintable;
mod urls;
mod util;
mod version;
mod yaml_resolve;

use minijinja::value::{Kwargs, Rest};
use minijinja::value::{Value, ValueKind};
use minijinja::{Environment, Error, State};

pub use convert::ansible_bool as to_bool;
pub use lookups::{LookupError, SUPPORTED_LOOKUPS, lookup, query};
pub use repr::{float_repr, python_repr, python_str, python_type_name};
pub use serialize::json::json_to_value;
pub use serialize::yaml_load::{YamlLoadError, load_all as load_yaml_all};

/// Registers Ansible's filters, tests, and the `lookup()`/`query()`/`q()`
/// functions (plus a Python-compatible `dict()` global).
///
/// Filters that exist in minijinja with different semantics (`bool`,
/// `int`, `string`, `join`, `unique`, `default`, ...) are replaced by the
/// Ansible versions.
pub fn add_to_environment(env: &mut Environment<'_>) {
    add_filters(env);
    add_tests(env);
    add_fqcn_aliases(env);
    env.add_function("lookup", lookups::lookup);
    env.add_function("query", lookups::query);
    env.add_function("q", lookups::query);
    env.add_function("dict", collections::dict);
    env.set_unknown_method_callback(pymethods::call_method);
}

fn add_filters(env: &mut Environment<'_>) {
    // Type conversion and choice.
    env.add_filter("bool", convert::bool_filter);
    env.add_filter("int", convert::int);
    env.add_filter("float", convert::float);
    env.add_filter("string", convert::string);
    env.add_filter("list", convert::list);
    env.add_filter("type_debug", convert::type_debug);
    env.add_filter("ternary", convert::ternary);
    env.add_filter("default", convert::default);
    env.add_filter("d", convert::default);
    env.add_filter("mandatory", convert::mandatory);

    // Text.
    env.add_filter("regex_replace", text::regex_replace);
    env.add_filter("regex_search", text::regex_search);
    env.add_filter("regex_findall", text::regex_findall);
    env.add_filter("regex_escape", text::regex_escape);
    env.add_filter("quote", text::quote);
    env.add_filter("basename", text::basename);
    env.add_filter("dirname", text::dirname);
    env.add_filter("splitext", text::splitext);
    env.add_filter("center", text::center);
    env.add_filter("wordcount", text::wordcount);
    env.add_filter("truncate", text::truncate);
    env.add_filter("split", text::split);
    env.add_filter("format", text::format);
    env.add_filter("comment", text::comment);

    // Collections.
    env.add_filter("unique", collections::unique);
    env.add_filter("union", collections::union);
    env.add_filter("intersect", collections::intersect);
    env.add_filter("difference", collections::difference);
    env.add_filter("symmetric_difference", collections::symmetric_difference);
    env.add_filter("flatten", collections::flatten);
    env.add_filter("dict2items", collections::dict2items);
    env.add_filter("items2dict", collections::items2dict);
    env.add_filter("combine", collections::combine);
    env.add_filter("zip", collections::zip);
    env.add_filter("zip_longest", collections::zip_longest);
    env.add_filter("product", collections::product);
    env.add_filter("join", collections::join);
    env.add_filter("first", collections::first);
    env.add_filter("last", collections::last);
    env.add_filter("extract", extract);
    env.add_filter("subelements", collections::subelements);
    env.add_filter("path_join", text::path_join);
    env.add_filter("fileglob", fileglob);
    env.add_filter("human_readable", sizes::human_readable);
    env.add_filter("human_to_bytes", sizes::human_to_bytes);
    env.add_filter("filesizeformat", sizes::filesizeformat);
    env.add_filter("urlsplit", urls::urlsplit);
    env.add_filter("to_uuid", urls::to_uuid);
    env.add_filter("random", pyrandom::random);
    env.add_filter("shuffle", pyrandom::shuffle);
    env.add_filter("sort", collections::sort);
    env.add_filter("attr", attr);
    env.add_filter("urlencode", text::urlencode);

    // Data formats.
    env.add_filter("to_json", serialize::to_json);
    env.add_filter("to_nice_json", serialize::to_nice_json);
    env.add_filter("from_json", serialize::from_json);
    env.add_filter("to_yaml", serialize::to_yaml);
    env.add_filter("to_nice_yaml", serialize::to_nice_yaml);
    env.add_filter("from_yaml", serialize::from_yaml);
    env.add_filter("from_yaml_all", serialize::from_yaml_all);
    env.add_filter("b64encode", serialize::b64encode);
    env.add_filter("b64decode", serialize::b64decode);
    env.add_filter("hash", serialize::hash);
    env.add_filter("checksum", serialize::sha1);
    env.add_filter("sha1", serialize::sha1);
    env.add_filter("md5", serialize::md5);
}

fn add_tests(env: &mut Environment<'_>) {
    env.add_test("failed", predicates::failed);
    env.add_test("failure", predicates::failed);
    env.add_test("succeeded", predicates::succeeded);
    env.add_test("success", predicates::succeeded);
    env.add_test("successful", predicates::succeeded);
    env.add_test("reachable", predicates::reachable);
    env.add_test("unreachable", predicates::unreachable);
    env.add_test("changed", predicates::changed);
    env.add_test("change", predicates::changed);
    env.add_test("skipped", predicates::skipped);
    env.add_test("skip", predicates::skipped);
    env.add_test("finished", predicates::finished);
    env.add_test("started", predicates::started);
    env.add_test("match", predicates::is_match);
    env.add_test("search", predicates::is_search);
    env.add_test("regex", predicates::is_regex);
    env.add_test("version", predicates::version);
    env.add_test("version_compare", predicates::version);
    env.add_test("truthy", predicates::truthy);
    env.add_test("falsy", predicates::falsy);
    env.add_test("subset", predicates::subset);
    env.add_test("issubset", predicates::subset);
    env.add_test("superset", predicates::superset);
    env.add_test("issuperset", predicates::superset);
    env.add_test("contains", predicates::contains);
    env.add_test("any", predicates::any);
    env.add_test("all", predicates::all);
    env.add_test("nan", predicates::nan);
    env.add_test("isnan", predicates::nan);
    env.add_test("sequence", predicates::sequence);
    env.add_test("iterable", predicates::iterable);
    env.add_test("integer", predicates::integer);
    env.add_test("float", predicates::float);
    env.add_test("number", predicates::number);
    env.add_test("divisibleby", predicates::divisibleby);
    env.add_test("file", predicates::is_file);
    env.add_test("is_file", predicates::is_file);
    env.add_test("directory", predicates::is_dir);
    env.add_test("is_dir", predicates::is_dir);
    env.add_test("exists", predicates::exists);
    env.add_test("link", predicates::is_link);
    env.add_test("is_link", predicates::is_link);
    env.add_test("abs", predicates::is_abs);
    env.add_test("is_abs", predicates::is_abs);
    env.add_test("same_file", predicates::same_file);
    env.add_test("is_same_file", predicates::same_file);
}

/// `extract(container, morekeys=None)`: `container[item]`, then each of
/// `morekeys` in turn (`groups['web'] | map('extract', hostvars, 'ip')`).
fn extract(item: &Value, container: &Value, morekeys: Option<Value>) -> Result<Value, Error> {
    let mut value = container.get_item(item).unwrap_or(Value::UNDEFINED);
    if let Some(keys) = morekeys {
        let keys = if keys.kind() == ValueKind::Seq {
            util::to_vec("extract", &keys)?
        } else {
            vec![keys]
        };
        for key in keys {
            value = value.get_item(&key).unwrap_or(Value::UNDEFINED);
        }
    }
    Ok(value)
}

/// Jinja's `attr(name)`: Python attribute access only, so a dict's keys are
/// *not* attributes (`{'b': 1} | attr('b')` is undefined).
fn attr(value: &Value, name: &str) -> Value {
    if util::is_mapping(value) {
        return Value::UNDEFINED;
    }
    value.get_attr(name).unwrap_or(Value::UNDEFINED)
}

/// Filters reachable as `ansible.builtin.<name>`: this crate's and Jinja's.
const FQCN_FILTERS: &[&str] = &[
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
    // Jinja built-ins provided by minijinja.
    "abs",
    "batch",
    "capitalize",
    "count",
    "dictsort",
    "e",
    "escape",
    "groupby",
    "indent",
    "items",
    "length",
    "lower",
    "map",
    "max",
    "min",
    "pprint",
    "reject",
    "rejectattr",
    "replace",
    "reverse",
    "round",
    "safe",
    "select",
    "selectattr",
    "slice",
    "sum",
    "title",
    "tojson",
    "trim",
    "upper",
];

/// Tests reachable as `ansible.builtin.<name>`.
const FQCN_TESTS: &[&str] = &[
    "failed",
    "failure",
    "succeeded",
    "success",
    "successful",
    "reachable",
    "unreachable",
    "changed",
    "change",
    "skipped",
    "skip",
    "finished",
    "started",
    "match",
    "search",
    "regex",
    "version",
    "version_compare",
    "truthy",
    "falsy",
    "subset",
    "issubset",
    "superset",
    "issuperset",
    "contains",
    "any",
    "all",
    "nan",
    "isnan",
    "file",
    "is_file",
    "directory",
    "is_dir",
    "exists",
    "link",
    "is_link",
    "abs",
    "is_abs",
    "same_file",
    "is_same_file",
    // Jinja built-ins.
    "boolean",
    "defined",
    "divisibleby",
    "eq",
    "escaped",
    "even",
    "false",
    "filter",
    "float",
    "ge",
    "gt",
    "in",
    "integer",
    "iterable",
    "le",
    "lower",
    "lt",
    "mapping",
    "ne",
    "none",
    "number",
    "odd",
    "sameas",
    "sequence",
    "string",
    "test",
    "true",
    "undefined",
    "upper",
];

/// Registers `ansible.builtin.<name>` for every filter and test, forwarding
/// to the short name (playbooks written with FQCNs use these).
fn add_fqcn_aliases(env: &mut Environment<'_>) {
    for &name in FQCN_FILTERS {
        env.add_filter(
            format!("ansible.builtin.{name}"),
            move |state: &mut State, args: Rest<Value>, kwargs: Kwargs| {
                state.apply_filter(name, &with_kwargs(args, kwargs))
            },
        );
    }
    for &name in FQCN_TESTS {
        env.add_test(
            format!("ansible.builtin.{name}"),
            move |state: &mut State, args: Rest<Value>, kwargs: Kwargs| {
                state.perform_test(name, &with_kwargs(args, kwargs))
            },
        );
    }
}

/// Re-assembles positional and keyword arguments for forwarding.
fn with_kwargs(args: Rest<Value>, kwargs: Kwargs) -> Vec<Value> {
    let mut all = args.0;
    if kwargs.args().next().is_some() {
        all.push(Value::from(kwargs));
    }
    all
}

/// `fileglob`: regular files matching a glob pattern (relative patterns
/// resolve against the working directory, as in Python).
fn fileglob(pattern: &Value) -> Result<Value, Error> {
    util::require_defined("fileglob", pattern)?;
    let found = glob::glob_pattern(std::path::Path::new("."), &util::text_of(pattern));
    Ok(Value::from(
        found
            .iter()
            .map(|p| {
                let s = p.to_string_lossy();
                Value::from(s.strip_prefix("./").unwrap_or(&s))
            })
            .collect::<Vec<_>>(),
    ))
}
