/* What a Login Response may say, checked before the login state machine acts on it (RFC 7143
 * §6.3, §11.13): a target answers for the session and stage we are in, transits only when we
 * offered to and only to the stage we asked for, and cannot talk its way past security
 * negotiation. Bounds on what it may make us accumulate are kept here too. */
#include <stdio.h>
#include <string.h>

#include "session.h"

/* Bytes of login text gathered across Continue PDUs (and across the rounds of the operational
 * stage). Real answers are a few hundred bytes; 64 KiB leaves room for any sane target. */
enum { LOGIN_TEXT_MAX = 64 * 1024, LOGIN_RESPONSES_MAX = 256 };

static const char *stage_name(unsigned stage)
{
	switch (stage) {
	case STAGE_SECURITY:
		return "security negotiation";
	case STAGE_OPERATIONAL:
		return "operational negotiation";
	case STAGE_FULL_FEATURE:
		return "full feature phase";
	default:
		return "a reserved stage";
	}
}

static int stage_fail(struct swi_session *s, const char *what, unsigned stage)
{
	return session_fail(s, SWI_ERR_AUTH, "login to %s: the target %s %s (we are in %s%s%s)",
			    s->o.portal, what, stage_name(stage), stage_name(s->lg.csg),
			    s->lg.transit ? " and asked for " : "",
			    s->lg.transit ? stage_name(s->lg.nsg) : "");
}

static int header_fail(struct swi_session *s, const char *why)
{
	return session_fail(s, SWI_ERR_LOGIN, "login to %s: protocol error: %s", s->o.portal, why);
}

int login_check_response(struct swi_session *s, const struct bhs *h)
{
	if (++s->lg.responses > LOGIN_RESPONSES_MAX)
		return header_fail(s, "the target keeps the login going for more than 256 responses");
	/* a refusal or a redirection ends this connection's login: its stage fields mean nothing,
	 * and Debian's tgtd sends refusals with an all-zero ISID */
	if (LOGIN_STATUS_CLASS(h) != 0)
		return 0;
	if (memcmp(h->lun_or_isid, s->isid, sizeof(s->isid)) != 0) {
		const uint8_t *i = h->lun_or_isid, *o = s->isid;
		return session_fail(s, SWI_ERR_LOGIN,
				    "login to %s: protocol error: the Login Response is for ISID %02x%02x%02x%02x%02x%02x, ours is %02x%02x%02x%02x%02x%02x",
				    s->o.portal, i[0], i[1], i[2], i[3], i[4], i[5], o[0], o[1], o[2],
				    o[3], o[4], o[5]);
	}
	/* byte 3 is Version-active: 0 is the only version there is and the only one we offer
	 * (Version-max, byte 2, is the target's highest and so cannot be below it) */
	if (h->b3 != 0)
		return header_fail(s, "the target answered with an iSCSI version we did not offer");
	bool transit = h->flags & LOGIN_F_TRANSIT, more = h->flags & LOGIN_F_CONTINUE;
	if (transit && more)
		return header_fail(s, "the Login Response sets both Transit and Continue");
	if (LOGIN_CSG(h) != s->lg.csg)
		return stage_fail(s, "answered for", LOGIN_CSG(h));
	if (transit && !s->lg.transit)
		return stage_fail(s, "moved on, unasked, to", LOGIN_NSG(h));
	if (transit && LOGIN_NSG(h) != s->lg.nsg)
		return stage_fail(s, "moved on to", LOGIN_NSG(h));
	return 0;
}

int login_gather(struct swi_session *s, struct text_buf *acc, const uint8_t *data, size_t len)
{
	switch (text_gather(acc, data, len, LOGIN_TEXT_MAX)) {
	case TEXT_GATHERED:
		return 0;
	case TEXT_NOMEM:
		return session_fail(s, SWI_ERR_NOMEM, "login: out of memory");
	case TEXT_TOO_LONG:
		break;
	}
	return session_fail(s, SWI_ERR_LOGIN, "login to %s: the target's login text exceeds %d bytes",
			    s->o.portal, LOGIN_TEXT_MAX);
}

int login_check_unique(struct swi_session *s, const struct text_list *keys)
{
	const char *dup;
	int rc = text_duplicate(keys, &dup);
	if (rc < 0)
		return session_fail(s, SWI_ERR_NOMEM, "login: out of memory");
	if (rc > 0)
		return session_fail(s, SWI_ERR_LOGIN,
				    "login to %s: protocol error: the target sent %s more than once",
				    s->o.portal, dup);
	return 0;
}
