/* Fuzzes the login state machine (and whatever follows a login the input manages to complete):
 * the initiator logs in over a socketpair and every PDU it reads comes from the fuzzer input.
 * Input: one byte of options, then PDUs as on the wire (48-byte header, data segment, padding).
 * The options choose a discovery or normal session; no CHAP, one-way or mutual CHAP, offering
 * every algorithm or MD5 only; and whether ITT/ISID are left as the input has them rather
 * than copied from the session (see fuzz_peer.h). */
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_peer.h"
#include "testing.h"

enum { OPT_NORMAL = 1, OPT_CHAP = 2, OPT_MUTUAL = 4, OPT_RAW = 8, OPT_MD5_ONLY = 16 };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	uint8_t opt = data[0];
	bool chap = opt & OPT_CHAP, mutual = chap && (opt & OPT_MUTUAL);
	struct swi_options o = {
		.initiator_name = "iqn.2026-11.org.swiscsi:fuzz",
		.portal = "127.0.0.1",
		.target_name = opt & OPT_NORMAL ? "iqn.2026-11.org.swiscsi:target" : NULL,
		.chap_user = chap ? "user" : NULL,
		.chap_secret = chap ? "secretsecret" : NULL,
		.chap_target_user = mutual ? "tuser" : NULL,
		.chap_target_secret = mutual ? "tsecretsecret" : NULL,
		.chap_algs = opt & OPT_MD5_ONLY ? "MD5" : NULL,
	};
	struct swi_session *s = swi_session_new(&o, NULL);
	struct fuzz_peer p = { .s = s, .fd = sv[1], .raw = opt & OPT_RAW };
	if (s && swi_test_login_on_fd(s, sv[0], fuzz_peer_done, &p) == 0) {
		const uint8_t *in = data + 1;
		size_t left = size - 1;
		while (fuzz_peer_step(&p, &in, &left))
			;
	}
	fuzz_peer_report(&p);
	close(sv[1]);
	swi_session_free(s);
	return 0;
}
