/* multipath -ll's tree: the map line, the size line, then per path group a policy line and its
 * paths, drawn with |- `- and |-+- `-+- as multipath draws them. */
#include "mpath_print.h"

#include <stdbool.h>
#include <string.h>

void mpath_print_size(char *buf, size_t len, unsigned long long bytes)
{
	static const char units[] = "KMGTP";
	double s = (double)bytes / 1024;
	size_t u = 0;
	while (s >= 1024 && units[u + 1]) {
		s /= 1024;
		u++;
	}
	snprintf(buf, len, "%.*f%c", s < 10 ? 1 : 0, s, units[u]);
}

static void print_path(FILE *f, const struct ctl_mpath_path *p, bool last_group, bool last)
{
	bool v6 = strchr(p->address, ':') != NULL;
	fprintf(f, "%s %s %u:0:0:%llu %s %s%s%s:%d %s\n", last_group ? " " : "|",
		last ? "`-" : "|-", p->sid, (unsigned long long)p->lun, p->iface, v6 ? "[" : "",
		p->address, v6 ? "]" : "", p->port,
		p->up ? "active ready running" : "failed faulty running");
}

void mpath_print_map(FILE *f, const struct ctl_mpath *m, const struct ctl_mpath_path *const *paths,
		     size_t npaths)
{
	char size[32];
	mpath_print_size(size, sizeof(size), (unsigned long long)m->blocks * m->block_size);
	/* where multipath shows the map's dm-N: its loop device, as "loopN" */
	const char *loop = strncmp(m->loop, "/dev/", 5) == 0 ? m->loop + 5 : m->loop;
	fprintf(f, "%s (%s) %s %s,%s\n", m->name, m->wwid, loop[0] ? loop : "-", m->vendor,
		m->product);
	fprintf(f, "size=%s features='%s' hwhandler='0' wp=%s\n", size,
		m->queue_if_no_path ? "1 queue_if_no_path" : "0", m->read_only ? "ro" : "rw");
	/* paths arrive sorted by group */
	for (size_t i = 0; i < npaths;) {
		size_t end = i;
		while (end < npaths && paths[end]->group == paths[i]->group)
			end++;
		bool last_group = end == npaths;
		fprintf(f, "%s-+- policy='%s' prio=1 status=%s\n", last_group ? "`" : "|", m->selector,
			paths[i]->group_active ? "active" : "enabled");
		for (size_t k = i; k < end; k++)
			print_path(f, paths[k], last_group, k + 1 == end);
		i = end;
	}
}
