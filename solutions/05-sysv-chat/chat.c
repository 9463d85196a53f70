/*
 * chat.c - two unrelated processes talk in both directions at once through
 * two System V shared memory segments (one per direction), synchronised with
 * one System V semaphore set.
 *
 *     usage: chat [-k KEY] -r a|b
 *
 * Run it twice, once as role a and once as role b, with the same KEY. Each
 * side has a writer thread (its standard input, line by line, to the peer)
 * and a reader thread (the peer's lines to standard output, as "peer: TEXT").
 * A line "quit" ends both sides; end of input on both sides ends the
 * conversation too. A peer that dies without a word (SIGKILL) is noticed
 * through a semaphore it held with SEM_UNDO, which the kernel gives back.
 *
 * See exercises/05-sysv-chat/README.md for the full statement.
 */
#define _GNU_SOURCE             /* semtimedop() */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <time.h>
#include <unistd.h>

#define PROG        "chat"
#define DEFAULT_KEY 0x1a00cafeL
#define MSG_MAX     4096            /* bytes of text in one message */
#define TICK_MS     100             /* how often a blocked thread looks around */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* What a message in a channel is. */
enum kind { MSG_TEXT = 1, MSG_END = 2, MSG_QUIT = 3 };

/* One direction of the conversation: a one-slot mailbox in its own segment. */
struct channel {
    uint32_t kind;
    uint32_t len;
    char text[MSG_MAX];
};

/*
 * The semaphore set. For each direction, EMPTY (1: the slot may be written)
 * and FULL (1: the slot holds a message) form the classic one-slot
 * producer/consumer pair: the writer waits on EMPTY and posts FULL, the
 * reader waits on FULL and posts EMPTY. They get no SEM_UNDO: one process
 * takes and the other gives, so undoing either side's part at exit would
 * corrupt the count. ALIVE_A and ALIVE_B are 1 while that role's process
 * lives: each side raises its own with SEM_UNDO, so the kernel lowers it
 * again whenever the process ends, even by SIGKILL.
 */
enum { EMPTY_AB, FULL_AB, EMPTY_BA, FULL_BA, ALIVE_A, ALIVE_B, NSEMS };

/* Why the conversation ended: the first reason wins. */
enum reason {
    R_NONE,         /* still talking */
    R_QUIT,         /* we sent "quit" */
    R_PEER_QUIT,    /* the peer sent "quit" */
    R_DONE,         /* both sides reached end of input */
    R_PEER_LEFT,    /* the peer removed the objects (it quit or was interrupted) */
    R_SIGNAL,       /* SIGINT, SIGTERM or SIGHUP */
    R_VANISHED,     /* the peer died without removing anything */
    R_ERROR,        /* a system call failed */
};

/* Results of waiting on a semaphore. */
enum wait_result { WAIT_OK, WAIT_STOP, WAIT_LEFT, WAIT_VANISHED, WAIT_ERROR };

/* Everything both threads use. The IPC ids and addresses are set before the
 * threads start and never change; the fields after the mutex change while the
 * threads run and are only touched with the mutex held. */
static struct {
    int semid;
    int shmid[2];                   /* [0]: a -> b, [1]: b -> a */
    struct channel *seg[2];
    struct channel *out, *in;       /* ours to write, ours to read */
    int out_empty, out_full, in_empty, in_full, alive_peer;

    pthread_mutex_t lock;
    enum reason reason;
    bool sent_end;                  /* our writer has sent MSG_END */
    bool got_end;                   /* our reader has received MSG_END */
} chat = {
    .semid = -1,
    .shmid = { -1, -1 },
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

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

/* "chat: <message>\n" on stderr in one write(): both threads may print. */
static void msg(const char *fmt, ...)
{
    char line[512];
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

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static const char usage_line[] = "usage: " PROG " [-k KEY] -r a|b\n";

/* What was wrong, then the usage line; exit 2 before any IPC object exists. */
static void usage_error(const char *fmt, ...)
{
    char what[256];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    msg("%s", what);
    (void)write_all(STDERR_FILENO, usage_line, sizeof usage_line - 1);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/* A key: decimal, 0x hex or 0 octal as strtol() base 0 reads it, from 1 to
 * 0x7ffffffe (KEY + 1 must be a key too, and 0 is IPC_PRIVATE). */
static bool parse_key(const char *s, key_t *key)
{
    char *end;
    long value;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    value = strtol(s, &end, 0);
    if (errno != 0 || *end != '\0' || value < 1 || value > 0x7ffffffeL)
        return false;
    *key = (key_t)value;
    return true;
}

static void parse_args(int argc, char *argv[], key_t *key, int *role)
{
    int opt;

    *key = (key_t)DEFAULT_KEY;
    *role = -1;
    opterr = 0;
    while ((opt = getopt(argc, argv, ":k:r:")) != -1) {
        switch (opt) {
        case 'k':
            if (!parse_key(optarg, key))
                usage_error("invalid key '%s' (expected a number from 1 to 0x7ffffffe)", optarg);
            break;
        case 'r':
            if (strcmp(optarg, "a") == 0)
                *role = 0;
            else if (strcmp(optarg, "b") == 0)
                *role = 1;
            else
                usage_error("invalid role '%s' (expected a or b)", optarg);
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
    if (*role == -1)
        usage_error("the role is missing (-r a or -r b)");
}

/* ------------------------------------------------------------------------- */
/* Shared state of the threads                                               */
/* ------------------------------------------------------------------------- */

static void lock(void)
{
    int err = pthread_mutex_lock(&chat.lock);

    if (err != 0) {     /* only a bug can make this fail: stop at once */
        errno = err;
        syserr("pthread_mutex_lock");
        abort();
    }
}

static void unlock(void)
{
    int err = pthread_mutex_unlock(&chat.lock);

    if (err != 0) {
        errno = err;
        syserr("pthread_mutex_unlock");
        abort();
    }
}

/* Record why the conversation ends, unless a reason was recorded already. */
static void set_reason(enum reason why)
{
    lock();
    if (chat.reason == R_NONE)
        chat.reason = why;
    unlock();
}

static enum reason reason(void)
{
    enum reason why;

    lock();
    why = chat.reason;
    unlock();
    return why;
}

static bool stopping(void)
{
    return reason() != R_NONE;
}

/* ------------------------------------------------------------------------- */
/* Semaphores                                                                */
/* ------------------------------------------------------------------------- */

/* The set was removed under us: the peer left first and cleaned up. */
static bool removed(int err)
{
    return err == EIDRM || err == EINVAL;
}

/* Is the peer's process still there? Its ALIVE semaphore says so: the kernel
 * set it back to 0 (SEM_UNDO) when the process ended. A peer that ends
 * normally removes the set first, so 0 with the set still there means that it
 * died without cleaning up. */
static enum wait_result peer_alive(void)
{
    int value = semctl(chat.semid, chat.alive_peer, GETVAL);

    if (value == -1) {
        if (removed(errno))
            return WAIT_LEFT;
        syserr("semctl(GETVAL)");
        return WAIT_ERROR;
    }
    return value > 0 ? WAIT_OK : WAIT_VANISHED;
}

/*
 * Take one unit of semaphore num. The wait is cut into ticks by semtimedop():
 * between two ticks the thread checks whether the conversation is over and
 * whether the peer still lives, so that nothing waits forever for a dead
 * peer.
 */
static enum wait_result sem_take(int num)
{
    struct sembuf op = { .sem_num = (unsigned short)num, .sem_op = -1, .sem_flg = 0 };
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };

    for (;;) {
        enum wait_result alive;

        if (semtimedop(chat.semid, &op, 1, &tick) == 0)
            return WAIT_OK;
        if (removed(errno))
            return WAIT_LEFT;
        if (errno != EAGAIN && errno != EINTR) {
            syserr("semtimedop");
            return WAIT_ERROR;
        }
        if (stopping())
            return WAIT_STOP;
        alive = peer_alive();
        if (alive == WAIT_VANISHED) {
            /* It may have given the semaphore just before it died (a last
             * message in the slot): that one is still ours to take. */
            struct sembuf last = op;

            last.sem_flg = IPC_NOWAIT;
            if (semop(chat.semid, &last, 1) == 0)
                return WAIT_OK;
            if (removed(errno))
                return WAIT_LEFT;
        }
        if (alive != WAIT_OK)
            return alive;
    }
}

static enum wait_result sem_give(int num)
{
    struct sembuf op = { .sem_num = (unsigned short)num, .sem_op = 1, .sem_flg = 0 };

    while (semop(chat.semid, &op, 1) == -1) {
        if (removed(errno))
            return WAIT_LEFT;
        if (errno != EINTR) {
            syserr("semop");
            return WAIT_ERROR;
        }
    }
    return WAIT_OK;
}

/* Turn a failed wait into the reason the conversation ends. */
static void stop_after(enum wait_result result)
{
    switch (result) {
    case WAIT_LEFT:
        set_reason(R_PEER_LEFT);
        break;
    case WAIT_VANISHED:
        msg("peer vanished");
        set_reason(R_VANISHED);
        break;
    case WAIT_ERROR:
        set_reason(R_ERROR);
        break;
    case WAIT_OK:
    case WAIT_STOP:            /* someone else has set the reason already */
        break;
    }
}

/* ------------------------------------------------------------------------- */
/* The writer thread: standard input -> our channel                          */
/* ------------------------------------------------------------------------- */

/* Put one message in the slot: wait until the peer has emptied it, fill it,
 * tell the peer it is full. */
static enum wait_result send_message(enum kind kind, const char *text, size_t len)
{
    enum wait_result result = sem_take(chat.out_empty);

    if (result != WAIT_OK)
        return result;
    chat.out->kind = kind;
    chat.out->len = (uint32_t)len;
    memcpy(chat.out->text, text, len);
    return sem_give(chat.out_full);
}

/* Send one line (without its newline), or end everything if it is "quit". */
/* Send the end of a line (all of it, or the rest of a long line whose first
 * pieces went already: then it is text, whatever it reads). */
static enum wait_result send_line(const char *line, size_t len, bool continued, bool *quit)
{
    if (!continued && len == 4 && memcmp(line, "quit", 4) == 0) {
        *quit = true;
        return send_message(MSG_QUIT, NULL, 0);
    }
    return send_message(MSG_TEXT, line, len);
}

/* Wait until standard input has something, a tick at a time. */
static int wait_input(void)
{
    struct pollfd pfd = { .fd = STDIN_FILENO, .events = POLLIN };

    for (;;) {
        int n;

        if (stopping())
            return 0;
        n = poll(&pfd, 1, TICK_MS);
        if (n > 0)
            return 1;
        if (n == -1 && errno != EINTR) {
            syserr("poll");
            return -1;
        }
    }
}

static void *writer_main(void *arg)
{
    /* One byte more than a message: a line of exactly MSG_MAX bytes is one
     * message only if its newline is seen before anything is sent. */
    static char buf[MSG_MAX + 1];   /* only this thread uses it */
    size_t len = 0;
    enum wait_result result = WAIT_OK;
    bool quit = false;
    bool continued = false;         /* pieces of the current line were sent */

    (void)arg;
    for (;;) {
        ssize_t n;
        size_t start = 0, i;
        int ready = wait_input();

        if (ready <= 0) {
            if (ready == -1)
                set_reason(R_ERROR);
            return NULL;
        }
        n = read(STDIN_FILENO, buf + len, sizeof buf - len);
        if (n == -1) {
            if (errno == EINTR)
                continue;
            syserr("read");
            set_reason(R_ERROR);
            return NULL;
        }
        if (n == 0)
            break;
        /* Send every complete line in the buffer, keep the rest. */
        for (i = len; i < len + (size_t)n && result == WAIT_OK && !quit; i++) {
            if (buf[i] == '\n') {
                result = send_line(buf + start, i - start, continued, &quit);
                continued = false;
                start = i + 1;
            }
        }
        len += (size_t)n;
        if (result != WAIT_OK || quit)
            break;
        memmove(buf, buf + start, len - start);
        len -= start;
        /* MSG_MAX + 1 bytes and no newline: the line is longer than a
         * message, and goes in pieces of MSG_MAX bytes; the last byte waits
         * for the next piece. */
        if (len == sizeof buf) {
            result = send_message(MSG_TEXT, buf, MSG_MAX);
            if (result != WAIT_OK)
                break;
            continued = true;
            buf[0] = buf[MSG_MAX];
            len = 1;
        }
    }

    if (result == WAIT_OK && quit) {
        set_reason(R_QUIT);
        return NULL;
    }
    if (result != WAIT_OK) {
        stop_after(result);
        return NULL;
    }

    /* End of input: a last line without a newline is a line too; then tell
     * the peer that nothing more will come, and end the conversation if the
     * peer has said so already. */
    if (len > 0)
        result = send_line(buf, len, continued, &quit);
    if (result == WAIT_OK && !quit)
        result = send_message(MSG_END, NULL, 0);
    if (result != WAIT_OK) {
        stop_after(result);
        return NULL;
    }
    if (quit) {
        set_reason(R_QUIT);
        return NULL;
    }
    lock();
    chat.sent_end = true;
    if (chat.got_end && chat.reason == R_NONE)
        chat.reason = R_DONE;
    unlock();
    return NULL;
}

/* ------------------------------------------------------------------------- */
/* The reader thread: the peer's channel -> standard output                  */
/* ------------------------------------------------------------------------- */

static void *reader_main(void *arg)
{
    static char line[sizeof "peer: " - 1 + MSG_MAX + 1];
    const size_t prefix = sizeof "peer: " - 1;

    (void)arg;
    memcpy(line, "peer: ", prefix);
    for (;;) {
        enum wait_result result = sem_take(chat.in_full);
        uint32_t kind, len;

        if (result != WAIT_OK) {
            stop_after(result);
            return NULL;
        }
        /* Copy the message out, then give the slot back at once: the peer
         * can write the next one while we print this one. The length comes
         * from another process: never trust it beyond the buffer. */
        kind = chat.in->kind;
        len = chat.in->len;
        if (len > MSG_MAX)
            len = MSG_MAX;
        if (kind == MSG_TEXT)
            memcpy(line + prefix, chat.in->text, len);
        result = sem_give(chat.in_empty);

        switch (kind) {
        case MSG_TEXT:
            line[prefix + len] = '\n';
            if (write_all(STDOUT_FILENO, line, prefix + len + 1) == -1) {
                syserr("write");
                set_reason(R_ERROR);
                return NULL;
            }
            break;
        case MSG_END:
            lock();
            chat.got_end = true;
            if (chat.sent_end && chat.reason == R_NONE)
                chat.reason = R_DONE;
            unlock();
            return NULL;    /* the peer sends nothing after its end */
        case MSG_QUIT:
            set_reason(R_PEER_QUIT);
            return NULL;
        default:
            msg("unknown message kind %u from the peer", (unsigned)kind);
            set_reason(R_ERROR);
            return NULL;
        }
        if (result != WAIT_OK) {
            stop_after(result);
            return NULL;
        }
    }
}

/* ------------------------------------------------------------------------- */
/* Setting up and removing the objects                                       */
/* ------------------------------------------------------------------------- */

/*
 * Remove everything, whoever created it. The first side to leave does it;
 * the other then finds the ids gone (EINVAL, EIDRM), which is fine. Removing
 * the semaphore set wakes the peer's blocked semop() calls with EIDRM: that
 * is how the peer learns that we left. A removed segment stays usable by
 * whoever still has it attached, until the last shmdt().
 */
static int remove_objects(void)
{
    int rc = 0;

    for (int i = 0; i < 2; i++) {
        if (chat.seg[i] != NULL && shmdt(chat.seg[i]) == -1) {
            syserr("shmdt");
            rc = -1;
        }
        chat.seg[i] = NULL;
        if (chat.shmid[i] != -1 && shmctl(chat.shmid[i], IPC_RMID, NULL) == -1 && !removed(errno)) {
            syserr("shmctl(IPC_RMID)");
            rc = -1;
        }
        chat.shmid[i] = -1;
    }
    if (chat.semid != -1 && semctl(chat.semid, 0, IPC_RMID) == -1 && !removed(errno)) {
        syserr("semctl(IPC_RMID)");
        rc = -1;
    }
    chat.semid = -1;
    return rc;
}

/* A pending SIGINT, SIGTERM or SIGHUP (they are blocked: nobody is
 * interrupted, we look for them). */
static bool signal_pending(const sigset_t *signals)
{
    const struct timespec zero = { 0, 0 };

    return sigtimedwait(signals, NULL, &zero) > 0;
}

static void sleep_tick(void)
{
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = 10 * 1000000L };

    nanosleep(&tick, NULL);
}

/*
 * Create or join the semaphore set. Creating and initialising are two calls,
 * so a joiner could see the set before its values are set. The creator is
 * the one whose IPC_EXCL creation succeeds; it initialises with SETALL, and
 * its first semop() (taking its ALIVE semaphore) sets sem_otime. A joiner
 * waits for sem_otime != 0 (TLPI section 47.5).
 * Returns 0, 1 if interrupted by a signal, -1 on error.
 */
static int open_semaphores(key_t key, const sigset_t *signals)
{
    unsigned short init[NSEMS] = { 1, 0, 1, 0, 0, 0 };

    chat.semid = semget(key, NSEMS, IPC_CREAT | IPC_EXCL | 0600);
    if (chat.semid != -1) {
        if (semctl(chat.semid, 0, SETALL, init) == -1) {
            syserr("semctl(SETALL)");
            return -1;
        }
        return 0;
    }
    if (errno != EEXIST) {
        syserr("semget");
        return -1;
    }
    chat.semid = semget(key, NSEMS, 0);
    if (chat.semid == -1) {
        syserr("semget");
        return -1;
    }
    for (;;) {
        struct semid_ds ds;

        if (semctl(chat.semid, 0, IPC_STAT, &ds) == -1) {
            syserr("semctl(IPC_STAT)");
            return -1;
        }
        if (ds.sem_otime != 0)
            return 0;
        if (signal_pending(signals))
            return 1;
        sleep_tick();
    }
}

/* Both segments: either side may create them (shmget with IPC_CREAT is
 * atomic, and a new segment is all zeros: nothing to initialise). */
static int open_segments(key_t key)
{
    for (int i = 0; i < 2; i++) {
        chat.shmid[i] = shmget(key + i, sizeof(struct channel), IPC_CREAT | 0600);
        if (chat.shmid[i] == -1) {
            syserr("shmget");
            return -1;
        }
        chat.seg[i] = shmat(chat.shmid[i], NULL, 0);
        if (chat.seg[i] == (void *)-1) {
            chat.seg[i] = NULL;
            syserr("shmat");
            return -1;
        }
    }
    return 0;
}

/*
 * Say that we are here (our ALIVE to 1, with SEM_UNDO so that the kernel
 * takes it back when we end, however we end), then wait for the peer's.
 * Returns 0 when connected, 1 if a signal came first, 2 if the role is
 * taken (the objects are then the running pair's: not ours to remove), -1 on
 * error.
 */
static int connect_peer(int role, const sigset_t *signals)
{
    /* Atomically: our ALIVE must be 0 (nobody else plays this role), then 1. */
    struct sembuf here[2] = {
        { .sem_num = (unsigned short)(ALIVE_A + role), .sem_op = 0, .sem_flg = IPC_NOWAIT },
        { .sem_num = (unsigned short)(ALIVE_A + role), .sem_op = 1, .sem_flg = SEM_UNDO },
    };
    /* Wait until the peer's ALIVE is 1, and leave it as it was. */
    struct sembuf there[2] = {
        { .sem_num = (unsigned short)chat.alive_peer, .sem_op = -1, .sem_flg = 0 },
        { .sem_num = (unsigned short)chat.alive_peer, .sem_op = 1, .sem_flg = 0 },
    };
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };

    if (semop(chat.semid, here, 2) == -1) {
        if (errno != EAGAIN) {
            syserr("semop");
            return -1;
        }
        msg("role %c is taken already (key in use by another conversation?)", 'a' + role);
        return 2;
    }
    for (;;) {
        if (semtimedop(chat.semid, there, 2, &tick) == 0)
            return 0;
        if (errno != EAGAIN && errno != EINTR) {
            syserr("semtimedop");
            return -1;
        }
        if (signal_pending(signals))
            return 1;
    }
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    key_t key;
    int role, rc, err;
    sigset_t signals;
    pthread_t reader, writer;
    enum reason why;
    const struct timespec tick = { .tv_sec = 0, .tv_nsec = TICK_MS * 1000000L };

    parse_args(argc, argv, &key, &role);

    /* SIGINT, SIGTERM and SIGHUP are blocked in every thread (the threads
     * inherit the mask): nothing is interrupted half-way through a message,
     * and the main thread picks them up with sigtimedwait(). */
    sigemptyset(&signals);
    sigaddset(&signals, SIGINT);
    sigaddset(&signals, SIGTERM);
    sigaddset(&signals, SIGHUP);
    err = pthread_sigmask(SIG_BLOCK, &signals, NULL);
    if (err != 0) {
        errno = err;
        syserr("pthread_sigmask");
        return EXIT_SYSERR;
    }

    chat.alive_peer = ALIVE_B - role;
    rc = open_segments(key);
    if (rc == 0)
        rc = open_semaphores(key, &signals);
    if (rc == 0)
        rc = connect_peer(role, &signals);
    if (rc == 2)        /* refused: the objects are the running pair's, left alone */
        return EXIT_SYSERR;
    if (rc != 0) {      /* an error, or a signal before the peer came */
        if (remove_objects() == -1)
            rc = -1;
        return rc == 1 ? EXIT_SUCCESS : EXIT_SYSERR;
    }

    /* Role a writes segment 0 (a -> b) and reads segment 1; b the opposite. */
    chat.out = chat.seg[role];
    chat.in = chat.seg[1 - role];
    chat.out_empty = role == 0 ? EMPTY_AB : EMPTY_BA;
    chat.out_full = role == 0 ? FULL_AB : FULL_BA;
    chat.in_empty = role == 0 ? EMPTY_BA : EMPTY_AB;
    chat.in_full = role == 0 ? FULL_BA : FULL_AB;
    msg("connected");

    err = pthread_create(&reader, NULL, reader_main, NULL);
    if (err == 0) {
        err = pthread_create(&writer, NULL, writer_main, NULL);
        if (err != 0) {
            set_reason(R_ERROR);
            pthread_join(reader, NULL);
        }
    }
    if (err != 0) {
        errno = err;
        syserr("pthread_create");
        remove_objects();
        return EXIT_SYSERR;
    }

    /* Wait until a thread ends the conversation or a signal comes. */
    while (!stopping()) {
        if (sigtimedwait(&signals, NULL, &tick) > 0)
            set_reason(R_SIGNAL);
        else if (errno != EAGAIN && errno != EINTR) {
            syserr("sigtimedwait");
            set_reason(R_ERROR);
        }
    }
    /* Each thread looks at the reason at least once a tick, and returns. */
    pthread_join(reader, NULL);
    pthread_join(writer, NULL);

    why = reason();
    if (remove_objects() == -1)
        why = R_ERROR;
    return why == R_VANISHED || why == R_ERROR ? EXIT_SYSERR : EXIT_SUCCESS;
}
