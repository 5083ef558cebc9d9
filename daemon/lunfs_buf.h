/* Bounce buffers for the LUN files' reads and writes, kept for reuse. A fresh 1 MiB buffer is a
 * fresh mapping: its 256 page faults land inside the socket receive copy, and a 1 MiB read cost
 * 15 times the engine's CPU (strace: 1.3 ms per 256 KiB readv, an mmap and munmap per read). */
#ifndef SWISCSID_LUNFS_BUF_H
#define SWISCSID_LUNFS_BUF_H

#include <stddef.h>

struct lunfs_bufs;

struct lunfs_bufs *lunfs_bufs_new(void);
void lunfs_bufs_free(struct lunfs_bufs *b);
/* A page-aligned buffer of at least len bytes; NULL when memory runs out. */
void *lunfs_buf_get(struct lunfs_bufs *b, size_t len);
/* Gives back a buffer from lunfs_buf_get of that len (NULL is fine). */
void lunfs_buf_put(struct lunfs_bufs *b, void *buf, size_t len);

#endif
