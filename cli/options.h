/* The command line, parsed once with iscsiadm's options, long and short. Each mode then checks
 * that only the options it allows were given. */
#ifndef SWISCSI_OPTIONS_H
#define SWISCSI_OPTIONS_H

#include <stdbool.h>

#define OPT_MAX_IFACES 64
#define OPT_MAX_PARAMS 64
#define OPT_MAX_OPS 8

struct name_value {
	const char *name;
	const char *value;
};

struct cli_opts {
	const char *mode;
	const char *ifaces[OPT_MAX_IFACES];
	int nifaces;
	const char *ops[OPT_MAX_OPS];
	int nops;
	struct name_value params[OPT_MAX_PARAMS]; /* -n/-v pairs, recorded when both were seen */
	int nparams;
	int print_level;    /* -P, -1 when absent */
	const char *host;   /* -H */
	const char *submode;   /* -C */
	const char *ip;        /* -a */
	const char *packetsize, *count, *interval; /* -b -c -i */
	const char *targetname, *portal, *type;    /* -T -p -t */
	const char *loginall, *logoutall;          /* -L -U */
	bool show_secrets;  /* -S */
	bool version, help;
	bool seen[128];     /* which short options appeared, for the per-mode check */
};

/* Parses argv into o. Returns -1 (with the message printed) when the line cannot be parsed, else
 * 0. */
int options_parse(int argc, char **argv, struct cli_opts *o);

/* Prints "<mode> mode: option '-X' is not allowed/supported" for the first option that is not
 * in allowed (a string of option letters) and returns false; true when all are allowed. */
bool options_only(const struct cli_opts *o, const char *mode, const char *allowed);

void options_usage(void);

#endif
