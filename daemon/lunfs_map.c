/* Where multipath meets the LUN filesystem: a session's LUN file as one path of a map, and the
 * map's own file under by-id/ whose I/O the dispatcher (mpath_io) spreads over the paths. */
#include "lunfs_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dlog.h"
#include "swiscsi/swiscsi.h"

struct lunfs_lun *lunfs_path_get(struct lunfs_session *ls, uint64_t lun)
{
	for (struct lunfs_lun *l = ls ? ls->luns : NULL; l; l = l->next)
		if (l->info.lun == lun) {
			l->refs++;
			return l;
		}
	return NULL;
}

void lunfs_path_put(struct lunfs_lun *path)
{
	if (path)
		lun_unref(path);
}

/* A removed LUN's session is gone (or going): the dispatcher takes the path out. */
static bool serving(const struct lunfs_lun *path)
{
	return path && path->ls && !path->ls->detaching && path->ls->io;
}

int lunfs_path_rw(struct lunfs_lun *path, bool write, void *buf, uint64_t lba, uint32_t blocks,
		  lun_io_fn done, void *arg)
{
	if (!serving(path))
		return -1;
	return lun_rw(path->ls->io, &path->info, write, buf, lba, blocks, done, arg);
}

int lunfs_path_sync(struct lunfs_lun *path, lun_io_fn done, void *arg)
{
	if (!serving(path))
		return -1;
	return lun_sync(path->ls->io, &path->info, done, arg);
}

/* A TUR in flight: it holds a reference on its path, so that the handle the checker knows the
 * path by stays this path's until the answer is in. */
struct tur_wait {
	struct lunfs_lun *path;
	void (*done)(void *arg, bool good);
	void *arg;
};

static bool logged_in(const struct lunfs_lun *path)
{
	return serving(path) && swi_session_state(path->ls->s) == SWI_STATE_LOGGED_IN;
}

static void tur_done(void *arg, enum mpath_outcome outcome, int err)
{
	(void)outcome;   /* any answer but GOOD fails the path, a LUN's NOT READY too */
	struct tur_wait *w = arg;
	bool good = err == 0 && logged_in(w->path);
	w->done(w->arg, good);
	lun_unref(w->path);
	free(w);
}

int lunfs_path_tur(struct lunfs_lun *path, void (*done)(void *arg, bool good), void *arg)
{
	/* a recovering session holds new commands until it is back: no TUR waits through that,
	 * its return asks for one */
	if (!logged_in(path))
		return -1;
	struct tur_wait *w = malloc(sizeof(*w));
	if (!w)
		return -1;
	*w = (struct tur_wait){ .path = path, .done = done, .arg = arg };
	path->refs++;
	if (lun_tur(path->ls->io, &path->info, tur_done, w) < 0) {
		free(w);
		lun_unref(path);
		return -1;
	}
	return 0;
}

struct lunfs_lun *lunfs_byid_add(struct lunfs *fs, const struct lun_info *info, struct mpath_io *io)
{
	struct lunfs_lun *f = calloc(1, sizeof(*f));
	if (!f)
		return NULL;
	*f = (struct lunfs_lun){ .ino = fs->next_ino++, .info = *info, .mio = io };
	snprintf(f->name, sizeof(f->name), "%s", info->id.name);
	if (tree_link(fs, INO_BY_ID, f) < 0) {
		free(f);
		return NULL;
	}
	dlog(LOG_INFO, "%s/by-id/%s: created", fs->dir, f->name);
	return f;
}

void lunfs_byid_remove(struct lunfs *fs, struct lunfs_lun *file)
{
	if (!file)
		return;
	tree_unlink_lun(fs, file);
	file->mio = NULL;
	dlog(LOG_INFO, "%s/by-id/%s: removed", fs->dir, file->name);
	if (file->refs == 0)
		free(file);
}
