/* swiscsiadm's side of the control socket: connect (starting swiscsid when none answers, as
 * iscsiadm does with iscsid.startup), one request, its reply checked by ctl_decode_reply. */
#ifndef SWISCSI_CTL_CLIENT_H
#define SWISCSI_CTL_CLIENT_H

#include <stdbool.h>
#include <stdint.h>

#include "ctl_proto.h"

struct ctl_call {
	void *buf;               /* the reply as received; r points into it */
	struct ctl_reply r;
};

/* Sends one request and waits for its reply. start: when no daemon answers, start one (else
 * report "not running" as EXIT_ISCSID_NOTCONN without a message). Returns an exit code: 0 when
 * a reply came (its own status is in call->r.status->status), 20 when no daemon could be
 * reached (iscsiadm's message printed when start), 18 when the exchange failed. */
int ctl_request(uint16_t kind, const void *payload, uint32_t plen, bool start,
		struct ctl_call *call);
/* Sends a request without waiting for its outcome (-W). Exit code as above. */
int ctl_send_only(uint16_t kind, const void *payload, uint32_t plen);
void ctl_call_free(struct ctl_call *call);

/* iscsiadm's text for an exit code ("session exists"), for "initiator reported error". */
const char *ctl_error_text(int code);

#endif
