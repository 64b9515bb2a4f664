//! `template`: render a Jinja file to a destination.
//!
//! ```yaml
//! - template: {src: pgbackrest.conf.j2, dest: "{{ out_dir }}/pgbackrest.conf", mode: "0600"}
//! ```
//! Relative `src` is searched in `templates/` beside the role or playbook first.

use serde::Deserialize;
use serde_json::Value as Json;

use super::copy::write_destination;
use super::{Module, ModuleContext, ModuleResult, args, failed, parse_args};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TemplateArgs {
    #[serde(deserialize_with = "args::string_opt", default)]
    src: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    dest: Option<String>,
    #[serde(deserialize_with = "args::string_opt", default)]
    mode: Option<String>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    force: Option<bool>,
    #[serde(default, deserialize_with = "args::bool_opt")]
    backup: Option<bool>,
    owner: Option<Json>,
    group: Option<Json>,
}

/// The `template` module.
pub struct Template;

impl Module for Template {
    fn docs(&self) -> Option<crate::modules::docs::DocSource> {
        Some(crate::module_docs!("template"))
    }

    fn run(&self, context: &ModuleContext<'_>, args: Json) -> ModuleResult {
        let args: TemplateArgs = match parse_args("ansible.builtin.template", args) {
            Ok(args) => args,
            Err(failure) => return failure,
        };
        let _ = (args.backup, args.owner, args.group);
        let (Some(src), Some(dest)) = (args.src, args.dest) else {
            return failed("missing required arguments: dest, src");
        };
        let path = context.find_source(&src, "templates");
        let source = match std::fs::read_to_string(&path) {
            Ok(source) => source,
            Err(error) => return failed(format!("Could not find or access '{src}': {error}")),
        };
        let rendered = match context.templar.render_text(&source, context.scope) {
            Ok(text) => text,
            Err(error) => return failed(format!("{src}: {error}")),
        };
        write_destination(
            context,
            &dest,
            rendered.as_bytes(),
            args.mode.as_deref(),
            args.force != Some(false),
        )
    }
}
