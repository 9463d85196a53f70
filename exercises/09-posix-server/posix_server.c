/*
 * posix_server.c - a connection-per-process server built on POSIX IPC.
 *
 *     usage: posix_server [-n PREFIX]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`. What the server
 * and the client share (names, limits, the connection area) is in
 * posix_lab.h.
 *
 * As it is, this program only says that it is not implemented. Every
 * function may be reshaped: only the behaviour in README.md is graded.
 * Remove an __attribute__((unused)) once the function is called.
 */
#define _GNU_SOURCE     /* pipe2() */
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
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "posix_lab.h"

#define PROG "posix_server"

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §8 */

/* "posix_server: <message>" on stderr. The main process and every handler
 * share stderr: build the line first and write it with one write() (§6). */
__attribute__((unused))
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
    if (write(STDERR_FILENO, line, (size_t)len) == -1)
        return;
}

/* "posix_server: CALL: strerror text" for a failed call (§8). */
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
    fputs("usage: " PROG " [-n PREFIX]\n", stderr);
    exit(EXIT_USAGE);
}

/* Set by the SIGINT and SIGTERM handlers, acted upon by the loops (§7). */
static volatile sig_atomic_t stop_signal;   /* SIGINT or SIGTERM, 0 if none */

/*
 * TODO (§2): return PREFIX (DEFAULT_PREFIX without -n).
 * - getopt(3) with an optstring starting with ':' and opterr = 0.
 * - PREFIX: a '/', then 1 to PREFIX_MAX - 1 bytes, none of them '/'.
 * - An unknown option, a missing argument, an invalid PREFIX, any operand
 *   (optind < argc): usage_error(), before anything is created.
 */
__attribute__((unused))
static const char *parse_args(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    return DEFAULT_PREFIX;
}

/* TODO (§7): SIGINT and SIGTERM only set stop_signal. */
__attribute__((unused))
static void on_stop(int sig)
{
    (void)sig;
}

/*
 * TODO (§6, hint 4): SIGCHLD: waitpid(-1, NULL, WNOHANG) in a loop until it
 * returns 0 or -1 (one SIGCHLD may stand for several handlers that ended);
 * forget each reaped pid in your table of handlers. Save and restore errno.
 */
__attribute__((unused))
static void on_child(int sig)
{
    (void)sig;
}

/*
 * TODO (§7, hint 5): sigaction(2) with sa_flags = 0: no SA_RESTART, so that
 * sem_wait() fails with EINTR and the main loop sees the flag. Install
 * SIGINT, SIGTERM, SIGCHLD, and ignore SIGPIPE, before the objects exist.
 */
__attribute__((unused))
static int set_signal(int sig, void (*handler)(int))
{
    (void)sig;
    (void)handler;
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------------- */
/* The handler: one client's requests (§5, §6)                               */
/* ------------------------------------------------------------------------- */

/* What a handler works with: its own copy of the area, and its queues. */
struct session {
    struct conn_area conn;      /* a copy of the area, taken by the main process */
    mqd_t req;                  /* the client's requests: opened O_RDONLY */
    mqd_t resp;                 /* our responses: opened O_WRONLY */
    int stop_fd;                /* write end of the pipe to the main process */
    sem_t *conn_sem;            /* PREFIX-conn: posted after the byte (§7) */
};

enum verdict { GO_ON, DISCONNECT, KILL_SERVER };

/*
 * TODO (§5): the response to one request (text: len bytes, not
 * '\0'-terminated, room for one more byte), written to out (outsize bytes).
 * - a '\0' byte in it: "error malformed request (a NUL byte)";
 * - "add A B" (one blank between words; A and B: an optional '-' and 1 to 10
 *   digits, from -1000000000 to 1000000000): "ok SUM", else the usage error;
 * - "disconnect", "kill_server": "ok bye" / "ok server stopping" and the
 *   verdict DISCONNECT / KILL_SERVER; followed by anything: their usage error;
 * - anything else: "error unknown request 'W'", W up to the first blank.
 * Every request gets exactly one response.
 */
__attribute__((unused))
static enum verdict answer(char *text, size_t len, char *out, size_t outsize)
{
    (void)text;
    (void)len;
    snprintf(out, outsize, "error not implemented");
    return GO_ON;
}

/*
 * TODO (§6, hint 3): the whole life of a handler; returns its exit status.
 * - open the client's queues (request O_RDONLY, response O_WRONLY), read
 *   mq_msgsize with mq_getattr() and malloc() a receive buffer that large;
 * - send "hello HPID" (getpid());
 * - answer each request. Receive with mq_timedreceive() and send with
 *   mq_timedsend(), deadline 1 s ahead (LIVENESS_SECONDS); on ETIMEDOUT,
 *   kill(clientpid, 0) failing with ESRCH means the client is dead: write
 *   "posix_server: client PID is gone: its queues removed" and end; on EINTR
 *   look at stop_signal (SIGTERM from the main process ends the session);
 * - kill_server: after "ok server stopping", write one byte into the pipe,
 *   THEN sem_post(PREFIX-conn) (§7);
 * - however the session ends: mq_unlink() both queues (ENOENT is fine),
 *   mq_close() both, free the buffer.
 */
__attribute__((unused))
static int serve_client(struct session *s)
{
    (void)s;
    return EXIT_SYSERR;
}

/* ------------------------------------------------------------------------- */
/* The main process (§3, §6, §7)                                             */
/* ------------------------------------------------------------------------- */

struct server {
    char shm_name[NAME_SIZE];   /* PREFIX */
    char ready_name[NAME_SIZE]; /* PREFIX-ready */
    char conn_name[NAME_SIZE];  /* PREFIX-conn */
    bool shm_created, ready_created, conn_created;  /* what is ours to unlink */
    struct conn_area *area;     /* the mapping of PREFIX, or NULL */
    sem_t *ready;               /* "the area is free" */
    sem_t *conn;                /* "a client wrote the area" */
    int pipe_fd[2];             /* handlers -> main process: kill_server */
};

/*
 * TODO (§3): create the objects; return 0, or -1 after a message (the
 * caller then unlinks what was created: only what is ours).
 * - shm_open(PREFIX, O_CREAT | O_EXCL | O_RDWR, 0600), ftruncate() to
 *   sizeof(struct conn_area), mmap() MAP_SHARED, close() the descriptor;
 * - sem_open(PREFIX-ready and PREFIX-conn, O_CREAT | O_EXCL, 0600, 0);
 * - EEXIST on any of them: one line that says so and names the files to
 *   remove, the one in the way first (e.g. /dev/shm/sem.NAME-conn);
 * - a pipe whose read end is O_NONBLOCK (pipe2(), fcntl()).
 */
__attribute__((unused))
static int server_init(struct server *sv, const char *prefix)
{
    (void)sv;
    (void)prefix;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§3, §6): a client posted PREFIX-conn. Copy the area, clear it, check
 * the copy (a pid above 0, both names '\0'-terminated and starting with
 * '/'): a bad one is ignored (no handler). Otherwise fork() a handler: in
 * the child, close what it does not need (munmap the area, sem_close
 * PREFIX-ready, the pipe's read end), serve_client(), exit with its status;
 * in the parent, keep the handler's pid (block SIGCHLD around the fork so
 * that the SIGCHLD handler finds it). The caller then posts PREFIX-ready.
 */
__attribute__((unused))
static void accept_client(struct server *sv)
{
    (void)sv;
}

/*
 * TODO (§6, §7): the main loop. sem_post(PREFIX-ready) once; then
 * sem_wait(PREFIX-conn), and after EVERY return (EINTR too): stop_signal set
 * -> "posix_server: SIGTERM received: stopping" (or SIGINT), return 0; a byte
 * in the pipe -> "posix_server: kill_server received: stopping", return 0;
 * EINTR -> wait again; success -> accept_client(), sem_post(PREFIX-ready).
 */
__attribute__((unused))
static int serve(struct server *sv)
{
    (void)sv;
    return EXIT_SYSERR;
}

/*
 * TODO (§7): the stop, in this order: shm_unlink() and sem_unlink() the
 * names you created; SIGTERM to every handler still running, then waitpid()
 * for each one; munmap(), sem_close() both, close() both pipe ends.
 */
__attribute__((unused))
static void shutdown_server(struct server *sv)
{
    (void)sv;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. prefix = parse_args(argc, argv);
     *   2. the handlers (set_signal);
     *   3. server_init(); on success "posix_server: ready: shared memory
     *      PREFIX, semaphores PREFIX-ready and PREFIX-conn" (§6), then
     *      status = serve();
     *   4. shutdown_server() in every case, the failed start included;
     *      exit with status (0 after a stop, 1 after an error).
     * Nothing goes to stdout (§6): a printf() before fork() is written twice.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
