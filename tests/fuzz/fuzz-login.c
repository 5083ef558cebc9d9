/* Fuzzes the login state machine (and whatever follows a login the input manages to complete):
 * the initiator logs in over a socketpair and every byte it reads is fuzzer input. */
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testing.h"

static void done(struct swi_session *s, int status, void *arg)
{
	(void)s;
	(void)status;
	*(int *)arg = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int sv[2];
	if (size < 1 || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	/* the first byte chooses CHAP or not, and a discovery or normal session */
	struct swi_options o = {
		.initiator_name = "iqn.2026-11.org.swiscsi:fuzz",
		.portal = "127.0.0.1",
		.target_name = data[0] & 1 ? "iqn.2026-11.org.swiscsi:target" : NULL,
		.chap_user = data[0] & 2 ? "user" : NULL,
		.chap_secret = data[0] & 2 ? "secretsecret" : NULL,
		.chap_target_user = data[0] & 4 ? "tuser" : NULL,
		.chap_target_secret = data[0] & 4 ? "tsecretsecret" : NULL,
	};
	if (!o.chap_user) {
		o.chap_target_user = NULL;
		o.chap_target_secret = NULL;
	}
	struct swi_session *s = swi_session_new(&o, NULL);
	int finished = 0;
	if (s && swi_test_login_on_fd(s, sv[0], done, &finished) == 0) {
		size_t off = 1;
		char drain[65536];
		while (off < size && !finished) {
			ssize_t n = write(sv[1], data + off, size - off);
			if (n <= 0)
				break;
			off += (size_t)n;
			if (swi_service(s, POLLIN | POLLOUT) < 0)
				break;
			while (read(sv[1], drain, sizeof(drain)) > 0)
				; /* what the initiator sent */
		}
	}
	close(sv[1]);
	swi_session_free(s);
	return 0;
}
