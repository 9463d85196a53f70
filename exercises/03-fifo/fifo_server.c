/*
 * fifo_server.c - a server that reads the messages of any number of clients
 * from one named pipe (FIFO) and prints them on standard output.
 *
 *     usage: fifo_server [-p PATH] [-m MODE]
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
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG         "fifo_server"
#define DEFAULT_PATH "/tmp/ipclab-fifo"     /* §2 */
#define DEFAULT_MODE 0600                   /* §2 */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §7 */

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "fifo_server: CALL: PATH: strerror text" for a failed call on the path (§7). */
__attribute__((unused))
static void syserr_path(const char *call, const char *path)
{
    fprintf(stderr, "%s: %s: %s: %s\n", PROG, call, path, strerror(errno));
}

/* "fifo_server: CALL: strerror text" for any other failed call (§7). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    const char *path;
    mode_t mode;
};

/*
 * TODO (§2): parse -p PATH and -m MODE with getopt(3) (optstring ":p:m:",
 * opterr = 0). MODE: octal digits only, at most 0777, with 0600 set. On any
 * error: one line saying what is wrong, then
 *     usage: fifo_server [-p PATH] [-m MODE]
 * on stderr, and exit(EXIT_USAGE): before anything is created.
 */
__attribute__((unused))
static struct options parse_args(int argc, char *argv[])
{
    struct options o = { .path = DEFAULT_PATH, .mode = DEFAULT_MODE };

    (void)argc;
    (void)argv;
    return o;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§6): make SIGINT and SIGTERM end the main loop, so that main() can
 * remove the FIFO and exit 0. Set this up before the FIFO is created.
 * Two ways (hint 4):
 * - a handler installed with sigaction(2), without SA_RESTART, that only sets
 *   a volatile sig_atomic_t flag; the blocked read() then fails with EINTR
 *   and the loop looks at the flag;
 * - or block both signals (sigprocmask) and read them from a signalfd(2)
 *   that poll(2) watches next to the FIFO.
 */

/* ------------------------------------------------------------------------- */
/* The FIFO                                                                  */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§3): make path a FIFO with exactly the permissions mode; return 0, or
 * -1 after printing why.
 * - mkfifo(3) applies the umask: clear it around the call (umask(2)) or
 *   chmod(2) afterwards.
 * - EEXIST: lstat(2) what is there. Not a FIFO: "PATH exists and is not a
 *   FIFO", -1, and touch nothing. A FIFO: is a server reading it? (hint 5)
 *   Yes: "another server is already reading PATH", -1. No: reuse it, with the
 *   notice "reusing the FIFO PATH left by an earlier run".
 * - Any other error: syserr_path("mkfifo", path), -1.
 */
__attribute__((unused))
static int create_fifo(const char *path, mode_t mode)
{
    (void)path;
    (void)mode;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§3): open the FIFO for reading, and once more for writing, without
 * blocking for a client (hint 2). Return 0, or -1 after printing why, with
 * nothing left open. Why the write end, which is never written to: §3.
 */
__attribute__((unused))
static int open_fifo(const char *path, int *read_fd, int *write_fd)
{
    (void)path;
    (void)read_fd;
    (void)write_fd;
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------------- */
/* Serving                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§5): until SIGINT or SIGTERM: wait for data (blocked, no CPU used),
 * read() it, and write every complete line to stdout at once (write(2), or
 * stdio with fflush). Keep an incomplete line until the rest of it comes.
 * read() returning 0 must not happen (§3); EINTR: look at the stop flag.
 * Return 0 when a signal asked to stop, -1 after printing why on an error.
 */
__attribute__((unused))
static int serve(int read_fd)
{
    (void)read_fd;
    return -1;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. o = parse_args(argc, argv);
     *   2. set up SIGINT and SIGTERM (§6);
     *   3. create_fifo(), then open_fifo(); on failure exit 1, and remove the
     *      FIFO only if this run created (or took over) it;
     *   4. print "fifo_server: listening on PATH" on stderr (§5);
     *   5. serve();
     *   6. on every way out: unlink() the FIFO, close every descriptor, and
     *      exit 0 after a signal, 1 after an error (§6, §7).
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
