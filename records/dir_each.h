/* Visiting the entries of a record directory, the one loop every record kind needs. */
#ifndef SWISCSI_DIR_EACH_H
#define SWISCSI_DIR_EACH_H

/* Called with an entry's name; a negative result stops the walk and is returned by dir_each. */
typedef int (*dir_entry_fn)(const char *name, void *ctx);
/* The same with the entry's type as the directory reports it (DT_DIR, DT_REG, ...; DT_UNKNOWN
 * on file systems that do not say, where the caller must lstat). */
typedef int (*dir_typed_entry_fn)(const char *name, unsigned char type, void *ctx);

/* Calls fn for every entry of dir in name order, skipping "." names (dot files, and the
 * temporary files atomic writes leave behind). A directory that is missing or unreadable has
 * no entries. 0, or the first negative result of fn. */
int dir_each(const char *dir, dir_entry_fn fn, void *ctx);
/* dir_each with the entry types, so that walks of large trees need no stat per entry. */
int dir_each_typed(const char *dir, dir_typed_entry_fn fn, void *ctx);

#endif
