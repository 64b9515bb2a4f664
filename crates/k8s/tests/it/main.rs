//! End-to-end tests: playbooks run through the real engine against the Kubernetes API test
//! double (`kube-test-server`), grouped by theme.

mod apply;
mod bench;
mod connection;
mod exec;
mod info;
mod reliability;
mod seed;
mod support;
mod waits;
