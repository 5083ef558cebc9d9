/* The CHAP exchange of the security stage (RFC 7143 §12.1.3), one-way or mutual. Secrets are
 * never put in messages. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto_load.h"
#include "session.h"

/* A challenge shorter than the shortest digest we compute (MD5, 16 bytes) lets a target collect
 * our answers to the few challenges it can pick and replay them; RFC 1994 §2.3 wants challenges
 * unpredictable and unique. tgtd and istgt (tests/integration/test_interop_*) send longer ones. */
enum { CHALLENGE_MIN = 16, CHALLENGE_MAX = 1024, OUR_CHALLENGE_LEN = 32 };

/* Walks the user's algorithm list (less the ones a fallback dropped): fn sees each CHAP_A
 * value, or -1 for a name we do not know; it returns false to stop the walk. */
static int each_alg(const struct swi_session *s, bool (*fn)(int alg, void *ctx), void *ctx)
{
	char copy[128];
	snprintf(copy, sizeof(copy), "%s", s->o.chap_algs);
	for (char *save, *t = strtok_r(copy, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
		int alg = chap_alg_from_name(t);
		if (alg >= 0 && (s->lg.alg_dropped & (1u << alg)))
			continue;
		if (!fn(alg, ctx))
			return 1;
	}
	return 0;
}

struct alg_list {
	char text[64];
	bool bad;
};

static bool append(int alg, void *ctx)
{
	struct alg_list *l = ctx;
	if (alg < 0) {
		l->bad = true;
		return false;
	}
	size_t used = strlen(l->text);
	snprintf(l->text + used, sizeof(l->text) - used, "%s%d", used ? "," : "", alg);
	return true;
}

static bool count(int alg, void *ctx)
{
	(void)alg;
	++*(int *)ctx;
	return true;
}

static bool take_first(int alg, void *ctx)
{
	*(int *)ctx = alg;
	return false;
}

int login_chap_first_alg(const struct swi_session *s)
{
	int alg = -1;
	each_alg(s, take_first, &alg);
	return alg;
}

int login_chap_algs_left(const struct swi_session *s)
{
	int n = 0;
	each_alg(s, count, &n);
	return n;
}

/* CHAP_A list in the user's preference order. */
static int offer_algorithms(struct swi_session *s)
{
	struct alg_list l = { "", false };
	each_alg(s, append, &l);
	if (l.bad)
		return session_fail(s, SWI_ERR_INVAL, "login: unknown CHAP algorithm in '%s' (use MD5, SHA1, SHA256, SHA3-256)",
				    s->o.chap_algs);
	if (!l.text[0])
		return session_fail(s, SWI_ERR_INVAL, "login: no CHAP algorithm to offer");
	struct text_buf b = { 0 };
	text_add(&b, "CHAP_A", l.text);
	s->lg.transit = false;
	s->lg.chap_step = 1;
	int rc = login_send(s, &b);
	text_buf_free(&b);
	return rc;
}

static bool differs(int alg, void *ctx)
{
	return alg != *(int *)ctx;
}

static bool offered(const struct swi_session *s, int alg)
{
	return each_alg(s, differs, &alg) == 1;
}

static int auth_fail(struct swi_session *s, const char *why)
{
	return session_fail(s, SWI_ERR_AUTH, "login to %s: CHAP authentication failed: %s",
			    s->o.portal, why);
}

/* Answers the target's challenge; for mutual CHAP adds ours. */
static int answer_challenge(struct swi_session *s, const struct text_list *keys)
{
	const char *a = text_find(keys, "CHAP_A"), *i = text_find(keys, "CHAP_I"),
		   *c = text_find(keys, "CHAP_C");
	if (!a || !i || !c)
		return auth_fail(s, "the target sent no CHAP_A, CHAP_I or CHAP_C");
	char *aend, *iend;
	long alg = strtol(a, &aend, 10), id = strtol(i, &iend, 10);
	/* range first: (int) of 4294967301 would be 5, MD5 */
	if (*aend || !*a || alg < 0 || alg > 255 || !offered(s, (int)alg))
		return auth_fail(s, "the target chose a CHAP algorithm we did not offer");
	if (*iend || !*i || id < 0 || id > 255)
		return auth_fail(s, "CHAP_I is not a number from 0 to 255");
	uint8_t challenge[CHALLENGE_MAX];
	int clen = chap_decode(c, challenge, sizeof(challenge));
	if (clen <= 0)
		return auth_fail(s, "CHAP_C is not a valid challenge (hex or base64, at most 1024 bytes)");
	if (clen < CHALLENGE_MIN)
		return auth_fail(s, "CHAP_C is shorter than 16 bytes, too short to be safe");
	s->lg.chap_alg = (int)alg;
	char response[2 * 64 + 3];
	if (chap_response((int)alg, (uint8_t)id, s->o.chap_secret, challenge, (size_t)clen, response,
			  sizeof(response)) < 0)
		return auth_fail(s, "this system's crypto library lacks the chosen algorithm");
	struct text_buf b = { 0 };
	text_add(&b, "CHAP_N", s->o.chap_user);
	text_add(&b, "CHAP_R", response);
	if (s->o.chap_target_user) {
		/* ours must differ from the target's, or a target could replay our answer */
		do {
			if (swi_crypto()->rand_bytes(s->lg.our_challenge, OUR_CHALLENGE_LEN) != 1 ||
			    swi_crypto()->rand_bytes(&s->lg.chap_id, 1) != 1) {
				text_buf_free(&b);
				return session_fail(s, SWI_ERR_INTERNAL, "login: no random numbers");
			}
		} while (clen == OUR_CHALLENGE_LEN && memcmp(challenge, s->lg.our_challenge, OUR_CHALLENGE_LEN) == 0);
		s->lg.our_challenge_len = OUR_CHALLENGE_LEN;
		char hex[2 * OUR_CHALLENGE_LEN + 3] = "0x";
		for (int k = 0; k < OUR_CHALLENGE_LEN; k++)
			sprintf(hex + 2 + 2 * k, "%02x", s->lg.our_challenge[k]);
		text_addu(&b, "CHAP_I", s->lg.chap_id);
		text_add(&b, "CHAP_C", hex);
	}
	explicit_bzero(response, sizeof(response));
	s->lg.transit = true;
	s->lg.nsg = STAGE_OPERATIONAL;
	s->lg.chap_step = 2;
	int rc = login_send(s, &b);
	text_buf_free(&b);
	return rc;
}

/* Whether answer is what our own secret gives for our challenge. A target that knows no secret
 * can get that answer by handing our challenge to another of our logins; RFC 7143 §12.1.3
 * makes it an authentication failure (and so forbids one secret for both directions). */
static bool is_own_answer(const struct swi_session *s, const uint8_t *answer, size_t len)
{
	char mine[2 * 64 + 3];
	uint8_t raw[64];
	if (chap_response(s->lg.chap_alg, s->lg.chap_id, s->o.chap_secret, s->lg.our_challenge,
			  s->lg.our_challenge_len, mine, sizeof(mine)) < 0)
		return false;
	int n = chap_decode(mine, raw, sizeof(raw));
	bool same = n == (int)len && swi_crypto()->memcmp_const(raw, answer, len) == 0;
	explicit_bzero(mine, sizeof(mine));
	explicit_bzero(raw, sizeof(raw));
	return same;
}

/* Mutual CHAP: the target must prove it knows the target secret. */
static int check_target(struct swi_session *s, const struct text_list *keys)
{
	const char *n = text_find(keys, "CHAP_N"), *r = text_find(keys, "CHAP_R");
	if (!n || !r)
		return auth_fail(s, "mutual CHAP: the target did not answer our challenge");
	if (strcmp(n, s->o.chap_target_user) != 0)
		return auth_fail(s, "mutual CHAP: the target gave another user name");
	char expect[2 * 64 + 3];
	if (chap_response(s->lg.chap_alg, s->lg.chap_id, s->o.chap_target_secret, s->lg.our_challenge,
			  s->lg.our_challenge_len, expect, sizeof(expect)) < 0)
		return auth_fail(s, "mutual CHAP: cannot compute the expected answer");
	uint8_t got[64], want[64];
	int gl = chap_decode(r, got, sizeof(got)), wl = chap_decode(expect, want, sizeof(want));
	explicit_bzero(expect, sizeof(expect));
	if (gl > 0 && is_own_answer(s, got, (size_t)gl))
		return auth_fail(s, "mutual CHAP: the target answered with our own response, a reflection (the target secret must differ from ours)");
	if (gl != wl || swi_crypto()->memcmp_const(got, want, (size_t)wl) != 0)
		return auth_fail(s, "mutual CHAP: the target's answer is wrong (target secret mismatch)");
	return 0;
}

int login_chap_step(struct swi_session *s, const struct bhs *h, const struct text_list *keys)
{
	/* loaded here, not at start-up; once loaded it stays, so the steps below may rely on it */
	if (!swi_crypto())
		return auth_fail(s, swi_crypto_error());
	switch (s->lg.chap_step) {
	case 0:
		return offer_algorithms(s);
	case 1:
		return answer_challenge(s, keys);
	case 2: /* the target's verdict on our answer (and its answer to ours) */
		if (s->o.chap_target_user && check_target(s, keys) < 0)
			return -1;
		s->lg.chap_step = 3;
		break;
	default:
		break;
	}
	if (!(h->flags & LOGIN_F_TRANSIT)) {
		s->lg.transit = true;
		return login_send(s, NULL);
	}
	if (LOGIN_NSG(h) == STAGE_FULL_FEATURE)
		return login_enter_full_feature(s, h, keys);
	return login_send_operational_offer(s);
}
