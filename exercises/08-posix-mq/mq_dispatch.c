/*
 * mq_dispatch.c - put numbered jobs, with priorities, on a POSIX message
 * queue, for any number of mq_worker processes to take.
 *
 *     usage: mq_dispatch [-q NAME] [-n JOBS] [-p PRIORITIES] [-m MSGSIZE] [-l LENGTH] [--nonblock]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. Fill in the
 * functions below, then replace the body of main() (its comment gives the
 * order). Every function may be reshaped: only the behaviour in README.md is
 * graded. Remove an __attribute__((unused)) once the function is called.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG            "mq_dispatch"
#define DEFAULT_QUEUE   "/ipclab-jobs"  /* §2 */
#define QUEUE_MAXMSG    10L             /* §3: always 10 */
#define DEFAULT_MSGSIZE 256L            /* §2: -m */
#define DEFAULT_JOBS    10L             /* §2: -n */
#define DEFAULT_PRIOS   4L              /* §2: -p */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };   /* §8 */

struct options {
    const char *name;       /* -q */
    long jobs;              /* -n */
    long prios;             /* -p */
    long msgsize;           /* -m */
    long length;            /* -l; 0: the message is just "job J" */
    bool nonblock;          /* --nonblock */
};

/* SIGINT or SIGTERM, set by the handler (§7); 0 while neither has come. */
static volatile sig_atomic_t stop_signal;

/* "mq_dispatch: CALL: strerror text" for a failed call; errno holds its error (§8). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2, §3): fill *o from the command line, defaults above.
 * - getopt_long(3) with the optstring ":q:n:p:m:l:" and one long option,
 *   "nonblock" (no argument); opterr = 0 to print your own messages.
 * - Numbers: digits only, in the ranges of §2's table.
 * - NAME: '/', then 1 to NAME_MAX characters, none of them '/'.
 * - Any error: one line saying what is wrong, then the usage line of §2,
 *   then exit(EXIT_USAGE). This runs before mq_open().
 */
__attribute__((unused))
static void parse_args(int argc, char *argv[], struct options *o)
{
    (void)argc;
    (void)argv;
    *o = (struct options){ .name = DEFAULT_QUEUE, .jobs = DEFAULT_JOBS, .prios = DEFAULT_PRIOS,
                           .msgsize = DEFAULT_MSGSIZE, .length = 0, .nonblock = false };
}

/*
 * TODO (§7, hint 5): the handler for SIGINT and SIGTERM: stop_signal = sig,
 * nothing else. Install it with sigaction(2), sa_flags = 0 (no SA_RESTART),
 * before the queue is created.
 */
__attribute__((unused))
static void on_stop(int sig)
{
    (void)sig;
}

/*
 * TODO (§3, §8, hint 1): create the queue: a struct mq_attr with mq_maxmsg
 * QUEUE_MAXMSG and mq_msgsize o->msgsize, mq_open() with O_WRONLY | O_CREAT |
 * O_EXCL (| O_NONBLOCK with --nonblock), mode 0600. On failure print the
 * line of §8's table for EEXIST, EMFILE, ENOSPC, EINVAL (syserr() for the
 * rest) and return (mqd_t)-1.
 */
__attribute__((unused))
static mqd_t create_queue(const struct options *o)
{
    (void)o;
    errno = ENOSYS;
    return (mqd_t)-1;
}

/*
 * TODO (§4, hint 2, hint 5): send jobs 1 to o->jobs: the text "job J" (padded
 * with '.' to o->length bytes when o->length is not 0), priority
 * (J - 1) % o->prios.
 * - EINTR: if stop_signal is set, stop; otherwise send again.
 * - EAGAIN (--nonblock, full queue) and EMSGSIZE: the lines of §4.
 * - Return 0 (all sent, or stopped by a signal) or -1 after an error.
 */
__attribute__((unused))
static int send_jobs(mqd_t mqd, const struct options *o)
{
    (void)mqd;
    (void)o;
    return -1;
}

/*
 * TODO (§5, §4, hint 6): once every job is sent, mq_getattr() and print
 * "mq_dispatch: NAME maxmsg M msgsize S curmsgs N"; then wait until
 * mq_curmsgs is 0 (mq_getattr() every 10 ms, nanosleep(2)), or until
 * stop_signal is set.
 */
__attribute__((unused))
static int report_and_wait(mqd_t mqd, const char *name)
{
    (void)mqd;
    (void)name;
    return -1;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. parse_args(argc, argv, &o);
     *   2. install on_stop for SIGINT and SIGTERM (§7);
     *   3. mqd = create_queue(&o); failed: exit 1;
     *   4. the readiness line of §5;
     *   5. send_jobs(), then report_and_wait() (unless an error or a signal);
     *   6. on EVERY path from here: mq_close(mqd) and mq_unlink(o.name) (§3);
     *   7. an error (step 6 included): return 1; else a signal: its line of
     *      §7, return 128 + signal; otherwise the last line of §5, return 0.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
