/* Offload iSCSI HBA ports (Chelsio, Broadcom, Emulex/ServerEngines, QLogic, ...) found in sysfs,
 * as the iface records that describe them. */
#ifndef SWISCSI_OFFLOAD_H
#define SWISCSI_OFFLOAD_H

#include "iface_db.h"
#include "record.h"

/* Appends to out one iface record per offload port: per kernel iface object
 * (class/iscsi_iface/ipv4-iface-H-N, ipv6-iface-H-N) one named TRANSPORT.MAC.ipv4.N /
 * TRANSPORT.MAC.ipv6.N with the values the driver exposes; for a port without such objects one
 * named TRANSPORT.MAC (Red Hat's naming), with empty IP address and net_ifacename. Software hosts
 * (tcp, iser) are skipped; a host that lacks what is needed is reported through warn and
 * skipped. 0, or -1 on out of memory. */
int offload_detect(struct iface_set *out, record_warn_fn warn, void *warn_ctx);

#endif
