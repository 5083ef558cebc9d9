#!/usr/bin/env bash
# Side-by-side benchmark of swiscsi against libiscsi (iscsi-perf) and fio's libiscsi engine on one
# local tgtd; prints one table. See bench/compare.py for the method.
#   usage: bench/compare.sh [--seconds N] [--runs N] [--save bench/results/FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
export DEBIAN_FRONTEND=noninteractive
for p in libiscsi-bin iperf3; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || apt-get install -y -qq "$p" >/dev/null
done
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
exec python3 bench/compare.py "$@"
