#!/usr/bin/env bash
# Installs the Debian packages the test suite drives for real, when they are absent.
# Idempotent and quiet when everything is there already.
set -euo pipefail
need=()
have() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
for pkg in $(grep -v '^#' "$(dirname "$0")/system-packages.txt"); do
  have "$pkg" || need+=("$pkg")
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
