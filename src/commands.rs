//! One module per subcommand; each returns the process exit code.

mod chart;
mod doc;
mod inventory;
mod play;
mod template;
mod vault;

use stackbook_engine::modules::Registry;

use crate::cli::{Cli, Command};

/// Dispatches the parsed command line.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Play(args) => play::run(*args),
        Command::Vault(args) => vault::run(*args),
        Command::Template(args) => template::run(*args),
        Command::Backups(args) => stackbook_backups::cli::run(*args),
        Command::Inventory(args) => inventory::run(*args),
        Command::Chart(args) => chart::run(*args),
        Command::Doc(args) => doc::run(&args),
    }
}

/// Every module stackbook runs: the engine's builtins plus each crate's modules. `play` and
/// `doc` both use this, so what is documented is exactly what runs.
pub fn registry() -> Registry {
    let mut registry = Registry::builtin();
    stackbook_backups::module::register(&mut registry);
    stackbook_k8s::register(&mut registry);
    stackbook_helm::module::register(&mut registry);
    registry
}
