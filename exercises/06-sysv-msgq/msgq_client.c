/*
 * msgq_client.c - a client of msgq_server: sends requests on the server's
 * System V message queue and prints the replies meant for it.
 *
 *     usage: msgq_client [-k KEYPATH] [OP [ARG...]]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. Fill in the
 * functions below, then replace the body of main(). Remove an
 * __attribute__((unused)) once the function is called.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG            "msgq_client"
#define DEFAULT_KEYPATH "/tmp/ipclab-msgq"   /* §2 */
#define PROJ_ID         'M'                  /* §2 */

#define REQUEST_TYPE    1L      /* §4 */
#define SEND_MAX        4096    /* "PID " (at most 16 bytes) + a line of at most 4080 */
#define REPLY_MAX       1024

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };   /* §7 */

struct request {
    long mtype;
    char mtext[SEND_MAX];
};

struct reply {
    long mtype;
    char mtext[REPLY_MAX];
};

/*
 * TODO (§2): return KEYPATH (DEFAULT_KEYPATH without -k); the operands start
 * at optind afterwards. Start the optstring with "+:" so that parsing stops
 * at the first operand ("div -9 2"). Bad arguments: a line, then "usage:
 * msgq_client [-k KEYPATH] [OP [ARG...]]", exit(EXIT_USAGE).
 */
__attribute__((unused))
static const char *parse_args(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    return DEFAULT_KEYPATH;
}

/*
 * TODO (§4, hint 1): ftok(keypath, PROJ_ID), then msgget(key, 0) (never
 * IPC_CREAT). Return the msqid, or -1 after the message of §4's table
 * (ENOENT from ftok: "no server: KEYPATH does not exist"; ENOENT from msgget:
 * "no server: no queue for KEYPATH").
 */
__attribute__((unused))
static int open_queue(const char *keypath)
{
    (void)keypath;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§4, hints 2 and 5): one request of len bytes.
 * - req.mtype = REQUEST_TYPE, req.mtext = "PID " then the text; msgsnd()
 *   with the length of mtext only (EINTR: again).
 * - msgrcv(qid, &rep, sizeof rep.mtext, getpid(), MSG_NOERROR) (EINTR: again).
 * - print the reply text and one newline on stdout, flushed.
 * - EIDRM or EINVAL from either call: "msgq_client: the server has gone
 *   away: its queue was removed", return -1.
 */
__attribute__((unused))
static int call(int qid, const char *text, size_t len)
{
    (void)qid;
    (void)text;
    (void)len;
    return -1;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1, §4): parse_args(); qid = open_queue(keypath) (exit 1 if -1);
     * then either one call() with the operands joined by single blanks, or
     * one call() per line of stdin (getline; strip the newline; refuse a line
     * longer than 4080 bytes). Exit 0, or 1 (§4's table).
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
