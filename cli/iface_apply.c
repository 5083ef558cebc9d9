/* `-m iface -o apply | applyall`. Pushing settings into an HBA needs the vendor's kernel driver
 * and iSCSI netlink, which a userspace initiator does not use: software ifaces need no push at
 * all, offload ones are refused with a message that says so. The records stay manageable. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "exit_codes.h"
#include "iface_schema.h"
#include "modes.h"
#include "msg.h"
#include "sysfs.h"
#include "validate.h"

static int apply_one(const struct record *r)
{
	const char *name = r->values[IFACE_F_NAME], *t = r->values[IFACE_F_TRANSPORT];
	if (!transport_is_offload(t)) {
		printf("%s applied.\n", name);
		msg_error("note: %s uses the software transport %s: there are no kernel settings to push",
			  name, t);
		return EXIT_OK;
	}
	const struct transport_info *ti = transport_lookup(t);
	msg_error("Could not apply %s: transport %s needs the vendor's kernel driver (%s) and iSCSI netlink, which swiscsi does not use. The record is saved; open-iscsi's iscsiadm can push it on a host running that driver.",
		  name, t, ti && ti->module ? ti->module : t);
	/* iscsiadm's code when it cannot talk iSCSI netlink to the host */
	return EXIT_ERR;
}

int iface_op_apply(const struct cli_opts *o)
{
	if (!o->nifaces) {
		msg_error("Apply requires iface.");
		return EXIT_INVAL;
	}
	struct record r;
	int rc = iface_get_for_hba(o->ifaces[0], &r);
	if (rc != EXIT_OK)
		return rc;
	rc = apply_one(&r);
	record_free(&r);
	return rc;
}

/* The host -H names. A MAC address names the iSCSI host that has it, and none having it is an
 * error (7); anything else is read as a host number the way iscsiadm reads it (leading digits,
 * else 0; no -H is host 0 too). 0, or the exit code with the message printed. */
static int applyall_host(const char *arg, unsigned long *no)
{
	char mac[18], hw[64], dir[8192], rel[300];
	if (!arg || !mac_normalize(arg, mac)) {
		*no = arg ? strtoul(arg, NULL, 10) : 0;
		return EXIT_OK;
	}
	char **hosts;
	int n = sysfs_names("class/iscsi_host", &hosts);
	bool found = false;
	for (int i = 0; i < n && !found; i++) {
		char other[18];
		snprintf(rel, sizeof(rel), "class/iscsi_host/%s", hosts[i]);
		found = sscanf(hosts[i], "host%lu", no) == 1 && sysfs_dir(rel, dir, sizeof(dir)) == 0 &&
			sysfs_attr(dir, "hwaddress", hw, sizeof(hw)) == 0 && mac_normalize(hw, other) &&
			strcasecmp(other, mac) == 0;
	}
	if (n > 0)
		sysfs_names_free(hosts, n);
	if (!found) {
		msg_error("Could not match MAC to host.");
		return EXIT_INVAL;
	}
	return EXIT_OK;
}

/* The transport and MAC address of offload host no; false (with the reason printed) when
 * there is no such SCSI host, or it is not an offload iSCSI port: nothing of it to apply. */
static bool offload_host(unsigned long no, char mac[18])
{
	char rel[64], dir[8192], proc[64], hw[64];
	snprintf(rel, sizeof(rel), "class/scsi_host/host%lu", no);
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0 ||
	    sysfs_attr(dir, "proc_name", proc, sizeof(proc)) != 0) {
		msg_error("Could not read proc_name for host%lu.", no);
		return false;
	}
	const char *t = strncmp(proc, "iscsi_", 6) == 0 ? proc + 6 : proc;
	const struct transport_info *ti = transport_lookup(t);
	snprintf(rel, sizeof(rel), "class/iscsi_host/host%lu", no);
	return ti && ti->offload && sysfs_dir(rel, dir, sizeof(dir)) == 0 &&
	       sysfs_attr(dir, "hwaddress", hw, sizeof(hw)) == 0 && mac_normalize(hw, mac);
}

/* -o applyall: every iface of the host's port (same MAC). A host that does not exist, or has
 * nothing to configure, is no error: iscsiadm says so and exits 0 with its usual line. */
int iface_op_applyall(const struct cli_opts *o)
{
	unsigned long no;
	int rc = applyall_host(o->host, &no);
	if (rc != EXIT_OK)
		return rc;
	char mac[18];
	struct iface_set set = { 0 };
	size_t applied = 0;
	int first = EXIT_OK;
	if (offload_host(no, mac)) {
		if ((rc = iface_collect(&set)) != EXIT_OK)
			return rc;
		for (size_t i = 0; i < set.n; i++) {
			const struct record *r = &set.v[i];
			if (strcasecmp(r->values[IFACE_F_HWADDRESS], mac) != 0)
				continue;
			applied++;
			rc = apply_one(r);
			if (first == EXIT_OK)
				first = rc;
		}
		iface_set_free(&set);
	}
	if (!applied)
		msg_error("Nothing to configure.");
	if (first == EXIT_OK)
		printf("Applied settings to ifaces attached to host%lu.\n", no);
	return first;
}
