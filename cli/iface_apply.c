/* `-m iface -o apply | applyall`. Pushing settings into an HBA needs the vendor's kernel driver
 * and iSCSI netlink, which a userspace initiator does not use: software ifaces need no push at
 * all, offload ones are refused with a message that says so. The records stay manageable. */
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
	return EXIT_TRANS_NOT_FOUND;
}

int iface_op_apply(const struct cli_opts *o)
{
	if (!o->nifaces) {
		msg_error("Apply requires iface.");
		return EXIT_INVAL;
	}
	struct record r;
	int rc = iface_get(o->ifaces[0], &r);
	if (rc != EXIT_OK)
		return rc;
	rc = apply_one(&r);
	record_free(&r);
	return rc;
}

/* -H takes a SCSI host number or the MAC address of an offload port. */
static int host_mac(const char *host, char mac[18])
{
	if (mac_normalize(host, mac))
		return 0;
	char *end, rel[64], dir[8192], hw[64];
	unsigned long no = strtoul(host, &end, 10);
	if (!host[0] || *end)
		return -1;
	snprintf(rel, sizeof(rel), "class/iscsi_host/host%lu", no);
	if (sysfs_dir(rel, dir, sizeof(dir)) < 0 || sysfs_attr(dir, "hwaddress", hw, sizeof(hw)) != 0 ||
	    !mac_normalize(hw, mac))
		return -1;
	return 0;
}

int iface_op_applyall(const struct cli_opts *o)
{
	char mac[18] = "";
	if (o->host && host_mac(o->host, mac) < 0) {
		msg_error("Could not find host %s.", o->host);
		return EXIT_HOST_NOT_FOUND;
	}
	struct iface_set set;
	int rc = iface_collect(&set);
	if (rc != EXIT_OK)
		return rc;
	int first = EXIT_OK;
	for (size_t i = 0; i < set.n; i++) {
		const struct record *r = &set.v[i];
		if (mac[0] && strcasecmp(r->values[IFACE_F_HWADDRESS], mac) != 0)
			continue;
		if (!mac[0] && iface_is_builtin(r->values[IFACE_F_NAME]))
			continue;
		rc = apply_one(r);
		if (first == EXIT_OK)
			first = rc;
	}
	iface_set_free(&set);
	if (first == EXIT_OK && o->host)
		printf("Applied settings to ifaces attached to host %s.\n", o->host);
	return first;
}
