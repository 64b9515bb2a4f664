#!/usr/bin/env bash
# Installs the interop oracles for stackbook-secrets' live tests (idempotent):
#   - the `age` / `age-keygen` CLI (Debian package `age`), needs root on Debian;
#   - `ansible-vault` from the shared oracle venv (scripts/oracle-env.sh at the repo root).
# Prints the oracle venv bin directory on stdout, so callers can put it on PATH:
#   export PATH="$(crates/secrets/scripts/setup-oracles.sh):$PATH"
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
if ! command -v age >/dev/null 2>&1 || ! command -v age-keygen >/dev/null 2>&1; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "setup-oracles: installing age needs root (apt-get install age)" >&2
    exit 1
  fi
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq age >&2
fi
"$root/scripts/oracle-env.sh"
