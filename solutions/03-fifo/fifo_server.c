/*
 * fifo_server.c - a server that reads the messages of any number of clients
 * from one named pipe (FIFO) and prints them on standard output.
 *
 *     usage: fifo_server [-p PATH] [-m MODE]
 *
 * The server creates the FIFO PATH (default /tmp/ipclab-fifo) with the
 * permissions MODE (octal, default 0600), opens it for reading and, once more,
 * for writing, and prints every line that arrives. It keeps serving when the
 * last client has gone, without spinning, and on SIGINT or SIGTERM it removes
 * the FIFO and exits 0.
 *
 * One process, no threads: poll() waits on the FIFO and on a signalfd.
 *
 * See exercises/03-fifo/README.md for the full statement.
 */
#define _GNU_SOURCE         /* memrchr() */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG         "fifo_server"
#define DEFAULT_PATH "/tmp/ipclab-fifo"
#define DEFAULT_MODE 0600

/*
 * One read() takes at most this much: the default capacity of a Linux pipe,
 * so that a single read() can empty it. The buffer holds twice that, because
 * the bytes of a line that is not complete yet are kept at its start.
 */
#define READ_SIZE    65536

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* Write all len bytes (a short count or EINTR just continues). */
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

/* "fifo_server: <message>\n" on stderr, in one write(). */
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
    (void)write_all(STDERR_FILENO, line, (size_t)len);
}

/* "fifo_server: CALL: PATH: strerror text"; errno holds the call's error. */
static void syserr_path(const char *call, const char *path)
{
    msg("%s: %s: %s", call, path, strerror(errno));
}

/* "fifo_server: CALL: strerror text" */
static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static int close_checked(int fd)
{
    if (close(fd) == -1) {
        syserr("close");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    const char *path;
    mode_t mode;
};

static void usage_error(const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    (void)write_all(STDERR_FILENO, "usage: " PROG " [-p PATH] [-m MODE]\n",
                    sizeof "usage: " PROG " [-p PATH] [-m MODE]\n" - 1);
    exit(EXIT_USAGE);
}

/* An octal number from 0 to 0777 that lets the owner read and write. */
static bool parse_mode(const char *s, mode_t *mode)
{
    unsigned long value = 0;
    size_t i;

    if (s[0] == '\0')
        return false;
    /* Any number of digits (00640 is 0640, as for chmod): the value decides. */
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '7')
            return false;
        value = value * 8 + (unsigned long)(s[i] - '0');
        if (value > 0777)
            return false;
    }
    /* The server itself opens the FIFO for reading and for writing: without
     * both bits for the owner, that open() would fail for anyone but root. */
    if (value > 0777 || (value & 0600) != 0600)
        return false;
    *mode = (mode_t)value;
    return true;
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = { .path = DEFAULT_PATH, .mode = DEFAULT_MODE };
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":p:m:")) != -1) {
        switch (opt) {
        case 'p':
            if (optarg[0] == '\0')
                usage_error("the path must not be empty");
            o.path = optarg;
            break;
        case 'm':
            if (!parse_mode(optarg, &o.mode))
                usage_error("invalid mode '%s' (expected octal, at most 0777, with 0600 set)",
                            optarg);
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
    return o;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * Block SIGINT and SIGTERM, and return a descriptor from which they can be
 * read (signalfd), or -1 with errno set.
 *
 * Blocked, they no longer interrupt or kill us: they wait, pending, until the
 * main loop reads them from the signalfd, which poll() watches next to the
 * FIFO. The cleanup (unlink, close) then runs in the main loop, never in a
 * handler, and there is no window in which a signal could be missed: with a
 * handler that sets a flag, a signal that comes after the flag was checked
 * but before read() blocks is only seen once the next client writes.
 * Blocked first, then the FIFO: a signal at any moment after that is kept.
 */
static int setup_signals(void)
{
    sigset_t set;

    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    if (sigprocmask(SIG_BLOCK, &set, NULL) == -1)
        return -1;
    return signalfd(-1, &set, SFD_CLOEXEC);
}

/* ------------------------------------------------------------------------- */
/* Creating the FIFO                                                         */
/* ------------------------------------------------------------------------- */

/*
 * Make PATH a FIFO with exactly the permissions mode. Returns 0, or -1 after
 * printing why (then nothing was created or changed).
 *
 * mkfifo() first, then look at what is there if it already exists: checking
 * first (stat, then mkfifo) would leave a window in which the path can change.
 */
static int create_fifo(const char *path, mode_t mode)
{
    struct stat st;
    int probe;

    /* mkfifo() applies the umask (mode & ~umask); the statement wants MODE
     * exactly, so the umask is cleared for this one call. */
    mode_t old_umask = umask(0);
    int rc = mkfifo(path, mode);

    umask(old_umask);
    if (rc == 0)
        return 0;
    if (errno != EEXIST) {
        syserr_path("mkfifo", path);    /* ENOENT: a directory is missing */
        return -1;
    }

    /* Something is there already. Never touch anything but a FIFO. */
    if (lstat(path, &st) == -1) {
        syserr_path("lstat", path);
        return -1;
    }
    if (!S_ISFIFO(st.st_mode)) {
        msg("%s exists and is not a FIFO", path);
        return -1;
    }

    /*
     * A FIFO. Is a server reading it right now? Opening it for writing without
     * blocking answers that: it succeeds if there is a reader, and fails with
     * ENXIO if there is none, so the FIFO was left behind by a server that
     * died without cleaning up (SIGKILL, a crash).
     */
    probe = open(path, O_WRONLY | O_NONBLOCK);
    if (probe != -1) {
        close(probe);
        msg("another server is already reading %s", path);
        return -1;
    }
    if (errno != ENXIO) {
        syserr_path("open", path);
        return -1;
    }
    if (chmod(path, mode) == -1) {
        syserr_path("chmod", path);
        return -1;
    }
    msg("reusing the FIFO %s left by an earlier run", path);
    return 0;
}

/*
 * Open the FIFO for reading, and once more for writing: *read_fd, *write_fd.
 * Returns 0, or -1 after printing why (nothing left open).
 *
 * The write end is never written to. It is there because read() on a FIFO
 * returns 0 (EOF) as soon as no process holds it open for writing: without it
 * the server would see EOF each time its last client left, and a loop that
 * just tries again would spin, using a whole CPU while nobody talks to it.
 * As long as we hold a writer ourselves, read() (and poll()) simply wait.
 *
 * A plain open(O_RDONLY) would block until a client opens the FIFO for
 * writing. So the read end is opened with O_NONBLOCK (which does not wait
 * for a writer), then the write end (which succeeds because we are now a
 * reader), and then O_NONBLOCK is taken off the read end again.
 * (On Linux a single open(O_RDWR) does both, but POSIX leaves O_RDWR on a
 * FIFO undefined.)
 */
static int open_fifo(const char *path, int *read_fd, int *write_fd)
{
    int flags;

    *read_fd = open(path, O_RDONLY | O_NONBLOCK);
    if (*read_fd == -1) {
        syserr_path("open", path);
        return -1;
    }
    *write_fd = open(path, O_WRONLY);
    if (*write_fd == -1) {
        syserr_path("open", path);
        close(*read_fd);
        return -1;
    }
    flags = fcntl(*read_fd, F_GETFL);
    if (flags == -1 || fcntl(*read_fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
        syserr("fcntl");
        close(*write_fd);
        close(*read_fd);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */
/* Serving                                                                   */
/* ------------------------------------------------------------------------- */

static char buf[2 * READ_SIZE];
static size_t kept;             /* bytes of an incomplete line at buf[0] */

/*
 * Print every complete line of buf (one write(), so that they come out at
 * once and in order) and keep the incomplete rest at the start of buf.
 * A client that follows the protocol writes each line with a single write()
 * of at most PIPE_BUF bytes, which the FIFO keeps in one piece; a rest only
 * happens when a client breaks the protocol.
 */
static int print_lines(void)
{
    char *last_nl = memrchr(buf, '\n', kept);
    size_t whole = last_nl == NULL ? 0 : (size_t)(last_nl - buf) + 1;

    /* A "line" that fills half the buffer without a newline: print it as it is
     * rather than wait for a newline that may never come. */
    if (whole == 0 && kept >= READ_SIZE)
        whole = kept;
    if (whole > 0) {
        if (write_all(STDOUT_FILENO, buf, whole) == -1) {
            syserr("write");
            return -1;
        }
        memmove(buf, buf + whole, kept - whole);
        kept -= whole;
    }
    return 0;
}

/* At exit: an incomplete line left over is printed with a newline added. */
static int flush_rest(void)
{
    if (kept == 0)
        return 0;
    buf[kept++] = '\n';
    return print_lines();
}

/*
 * Wait for data or a signal with poll(), print what arrives, until SIGINT or
 * SIGTERM; *stopped_by gets that signal. Returns 0, or -1 after printing why.
 */
static int serve(int read_fd, int sig_fd, int *stopped_by)
{
    struct pollfd pfd[2] = {
        { .fd = sig_fd, .events = POLLIN },
        { .fd = read_fd, .events = POLLIN },
    };

    for (;;) {
        ssize_t n;

        /* Blocks, using no CPU at all, until a client writes or a signal
         * comes. Never on an EOF: we hold a write end ourselves. */
        if (poll(pfd, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            syserr("poll");
            return -1;
        }

        /* The signal first: a stream of messages must not delay the stop. */
        if (pfd[0].revents & POLLIN) {
            struct signalfd_siginfo si;

            if (read(sig_fd, &si, sizeof si) != (ssize_t)sizeof si) {
                syserr("read");
                return -1;
            }
            *stopped_by = (int)si.ssi_signo;
            return 0;
        }
        if (pfd[1].revents == 0)
            continue;

        n = read(read_fd, buf + kept, READ_SIZE);
        if (n == -1) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            syserr("read");
            return -1;
        }
        if (n == 0) {
            /* Impossible while we hold our own write end: say so rather than
             * loop on it. */
            msg("read: unexpected end of file on the FIFO");
            return -1;
        }
        kept += (size_t)n;
        if (print_lines() == -1)
            return -1;
    }
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct options o = parse_args(argc, argv);
    int sig_fd, read_fd, write_fd;
    int stopped_by = 0;
    int status = EXIT_SUCCESS;

    /* Before the FIFO exists: from then on, SIGINT and SIGTERM must lead to
     * its removal, never kill us with the FIFO left behind. */
    sig_fd = setup_signals();
    if (sig_fd == -1) {
        syserr("signalfd");
        return EXIT_SYSERR;
    }

    if (create_fifo(o.path, o.mode) == -1) {
        close(sig_fd);
        return EXIT_SYSERR;     /* nothing created: nothing to remove */
    }

    if (open_fifo(o.path, &read_fd, &write_fd) == -1) {
        unlink(o.path);
        close(sig_fd);
        return EXIT_SYSERR;
    }

    msg("listening on %s", o.path);

    if (serve(read_fd, sig_fd, &stopped_by) == -1)
        status = EXIT_SYSERR;
    if (flush_rest() == -1)
        status = EXIT_SYSERR;

    /* Cleanup on every path: first the name, so that no new client can open
     * the FIFO any more, then our descriptors. */
    if (unlink(o.path) == -1) {
        syserr_path("unlink", o.path);
        status = EXIT_SYSERR;
    }
    if (close_checked(write_fd) == -1)
        status = EXIT_SYSERR;
    if (close_checked(read_fd) == -1)
        status = EXIT_SYSERR;
    if (close_checked(sig_fd) == -1)
        status = EXIT_SYSERR;
    if (stopped_by != 0)
        msg("%s received: %s removed", stopped_by == SIGINT ? "SIGINT" : "SIGTERM", o.path);
    return status;
}
