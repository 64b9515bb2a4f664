#!/usr/bin/env bash
# Installs the Helm oracle (helm-python-sdk: Helm v4.2.3's Go SDK as a shared
# library) into the project's oracle venv. Idempotent. Prints the venv bin dir.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
bin=$(bash "$here/../../../scripts/oracle-env.sh")
if ! "$bin/python" -c 'import helm_python' 2>/dev/null; then
  "$bin/pip" install --quiet --disable-pip-version-check "helm-python-sdk==0.2.2" >&2
fi
echo "$bin"
