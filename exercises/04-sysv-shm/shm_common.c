/*
 * shm_common.c - helpers linked into shm_fork, shm_server and shm_client:
 * messages, the COUNT argument, and waiting for the other side's signal
 * without losing it. Their contracts are in shm_lab.h.
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shm_lab.h"

/* "PROG: text" on stderr (§7). Done: one fprintf to the unbuffered stderr. */
void msg(const char *fmt, ...)
{
    char line[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, "%s: %s\n", prog, line);
}

/* "PROG: CALL: strerror text" for a failed call (§7). Done. */
void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/*
 * TODO (§2): true if s is a decimal integer from 1 to MAX_COUNT (digits only:
 * no sign, no blank, nothing after it), stored in *count. strtol(3) alone is
 * not enough: check its end pointer and errno, and the first character.
 */
bool parse_count(const char *s, long *count)
{
    (void)s;
    (void)count;
    return false;
}

const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:  return "SIGINT";
    case SIGTERM: return "SIGTERM";
    default:      return "a signal";
    }
}

/*
 * TODO (§5): the flags the handler sets, and the handler. SIGUSR1/SIGUSR2 mean
 * "your turn"; SIGINT, SIGTERM (and SIGCHLD in shm_fork) mean "stop". The
 * handler only sets a volatile sig_atomic_t flag (signal-safety(7)).
 */

/*
 * TODO (§5): block_signals(). In this order:
 *   1. sigprocmask(SIG_BLOCK, {the signals}, waitmask): from now on they stay
 *      pending until we wait for them;
 *   2. sigaction() for each, with your handler (no SA_RESTART needed;
 *      SA_NOCLDSTOP, so that a child only stopped sends no SIGCHLD, §3);
 *   3. remove the signals from *waitmask: it is the mask sigsuspend() will
 *      use, the old mask with our signals let in.
 * Report a failed call with syserr() and return -1.
 */
int block_signals(const int *signals, size_t nsignals, sigset_t *waitmask)
{
    (void)signals;
    (void)nsignals;
    (void)waitmask;
    errno = ENOSYS;
    syserr("block_signals");
    return -1;
}

/*
 * TODO (§5): wait_for_turn(). While no flag is set, sigsuspend(waitmask).
 * Return the stop signal if one came; otherwise clear the turn flag and
 * return 0. Never pause(): §5 explains why.
 */
int wait_for_turn(const sigset_t *waitmask)
{
    (void)waitmask;
    return SIGTERM;
}
