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
    /// Create, edit and convert vaults (age, and Ansible Vault for migration).
    Vault(Box<VaultArgs>),
    /// Render a Helm chart locally, as `helm template` does (no cluster, no helm binary).
    Template(Box<TemplateArgs>),
    /// Inspect a pgBackRest S3 repository and judge whether init or restore is safe.
    Backups(Box<stackbook_backups::cli::BackupsArgs>),
    /// Show the inventory (like ansible-inventory).
    Inventory(Box<InventoryArgs>),
    /// Work with Helm charts (push to an OCI registry).
    Chart(Box<ChartArgs>),
    /// Show a module's documentation (like ansible-doc).
    Doc(DocArgs),
}

/// `stackbook chart`.
#[derive(Debug, Args)]
pub struct ChartArgs {
    /// What to do with the chart.
    #[command(subcommand)]
    pub command: ChartCommand,
}

/// `stackbook chart` subcommands.
#[derive(Debug, Subcommand)]
pub enum ChartCommand {
    /// Push a chart directory or .tgz to oci://HOST/NAMESPACE (like `helm push`).
    Push(ChartPushArgs),
}

/// `stackbook chart push CHART oci://HOST/NAMESPACE`.
#[derive(Debug, Args)]
pub struct ChartPushArgs {
    /// Chart directory (packaged like `helm package`) or `.tgz`.
    pub chart: PathBuf,
    /// Destination, e.g. oci://127.0.0.1:5000/charts; the chart lands at NAMESPACE/NAME:VERSION.
    pub remote: String,
    /// Talk plain HTTP to the registry (local registries without TLS).
    #[arg(long = "plain-http")]
    pub plain_http: bool,
    /// Docker-style credentials file (default: $DOCKER_CONFIG/config.json or ~/.docker/config.json).
    #[arg(long = "registry-config", value_name = "FILE")]
    pub registry_config: Option<PathBuf>,
    /// Registry user name (with --password-stdin).
    #[arg(long)]
    pub username: Option<String>,
    /// Read the registry password from stdin.
    #[arg(long = "password-stdin")]
    pub password_stdin: bool,
}

/// `stackbook doc [MODULE]`.
#[derive(Debug, Args)]
pub struct DocArgs {
    /// Module name or alias (`k8s`, `kubernetes.core.k8s`).
    #[arg(required_unless_present_any = ["list", "markdown"])]
    pub module: Option<String>,
    /// List every module with its one-line description.
    #[arg(short = 'l', long, conflicts_with_all = ["module", "markdown"])]
    pub list: bool,
    /// Print the Markdown module reference (docs/modules.md is generated with this).
    #[arg(long, conflicts_with = "module")]
    pub markdown: bool,
}

/// `stackbook inventory`.
#[derive(Debug, Args)]
pub struct InventoryArgs {
    /// Inventory file, directory or comma-separated host list (repeatable).
    #[arg(short = 'i', long = "inventory")]
    pub inventory: Vec<String>,
    /// Print every group and host with their variables as JSON.
    #[arg(long, conflicts_with_all = ["graph", "host"])]
    pub list: bool,
    /// Print the group tree (optionally from GROUP).
    #[arg(long, num_args = 0..=1, default_missing_value = "all")]
    pub graph: Option<String>,
    /// Print one host's variables as JSON.
    #[arg(long)]
    pub host: Option<String>,
    /// Playbook folder whose group_vars/ and host_vars/ also apply.
    #[arg(long = "playbook-dir")]
    pub playbook_dir: Option<std::path::PathBuf>,
    /// Vault secrets (for encrypted group_vars/host_vars).
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
}

/// `stackbook template [NAME] CHART`.
#[derive(Debug, Args)]
pub struct TemplateArgs {
    /// Release name (or the chart when only one argument is given).
    pub name_or_chart: String,
    /// Chart directory or `.tgz`.
    pub chart: Option<std::path::PathBuf>,
    /// Values files, in order (repeatable).
    #[arg(short = 'f', long = "values")]
    pub values: Vec<std::path::PathBuf>,
    /// `--set key=value` (Helm's path syntax; repeatable).
    #[arg(long)]
    pub set: Vec<String>,
    /// `--set-string key=value`.
    #[arg(long = "set-string")]
    pub set_string: Vec<String>,
    /// `--set-json key=json`.
    #[arg(long = "set-json")]
    pub set_json: Vec<String>,
    /// Release namespace.
    #[arg(short = 'n', long, default_value = "default")]
    pub namespace: String,
    /// Also print the chart's CRDs.
    #[arg(long = "include-crds")]
    pub include_crds: bool,
    /// Kubernetes version for `.Capabilities.KubeVersion`.
    #[arg(long = "kube-version", default_value = "")]
    pub kube_version: String,
    /// Extra API versions for `.Capabilities.APIVersions` (repeatable).
    #[arg(short = 'a', long = "api-versions")]
    pub api_versions: Vec<String>,
    /// Render as an upgrade (`.Release.IsUpgrade`).
    #[arg(long = "is-upgrade")]
    pub is_upgrade: bool,
}

/// Where vault secrets come from (shared by `play` and `vault`).
#[derive(Debug, Args, Default)]
pub struct VaultSecretArgs {
    /// Ansible Vault password file (repeatable); executable files are run for the password.
    #[arg(long = "vault-password-file", global = true)]
    pub vault_password_file: Vec<std::path::PathBuf>,
    /// Ansible Vault id `label@source` (source: a file, a script, or `prompt`; repeatable).
    #[arg(long = "vault-id", global = true)]
    pub vault_id: Vec<String>,
    /// Ask for the Ansible Vault password.
    #[arg(short = 'J', long = "ask-vault-pass", global = true)]
    pub ask_vault_pass: bool,
    /// age identity file (repeatable); also STACKBOOK_AGE_IDENTITY, SOPS_AGE_KEY_FILE and
    /// ~/.config/sops/age/keys.txt.
    #[arg(long = "age-identity", global = true)]
    pub age_identity: Vec<std::path::PathBuf>,
}

/// `stackbook vault`.
#[derive(Debug, Args)]
pub struct VaultArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: VaultAction,
    /// Where to find existing secrets.
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
    /// Encrypt to this age recipient (`age1…`, an SSH public key; repeatable).
    #[arg(long = "recipient", short = 'r', global = true)]
    pub recipient: Vec<String>,
    /// Encrypt to every recipient listed in this file (repeatable).
    #[arg(long = "recipients-file", short = 'R', global = true)]
    pub recipients_file: Vec<std::path::PathBuf>,
    /// Encrypt with a passphrase (asked for) instead of recipients.
    #[arg(long = "passphrase", global = true)]
    pub passphrase: bool,
}

/// Vault operations.
#[derive(Debug, Subcommand)]
pub enum VaultAction {
    /// Create a new encrypted file in $EDITOR.
    Create {
        /// The file to create.
        file: std::path::PathBuf,
    },
    /// Encrypt a plain file in place (or to --output).
    Encrypt {
        /// The file.
        file: std::path::PathBuf,
        /// Write here instead of in place.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Decrypt a vault in place (or to --output; `-` for stdout).
    Decrypt {
        /// The file.
        file: std::path::PathBuf,
        /// Write here instead of in place.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
    /// Print a vault's plaintext.
    View {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Edit a vault in $EDITOR; re-encrypts only when changed.
    Edit {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Re-encrypt a vault to new recipients.
    Rekey {
        /// The file.
        file: std::path::PathBuf,
    },
    /// Encrypt one value as a `name: !age |` YAML snippet.
    EncryptString {
        /// The value (read from stdin when absent).
        value: Option<String>,
        /// The variable name for the snippet.
        #[arg(long)]
        name: Option<String>,
    },
    /// Rewrite an Ansible Vault file (whole or inline values) as an age vault.
    Migrate {
        /// The Ansible Vault file.
        file: std::path::PathBuf,
        /// Write here instead of in place.
        #[arg(long)]
        output: Option<std::path::PathBuf>,
    },
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
    /// Hosts that run a task at the same time (each task still ends on all hosts before the next).
    #[arg(short = 'f', long, default_value_t = 5)]
    pub forks: usize,
    /// Run handlers even when a task failed.
    #[arg(long)]
    pub force_handlers: bool,
    /// Output format.
    #[arg(long, value_enum, default_value_t = OutputFormat::Human)]
    pub output: OutputFormat,
    /// Also write a Markdown run report (tasks, durations, changes, total time) to FILE.
    #[arg(long)]
    pub report: Option<std::path::PathBuf>,
    /// Extra role search path (repeatable).
    #[arg(long = "roles-path")]
    pub roles_path: Vec<PathBuf>,
    /// Accepted for compatibility: privilege escalation has no effect for local connections.
    #[arg(short = 'b', long = "become")]
    pub become_: bool,
    /// Connection type (only `local` is supported).
    #[arg(short = 'c', long, default_value = "local")]
    pub connection: String,
    /// Vault secrets.
    #[command(flatten)]
    pub secrets: VaultSecretArgs,
}
