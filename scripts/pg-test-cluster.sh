#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the storage tests.
#   scripts/pg-test-cluster.sh start DIR   - creates and starts it; prints a connection URI
#   scripts/pg-test-cluster.sh stop DIR    - stops it and removes DIR
#   scripts/pg-test-cluster.sh halt DIR    - stops the server, keeping its data (an outage)
#   scripts/pg-test-cluster.sh resume DIR  - starts a halted server again
# It listens on a Unix socket in DIR only (no TCP port). As root it runs as the `postgres`
# user, which PostgreSQL's Debian package creates; initdb refuses to run as root. Tests run
# with fsync off; PG_FSYNC=on gives a durable server (benchmarks).
set -euo pipefail
command=${1:?start or stop}
dir=${2:?a directory}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$bin" ]; then
  echo "pg-test-cluster: PostgreSQL is not installed (make deps installs it)" >&2
  exit 1
fi
as_owner=()
if [ "$(id -u)" = 0 ]; then as_owner=(runuser -u postgres --); fi
port=54329
case "$command" in
  start)
    rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres "$dir"; fi
    "${as_owner[@]}" "$bin/initdb" -D "$dir/data" -A trust -U heatlink -E UTF8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -p $port -c listen_addresses='' -c fsync=${PG_FSYNC:-off}" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    "${as_owner[@]}" "$bin/createdb" -h "$dir" -p "$port" -U heatlink heatlink_test
    echo "postgresql://heatlink@/heatlink_test?host=$dir&port=$port"
    ;;
  halt)
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  resume)
    "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
      -o "-k $dir -p $port -c listen_addresses='' -c fsync=${PG_FSYNC:-off}" start >/dev/null ||
      { cat "$dir/server.log" >&2; exit 1; }
    ;;
  stop)
    if [ -d "$dir/data" ]; then
      "${as_owner[@]}" "$bin/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "pg-test-cluster: start, stop, halt or resume, not '$command'" >&2
    exit 2
    ;;
esac
