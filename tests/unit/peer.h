/* A scripted target for unit tests of the library's data path: the initiator runs over one end
 * of a socketpair (lib/testing.h), the test writes the target's PDUs byte for byte into the
 * other end and reads what the initiator sent. Nothing runs in the background: every wait
 * drives swi_service() itself, so a test is deterministic. */
#ifndef SWISCSI_TEST_PEER_H
#define SWISCSI_TEST_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "pdu.h"
#include "swiscsi/swiscsi.h"

struct peer {
	struct swi_session *s;
	int fd;                    /* the target's end */
	uint32_t statsn, expcmdsn;
	uint8_t isid[6];
};

/* The initiator's options for a peer session (timeouts long, keepalive off); change before
 * peer_login. */
void peer_options(struct swi_options *o);
/* Logs in over a fresh socketpair; the operational answer is ops, "Key=Value" strings NUL
 * separated and ending with an empty one (the target's side of the negotiation). Asserts
 * success. */
void peer_login(struct peer *p, const struct swi_options *o, const char *ops, size_t ops_len);
void peer_close(struct peer *p);
/* A session recovering its connection: accepts its reconnect on listen_fd (driving it until
 * it comes) and answers the login like peer_login; the first Login Request's header goes to
 * first (may be NULL). Asserts the session is logged in again. */
void peer_accept_login(struct peer *p, int listen_fd, const char *ops, size_t ops_len,
		       struct bhs *first);

/* Sends a target PDU; StatSN/ExpCmdSN/MaxCmdSN are filled in for kinds that carry them
 * (status=true consumes a StatSN). Drives the initiator while the socket is full. */
void peer_send(struct peer *p, struct bhs *h, const void *data, bool status);
/* Reads the initiator's next PDU (driving the initiator meanwhile). Its data goes into data
 * (cap bytes at most; the rest is discarded). false when none came after many rounds. */
bool peer_recv(struct peer *p, struct bhs *h, uint8_t *data, size_t cap);
/* One round of the initiator's event loop, waiting at most ms for its socket. Returns the
 * swi_service result. */
int peer_pump(struct peer *p, int ms);
/* Shrinks the initiator's socket send buffer, so that large writes stay queued in the
 * library while the target does not read. */
void peer_small_sndbuf(struct peer *p);

#endif
