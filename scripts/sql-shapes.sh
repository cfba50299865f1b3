#!/usr/bin/env bash
# Measures the SQL shapes considered for relations (docs/sql-shapes.md) on the fixture scaled
# to 100,000 posts and 1,000,000 comments (tests/bench/sql-shapes/scale.sql).
#
#   scripts/sql-shapes.sh [ROUNDS]     (default 3 rounds of 6 executions per query and shape)
#
# For each request in tests/bench/sql-shapes/queries (<request>.<shape>.sql prepares `q`,
# <request>.args executes it), it first checks that every shape returns the same rows (md5 of
# the result), then runs `EXPLAIN (ANALYZE, BUFFERS) EXECUTE` ROUNDS x 6 times per shape,
# the shapes interleaved round by round, and prints the median execution time and the shared
# buffers of the last run. The last plan of each pair is kept in $FQB_SHAPES_OUT (default
# /tmp/fqb-sql-shapes). Not part of `make test`: the load takes under a minute.
#
# FQB_SHAPES_DIR picks another set of requests: tests/bench/sql-shapes/pagination measures
# how keyset pages count their rows (docs/sql-shapes.md, "Pagination").
#
# Env: FQB_SHAPES_PG_PORT (default 54335), FQB_SHAPES_PG_STATE (default
# /tmp/fqb-pg-shapes.state): the server this script starts with scripts/pg.sh (and stops at
# the end unless it was already running); FQB_SHAPES_RELOAD=1 reloads the data.
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS="${1:-3}"
RUNS=6
export FQB_PG_PORT="${FQB_SHAPES_PG_PORT:-54335}"
export FQB_PG_STATE="${FQB_SHAPES_PG_STATE:-/tmp/fqb-pg-shapes.state}"
OUT="${FQB_SHAPES_OUT:-/tmp/fqb-sql-shapes}"
DIR="${FQB_SHAPES_DIR:-tests/bench/sql-shapes/queries}"
mkdir -p "$OUT"

started=0
if ! scripts/pg.sh status >/dev/null 2>&1 || scripts/pg.sh status | grep -q '^not running'; then
    scripts/pg.sh start
    started=1
fi
[ "$started" = 1 ] && trap 'scripts/pg.sh stop' EXIT
eval "$(scripts/pg.sh env)"
BASE="${FQB_PG_URL%/*}"
DB="$BASE/fqb_shapes"
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

if [ "$(psql -At "$BASE/postgres" -c "SELECT count(*) FROM pg_database WHERE datname = 'fqb_shapes'")" = 0 ]; then
    psql "$BASE/postgres" -c 'CREATE DATABASE fqb_shapes'
    FQB_SHAPES_RELOAD=1
fi
if [ "${FQB_SHAPES_RELOAD:-0}" = 1 ]; then
    echo "loading tests/bench/sql-shapes/scale.sql (under a minute)" >&2
    psql "$DB" -f tests/bench/sql-shapes/scale.sql
fi
echo "-- PostgreSQL $(psql -At "$DB" -c 'SHOW server_version'), shared_buffers $(psql -At "$DB" -c 'SHOW shared_buffers'); $(psql -At "$DB" -c "SELECT format('%s posts, %s comments, %s users', (SELECT count(*) FROM posts), (SELECT count(*) FROM comments), (SELECT count(*) FROM users))")"

shapes() { ls "$DIR"/"$1".*.sql | sed 's|.*/[^.]*\.\([^.]*\)\.sql|\1|'; }

# One session: prepare, then RUNS explained executions, each after a `==run` line; prints the
# execution time of each run in ms, and keeps the last run's plan.
measure() { # request shape
    local exec
    exec="$(sed 's/;$//' "$DIR/$1.args")"
    {
        cat "$DIR/$1.$2.sql"
        for _ in $(seq "$RUNS"); do echo '\echo ==run'; echo "EXPLAIN (ANALYZE, BUFFERS) $exec;"; done
    } | psql -At "$DB" >"$OUT/$1.$2.runs"
    awk '/^==run$/ {n++; next} n == '"$RUNS"'' "$OUT/$1.$2.runs" >"$OUT/$1.$2.plan"
    awk '/^Execution Time:/ {print $3}' "$OUT/$1.$2.runs"
}

printf '%-9s %-8s %10s  %s\n' request shape "median ms" "buffers (top node, last run)"
for req in $(ls "$DIR"/*.args | sed 's|.*/||; s|\.args$||'); do
    # Same rows from every shape, or the comparison means nothing.
    sums=""
    for s in $(shapes "$req"); do
        sum="$({ cat "$DIR/$req.$s.sql"
                 echo "CREATE TEMP TABLE r AS $(sed 's/;$//' "$DIR/$req.args");"
                 echo "SELECT md5(string_agg(data::text, chr(10))) || ' ' || count(*) FROM r;"; } | psql -At "$DB")"
        sums="$sums$sum"$'\n'
    done
    [ "$(printf '%s' "$sums" | sort -u | wc -l)" = 1 ] || { echo "$req: the shapes disagree:"; printf '%s' "$sums"; exit 1; }
    declare -A times=()
    for _ in $(seq "$ROUNDS"); do
        for s in $(shapes "$req"); do
            # The first two executions of a session warm its caches; keep the rest.
            times[$s]+="$(measure "$req" "$s" | tail -n +3) "
        done
    done
    for s in $(shapes "$req"); do
        med="$(printf '%s\n' ${times[$s]} | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')"
        buf="$(grep -m1 'Buffers: shared' "$OUT/$req.$s.plan" | sed 's/^ *Buffers: //')"
        printf '%-9s %-8s %10s  %s\n' "$req" "$s" "$med" "$buf"
    done
    unset times
done
echo "-- plans: $OUT/<request>.<shape>.plan"
