#!/usr/bin/env bash
# Benchmark: install the real PGO chart from a local OCI registry (Debian's
# docker-registry, scripts/setup-registry.sh) into the kube-test-server test
# double, stackbook vs the Helm SDK (tests/setup-oracle.sh) in the same run,
# with a cold and a warm chart cache. Prints both ratios and the bytes
# stackbook downloaded on the warm run (target: 0). Release build.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crate="$here/.."
bash "$crate/scripts/setup-registry.sh"
bash "$crate/tests/setup-oracle.sh" >/dev/null
cd "$crate"
cargo test --release -p stackbook-helm --test sdk_interop -- \
  --ignored --nocapture bench_pgo_install_from_registry_vs_sdk 2>&1 |
  grep -E '^(stackbook|Helm SDK|PGO|test result)'
