/*
 * task_pool.c - a parent process dispatches numbered tasks to a pool of worker
 * processes, one anonymous pipe per worker; each worker runs the task named by
 * its code from a table of function pointers and logs what it ran.
 *
 *     usage: task_pool [-w WORKERS] [-n TASKS] [-s SEED] [-i INVALID_EVERY]
 *            task_pool [-w WORKERS] -
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
#define MAX_WORKERS     64              /* §2 */
#define DEFAULT_WORKERS 4
#define DEFAULT_TASKS   20
#define DEFAULT_SEED    1

enum { EXIT_FAILED = 1, EXIT_USAGE = 2 };   /* §9 */

/* One message on a worker's pipe (§5): 8 bytes, one write() per task. */
struct task_msg {
    uint32_t task;
    uint32_t code;
};

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/*
 * "task_pool: <message>\n" on stderr with a single write() (§4: whole lines
 * only, up to 65 processes share stderr). Use it for every message.
 */
__attribute__((unused))
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
    if (write(STDERR_FILENO, line, (size_t)len) == -1) {
        /* nowhere left to report it */
    }
}

/* "task_pool: CALL: strerror text" for a failed call; errno holds its error (§9). */
__attribute__((unused))
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/* The fixed usage lines (§2). */
__attribute__((unused))
static void usage(void)
{
    fputs("usage: " PROG " [-w WORKERS] [-n TASKS] [-s SEED] [-i INVALID_EVERY]\n"
          "       " PROG " [-w WORKERS] -\n", stderr);
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

/*
 * TODO (§2): parse the options with getopt(3) (optstring starting with ':',
 * opterr = 0). Numbers: digits only, in the ranges of §2's table. The operand
 * "-" selects standard input; -n, -s or -i together with "-" is an error, and
 * so is any other operand. On any error: one line saying what is wrong, then
 * usage(), then exit(EXIT_USAGE), before any pipe or fork.
 */
__attribute__((unused))
static struct options parse_args(int argc, char *argv[])
{
    struct options o = { DEFAULT_WORKERS, DEFAULT_TASKS, DEFAULT_SEED, 0, false };

    (void)argc;
    (void)argv;
    return o;
}

/* ------------------------------------------------------------------------- */
/* The tasks (§4)                                                            */
/* ------------------------------------------------------------------------- */

typedef uint64_t (*task_fn)(uint32_t t);

/* TODO (§4): the four functions: square, triangle, digitsum, popcount. */
static uint64_t task_square(uint32_t t)
{
    (void)t;
    return 0;
}

/* The code of a task is its index here; any other code is invalid (§4). */
static const task_fn task_table[] = { task_square /* , task_triangle, ... */ };
#define NTASKFNS ((uint32_t)(sizeof task_table / sizeof task_table[0]))

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static volatile sig_atomic_t child_changed;     /* set by the SIGCHLD handler */

/* TODO (§8): the SIGCHLD handler: set child_changed, nothing else. Install it
 * with sigaction(), SA_NOCLDSTOP and without SA_RESTART. */
__attribute__((unused))
static void on_sigchld(int sig)
{
    (void)sig;
}

/* ------------------------------------------------------------------------- */
/* The worker                                                                */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§4, §5): everything worker `index` does after the fork, reading the read
 * end `in` of its pipe; main() passes the return value to _exit().
 * - Read in chunks; handle every complete 8-byte message (keep an incomplete
 *   one for the next read); retry after EINTR; stop when read() returns 0.
 * - A valid code: run task_table[code](task) and log
 *   "worker K pid P task T code C result R" on stdout.
 *   An invalid code (>= NTASKFNS): the stderr line of §4, and nothing else.
 * - Write the log in whole lines, and everything before the next read().
 * - Close `in` at the end; return 0 (or EXIT_FAILED if writing failed).
 */
__attribute__((unused))
static int run_worker(int index, int in)
{
    (void)index;
    (void)in;
    (void)task_table;
    return EXIT_FAILED;
}

/* ------------------------------------------------------------------------- */
/* The parent                                                                */
/* ------------------------------------------------------------------------- */

struct worker {
    pid_t pid;
    int fd;             /* the write end of its pipe, -1 once closed */
    bool dead;          /* reported as died (§8) */
    bool reaped;        /* waitpid() has collected it */
};

struct pool {
    struct worker w[MAX_WORKERS];
    int count;          /* workers started */
    int live;           /* not dead */
    unsigned long dispatched, redispatched;     /* for the summary (§7) */
    int died;
    bool failed;        /* a system call failed */
};

/*
 * TODO (§5): start worker k: pipe(), fork().
 * - In the child: close the write ends of workers 0..k-1 (p->w[j].fd) and its
 *   own write end; SIGPIPE back to SIG_DFL, SIGINT ignored (§9); then
 *   _exit(run_worker(k, read end)).
 * - In the parent: close the read end; store pid and write end in p->w[k].
 */
__attribute__((unused))
static int start_worker(struct pool *p, int k)
{
    (void)p;
    (void)k;
    return -1;
}

/*
 * TODO (§8): after a SIGCHLD: clear the flag, then waitpid(-1, &st, WNOHANG)
 * until it returns 0 or -1. For each worker found: mark it reaped and, the first
 * time, report "worker K (pid P) died", mark it dead, close its write end.
 */
__attribute__((unused))
static void reap_ended(struct pool *p)
{
    (void)p;
}

/*
 * TODO (§5, §8): send task t (code) to worker t mod W, or to the next live one.
 * One write() of the 8-byte struct. EINTR: handle SIGCHLD, try again. EPIPE:
 * the worker is dead (report once), try the next live worker. No live worker
 * left: the message of §8, return -1.
 */
__attribute__((unused))
static int dispatch(struct pool *p, uint32_t t, uint32_t code)
{
    (void)p;
    (void)t;
    (void)code;
    return -1;
}

/* TODO (§3): the generator, one dispatch() per task. */
__attribute__((unused))
static void dispatch_generated(struct pool *p, const struct options *o)
{
    (void)p;
    (void)o;
}

/*
 * TODO (§6): read() standard input, cut it into lines, dispatch each valid line
 * at once, report each bad line. EINTR: handle SIGCHLD (§8), read again.
 */
__attribute__((unused))
static void dispatch_stdin(struct pool *p)
{
    (void)p;
}

/*
 * TODO (§7): for K = 0 to count-1, in order: close the write end of pipe K,
 * then (unless already reaped) waitpid() for worker K; a worker that did not
 * exit with status 0 died (§8).
 */
__attribute__((unused))
static void shut_down(struct pool *p)
{
    (void)p;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. struct options o = parse_args(argc, argv);
     *   2. SIGPIPE ignored, on_sigchld installed for SIGCHLD (§8), before any fork;
     *   3. start_worker() for k = 0 .. o.workers-1 (on failure: shut_down, exit 1);
     *   4. dispatch_stdin() or dispatch_generated();
     *   5. shut_down(), the summary line of §7, the exit status of §9.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_FAILED;
}
