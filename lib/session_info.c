/* What a session is and did, for its owner: the ISID (chosen by the library or by the caller)
 * and the counters behind `-m session -s`. */
#include <string.h>

#include <swiscsi/swiscsi.h>

#include "session.h"
#include "transport.h"

int swi_session_set_isid(struct swi_session *s, const uint8_t isid[6])
{
	/* type 11b is reserved (RFC 7143 §11.12.5) */
	if (s->state != SS_IDLE || (isid[0] & 0xc0) == 0xc0)
		return -1;
	memcpy(s->isid, isid, 6);
	return 0;
}

void swi_session_isid(const struct swi_session *s, uint8_t isid[6])
{
	memcpy(isid, s->isid, 6);
}

void swi_session_stats(const struct swi_session *s, struct swi_stats *out)
{
	*out = s->stats;
	out->digest_errors += s->x ? xport_digest_errors(s->x) : 0;
}
