//! The command line: clap definitions only. Doc comments are the help text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Ansible-compatible playbooks for Postgres on Kubernetes, as one fast binary.
#[derive(Debug, Parser)]
#[command(name = "stackbook", version, about, long_about = None)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// Subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run a playbook (like ansible-playbook).
    Play(Box<PlayArgs>),
}

/// Output formats.
#[derive(Debug, Clone, Copy, ValueEnum, PartialEq, Eq)]
pub enum OutputFormat {
    /// Ansible-style console output.
    Human,
    /// One JSON event per line (schema in the README).
    Json,
}

/// `stackbook play`.
#[derive(Debug, Args)]
pub struct PlayArgs {
    /// The playbook to run.
    pub playbook: PathBuf,
    /// Inventory file, directory or comma-separated host list (repeatable).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Extra variables: key=value pairs, JSON/YAML, or @file (repeatable; later wins).
    #[arg(short = 'e', long = "extra-vars")]
    pub extra_vars: Vec<String>,
    /// Don't change anything; report what would change.
    #[arg(short = 'C', long)]
    pub check: bool,
    /// Show the differences of changed files and objects.
    #[arg(short = 'D', long)]
    pub diff: bool,
    /// Only run tasks tagged with these tags (comma-separated, repeatable).
    #[arg(short = 't', long = "tags", value_delimiter = ',')]
    pub tags: Vec<String>,
    /// Skip tasks tagged with these tags.
    #[arg(long = "skip-tags", value_delimiter = ',')]
    pub skip_tags: Vec<String>,
    /// Further limit the hosts to a pattern.
    #[arg(short = 'l', long)]
    pub limit: Option<String>,
    /// List the tasks that would run, then exit.
    #[arg(long)]
    pub list_tasks: bool,
    /// List all tags, then exit.
    #[arg(long)]
    pub list_tags: bool,
    /// Check the playbook's syntax only.
    #[arg(long)]
    pub syntax_check: bool,
    /// Start at the task with this name.
    #[arg(long)]
    pub start_at_task: Option<String>,
    /// More output (-v shows all results; -vvv adds debug logs).
    #[arg(short = 'v', long = "verbose", action = clap::ArgAction::Count)]
    pub verbose: u8,
    /// Parallel hosts (accepted for compatibility; local hosts run in turn).
    #[arg(short = 'f', long, default_value_t = 5)]
    pub forks: usize,
    /// Run handlers even when a task failed.
    #[arg(long)]
    pub force_handlers: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Extra role search path (repeatable).
    #[arg(long = "roles-path")]
    pub roles_path: Vec<PathBuf>,
    /// Accepted for compatibility: privilege escalation has no effect for local connections.
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// Connection type (only `local` is supported).
    #[arg(short = 'c', long, default_value = "local")]
    pub connection: String,
}
