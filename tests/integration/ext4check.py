"""ext4 on a LUN, for the tests that put a filesystem on one (lunfs and the sessions' end to
end): 64 MiB of random files written and their checksums kept, checked again later, each
mount in a private mount namespace of its own."""
import subprocess


def in_own_mount_namespace(script, *args):
    """Runs a shell script in a private mount namespace: on this machine / is a private mount,
    so any `ip netns exec` elsewhere copies every mount it sees and would hold our ext4 mounted
    (unflushed) after our umount. In a namespace of our own, nobody else sees the mount, and it
    goes when the script ends, whatever happens."""
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-ec", script, "sh",
                        *map(str, args)], capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{script}: {r.stdout} {r.stderr}"
    return r.stdout


def run(*args):
    r = subprocess.run(args, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, f"{args}: {r.stdout} {r.stderr}"
    return r


WRITE = """mount "$1" "$2"
for i in $(seq 1 16); do head -c 4194304 /dev/urandom > "$2/f$i"; done
(cd "$2" && sha256sum f*) > "$3"
umount "$2"
"""
CHECK = """mount -o ro "$1" "$2"
(cd "$2" && sha256sum -c --quiet "$3")
umount "$2"
"""
