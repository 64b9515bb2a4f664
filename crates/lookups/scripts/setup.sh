#!/usr/bin/env bash
# Idempotently installs the test oracle for `aws_secret`: moto's standalone server (PyPI
# `moto[server]`) plus boto3, into the shared oracle venv (scripts/oracle-env.sh).
# Prints the venv's bin directory (which then holds `moto_server`) on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
bin=$("$root/scripts/oracle-env.sh")
if [ ! -x "$bin/moto_server" ] || ! "$bin/python" -c 'import boto3' 2>/dev/null; then
  "$bin/pip" install --quiet --disable-pip-version-check "moto[server]>=5,<6" boto3 >&2
fi
echo "$bin"
