//! Name-to-function mapping for the template layer's `lookup()` / `query()` dispatcher.
//!
//! Why here: the template crate should only convert minijinja values to strings and JSON and
//! call [`run`]; which names (and collection-qualified aliases) exist, how several terms
//! combine, and which generic `lookup()` options to ignore is this crate's business and tested
//! with it.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::error::LookupError;
use crate::{AwsSecretOptions, ScalewayOptions, UrlOptions, aws_secret, scaleway_secret, url};

/// Every lookup name [`run`] answers, with its collection-qualified aliases.
pub const LOOKUP_NAMES: &[&str] = &[
    "url",
    "ansible.builtin.url",
    "aws_secret",
    "amazon.aws.aws_secret",
    "amazon.aws.secretsmanager_secret",
    "scaleway_secret",
];

/// Options of `lookup()` itself, handled by the generic dispatcher, not by a plugin.
const GENERIC_OPTIONS: &[&str] = &["wantlist", "errors"];

/// Runs the lookup `name` on each term: `None` when `name` is not one of [`LOOKUP_NAMES`].
///
/// `url` yields the lines of every term's body in order (or one body per term with
/// `split_lines=false`); `aws_secret` and `scaleway_secret` yield one value per term. Every
/// value returned is secret material: register it with the redactor before use.
pub fn run(
    name: &str,
    terms: &[String],
    kwargs: &BTreeMap<String, Value>,
) -> Option<Result<Vec<String>, LookupError>> {
    let kwargs: BTreeMap<String, Value> = kwargs
        .iter()
        .filter(|(k, _)| !GENERIC_OPTIONS.contains(&k.as_str()))
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    let canonical = match name {
        "url" | "ansible.builtin.url" => "url",
        "aws_secret" | "amazon.aws.aws_secret" | "amazon.aws.secretsmanager_secret" => "aws_secret",
        "scaleway_secret" => "scaleway_secret",
        _ => return None,
    };
    Some(run_canonical(canonical, terms, &kwargs))
}

fn run_canonical(
    name: &'static str,
    terms: &[String],
    kwargs: &BTreeMap<String, Value>,
) -> Result<Vec<String>, LookupError> {
    if terms.is_empty() {
        return Err(LookupError::BadTerm {
            lookup: name,
            problem: "expected at least one term (a URL, secret name or secret id)".into(),
        });
    }
    match name {
        "url" => {
            let options = UrlOptions::from_kwargs(kwargs)?;
            let mut out = Vec::new();
            for term in terms {
                out.extend(url(term, &options)?);
            }
            Ok(out)
        }
        "aws_secret" => {
            let options = AwsSecretOptions::from_kwargs(kwargs)?;
            terms.iter().map(|t| aws_secret(t, &options)).collect()
        }
        _ => {
            let options = ScalewayOptions::from_kwargs(kwargs)?;
            terms.iter().map(|t| scaleway_secret(t, &options)).collect()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn unknown_names_are_not_ours() {
        assert!(run("env", &["HOME".into()], &BTreeMap::new()).is_none());
    }

    #[test]
    fn options_are_checked_per_lookup_and_generic_ones_ignored() {
        let kw: BTreeMap<String, Value> =
            serde_json::from_value(json!({"wantlist": true, "errors": "ignore", "regoin": "x"}))
                .unwrap_or_default();
        let e = run("amazon.aws.aws_secret", &["s".into()], &kw)
            .and_then(Result::err)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(
            e.contains("unknown option 'regoin' (did you mean 'region'?)"),
            "{e}"
        );
        assert!(!e.contains("wantlist"), "{e}");
    }

    #[test]
    fn a_term_is_required() {
        let e = run("scaleway_secret", &[], &BTreeMap::new())
            .and_then(Result::err)
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(e.contains("expected at least one term"), "{e}");
    }
}
