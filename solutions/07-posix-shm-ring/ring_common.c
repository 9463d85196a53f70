/*
 * ring_common.c - helpers shared by ring_producer and ring_consumer: messages,
 * arguments, signals, waiting on a semaphore, removing the names.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "ring.h"

volatile sig_atomic_t ring_signal;
const char *ring_prog = "ring";

/*
 * "PROG: message\n" on stderr, built first and written with one write(): the
 * two programs usually share a terminal, and their lines must not mix.
 */
void ring_msg(const char *fmt, ...)
{
    char line[512];
    int len = snprintf(line, sizeof line, "%s: ", ring_prog);
    va_list ap;

    va_start(ap, fmt);
    len += vsnprintf(line + len, sizeof line - (size_t)len, fmt, ap);
    va_end(ap);
    if (len > (int)sizeof line - 2)
        len = (int)sizeof line - 2;
    line[len++] = '\n';
    /* One write() is enough for a line on stderr; nowhere to report a failure. */
    (void)!write(STDERR_FILENO, line, (size_t)len);
}

/* A failed call, by name; errno holds its error. */
void ring_syserr(const char *call)
{
    ring_msg("%s: %s", call, strerror(errno));
}

/*
 * A POSIX IPC name as §2 wants it: "/" then 1 to RING_MAX_NAME characters,
 * none of them "/". The same name serves the shared memory object and the
 * named semaphore: they live in different name spaces (/dev/shm/NAME and
 * /dev/shm/sem.NAME).
 */
int ring_parse_name(const char *s)
{
    size_t len = strlen(s);

    return s[0] == '/' && len >= 2 && len <= RING_MAX_NAME + 1 && strchr(s + 1, '/') == NULL;
}

/* A decimal integer in [min, max], digits only. Returns 1 if it is one. */
int ring_parse_long(const char *s, long min, long max, long *value)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')       /* strtol() would skip blanks, take a sign */
        return 0;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return 0;
    *value = v;
    return 1;
}

static void on_signal(int sig)
{
    ring_signal = sig;      /* the main line cleans up: nothing else is safe here */
}

/*
 * SIGINT and SIGTERM set a flag. No SA_RESTART: a sem_wait() or read() that is
 * blocked must return EINTR so that the main line sees the flag at once.
 */
int ring_catch_signals(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1) {
        ring_syserr("sigaction");
        return -1;
    }
    return 0;
}

/* A reader of our stdout that goes away must be an EPIPE we handle (we must
 * tell the producer), not a SIGPIPE that kills us silently. */
int ring_ignore_sigpipe(void)
{
    if (signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        ring_syserr("signal");
        return -1;
    }
    return 0;
}

/*
 * sem_wait() that only gives up for our own signals: EINTR from any other
 * handler (there is none here, but a debugger's SIGSTOP/SIGCONT can cause it)
 * just waits again. Returns 0, or -1 with errno set (EINTR: ring_signal is set).
 */
int ring_wait(sem_t *sem)
{
    while (sem_wait(sem) == -1) {
        if (errno != EINTR || ring_signal != 0)
            return -1;
    }
    return 0;
}

/* All len bytes, whatever write() does: short counts and EINTR go on, unless
 * one of our signals arrived (then -1 with errno EINTR). */
int ring_write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n;

        /* A signal may cut a write() short without an error: look at the flag
         * before every write(), or the next one may block again for good. */
        if (ring_signal != 0) {
            errno = EINTR;
            return -1;
        }
        n = write(fd, buf, len);
        if (n == -1) {
            if (errno == EINTR && ring_signal == 0)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/*
 * Remove the two names, the object's and the semaphore's. A name that is
 * already gone is fine: the other side removed it (§5). Objects stay alive as
 * long as they are mapped or open; only the names go.
 */
int ring_remove_names(const char *name)
{
    int rc = 0;

    if (shm_unlink(name) == -1 && errno != ENOENT) {
        ring_syserr("shm_unlink");
        rc = -1;
    }
    if (sem_unlink(name) == -1 && errno != ENOENT) {
        ring_syserr("sem_unlink");
        rc = -1;
    }
    return rc;
}

/* The header and the slot lengths, rounded up to a page: the data of every
 * slot starts page-aligned, which read() and write() like best. */
size_t ring_data_offset(uint32_t slots)
{
    size_t head = sizeof(struct ring_header) + (size_t)slots * sizeof(uint32_t);

    return (head + 4095) & ~(size_t)4095;
}

size_t ring_size(uint32_t slots, uint32_t chunk)
{
    return ring_data_offset(slots) + (size_t)slots * chunk;
}
