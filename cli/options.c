/* getopt_long over iscsiadm's option set. */
#include "options.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "msg.h"

static const char short_opts[] = "RlDVhm:a:b:c:C:p:P:T:H:i:I:U:L:d:r:n:v:o:sSt:uWk:";

static const struct option long_opts[] = {
	{ "mode", required_argument, NULL, 'm' },
	{ "portal", required_argument, NULL, 'p' },
	{ "targetname", required_argument, NULL, 'T' },
	{ "interface", required_argument, NULL, 'I' },
	{ "op", required_argument, NULL, 'o' },
	{ "type", required_argument, NULL, 't' },
	{ "name", required_argument, NULL, 'n' },
	{ "value", required_argument, NULL, 'v' },
	{ "host", required_argument, NULL, 'H' },
	{ "sid", required_argument, NULL, 'r' },
	{ "rescan", no_argument, NULL, 'R' },
	{ "print", required_argument, NULL, 'P' },
	{ "discover", no_argument, NULL, 'D' },
	{ "login", no_argument, NULL, 'l' },
	{ "loginall", required_argument, NULL, 'L' },
	{ "logout", no_argument, NULL, 'u' },
	{ "logoutall", required_argument, NULL, 'U' },
	{ "stats", no_argument, NULL, 's' },
	{ "killiscsid", required_argument, NULL, 'k' },
	{ "debug", required_argument, NULL, 'd' },
	{ "show", no_argument, NULL, 'S' },
	{ "version", no_argument, NULL, 'V' },
	{ "help", no_argument, NULL, 'h' },
	{ "submode", required_argument, NULL, 'C' },
	{ "ipaddr", required_argument, NULL, 'a' },
	{ "packetsize", required_argument, NULL, 'b' },
	{ "count", required_argument, NULL, 'c' },
	{ "interval", required_argument, NULL, 'i' },
	{ "no_wait", no_argument, NULL, 'W' },
	{ NULL, 0, NULL, 0 },
};

void options_usage(void)
{
	puts("swiscsiadm -m discoverydb [ -hV ] [ -d debug_level ] [ -P printlevel ] [ -t type -p ip:port -I ifacename ... [ -D ] ] | [ [ -p ip:port -t type ] [ -o operation ] [ -n name ] [ -v value ] ]\n"
	     "swiscsiadm -m discovery [ -hV ] [ -d debug_level ] [ -P printlevel ] [ -t type -p ip:port -I ifacename ... ] | [ [ -p ip:port ] [ -o operation ] ]\n"
	     "swiscsiadm -m node [ -hV ] [ -d debug_level ] [ -P printlevel ] [ -L all,manual,automatic,onboot ] [ -U all,manual,automatic ] [ -S ] [ [ -T targetname -p ip:port -I ifacename ] [ -l | -u | -R | -s ] ] [ [ -o operation ] [ -n name ] [ -v value ] ]\n"
	     "swiscsiadm -m session [ -hV ] [ -d debug_level ] [ -P printlevel ] [ -r sessionid [ -u | -s ] ] [ -S ]\n"
	     "swiscsiadm -m iface [ -hV ] [ -d debug_level ] [ -P printlevel ] [ -I ifacename | -H hostno|MAC ] [ [ -o  operation  ] [ -n name ] [ -v value ] ] [ -C ping [ -a ip ] [ -b packetsize ] [ -c count ] [ -i interval ] ]\n"
	     "swiscsiadm -m host   (no iSCSI hosts: swiscsi makes none)\n"
	     "swiscsiadm -V | --version\n"
	     "swiscsiadm -h | --help\n"
	     "\nSendTargets discovery only (iSNS records can be listed, shown, created and deleted, not run).\n"
	     "See swiscsiadm(8) for the details.");
}

static int parse_level(const char *s)
{
	char *end;
	long v = strtol(s, &end, 10);
	if (*s == '\0' || *end || v < 0 || v > 1000)
		return 1000; /* reported by the mode as an invalid level */
	return (int)v;
}

static int add_param(struct cli_opts *o, const char **pending_n, const char **pending_v)
{
	if (!*pending_n || !*pending_v)
		return 0;
	if (o->nparams == OPT_MAX_PARAMS) {
		msg_error("too many -n/-v pairs (at most %d)", OPT_MAX_PARAMS);
		return -1;
	}
	o->params[o->nparams].name = *pending_n;
	o->params[o->nparams].value = *pending_v;
	o->nparams++;
	*pending_n = *pending_v = NULL;
	return 0;
}

static int take(struct cli_opts *o, int c, const char **pn, const char **pv)
{
	switch (c) {
	case 'm': o->mode = optarg; break;
	case 'I':
		if (o->nifaces == OPT_MAX_IFACES) {
			msg_error("too many -I options (at most %d)", OPT_MAX_IFACES);
			return -1;
		}
		o->ifaces[o->nifaces++] = optarg;
		break;
	case 'o':
		if (o->nops == OPT_MAX_OPS) {
			msg_error("too many -o options (at most %d)", OPT_MAX_OPS);
			return -1;
		}
		o->ops[o->nops++] = optarg;
		break;
	case 'n': *pn = optarg; return add_param(o, pn, pv);
	case 'v': *pv = optarg; return add_param(o, pn, pv);
	case 'P': o->print_level = parse_level(optarg); break;
	case 'H': o->host = optarg; break;
	case 'C': o->submode = optarg; break;
	case 'a': o->ip = optarg; break;
	case 'b': o->packetsize = optarg; break;
	case 'c': o->count = optarg; break;
	case 'i': o->interval = optarg; break;
	case 'T': o->targetname = optarg; break;
	case 'p': o->portal = optarg; break;
	case 't': o->type = optarg; break;
	case 'r': o->sid = optarg; break;
	case 'L': o->loginall = optarg; break;
	case 'U': o->logoutall = optarg; break;
	case 'S': o->show_secrets = true; break;
	case 'V': o->version = true; break;
	case 'h': o->help = true; break;
	default: break; /* accepted here, judged by the mode */
	}
	return 0;
}

int options_parse(int argc, char **argv, struct cli_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->print_level = -1;
	const char *pending_n = NULL, *pending_v = NULL;
	opterr = 0;
	int c;
	while ((c = getopt_long(argc, argv, short_opts, long_opts, NULL)) != -1) {
		if (c == '?' || c == ':') {
			if (optopt && optopt < 128)
				msg_error("option '-%c' is not known or lacks its value", optopt);
			else
				msg_error("unrecognized option '%s'", argv[optind - 1]);
			msg_try_help();
			return -1;
		}
		if (c > 0 && c < 128)
			o->seen[c] = true;
		if (take(o, c, &pending_n, &pending_v) < 0)
			return -1;
	}
	return 0;
}

bool options_only(const struct cli_opts *o, const char *mode, const char *allowed)
{
	for (int c = 1; c < 128; c++) {
		if (o->seen[c] && !strchr(allowed, c)) {
			msg_error("%s mode: option '-%c' is not allowed/supported", mode, c);
			return false;
		}
	}
	return true;
}
