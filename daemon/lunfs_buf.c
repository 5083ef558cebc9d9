/* Power-of-two size classes from 4 KiB to 2 MiB, each a free list of at most KEEP buffers
 * (linked through their first bytes); larger requests are not kept. */
#include "lunfs_buf.h"

#include <stdlib.h>

enum { MIN_SHIFT = 12, CLASSES = 10, KEEP = 32, ALIGN = 4096 };

struct free_buf {
	struct free_buf *next;
};

struct lunfs_bufs {
	struct free_buf *head[CLASSES];
	unsigned kept[CLASSES];
};

struct lunfs_bufs *lunfs_bufs_new(void)
{
	return calloc(1, sizeof(struct lunfs_bufs));
}

/* The class holding len, or CLASSES when it is too large to keep. */
static unsigned class_of(size_t len)
{
	unsigned c = 0;
	while (c < CLASSES && ((size_t)1 << (MIN_SHIFT + c)) < len)
		c++;
	return c;
}

void *lunfs_buf_get(struct lunfs_bufs *b, size_t len)
{
	unsigned c = class_of(len);
	if (c == CLASSES)
		return aligned_alloc(ALIGN, (len + ALIGN - 1) / ALIGN * ALIGN);
	struct free_buf *f = b->head[c];
	if (f) {
		b->head[c] = f->next;
		b->kept[c]--;
		return f;
	}
	return aligned_alloc(ALIGN, (size_t)1 << (MIN_SHIFT + c));
}

void lunfs_buf_put(struct lunfs_bufs *b, void *buf, size_t len)
{
	unsigned c = class_of(len);
	if (!buf)
		return;
	if (c == CLASSES || b->kept[c] >= KEEP) {
		free(buf);
		return;
	}
	struct free_buf *f = buf;
	f->next = b->head[c];
	b->head[c] = f;
	b->kept[c]++;
}

void lunfs_bufs_free(struct lunfs_bufs *b)
{
	if (!b)
		return;
	for (unsigned c = 0; c < CLASSES; c++)
		while (b->head[c]) {
			struct free_buf *f = b->head[c];
			b->head[c] = f->next;
			free(f);
		}
	free(b);
}
