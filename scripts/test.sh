#!/usr/bin/env bash
# The project's one test command (README "Run the tests"; CI's .ci/run calls exactly this).
# It installs what the tests need, runs every crate's tests, and stops what it started.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

# Tools some tests call (each setup script is idempotent and skips what is present).
for setup in crates/*/scripts/setup.sh; do
  [ -x "$setup" ] || continue
  echo "== setup: $setup"
  "$setup"
done

cargo test --workspace --locked "$@"
