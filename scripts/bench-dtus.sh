#!/usr/bin/env bash
# N simulated DTUs (default 10,000) connected to a local server from one `heatlink sim`
# process: memory and CPU at idle with heartbeats flowing (docs/BENCHMARKS.md).
# Usage: scripts/bench-dtus.sh [N] ; env: PORT (47999), IDLE_SECONDS (60), HEARTBEAT_S (60)
set -euo pipefail
cd "$(dirname "$0")/.."
N=${1:-10000}
PORT=${PORT:-47999}
IDLE_SECONDS=${IDLE_SECONDS:-60}
HEARTBEAT_S=${HEARTBEAT_S:-60}
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT
# One socket per DTU in each process: raise the descriptor limit as far as allowed.
ulimit -n "$(ulimit -Hn)"
if [ "$(ulimit -n)" != unlimited ] && [ "$(ulimit -n)" -lt $(( N + 100 )) ]; then
  echo "open-file limit $(ulimit -n) is too low for $N DTUs" >&2
  exit 1
fi

python3 - "$N" "$HEARTBEAT_S" > "$work/district.yaml" <<'PY'
import sys
n, heartbeat = int(sys.argv[1]), int(sys.argv[2])
print("stations:\n  - concentrators:")
for i in range(n):
    print(f'      - {{name: c{i}, dtu: {{id: "{13800000000 + i}", heartbeat_s: {heartbeat}, link: good}}, channels: []}}')
PY

# The server: accepts everything, counts registrations (the first 11 bytes) and heartbeats.
python3 - "$PORT" > "$work/server.log" 2>&1 <<'PY' &
import asyncio, sys, time
port = int(sys.argv[1]); stats = {"connections": 0, "registrations": 0, "bytes": 0}
async def handle(reader, writer):
    stats["connections"] += 1
    first = True
    while data := await reader.read(4096):
        stats["bytes"] += len(data)
        if first: stats["registrations"] += 1; first = False
async def report():
    while True:
        await asyncio.sleep(1); print(stats["connections"], stats["registrations"], stats["bytes"], flush=True)
async def main():
    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096)
    asyncio.create_task(report())
    async with server: await server.serve_forever()
asyncio.run(main())
PY
sleep 1

build/bin/heatlink sim --topology "$work/district.yaml" --server "127.0.0.1:$PORT" --pace realtime 2> "$work/sim.log" &
sim=$!
start=$(date +%s)
until [ "$(tail -1 "$work/server.log" 2>/dev/null | cut -d' ' -f2)" = "$N" ]; do
  sleep 1
  if [ $(( $(date +%s) - start )) -gt 180 ]; then echo "not all registered: $(tail -1 "$work/server.log")" >&2; exit 1; fi
done
registered=$(( $(date +%s) - start ))
ticks() { awk '{print $14 + $15}' "/proc/$sim/stat"; }
t0=$(ticks); b0=$(tail -1 "$work/server.log" | cut -d' ' -f3)
sleep "$IDLE_SECONDS"
t1=$(ticks); b1=$(tail -1 "$work/server.log" | cut -d' ' -f3)
rss_kb=$(awk '/VmRSS/ {print $2}' "/proc/$sim/status")
hz=$(getconf CLK_TCK)
echo "dtus=$N registered_after_s=$registered rss_mib=$(( rss_kb / 1024 )) bytes_per_dtu=$(( rss_kb * 1024 / N ))" \
     "cpu_percent_idle=$(awk -v d=$(( t1 - t0 )) -v hz="$hz" -v s="$IDLE_SECONDS" 'BEGIN {printf "%.2f", 100 * d / hz / s}')" \
     "heartbeat_bytes_per_s=$(( (b1 - b0) / IDLE_SECONDS ))"
