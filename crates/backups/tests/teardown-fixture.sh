#!/usr/bin/env bash
# teardown-fixture.sh — stop what setup-fixture.sh started (the shared fixture's teardown.sh,
# which stops PostgreSQL, stunnel and moto by PID). Arguments are passed on (e.g. --purge).
set -Eeuo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SHARED=${STACKBOOK_SHARED_DIR:-$HERE/../../../../shared}
exec "$SHARED/fixtures/pgbackrest-s3/teardown.sh" "$@"
