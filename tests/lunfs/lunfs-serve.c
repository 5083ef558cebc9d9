/* lunfs-serve MOUNTPOINT URL...: the LUN side's test driver, until the session daemon serves
 * it. Logs in to each iscsi:// URL with libswiscsi, then runs swiscsid's event loop with the
 * LUN filesystem mounted at MOUNTPOINT and every session attached. Prints one line per LUN
 * ("lun N FILE LOOP BLOCKS BLOCKSIZE rw|ro") then "ready" once all are attached; SIGUSR1
 * rescans every session and prints the list again; SIGTERM (or SIGINT) detaches, unmounts,
 * logs out and exits 0. Settings come from $SWISCSI_DAEMON_CONF; -I names the iface. */
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <unistd.h>

#include "config.h"
#include "evloop.h"
#include "dlog.h"
#include "lunfs.h"
#include "tool_common.h"

enum { MAX_SESSIONS = 16, MAX_DEVICES = 64 };

struct served {
	struct tool_ctx t;
	struct swi_session *s;
	struct ev_io *w;
	struct ev_timer timer;
	struct ev_prepare prep;
	struct lunfs_session *ls;
	char host[256];
	int port;
	bool new_conn;   /* a recovery step ran: the session's socket may be another one */
};

static struct served sessions[MAX_SESSIONS];
static int nsessions, waiting;
static struct evloop *loop;

static void on_session_io(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	struct served *sv = arg;
	if (swi_service(sv->s, (short)revents) < 0) {
		fprintf(stderr, "lunfs-serve: session failed: %s\n", swi_error(sv->s));
		if (sv->w)
			ev_io_set(sv->w, 0);
	}
}

/* Each step of an ERL 0 recovery, told on stderr as the tools do; every step may have
 * replaced the connection (a new socket may even reuse the old one's number). */
static void on_recovery_step(struct swi_session *s, enum swi_state st, const char *cause,
			     void *arg)
{
	(void)s;
	struct served *sv = arg;
	sv->new_conn = true;
	fprintf(stderr, "lunfs-serve: %s (connection %s)\n", cause, swi_state_conn_name(st));
}

static void on_session_timer(struct ev_timer *t, void *arg)
{
	(void)t;
	struct served *sv = arg;
	swi_service(sv->s, 0);
}

/* Before each wait: the events and deadline the session wants now. */
static void on_prepare(struct ev_prepare *p, void *arg)
{
	(void)p;
	struct served *sv = arg;
	if (sv->new_conn && sv->w) {   /* watch whatever socket the session has now afresh */
		ev_io_del(sv->w);
		sv->w = NULL;
	}
	sv->new_conn = false;
	int fd = swi_fd(sv->s);
	uint32_t ev = (uint32_t)swi_events(sv->s) & (EPOLLIN | EPOLLOUT);
	if (fd >= 0 && !sv->w)
		sv->w = ev_io_add(loop, fd, ev, on_session_io, sv);
	else if (sv->w)
		ev_io_set(sv->w, ev);
	ev_timer_start(loop, &sv->timer, swi_timeout_ms(sv->s));
}

static void print_devices(void)
{
	struct lunfs_device d[MAX_DEVICES];
	for (int i = 0; i < nsessions; i++) {
		size_t n = lunfs_session_devices(sessions[i].ls, d, MAX_DEVICES);
		for (size_t k = 0; k < n && k < MAX_DEVICES; k++)
			printf("lun %" PRIu64 " %s %s %" PRIu64 " %u %s\n", d[k].lun, d[k].file,
			       d[k].loop[0] ? d[k].loop : "-", d[k].blocks, d[k].block_size,
			       d[k].read_only ? "ro" : "rw");
	}
	printf("ready\n");
	fflush(stdout);
}

static void step_done(void *arg, int status, const char *message)
{
	(void)arg;
	if (status < 0) {
		fprintf(stderr, "lunfs-serve: %s\n", message);
		exit(1);
	}
	if (--waiting == 0)
		print_devices();
}

static void on_signal(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)revents;
	(void)arg;
	struct signalfd_siginfo si;
	while (read(ev_io_fd(w), &si, sizeof(si)) == (ssize_t)sizeof(si)) {
		if (si.ssi_signo != SIGUSR1) {
			evloop_stop(loop);
			return;
		}
		waiting = nsessions;
		for (int i = 0; i < nsessions; i++)
			if (lunfs_rescan_session(sessions[i].ls, step_done, NULL) < 0)
				step_done(NULL, -1, "rescan refused");
	}
}

/* "host:port" or "[v6]:port" into the address and port of the LUN files' names. */
static void split_portal(const char *portal, char *host, size_t len, int *port)
{
	const char *colon = strrchr(portal, ':');
	size_t n = colon ? (size_t)(colon - portal) : strlen(portal);
	if (portal[0] == '[' && n >= 2 && portal[n - 1] == ']') {
		portal++;
		n -= 2;
	}
	snprintf(host, len, "%.*s", (int)n, portal);
	*port = colon ? atoi(colon + 1) : 3260;
}

static void login(struct served *sv, const char *url)
{
	tool_init(&sv->t, "lunfs-serve", url, NULL);
	sv->s = tool_session(&sv->t, 0);
	if (swi_login(sv->s) < 0)
		tool_fail(&sv->t, sv->s);
	split_portal(sv->t.url.portal, sv->host, sizeof(sv->host), &sv->port);
	swi_session_on_state(sv->s, on_recovery_step, sv);
	sv->w = ev_io_add(loop, swi_fd(sv->s), EPOLLIN, on_session_io, sv);
	if (!sv->w) {
		perror("lunfs-serve: epoll");
		exit(1);
	}
	ev_timer_init(&sv->timer, on_session_timer, sv);
	ev_prepare_add(loop, &sv->prep, on_prepare, sv);
}

static struct ev_io *watch_signals(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int fd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	return fd < 0 ? NULL : ev_io_add(loop, fd, EPOLLIN, on_signal, NULL);
}

int main(int argc, char **argv)
{
	const char *iface = "default";
	int opt;
	while ((opt = getopt(argc, argv, "I:")) != -1)
		if (opt == 'I')
			iface = optarg;
	if (argc - optind < 2 || argc - optind - 1 > MAX_SESSIONS) {
		fprintf(stderr, "usage: lunfs-serve [-I IFACE] MOUNTPOINT iscsi://host[:port]/target...\n");
		return 7;
	}
	struct swiscsid_config cfg;
	char err[512];
	if (config_load(config_path(), &cfg, err, sizeof(err)) < 0) {
		fprintf(stderr, "lunfs-serve: %s\n", err);
		return 1;
	}
	loop = evloop_new();
	struct ev_io *sig = loop ? watch_signals() : NULL;
	if (!sig) {
		perror("lunfs-serve: event loop");
		return 1;
	}
	struct lunfs *fs = lunfs_start(loop, argv[optind], &cfg.lunfs, err, sizeof(err));
	if (!fs) {
		fprintf(stderr, "lunfs-serve: %s\n", err);
		return 1;
	}
	nsessions = argc - optind - 1;
	waiting = nsessions;
	for (int i = 0; i < nsessions; i++) {
		struct served *sv = &sessions[i];
		login(sv, argv[optind + 1 + i]);
		struct lunfs_session_id id = { .iface = iface, .address = sv->host, .port = sv->port,
					       .target = sv->t.url.target };
		if (lunfs_attach_session(fs, sv->s, &id, step_done, NULL, &sv->ls) < 0) {
			fprintf(stderr, "lunfs-serve: cannot attach the session\n");
			return 1;
		}
	}
	int rc = evloop_run(loop);
	/* detaches every session, serving FUSE and the sessions meanwhile */
	lunfs_stop(fs, ev_now_ms() + 10000);
	for (int i = 0; i < nsessions; i++) {
		ev_prepare_del(loop, &sessions[i].prep);
		ev_timer_stop(loop, &sessions[i].timer);
		if (sessions[i].w)
			ev_io_del(sessions[i].w);
		swi_logout(sessions[i].s);
		swi_session_free(sessions[i].s);
		tool_done(&sessions[i].t);
	}
	close(ev_io_fd(sig));
	evloop_free(loop);
	return rc < 0 ? 1 : 0;
}
