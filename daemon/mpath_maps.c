/* Maps by identity: found by name or WWID, grown and shrunk one path at a time, described for
 * swiscsi-multipath -ll. */
#include "mpath_maps.h"

#include <stdlib.h>
#include <string.h>

struct mpath_lun *mpath_maps_find(const struct mpath_maps *ms, const char *name)
{
	for (size_t i = 0; i < ms->n; i++) {
		const struct mpath_id *id = &ms->map[i]->info.id;
		if (strcmp(id->name, name) == 0 || strcmp(id->wwid, name) == 0)
			return ms->map[i];
	}
	return NULL;
}

static struct mpath_lun *new_map(struct mpath_maps *ms, const struct lun_info *info,
				 const struct mpath_policy *policy)
{
	struct mpath_lun **grown = realloc(ms->map, (ms->n + 1) * sizeof(*ms->map));
	if (!grown)
		return NULL;
	ms->map = grown;
	struct mpath_lun *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->info = *info;
	mpath_map_init(&m->sel, policy);
	ms->map[ms->n++] = m;
	return m;
}

static int find_route(const struct mpath_lun *m, uint32_t sid, uint64_t lun)
{
	for (size_t i = 0; i < m->sel.npaths; i++)
		if (m->route[i].sid == sid && m->route[i].lun == lun)
			return (int)i;
	return -1;
}

int mpath_maps_add(struct mpath_maps *ms, const struct lun_info *info, const struct mpath_route *r,
		   const struct mpath_policy *policy, uint64_t now_ms, struct mpath_lun **map,
		   size_t *path)
{
	if (!info->has_id)
		return -1;
	struct mpath_lun *m = mpath_maps_find(ms, info->id.name);
	if (m && find_route(m, r->sid, info->lun) >= 0)
		return -1;
	if (!m && !(m = new_map(ms, info, policy)))
		return -1;
	int i = mpath_map_add_path(&m->sel, 1, now_ms);
	if (i < 0)
		return -1;
	m->route[i] = *r;
	*map = m;
	*path = (size_t)i;
	return 0;
}

static void drop_map(struct mpath_maps *ms, size_t k)
{
	if (!ms->dropping || !ms->dropping(ms->map[k], ms->dropping_arg))
		free(ms->map[k]);
	memmove(&ms->map[k], &ms->map[k + 1], (ms->n - k - 1) * sizeof(*ms->map));
	ms->n--;
}

void mpath_maps_remove(struct mpath_maps *ms, uint32_t sid, uint64_t lun, uint64_t now_ms)
{
	for (size_t k = 0; k < ms->n; k++) {
		struct mpath_lun *m = ms->map[k];
		int i = find_route(m, sid, lun);
		if (i < 0)
			continue;
		mpath_map_remove_path(&m->sel, (size_t)i, now_ms);
		memmove(&m->route[i], &m->route[i + 1], (m->sel.npaths - (size_t)i) * sizeof(m->route[0]));
		if (m->sel.npaths == 0)
			drop_map(ms, k);
		return;
	}
}

void mpath_maps_remove_session(struct mpath_maps *ms, uint32_t sid, uint64_t now_ms)
{
	for (size_t k = ms->n; k-- > 0;) {
		struct mpath_lun *m = ms->map[k];
		for (size_t i = m->sel.npaths; i-- > 0;)
			if (m->route[i].sid == sid)
				mpath_maps_remove(ms, sid, m->route[i].lun, now_ms);
	}
}

bool mpath_maps_busy(const struct mpath_lun *m)
{
	for (size_t i = 0; i < m->sel.npaths; i++)
		if (m->sel.path[i].in_flight)
			return true;
	return false;
}

int mpath_maps_flush(struct mpath_maps *ms, const char *name)
{
	for (size_t k = 0; k < ms->n; k++) {
		struct mpath_lun *m = ms->map[k];
		if (m != mpath_maps_find(ms, name))
			continue;
		if (mpath_maps_busy(m))
			return -2;
		drop_map(ms, k);
		return 0;
	}
	return -1;
}

static void describe_map(const struct mpath_lun *m, uint64_t now_ms, struct ctl_buf *b)
{
	struct ctl_mpath c;
	memset(&c, 0, sizeof(c));
	CTL_SET(c.name, m->info.id.name);
	CTL_SET(c.wwid, m->info.id.wwid);
	CTL_SET(c.vendor, m->info.vendor);
	CTL_SET(c.product, m->info.product);
	CTL_SET(c.loop, m->loop);
	CTL_SET(c.grouping, mpath_grouping_name(m->sel.pol.grouping));
	CTL_SET(c.selector, mpath_selector_name(m->sel.pol.selector));
	c.blocks = m->info.blocks;
	c.block_size = m->info.block_size;
	c.read_only = m->info.read_only;
	c.queue_if_no_path = mpath_queueing(&m->sel, now_ms);
	c.npaths = (uint32_t)m->sel.npaths;
	ctl_buf_append(b, &c, sizeof(c));
	bool failover = m->sel.pol.grouping == MPATH_FAILOVER;
	for (size_t i = 0; i < m->sel.npaths; i++) {
		struct ctl_mpath_path p;
		memset(&p, 0, sizeof(p));
		p.sid = m->route[i].sid;
		p.lun = m->route[i].lun;
		CTL_SET(p.iface, m->route[i].iface);
		CTL_SET(p.address, m->route[i].address);
		p.port = m->route[i].port;
		p.up = m->sel.path[i].up;
		p.in_flight = m->sel.path[i].in_flight;
		p.group = failover ? (uint32_t)i : 0;
		p.group_active = failover ? i == m->sel.active : mpath_paths_up(&m->sel) > 0;
		ctl_buf_append(b, &p, sizeof(p));
	}
}

uint32_t mpath_maps_describe(const struct mpath_maps *ms, const char *name, uint64_t now_ms,
			     struct ctl_buf *b)
{
	uint32_t n = 0;
	for (size_t k = 0; k < ms->n; k++) {
		if (name[0] && ms->map[k] != mpath_maps_find(ms, name))
			continue;
		describe_map(ms->map[k], now_ms, b);
		n++;
	}
	return n;
}

void mpath_maps_free(struct mpath_maps *ms)
{
	for (size_t k = 0; k < ms->n; k++)
		if (!ms->dropping || !ms->dropping(ms->map[k], ms->dropping_arg))
			free(ms->map[k]);
	free(ms->map);
	*ms = (struct mpath_maps){ 0 };
}
