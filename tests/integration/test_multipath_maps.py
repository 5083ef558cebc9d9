"""swiscsid's multipath maps from real sessions: one tgtd LUN logged in through two ifaces is
one map with two paths, with the policy of its [target] section; a logout takes its path away;
-m session -P 3 names each LUN's map; -f drops the map."""
import subprocess

from test_multipath_tool import TOOL
from tgt import backing_file

IQN = "iqn.2026-12.test.mpath:disk"
MAP = "wwn-0x60000000000000000e00000000010001"   # tgtd's NAA 6 for tid 1, LUN 1


def ok(adm, *args):
    r = adm.run(*args, timeout=120)
    assert r.rc == 0, r
    return r


def multipath(adm, *args):
    return subprocess.run([str(TOOL), *args], env=adm.env, capture_output=True, text=True,
                          timeout=60)


def test_two_ifaces_one_map(adm, tgtd, swiscsid, tmp_path):
    tgtd.target(1, IQN, luns=[("rdwr", backing_file(tmp_path / "lun1", 16 << 20))])
    (adm.root / "swiscsid.conf").write_text(
        "[global]\nloop_devices = no\npath_selector = round-robin\n"
        f"[target {IQN}]\nno_path_retry = queue\n")
    swiscsid.start()
    for iface in ("nic1", "nic2"):     # two ifaces bound to the loopback device by name
        ok(adm, "-m", "iface", "-I", iface, "-o", "new", "-n", "iface.net_ifacename", "-v", "lo")
    ok(adm, "-m", "discovery", "-t", "st", "-p", tgtd.portal, "-I", "nic1", "-I", "nic2")
    ok(adm, "-m", "node", "-T", IQN, "-l")
    r = multipath(adm, "-ll")
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == f"{MAP} (3{MAP[6:]}) - IET,VIRTUAL-DISK", r.stdout
    assert lines[1:3] == ["size=16M features='1 queue_if_no_path' hwhandler='0' wp=rw",
                          "`-+- policy='round-robin 0' prio=1 status=active"], r.stdout
    paths = sorted(line.split()[2] for line in lines[3:])
    assert paths == ["nic1", "nic2"], r.stdout
    assert all(line.endswith(f" 127.0.0.1:{tgtd.port} active ready running")
               for line in lines[3:]), r.stdout
    out = ok(adm, "-m", "session", "-P", "3").out
    assert out.count(f"\t\t\tMultipath map: {MAP}\tPath: active ready running\n") == 2, out
    assert f"LUN 1 is path 2 of multipath map {MAP}" in swiscsid.text()

    # one path logs out: the map keeps the other
    ok(adm, "-m", "node", "-T", IQN, "-I", "nic2", "-u")
    lines = multipath(adm, "-ll", MAP).stdout.splitlines()
    assert len(lines) == 4 and lines[3].split()[2] == "nic1", lines
    # -f drops the map; the session and its file stay
    r = multipath(adm, "-f", f"3{MAP[6:]}")
    assert (r.returncode, r.stderr) == (0, ""), r
    assert multipath(adm, "-ll").stdout == ""
    r = multipath(adm, "-f", MAP)
    assert r.returncode == 1 and r.stderr == f"swiscsi-multipath: {MAP}: no such multipath map\n"
    assert "Multipath map" not in ok(adm, "-m", "session", "-P", "3").out
    assert len(ok(adm, "-m", "session").out.splitlines()) == 1
