/* The FUSE operations of the LUN filesystem. Reads, writes and fsync are answered from the
 * SCSI completion, so as many requests are in flight as the kernel sends. */
#include "lunfs_int.h"
#include "lunfs_buf.h"
#include "mpath_io.h"
#include "dlog.h"
#include "loopdev.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Names change only on attach, detach and rescan; a zero entry timeout makes the kernel ask
 * again each time, so a removed LUN's name never lingers. */
static const double ENTRY_TIMEOUT = 0.0, ATTR_TIMEOUT = 1.0;
enum { MAX_WRITE = 1 << 20, MAX_BACKGROUND = 128, CONGESTION = 96 };

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* the kernel's defaults (12 background requests, 32 pages each) throttle a disk */
	conn->max_write = MAX_WRITE;
	conn->max_readahead = MAX_WRITE;
	conn->max_background = MAX_BACKGROUND;
	conn->congestion_threshold = CONGESTION;
	if (conn->capable & FUSE_CAP_ASYNC_DIO)
		conn->want |= FUSE_CAP_ASYNC_DIO;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	/* one writer per page cache, ours: no writeback cache, no splice (we copy once anyway) */
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ |
				  FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static struct lunfs_lun *lun_of(const struct lunfs *fs, fuse_ino_t ino, bool *is_dir)
{
	*is_dir = ino == INO_ROOT;
	if (*is_dir)
		return NULL;
	const struct lunfs_entry *e = tree_find_ino(fs, ino);
	*is_dir = e && e->dir;
	return e ? e->lun : NULL;
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct lunfs *fs = fuse_req_userdata(req);
	const struct lunfs_entry *e = tree_lookup(fs, parent, name);
	if (!e) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param p = { .ino = e->ino, .attr_timeout = ATTR_TIMEOUT,
				      .entry_timeout = ENTRY_TIMEOUT };
	tree_attr(fs, e->ino, e->lun, &p.attr);
	fuse_reply_entry(req, &p);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lunfs *fs = fuse_req_userdata(req);
	bool dir;
	struct lunfs_lun *l = fi ? (struct lunfs_lun *)(uintptr_t)fi->fh : lun_of(fs, ino, &dir);
	if (!l && (fi || !dir)) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	tree_attr(fs, ino, l, &st);
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

/* Sizes are the LUN's: truncating to the size it has is fine (tools do that), nothing else. */
static void op_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	struct lunfs *fs = fuse_req_userdata(req);
	bool dir;
	struct lunfs_lun *l = lun_of(fs, ino, &dir);
	(void)fi;
	if (!l && !dir) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct stat st;
	tree_attr(fs, ino, l, &st);
	if ((to_set & (FUSE_SET_ATTR_MODE | FUSE_SET_ATTR_UID | FUSE_SET_ATTR_GID)) ||
	    ((to_set & FUSE_SET_ATTR_SIZE) && (!l || attr->st_size != st.st_size))) {
		fuse_reply_err(req, EPERM);
		return;
	}
	fuse_reply_attr(req, &st, ATTR_TIMEOUT);
}

static void op_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct lunfs *fs = fuse_req_userdata(req);
	(void)fi;
	char *buf = calloc(1, size);
	if (!buf) {
		fuse_reply_err(req, ENOMEM);
		return;
	}
	/* offsets: 1 ".", 2 "..", then 3 + the index among this directory's entries */
	size_t used = 0;
	off_t n = 0;
	struct stat st = { .st_mode = S_IFDIR };
	for (int k = 0; k < 2; k++)
		if (++n > off) {
			size_t need = fuse_add_direntry(req, buf + used, size - used, k ? ".." : ".",
							&st, n);
			if (need > size - used)
				goto out;
			used += need;
		}
	for (size_t i = 0; i < fs->nentries; i++) {
		const struct lunfs_entry *e = &fs->entries[i];
		if (e->parent != ino || ++n <= off)
			continue;
		st = (struct stat){ .st_ino = e->ino, .st_mode = e->dir ? S_IFDIR : S_IFREG };
		size_t need = fuse_add_direntry(req, buf + used, size - used, e->name, &st, n);
		if (need > size - used)
			break;
		used += need;
	}
out:
	fuse_reply_buf(req, buf, used);
	free(buf);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct lunfs *fs = fuse_req_userdata(req);
	bool dir;
	struct lunfs_lun *l = lun_of(fs, ino, &dir);
	if (!l || !lun_live(l)) {
		fuse_reply_err(req, dir ? EISDIR : ENOENT);
		return;
	}
	if ((fi->flags & O_ACCMODE) != O_RDONLY && l->info.read_only) {
		fuse_reply_err(req, EROFS);
		return;
	}
	fi->fh = (uint64_t)(uintptr_t)l;
	fi->direct_io = fs->cfg.fuse_direct_io != 0;
	fi->keep_cache = 0;   /* the target may have changed under a closed file */
	l->refs++;
	if (fuse_reply_open(req, fi) != 0)
		lun_unref(l);
}

static void op_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	lun_unref((struct lunfs_lun *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

/* One read, write or fsync in flight: the request, the LUN and the bounce buffer. */
struct io {
	fuse_req_t req;
	struct lunfs_lun *l;
	struct lunfs_bufs *bufs;
	uint8_t *buf;
	size_t buflen;
	size_t skip, len;           /* the caller's bytes within buf */
	uint64_t lba;
	uint32_t blocks;
	const uint8_t *wdata;       /* read-modify-write: the caller's data, copied */
	lun_io_fn then;             /* a by-id file's: what the dispatcher's answer goes on to */
};

/* The dispatcher has re-issued path errors already: what it returns is final. */
static void map_answered(void *arg, int err)
{
	struct io *io = arg;
	io->then(io, err ? MPATH_LUN_ERROR : MPATH_OK, err);
}

/* A read or write of io's blocks on its file's session, or through its map's paths. */
static int submit_rw(struct io *io, bool write, lun_io_fn done)
{
	struct lunfs_lun *l = io->l;
	if (l->mio) {
		io->then = done;
		return mpath_io_rw(l->mio, write, io->buf, io->lba, io->blocks, l->info.block_size,
				   map_answered, io);
	}
	if (!l->ls)
		return -1;
	return lun_rw(l->ls->io, &l->info, write, io->buf, io->lba, io->blocks, done, io);
}

static void io_end(struct io *io)
{
	lun_unref(io->l);
	lunfs_buf_put(io->bufs, io->buf, io->buflen);
	free((void *)io->wdata);
	free(io);
}

static void read_done(void *arg, enum mpath_outcome outcome, int err)
{
	(void)outcome;   /* one path: every error is final */
	struct io *io = arg;
	if (err)
		fuse_reply_err(io->req, -err);
	else
		fuse_reply_buf(io->req, (const char *)io->buf + io->skip, io->len);
	io_end(io);
}

static void write_done(void *arg, enum mpath_outcome outcome, int err)
{
	(void)outcome;   /* one path: every error is final */
	struct io *io = arg;
	if (err)
		fuse_reply_err(io->req, -err);
	else
		fuse_reply_write(io->req, io->len);
	io_end(io);
}

/* Partial blocks: their old contents are read first, then the whole span is written. Two
 * such writes into one block at the same moment could lose one of them; buffered writes cannot
 * race (FUSE holds the inode lock across a write-through write), and the page cache and loop
 * devices only write whole blocks, which leaves concurrent unaligned O_DIRECT writers. */
static void rmw_read_done(void *arg, enum mpath_outcome outcome, int err)
{
	struct io *io = arg;
	if (!err && !lun_live(io->l))
		err = -EIO;
	if (!err) {
		memcpy(io->buf + io->skip, io->wdata, io->len);
		if (submit_rw(io, true, write_done) == 0)
			return;
		err = -EIO;
	}
	write_done(io, outcome, err);
}

/* A request on a LUN, its bytes [off, off + *len) clipped to the LUN, in a block-aligned
 * buffer. NULL with *err when it cannot be served. */
static struct io *io_new(fuse_req_t req, struct fuse_file_info *fi, off_t off, size_t *len,
			 int *err)
{
	struct lunfs_lun *l = (struct lunfs_lun *)(uintptr_t)fi->fh;
	uint64_t cap = l->info.blocks * l->info.block_size, bs = l->info.block_size;
	*err = !lun_live(l) ? EIO : off < 0 ? EINVAL : 0;
	if (*err)
		return NULL;
	if ((uint64_t)off >= cap || *len == 0) {
		*len = 0;
		return NULL;
	}
	if (*len > cap - (uint64_t)off)
		*len = cap - (uint64_t)off;
	struct lunfs *fs = fuse_req_userdata(req);
	uint64_t first = (uint64_t)off / bs, end = ((uint64_t)off + *len + bs - 1) / bs;
	size_t buflen = (end - first) * bs;
	struct io *io = calloc(1, sizeof(*io));
	uint8_t *buf = io ? lunfs_buf_get(fs->bufs, buflen) : NULL;
	if (!buf) {
		free(io);
		*err = ENOMEM;
		return NULL;
	}
	*io = (struct io){ .req = req, .l = l, .bufs = fs->bufs, .buf = buf, .buflen = buflen,
			   .skip = (uint64_t)off - first * bs, .len = *len, .lba = first,
			   .blocks = (uint32_t)(end - first) };
	l->refs++;
	return io;
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	int err;
	struct io *io = io_new(req, fi, off, &size, &err);
	if (!io) {
		if (err)
			fuse_reply_err(req, err);
		else
			fuse_reply_buf(req, NULL, 0);
		return;
	}
	if (submit_rw(io, false, read_done) < 0) {
		fuse_reply_err(req, EIO);
		io_end(io);
	}
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *data, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	struct lunfs_lun *l = (struct lunfs_lun *)(uintptr_t)fi->fh;
	if (l->info.read_only) {
		fuse_reply_err(req, EROFS);
		return;
	}
	size_t want = size;
	int err;
	struct io *io = io_new(req, fi, off, &size, &err);
	if (!io) {
		if (!err && !want)
			fuse_reply_write(req, 0);
		else
			fuse_reply_err(req, err ? err : ENOSPC);
		return;
	}
	bool partial = io->skip || io->len != (size_t)io->blocks * l->info.block_size;
	int rc;
	if (partial) {
		/* data points into libfuse's receive buffer, reused by the next request */
		uint8_t *copy = malloc(io->len);
		if (!copy) {
			fuse_reply_err(req, ENOMEM);
			io_end(io);
			return;
		}
		memcpy(copy, data, io->len);
		io->wdata = copy;
		rc = submit_rw(io, false, rmw_read_done);
	} else {
		memcpy(io->buf, data, io->len);
		rc = submit_rw(io, true, write_done);
	}
	if (rc < 0) {
		fuse_reply_err(req, EIO);
		io_end(io);
	}
}

static void sync_done(void *arg, enum mpath_outcome outcome, int err)
{
	(void)outcome;   /* one path: every error is final */
	struct io *io = arg;
	fuse_reply_err(io->req, -err);
	io_end(io);
}

static void op_fsync(fuse_req_t req, fuse_ino_t ino, int datasync, struct fuse_file_info *fi)
{
	(void)ino;
	(void)datasync;
	struct lunfs_lun *l = (struct lunfs_lun *)(uintptr_t)fi->fh;
	struct io *io = lun_live(l) ? calloc(1, sizeof(*io)) : NULL;
	if (!io) {
		fuse_reply_err(req, lun_live(l) ? ENOMEM : EIO);
		return;
	}
	*io = (struct io){ .req = req, .l = l, .then = sync_done };
	l->refs++;
	int rc = l->mio ? mpath_io_sync(l->mio, map_answered, io)
			: lun_sync(l->ls->io, &l->info, sync_done, io);
	if (rc < 0) {
		fuse_reply_err(req, EIO);
		io_end(io);
	}
}

static void op_flush(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	fuse_reply_err(req, 0);   /* writes are write-through: nothing is held back on close */
}

void ops_size_changed(struct lunfs *fs, const struct lunfs_lun *l)
{
	/* attributes only (a negative offset): dropping pages would wait for page locks that
	 * reads in flight hold until this very thread answers them. An inode the kernel never
	 * looked up is not known to it (ENOENT); any other failure leaves the attribute timeout
	 * to bound how long the old size is seen. */
	if (fs->se)
		(void)fuse_lowlevel_notify_inval_inode(fs->se, l->ino, -1, 0);
}

/* The kernel serves reads of the pages it holds without asking: a file cut off (another disk
 * under its LUN number, its map gone) loses them too, so that every read of an open one fails.
 * Dropping them waits for the page locks of reads in flight, which only the loop's thread
 * answers: a worker thread's job. */
struct page_drop {
	struct fuse_session *se;
	fuse_ino_t ino;
	char name[256];
	void (*done)(void *arg);
	void *arg;
};

static int drop_pages(void *ctx, char *err, size_t errlen)
{
	struct page_drop *d = ctx;
	int rc = fuse_lowlevel_notify_inval_inode(d->se, d->ino, 0, 0);
	if (rc < 0 && rc != -ENOENT) {   /* ENOENT: the kernel holds nothing of it */
		snprintf(err, errlen, "its cached pages stay: %s", strerror(-rc));
		return -1;
	}
	return 0;
}

static void pages_dropped(void *arg, int status, const char *dev, bool direct, const char *msg)
{
	(void)dev;
	(void)direct;
	struct page_drop *d = arg;
	if (status < 0)
		dlog(LOG_WARNING, "%s: %s", d->name, msg);
	d->done(d->arg);
	free(d);
}

int ops_drop_pages(struct lunfs *fs, const struct lunfs_lun *l, void (*done)(void *arg), void *arg)
{
	struct page_drop *d = fs->se ? malloc(sizeof(*d)) : NULL;
	if (!d)
		return -1;
	*d = (struct page_drop){ .se = fs->se, .ino = l->ino, .done = done, .arg = arg };
	snprintf(d->name, sizeof(d->name), "%s", l->name);
	if (loopdev_call_async(fs->loops, drop_pages, d, pages_dropped, d) < 0) {
		dlog(LOG_WARNING, "%s: its cached pages stay: cannot start a worker thread", l->name);
		free(d);
		return -1;
	}
	return 0;
}

const struct fuse_lowlevel_ops lunfs_ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.setattr = op_setattr,
	.readdir = op_readdir,
	.open = op_open,
	.release = op_release,
	.read = op_read,
	.write = op_write,
	.fsync = op_fsync,
	.flush = op_flush,
};
