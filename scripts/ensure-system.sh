#!/usr/bin/env bash
# Installs the Debian packages of the named lists (scripts/packages/<list>.txt) when they are absent.
# The one install script: `make system` runs it with `runtime test`, the Dockerfile with `runtime`
# (and `office` with --build-arg WITH_LIBREOFFICE=true), so CI installs what the image installs.
# Idempotent and quiet when everything is there already.
#   usage: ensure-system.sh [LIST ...]     (default: runtime test)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
lists=("$@")
[ ${#lists[@]} -eq 0 ] && lists=(runtime test)
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for list in "${lists[@]}"; do
  file="$here/packages/$list.txt"
  if [ ! -f "$file" ]; then
    echo "unknown package list '$list' (have: $(cd "$here/packages" && ls *.txt | sed 's/\.txt$//' | tr '\n' ' '))" >&2
    exit 2
  fi
  for pkg in $(grep -v '^#' "$file"); do
    have "$pkg" || need+=("$pkg")
  done
done
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "missing system packages: ${need[*]} (run as root, or install them with apt-get)" >&2
  exit 1
fi
echo "installing system packages: ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
# Waits for another apt run (a parallel job, unattended upgrades) instead of failing on its lock.
apt_get() { apt-get -o DPkg::Lock::Timeout=900 "$@"; }
apt_get update -qq
apt_get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
