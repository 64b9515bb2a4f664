#!/usr/bin/env bash
# capture-fixtures.sh — regenerate tests/fixtures/ from the REAL pgBackRest fixture.
#
# For each bucket (pgbr-backups, pgbr-wal-only, pgbr-stanza-only, pgbr-empty, pgbr-plain) copies:
#   objects/<key>            archive.info, backup.info and their .copy, byte for byte (encrypted)
#   listing.tsv              key, size, last-modified of every object except backup file data
#   decrypted/<name>         the info files decrypted by `openssl enc -d -aes-256-cbc -md sha1`
#                            (an independent oracle for src/cipher.rs)
#   pgbackrest-info.json     `pgbackrest info --output=json` for that bucket
# plus fixture.env (repo path, stanza, the fixture's test-only cipher pass).
# Requires root; starts the fixture via setup-fixture.sh (left running; teardown-fixture.sh stops it).
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$HERE/setup-fixture.sh"

DIR=${PGBR_FIXTURE_DIR:-/tmp/pgbr-fixture}
set -a
# shellcheck disable=SC1091
. "$DIR/fixture.env"
# shellcheck disable=SC1091
. "$DIR/stackbook-backups/plain.env"
set +a
PY=${PGBR_MOTO_VENV:-/tmp/pgbr-fixture-venv}/bin/python
DEST=$HERE/fixtures
rm -rf "$DEST"
mkdir -p "$DEST"

BUCKETS="$PGBR_S3_BUCKET_BACKUPS $PGBR_S3_BUCKET_WAL_ONLY $PGBR_S3_BUCKET_STANZA_ONLY $PGBR_S3_BUCKET_EMPTY $PGBR_S3_BUCKET_PLAIN"
"$PY" - "$DEST" $BUCKETS <<'PYEOF'
import os, sys, warnings
warnings.filterwarnings("ignore")
import boto3
from botocore.config import Config
dest, buckets = sys.argv[1], sys.argv[2:]
s3 = boto3.client("s3", region_name=os.environ["PGBR_S3_REGION"],
                  endpoint_url=os.environ["PGBR_S3_HTTP_ENDPOINT_URL"],
                  aws_access_key_id=os.environ["PGBR_S3_KEY"],
                  aws_secret_access_key=os.environ["PGBR_S3_KEY_SECRET"],
                  config=Config(s3={"addressing_style": "path"}))
for b in buckets:
    os.makedirs(os.path.join(dest, b, "objects"), exist_ok=True)
    rows = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=b):
        for o in page.get("Contents", []):
            k = o["Key"]
            if "/pg_data/" in k:
                continue
            rows.append(f"{k}\t{o['Size']}\t{o['LastModified'].strftime('%Y-%m-%dT%H:%M:%S.%fZ')}")
            if k.endswith((".info", ".info.copy")):
                p = os.path.join(dest, b, "objects", k)
                os.makedirs(os.path.dirname(p), exist_ok=True)
                with open(p, "wb") as f:
                    f.write(s3.get_object(Bucket=b, Key=k)["Body"].read())
    with open(os.path.join(dest, b, "listing.tsv"), "w") as f:
        f.write("".join(r + "\n" for r in rows))
PYEOF

for b in $BUCKETS; do
  cp "$DIR/stackbook-backups/info-$b.json" "$DEST/$b/pgbackrest-info.json"
  mkdir -p "$DEST/$b/decrypted"
  for f in archive/"$PGBR_STANZA"/archive.info backup/"$PGBR_STANZA"/backup.info; do
    src=$DEST/$b/objects/${PGBR_REPO_PATH#/}/$f
    [ -f "$src" ] || continue
    if [ "$(head -c 8 "$src")" = "Salted__" ]; then
      openssl enc -d -aes-256-cbc -md sha1 -pass "pass:$PGBR_CIPHER_PASS" -in "$src" -out "$DEST/$b/decrypted/$(basename "$f")"
    else
      cp "$src" "$DEST/$b/decrypted/$(basename "$f")"
    fi
  done
done

cat > "$DEST/fixture.env" <<EOT
# Written by capture-fixtures.sh. The cipher pass is the shared fixture's test-only default.
PGBR_REPO_PATH=$PGBR_REPO_PATH
PGBR_STANZA=$PGBR_STANZA
PGBR_CIPHER_PASS=$PGBR_CIPHER_PASS
PGBR_ENCRYPTED_BUCKETS=$PGBR_S3_BUCKET_BACKUPS $PGBR_S3_BUCKET_WAL_ONLY $PGBR_S3_BUCKET_STANZA_ONLY $PGBR_S3_BUCKET_EMPTY
PGBR_PLAIN_BUCKETS=$PGBR_S3_BUCKET_PLAIN
PGBACKREST_VERSION=$(pgbackrest version | awk '{print $2}')
EOT
echo "[capture] fixtures written to $DEST"
