//! End-to-end tests: playbooks run through the real engine against the Kubernetes API test
//! double (`kube-test-server`), grouped by theme.

#[path = "../../../backups/tests/support/mod.rs"]
mod pgbr_fixture;

mod apply;
mod backup_guard;
mod bench;
mod connection;
mod exec;
mod info;
mod reliability;
mod seed;
mod support;
mod waits;
