/*
 * msgq_server.c - a request/response server on one System V message queue.
 *
 *     usage: msgq_server [-k KEYPATH]
 *
 * The server makes the key ftok(KEYPATH, 'M') (default KEYPATH:
 * /tmp/ipclab-msgq, created empty if missing), creates a new queue with that
 * key, and answers requests until SIGINT or SIGTERM, when it removes the queue
 * and exits 0. Clients send their requests with mtype 1 and their pid at the
 * start of the text; each reply goes back with mtype = that pid, so every
 * client receives only its own replies although all of them share the queue.
 * SIGUSR1 prints how many requests were served.
 *
 * See exercises/06-sysv-msgq/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG            "msgq_server"
#define DEFAULT_KEYPATH "/tmp/ipclab-msgq"
#define PROJ_ID         'M'

#define REQUEST_TYPE    1L      /* every request; pid 1 (init) is never a client */
#define REQUEST_MAX     512     /* largest request text, PID prefix included */
#define REPLY_MAX       1024    /* largest reply text (always enough: see below) */
#define NUMBER_LIMIT    1000000000L

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/*
 * A message as msgsnd()/msgrcv() see it: a long type, then the bytes. msgsz
 * counts the bytes only, never the type. One byte more than REQUEST_MAX lets
 * us tell "exactly REQUEST_MAX" from "longer, and cut by MSG_NOERROR".
 */
struct request {
    long mtype;
    char mtext[REQUEST_MAX + 1];
};

struct reply {
    long mtype;
    char mtext[REPLY_MAX];
};

/* Set by the handlers, acted upon by the main loop. */
static volatile sig_atomic_t stop_signal;       /* SIGINT or SIGTERM, 0 if none */
static volatile sig_atomic_t stats_requested;   /* SIGUSR1 */

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "msgq_server: <message>\n" on stderr, in one write(). */
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
    /* A write() to stderr interrupted by SIGUSR1 is tried again. */
    for (const char *p = line; len > 0;) {
        ssize_t n = write(STDERR_FILENO, p, (size_t)len);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return;         /* nowhere left to report it */
        }
        p += n;
        len -= (int)n;
    }
}

/* "msgq_server: CALL: strerror text"; errno holds the call's error. */
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

static void usage_error(const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    fputs("usage: " PROG " [-k KEYPATH]\n", stderr);
    exit(EXIT_USAGE);
}

static const char *parse_args(int argc, char *argv[])
{
    const char *keypath = DEFAULT_KEYPATH;
    int opt;

    opterr = 0;     /* our own messages, with a fixed program name */
    while ((opt = getopt(argc, argv, ":k:")) != -1) {
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
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    return keypath;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static void on_stop(int sig)
{
    stop_signal = sig;
}

static void on_sigusr1(int sig)
{
    (void)sig;
    stats_requested = 1;
}

/*
 * Handlers that only set a flag. sa_flags = 0 (no SA_RESTART) says what we
 * want, but msgrcv() and msgsnd() ignore SA_RESTART anyway: signal(7) lists
 * them among the calls that always fail with EINTR when a handler ran. So
 * every call on the queue must expect EINTR, look at the flags, and go on.
 */
static int set_handler(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}

/* ------------------------------------------------------------------------- */
/* The queue                                                                 */
/* ------------------------------------------------------------------------- */

/*
 * The key of KEYPATH. ftok() mixes the file's inode and device numbers with
 * the project id, so the file must exist: if nothing is there we create an
 * empty file (never truncating or removing anything). Returns -1 after a
 * message on failure.
 */
static key_t make_key(const char *keypath)
{
    key_t key = ftok(keypath, PROJ_ID);

    if (key == -1 && errno == ENOENT) {
        int fd = open(keypath, O_WRONLY | O_CREAT | O_EXCL, 0600);

        if (fd == -1 && errno != EEXIST) {      /* EEXIST: someone was quicker */
            msg("open: %s: %s", keypath, strerror(errno));
            return -1;
        }
        if (fd != -1 && close(fd) == -1) {
            syserr("close");
            return -1;
        }
        key = ftok(keypath, PROJ_ID);
    }
    if (key == -1)
        msg("ftok: %s: %s", keypath, strerror(errno));
    return key;
}

/*
 * A new queue for the key: IPC_EXCL, because a queue that already exists
 * belongs to another server (or was left by one that was killed): taking it
 * over would mean two servers answering the same clients, and the first one
 * to stop would remove the queue under the other.
 */
static int create_queue(key_t key, const char *keypath)
{
    int qid = msgget(key, IPC_CREAT | IPC_EXCL | 0600);

    if (qid == -1 && errno == EEXIST) {
        int other = msgget(key, 0);

        msg("a queue already exists for %s (msqid %d): another server is running, "
            "or a killed one left it (remove it with: ipcrm -q %d)", keypath, other, other);
        return -1;
    }
    if (qid == -1)
        syserr("msgget");
    return qid;
}

static int remove_queue(int qid)
{
    if (msgctl(qid, IPC_RMID, NULL) == -1) {
        syserr("msgctl(IPC_RMID)");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Requests                                                                  */
/* ------------------------------------------------------------------------- */

/*
 * An integer argument: an optional '-', then 1 to 10 digits, nothing else, at
 * most NUMBER_LIMIT in size (so that a sum never overflows a long).
 */
static bool parse_number(const char *s, size_t len, long *value)
{
    bool negative = len > 0 && s[0] == '-';
    size_t i = negative ? 1 : 0;
    long v = 0;

    if (len == i || len - i > 10)
        return false;
    for (; i < len; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (s[i] - '0');
    }
    if (v > NUMBER_LIMIT)
        return false;
    *value = negative ? -v : v;
    return true;
}

/* "A B": two numbers separated by exactly one blank. */
static bool parse_two_numbers(const char *args, size_t len, long *a, long *b)
{
    const char *blank = memchr(args, ' ', len);

    if (blank == NULL)
        return false;
    return parse_number(args, (size_t)(blank - args), a) &&
           parse_number(blank + 1, len - (size_t)(blank - args) - 1, b);
}

/*
 * Compute the reply text for the request line (len bytes, not NUL-terminated:
 * a message is bytes with a length). Returns its length; *is_error tells
 * whether it is an error reply. The longest reply is "ok " followed by an
 * upper-cased text shorter than REQUEST_MAX, or an error that quotes an
 * operation shorter than REQUEST_MAX: both fit in REPLY_MAX.
 */
static size_t answer(const char *line, size_t len, char *out, bool *is_error)
{
    const char *blank = memchr(line, ' ', len);
    size_t oplen = blank != NULL ? (size_t)(blank - line) : len;
    const char *args = blank != NULL ? blank + 1 : line + len;
    size_t argslen = blank != NULL ? len - oplen - 1 : 0;
    long a, b;
    int n;

    *is_error = false;
    if (oplen == 3 && memcmp(line, "add", 3) == 0) {
        if (blank == NULL || !parse_two_numbers(args, argslen, &a, &b))
            goto usage_add;
        n = snprintf(out, REPLY_MAX, "ok %ld", a + b);
    } else if (oplen == 3 && memcmp(line, "div", 3) == 0) {
        if (blank == NULL || !parse_two_numbers(args, argslen, &a, &b))
            goto usage_div;
        if (b == 0) {
            *is_error = true;
            n = snprintf(out, REPLY_MAX, "error division by zero");
        } else {
            n = snprintf(out, REPLY_MAX, "ok %ld", a / b);   /* C: toward zero */
        }
    } else if (oplen == 5 && memcmp(line, "upper", 5) == 0) {
        if (blank == NULL || argslen == 0) {
            *is_error = true;
            n = snprintf(out, REPLY_MAX, "error usage: upper TEXT");
        } else {
            memcpy(out, "ok ", 3);
            for (size_t i = 0; i < argslen; i++) {
                unsigned char c = (unsigned char)args[i];
                out[3 + i] = (char)(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c);
            }
            n = (int)(3 + argslen);
        }
    } else {
        *is_error = true;
        n = snprintf(out, REPLY_MAX, "error unknown operation '%.*s'", (int)oplen, line);
    }
    return (size_t)n < REPLY_MAX ? (size_t)n : REPLY_MAX - 1;

usage_add:
    *is_error = true;
    return (size_t)snprintf(out, REPLY_MAX, "error usage: add A B (integers from -%ld to %ld)",
                            NUMBER_LIMIT, NUMBER_LIMIT);
usage_div:
    *is_error = true;
    return (size_t)snprintf(out, REPLY_MAX, "error usage: div A B (integers from -%ld to %ld)",
                            NUMBER_LIMIT, NUMBER_LIMIT);
}

/*
 * The client's pid at the start of the request: digits, then one blank.
 * Returns the pid and sets *rest to what follows, or -1 if there is none.
 */
static long parse_pid(const char *text, size_t len, size_t *rest)
{
    long pid = 0;
    size_t i;

    for (i = 0; i < len && i < 10 && text[i] >= '0' && text[i] <= '9'; i++)
        pid = pid * 10 + (text[i] - '0');
    if (i == 0 || i == len || text[i] != ' ' || pid < 2 || pid > INT_MAX)
        return -1;
    *rest = i + 1;
    return pid;
}

/*
 * Send one reply. A blocking msgsnd() (the queue may be full for a moment)
 * interrupted by a signal is tried again, unless it is SIGINT/SIGTERM: then
 * the reply is abandoned, since the queue is about to be removed anyway.
 * Returns 0, or -1 after a message.
 */
static int send_reply(int qid, const struct reply *rep, size_t len)
{
    while (msgsnd(qid, rep, len, 0) == -1) {
        if (errno != EINTR) {
            int saved_errno = errno;

            syserr("msgsnd");
            errno = saved_errno;    /* the caller tells EIDRM from the rest */
            return -1;
        }
        if (stop_signal)
            return 0;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The server                                                                */
/* ------------------------------------------------------------------------- */

struct stats {
    unsigned long served;       /* replies sent */
    unsigned long errors;       /* ... of which error replies */
};

static void print_stats(const struct stats *st)
{
    stats_requested = 0;
    msg("served %lu requests, %lu error replies", st->served, st->errors);
}

/*
 * Serve until a stop signal. Returns 0 on a stop signal, 1 if the queue is
 * gone (removed by someone else: nothing left to clean up), -1 on an error.
 */
static int serve(int qid)
{
    static struct request req;
    static struct reply rep;
    struct stats st = { 0, 0 };

    while (!stop_signal) {
        ssize_t n;
        size_t rest, len;
        long pid;
        bool is_error;

        if (stats_requested)
            print_stats(&st);

        /*
         * Only mtype REQUEST_TYPE: replies wait in the same queue, and must
         * stay there for their clients. MSG_NOERROR: a request longer than
         * our buffer is cut instead of failing with E2BIG; without it the
         * message would stay at the head of the queue, and every msgrcv()
         * would fail on it again.
         */
        n = msgrcv(qid, &req, sizeof req.mtext, REQUEST_TYPE, MSG_NOERROR);
        if (n == -1) {
            if (errno == EINTR)     /* a signal: the loop looks at the flags */
                continue;
            if (errno == EIDRM || errno == EINVAL) {
                msg("the queue %d was removed: stopping", qid);
                return 1;
            }
            syserr("msgrcv");
            return -1;
        }

        pid = parse_pid(req.mtext, (size_t)n, &rest);
        if (pid == -1) {
            /* No address to reply to: report and drop it. */
            msg("malformed request dropped (it does not start with a client pid)");
            continue;
        }
        rep.mtype = pid;    /* the client waits for exactly this type */
        if (n > REQUEST_MAX) {
            is_error = true;
            len = (size_t)snprintf(rep.mtext, sizeof rep.mtext,
                                   "error request too long (at most %d bytes)", REQUEST_MAX);
        } else {
            len = answer(req.mtext + rest, (size_t)n - rest, rep.mtext, &is_error);
        }
        if (send_reply(qid, &rep, len) == -1) {
            if (errno == EIDRM || errno == EINVAL)
                return 1;
            return -1;
        }
        st.served++;
        if (is_error)
            st.errors++;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    const char *keypath = parse_args(argc, argv);
    key_t key;
    int qid, rc;

    /* Handlers first: from the moment the queue exists, SIGINT and SIGTERM
     * must no longer kill us with the queue left behind. */
    if (set_handler(SIGINT, on_stop) == -1 || set_handler(SIGTERM, on_stop) == -1 ||
        set_handler(SIGUSR1, on_sigusr1) == -1) {
        syserr("sigaction");
        return EXIT_SYSERR;
    }

    key = make_key(keypath);
    if (key == -1)
        return EXIT_SYSERR;
    qid = create_queue(key, keypath);
    if (qid == -1)
        return EXIT_SYSERR;     /* a refused server removes nothing */

    msg("queue %d ready for %s", qid, keypath);

    rc = serve(qid);
    if (rc == 1)                /* the queue is gone already */
        return EXIT_SYSERR;

    /* Every other path removes the queue: it would outlive us otherwise. */
    if (remove_queue(qid) == -1)
        return EXIT_SYSERR;
    if (rc == -1)
        return EXIT_SYSERR;
    msg("%s received: queue %d removed", stop_signal == SIGINT ? "SIGINT" : "SIGTERM", qid);
    return EXIT_SUCCESS;
}
