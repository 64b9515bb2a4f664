//! `assert`: check conditions, fail with a message when one is false.
//!
//! ```yaml
//! - assert:
//!     that: [pgo_s3_bucket | length > 0, restore_db | bool or not init]
//!     fail_msg: "bucket not set"
//! ```

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AssertArgs {
    #[serde(deserialize_with = "args::string_list")]
    that: Vec<String>,
    fail_msg: Option<Json>,
    msg: Option<Json>,
    success_msg: Option<Json>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    quiet: Option<bool>,
}

/// The `assert` module.
pub struct Assert;

impl Module for Assert {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("assert"))
    }

    fn raw_arguments(&self) -> &'static [&'static str] {
        &["that"]
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: AssertArgs = match parse_args("ansible.builtin.assert", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        for condition in &args.that {
            match context.templar.evaluate_condition(condition, context.scope) {
                Ok(true) => {}
                Ok(false) => {
                    let mut result = failed("Assertion failed");
                    if let Some(message) = args.fail_msg.clone().or(args.msg.clone()) {
                        result.insert("msg".into(), message);
                    }
                    result.insert("assertion".into(), Json::String(condition.clone()));
                    result.insert("evaluated_to".into(), Json::Bool(false));
                    return result;
                }
                Err(error) => {
                    return failed(format!(
                        "The conditional check '{condition}' failed. The error was: {error}"
                    ));
                }
            }
        }
        // `quiet` only shortens the console output; the result keeps its message.
        let _ = args.quiet;
        let mut result = done(false);
        result.insert(
            "msg".into(),
            args.success_msg
                .unwrap_or_else(|| Json::String("All assertions passed".into())),
        );
        result
    }
}
