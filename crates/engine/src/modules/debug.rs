//! `debug`: print a message or a variable.
//!
//! ```yaml
//! - debug: msg="hello {{ name }}"
//! - debug: var=result.stdout_lines
//! ```

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, args, done, failed, parse_args};
use crate::value::to_json;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DebugArgs {
    msg: Option<Json>,
    #[serde(default, deserialize_with = "args::string_opt")]
    var: Option<String>,
    #[serde(default, deserialize_with = "args::int_opt")]
    verbosity: Option<i64>,
}

/// The `debug` module.
pub struct Debug;

impl Module for Debug {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("debug"))
    }

    fn raw_arguments(&self) -> &'static [&'static str] {
        &["var"]
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: DebugArgs = match parse_args("ansible.builtin.debug", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        if args.verbosity.unwrap_or(0) > i64::from(context.verbosity) {
            let mut result = done(false);
            result.insert(
                "skipped_reason".into(),
                Json::String("Verbosity threshold not met.".into()),
            );
            result.insert("skipped".into(), Json::Bool(true));
            return result;
        }

        if args.msg.is_some() && args.var.is_some() {
            return failed("parameters are mutually exclusive: msg|var");
        }
        let mut result = done(false);
        if let Some(var) = args.var {
            let rendered = match context.templar.evaluate(&var, context.scope) {
                Ok(value) => to_json(&value),
                Err(stackbook_template::TemplateError::Undefined { .. }) => {
                    Json::String("VARIABLE IS NOT DEFINED!".into())
                }
                Err(error) => return failed(error.to_string()),
            };
            result.insert(var, rendered);
        } else {
            result.insert(
                "msg".into(),
                args.msg
                    .unwrap_or_else(|| Json::String("Hello world!".into())),
            );
        }
        result
    }
}
