#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; CI's .ci/run calls exactly this).
# It installs and starts what the tests need, runs every crate's tests, and stops what it
# started (by PID, through each fixture's own teardown script) even when tests fail.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

teardown() {
  crates/backups/tests/teardown-fixture.sh >/dev/null 2>&1 || true
}
trap teardown EXIT

# Tools some tests call (each setup script is idempotent and skips what is present).
for setup in crates/*/scripts/setup*.sh; do
  [ -x "$setup" ] || continue
  echo "== setup: $setup"
  "$setup"
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
