"""Builds small fake /sys trees of iSCSI hosts, laid out the way the kernel lays them out (class
entries are relative links into devices/...), so detection can be tested on hardware the
committed trees (tests/fixtures/sysfs/) do not model: other MACs, port counts and drivers
(cxgb4i, qedi), software hosts and broken hosts. Links are real relative symlinks."""
import os


class SysfsTree:
    def __init__(self, root):
        self.root = str(root)
        self.pci_bus = 0x20

    def write(self, rel, value):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            if value is not None:           # None: a 0-byte attribute (driver printed nothing)
                f.write(value + "\n")

    def link(self, rel, target_rel):
        path = os.path.join(self.root, rel)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        text = os.path.relpath(os.path.join(self.root, target_rel), os.path.dirname(path))
        os.symlink(text, path)

    def transport(self, name):
        dev = f"devices/virtual/iscsi_transport/{name}"
        self.write(f"{dev}/caps", "0x39")
        self.write(f"{dev}/handle", str(0xFFFFFFFFC0100000))
        self.link(f"class/iscsi_transport/{name}", dev)

    def host(self, hostno, proc_name, attrs, kobjs=()):
        """attrs: iscsi_host attributes (value None = 0-byte file, key absent = no file).
        kobjs: (kind, num, attrs) for ipv4-iface-H-N / ipv6-iface-H-N objects."""
        self.pci_bus += 1
        hostdev = f"devices/pci0000:00/0000:00:03.0/0000:{self.pci_bus:02x}:00.0/host{hostno}"
        if proc_name is not None:
            self.write(f"{hostdev}/scsi_host/host{hostno}/proc_name", proc_name)
        self.write(f"{hostdev}/scsi_host/host{hostno}/state", "running")
        self.link(f"class/scsi_host/host{hostno}", f"{hostdev}/scsi_host/host{hostno}")
        for key, value in attrs.items():
            self.write(f"{hostdev}/iscsi_host/host{hostno}/{key}", value)
        self.link(f"class/iscsi_host/host{hostno}", f"{hostdev}/iscsi_host/host{hostno}")
        for kind, num, kattrs in kobjs:
            name = f"{kind}-iface-{hostno}-{num}"
            for key, value in kattrs.items():
                self.write(f"{hostdev}/iscsi_iface/{name}/{key}", value)
            self.link(f"class/iscsi_iface/{name}", f"{hostdev}/iscsi_iface/{name}")
