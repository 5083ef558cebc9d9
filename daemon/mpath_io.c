/* Dispatch, re-issue and holding of one map's commands. */
#include "mpath_io.h"

#include <errno.h>
#include <stdlib.h>

struct cmd {
	struct mpath_io *io;
	bool write, sync;
	void *buf;
	uint64_t lba, bytes;
	uint32_t blocks;
	size_t path;
	void *handle;              /* the path's: its index moves when an earlier path leaves */
	mpath_io_fn done;
	void *arg;
	struct cmd *next;          /* in the held list */
};

struct mpath_io {
	struct mpath_lun *map;
	const struct mpath_io_ops *ops;
	void *ctx;
	unsigned busy;
	struct cmd *held, **held_tail;
};

struct mpath_io *mpath_io_new(struct mpath_lun *map, const struct mpath_io_ops *ops, void *ctx)
{
	struct mpath_io *io = calloc(1, sizeof(*io));
	if (!io)
		return NULL;
	*io = (struct mpath_io){ .map = map, .ops = ops, .ctx = ctx };
	io->held_tail = &io->held;
	return io;
}

void mpath_io_free(struct mpath_io *io)
{
	free(io);
}

unsigned mpath_io_busy(const struct mpath_io *io)
{
	return io->busy;
}

static void finish(struct cmd *c, int err)
{
	struct mpath_io *io = c->io;
	io->busy--;
	c->done(c->arg, err);
	free(c);
}

/* For want of a path: EIO, which the application sees. */
static void fail_no_path(struct cmd *c)
{
	struct mpath_io *io = c->io;
	if (io->ops->no_path)
		io->ops->no_path(io->ctx, io->map, c->write, c->sync, c->lba, c->blocks);
	finish(c, -EIO);
}

static void hold(struct cmd *c)
{
	c->next = NULL;
	*c->io->held_tail = c;
	c->io->held_tail = &c->next;
}

static void dispatch(struct cmd *c, int from);

/* Where the path that carried c is now; -1 when it left the map meanwhile. */
static int path_now(const struct cmd *c)
{
	const struct mpath_lun *m = c->io->map;
	if (c->path < m->sel.npaths && m->route[c->path].handle == c->handle)
		return (int)c->path;
	for (size_t i = 0; i < m->sel.npaths; i++)
		if (m->route[i].handle == c->handle)
			return (int)i;
	return -1;
}

static void path_answered(void *arg, enum mpath_outcome outcome, int err)
{
	struct cmd *c = arg;
	struct mpath_map *sel = &c->io->map->sel;
	int i = path_now(c);
	if (i >= 0)
		mpath_done(sel, (size_t)i, c->bytes);
	if (outcome != MPATH_PATH_ERROR) {
		finish(c, err);       /* done, or the LUN's own error: the same on every path */
		return;
	}
	if (i >= 0)
		mpath_path_set(sel, (size_t)i, false, c->io->ops->now_ms(c->io->ctx));
	dispatch(c, i);
}

/* Where a command that path from failed (-1: none, or it left the map) went instead. */
static void bounced(struct mpath_io *io, int from, enum mpath_verdict went)
{
	if (from < 0)
		return;
	struct mpath_bounced *b = &io->map->route[from].bounced;
	if (went == MPATH_SEND)
		b->moved++;
	else if (went == MPATH_QUEUE)
		b->held++;
	else
		b->failed++;
}

/* Sends c on the path the selector picks, until a path takes it; or holds or fails it. from:
 * the path that just failed c (-1: none), which is told where c went. */
static void dispatch(struct cmd *c, int from)
{
	struct mpath_io *io = c->io;
	for (;;) {
		uint64_t now = io->ops->now_ms(io->ctx);
		enum mpath_verdict went = mpath_choose(&io->map->sel, c->bytes, now, &c->path);
		if (went != MPATH_SEND || (size_t)from != c->path)
			bounced(io, from, went);
		switch (went) {
		case MPATH_QUEUE:
			hold(c);
			return;
		case MPATH_FAIL:
			fail_no_path(c);
			return;
		case MPATH_SEND:
			break;
		}
		void *h = c->handle = io->map->route[c->path].handle;
		if ((c->sync ? io->ops->sync(io->ctx, h, path_answered, c)
			     : io->ops->submit(io->ctx, h, c->write, c->buf, c->lba, c->blocks,
					       path_answered, c)) == 0)
			return;
		/* refused at once: the path is out, and c goes on from it */
		mpath_done(&io->map->sel, c->path, c->bytes);
		mpath_path_set(&io->map->sel, c->path, false, now);
		from = (int)c->path;
	}
}

int mpath_io_rw(struct mpath_io *io, bool write, void *buf, uint64_t lba, uint32_t blocks,
		uint32_t block_size, mpath_io_fn done, void *arg)
{
	struct cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	*c = (struct cmd){ .io = io, .write = write, .buf = buf, .lba = lba, .blocks = blocks,
			   .bytes = (uint64_t)blocks * block_size, .done = done, .arg = arg };
	io->busy++;
	dispatch(c, -1);
	return 0;
}

int mpath_io_sync(struct mpath_io *io, mpath_io_fn done, void *arg)
{
	struct cmd *c = calloc(1, sizeof(*c));
	if (!c)
		return -1;
	*c = (struct cmd){ .io = io, .sync = true, .done = done, .arg = arg };
	io->busy++;
	dispatch(c, -1);
	return 0;
}

void mpath_io_kick(struct mpath_io *io)
{
	bool give_up = mpath_tick(&io->map->sel, io->ops->now_ms(io->ctx));
	struct cmd *c = io->held;
	io->held = NULL;
	io->held_tail = &io->held;
	while (c) {
		struct cmd *next = c->next;
		if (give_up)
			fail_no_path(c);
		else
			dispatch(c, -1);   /* out on a path, or held again in the same order */
		c = next;
	}
}

void mpath_io_fail_held(struct mpath_io *io)
{
	struct cmd *c = io->held;
	io->held = NULL;
	io->held_tail = &io->held;
	while (c) {
		struct cmd *next = c->next;
		fail_no_path(c);
		c = next;
	}
}
