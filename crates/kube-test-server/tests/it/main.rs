//! Integration tests: a real `kube` client (and kubectl) against in-process test servers.

mod support;

mod apply;
mod crds;
mod crud;
mod direct;
mod discovery;
mod faults;
mod kubectl;
mod startup;
mod watch_controllers;
