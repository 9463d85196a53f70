/*
 * mq_worker.c - take jobs from a POSIX message queue until none has come for
 * a while.
 *
 *     usage: mq_worker [-q NAME] [-t TIMEOUT_MS] [-i ID]
 *
 * The worker opens the existing queue NAME (default /ipclab-jobs), receives
 * one message at a time (the oldest of the highest priority: the queue
 * decides), prints one line per job, and exits 0 once TIMEOUT_MS (default
 * 1000) have passed without a message. It never creates nor removes the
 * queue: that is mq_dispatch's job.
 *
 * See exercises/08-posix-mq/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <mqueue.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG            "mq_worker"
#define DEFAULT_QUEUE   "/ipclab-jobs"
#define DEFAULT_TIMEOUT 1000L
#define MAX_TIMEOUT     600000L
#define DEFAULT_ID      1L
#define MAX_ID          999999L

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

struct options {
    const char *name;
    long timeout_ms;
    long id;
};

/* ------------------------------------------------------------------------- */
/* Output                                                                    */
/* ------------------------------------------------------------------------- */

/* Write all len bytes; 0 or -1 with errno set. */
static int write_all(int fd, const char *p, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, p, len);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * One line, formatted first and written with one write(): several workers
 * may share one stdout (a terminal, a pipe), and their lines must not mix.
 */
static int out_line(int fd, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int len;

    va_start(ap, fmt);
    len = vsnprintf(line, sizeof line - 1, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    return write_all(fd, line, (size_t)len);
}

#define msg(...) ((void)out_line(STDERR_FILENO, PROG ": " __VA_ARGS__))

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static void usage_error(const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    fputs("usage: " PROG " [-q NAME] [-t TIMEOUT_MS] [-i ID]\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

static bool parse_long(const char *s, long min, long max, long *value)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *value = v;
    return true;
}

static bool valid_queue_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] == '/' && len >= 2 && len <= NAME_MAX + 1 && strchr(name + 1, '/') == NULL;
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    int opt;

    *o = (struct options){ .name = DEFAULT_QUEUE, .timeout_ms = DEFAULT_TIMEOUT, .id = DEFAULT_ID };
    opterr = 0;
    while ((opt = getopt(argc, argv, ":q:t:i:")) != -1) {
        switch (opt) {
        case 'q':
            o->name = optarg;
            break;
        case 't':
            if (!parse_long(optarg, 1, MAX_TIMEOUT, &o->timeout_ms))
                usage_error("invalid timeout '%s' (expected 1 to %ld milliseconds)", optarg, MAX_TIMEOUT);
            break;
        case 'i':
            if (!parse_long(optarg, 0, MAX_ID, &o->id))
                usage_error("invalid worker id '%s' (expected 0 to %ld)", optarg, MAX_ID);
            break;
        case ':':
            usage_error("option -%c needs an argument", optopt);
            break;
        default:
            if (optopt != 0)
                usage_error("unknown option -%c", optopt);
            usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    if (!valid_queue_name(o->name))
        usage_error("invalid queue name '%s': it must start with '/', then 1 to %d characters, none of them '/'",
                    o->name, NAME_MAX);
}

/* ------------------------------------------------------------------------- */
/* Receiving                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * mq_timedreceive() takes an absolute deadline on CLOCK_REALTIME, not a
 * duration: "now + timeout", computed again before every call, so that the
 * worker exits after TIMEOUT_MS without a message, not TIMEOUT_MS after it
 * started.
 */
static int deadline_in(long ms, struct timespec *ts)
{
    if (clock_gettime(CLOCK_REALTIME, ts) == -1)
        return -1;
    ts->tv_sec += ms / 1000;
    ts->tv_nsec += (ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
    return 0;
}

/* The J of a message that starts with "job J", J at most 1000000000 (§6);
 * -1 if it does not. */
static long job_number(const char *buf, size_t len)
{
    long job = 0;
    size_t i = 4;

    if (len < 5 || memcmp(buf, "job ", 4) != 0 || buf[4] < '0' || buf[4] > '9')
        return -1;
    for (; i < len && buf[i] >= '0' && buf[i] <= '9'; i++) {
        job = job * 10 + (buf[i] - '0');
        if (job > 1000000000L)
            return -1;
    }
    return job;
}

/* Take jobs until the queue stays empty for timeout_ms. Returns the exit status. */
static int work(mqd_t mqd, const struct options *o)
{
    struct mq_attr attr;
    char *buf;
    long jobs = 0;
    int status = EXIT_SUCCESS;
    pid_t pid = getpid();

    /*
     * mq_receive() fails with EMSGSIZE if the buffer is smaller than the
     * queue's mq_msgsize, whatever the size of the message waiting: ask the
     * queue, do not assume (mq_dispatch -m changes it).
     */
    if (mq_getattr(mqd, &attr) == -1) {
        syserr("mq_getattr");
        return EXIT_SYSERR;
    }
    buf = malloc((size_t)attr.mq_msgsize);
    if (buf == NULL) {
        syserr("malloc");
        return EXIT_SYSERR;
    }

    for (;;) {
        struct timespec deadline;
        unsigned prio;
        ssize_t n;
        long job;

        if (deadline_in(o->timeout_ms, &deadline) == -1) {
            syserr("clock_gettime");
            status = EXIT_SYSERR;
            break;
        }
        n = mq_timedreceive(mqd, buf, (size_t)attr.mq_msgsize, &prio, &deadline);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            if (errno == ETIMEDOUT) {
                if (out_line(STDOUT_FILENO, "worker %ld: %ld jobs, idle for %ld ms, exiting",
                             o->id, jobs, o->timeout_ms) == -1) {
                    syserr("write");
                    status = EXIT_SYSERR;
                }
                break;
            }
            syserr("mq_timedreceive");
            status = EXIT_SYSERR;
            break;
        }
        job = job_number(buf, (size_t)n);
        if (job < 0) {
            msg("malformed message of %zd bytes dropped (it does not start with \"job N\", N at most 1000000000)", n);
            continue;
        }
        jobs++;
        if (out_line(STDOUT_FILENO, "worker %ld pid %ld job %ld priority %u",
                     o->id, (long)pid, job, prio) == -1) {
            syserr("write");
            status = EXIT_SYSERR;
            break;
        }
    }
    free(buf);
    return status;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct options o;
    mqd_t mqd;
    int status;

    parse_args(argc, argv, &o);

    /* O_RDONLY, never O_CREAT: a queue made by a worker would have no dispatcher. */
    mqd = mq_open(o.name, O_RDONLY);
    if (mqd == (mqd_t)-1) {
        if (errno == ENOENT)
            msg("no queue %s: start mq_dispatch first", o.name);
        else
            syserr("mq_open");
        return EXIT_SYSERR;
    }

    status = work(mqd, &o);

    if (mq_close(mqd) == -1) {
        syserr("mq_close");
        status = EXIT_SYSERR;
    }
    return status;
}
