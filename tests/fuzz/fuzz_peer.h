/* The "target" end of a fuzzed connection: the initiator runs over one end of a socketpair and
 * the harness writes PDUs taken from the fuzzer's input into the other. The ITT (and for Login
 * Responses the ISID) are random per session, so the harness copies the session's own into
 * each PDU unless told not to: without that no input could get past the first response. */
#ifndef SWISCSI_FUZZ_PEER_H
#define SWISCSI_FUZZ_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "session.h"

struct fuzz_peer {
	struct swi_session *s;
	int fd;               /* the target's end */
	bool raw;             /* send headers as given, ITT and ISID included */
	int finished;         /* set by fuzz_peer_done */
};

/* An swi_done_fn for operations the harness starts: sets finished (arg is the peer). */
void fuzz_peer_done(struct swi_session *s, int status, void *arg);

/* Sends one PDU taken from *in as on the wire (a 48-byte header, its data segment and
 * padding; the segment is cut to what is left of the input), so that a recorded session
 * (record-seed.py) is an input. Lets the session handle it; false once the input is used up
 * or the operation ended. */
bool fuzz_peer_step(struct fuzz_peer *p, const uint8_t **in, size_t *left);

/* Builds and sends a Login Response: flags, a text segment, status 0. */
bool fuzz_peer_login_response(struct fuzz_peer *p, uint8_t flags, const char *text, size_t len);

/* With FUZZ_VERBOSE set in the environment, prints how the session ended (for seed authors). */
void fuzz_peer_report(const struct fuzz_peer *p);

#endif
