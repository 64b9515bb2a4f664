#!/usr/bin/env bash
# Regenerates the filter corpus goldens with real ansible-core.
# Idempotent: creates the oracle venv on first use (scripts/oracle-env.sh),
# then renders every tests/inputs/*.txt case (or only the names given).
#   crates/filters/tests/regenerate.sh                 # all cases
#   crates/filters/tests/regenerate.sh to_yaml_dict    # selected cases
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=$("$root/scripts/oracle-env.sh")
exec "$bin/python" "$here/regenerate.py" "$@"
