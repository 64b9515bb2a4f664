#!/usr/bin/env bash
# Stops the registries started by setup-registry.sh, by PID.
set -euo pipefail
dir=${STACKBOOK_REGISTRY_DIR:-/tmp/stackbook-registry}
for pidf in "$dir"/*.pid; do
  [ -f "$pidf" ] || continue
  kill "$(cat "$pidf")" 2>/dev/null || true
  rm -f "$pidf"
done
