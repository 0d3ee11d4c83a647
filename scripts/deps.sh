#!/usr/bin/env bash
# Installs the Debian packages listed in scripts/debian-packages.txt.
# As root it runs apt-get; otherwise it prints the exact command to run.
set -euo pipefail
cd "$(dirname "$0")"
mapfile -t packages < <(grep -v '^\s*#' debian-packages.txt | grep -v '^\s*$')
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# The browser UI builds with Vite 8, which needs Node.js 20.19 or later (Debian 12's own nodejs
# is 18: take NodeSource's nodejs 20 or 22 package, as this machine has).
node_ok() {
  command -v node >/dev/null && node -e '
    const [major, minor] = process.versions.node.split(".").map(Number)
    process.exit(major > 20 || (major === 20 && minor >= 19) ? 0 : 1)'
}
if [ ${#missing[@]} -eq 0 ]; then
  node_ok || { echo "HeatLink's browser UI needs Node.js 20.19 or later (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "HeatLink needs these Debian packages; run:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "installing: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
node_ok || { echo "HeatLink's browser UI needs Node.js 20.19 or later (found: $(node --version 2>/dev/null || echo none))" >&2; exit 1; }
