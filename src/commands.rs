//! One module per subcommand; each returns the process exit code.

mod chart;
mod inventory;
mod play;
mod template;
mod vault;

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
    }
}
