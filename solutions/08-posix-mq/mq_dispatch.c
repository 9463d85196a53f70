/*
 * mq_dispatch.c - put numbered jobs, with priorities, on a POSIX message
 * queue, for any number of mq_worker processes to take.
 *
 *     usage: mq_dispatch [-q NAME] [-n JOBS] [-p PRIORITIES] [-m MSGSIZE] [-l LENGTH] [--nonblock]
 *
 * The dispatcher creates a new queue NAME (default /ipclab-jobs) with
 * mq_maxmsg 10 and mq_msgsize MSGSIZE (default 256), sends JOBS messages
 * "job J" with priority (J - 1) % PRIORITIES, reports the queue's attributes,
 * waits until the workers have taken every job, then removes the queue.
 * SIGINT and SIGTERM remove the queue at any moment.
 *
 * See exercises/08-posix-mq/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <mqueue.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG            "mq_dispatch"
#define DEFAULT_QUEUE   "/ipclab-jobs"
#define QUEUE_MAXMSG    10L     /* fixed: the default msg_max of every IPC namespace */
#define DEFAULT_MSGSIZE 256L
#define MIN_MSGSIZE     16L
#define MAX_MSGSIZE     8192L   /* the default msgsize_max */
#define DEFAULT_JOBS    10L
#define MAX_JOBS        1000000L
#define DEFAULT_PRIOS   4L
#define MAX_PRIOS       32L     /* POSIX guarantees MQ_PRIO_MAX >= 32 */
#define MIN_LENGTH      16L     /* "job 1000000" always fits */
#define MAX_LENGTH      65536L
#define DRAIN_POLL_NS   10000000L   /* 10 ms between two looks at curmsgs */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

struct options {
    const char *name;
    long jobs;
    long prios;
    long msgsize;
    long length;        /* 0: no padding, the message is just "job J" */
    bool nonblock;
};

/* SIGINT or SIGTERM, set by the handler; 0 while neither has come. */
static volatile sig_atomic_t stop_signal;

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "mq_dispatch: <message>\n" on stderr, built first and written at once. */
static void msg(const char *fmt, ...)
{
    char line[1024];
    int len = snprintf(line, sizeof line, "%s: ", PROG);
    va_list ap;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    for (const char *p = line; len > 0;) {
        ssize_t n = write(STDERR_FILENO, p, (size_t)len);

        if (n == -1 && errno == EINTR)
            continue;
        if (n <= 0)
            return;             /* nowhere left to report it */
        p += n;
        len -= (int)n;
    }
}

/* A failed call, by name; errno still holds its error. */
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
    fputs("usage: " PROG " [-q NAME] [-n JOBS] [-p PRIORITIES] [-m MSGSIZE] [-l LENGTH] [--nonblock]\n",
          stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/* A decimal integer in [min, max], digits only. */
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

/*
 * A portable queue name is "/" then 1 to NAME_MAX characters, none of them
 * "/" (mq_overview(7)). glibc would refuse most bad names with EINVAL, but
 * a clear message about the name itself is better than "Invalid argument".
 */
static bool valid_queue_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] == '/' && len >= 2 && len <= NAME_MAX + 1 && strchr(name + 1, '/') == NULL;
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    static const struct option longopts[] = {
        { "nonblock", no_argument, NULL, 'N' },
        { NULL, 0, NULL, 0 },
    };
    int opt;

    *o = (struct options){ .name = DEFAULT_QUEUE, .jobs = DEFAULT_JOBS, .prios = DEFAULT_PRIOS,
                           .msgsize = DEFAULT_MSGSIZE, .length = 0, .nonblock = false };
    opterr = 0;
    while ((opt = getopt_long(argc, argv, ":q:n:p:m:l:", longopts, NULL)) != -1) {
        switch (opt) {
        case 'q':
            o->name = optarg;
            break;
        case 'n':
            if (!parse_long(optarg, 0, MAX_JOBS, &o->jobs))
                usage_error("invalid number of jobs '%s' (expected 0 to %ld)", optarg, MAX_JOBS);
            break;
        case 'p':
            if (!parse_long(optarg, 1, MAX_PRIOS, &o->prios))
                usage_error("invalid number of priorities '%s' (expected 1 to %ld)", optarg, MAX_PRIOS);
            break;
        case 'm':
            if (!parse_long(optarg, MIN_MSGSIZE, MAX_MSGSIZE, &o->msgsize))
                usage_error("invalid message size '%s' (expected %ld to %ld)", optarg, MIN_MSGSIZE,
                            MAX_MSGSIZE);
            break;
        case 'l':
            if (!parse_long(optarg, MIN_LENGTH, MAX_LENGTH, &o->length))
                usage_error("invalid message length '%s' (expected %ld to %ld)", optarg, MIN_LENGTH,
                            MAX_LENGTH);
            break;
        case 'N':
            o->nonblock = true;
            break;
        case ':':
            if (optopt != 0)
                usage_error("option -%c needs an argument", optopt);
            usage_error("option %s needs an argument", argv[optind - 1]);
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
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static void on_stop(int sig)
{
    stop_signal = sig;      /* the main loop removes the queue */
}

/*
 * No SA_RESTART: with it, a mq_send() blocked on a full queue would be
 * restarted after the handler (signal(7) lists the mq_* calls among those
 * SA_RESTART restarts), and the dispatcher would never notice the signal.
 */
static int install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The queue                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * Create a new queue with exactly the attributes we need: without an attr,
 * mq_open() would use msg_default and msgsize_default, which differ from one
 * machine to the next. O_EXCL: a queue that exists already belongs to another
 * dispatcher (or was left by a killed one); taking it over would mix jobs.
 */
static mqd_t create_queue(const struct options *o)
{
    struct mq_attr attr = { .mq_flags = 0, .mq_maxmsg = QUEUE_MAXMSG, .mq_msgsize = o->msgsize };
    int flags = O_WRONLY | O_CREAT | O_EXCL | (o->nonblock ? O_NONBLOCK : 0);
    mqd_t mqd = mq_open(o->name, flags, 0600, &attr);

    if (mqd != (mqd_t)-1)
        return mqd;
    switch (errno) {
    case EEXIST:
        msg("queue %s exists already: another dispatcher is running, or a killed one left it "
            "(remove it with: rm /dev/mqueue%s)", o->name, o->name);
        break;
    case EMFILE:
        msg("cannot create queue %s: the per-user limit on queue memory (RLIMIT_MSGQUEUE, ulimit -q) "
            "is too small for %ld messages of %ld bytes, or too many descriptors are open",
            o->name, QUEUE_MAXMSG, o->msgsize);
        break;
    case ENOSPC:
        msg("cannot create queue %s: the system-wide limit on the number of queues is reached "
            "(/proc/sys/fs/mqueue/queues_max)", o->name);
        break;
    case EINVAL:
        msg("cannot create queue %s: the system refuses mq_maxmsg %ld or mq_msgsize %ld "
            "(/proc/sys/fs/mqueue/msg_max and msgsize_max)", o->name, QUEUE_MAXMSG, o->msgsize);
        break;
    default:
        syserr("mq_open");
    }
    return (mqd_t)-1;
}

/* The attribute line of §5, from what mq_getattr() says, not from our options. */
static int report_attributes(mqd_t mqd, const char *name)
{
    struct mq_attr attr;

    if (mq_getattr(mqd, &attr) == -1) {
        syserr("mq_getattr");
        return -1;
    }
    msg("%s maxmsg %ld msgsize %ld curmsgs %ld", name, attr.mq_maxmsg, attr.mq_msgsize, attr.mq_curmsgs);
    return 0;
}

/* "job J", padded with '.' to length bytes when length is not 0. */
static size_t make_job(char *buf, size_t size, long job, long length)
{
    int n = snprintf(buf, size, "job %ld", job);

    if (length > n) {
        memset(buf + n, '.', (size_t)(length - n));
        return (size_t)length;
    }
    return (size_t)n;
}

/*
 * Send every job. Returns 0 when all went, -1 after an error (reported
 * here), and 0 with stop_signal set when a signal interrupted us.
 */
static int send_jobs(mqd_t mqd, const struct options *o)
{
    size_t size = (size_t)(o->length > 32 ? o->length + 1 : 33);
    char *buf = malloc(size);
    int rc = 0;

    if (buf == NULL) {
        syserr("malloc");
        return -1;
    }
    for (long job = 1; job <= o->jobs && rc == 0 && !stop_signal; job++) {
        size_t len = make_job(buf, size, job, o->length);
        unsigned prio = (unsigned)((job - 1) % o->prios);

        /* Blocks while the queue holds mq_maxmsg messages (unless O_NONBLOCK). */
        while (mq_send(mqd, buf, len, prio) == -1) {
            if (errno == EINTR) {
                if (stop_signal)
                    break;      /* the loop condition ends it */
                continue;
            }
            if (errno == EAGAIN)
                msg("queue %s is full (mq_maxmsg %ld): job %ld not sent, giving up (--nonblock)",
                    o->name, QUEUE_MAXMSG, job);
            else if (errno == EMSGSIZE)
                msg("job %ld is %zu bytes, more than the queue's mq_msgsize (%ld): not sent",
                    job, len, o->msgsize);
            else
                syserr("mq_send");
            rc = -1;
            break;
        }
    }
    free(buf);
    return rc;
}

/*
 * Wait until the workers have taken every job. There is no call that waits
 * for a queue to become empty (mq_notify() only reports empty -> not
 * empty), so we look at mq_curmsgs every 10 ms. Unlinking earlier would be
 * harmless to workers that already have the queue open, but a worker
 * started now would find no queue.
 */
static int wait_until_drained(mqd_t mqd)
{
    const struct timespec pause = { .tv_sec = 0, .tv_nsec = DRAIN_POLL_NS };
    struct mq_attr attr;

    while (!stop_signal) {
        if (mq_getattr(mqd, &attr) == -1) {
            syserr("mq_getattr");
            return -1;
        }
        if (attr.mq_curmsgs == 0)
            break;
        /* EINTR is fine: the loop looks at stop_signal again. */
        (void)nanosleep(&pause, NULL);
    }
    return 0;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct options o;
    mqd_t mqd;
    int rc;

    parse_args(argc, argv, &o);

    /* Before the queue exists, so that no SIGINT can leave it behind. */
    if (install_handlers() == -1) {
        syserr("sigaction");
        return EXIT_SYSERR;
    }

    mqd = create_queue(&o);
    if (mqd == (mqd_t)-1)
        return EXIT_SYSERR;
    msg("queue %s ready (maxmsg %ld, msgsize %ld)", o.name, QUEUE_MAXMSG, o.msgsize);

    rc = send_jobs(mqd, &o);
    if (rc == 0 && !stop_signal)
        rc = report_attributes(mqd, o.name);
    if (rc == 0 && !stop_signal)
        rc = wait_until_drained(mqd);

    /* Every way out from here on removes the queue: a queue outlives its
     * creator, until mq_unlink() or a reboot. */
    if (mq_close(mqd) == -1) {
        syserr("mq_close");
        rc = -1;
    }
    if (mq_unlink(o.name) == -1) {
        syserr("mq_unlink");
        rc = -1;
    }

    if (stop_signal) {
        /* The line says the queue was removed: never when it was not (the
         * failure's own line is out already). */
        if (rc == -1)
            return EXIT_SYSERR;
        msg("%s received: queue %s removed", stop_signal == SIGINT ? "SIGINT" : "SIGTERM", o.name);
        return 128 + stop_signal;
    }
    if (rc == -1)
        return EXIT_SYSERR;
    msg("all %ld jobs taken: queue %s removed", o.jobs, o.name);
    return EXIT_SUCCESS;
}
