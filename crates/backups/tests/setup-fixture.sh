#!/usr/bin/env bash
# setup-fixture.sh — start the REAL pgBackRest-in-S3 fixture for stackbook-backups' live tests.
#
# Runs the shared fixture (shared/fixtures/pgbackrest-s3/build.sh: moto S3 behind stunnel TLS,
# PostgreSQL 15, pgBackRest 2.45, encrypted buckets pgbr-backups / pgbr-wal-only /
# pgbr-stanza-only / pgbr-empty) and adds one UNENCRYPTED bucket, pgbr-plain (stanza + one full
# backup, no WAL), then writes `pgbackrest info --output=json` for all five buckets to
# $PGBR_FIXTURE_DIR/stackbook-backups/ (the state the live test compares against).
# Idempotent: a healthy fixture is reused, the plain bucket is only built once.
# Requires root (apt-get, runuser postgres). Arguments are passed to build.sh (e.g. --rebuild).
# Stop everything with teardown-fixture.sh (by PID).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARED=${STACKBOOK_SHARED_DIR:-$HERE/../../../../shared}
BUILD=$SHARED/fixtures/pgbackrest-s3/build.sh
[ -x "$BUILD" ] || { echo "setup-fixture: $BUILD not found (set STACKBOOK_SHARED_DIR)" >&2; exit 1; }
[ "$(id -u)" = 0 ] || { echo "setup-fixture: must run as root" >&2; exit 1; }

"$BUILD" "$@"

DIR=${PGBR_FIXTURE_DIR:-/tmp/pgbr-fixture}
set -a
# shellcheck disable=SC1091
. "$DIR/fixture.env"
set +a
PY=${PGBR_MOTO_VENV:-/tmp/pgbr-fixture-venv}/bin/python
S3TOOL=$DIR/s3tool.py
OUT=$DIR/stackbook-backups
PLAIN=pgbr-plain
PLAIN_CONF=$DIR/pgbackrest-plain.conf
mkdir -p "$OUT"

pgbr() { runuser -u postgres -- pgbackrest --config="$1" --stanza="$PGBR_STANZA" "${@:2}"; }

if ! "$PY" "$S3TOOL" head "$PLAIN" "${PGBR_REPO_PATH#/}/backup/$PGBR_STANZA/backup.info" >/dev/null 2>&1; then
  echo "[setup-fixture] building unencrypted bucket $PLAIN (stanza-create + full backup, no WAL)"
  "$PY" "$S3TOOL" mkbucket "$PLAIN"
  grep -v '^repo1-cipher' "$PGBR_PGBACKREST_CONF" \
    | sed "s/^repo1-s3-bucket=.*/repo1-s3-bucket=$PLAIN/" > "$PLAIN_CONF"
  chown root:postgres "$PLAIN_CONF"; chmod 640 "$PLAIN_CONF"
  pgbr "$PLAIN_CONF" --log-level-console=warn stanza-create
  # archive_command pushes to the encrypted repo, so this backup cannot wait for WAL here.
  pgbr "$PLAIN_CONF" --log-level-console=warn --type=full --no-archive-check backup
fi

# Snapshot what pgBackRest itself reports now (the plain backup also archived WAL to pgbr-backups).
for b in "$PGBR_S3_BUCKET_BACKUPS" "$PGBR_S3_BUCKET_WAL_ONLY" "$PGBR_S3_BUCKET_STANZA_ONLY" "$PGBR_S3_BUCKET_EMPTY"; do
  pgbr "$PGBR_PGBACKREST_CONF" --repo1-s3-bucket="$b" info --output=json > "$OUT/info-$b.json"
done
pgbr "$PLAIN_CONF" info --output=json > "$OUT/info-$PLAIN.json"
cat > "$OUT/plain.env" <<EOT
export PGBR_S3_BUCKET_PLAIN=$PLAIN
EOT
echo "[setup-fixture] ready: . $DIR/fixture.env; pgBackRest JSON in $OUT"
