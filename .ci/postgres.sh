#!/usr/bin/env bash
# A local PostgreSQL for the classroom tests, on a clean Debian machine, as root. Idempotent.
#
#   eval "$(.ci/postgres.sh)"        # installs/starts PostgreSQL, then exports PIPELINE_TRACE_TEST_PG_URL
#
# Installs the `postgresql` package if missing, starts the Debian cluster listening on 127.0.0.1 only,
# creates the role and database (a random password, made once and kept in $PW_FILE), and prints one
# `export PIPELINE_TRACE_TEST_PG_URL=...` line on stdout; everything else goes to stderr.
set -euo pipefail

DB=${PT_PG_DB:-pipeline_trace_test}
ROLE=${PT_PG_ROLE:-pipeline_trace}
PW_FILE=${PT_PG_PW_FILE:-/var/lib/postgresql/pipeline-trace-test.pw}
log() { echo "postgres.sh: $*" >&2; }

[ "$(id -u)" = 0 ] || { log "run as root (it installs and starts PostgreSQL)"; exit 1; }
export DEBIAN_FRONTEND=noninteractive
if ! ls /usr/lib/postgresql/*/bin/pg_ctl >/dev/null 2>&1; then
  log "installing postgresql"
  apt-get install -y -qq postgresql >/dev/null 2>&1 || { apt-get update -qq && apt-get install -y -qq postgresql >/dev/null; }
fi

VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
if ! pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main"' | grep -q .; then
  log "creating cluster $VERSION/main"
  pg_createcluster "$VERSION" main >&2
fi
CONF=/etc/postgresql/$VERSION/main/conf.d/pipeline-trace.conf   # Debian's postgresql.conf includes conf.d/
WANT="listen_addresses = '127.0.0.1'"
if [ "$(cat "$CONF" 2>/dev/null)" != "$WANT" ]; then
  mkdir -p "$(dirname "$CONF")" && echo "$WANT" > "$CONF"
  pg_ctlcluster "$VERSION" main stop >/dev/null 2>&1 || true   # picks up the new address on start
fi
pg_ctlcluster "$VERSION" main status >/dev/null 2>&1 || pg_ctlcluster "$VERSION" main start >&2
PORT=$(pg_lsclusters -h | awk -v v="$VERSION" '$1 == v && $2 == "main" {print $3}')
for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p "$PORT" && break; sleep 1; done
pg_isready -q -h 127.0.0.1 -p "$PORT" || { log "PostgreSQL did not come up on 127.0.0.1:$PORT"; exit 1; }

if [ ! -s "$PW_FILE" ]; then
  (umask 077; head -c 18 /dev/urandom | base64 | tr -d '/+=\n' > "$PW_FILE")
fi
PASSWORD=$(cat "$PW_FILE")
psql_admin() { runuser -u postgres -- psql -X -q -v ON_ERROR_STOP=1 -p "$PORT" "$@"; }
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$ROLE'")" ]; then
  psql_admin -c "CREATE ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
else
  psql_admin -c "ALTER ROLE $ROLE LOGIN PASSWORD '$PASSWORD'"
fi
if [ -z "$(psql_admin -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB'")" ]; then
  runuser -u postgres -- createdb -p "$PORT" -O "$ROLE" "$DB"
fi
log "ready: database $DB, role $ROLE, 127.0.0.1:$PORT"
echo "export PIPELINE_TRACE_TEST_PG_URL=postgresql+psycopg://$ROLE:$PASSWORD@127.0.0.1:$PORT/$DB"
