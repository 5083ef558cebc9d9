/* Fuzzes the receive path: arbitrary bytes from a "target" go through the transport's
 * bytes-needed state machine (headers, AHS, digests, data) over a socketpair. */
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testing.h"
#include "transport.h"

static volatile uint8_t checksum;

static int on_pdu(void *owner, const struct bhs *h, uint8_t *data)
{
	(void)owner;
	/* touch the data so a bad length shows up under ASan */
	for (uint32_t i = 0; data && i < h->data_len; i++)
		checksum += data[i];
	return h->opcode == OP_REJECT; /* exercise the refusal path too */
}

static uint8_t sink[1 << 16];

static uint8_t *want_data(void *owner, const struct bhs *h)
{
	(void)owner;
	return h->opcode == OP_DATA_IN && h->data_len <= sizeof(sink) ? sink : NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv) < 0)
		return 0;
	struct xport *x = xport_new(NULL, on_pdu, want_data);
	xport_adopt(x, sv[0]);
	/* the first byte picks digests, so both receive paths are explored */
	xport_set_digests(x, data[0] & 1, data[0] & 2);
	xport_set_max_recv(x, 8192);
	size_t off = 1;
	while (off < size) {
		/* MSG_NOSIGNAL: the transport closes sv[0] on a protocol error; a write() then
		 * raises SIGPIPE and ends the fuzzer without a report */
		ssize_t n = send(sv[1], data + off, size - off, MSG_NOSIGNAL);
		if (n <= 0)
			break;
		off += (size_t)n;
		if (xport_service(x, POLLIN) < 0)
			break;
	}
	close(sv[1]);
	xport_service(x, POLLIN);
	xport_free(x); /* closes sv[0] */
	return 0;
}
