/* What a daemon killed without its shutdown (SIGKILL, a crash) leaves behind: loop devices
 * still backed by files of its FUSE mount, and the mount itself, which now answers ENOTCONN
 * (or, from the attributes the kernel cached, nothing at all). Both are cleared before the
 * filesystem is mounted again; the pid file's lock says no live daemon owns them. */
#include "lunfs_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <mntent.h>
#include <sys/mount.h>

#include "dlog.h"
#include "loopdev.h"

/* The loop devices' backing files are in the kernel's view, /sys/block/loopN/loop/backing_file
 * (the real sysfs: loop devices are the machine's, not a fixture's). */
static bool backed_from(const char *loop, const char *dir)
{
	char path[512], file[4096];
	snprintf(path, sizeof(path), "/sys/block/%s/loop/backing_file", loop);
	FILE *f = fopen(path, "re");
	if (!f)
		return false;   /* not attached */
	bool ours = fgets(file, sizeof(file), f) != NULL;
	fclose(f);
	size_t n = strlen(dir);
	return ours && strncmp(file, dir, n) == 0 && file[n] == '/';
}

static void detach_stale_loops(const char *dir)
{
	DIR *d = opendir("/sys/block");
	if (!d)
		return;
	for (struct dirent *e; (e = readdir(d));) {
		if (strncmp(e->d_name, "loop", 4) != 0 || !backed_from(e->d_name, dir))
			continue;
		char dev[300], err[512];
		snprintf(dev, sizeof(dev), "/dev/%s", e->d_name);
		/* one still mounted somewhere is cleared by the kernel at its last close */
		if (loopdev_detach(dev, err, sizeof(err)) < 0)
			dlog(LOG_WARNING, "%s: stale loop device left attached: %s", dev, err);
		else
			dlog(LOG_INFO, "%s: detached (left over by a daemon that did not stop)", dev);
	}
	closedir(d);
}

/* Whether /proc/self/mounts has one of our FUSE mounts (fsname swiscsi) at dir (getmntent
 * undoes the octal escapes of blanks in paths). */
static bool our_mount_at(const char *dir)
{
	FILE *f = setmntent("/proc/self/mounts", "re");
	if (!f)
		return false;
	bool found = false;
	for (struct mntent *m; !found && (m = getmntent(f));)
		found = strcmp(m->mnt_fsname, "swiscsi") == 0 && strcmp(m->mnt_dir, dir) == 0;
	endmntent(f);
	return found;
}

void lunfs_clear_stale(const char *dir)
{
	detach_stale_loops(dir);
	if (!our_mount_at(dir))
		return;
	if (umount2(dir, MNT_DETACH) < 0)
		dlog(LOG_WARNING, "%s: cannot detach the stale LUN filesystem: %s", dir,
			strerror(errno));
	else
		dlog(LOG_INFO, "%s: stale LUN filesystem detached (its daemon did not stop)", dir);
}
