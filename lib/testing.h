/* Entry points for fuzzers and tests only: run the library over a socket the caller already
 * holds (one end of a socketpair), so that "target" bytes can be fed straight in. */
#ifndef SWISCSI_TESTING_H
#define SWISCSI_TESTING_H

#include "swiscsi/swiscsi.h"
#include "transport.h"

/* Uses fd, an already connected non-blocking stream socket, as the connection. */
void xport_adopt(struct xport *x, int fd);
/* Starts a login over fd instead of connecting to the session's portal. */
int swi_test_login_on_fd(struct swi_session *s, int fd, swi_done_fn done, void *arg);

#endif
