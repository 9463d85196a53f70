/*
 * shm_common.c - helpers linked into shm_fork, shm_server and shm_client:
 * messages, the COUNT argument, and waiting for the other side's signal
 * without losing it.
 *
 * See exercises/04-sysv-shm/README.md for the full statement.
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

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

void msg(const char *fmt, ...)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%s: ", prog);
    va_list ap;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)         /* truncated: keep the newline */
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    /* One write(): the messages of two processes sharing stderr never mix.
     * Nowhere to report a failure of the report itself. */
    if (write(STDERR_FILENO, line, (size_t)len) == -1)
        return;
}

void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

bool parse_count(const char *s, long *count)
{
    char *end;
    long value;

    if (!isdigit((unsigned char)s[0]))      /* strtol() takes blanks and signs */
        return false;
    errno = 0;
    value = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || value < 1 || value > MAX_COUNT)
        return false;
    *count = value;
    return true;
}

const char *signal_name(int sig)
{
    switch (sig) {
    case SIGINT:  return "SIGINT";
    case SIGTERM: return "SIGTERM";
    case SIGUSR1: return "SIGUSR1";
    case SIGUSR2: return "SIGUSR2";
    default:      return "a signal";
    }
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/* Set by the handlers, read and cleared by wait_for_turn() only. */
static volatile sig_atomic_t turn_arrived;  /* SIGUSR1 or SIGUSR2 */
static volatile sig_atomic_t stop_signal;   /* SIGINT, SIGTERM or SIGCHLD; 0 if none */

static void on_signal(int sig)
{
    /* Only a flag: async-signal-safe, and the main line does the work. */
    if (sig == SIGUSR1 || sig == SIGUSR2)
        turn_arrived = 1;
    else
        stop_signal = sig;
}

int block_signals(const int *signals, size_t nsignals, sigset_t *waitmask)
{
    struct sigaction sa;
    sigset_t set;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* SA_NOCLDSTOP: a child that is only stopped (SIGSTOP, Ctrl-Z) or
     * continued sends no SIGCHLD; only one that has ended is a "stop". */
    sa.sa_flags = SA_NOCLDSTOP;
    sigemptyset(&set);
    for (i = 0; i < nsignals; i++)
        sigaddset(&set, signals[i]);
    /* While one handler runs, the others wait: the flags are set one at a time. */
    sa.sa_mask = set;

    /*
     * Block first, then install the handlers: from here on, a signal that
     * arrives stays pending until we are ready to wait for it in sigsuspend().
     * This is the whole point (§5): with the signals unblocked, one could
     * arrive after we looked at the flag and before we went to sleep, and we
     * would sleep forever.
     */
    if (sigprocmask(SIG_BLOCK, &set, waitmask) == -1) {
        syserr("sigprocmask");
        return -1;
    }
    for (i = 0; i < nsignals; i++) {
        if (sigaction(signals[i], &sa, NULL) == -1) {
            syserr("sigaction");
            return -1;
        }
    }
    /* The mask to wait with: what there was before, with our signals let in. */
    for (i = 0; i < nsignals; i++)
        sigdelset(waitmask, signals[i]);
    return 0;
}

int wait_for_turn(const sigset_t *waitmask)
{
    /*
     * Our signals are blocked everywhere but inside sigsuspend(), which
     * unblocks them and sleeps in one atomic step: a signal sent while we
     * were busy is pending, and sigsuspend() returns at once after running
     * its handler. The flags are therefore only ever set inside sigsuspend(),
     * and testing them here cannot race with the handler.
     */
    while (!turn_arrived && !stop_signal)
        sigsuspend(waitmask);           /* always -1 with EINTR: nothing to check */
    if (stop_signal)
        return stop_signal;
    turn_arrived = 0;
    return 0;
}
