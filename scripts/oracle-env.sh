#!/usr/bin/env bash
# Creates (idempotently) the Python virtualenv that holds the *oracles*:
# real ansible-core (Ansible semantics, ansible-vault) and friends.
# ansible-core needs Python >= 3.12; the machine image ships it through pyenv.
# Prints the venv's bin directory on stdout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv="$root/.oracle-venv"
pick_python() {
  for candidate in "${ORACLE_PYTHON:-}" python3.13 python3.12 \
      "$HOME"/.pyenv/versions/3.13*/bin/python3 "$HOME"/.pyenv/versions/3.12*/bin/python3; do
    [ -n "$candidate" ] || continue
    command -v "$candidate" >/dev/null 2>&1 || [ -x "$candidate" ] || continue
    if "$candidate" -c 'import sys; sys.exit(0 if sys.version_info >= (3,12) else 1)' 2>/dev/null; then
      echo "$candidate"; return 0
    fi
  done
  return 1
}
if [ ! -x "$venv/bin/ansible-playbook" ]; then
  py=$(pick_python) || { echo "oracle-env: no Python >= 3.12 found" >&2; exit 1; }
  "$py" -m venv "$venv" >&2
  "$venv/bin/pip" install --quiet --disable-pip-version-check "ansible-core==2.19.14" >&2
fi
echo "$venv/bin"
