#!/usr/bin/env bash
# The README's main job: deploy the PGO stack with playbooks/pgo.yml on this machine, against
# local stand-ins started here and stopped (by PID) at the end:
#   - kube-test-server: a TEST DOUBLE of the Kubernetes API (not a cluster; nothing runs),
#   - a local S3 server (moto behind TLS) holding REAL pgBackRest repositories, built by
#     shared/fixtures/pgbackrest-s3/build.sh with the demo vault's credentials,
#   - a local OCI registry (Debian's docker-registry) holding the PGO chart from
#     shared/charts/pgo, pushed there with `stackbook chart push`.
# Then it shows, in order: a fresh cluster on an empty bucket, the idempotent re-run
# (changed=0), the backup guard refusing to initialise over existing backups, and a restore
# from those backups (-e restore_db=true). Needs root on a fresh machine (apt-get for the
# pgBackRest fixture). Writes a run report per step under target/demo/.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
shared=${STACKBOOK_SHARED_DIR:-$root/../shared}
work=$(mktemp -d "${TMPDIR:-/tmp}/stackbook-demo.XXXXXX")
# The fixture runs PostgreSQL as the postgres user, which must be able to reach its folder.
chmod 755 "$work"
mkdir -p target/demo

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

cleanup() {
  [ -f "$work/kts.pid" ] && kill "$(cat "$work/kts.pid")" 2>/dev/null || true
  STACKBOOK_REGISTRY_DIR="$work/registry" crates/helm/scripts/teardown-registry.sh >/dev/null 2>&1 || true
  PGBR_FIXTURE_DIR="$work/pgbr" "$shared/fixtures/pgbackrest-s3/teardown.sh" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

step "build (release)"
cargo build --release --locked -p stackbook -p kube-test-server
bin=${CARGO_TARGET_DIR:-$root/target}/release

step "start the Kubernetes API test double"
"$bin/kube-test-server" --kubeconfig-out "$work/kubeconfig" >"$work/kts.log" 2>&1 &
echo $! >"$work/kts.pid"
for _ in $(seq 50); do [ -s "$work/kubeconfig" ] && break; sleep 0.1; done
head -1 "$work/kts.log"

step "start a local S3 server with real pgBackRest repositories (about a minute the first time)"
cipher_pass=$("$bin/stackbook" vault view vaults/demo_vault.yaml --age-identity vaults/demo-identity.txt \
  | sed -n "s/^vault_pgbackrest_cipher_pass: *//p" | tr -d "'\"")
PGBR_FIXTURE_DIR="$work/pgbr" PGBR_S3_KEY=stackbook-demo PGBR_S3_KEY_SECRET=stackbook-demo-secret-key-0001 \
  PGBR_CIPHER_PASS="$cipher_pass" "$shared/fixtures/pgbackrest-s3/build.sh" >"$work/fixture.log" 2>&1 \
  || { tail -30 "$work/fixture.log"; exit 1; }
# shellcheck disable=SC1091
. "$work/pgbr/fixture.env"
export KUBECONFIG=$work/kubeconfig

step "start a local OCI registry and push the PGO chart to it"
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
registry_port=$(free_port)
STACKBOOK_REGISTRY_DIR="$work/registry" STACKBOOK_REGISTRY_PORT=$registry_port \
  STACKBOOK_REGISTRY_AUTH_PORT=$(free_port) crates/helm/scripts/setup-registry.sh 2>&1 | grep plain
"$bin/stackbook" chart push "$shared/charts/pgo" "oci://127.0.0.1:$registry_port/crunchydata" --plain-http
export STACKBOOK_PGO_CHART=oci://127.0.0.1:$registry_port/crunchydata/pgo
export STACKBOOK_S3_ENDPOINT=127.0.0.1:$PGBR_S3_TLS_PORT
export STACKBOOK_S3_CA_FILE=$PGBR_S3_CA_FILE
play() {
  "$bin/stackbook" play playbooks/pgo.yml -i inventories/demo --age-identity vaults/demo-identity.txt \
    -e postgres_cluster_repo_path="$PGBR_REPO_PATH" "$@"
}

step "1. a fresh cluster, backups to an empty bucket"
STACKBOOK_S3_BUCKET=$PGBR_S3_BUCKET_EMPTY play --report target/demo/1-init.md

step "2. the same run again: nothing changes"
STACKBOOK_S3_BUCKET=$PGBR_S3_BUCKET_EMPTY play --report target/demo/2-rerun.md | tail -3

step "3. a new cluster on a bucket that holds backups: the guard refuses (exit 2 expected)"
set +e
STACKBOOK_S3_BUCKET=$PGBR_S3_BUCKET_BACKUPS play -e pg_cluster_name=restored-db | grep -E "refusing|PLAY RECAP" -A1 | cut -c1-400
status=${PIPESTATUS[0]}
set -e
[ "$status" = 2 ] || { echo "expected the guard to refuse (exit 2), got $status"; exit 1; }

step "4. restore from those backups instead"
STACKBOOK_S3_BUCKET=$PGBR_S3_BUCKET_BACKUPS play -e pg_cluster_name=restored-db -e restore_db=true --report target/demo/4-restore.md | tail -3
echo "restored cluster's dataSource:"
cat >"$work/show.yml" <<'PLAY'
- hosts: localhost
  gather_facts: false
  tasks:
    - kubernetes.core.k8s_info:
        kind: PostgresCluster
        api_version: postgres-operator.crunchydata.com/v1beta1
        namespace: database
        name: restored-db
      register: cluster
    - debug: msg="{{ cluster.resources[0].spec.dataSource.pgbackrest }}"
PLAY
"$bin/stackbook" play "$work/show.yml" | sed -n '/"msg"/,/^}/p'

step "done: run reports in target/demo/"
