#!/usr/bin/env bash
# `make demo`: the master on SQLite with a simulated district feeding it live, and the
# browser UI on http://127.0.0.1:8080/. Ctrl-C stops both.
#
# The district is scenarios/topologies/demo-district.yaml (3 stations, 24 concentrators,
# about 3,200 meters of four vendors, a few faults); its base information gets communities
# and buildings here. Every run starts from a fresh database in build/demo/ (the
# administrator's password is new each time, and printed below).
#
# Environment: DEMO_LISTEN (the UI's HOST:PORT, default 127.0.0.1:8080; 0.0.0.0:8080 to reach
# it from other machines), DEMO_GATEWAY_PORT (9000), DEMO_CONTROL_PORT (the simulator's
# control API, 8070), BUILD (the build folder, build), DEMO_DIR (its files, BUILD/demo).
set -euo pipefail
cd "$(dirname "$0")/.."
build=$(realpath -m "${BUILD:-build}")
listen=${DEMO_LISTEN:-127.0.0.1:8080}
gateway_port=${DEMO_GATEWAY_PORT:-9000}
control_port=${DEMO_CONTROL_PORT:-8070}
topology=scenarios/topologies/demo-district.yaml
heatlink="$build/bin/heatlink"
dir=$(realpath -m "${DEMO_DIR:-$build/demo}")
if [ ! -x "$heatlink" ]; then
  echo "demo: $heatlink is missing: build first (make demo does)" >&2
  exit 1
fi

rm -rf "$dir" && mkdir -p "$dir"
# The meters' clocks start now, in the heat company's time (UTC+8).
sed "s/^start: .*/start: \"$(TZ=Asia/Shanghai date +%Y-%m-%dT%H:%M:%S)\"/" "$topology" \
  >"$dir/district-topology.yaml"
topology="$dir/district-topology.yaml"
"$heatlink" sim --topology "$topology" --write-base-information "$dir/district.yaml" >/dev/null

# Communities per station (each station's concentrators in turn), buildings of 24 meters.
awk '
  BEGIN {
    names[1] = "幸福家园,阳光小区,锦绣花园"
    names[2] = "金色港湾,翠湖苑,明珠小区"
    names[3] = "科技新城,滨河湾"
  }
  /^  - name: / { station++; concentrator = 0; print; next }
  /^      - name: / { concentrator++; print; next }
  /^        dtu: / {
    n = split(names[station], list, ","); community = list[(concentrator - 1) % n + 1]
    print; print "        community: " community; next
  }
  /^          - \{/ {
    meters[community]++
    building = int((meters[community] - 1) / 24) + 1
    sub(/\}$/, ", building: \"" building "号楼\"}"); print; next
  }
  { print }
' "$dir/district.yaml" >"$dir/base.yaml"

{
  echo "listen: 127.0.0.1:$gateway_port"
  echo "models:"
  echo "  - {name: MD-109G, convention: id_on_connect, heartbeat_s: 60, latency_ms: 2000}"
  echo "dtus:"
  sed -n 's/^        dtu: "\(.*\)"$/  - {id: "\1", model: MD-109G}/p' "$dir/district.yaml"
} >"$dir/gateway.yaml"

cat >"$dir/master.yaml" <<YAML
name: demo
database: sqlite:$dir/demo.db
gateway: gateway.yaml
base_information: base.yaml
api: {listen: "$listen"}
schedules:
  - {name: quarter-hourly, every_s: 900}
  - {name: settlement, daily_at: "00:00", settlement: true}
YAML

pids=()
stop() {
  trap - INT TERM
  echo
  echo "demo: stopping"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  echo "demo: stopped (the database stays in $dir/demo.db)"
}
trap stop INT TERM

"$heatlink" master --config "$dir/master.yaml" >"$dir/cycles.jsonl" 2>"$dir/master.log" &
pids+=($!)
password=""
for _ in $(seq 300); do
  password=$(sed -n 's/.*sign in as admin with the password \([^ ]*\) .*/\1/p' "$dir/master.log")
  [ -n "$password" ] && grep -q "browser UI on\|web API on" "$dir/master.log" && break
  if ! kill -0 "${pids[0]}" 2>/dev/null; then
    cat "$dir/master.log" >&2
    echo "demo: the master did not start" >&2
    exit 1
  fi
  sleep 0.2
done
"$heatlink" sim --topology "$topology" --server "127.0.0.1:$gateway_port" \
  --control "127.0.0.1:$control_port" >"$dir/sim.log" 2>&1 &
pids+=($!)

host=${listen%:*}
[ "$host" = "0.0.0.0" ] && host=127.0.0.1
grep -q "no browser UI" "$dir/master.log" && grep "no browser UI" "$dir/master.log" >&2
cat <<TEXT

  HeatLink demo: $(grep -c '{channel' "$dir/base.yaml") simulated meters behind 24 concentrators

  open      http://$host:${listen##*:}/
  sign in   admin / $password

  The first readings arrive within a minute; the master reads every 15 minutes.
  Logs: $dir/master.log, $dir/sim.log; the simulator's control API on 127.0.0.1:$control_port.
  Ctrl-C stops the master and the simulator.

TEXT
wait "${pids[@]}"
