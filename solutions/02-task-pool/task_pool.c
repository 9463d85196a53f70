/*
 * task_pool.c - a parent process dispatches numbered tasks to a pool of worker
 * processes, one anonymous pipe per worker; each worker runs the task named by
 * its code from a table of function pointers and logs what it ran.
 *
 *     usage: task_pool [-w WORKERS] [-n TASKS] [-s SEED] [-i INVALID_EVERY]
 *            task_pool [-w WORKERS] -
 *
 * Task t goes to worker t mod W (round-robin); when that worker has died, to the
 * next live one. A worker that dies is noticed either by SIGCHLD or by EPIPE when
 * the parent writes to it, reported once, and reaped. At the end the parent
 * closes the pipes one by one, waits for each worker in turn, and prints a
 * summary.
 *
 * See exercises/02-task-pool/README.md for the full statement.
 */
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG            "task_pool"
#define MAX_WORKERS     64
#define MAX_TASKS       1000000L
#define MAX_EVERY       1000000L
#define DEFAULT_WORKERS 4
#define DEFAULT_TASKS   20
#define DEFAULT_SEED    1

/* The generator of §3: a small linear congruential generator whose every step
 * is exact in a double, so that a shell script (awk) can replay it. */
#define GEN_MODULUS     65537u
#define GEN_MULTIPLIER  75u
#define GEN_INCREMENT   74u

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };

/* One message on a worker's pipe (§5): 8 bytes, far below PIPE_BUF, so that
 * each write() puts a whole message in the pipe or nothing at all. */
struct task_msg {
    uint32_t task;
    uint32_t code;
};

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* Write all of buf, retrying after EINTR and short counts; 0 or -1 (errno). */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * "task_pool: <message>\n" on stderr, with a single write(): the parent and up
 * to 64 workers share stderr, and a line written in one piece is never cut in
 * the middle by another process's line.
 */
static void msg(const char *fmt, ...)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%s: ", PROG);
    va_list ap;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    (void)write_all(STDERR_FILENO, line, (size_t)len);     /* nowhere to report a failure */
}

/* A failed system call, by name; errno still holds its error. */
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static void usage(void)
{
    static const char text[] =
        "usage: " PROG " [-w WORKERS] [-n TASKS] [-s SEED] [-i INVALID_EVERY]\n"
        "       " PROG " [-w WORKERS] -\n";

    (void)write_all(STDERR_FILENO, text, sizeof text - 1);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    int workers;
    long tasks;
    uint32_t seed;
    long every;         /* 0: no invalid codes */
    bool from_stdin;    /* the operand "-" */
};

static void usage_error(const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    usage();
    exit(EXIT_USAGE);
}

/* The LEN bytes at S are digits only (no sign, no blank, no suffix, no NUL
 * byte: a line is judged by its length, not as a C string), any number of
 * them (leading zeros too), with a value in [min, max]. */
static bool parse_digits(const char *s, size_t len, unsigned long long min,
                         unsigned long long max, unsigned long long *value)
{
    unsigned long long v = 0;

    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (unsigned)(s[i] - '0');
        if (v > max)            /* every max here is far below ULLONG_MAX / 10 */
            return false;
    }
    if (v < min)
        return false;
    *value = v;
    return true;
}

static bool parse_number(const char *s, unsigned long long min, unsigned long long max,
                         unsigned long long *value)
{
    return parse_digits(s, strlen(s), min, max, value);
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = { DEFAULT_WORKERS, DEFAULT_TASKS, DEFAULT_SEED, 0, false };
    bool generator_option = false;
    unsigned long long v;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":w:n:s:i:")) != -1) {
        switch (opt) {
        case 'w':
            if (!parse_number(optarg, 1, MAX_WORKERS, &v))
                usage_error("invalid number of workers '%s' (expected 1 to %d)", optarg, MAX_WORKERS);
            o.workers = (int)v;
            break;
        case 'n':
            if (!parse_number(optarg, 0, MAX_TASKS, &v))
                usage_error("invalid number of tasks '%s' (expected 0 to %ld)", optarg, MAX_TASKS);
            o.tasks = (long)v;
            generator_option = true;
            break;
        case 's':
            if (!parse_number(optarg, 0, UINT32_MAX, &v))
                usage_error("invalid seed '%s' (expected 0 to %lu)", optarg, (unsigned long)UINT32_MAX);
            o.seed = (uint32_t)v;
            generator_option = true;
            break;
        case 'i':
            if (!parse_number(optarg, 0, MAX_EVERY, &v))
                usage_error("invalid INVALID_EVERY '%s' (expected 0 to %ld)", optarg, MAX_EVERY);
            o.every = (long)v;
            generator_option = true;
            break;
        case ':':
            usage_error("option -%c needs an argument", optopt);
            break;
        default:
            if (optopt != 0)
                usage_error("unknown option -%c", optopt);
            else
                usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc) {
        if (strcmp(argv[optind], "-") != 0)
            usage_error("unexpected operand '%s'", argv[optind]);
        if (optind + 1 < argc)
            usage_error("unexpected operand '%s'", argv[optind + 1]);
        if (generator_option)
            usage_error("-n, -s and -i generate the tasks: not with '-'");
        o.from_stdin = true;
    }
    return o;
}

/* ------------------------------------------------------------------------- */
/* The tasks (§4): pure computations on the task number                      */
/* ------------------------------------------------------------------------- */

typedef uint64_t (*task_fn)(uint32_t t);

static uint64_t task_square(uint32_t t)   { return (uint64_t)t * t; }
static uint64_t task_triangle(uint32_t t) { return (uint64_t)t * ((uint64_t)t + 1) / 2; }

static uint64_t task_digitsum(uint32_t t)
{
    uint64_t sum = 0;

    for (; t > 0; t /= 10)
        sum += t % 10;
    return sum;
}

static uint64_t task_popcount(uint32_t t)
{
    uint64_t bits = 0;

    for (; t > 0; t &= t - 1)
        bits++;
    return bits;
}

/* The code of a task is its index here; any other code is invalid. */
static const task_fn task_table[] = { task_square, task_triangle, task_digitsum, task_popcount };
#define NTASKFNS ((uint32_t)(sizeof task_table / sizeof task_table[0]))

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static volatile sig_atomic_t child_changed;     /* SIGCHLD: some worker ended */
static volatile sig_atomic_t stop_signal;       /* SIGINT/SIGTERM: its number */

static void on_sigchld(int sig)
{
    (void)sig;
    child_changed = 1;
}

static void on_stop(int sig)
{
    stop_signal = sig;
}

/*
 * No SA_RESTART: a SIGCHLD must interrupt the parent's blocking read() on stdin
 * (or write() to a full pipe) so that a dead worker is reported and reaped at
 * once, not when the next task happens to come. SA_NOCLDSTOP: a worker that is
 * merely stopped (SIGSTOP) has not died.
 */
static int set_signal(int sig, void (*handler)(int), int flags)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    return sigaction(sig, &sa, NULL);
}

/* ------------------------------------------------------------------------- */
/* The worker                                                                */
/* ------------------------------------------------------------------------- */

/* The worker's log: whole lines only, written out before it waits again. */
static char out_buf[16384];
static size_t out_len;

static int out_flush(void)
{
    int rc = write_all(STDOUT_FILENO, out_buf, out_len);

    out_len = 0;
    return rc;
}

static int run_task(int index, long pid, const struct task_msg *m)
{
    uint64_t result;
    int len;

    /* The bounds check is what keeps a bad code from calling through a wild
     * pointer: task_table[4294967295] is far outside the table. */
    if (m->code >= NTASKFNS) {
        msg("worker %d pid %ld task %" PRIu32 ": invalid code %" PRIu32,
            index, pid, m->task, m->code);
        return 0;
    }
    result = task_table[m->code](m->task);
    if (sizeof out_buf - out_len < 128 && out_flush() == -1)
        return -1;
    len = snprintf(out_buf + out_len, sizeof out_buf - out_len,
                   "worker %d pid %ld task %" PRIu32 " code %" PRIu32 " result %" PRIu64 "\n",
                   index, pid, m->task, m->code, result);
    out_len += (size_t)len;
    return 0;
}

/* Read messages until EOF, that is until the parent has closed this worker's
 * pipe and no other process holds its write end. Returns the exit status. */
static int run_worker(int index, int in)
{
    /* A multiple of the message size; whatever read() returns, an incomplete
     * message at the end is kept for the next read. */
    unsigned char buf[4096];
    size_t have = 0;
    long pid = (long)getpid();

    for (;;) {
        ssize_t n = read(in, buf + have, sizeof buf - have);
        size_t off = 0;

        if (n == 0)
            break;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            syserr("read");
            return EXIT_FAILED;
        }
        have += (size_t)n;
        for (; have - off >= sizeof(struct task_msg); off += sizeof(struct task_msg)) {
            struct task_msg m;

            memcpy(&m, buf + off, sizeof m);   /* buf need not be aligned */
            if (run_task(index, pid, &m) == -1) {
                syserr("write");
                return EXIT_FAILED;
            }
        }
        memmove(buf, buf + off, have - off);
        have -= off;
        /* The pipe may be empty now and the next read() may block: the log
         * must be complete while we wait (one write() for the whole batch). */
        if (out_flush() == -1) {
            syserr("write");
            return EXIT_FAILED;
        }
    }
    if (have != 0)
        msg("worker %d pid %ld: %zu stray bytes at the end of the pipe", index, pid, have);
    return EXIT_SUCCESS;
}

/* ------------------------------------------------------------------------- */
/* The parent: the pool                                                      */
/* ------------------------------------------------------------------------- */

struct worker {
    pid_t pid;
    int fd;             /* the write end of its pipe, -1 once closed */
    bool dead;          /* reported as died */
    bool reaped;        /* waitpid() has collected it */
};

struct pool {
    struct worker w[MAX_WORKERS];
    int count;          /* workers started */
    int live;           /* not dead */
    unsigned long dispatched;
    unsigned long redispatched;
    int died;
    bool failed;        /* a system call failed */
};

/* Close the pipe of worker k (the parent's only descriptor for it). */
static void close_pipe(struct pool *p, int k)
{
    if (p->w[k].fd != -1) {
        if (close(p->w[k].fd) == -1) {
            syserr("close");
            p->failed = true;
        }
        p->w[k].fd = -1;
    }
}

/* Worker k is gone before its time: say so once, stop sending it tasks. Its
 * pipe is closed at once; tasks still in it are lost with it (§8). */
static void mark_dead(struct pool *p, int k)
{
    if (p->w[k].dead)
        return;
    p->w[k].dead = true;
    p->live--;
    p->died++;
    msg("worker %d (pid %ld) died", k, (long)p->w[k].pid);
    close_pipe(p, k);
}

static int worker_of(const struct pool *p, pid_t pid)
{
    for (int k = 0; k < p->count; k++)
        if (p->w[k].pid == pid)
            return k;
    return -1;
}

/* After a SIGCHLD: collect every worker that has ended, without blocking.
 * During dispatch any ending is a death: no pipe has been closed yet. */
static void reap_ended(struct pool *p)
{
    /* One SIGCHLD may stand for several deaths (signals do not queue), hence
     * waitpid() until it says 0. And a worker may die while we reap, after
     * that last waitpid() has looked: its SIGCHLD sets the flag again, and
     * we go round once more rather than block in read() with it unseen. The
     * flag is cleared before the waitpid()s, never after them. */
    while (child_changed) {
        child_changed = 0;
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            int k;

            if (pid == 0)
                break;
            if (pid == -1) {
                if (errno == EINTR)
                    continue;
                if (errno != ECHILD) {
                    syserr("waitpid");
                    p->failed = true;
                }
                break;
            }
            k = worker_of(p, pid);
            if (k == -1)
                continue;
            p->w[k].reaped = true;
            mark_dead(p, k);
        }
    }
}

/* Start worker k: its pipe, its process. Returns 0 or -1 (reported). */
static int start_worker(struct pool *p, int k)
{
    int fd[2];
    pid_t pid;

    if (pipe(fd) == -1) {
        syserr("pipe");
        return -1;
    }
    pid = fork();
    if (pid == -1) {
        syserr("fork");
        close(fd[0]);
        close(fd[1]);
        return -1;
    }
    if (pid == 0) {
        int status;

        /* The child inherited the write end of every pipe made so far: the
         * siblings' and its own. Any copy left open here would keep a pipe from
         * ever reading EOF (the sibling's, and its own), so they all go. */
        for (int j = 0; j < k; j++)
            if (p->w[j].fd != -1)
                close(p->w[j].fd);
        close(fd[1]);
        /* The parent ignores SIGPIPE and catches SIGCHLD, SIGINT and SIGTERM;
         * a worker takes the defaults, except SIGINT: a Ctrl-C reaches the whole
         * process group, and the parent is the one that ends the pool. */
        if (set_signal(SIGPIPE, SIG_DFL, 0) == -1 || set_signal(SIGCHLD, SIG_DFL, 0) == -1 ||
            set_signal(SIGTERM, SIG_DFL, 0) == -1 || set_signal(SIGINT, SIG_IGN, 0) == -1) {
            syserr("sigaction");
            _exit(EXIT_FAILED);
        }
        status = run_worker(k, fd[0]);
        if (close(fd[0]) == -1 && status == EXIT_SUCCESS) {
            syserr("close");
            status = EXIT_FAILED;
        }
        /* _exit(): never return into the parent's code, nor run its atexit
         * handlers or flush stdio buffers copied from it. */
        _exit(status);
    }
    /* The read end is the worker's alone: with a copy here, the parent would
     * count as a reader, and a dead worker would never make a write fail. */
    if (close(fd[0]) == -1) {
        syserr("close");
        p->failed = true;
    }
    p->w[k] = (struct worker){ .pid = pid, .fd = fd[1], .dead = false, .reaped = false };
    p->count++;
    p->live++;
    return 0;
}

/*
 * Send task t with code c to worker t mod W, or to the next live one after it if
 * that one has died. Returns 0 when it is in a pipe, -1 when no worker is left
 * or a call failed (reported).
 */
static int dispatch(struct pool *p, uint32_t t, uint32_t code)
{
    struct task_msg m = { .task = t, .code = code };
    int first = (int)(t % (uint32_t)p->count);

    for (;;) {
        int k = first;
        ssize_t n;

        if (child_changed)
            reap_ended(p);
        if (p->live == 0) {
            msg("no live worker left");
            return -1;
        }
        while (p->w[k].dead)
            k = (k + 1) % p->count;
        n = write(p->w[k].fd, &m, sizeof m);
        if (n == (ssize_t)sizeof m) {
            p->dispatched++;
            if (k != first)
                p->redispatched++;
            return 0;
        }
        if (n >= 0) {           /* cannot happen below PIPE_BUF; never silently */
            msg("write: %zd of %zu bytes to worker %d", n, sizeof m, k);
            p->failed = true;
            return -1;
        }
        if (errno == EINTR) {   /* SIGCHLD, or a stop request */
            if (stop_signal)
                return -1;
            continue;
        }
        if (errno == EPIPE) {   /* no reader left: worker k is gone */
            mark_dead(p, k);
            continue;           /* the same task, to the next live worker */
        }
        syserr("write");
        p->failed = true;
        return -1;
    }
}

/* §3: the tasks from the seed. */
static void dispatch_generated(struct pool *p, const struct options *o)
{
    uint32_t x = o->seed % GEN_MODULUS;

    for (long i = 0; i < o->tasks && !stop_signal; i++) {
        uint32_t code;

        x = (GEN_MULTIPLIER * x + GEN_INCREMENT) % GEN_MODULUS;
        code = (o->every > 0 && (i + 1) % o->every == 0) ? NTASKFNS + x : x % NTASKFNS;
        if (dispatch(p, (uint32_t)i, code) == -1)
            return;
    }
}

/* A whole line of stdin (without its newline): a task code, or a report. */
static int handle_line(struct pool *p, const char *line, size_t len, bool too_long,
                       unsigned long lineno, uint32_t *next_task)
{
    char text[65];
    unsigned long long code;

    memcpy(text, line, len);
    text[len] = '\0';
    if (too_long || !parse_digits(line, len, 0, UINT32_MAX, &code)) {
        msg("line %lu: bad task code '%s%s'", lineno, text, too_long ? "..." : "");
        return 0;
    }
    if (dispatch(p, *next_task, (uint32_t)code) == -1)
        return -1;
    (*next_task)++;
    return 0;
}

/*
 * §6: codes from stdin, one per line, each dispatched as soon as its line is
 * complete. read() rather than stdio: a SIGCHLD must make the wait for input
 * return (EINTR) so that the parent can reap and report at once.
 */
static void dispatch_stdin(struct pool *p)
{
    char buf[4096];
    char line[64];              /* longer lines are bad anyway */
    size_t len = 0;
    bool too_long = false;
    unsigned long lineno = 0;
    uint32_t next_task = 0;

    while (!stop_signal) {
        ssize_t n = read(STDIN_FILENO, buf, sizeof buf);

        if (n == -1) {
            if (errno == EINTR) {
                if (child_changed)
                    reap_ended(p);
                continue;
            }
            syserr("read");
            p->failed = true;
            return;
        }
        if (n == 0)
            break;
        for (ssize_t i = 0; i < n; i++) {
            if (buf[i] != '\n') {
                if (len < sizeof line)
                    line[len++] = buf[i];
                else
                    too_long = true;
                continue;
            }
            if (handle_line(p, line, len, too_long, ++lineno, &next_task) == -1)
                return;
            len = 0;
            too_long = false;
        }
        if (child_changed)
            reap_ended(p);
    }
    if ((len > 0 || too_long) && !stop_signal)     /* a last line without newline */
        (void)handle_line(p, line, len, too_long, ++lineno, &next_task);
}

/*
 * §7: end the workers one at a time, in index order: close the pipe of worker
 * k (its EOF), then wait for worker k, then go on. If a sibling held a copy of
 * worker k's write end, worker k would never see EOF and this would hang: the
 * order makes such a leak visible instead of hiding it.
 */
static void shut_down(struct pool *p)
{
    for (int k = 0; k < p->count; k++) {
        int status;
        pid_t r;

        close_pipe(p, k);
        if (p->w[k].reaped)
            continue;
        while ((r = waitpid(p->w[k].pid, &status, 0)) == -1 && errno == EINTR)
            continue;
        if (r == -1) {
            syserr("waitpid");
            p->failed = true;
            continue;
        }
        p->w[k].reaped = true;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
            mark_dead(p, k);
    }
}

int main(int argc, char *argv[])
{
    struct options o = parse_args(argc, argv);
    struct pool p;
    int status;

    memset(&p, 0, sizeof p);

    /* Before the first fork: from the moment a worker exists, its death must be
     * a SIGCHLD we handle and a write to its pipe an EPIPE we handle, never a
     * SIGPIPE that kills the parent and leaves the pool without its reaper. */
    if (set_signal(SIGPIPE, SIG_IGN, 0) == -1 ||
        set_signal(SIGCHLD, on_sigchld, SA_NOCLDSTOP) == -1 ||
        set_signal(SIGINT, on_stop, 0) == -1 || set_signal(SIGTERM, on_stop, 0) == -1) {
        syserr("sigaction");
        return EXIT_FAILED;
    }

    for (int k = 0; k < o.workers && !stop_signal; k++) {
        if (start_worker(&p, k) == -1) {
            p.failed = true;
            break;
        }
    }

    if (!p.failed && !stop_signal) {
        if (o.from_stdin)
            dispatch_stdin(&p);
        else
            dispatch_generated(&p, &o);
    }
    if (p.live == 0 && p.count > 0)
        p.failed = true;        /* tasks could not all be dispatched */

    shut_down(&p);
    msg("dispatched %lu tasks to %d workers, %lu redispatched, %d died",
        p.dispatched, p.count, p.redispatched, p.died);

    if (stop_signal)
        status = 128 + stop_signal;
    else if (p.failed || p.died > 0)
        status = EXIT_FAILED;
    else
        status = EXIT_SUCCESS;
    return status;
}
