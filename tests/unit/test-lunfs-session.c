/* The LUN side's per-session operations (daemon/lunfs_session.c): attach, rescan and detach
 * against scripted probes, so the order in which they meet can be chosen. What is checked is
 * the contract of lunfs.h: every request with a callback hears exactly once, whatever else is
 * asked for meanwhile (a detach while an attach fails, a detach overtaking a waiting rescan).
 *
 * lunfs_session.c is compiled in; the pieces it drives (the SCSI probe, the session's I/O
 * queue, loop devices, the FUSE tree, the log) are stubs below, the event loop is the real one. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "lunfs_int.h"
#include "loopdev.h"

/* ---- stubs ---- */

static struct {
	lun_probe_fn done;   /* the probe in flight, answered by the test */
	void *arg;
	int sent;
} probe;

int lun_probe_async(struct swi_session *s, lun_probe_fn done, void *arg)
{
	(void)s;
	probe.done = done;
	probe.arg = arg;
	probe.sent++;
	return 0;
}

/* The probe finds LUN 1 with this geometry and identity (wwid NULL: none). */
static void answer_probe_lun(int status, uint64_t blocks, uint32_t block_size, const char *wwid)
{
	lun_probe_fn done = probe.done;
	assert_non_null(done);
	probe.done = NULL;
	struct lun_info lun = { .lun = 1, .blocks = blocks, .block_size = block_size,
				.has_id = wwid != NULL };
	if (wwid) {
		snprintf(lun.id.wwid, sizeof(lun.id.wwid), "%s", wwid);
		snprintf(lun.id.name, sizeof(lun.id.name), "wwn-0x%s", wwid + 1);
	}
	done(probe.arg, status, status < 0 ? NULL : &lun, status < 0 ? 0 : 1,
	     status < 0 ? "INQUIRY failed: hardware error" : NULL);
}

static void answer_probe_sized(int status, uint64_t blocks, uint32_t block_size)
{
	answer_probe_lun(status, blocks, block_size, NULL);
}

static void answer_probe(int status)
{
	answer_probe_sized(status, 2048, 512);
}

struct lun_io {
	int unused;
};

struct lun_io *lun_io_new(struct swi_session *s, void (*on_luns_changed)(void *arg), void *arg)
{
	(void)s;
	(void)on_luns_changed;
	(void)arg;
	return calloc(1, sizeof(struct lun_io));
}

void lun_io_free(struct lun_io *q)
{
	free(q);
}

void lun_io_when_idle(struct lun_io *q, void (*fn)(void *arg), void *arg)
{
	(void)q;
	fn(arg);   /* no I/O in these tests */
}

/* Loop device jobs, off unless a test turns them on: then those in flight are answered by
 * the test, oldest first. Two at once only when another disk replaces a LUN (the old device's
 * detach, the new one's attach). */
enum { MAX_LOOP_JOBS = 2 };

static struct {
	bool on;
	struct { loopdev_fn done; void *arg; } job[MAX_LOOP_JOBS];
	unsigned njobs;
	unsigned attaches, resizes, detaches;
	char dev[32];        /* the last resize's */
	uint64_t bytes;
} loops;

static int loop_job(loopdev_fn done, void *arg, unsigned *count)
{
	if (!loops.on)
		fail_msg("loop devices are off in this test");
	assert_true(loops.njobs < MAX_LOOP_JOBS);
	loops.job[loops.njobs].done = done;
	loops.job[loops.njobs].arg = arg;
	loops.njobs++;
	(*count)++;
	return 0;
}

static void answer_loop(int status)
{
	assert_true(loops.njobs > 0);
	loopdev_fn done = loops.job[0].done;
	void *arg = loops.job[0].arg;
	memmove(&loops.job[0], &loops.job[1], sizeof(loops.job[0]) * --loops.njobs);
	done(arg, status, "/dev/loop9", true, status < 0 ? "LOOP_SET_CAPACITY: no" : "");
}

int loopdev_attach_async(struct loopdev_pool *p, const char *path, bool read_only, bool direct,
			 uint32_t block_size, loopdev_fn done, void *arg)
{
	(void)p, (void)path, (void)read_only, (void)direct, (void)block_size;
	return loop_job(done, arg, &loops.attaches);
}

int loopdev_detach_async(struct loopdev_pool *p, const char *dev, loopdev_fn done, void *arg)
{
	(void)p, (void)dev;
	return loop_job(done, arg, &loops.detaches);
}

int loopdev_resize_async(struct loopdev_pool *p, const char *dev, const char *path, uint64_t bytes,
			 loopdev_fn done, void *arg)
{
	(void)p, (void)path;
	snprintf(loops.dev, sizeof(loops.dev), "%s", dev);
	loops.bytes = bytes;
	return loop_job(done, arg, &loops.resizes);
}

static unsigned dropped;   /* files whose cached pages were to go */

int ops_drop_pages(struct lunfs *fs, const struct lunfs_lun *l, void (*done)(void *arg), void *arg)
{
	(void)fs, (void)l, (void)done, (void)arg;
	dropped++;
	return -1;   /* as without a FUSE session: nothing to wait for */
}

static struct {
	unsigned calls;
	fuse_ino_t ino;
	uint64_t bytes;      /* the file's size when the kernel was told */
} told;

void ops_size_changed(struct lunfs *fs, const struct lunfs_lun *l)
{
	(void)fs;
	told.calls++;
	told.ino = l->ino;
	told.bytes = l->info.blocks * l->info.block_size;
}

static unsigned linked;   /* LUN files named in the tree */

fuse_ino_t tree_dir(struct lunfs *fs, fuse_ino_t parent, const char *name)
{
	(void)fs, (void)parent, (void)name;
	return 100;
}

int tree_link(struct lunfs *fs, fuse_ino_t parent, struct lunfs_lun *l)
{
	(void)fs, (void)l;
	if (parent != INO_BY_PATH)
		linked++;
	return 0;
}

void tree_unlink_lun(struct lunfs *fs, struct lunfs_lun *l)
{
	(void)fs, (void)l;
	linked--;
}

/* A removed file is freed with its last reference (a loop device's job may hold one). */
void lun_retire(struct lunfs *fs, struct lunfs_lun *l)
{
	(void)fs;
	if (l->refs == 0)
		free(l);
}

void lun_unref(struct lunfs_lun *l)
{
	if (--l->refs == 0 && !l->ls)
		free(l);
}

static char logged[4096];   /* everything the code under test logged, one line each */

void dlog(int priority, const char *fmt, ...)
{
	(void)priority;
	size_t used = strlen(logged);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(logged + used, sizeof(logged) - used, fmt, ap);
	va_end(ap);
	used = strlen(logged);
	if (used + 1 < sizeof(logged)) {
		logged[used] = '\n';
		logged[used + 1] = '\0';
	}
}

/* ---- what the requesters heard ---- */

struct heard {
	int calls, status;
	char message[300];
	int order;           /* when, among all completions */
};

static int completions;

static void note(void *arg, int status, const char *message)
{
	struct heard *h = arg;
	h->calls++;
	h->status = status;
	h->order = ++completions;
	snprintf(h->message, sizeof(h->message), "%s", message ? message : "");
}

static struct lunfs fs;

static int setup(void **state)
{
	(void)state;
	memset(&probe, 0, sizeof(probe));
	memset(&told, 0, sizeof(told));
	memset(&loops, 0, sizeof(loops));
	memset(logged, 0, sizeof(logged));
	linked = 0;
	dropped = 0;
	completions = 0;
	fs = (struct lunfs){ .loop = evloop_new(), .dir = "/nowhere", .next_ino = INO_FIRST_FREE,
			     .cfg = { .loop_devices = 0 } };
	return fs.loop ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	evloop_free(fs.loop);
	return 0;
}

/* Runs the loop until the sessions are all freed (the detach's last step is a timer). */
static void run_until_freed(void)
{
	uint64_t deadline = ev_now_ms() + 5000;
	while (fs.sessions && ev_now_ms() < deadline)
		assert_true(evloop_run_once(fs.loop, 50) >= 0);
	assert_null(fs.sessions);
}

/* The test's end: ls detached (its loop device's detach answered first when it has one), its
 * requester told once, everything freed. */
static void detach_to_the_end(struct lunfs_session *ls, bool loop_device)
{
	struct heard det = { 0 };
	assert_int_equal(lunfs_detach_session(ls, note, &det), 0);
	if (loop_device)
		answer_loop(0);   /* the detach's */
	run_until_freed();
	assert_int_equal(det.calls, 1);
}

static struct lunfs_session *attach(struct heard *h)
{
	struct lunfs_session_id id = { .iface = "default", .address = "127.0.0.1", .port = 3260,
				       .target = "iqn.2026-12.test:unit" };
	struct lunfs_session *ls = NULL;
	assert_int_equal(lunfs_attach_session(&fs, (struct swi_session *)&fs, &id, note, h, &ls), 0);
	assert_non_null(ls);
	return ls;
}

/* (a) A detach asked for while the attach's probe is out, the probe then failing: the attach
 * hears its failure, then the detach that the session is gone. */
static void test_detach_during_a_failing_attach_completes(void **state)
{
	(void)state;
	struct heard att = { 0 }, det = { 0 };
	struct lunfs_session *ls = attach(&att);
	assert_int_equal(lunfs_detach_session(ls, note, &det), 0);
	answer_probe(-1);
	run_until_freed();
	assert_int_equal(att.calls, 1);
	assert_int_equal(att.status, -1);
	assert_string_equal(att.message, "INQUIRY failed: hardware error");
	assert_int_equal(det.calls, 1);
	assert_int_equal(det.status, 0);
	assert_true(att.order < det.order);
	assert_int_equal(linked, 0);
}

/* The same with a detach without a callback first (lunfs_stop's): the requester with one that
 * comes after still hears. */
static void test_detach_joins_a_detach_without_callback(void **state)
{
	(void)state;
	struct heard att = { 0 }, det = { 0 }, second = { 0 };
	struct lunfs_session *ls = attach(&att);
	assert_int_equal(lunfs_detach_session(ls, NULL, NULL), 0);
	assert_int_equal(lunfs_detach_session(ls, note, &det), 0);
	assert_int_equal(lunfs_detach_session(ls, note, &second), -1);   /* one requester hears */
	answer_probe(-1);
	run_until_freed();
	assert_int_equal(att.calls, 1);
	assert_int_equal(det.calls, 1);
	assert_int_equal(second.calls, 0);
}

/* (b) A rescan waiting behind the attach, then a detach: the attach succeeds, the detach goes
 * first, the waiting rescan's requester hears it failed, and no rescan is sent. */
static void test_a_waiting_rescan_overtaken_by_a_detach_fails(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 }, det = { 0 };
	struct lunfs_session *ls = attach(&att);
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	assert_int_equal(lunfs_detach_session(ls, note, &det), 0);
	assert_int_equal(lunfs_rescan_session(ls, note, &res), -1);   /* refused once detaching */
	answer_probe(0);
	assert_int_equal(att.calls, 1);
	assert_int_equal(att.status, 0);
	run_until_freed();
	assert_int_equal(probe.sent, 1);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, -1);
	assert_non_null(strstr(res.message, "detached"));
	assert_int_equal(det.calls, 1);
	assert_int_equal(det.status, 0);
	assert_int_equal(linked, 0);
}

/* A rescan waiting behind an attach that fails: the session is gone, the rescan hears so. */
static void test_a_waiting_rescan_hears_of_a_failed_attach(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 };
	struct lunfs_session *ls = attach(&att);
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe(-1);
	run_until_freed();
	assert_int_equal(att.calls, 1);
	assert_int_equal(att.status, -1);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, -1);
	assert_int_equal(probe.sent, 1);
}

/* A waiting rescan runs after the attach; one without a callback (the unit attention's) joins
 * it rather than being refused, and a second with a callback is refused. */
static void test_a_waiting_rescan_runs_once_for_its_requester(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 }, other = { 0 };
	struct lunfs_session *ls = attach(&att);
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	assert_int_equal(lunfs_rescan_session(ls, note, &other), -1);
	answer_probe(0);
	assert_int_equal(probe.sent, 2);    /* the rescan's REPORT LUNS */
	answer_probe(0);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(other.calls, 0);
	detach_to_the_end(ls, false);
	assert_int_equal(att.calls, 1);
}

static struct lunfs_device device_of(const struct lunfs_session *ls)
{
	struct lunfs_device d[2];
	assert_int_equal(lunfs_session_devices(ls, d, 2), 1);
	return d[0];
}

/* A rescan that finds LUN 1 grown (then shrunk) keeps its file, with the new size, tells the
 * kernel of it and logs the change once; one that finds the same size changes nothing. */
static void test_a_rescan_takes_a_kept_luns_new_capacity(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 };
	struct lunfs_session *ls = attach(&att);
	answer_probe(0);
	fuse_ino_t ino = ls->luns->ino;
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe_sized(0, 8192, 512);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(device_of(ls).blocks, 8192);
	assert_int_equal(ls->luns->ino, ino);      /* the same file: open ones carry on */
	assert_int_equal(linked, 1);
	assert_int_equal(told.calls, 1);
	assert_int_equal(told.ino, ino);
	assert_int_equal(told.bytes, 8192 * 512);
	assert_non_null(strstr(logged, "iqn.2026-12.test:unit: lun 1: capacity changed from "
				       "1048576 to 4194304 bytes"));
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	answer_probe_sized(0, 8192, 512);
	assert_int_equal(told.calls, 1);            /* unchanged: nothing to tell */
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	answer_probe_sized(0, 1024, 512);
	assert_int_equal(device_of(ls).blocks, 1024);
	assert_int_equal(told.calls, 2);
	assert_non_null(strstr(logged, "capacity changed from 4194304 to 524288 bytes"));
	assert_int_equal(probe.sent, 4);
	detach_to_the_end(ls, false);
}

/* A block size that changed is another LUN: the old file goes and the new one is made in the
 * same listing; the rescan's requester hears once, after that. */
static void test_a_block_size_change_makes_the_file_anew(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 };
	struct lunfs_session *ls = attach(&att);
	answer_probe(0);
	fuse_ino_t ino = ls->luns->ino;
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe_sized(0, 256, 4096);
	assert_int_equal(probe.sent, 2);            /* no second listing */
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(linked, 1);
	struct lunfs_device d = device_of(ls);
	assert_int_equal(d.blocks, 256);
	assert_int_equal(d.block_size, 4096);
	assert_int_not_equal(ls->luns->ino, ino);
	assert_int_equal(told.calls, 0);
	assert_non_null(strstr(logged, "block size changed from 512 to 4096 bytes"));
	detach_to_the_end(ls, false);
}

/* Another identity under LUN 1 is another disk: a new file (the old one's inode is not reused),
 * with the new identity, one warning naming both; the same identity again keeps the file. A
 * LUN gaining or losing an identity is another disk too. */
static void test_another_identity_makes_the_file_anew(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 };
	struct lunfs_session *ls = attach(&att);
	answer_probe_lun(0, 2048, 512, "3600000000000000000000000000000a1");
	fuse_ino_t ino = ls->luns->ino;
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	answer_probe_lun(0, 2048, 512, "3600000000000000000000000000000a1");
	assert_int_equal(ls->luns->ino, ino);       /* the same disk: the same file */
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe_lun(0, 2048, 512, "3600000000000000000000000000000b2");
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(linked, 1);
	assert_int_not_equal(ls->luns->ino, ino);
	struct lunfs_device d = device_of(ls);
	assert_string_equal(d.id.name, "wwn-0x600000000000000000000000000000b2");
	assert_int_equal(told.calls, 0);
	assert_non_null(strstr(logged, "iqn.2026-12.test:unit: lun 1: another disk (identity "
				       "wwn-0x600000000000000000000000000000b2, was "
				       "wwn-0x600000000000000000000000000000a1)"));
	ino = ls->luns->ino;
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	answer_probe_lun(0, 2048, 512, NULL);
	assert_int_not_equal(ls->luns->ino, ino);
	assert_false(device_of(ls).has_id);
	assert_non_null(strstr(logged, "another disk (identity none, was "
				       "wwn-0x600000000000000000000000000000b2)"));
	ino = ls->luns->ino;
	assert_int_equal(lunfs_rescan_session(ls, NULL, NULL), 0);
	answer_probe_lun(0, 2048, 512, NULL);        /* none either time: nothing to tell by */
	assert_int_equal(ls->luns->ino, ino);
	detach_to_the_end(ls, false);
}

/* With a loop device: another disk's rescan detaches the old device (the old file cut off
 * first, kept until the detach's answer) while the new file's attaches, and ends once both
 * answered; the old disk's cached pages were to go too. */
static void test_another_disk_replaces_the_loop_device_before_the_rescan_ends(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 };
	fs.cfg.loop_devices = 1;
	loops.on = true;
	struct lunfs_session *ls = attach(&att);
	answer_probe_lun(0, 2048, 512, "3600000000000000000000000000000a1");
	answer_loop(0);
	assert_int_equal(att.calls, 1);
	struct lunfs_lun *old = ls->luns;
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe_lun(0, 2048, 512, "3600000000000000000000000000000b2");
	assert_int_equal(loops.njobs, 2);
	assert_int_equal(loops.detaches, 1);
	assert_int_equal(loops.attaches, 2);
	assert_int_equal(dropped, 1);
	assert_null(old->ls);                       /* cut off: its I/O fails from here on */
	assert_int_equal(old->refs, 1);             /* the detach's */
	assert_true(ls->luns != old);
	assert_string_equal(ls->luns->loop, "");
	answer_loop(0);                             /* the old device's detach */
	assert_int_equal(res.calls, 0);
	assert_non_null(strstr(logged, "/dev/loop9 of the old disk detached"));
	answer_loop(0);                             /* the new one's attach */
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_string_equal(ls->luns->loop, "/dev/loop9");
	assert_int_equal(linked, 1);
	detach_to_the_end(ls, true);
}

/* With a loop device: the rescan that finds the LUN grown resizes it and ends only once that
 * is done; a resize that fails leaves the file served at its new size, the failure logged. */
static void test_a_rescan_resizes_the_loop_device_before_it_ends(void **state)
{
	(void)state;
	struct heard att = { 0 }, res = { 0 }, again = { 0 };
	fs.cfg.loop_devices = 1;
	loops.on = true;
	struct lunfs_session *ls = attach(&att);
	answer_probe(0);
	answer_loop(0);
	assert_int_equal(att.calls, 1);
	assert_string_equal(ls->luns->loop, "/dev/loop9");
	assert_int_equal(lunfs_rescan_session(ls, note, &res), 0);
	answer_probe_sized(0, 4096, 512);
	assert_int_equal(loops.resizes, 1);
	assert_string_equal(loops.dev, "/dev/loop9");
	assert_int_equal(loops.bytes, 4096 * 512);
	assert_int_equal(told.calls, 1);            /* the kernel heard before the device resizes */
	assert_int_equal(res.calls, 0);             /* -R returns with the device resized */
	answer_loop(0);
	assert_int_equal(res.calls, 1);
	assert_int_equal(res.status, 0);
	assert_int_equal(lunfs_rescan_session(ls, note, &again), 0);
	answer_probe_sized(0, 8192, 512);
	answer_loop(-1);
	assert_int_equal(again.calls, 1);
	assert_int_equal(again.status, 0);
	assert_int_equal(device_of(ls).blocks, 8192);
	assert_non_null(strstr(logged, "LOOP_SET_CAPACITY: no"));
	detach_to_the_end(ls, true);
	assert_int_equal(loops.attaches, 1);
	assert_int_equal(loops.detaches, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_detach_during_a_failing_attach_completes,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_detach_joins_a_detach_without_callback, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_a_waiting_rescan_overtaken_by_a_detach_fails,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_waiting_rescan_hears_of_a_failed_attach,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_waiting_rescan_runs_once_for_its_requester,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_rescan_takes_a_kept_luns_new_capacity,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_a_block_size_change_makes_the_file_anew, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_another_identity_makes_the_file_anew, setup,
						teardown),
		cmocka_unit_test_setup_teardown(
			test_another_disk_replaces_the_loop_device_before_the_rescan_ends, setup,
			teardown),
		cmocka_unit_test_setup_teardown(test_a_rescan_resizes_the_loop_device_before_it_ends,
						setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
