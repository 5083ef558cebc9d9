/* SendTargets discovery (RFC 7143 §12.3, Appendix D): one Text Request, a response that may
 * span several Continue PDUs, parsed into targets and their portals. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "session.h"

/* Bytes of one SendTargets answer gathered across Continue PDUs: a target with hundreds of
 * names and portals needs tens of KiB; 1 MiB bounds what a hostile one makes us hold. It also
 * bounds the records one discovery writes (about 20 000 at the shortest entries, minutes of
 * writing and some 300 MB); no count cap below that: a cap low enough to matter would refuse
 * large arrays, and it is the administrator who picks the discovery target. */
enum { SENDTARGETS_TEXT_MAX = 1024 * 1024 };
/* Text Responses to one SendTargets: the byte cap does not bound a flood of empty Continue
 * PDUs. A full 1 MiB answer in PDUs of 4 KiB or more fits in 256, the login's cap too. */
enum { SENDTARGETS_RESPONSES_MAX = 256 };

static int send_text(struct swi_session *s, uint32_t ttt, const char *text)
{
	struct bhs h = { .opcode = OP_TEXT_REQ, .immediate = true, .flags = BHS_F_FINAL,
			 .itt = s->op_itt };
	memset(h.lun_or_isid, 0, 8);
	BHS_TTT(&h) = ttt;
	BHS_CMDSN(&h) = s->cmdsn;
	BHS_EXPSTATSN(&h) = s->expstatsn;
	h.data_len = text ? (uint32_t)strlen(text) + 1 : 0;
	return session_send(s, &h, text, true);
}

int swi_sendtargets_async(struct swi_session *s, struct swi_target_list *out, swi_done_fn done,
			  void *arg)
{
	if (s->state != SS_FULL || s->op != OP_NONE) {
		snprintf(s->err, sizeof(s->err), "SendTargets: the session is not logged in or is busy");
		s->err_class = SWI_ERR_INVAL;
		return -1;
	}
	out->v = NULL;
	out->n = 0;
	session_begin(s, OP_TEXT, done, arg);
	s->op_itt = session_new_itt(s);
	s->st_out = out;
	s->text_responses = 0;
	text_buf_free(&s->text_acc);
	return send_text(s, ISCSI_RESERVED_TAG, "SendTargets=All");
}

void swi_target_list_free(struct swi_target_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		for (size_t j = 0; j < l->v[i].nportals; j++)
			free(l->v[i].portals[j]);
		free(l->v[i].portals);
		free(l->v[i].name);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* An array of n elements with room for one more. Capacity doubles, kept implicit (the list
 * types are public and carry only a count): it may be full only when n is 0 or a power of
 * two, and is then made max(4, 2n) long. Growing one element at a time made a 1 MiB answer cost minutes. */
static void *room_for_one(void *v, size_t n, size_t size)
{
	if (n & (n - 1))
		return v;
	return realloc(v, (n < 4 ? 4 : 2 * n) * size);
}

static int add_target(struct swi_target_list *l, const char *name)
{
	struct swi_target *grown = room_for_one(l->v, l->n, sizeof(*grown));
	if (!grown)
		return -1;
	l->v = grown;
	memset(&l->v[l->n], 0, sizeof(l->v[l->n]));
	l->v[l->n].name = strdup(name);
	l->n++;
	return l->v[l->n - 1].name ? 0 : -1;
}

static int add_portal(struct swi_target *t, const char *addr)
{
	char **grown = room_for_one(t->portals, t->nportals, sizeof(*grown));
	if (!grown)
		return -1;
	t->portals = grown;
	t->portals[t->nportals] = strdup(addr);
	return t->portals[t->nportals++] ? 0 : -1;
}

/* TargetName starts a target; each TargetAddress after it is one of its portals. */
static int collect(struct swi_session *s, const struct text_list *keys)
{
	struct swi_target_list *out = s->st_out;
	for (size_t i = 0; i < keys->n; i++) {
		const char *k = keys->v[i].key, *v = keys->v[i].value;
		int rc = 0;
		if (strcmp(k, "TargetName") == 0)
			rc = add_target(out, v);
		else if (strcmp(k, "TargetAddress") == 0 && out->n)
			rc = add_portal(&out->v[out->n - 1], v);
		else if (strcmp(k, "TargetAddress") == 0)
			return session_fail(s, SWI_ERR, "SendTargets: TargetAddress before any TargetName");
		if (rc < 0)
			return session_fail(s, SWI_ERR_NOMEM, "SendTargets: out of memory");
	}
	return 0;
}

int text_on_response(struct swi_session *s, const struct bhs *h, const uint8_t *data)
{
	if (s->op != OP_TEXT || h->itt != s->op_itt)
		return session_fail(s, SWI_ERR, "unexpected Text Response from %s", s->o.portal);
	if ((h->flags & TEXT_F_CONTINUE) && (h->flags & BHS_F_FINAL))
		return session_fail(s, SWI_ERR,
				    "SendTargets from %s: protocol error: the Text Response sets both Final and Continue",
				    s->o.portal);
	switch (text_gather(&s->text_acc, data, h->data_len, SENDTARGETS_TEXT_MAX)) {
	case TEXT_GATHERED:
		break;
	case TEXT_NOMEM:
		return session_fail(s, SWI_ERR_NOMEM, "SendTargets: out of memory");
	case TEXT_TOO_LONG:
		text_buf_free(&s->text_acc);
		return session_fail(s, SWI_ERR, "SendTargets from %s: the answer exceeds %d bytes",
				    s->o.portal, SENDTARGETS_TEXT_MAX);
	}
	if (++s->text_responses > SENDTARGETS_RESPONSES_MAX) {
		text_buf_free(&s->text_acc);
		return session_fail(s, SWI_ERR, "SendTargets from %s: the answer takes more than %d Text Responses",
				    s->o.portal, SENDTARGETS_RESPONSES_MAX);
	}
	if (h->flags & TEXT_F_CONTINUE)
		return send_text(s, BHS_TTT(h), NULL);
	struct text_list keys;
	char err[256];
	int rc = text_parse_any_value(s->text_acc.data, s->text_acc.len, &keys, err, sizeof(err));
	text_buf_free(&s->text_acc);
	if (rc < 0)
		return session_fail(s, SWI_ERR, "SendTargets from %s: %s", s->o.portal, err);
	rc = collect(s, &keys);
	text_list_free(&keys);
	if (rc < 0) {
		swi_target_list_free(s->st_out);
		return -1;
	}
	session_complete(s, 0);
	return 0;
}
