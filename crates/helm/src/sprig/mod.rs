//! The Sprig function library as Helm exposes it, plus Helm's own
//! template functions. One module per family; [`helm_funcs`] is the single
//! place that assembles the table (Go builtins first, then Sprig, then
//! Helm's overrides, matching Helm's `funcMap()` precedence).

pub mod args;
pub mod dates;
pub mod defaults;
pub mod dicts;
pub mod encoding;
pub mod lists;
pub mod math;
pub mod paths;
pub mod random;
pub mod regex;
pub mod semver;
pub mod strings;
pub mod toml_read;
pub mod types;

pub use random::set_random_seed;

use crate::gotmpl::FuncMap;
use crate::gotmpl::funcs::builtins;

/// Go builtins + Sprig + Helm extras (`include`/`tpl` are provided by the
/// executor).
pub fn helm_funcs() -> FuncMap {
    let mut m = builtins();
    strings::register(&mut m);
    lists::register(&mut m);
    dicts::register(&mut m);
    defaults::register(&mut m);
    encoding::register(&mut m);
    math::register(&mut m);
    types::register(&mut m);
    regex::register(&mut m);
    semver::register(&mut m);
    dates::register(&mut m);
    random::register(&mut m);
    paths::register(&mut m);
    for (alias, name) in [
        ("mustInitial", "initial"),
        ("mustRest", "rest"),
        ("mustReverse", "reverse"),
        ("mustSlice", "slice"),
        ("mustWithout", "without"),
        ("mustChunk", "chunk"),
        ("tuple", "list"),
        ("mustRegexFind", "regexFind"),
        ("mustRegexFindAll", "regexFindAll"),
        ("mustRegexReplaceAll", "regexReplaceAll"),
        ("mustRegexReplaceAllLiteral", "regexReplaceAllLiteral"),
        ("mustRegexSplit", "regexSplit"),
        ("mustToDate", "toDate"),
        ("mustDateModify", "dateModify"),
        ("mustToToml", "toToml"),
    ] {
        m.alias(alias, name);
    }
    m
}
