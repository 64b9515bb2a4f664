#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; CI's .ci/run calls exactly this).
# It installs and starts what the tests need, runs every crate's tests, and stops what it
# started (by PID, through each fixture's own teardown script) even when tests fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

teardown() {
  crates/backups/tests/teardown-fixture.sh >/dev/null 2>&1 || true
  crates/helm/scripts/teardown-registry.sh >/dev/null 2>&1 || true
}
trap teardown EXIT

# Tools some tests call. Each setup script is idempotent and skips what is present:
# kubectl, the age CLI, ansible-core (the oracle venv), moto for the secret lookups,
# Helm's SDK (helm-python-sdk) and a local OCI registry (Debian docker-registry).
for setup in crates/kube-test-server/scripts/setup-kubectl.sh \
             crates/k8s/scripts/setup-kubectl.sh \
             crates/secrets/scripts/setup-oracles.sh \
             crates/lookups/scripts/setup.sh \
             crates/helm/tests/setup-oracle.sh \
             crates/helm/scripts/setup-registry.sh; do
  echo "== setup: $setup"
  bash "$setup" >/dev/null
done

# A real pgBackRest repository in a local S3 server (moto behind stunnel TLS), for the
# backup-inspection tests. Needs root (apt-get), as CI has.
echo "== setup: pgBackRest-in-S3 fixture"
crates/backups/tests/setup-fixture.sh >/tmp/stackbook-pgbr-fixture.log 2>&1 || {
  tail -40 /tmp/stackbook-pgbr-fixture.log
  exit 1
}

cargo test --workspace --locked "$@"

# The stack content (playbooks, roles, inventories, vaults) against the binary just built:
# syntax, task lists, offline renders and the demo vault.
bash playbooks/ci/check-content.sh target/debug/stackbook
