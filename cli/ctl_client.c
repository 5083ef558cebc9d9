#include "ctl_client.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "db_paths.h"
#include "exit_codes.h"
#include "msg.h"

#define START_WAIT_MS 10000   /* how long a freshly started daemon gets to open its socket */
#define REPLY_WAIT_MS 600000  /* a login is bounded by its record's timeouts; this is a backstop */

static void socket_path(char *buf, size_t len)
{
	const char *d = getenv("SWISCSI_RUNDIR");
	snprintf(buf, len, "%s/%s", d && d[0] ? d : "/run/swiscsi", CTL_SOCKET_NAME);
}

static int try_connect(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	socket_path(sa.sun_path, sizeof(sa.sun_path));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* iscsid.startup from iscsid.conf, else "" */
static void startup_command(char *cmd, size_t len)
{
	cmd[0] = '\0';
	FILE *f = fopen(iscsid_conf_file(), "re");
	if (!f)
		return;
	char line[1024];
	while (fgets(line, sizeof(line), f)) {
		char *p = line + strspn(line, " \t");
		if (strncmp(p, "iscsid.startup", 14) != 0)
			continue;
		p += 14 + strspn(p + 14, " \t");
		if (*p != '=')
			continue;
		p += 1 + strspn(p + 1, " \t");
		p[strcspn(p, "\r\n")] = '\0';
		snprintf(cmd, len, "%s", p);
	}
	fclose(f);
}

/* The swiscsid installed beside this swiscsiadm, or the build tree's daemon/ directory. */
static int daemon_beside_us(char *path, size_t len)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0)
		return -1;
	self[n] = '\0';
	char *slash = strrchr(self, '/');
	if (!slash)
		return -1;
	*slash = '\0';
	snprintf(path, len, "%s/swiscsid", self);
	if (access(path, X_OK) == 0)
		return 0;
	snprintf(path, len, "%s/../daemon/swiscsid", self);
	return access(path, X_OK);
}

static int run(const char *shell_cmd, const char *prog)
{
	pid_t pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (shell_cmd)
			execl("/bin/sh", "sh", "-c", shell_cmd, (char *)NULL);
		else
			execl(prog, prog, (char *)NULL);
		_exit(127);
	}
	int st;
	while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int start_daemon(void)
{
	char cmd[1024], prog[PATH_MAX + 32];
	startup_command(cmd, sizeof(cmd));
	int rc;
	if (cmd[0]) {
		fprintf(stderr, "swiscsiadm: swiscsid is not running; starting it with '%s'\n", cmd);
		rc = run(cmd, NULL);
	} else if (daemon_beside_us(prog, sizeof(prog)) == 0) {
		fprintf(stderr, "swiscsiadm: swiscsid is not running; starting %s\n", prog);
		rc = run(NULL, prog);
	} else {
		return -1;
	}
	if (rc < 0)
		return -1;
	/* the daemon's socket appears once it is ready; bounded */
	struct timespec t0, t;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int fd = try_connect();
		if (fd >= 0)
			return fd;
		clock_gettime(CLOCK_MONOTONIC, &t);
		long ms = (t.tv_sec - t0.tv_sec) * 1000 + (t.tv_nsec - t0.tv_nsec) / 1000000;
		if (ms > START_WAIT_MS)
			return -1;
		poll(NULL, 0, 20);
	}
}

static int connect_daemon(bool start)
{
	int fd = try_connect();
	if (fd >= 0 || !start)
		return fd;
	int e = errno;
	fd = start_daemon();
	if (fd < 0)
		msg_error("can not connect to iSCSI daemon (%d)!", e);
	return fd;
}

/* All of len bytes sent (out) or received, the reply bounded by REPLY_WAIT_MS. */
static int move_all(int fd, void *p, size_t len, bool out)
{
	char *c = p;
	while (len) {
		struct pollfd pfd = { .fd = fd, .events = out ? POLLOUT : POLLIN };
		if (poll(&pfd, 1, REPLY_WAIT_MS) == 0)
			return -1;
		ssize_t n = out ? send(fd, c, len, MSG_NOSIGNAL) : recv(fd, c, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		c += n;
		len -= (size_t)n;
	}
	return 0;
}

static int send_request(int fd, uint16_t kind, const void *payload, uint32_t plen)
{
	uint64_t msg[(CTL_MAX_REQUEST + sizeof(struct ctl_header)) / 8 + 1];
	if (plen > CTL_MAX_REQUEST)
		return -1;
	size_t len = ctl_encode(msg, kind, payload, plen);
	return move_all(fd, msg, len, true);
}

static int read_reply(int fd, uint16_t kind, struct ctl_call *call)
{
	struct ctl_header h;
	char err[256];
	if (move_all(fd, &h, sizeof(h), false) < 0 || ctl_check_header(&h, CTL_MAX_REPLY, err,
								sizeof(err)) < 0)
		return -1;
	call->buf = malloc(sizeof(h) + h.length);
	if (!call->buf)
		return -1;
	memcpy(call->buf, &h, sizeof(h));
	if (move_all(fd, (char *)call->buf + sizeof(h), h.length, false) < 0 ||
	    ctl_decode_reply(call->buf, sizeof(h) + h.length, kind, &call->r, err,
			     sizeof(err)) < 0) {
		free(call->buf);
		call->buf = NULL;
		return -1;
	}
	return 0;
}

int ctl_request(uint16_t kind, const void *payload, uint32_t plen, bool start,
		struct ctl_call *call)
{
	memset(call, 0, sizeof(*call));
	int fd = connect_daemon(start);
	if (fd < 0)
		return EXIT_ISCSID_NOTCONN;
	int rc = EXIT_OK;
	/* a refusal (not root) arrives even when the daemon closed before reading the request */
	(void)send_request(fd, kind, payload, plen);
	if (read_reply(fd, kind, call) < 0) {
		msg_error("could not communicate with swiscsid");
		rc = 18;   /* ISCSI_ERR_ISCSID_COMM_ERR */
	}
	close(fd);
	return rc;
}

int ctl_send_only(uint16_t kind, const void *payload, uint32_t plen)
{
	int fd = connect_daemon(true);
	if (fd < 0)
		return EXIT_ISCSID_NOTCONN;
	int rc = send_request(fd, kind, payload, plen) < 0 ? 18 : EXIT_OK;
	close(fd);
	return rc;
}

void ctl_call_free(struct ctl_call *call)
{
	ctl_reply_free(&call->r);
	free(call->buf);
	memset(call, 0, sizeof(*call));
}

const char *ctl_error_text(int code)
{
	static const char *const text[] = {
		[0] = "", [1] = "unknown error", [2] = "session not found",
		[3] = "no available memory", [4] = "encountered connection failure",
		[5] = "encountered iSCSI login failure", [6] = "encountered iSCSI database failure",
		[7] = "invalid parameter", [8] = "connection timed out", [9] = "internal error",
		[10] = "encountered iSCSI logout failure", [11] = "iSCSI PDU timed out",
		[12] = "iSCSI driver not found. Please make sure it is loaded, and retry the operation",
		[13] = "daemon access denied",
		[14] = "iSCSI driver does not support requested capability.",
		[15] = "session exists", [16] = "Unknown request",
		[17] = "iSNS service not supported", [18] = "could not communicate to iscsid",
		[19] = "encountered non-retryable iSCSI login failure",
		[20] = "could not connect to iscsid", [21] = "no objects found",
		[22] = "sysfs lookup failure", [23] = "host not found",
		[24] = "iSCSI login failed due to authorization failure",
		[25] = "iSNS query failed", [26] = "iSNS registration failed",
		[27] = "operation not supported", [28] = "device or resource in use",
		[29] = "operation failed but retry may succeed", [30] = "unknown discovery type",
		[31] = "child process terminated", [32] = "target likely not connected",
		[33] = "iscsid request timed out",
	};
	if (code < 0 || (size_t)code >= sizeof(text) / sizeof(text[0]) || !text[code])
		return "unknown error";
	return text[code];
}
