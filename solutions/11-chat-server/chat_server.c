/*
 * chat_server.c - a TCP chat room: one forked child per client, the clients'
 * buffers in one POSIX shared memory object, a socketpair between the parent
 * and each child, epoll in the parent, and signals turned into events through
 * a self-pipe.
 *
 *     usage: chat_server [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]
 *
 * Every line a client sends reaches every other client, byte for byte, and
 * never the sender. The way a line travels:
 *
 *   1. The child of the sender reads its client's socket into a private line
 *      buffer. When it holds a whole line, it copies the line into its slot of
 *      the shared memory object, at most SLOT_SIZE bytes at a time (a chunk),
 *      and sends CHUNK(len, last) to the parent over its socketpair.
 *   2. The parent gives "the floor" to one sender at a time: it sends
 *      DELIVER(slot, len) to every other child, and counts the ACKs.
 *   3. Each receiving child writes the len bytes of the sender's slot to its
 *      own client, then answers ACK.
 *   4. When every ACK is in, the parent sends DONE to the sender, whose slot
 *      is then free for the next chunk. After the last chunk of the line the
 *      floor goes to the next sender waiting.
 *
 * The sender never overwrites its slot while someone still reads it, and the
 * chunks of one long line are never mixed with another client's line.
 *
 * See exercises/11-chat-server/README.md for the full statement.
 */
#define _GNU_SOURCE     /* accept4(), pipe2() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PROG             "chat_server"
#define DEFAULT_ADDR     "127.0.0.1"
#define DEFAULT_PORT     7878
#define DEFAULT_CLIENTS  16
#define MAX_CLIENTS      256
#define DEFAULT_SHM      "/ipclab-chat"
#define SLOT_SIZE        1024       /* one client's buffer in the shared object */
#define MAX_LINE         65536      /* longest line relayed, newline included */
#define LINGER_MS        2000       /* how long a client told "line too long" may take to close */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* The messages on a socketpair. SOCK_SEQPACKET keeps their boundaries: one
 * send() is one recv(), never half of one. */
enum msg_type { MSG_CHUNK = 1, MSG_ACK, MSG_DELIVER, MSG_DONE };

struct chat_msg {
    uint32_t type;      /* enum msg_type */
    uint32_t slot;      /* DELIVER: whose slot to read */
    uint32_t len;       /* CHUNK, DELIVER: bytes in the slot */
    uint32_t last;      /* CHUNK: the chunk ends the line */
};

/* The parent's view of one slot (one client). */
struct client {
    pid_t pid;          /* the child; 0 once it has been reaped */
    int chan;           /* the parent's end of the socketpair; -1 once closed */
    unsigned id;        /* "client N": numbered from 1, never reused; 0: never joined */
    bool in_use;        /* from accept() until reaped and channel closed */
    bool owes_ack;      /* a DELIVER was sent, its ACK has not come back */
    bool has_pending;   /* a CHUNK waits for the floor */
    struct chat_msg pending;
};

/* epoll data for the two descriptors that are not channels. */
#define TAG_LISTEN   UINT32_MAX
#define TAG_SIGNALS  (UINT32_MAX - 1)

/* The self-pipe: the handlers write the signal number into sig_pipe[1]. */
static int sig_pipe[2] = { -1, -1 };

/* Set by the child's SIGTERM/SIGINT handler. */
static volatile sig_atomic_t child_stop;

/* ------------------------------------------------------------------------- */
/* Messages and writing                                                      */
/* ------------------------------------------------------------------------- */

/* Write all len bytes (short writes and EINTR go on, unless the child was
 * asked to stop); 0, or -1 with errno set. A signal that interrupts a
 * blocked send() after part of the bytes went out makes it return that
 * count, not EINTR: the flag is looked at before each further send(), or a
 * child blocked on a client that does not read would block again, its
 * SIGTERM already taken. */
static int write_all(int fd, const char *buf, size_t len)
{
    while (len > 0) {
        if (child_stop) {
            errno = EINTR;
            return -1;
        }
        ssize_t n = send(fd, buf, len, MSG_NOSIGNAL);

        if (n == -1 && errno == ENOTSOCK)       /* stderr is not a socket */
            n = write(fd, buf, len);
        if (n == -1) {
            if (errno == EINTR && !child_stop)
                continue;
            return -1;
        }
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

/* "chat_server: message\n" on stderr, in a single write() so that lines of
 * several processes never mix. */
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

static void usage(void)
{
    msg("usage: " PROG " [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]");
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    struct in_addr addr;
    const char *addr_text;
    long port;
    long max_clients;
    const char *shm_name;
};

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

/* A decimal integer in [min, max], digits only. */
static bool parse_long(const char *s, long min, long max, long *value)
{
    char *end;
    long v;

    if (s[0] < '0' || s[0] > '9')
        return false;
    errno = 0;
    v = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *value = v;
    return true;
}

static void parse_args(int argc, char *argv[], struct options *o)
{
    int opt;

    o->addr_text = DEFAULT_ADDR;
    o->port = DEFAULT_PORT;
    o->max_clients = DEFAULT_CLIENTS;
    o->shm_name = DEFAULT_SHM;
    opterr = 0;
    while ((opt = getopt(argc, argv, ":a:p:m:n:")) != -1) {
        switch (opt) {
        case 'a':
            o->addr_text = optarg;
            break;
        case 'p':
            if (!parse_long(optarg, 0, 65535, &o->port))
                usage_error("invalid port '%s' (expected an integer from 0 to 65535)", optarg);
            break;
        case 'm':
            if (!parse_long(optarg, 1, MAX_CLIENTS, &o->max_clients))
                usage_error("invalid client limit '%s' (expected an integer from 1 to %d)",
                            optarg, MAX_CLIENTS);
            break;
        case 'n':
            /* shm_overview(7): "/name", no other slash, at most NAME_MAX. */
            if (optarg[0] != '/' || optarg[1] == '\0' || strchr(optarg + 1, '/') != NULL ||
                strlen(optarg) > NAME_MAX)
                usage_error("invalid shared memory name '%s' (expected /name, no other slash)",
                            optarg);
            o->shm_name = optarg;
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
    if (inet_pton(AF_INET, o->addr_text, &o->addr) != 1)
        usage_error("invalid address '%s' (expected a dotted IPv4 address)", o->addr_text);
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * The parent's handler for SIGCHLD, SIGTERM and SIGINT. It does one thing:
 * write the signal number into the self-pipe, whose read end is in the epoll
 * set. write() is async-signal-safe (signal-safety(7)); waitpid(), printf(),
 * free() and the whole shutdown are done by the main loop, outside the handler,
 * where nothing is half-updated. errno is saved because the handler may run
 * between a failed call of the main loop and the moment it reads errno.
 */
static void on_parent_signal(int sig)
{
    int saved_errno = errno;
    unsigned char byte = (unsigned char)sig;

    (void)write(sig_pipe[1], &byte, 1);     /* full pipe: a wake-up is already pending */
    errno = saved_errno;
}

static void on_child_signal(int sig)
{
    (void)sig;
    child_stop = 1;
}

/* Every signal blocked while a handler runs; no SA_RESTART: in the child, a
 * blocked write() or poll() must return EINTR so that it can stop. */
static int set_signal(int sig, void (*handler)(int))
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = handler;
    sigfillset(&sa.sa_mask);
    sa.sa_flags = 0;
    return sigaction(sig, &sa, NULL);
}

/* ------------------------------------------------------------------------- */
/* The child: one client                                                     */
/* ------------------------------------------------------------------------- */

static int send_msg(int fd, uint32_t type, uint32_t slot, uint32_t len, uint32_t last)
{
    struct chat_msg m = { .type = type, .slot = slot, .len = len, .last = last };
    ssize_t n;

    do
        n = send(fd, &m, sizeof m, MSG_NOSIGNAL);
    while (n == -1 && errno == EINTR && !child_stop);
    return n == (ssize_t)sizeof m ? 0 : -1;
}

/*
 * Disconnect a client whose input is left unread (its line was too long),
 * once the message telling it why is written. close() with unread bytes in
 * the socket makes the kernel answer with a reset (RST), and a reset that
 * reaches the client before it has read the message destroys the message.
 * So: half-close (our FIN follows the message), then read and throw away
 * what the client still sends until it closes its side too, LINGER_MS at
 * most (a client that never closes cannot hold the child); only then may the
 * caller close(). The parent is told first that we are gone (our end of the
 * socketpair shut down: it sees EOF), so that nobody waits for our ACKs
 * meanwhile.
 */
static void linger_and_leave(int sock, int chan)
{
    char sink[4096];
    struct timespec start, now;

    if (shutdown(chan, SHUT_RDWR) == -1)
        syserr("shutdown");
    if (shutdown(sock, SHUT_WR) == -1) {
        if (errno != ENOTCONN)          /* ENOTCONN: the client reset it already */
            syserr("shutdown");
        return;
    }
    if (clock_gettime(CLOCK_MONOTONIC, &start) == -1) {
        syserr("clock_gettime");
        return;
    }
    while (!child_stop) {
        if (clock_gettime(CLOCK_MONOTONIC, &now) == -1) {
            syserr("clock_gettime");
            return;
        }
        long left = LINGER_MS - ((now.tv_sec - start.tv_sec) * 1000 +
                                 (now.tv_nsec - start.tv_nsec) / 1000000);
        struct pollfd pfd = { .fd = sock, .events = POLLIN };

        if (left <= 0)
            return;
        int ready = poll(&pfd, 1, (int)left);

        if (ready == -1) {
            if (errno == EINTR)
                continue;       /* child_stop, or another signal */
            syserr("poll");
            return;
        }
        if (ready == 0)
            return;             /* the client did not close in time */
        ssize_t n = read(sock, sink, sizeof sink);

        if (n == 0 || (n == -1 && errno != EINTR))
            return;             /* the client closed (or reset): nothing is lost */
    }
}

/*
 * Relay between one client (sock) and the parent (chan). mem is the whole
 * shared object, mine this child's slot in it. Returns when the client has
 * left (after its last lines were relayed), on SIGTERM/SIGINT, when the
 * parent is gone, or on an error.
 */
static void run_child(int sock, int chan, const char *mem, char *mine)
{
    static char line[MAX_LINE];     /* what the client sent, not yet relayed */
    size_t fill = 0;                /* bytes in line[] */
    size_t cur_len = 0;             /* the line being published: its length */
    size_t cur_off = 0;             /* and how much of it went into the slot */
    bool awaiting_done = false;     /* a CHUNK is out: the slot is not ours */
    bool eof = false;               /* the client sent its last byte */

    while (!child_stop) {
        /* Publish the next chunk when the slot is ours again. */
        if (!awaiting_done) {
            if (cur_len == 0) {
                char *nl = memchr(line, '\n', fill);

                if (nl != NULL) {
                    cur_len = (size_t)(nl - line) + 1;
                    cur_off = 0;
                } else if (fill == MAX_LINE) {
                    static const char too_long[] =
                        PROG ": line too long (more than 65536 bytes), disconnected\n";
                    if (write_all(sock, too_long, sizeof too_long - 1) == 0)
                        linger_and_leave(sock, chan);
                    return;
                } else if (eof) {
                    if (fill == 0)
                        return;         /* everything relayed: the client has left */
                    line[fill++] = '\n';    /* a last line without its newline */
                    continue;
                }
            }
            if (cur_len > 0) {
                size_t n = cur_len - cur_off < SLOT_SIZE ? cur_len - cur_off : SLOT_SIZE;

                memcpy(mine, line + cur_off, n);
                cur_off += n;
                if (send_msg(chan, MSG_CHUNK, 0, (uint32_t)n, cur_off == cur_len) == -1) {
                    if (!child_stop)
                        syserr("send");
                    return;
                }
                awaiting_done = true;
            }
        }

        /* Wait for the parent, and for the client while we have room and
         * nothing to publish. */
        struct pollfd pfd[2] = {
            { .fd = chan, .events = POLLIN },
            { .fd = (!awaiting_done && cur_len == 0 && !eof) ? sock : -1, .events = POLLIN },
        };
        if (poll(pfd, 2, -1) == -1) {
            if (errno == EINTR)
                continue;
            syserr("poll");
            return;
        }

        if (pfd[0].revents != 0) {
            struct chat_msg m;
            ssize_t n = recv(chan, &m, sizeof m, 0);

            if (n == -1 && errno == EINTR)
                continue;
            if (n <= 0)             /* the parent closed its end: shutdown */
                return;
            if (n != (ssize_t)sizeof m)
                return;
            if (m.type == MSG_DELIVER) {
                /* Another client's chunk: exactly len bytes, no padding. A
                 * client that is gone (EPIPE or ECONNRESET: SIGPIPE is
                 * ignored) is an end of input (§4): nothing more is read
                 * from it, but what it sent is still relayed, and every
                 * DELIVER still answered. */
                if (m.len > SLOT_SIZE ||
                    write_all(sock, mem + (size_t)m.slot * SLOT_SIZE, m.len) == -1)
                    eof = true;
                if (send_msg(chan, MSG_ACK, 0, 0, 0) == -1)
                    return;         /* the parent is gone, or we must stop */
            } else if (m.type == MSG_DONE) {
                awaiting_done = false;
                if (cur_off == cur_len) {       /* the whole line went out */
                    memmove(line, line + cur_len, fill - cur_len);
                    fill -= cur_len;
                    cur_len = cur_off = 0;
                }
            }
        }

        if (pfd[1].fd != -1 && pfd[1].revents != 0) {
            ssize_t n = read(sock, line + fill, MAX_LINE - fill);

            if (n > 0)
                fill += (size_t)n;
            else if (n == 0 || errno != EINTR)
                eof = true;         /* closed, half-closed or reset: leaving */
        }
    }
}

/* ------------------------------------------------------------------------- */
/* The parent                                                                */
/* ------------------------------------------------------------------------- */

struct server {
    int listen_fd;
    int epoll_fd;
    char *mem;              /* the shared object, mapped */
    size_t mem_size;
    const char *shm_name;
    struct client *clients; /* one per slot */
    long max_clients;
    unsigned next_id;
    int floor;              /* the slot whose chunk is being delivered, or -1 */
    bool floor_last;        /* that chunk ends its line */
    int outstanding;        /* ACKs still expected for it */
};

static void close_channel(struct server *s, int slot);

static int send_to(struct server *s, int slot, uint32_t type, uint32_t from, uint32_t len)
{
    struct client *c = &s->clients[slot];
    struct chat_msg m = { .type = type, .slot = from, .len = len, .last = 0 };

    if (c->chan == -1)
        return -1;
    if (send(c->chan, &m, sizeof m, MSG_NOSIGNAL) != (ssize_t)sizeof m) {
        /* The child is gone (EPIPE): its SIGCHLD will follow. */
        close_channel(s, slot);
        return -1;
    }
    return 0;
}

static void advance(struct server *s);
static void free_slot_if_done(struct server *s, int slot);

/* Every ACK for the chunk on the floor is in. */
static void chunk_delivered(struct server *s)
{
    int sender = s->floor;

    if (s->clients[sender].chan != -1)
        (void)send_to(s, sender, MSG_DONE, 0, 0);
    /* A sender that vanished in the middle of a line loses the floor too. */
    if (s->floor_last || s->clients[sender].chan == -1)
        s->floor = -1;
    else
        s->floor = -2;      /* floor kept, waiting for the sender's next chunk */
    /* A sender that ended (killed) while its chunk went out kept its slot
     * until now, the last reader done: if it has been reaped already, its
     * place is free from now on (nothing else looks at that slot again). */
    free_slot_if_done(s, sender);
}

/* Give the floor to slot, whose CHUNK is pending: DELIVER to every other child. */
static void dispatch(struct server *s, int slot)
{
    struct chat_msg m = s->clients[slot].pending;

    s->clients[slot].has_pending = false;
    s->floor = slot;
    s->floor_last = m.last != 0;
    s->outstanding = 0;
    for (int j = 0; j < s->max_clients; j++) {
        struct client *c = &s->clients[j];

        if (j == slot || c->chan == -1)     /* never back to the sender */
            continue;
        if (send_to(s, j, MSG_DELIVER, (uint32_t)slot, m.len) == 0) {
            c->owes_ack = true;
            s->outstanding++;
        }
    }
    if (s->outstanding == 0)
        chunk_delivered(s);
}

/*
 * Hand the floor on while chunks can go out. floor == -2 means "the floor is
 * held by the same sender between two chunks of a line": only its next chunk
 * may go; floor == -1 means free: the next waiting sender after the last one,
 * in turn, gets it.
 */
static int last_speaker = -1;

static void advance(struct server *s)
{
    for (;;) {
        if (s->floor == -2) {
            if (s->clients[last_speaker].chan == -1) {
                s->floor = -1;
                continue;
            }
            if (!s->clients[last_speaker].has_pending)
                return;
            dispatch(s, last_speaker);
            continue;
        }
        if (s->floor != -1)
            return;             /* ACKs outstanding */
        int next = -1;
        for (int k = 1; k <= s->max_clients; k++) {
            int j = (last_speaker + k + (int)s->max_clients) % (int)s->max_clients;

            if (s->clients[j].chan != -1 && s->clients[j].has_pending) {
                next = j;
                break;
            }
        }
        if (next == -1)
            return;
        last_speaker = next;
        dispatch(s, next);
    }
}

/* The channel of slot is closed: the child ended (or is ending). */
static void close_channel(struct server *s, int slot)
{
    struct client *c = &s->clients[slot];

    if (c->chan == -1)
        return;
    /* Explicitly out of the epoll set: close() alone would leave it there
     * while a copy of the descriptor is still open somewhere. */
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_DEL, c->chan, NULL) == -1)
        syserr("epoll_ctl");
    if (close(c->chan) == -1)
        syserr("close");
    c->chan = -1;
    c->has_pending = false;
    if (c->owes_ack) {          /* it will never answer: count it as done */
        c->owes_ack = false;
        if (--s->outstanding == 0 && s->floor >= 0)
            chunk_delivered(s);
    }
}

static void free_slot_if_done(struct server *s, int slot)
{
    struct client *c = &s->clients[slot];

    /* The slot is reused only when nobody can still be reading it. */
    if (c->in_use && c->pid == 0 && c->chan == -1 && s->floor != slot)
        c->in_use = false;
}

static void on_channel(struct server *s, int slot)
{
    struct client *c = &s->clients[slot];
    struct chat_msg m;
    ssize_t n = recv(c->chan, &m, sizeof m, MSG_DONTWAIT);

    if (n == -1 && (errno == EAGAIN || errno == EINTR))
        return;
    if (n != (ssize_t)sizeof m) {       /* EOF (0), reset, or garbage */
        close_channel(s, slot);
    } else if (m.type == MSG_CHUNK && m.len <= SLOT_SIZE) {
        c->pending = m;
        c->has_pending = true;
    } else if (m.type == MSG_ACK && c->owes_ack) {
        c->owes_ack = false;
        if (--s->outstanding == 0)
            chunk_delivered(s);
    }
    advance(s);
    free_slot_if_done(s, slot);
}

/* Reap every child that has ended (SIGCHLD). */
static void reap_children(struct server *s)
{
    pid_t pid;

    while ((pid = waitpid(-1, NULL, WNOHANG)) > 0) {
        for (int j = 0; j < s->max_clients; j++) {
            struct client *c = &s->clients[j];

            if (c->in_use && c->pid == pid) {
                c->pid = 0;
                close_channel(s, j);
                if (c->id != 0)         /* 0: it never joined (on_accept) */
                    msg("client %u left", c->id);
                advance(s);
                free_slot_if_done(s, j);
                break;
            }
        }
    }
    if (pid == -1 && errno != ECHILD)
        syserr("waitpid");
}

/* A new connection: a slot, a socketpair, a child. */
static void on_accept(struct server *s)
{
    int conn = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC);
    int slot = -1, sv[2];
    pid_t pid;

    if (conn == -1) {
        if (errno != EAGAIN && errno != EINTR && errno != ECONNABORTED)
            syserr("accept4");
        return;
    }
    for (int j = 0; j < s->max_clients; j++) {
        if (!s->clients[j].in_use) {
            slot = j;
            break;
        }
    }
    if (slot == -1) {
        char text[128];
        int len = snprintf(text, sizeof text, "%s: server full (at most %ld clients), try again later\n",
                           PROG, s->max_clients);

        /* Best effort, never blocking: the socket buffer of a new connection
         * is empty, so this fits. */
        (void)send(conn, text, (size_t)len, MSG_NOSIGNAL | MSG_DONTWAIT);
        close(conn);
        msg("refused a client: server full");
        return;
    }
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) == -1) {
        syserr("socketpair");
        close(conn);
        return;
    }
    pid = fork();
    if (pid == -1) {
        syserr("fork");
        close(conn);
        close(sv[0]);
        close(sv[1]);
        return;
    }
    if (pid == 0) {
        /* The child keeps its client, its end of the socketpair and the
         * mapping: every other descriptor of the parent is closed, or the
         * port, the other channels and the self-pipe would stay open as long
         * as any child lives. */
        close(s->listen_fd);
        close(s->epoll_fd);
        close(sig_pipe[0]);
        close(sig_pipe[1]);
        close(sv[0]);
        for (int j = 0; j < s->max_clients; j++)
            if (s->clients[j].chan != -1)
                close(s->clients[j].chan);
        free(s->clients);
        if (set_signal(SIGTERM, on_child_signal) == -1 || set_signal(SIGINT, on_child_signal) == -1 ||
            set_signal(SIGCHLD, SIG_DFL) == -1)
            syserr("sigaction");
        else
            run_child(conn, sv[1], s->mem, s->mem + (size_t)slot * SLOT_SIZE);
        close(conn);
        close(sv[1]);
        munmap(s->mem, s->mem_size);
        _exit(EXIT_SUCCESS);
    }

    close(conn);
    close(sv[1]);
    struct client *c = &s->clients[slot];
    *c = (struct client){ .pid = pid, .chan = sv[0], .in_use = true };
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)slot };
    if (epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, c->chan, &ev) == -1) {
        /* This client fails alone (§8): no line would ever reach it, so it
         * never joins: no number, no "joined", no "left". Its child sees EOF
         * on its socketpair and ends; it is reaped like the others, and its
         * place is free then. */
        syserr("epoll_ctl");
        if (close(c->chan) == -1)
            syserr("close");
        c->chan = -1;
        return;
    }
    c->id = ++s->next_id;
    msg("client %u joined", c->id);
}

/* SIGTERM/SIGINT: every child ends and is reaped, then the object goes. */
static void shut_down(struct server *s)
{
    /* The port first: no new client while we stop. */
    if (s->listen_fd != -1 && close(s->listen_fd) == -1)
        syserr("close");
    s->listen_fd = -1;
    for (int j = 0; j < s->max_clients; j++) {
        struct client *c = &s->clients[j];

        if (c->pid != 0 && kill(c->pid, SIGTERM) == -1 && errno != ESRCH)
            syserr("kill");
        if (c->chan != -1) {            /* EOF for a child between two polls */
            close(c->chan);
            c->chan = -1;
        }
    }
    for (int j = 0; j < s->max_clients; j++) {
        struct client *c = &s->clients[j];

        while (c->pid != 0 && waitpid(c->pid, NULL, 0) == -1) {
            if (errno != EINTR) {
                syserr("waitpid");
                break;
            }
        }
        c->pid = 0;
    }
}

static int serve(struct server *s)
{
    struct epoll_event events[32];
    bool stop = false;

    while (!stop) {
        int n = epoll_wait(s->epoll_fd, events, 32, -1);

        if (n == -1) {
            if (errno == EINTR)         /* the byte is in the self-pipe */
                continue;
            syserr("epoll_wait");
            return EXIT_SYSERR;
        }
        for (int i = 0; i < n && !stop; i++) {
            uint32_t tag = events[i].data.u32;

            if (tag == TAG_LISTEN) {
                on_accept(s);
            } else if (tag == TAG_SIGNALS) {
                unsigned char sigs[64];
                ssize_t got;

                while ((got = read(sig_pipe[0], sigs, sizeof sigs)) > 0) {
                    for (ssize_t k = 0; k < got; k++) {
                        if (sigs[k] == SIGCHLD) {
                            reap_children(s);
                        } else {
                            msg("%s: shutting down", sigs[k] == SIGINT ? "SIGINT" : "SIGTERM");
                            stop = true;
                        }
                    }
                }
            } else if (tag < (uint32_t)s->max_clients && s->clients[tag].chan != -1) {
                on_channel(s, (int)tag);
            }
        }
    }
    shut_down(s);
    return EXIT_SUCCESS;
}

static int epoll_add(int epoll_fd, int fd, uint32_t tag)
{
    struct epoll_event ev = { .events = EPOLLIN, .data.u32 = tag };

    return epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev);
}

/* Everything the server needs before the first client; the readiness line
 * last. Returns 0, or -1 after a message (the caller cleans up). */
static int set_up(struct server *s, const struct options *o)
{
    int shm_fd, one = 1;
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)o->port),
                              .sin_addr = o->addr };
    socklen_t sa_len = sizeof sa;

    s->clients = calloc((size_t)o->max_clients, sizeof *s->clients);
    if (s->clients == NULL) {
        syserr("calloc");
        return -1;
    }
    for (int j = 0; j < o->max_clients; j++)
        s->clients[j].chan = -1;

    /* The self-pipe, both ends non-blocking: a handler must never block on a
     * full pipe, and the main loop drains it until EAGAIN. */
    if (pipe2(sig_pipe, O_NONBLOCK | O_CLOEXEC) == -1) {
        syserr("pipe2");
        return -1;
    }
    if (set_signal(SIGCHLD, on_parent_signal) == -1 || set_signal(SIGTERM, on_parent_signal) == -1 ||
        set_signal(SIGINT, on_parent_signal) == -1 || signal(SIGPIPE, SIG_IGN) == SIG_ERR) {
        syserr("sigaction");
        return -1;
    }

    /* One object for every client's buffer: slot k is bytes
     * [k * SLOT_SIZE, (k + 1) * SLOT_SIZE). O_EXCL: never share another
     * server's object by mistake. */
    shm_fd = shm_open(o->shm_name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (shm_fd == -1) {
        msg("shm_open %s: %s", o->shm_name, strerror(errno));
        return -1;
    }
    s->shm_name = o->shm_name;
    s->mem_size = (size_t)o->max_clients * SLOT_SIZE;
    if (ftruncate(shm_fd, (off_t)s->mem_size) == -1) {
        syserr("ftruncate");
        close(shm_fd);
        return -1;
    }
    s->mem = mmap(NULL, s->mem_size, PROT_READ | PROT_WRITE, MAP_SHARED, shm_fd, 0);
    if (s->mem == MAP_FAILED) {
        syserr("mmap");
        s->mem = NULL;
        close(shm_fd);
        return -1;
    }
    close(shm_fd);      /* the mapping stays valid, and is inherited by fork() */

    s->listen_fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (s->listen_fd == -1) {
        syserr("socket");
        return -1;
    }
    /* A restarted server can bind at once, despite connections in TIME_WAIT. */
    if (setsockopt(s->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1) {
        syserr("setsockopt");
        return -1;
    }
    if (bind(s->listen_fd, (struct sockaddr *)&sa, sizeof sa) == -1) {
        msg("bind %s:%ld: %s", o->addr_text, o->port, strerror(errno));
        return -1;
    }
    if (listen(s->listen_fd, 64) == -1 ||
        getsockname(s->listen_fd, (struct sockaddr *)&sa, &sa_len) == -1) {
        syserr("listen");
        return -1;
    }

    s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    if (s->epoll_fd == -1) {
        syserr("epoll_create1");
        return -1;
    }
    if (epoll_add(s->epoll_fd, s->listen_fd, TAG_LISTEN) == -1 ||
        epoll_add(s->epoll_fd, sig_pipe[0], TAG_SIGNALS) == -1) {
        syserr("epoll_ctl");
        return -1;
    }
    msg("listening on %s:%u", o->addr_text, (unsigned)ntohs(sa.sin_port));
    return 0;
}

static void clean_up(struct server *s)
{
    if (s->listen_fd != -1)
        close(s->listen_fd);
    if (s->epoll_fd != -1)
        close(s->epoll_fd);
    if (s->mem != NULL && munmap(s->mem, s->mem_size) == -1)
        syserr("munmap");
    /* The name goes with the server: nothing left in /dev/shm. */
    if (s->shm_name != NULL && shm_unlink(s->shm_name) == -1)
        syserr("shm_unlink");
    for (int k = 0; k < 2; k++)
        if (sig_pipe[k] != -1)
            close(sig_pipe[k]);
    free(s->clients);
}

int main(int argc, char *argv[])
{
    struct options o;
    struct server s = { .listen_fd = -1, .epoll_fd = -1, .floor = -1 };
    int status = EXIT_SYSERR;

    parse_args(argc, argv, &o);
    s.max_clients = o.max_clients;
    if (set_up(&s, &o) == 0)
        status = serve(&s);
    clean_up(&s);
    return status;
}
