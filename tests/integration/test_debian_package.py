"""swiscsi installs like a Debian package: debian/ builds `swiscsi` and `libswiscsi-dev` with
dpkg-buildpackage (in a copy of the tree, the test suite not run again inside), and what they
install into a throw-away root works: the programs run, man finds the pages, the bash
completion offers the database's iface names, and a program builds against libswiscsi.pc."""
import os
import pathlib
import shutil
import subprocess

import pytest

from conftest import REPO, require

PACKAGES = ("swiscsi", "libswiscsi-dev")


def copy_tree(dst):
    """The source tree without build directories (anything meson set up) or git metadata;
    symlinks stay symlinks (the sysfs fixtures hold loops)."""
    def ignore(directory, names):
        d = pathlib.Path(directory)
        return [n for n in names
                if n == ".git" or (d / n / "meson-info").is_dir() or (d / n / "meson-private").is_dir()]
    shutil.copytree(REPO, dst, symlinks=True, ignore=ignore)


@pytest.fixture(scope="module")
def root(tmp_path_factory):
    """Builds the packages once and unpacks each into one root directory."""
    for t in ("dpkg-buildpackage", "dh", "fakeroot", "dpkg-deb", "man", "pkg-config", "cc"):
        require(shutil.which(t), f"{t} (Debian packages dpkg-dev, debhelper, fakeroot, man-db)")
    work = tmp_path_factory.mktemp("deb")
    src = work / "swiscsi"
    copy_tree(src)
    env = dict(os.environ, DEB_BUILD_OPTIONS="nocheck", LC_ALL="C")
    proc = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, env=env,
                          capture_output=True, text=True, timeout=1800)
    assert proc.returncode == 0, proc.stdout[-4000:] + proc.stderr[-4000:]
    debs = {p.name.split("_")[0]: p for p in work.glob("*.deb")}
    assert set(PACKAGES) <= set(debs), sorted(debs)
    out = work / "root"
    for name in PACKAGES:
        subprocess.run(["dpkg-deb", "-x", str(debs[name]), str(out)], check=True)
    yield out
    shutil.rmtree(work)


def run(*cmd, env=None, **kw):
    return subprocess.run(cmd, env=dict(os.environ, LC_ALL="C", **(env or {})),
                          capture_output=True, text=True, timeout=120, **kw)


def test_programs_run_from_the_installed_files(root):
    r = run(str(root / "usr/sbin/swiscsiadm"), "--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout, r
    r = run(str(root / "usr/sbin/swiscsid"), "--version")
    assert r.returncode == 0 and "0.1.0" in r.stdout, r
    # the daemon's units, its ExecStart pointing at the installed daemon
    service = (root / "lib/systemd/system/swiscsid.service").read_text()
    assert "ExecStart=/usr/sbin/swiscsid" in service, service
    assert (root / "lib/systemd/system/swiscsid.socket").is_file()
    for name in ("swiscsi-ls", "swiscsi-inq", "swiscsi-readcap", "swiscsi-cp", "swiscsi-bench"):
        r = run(str(root / "usr/bin" / name))
        assert r.returncode == 7 and r.stderr.startswith(f"usage: {name} "), (name, r)
    # multipath -ll's counterpart fails as multipath does on a bad command line (exit 1)
    r = run(str(root / "usr/sbin/swiscsi-multipath"))
    assert r.returncode == 1 and r.stderr.startswith("usage: swiscsi-multipath "), r


def test_man_finds_every_page(root):
    env = {"MANPATH": str(root / "usr/share/man")}
    for page, section in (("swiscsiadm", "8"), ("swiscsid", "8"), ("swiscsid.conf", "5"),
                          ("swiscsi-multipath", "8"),
                          ("swiscsi-ls", "1"), ("swiscsi-inq", "1"), ("swiscsi-readcap", "1"),
                          ("swiscsi-cp", "1"), ("swiscsi-bench", "1")):
        r = run("man", "-w", section, page, env=env)
        assert r.returncode == 0, (page, r)
        assert r.stdout.strip() == str(root / f"usr/share/man/man{section}/{page}.{section}.gz")


COMPLETE = r"""
source "$1"
complete -p swiscsiadm
COMP_WORDS=(swiscsiadm -m iface -I "")
COMP_CWORD=4
_swiscsiadm
printf '%s\n' "${COMPREPLY[@]}"
"""


def test_completion_offers_iface_names_from_the_database(root, tmp_path):
    db = tmp_path / "db"
    (db / "ifaces").mkdir(parents=True)
    for name in ("iface0", "cxgb3i.00:00:5e:00:53:31"):
        (db / "ifaces" / name).write_text("iface.iscsi_ifacename = x\n")
    script = root / "usr/share/bash-completion/completions/swiscsiadm"
    r = run("bash", "--norc", "-c", COMPLETE, "bash", str(script), env={"SWISCSI_DB": str(db)})
    assert r.returncode == 0, r
    lines = r.stdout.splitlines()
    assert lines[0] == "complete -F _swiscsiadm swiscsiadm"
    assert sorted(lines[1:]) == ["cxgb3i.00:00:5e:00:53:31", "default", "iface0", "iser"]


CONSUMER = r"""
#include <stdio.h>
#include <swiscsi/swiscsi.h>
int main(void)
{
	struct swi_url u;
	char err[256];
	if (swi_url_parse("iscsi://192.0.2.1:3261/iqn.2026-11.org.example:t/3", &u, err, sizeof(err)) < 0)
		return 1;
	printf("%s %d\n", u.target, u.lun);
	swi_url_free(&u);
	return 0;
}
"""


def test_a_program_builds_against_the_installed_library(root, tmp_path):
    pcdir = next((root / "usr/lib").glob("*/pkgconfig"))
    flags = run("pkg-config", f"--define-variable=prefix={root / 'usr'}", "--cflags", "--libs",
                "libswiscsi", env={"PKG_CONFIG_PATH": str(pcdir)})
    assert flags.returncode == 0, flags
    src = tmp_path / "consumer.c"
    src.write_text(CONSUMER)
    exe = tmp_path / "consumer"
    r = run("cc", "-o", str(exe), str(src), *flags.stdout.split())
    assert r.returncode == 0, r
    r = run(str(exe))
    assert (r.returncode, r.stdout) == (0, "iqn.2026-11.org.example:t 3\n"), r
