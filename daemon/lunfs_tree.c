/* The LUN filesystem's names: a flat table of (parent, name) -> inode entries. It holds a few
 * entries per LUN, so a linear search is all it needs. */
#include "lunfs_int.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

const struct lunfs_entry *tree_lookup(const struct lunfs *fs, fuse_ino_t parent, const char *name)
{
	for (size_t i = 0; i < fs->nentries; i++)
		if (fs->entries[i].parent == parent && strcmp(fs->entries[i].name, name) == 0)
			return &fs->entries[i];
	return NULL;
}

const struct lunfs_entry *tree_find_ino(const struct lunfs *fs, fuse_ino_t ino)
{
	for (size_t i = 0; i < fs->nentries; i++)
		if (fs->entries[i].ino == ino)
			return &fs->entries[i];
	return NULL;
}

static struct lunfs_entry *add(struct lunfs *fs, fuse_ino_t parent, const char *name)
{
	if (fs->nentries == fs->entries_cap) {
		size_t cap = fs->entries_cap ? 2 * fs->entries_cap : 16;
		struct lunfs_entry *v = realloc(fs->entries, cap * sizeof(*v));
		if (!v)
			return NULL;
		fs->entries = v;
		fs->entries_cap = cap;
	}
	char *copy = strdup(name);
	if (!copy)
		return NULL;
	struct lunfs_entry *e = &fs->entries[fs->nentries++];
	*e = (struct lunfs_entry){ .parent = parent, .name = copy };
	return e;
}

fuse_ino_t tree_dir(struct lunfs *fs, fuse_ino_t parent, const char *name)
{
	const struct lunfs_entry *have = tree_lookup(fs, parent, name);
	if (have)
		return have->dir ? have->ino : 0;
	struct lunfs_entry *e = add(fs, parent, name);
	if (!e)
		return 0;
	e->dir = true;
	e->ino = fs->next_ino++;
	return e->ino;
}

int tree_link(struct lunfs *fs, fuse_ino_t parent, struct lunfs_lun *l)
{
	if (tree_lookup(fs, parent, l->name))
		return -1;
	struct lunfs_entry *e = add(fs, parent, l->name);
	if (!e)
		return -1;
	e->ino = l->ino;
	e->lun = l;
	l->nlink++;
	return 0;
}

static void drop(struct lunfs *fs, size_t i)
{
	free(fs->entries[i].name);
	fs->entries[i] = fs->entries[--fs->nentries];
}

static bool has_children(const struct lunfs *fs, fuse_ino_t dir)
{
	for (size_t i = 0; i < fs->nentries; i++)
		if (fs->entries[i].parent == dir)
			return true;
	return false;
}

void tree_unlink_lun(struct lunfs *fs, struct lunfs_lun *l)
{
	for (size_t i = 0; i < fs->nentries;) {
		if (fs->entries[i].lun == l)
			drop(fs, i);
		else
			i++;
	}
	l->nlink = 0;
	/* an iface directory goes with its last file */
	for (size_t i = 0; i < fs->nentries;) {
		struct lunfs_entry *e = &fs->entries[i];
		if (e->dir && e->parent == INO_BY_IFACE && !has_children(fs, e->ino))
			drop(fs, i);
		else
			i++;
	}
}

static void lun_free(struct lunfs_lun *l);

void tree_free(struct lunfs *fs)
{
	/* the FUSE session is gone: no release or reply will come for these any more */
	while (fs->gone)
		lun_free(fs->gone);
	for (size_t i = 0; i < fs->nentries; i++)
		free(fs->entries[i].name);
	free(fs->entries);
	fs->entries = NULL;
	fs->nentries = fs->entries_cap = 0;
}

void tree_attr(const struct lunfs *fs, fuse_ino_t ino, const struct lunfs_lun *l, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	st->st_uid = 0;
	st->st_gid = 0;
	st->st_atime = st->st_mtime = st->st_ctime = fs->born;
	if (l) {
		st->st_mode = S_IFREG | (fs->cfg.file_mode & 07777);
		st->st_nlink = l->nlink;
		st->st_size = (off_t)(l->info.blocks * l->info.block_size);
		st->st_blksize = l->info.block_size;
		st->st_blocks = st->st_size / 512;
	} else {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	}
}

bool lun_live(const struct lunfs_lun *l)
{
	return l->ls || l->mio;
}

static void lun_free(struct lunfs_lun *l)
{
	if (l->gone_prev) {
		*l->gone_prev = l->gone_next;
		if (l->gone_next)
			l->gone_next->gone_prev = l->gone_prev;
	}
	free(l);
}

void lun_unref(struct lunfs_lun *l)
{
	if (--l->refs == 0 && !lun_live(l))
		lun_free(l);
}

void lun_retire(struct lunfs *fs, struct lunfs_lun *l)
{
	if (l->refs == 0) {
		lun_free(l);
		return;
	}
	l->gone_next = fs->gone;
	l->gone_prev = &fs->gone;
	if (fs->gone)
		fs->gone->gone_prev = &l->gone_next;
	fs->gone = l;
}
