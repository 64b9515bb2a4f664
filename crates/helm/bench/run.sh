#!/usr/bin/env bash
# Benchmark: stackbook-helm vs Helm's Go SDK on the PGO chart and a large
# synthetic chart (120 templates + library subchart). Prints ms/render, the
# ratio and peak RSS. Needs the oracle venv (tests/setup-oracle.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
crate="$here/.."
bin=$(bash "$crate/tests/setup-oracle.sh")
target=${CARGO_TARGET_DIR:-$crate/target}
(cd "$crate" && cargo build --release --example render_bench >&2)
large=$(mktemp -d)
trap 'rm -rf "$large"' EXIT
"$bin/python" "$here/make_large_chart.py" "$large/large" 120
pgo="$crate/../../../shared/charts/pgo"
for chart in "$pgo" "$large/large"; do
  ours=$("$target/release/examples/render_bench" "$chart" "${N:-30}")
  theirs=$("$bin/python" "$here/helm_sdk_bench.py" "$chart" "${N:-30}")
  echo "$ours"
  echo "$theirs"
  o=$(echo "$ours" | sed -E 's/.*: ([0-9.]+) ms.*/\1/')
  t=$(echo "$theirs" | sed -E 's/.*: ([0-9.]+) ms.*/\1/')
  echo "ratio helm/stackbook: $(python3 -c "print(f'{$t/$o:.2f}x')")"
done
