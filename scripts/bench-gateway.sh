#!/usr/bin/env bash
# One `heatlink gateway` process holding N simulated DTU connections (default 10,000) on
# loopback, with heartbeats flowing: resident memory per connection and CPU at idle
# (docs/BENCHMARKS.md). The DTUs are `heatlink sim` MD-109Gs, a third of each convention.
# With STRANGERS=M, M connections that never register are held open (each one the gateway
# closes is opened again) from before the DTUs connect to the end: the DTUs must still all
# register.
# Usage: scripts/bench-gateway.sh [N] ; env: PORT (47998), IDLE_SECONDS (60), HEARTBEAT_S (60),
# STRANGERS (0)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PORT=${PORT:-47998}
IDLE_SECONDS=${IDLE_SECONDS:-60}
HEARTBEAT_S=${HEARTBEAT_S:-60}
STRANGERS=${STRANGERS:-0}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( N + STRANGERS + 100 )) ]; then
  echo "open-file limit $(ulimit -n) is too low for $N DTUs" >&2
  exit 1
fi

python3 - "$N" "$HEARTBEAT_S" "$work" <<'PY'
import sys
n, heartbeat, work = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
conventions = ["id_on_connect", "id_prefixed", "ddp"]
with open(f"{work}/district.yaml", "w") as f:
    print("stations:\n  - concentrators:", file=f)
    for i in range(n):
        c = conventions[i % 3]
        print(f'      - {{name: c{i}, dtu: {{id: "{13800000000 + i}", convention: {c}, '
              f'heartbeat_s: {heartbeat}, link: good}}, channels: []}}', file=f)
with open(f"{work}/gateway.yaml", "w") as f:
    print(f"max_connections: {n + 100}\nmax_unregistered: {n}\nregistration_timeout_s: 120", file=f)
    print("models:", file=f)
    for c in conventions:
        print(f"  - {{name: {c}, convention: {c}, heartbeat_s: {heartbeat}}}", file=f)
    print("dtus:", file=f)
    for i in range(n):
        print(f'  - {{id: "{13800000000 + i}", model: {conventions[i % 3]}}}', file=f)
PY

build/bin/heatlink gateway --config "$work/gateway.yaml" --listen "127.0.0.1:$PORT" \
  --status-every 1 > "$work/status.log" 2> "$work/gateway.log" &
gateway=$!
sleep 2
rss() { awk '/VmRSS/ {print $2}' "/proc/$gateway/status"; }
rss0_kb=$(rss)

if [ "$STRANGERS" -gt 0 ]; then
  python3 - "$STRANGERS" "$PORT" > "$work/strangers.log" <<'PY' &
import selectors, socket, sys
n, port = int(sys.argv[1]), int(sys.argv[2])
watch, reopened = selectors.DefaultSelector(), 0
def open_one():
    watch.register(socket.create_connection(("127.0.0.1", port)), selectors.EVENT_READ)
for _ in range(n):
    open_one()
print("holding", n, flush=True)
while True:
    for key, _ in watch.select(1.0):
        try:
            data = key.fileobj.recv(64)
        except OSError:
            data = b""
        if not data:
            watch.unregister(key.fileobj)
            key.fileobj.close()
            open_one()
            reopened += 1
            if reopened % 1000 == 0:
                print("reopened", reopened, flush=True)
PY
  until grep -q holding "$work/strangers.log" 2>/dev/null; do sleep 0.2; done
fi
build/bin/heatlink sim --topology "$work/district.yaml" --server "127.0.0.1:$PORT" \
  --pace realtime 2> "$work/sim.log" &
online() { tail -1 "$work/status.log" | sed -E 's/.*"online":([0-9]+).*/\1/'; }
start=$(date +%s)
until [ "$(online)" = "$N" ]; do
  sleep 1
  if [ $(( $(date +%s) - start )) -gt 300 ]; then echo "not all online: $(tail -1 "$work/status.log")" >&2; exit 1; fi
done
registered=$(( $(date +%s) - start ))
ticks() { awk '{print $14 + $15}' "/proc/$gateway/stat"; }
t0=$(ticks)
sleep "$IDLE_SECONDS"
t1=$(ticks)
rss1_kb=$(rss)
hz=$(getconf CLK_TCK)
echo "dtus=$N strangers=$STRANGERS reopened=$(grep -c reopened "$work/strangers.log" 2>/dev/null || true)k online_after_s=$registered gateway_rss_mib=$(( rss1_kb / 1024 ))" \
     "bytes_per_connection=$(( (rss1_kb - rss0_kb) * 1024 / N ))" \
     "cpu_percent_idle=$(awk -v d=$(( t1 - t0 )) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", 100 * d / hz / s}')" \
     "final=$(tail -1 "$work/status.log")"
