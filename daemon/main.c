/* swiscsid, the session daemon: one process, one event loop driving every session, its timers,
 * the control socket and the LUN filesystem at $SWISCSI_RUNDIR/disks. `--foreground` logs to
 * stderr; otherwise it daemonises and logs to syslog. SIGTERM/SIGINT detach every session's
 * LUN files, log it out, unmount and exit 0 within 10 s (the phases below). */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config.h"
#include "control.h"
#include "dlog.h"
#include "evloop.h"
#include "handlers.h"
#include "link_watch.h"
#include "lunfs.h"
#include "rundir.h"
#include "sessions.h"

/* SIGTERM's promise is an exit within 10 s, however the targets behave. Its phases, from the
 * signal: detaches and logouts get LOGOUT_MS; the sessions still there are then aborted (no
 * logout; their commands fail) and get until ABORT_MS to let go of their files; the LUN
 * filesystem's own end (loop devices, unmount) gets until STOP_MS. Past STOP_MS it unmounts
 * whatever is pending; 1.5 s is left for the process's exit. */
#define LOGOUT_MS 5000
#define ABORT_MS 7000
#define STOP_MS 8500
#define STOP_UNSIGNALLED_MS 3000   /* lunfs_stop's share when the loop ended for another reason */
#define DISKS_DIR "disks"  /* the LUN filesystem's mount point in the run directory */

struct daemon {
	struct evloop *loop;
	struct sessions *sessions;
	struct lunfs *fs;
	struct swiscsid_config cfg;
	struct control *control;
	struct link_watch *links;   /* bound devices going down: sessions_link_down, _link_table */
	struct ev_io *sigio;
	int sigfd;
	struct ev_timer deadline;
	bool stopping, aborted;
	uint64_t stop_by;   /* STOP_MS after the signal */
};

static void all_out(void *arg)
{
	struct daemon *d = arg;
	evloop_stop(d->loop);
}

static void too_slow(struct ev_timer *t, void *arg)
{
	struct daemon *d = arg;
	if (!d->aborted) {
		d->aborted = true;
		dlog(LOG_WARNING, "sessions did not log out within %d ms; aborting them", LOGOUT_MS);
		ev_timer_start(d->loop, t, ABORT_MS - LOGOUT_MS);
		sessions_abort_all(d->sessions, "swiscsid is shutting down and the target did "
						 "not let the session go in time");
		return;
	}
	dlog(LOG_WARNING, "aborted sessions still there after %d ms; unmounting anyway", ABORT_MS);
	evloop_stop(d->loop);
}

static void on_signal(struct ev_io *w, uint32_t revents, void *arg)
{
	(void)w;
	(void)revents;
	struct daemon *d = arg;
	struct signalfd_siginfo si;
	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (d->stopping)
			continue;
		d->stopping = true;
		dlog(LOG_INFO, "caught %s, logging every session out", strsignal((int)si.ssi_signo));
		control_stop(d->control);   /* no new requests while going down */
		d->control = NULL;
		d->stop_by = ev_now_ms() + STOP_MS;
		ev_timer_init(&d->deadline, too_slow, d);
		ev_timer_start(d->loop, &d->deadline, LOGOUT_MS);
		sessions_logout_all(d->sessions, all_out, d);
	}
}

static int watch_signals(struct daemon *d)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigprocmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	d->sigfd = signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC);
	if (d->sigfd < 0 || !(d->sigio = ev_io_add(d->loop, d->sigfd, EPOLLIN, on_signal, d))) {
		dlog(LOG_ERR, "cannot watch signals: %s", strerror(errno));
		return -1;
	}
	return 0;
}

static void usage(FILE *f)
{
	fprintf(f, "usage: swiscsid [--foreground] [--version] [--help]\n"
		   "  the session daemon of swiscsi; see swiscsid(8)\n");
}

/* Returns 1 to go on, 0 to exit with success, -1 on a bad command line. */
static int parse_args(int argc, char **argv, bool *foreground)
{
	static const struct option longs[] = {
		{ "foreground", no_argument, NULL, 'f' },
		{ "version", no_argument, NULL, 'V' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "fVh", longs, NULL)) != -1) {
		switch (c) {
		case 'f': *foreground = true; break;
		case 'V': printf("swiscsid version %s\n", SWISCSI_VERSION); return 0;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "swiscsid: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	return 1;
}

static void link_down(unsigned ifindex, const char *name, const char *why, void *arg)
{
	sessions_link_down(arg, ifindex, name, why);
}

static unsigned links_reread(const struct link_table *now, void *arg)
{
	return sessions_link_table(arg, now);
}

static int start(struct daemon *d)
{
	char err[512], path[4096];
	d->loop = evloop_new();
	d->sessions = d->loop ? sessions_new(d->loop) : NULL;
	if (!d->sessions) {
		dlog(LOG_ERR, "cannot create the event loop: %s", strerror(errno));
		return -1;
	}
	if (watch_signals(d) < 0)
		return -1;
	rundir_file(DISKS_DIR, path, sizeof(path));
	d->fs = lunfs_start(d->loop, path, &d->cfg.lunfs, err, sizeof(err));
	if (!d->fs) {
		dlog(LOG_ERR, "%s", err);
		return -1;
	}
	sessions_set_lunfs(d->sessions, d->fs);
	sessions_set_config(d->sessions, &d->cfg);
	d->links = link_watch_start(d->loop, link_down, links_reread, d->sessions);
	if (!d->links)   /* not fatal: the keepalives still notice a dead device, only later */
		dlog(LOG_WARNING, "cannot watch the network devices' links: %s", strerror(errno));
	rundir_file(CTL_SOCKET_NAME, path, sizeof(path));
	d->control = control_start(d->loop, path, daemon_handlers, d->sessions, err, sizeof(err));
	if (!d->control) {
		dlog(LOG_ERR, "%s", err);
		return -1;
	}
	return 0;
}

static void stop(struct daemon *d)
{
	control_stop(d->control);
	if (d->sessions && d->fs)   /* nothing may hold the LUN files from here on */
		sessions_abort_all(d->sessions, "swiscsid is stopping");
	/* after logout_all nothing is attached; otherwise lunfs_stop takes the files down, the
	 * loop still driving the (aborted) sessions meanwhile */
	lunfs_stop(d->fs, d->stopping ? d->stop_by : ev_now_ms() + STOP_UNSIGNALLED_MS);
	sessions_set_lunfs(d->sessions, NULL);
	link_watch_stop(d->links);
	sessions_free(d->sessions);
	if (d->sigio)
		ev_io_del(d->sigio);
	if (d->sigfd > 0)
		close(d->sigfd);
	if (d->loop)
		evloop_free(d->loop);
}

int main(int argc, char **argv)
{
	bool foreground = false;
	int rc = parse_args(argc, argv, &foreground);
	if (rc <= 0)
		return rc < 0 ? 7 : 0;
	umask(077);
	dlog_init(foreground);
	char err[512];
	struct daemon d = { .sigfd = -1 };
	if (config_load(config_path(), &d.cfg, err, sizeof(err)) < 0) {
		dlog(LOG_ERR, "%s", err);
		if (!foreground)
			fprintf(stderr, "swiscsid: %s\n", err);
		return 1;
	}
	int pidfd = rundir_claim(err, sizeof(err));
	if (pidfd < 0) {
		dlog(LOG_ERR, "%s", err);
		if (!foreground)
			fprintf(stderr, "swiscsid: %s\n", err);
		return 1;
	}
	if (!foreground) {
		if (daemon(0, 0) < 0) {
			fprintf(stderr, "swiscsid: cannot daemonise: %s\n", strerror(errno));
			return 1;
		}
		rundir_write_pid(pidfd);   /* the lock survives: daemon() forks, the fd is shared */
	}
	rc = start(&d);
	if (rc == 0) {
		dlog(LOG_INFO, "swiscsid %s started, run directory %s", SWISCSI_VERSION,
		     rundir_path());
		sessions_login_automatic(d.sessions);
		rc = evloop_run(d.loop);
	}
	stop(&d);
	rundir_release(pidfd);
	dlog(LOG_INFO, "swiscsid stopped");
	return rc == 0 ? 0 : 1;
}
