/* mech_shm.c: shared memory, four ways of waiting for the peer.
 *
 * The data path is the same for all four: a ring of slots per direction in a
 * shared mapping; the sender copies its message into a free slot, the
 * receiver copies it out (two copies, like a pipe, but no system call is
 * needed to move the bytes).  What differs is how a side waits when the ring
 * is empty (receiver) or full (sender), and how it wakes the other:
 *
 *   sysv-shm     System V segment (shmget) + System V semaphores (semop):
 *                two system calls per message, whether anyone waits or not
 *   posix-shm    POSIX shm (shm_open + mmap) + unnamed POSIX semaphores in the
 *                mapping (sem_init pshared): no system call unless someone
 *                has to sleep (glibc's semaphores are futexes)
 *   futex-shm    POSIX shm + a futex on the ring's counters, with a "waiting"
 *                flag so that the sender calls FUTEX_WAKE only when needed
 *   spin-shm     POSIX shm, the receiver polls the counter in a loop: no
 *                sleep, no wake-up, a whole CPU burnt while waiting
 */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/syscall.h>
#include <unistd.h>

#if defined(__x86_64__) || defined(__i386__)
#define cpu_relax() __builtin_ia32_pause()   /* polite to the sibling hyperthread */
#else
#define cpu_relax() __asm__ __volatile__("" ::: "memory")
#endif

enum sync { SYNC_SYSV_SEM, SYNC_POSIX_SEM, SYNC_FUTEX, SYNC_SPIN };

#define RING_BYTES (256 * 1024)     /* per direction, like a socket buffer */
#define MAX_SLOTS 256

/* One per direction.  The producer writes head, the consumer tail: each on
 * its own cache line so that they do not bounce together. */
struct ring {
    _Alignas(64) uint32_t head, head_waiting;
    _Alignas(64) uint32_t tail, tail_waiting;
    _Alignas(64) sem_t full, empty;          /* posix-shm only */
};

struct shm_hdr { struct ring ring[2]; };    /* [0] parent to child, [1] back */

struct chan {
    enum sync sync;
    char *base;
    size_t len, cap;
    struct shm_hdr *hdr;
    char *data[2];
    unsigned nslots;                        /* slots in use in this phase */
    int semid, sem_slot;                    /* sysv-shm: empty/full per direction */
};

static int out_q(enum side s) { return s == PARENT ? 0 : 1; }
static int in_q(enum side s)  { return s == PARENT ? 1 : 0; }

/* ---- futex: wait until a counter moves, wake who waits for it ---------------- */

static long futex(uint32_t *uaddr, int op, uint32_t val)
{
    /* Not FUTEX_PRIVATE_FLAG: the waiter and the waker are two processes,
     * so the kernel must key the futex on the shared page, not the mm. */
    return syscall(SYS_futex, uaddr, op, val, NULL, NULL, 0);
}

void futex_wait_change(uint32_t *word, uint32_t old, uint32_t *waiting)
{
    for (;;) {
        /* Say we are about to sleep, then look again: the waker stores the
         * counter and then reads the flag, so one of us sees the other. */
        __atomic_store_n(waiting, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(word, __ATOMIC_SEQ_CST) != old)
            break;
        /* The kernel sleeps only if *word still equals old: no lost wake-up. */
        if (futex(word, FUTEX_WAIT, old) == -1 && errno != EAGAIN && errno != EINTR)
            errExit("futex(FUTEX_WAIT)");
        if (__atomic_load_n(word, __ATOMIC_ACQUIRE) != old)
            break;
    }
    __atomic_store_n(waiting, 0, __ATOMIC_RELAXED);
}

void futex_publish(uint32_t *word, uint32_t val, uint32_t *waiting)
{
    __atomic_store_n(word, val, __ATOMIC_SEQ_CST);
    /* The system call only when someone sleeps: the whole point of a futex. */
    if (__atomic_load_n(waiting, __ATOMIC_SEQ_CST) && futex(word, FUTEX_WAKE, 1) == -1)
        errExit("futex(FUTEX_WAKE)");
}

/* ---- the shared region ------------------------------------------------------- */

static size_t hdr_len(void)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (sizeof(struct shm_hdr) + pg - 1) / pg * pg;
}

static struct chan *shm_create(enum sync sync, size_t maxsize)
{
    struct chan *c = calloc(1, sizeof *c);
    if (c == NULL)
        errExit("calloc");
    c->sync = sync;
    c->sem_slot = -1;
    c->cap = maxsize * 2 > RING_BYTES ? maxsize * 2 : RING_BYTES;  /* >= 2 slots */
    c->len = hdr_len() + 2 * c->cap;

    if (sync == SYNC_SYSV_SEM) {
        /* IPC_PRIVATE, then IPC_RMID as soon as it is attached: Linux keeps
         * a removed segment alive while attached, the child inherits the
         * attachment through fork(), and nothing can leak. */
        int id = shmget(IPC_PRIVATE, c->len, IPC_CREAT | 0600);
        if (id == -1)
            errExit("shmget(%zu bytes)", c->len);
        int slot = cleanup_add(OBJ_SYSV_SHM, NULL, id);
        if ((c->base = shmat(id, NULL, 0)) == (void *)-1)
            errExit("shmat");
        cleanup_done(slot);
    } else {
        char name[64];
        int fd;
        unique_name(name, sizeof name, "", "shm");
        if ((fd = shm_open(name, O_RDWR | O_CREAT | O_EXCL, 0600)) == -1)
            errExit("shm_open %s", name);
        int slot = cleanup_add(OBJ_POSIX_SHM, name, -1);
        if (ftruncate(fd, (off_t)c->len) == -1)
            errExit("ftruncate %s to %zu bytes (is /dev/shm big enough?)", name, c->len);
        c->base = mmap(NULL, c->len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
        if (c->base == MAP_FAILED)
            errExit("mmap %s", name);
        if (close(fd) == -1)
            errExit("close");
        /* The mapping stays, inherited by fork(); the name can go now. */
        cleanup_done(slot);
    }
    /* Fill it once: on tmpfs, ftruncate() allocates no page, and the first
     * touch of each would otherwise be timed. */
    memset(c->base, 0, c->len);
    c->hdr = (struct shm_hdr *)c->base;
    c->data[0] = c->base + hdr_len();
    c->data[1] = c->data[0] + c->cap;
    c->nslots = 2;

    if (sync == SYNC_POSIX_SEM) {
        for (int d = 0; d < 2; d++)
            if (sem_init(&c->hdr->ring[d].full, 1, 0) == -1 ||
                sem_init(&c->hdr->ring[d].empty, 1, c->nslots) == -1)
                errExit("sem_init");
    } else if (sync == SYNC_SYSV_SEM) {
        unsigned short init[4] = { 2, 0, 2, 0 };   /* empty, full per direction */
        if ((c->semid = semget(IPC_PRIVATE, 4, IPC_CREAT | 0600)) == -1)
            errExit("semget");
        c->sem_slot = cleanup_add(OBJ_SYSV_SEM, NULL, c->semid);
        if (semctl(c->semid, 0, SETALL, init) == -1)
            errExit("semctl SETALL");
    }
    return c;
}

static void shm_attach(struct chan *c, enum side s)
{
    /* fork() copies no page-table entry of a shared mapping: touch every
     * page once in the child before the parent starts timing. */
    if (s == CHILD)
        memset(c->data[0], 0, 2 * c->cap);
}

/* How many slots for n-byte messages: the ring holds RING_BYTES, like a
 * socket buffer, so small messages get many slots and rarely wait. */
static void shm_phase(struct chan *c, enum side s, size_t n)
{
    unsigned want = (unsigned)(c->cap / n);
    if (want > MAX_SLOTS)
        want = MAX_SLOTS;
    if (s == PARENT && want != c->nslots) {
        /* Nothing is in flight (the driver's promise), so every "empty"
         * semaphore counts exactly the old number of slots. */
        for (int d = 0; d < 2; d++) {
            if (c->sync == SYNC_SYSV_SEM) {
                if (semctl(c->semid, d * 2, SETVAL, (int)want) == -1)
                    errExit("semctl SETVAL");
            } else if (c->sync == SYNC_POSIX_SEM) {
                for (unsigned i = c->nslots; i < want; i++)
                    if (sem_post(&c->hdr->ring[d].empty) == -1)
                        errExit("sem_post");
                for (unsigned i = want; i < c->nslots; i++)
                    if (sem_trywait(&c->hdr->ring[d].empty) == -1)
                        errExit("sem_trywait (resizing the ring)");
            }
        }
    }
    c->nslots = want;
}

static void sysv_op(struct chan *c, int num, int op)
{
    struct sembuf sb = { .sem_num = (unsigned short)num, .sem_op = (short)op, .sem_flg = 0 };
    while (semop(c->semid, &sb, 1) == -1)
        if (errno != EINTR)
            errExit("semop(%d, %+d)", num, op);
}

static void xsem_wait(sem_t *sem)
{
    while (sem_wait(sem) == -1)
        if (errno != EINTR)
            errExit("sem_wait");
}

static void shm_send(struct chan *c, enum side s, const void *buf, size_t n)
{
    int d = out_q(s);
    struct ring *r = &c->hdr->ring[d];
    uint32_t head = r->head;                /* only we write it */
    uint32_t tail;

    switch (c->sync) {                      /* wait for a free slot */
    case SYNC_SYSV_SEM:  sysv_op(c, d * 2, -1); break;
    case SYNC_POSIX_SEM: xsem_wait(&r->empty); break;
    case SYNC_FUTEX:
        while (head - (tail = __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) >= c->nslots)
            futex_wait_change(&r->tail, tail, &r->tail_waiting);
        break;
    case SYNC_SPIN:
        while (head - __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE) >= c->nslots)
            cpu_relax();
        break;
    }
    memcpy(c->data[d] + (size_t)(head % c->nslots) * n, buf, n);
    switch (c->sync) {                      /* publish it, wake the reader */
    case SYNC_SYSV_SEM:
        __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
        sysv_op(c, d * 2 + 1, +1);
        break;
    case SYNC_POSIX_SEM:
        __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
        if (sem_post(&r->full) == -1)
            errExit("sem_post");
        break;
    case SYNC_FUTEX:
        futex_publish(&r->head, head + 1, &r->head_waiting);
        break;
    case SYNC_SPIN:
        __atomic_store_n(&r->head, head + 1, __ATOMIC_RELEASE);
        break;
    }
}

static void shm_recv(struct chan *c, enum side s, void *buf, size_t n)
{
    int d = in_q(s);
    struct ring *r = &c->hdr->ring[d];
    uint32_t tail = r->tail;                /* only we write it */

    switch (c->sync) {                      /* wait for a full slot */
    case SYNC_SYSV_SEM:  sysv_op(c, d * 2 + 1, -1); break;
    case SYNC_POSIX_SEM: xsem_wait(&r->full); break;
    case SYNC_FUTEX:
        while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
            futex_wait_change(&r->head, tail, &r->head_waiting);
        break;
    case SYNC_SPIN:
        while (__atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == tail)
            cpu_relax();
        break;
    }
    memcpy(buf, c->data[d] + (size_t)(tail % c->nslots) * n, n);
    switch (c->sync) {                      /* free the slot, wake the writer */
    case SYNC_SYSV_SEM:
        __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
        sysv_op(c, d * 2, +1);
        break;
    case SYNC_POSIX_SEM:
        __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
        if (sem_post(&r->empty) == -1)
            errExit("sem_post");
        break;
    case SYNC_FUTEX:
        futex_publish(&r->tail, tail + 1, &r->tail_waiting);
        break;
    case SYNC_SPIN:
        __atomic_store_n(&r->tail, tail + 1, __ATOMIC_RELEASE);
        break;
    }
}

static void shm_detach(struct chan *c, enum side s)
{
    (void)s;
    if (c->sync == SYNC_SYSV_SEM) {
        if (shmdt(c->base) == -1)
            errExit("shmdt");
    } else if (munmap(c->base, c->len) == -1) {
        errExit("munmap");
    }
    c->base = NULL;
}

static void shm_destroy(struct chan *c)
{
    if (c->base != NULL)
        shm_detach(c, PARENT);
    cleanup_done(c->sem_slot);              /* the System V semaphore set */
    free(c);
}

static struct chan *sysv_create(size_t m)  { return shm_create(SYNC_SYSV_SEM, m); }
static struct chan *posix_create(size_t m) { return shm_create(SYNC_POSIX_SEM, m); }
static struct chan *futex_create(size_t m) { return shm_create(SYNC_FUTEX, m); }
static struct chan *spin_create(size_t m)  { return shm_create(SYNC_SPIN, m); }
static int fits_any(size_t n) { (void)n; return 1; }

const struct mech mech_sysv_shm = {
    "sysv-shm", "System V shared memory (shmget) + System V semaphores (semop)",
    fits_any, sysv_create, shm_attach, shm_phase, shm_send, shm_recv, shm_detach, shm_destroy,
};
const struct mech mech_posix_shm = {
    "posix-shm", "POSIX shared memory (shm_open, mmap) + unnamed POSIX semaphores",
    fits_any, posix_create, shm_attach, shm_phase, shm_send, shm_recv, shm_detach, shm_destroy,
};
const struct mech mech_futex_shm = {
    "futex-shm", "POSIX shared memory + a futex on the ring counters",
    fits_any, futex_create, shm_attach, shm_phase, shm_send, shm_recv, shm_detach, shm_destroy,
};
const struct mech mech_spin_shm = {
    "spin-shm", "POSIX shared memory, busy polling (no sleep, no system call)",
    fits_any, spin_create, shm_attach, shm_phase, shm_send, shm_recv, shm_detach, shm_destroy,
};
