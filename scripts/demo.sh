#!/usr/bin/env bash
# The main job: installs what is needed, builds swiscsi, and walks through Red Hat's "Configuring
# iSCSI Offload and Interface Binding" on a temporary record database: list ifaces (with offload
# HBA ports found in sysfs), create and bind software ifaces, run the binding preflight against
# a local tgtd target, discover its targets through the ifaces, list and show the node records
# bound to each iface, change settings, unbind.
# Nothing outside a temporary directory is written; tgtd is stopped again by its pid.
#   usage: scripts/demo.sh   (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bash scripts/install-deps.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
adm=$repo/build/cli/swiscsiadm

work=$(mktemp -d /tmp/swiscsi-demo.XXXXXX)
tgtd_pid=
cleanup() {
  if [ -n "$tgtd_pid" ]; then
    tgtadm -C "$tgt_ctl" --op delete --mode system >/dev/null 2>&1 || true
    kill -KILL "$tgtd_pid" 2>/dev/null || true
    wait "$tgtd_pid" 2>/dev/null || true
  fi
  rm -rf "$work"
}
trap cleanup EXIT

export SWISCSI_DB=$work/db
export SWISCSI_INITIATORNAME_FILE=$work/initiatorname.iscsi
export SWISCSI_CONF=$work/iscsid.conf   # absent: open-iscsi's built-in defaults
echo "InitiatorName=iqn.2026-11.org.example.swiscsi:demo" > "$SWISCSI_INITIATORNAME_FILE"
# Offload HBAs are shown from the repository's fake /sys of a machine that has all of them
# (tests/fixtures/sysfs/mixed), read only.
export SWISCSI_SYSFS=$repo/tests/fixtures/sysfs/mixed

# step CMD...: a step that must succeed; expect N CMD...: one that must exit N. Any other exit
# is reported and makes the demo exit 1 at the end.
unexpected=0
expect() {
  local want=$1; shift
  printf '\n\033[1m$ %s\033[0m\n' "$*"
  local rc=0
  "$@" || rc=$?
  if [ "$rc" != "$want" ]; then
    echo "UNEXPECTED: exit $rc, this step should exit $want"; unexpected=1
  elif [ "$rc" != 0 ]; then
    echo "(exit $rc, as expected)"
  fi
}
step() { expect 0 "$@"; }

# A local tgtd target on loopback: the portal the preflight checks.
tgt_ctl=$((20 + RANDOM % 200))
tgt_port=$((13000 + RANDOM % 2000))
tgtd -f -C "$tgt_ctl" --iscsi portal=127.0.0.1:$tgt_port >"$work/tgtd.log" 2>&1 &
tgtd_pid=$!
for _ in $(seq 100); do
  tgtadm -C "$tgt_ctl" --op show --mode system >/dev/null 2>&1 && break
  kill -0 "$tgtd_pid" 2>/dev/null || { cat "$work/tgtd.log"; exit 1; }
  sleep 0.05
done
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode target --tid 1 -T iqn.2026-11.org.example:demo
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --bstype null -b /dev/null
tgtadm -C "$tgt_ctl" --lld iscsi --op bind --mode target --tid 1 -I ALL
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode target --tid 2 -T iqn.2026-11.org.example:demo2
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode logicalunit --tid 2 --lun 1 --bstype null -b /dev/null
tgtadm -C "$tgt_ctl" --lld iscsi --op bind --mode target --tid 2 -I ALL
echo "tgtd (pid $tgtd_pid) serves iqn.2026-11.org.example:demo and :demo2 on 127.0.0.1:$tgt_port"

echo; echo "== 11.1 Viewing available iface configurations (offload ports come from sysfs)"
step "$adm" -m iface
step "$adm" -m iface -I cxgb3i.00:00:5e:00:53:31

echo; echo "== 11.2 Configuring an iface for software iSCSI, bound to a NIC"
step "$adm" -m iface -I iface0 -o new
step "$adm" -m iface -I iface0 -o update -n iface.net_ifacename -v lo
step "$adm" -m iface -I iface1 -o new -n iface.initiatorname -v iqn.2026-11.org.example.swiscsi:iface1
echo; echo "== Preflight: the chapter's 'ping -I ethX target_IP', through the iface's binding"
step "$adm" -m iface -I iface0 -C ping -a 127.0.0.1 -c 3

echo; echo "== 11.3 Configuring an iface for iSCSI offload (the chapter's cxgb3i example)"
step "$adm" -m iface -I cxgb3i.00:00:5e:00:53:31 -o update -n iface.ipaddress -v 192.0.2.66
echo "(be2iscsi and qla4xxx ports take their addresses from the adapter's firmware: refused, 7)"
expect 7 "$adm" -m iface -I be2iscsi.00:00:5e:00:53:b1.ipv4.0 -o update -n iface.ipaddress -v 192.0.2.67

echo; echo "== Values are validated; nothing half-written (an invalid MAC exits 7)"
expect 7 "$adm" -m iface -I iface0 -o update -n iface.hwaddress -v 00:11:22:33:44
step "$adm" -m iface

echo; echo "== 11.4 Binding/unbinding an iface to a portal: discovery through each iface"
step "$adm" -m discovery -t st -p 127.0.0.1:$tgt_port -I iface0 -I iface1 -P 1
step "$adm" -m node
step "$adm" -m iface -P 1
step "$adm" -m node -T iqn.2026-11.org.example:demo -p 127.0.0.1:$tgt_port -I iface0 -o show
step "$adm" -m node -T iqn.2026-11.org.example:demo -I iface0 -o update -n node.startup -v automatic
step "$adm" -m discovery -t st -p 127.0.0.1:$tgt_port -I iface0
echo "(re-discovery kept node.startup:)"
"$adm" -m node -T iqn.2026-11.org.example:demo -I iface0 -o show | grep node.startup
step "$adm" -m discovery -P 1

echo; echo "== Unbinding: one target from one iface, then everything of an iface"
step "$adm" -m node -T iqn.2026-11.org.example:demo2 -I iface0 -o delete
step "$adm" -m node -P 1
step "$adm" -m iface -I iface1 -o delete
step "$adm" -m node -P 1
step "$adm" -m iface
echo; echo "Record files written (open-iscsi's format and layout):"
(cd "$SWISCSI_DB" && find . -path ./.swiscsi.lock -prune -o -print | sort)
exit $unexpected
