/*
 * pipe_relay.c - forward standard input to a child process through an anonymous
 * pipe; the child numbers the lines exactly like `cat -n` and reports what it
 * relayed.
 *
 *     usage: pipe_relay [-b BUFSIZE]
 *
 * The parent reads stdin BUFSIZE bytes at a time and writes every chunk into the
 * pipe; the child reads the pipe until EOF and writes the numbered lines to
 * stdout. SIGUSR1 makes the parent report how many bytes it has forwarded.
 * The parent exits with the child's status (128+N if the child died of signal N).
 *
 * See exercises/01-pipe/README.md for the full statement.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG            "pipe_relay"
#define DEFAULT_BUFSIZE 4096L
#define MAX_BUFSIZE     1048576L

/* The child's buffers. 64 KiB is the default capacity of a Linux pipe, so one
 * read() can take everything the parent managed to put in. */
#define CHILD_BUFSIZE   65536

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* Set by the SIGUSR1 handler, cleared by the main loop of the parent. */
static volatile sig_atomic_t progress_requested;

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

static int write_all(int fd, const char *buf, size_t len, uintmax_t *forwarded);

/*
 * Print "pipe_relay: <message>\n" on stderr. The line is built first and written
 * with a single write() so that the parent's and the child's messages, which
 * share stderr, can never be mixed up in the middle of a line.
 */
static void msg(const char *fmt, ...)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%s: ", PROG);
    va_list ap;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)        /* truncated: keep the newline */
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    (void)write_all(STDERR_FILENO, line, (size_t)len, NULL);  /* nowhere to report a failure */
}

/* Report a failed system call by name; errno still holds its error. */
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

/* Only for failures before the fork: afterwards the parent must still wait. */
static void die(const char *call)
{
    syserr(call);
    exit(EXIT_SYSERR);
}

static void usage(void)
{
    static const char text[] = "usage: " PROG " [-b BUFSIZE]\n";

    (void)write_all(STDERR_FILENO, text, sizeof text - 1, NULL);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/* Print what was wrong, then the usage line, and exit 2: no pipe, no child. */
static void usage_error(const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    usage();
    exit(EXIT_USAGE);
}

/* A decimal integer in [1, MAX_BUFSIZE], nothing before or after it. */
static bool parse_bufsize(const char *s, long *size)
{
    char *end;
    long value;

    /* strtol() would also skip leading blanks and accept a sign. */
    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    value = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || value < 1 || value > MAX_BUFSIZE)
        return false;
    *size = value;
    return true;
}

static size_t parse_args(int argc, char *argv[])
{
    long size = DEFAULT_BUFSIZE;
    int opt;

    opterr = 0;     /* we print our own messages, with a fixed program name */
    while ((opt = getopt(argc, argv, ":b:")) != -1) {
        switch (opt) {
        case 'b':
            if (!parse_bufsize(optarg, &size))
                usage_error("invalid buffer size '%s' (expected an integer from 1 to %ld)",
                            optarg, MAX_BUFSIZE);
            break;
        case ':':
            usage_error("option -%c needs an argument", optopt);
            break;
        default:
            if (optopt != 0)
                usage_error("unknown option -%c", optopt);
            else    /* e.g. "--size": getopt() has no single letter to show */
                usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    return (size_t)size;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

static void on_sigusr1(int sig)
{
    (void)sig;
    /* Only async-signal-safe work here: the main loop does the printing. */
    progress_requested = 1;
}

/*
 * Flags 0, in particular no SA_RESTART: a SIGUSR1 must interrupt a read() or
 * write() that is blocked (on an empty stdin or a full pipe) so that the progress
 * report comes out at once, not when the blocking call finally completes.
 */
static int set_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}

/* Called after every read(), write() and waitpid() the parent makes. */
static void serve_progress_request(uintmax_t forwarded)
{
    if (progress_requested) {
        progress_requested = 0;
        msg("forwarded %ju bytes", forwarded);
    }
}

/* ------------------------------------------------------------------------- */
/* Writing                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * Write all len bytes of buf to fd; return 0, or -1 with errno set.
 *
 * write() may transfer fewer bytes than asked: a signal that arrives after part
 * of the data went into the pipe makes it return that short count, and a signal
 * that arrives before anything was copied makes it fail with EINTR. Both cases
 * simply continue with what is left.
 *
 * forwarded is NULL except in the parent's relay loop, where it points to the
 * running total of bytes put into the pipe: it is updated after every write()
 * (so a report in the middle of a chunk is exact) and a pending SIGUSR1 is served
 * after every return (so the report is prompt even while the pipe is full).
 */
static int write_all(int fd, const char *buf, size_t len, uintmax_t *forwarded)
{
    while (len > 0) {
        ssize_t n = write(fd, buf, len);
        int saved_errno = errno;

        if (n > 0) {
            buf += n;
            len -= (size_t)n;
            if (forwarded != NULL)
                *forwarded += (uintmax_t)n;
        }
        if (forwarded != NULL)
            serve_progress_request(*forwarded);     /* may change errno */
        if (n == -1 && saved_errno != EINTR) {
            errno = saved_errno;
            return -1;
        }
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The child: number the lines                                               */
/* ------------------------------------------------------------------------- */

/* A small buffered writer on stdout: one write() per 64 KiB, not per line. */
static char out_buf[CHILD_BUFSIZE];
static size_t out_len;

static int out_flush(void)
{
    int rc = write_all(STDOUT_FILENO, out_buf, out_len, NULL);

    out_len = 0;
    return rc;
}

static int out_put(const char *data, size_t len)
{
    if (len <= sizeof out_buf - out_len) {      /* the usual case: it fits */
        memcpy(out_buf + out_len, data, len);
        out_len += len;
        return 0;
    }
    while (len > 0) {
        size_t room = sizeof out_buf - out_len;
        size_t n = len < room ? len : room;

        memcpy(out_buf + out_len, data, n);
        out_len += n;
        data += n;
        len -= n;
        if (out_len == sizeof out_buf && out_flush() == -1)
            return -1;
    }
    return 0;
}

/*
 * Same bytes as printf("%6ld\t", number): right-aligned in 6 columns, wider when
 * it needs more digits. Done by hand because it runs once per line, and a text
 * made of short lines has millions of them.
 */
static int out_line_number(long number)
{
    char text[32];
    char *p = text + sizeof text;
    int digits = 0;

    *--p = '\t';
    do {
        *--p = (char)('0' + number % 10);
        number /= 10;
        digits++;
    } while (number > 0);
    for (; digits < 6; digits++)
        *--p = ' ';
    return out_put(p, (size_t)(text + sizeof text - p));
}

struct numbering {
    bool at_line_start;     /* the next byte begins a new line */
    long lines;             /* numbers written so far */
};

/*
 * Copy len bytes to the output, with a line number before the first byte of
 * every line. A line may be cut anywhere by the pipe (even between "\r" and
 * "\n"), so whether we are at the start of a line is carried from one call to the
 * next. The data is binary: it is scanned with memchr(), never as a C string.
 */
static int number_lines(struct numbering *st, const char *data, size_t len)
{
    const char *end = data + len;

    while (data < end) {
        const char *newline;
        const char *stop;

        if (st->at_line_start) {
            if (out_line_number(++st->lines) == -1)
                return -1;
            st->at_line_start = false;
        }
        newline = memchr(data, '\n', (size_t)(end - data));
        stop = newline != NULL ? newline + 1 : end;
        if (out_put(data, (size_t)(stop - data)) == -1)
            return -1;
        st->at_line_start = newline != NULL;
        data = stop;
    }
    return 0;
}

/* Read the pipe to EOF, write the numbered lines, report. Returns the exit status. */
static int relay_numbered(int in)
{
    static char in_buf[CHILD_BUFSIZE];
    struct numbering st = { .at_line_start = true, .lines = 0 };
    uintmax_t bytes = 0;

    for (;;) {
        ssize_t n = read(in, in_buf, sizeof in_buf);

        if (n == 0)             /* every write end is closed: the parent is done */
            break;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            syserr("read");
            return EXIT_SYSERR;
        }
        bytes += (uintmax_t)n;
        /* Flushing after each read keeps interactive use responsive (a typed
         * line shows at once) and still costs one write() per read, not per line. */
        if (number_lines(&st, in_buf, (size_t)n) == -1 || out_flush() == -1) {
            syserr("write");
            return EXIT_SYSERR;
        }
    }
    msg("relayed %ld lines, %ju bytes", st.lines, bytes);
    return EXIT_SUCCESS;
}

static int run_child(int pipe_fd[2])
{
    int status;

    /* Our copy of the write end must go first: as long as any copy of it is open,
     * including this one, read() on the pipe can never return 0. */
    if (close(pipe_fd[1]) == -1) {
        syserr("close");
        close(pipe_fd[0]);
        return EXIT_SYSERR;
    }

    /* The parent's SIGUSR1 handler was inherited; the child never reports
     * progress. SIGPIPE gets its default action even if whoever started us
     * ignored it, so that a reader which quits early stops the child at once
     * and the parent can pass "killed by SIGPIPE" on (exit status 141). */
    if (set_signal(SIGUSR1, SIG_DFL) == -1 || set_signal(SIGPIPE, SIG_DFL) == -1) {
        syserr("sigaction");
        close(pipe_fd[0]);
        return EXIT_SYSERR;
    }

    status = relay_numbered(pipe_fd[0]);
    if (close(pipe_fd[0]) == -1 && status == EXIT_SUCCESS) {
        syserr("close");
        status = EXIT_SYSERR;
    }
    return status;
}

/* ------------------------------------------------------------------------- */
/* The parent: forward stdin, then wait                                      */
/* ------------------------------------------------------------------------- */

/*
 * Copy in to out, bufsize bytes at a time, until EOF on in or until the reader of
 * out is gone. Returns 0 in both cases, -1 after printing a message on any other
 * error.
 */
static int forward(int in, int out, char *buf, size_t bufsize, uintmax_t *forwarded)
{
    for (;;) {
        ssize_t n = read(in, buf, bufsize);
        int saved_errno = errno;

        serve_progress_request(*forwarded);
        if (n == 0)
            return 0;
        if (n == -1) {
            if (saved_errno == EINTR)
                continue;
            errno = saved_errno;
            syserr("read");
            return -1;
        }
        if (write_all(out, buf, (size_t)n, forwarded) == -1) {
            /* EPIPE: the child closed its end or died. Nothing more can be
             * delivered, and its exit status will tell what happened. */
            if (errno == EPIPE)
                return 0;
            syserr("write");
            return -1;
        }
    }
}

/* Wait for the child; return the exit status to pass on, the way shells do. */
static int wait_for_child(pid_t child, uintmax_t forwarded)
{
    int wstatus;

    while (waitpid(child, &wstatus, 0) == -1) {
        if (errno != EINTR) {
            syserr("waitpid");
            return EXIT_SYSERR;
        }
        serve_progress_request(forwarded);
    }
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus);
    if (WIFSIGNALED(wstatus))
        return 128 + WTERMSIG(wstatus);
    return EXIT_SYSERR;     /* stopped/continued: not reported without WUNTRACED */
}

static int run_parent(int pipe_fd[2], pid_t child, size_t bufsize)
{
    bool failed = false;
    uintmax_t forwarded = 0;
    char *buf;
    int status;

    /* Without this, a dead child would not make our writes fail: we would still
     * count as a reader, and block forever on a full pipe. */
    if (close(pipe_fd[0]) == -1) {
        syserr("close");
        failed = true;
    }

    /* A child that is gone must show up as EPIPE from write(), which we handle,
     * not as a SIGPIPE that would kill us before we wait for it. Set only here,
     * after the fork: the child keeps the default action. */
    if (!failed && set_signal(SIGPIPE, SIG_IGN) == -1) {
        syserr("sigaction");
        failed = true;
    }

    if (!failed) {
        buf = malloc(bufsize);
        if (buf == NULL) {
            syserr("malloc");
            failed = true;
        } else {
            failed = forward(STDIN_FILENO, pipe_fd[1], buf, bufsize, &forwarded) == -1;
            free(buf);
        }
    }

    /* Closing our write end is what gives the child its EOF: it must happen
     * before we wait, on every path, or both processes wait for each other. */
    if (close(pipe_fd[1]) == -1) {
        syserr("close");
        failed = true;
    }

    status = wait_for_child(child, forwarded);
    return failed ? EXIT_SYSERR : status;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    size_t bufsize = parse_args(argc, argv);
    int pipe_fd[2];
    pid_t child;

    /* Before the pipe exists, so that as soon as there is a child to relay to,
     * SIGUSR1 asks for a report instead of killing the parent. */
    if (set_signal(SIGUSR1, on_sigusr1) == -1)
        die("sigaction");

    if (pipe(pipe_fd) == -1)
        die("pipe");

    child = fork();
    if (child == -1) {
        int saved_errno = errno;

        close(pipe_fd[0]);
        close(pipe_fd[1]);
        errno = saved_errno;
        die("fork");
    }
    if (child == 0)
        /* _exit(), not exit(): a forked copy must not run the parent's atexit
         * handlers or flush stdio buffers it inherited (the child flushes its
         * own output explicitly). */
        _exit(run_child(pipe_fd));

    return run_parent(pipe_fd, child, bufsize);
}
