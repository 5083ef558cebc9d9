/* One TCP connection to a portal carrying iSCSI PDUs: non-blocking connect (optionally bound to
 * a device or source address), a queue of PDUs to send with scatter-gather I/O, and a
 * "bytes needed" receive state machine that checks each header as soon as it is complete and
 * lets its owner say where the data segment should land. Digests are CRC32C (ISA-L). */
#ifndef SWISCSI_TRANSPORT_H
#define SWISCSI_TRANSPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "pdu.h"

/* Where a connection must come from: SO_BINDTODEVICE to a device, and/or a source address. */
struct xport_binding {
	char ifname[16];                 /* "" = any device */
	struct sockaddr_storage source;  /* ss_family 0 = any source */
};

struct xport;

/* Called with each complete, digest-checked PDU. data points to the data segment (either the
 * buffer the owner supplied from want_data, or the transport's own, valid until return). A
 * non-zero return means the owner found the PDU unacceptable (it keeps its own account of
 * why): the connection is failed. */
typedef int (*xport_pdu_fn)(void *owner, const struct bhs *h, uint8_t *data);
/* Called when a header is complete: return where its data_len bytes should go (the owner's
 * buffer, e.g. a read command's), or NULL to let the transport buffer them. */
typedef uint8_t *(*xport_data_fn)(void *owner, const struct bhs *h);

/* Called when the transport is about to wait: how many data bytes the owner is sure are on
 * their way (reads in flight). */
typedef uint64_t (*xport_expect_fn)(void *owner);

struct xport *xport_new(void *owner, xport_pdu_fn on_pdu, xport_data_fn want_data);
/* With expect set, a transport waiting for a large amount of read data asks the kernel to
 * wake it only when much of it has arrived (SO_RCVLOWAT) instead of at every segment, and
 * wants a short guard timer (xport_guard_ms) in case less arrives than expected. */
void xport_set_expect(struct xport *x, xport_expect_fn expect);
/* Milliseconds the caller's poll should wait at most, or -1 when the transport needs no
 * timer. */
int xport_guard_ms(const struct xport *x);
void xport_free(struct xport *x);

/* Starts a non-blocking connect to addr. 0, or -1 with the reason in xport_error(). */
int xport_connect(struct xport *x, const struct sockaddr *addr, socklen_t len,
		  const struct xport_binding *bind);
bool xport_connected(const struct xport *x);
int xport_fd(const struct xport *x);
/* poll()/epoll events the connection wants now (POLLIN always, POLLOUT while connecting or
 * while output is queued). */
short xport_events(const struct xport *x);

/* Digests and our receive limit, switched on when login has negotiated them. */
void xport_set_digests(struct xport *x, bool header, bool data);
void xport_set_max_recv(struct xport *x, uint32_t max_recv_dsl);

/* Queues a PDU: the header is copied; data (len h->data_len) is referenced until sent, so the
 * caller keeps it alive (pass copy=true to have it copied). 0 or -1 (out of memory). */
int xport_queue(struct xport *x, const struct bhs *h, const void *data, bool copy);

/* Batching on: xport_queue writes the first PDU of a turn (the time between two xport_flush
 * calls) at once, the others wait for xport_flush (or xport_service) to go out together in one
 * sendmsg. Off (the default): every PDU queued when nothing else waits is written at once. */
void xport_set_batching(struct xport *x, bool on);
/* Writes what is queued, unless the socket's buffer was full (then POLLOUT and xport_service
 * do). 0, or -1 when the connection failed (reason in xport_error()). */
int xport_flush(struct xport *x);

/* Sequence number of the PDU queued last; xport_sent(seq) tells whether that PDU (and every
 * one queued before it) has been written out in full or dropped. */
uint32_t xport_last_seq(const struct xport *x);
bool xport_sent(const struct xport *x, uint32_t seq);
/* Bytes of copied data (copy=true) still waiting to be sent. */
size_t xport_copied(const struct xport *x);
/* The caller is done with the data of its PDUs tagged itt (a finished task whose buffer may be
 * freed): those not begun are dropped, a half-written one gets a copy of its data. 0, or -1
 * when no copy could be made (the connection is then failed: nothing more is sent). */
int xport_release(struct xport *x, uint32_t itt);

/* Handles revents from poll: finishes a connect, writes queued output, reads and dispatches
 * every complete PDU. 0 while healthy, or -1 when the connection failed (reason in xport_error(): refused, reset, closed by the target, digest mismatch,
 * malformed header). */
int xport_service(struct xport *x, short revents);

const char *xport_error(const struct xport *x);
/* errno of the failure, when a system call failed (ECONNREFUSED, ETIMEDOUT, ...), else 0. */
int xport_errno(const struct xport *x);
uint64_t xport_digest_errors(const struct xport *x);
/* The local address and device the connection actually uses (after connect). */
int xport_local(const struct xport *x, struct sockaddr_storage *addr);

#endif
