/*
 * msgq_client.c - a client of msgq_server: sends requests on the server's
 * System V message queue and prints the replies meant for it.
 *
 *     usage: msgq_client [-k KEYPATH] [OP [ARG...]]
 *
 * With operands, they make one request (joined by single blanks); without,
 * every line of standard input is a request. Each request goes out with mtype
 * 1 and the text "PID REQUEST"; the client then waits for the message of type
 * PID, which only the server sends and only to this client, and prints its
 * text on a line of its own.
 *
 * See exercises/06-sysv-msgq/README.md for the full statement.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG            "msgq_client"
#define DEFAULT_KEYPATH "/tmp/ipclab-msgq"
#define PROJ_ID         'M'

#define REQUEST_TYPE    1L
#define SEND_MAX        4096    /* the longest request text this client sends */
#define REPLY_MAX       1024

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

struct request {
    long mtype;
    char mtext[SEND_MAX];
};

struct reply {
    long mtype;
    char mtext[REPLY_MAX];
};

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

static void msg(const char *fmt, ...)
{
    va_list ap;

    /* stderr is unbuffered: one fprintf, one line. */
    va_start(ap, fmt);
    fputs(PROG ": ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void usage_error(const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    fputs("usage: " PROG " [-k KEYPATH] [OP [ARG...]]\n", stderr);
    exit(EXIT_USAGE);
}

static const char *parse_args(int argc, char *argv[])
{
    const char *keypath = DEFAULT_KEYPATH;
    int opt;

    opterr = 0;
    /* '+': stop at the first operand, so that "div -6 3" keeps its "-6". */
    while ((opt = getopt(argc, argv, "+:k:")) != -1) {
        switch (opt) {
        case 'k':
            if (optarg[0] == '\0')
                usage_error("the key path must not be empty");
            keypath = optarg;
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
    return keypath;
}

/* ------------------------------------------------------------------------- */
/* The queue                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * The server's queue, or -1 after a message. No IPC_CREAT: a client never
 * creates the queue, it would only wait on it forever with nobody serving.
 */
static int open_queue(const char *keypath)
{
    key_t key = ftok(keypath, PROJ_ID);
    int qid;

    if (key == -1) {
        if (errno == ENOENT)
            msg("no server: %s does not exist", keypath);
        else
            msg("ftok: %s: %s", keypath, strerror(errno));
        return -1;
    }
    qid = msgget(key, 0);
    if (qid == -1) {
        if (errno == ENOENT)
            msg("no server: no queue for %s", keypath);
        else
            msg("msgget: %s", strerror(errno));
    }
    return qid;
}

/* The queue was removed (EIDRM while we waited, EINVAL when it was gone
 * before the call): the server has stopped, no reply will ever come. */
static bool queue_gone(int err)
{
    return err == EIDRM || err == EINVAL;
}

/*
 * Send one request (the text is len bytes) and print its reply. Returns 0,
 * or -1 after a message: then no later request can be served either.
 */
static int call(int qid, const char *text, size_t len)
{
    static struct request req;
    static struct reply rep;
    long me = (long)getpid();
    int prefix = snprintf(req.mtext, sizeof req.mtext, "%ld ", me);
    ssize_t n;

    /* The caller checked that it fits. */
    memcpy(req.mtext + prefix, text, len);
    req.mtype = REQUEST_TYPE;

    /* Blocks while the queue is full: that is the flow control. */
    while (msgsnd(qid, &req, (size_t)prefix + len, 0) == -1) {
        if (errno == EINTR)
            continue;
        if (queue_gone(errno))
            msg("the server has gone away: its queue was removed");
        else
            msg("msgsnd: %s", strerror(errno));
        return -1;
    }

    /*
     * Only the type that is our pid: the requests of the other clients
     * (type 1) and their replies (their pids) are left where they are.
     */
    do
        n = msgrcv(qid, &rep, sizeof rep.mtext, me, MSG_NOERROR);
    while (n == -1 && errno == EINTR);
    if (n == -1) {
        if (queue_gone(errno))
            msg("the server has gone away: its queue was removed");
        else
            msg("msgrcv: %s", strerror(errno));
        return -1;
    }
    if (fwrite(rep.mtext, 1, (size_t)n, stdout) != (size_t)n || putchar('\n') == EOF ||
        fflush(stdout) == EOF) {
        msg("write: %s", strerror(errno));
        return -1;
    }
    return 0;
}

/* The request of the operands, joined by single blanks. */
static int call_operands(int qid, int count, char *words[])
{
    static char text[SEND_MAX];
    size_t len = 0;

    for (int i = 0; i < count; i++) {
        size_t wlen = strlen(words[i]);

        if (len + (i > 0) + wlen > SEND_MAX - 16) {
            msg("the request is too long (at most %d bytes)", SEND_MAX - 16);
            return -1;
        }
        if (i > 0)
            text[len++] = ' ';
        memcpy(text + len, words[i], wlen);
        len += wlen;
    }
    return call(qid, text, len);
}

/* One request per line of stdin. Returns the exit status. */
static int call_lines(int qid)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    unsigned long number = 0;
    int status = EXIT_SUCCESS;

    while ((len = getline(&line, &cap, stdin)) != -1) {
        number++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        /* 16 bytes are kept for "PID " (at most 10 digits and a blank). */
        if (len > SEND_MAX - 16) {
            msg("line %lu is too long (at most %d bytes): not sent", number, SEND_MAX - 16);
            status = EXIT_SYSERR;
            continue;
        }
        if (call(qid, line, (size_t)len) == -1) {
            free(line);
            return EXIT_SYSERR;
        }
    }
    if (ferror(stdin)) {
        msg("read: %s", strerror(errno));
        status = EXIT_SYSERR;
    }
    free(line);
    return status;
}

int main(int argc, char *argv[])
{
    const char *keypath = parse_args(argc, argv);
    int qid = open_queue(keypath);

    if (qid == -1)
        return EXIT_SYSERR;
    /* Nothing to close: a msqid is not a file descriptor, and the queue
     * belongs to the server, which removes it. */
    if (optind < argc)
        return call_operands(qid, argc - optind, argv + optind) == -1 ? EXIT_SYSERR : EXIT_SUCCESS;
    return call_lines(qid);
}
