/* A login's options from a node record: CHAP (one-way and mutual), digests, burst and segment
 * sizes, ImmediateData/InitialR2T, timeouts, and the initiator name and binding the iface
 * section resolved to. Strings point into the record and conn: both outlive the swi_session
 * creation (libswiscsi copies them). */
#ifndef SWISCSID_SESSION_OPTS_H
#define SWISCSID_SESSION_OPTS_H

#include <stdint.h>
#include <swiscsi/swiscsi.h>

#include "iface_conn.h"
#include "record.h"

/* BUSY, TASK SET FULL and UNIT ATTENTION (power on, reset) are retried this often, the
 * library's delay apart, before a LUN file's caller sees them: the record has no key for it */
enum { SESSION_SCSI_RETRIES = 8 };

void session_opts_from_record(const struct record *node, const struct iface_conn *conn,
			      const char *portal, struct swi_options *o);

/* The iface section of a node record as iface_conn wants it (strings point into node). */
void session_iface_spec(const struct record *node, struct iface_conn_spec *spec);

/* A stable ISID for target, portal, iface and the index among the record's nr_sessions
 * sessions: a daemon restart or a new login of the same node
 * through the same iface presents the same initiator port to the target. */
void session_isid(const char *target, const char *address, int port, int tpgt, const char *iface,
		  unsigned index, uint8_t isid[6]);

#endif
