#!/usr/bin/env bash
# Throwaway PostgreSQL 15 server for fraiseql-qb's real-database tests.
#
#   scripts/pg.sh start    init a fresh cluster in a temp dir, start it, create fqb_test,
#                          CREATE EXTENSION ltree, load tests/fixtures/fixture.sql
#   scripts/pg.sh stop     stop the server and delete its temp dir
#   scripts/pg.sh status   exit 0 and print details if running, exit 1 otherwise
#   scripts/pg.sh env      print `export FQB_PG_URL=...` (use: eval "$(scripts/pg.sh env)")
#
# Env: FQB_PG_PORT (default 54329), FQB_PG_STATE (default /tmp/fqb-pg.state).
# Works as root (server runs as user `postgres` via runuser) and as a normal user.
set -euo pipefail

PORT="${FQB_PG_PORT:-54329}"
STATE="${FQB_PG_STATE:-/tmp/fqb-pg.state}"
DB=fqb_test
ROOT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FIXTURE="$ROOT_DIR/tests/fixtures/fixture.sql"

# Debian installs the server binaries outside PATH.
if ! command -v initdb >/dev/null 2>&1 && [ -d /usr/lib/postgresql/15/bin ]; then
    PATH="$PATH:/usr/lib/postgresql/15/bin"
fi

log() { echo "pg.sh: $*" >&2; }
die() { log "error: $*"; exit 1; }

# Run a server-side command as the server's owner.
as_owner() {
    if [ "$(id -u)" -eq 0 ]; then
        (cd / && runuser -u postgres -- "$@")
    else
        (cd / && "$@")
    fi
}

# Reads the state file into TMPDIR_PG / DATA_DIR / SOCK_DIR / STATE_PORT. Returns 1 if absent.
read_state() {
    [ -f "$STATE" ] || return 1
    TMPDIR_PG="$(sed -n 's/^tmpdir=//p' "$STATE")"
    STATE_PORT="$(sed -n 's/^port=//p' "$STATE")"
    [ -n "$TMPDIR_PG" ] || return 1
    DATA_DIR="$TMPDIR_PG/data"
    SOCK_DIR="$TMPDIR_PG/sock"
    return 0
}

is_running() {
    read_state || return 1
    [ -f "$DATA_DIR/postmaster.pid" ] || return 1
    as_owner pg_ctl -D "$DATA_DIR" status >/dev/null 2>&1 || return 1
    # A killed postmaster can linger as a zombie: also require it to answer.
    pg_isready -q -h 127.0.0.1 -p "${STATE_PORT:-$PORT}" -t 2 >/dev/null 2>&1
}

cleanup_stale() {
    if read_state; then
        if [ -d "$DATA_DIR" ] && [ -f "$DATA_DIR/postmaster.pid" ]; then
            as_owner pg_ctl -D "$DATA_DIR" -m immediate -w -t 10 stop >/dev/null 2>&1 || true
        fi
        case "$TMPDIR_PG" in
            /tmp/fqb-pg.*|"${TMPDIR:-/tmp}"/fqb-pg.*) rm -rf -- "$TMPDIR_PG" ;;
            *) log "not deleting unexpected dir $TMPDIR_PG" ;;
        esac
    fi
    rm -f -- "$STATE"
}

url() { echo "postgresql://postgres@127.0.0.1:${1:-$PORT}/$DB"; }

psql_run() {
    # Connects over TCP as superuser `postgres` (trust auth).
    PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres "$@"
}

cmd_start() {
    if is_running; then
        log "already running (port ${STATE_PORT:-$PORT}, data $DATA_DIR)"
        return 0
    fi
    cleanup_stale
    [ -f "$FIXTURE" ] || die "fixture not found: $FIXTURE"
    if pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1 >/dev/null 2>&1; then
        die "port $PORT is already in use by another server (set FQB_PG_PORT)"
    fi

    TMPDIR_PG="$(mktemp -d /tmp/fqb-pg.XXXXXX)"
    DATA_DIR="$TMPDIR_PG/data"
    SOCK_DIR="$TMPDIR_PG/sock"
    mkdir -p "$SOCK_DIR"
    chmod 755 "$TMPDIR_PG"
    if [ "$(id -u)" -eq 0 ]; then
        id postgres >/dev/null 2>&1 || die "running as root but user 'postgres' does not exist"
        chown -R postgres: "$TMPDIR_PG"
    fi
    printf 'tmpdir=%s\nport=%s\n' "$TMPDIR_PG" "$PORT" >"$STATE"

    local locale=C.UTF-8
    if ! locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then locale=C; fi

    if ! as_owner initdb --no-sync -A trust -E UTF8 --locale="$locale" -U postgres \
            -D "$DATA_DIR" >"$TMPDIR_PG/initdb.log" 2>&1; then
        cat "$TMPDIR_PG/initdb.log" >&2
        cleanup_stale
        die "initdb failed"
    fi
    cat >>"$DATA_DIR/postgresql.conf" <<CONF
# fqb test settings
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$SOCK_DIR'
fsync = off
synchronous_commit = off
full_page_writes = off
timezone = 'UTC'
log_timezone = 'UTC'
max_connections = 50
CONF
    cat >"$DATA_DIR/pg_hba.conf" <<HBA
local all all               trust
host  all all 127.0.0.1/32  trust
HBA
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$DATA_DIR/pg_hba.conf"; fi

    if ! as_owner pg_ctl -D "$DATA_DIR" -l "$TMPDIR_PG/server.log" \
            -o "-p $PORT -k $SOCK_DIR -h 127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c TimeZone=UTC" \
            -w -t 30 start >/dev/null; then
        cat "$TMPDIR_PG/server.log" >&2 || true
        cleanup_stale
        die "server failed to start"
    fi
    local i
    for i in $(seq 1 50); do
        pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1 && break
        sleep 0.1
    done
    pg_isready -q -h 127.0.0.1 -p "$PORT" -t 1 || { cleanup_stale; die "server not ready"; }

    if ! { psql_run -d postgres -c "CREATE DATABASE $DB" &&
           psql_run -d "$DB" -c "CREATE EXTENSION IF NOT EXISTS ltree" &&
           psql_run -d "$DB" -f "$FIXTURE"; } >"$TMPDIR_PG/load.log" 2>&1; then
        cat "$TMPDIR_PG/load.log" >&2
        cleanup_stale
        die "loading the fixture failed"
    fi
    log "started on port $PORT (data $DATA_DIR)"
}

cmd_stop() {
    if read_state; then
        cleanup_stale
        log "stopped"
    else
        log "not running (no state file $STATE)"
    fi
}

cmd_status() {
    if is_running; then
        echo "running: port ${STATE_PORT:-$PORT}, data $DATA_DIR, url $(url "${STATE_PORT:-$PORT}")"
        return 0
    fi
    if [ -f "$STATE" ]; then echo "not running (stale state file $STATE)"; else echo "not running"; fi
    return 1
}

cmd_env() {
    local p="$PORT"
    if read_state && [ -n "${STATE_PORT:-}" ]; then p="$STATE_PORT"; fi
    echo "export FQB_PG_URL=$(url "$p")"
}

case "${1:-}" in
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    env) cmd_env ;;
    *) echo "usage: $0 start|stop|status|env" >&2; exit 2 ;;
esac
