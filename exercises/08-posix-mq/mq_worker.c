/*
 * mq_worker.c - take jobs from a POSIX message queue until none has come for
 * a while.
 *
 *     usage: mq_worker [-q NAME] [-t TIMEOUT_MS] [-i ID]
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
#include <limits.h>
#include <mqueue.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG            "mq_worker"
#define DEFAULT_QUEUE   "/ipclab-jobs"  /* §2 */
#define DEFAULT_TIMEOUT 1000L           /* §2: -t, in milliseconds */
#define DEFAULT_ID      1L              /* §2: -i */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };   /* §8 */

struct options {
    const char *name;       /* -q */
    long timeout_ms;        /* -t */
    long id;                /* -i */
};

/* "mq_worker: CALL: strerror text" for a failed call; errno holds its error (§8). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2, §3): fill *o from the command line (getopt(3), ":q:t:i:",
 * opterr = 0). Numbers: digits only, in the ranges of §2. NAME: '/', then 1
 * to NAME_MAX characters, none of them '/'. Any error: one line, the usage
 * line of §2, exit(EXIT_USAGE).
 */
__attribute__((unused))
static void parse_args(int argc, char *argv[], struct options *o)
{
    (void)argc;
    (void)argv;
    *o = (struct options){ .name = DEFAULT_QUEUE, .timeout_ms = DEFAULT_TIMEOUT, .id = DEFAULT_ID };
}

/*
 * TODO (§6, hint 4): *ts = now (clock_gettime(CLOCK_REALTIME)) + ms
 * milliseconds, tv_nsec kept below 1000000000. Return 0 or -1.
 */
__attribute__((unused))
static int deadline_in(long ms, struct timespec *ts)
{
    (void)ms;
    (void)ts;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§6, hints 3 and 4): take jobs until none comes for o->timeout_ms.
 * - mq_getattr(), then a buffer of mq_msgsize bytes (malloc).
 * - Loop: mq_timedreceive() with a deadline computed before each call.
 *   A job: one write() of "worker ID pid P job J priority R\n" to stdout.
 *   ETIMEDOUT: "worker ID: N jobs, idle for T ms, exiting", then stop.
 *   EINTR: again. Anything else: syserr(), exit status 1.
 * - Free the buffer; return the exit status.
 */
__attribute__((unused))
static int work(mqd_t mqd, const struct options *o)
{
    (void)mqd;
    (void)o;
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. parse_args(argc, argv, &o);
     *   2. mqd = mq_open(o.name, O_RDONLY) (never O_CREAT); ENOENT: the
     *      line of §6, exit 1;
     *   3. status = work(mqd, &o);
     *   4. mq_close(mqd); return status.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
