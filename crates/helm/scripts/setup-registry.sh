#!/usr/bin/env bash
# Starts Debian's `docker-registry` (CNCF distribution v2) on loopback for the
# chart-source tests. Idempotent: installs the package if missing (root,
# Debian), starts each instance unless its PID file names a live process.
#
#   plain  127.0.0.1:${STACKBOOK_REGISTRY_PORT:-5055}        anonymous
#   auth   127.0.0.1:${STACKBOOK_REGISTRY_AUTH_PORT:-5056}   basic auth stackbook/s3cret
#
# State (config, storage, PID files) lives in ${STACKBOOK_REGISTRY_DIR:-/tmp/stackbook-registry}.
# Stop with scripts/teardown-registry.sh (kills by PID). Tests read the
# addresses from STACKBOOK_REGISTRY / STACKBOOK_REGISTRY_AUTH or these defaults.
set -euo pipefail
dir=${STACKBOOK_REGISTRY_DIR:-/tmp/stackbook-registry}
port=${STACKBOOK_REGISTRY_PORT:-5055}
auth_port=${STACKBOOK_REGISTRY_AUTH_PORT:-5056}
need=()
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v htpasswd >/dev/null || need+=(apache2-utils)
if [ ${#need[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  # policy-rc.d keeps the package's init script from starting a system instance.
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d
  apt-get install -y -qq --no-install-recommends "${need[@]}" >&2
  rm -f /usr/sbin/policy-rc.d
fi
bin=$(command -v docker-registry || echo /usr/bin/docker-registry)
mkdir -p "$dir"

start() { # name port auth(yes|no)
  local name=$1 p=$2 auth=$3 pidf="$dir/$1.pid"
  if [ -f "$pidf" ] && kill -0 "$(cat "$pidf")" 2>/dev/null; then
    echo "registry $name already running (pid $(cat "$pidf")) on 127.0.0.1:$p" >&2
    return
  fi
  mkdir -p "$dir/$name-data"
  {
    echo "version: 0.1"
    echo "log: {level: warn}"
    echo "storage:"
    echo "  filesystem: {rootdirectory: $dir/$name-data}"
    echo "  delete: {enabled: true}"
    echo "http:"
    echo "  addr: 127.0.0.1:$p"
    if [ "$auth" = yes ]; then
      htpasswd -Bbn stackbook s3cret > "$dir/htpasswd"
      echo "auth:"
      echo "  htpasswd: {realm: stackbook-test, path: $dir/htpasswd}"
    fi
  } > "$dir/$name.yml"
  nohup "$bin" serve "$dir/$name.yml" > "$dir/$name.log" 2>&1 &
  echo $! > "$pidf"
  for _ in $(seq 50); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "registry $name started (pid $(cat "$pidf")) on 127.0.0.1:$p" >&2
      return
    fi
    sleep 0.1
  done
  echo "registry $name did not start; log:" >&2
  cat "$dir/$name.log" >&2
  exit 1
}
start plain "$port" no
start auth "$auth_port" yes
