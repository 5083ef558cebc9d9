/* The daemon's run directory ($SWISCSI_RUNDIR, default /run/swiscsi): created 0700, holding the
 * pid file (flock'ed for the daemon's lifetime, so a second daemon on the same directory
 * refuses to start) and the control socket. */
#ifndef SWISCSID_RUNDIR_H
#define SWISCSID_RUNDIR_H

#include <stddef.h>

const char *rundir_path(void);
/* "<rundir>/<name>" into buf. */
void rundir_file(const char *name, char *buf, size_t len);

/* Creates the directory when missing, takes the pid file's lock and writes our pid into it.
 * Returns the pid file's descriptor (kept open to hold the lock), or -1 with err set (another
 * daemon holds it: err names its pid). */
int rundir_claim(char *err, size_t errlen);
/* Rewrites the pid (after daemonising, the pid changed). */
void rundir_write_pid(int fd);
/* Removes the pid file; closes fd. (The socket is control.c's.) */
void rundir_release(int fd);

#endif
