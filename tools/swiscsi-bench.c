/* swiscsi-bench [--random] [--write] [--bs BYTES] [--qd DEPTH] [--time SECONDS] [--json] URL
 * keeps DEPTH commands of BYTES in flight for SECONDS and prints IOPS, MiB/s, latency p50/p99 and
 * the initiator's CPU time per I/O (user + system of this process, divided by I/Os done). */
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "tool_common.h"
#include "tool_scsi.h"

enum { MAX_QD = 1024 };

struct bench {
	struct swi_session *s;
	uint64_t lun;
	struct lun_info info;
	bool random, write;
	uint32_t bs, qd;
	double seconds;
	uint64_t next_lba, rng, ios, errors;
	double deadline;
	uint32_t *lat;             /* completion latencies, in 0.1 microsecond units */
	size_t nlat, caplat;
	struct req {
		struct bench *b;
		uint8_t *buf;
		double started;
	} reqs[MAX_QD];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
	uint64_t x = *s;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return *s = x;
}

static int submit(struct bench *b, struct req *r);

static void record(struct bench *b, double secs)
{
	if (b->nlat == b->caplat) {
		size_t cap = b->caplat ? b->caplat * 2 : 1 << 16;
		uint32_t *grown = realloc(b->lat, cap * sizeof(*grown));
		if (!grown)
			return;
		b->lat = grown;
		b->caplat = cap;
	}
	double tenths = secs * 1e7;
	b->lat[b->nlat++] = tenths > 4e9 ? 4000000000u : (uint32_t)tenths;
}

static void done(struct swi_session *s, int status, const struct swi_scsi_result *res, void *arg)
{
	struct req *r = arg;
	struct bench *b = r->b;
	double t = now();
	/* a command that moved fewer bytes than asked is not an I/O of bs bytes: counting it
	 * would overstate the throughput */
	bool short_io = status == 0 && res->status == 0 && res->transferred < b->bs;
	if (status < 0 || res->status != 0 || short_io) {
		/* the first failure says what went wrong; the count says how often */
		if (!b->errors++) {
			char why[256];
			if (short_io)
				fprintf(stderr, "swiscsi-bench: short transfer: %u of %u bytes\n",
					res->transferred, b->bs);
			else
				fprintf(stderr, "swiscsi-bench: %s\n",
					status < 0 ? swi_error(s) : swi_status_text(res, why, sizeof(why)));
		}
	} else {
		b->ios++;
	}
	record(b, t - r->started);
	if (t < b->deadline && status == 0)
		submit(b, r);
	else
		r->started = 0;
}

static int submit(struct bench *b, struct req *r)
{
	uint32_t blocks = b->bs / b->info.block_size;
	uint64_t span = b->info.blocks / blocks;
	uint64_t lba;
	if (b->random) {
		lba = (xorshift(&b->rng) % span) * blocks;
	} else {
		if (b->next_lba + blocks > b->info.blocks)
			b->next_lba = 0;
		lba = b->next_lba;
		b->next_lba += blocks;
	}
	uint8_t cdb[16];
	size_t len = swi_cdb_rw(cdb, b->write, lba, blocks, true);
	r->started = now();
	return swi_scsi_async(b->s, b->lun, cdb, len, b->write ? SWI_DIR_WRITE : SWI_DIR_READ, r->buf,
			      b->bs, done, r);
}

static int cmp(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static double percentile(const struct bench *b, double p)
{
	if (!b->nlat)
		return 0;
	size_t i = (size_t)(p * (double)(b->nlat - 1));
	return b->lat[i] / 10.0;
}

static double cpu_seconds(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
	       ru.ru_stime.tv_usec / 1e6;
}

static int run(struct bench *b, double *elapsed, double *cpu)
{
	for (uint32_t i = 0; i < b->qd; i++) {
		b->reqs[i].b = b;
		if (!(b->reqs[i].buf = aligned_alloc(4096, (b->bs + 4095) / 4096 * 4096)))
			return -1;
		memset(b->reqs[i].buf, 0x5a, b->bs);
	}
	double cpu0 = cpu_seconds(), t0 = now();
	b->deadline = t0 + b->seconds;
	for (uint32_t i = 0; i < b->qd; i++)
		if (submit(b, &b->reqs[i]) < 0)
			return -1;
	while (swi_inflight(b->s))
		if (tool_wait(b->s) < 0)
			return -1;
	*elapsed = now() - t0;
	*cpu = cpu_seconds() - cpu0;
	return 0;
}

static void report(struct bench *b, double elapsed, double cpu, bool json)
{
	qsort(b->lat, b->nlat, sizeof(*b->lat), cmp);
	double iops = (double)b->ios / elapsed, mbs = iops * b->bs / 1048576.0;
	double p50 = percentile(b, 0.50), p99 = percentile(b, 0.99);
	double cpu_us = b->ios ? cpu * 1e6 / (double)b->ios : 0;
	if (json) {
		printf("{\"iops\": %.1f, \"mb_per_s\": %.2f, \"lat_p50_us\": %.1f, \"lat_p99_us\": %.1f, \"cpu_us_per_io\": %.2f, \"ios\": %" PRIu64 ", \"errors\": %" PRIu64 ", \"seconds\": %.3f}\n",
		       iops, mbs, p50, p99, cpu_us, b->ios, b->errors, elapsed);
		return;
	}
	printf("%s %s bs=%u qd=%u: %.0f IOPS, %.1f MiB/s, latency p50 %.1f us p99 %.1f us, CPU %.2f us/IO (%" PRIu64 " I/Os in %.1f s, %" PRIu64 " errors)\n",
	       b->random ? "random" : "sequential", b->write ? "write" : "read", b->bs, b->qd, iops, mbs,
	       p50, p99, cpu_us, b->ios, elapsed, b->errors);
}

static const char USAGE[] = "swiscsi-bench [-h] [--random] [--write] [--bs BYTES] [--qd DEPTH] "
			    "[--time SECONDS] [--json] [-i initiator-name] URL";

int main(int argc, char **argv)
{
	static const struct option longs[] = {
		{ "random", no_argument, NULL, 'r' }, { "write", no_argument, NULL, 'w' },
		{ "bs", required_argument, NULL, 'b' }, { "qd", required_argument, NULL, 'q' },
		{ "time", required_argument, NULL, 't' }, { "json", no_argument, NULL, 'j' },
		{ NULL, 0, NULL, 0 },
	};
	struct bench *b = calloc(1, sizeof(*b));
	const char *name = NULL;
	bool json = false;
	int c;
	b->bs = 4096;
	b->qd = 1;
	b->seconds = 10;
	b->rng = 0x9e3779b97f4a7c15ull;
	while ((c = tool_option(argc, argv, "i:h", longs, USAGE)) != -1) {
		switch (c) {
		case 'r': b->random = true; break;
		case 'w': b->write = true; break;
		case 'b': b->bs = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 'q': b->qd = (uint32_t)strtoul(optarg, NULL, 0); break;
		case 't': b->seconds = strtod(optarg, NULL); break;
		case 'j': json = true; break;
		case 'i': name = optarg; break;
		}
	}
	if (optind != argc - 1 || b->qd < 1 || b->qd > MAX_QD || b->bs < 512 || b->seconds <= 0)
		tool_usage(USAGE);
	struct tool_ctx t;
	tool_init(&t, "swiscsi-bench", argv[optind], name);
	tool_need_lun(&t);
	b->s = tool_session(&t, 0);
	b->lun = (uint64_t)t.url.lun;
	if (swi_login(b->s) < 0)
		tool_fail(&t, b->s);
	double elapsed = 0, cpu = 0;
	int rc = 0;
	if (tool_read_capacity(b->s, b->lun, &b->info) < 0) {
		rc = SWI_ERR;
	} else if (b->bs % b->info.block_size) {
		fprintf(stderr, "swiscsi-bench: --bs must be a multiple of the block size (%u)\n",
			b->info.block_size);
		rc = SWI_ERR_INVAL;
	} else if (run(b, &elapsed, &cpu) < 0) {
		fprintf(stderr, "swiscsi-bench: %s\n", swi_error(b->s)[0] ? swi_error(b->s) : "no progress");
		rc = swi_error_class(b->s) ? swi_error_class(b->s) : SWI_ERR;
	} else {
		report(b, elapsed, cpu, json);
	}
	if (rc == 0 && b->errors)
		rc = SWI_ERR;
	swi_logout(b->s);
	swi_session_free(b->s);
	for (uint32_t i = 0; i < b->qd; i++)
		free(b->reqs[i].buf);
	free(b->lat);
	free(b);
	tool_done(&t);
	return rc;
}
