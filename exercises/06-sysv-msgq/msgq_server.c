/*
 * msgq_server.c - a request/response server on one System V message queue.
 *
 *     usage: msgq_server [-k KEYPATH]
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
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG            "msgq_server"
#define DEFAULT_KEYPATH "/tmp/ipclab-msgq"   /* §2 */
#define PROJ_ID         'M'                  /* §2: ftok(KEYPATH, 'M') */

#define REQUEST_TYPE    1L      /* §4: the mtype of every request */
#define REQUEST_MAX     512     /* §5: the longest request text served */
#define REPLY_MAX       1024

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };   /* §7 */

/* §4: a long type, then the bytes. msgsz counts mtext only. One byte more
 * than REQUEST_MAX tells "exactly 512" from "longer" (§5, hint 3). */
struct request {
    long mtype;
    char mtext[REQUEST_MAX + 1];
};

struct reply {
    long mtype;
    char mtext[REPLY_MAX];
};

/* Set by the handlers (§6), acted upon by the main loop. */
static volatile sig_atomic_t stop_signal;       /* SIGINT or SIGTERM, 0 if none */
static volatile sig_atomic_t stats_requested;   /* SIGUSR1 */

/* "msgq_server: CALL: strerror text" for a failed call (§7). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2): return KEYPATH (DEFAULT_KEYPATH without -k).
 * - getopt(3) with an optstring starting with ':' and opterr = 0.
 * - An empty KEYPATH, an unknown option, a missing argument, any operand:
 *   one line saying what is wrong, then "usage: msgq_server [-k KEYPATH]",
 *   exit(EXIT_USAGE), before anything is created.
 */
__attribute__((unused))
static const char *parse_args(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    return DEFAULT_KEYPATH;
}

/*
 * TODO (§6): the handlers only set the flags above. Install them in main()
 * with sigaction(2), sa_flags = 0, for SIGINT, SIGTERM and SIGUSR1, before
 * the queue is created.
 */
__attribute__((unused))
static void on_stop(int sig)
{
    (void)sig;
}

__attribute__((unused))
static void on_sigusr1(int sig)
{
    (void)sig;
}

/*
 * TODO (§3, hint 1): return ftok(keypath, PROJ_ID), or -1 after a message.
 * If ftok() fails with ENOENT, create an empty file at keypath
 * (open O_WRONLY | O_CREAT | O_EXCL, 0600; EEXIST is fine), close it, and
 * call ftok() again.
 */
__attribute__((unused))
static key_t make_key(const char *keypath)
{
    (void)keypath;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§3, hint 1): msgget(key, IPC_CREAT | IPC_EXCL | 0600). On EEXIST,
 * write the refusal of §3 (the existing msqid from msgget(key, 0)) and
 * return -1 without removing anything.
 */
__attribute__((unused))
static int create_queue(key_t key, const char *keypath)
{
    (void)key;
    (void)keypath;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§5): the reply text for one request line (len bytes, not
 * NUL-terminated: the text of a message is bytes with a length). Write it to
 * out (at most REPLY_MAX bytes, no newline), return its length, and set
 * *is_error for an error reply. The table of §5 gives every reply.
 */
__attribute__((unused))
static size_t answer(const char *line, size_t len, char *out, bool *is_error)
{
    (void)line;
    (void)len;
    *is_error = true;
    memcpy(out, "error not implemented", 21);
    return 21;
}

/*
 * TODO (§4, §5, §6): serve until stop_signal is set.
 * Loop:
 * - if stats_requested: clear it, print "msgq_server: served N requests,
 *   E error replies" (§6);
 * - n = msgrcv(qid, &req, sizeof req.mtext, REQUEST_TYPE, MSG_NOERROR)
 *   (hint 3). n == -1 with EINTR: continue (hint 4). EIDRM/EINVAL: the queue
 *   was removed (§7). Anything else: report, stop.
 * - read the pid at the start of the text (digits, one blank); none: the
 *   "malformed request dropped" line, continue (§4).
 * - rep.mtype = that pid (hint 2); the reply is "error request too long (at
 *   most 512 bytes)" when n > REQUEST_MAX, else answer(...).
 * - msgsnd(qid, &rep, length, 0); on EINTR send again, unless stop_signal.
 * - count the replies and the error replies.
 */
__attribute__((unused))
static int serve(int qid)
{
    (void)qid;
    return -1;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. keypath = parse_args(argc, argv);
     *   2. the three handlers (§6);
     *   3. key = make_key(keypath); qid = create_queue(key, keypath); exit 1
     *      if either fails;
     *   4. "msgq_server: queue MSQID ready for KEYPATH" on stderr (§5);
     *   5. serve(qid);
     *   6. msgctl(qid, IPC_RMID, NULL) (hint 5), then "msgq_server: SIGTERM
     *      received: queue MSQID removed" (or SIGINT), exit 0 (§6); after an
     *      error, remove the queue too and exit 1 (§3, §7).
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
