/* Fuzzes the daemon's control request decoder (and the CLI's session and multipath map reply
 * decoders) with arbitrary bytes: none may read outside the message or accept an unterminated
 * string. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size heap copy, 8-aligned as the socket buffers are: ASan sees overreads */
	void *buf = malloc(size ? size : 1);
	if (!buf)
		return 0;
	memcpy(buf, data, size);
	struct ctl_request req;
	char err[256];
	if (ctl_decode_request(buf, size, &req, err, sizeof(err)) == 0 && req.kind == CTL_LOGIN &&
	    strlen(req.u.login.node.target) >= sizeof(req.u.login.node.target))
		abort();
	struct ctl_reply r;
	if (ctl_decode_reply(buf, size, CTL_LIST, &r, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < r.nsessions; i++)
			if (strlen(r.sessions[i]->node.target) >= sizeof(r.sessions[i]->node.target))
				abort();
		ctl_reply_free(&r);
	}
	if (ctl_decode_reply(buf, size, CTL_MPATH_LIST, &r, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < r.nmaps; i++)
			if (strlen(r.maps[i]->wwid) >= sizeof(r.maps[i]->wwid))
				abort();
		ctl_reply_free(&r);
	}
	free(buf);
	return 0;
}
