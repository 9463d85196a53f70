/*
 * pipe_relay.c - forward standard input to a child process through an anonymous
 * pipe; the child numbers the lines exactly like `cat -n` and reports what it
 * relayed.
 *
 *     usage: pipe_relay [-b BUFSIZE]
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
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG            "pipe_relay"
#define DEFAULT_BUFSIZE 4096L           /* §2: -b BUFSIZE when not given */
#define MAX_BUFSIZE     1048576L        /* §2: the largest BUFSIZE accepted */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §5 */

/* Set by the SIGUSR1 handler, checked and cleared by the parent's main loop (§6). */
static volatile sig_atomic_t progress_requested;

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "pipe_relay: CALL: strerror text" for a failed call; errno holds its error (§7). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* The fixed usage line (§7). */
__attribute__((unused))
static void usage(void)
{
    fputs("usage: " PROG " [-b BUFSIZE]\n", stderr);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§2, §7): return the BUFSIZE to use, DEFAULT_BUFSIZE without -b.
 * - Parse the options with getopt(3). Give it an optstring that starts with
 *   ':' and set opterr = 0, so that you print your own messages.
 * - BUFSIZE: digits only, no sign, no blank, nothing after the number, from 1
 *   to MAX_BUFSIZE. strtol(3) alone is not enough: it skips leading blanks,
 *   accepts a sign, and stops quietly at the first non-digit (check its end
 *   pointer and errno).
 * - After the options, optind must equal argc: any operand is an error.
 * - On any error: one line saying what is wrong, then usage(), then
 *   exit(EXIT_USAGE). This runs before pipe() and fork().
 */
__attribute__((unused))
static size_t parse_args(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    return (size_t)DEFAULT_BUFSIZE;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§6): the SIGUSR1 handler. Only set progress_requested; no printf, no
 * other library call (signal-safety(7)).
 * Install it in main(), before pipe() and fork(), with sigaction(2) and
 * sa_flags = 0: no SA_RESTART, so that a read(), write() or waitpid() blocked
 * in the parent returns (EINTR or a short count) and the loop can report.
 * The parent's loops then print "pipe_relay: forwarded N bytes" whenever they
 * find the flag set, and clear it.
 */
__attribute__((unused))
static void on_sigusr1(int sig)
{
    (void)sig;
}

/* ------------------------------------------------------------------------- */
/* Writing                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§3, §6): write all len bytes of buf to fd. Return 0, or -1 with errno
 * set.
 * - write() may write fewer bytes than asked: go on with the rest.
 * - write() may fail with EINTR when a signal arrives: try again.
 * - Any other failure (EPIPE included) returns -1; the caller decides.
 * - forwarded: NULL, or (in the parent's relay loop) the running count of bytes
 *   put into the pipe. Add every successful write() to it, and after every
 *   write() returns, serve a pending SIGUSR1 report, so that the report is
 *   exact and prompt even while the pipe is full.
 */
__attribute__((unused))
static int write_all(int fd, const char *buf, size_t len, uintmax_t *forwarded)
{
    (void)fd;
    (void)buf;
    (void)len;
    (void)forwarded;
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------------- */
/* The child                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§4, §7): read the pipe (descriptor in) until read() returns 0, and
 * write the data to standard output with every line numbered like `cat -n`.
 * - The number: the same bytes as printf("%6ld\t", n); lines count from 1.
 * - Binary-safe: the data is bytes with a length, not a string; find the
 *   newlines with memchr(3).
 * - A line may be cut between two reads: remember whether the next byte
 *   starts a line. A last line without a newline is numbered, nothing added.
 * - Count the lines numbered and the bytes read.
 * - At EOF write "pipe_relay: relayed L lines, B bytes" to stderr and return 0.
 * - If read() or the write to stdout fails: syserr("read") or syserr("write"),
 *   return EXIT_SYSERR, no report.
 * - If you buffer the output (a good idea: not one write() per line), flush
 *   it after each read from the pipe, and check the result.
 */
__attribute__((unused))
static int relay_numbered(int in)
{
    (void)in;
    return EXIT_SYSERR;
}

/*
 * TODO (§3, §6, §8): everything the child does; main() passes the return value
 * to _exit().
 * - Close the write end pipe_fd[1] first: otherwise read() never sees EOF.
 * - Put SIGPIPE and SIGUSR1 back to SIG_DFL (dispositions are inherited from
 *   the parent, and an ignored SIGPIPE from whoever started us).
 * - relay_numbered(pipe_fd[0]), then close pipe_fd[0]: nothing but 0, 1, 2 may
 *   be open at exit.
 */
__attribute__((unused))
static int run_child(int pipe_fd[2])
{
    (void)pipe_fd;
    return EXIT_SYSERR;
}

/* ------------------------------------------------------------------------- */
/* The parent                                                                */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§5): wait for the child and return the status to exit with.
 * - waitpid(child, &status, 0); on EINTR serve a pending SIGUSR1 report (the
 *   bytes forwarded so far are final by now) and call it again.
 * - WIFEXITED: WEXITSTATUS(status). WIFSIGNALED: 128 + WTERMSIG(status).
 * - waitpid() failing otherwise: syserr("waitpid"), EXIT_SYSERR.
 */
__attribute__((unused))
static int wait_for_child(pid_t child, uintmax_t forwarded)
{
    (void)child;
    (void)forwarded;
    return EXIT_SYSERR;
}

/*
 * TODO (§3, §5, §6, §7, §8): everything the parent does after the fork; main()
 * returns its value.
 * - Close the read end pipe_fd[0] (else a dead child never makes write() fail).
 * - Ignore SIGPIPE (SIG_IGN): a dead child then shows up as EPIPE.
 * - Allocate a buffer of bufsize bytes; loop: read() stdin into it (EINTR:
 *   again; 0: end of input), write_all() the chunk into pipe_fd[1], counting
 *   the bytes forwarded. Serve a pending SIGUSR1 report after every read().
 *   EPIPE from write_all(): stop forwarding, it is not an error.
 * - On every path: free the buffer, close pipe_fd[1] (this is the child's EOF),
 *   and only then wait_for_child().
 * - Return the child's status, or EXIT_SYSERR if the parent itself failed.
 */
__attribute__((unused))
static int run_parent(int pipe_fd[2], pid_t child, size_t bufsize)
{
    (void)pipe_fd;
    (void)child;
    (void)bufsize;
    return EXIT_SYSERR;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. bufsize = parse_args(argc, argv);
     *   2. install on_sigusr1 for SIGUSR1 (sigaction, no SA_RESTART);
     *   3. pipe(pipe_fd), then child = fork(); check both (§7: before the fork
     *      a failure is reported and the program exits 1);
     *   4. in the child:  _exit(run_child(pipe_fd));
     *      in the parent: return run_parent(pipe_fd, child, bufsize);
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
