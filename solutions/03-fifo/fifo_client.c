/*
 * fifo_client.c - send the lines of standard input to a fifo_server through
 * its named pipe, one message per line.
 *
 *     usage: fifo_client [-p PATH]
 *
 * Each line becomes the message "[PID] line\n", written with a single write()
 * so that it reaches the server in one piece even while other clients write
 * to the same FIFO. A message longer than PIPE_BUF bytes would not be atomic:
 * such a line is refused, reported, and not sent.
 *
 * See exercises/03-fifo/README.md for the full statement.
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
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>

#define PROG         "fifo_client"
#define DEFAULT_PATH "/tmp/ipclab-fifo"

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "fifo_client: <message>\n" on stderr, unbuffered (stderr is), one line. */
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
    line[len] = '\0';
    fputs(line, stderr);
}

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static void usage_error(const char *fmt, ...)
{
    char what[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    fputs("usage: " PROG " [-p PATH]\n", stderr);
    exit(EXIT_USAGE);
}

static const char *parse_args(int argc, char *argv[])
{
    const char *path = DEFAULT_PATH;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":p:")) != -1) {
        switch (opt) {
        case 'p':
            if (optarg[0] == '\0')
                usage_error("the path must not be empty");
            path = optarg;
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
    return path;
}

/* ------------------------------------------------------------------------- */
/* Connecting                                                                */
/* ------------------------------------------------------------------------- */

/*
 * Open the server's FIFO for writing; return the descriptor, or -1 after
 * printing why.
 *
 * A plain open(O_WRONLY) of a FIFO blocks until some process opens it for
 * reading: with no server, the client would hang forever. With O_NONBLOCK
 * it returns at once: ENXIO means "no reader", i.e. no server is running.
 * Afterwards O_NONBLOCK is taken off again, so that a write() to a full FIFO
 * waits for the server to make room instead of failing with EAGAIN.
 */
static int connect_to_server(const char *path)
{
    struct stat st;
    int fd, flags;

    fd = open(path, O_WRONLY | O_NONBLOCK);
    if (fd == -1) {
        if (errno == ENOENT)
            msg("no server: %s does not exist", path);
        else if (errno == ENXIO)
            msg("no server is reading %s", path);
        else
            msg("open: %s: %s", path, strerror(errno));
        return -1;
    }
    /* A regular file opens for writing just as well: make sure it is a FIFO
     * before anything is written to it. */
    if (fstat(fd, &st) == -1) {
        syserr("fstat");
        close(fd);
        return -1;
    }
    if (!S_ISFIFO(st.st_mode)) {
        msg("%s is not a FIFO", path);
        close(fd);
        return -1;
    }
    flags = fcntl(fd, F_GETFL);
    if (flags == -1 || fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) == -1) {
        syserr("fcntl");
        close(fd);
        return -1;
    }
    return fd;
}

/* ------------------------------------------------------------------------- */
/* Sending                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * Send every line of standard input. Returns the exit status: 0, or 1 if a
 * line was refused (the others are still sent) or a call failed.
 */
static int send_lines(int fd)
{
    char message[PIPE_BUF];
    char prefix[32];
    int prefix_len = snprintf(prefix, sizeof prefix, "[%ld] ", (long)getpid());
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    long number = 0;
    int status = EXIT_SUCCESS;

    while ((len = getline(&line, &cap, stdin)) != -1) {
        size_t text_len = (size_t)len;
        size_t total;
        ssize_t n;

        number++;
        if (text_len > 0 && line[text_len - 1] == '\n')
            text_len--;         /* a last line without a newline gets one */
        total = (size_t)prefix_len + text_len + 1;

        /*
         * Only a write() of at most PIPE_BUF bytes is atomic on a FIFO: it goes
         * in as a whole, never mixed with the bytes of another writer. A longer
         * write() may be split, and other clients' messages may land between
         * its parts. So a message that does not fit is not sent at all.
         */
        if (total > PIPE_BUF) {
            msg("line %ld is too long (%zu bytes with its prefix, at most %d): not sent",
                number, total, PIPE_BUF);
            status = EXIT_SYSERR;
            continue;
        }
        memcpy(message, prefix, (size_t)prefix_len);
        memcpy(message + prefix_len, line, text_len);
        message[total - 1] = '\n';

        /* One write() for the whole message: two calls (the prefix, then the
         * text) would let another client's message in between. A blocking
         * write() of at most PIPE_BUF bytes writes all of it or nothing, and
         * no handler is installed, so it cannot return early with EINTR. */
        n = write(fd, message, total);
        if (n == -1) {
            if (errno == EPIPE)
                msg("the server has gone away");
            else
                syserr("write");
            status = EXIT_SYSERR;
            break;
        }
        if ((size_t)n != total) {
            msg("write: only %zd of %zu bytes written", n, total);
            status = EXIT_SYSERR;
            break;
        }
    }
    if (ferror(stdin)) {
        syserr("read");
        status = EXIT_SYSERR;
    }
    free(line);
    return status;
}

int main(int argc, char *argv[])
{
    const char *path = parse_args(argc, argv);
    struct sigaction sa;
    int fd, status;

    /*
     * When the server is gone, a write() to the FIFO raises SIGPIPE, whose
     * default action kills us without a word. Ignored, it becomes EPIPE from
     * write(), and we can say what happened.
     */
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = SIG_IGN;
    sigemptyset(&sa.sa_mask);
    if (sigaction(SIGPIPE, &sa, NULL) == -1) {
        syserr("sigaction");
        return EXIT_SYSERR;
    }

    fd = connect_to_server(path);
    if (fd == -1)
        return EXIT_SYSERR;

    status = send_lines(fd);
    if (close(fd) == -1) {
        syserr("close");
        status = EXIT_SYSERR;
    }
    return status;
}
