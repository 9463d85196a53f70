/*
 * coproc.c - run a command as a coprocess: feed it our standard input through
 * one pipe, copy its standard output back to ours through another, without
 * ever deadlocking.
 *
 *     usage: coproc [-r [-t SECONDS]] COMMAND [ARG...]
 *
 * Streaming mode (default): both directions at once, driven by poll(), with a
 * non-blocking write end, so that no amount of data can make us wait for the
 * command while it waits for us. Request/response mode (-r): the same loop,
 * but after each request line nothing more is sent until the command has
 * answered with a line, within SECONDS.
 *
 * See drafts/12-coprocess/README.md for the full statement.
 */
#define _GNU_SOURCE             /* pipe2() */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG            "coproc"
#define DEFAULT_TIMEOUT 10L
#define MAX_TIMEOUT     3600L

/* 64 KiB, the default capacity of a pipe: one read() can take all of it. */
#define BUFSIZE         65536

enum {
    EXIT_SYSERR = 1, EXIT_USAGE = 2, EXIT_TIMEOUT = 124,
    EXIT_NOEXEC = 126, EXIT_NOTFOUND = 127, EXIT_SIGPIPE = 128 + SIGPIPE,
};

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* Write all len bytes, going on after short counts and EINTR. 0 or -1. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);

        if (n == -1) {
            if (errno == EINTR)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * "coproc: <message>\n" on stderr with a single write(), so that our lines
 * never mix with those of the command, which shares our stderr.
 */
static void msg(const char *fmt, ...)
{
    char line[1024];
    int len = snprintf(line, sizeof line, "%s: ", PROG);
    va_list ap;
    int saved = errno;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)        /* truncated: keep the newline */
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    (void)write_all(STDERR_FILENO, line, (size_t)len);  /* nowhere to report */
    errno = saved;
}

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/* Only before the fork: afterwards the child must still be reaped. */
static void die(const char *call)
{
    syserr(call);
    exit(EXIT_SYSERR);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    bool   request;             /* -r */
    long   timeout;             /* -t, seconds */
    char **command;             /* argv of COMMAND, NULL-terminated */
};

static void usage_error(const char *fmt, ...)
{
    static const char usage[] = "usage: " PROG " [-r [-t SECONDS]] COMMAND [ARG...]\n";
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    (void)write_all(STDERR_FILENO, usage, sizeof usage - 1);
    exit(EXIT_USAGE);
}

/* A decimal integer in [1, MAX_TIMEOUT], nothing before or after it. */
static bool parse_seconds(const char *s, long *value)
{
    char *end;
    long v;

    /* strtol() alone would skip leading blanks and accept a sign. */
    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < 1 || v > MAX_TIMEOUT)
        return false;
    *value = v;
    return true;
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    bool timeout_given = false;
    int opt;

    o->request = false;
    o->timeout = DEFAULT_TIMEOUT;
    opterr = 0;         /* our own messages, with a fixed program name */
    /* '+': stop at the first operand, COMMAND; what follows is its own. */
    while ((opt = getopt(argc, argv, "+:rt:")) != -1) {
        switch (opt) {
        case 'r':
            o->request = true;
            break;
        case 't':
            if (!parse_seconds(optarg, &o->timeout))
                usage_error("invalid timeout '%s' (expected an integer from 1 to %ld)",
                            optarg, MAX_TIMEOUT);
            timeout_given = true;
            break;
        case ':':
            usage_error("option -%c needs an argument", optopt);
            break;
        default:
            if (optopt != 0)
                usage_error("unknown option -%c", optopt);
            else        /* "--long": no single letter to show */
                usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (timeout_given && !o->request)
        usage_error("option -t needs -r");
    if (optind >= argc)
        usage_error("missing command");
    o->command = argv + optind;
}

/* ------------------------------------------------------------------------- */
/* Starting the coprocess                                                    */
/* ------------------------------------------------------------------------- */

struct coproc {
    pid_t pid;
    int   to;                   /* write end: our data to its stdin, or -1 */
    int   from;                 /* read end: its stdout to us, or -1 */
};

/* close() that forgets the descriptor; errors on a pipe end carry no data. */
static void close_fd(int *fd)
{
    if (*fd != -1) {
        (void)close(*fd);
        *fd = -1;
    }
}

/*
 * In the child, after fork(): never returns. On failure it sends errno through
 * errp[1] and leaves with _exit(): only the parent reports (statement §4), and
 * _exit() does not flush stdio buffers copied from the parent or run its
 * atexit handlers.
 */
static void exec_child(char **command, int to[2], int from[2], int errp[2])
{
    int err;

    /*
     * The parent's ends first. O_CLOEXEC would close them at the exec anyway,
     * but if the exec fails this process must not leave with them open.
     */
    close(to[1]);
    close(from[0]);
    close(errp[0]);

    /*
     * dup2() clears close-on-exec on the copy: 0 and 1 survive the exec, while
     * the originals, made with O_CLOEXEC, are closed by it (and by us below).
     * That is all it takes for only 0, 1, 2 to reach the command.
     */
    if (dup2(to[0], STDIN_FILENO) == -1 || dup2(from[1], STDOUT_FILENO) == -1)
        goto fail;
    if (to[0] != STDIN_FILENO)
        close(to[0]);
    if (from[1] != STDOUT_FILENO)
        close(from[1]);
    /* An ignored SIGPIPE would survive execve(): give the command the default. */
    if (signal(SIGPIPE, SIG_DFL) == SIG_ERR)
        goto fail;
    execvp(command[0], command);
fail:
    err = errno;
    /* If this write fails the parent sees EOF and the child's 127: the best left. */
    (void)write_all(errp[1], (const char *)&err, sizeof err);
    close(errp[1]);
    _exit(EXIT_NOTFOUND);
}

/* Reap pid, retrying on EINTR; return the status for exit(). */
static int reap(pid_t pid)
{
    int status;

    while (waitpid(pid, &status, 0) == -1) {
        if (errno != EINTR) {
            syserr("waitpid");
            return EXIT_SYSERR;
        }
    }
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    if (WIFSIGNALED(status))
        return 128 + WTERMSIG(status);
    return EXIT_SYSERR;         /* not reached without WUNTRACED */
}

/*
 * Make the pipes, fork, exec. Returns with *cp filled in, or exits with the
 * status of §4 (126/127) or 1 when a call fails.
 */
static void start(char **command, struct coproc *cp)
{
    int to[2], from[2], errp[2];
    int err;
    ssize_t n;

    /* O_CLOEXEC on all: no pipe end of ours may reach the command (§3). */
    if (pipe2(to, O_CLOEXEC) == -1)
        die("pipe2");
    if (pipe2(from, O_CLOEXEC) == -1)
        die("pipe2");
    if (pipe2(errp, O_CLOEXEC) == -1)
        die("pipe2");

    cp->pid = fork();
    if (cp->pid == -1)
        die("fork");
    if (cp->pid == 0)
        exec_child(command, to, from, errp);

    /*
     * The child's ends: keeping from[1] would hide the command's EOF from us,
     * keeping to[0] would keep a reader alive and hide its death (EPIPE).
     * errp[1] must go before the read below, or that read never ends.
     */
    close(to[0]);
    close(from[1]);
    close(errp[1]);
    cp->to = to[1];
    cp->from = from[0];

    /* EOF: execve() succeeded and closed the write end. An int: it failed. */
    do
        n = read(errp[0], &err, sizeof err);
    while (n == -1 && errno == EINTR);
    if (n == -1) {
        int saved = errno;

        close(errp[0]);
        close_fd(&cp->to);
        close_fd(&cp->from);
        errno = saved;
        syserr("read");
        (void)reap(cp->pid);
        exit(EXIT_SYSERR);
    }
    close(errp[0]);
    if (n > 0) {
        close_fd(&cp->to);
        close_fd(&cp->from);
        (void)reap(cp->pid);            /* the child's 127 is ours to replace */
        msg("cannot run '%s': %s", command[0],
            n == (ssize_t)sizeof err ? strerror(err) : "unknown error");
        exit(err == ENOENT ? EXIT_NOTFOUND : EXIT_NOEXEC);
    }

    /*
     * Non-blocking, on our write end only (the flag lives in the open file
     * description, shared with the child's copy had we set it before the
     * fork): poll() says "writable" as soon as one page is free, and a
     * blocking write() of more would wait for the command to read, while the
     * command may be waiting for us to read its output.
     */
    int flags = fcntl(cp->to, F_GETFL);

    if (flags == -1 || fcntl(cp->to, F_SETFL, flags | O_NONBLOCK) == -1) {
        syserr("fcntl");
        close_fd(&cp->to);
        close_fd(&cp->from);
        (void)reap(cp->pid);
        exit(EXIT_SYSERR);
    }
}

/* ------------------------------------------------------------------------- */
/* The copy loop                                                             */
/* ------------------------------------------------------------------------- */

static long long now_ms(void)
{
    struct timespec ts;

    /* CLOCK_MONOTONIC cannot fail on Linux; a wall clock could jump. */
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

enum outcome { DONE, FAILED, STDOUT_GONE, TIMED_OUT };

/*
 * The command reads no more (EPIPE, or POLLERR on our write end): not an
 * error (§7). Drop what was not sent, read no more input, close its input;
 * in -r mode there is no answer left to wait for. Its output is still copied.
 */
static void command_gone(struct coproc *cp, size_t *in_len, bool *stdin_open,
                         uintmax_t *sent, uintmax_t *answered, long long *deadline)
{
    *in_len = 0;
    *stdin_open = false;
    *sent = *answered = 0;
    *deadline = -1;
    close_fd(&cp->to);
}

/*
 * Copy stdin to cp->to and cp->from to stdout until the command's output
 * ends and its input is closed. In request mode, sending is gated: after a
 * request's newline, nothing more until as many newlines came back.
 */
static enum outcome copy_loop(struct coproc *cp, const struct options *o)
{
    static char in[BUFSIZE], out[BUFSIZE];
    size_t in_off = 0, in_len = 0;      /* stdin data not yet sent */
    bool stdin_open = true;
    bool last_had_newline = true;       /* for the newline added at EOF (-r) */
    uintmax_t sent = 0, answered = 0;   /* newlines each way (-r) */
    long long deadline = -1;            /* ms, while a request waits (-r) */

    for (;;) {
        /* Nothing more to send: close the command's input, its EOF. */
        if (cp->to != -1 && !stdin_open && in_len == 0 &&
            (!o->request || answered >= sent))
            close_fd(&cp->to);
        if (cp->to == -1 && cp->from == -1)
            return DONE;

        /* In -r mode a request is "in flight" from its newline to the answer's. */
        bool waiting = o->request && answered < sent;
        struct pollfd pfd[3];
        int nfds = 0, i_in = -1, i_to = -1, i_from = -1;

        if (stdin_open && in_len == 0 && cp->to != -1 && !waiting) {
            pfd[nfds] = (struct pollfd){ .fd = STDIN_FILENO, .events = POLLIN };
            i_in = nfds++;
        }
        if (cp->to != -1) {
            /*
             * Even with nothing to send, POLLERR (always reported, never
             * asked for) tells us the command closed its input: then we stop
             * reading ours instead of waiting for input nobody will take.
             */
            bool send = in_len > 0 && !waiting;

            pfd[nfds] = (struct pollfd){ .fd = cp->to, .events = send ? POLLOUT : 0 };
            i_to = nfds++;
        }
        if (cp->from != -1) {
            pfd[nfds] = (struct pollfd){ .fd = cp->from, .events = POLLIN };
            i_from = nfds++;
        }

        int timeout = -1;

        if (waiting) {
            long long left = deadline - now_ms();

            if (left <= 0)
                return TIMED_OUT;
            timeout = left > INT32_MAX ? INT32_MAX : (int)left;
        }
        if (nfds == 0 && timeout == -1)
            return DONE;        /* not reached: nothing left to wait for */

        int ready = poll(pfd, (nfds_t)nfds, timeout);

        if (ready == -1) {
            if (errno == EINTR)
                continue;
            syserr("poll");
            return FAILED;
        }
        if (ready == 0)
            continue;           /* the deadline check above decides */

        /* The command's output first: it is what frees the other pipe. */
        if (i_from != -1 && pfd[i_from].revents != 0) {
            ssize_t n = read(cp->from, out, sizeof out);

            if (n == -1 && errno != EINTR && errno != EAGAIN) {
                syserr("read");
                return FAILED;
            }
            if (n == 0) {
                close_fd(&cp->from);
                /* -r: no answer can come any more, so nothing more is sent. */
                if (o->request)
                    command_gone(cp, &in_len, &stdin_open, &sent, &answered, &deadline);
            } else if (n > 0) {
                if (o->request) {
                    for (ssize_t k = 0; k < n; k++)
                        if (out[k] == '\n')
                            answered++;
                    if (answered >= sent)
                        deadline = -1;
                }
                if (write_all(STDOUT_FILENO, out, (size_t)n) == -1) {
                    if (errno == EPIPE)
                        return STDOUT_GONE;
                    syserr("write");
                    return FAILED;
                }
            }
        }

        if (i_in != -1 && stdin_open && cp->to != -1 && pfd[i_in].revents != 0) {
            ssize_t n = read(STDIN_FILENO, in, sizeof in);

            if (n == -1 && errno != EINTR) {
                syserr("read");
                return FAILED;
            }
            if (n == 0) {
                stdin_open = false;
                /* -r: a last line without a newline is still a request. */
                if (o->request && !last_had_newline) {
                    in[0] = '\n';
                    in_off = 0;
                    in_len = 1;
                }
            } else if (n > 0) {
                in_off = 0;
                in_len = (size_t)n;
                last_had_newline = in[n - 1] == '\n';
            }
        }

        if (i_to != -1 && cp->to != -1 && (pfd[i_to].revents & POLLERR) &&
            (in_len == 0 || waiting)) {
            command_gone(cp, &in_len, &stdin_open, &sent, &answered, &deadline);
        } else if (i_to != -1 && cp->to != -1 && pfd[i_to].revents != 0) {
            size_t len = in_len;
            char *nl = NULL;

            /* -r: send up to the end of the current request, no further. */
            if (o->request && (nl = memchr(in + in_off, '\n', in_len)) != NULL)
                len = (size_t)(nl - (in + in_off)) + 1;

            ssize_t n = write(cp->to, in + in_off, len);

            if (n == -1) {
                if (errno == EPIPE) {
                    command_gone(cp, &in_len, &stdin_open, &sent, &answered, &deadline);
                } else if (errno != EAGAIN && errno != EINTR) {
                    syserr("write");
                    return FAILED;
                }
            } else {
                in_off += (size_t)n;
                in_len -= (size_t)n;
                if (nl != NULL && (size_t)n == len) {   /* the newline went */
                    sent++;
                    deadline = now_ms() + o->timeout * 1000;
                }
            }
        }
    }
}

int main(int argc, char *argv[])
{
    struct options o;
    struct coproc cp;

    parse_args(argc, argv, &o);

    /*
     * Before the fork, so that no write to a dead command can kill us: EPIPE
     * instead (§7). The child sets it back before the exec.
     */
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR)
        die("signal");

    start(o.command, &cp);

    enum outcome how = copy_loop(&cp, &o);

    /* Every path: our ends closed (EOF for the command), then reap it. */
    close_fd(&cp.to);
    close_fd(&cp.from);
    if (how == TIMED_OUT) {
        msg("no answer within %ld s", o.timeout);
        /* It may block forever on its input or ignore EOF: SIGKILL is bounded. */
        if (kill(cp.pid, SIGKILL) == -1)
            syserr("kill");
    }

    int status = reap(cp.pid);

    switch (how) {
    case DONE:        return status;
    case TIMED_OUT:   return EXIT_TIMEOUT;
    case STDOUT_GONE: return EXIT_SIGPIPE;
    case FAILED:      break;
    }
    return EXIT_SYSERR;
}
