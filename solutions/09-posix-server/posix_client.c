/*
 * posix_client.c - connect to posix_server, send the requests read from
 * standard input, print each response.
 *
 *     usage: posix_client [-n PREFIX] [-t SECONDS]
 *
 * The client creates its two message queues (PREFIX-PID-req, PREFIX-PID-resp),
 * takes the connection area (semaphore PREFIX-ready, at most SECONDS),
 * writes its pid and the queue names there, posts PREFIX-conn, and waits for
 * its handler's greeting ("hello HPID"). Then it sends one request per line
 * of standard input and prints each response on its own line. At the end of
 * its input it disconnects. It removes its queues on every way out.
 *
 * See exercises/09-posix-server/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
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
#define DEFAULT_TIMEOUT 10
#define MAX_TIMEOUT     3600

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

static volatile sig_atomic_t stop_signal;   /* SIGINT or SIGTERM, 0 if none */

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

static void msg(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static void usage_error(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", PROG);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\nusage: " PROG " [-n PREFIX] [-t SECONDS]\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    const char *prefix;
    int timeout;
};

static bool valid_prefix(const char *s)
{
    size_t len = strlen(s);

    return len >= 2 && len <= PREFIX_MAX && s[0] == '/' && strchr(s + 1, '/') == NULL;
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = { DEFAULT_PREFIX, DEFAULT_TIMEOUT };
    char *end;
    long value;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:t:")) != -1) {
        switch (opt) {
        case 'n':
            o.prefix = optarg;
            break;
        case 't':
            errno = 0;
            value = strtol(optarg, &end, 10);
            if (optarg[0] < '0' || optarg[0] > '9' || errno != 0 || *end != '\0' ||
                value < 1 || value > MAX_TIMEOUT)
                usage_error("invalid SECONDS '%s' (an integer from 1 to %d)", optarg, MAX_TIMEOUT);
            o.timeout = (int)value;
            break;
        case ':':
            usage_error("option -%c needs an argument", optopt);
            break;
        default:
            usage_error("unknown option -%c", optopt ? optopt : '?');
        }
    }
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    if (!valid_prefix(o.prefix))
        usage_error("invalid PREFIX '%s' (a '/', then 1 to %d characters, no other '/')",
                    o.prefix, PREFIX_MAX - 1);
    return o;
}

/* ------------------------------------------------------------------------- */
/* Signals and time                                                          */
/* ------------------------------------------------------------------------- */

static void on_stop(int sig)
{
    stop_signal = sig;
}

/* No SA_RESTART: a read() of stdin or a sem_timedwait() returns EINTR, and
 * the client can remove its queues before it goes. */
static int set_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}

static struct timespec deadline_in(int seconds)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return ts;
}

static bool process_alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

/* ------------------------------------------------------------------------- */
/* The connection                                                            */
/* ------------------------------------------------------------------------- */

struct client {
    struct options opt;
    struct conn_area conn;          /* what we write into the area */
    mqd_t req, resp;
    bool req_created, resp_created;
    struct conn_area *area;
    sem_t *ready, *conn_sem;
    pid_t handler;                  /* from the greeting */
};

/* Every way out: the queues are ours, we remove them (ENOENT: our handler
 * did it first, which is fine). */
static void cleanup(struct client *c)
{
    if (c->req != (mqd_t)-1 && mq_close(c->req) == -1)
        syserr("mq_close");
    if (c->resp != (mqd_t)-1 && mq_close(c->resp) == -1)
        syserr("mq_close");
    if (c->req_created && mq_unlink(c->conn.req_name) == -1 && errno != ENOENT)
        syserr("mq_unlink");
    if (c->resp_created && mq_unlink(c->conn.resp_name) == -1 && errno != ENOENT)
        syserr("mq_unlink");
    if (c->area != NULL && munmap(c->area, sizeof *c->area) == -1)
        syserr("munmap");
    if (c->ready != NULL && sem_close(c->ready) == -1)
        syserr("sem_close");
    if (c->conn_sem != NULL && sem_close(c->conn_sem) == -1)
        syserr("sem_close");
}

/* Open the server's objects: never O_CREAT, so that without a server this
 * fails at once with ENOENT instead of waiting for nobody. */
static int open_server(struct client *c)
{
    char name[NAME_SIZE];
    int fd;

    snprintf(name, sizeof name, "%s-ready", c->opt.prefix);
    c->ready = sem_open(name, 0);
    if (c->ready == SEM_FAILED) {
        c->ready = NULL;
        goto failed;
    }
    snprintf(name, sizeof name, "%s-conn", c->opt.prefix);
    c->conn_sem = sem_open(name, 0);
    if (c->conn_sem == SEM_FAILED) {
        c->conn_sem = NULL;
        goto failed;
    }
    snprintf(name, sizeof name, "%s", c->opt.prefix);
    fd = shm_open(name, O_RDWR, 0);
    if (fd == -1)
        goto failed;
    c->area = mmap(NULL, sizeof *c->area, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (c->area == MAP_FAILED) {
        c->area = NULL;
        syserr("mmap");
        close(fd);
        return -1;
    }
    if (close(fd) == -1) {
        syserr("close");
        return -1;
    }
    return 0;

failed:
    if (errno == ENOENT)
        msg("no server for %s: %s does not exist", c->opt.prefix, name);
    else
        msg("open %s: %s", name, strerror(errno));
    return -1;
}

static int create_queues(struct client *c)
{
    struct mq_attr attr = { .mq_maxmsg = QUEUE_MAXMSG, .mq_msgsize = MESSAGE_MAX };

    snprintf(c->conn.req_name, NAME_SIZE, "%s-%ld-req", c->opt.prefix, (long)c->conn.client_pid);
    snprintf(c->conn.resp_name, NAME_SIZE, "%s-%ld-resp", c->opt.prefix, (long)c->conn.client_pid);
    /* O_EXCL: fresh, empty queues, nobody else's. */
    c->req = mq_open(c->conn.req_name, O_CREAT | O_EXCL | O_WRONLY, 0600, &attr);
    if (c->req == (mqd_t)-1) {
        msg("mq_open %s: %s", c->conn.req_name, strerror(errno));
        return -1;
    }
    c->req_created = true;
    c->resp = mq_open(c->conn.resp_name, O_CREAT | O_EXCL | O_RDONLY, 0600, &attr);
    if (c->resp == (mqd_t)-1) {
        msg("mq_open %s: %s", c->conn.resp_name, strerror(errno));
        return -1;
    }
    c->resp_created = true;
    return 0;
}

/*
 * Take the area (at most the timeout), write it, tell the server, and wait
 * for the greeting (at most the timeout again). A server that was killed
 * leaves its semaphores behind: without the bound we would wait forever.
 */
static int connect_server(struct client *c)
{
    struct timespec until = deadline_in(c->opt.timeout);
    char text[MESSAGE_MAX + 1];
    ssize_t n;
    long hpid;
    char extra;

    while (sem_timedwait(c->ready, &until) == -1) {
        if (errno == EINTR && !stop_signal)
            continue;
        if (errno == ETIMEDOUT)
            msg("no server answered within %d s", c->opt.timeout);
        else if (errno != EINTR)
            syserr("sem_timedwait");
        return -1;
    }
    /* The area is ours until the server posts PREFIX-ready again. */
    *c->area = c->conn;
    if (sem_post(c->conn_sem) == -1) {
        syserr("sem_post");
        return -1;
    }

    until = deadline_in(c->opt.timeout);
    for (;;) {
        n = mq_timedreceive(c->resp, text, MESSAGE_MAX, NULL, &until);
        if (n >= 0)
            break;
        if (errno == EINTR && !stop_signal)
            continue;
        if (errno == ETIMEDOUT)
            msg("no server answered within %d s", c->opt.timeout);
        else if (errno != EINTR)
            syserr("mq_timedreceive");
        return -1;
    }
    text[n] = '\0';
    if (sscanf(text, "hello %ld%c", &hpid, &extra) != 1 || hpid <= 0) {
        msg("unexpected greeting '%s'", text);
        return -1;
    }
    c->handler = (pid_t)hpid;
    msg("connected (handler %ld)", hpid);
    return 0;
}

/*
 * One request, one response (into text, '\0'-terminated). The waits are cut
 * in slices: between two, a handler that has died (SIGKILL, or the server
 * stopped) is noticed with kill(pid, 0). Returns 0 or -1 (reported).
 */
static int exchange(struct client *c, const char *request, size_t len, char *text)
{
    ssize_t n;
    int err;

    for (;;) {
        struct timespec until = deadline_in(LIVENESS_SECONDS);

        if (mq_timedsend(c->req, request, len, 0, &until) == 0)
            break;
        err = errno;            /* process_alive()'s kill() sets errno */
        if (err == EINTR && !stop_signal)
            continue;
        if (err == ETIMEDOUT && process_alive(c->handler))
            continue;
        if (err == ETIMEDOUT) {
            msg("the server has gone away");
        } else if (err != EINTR) {
            errno = err;
            syserr("mq_timedsend");
        }
        return -1;
    }
    for (;;) {
        struct timespec until = deadline_in(LIVENESS_SECONDS);

        n = mq_timedreceive(c->resp, text, MESSAGE_MAX, NULL, &until);
        if (n >= 0)
            break;
        err = errno;            /* process_alive()'s kill() sets errno */
        if (err == EINTR && !stop_signal)
            continue;
        if (err == ETIMEDOUT && process_alive(c->handler))
            continue;
        if (err == ETIMEDOUT) {
            msg("the server has gone away");
        } else if (err != EINTR) {
            errno = err;
            syserr("mq_timedreceive");
        }
        return -1;
    }
    text[n] = '\0';
    return 0;
}

/* Requests from stdin, responses to stdout, until EOF, disconnect or
 * kill_server. Returns the exit status. */
static int talk(struct client *c)
{
    char *line = NULL;
    size_t cap = 0;
    char text[MESSAGE_MAX + 1];
    long lineno = 0;
    int status = EXIT_SUCCESS;

    for (;;) {
        ssize_t len;

        errno = 0;
        len = getline(&line, &cap, stdin);
        if (len == -1) {
            if (errno == EINTR && !stop_signal) {
                clearerr(stdin);
                continue;
            }
            if (errno != 0 && errno != EINTR) {
                syserr("getline");
                status = EXIT_SYSERR;
            }
            break;
        }
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (len > MESSAGE_MAX) {
            msg("line %ld is too long (at most %d bytes): not sent", lineno, MESSAGE_MAX);
            status = EXIT_SYSERR;
            continue;
        }
        if (exchange(c, line, (size_t)len, text) == -1) {
            free(line);
            return EXIT_SYSERR;
        }
        if (printf("%s\n", text) < 0 || fflush(stdout) == EOF) {
            syserr("write");
            free(line);
            return EXIT_SYSERR;
        }
        /* After these two the connection is over: the handler has gone. */
        if ((strcmp(line, "disconnect") == 0 || strcmp(line, "kill_server") == 0) &&
            strncmp(text, "ok", 2) == 0) {
            free(line);
            return status;
        }
    }
    free(line);
    if (stop_signal) {
        msg("%s received", stop_signal == SIGINT ? "SIGINT" : "SIGTERM");
        return EXIT_SYSERR;
    }
    /* End of input: say goodbye, so that the handler ends now. */
    if (exchange(c, "disconnect", strlen("disconnect"), text) == -1)
        return EXIT_SYSERR;
    return status;
}

int main(int argc, char *argv[])
{
    struct client c;
    int status = EXIT_SYSERR;

    memset(&c, 0, sizeof c);
    c.req = c.resp = (mqd_t)-1;
    c.opt = parse_args(argc, argv);
    c.conn.client_pid = getpid();

    if (set_signal(SIGINT, on_stop) == -1 || set_signal(SIGTERM, on_stop) == -1) {
        syserr("sigaction");
        return EXIT_SYSERR;
    }
    if (open_server(&c) == 0 && create_queues(&c) == 0 && connect_server(&c) == 0)
        status = talk(&c);
    cleanup(&c);
    return status;
}
