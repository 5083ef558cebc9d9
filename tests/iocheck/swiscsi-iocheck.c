/* swiscsi-iocheck URL: the data-integrity driver of the integration tests. Writes patterned
 * data in transfers of 4 KiB to 16 MiB at odd block offsets, all in flight at once, reads
 * everything back (READ 10 and READ 16, also all at once) and compares byte for byte; the gaps
 * between transfers must still read as zeros. Prints what it did, or the first mismatch, and
 * exits 0 or 1 (or the session's iscsiadm-style code when the session fails). */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tool_common.h"
#include "tool_scsi.h"

/* Transfer sizes in bytes: page-sized, odd block counts, segment-straddling, large. */
static const uint32_t sizes[] = {
	4096, 4608, 65024, 131584, 1049088, 4193792, 16u << 20, 512, 8704,
};
enum { NT = sizeof(sizes) / sizeof(sizes[0]), GAP_BLOCKS = 3 };

struct xfer {
	uint64_t lba;
	uint32_t len;
	uint8_t *data, *back;
	int status;                  /* 0 GOOD; -1 failed; 1 not done */
	struct swi_scsi_result res;
};

/* Each byte depends on where it lives on the LUN, so data landing at a wrong offset shows. */
static uint8_t pattern(uint64_t offset)
{
	uint64_t x = offset * 0x9E3779B97F4A7C15ull;
	x ^= x >> 29;
	return (uint8_t)(x ^ (x >> 17) ^ (offset >> 9));
}

static void done(struct swi_session *s, int status, const struct swi_scsi_result *r, void *arg)
{
	(void)s;
	struct xfer *x = arg;
	x->res = *r;
	x->status = status < 0 ? -1 : (r->status == 0 ? 0 : -1);
	if (x->status == 0 && r->transferred != x->len) {
		x->status = -2; /* GOOD, but short: unwritten or stale bytes */
		fprintf(stderr, "swiscsi-iocheck: the target moved %u of %u bytes\n", r->transferred, x->len);
	}
}

/* Submits one command per transfer (or gap), then waits for them all. */
static int run_all(struct tool_ctx *t, struct swi_session *s, uint64_t lun, struct xfer *xs,
		   size_t n, bool write, bool use16)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t cdb[16];
		uint32_t bs = 512;
		bool sixteen = use16 ? !(i % 2) : i % 2;   /* both CDB sizes, both directions */
		size_t cl = swi_cdb_rw(cdb, write, xs[i].lba, xs[i].len / bs, sixteen);
		xs[i].status = 1;
		if (swi_scsi_async(s, lun, cdb, cl, write ? SWI_DIR_WRITE : SWI_DIR_READ,
				   write ? xs[i].data : xs[i].back, xs[i].len, done, &xs[i]) < 0)
			tool_fail(t, s);
	}
	while (swi_inflight(s))
		if (tool_wait(s) < 0)
			tool_fail(t, s);
	for (size_t i = 0; i < n; i++) {
		if (xs[i].status != 0) {
			char why[256];
			fprintf(stderr, "swiscsi-iocheck: %s of %u bytes at LBA %" PRIu64 " failed: %s\n",
				write ? "WRITE" : "READ", xs[i].len, xs[i].lba,
				xs[i].status == -2			  ? "GOOD status, but a short transfer"
				: xs[i].status < 0 && xs[i].res.status == 0 ? swi_error(s)
				: swi_status_text(&xs[i].res, why, sizeof(why)));
			return -1;
		}
	}
	return 0;
}

static int compare(const struct xfer *x, bool zeros)
{
	for (uint32_t k = 0; k < x->len; k++) {
		uint8_t want = zeros ? 0 : x->data[k];
		if (x->back[k] != want) {
			fprintf(stderr, "swiscsi-iocheck: mismatch at LUN byte %" PRIu64
				" (transfer of %u bytes at LBA %" PRIu64 ", byte %u): read 0x%02x, "
				"wrote 0x%02x\n", x->lba * 512 + k, x->len, x->lba, k, x->back[k], want);
			return -1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: swiscsi-iocheck iscsi://host[:port]/target/lun (the LUN is overwritten)\n");
		return 7;
	}
	struct tool_ctx t;
	tool_init(&t, "swiscsi-iocheck", argv[1], NULL);
	tool_need_lun(&t);
	struct swi_session *s = tool_session(&t, 0);
	if (swi_login(s) < 0)
		tool_fail(&t, s);
	struct lun_info info;
	uint64_t lun = (uint64_t)t.url.lun;
	if (tool_read_capacity(s, lun, &info) < 0)
		return 1;
	if (info.block_size != 512) {
		fprintf(stderr, "swiscsi-iocheck: needs 512-byte blocks, the LUN has %u\n", info.block_size);
		return 1;
	}
	/* transfers at LBA 1, then each after a gap of GAP_BLOCKS blocks; the gaps are read too */
	struct xfer xs[NT], gaps[NT];
	uint64_t lba = 1, bytes = 0;
	for (size_t i = 0; i < NT; i++) {
		xs[i] = (struct xfer){ .lba = lba, .len = sizes[i] };
		gaps[i] = (struct xfer){ .lba = lba + sizes[i] / 512, .len = GAP_BLOCKS * 512 };
		lba += sizes[i] / 512 + GAP_BLOCKS;
		bytes += sizes[i];
	}
	if (lba > info.blocks) {
		fprintf(stderr, "swiscsi-iocheck: the LUN needs %" PRIu64 " blocks, it has %" PRIu64 "\n",
			lba, info.blocks);
		return 1;
	}
	int rc = 0;
	for (size_t i = 0; i < NT && rc == 0; i++) {
		xs[i].data = malloc(xs[i].len);
		xs[i].back = malloc(xs[i].len);
		gaps[i].back = malloc(gaps[i].len);
		if (!xs[i].data || !xs[i].back || !gaps[i].back)
			rc = -1;
		for (uint32_t k = 0; rc == 0 && k < xs[i].len; k++)
			xs[i].data[k] = pattern(xs[i].lba * 512 + k);
	}
	if (rc == 0)
		rc = run_all(&t, s, lun, xs, NT, true, false);
	if (rc == 0)
		rc = run_all(&t, s, lun, xs, NT, false, true);
	if (rc == 0)
		rc = run_all(&t, s, lun, gaps, NT, false, false);
	for (size_t i = 0; i < NT && rc == 0; i++)
		rc = compare(&xs[i], false) < 0 || compare(&gaps[i], true) < 0 ? -1 : 0;
	if (rc == 0) {
		printf("%zu transfers of 512 B to 16 MiB, %" PRIu64 " bytes written and read back intact, gaps untouched\n",
		       (size_t)NT, bytes);
		/* the session's own counters, which the tests hold against what was moved */
		struct swi_stats st;
		swi_session_stats(s, &st);
		printf("stats: commands %" PRIu64 " errors %" PRIu64 " timeouts %" PRIu64
		       " pdus_tx %" PRIu64 " pdus_rx %" PRIu64 " bytes_tx %" PRIu64
		       " bytes_rx %" PRIu64 " digest_errors %" PRIu64 "\n",
		       st.commands, st.command_errors, st.timeouts, st.pdus_tx, st.pdus_rx,
		       st.bytes_tx, st.bytes_rx, st.digest_errors);
	}
	for (size_t i = 0; i < NT; i++) {
		free(xs[i].data);
		free(xs[i].back);
		free(gaps[i].back);
	}
	swi_logout(s);
	swi_session_free(s);
	tool_done(&t);
	return rc == 0 ? 0 : 1;
}
