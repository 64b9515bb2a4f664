#!/bin/sh
# Ensures kubectl is installed (for the benchmark and the kubectl comparison tests).
# Idempotent; run as root on Debian. Uses the machine image's /usr/bin/kubectl when present,
# else Debian's kubernetes-client package.
set -eu
if command -v kubectl >/dev/null 2>&1; then
    kubectl version --client >/dev/null 2>&1 && exit 0
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kubernetes-client
kubectl version --client
