/*
 * msgq_sender.c - the grader's stand-in client for 06-sysv-msgq: puts raw
 * messages of a chosen type and text into the System V queue of a server
 * that exists, so that the learner's server is graded against the grader's
 * own idea of the wire format (§4) instead of against the learner's client,
 * which may agree with it on anything (another request type, say), and so
 * that a test can send what no client sends (a request without a pid).
 *
 *     usage: msgq_sender -k KEYPATH [-t TYPE] [-p] [-r SECONDS] TEXT...
 *
 *   -k KEYPATH  the queue is msgget(ftok(KEYPATH, 'M'), 0): never created
 *   -t TYPE     the mtype of every message (default 1, a request's type)
 *   -p          put "PID " (the sender's own pid, one blank) before each
 *               TEXT, as a client does; without -p the TEXT is sent as is
 *   -r SECONDS  after each message, wait at most SECONDS (a decimal number)
 *               for the message whose type is the sender's pid, and print
 *               its text and one newline on stdout, as a client does
 *
 * Each TEXT is sent as its bytes (no terminating NUL, no newline), in the
 * order given, with IPC_NOWAIT: a full queue is an error, not a wait.
 * Exit status: 0 when every message was sent (and, with -r, every reply
 * printed), 1 on a failed call (EIDRM: the queue was removed, for example
 * by a server that stopped), 2 on bad arguments, 3 when a reply did not
 * come within SECONDS.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/time.h>
#include <unistd.h>

#define PROG        "msgq_sender"
#define PROJ_ID     'M'         /* the exercise's project id (§2) */
#define TEXT_MAX    8192        /* msgmax by default: more is never sent */
#define REPLY_MAX   8192        /* more than any reply of the exercise */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2, EXIT_NO_REPLY = 3 };

struct message {
    long mtype;
    char mtext[TEXT_MAX];
};

static void usage(const char *why)
{
    fprintf(stderr, "%s: %s\n", PROG, why);
    fprintf(stderr, "usage: %s -k KEYPATH [-t TYPE] [-p] [-r SECONDS] TEXT...\n", PROG);
    exit(EXIT_USAGE);
}

/* SIGALRM only has to interrupt msgrcv(): the handler does nothing. */
static void on_alarm(int sig)
{
    (void)sig;
}

/*
 * Arms a one-shot timer of `seconds`. The handler is installed without
 * SA_RESTART (msgrcv() is never restarted anyway, signal(7)), so a
 * msgrcv() still waiting then fails with EINTR.
 */
static int arm_timer(double seconds)
{
    struct itimerval it = { { 0, 0 }, { 0, 0 } };

    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - (double)it.it_value.tv_sec) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;    /* 0 would disarm the timer */
    return setitimer(ITIMER_REAL, &it, NULL);
}

static int disarm_timer(void)
{
    struct itimerval it = { { 0, 0 }, { 0, 0 } };

    return setitimer(ITIMER_REAL, &it, NULL);
}

int main(int argc, char *argv[])
{
    static struct message msg, rep;
    const char *keypath = NULL;
    long type = 1;
    int prefix_pid = 0;
    double wait_s = -1;     /* < 0: do not wait for replies */
    char *end;
    int opt, qid;
    key_t key;
    long pid = (long)getpid();

    while ((opt = getopt(argc, argv, "+k:t:pr:")) != -1) {
        switch (opt) {
        case 'k':
            keypath = optarg;
            break;
        case 't':
            /* msgsnd() refuses a type below 1 (EINVAL): not worth sending. */
            errno = 0;
            type = strtol(optarg, &end, 10);
            if (errno != 0 || end == optarg || *end != '\0' || type < 1)
                usage("-t TYPE: a positive decimal integer");
            break;
        case 'p':
            prefix_pid = 1;
            break;
        case 'r':
            errno = 0;
            wait_s = strtod(optarg, &end);
            if (errno != 0 || end == optarg || *end != '\0' || !(wait_s >= 0 && wait_s < 1e6))
                usage("-r SECONDS: a number of seconds, 0 or more");
            break;
        default:
            usage("unknown option or missing argument");
        }
    }
    if (keypath == NULL || keypath[0] == '\0')
        usage("-k KEYPATH is required");
    if (optind >= argc)
        usage("no TEXT to send");

    if (wait_s >= 0) {
        struct sigaction sa;

        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_alarm;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        if (sigaction(SIGALRM, &sa, NULL) == -1) {
            fprintf(stderr, "%s: sigaction: %s\n", PROG, strerror(errno));
            return EXIT_SYSERR;
        }
    }

    /* Only a queue that a server made: a stand-in never creates one. */
    key = ftok(keypath, PROJ_ID);
    if (key == -1) {
        fprintf(stderr, "%s: ftok %s: %s\n", PROG, keypath, strerror(errno));
        return EXIT_SYSERR;
    }
    qid = msgget(key, 0);
    if (qid == -1) {
        fprintf(stderr, "%s: msgget %s: %s\n", PROG, keypath, strerror(errno));
        return EXIT_SYSERR;
    }

    for (int i = optind; i < argc; i++) {
        size_t len = 0, textlen = strlen(argv[i]);
        ssize_t n;

        if (prefix_pid)
            len = (size_t)snprintf(msg.mtext, sizeof msg.mtext, "%ld ", pid);
        if (textlen > sizeof msg.mtext - len) {
            fprintf(stderr, "%s: TEXT %d is longer than %d bytes in all\n", PROG, i - optind + 1,
                    TEXT_MAX);
            return EXIT_USAGE;
        }
        memcpy(msg.mtext + len, argv[i], textlen);  /* bytes, no NUL */
        len += textlen;
        msg.mtype = type;
        if (msgsnd(qid, &msg, len, IPC_NOWAIT) == -1) {
            fprintf(stderr, "%s: msgsnd '%s' (type %ld): %s\n", PROG, argv[i], type,
                    strerror(errno));
            return EXIT_SYSERR;
        }
        if (wait_s < 0)
            continue;

        /* The reply: the type that is our pid, as a client waits for it. */
        if (arm_timer(wait_s) == -1) {
            fprintf(stderr, "%s: setitimer: %s\n", PROG, strerror(errno));
            return EXIT_SYSERR;
        }
        n = msgrcv(qid, &rep, sizeof rep.mtext, pid, MSG_NOERROR);
        if (n == -1) {
            if (errno == EINTR) {
                fprintf(stderr, "%s: no reply of type %ld within %g s to '%s' (type %ld)\n",
                        PROG, pid, wait_s, argv[i], type);
                return EXIT_NO_REPLY;
            }
            fprintf(stderr, "%s: msgrcv (type %ld), the reply to '%s': %s\n", PROG, pid,
                    argv[i], strerror(errno));
            return EXIT_SYSERR;
        }
        if (disarm_timer() == -1) {
            fprintf(stderr, "%s: setitimer: %s\n", PROG, strerror(errno));
            return EXIT_SYSERR;
        }
        /* At once: a test may look at the reply before the next message. */
        if (fwrite(rep.mtext, 1, (size_t)n, stdout) != (size_t)n || putchar('\n') == EOF ||
            fflush(stdout) == EOF) {
            fprintf(stderr, "%s: writing the reply: %s\n", PROG, strerror(errno));
            return EXIT_SYSERR;
        }
    }
    return 0;
}
