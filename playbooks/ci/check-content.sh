#!/usr/bin/env bash
# check-content.sh — static and cluster-free checks of the stack content:
#   1. every playbook and runbook: --syntax-check and --list-tasks with each inventory;
#   2. every role task file, imported statically, so module names and keywords inside roles
#      are validated too (include_role is dynamic and escapes --syntax-check);
#   3. render.yml for each stage (runs every role's validation and renders every manifest);
#   4. the demo vault decrypts with the committed demo identity.
# Usage: playbooks/ci/check-content.sh [path/to/stackbook]   (default: target/debug/stackbook)
# Needs the kubernetes.core.k8s/k8s_info and helm modules registered in the binary for step 1.
set -Eeuo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SB=${1:-${STACKBOOK:-$ROOT/target/debug/stackbook}}
[ -x "$SB" ] || { echo "check-content: no stackbook binary at $SB (build it or pass its path)" >&2; exit 1; }
cd "$ROOT"
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT
fail=0
step() { printf '%-90s ' "$1"; }
run() {  # run LABEL CMD...: prints ok or the tail of the output
  step "$1"; shift
  if "$@" > "$TMP/out" 2>&1; then echo ok; else echo FAILED; sed 's/^/    /' "$TMP/out" | tail -8; fail=1; fi
}

for inv in inventories/*/; do
  inv=${inv%/}
  for pb in playbooks/*.yml playbooks/runbooks/*.yml; do
    run "syntax-check $pb -i $inv" "$SB" play "$pb" -i "$inv" --syntax-check
    run "list-tasks   $pb -i $inv" "$SB" play "$pb" -i "$inv" --list-tasks
  done
done

{
  echo "- hosts: localhost"
  echo "  gather_facts: false"
  echo "  tasks:"
  for f in roles/*/tasks/*.yml playbooks/tasks/*.yml; do echo "    - import_tasks: $ROOT/$f"; done
} > "$TMP/all-role-tasks.yml"
run "syntax-check of every role task file" "$SB" play "$TMP/all-role-tasks.yml" --syntax-check

for inv in inventories/*/; do
  inv=${inv%/}
  run "render.yml -i $inv" "$SB" play playbooks/render.yml -i "$inv" -e "render_dir=$TMP/rendered/$(basename "$inv")"
done

run "demo vault decrypts with the demo identity" \
  "$SB" vault view vaults/demo_vault.yaml --age-identity vaults/demo-identity.txt

exit $fail
