/* fuse-floor: the cost of serving a block workload through FUSE with no storage behind it, as a
 * floor beside swiscsid's LUN file in bench/lunfile_cpu.py.
 *
 *   fuse-floor MOUNTPOINT SIZE    mounts one file, MOUNTPOINT/disk of SIZE bytes, and serves it
 *                                 until SIGTERM/SIGINT: reads answer zeros, writes are dropped
 *
 * It runs the FUSE side the way swiscsid does (the same connection options, a non-blocking
 * /dev/fuse drained until EAGAIN at each epoll wake-up, one reply per request) and nothing
 * else, so its CPU time per I/O is what the kernel and libfuse charge for one request: one
 * read(2) of /dev/fuse, one writev(2) of the reply with its data copy, and a share of the
 * wake-ups. swiscsid's LUN file cannot cost less. */
#define FUSE_USE_VERSION 34
#include <errno.h>
#include <fcntl.h>
#include <fuse_lowlevel.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

enum { INO_DISK = 2, MAX_IO = 1 << 20 };
static const char NAME[] = "disk";
static off_t disk_size;
static char zeros[MAX_IO];
static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static void fill_attr(fuse_ino_t ino, struct stat *st)
{
	memset(st, 0, sizeof(*st));
	st->st_ino = ino;
	if (ino == FUSE_ROOT_ID) {
		st->st_mode = S_IFDIR | 0755;
		st->st_nlink = 2;
	} else {
		st->st_mode = S_IFREG | 0600;
		st->st_nlink = 1;
		st->st_size = disk_size;
		st->st_blksize = 4096;
	}
}

static void op_init(void *userdata, struct fuse_conn_info *conn)
{
	(void)userdata;
	/* swiscsid's settings (daemon/lunfs_ops.c), so both pay for the same requests */
	conn->max_write = MAX_IO;
	conn->max_readahead = MAX_IO;
	conn->max_background = 128;
	conn->congestion_threshold = 96;
	if (conn->capable & FUSE_CAP_ASYNC_DIO)
		conn->want |= FUSE_CAP_ASYNC_DIO;
	if (conn->capable & FUSE_CAP_ASYNC_READ)
		conn->want |= FUSE_CAP_ASYNC_READ;
	conn->want &= ~(unsigned)(FUSE_CAP_WRITEBACK_CACHE | FUSE_CAP_SPLICE_READ |
				  FUSE_CAP_SPLICE_WRITE | FUSE_CAP_SPLICE_MOVE);
}

static void op_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	if (parent != FUSE_ROOT_ID || strcmp(name, NAME) != 0) {
		fuse_reply_err(req, ENOENT);
		return;
	}
	struct fuse_entry_param e = { .ino = INO_DISK, .attr_timeout = 1.0 };
	fill_attr(INO_DISK, &e.attr);
	fuse_reply_entry(req, &e);
}

static void op_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	(void)fi;
	struct stat st;
	fill_attr(ino, &st);
	fuse_reply_attr(req, &st, 1.0);
}

static void op_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	if (ino != INO_DISK) {
		fuse_reply_err(req, EISDIR);
		return;
	}
	fi->keep_cache = 0;
	fuse_reply_open(req, fi);
}

static void op_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	(void)ino;
	(void)fi;
	if (off >= disk_size)
		size = 0;
	else if ((off_t)size > disk_size - off)
		size = (size_t)(disk_size - off);
	fuse_reply_buf(req, zeros, size < MAX_IO ? size : MAX_IO);
}

static void op_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	(void)ino;
	(void)buf;
	(void)off;
	(void)fi;
	fuse_reply_write(req, size);
}

static const struct fuse_lowlevel_ops ops = {
	.init = op_init,
	.lookup = op_lookup,
	.getattr = op_getattr,
	.open = op_open,
	.read = op_read,
	.write = op_write,
};

int main(int argc, char **argv)
{
	if (argc != 3) {
		fprintf(stderr, "usage: fuse-floor MOUNTPOINT SIZE\n");
		return 2;
	}
	char *end;
	disk_size = strtoll(argv[2], &end, 0);
	if (*end || disk_size <= 0) {
		fprintf(stderr, "fuse-floor: bad size %s\n", argv[2]);
		return 2;
	}
	char *fargv[] = { argv[0], "-o", "default_permissions,allow_other,fsname=fuse-floor", NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, fargv);
	struct fuse_session *se = fuse_session_new(&args, &ops, sizeof(ops), NULL);
	if (!se || fuse_session_mount(se, argv[1]) != 0) {
		fprintf(stderr, "fuse-floor: cannot mount at %s\n", argv[1]);
		return 1;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	int fd = fuse_session_fd(se);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	struct epoll_event ev = { .events = EPOLLIN };
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0 || ep < 0 ||
	    epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) < 0) {
		perror("fuse-floor: epoll");
		return 1;
	}
	struct fuse_buf buf = { 0 };
	while (!stop && !fuse_session_exited(se)) {
		struct epoll_event got;
		if (epoll_wait(ep, &got, 1, -1) < 0)
			continue;   /* EINTR: the signal handler set stop */
		for (;;) {
			int n = fuse_session_receive_buf(se, &buf);
			if (n == -EAGAIN || n == -EINTR)
				break;
			if (n <= 0) {
				stop = 1;
				break;
			}
			fuse_session_process_buf(se, &buf);
		}
	}
	free(buf.mem);
	fuse_session_unmount(se);
	fuse_session_destroy(se);
	return 0;
}
