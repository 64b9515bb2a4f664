#!/usr/bin/env bash
# bench/backups.sh — how long `stackbook backups` takes to inspect a REAL pgBackRest repository
# holding 100 backups in the local S3 server (loopback, TLS), against `pgbackrest info` on the
# same repository in the same run. The cost is S3 round trips, so the request count is printed.
#
# Needs the pgBackRest S3 fixture (crates/backups/tests/setup-fixture.sh, root). The first run
# builds bucket pgbr-bench100 with real pgBackRest (1 full + 99 incremental backups, about two
# minutes); later runs reuse it.
#
#   bench/backups.sh [RUNS]        (default 5; prints medians)
set -Eeuo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
runs=${1:-5}
dir=${PGBR_FIXTURE_DIR:-/tmp/pgbr-fixture}
[ -f "$dir/fixture.env" ] || crates/backups/tests/setup-fixture.sh >/dev/null
set -a
# shellcheck disable=SC1091
. "$dir/fixture.env"
set +a
bucket=pgbr-bench100
conf=$dir/pgbackrest-bench100.conf
py=${PGBR_MOTO_VENV:-/tmp/pgbr-fixture-venv}/bin/python
pgbr() { runuser -u postgres -- pgbackrest --config="$conf" --stanza="$PGBR_STANZA" "$@"; }

if ! "$py" "$dir/s3tool.py" head "$bucket" "${PGBR_REPO_PATH#/}/backup/$PGBR_STANZA/backup.info" >/dev/null 2>&1; then
  echo "building $bucket: stanza-create, 1 full + 99 incremental backups (real pgBackRest)"
  "$py" "$dir/s3tool.py" mkbucket "$bucket"
  sed "s/^repo1-s3-bucket=.*/repo1-s3-bucket=$bucket/; /^repo1-retention/d" "$PGBR_PGBACKREST_CONF" > "$conf"
  chown root:postgres "$conf"; chmod 640 "$conf"
  pgbr --log-level-console=warn stanza-create
  # archive_command pushes WAL to the fixture's main repository, so no archive check here.
  pgbr --log-level-console=warn --type=full --no-archive-check backup
  for _ in $(seq 99); do pgbr --log-level-console=error --type=incr --no-archive-check backup; done
fi

# STACKBOOK=path/to/stackbook skips the build (use a release binary for numbers).
if [ -z "${STACKBOOK:-}" ]; then cargo build --release --locked -q -p stackbook; fi
sb=${STACKBOOK:-$root/target/release/stackbook}
s3conf=$(mktemp); trap 'rm -f "$s3conf"' EXIT
printf '[global]\nrepo1-s3-key=%s\nrepo1-s3-key-secret=%s\nrepo1-cipher-pass=%s\n' \
  "$PGBR_S3_KEY" "$PGBR_S3_KEY_SECRET" "$PGBR_CIPHER_PASS" > "$s3conf"

median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
now() { date +%s.%N; }

sb_times=(); pg_times=()
for _ in $(seq "$runs"); do
  t0=$(now)
  "$sb" backups --s3-conf "$s3conf" --endpoint "$PGBR_S3_HOST:$PGBR_S3_TLS_PORT" --bucket "$bucket" \
    --region "$PGBR_S3_REGION" --uri-style path --ca-file "$PGBR_S3_CA_FILE" \
    --repo-path "$PGBR_REPO_PATH" --output json > "$dir/bench-sb.json"
  t1=$(now)
  pgbr info --output=json > "$dir/bench-pg.json"
  t2=$(now)
  sb_times+=("$(echo "$t1 - $t0" | bc)"); pg_times+=("$(echo "$t2 - $t1" | bc)")
done

sb_med=$(printf '%s\n' "${sb_times[@]}" | median)
pg_med=$(printf '%s\n' "${pg_times[@]}" | median)
read -r backups requests < <("$py" -c '
import json,sys
d=json.load(open(sys.argv[1])); print(len(d["backups"]), d["requests"])' "$dir/bench-sb.json")
pg_backups=$("$py" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))[0]["backup"]))' "$dir/bench-pg.json")
printf 'repository: s3://%s (loopback TLS), %s backups (pgbackrest info: %s)\n' "$bucket" "$backups" "$pg_backups"
printf 'stackbook backups: %.3f s median of %s runs, %s S3 requests\n' "$sb_med" "$runs" "$requests"
printf 'pgbackrest info:   %.3f s median of %s runs\n' "$pg_med" "$runs"
printf 'ratio pgbackrest/stackbook: %.1fx\n' "$(echo "$pg_med / $sb_med" | bc -l)"
[ "$backups" = "$pg_backups" ] || { echo "backup counts differ"; exit 1; }
awk -v t="$sb_med" 'BEGIN { exit !(t < 1.0) }' || { echo "target missed: inspection took ${sb_med}s (>= 1 s)"; exit 1; }
