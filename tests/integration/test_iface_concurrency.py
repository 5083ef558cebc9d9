"""Concurrent swiscsiadm writers never lose an update nor leave a torn record."""
import subprocess

from conftest import SWISCSIADM

KEYS = [("iface.mtu", "1500"), ("iface.vlan_id", "10"), ("iface.vlan_priority", "3"),
        ("iface.port", "3260"), ("iface.tos", "8"), ("iface.ttl", "64"), ("iface.tcp_wsf", "7"),
        ("iface.tcp_timer_scale", "2"), ("iface.def_task_mgmt_timeout", "30"), ("iface.erl", "1"),
        ("iface.max_receive_data_len", "262144"), ("iface.first_burst_len", "65536"),
        ("iface.max_outstanding_r2t", "4"), ("iface.max_burst_len", "1048576"),
        ("iface.initiatorname", "iqn.2026-11.test:conc"), ("iface.state", "enable"),
        ("iface.delayed_ack", "disable"), ("iface.tcp_nagle", "enable"),
        ("iface.gateway", "192.0.2.1"), ("iface.subnet_mask", "255.255.255.0")]


def spawn(adm, *args):
    return subprocess.Popen([str(SWISCSIADM), *args], env=adm.env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finish(procs):
    return [(p.wait(timeout=60), *p.communicate()) for p in procs]


def test_parallel_updates_all_land(adm):
    assert adm.run("-m", "iface", "-I", "busy", "-o", "new").rc == 0
    writers = [spawn(adm, "-m", "iface", "-I", "busy", "-o", "update", "-n", k, "-v", v)
               for k, v in KEYS]
    # readers run while the writers do: every read must see a whole record
    readers = [spawn(adm, "-m", "iface", "-I", "busy") for _ in range(20)]
    for rc, out, err in finish(writers):
        assert rc == 0, err
    for rc, out, err in finish(readers):
        assert rc == 0, err
        assert out.startswith("# BEGIN RECORD") and out.endswith("# END RECORD\n")
    r = adm.run("-m", "iface", "-I", "busy")
    shown = dict(line.split(" = ", 1) for line in r.out.splitlines() if " = " in line)
    for k, v in KEYS:
        assert shown[k] == v, k
    leftovers = [p.name for p in (adm.db / "ifaces").iterdir() if p.name != "busy"]
    assert leftovers == [], "no temp files may remain"


def test_parallel_new_of_one_name_has_one_winner(adm):
    procs = [spawn(adm, "-m", "iface", "-I", "race", "-o", "new", "-n", "iface.mtu", "-v", str(1000 + i))
             for i in range(12)]
    results = finish(procs)
    winners = [r for r in results if r[0] == 0]
    assert len(winners) == 1
    assert all(r[0] == 7 and "already exists" in r[2] for r in results if r[0] != 0)


def test_parallel_new_of_many_names(adm):
    procs = [spawn(adm, "-m", "iface", "-I", f"if{i:02d}", "-o", "new") for i in range(16)]
    assert all(r[0] == 0 for r in finish(procs))
    names = [line.split(" ")[0] for line in adm.run("-m", "iface").out.splitlines()]
    assert names == ["default", "iser"] + [f"if{i:02d}" for i in range(16)]
