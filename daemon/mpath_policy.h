/* Multipath policies, with multipath-tools' names and meanings (multipath.conf(5)):
 *   path_grouping_policy  multibus (every path in one group) | failover (one path a group,
 *                         used in order)
 *   path_selector         round-robin | queue-length (fewest commands in flight) |
 *                         service-time (least in-flight bytes / relative throughput)
 *   no_path_retry         fail | queue | N (keep queueing for N path checker intervals)
 *   failback              immediate | manual | N (seconds after the better path returned)
 *   polling_interval      the path checker's interval, seconds
 * The names are parsed and printed here, once, for swiscsid.conf and swiscsi-multipath. */
#ifndef SWISCSID_MPATH_POLICY_H
#define SWISCSID_MPATH_POLICY_H

#include <stddef.h>

enum mpath_grouping { MPATH_MULTIBUS, MPATH_FAILOVER };
enum mpath_selector { MPATH_ROUND_ROBIN, MPATH_QUEUE_LENGTH, MPATH_SERVICE_TIME };
enum { MPATH_NO_PATH_RETRY_FAIL = 0, MPATH_NO_PATH_RETRY_QUEUE = -1 };
enum { MPATH_FAILBACK_IMMEDIATE = 0, MPATH_FAILBACK_MANUAL = -1 };
enum { MPATH_MAX_RETRY = 1000000, MPATH_MAX_INTERVAL = 3600 };

struct mpath_policy {
	enum mpath_grouping grouping;
	enum mpath_selector selector;
	int no_path_retry;          /* MPATH_NO_PATH_RETRY_FAIL, _QUEUE, or N intervals (> 0) */
	int failback;               /* MPATH_FAILBACK_IMMEDIATE, _MANUAL, or N seconds (> 0) */
	unsigned checker_interval;  /* seconds, 1 .. MPATH_MAX_INTERVAL */
};

/* multibus, service-time, no_path_retry 12, failback immediate, checker every 5 s */
void mpath_policy_defaults(struct mpath_policy *p);

/* Each sets its field from a value as written in the file: 0, or -1 with what is accepted
 * ("multibus or failover") in err. */
int mpath_parse_grouping(const char *v, struct mpath_policy *p, char *err, size_t errlen);
int mpath_parse_selector(const char *v, struct mpath_policy *p, char *err, size_t errlen);
int mpath_parse_no_path_retry(const char *v, struct mpath_policy *p, char *err, size_t errlen);
int mpath_parse_failback(const char *v, struct mpath_policy *p, char *err, size_t errlen);
int mpath_parse_checker_interval(const char *v, struct mpath_policy *p, char *err, size_t errlen);

const char *mpath_grouping_name(enum mpath_grouping g);
/* "service-time 0", as multipath -ll's policy line shows the selector */
const char *mpath_selector_name(enum mpath_selector s);
/* "fail", "queue", "12"; "immediate", "manual", "30" (buf holds the number) */
const char *mpath_no_path_retry_text(int v, char *buf, size_t len);
const char *mpath_failback_text(int v, char *buf, size_t len);

#endif
