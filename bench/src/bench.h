/* bench.h: what the IPC benchmark's pieces share.
 *
 * One driver (ipcbench.c) runs every mechanism the same way: it creates a
 * channel, forks a peer, and times messages going through the channel.  A
 * mechanism is a table of functions (struct mech) in mech_fd.c, mech_msg.c or
 * mech_shm.c; the timing, the statistics, the error exits and the removal of
 * IPC objects on every exit path live in common.c, so that no mechanism has
 * its own copy of them.
 */
#ifndef BENCH_H
#define BENCH_H

#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

/* ---- errors (TLPI style: name the call, then exit) ---------------------- */

/* Print "ipcbench[pid]: WHAT: strerror(errno)" and exit(EXIT_FAILURE).  The
 * exit runs the cleanup registry below, so no IPC object is left behind. */
_Noreturn void errExit(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* The same without errno. */
_Noreturn void fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void *xmalloc(size_t n);            /* malloc, touched, or exit */

/* ---- cleanup registry ---------------------------------------------------- *
 * Every named or System V object is registered as soon as it exists and
 * unregistered once removed.  exit() and SIGINT/SIGTERM/SIGHUP remove what is
 * still registered, in the process that created it only (the forked peer
 * inherits the list but must not remove its parent's objects). */
enum obj_kind { OBJ_PATH, OBJ_POSIX_MQ, OBJ_SYSV_SEM, OBJ_SYSV_MSG, OBJ_SYSV_SHM, OBJ_POSIX_SHM };
int  cleanup_add(enum obj_kind kind, const char *name, int id);  /* returns a slot */
void cleanup_done(int slot);          /* remove the object now and forget it */
void cleanup_install(void);           /* the signal handlers and atexit() */
/* A name unique to this run: "/ipcbench-PID-TAG" (prefix "/" for POSIX IPC). */
void unique_name(char *buf, size_t len, const char *dir, const char *tag);

/* ---- time and statistics ------------------------------------------------- */

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    /* CLOCK_MONOTONIC is one clock for every process on the machine, so a
     * time taken by the peer can be compared with one taken here. */
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

struct lat_stats { double median_us, p99_us, min_us, mean_us; size_t n; };
/* Sorts the samples (ns) in place. */
void lat_summarise(uint64_t *samples, size_t n, struct lat_stats *out);
/* Median of v[0..n) (sorted copy), and the spread (max-min)/median in %. */
double median_of(const double *v, size_t n);
double spread_pct(const double *v, size_t n);
double min_of(const double *v, size_t n);
double max_of(const double *v, size_t n);

/* ---- mechanisms ------------------------------------------------------------ */

enum side { PARENT = 0, CHILD = 1 };

struct chan;                /* each mechanism's own state */

struct mech {
    const char *name;       /* CSV and command-line name */
    const char *desc;       /* one line for the usage message and the README */
    /* Can a message of n bytes go through at all on this machine?  0 when a
     * system limit (msgmax, msgsize_max, socket buffer) forbids it: that
     * point is reported "n/a (limit)", never chunked (a chunked message
     * would measure another protocol, not this mechanism). */
    int (*fits)(size_t n);
    /* In the parent, before fork(): make the objects for messages up to
     * maxsize bytes. */
    struct chan *(*create)(size_t maxsize);
    /* In each process after fork(): open this side's ends. */
    void (*attach)(struct chan *c, enum side s);
    /* Optional: both sides call it before a run of n-byte messages, when no
     * message is in flight (the driver guarantees it). */
    void (*phase)(struct chan *c, enum side s, size_t n);
    /* Move exactly n bytes; the receiver gets them in its own buffer, as it
     * would with read(), so every mechanism delivers the same thing. */
    void (*send)(struct chan *c, enum side s, const void *buf, size_t n);
    void (*recv)(struct chan *c, enum side s, void *buf, size_t n);
    /* Close this side's ends (the child before it exits). */
    void (*detach)(struct chan *c, enum side s);
    /* In the parent, after the child was reaped: remove every object. */
    void (*destroy)(struct chan *c);
};

extern const struct mech mech_pipe, mech_fifo, mech_unix_stream, mech_unix_dgram, mech_tcp;
extern const struct mech mech_sysv_msg, mech_posix_mq;
extern const struct mech mech_sysv_shm, mech_posix_shm, mech_futex_shm, mech_spin_shm;

/* The futex primitives of mech_shm.c, also used by the driver's raw futex
 * round trip: sleep until *word != old; store val and wake a sleeper. */
void futex_wait_change(uint32_t *word, uint32_t old, uint32_t *waiting);
void futex_publish(uint32_t *word, uint32_t val, uint32_t *waiting);

/* A system limit read from /proc/sys (a path), or dflt when unreadable. */
long read_proc_long(const char *path, long dflt);

#endif
