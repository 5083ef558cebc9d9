#include "control.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "dlog.h"

struct control {
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	const struct control_handler *handlers;
	void *ctx;
	char path[108];
	struct ctl_client *clients;
};

/* A client has this long to send its whole request; one that stalls is dropped. */
#define REQUEST_TIMEOUT_MS 10000

struct ctl_client {
	struct control *ctl;
	struct ctl_client *next;
	int fd;
	struct ev_io *io;
	struct ev_timer deadline;
	uint64_t in[(CTL_MAX_REQUEST + sizeof(struct ctl_header)) / 8 + 1]; /* 8-aligned */
	size_t inlen;
	uint16_t kind;
	bool dispatched;
	struct ctl_buf out;
	size_t sent;
	void (*gone)(void *arg);
	void *gone_arg;
};

static void client_free(struct ctl_client *c)
{
	struct ctl_client **pp = &c->ctl->clients;
	while (*pp && *pp != c)
		pp = &(*pp)->next;
	if (*pp)
		*pp = c->next;
	if (c->gone)
		c->gone(c->gone_arg);
	ev_timer_stop(c->ctl->loop, &c->deadline);
	ev_io_del(c->io);
	close(c->fd);
	ctl_buf_free(&c->out);
	free(c);
}

static void flush(struct ctl_client *c)
{
	while (c->sent < c->out.len) {
		ssize_t n = send(c->fd, c->out.p + c->sent, c->out.len - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			ev_io_set(c->io, EPOLLOUT);
			return;
		}
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	client_free(c);
}

void control_reply(struct ctl_client *c, struct ctl_buf *b)
{
	c->gone = NULL;   /* answered: nobody waits on it any longer */
	ctl_buf_free(&c->out);
	c->out = *b;
	memset(b, 0, sizeof(*b));
	c->sent = 0;
	if (ctl_buf_finish(&c->out) < 0) {
		dlog(LOG_ERR, "out of memory building a reply");
		client_free(c);
		return;
	}
	flush(c);
}

void control_reply_status(struct ctl_client *c, int status, uint32_t sid, const char *fmt, ...)
{
	struct ctl_status st = { .status = status, .sid = sid };
	if (fmt) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(st.message, sizeof(st.message), fmt, ap);
		va_end(ap);
	}
	struct ctl_buf b = { 0 };
	ctl_buf_begin(&b, c->kind, &st);
	control_reply(c, &b);
}

uint16_t control_kind(const struct ctl_client *c)
{
	return c->kind;
}

void control_on_gone(struct ctl_client *c, void (*fn)(void *arg), void *arg)
{
	c->gone = fn;
	c->gone_arg = arg;
}

static void dispatch(struct ctl_client *c)
{
	struct ctl_request r;
	char err[256];
	c->dispatched = true;
	ev_timer_stop(c->ctl->loop, &c->deadline);
	ev_io_set(c->io, 0);
	if (ctl_decode_request(c->in, c->inlen, &r, err, sizeof(err)) < 0) {
		dlog(LOG_WARNING, "control request refused: %s", err);
		control_reply_status(c, 16, 0, "%s", err);   /* ISCSI_ERR_INVALID_MGMT_REQ */
		return;
	}
	c->kind = r.kind;
	for (const struct control_handler *h = c->ctl->handlers; h->handle; h++) {
		if (h->kind == r.kind) {
			h->handle(c, &r, c->ctl->ctx);
			return;
		}
	}
	control_reply_status(c, 16, 0, "request kind %u is not handled", r.kind);
}

/* Reads until the header says the whole request is in. */
static void client_read(struct ctl_client *c)
{
	for (;;) {
		size_t want = sizeof(struct ctl_header);
		if (c->inlen >= want) {
			const struct ctl_header *h = (const struct ctl_header *)c->in;
			char err[256];
			if (ctl_check_header(h, CTL_MAX_REQUEST, err, sizeof(err)) < 0) {
				dispatch(c);   /* replies with the problem */
				return;
			}
			want += h->length;
			if (c->inlen >= want) {
				dispatch(c);
				return;
			}
		}
		ssize_t n = recv(c->fd, (char *)c->in + c->inlen, want - c->inlen, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN)
			return;
		if (n <= 0) {
			client_free(c);   /* hung up before asking anything */
			return;
		}
		c->inlen += (size_t)n;
	}
}

static void client_event(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	struct ctl_client *c = arg;
	if (!c->dispatched) {
		client_read(c);
	} else if (c->out.len) {
		flush(c);
	} else if (revents & (EPOLLHUP | EPOLLERR)) {
		client_free(c);   /* gone while its request was being worked on */
	}
}

static void too_slow(struct ev_timer *t, void *arg)
{
	(void)t;
	struct ctl_client *c = arg;
	dlog(LOG_WARNING, "control client sent no complete request within %d ms; dropped",
	     REQUEST_TIMEOUT_MS);
	client_free(c);
}

/* Root, or whoever the daemon runs as; nobody else may drive sessions. */
static bool peer_allowed(int fd, struct ucred *cred)
{
	socklen_t len = sizeof(*cred);
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, cred, &len) < 0)
		return false;
	return cred->uid == 0 || cred->uid == geteuid();
}

static void refuse(int fd, const struct ucred *cred)
{
	struct ctl_status st = { .status = 13 };   /* ISCSI_ERR_ACCESS */
	snprintf(st.message, sizeof(st.message),
		 "permission denied: swiscsid accepts requests from root and uid %u only",
		 (unsigned)geteuid());
	struct ctl_buf b = { 0 };
	ctl_buf_begin(&b, 0, &st);
	if (ctl_buf_finish(&b) == 0 && send(fd, b.p, b.len, MSG_NOSIGNAL | MSG_DONTWAIT) < 0)
		dlog(LOG_DEBUG, "refusal not delivered: %s", strerror(errno));
	ctl_buf_free(&b);
	dlog(LOG_WARNING, "control connection from uid %u pid %d refused", (unsigned)cred->uid,
	     (int)cred->pid);
	/* Closing a unix socket with unread data resets the peer before it reads the refusal:
	 * stop further data, then discard (never look at) what it had sent already. */
	shutdown(fd, SHUT_RDWR);
	char scratch[4096];
	while (recv(fd, scratch, sizeof(scratch), MSG_DONTWAIT) > 0)
		;
	close(fd);
}

static void on_accept(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	(void)revents;
	struct control *ctl = arg;
	for (;;) {
		int fd = accept4(ctl->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0)
			return;
		struct ucred cred;
		if (!peer_allowed(fd, &cred)) {
			refuse(fd, &cred);
			continue;
		}
		struct ctl_client *c = calloc(1, sizeof(*c));
		if (!c || !(c->io = ev_io_add(ctl->loop, fd, EPOLLIN, client_event, c))) {
			free(c);
			close(fd);
			continue;
		}
		c->ctl = ctl;
		c->fd = fd;
		c->next = ctl->clients;
		ctl->clients = c;
		ev_timer_init(&c->deadline, too_slow, c);
		ev_timer_start(ctl->loop, &c->deadline, REQUEST_TIMEOUT_MS);
	}
}

/* The socket systemd opened for us (swiscsid.socket), as sd_listen_fds(3) passes it: fd 3
 * when LISTEN_PID is ours. -1 when started otherwise. */
static int inherited_socket(void)
{
	const char *pid = getenv("LISTEN_PID"), *n = getenv("LISTEN_FDS");
	if (!pid || !n || atol(pid) != (long)getpid() || atoi(n) < 1)
		return -1;
	unsetenv("LISTEN_PID");
	unsetenv("LISTEN_FDS");
	unsetenv("LISTEN_FDNAMES");
	int fd = 3;
	int fl = fcntl(fd, F_GETFL);
	if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
		return -1;
	return fd;
}

static int listen_on(struct control *ctl, const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	ctl->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	unlink(path);   /* a stale socket of a daemon that died; the pid file lock says none runs */
	/* 0600 from the start: no window in which others could connect */
	mode_t old = umask(0177);
	int rc = ctl->fd < 0 ? -1 : bind(ctl->fd, (struct sockaddr *)&sa, sizeof(sa));
	umask(old);
	if (rc == 0)
		rc = listen(ctl->fd, 64);
	if (rc == 0)
		snprintf(ctl->path, sizeof(ctl->path), "%s", path);   /* ours to remove */
	return rc;
}

struct control *control_start(struct evloop *l, const char *path,
			      const struct control_handler *handlers, void *ctx, char *err,
			      size_t errlen)
{
	if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
		snprintf(err, errlen, "socket path %s is too long", path);
		return NULL;
	}
	struct control *ctl = calloc(1, sizeof(*ctl));
	if (!ctl) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	ctl->loop = l;
	ctl->handlers = handlers;
	ctl->ctx = ctx;
	ctl->fd = inherited_socket();
	int rc = ctl->fd >= 0 ? 0 : listen_on(ctl, path);
	if (rc < 0 || !(ctl->io = ev_io_add(l, ctl->fd, EPOLLIN, on_accept, ctl))) {
		snprintf(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
		if (ctl->fd >= 0)
			close(ctl->fd);
		free(ctl);
		return NULL;
	}
	return ctl;
}

void control_stop(struct control *ctl)
{
	if (!ctl)
		return;
	while (ctl->clients)
		client_free(ctl->clients);
	ev_io_del(ctl->io);
	close(ctl->fd);
	if (ctl->path[0])
		unlink(ctl->path);   /* not systemd's socket: that one stays for the next start */
	free(ctl);
}
