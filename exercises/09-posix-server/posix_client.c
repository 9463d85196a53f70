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

/* "posix_client: CALL: strerror text" for a failed call. */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2): parse -n PREFIX and -t SECONDS (1 to 3600); bad arguments: a
 * line, then "usage: posix_client [-n PREFIX] [-t SECONDS]", exit 2.
 *
 * TODO (§4): open PREFIX-ready, PREFIX-conn (sem_open without O_CREAT) and
 * PREFIX (shm_open O_RDWR, mmap): ENOENT means "no server" (hint 1).
 *
 * TODO (§3, §4): create your queues PREFIX-PID-req and PREFIX-PID-resp
 * (mq_open O_CREAT|O_EXCL, mq_maxmsg QUEUE_MAXMSG, mq_msgsize MESSAGE_MAX).
 *
 * TODO (§4): sem_timedwait(PREFIX-ready) with a deadline of SECONDS, write
 * the area, sem_post(PREFIX-conn), wait (mq_timedreceive, same bound) for
 * "hello HPID", print "posix_client: connected (handler HPID)" on stderr.
 *
 * TODO (§4, §5): one request per line of stdin, one response per line of
 * stdout; stop after disconnect or kill_server; at EOF send disconnect.
 * While waiting, check kill(HPID, 0) once a second.
 *
 * TODO (§4, §8): on every way out, mq_close() and mq_unlink() your queues,
 * munmap(), sem_close(), free getline's buffer.
 */
int main(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
