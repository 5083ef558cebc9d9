/* Fuzzes SendTargets answers: the harness logs a discovery session in itself (two honest Login
 * Responses), asks for SendTargets=All, and every Text Response the initiator then reads comes
 * from the fuzzer input. Input: one byte of options (bit 0: leave ITTs as given), then PDUs as on
 * the wire (48-byte header, data segment, padding), as in fuzz-login. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz_peer.h"
#include "testing.h"

static bool log_in(struct fuzz_peer *p)
{
	static const char security[] = "AuthMethod=None";
	static const char operational[] = "HeaderDigest=None\0DataDigest=None\0"
					  "MaxRecvDataSegmentLength=262144";
	return fuzz_peer_login_response(p, LOGIN_F_TRANSIT | STAGE_OPERATIONAL, security,
					sizeof(security)) &&
	       fuzz_peer_login_response(p, LOGIN_F_TRANSIT | STAGE_OPERATIONAL << 2 |
					       STAGE_FULL_FEATURE, operational, sizeof(operational)) &&
	       p->finished;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	struct swi_options o = { .initiator_name = "iqn.2026-11.org.swiscsi:fuzz",
				 .portal = "127.0.0.1" };
	struct swi_session *s = swi_session_new(&o, NULL);
	struct fuzz_peer p = { .s = s, .fd = sv[1] };
	struct swi_target_list list = { 0 };
	if (s && swi_test_login_on_fd(s, sv[0], fuzz_peer_done, &p) == 0 && log_in(&p)) {
		p.finished = 0;
		p.raw = data[0] & 1;
		if (swi_sendtargets_async(s, &list, fuzz_peer_done, &p) == 0) {
			const uint8_t *in = data + 1;
			size_t left = size - 1;
			while (fuzz_peer_step(&p, &in, &left))
				;
			/* what an application does with the answer: read every name and portal */
			size_t sum = 0;
			for (size_t i = 0; i < list.n; i++) {
				sum += strlen(list.v[i].name);
				for (size_t j = 0; j < list.v[i].nportals; j++)
					sum += strlen(list.v[i].portals[j]);
			}
			(void)sum;
		}
	}
	fuzz_peer_report(&p);
	close(sv[1]);
	swi_session_free(s);
	swi_target_list_free(&list);
	return 0;
}
