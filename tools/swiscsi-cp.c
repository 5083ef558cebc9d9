/* swiscsi-cp SRC DST: copies between a LUN (iscsi://host[:port]/target/lun) and a file, "-"
 * meaning standard input or output. Several transfers stay in flight; data is written out in
 * order. A progress bar is drawn when standard error is a terminal. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "tool_common.h"
#include "tool_scsi.h"

enum { QD = 8, CHUNK = 1 << 20 };

struct slot {
	uint8_t *buf;
	uint64_t lba;
	uint32_t blocks;
	bool busy, done;
	int status;
	struct swi_scsi_result res;
};

struct copy {
	struct swi_session *s;
	uint64_t lun;
	struct lun_info info;
	bool to_lun;
	int fd;
	uint64_t bytes_total, bytes_done;
	struct slot slots[QD];
	double started;
	bool progress;
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void draw(struct copy *c, bool final)
{
	if (!c->progress)
		return;
	double pct = c->bytes_total ? 100.0 * (double)c->bytes_done / (double)c->bytes_total : 100;
	double secs = now() - c->started;
	int bar = (int)(pct / 5);
	fprintf(stderr, "\r[%.*s%*s] %5.1f%% %8.1f MiB/s", bar, "====================", 20 - bar, "",
		pct, secs > 0 ? (double)c->bytes_done / secs / 1048576 : 0.0);
	if (final)
		fputc('\n', stderr);
}

static void completed(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	(void)s;
	struct slot *sl = arg;
	sl->done = true;
	sl->status = status;
	if (r)
		sl->res = *r;
}

/* Reads up to n bytes; short only at end of input. */
static ssize_t read_full(int fd, uint8_t *buf, size_t n)
{
	size_t got = 0;
	while (got < n) {
		ssize_t k = read(fd, buf + got, n - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		if (k == 0)
			break;
		got += (size_t)k;
	}
	return (ssize_t)got;
}

static int write_full(int fd, const uint8_t *buf, size_t n)
{
	while (n) {
		ssize_t k = write(fd, buf, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		buf += k;
		n -= (size_t)k;
	}
	return 0;
}

/* Starts the next transfer in sl. 1 when started, 0 when there is nothing left, -1 on error. */
static int start(struct copy *c, struct slot *sl, uint64_t *next_lba, bool *eof)
{
	uint32_t bs = c->info.block_size;
	if (*eof || *next_lba >= c->info.blocks)
		return 0;
	uint64_t left = c->info.blocks - *next_lba;
	uint32_t blocks = (uint32_t)(left < CHUNK / bs ? left : CHUNK / bs);
	if (c->to_lun) {
		ssize_t n = read_full(c->fd, sl->buf, (size_t)blocks * bs);
		if (n < 0) {
			perror("swiscsi-cp: reading the input");
			return -1;
		}
		if (n == 0) {
			*eof = true;
			return 0;
		}
		if ((size_t)n < (size_t)blocks * bs) {
			*eof = true;
			blocks = (uint32_t)((n + bs - 1) / bs);
			memset(sl->buf + n, 0, (size_t)blocks * bs - (size_t)n); /* pad the last block */
		}
	}
	uint8_t cdb[16];
	size_t len = swi_cdb_rw(cdb, c->to_lun, *next_lba, blocks, false);
	sl->lba = *next_lba;
	sl->blocks = blocks;
	sl->busy = true;
	sl->done = false;
	if (swi_scsi_async(c->s, c->lun, cdb, len, c->to_lun ? SWI_DIR_WRITE : SWI_DIR_READ, sl->buf,
			   blocks * bs, completed, sl) < 0) {
		fprintf(stderr, "swiscsi-cp: %s\n", swi_error(c->s));
		return -1;
	}
	*next_lba += blocks;
	return 1;
}

/* Retires the oldest transfer once it is done: checks status, writes read data out. */
static int retire(struct copy *c, struct slot *sl)
{
	char text[256];
	if (sl->status < 0) {
		fprintf(stderr, "swiscsi-cp: %s\n", swi_error(c->s));
		return -1;
	}
	if (sl->res.status != 0) {
		fprintf(stderr, "swiscsi-cp: %s at LBA %" PRIu64 ": %s\n", c->to_lun ? "WRITE" : "READ",
			sl->lba, swi_status_text(&sl->res, text, sizeof(text)));
		return -1;
	}
	size_t bytes = (size_t)sl->blocks * c->info.block_size;
	/* GOOD with less than every byte (an underflow) would leave stale bytes in the copy */
	if (sl->res.transferred != bytes) {
		fprintf(stderr, "swiscsi-cp: %s at LBA %" PRIu64 ": the target moved %u of %zu bytes\n",
			c->to_lun ? "WRITE" : "READ", sl->lba, sl->res.transferred, bytes);
		return -1;
	}
	if (!c->to_lun && write_full(c->fd, sl->buf, bytes) < 0) {
		perror("swiscsi-cp: writing the output");
		return -1;
	}
	sl->busy = false;
	c->bytes_done += bytes;
	draw(c, false);
	return 0;
}

static int pump(struct copy *c)
{
	uint64_t next_lba = 0;
	bool eof = false;
	int head = 0, inflight = 0;
	for (;;) {
		while (inflight < QD) {
			int rc = start(c, &c->slots[(head + inflight) % QD], &next_lba, &eof);
			if (rc < 0)
				return -1;
			if (rc == 0)
				break;
			inflight++;
		}
		if (!inflight)
			return 0;
		while (!c->slots[head].done) {
			/* a stalled command ends at its deadline (SWISCSI_TIMEOUT_MS), aborted */
			if (tool_wait(c->s) < 0 && !c->slots[head].done) {
				fprintf(stderr, "swiscsi-cp: %s\n", swi_error(c->s));
				return -1;
			}
		}
		if (retire(c, &c->slots[head]) < 0)
			return -1;
		head = (head + 1) % QD;
		inflight--;
	}
}

static int open_file(const char *path, bool for_write)
{
	if (strcmp(path, "-") == 0)
		return for_write ? STDOUT_FILENO : STDIN_FILENO;
	int fd = for_write ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)
			   : open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		fprintf(stderr, "swiscsi-cp: %s: %s\n", path, strerror(errno));
	return fd;
}

static const char USAGE[] =
	"swiscsi-cp [-h] [-i initiator-name] SRC DST  (one of them an iscsi:// URL, the other a file or -)";

int main(int argc, char **argv)
{
	const char *name = NULL;
	int c;
	while ((c = tool_option(argc, argv, "i:h", NULL, USAGE)) != -1)
		if (c == 'i')
			name = optarg;
	if (optind != argc - 2)
		tool_usage(USAGE);
	const char *src = argv[optind], *dst = argv[optind + 1];
	struct copy cp = { .to_lun = strncmp(dst, "iscsi://", 8) == 0 };
	if (cp.to_lun == (strncmp(src, "iscsi://", 8) == 0)) {
		fputs("swiscsi-cp: exactly one of SRC and DST must be an iscsi:// URL\n", stderr);
		return SWI_ERR_INVAL;
	}
	struct tool_ctx t;
	tool_init(&t, "swiscsi-cp", cp.to_lun ? dst : src, name);
	tool_need_lun(&t);
	cp.fd = open_file(cp.to_lun ? src : dst, !cp.to_lun);
	if (cp.fd < 0) {
		tool_done(&t);
		return SWI_ERR;
	}
	cp.s = tool_session(&t, 0);
	cp.lun = (uint64_t)t.url.lun;
	if (swi_login(cp.s) < 0)
		tool_fail(&t, cp.s);
	int rc = tool_read_capacity(cp.s, cp.lun, &cp.info) < 0 ? SWI_ERR : 0;
	struct stat st;
	cp.bytes_total = cp.info.blocks * cp.info.block_size;
	if (cp.to_lun && fstat(cp.fd, &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < cp.bytes_total)
		cp.bytes_total = (uint64_t)st.st_size;
	if (cp.to_lun && S_ISREG(st.st_mode) && (uint64_t)st.st_size > cp.info.blocks * cp.info.block_size) {
		fprintf(stderr, "swiscsi-cp: %s is larger than the LUN (%" PRIu64 " bytes)\n", src,
			cp.info.blocks * cp.info.block_size);
		rc = SWI_ERR_INVAL;
	}
	cp.progress = isatty(STDERR_FILENO);
	cp.started = now();
	for (int i = 0; rc == 0 && i < QD; i++)
		if (!(cp.slots[i].buf = aligned_alloc(4096, CHUNK)))
			rc = SWI_ERR_NOMEM;
	if (rc == 0 && pump(&cp) < 0)
		rc = swi_error_class(cp.s) ? swi_error_class(cp.s) : SWI_ERR;
	draw(&cp, true);
	if (rc == 0 && cp.to_lun) {
		uint8_t cdb[16];
		struct swi_scsi_result r;
		size_t len = swi_cdb_sync_cache(cdb, false);
		swi_scsi(cp.s, cp.lun, cdb, len, SWI_DIR_NONE, NULL, 0, &r);
	}
	swi_logout(cp.s);
	swi_session_free(cp.s);
	for (int i = 0; i < QD; i++)
		free(cp.slots[i].buf);
	if (cp.fd > STDERR_FILENO && close(cp.fd) < 0 && rc == 0) {
		perror("swiscsi-cp: closing the output");
		rc = SWI_ERR;
	}
	tool_done(&t);
	return rc;
}
