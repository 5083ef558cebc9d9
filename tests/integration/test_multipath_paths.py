"""A multipath map's paths on the wire: swiscsid in the host namespace of a NetLab (two NICs),
tgtd behind both, one iface bound to each NIC, discovery through both: one map with a path per
NIC; the NIC of one path goes down and that path alone turns "failed faulty running" in
swiscsi-multipath -ll and in -m session -P 3."""
import subprocess

from netlab import sh
from test_multipath_tool import TOOL
from test_sessions_binding import TARGET, adm, lab, run, two_ifaces  # noqa: F401 (fixtures)


def maps(adm):
    r = subprocess.run([*adm.lab.prefix, str(TOOL), "-ll"], env=adm.env, capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r
    return r.stdout.splitlines()


def path_states(lines):
    """iface -> the state words of its path line."""
    return {line.split()[2]: " ".join(line.split()[4:]) for line in lines[3:]}


def test_a_failed_nic_fails_its_path_only(adm, lab):
    two_ifaces(adm, lab)
    for key in ("node.conn[0].timeo.noop_out_interval", "node.conn[0].timeo.noop_out_timeout"):
        assert run(adm, "-m", "node", "-T", TARGET, "-I", "bymac", "-o", "update", "-n", key,
                   "-v", "1").rc == 0
    (adm.root / "swiscsid.conf").write_text("[global]\nloop_devices = no\n")
    adm.daemon.start()
    assert run(adm, "-m", "node", "-T", TARGET, "-l").rc == 0
    try:
        lines = maps(adm)
        assert lines[0].startswith("wwn-0x6") and " IET,VIRTUAL-DISK" in lines[0], lines
        assert path_states(lines) == {"byname": "active ready running",
                                      "bymac": "active ready running"}, lines
        sh("ip", "-n", lab.host, "link", "set", "h1", "down")
        adm.daemon.wait_log("failed:")
        lines = maps(adm)
        assert path_states(lines) == {"byname": "active ready running",
                                      "bymac": "failed faulty running"}, lines
        out = run(adm, "-m", "session", "-P", "3").out
        assert out.count("\tPath: failed faulty running\n") == 1, out
        assert out.count("\tPath: active ready running\n") == 1, out
    finally:
        sh("ip", "-n", lab.host, "link", "set", "h1", "up")
    assert run(adm, "-m", "node", "-T", TARGET, "-u").rc == 0
    assert maps(adm) == []
