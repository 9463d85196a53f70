/*
 * posix_server.c - a connection-per-process server built on POSIX IPC.
 *
 *     usage: posix_server [-n PREFIX]
 *
 * The server creates a connection area in POSIX shared memory (PREFIX) and two
 * named semaphores: PREFIX-ready ("the area is free") and PREFIX-conn ("a
 * client has written the area"). A client takes PREFIX-ready, writes its pid
 * and the names of its two message queues into the area, and posts
 * PREFIX-conn. The server forks one handler per client; the handler answers
 * the client's requests ("add A B", "disconnect", "kill_server") on the
 * client's queues. "kill_server" reaches the main process through a pipe: the
 * main process then removes its objects, stops every handler, reaps them all
 * and exits 0. SIGINT and SIGTERM do the same.
 *
 * See exercises/09-posix-server/README.md for the full statement.
 */
#define _GNU_SOURCE     /* pipe2() */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "posix_lab.h"

#define PROG            "posix_server"
#define NUMBER_LIMIT    1000000000L

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* Set by the signal handlers, acted upon by the loops. */
static volatile sig_atomic_t stop_signal;   /* SIGINT or SIGTERM, 0 if none */

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "posix_server: <message>\n" on stderr in one write(): the main process and
 * every handler share stderr, and their lines must never mix. */
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
            return;     /* nowhere left to report it */
        p += n;
        len -= (int)n;
    }
}

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
    fputs("usage: " PROG " [-n PREFIX]\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/* A POSIX IPC name: '/', then 1 to PREFIX_MAX - 1 bytes, none of them '/'. */
static bool valid_prefix(const char *s)
{
    size_t len = strlen(s);

    return len >= 2 && len <= PREFIX_MAX && s[0] == '/' && strchr(s + 1, '/') == NULL;
}

static const char *parse_args(int argc, char *argv[])
{
    const char *prefix = DEFAULT_PREFIX;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:")) != -1) {
        switch (opt) {
        case 'n':
            prefix = optarg;
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
    if (!valid_prefix(prefix))
        usage_error("invalid PREFIX '%s' (a '/', then 1 to %d characters, no other '/')",
                    prefix, PREFIX_MAX - 1);
    return prefix;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static void on_stop(int sig)
{
    stop_signal = sig;
}

/*
 * sa_flags = 0, in particular no SA_RESTART: sem_wait() and waitpid() are
 * restarted after a handler that has SA_RESTART (signal(7)), and then the
 * main loop would not see a SIGCHLD or a SIGTERM until the next client
 * connects. mq_timedreceive() returns EINTR either way.
 */
static int set_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}

static const char *signal_name(int sig)
{
    return sig == SIGINT ? "SIGINT" : "SIGTERM";
}

/* ------------------------------------------------------------------------- */
/* Time                                                                      */
/* ------------------------------------------------------------------------- */

/* An absolute CLOCK_REALTIME moment, seconds from now: what
 * mq_timedreceive() and mq_timedsend() take. */
static struct timespec deadline_in(int seconds)
{
    struct timespec ts;

    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += seconds;
    return ts;
}

/* kill(pid, 0) sends nothing: it only says whether the process exists.
 * EPERM means it exists but is not ours to signal. */
static bool process_alive(pid_t pid)
{
    return kill(pid, 0) == 0 || errno != ESRCH;
}

/* ------------------------------------------------------------------------- */
/* The handler: one client's requests                                        */
/* ------------------------------------------------------------------------- */

struct session {
    struct conn_area conn;      /* a copy of the area, taken by the main process */
    mqd_t req;                  /* we receive the client's requests here */
    mqd_t resp;                 /* and send our responses here */
    long msgsize;               /* mq_msgsize of the request queue */
    int stop_fd;                /* write end of the pipe to the main process */
    sem_t *conn_sem;            /* posted after writing to the pipe: a wake-up */
};

/* A decimal integer in [-NUMBER_LIMIT, NUMBER_LIMIT]: an optional '-', 1 to
 * 10 digits, nothing else. */
static bool parse_number(const char *s, long *value)
{
    const char *digits = s[0] == '-' ? s + 1 : s;
    size_t n = strlen(digits);
    char *end;

    if (n == 0 || n > 10 || strspn(digits, "0123456789") != n)
        return false;
    errno = 0;
    *value = strtol(s, &end, 10);
    return errno == 0 && *end == '\0' && *value >= -NUMBER_LIMIT && *value <= NUMBER_LIMIT;
}

enum verdict { GO_ON, DISCONNECT, KILL_SERVER };

/* The response to one request (text, len bytes, no '\0' in it), in out. */
static enum verdict answer(char *text, size_t len, char *out, size_t outsize)
{
    char *word, *rest;
    long a, b;

    if (memchr(text, '\0', len) != NULL) {
        snprintf(out, outsize, "error malformed request (a NUL byte)");
        return GO_ON;
    }
    text[len] = '\0';
    word = text;
    rest = strchr(text, ' ');
    if (rest != NULL)
        *rest++ = '\0';

    if (strcmp(word, "add") == 0) {
        char *second = rest != NULL ? strchr(rest, ' ') : NULL;

        if (second != NULL)
            *second++ = '\0';
        if (rest == NULL || second == NULL || !parse_number(rest, &a) || !parse_number(second, &b))
            snprintf(out, outsize, "error usage: add A B (integers from -1000000000 to 1000000000)");
        else
            snprintf(out, outsize, "ok %ld", a + b);
        return GO_ON;
    }
    if (strcmp(word, "disconnect") == 0 || strcmp(word, "kill_server") == 0) {
        if (rest != NULL) {
            snprintf(out, outsize, "error usage: %s", word);
            return GO_ON;
        }
        if (word[0] == 'd') {
            snprintf(out, outsize, "ok bye");
            return DISCONNECT;
        }
        snprintf(out, outsize, "ok server stopping");
        return KILL_SERVER;
    }
    snprintf(out, outsize, "error unknown request '%.64s'", word);
    return GO_ON;
}

/*
 * Send one response. The response queue holds at most QUEUE_MAXMSG messages:
 * if the client stops reading, mq_send() would block forever, so the wait is
 * cut in slices, and between two slices we look whether the client lives.
 * Returns 0, or -1 (client gone, stop signal, error: the session ends).
 */
static int send_response(struct session *s, const char *text)
{
    for (;;) {
        struct timespec until = deadline_in(LIVENESS_SECONDS);

        if (mq_timedsend(s->resp, text, strlen(text), 0, &until) == 0)
            return 0;
        if (errno == EINTR && !stop_signal)
            continue;
        if (errno == EINTR)
            return -1;
        if (errno != ETIMEDOUT) {
            syserr("mq_timedsend");
            return -1;
        }
        if (!process_alive(s->conn.client_pid))
            return -1;
    }
}

/*
 * Receive one request into buf (s->msgsize bytes). Same slices as above: this
 * is how a handler notices that its client was killed (SIGKILL cannot be
 * caught, so nobody says "disconnect"). Returns the length, or -1 when the
 * session must end (*gone tells whether the client died).
 */
static ssize_t receive_request(struct session *s, char *buf, bool *gone)
{
    *gone = false;
    for (;;) {
        struct timespec until = deadline_in(LIVENESS_SECONDS);
        ssize_t n;

        if (stop_signal)
            return -1;
        n = mq_timedreceive(s->req, buf, (size_t)s->msgsize, NULL, &until);
        if (n >= 0)
            return n;
        if (errno == EINTR)
            continue;       /* the loop looks at stop_signal */
        if (errno != ETIMEDOUT) {
            syserr("mq_timedreceive");
            return -1;
        }
        if (!process_alive(s->conn.client_pid)) {
            *gone = true;
            return -1;
        }
    }
}

/* Tell the main process to stop: one byte into the pipe, then a post of
 * PREFIX-conn, so that its sem_wait() returns and it reads the pipe.
 * Returns 0, or -1 (reported): EPIPE when the main process is gone, since
 * SIGPIPE is ignored. */
static int request_server_stop(struct session *s)
{
    char byte = 'k';

    while (write(s->stop_fd, &byte, 1) == -1) {
        if (errno != EINTR) {
            syserr("write");
            return -1;
        }
    }
    if (sem_post(s->conn_sem) == -1) {
        syserr("sem_post");
        return -1;
    }
    return 0;
}

/* The whole life of a handler; returns its exit status. */
static int serve_client(struct session *s)
{
    struct mq_attr attr;
    char *buf = NULL;
    char out[MESSAGE_MAX];
    int status = EXIT_SUCCESS;
    bool gone = false;

    s->req = mq_open(s->conn.req_name, O_RDONLY);
    if (s->req == (mqd_t)-1) {
        msg("client %ld: mq_open %s: %s", (long)s->conn.client_pid, s->conn.req_name, strerror(errno));
        s->resp = (mqd_t)-1;
        status = EXIT_SYSERR;
        goto out;
    }
    s->resp = mq_open(s->conn.resp_name, O_WRONLY);
    if (s->resp == (mqd_t)-1) {
        msg("client %ld: mq_open %s: %s", (long)s->conn.client_pid, s->conn.resp_name, strerror(errno));
        status = EXIT_SYSERR;
        goto out;
    }
    /* mq_receive() needs a buffer of at least mq_msgsize bytes, whatever
     * the client chose: ask the queue, never assume. */
    if (mq_getattr(s->req, &attr) == -1) {
        syserr("mq_getattr");
        status = EXIT_SYSERR;
        goto out;
    }
    s->msgsize = attr.mq_msgsize;
    buf = malloc((size_t)s->msgsize + 1);
    if (buf == NULL) {
        syserr("malloc");
        status = EXIT_SYSERR;
        goto out;
    }

    /* The greeting: the client learns our pid, and that it is connected. */
    snprintf(out, sizeof out, "hello %ld", (long)getpid());
    if (send_response(s, out) == -1)
        goto out;
    msg("client %ld connected (handler %ld)", (long)s->conn.client_pid, (long)getpid());

    for (;;) {
        ssize_t n = receive_request(s, buf, &gone);
        enum verdict v;

        if (n == -1)
            break;
        v = answer(buf, (size_t)n, out, sizeof out);
        if (send_response(s, out) == -1)
            break;
        if (v == DISCONNECT) {
            msg("client %ld disconnected", (long)s->conn.client_pid);
            break;
        }
        if (v == KILL_SERVER) {
            msg("kill_server from client %ld", (long)s->conn.client_pid);
            if (request_server_stop(s) == -1)
                status = EXIT_SYSERR;
            break;
        }
    }
    if (gone)
        msg("client %ld is gone: its queues removed", (long)s->conn.client_pid);

out:
    /*
     * Whatever ended the session, the client's queues go: a client killed by
     * SIGKILL cannot remove them itself, and a client that can does it too
     * (ENOENT then is normal). Descriptors keep an unlinked queue alive for
     * whoever still has it open.
     */
    if (mq_unlink(s->conn.req_name) == -1 && errno != ENOENT)
        syserr("mq_unlink");
    if (mq_unlink(s->conn.resp_name) == -1 && errno != ENOENT)
        syserr("mq_unlink");
    if (s->req != (mqd_t)-1 && mq_close(s->req) == -1)
        syserr("mq_close");
    if (s->resp != (mqd_t)-1 && mq_close(s->resp) == -1)
        syserr("mq_close");
    free(buf);
    return status;
}

/* ------------------------------------------------------------------------- */
/* The main process                                                          */
/* ------------------------------------------------------------------------- */

/*
 * The handlers that run, for the stop (SIGTERM to each, then wait). The
 * SIGCHLD handler reaps and clears entries, the main loop adds them with
 * SIGCHLD blocked: both touch the table, one at a time.
 */
#define MAX_HANDLERS 32
static volatile sig_atomic_t handler_pids[MAX_HANDLERS];    /* 0: free slot */

static void forget_handler(pid_t pid)
{
    for (int i = 0; i < MAX_HANDLERS; i++)
        if (handler_pids[i] == pid)
            handler_pids[i] = 0;
}

/*
 * SIGCHLD: reap every handler that has ended, here and now, so that none
 * stays a zombie while the main process sleeps in sem_wait(). waitpid() is
 * async-signal-safe; errno is saved because the interrupted code may be
 * about to look at it.
 */
static void on_child(int sig)
{
    int saved_errno = errno;
    pid_t pid;

    (void)sig;
    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0)
        forget_handler(pid);
    errno = saved_errno;
}

struct server {
    char shm_name[NAME_SIZE];
    char ready_name[NAME_SIZE];
    char conn_name[NAME_SIZE];
    bool shm_created, ready_created, conn_created;
    struct conn_area *area;     /* the mapping of PREFIX, or NULL */
    sem_t *ready;               /* PREFIX-ready: the area is free */
    sem_t *conn;                /* PREFIX-conn: a client wrote the area */
    int pipe_fd[2];             /* handlers -> main: "kill_server" */
};

/* Remove the names we created (the objects live on while mapped or open),
 * once: from then on new clients fail with ENOENT. */
static void unlink_names(struct server *sv)
{
    if (sv->shm_created && shm_unlink(sv->shm_name) == -1)
        syserr("shm_unlink");
    if (sv->ready_created && sem_unlink(sv->ready_name) == -1)
        syserr("sem_unlink");
    if (sv->conn_created && sem_unlink(sv->conn_name) == -1)
        syserr("sem_unlink");
    sv->shm_created = sv->ready_created = sv->conn_created = false;
}

/* Close and unmap everything (main process at exit, handler after fork). */
static void close_all(struct server *sv, bool handler)
{
    if (sv->area != NULL && munmap(sv->area, sizeof *sv->area) == -1)
        syserr("munmap");
    sv->area = NULL;
    if (sv->ready != NULL && sem_close(sv->ready) == -1)
        syserr("sem_close");
    sv->ready = NULL;
    /* A handler keeps PREFIX-conn (its wake-up for kill_server) and the
     * write end of the pipe until it ends. */
    if (!handler) {
        if (sv->conn != NULL && sem_close(sv->conn) == -1)
            syserr("sem_close");
        sv->conn = NULL;
        if (sv->pipe_fd[1] != -1 && close(sv->pipe_fd[1]) == -1)
            syserr("close");
        sv->pipe_fd[1] = -1;
    }
    if (sv->pipe_fd[0] != -1 && close(sv->pipe_fd[0]) == -1)
        syserr("close");
    sv->pipe_fd[0] = -1;
}

/*
 * EEXIST on one of our names: another server runs with this PREFIX, or a
 * killed one left the object. Say which file is in the way, and what to
 * remove once no server of that PREFIX runs; the objects we created before
 * are removed by the caller (unlink_names()).
 */
static void report_exists(const struct server *sv, const char *prefix, const char *fmt, const char *name)
{
    char file[NAME_SIZE + 16];

    snprintf(file, sizeof file, fmt, name);
    msg("%s exists already: another server runs with %s, or a killed one left it "
        "(if none runs, remove its files: rm -f /dev/shm%s /dev/shm/sem.%s /dev/shm/sem.%s)",
        file, prefix, sv->shm_name, sv->ready_name + 1, sv->conn_name + 1);
}

/* Create the area, the semaphores and the pipe. Returns 0 or -1 (reported;
 * whatever was created is removed by the caller's unlink_names()). */
static int server_init(struct server *sv, const char *prefix)
{
    int fd;

    snprintf(sv->shm_name, sizeof sv->shm_name, "%s", prefix);
    snprintf(sv->ready_name, sizeof sv->ready_name, "%s-ready", prefix);
    snprintf(sv->conn_name, sizeof sv->conn_name, "%s-conn", prefix);

    /* O_EXCL everywhere: objects that exist belong to another server, or
     * to a killed one; taking them over would mix two servers' clients. */
    fd = shm_open(sv->shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1) {
        if (errno == EEXIST)
            report_exists(sv, prefix, "/dev/shm%s", prefix);
        else
            syserr("shm_open");
        return -1;
    }
    sv->shm_created = true;
    if (ftruncate(fd, sizeof *sv->area) == -1) {
        syserr("ftruncate");
        close(fd);
        return -1;
    }
    sv->area = mmap(NULL, sizeof *sv->area, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (sv->area == MAP_FAILED) {
        sv->area = NULL;
        syserr("mmap");
        close(fd);
        return -1;
    }
    /* The mapping keeps the object; the descriptor is no longer needed. */
    if (close(fd) == -1) {
        syserr("close");
        return -1;
    }
    /* ftruncate() filled it with zeros: the area is empty. */

    sv->ready = sem_open(sv->ready_name, O_CREAT | O_EXCL, 0600, 0);
    if (sv->ready == SEM_FAILED) {
        sv->ready = NULL;
        if (errno == EEXIST)
            report_exists(sv, prefix, "/dev/shm/sem.%s", sv->ready_name + 1);
        else
            msg("sem_open %s: %s", sv->ready_name, strerror(errno));
        return -1;
    }
    sv->ready_created = true;
    sv->conn = sem_open(sv->conn_name, O_CREAT | O_EXCL, 0600, 0);
    if (sv->conn == SEM_FAILED) {
        sv->conn = NULL;
        if (errno == EEXIST)
            report_exists(sv, prefix, "/dev/shm/sem.%s", sv->conn_name + 1);
        else
            msg("sem_open %s: %s", sv->conn_name, strerror(errno));
        return -1;
    }
    sv->conn_created = true;

    /* The read end never blocks: the main process only looks whether a
     * kill_server byte is there after each wake-up. */
    if (pipe2(sv->pipe_fd, O_CLOEXEC) == -1) {
        syserr("pipe2");
        return -1;
    }
    if (fcntl(sv->pipe_fd[0], F_SETFL, O_NONBLOCK) == -1) {
        syserr("fcntl");
        return -1;
    }
    return 0;
}

/* True when a handler wrote its kill_server byte into the pipe. */
static bool kill_requested(struct server *sv)
{
    char byte;
    ssize_t n = read(sv->pipe_fd[0], &byte, 1);

    if (n == -1 && errno != EAGAIN && errno != EINTR)
        syserr("read");
    return n == 1;
}

static int block_sigchld(int how)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGCHLD);
    return sigprocmask(how, &set, NULL);
}

/* Fork a handler for the client that wrote the area. */
static void accept_client(struct server *sv)
{
    struct session s;
    pid_t pid;
    int slot = -1;

    memset(&s, 0, sizeof s);
    s.conn = *sv->area;     /* our copy: the area is for the next client */
    memset(sv->area, 0, sizeof *sv->area);

    /* The area comes from another program: check it before trusting it. */
    if (s.conn.client_pid <= 0 ||
        memchr(s.conn.req_name, '\0', NAME_SIZE) == NULL ||
        memchr(s.conn.resp_name, '\0', NAME_SIZE) == NULL ||
        s.conn.req_name[0] != '/' || s.conn.resp_name[0] != '/') {
        msg("malformed connection area ignored");
        return;
    }

    /* SIGCHLD stays blocked from before the fork until the pid is in the
     * table: a handler that ends at once is then reaped after it is known. */
    if (block_sigchld(SIG_BLOCK) == -1) {
        syserr("sigprocmask");
        return;
    }
    for (int i = 0; i < MAX_HANDLERS && slot == -1; i++)
        if (handler_pids[i] == 0)
            slot = i;
    if (slot == -1) {
        /* The client gets no greeting and says "no server answered". */
        msg("client %ld refused: %d handlers run already", (long)s.conn.client_pid, MAX_HANDLERS);
        pid = -1;
    } else {
        pid = fork();
        if (pid == -1)
            syserr("fork");
    }
    if (pid == 0) {
        int status;

        /* The handler: the main process's objects are not its business,
         * except PREFIX-conn and the pipe's write end (kill_server). */
        s.stop_fd = sv->pipe_fd[1];
        s.conn_sem = sv->conn;
        close_all(sv, true);
        if (set_signal(SIGCHLD, SIG_DFL) == -1 || block_sigchld(SIG_UNBLOCK) == -1)
            syserr("sigaction");
        status = serve_client(&s);
        if (sem_close(s.conn_sem) == -1)
            syserr("sem_close");
        if (close(s.stop_fd) == -1)
            syserr("close");
        exit(status);
    }
    if (pid > 0)
        handler_pids[slot] = pid;
    if (block_sigchld(SIG_UNBLOCK) == -1)
        syserr("sigprocmask");
}

/* Stop every handler still running and wait for each one. SIGCHLD stays
 * blocked: from here on the waiting is done here, not in the handler. */
static void stop_handlers(void)
{
    if (block_sigchld(SIG_BLOCK) == -1)
        syserr("sigprocmask");
    for (int i = 0; i < MAX_HANDLERS; i++)
        if (handler_pids[i] != 0 && kill(handler_pids[i], SIGTERM) == -1 && errno != ESRCH)
            syserr("kill");
    for (;;) {
        pid_t pid = waitpid(-1, NULL, 0);

        if (pid == -1) {
            if (errno == EINTR)
                continue;
            if (errno != ECHILD)
                syserr("waitpid");
            break;
        }
        forget_handler(pid);
    }
}

/* Accept connections until kill_server, SIGINT or SIGTERM. */
static int serve(struct server *sv)
{
    /* The area is ready for a first client. */
    if (sem_post(sv->ready) == -1) {
        syserr("sem_post");
        return EXIT_SYSERR;
    }
    for (;;) {
        int rc = sem_wait(sv->conn);
        int saved = errno;

        if (stop_signal) {
            msg("%s received: stopping", signal_name(stop_signal));
            return EXIT_SUCCESS;
        }
        /* A handler writes the pipe before it posts: when its post wakes
         * us, the byte is there. */
        if (kill_requested(sv)) {
            msg("kill_server received: stopping");
            return EXIT_SUCCESS;
        }
        if (rc == -1) {
            if (saved == EINTR)     /* SIGCHLD: reaped already */
                continue;
            errno = saved;
            syserr("sem_wait");
            return EXIT_SYSERR;
        }
        accept_client(sv);
        /* The area is free again: one client at a time may write it. */
        if (sem_post(sv->ready) == -1) {
            syserr("sem_post");
            return EXIT_SYSERR;
        }
    }
}

int main(int argc, char *argv[])
{
    struct server sv;
    const char *prefix = parse_args(argc, argv);
    int status = EXIT_SYSERR;

    memset(&sv, 0, sizeof sv);
    sv.pipe_fd[0] = sv.pipe_fd[1] = -1;

    /* Handlers first, so that a signal between the creation of the objects
     * and the loop still leads to their removal. A handler whose client is
     * gone writes nothing more; a broken pipe is an error to report, not a
     * reason to die. */
    if (set_signal(SIGINT, on_stop) == -1 || set_signal(SIGTERM, on_stop) == -1 ||
        set_signal(SIGCHLD, on_child) == -1 || set_signal(SIGPIPE, SIG_IGN) == -1) {
        syserr("sigaction");
        return EXIT_SYSERR;
    }

    if (server_init(&sv, prefix) == 0) {
        msg("ready: shared memory %s, semaphores %s and %s", sv.shm_name, sv.ready_name, sv.conn_name);
        status = serve(&sv);
    }

    /* Names first: from now on a new client fails at once (ENOENT). */
    unlink_names(&sv);
    stop_handlers();
    close_all(&sv, false);
    return status;
}
