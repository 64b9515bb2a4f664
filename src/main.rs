//! `stackbook`: run Ansible-style playbooks for database stacks on Kubernetes.

mod cli;
mod commands;
mod diagnostic;
mod logging;
mod secrets;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = match cli::Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            let code = if error.use_stderr() { 5 } else { 0 };
            let _ = error.print();
            return ExitCode::from(code);
        }
    };
    logging::init(&cli);
    let code = commands::run(cli);
    ExitCode::from(code as u8)
}
