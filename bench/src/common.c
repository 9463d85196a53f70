/* common.c: error exits, the cleanup registry and the statistics, shared by
 * the driver and every mechanism. */
#include "bench.h"

#include <errno.h>
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/mman.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <unistd.h>

/* ---- errors --------------------------------------------------------------- */

static void vreport(int err, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (err)
        fprintf(stderr, "ipcbench[%ld]: %s: %s\n", (long)getpid(), msg, strerror(err));
    else
        fprintf(stderr, "ipcbench[%ld]: %s\n", (long)getpid(), msg);
}

void errExit(const char *fmt, ...)
{
    int err = errno;
    va_list ap;
    va_start(ap, fmt);
    vreport(err, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vreport(0, fmt, ap);
    va_end(ap);
    exit(EXIT_FAILURE);
}

void *xmalloc(size_t n)
{
    void *p = malloc(n);
    if (p == NULL)
        errExit("malloc(%zu)", n);
    /* Touch every page now: a first-touch page fault must not be timed. */
    memset(p, 0x5a, n);
    return p;
}

long read_proc_long(const char *path, long dflt)
{
    FILE *f = fopen(path, "r");
    long v;
    if (f == NULL)
        return dflt;
    if (fscanf(f, "%ld", &v) != 1)
        v = dflt;
    fclose(f);
    return v;
}

/* ---- cleanup registry ------------------------------------------------------- */

#define MAX_OBJ 64
struct obj { int used; enum obj_kind kind; int id; char name[128]; };
static struct obj objs[MAX_OBJ];
static pid_t owner;                 /* the process that may remove them */

/* Only system calls here: it also runs inside a signal handler. */
static void remove_obj(struct obj *o)
{
    switch (o->kind) {
    case OBJ_PATH:      unlink(o->name); break;
    case OBJ_POSIX_MQ:  mq_unlink(o->name); break;
    case OBJ_POSIX_SHM: shm_unlink(o->name); break;
    case OBJ_SYSV_SEM:  semctl(o->id, 0, IPC_RMID); break;
    case OBJ_SYSV_MSG:  msgctl(o->id, IPC_RMID, NULL); break;
    case OBJ_SYSV_SHM:  shmctl(o->id, IPC_RMID, NULL); break;
    }
    o->used = 0;
}

int cleanup_add(enum obj_kind kind, const char *name, int id)
{
    for (int i = 0; i < MAX_OBJ; i++) {
        if (!objs[i].used) {
            objs[i].kind = kind;
            objs[i].id = id;
            snprintf(objs[i].name, sizeof objs[i].name, "%s", name ? name : "");
            objs[i].used = 1;      /* last: a signal now sees a whole entry */
            return i;
        }
    }
    fatal("cleanup registry full (%d objects)", MAX_OBJ);
}

void cleanup_done(int slot)
{
    if (slot >= 0 && slot < MAX_OBJ && objs[slot].used)
        remove_obj(&objs[slot]);
}

static void cleanup_all(void)
{
    if (getpid() != owner)
        return;
    for (int i = 0; i < MAX_OBJ; i++)
        if (objs[i].used)
            remove_obj(&objs[i]);
}

static void on_signal(int sig)
{
    cleanup_all();
    /* Die of the same signal, so that make and the shell see a Ctrl-C. */
    signal(sig, SIG_DFL);
    raise(sig);
}

void cleanup_install(void)
{
    struct sigaction sa;
    owner = getpid();
    if (atexit(cleanup_all) != 0)
        fatal("atexit failed");
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigfillset(&sa.sa_mask);        /* no second signal inside the handler */
    int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGALRM };
    for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
        if (sigaction(sigs[i], &sa, NULL) == -1)
            errExit("sigaction");
    /* A peer that died makes writes fail with EPIPE, reported as such. */
    signal(SIGPIPE, SIG_IGN);
}

void unique_name(char *buf, size_t len, const char *dir, const char *tag)
{
    snprintf(buf, len, "%s/ipcbench-%ld-%s", dir, (long)getpid(), tag);
}

/* ---- statistics -------------------------------------------------------------- */

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return (x > y) - (x < y);
}

static int cmp_dbl(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void lat_summarise(uint64_t *s, size_t n, struct lat_stats *out)
{
    double sum = 0;
    memset(out, 0, sizeof *out);
    if (n == 0)
        return;
    qsort(s, n, sizeof *s, cmp_u64);
    for (size_t i = 0; i < n; i++)
        sum += (double)s[i];
    /* Nearest-rank percentiles: with few samples p99 is simply the largest. */
    size_t i99 = (size_t)((double)n * 0.99);
    if (i99 >= n)
        i99 = n - 1;
    out->median_us = (n % 2 ? (double)s[n / 2] : ((double)s[n / 2 - 1] + (double)s[n / 2]) / 2) / 1e3;
    out->p99_us = (double)s[i99] / 1e3;
    out->min_us = (double)s[0] / 1e3;
    out->mean_us = sum / (double)n / 1e3;
    out->n = n;
}

double median_of(const double *v, size_t n)
{
    double tmp[n ? n : 1];
    if (n == 0)
        return 0;
    memcpy(tmp, v, n * sizeof *v);
    qsort(tmp, n, sizeof *tmp, cmp_dbl);
    return n % 2 ? tmp[n / 2] : (tmp[n / 2 - 1] + tmp[n / 2]) / 2;
}

double min_of(const double *v, size_t n)
{
    double m = n ? v[0] : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] < m)
            m = v[i];
    return m;
}

double max_of(const double *v, size_t n)
{
    double m = n ? v[0] : 0;
    for (size_t i = 1; i < n; i++)
        if (v[i] > m)
            m = v[i];
    return m;
}

double spread_pct(const double *v, size_t n)
{
    double med = median_of(v, n);
    if (n < 2 || med <= 0)
        return 0;
    return (max_of(v, n) - min_of(v, n)) / med * 100;
}
