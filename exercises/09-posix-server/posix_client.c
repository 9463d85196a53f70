/*
 * posix_client.c - connect to posix_server, send the requests read from
 * standard input, print each response.
 *
 *     usage: posix_client [-n PREFIX] [-t SECONDS]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`. What the server
 * and the client share (names, limits, the connection area) is in
 * posix_lab.h.
 *
 * As it is, this program only says that it is not implemented.
 */
#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <unistd.h>

#include "posix_lab.h"

#define PROG            "posix_client"
#define DEFAULT_TIMEOUT 10      /* §2: -t SECONDS when not given */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §4 */

/* "posix_client: <message>" on stderr. */
__attribute__((unused))
static void msg(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

/* "posix_client: CALL: strerror text" for a failed call (§8). */
__attribute__((unused))
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/* A usage error (§2): one line saying what is wrong, then the usage line,
 * exit 2. */
__attribute__((unused))
static void usage_error(const char *what)
{
    msg("%s", what);
    fputs("usage: " PROG " [-n PREFIX] [-t SECONDS]\n", stderr);
    exit(EXIT_USAGE);
}

/* Set by the SIGINT and SIGTERM handlers (§4: every way out cleans up). */
static volatile sig_atomic_t stop_signal;

struct options {
    const char *prefix;         /* -n, DEFAULT_PREFIX */
    int timeout;                /* -t, DEFAULT_TIMEOUT */
};

/*
 * TODO (§2): parse -n PREFIX (as the server checks it) and -t SECONDS (an
 * integer from 1 to 3600). An unknown option, a missing argument, a bad
 * value, any operand: usage_error(), before anything is opened or created.
 */
__attribute__((unused))
static struct options parse_args(int argc, char *argv[])
{
    struct options o = { DEFAULT_PREFIX, DEFAULT_TIMEOUT };

    (void)argc;
    (void)argv;
    return o;
}

/* What the client holds; cleanup() releases whatever of it is set. */
struct client {
    struct options opt;
    struct conn_area conn;      /* what we write into the area: our pid, our queues */
    mqd_t req, resp;            /* our queues, (mqd_t)-1 until created */
    struct conn_area *area;     /* the server's area, mapped */
    sem_t *ready, *conn_sem;    /* PREFIX-ready, PREFIX-conn */
    pid_t handler;              /* HPID, from the greeting */
};

/*
 * TODO (§4 step 1, hint 1): sem_open(PREFIX-ready, 0), sem_open(PREFIX-conn,
 * 0), shm_open(PREFIX, O_RDWR, 0), mmap() MAP_SHARED, close() the
 * descriptor. Never O_CREAT. ENOENT: "posix_client: no server for PREFIX:
 * NAME does not exist" (the first one missing), return -1.
 */
__attribute__((unused))
static int open_server(struct client *c)
{
    (void)c;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§3, §4 step 2): create PREFIX-PID-req and PREFIX-PID-resp with
 * mq_open(O_CREAT | O_EXCL | O_RDWR, 0600), mq_maxmsg QUEUE_MAXMSG,
 * mq_msgsize MESSAGE_MAX.
 */
__attribute__((unused))
static int create_queues(struct client *c)
{
    (void)c;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§4 steps 3 and 4): sem_timedwait(PREFIX-ready) with a deadline
 * SECONDS from now (CLOCK_REALTIME); write the area; sem_post(PREFIX-conn);
 * mq_timedreceive() the greeting "hello HPID" (SECONDS again); then
 * "posix_client: connected (handler HPID)" on stderr. A wait that runs out:
 * "posix_client: no server answered within SECONDS s", return -1.
 */
__attribute__((unused))
static int connect_server(struct client *c)
{
    (void)c;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§4 step 5): send one request (len bytes, no newline, no '\0') and
 * receive its response into text (MESSAGE_MAX + 1 bytes, '\0'-terminated).
 * Wait in slices of LIVENESS_SECONDS (mq_timedsend, mq_timedreceive): on
 * each ETIMEDOUT, kill(HPID, 0) failing with ESRCH means "posix_client: the
 * server has gone away" (test errno of the wait before kill() changes it).
 */
__attribute__((unused))
static int exchange(struct client *c, const char *request, size_t len, char *text)
{
    (void)c;
    (void)request;
    (void)len;
    (void)text;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§4 step 5): getline() each line of stdin, strip its newline; longer
 * than MESSAGE_MAX: "posix_client: line N is too long (at most 256 bytes):
 * not sent", go on, exit 1 at the end. Otherwise exchange() it and print the
 * response and a newline, fflush(stdout). After disconnect or kill_server
 * answered "ok ...", stop reading. At the end of input send "disconnect",
 * wait for "ok bye", print nothing. Return the exit status (0 or 1).
 */
__attribute__((unused))
static int talk(struct client *c)
{
    (void)c;
    return EXIT_SYSERR;
}

/*
 * TODO (§4 step 6, §8): on every way out: mq_close() and mq_unlink() your
 * queues (ENOENT is fine: your handler may have removed them), munmap() the
 * area, sem_close() both semaphores. free() getline's buffer in talk().
 */
__attribute__((unused))
static void cleanup(struct client *c)
{
    (void)c;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. opt = parse_args(argc, argv);
     *   2. SIGINT and SIGTERM handlers (sigaction, no SA_RESTART) that set
     *      stop_signal;
     *   3. open_server(), create_queues(), connect_server(), talk();
     *   4. cleanup() in every case; exit 0 after a normal end, 1 after an
     *      error or a signal.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
