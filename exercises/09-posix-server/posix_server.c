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

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §7 */

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

/*
 * TODO (§2): parse -n PREFIX (default DEFAULT_PREFIX). PREFIX: a '/', then 1
 * to PREFIX_MAX - 1 bytes, none of them '/'. Bad arguments: one line saying
 * what is wrong, then "usage: posix_server [-n PREFIX]", exit 2, before
 * anything is created.
 *
 * TODO (§7): install the handlers with sigaction(), sa_flags = 0 (no
 * SA_RESTART: hint 5): SIGINT and SIGTERM set a flag; SIGCHLD reaps every
 * ended handler with waitpid(-1, ..., WNOHANG) in a loop (hint 4); SIGPIPE
 * ignored.
 *
 * TODO (§3): create the shared memory object PREFIX (shm_open O_CREAT|O_EXCL,
 * ftruncate to sizeof(struct conn_area), mmap, close the descriptor), the
 * semaphores PREFIX-ready and PREFIX-conn (sem_open O_CREAT|O_EXCL, value 0),
 * and a pipe whose read end does not block. Then print the readiness line
 * (§6) and post PREFIX-ready.
 *
 * TODO (§5, §6): the main loop: sem_wait(PREFIX-conn); after every return
 * (EINTR included) look at the stop flag and at the pipe (kill_server); if a
 * client wrote the area, copy it, clear it, fork a handler, post PREFIX-ready.
 *
 * TODO (§5, §6): the handler: open the client's queues, send "hello HPID",
 * then answer each request; wait with mq_timedreceive() and check
 * kill(clientpid, 0) on every timeout (hint 3). When the session ends, for
 * whatever reason, mq_unlink() both queues and close everything.
 *
 * TODO (§7): on kill_server, SIGINT or SIGTERM: unlink the shared memory
 * object and both semaphores, SIGTERM every handler, wait for each one, close
 * everything, exit 0.
 */
int main(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
