#!/usr/bin/env bash
# Regenerates the conformance goldens from real ansible-core (the oracle).
#
#   tests/conformance/regenerate.sh            # all playbooks and error cases
#   tests/conformance/regenerate.sh 012 030    # only files whose name starts with these prefixes
#
# For each playbooks/NNN_topic.yml it writes expected/NNN_topic.jsonl (events from
# oracle/stackbook_events.py), expected/NNN_topic.rc (exit code) and expected/NNN_topic.run.json
# (the header's args/env/inventory, parsed).
# For each errors/NAME.yml it writes expected/errors/NAME.{rc,jsonl,err}; .err holds the first
# error line and its "Origin: file:line:col" line, with paths normalised.
# Runs are hermetic: empty environment apart from the variables set below, cwd is the
# playbook's directory, forks=1, stdin from /dev/null.
set -euo pipefail
shopt -s nullglob

root=$(git -C "$(dirname "$0")" rev-parse --show-toplevel)
conf="$root/tests/conformance"
bin=$("$root/scripts/oracle-env.sh")
py="$bin/python3"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/stackbook-conformance.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# A full run starts from an empty expected/ so that goldens of removed playbooks go away.
if [ $# -eq 0 ]; then rm -rf "$conf/expected"; fi
mkdir -p "$conf/expected/errors"
version=$("$bin/ansible-playbook" --version)
version=${version%%$'\n'*}                       # "ansible-playbook [core 2.19.14]"
printf 'ansible-core %s\n' "${version#*core }" | tr -d ']' >"$conf/expected/ORACLE_VERSION"

# header VALUE of "# key: VALUE" lines at the top of a playbook (all such lines joined).
header() {
  sed -n '/^#/!q; s/^# *'"$1"': *//p' "$2" | tr '\n' ' '
}

# Split a string like a POSIX shell would (quotes, backslashes; no expansion), NUL-separated.
split_words() {
  "$py" -c 'import shlex, sys; sys.stdout.write("".join(w + "\0" for w in shlex.split(sys.argv[1])))' "$1"
}

selected() {
  local name=$1; shift
  [ $# -eq 0 ] && return 0
  local p; for p in "$@"; do [[ $name == "$p"* ]] && return 0; done
  return 1
}

# run_spec PLAYBOOK -> JSON with the run's header settings, so that a harness need not parse
# headers itself: {"args": [...], "env": {...}, "inventory": "inventory.yml" | null}.
run_spec() {
  "$py" - "$(header args "$1")" "$(header env "$1")" "$(header inventory "$1" | tr -d ' ')" <<'PY'
import json, shlex, sys
args, env, inventory = sys.argv[1:4]
spec = {
    "args": shlex.split(args),
    "env": dict(word.split("=", 1) for word in shlex.split(env)),
    "inventory": None if inventory == "none" else (inventory or "inventory.yml"),
}
print(json.dumps(spec, sort_keys=True))
PY
}

# run_one PLAYBOOK EVENTS_FILE LOG_FILE  -> sets $rc
run_one() {
  local playbook=$1 events=$2 log=$3 dir name out
  dir=$(dirname "$playbook"); name=$(basename "$playbook" .yml)
  out="$tmp/out/$name"; rm -rf "$out"; mkdir -p "$out" "$tmp/home" "$tmp/ansible"
  local -a args=() envs=() inv=(-i "$conf/inventory.yml")
  mapfile -d '' -t args < <(split_words "$(header args "$playbook")")
  mapfile -d '' -t envs < <(split_words "$(header env "$playbook")")
  local inventory_header; inventory_header=$(header inventory "$playbook" | tr -d ' ')
  if [ "$inventory_header" = none ]; then inv=();
  elif [ -n "$inventory_header" ]; then inv=(-i "$dir/$inventory_header"); fi
  set +e
  ( cd "$dir" && umask 022 && env -i \
      PATH="$bin:/usr/local/bin:/usr/bin:/bin" PYTHONDONTWRITEBYTECODE=1 HOME="$tmp/home" LANG=C.UTF-8 LC_ALL=C.UTF-8 TZ=UTC \
      ANSIBLE_HOME="$tmp/ansible" ANSIBLE_LOCAL_TEMP="$tmp/ansible/tmp" \
      ANSIBLE_REMOTE_TMP="$tmp/ansible/remote" \
      ANSIBLE_CALLBACK_PLUGINS="$conf/oracle" ANSIBLE_CALLBACKS_ENABLED=stackbook_events \
      ANSIBLE_RETRY_FILES_ENABLED=False ANSIBLE_NOCOLOR=1 ANSIBLE_FORKS=1 \
      ANSIBLE_LOCALHOST_WARNING=False ANSIBLE_INVENTORY_UNPARSED_WARNING=False \
      ANSIBLE_HOST_KEY_CHECKING=False ANSIBLE_PYTHON_INTERPRETER=auto_silent \
      STACKBOOK_EVENTS_FILE="$events" STACKBOOK_OUT_DIR="$out" STACKBOOK_PLAYBOOK_DIR="$dir" \
      ${envs[@]+"${envs[@]}"} \
      "$bin/ansible-playbook" ${inv[@]+"${inv[@]}"} "$(basename "$playbook")" \
      -e "out_dir=$out" ${args[@]+"${args[@]}"} </dev/null >"$log" 2>&1 )
  rc=$?
  set -e
}

# Replace this machine's paths in a text file.
normalise_paths() {
  local file=$1 out=$2 dir=$3
  sed -e "s#$(realpath "$out")#<out_dir>#g" -e "s#$out#<out_dir>#g" \
      -e "s#$(realpath "$dir")#<playbook_dir>#g" -e "s#$dir#<playbook_dir>#g" \
      -e "s#$tmp#<tmp>#g" "$file"
}

count=0
# Top-level playbooks, and suites that need their own folder (their own group_vars/,
# host_vars/ or inventory) in playbooks/suite_*/.
for playbook in "$conf"/playbooks/*.yml "$conf"/playbooks/suite_*/*.yml; do
  name=$(basename "$playbook" .yml)
  selected "$name" "$@" || continue
  : >"$tmp/events.jsonl"
  run_one "$playbook" "$tmp/events.jsonl" "$tmp/$name.log"
  cp "$tmp/events.jsonl" "$conf/expected/$name.jsonl"
  echo "$rc" >"$conf/expected/$name.rc"
  run_spec "$playbook" >"$conf/expected/$name.run.json"
  if [ -n "${VERBOSE:-}" ]; then cat "$tmp/$name.log"; fi
  printf '%-40s rc=%s events=%s\n' "$name" "$rc" "$(wc -l <"$conf/expected/$name.jsonl")"
  count=$((count + 1))
done

# The message lines of an error run: the first error line (ansible-core 2.19 prints
# "[ERROR]: ...", older cores "ERROR! ..."; a failed task also prints "fatal: [host]: FAILED!")
# and the first "Origin: file:line:col" line after it. With no error, the first warning.
first_error() {
  awk '
    !err && /^(\[ERROR\]|ERROR!|fatal:)/ { err = $0; next }
    err && !origin && /^Origin: / { origin = $0 }
    !warn && /^\[WARNING\]/ { warn = $0; getline nxt; if (nxt ~ /^Origin: /) warnorigin = nxt }
    END {
      if (err) { print err; if (origin) print origin }
      else if (warn) { print warn; if (warnorigin) print warnorigin }
    }'
}

for playbook in "$conf"/errors/*.yml; do
  name=$(basename "$playbook" .yml)
  selected "$name" "$@" || continue
  : >"$tmp/events.jsonl"
  run_one "$playbook" "$tmp/events.jsonl" "$tmp/$name.log"
  cp "$tmp/events.jsonl" "$conf/expected/errors/$name.jsonl"
  echo "$rc" >"$conf/expected/errors/$name.rc"
  run_spec "$playbook" >"$conf/expected/errors/$name.run.json"
  normalise_paths "$tmp/$name.log" "$tmp/out/$name" "$conf/errors" | first_error \
    >"$conf/expected/errors/$name.err"
  if [ -n "${VERBOSE:-}" ]; then cat "$tmp/$name.log"; fi
  printf '%-40s rc=%s %s\n' "errors/$name" "$rc" "$(head -c 100 "$conf/expected/errors/$name.err")"
  count=$((count + 1))
done
echo "regenerated $count goldens with $(cat "$conf/expected/ORACLE_VERSION")"

# ansible-inventory --list for the inventories that have their own folder, compared with
# `stackbook inventory --list` (JSON, keys sorted).
mkdir -p "$conf/expected/inventory"
for inventory in "$conf"/playbooks/suite_*/inventory/hosts.ini; do
  suite=$(basename "$(dirname "$(dirname "$inventory")")")
  ( cd "$(dirname "$inventory")" && env -i PATH="$bin:/usr/bin:/bin" HOME="$tmp/home" LANG=C.UTF-8 LC_ALL=C.UTF-8 \
      ANSIBLE_HOME="$tmp/ansible" "$bin/ansible-inventory" -i hosts.ini --list ) \
    | "$py" -c 'import json,sys; print(json.dumps(json.load(sys.stdin), indent=2, sort_keys=True))' \
    >"$conf/expected/inventory/$suite.list.json"
  echo "inventory/$suite.list.json"
done
