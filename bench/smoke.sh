#!/usr/bin/env bash
# Every benchmark command of the README, at a tiny size, on SQLite and on PostgreSQL, so a broken bench
# fails CI. Usage: bash bench/smoke.sh  (from the repository root, after `pip install -e ".[dev]"`).
# PostgreSQL: a scratch database LOA_BENCH_DB (default loa_bench) on PGHOST/PGPORT/PGUSER
# (default 127.0.0.1:5432, postgres) is dropped and re-created before each command.
set -euo pipefail
cd "$(dirname "$0")/.."
PY="${PY:-.venv/bin/python}"
PGHOST="${PGHOST:-127.0.0.1}" PGPORT="${PGPORT:-5432}" PGUSER="${PGUSER:-postgres}"
DB="${LOA_BENCH_DB:-loa_bench}"
PG_URL="postgresql+asyncpg://${PGUSER}@${PGHOST}:${PGPORT}/${DB}"
TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

fresh_pg() {
  dropdb -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" --if-exists "$DB"
  createdb -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" "$DB"
}

run() {  # run NAME ARGS... : one bench; its JSON goes to $TMP/NAME.json, a failure stops the script
  local name="$1"; shift
  echo "== bench: $name"
  if ! timeout 600 "$PY" -m "$@" >"$TMP/$name.json" 2>"$TMP/$name.err"; then
    cat "$TMP/$name.err" >&2
    echo "FAIL: bench $name" >&2
    exit 1
  fi
  "$PY" -c "import json,sys; json.load(open(sys.argv[1]))" "$TMP/$name.json"
}

for backend in sqlite postgresql; do
  if [ "$backend" = sqlite ]; then
    url_args=()
    dir_args=(--database-url "sqlite+aiosqlite:///$TMP/directory.db")
  else
    url_args=(--database-url "$PG_URL")
    dir_args=(--database-url "$PG_URL" --reset)
  fi
  [ "$backend" = postgresql ] && fresh_pg
  run "directory-$backend" bench.directory_bench --units 1100 --people 2000 "${dir_args[@]}"
  [ "$backend" = postgresql ] && fresh_pg
  run "delivery-$backend" bench.delivery_bench --rate-recipients 30 --paid-recipients 200 \
    --compare-recipients 100 --rss-recipients 200 "${url_args[@]}"
  [ "$backend" = postgresql ] && fresh_pg
  run "rollup-$backend" bench.reports_bench --units 300 --repeat 1 "${url_args[@]}"
  [ "$backend" = postgresql ] && fresh_pg
  run "burst-$backend" bench.reports_bench --burst 20 "${url_args[@]}"
  [ "$backend" = postgresql ] && fresh_pg
  run "search-$backend" bench.search_bench --documents 300 --rounds 2 "${url_args[@]}"
done
[ -n "${KEEP_BENCH_DB:-}" ] || dropdb -h "$PGHOST" -p "$PGPORT" -U "$PGUSER" --if-exists "$DB"
echo "== benchmarks smoke green"
