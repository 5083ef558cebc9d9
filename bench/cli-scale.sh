#!/usr/bin/env bash
# How swiscsiadm's node and iface operations scale with the database (1, 1,000, 5,000 and 50,000
# node records, 1,000 ifaces), beside open-iscsi's iscsiadm on the same records; prints one
# table. See bench/cli_scale.py for the method. Needs root (iscsiadm runs in a private mount
# namespace over scratch /etc/iscsi, /run/lock and /sys, never the machine's).
#   usage: bench/cli-scale.sh [--sizes 1,1000,5000,50000] [--reps N] [--limit SECONDS]
#                             [--save bench/results/FILE.md]
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh >/dev/null
[ -f build-dev/build.ninja ] || meson setup build-dev >/dev/null
nice ninja -C build-dev cli/swiscsiadm >/dev/null
# Debian's python3 (install-deps: python3-pytest): the script borrows the round-trip tests'
# namespace helper, which imports pytest
exec /usr/bin/python3 bench/cli_scale.py --build build-dev "$@"
