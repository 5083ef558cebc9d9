/* Policy names as multipath.conf spells them, to and from the values mpath_select uses. */
#include "mpath_policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void mpath_policy_defaults(struct mpath_policy *p)
{
	*p = (struct mpath_policy){ .grouping = MPATH_MULTIBUS, .selector = MPATH_SERVICE_TIME,
				    .no_path_retry = 12, .failback = MPATH_FAILBACK_IMMEDIATE,
				    .checker_interval = 5 };
}

/* A whole decimal number from 1 to max, or -1. */
static long positive(const char *v, long max)
{
	char *end;
	errno = 0;
	long n = strtol(v, &end, 10);
	if (!*v || *end || errno || n < 1 || n > max || v[0] == '+')
		return -1;
	return n;
}

static int refuse(char *err, size_t errlen, const char *accepted, const char *v)
{
	snprintf(err, errlen, "takes %s, not \"%s\"", accepted, v);
	return -1;
}

int mpath_parse_grouping(const char *v, struct mpath_policy *p, char *err, size_t errlen)
{
	if (strcmp(v, "multibus") == 0)
		p->grouping = MPATH_MULTIBUS;
	else if (strcmp(v, "failover") == 0)
		p->grouping = MPATH_FAILOVER;
	else
		return refuse(err, errlen, "multibus or failover", v);
	return 0;
}

int mpath_parse_selector(const char *v, struct mpath_policy *p, char *err, size_t errlen)
{
	/* multipath.conf writes the selector with its argument count: "round-robin 0" */
	static const char *const names[] = { [MPATH_ROUND_ROBIN] = "round-robin",
					     [MPATH_QUEUE_LENGTH] = "queue-length",
					     [MPATH_SERVICE_TIME] = "service-time" };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		size_t n = strlen(names[i]);
		if (strncmp(v, names[i], n) == 0 && (!v[n] || strcmp(v + n, " 0") == 0)) {
			p->selector = (enum mpath_selector)i;
			return 0;
		}
	}
	return refuse(err, errlen, "round-robin, queue-length or service-time", v);
}

int mpath_parse_no_path_retry(const char *v, struct mpath_policy *p, char *err, size_t errlen)
{
	long n;
	if (strcmp(v, "fail") == 0)
		p->no_path_retry = MPATH_NO_PATH_RETRY_FAIL;
	else if (strcmp(v, "queue") == 0)
		p->no_path_retry = MPATH_NO_PATH_RETRY_QUEUE;
	else if ((n = positive(v, MPATH_MAX_RETRY)) > 0)
		p->no_path_retry = (int)n;
	else
		return refuse(err, errlen, "fail, queue or a number of checker intervals from 1 to 1000000", v);
	return 0;
}

int mpath_parse_failback(const char *v, struct mpath_policy *p, char *err, size_t errlen)
{
	long n;
	if (strcmp(v, "immediate") == 0)
		p->failback = MPATH_FAILBACK_IMMEDIATE;
	else if (strcmp(v, "manual") == 0)
		p->failback = MPATH_FAILBACK_MANUAL;
	else if ((n = positive(v, MPATH_MAX_RETRY)) > 0)
		p->failback = (int)n;
	else
		return refuse(err, errlen, "immediate, manual or a number of seconds from 1 to 1000000", v);
	return 0;
}

int mpath_parse_checker_interval(const char *v, struct mpath_policy *p, char *err, size_t errlen)
{
	long n = positive(v, MPATH_MAX_INTERVAL);
	if (n < 0)
		return refuse(err, errlen, "a number of seconds from 1 to 3600", v);
	p->checker_interval = (unsigned)n;
	return 0;
}

const char *mpath_grouping_name(enum mpath_grouping g)
{
	return g == MPATH_FAILOVER ? "failover" : "multibus";
}

const char *mpath_selector_name(enum mpath_selector s)
{
	return s == MPATH_ROUND_ROBIN ? "round-robin 0" :
	       s == MPATH_QUEUE_LENGTH ? "queue-length 0" : "service-time 0";
}

const char *mpath_no_path_retry_text(int v, char *buf, size_t len)
{
	if (v == MPATH_NO_PATH_RETRY_FAIL)
		return "fail";
	if (v == MPATH_NO_PATH_RETRY_QUEUE)
		return "queue";
	snprintf(buf, len, "%d", v);
	return buf;
}

const char *mpath_failback_text(int v, char *buf, size_t len)
{
	if (v == MPATH_FAILBACK_IMMEDIATE)
		return "immediate";
	if (v == MPATH_FAILBACK_MANUAL)
		return "manual";
	snprintf(buf, len, "%d", v);
	return buf;
}
