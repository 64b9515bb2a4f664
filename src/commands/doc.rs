//! `stackbook doc MODULE | --list | --markdown`: module documentation, as `ansible-doc` shows
//! it.
//!
//! Everything is read through the module registry ([`super::registry`], the same one `play`
//! runs with): each entry hands out its own docs, so a module that runs is a module that is
//! documented, and the generated reference (`docs/modules.md`) cannot list a module that does
//! not exist. Tests in [`tests`] hold the docs to the modules' argument structs.

mod render;
#[cfg(test)]
mod tests;

use std::collections::BTreeMap;

use stackbook_engine::modules::Registry;
use stackbook_engine::modules::docs::ModuleDoc;
use stackbook_syntax::playbook::ModuleNames;

use crate::cli::DocArgs;

/// Exit code for an unknown module (bad usage, as `play` uses for bad command lines).
const USAGE: i32 = 5;

/// One documented module: its docs and every other name it answers to.
#[derive(Debug, Clone)]
pub struct Documented {
    /// The parsed docs.
    pub doc: ModuleDoc,
    /// Short and legacy names (`k8s`, `ansible.legacy.debug`), sorted.
    pub aliases: Vec<String>,
}

/// Runs the subcommand.
pub fn run(args: &DocArgs) -> i32 {
    let registry = super::registry();
    let documented = match collect(&registry) {
        Ok(documented) => documented,
        Err(message) => {
            eprintln!("[ERROR]: {message}");
            return 1;
        }
    };
    if args.markdown {
        print!("{}", render::markdown(&documented));
        return 0;
    }
    if args.list {
        print!("{}", render::list(&documented));
        return 0;
    }
    let Some(name) = args.module.as_deref() else {
        eprintln!("[ERROR]: name a module, or use --list");
        return USAGE;
    };
    match find(&registry, &documented, name) {
        Ok(module) => {
            print!("{}", render::text(module));
            0
        }
        Err(message) => {
            eprintln!("[ERROR]: {message}");
            USAGE
        }
    }
}

/// Every module of the registry with its docs, sorted by fully qualified name. Fails on the
/// first module without docs or with docs that do not parse.
pub fn collect(registry: &Registry) -> Result<Vec<Documented>, String> {
    let mut by_fqcn: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for name in registry.all_names() {
        if let Some(entry) = registry.resolve(name) {
            let aliases = by_fqcn.entry(entry.fqcn.clone()).or_default();
            if name != entry.fqcn {
                aliases.push(name.to_string());
            }
        }
    }
    by_fqcn
        .into_iter()
        .map(|(fqcn, mut aliases)| {
            let entry = registry
                .resolve(&fqcn)
                .ok_or_else(|| format!("module {fqcn} is registered only under aliases"))?;
            let source = entry.docs().ok_or_else(|| {
                format!("module {fqcn} has no documentation (add docs/<module>.yml to its crate)")
            })?;
            let doc = source.parse().map_err(|e| e.to_string())?;
            if doc.module != fqcn {
                return Err(format!(
                    "{}: documents module {}, but it is registered as {fqcn}",
                    doc.path, doc.module
                ));
            }
            aliases.sort();
            Ok(Documented { doc, aliases })
        })
        .collect()
}

/// The module named `name` (fully qualified or an alias), or an error with a did-you-mean.
fn find<'a>(
    registry: &Registry,
    documented: &'a [Documented],
    name: &str,
) -> Result<&'a Documented, String> {
    let fqcn = registry.resolve(name).map(|entry| entry.fqcn.as_str());
    fqcn.and_then(|fqcn| documented.iter().find(|d| d.doc.module == fqcn))
        .ok_or_else(|| {
            let hint = stackbook_syntax::did_you_mean::hint(name, registry.all_names());
            format!("module {name} not found{hint} (stackbook doc --list shows every module)")
        })
}
