#!/usr/bin/env bash
# Fresh-clone test of the README: clone the committed HEAD into a temporary folder and run the
# README's quickstart commands there, literally, failing on the first step that fails.
#
#   scripts/fresh-clone-test.sh [--with-tests] [--target-dir DIR] [--keep]
#
# The commands are the README's fenced blocks marked with an info string:
#   ```sh readme-main-job   build and run the main job (always run)
#   ```sh readme-tests      run the tests (only with --with-tests: it is the whole test suite,
#                           which CI already runs once through scripts/test.sh)
# Each block runs as one `bash -euo pipefail` script from the clone's root, as a newcomer would
# paste it. Uncommitted changes are not in the clone: commit first.
#
# --target-dir DIR  build into DIR (exported as CARGO_TARGET_DIR) instead of the clone's own
#                   target/, so a warm cache can be reused; the default is a cold build, which
#                   is what a newcomer gets.
# --keep            keep the temporary clone (its path is printed) instead of removing it.
#
# The stand-ins the main job uses come from the shared/ folder next to the repository
# (STACKBOOK_SHARED_DIR); the clone lives elsewhere, so this script points the variable at the
# original checkout's neighbour unless it is already set.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
with_tests=false
keep=false
target_dir=""
while [ $# -gt 0 ]; do
  case $1 in
    --with-tests) with_tests=true ;;
    --keep) keep=true ;;
    --target-dir) target_dir=${2:?--target-dir needs a folder}; shift ;;
    -h|--help) sed -n '2,25p' "$0"; exit 0 ;;
    *) echo "fresh-clone-test: unknown argument $1 (see --help)" >&2; exit 5 ;;
  esac
  shift
done

# Extracts the body of the fenced block whose info string is "sh MARKER".
block() {
  awk -v marker="$1" '
    $0 == "```sh " marker { inside = 1; found = 1; next }
    inside && /^```/ { inside = 0; next }
    inside { print }
    END { if (!found) exit 1 }
  ' "$2"
}

work=$(mktemp -d "${TMPDIR:-/tmp}/stackbook-fresh-clone.XXXXXX")
cleanup() {
  if [ "$keep" = true ]; then
    echo "fresh-clone-test: kept $work"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT

export STACKBOOK_SHARED_DIR=${STACKBOOK_SHARED_DIR:-$(cd "$root/.." && pwd)/shared}
if [ -n "$target_dir" ]; then
  mkdir -p "$target_dir"
  CARGO_TARGET_DIR=$(cd "$target_dir" && pwd)
  export CARGO_TARGET_DIR
else
  unset CARGO_TARGET_DIR
fi

head=$(git -C "$root" rev-parse HEAD)
echo "== clone $head"
# The common git dir works for worktrees as well as ordinary checkouts.
git clone --quiet --no-checkout "$(git -C "$root" rev-parse --path-format=absolute --git-common-dir)" "$work/stackbook"
git -C "$work/stackbook" checkout --quiet --detach "$head"
clone=$work/stackbook

steps=(readme-main-job)
[ "$with_tests" = true ] && steps+=(readme-tests)
for step in "${steps[@]}"; do
  commands=$(block "$step" "$clone/README.md") || {
    echo "fresh-clone-test: README.md has no \`\`\`sh $step block" >&2
    exit 1
  }
  echo "== README step $step:"
  printf '%s\n' "$commands" | sed 's/^/   $ /'
  started=$(date +%s)
  if ! (cd "$clone" && bash -euo pipefail -c "$commands"); then
    echo "fresh-clone-test: FAILED at README step $step" >&2
    exit 1
  fi
  echo "== README step $step passed in $(( $(date +%s) - started ))s"
done
echo "fresh-clone-test: every README step passed"
