/* SCSI for the LUN filesystem: finding a session's LUNs, and reads, writes and cache flushes
 * that become READ/WRITE 16 pieces of at most the negotiated MaxBurstLength, all in flight at
 * once. Everything is asynchronous on the session's event loop; callbacks run exactly once. */
#ifndef SWISCSID_LUN_IO_H
#define SWISCSID_LUN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mpath_id.h"
#include "mpath_select.h"

struct swi_session;
struct swi_scsi_result;

struct lun_info {
	uint64_t lun;
	uint8_t type;               /* peripheral device type */
	char vendor[9], product[17];
	uint64_t blocks;
	uint32_t block_size;
	bool read_only;             /* MODE SENSE's WP bit */
	bool has_id;                /* id is set: VPD pages 0x83 / 0x80 identified the LUN */
	struct mpath_id id;         /* what multipath groups the LUN's paths by */
};

/* REPORT LUNS, then per LUN the standard INQUIRY, the device identification VPD page (the unit
 * serial number page when that names nothing), READ CAPACITY 16 (10 as a fallback) and
 * MODE SENSE. Only direct-access LUNs are returned. status 0 (luns owned by the callee, valid
 * during the call), or -1 with a message. */
typedef void (*lun_probe_fn)(void *arg, int status, const struct lun_info *luns, size_t n,
			     const char *message);
int lun_probe_async(struct swi_session *s, lun_probe_fn done, void *arg);

/* One session's I/O queue: pieces beyond what it lets be in flight wait in it. */
struct lun_io;
/* on_luns_changed runs (from a completion) when the target reports REPORTED LUNS DATA HAS
 * CHANGED or CAPACITY DATA HAS CHANGED; the caller schedules a rescan, which does both. */
struct lun_io *lun_io_new(struct swi_session *s, void (*on_luns_changed)(void *arg), void *arg);
/* Requests still running keep running; call only when lun_io_busy is 0. */
void lun_io_free(struct lun_io *q);
/* Requests submitted and not yet completed. */
unsigned lun_io_busy(const struct lun_io *q);
/* Calls fn once, when lun_io_busy is (or next becomes) 0. */
void lun_io_when_idle(struct lun_io *q, void (*fn)(void *arg), void *arg);

/* err is 0 or a negative errno saying what happened (the sense text is in the log); outcome
 * says whose fault a failure was, so multipath can choose between another path (MPATH_PATH_ERROR:
 * no answer, a failed session, a port that cannot serve the LUN) and returning err once
 * (MPATH_LUN_ERROR: medium error, illegal request, write protect, ...). When pieces of one
 * request fail differently a path error wins: the whole request may go again elsewhere. */
typedef void (*lun_io_fn)(void *arg, enum mpath_outcome outcome, int err);
/* Reads or writes blocks (of l->block_size) at lba from/to buf, which stays valid until done. */
int lun_rw(struct lun_io *q, const struct lun_info *l, bool write, void *buf, uint64_t lba,
	   uint32_t blocks, lun_io_fn done, void *arg);
/* SYNCHRONIZE CACHE over the whole LUN. */
int lun_sync(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg);
/* The same for a multipath path: a lost connection fails the request at once (a path error)
 * instead of holding it for the reconnect, and a session recovering its connection refuses it
 * (-1), so the dispatcher can re-issue it on another path (SWI_CMD_FAILFAST_TRANSPORT). */
int lun_rw_failfast(struct lun_io *q, const struct lun_info *l, bool write, void *buf,
		    uint64_t lba, uint32_t blocks, lun_io_fn done, void *arg);
int lun_sync_failfast(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg);
/* TEST UNIT READY (the path checker's): err 0 only for GOOD; unit attentions and BUSY are
 * sent again first, as for every command. */
int lun_tur(struct lun_io *q, const struct lun_info *l, lun_io_fn done, void *arg);

/* The errno a SCSI outcome means: 0 for GOOD (and recovered errors), -EAGAIN for what is worth
 * resending (UNIT ATTENTION, BUSY, TASK SET FULL), else -EIO, -EROFS, -ENOSPC, ... */
int lun_errno(const struct swi_scsi_result *r);
/* What an outcome says about the path: status is libswiscsi's (-1: no answer, the session failed
 * or its replacement timeout ran out), r the SCSI result when status is 0. */
enum mpath_outcome lun_outcome(int status, const struct swi_scsi_result *r);

#endif
