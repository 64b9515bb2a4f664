//! One module per subcommand; each returns the process exit code.

mod play;

use crate::cli::{Cli, Command};

/// Dispatches the parsed command line.
pub fn run(cli: Cli) -> i32 {
    match cli.command {
        Command::Play(args) => play::run(*args),
    }
}
