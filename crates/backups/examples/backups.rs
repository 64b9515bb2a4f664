//! `stackbook backups` as a standalone program, until (and besides) the `stackbook` binary:
//!
//! ```text
//! cargo run -p stackbook-backups --example backups -- --s3-conf s3.conf --endpoint host:port \
//!     --bucket b --region r --uri-style path --repo-path /pgbackrest/repo1 --check-init
//! ```

use clap::Parser;
use stackbook_backups::cli::{BackupsArgs, run};

/// Inspect a pgBackRest repository in S3 and judge init/restore.
#[derive(Parser)]
#[command(name = "backups")]
struct Cli {
    #[command(flatten)]
    args: BackupsArgs,
}

fn main() -> std::process::ExitCode {
    let cli = match Cli::try_parse() {
        Ok(c) => c,
        Err(e) => {
            let _ = e.print();
            return std::process::ExitCode::from(if e.use_stderr() { 5 } else { 0 });
        }
    };
    std::process::ExitCode::from(u8::try_from(run(cli.args)).unwrap_or(1))
}
