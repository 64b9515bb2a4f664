#!/bin/sh
# Idempotent setup for kube-test-server's kubectl tests (Debian, run as root in CI).
# The machine image ships /usr/bin/kubectl; Debian's kubernetes-client package is the fallback.
set -eu
if command -v kubectl >/dev/null 2>&1; then
    kubectl version --client 2>/dev/null | head -n 1
    exit 0
fi
if [ "$(id -u)" != "0" ]; then
    echo "kubectl is missing and this script needs root to apt-get install kubernetes-client" >&2
    exit 1
fi
apt-get update
DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends kubernetes-client
kubectl version --client | head -n 1
