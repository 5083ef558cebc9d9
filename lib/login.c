/* Login (RFC 7143 §6.3): the security stage (AuthMethod, CHAP), then operational negotiation,
 * then the full feature phase. Responses may arrive in several Continue PDUs and may redirect
 * us to another portal. */
#include <arpa/inet.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "login_status.h"
#include "session.h"

enum { MAX_REDIRECTS = 5 };

static bool want_chap(const struct swi_session *s)
{
	return s->o.chap_user != NULL;
}

int login_send(struct swi_session *s, const struct text_buf *b)
{
	if (b && b->failed)
		return session_fail(s, SWI_ERR_NOMEM, "login: out of memory");
	struct bhs h = { .opcode = OP_LOGIN_REQ, .immediate = true, .itt = s->op_itt };
	h.flags = (uint8_t)(s->lg.csg << 2);
	if (s->lg.transit)
		h.flags |= LOGIN_F_TRANSIT | s->lg.nsg;
	memcpy(h.lun_or_isid, s->isid, 6);
	h.lun_or_isid[6] = (uint8_t)(s->tsih >> 8);
	h.lun_or_isid[7] = (uint8_t)s->tsih;
	h.data_len = b ? (uint32_t)b->len : 0;
	BHS_CMDSN(&h) = s->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	return session_send(s, &h, b ? b->data : NULL, true);
}

int login_on_connected(struct swi_session *s)
{
	struct text_buf b = { 0 };
	text_buf_free(&s->lg.op_answers);
	text_buf_free(&s->lg.acc); /* what a failed attempt left half gathered */
	s->state = SS_LOGIN;
	s->lg.csg = STAGE_SECURITY;
	s->lg.nsg = STAGE_OPERATIONAL;
	s->lg.transit = !want_chap(s);
	s->lg.chap_step = 0;
	s->lg.responses = 0;
	text_add(&b, "InitiatorName", s->o.initiator_name);
	if (s->o.initiator_alias)
		text_add(&b, "InitiatorAlias", s->o.initiator_alias);
	text_add(&b, "SessionType", s->o.target_name ? "Normal" : "Discovery");
	if (s->o.target_name)
		text_add(&b, "TargetName", s->o.target_name);
	/* With credentials configured CHAP is required: accepting None would silently drop the
	 * authentication the administrator asked for. */
	text_add(&b, "AuthMethod", want_chap(s) ? "CHAP" : "None");
	int rc = login_send(s, &b);
	text_buf_free(&b);
	return rc;
}

void login_begin(struct swi_session *s, swi_done_fn done, void *arg)
{
	session_begin(s, OP_LOGIN, done, arg);
	s->op_itt = session_new_itt(s);
	s->tsih = 0;
	s->lg.redirects = 0;
	s->lg.alg_dropped = 0;
	s->lg.restart = false;
}

int swi_login_async(struct swi_session *s, swi_done_fn done, void *arg)
{
	if (s->op != OP_NONE || (s->state != SS_IDLE && s->state != SS_CLOSED &&
				 s->state != SS_FAILED)) {
		snprintf(s->err, sizeof(s->err), "login: the session is busy or already logged in");
		s->err_class = SWI_ERR_INVAL;
		return -1;
	}
	login_begin(s, done, arg);
	s->logout_requested = false;
	struct recovery fresh = { .cb = s->rec.cb, .cb_arg = s->rec.cb_arg,
				  .portal_addr = s->rec.portal_addr, .portal_len = s->rec.portal_len };
	s->rec = fresh;
	s->state = SS_IDLE;
	return session_open_transport(s);
}

/* Status class 1: reconnect to the TargetAddress the target gave. */
static int redirect(struct swi_session *s, const struct text_list *keys)
{
	const char *addr = text_find(keys, "TargetAddress");
	if (!addr)
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: redirected without a TargetAddress",
				    s->o.portal);
	if (++s->lg.redirects > MAX_REDIRECTS)
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: more than %d redirections",
				    s->o.portal, MAX_REDIRECTS);
	char portal[300];
	snprintf(portal, sizeof(portal), "%s", addr);
	portal[strcspn(portal, ",")] = '\0'; /* drop ",TPGT" */
	char host[256], port[8] = "3260";
	const char *close = strchr(portal, ']');
	const char *colon = close ? strchr(close, ':') : strrchr(portal, ':');
	snprintf(host, sizeof(host), "%.*s", (int)((colon ? colon : portal + strlen(portal)) - portal),
		 portal);
	if (colon)
		snprintf(port, sizeof(port), "%s", colon + 1);
	if (host[0] == '[') {
		memmove(host, host + 1, strlen(host));
		host[strcspn(host, "]")] = '\0';
	}
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_flags = AI_NUMERICHOST }, *res;
	if (getaddrinfo(host, port, &hints, &res) != 0)
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: redirected to an invalid address '%s'",
				    s->o.portal, addr);
	memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
	s->addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	s->lg.restart = true;
	return 0;
}

/* Some targets mishandle CHAP algorithms they half know instead of choosing one they support:
 * Debian 12's tgtd picks CHAP_A=7 (SHA-256) from a list and then checks the answer as SHA1,
 * failing the login with status 2/0 "initiator error". Such a failure of our CHAP_A (step 1) or
 * of our answer (step 2) is retried without the algorithm concerned (the first offered, or the
 * one the target chose), as long as another is left. A plain authentication failure (2/1, a
 * wrong secret) is never retried. */
static bool retry_without_alg(struct swi_session *s, const struct bhs *h)
{
	if (LOGIN_STATUS_CLASS(h) != 2 || LOGIN_STATUS_DETAIL(h) != 0 ||
	    (s->lg.chap_step != 1 && s->lg.chap_step != 2) || login_chap_algs_left(s) < 2)
		return false;
	int alg = s->lg.chap_step == 2 ? s->lg.chap_alg : login_chap_first_alg(s);
	if (alg < 0)
		return false;
	s->lg.alg_dropped |= 1u << alg;
	s->lg.chap_alg = 0;
	s->lg.restart = true;
	return true;
}

static int login_failed(struct swi_session *s, const struct bhs *h)
{
	if (retry_without_alg(s, h))
		return 0;
	int cls;
	const char *text = login_status_text(LOGIN_STATUS_CLASS(h), LOGIN_STATUS_DETAIL(h), &cls);
	if ((s->lg.chap_step == 1 || s->lg.chap_step == 2) && LOGIN_STATUS_CLASS(h) == 2 &&
	    LOGIN_STATUS_DETAIL(h) == 0) {
		/* refused during CHAP: an algorithm the target does not support, an authentication
		 * failure as far as the administrator is concerned */
		cls = SWI_ERR_AUTH;
		text = "the target refused our CHAP exchange (does it support the CHAP algorithms offered? many targets know only MD5)";
	}
	return session_fail(s, cls, "login to %s%s%s failed: %s (status class 0x%02x, detail 0x%02x)",
			    s->o.target_name ? s->o.target_name : "", s->o.target_name ? " at " : "",
			    s->o.portal, text, LOGIN_STATUS_CLASS(h), LOGIN_STATUS_DETAIL(h));
}

/* The one gate out of the security stage: with credentials configured nothing leaves it before
 * the CHAP exchange (mutual included) has been completed and verified. */
static int security_done(struct swi_session *s)
{
	if (want_chap(s) && s->lg.chap_step != 3)
		return session_fail(s, SWI_ERR_AUTH,
				    "login to %s: the target tried to end the login before CHAP authentication was complete",
				    s->o.portal);
	return 0;
}

int login_send_operational_offer(struct swi_session *s)
{
	if (security_done(s) < 0)
		return -1;
	struct text_buf b = { 0 };
	s->lg.csg = STAGE_OPERATIONAL;
	s->lg.nsg = STAGE_FULL_FEATURE;
	s->lg.transit = true;
	if (!s->o.target_name) {
		/* a discovery session only declares what it can receive (RFC 7143 §13) */
		text_add(&b, "HeaderDigest", s->hdig);
		text_add(&b, "DataDigest", s->ddig);
		text_addu(&b, "MaxRecvDataSegmentLength", s->want.max_recv_dsl);
	} else {
		params_offer(&b, &s->want, s->hdig, s->ddig);
	}
	int rc = login_send(s, &b);
	text_buf_free(&b);
	return rc;
}

int login_enter_full_feature(struct swi_session *s, const struct bhs *h,
			     const struct text_list *keys)
{
	char err[256];
	if (security_done(s) < 0)
		return -1;
	if (params_apply(keys, &s->want, s->hdig, s->ddig, &s->neg, err, sizeof(err)) < 0)
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: %s", s->o.portal, err);
	s->tsih = (uint16_t)(h->lun_or_isid[6] << 8 | h->lun_or_isid[7]);
	s->maxcmdsn = BHS_MAXCMDSN(h);
	s->cmdsn = BHS_EXPCMDSN(h);
	xport_set_digests(s->x, s->neg.header_digest, s->neg.data_digest);
	s->state = SS_FULL;
	/* from now on a lost connection is recovered, if the caller asked for that */
	if (s->o.target_name && s->o.replacement_timeout_ms > 0)
		s->rec.armed = true;
	s->last_rx_ms = session_now_ms();
	s->nop_itt = 0;
	session_complete(s, 0);
	return 0;
}

/* The target answered in the security stage. */
static int security_answer(struct swi_session *s, const struct bhs *h, const struct text_list *keys)
{
	bool transit = (h->flags & LOGIN_F_TRANSIT) != 0;
	if (s->lg.chap_step == 0) {
		const char *method = text_find(keys, "AuthMethod");
		if (want_chap(s)) {
			if (!method || strcmp(method, "CHAP") != 0)
				return session_fail(s, SWI_ERR_AUTH,
						    "login to %s: CHAP credentials are configured but the target does not use CHAP (AuthMethod=%s)",
						    s->o.portal, method ? method : "<none>");
		} else if (method && strcmp(method, "None") != 0) {
			return session_fail(s, SWI_ERR_AUTH,
					    "login to %s: the target requires authentication (AuthMethod=%s) and no CHAP credentials are configured",
					    s->o.portal, method);
		}
	}
	if (want_chap(s))
		return login_chap_step(s, h, keys);
	if (!transit) {
		s->lg.transit = true;
		return login_send(s, NULL);
	}
	if (LOGIN_NSG(h) == STAGE_FULL_FEATURE)
		return login_enter_full_feature(s, h, keys);
	return login_send_operational_offer(s);
}

/* The target may answer our offer in one response and transit in a later, empty one (Debian's
 * tgtd does): every answer of the stage counts, so they are gathered until the transit. */
static int operational_answer(struct swi_session *s, const struct bhs *h, const uint8_t *text,
			      size_t len)
{
	if (login_gather(s, &s->lg.op_answers, text, len) < 0)
		return -1;
	if (!(h->flags & LOGIN_F_TRANSIT) || LOGIN_NSG(h) != STAGE_FULL_FEATURE)
		return login_send(s, NULL); /* another round before the target transits */
	struct text_list all;
	char err[256];
	if (text_parse(s->lg.op_answers.data, s->lg.op_answers.len, &all, err, sizeof(err)) < 0)
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: %s", s->o.portal, err);
	text_buf_free(&s->lg.op_answers);
	int rc = login_check_unique(s, &all) < 0 ? -1 : login_enter_full_feature(s, h, &all);
	text_list_free(&all);
	return rc;
}

static int stage_answer(struct swi_session *s, const struct bhs *h, const struct text_list *keys,
			const uint8_t *text, size_t len)
{
	if (LOGIN_CSG(h) == STAGE_SECURITY)
		return security_answer(s, h, keys);
	if (LOGIN_CSG(h) == STAGE_OPERATIONAL)
		return operational_answer(s, h, text, len);
	return session_fail(s, SWI_ERR_LOGIN, "login to %s: the target answered in stage %u",
			    s->o.portal, LOGIN_CSG(h));
}

int login_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data)
{
	if (s->op != OP_LOGIN || s->state != SS_LOGIN || h->itt != s->op_itt)
		return session_fail(s, SWI_ERR, "unexpected Login Response from %s", s->o.portal);
	if (login_check_response(s, h) < 0)
		return -1;
	if (LOGIN_STATUS_CLASS(h) != 0 && LOGIN_STATUS_CLASS(h) != 1)
		return login_failed(s, h);
	if (login_gather(s, &s->lg.acc, data, h->data_len) < 0)
		return -1;
	if (h->flags & LOGIN_F_CONTINUE) {
		/* ask for the rest of the response; the transit we offered still stands */
		bool offered = s->lg.transit;
		s->lg.transit = false;
		int rc = login_send(s, NULL);
		s->lg.transit = offered;
		return rc;
	}
	struct text_list keys;
	char err[256];
	int rc = text_parse(s->lg.acc.data, s->lg.acc.len, &keys, err, sizeof(err));
	if (rc < 0) {
		text_buf_free(&s->lg.acc);
		return session_fail(s, SWI_ERR_LOGIN, "login to %s: %s", s->o.portal, err);
	}
	s->tsih = (uint16_t)(h->lun_or_isid[6] << 8 | h->lun_or_isid[7]);
	if (login_check_unique(s, &keys) < 0)
		rc = -1;
	else if (LOGIN_STATUS_CLASS(h) == 1)
		rc = redirect(s, &keys);
	else
		rc = stage_answer(s, h, &keys, s->lg.acc.data, s->lg.acc.len);
	text_buf_free(&s->lg.acc);
	text_list_free(&keys);
	return rc < 0 ? -1 : 0;
}
