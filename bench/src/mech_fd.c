/* mech_fd.c: the mechanisms that move bytes through file descriptors:
 * anonymous pipe, FIFO, Unix domain socket (stream and datagram), TCP on
 * loopback.  They differ only in how the descriptors are made; sending and
 * receiving is write()/read() for all of them, so that code is written once.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

struct chan {
    int rd[2], wr[2];       /* per side: where it reads, where it writes */
    int dgram;              /* one message = one read(), never a loop */
    char path[2][108];      /* FIFO paths (parent-to-child, child-to-parent) */
    int slot[2];            /* their cleanup registry slots */
    int listen_fd;          /* TCP: the parent's listening socket */
    struct sockaddr_in addr;
};

static struct chan *chan_new(void)
{
    struct chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        errExit("calloc");
    for (int i = 0; i < 2; i++) {
        c->rd[i] = c->wr[i] = -1;
        c->slot[i] = -1;
    }
    c->listen_fd = -1;
    return c;
}

static void xclose(int *fd)
{
    if (*fd >= 0 && close(*fd) == -1)
        errExit("close");
    *fd = -1;
}

static int fits_any(size_t n) { (void)n; return 1; }

/* write() and read() may move fewer bytes than asked (a pipe moves at most
 * its 64 KiB buffer at a time to a sleeping reader; a socket what fits in its
 * buffer): loop until all n bytes went, restarting after EINTR. */
static void fd_send(struct chan *c, enum side s, const void *buf, size_t n)
{
    const char *p = buf;
    while (n > 0) {
        ssize_t w = write(c->wr[s], p, n);
        if (w == -1) {
            if (errno == EINTR)
                continue;
            errExit("write(%zu bytes)", n);
        }
        if (c->dgram && (size_t)w != n)
            fatal("datagram cut short: %zd of %zu bytes", w, n);
        p += w;
        n -= (size_t)w;
    }
}

static void fd_recv(struct chan *c, enum side s, void *buf, size_t n)
{
    char *p = buf;
    while (n > 0) {
        ssize_t r = read(c->rd[s], p, n);
        if (r == -1) {
            if (errno == EINTR)
                continue;
            errExit("read(%zu bytes)", n);
        }
        if (r == 0)
            fatal("read: end of file: the peer went away");
        if (c->dgram && (size_t)r != n)
            fatal("datagram of %zd bytes, expected %zu", r, n);
        p += r;
        n -= (size_t)r;
    }
}

/* After fork() each side keeps its own ends and closes the peer's: a read
 * end with a forgotten write end never sees EOF when the peer dies. */
static void fd_attach(struct chan *c, enum side s)
{
    enum side o = s == PARENT ? CHILD : PARENT;
    if (c->rd[o] != c->wr[o])
        xclose(&c->wr[o]);
    else
        c->wr[o] = -1;
    xclose(&c->rd[o]);
    if (c->listen_fd >= 0 && s == CHILD)
        xclose(&c->listen_fd);
}

static void fd_detach(struct chan *c, enum side s)
{
    if (c->rd[s] != c->wr[s])
        xclose(&c->wr[s]);
    else
        c->wr[s] = -1;
    xclose(&c->rd[s]);
}

static void fd_destroy(struct chan *c)
{
    for (int i = 0; i < 2; i++)
        cleanup_done(c->slot[i]);
    if (c->listen_fd >= 0)
        xclose(&c->listen_fd);
    free(c);
}

/* ---- anonymous pipe: one pipe per direction ----------------------------- */

static struct chan *pipe_create(size_t maxsize)
{
    struct chan *c = chan_new();
    int p2c[2], c2p[2];
    (void)maxsize;
    /* The default 64 KiB pipe buffer is kept on purpose: it is what a
     * learner's program gets (F_SETPIPE_SZ could raise it to 1 MiB). */
    if (pipe(p2c) == -1 || pipe(c2p) == -1)
        errExit("pipe");
    c->wr[PARENT] = p2c[1]; c->rd[CHILD] = p2c[0];
    c->wr[CHILD] = c2p[1];  c->rd[PARENT] = c2p[0];
    return c;
}

const struct mech mech_pipe = {
    "pipe", "anonymous pipe, one per direction (pipe(2))",
    fits_any, pipe_create, fd_attach, NULL, fd_send, fd_recv, fd_detach, fd_destroy,
};

/* ---- FIFO: the same kernel object as a pipe, found by a path name -------- */

static struct chan *fifo_create(size_t maxsize)
{
    struct chan *c = chan_new();
    const char *dir = getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
    (void)maxsize;
    for (int i = 0; i < 2; i++) {
        unique_name(c->path[i], sizeof c->path[i], dir, i == 0 ? "p2c" : "c2p");
        if (mkfifo(c->path[i], 0600) == -1)
            errExit("mkfifo %s", c->path[i]);
        c->slot[i] = cleanup_add(OBJ_PATH, c->path[i], -1);
    }
    return c;
}

/* open() of a FIFO blocks until the other end is opened too: both sides open
 * p2c first, then c2p, so they can never wait for each other in a circle. */
static void fifo_attach(struct chan *c, enum side s)
{
    if (s == PARENT) {
        if ((c->wr[PARENT] = open(c->path[0], O_WRONLY)) == -1)
            errExit("open %s", c->path[0]);
        if ((c->rd[PARENT] = open(c->path[1], O_RDONLY)) == -1)
            errExit("open %s", c->path[1]);
        /* Both sides have them open now: the names are no longer needed. */
        for (int i = 0; i < 2; i++) {
            cleanup_done(c->slot[i]);
            c->slot[i] = -1;
        }
    } else {
        if ((c->rd[CHILD] = open(c->path[0], O_RDONLY)) == -1)
            errExit("open %s", c->path[0]);
        if ((c->wr[CHILD] = open(c->path[1], O_WRONLY)) == -1)
            errExit("open %s", c->path[1]);
    }
}

const struct mech mech_fifo = {
    "fifo", "named pipe (mkfifo(3)), opened by path in each process",
    fits_any, fifo_create, fifo_attach, NULL, fd_send, fd_recv, fd_detach, fd_destroy,
};

/* ---- Unix domain sockets: one socketpair, both directions ----------------- */

static struct chan *unix_create_type(int type)
{
    struct chan *c = chan_new();
    int sv[2];
    if (socketpair(AF_UNIX, type, 0, sv) == -1)
        errExit("socketpair");
    c->rd[PARENT] = c->wr[PARENT] = sv[0];
    c->rd[CHILD] = c->wr[CHILD] = sv[1];
    return c;
}

static struct chan *ustream_create(size_t maxsize)
{
    (void)maxsize;
    return unix_create_type(SOCK_STREAM);
}

const struct mech mech_unix_stream = {
    "unix-stream", "Unix domain socket, SOCK_STREAM (socketpair(2))",
    fits_any, ustream_create, fd_attach, NULL, fd_send, fd_recv, fd_detach, fd_destroy,
};

/* A datagram must fit whole in the sender's socket buffer: SO_SNDBUF is
 * capped by net.core.wmem_max (208 KiB by default, doubled by the kernel), so
 * larger messages are "n/a (limit)".  The test sends one for real. */
static void dgram_bufs(int fd, size_t maxsize)
{
    int v = maxsize > (1 << 30) ? (1 << 30) : (int)maxsize * 2;
    if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof v) == -1 ||
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof v) == -1)
        errExit("setsockopt SO_SNDBUF/SO_RCVBUF");
}

static int dgram_fits(size_t n)
{
    int sv[2], ok;
    char *buf = xmalloc(n);
    if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1)
        errExit("socketpair");
    dgram_bufs(sv[0], n);
    dgram_bufs(sv[1], n);
    ok = send(sv[0], buf, n, MSG_DONTWAIT) == (ssize_t)n;
    if (!ok && errno != EMSGSIZE && errno != ENOBUFS && errno != EAGAIN)
        errExit("send (datagram size test)");
    if (close(sv[0]) == -1 || close(sv[1]) == -1)
        errExit("close");
    free(buf);
    return ok;
}

static struct chan *udgram_create(size_t maxsize)
{
    struct chan *c = unix_create_type(SOCK_DGRAM);
    c->dgram = 1;
    dgram_bufs(c->rd[PARENT], maxsize);
    dgram_bufs(c->rd[CHILD], maxsize);
    return c;
}

const struct mech mech_unix_dgram = {
    "unix-dgram", "Unix domain socket, SOCK_DGRAM (socketpair(2)): one message per datagram",
    dgram_fits, udgram_create, fd_attach, NULL, fd_send, fd_recv, fd_detach, fd_destroy,
};

/* ---- TCP on loopback ---------------------------------------------------------- */

static struct chan *tcp_create(size_t maxsize)
{
    struct chan *c = chan_new();
    socklen_t len = sizeof c->addr;
    int one = 1;
    (void)maxsize;
    if ((c->listen_fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
        errExit("socket");
    if (setsockopt(c->listen_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) == -1)
        errExit("setsockopt SO_REUSEADDR");
    memset(&c->addr, 0, sizeof c->addr);
    c->addr.sin_family = AF_INET;
    c->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    c->addr.sin_port = 0;           /* any free port: runs side by side never clash */
    if (bind(c->listen_fd, (struct sockaddr *)&c->addr, sizeof c->addr) == -1)
        errExit("bind 127.0.0.1:0");
    if (getsockname(c->listen_fd, (struct sockaddr *)&c->addr, &len) == -1)
        errExit("getsockname");
    if (listen(c->listen_fd, 1) == -1)
        errExit("listen");
    return c;
}

static void tcp_nodelay(int fd)
{
    /* Without TCP_NODELAY, Nagle's algorithm holds a small write back while
     * an earlier segment is unacknowledged: a ping-pong then waits for the
     * delayed ACK (40 ms) instead of measuring the stack. */
    int one = 1;
    if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one) == -1)
        errExit("setsockopt TCP_NODELAY");
}

static void tcp_attach(struct chan *c, enum side s)
{
    int fd;
    if (s == PARENT) {
        while ((fd = accept(c->listen_fd, NULL, NULL)) == -1)
            if (errno != EINTR)
                errExit("accept");
        xclose(&c->listen_fd);
    } else {
        xclose(&c->listen_fd);
        if ((fd = socket(AF_INET, SOCK_STREAM, 0)) == -1)
            errExit("socket");
        if (connect(fd, (struct sockaddr *)&c->addr, sizeof c->addr) == -1)
            errExit("connect 127.0.0.1:%d", ntohs(c->addr.sin_port));
    }
    tcp_nodelay(fd);
    c->rd[s] = c->wr[s] = fd;
}

const struct mech mech_tcp = {
    "tcp", "TCP on 127.0.0.1, TCP_NODELAY",
    fits_any, tcp_create, tcp_attach, NULL, fd_send, fd_recv, fd_detach, fd_destroy,
};
