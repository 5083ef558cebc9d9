#!/usr/bin/env bash
# The main job: installs what is needed, builds swiscsi, and walks through Red Hat's "Configuring
# iSCSI Offload and Interface Binding" on a temporary record database: list ifaces (with offload
# HBA ports found in sysfs), create and bind software ifaces, run the binding preflight against
# a local tgtd target, discover its targets through the ifaces, list and show the node records
# bound to each iface, change settings, unbind. Then the chapter's point: log in through the
# bound iface (swiscsiadm starts swiscsid), and put ext4 on the LUN's loop device.
# It ENDS with that filesystem mounted at /tmp/swiscsi-demo/mnt, swiscsid and tgtd running;
# /tmp/swiscsi-demo/undo.sh takes it all down (the next run of the demo does so first).
# Nothing outside /tmp/swiscsi-demo is written (a failed run removes it all again).
#   usage: scripts/demo.sh   (as root on Debian 12)
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD

bash scripts/install-deps.sh >/dev/null
[ -f build/build.ninja ] || meson setup build >/dev/null
ninja -C build >/dev/null
adm=$repo/build/cli/swiscsiadm

# A known place, so that what the demo leaves running can be found: the record database, the
# daemon's run directory (pid file, socket, LUN files under run/disks), the LUN's backing
# file, the mount point. A previous run is undone first.
work=/tmp/swiscsi-demo
[ -x "$work/undo.sh" ] && "$work/undo.sh" >/dev/null 2>&1
rm -rf "$work"
mkdir -p "$work/mnt"
ok=0
cleanup() { [ "$ok" = 1 ] || "$work/undo.sh" >/dev/null 2>&1 || true; }
trap cleanup EXIT

export SWISCSI_RUNDIR=$work/run
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
# undo.sh: everything this demo starts or mounts, taken down in order, by pid and path
cat > "$work/undo.sh" <<UNDO
#!/bin/sh
# Undoes scripts/demo.sh: unmounts, logs out, stops swiscsid and tgtd, removes $work.
export SWISCSI_DB=$SWISCSI_DB SWISCSI_RUNDIR=$SWISCSI_RUNDIR SWISCSI_CONF=$SWISCSI_CONF
export SWISCSI_INITIATORNAME_FILE=$SWISCSI_INITIATORNAME_FILE
mountpoint -q $work/mnt && umount $work/mnt
if [ -f $work/run/swiscsid.pid ]; then
  $adm -m node -u >/dev/null 2>&1
  pid=\$(cat $work/run/swiscsid.pid); kill -TERM \$pid 2>/dev/null
  while kill -0 \$pid 2>/dev/null; do sleep 0.1; done
fi
if [ -f $work/tgtd.pid ]; then
  tgtadm -C $tgt_ctl --op delete --mode system >/dev/null 2>&1
  kill -KILL \$(cat $work/tgtd.pid) 2>/dev/null
fi
rm -rf $work
UNDO
chmod +x "$work/undo.sh"
truncate -s 128M "$work/lun1.img"
setsid tgtd -f -C "$tgt_ctl" --iscsi portal=127.0.0.1:$tgt_port >"$work/tgtd.log" 2>&1 &
tgtd_pid=$!
echo "$tgtd_pid" > "$work/tgtd.pid"
for _ in $(seq 100); do
  tgtadm -C "$tgt_ctl" --op show --mode system >/dev/null 2>&1 && break
  kill -0 "$tgtd_pid" 2>/dev/null || { cat "$work/tgtd.log"; exit 1; }
  sleep 0.05
done
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode target --tid 1 -T iqn.2026-11.org.example:demo
tgtadm -C "$tgt_ctl" --lld iscsi --op new --mode logicalunit --tid 1 --lun 1 --bstype rdwr -b "$work/lun1.img"
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

echo; echo "== Logging in through the bound iface: a session, and its LUN as a file and a block device"
echo "(swiscsid logs every node.startup = automatic record in when it starts; this one goes"
echo " back to manual so that the login below is the one you see)"
step "$adm" -m node -T iqn.2026-11.org.example:demo -I iface0 -o update -n node.startup -v manual
echo "(no daemon runs yet: swiscsiadm starts the swiscsid beside it, run directory $SWISCSI_RUNDIR)"
step "$adm" -m node -T iqn.2026-11.org.example:demo -p 127.0.0.1:$tgt_port -I iface0 -l
step "$adm" -m session -P 3
lun=$SWISCSI_RUNDIR/disks/by-iface/iface0/ip-127.0.0.1:$tgt_port-iscsi-iqn.2026-11.org.example:demo-lun-1
step ls -l "$lun" "$SWISCSI_RUNDIR/disks/by-path"
loop=$(losetup -n -O NAME -j "$lun")
echo "the LUN file's loop device: $loop"

echo; echo "== A filesystem on the LUN"
step mkfs.ext4 -q -F -L swiscsi-demo "$loop"
step mount "$loop" "$work/mnt"
step sh -c "echo 'written through swiscsi' > $work/mnt/hello.txt && sync"
step cat "$work/mnt/hello.txt"
step df -h "$work/mnt"

if [ "$unexpected" = 0 ]; then
  ok=1
  cat <<DONE

== Done. ext4 on the iSCSI LUN is mounted at $work/mnt (through $loop and $lun).
swiscsid (pid $(cat "$SWISCSI_RUNDIR/swiscsid.pid"), run directory $SWISCSI_RUNDIR) and tgtd
(pid $tgtd_pid) keep running. To use swiscsiadm on this demo, first:
  export SWISCSI_DB=$SWISCSI_DB SWISCSI_RUNDIR=$SWISCSI_RUNDIR
To undo it all:   $work/undo.sh
or step by step:  umount $work/mnt
                  $adm -m node -T iqn.2026-11.org.example:demo -I iface0 -u
                  kill \$(cat $SWISCSI_RUNDIR/swiscsid.pid)     # swiscsid stops, unmounting its disks
                  kill -KILL $tgtd_pid; rm -rf $work   # tgtd ignores SIGTERM
DONE
fi
exit $unexpected
