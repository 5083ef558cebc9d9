/* Path choice for one map, after dm-multipath's selectors and multipathd's failback and
 * no_path_retry. */
#include "mpath_select.h"

#include <string.h>

void mpath_map_init(struct mpath_map *m, const struct mpath_policy *p)
{
	*m = (struct mpath_map){ .pol = *p, .all_down = true };
}

size_t mpath_paths_up(const struct mpath_map *m)
{
	size_t n = 0;
	for (size_t i = 0; i < m->npaths; i++)
		n += m->path[i].up;
	return n;
}

/* failover's group order: the first working path, or npaths. */
static size_t first_up(const struct mpath_map *m)
{
	size_t i = 0;
	while (i < m->npaths && !m->path[i].up)
		i++;
	return i;
}

static void note_all_down(struct mpath_map *m, uint64_t now_ms)
{
	bool down = mpath_paths_up(m) == 0;
	if (down && !m->all_down) {
		m->all_down_ms = now_ms;
		m->retries = 0;
	}
	m->all_down = down;
}

int mpath_map_add_path(struct mpath_map *m, unsigned relative_throughput, uint64_t now_ms)
{
	if (m->npaths >= MPATH_MAX_PATHS)
		return -1;
	size_t i = m->npaths++;
	m->path[i] = (struct mpath_path){ .relative_throughput = relative_throughput ? relative_throughput : 1 };
	mpath_path_set(m, i, true, now_ms);
	return (int)i;
}

void mpath_map_remove_path(struct mpath_map *m, size_t i, uint64_t now_ms)
{
	if (i >= m->npaths)
		return;
	memmove(&m->path[i], &m->path[i + 1], (m->npaths - i - 1) * sizeof(m->path[0]));
	m->npaths--;
	if (m->active > i)
		m->active--;
	else if (m->active == i)
		m->active = first_up(m);
	if (m->cursor >= m->npaths)
		m->cursor = 0;
	note_all_down(m, now_ms);
}

void mpath_path_set(struct mpath_map *m, size_t i, bool up, uint64_t now_ms)
{
	if (i >= m->npaths || m->path[i].up == up)
		return;
	bool had_active = m->active < m->npaths && m->path[m->active].up;
	m->path[i].up = up;
	if (up)
		m->path[i].restored_ms = now_ms;
	if (!up && i == m->active)
		m->active = first_up(m);
	else if (up && (!had_active || (i < m->active && m->pol.failback == MPATH_FAILBACK_IMMEDIATE)))
		m->active = i;   /* the only path, or a better one failing back at once */
	note_all_down(m, now_ms);
}

void mpath_path_from_session(struct mpath_map *m, size_t i, enum swi_state st, uint64_t now_ms)
{
	if (st != SWI_STATE_LOGGED_IN)
		mpath_path_set(m, i, false, now_ms);
}

/* Is a's load (its bytes plus this command, per unit of throughput) lighter than b's? Ties go
 * to the faster path. */
static bool lighter(const struct mpath_path *a, const struct mpath_path *b, uint64_t bytes)
{
	uint64_t la = (a->in_flight_bytes + bytes) * b->relative_throughput;
	uint64_t lb = (b->in_flight_bytes + bytes) * a->relative_throughput;
	return la != lb ? la < lb : a->relative_throughput > b->relative_throughput;
}

/* multibus: every working path is a candidate, searched from the cursor so that equal loads
 * take turns. */
static size_t pick_multibus(struct mpath_map *m, uint64_t bytes)
{
	size_t best = m->npaths;
	for (size_t k = 0; k < m->npaths; k++) {
		size_t i = (m->cursor + k) % m->npaths;
		const struct mpath_path *p = &m->path[i];
		if (!p->up)
			continue;
		if (best == m->npaths) {
			best = i;
			if (m->pol.selector == MPATH_ROUND_ROBIN)
				break;     /* the first working path after the last one used */
			continue;
		}
		const struct mpath_path *b = &m->path[best];
		if (m->pol.selector == MPATH_QUEUE_LENGTH ? p->in_flight < b->in_flight : lighter(p, b, bytes))
			best = i;
	}
	m->cursor = (best + 1) % m->npaths;
	return best;
}

/* Counted in the checker's rounds, as multipathd counts them, not in time: a checker that
 * could not run (a busy daemon) has not retried the paths. */
static bool retry_ran_out(const struct mpath_map *m)
{
	int n = m->pol.no_path_retry;
	if (n == MPATH_NO_PATH_RETRY_QUEUE)
		return false;
	return n == MPATH_NO_PATH_RETRY_FAIL || m->retries >= (unsigned)n;
}

void mpath_retry_round(struct mpath_map *m)
{
	if (m->all_down && m->retries < (unsigned)MPATH_MAX_RETRY)
		m->retries++;
}

bool mpath_queueing(const struct mpath_map *m, uint64_t now_ms)
{
	(void)now_ms;
	if (m->pol.no_path_retry == MPATH_NO_PATH_RETRY_FAIL)
		return false;
	return !m->all_down || !retry_ran_out(m);
}

enum mpath_verdict mpath_choose(struct mpath_map *m, uint64_t bytes, uint64_t now_ms, size_t *path)
{
	(void)now_ms;
	if (m->all_down || m->npaths == 0)
		return retry_ran_out(m) ? MPATH_FAIL : MPATH_QUEUE;
	size_t i = m->pol.grouping == MPATH_FAILOVER ? m->active : pick_multibus(m, bytes);
	m->path[i].in_flight++;
	m->path[i].in_flight_bytes += bytes;
	*path = i;
	return MPATH_SEND;
}

void mpath_done(struct mpath_map *m, size_t i, uint64_t bytes)
{
	if (i >= m->npaths)
		return;
	struct mpath_path *p = &m->path[i];
	p->in_flight -= p->in_flight ? 1 : 0;
	p->in_flight_bytes -= bytes < p->in_flight_bytes ? bytes : p->in_flight_bytes;
}

bool mpath_tick(struct mpath_map *m, uint64_t now_ms)
{
	size_t best = first_up(m);
	if (m->pol.failback > 0 && best < m->active && now_ms >= m->path[best].restored_ms &&
	    now_ms - m->path[best].restored_ms >= (uint64_t)m->pol.failback * 1000)
		m->active = best;
	return m->all_down && retry_ran_out(m);
}

void mpath_failback_now(struct mpath_map *m)
{
	size_t best = first_up(m);
	if (best < m->npaths)
		m->active = best;
}

enum mpath_outcome mpath_classify(int transport_status, uint8_t scsi_status, uint8_t sense_key)
{
	enum { GOOD = 0x00, CHECK = 0x02, CONDITION_MET = 0x04, BUSY = 0x08, RESERVATION = 0x18,
	       TASK_SET_FULL = 0x28 };
	if (transport_status < 0)
		return MPATH_PATH_ERROR;
	switch (scsi_status) {
	case GOOD:
	case CONDITION_MET:
	case BUSY:
	case TASK_SET_FULL:
		return MPATH_OK;
	case RESERVATION:
		return MPATH_LUN_ERROR;   /* another initiator holds the LUN: so on every path */
	case CHECK:
		break;
	default:
		return MPATH_PATH_ERROR;
	}
	switch (sense_key) {
	case 0x0: /* NO SENSE */
	case 0x1: /* RECOVERED ERROR */
	case 0x6: /* UNIT ATTENTION: resent on the same path */
		return MPATH_OK;
	case 0x3: /* MEDIUM ERROR */
	case 0x5: /* ILLEGAL REQUEST */
	case 0x7: /* DATA PROTECT */
	case 0x8: /* BLANK CHECK */
	case 0xa: /* COPY ABORTED */
	case 0xd: /* VOLUME OVERFLOW */
	case 0xe: /* MISCOMPARE */
		return MPATH_LUN_ERROR;
	default:  /* NOT READY (a standby port), HARDWARE ERROR, ABORTED COMMAND, ... */
		return MPATH_PATH_ERROR;
	}
}
