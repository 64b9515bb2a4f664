#!/usr/bin/env bash
# Regenerates tests/release-fixtures/ with the real Helm SDK against the
# kube-test-server TEST DOUBLE (started here, stopped by PID on exit).
# Usage: bash crates/helm/tests/release-fixtures/regenerate.sh
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../../.." && pwd)
bin=$(bash "$here/../setup-oracle.sh")
target=${CARGO_TARGET_DIR:-$root/target}
(cd "$root/crates/kube-test-server" && CARGO_TARGET_DIR="$target" cargo build --quiet)
tmp=$(mktemp -d)
"$target/debug/kube-test-server" --kubeconfig-out "$tmp/kubeconfig" >"$tmp/server.log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$tmp"' EXIT
for _ in $(seq 100); do [ -s "$tmp/kubeconfig" ] && break; sleep 0.1; done
"$bin/python" "$here/regenerate.py" "$tmp/kubeconfig"
