/*
 * pipe_copy.c - the grader's baseline for 07-posix-shm-ring: copy standard
 * input to standard output through an anonymous pipe between a parent and
 * its child, CHUNK bytes at a time, the way ring_producer and ring_consumer
 * copy it through shared memory.
 *
 *     usage: pipe_copy [-c CHUNK]      (CHUNK from 1 to 1048576, default 65536)
 *
 * The parent reads stdin and writes every chunk into the pipe; the child
 * reads the pipe, CHUNK bytes at a time, and writes what it got to stdout.
 * Exit status: 0, 1 on a failed call, 2 on bad arguments.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG "pipe_copy"

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

/* Copy in to out, chunk bytes per read(); 0 at EOF, -1 after a message. */
static int copy(int in, int out, char *buf, size_t chunk)
{
    for (;;) {
        ssize_t n = read(in, buf, chunk);

        if (n == 0)
            return 0;
        if (n == -1) {
            if (errno == EINTR)
                continue;
            fprintf(stderr, "%s: read: %s\n", PROG, strerror(errno));
            return -1;
        }
        if (write_all(out, buf, (size_t)n) == -1) {
            fprintf(stderr, "%s: write: %s\n", PROG, strerror(errno));
            return -1;
        }
    }
}

int main(int argc, char *argv[])
{
    long chunk = 65536;
    int fd[2], opt, wstatus, status;
    char *buf, *end;
    pid_t child;

    while ((opt = getopt(argc, argv, "c:")) != -1) {
        if (opt != 'c')
            goto usage;
        errno = 0;
        chunk = strtol(optarg, &end, 10);
        if (errno != 0 || *end != '\0' || optarg[0] < '0' || optarg[0] > '9' ||
            chunk < 1 || chunk > 1048576)
            goto usage;
    }
    if (optind != argc)
        goto usage;

    buf = malloc((size_t)chunk);
    if (buf == NULL) {
        fprintf(stderr, "%s: malloc: %s\n", PROG, strerror(errno));
        return 1;
    }
    if (pipe(fd) == -1) {
        fprintf(stderr, "%s: pipe: %s\n", PROG, strerror(errno));
        free(buf);
        return 1;
    }
    child = fork();
    if (child == -1) {
        fprintf(stderr, "%s: fork: %s\n", PROG, strerror(errno));
        free(buf);
        return 1;
    }
    if (child == 0) {
        /* The child: the read end only, or it never sees EOF. */
        close(fd[1]);
        status = copy(fd[0], STDOUT_FILENO, buf, (size_t)chunk) == -1;
        close(fd[0]);
        free(buf);
        _exit(status);
    }

    /* The parent: the write end only; a child that died shows up as EPIPE. */
    signal(SIGPIPE, SIG_IGN);
    close(fd[0]);
    status = copy(STDIN_FILENO, fd[1], buf, (size_t)chunk) == -1;
    close(fd[1]);   /* the child's EOF */
    free(buf);
    while (waitpid(child, &wstatus, 0) == -1) {
        if (errno != EINTR) {
            fprintf(stderr, "%s: waitpid: %s\n", PROG, strerror(errno));
            return 1;
        }
    }
    if (!WIFEXITED(wstatus) || WEXITSTATUS(wstatus) != 0)
        status = 1;
    return status;

usage:
    fputs("usage: " PROG " [-c CHUNK]\n", stderr);
    return 2;
}
