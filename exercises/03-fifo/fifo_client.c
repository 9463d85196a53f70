/*
 * fifo_client.c - send the lines of standard input to a fifo_server through
 * its named pipe, one message per line.
 *
 *     usage: fifo_client [-p PATH]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. Fill in the
 * functions below, then replace the body of main() (its comment gives the
 * order). Remove an __attribute__((unused)) once the function is called.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>             /* PIPE_BUF */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG         "fifo_client"
#define DEFAULT_PATH "/tmp/ipclab-fifo"     /* §2 */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §7 */

/* "fifo_client: CALL: strerror text" for a failed call (§7). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2): parse -p PATH with getopt(3) (optstring ":p:", opterr = 0).
 * On any error: one line saying what is wrong, then
 *     usage: fifo_client [-p PATH]
 * on stderr, and exit(EXIT_USAGE).
 */
__attribute__((unused))
static const char *parse_args(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    return DEFAULT_PATH;
}

/*
 * TODO (§4): open path for writing and return the descriptor, or -1 after
 * printing why. Never block when no server is there (hint 5):
 * - ENOENT: "no server: PATH does not exist";
 * - ENXIO:  "no server is reading PATH";
 * - not a FIFO (fstat(2)): "PATH is not a FIFO", and write nothing into it.
 * Then make the descriptor blocking again (fcntl(2), F_GETFL / F_SETFL).
 */
__attribute__((unused))
static int connect_to_server(const char *path)
{
    (void)path;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§4): read stdin line by line (getline(3)) and send each line as
 * "[PID] text\n" with ONE write() (hint 3). A message longer than PIPE_BUF
 * bytes is not sent: print "line N is too long (L bytes with its prefix, at
 * most 4096): not sent" and go on with the next line. EPIPE from write():
 * "the server has gone away", stop. Return the exit status (§7).
 */
__attribute__((unused))
static int send_lines(int fd)
{
    (void)fd;
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. path = parse_args(argc, argv);
     *   2. ignore SIGPIPE (sigaction, SIG_IGN): a server that is gone must show
     *      up as EPIPE from write(), not kill the client (hint 6);
     *   3. fd = connect_to_server(path); -1: exit 1;
     *   4. status = send_lines(fd); close(fd); free what you allocated;
     *      return status.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
