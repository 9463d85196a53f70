/* mech_msg.c: message queues, System V (msgsnd/msgrcv) and POSIX
 * (mq_send/mq_receive).  One queue per direction, so a reply can never be
 * taken by its own sender.
 *
 * Both refuse messages above a system limit (kernel.msgmax and
 * fs.mqueue.msgsize_max, 8192 bytes by default; the lab's compose file raises
 * the POSIX one to 65536).  Bigger sizes are reported "n/a (limit)": chunking
 * them would measure several messages, not one.
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/resource.h>
#include <unistd.h>

struct chan {
    size_t maxsize;
    /* System V */
    int msqid[2];           /* [0] parent to child, [1] child to parent */
    struct msgbuf_big { long mtype; char mtext[]; } *mbuf;
    /* POSIX */
    mqd_t mq[2];
    long mq_msgsize;
    int slot[2];
};

static struct chan *chan_new(size_t maxsize)
{
    struct chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        errExit("calloc");
    c->maxsize = maxsize;
    c->slot[0] = c->slot[1] = -1;
    c->msqid[0] = c->msqid[1] = -1;
    c->mq[0] = c->mq[1] = (mqd_t)-1;
    return c;
}

/* The queue a side sends on, and the one it receives from. */
static int out_q(enum side s) { return s == PARENT ? 0 : 1; }
static int in_q(enum side s)  { return s == PARENT ? 1 : 0; }

/* ---- System V ---------------------------------------------------------------- */

static int sysv_fits(size_t n)
{
    /* msgsnd() refuses more than msgmax bytes (EINVAL), and a message larger
     * than the queue's capacity msgmnb could never be queued. */
    long max = read_proc_long("/proc/sys/kernel/msgmax", 8192);
    long mnb = read_proc_long("/proc/sys/kernel/msgmnb", 16384);
    return (long)n <= max && (long)n <= mnb;
}

static struct chan *sysv_create(size_t maxsize)
{
    struct chan *c = chan_new(maxsize);
    for (int i = 0; i < 2; i++) {
        /* IPC_PRIVATE: a new queue no other program can stumble on; the
         * child inherits its identifier through fork(). */
        if ((c->msqid[i] = msgget(IPC_PRIVATE, IPC_CREAT | 0600)) == -1)
            errExit("msgget");
        c->slot[i] = cleanup_add(OBJ_SYSV_MSG, NULL, c->msqid[i]);
    }
    return c;
}

static void sysv_attach(struct chan *c, enum side s)
{
    (void)s;
    /* msgsnd() wants the type word right before the bytes: one buffer. */
    c->mbuf = xmalloc(sizeof(long) + c->maxsize);
    c->mbuf->mtype = 1;
}

static void sysv_send(struct chan *c, enum side s, const void *buf, size_t n)
{
    /* The copy into mtext is part of the price of this API. */
    memcpy(c->mbuf->mtext, buf, n);
    while (msgsnd(c->msqid[out_q(s)], c->mbuf, n, 0) == -1)
        if (errno != EINTR)
            errExit("msgsnd(%zu bytes)", n);
}

static void sysv_recv(struct chan *c, enum side s, void *buf, size_t n)
{
    ssize_t r;
    while ((r = msgrcv(c->msqid[in_q(s)], c->mbuf, n, 0, 0)) == -1)
        if (errno != EINTR)
            errExit("msgrcv(%zu bytes)", n);
    if ((size_t)r != n)
        fatal("msgrcv: %zd bytes, expected %zu", r, n);
    memcpy(buf, c->mbuf->mtext, n);
}

static void sysv_detach(struct chan *c, enum side s)
{
    (void)s;
    free(c->mbuf);
    c->mbuf = NULL;
}

static void msg_destroy(struct chan *c)
{
    for (int i = 0; i < 2; i++)
        cleanup_done(c->slot[i]);
    free(c);
}

const struct mech mech_sysv_msg = {
    "sysv-msgq", "System V message queue, one per direction (msgsnd/msgrcv)",
    sysv_fits, sysv_create, sysv_attach, NULL, sysv_send, sysv_recv, sysv_detach, msg_destroy,
};

/* ---- POSIX ------------------------------------------------------------------------- */

static int posix_fits(size_t n)
{
    /* Unprivileged limit.  (A process with CAP_SYS_RESOURCE may go beyond it,
     * but a learner's program may not: measure what they can do.) */
    return (long)n <= read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
}

static struct chan *posix_create(size_t maxsize)
{
    struct chan *c = chan_new(maxsize);
    struct mq_attr attr;
    struct rlimit rl;
    long limit = read_proc_long("/proc/sys/fs/mqueue/msgsize_max", 8192);
    long maxmsg = read_proc_long("/proc/sys/fs/mqueue/msg_max", 10);

    memset(&attr, 0, sizeof attr);
    attr.mq_msgsize = (long)maxsize < limit ? (long)maxsize : limit;
    /* Every queue's maxmsg * msgsize counts against RLIMIT_MSGQUEUE (800 KiB
     * by default) for the user: two queues must fit in it together. */
    if (getrlimit(RLIMIT_MSGQUEUE, &rl) == -1)
        errExit("getrlimit RLIMIT_MSGQUEUE");
    if (rl.rlim_cur != RLIM_INFINITY) {
        long fit = (long)(rl.rlim_cur / 2) / (attr.mq_msgsize + 64) - 1;
        if (fit < maxmsg)
            maxmsg = fit;
    }
    attr.mq_maxmsg = maxmsg < 1 ? 1 : maxmsg;
    c->mq_msgsize = attr.mq_msgsize;

    for (int i = 0; i < 2; i++) {
        char name[64];
        unique_name(name, sizeof name, "", i == 0 ? "mq-p2c" : "mq-c2p");
        if ((c->mq[i] = mq_open(name, O_RDWR | O_CREAT | O_EXCL, 0600, &attr)) == (mqd_t)-1)
            errExit("mq_open %s (msgsize %ld, maxmsg %ld)", name, attr.mq_msgsize, attr.mq_maxmsg);
        /* Descriptors are inherited by fork(): the name can go at once, so
         * nothing is left in /dev/mqueue even if we are killed. */
        if (mq_unlink(name) == -1)
            errExit("mq_unlink %s", name);
    }
    return c;
}

static void posix_send(struct chan *c, enum side s, const void *buf, size_t n)
{
    while (mq_send(c->mq[out_q(s)], buf, n, 0) == -1)
        if (errno != EINTR)
            errExit("mq_send(%zu bytes)", n);
}

static void posix_recv(struct chan *c, enum side s, void *buf, size_t n)
{
    ssize_t r;
    /* mq_receive() wants room for mq_msgsize bytes: the driver's buffers
     * hold the largest message of the run, which is at least that. */
    while ((r = mq_receive(c->mq[in_q(s)], buf, (size_t)c->mq_msgsize, NULL)) == -1)
        if (errno != EINTR)
            errExit("mq_receive");
    if ((size_t)r != n)
        fatal("mq_receive: %zd bytes, expected %zu", r, n);
}

static void posix_detach(struct chan *c, enum side s)
{
    (void)s;
    for (int i = 0; i < 2; i++)
        if (c->mq[i] != (mqd_t)-1 && mq_close(c->mq[i]) == -1)
            errExit("mq_close");
    c->mq[0] = c->mq[1] = (mqd_t)-1;
}

const struct mech mech_posix_mq = {
    "posix-mq", "POSIX message queue, one per direction (mq_send/mq_receive)",
    posix_fits, posix_create, NULL, NULL, posix_send, posix_recv, posix_detach, msg_destroy,
};
