#include "session_table.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "exit_codes.h"

void session_free(struct dsession *ds)
{
	if (!ds)
		return;
	/* freeing the libswiscsi session completes a pending login or logout: its callback
	 * sees DS_DEAD and leaves ds alone */
	ds->state = DS_DEAD;
	if (ds->prep_added)
		ev_prepare_del(ds->t->loop, &ds->prep);
	if (ds->io)
		ev_io_del(ds->io);
	ev_timer_stop(ds->t->loop, &ds->timer);
	ev_timer_stop(ds->t->loop, &ds->reap);
	swi_session_free(ds->s);
	if (ds->have_conn)
		iface_conn_free(&ds->conn);
	if (ds->have_rec)
		record_free(&ds->rec);
	free(ds->w);
	free(ds);
}

void session_table_link(struct sessions *t, struct dsession *ds)
{
	ds->sid = ++t->next_sid;
	struct dsession **pp = &t->head;
	while (*pp)
		pp = &(*pp)->next;
	*pp = ds;
}

void session_table_unlink(struct dsession *ds)
{
	struct dsession **pp = &ds->t->head;
	while (*pp && *pp != ds)
		pp = &(*pp)->next;
	if (*pp)
		*pp = ds->next;
	ds->next = NULL;
}

struct dsession *session_table_find_sid(const struct sessions *t, uint32_t sid)
{
	for (struct dsession *ds = t->head; ds; ds = ds->next)
		if (ds->sid == sid && ds->state != DS_DEAD)
			return ds;
	return NULL;
}

unsigned session_table_count_node(const struct sessions *t, const struct ctl_node *n,
				  uint64_t *used)
{
	unsigned count = 0;
	*used = 0;
	for (struct dsession *ds = t->head; ds; ds = ds->next) {
		if (ds->state != DS_DEAD && strcmp(ds->node.target, n->target) == 0 &&
		    strcmp(ds->node.address, n->address) == 0 && ds->node.port == n->port &&
		    strcmp(ds->node.iface, n->iface) == 0) {
			count++;
			*used |= 1ull << (ds->index & 63);
		}
	}
	return count;
}

void sessions_check_drained(struct sessions *t)
{
	if (!t->drained)
		return;
	for (struct dsession *ds = t->head; ds; ds = ds->next)
		if (ds->state != DS_DEAD)
			return;
	void (*fn)(void *) = t->drained;
	t->drained = NULL;
	fn(t->drained_arg);
}

int session_prepare_conn(struct dsession *ds, const struct iface_conn_spec *spec, char *err,
			 size_t errlen)
{
	switch (iface_conn_prepare(spec, &ds->conn, err, errlen)) {
	case IFACE_CONN_OK:
		ds->have_conn = true;
		snprintf(ds->netdev, sizeof(ds->netdev), "%s", ds->conn.binding.dev);
		return EXIT_OK;
	case IFACE_CONN_TRANSPORT:
		return EXIT_TRANS_NOT_FOUND;
	case IFACE_CONN_BINDING:
		return EXIT_TRANS;
	case IFACE_CONN_INITIATOR: {
		char why[400];
		snprintf(why, sizeof(why), "%s", err);
		snprintf(err, errlen, "Cannot log in: Initiatorname required. (%s)", why);
		return EXIT_ISCSID_NOTCONN;
	}
	default:
		return EXIT_ERR;
	}
}

void session_note_device(struct dsession *ds)
{
	/* bound: the device of the binding; else the one holding our address */
	if (!ds->netdev[0])
		iface_conn_device_of(&ds->conn, ds->local_addr, ds->netdev, sizeof(ds->netdev));
	const struct netdev *d = netdev_by_name(&ds->conn.devs, ds->netdev);
	if (d && d->has_mac)
		snprintf(ds->hwaddr, sizeof(ds->hwaddr), "%02x:%02x:%02x:%02x:%02x:%02x",
			 d->mac[0], d->mac[1], d->mac[2], d->mac[3], d->mac[4], d->mac[5]);
}
