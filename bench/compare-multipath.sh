#!/usr/bin/env bash
# Multipath across two bound ifaces: fio on a map's by-id file with one path vs two (multibus,
# each selector), swiscsid's CPU per I/O, and what a NIC going down costs a 4 KiB QD8 reader.
# Printed, not a test; see bench/compare_multipath.py for the method.
#   usage: bench/compare-multipath.sh [--seconds N] [--failover-seconds N] [--save bench/results/FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
for p in fio tgt; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
build=${SWISCSI_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
case $build in /*) ;; *) build=$PWD/$build ;; esac
SWISCSI_BUILD=$build exec python3 bench/compare_multipath.py "$@"
