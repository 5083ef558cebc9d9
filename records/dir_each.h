/* Visiting the entries of a record directory, the one loop every record kind needs. */
#ifndef SWISCSI_DIR_EACH_H
#define SWISCSI_DIR_EACH_H

/* Called with an entry's name; a negative result stops the walk and is returned by dir_each. */
typedef int (*dir_entry_fn)(const char *name, void *ctx);

/* Calls fn for every entry of dir in name order, skipping "." names (dot files, and the
 * temporary files atomic writes leave behind). A directory that is missing or unreadable has
 * no entries. 0, or the first negative result of fn. */
int dir_each(const char *dir, dir_entry_fn fn, void *ctx);

#endif
