//! `fail`: stop the host with a message.
//!
//! ```yaml
//! - fail: msg="restore_db and init_db cannot both be true"
//!   when: restore_db and init_db
//! ```

use serde::Deserialize;
use serde_json::Value as Json;

use super::{Module, ModuleContext, ModuleResult, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FailArgs {
    msg: Option<Json>,
}

/// The `fail` module.
pub struct Fail;

impl Module for Fail {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("fail"))
    }

    fn run(&self, _context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: FailArgs = match parse_args("ansible.builtin.fail", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let mut result = failed("");
        result.insert(
            "msg".into(),
            args.msg
                .unwrap_or_else(|| Json::String("Failed as requested from task".into())),
        );
        result
    }
}
