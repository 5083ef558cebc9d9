#!/usr/bin/env bash
# The LUN as a disk: fio on swiscsi's LUN file and loop device vs qemu-storage-daemon's libiscsi
# driver + FUSE export on the same tgtd RAM LUN, swiscsi-bench as the ceiling. One table; see
# bench/compare_block.py for the method.
#   usage: bench/compare-block.sh [--seconds N] [--save bench/results/FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
export DEBIAN_FRONTEND=noninteractive
# the anchor only: not a build or test dependency, so not in scripts/install-deps.sh
for p in qemu-system-common qemu-block-extra fio tgt; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    apt-get install -y -qq --no-install-recommends "$p" >/dev/null
done
build=${SWISCSI_BUILD:-build}
[ -f "$build/build.ninja" ] || meson setup "$build" >/dev/null
ninja -C "$build" >/dev/null
case $build in /*) ;; *) build=$PWD/$build ;; esac
SWISCSI_BUILD=$build exec python3 bench/compare_block.py "$@"
