/* ipcbench.c: round-trip latency and one-way throughput of Linux IPC
 * mechanisms between two processes, with the machine's own limits (memcpy
 * bandwidth, raw futex wake-up) measured in the same run.
 *
 * Usage: see usage() below, or `ipcbench -h`.
 *
 * For each CPU placement (both processes on one CPU, on two CPUs, left to the
 * scheduler) and each mechanism, the parent creates the channel and forks a
 * peer.  For each repetition and message size:
 *   latency     the parent sends a message, the peer sends it back; each round
 *               trip is timed on its own (median, p99, min, mean)
 *   throughput  the parent sends messages back to back for the duration; the
 *               peer timestamps the last one; bytes / time.
 * Every message carries a header (sequence number, kind) that the peer checks,
 * so a mechanism that lost or reordered a message would be caught, not timed.
 * Repetitions are interleaved over the sizes, and their medians summarised by
 * the median and the spread (max - min) / median.
 */
#include "bench.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* ---- the plan ------------------------------------------------------------------ */

static const struct mech *all_mechs[] = {
    &mech_pipe, &mech_fifo, &mech_unix_stream, &mech_unix_dgram, &mech_tcp,
    &mech_sysv_msg, &mech_posix_mq,
    &mech_sysv_shm, &mech_posix_shm, &mech_futex_shm, &mech_spin_shm,
};
#define NMECH_ALL (sizeof all_mechs / sizeof all_mechs[0])
#define MAX_SIZES 32
#define MAX_REPS 50
enum { PL_SAME, PL_CROSS, PL_NONE, NPL };
static const char *pl_name[NPL] = { "same", "cross", "none" };
static const char *pl_desc[NPL] = { "same CPU", "cross-CPU", "unpinned" };

struct opts {
    const struct mech *mech[NMECH_ALL];
    size_t nmech;
    size_t size[MAX_SIZES];
    size_t nsize, maxsize;
    double dur_s;               /* per point, per repetition */
    int reps;
    int pl[NPL];                /* which placements to run */
    const char *out;
    int quiet;
} o;

/* The message header.  Sizes below it are refused. */
enum kind { K_READY = 1, K_DATA, K_STOP, K_ACK };
struct hdr { uint64_t seq; uint32_t kind, pad; uint64_t t_ns, count; };
#define MIN_SIZE sizeof(struct hdr)

#define WARMUP 5                /* round trips not recorded */
#define MIN_SAMPLES 5
#define MAX_SAMPLES (1u << 20)

/* ---- results --------------------------------------------------------------------- */

enum status { ST_NONE, ST_OK, ST_LIMIT, ST_NA };
struct point {                  /* one mechanism, placement and size */
    enum status st;
    int n;                      /* repetitions done */
    double med[MAX_REPS], p99[MAX_REPS], min[MAX_REPS], mean[MAX_REPS];
    double mbps[MAX_REPS], msgps[MAX_REPS];
};
static struct point res[NMECH_ALL][NPL][MAX_SIZES];
static struct point memcpy_res[MAX_SIZES];
static struct point futex_res[NPL];
static int cpus[2], ncpus;
static cpu_set_t all_cpus;
static FILE *raw;               /* raw.csv: one line per repetition */

static uint64_t *samples;
static char *sbuf, *rbuf;       /* the parent's (and, after fork, the peer's) buffers */

/* ---- placement ------------------------------------------------------------------ */

static void pin(int cpu)
{
    cpu_set_t set;
    if (cpu < 0) {
        set = all_cpus;
    } else {
        CPU_ZERO(&set);
        CPU_SET(cpu, &set);
    }
    if (sched_setaffinity(0, sizeof set, &set) == -1)
        errExit("sched_setaffinity(cpu %d)", cpu);
}

static void place(int pl, enum side s)
{
    switch (pl) {
    case PL_SAME:  pin(cpus[0]); break;
    case PL_CROSS: pin(s == PARENT ? cpus[0] : cpus[1]); break;
    default:       pin(-1); break;
    }
}

/* The peer: dies with its parent, must not remove the parent's objects
 * (common.c checks the pid), and exits with _exit() so that the parent's
 * stdio buffers are not flushed twice. */
static pid_t fork_peer(void)
{
    pid_t ppid = getpid();
    fflush(NULL);
    pid_t pid = fork();
    if (pid == -1)
        errExit("fork");
    if (pid == 0) {
        if (prctl(PR_SET_PDEATHSIG, SIGKILL) == -1)
            errExit("prctl(PR_SET_PDEATHSIG)");
        if (getppid() != ppid)          /* the parent died before prctl() */
            _exit(EXIT_FAILURE);
        signal(SIGINT, SIG_DFL);        /* Ctrl-C: the parent cleans up */
        signal(SIGTERM, SIG_DFL);
    }
    return pid;
}

static void reap(pid_t pid, const char *what)
{
    int st;
    while (waitpid(pid, &st, 0) == -1)
        if (errno != EINTR)
            errExit("waitpid");
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
        fatal("%s: the peer process failed (status 0x%x)", what, st);
}

/* A bound on every point: a peer that died while we sleep in a semaphore or a
 * futex would otherwise hang the run.  SIGALRM cleans up like Ctrl-C. */
static void watchdog(double seconds)
{
    alarm(seconds > 0 ? (unsigned)(seconds + 10) : 0);
}

/* ---- one mechanism in one placement ------------------------------------------------ */

static void set_hdr(char *buf, enum kind k, uint64_t seq)
{
    struct hdr h = { .seq = seq, .kind = k };
    memcpy(buf, &h, sizeof h);
}

static struct hdr get_hdr(const char *buf)
{
    struct hdr h;
    memcpy(&h, buf, sizeof h);
    return h;
}

static void peer_main(const struct mech *m, struct chan *c, int pl)
{
    place(pl, CHILD);
    if (m->attach)
        m->attach(c, CHILD);
    set_hdr(sbuf, K_READY, 0);
    m->send(c, CHILD, sbuf, MIN_SIZE);
    for (int rep = 0; rep < o.reps; rep++) {
        for (size_t i = 0; i < o.nsize; i++) {
            size_t n = o.size[i];
            if (!m->fits(n))
                continue;
            if (m->phase)
                m->phase(c, CHILD, n);
            for (;;) {                  /* latency: send every message back */
                m->recv(c, CHILD, rbuf, n);
                m->send(c, CHILD, rbuf, n);
                if (get_hdr(rbuf).kind == K_STOP)
                    break;
            }
            for (uint64_t want = 0;;) { /* throughput: count, check, stamp */
                m->recv(c, CHILD, rbuf, n);
                struct hdr h = get_hdr(rbuf);
                if (h.kind == K_STOP) {
                    struct hdr ack = { .kind = K_ACK, .t_ns = now_ns(), .count = want };
                    memcpy(sbuf, &ack, sizeof ack);
                    m->send(c, CHILD, sbuf, n);
                    break;
                }
                if (h.kind != K_DATA || h.seq != want)
                    fatal("%s: message %llu arrived where %llu was expected",
                          m->name, (unsigned long long)h.seq, (unsigned long long)want);
                want++;
            }
        }
    }
    m->detach(c, CHILD);
    _exit(EXIT_SUCCESS);
}

static void latency(const struct mech *m, struct chan *c, size_t n, struct point *p, int rep)
{
    size_t ns = 0;
    uint64_t start = now_ns(), limit = (uint64_t)(o.dur_s * 1e9);
    for (uint64_t i = 0;; i++) {
        set_hdr(sbuf, K_DATA, i);
        uint64_t t0 = now_ns();
        m->send(c, PARENT, sbuf, n);
        m->recv(c, PARENT, rbuf, n);
        uint64_t t1 = now_ns();
        if (get_hdr(rbuf).seq != i)
            fatal("%s: reply %llu to message %llu", m->name,
                  (unsigned long long)get_hdr(rbuf).seq, (unsigned long long)i);
        if (i >= WARMUP)
            samples[ns++] = t1 - t0;
        if ((ns >= MIN_SAMPLES && t1 - start >= limit) || ns == MAX_SAMPLES)
            break;
    }
    set_hdr(sbuf, K_STOP, 0);
    m->send(c, PARENT, sbuf, n);
    m->recv(c, PARENT, rbuf, n);
    struct lat_stats ls;
    lat_summarise(samples, ns, &ls);
    p->med[rep] = ls.median_us;
    p->p99[rep] = ls.p99_us;
    p->min[rep] = ls.min_us;
    p->mean[rep] = ls.mean_us;
}

static void throughput(const struct mech *m, struct chan *c, size_t n, struct point *p, int rep)
{
    uint64_t i, limit = (uint64_t)(o.dur_s * 1e9);
    uint64_t t0 = now_ns();
    for (i = 0;; ) {
        set_hdr(sbuf, K_DATA, i);
        m->send(c, PARENT, sbuf, n);
        i++;
        if (now_ns() - t0 >= limit)
            break;
    }
    set_hdr(sbuf, K_STOP, 0);
    m->send(c, PARENT, sbuf, n);
    m->recv(c, PARENT, rbuf, n);
    struct hdr ack = get_hdr(rbuf);
    if (ack.kind != K_ACK || ack.count != i)
        fatal("%s: the peer received %llu messages of %llu", m->name,
              (unsigned long long)ack.count, (unsigned long long)i);
    /* From the first send to the peer's receipt of the last message: the
     * peer's clock is the same CLOCK_MONOTONIC. */
    double secs = (double)(ack.t_ns - t0) / 1e9;
    p->mbps[rep] = (double)i * (double)n / secs / 1e6;
    p->msgps[rep] = (double)i / secs;
}

static void run_mech(size_t mi, int pl)
{
    const struct mech *m = o.mech[mi];
    if (!o.quiet) {
        fprintf(stderr, "  %-12s %-9s ", m->name, pl_name[pl]);
        fflush(stderr);
    }
    place(pl, PARENT);
    struct chan *c = m->create(o.maxsize);
    if (m->phase)
        m->phase(c, PARENT, MIN_SIZE);
    pid_t pid = fork_peer();
    if (pid == 0)
        peer_main(m, c, pl);
    if (m->attach)
        m->attach(c, PARENT);
    watchdog(30);
    m->recv(c, PARENT, rbuf, MIN_SIZE);            /* the peer is ready */
    if (get_hdr(rbuf).kind != K_READY)
        fatal("%s: no ready message from the peer", m->name);
    for (int rep = 0; rep < o.reps; rep++) {
        for (size_t i = 0; i < o.nsize; i++) {
            size_t n = o.size[i];
            struct point *p = &res[mi][pl][i];
            if (!m->fits(n)) {
                p->st = ST_LIMIT;
                continue;
            }
            watchdog(o.dur_s * 40);
            if (m->phase)
                m->phase(c, PARENT, n);
            latency(m, c, n, p, rep);
            throughput(m, c, n, p, rep);
            p->st = ST_OK;
            p->n = rep + 1;
            fprintf(raw, "%s,%s,%zu,%d,%.3f,%.3f,%.3f,%.3f,%.2f,%.0f\n", m->name, pl_name[pl],
                    n, rep + 1, p->med[rep], p->p99[rep], p->min[rep], p->mean[rep],
                    p->mbps[rep], p->msgps[rep]);
        }
        if (!o.quiet)
            fputc('.', stderr);
    }
    watchdog(0);
    m->detach(c, PARENT);
    reap(pid, m->name);
    m->destroy(c);
    place(PL_NONE, PARENT);
    if (!o.quiet)
        fputc('\n', stderr);
}

/* ---- the limits ---------------------------------------------------------------------- */

/* memcpy bandwidth: one process, one copy per message, from a buffer to
 * another that stay in the cache as long as they fit.  No mechanism that
 * copies can beat it; shared memory copies twice (in and out). */
static void *(*volatile memcpy_p)(void *, const void *, size_t) = memcpy;

static void run_memcpy(void)
{
    uint64_t limit = (uint64_t)(o.dur_s * 1e9);
    for (int rep = 0; rep < o.reps; rep++) {
        for (size_t i = 0; i < o.nsize; i++) {
            size_t n = o.size[i];
            uint64_t k = 0, t0 = now_ns(), t;
            do {
                for (int j = 0; j < 16; j++)    /* amortise the clock read */
                    memcpy_p(rbuf, sbuf, n);
                k += 16;
            } while ((t = now_ns()) - t0 < limit);
            struct point *p = &memcpy_res[i];
            double secs = (double)(t - t0) / 1e9;
            p->st = ST_OK;
            p->n = rep + 1;
            p->mbps[rep] = (double)k * (double)n / secs / 1e6;
            p->msgps[rep] = (double)k / secs;
            p->med[rep] = p->p99[rep] = p->min[rep] = p->mean[rep] = secs / (double)k * 1e6;
            fprintf(raw, "memcpy,none,%zu,%d,%.4f,%.4f,%.4f,%.4f,%.2f,%.0f\n", n, rep + 1,
                    p->med[rep], p->p99[rep], p->min[rep], p->mean[rep], p->mbps[rep], p->msgps[rep]);
        }
    }
}

/* The raw futex round trip: no data, no ring, two words in a shared page;
 * each side sleeps in FUTEX_WAIT until the other moves its word.  This is the
 * price of two sleeping wake-ups, the floor of every mechanism that sleeps. */
struct fpage { uint32_t ping, ping_waiting, pong, pong_waiting; };

static void run_futex(int pl)
{
    struct fpage *f = mmap(NULL, sizeof *f, PROT_READ | PROT_WRITE,
                           MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (f == MAP_FAILED)
        errExit("mmap");
    place(pl, PARENT);
    pid_t pid = fork_peer();
    if (pid == 0) {
        place(pl, CHILD);
        for (uint32_t seen = 0;;) {
            futex_wait_change(&f->ping, seen, &f->ping_waiting);
            seen = __atomic_load_n(&f->ping, __ATOMIC_ACQUIRE);
            futex_publish(&f->pong, seen, &f->pong_waiting);
            if (seen == UINT32_MAX)
                _exit(EXIT_SUCCESS);
        }
    }
    watchdog(o.dur_s * o.reps * 40);
    uint64_t limit = (uint64_t)(o.dur_s * 1e9);
    uint32_t v = 0;
    struct point *p = &futex_res[pl];
    for (int rep = 0; rep < o.reps; rep++) {
        size_t ns = 0;
        uint64_t start = now_ns();
        for (uint32_t i = 0;; i++) {
            uint64_t t0 = now_ns();
            futex_publish(&f->ping, ++v, &f->ping_waiting);
            while (__atomic_load_n(&f->pong, __ATOMIC_ACQUIRE) != v)
                futex_wait_change(&f->pong, v - 1, &f->pong_waiting);
            uint64_t t1 = now_ns();
            if (i >= WARMUP)
                samples[ns++] = t1 - t0;
            if ((ns >= MIN_SAMPLES && t1 - start >= limit) || ns == MAX_SAMPLES)
                break;
        }
        struct lat_stats ls;
        lat_summarise(samples, ns, &ls);
        p->med[rep] = ls.median_us;
        p->p99[rep] = ls.p99_us;
        p->min[rep] = ls.min_us;
        p->mean[rep] = ls.mean_us;
        p->st = ST_OK;
        p->n = rep + 1;
        fprintf(raw, "futex-rtt,%s,0,%d,%.3f,%.3f,%.3f,%.3f,,\n", pl_name[pl], rep + 1,
                ls.median_us, ls.p99_us, ls.min_us, ls.mean_us);
    }
    futex_publish(&f->ping, UINT32_MAX, &f->ping_waiting);
    watchdog(0);
    reap(pid, "futex-rtt");
    if (munmap(f, sizeof *f) == -1)
        errExit("munmap");
    place(PL_NONE, PARENT);
}

/* ---- output ---------------------------------------------------------------------------- */

static double med(const double *v, int n) { return median_of(v, (size_t)n); }

static void csv_point(FILE *f, const char *mech, const char *pl, size_t size,
                      const struct point *p, int has_tput, double memcpy_mbps)
{
    if (p->st == ST_LIMIT) {
        fprintf(f, "%s,%s,%zu,limit,0,,,,,,,,,\n", mech, pl, size);
        return;
    }
    if (p->st != ST_OK) {
        fprintf(f, "%s,%s,%zu,n/a,0,,,,,,,,,\n", mech, pl, size);
        return;
    }
    fprintf(f, "%s,%s,%zu,ok,%d,%.3f,%.3f,%.3f,%.3f,%.1f,", mech, pl, size, p->n,
            med(p->med, p->n), med(p->p99, p->n), min_of(p->min, (size_t)p->n),
            med(p->mean, p->n), spread_pct(p->med, (size_t)p->n));
    if (has_tput)
        fprintf(f, "%.2f,%.0f,%.1f,%.4f\n", med(p->mbps, p->n), med(p->msgps, p->n),
                spread_pct(p->mbps, (size_t)p->n), med(p->mbps, p->n) / memcpy_mbps);
    else
        fprintf(f, ",,,\n");
}

static FILE *xfopen(const char *name, const char *mode)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", o.out, name);
    FILE *f = fopen(path, mode);
    if (f == NULL)
        errExit("fopen %s", path);
    return f;
}

static void xfclose(FILE *f, const char *name)
{
    if (fclose(f) == EOF)
        errExit("write %s/%s", o.out, name);
}

static void write_csv(void)
{
    FILE *f = xfopen("bench.csv", "w");
    fprintf(f, "mechanism,placement,size,status,reps,lat_median_us,lat_p99_us,lat_min_us,"
               "lat_mean_us,lat_spread_pct,tput_MBps,tput_msgps,tput_spread_pct,memcpy_ratio\n");
    for (size_t i = 0; i < o.nsize; i++)
        csv_point(f, "memcpy", "none", o.size[i], &memcpy_res[i], 1, med(memcpy_res[i].mbps, memcpy_res[i].n));
    for (int pl = 0; pl < NPL; pl++)
        if (o.pl[pl])
            csv_point(f, "futex-rtt", pl_name[pl], 0, &futex_res[pl], 0, 1);
    for (int pl = 0; pl < NPL; pl++)
        for (size_t mi = 0; mi < o.nmech; mi++)
            for (size_t i = 0; o.pl[pl] && i < o.nsize; i++)
                csv_point(f, o.mech[mi]->name, pl_name[pl], o.size[i], &res[mi][pl][i], 1,
                          med(memcpy_res[i].mbps, memcpy_res[i].n));
    xfclose(f, "bench.csv");
}

/* gnuplot's input: per placement and metric, a column of sizes and, per
 * mechanism, the median and the lowest and highest repetition ("?" where
 * there is no value), then the limits. */
static void write_dat(int pl, int tput)
{
    char name[64];
    snprintf(name, sizeof name, "%s-%s.dat", tput ? "throughput" : "latency", pl_name[pl]);
    FILE *f = xfopen(name, "w");
    fprintf(f, "size");
    for (size_t mi = 0; mi < o.nmech; mi++)
        fprintf(f, " %s lo hi", o.mech[mi]->name);
    fprintf(f, tput ? " memcpy\n" : " futex-rtt 4xmemcpy\n");
    for (size_t i = 0; i < o.nsize; i++) {
        fprintf(f, "%zu", o.size[i]);
        for (size_t mi = 0; mi < o.nmech; mi++) {
            const struct point *p = &res[mi][pl][i];
            const double *v = tput ? p->mbps : p->med;
            if (p->st == ST_OK)
                fprintf(f, " %.4g %.4g %.4g", med(v, p->n), min_of(v, (size_t)p->n), max_of(v, (size_t)p->n));
            else
                fprintf(f, " ? ? ?");
        }
        const struct point *mc = &memcpy_res[i];
        if (tput)
            fprintf(f, " %.4g\n", med(mc->mbps, mc->n));
        else
            fprintf(f, " %.4g %.4g\n", med(futex_res[pl].med, futex_res[pl].n), 4 * med(mc->med, mc->n));
    }
    xfclose(f, name);
}

static const char *size_str(size_t n)
{
    static char buf[8][32];
    static int k;
    char *b = buf[k++ % 8];
    if (n >= 1048576 && n % 1048576 == 0)
        snprintf(b, 32, "%zu MiB", n / 1048576);
    else if (n >= 1024 && n % 1024 == 0)
        snprintf(b, 32, "%zu KiB", n / 1024);
    else
        snprintf(b, 32, "%zu B", n);
    return b;
}

static void print_table(FILE *f, int pl, int tput)
{
    if (tput)
        fprintf(f, "\none-way throughput, MB/s (10^6 B/s): median over %d repetitions, [%% of memcpy]\n", o.reps);
    else
        fprintf(f, "\nround-trip latency, median us (spread %%), p99 us\n");
    fprintf(f, "%-12s", "mechanism");
    for (size_t i = 0; i < o.nsize; i++)
        fprintf(f, " %19s", size_str(o.size[i]));
    fputc('\n', f);
    for (size_t mi = 0; mi < o.nmech; mi++) {
        fprintf(f, "%-12s", o.mech[mi]->name);
        for (size_t i = 0; i < o.nsize; i++) {
            const struct point *p = &res[mi][pl][i];
            char cell[64];
            if (p->st == ST_LIMIT)
                snprintf(cell, sizeof cell, "n/a (limit)");
            else if (p->st != ST_OK)
                snprintf(cell, sizeof cell, "-");
            else if (tput)
                snprintf(cell, sizeof cell, "%.0f [%.0f%%]", med(p->mbps, p->n),
                         100 * med(p->mbps, p->n) / med(memcpy_res[i].mbps, memcpy_res[i].n));
            else
            {
                /* A spread over 999 % means the repetitions landed on
                 * different regimes (typically: unpinned, same CPU or not). */
                double sp = spread_pct(p->med, (size_t)p->n);
                if (sp > 999)
                    snprintf(cell, sizeof cell, "%.1f (>999%%) %.0f", med(p->med, p->n), med(p->p99, p->n));
                else
                    snprintf(cell, sizeof cell, "%.1f (%.0f%%) %.0f", med(p->med, p->n), sp, med(p->p99, p->n));
            }
            fprintf(f, " %19s", cell);
        }
        fputc('\n', f);
    }
    if (tput) {
        fprintf(f, "%-12s", "memcpy");
        for (size_t i = 0; i < o.nsize; i++)
            fprintf(f, " %19.0f", med(memcpy_res[i].mbps, memcpy_res[i].n));
        fputc('\n', f);
    }
}

static void report(FILE *f)
{
    for (int pl = 0; pl < NPL; pl++) {
        if (!o.pl[pl])
            continue;
        fprintf(f, "\n=== placement: %s", pl_desc[pl]);
        if (pl == PL_SAME)
            fprintf(f, " (both processes on CPU %d)", cpus[0]);
        else if (pl == PL_CROSS)
            fprintf(f, " (CPU %d and CPU %d)", cpus[0], cpus[1]);
        else
            fprintf(f, " (the scheduler decides)");
        fprintf(f, "; raw futex wake-up round trip: %.1f us ===\n",
                med(futex_res[pl].med, futex_res[pl].n));
        print_table(f, pl, 0);
        print_table(f, pl, 1);
    }
    /* The lesson in one table: the same mechanism, three placements. */
    fprintf(f, "\n=== placement, smallest size (%s): round trip median us, same / cross / unpinned ===\n",
            size_str(o.size[0]));
    for (size_t mi = 0; mi < o.nmech + 1; mi++) {
        fprintf(f, "%-12s", mi < o.nmech ? o.mech[mi]->name : "futex-rtt");
        for (int pl = 0; pl < NPL; pl++) {
            const struct point *p = mi < o.nmech ? &res[mi][pl][0] : &futex_res[pl];
            if (o.pl[pl] && p->st == ST_OK)
                fprintf(f, " %10.1f", med(p->med, p->n));
            else
                fprintf(f, " %10s", "-");
        }
        fputc('\n', f);
    }
}

/* ---- command line ----------------------------------------------------------------- */

static _Noreturn void usage(const char *prog, int status)
{
    FILE *f = status ? stderr : stdout;
    fprintf(f, "Usage: %s [-q] [-m MECH,...] [-s SIZE,...] [-d SECONDS] [-r REPS]\n"
               "          [-p same,cross,none] [-o DIR] [-Q]\n"
               "Measure IPC round-trip latency and throughput between two processes.\n"
               "  -q            quick mode: 4 sizes, 10 ms per point, 3 repetitions\n"
               "  -m MECH,...   mechanisms (default: all)\n"
               "  -s SIZE,...   message sizes, K and M suffixes (default: 64,256,1K,...,1M)\n"
               "  -d SECONDS    time per point and repetition (default 0.05)\n"
               "  -r REPS       repetitions, median reported (default 5, at most %d)\n"
               "  -p PLACEMENT  same: one CPU for both; cross: one CPU each; none: unpinned\n"
               "  -o DIR        where bench.csv, raw.csv, report.txt and *.dat go (default .)\n"
               "  -Q            no progress on stderr\n"
               "Mechanisms:\n", prog, MAX_REPS);
    for (size_t i = 0; i < NMECH_ALL; i++)
        fprintf(f, "  %-12s  %s\n", all_mechs[i]->name, all_mechs[i]->desc);
    exit(status);
}

static size_t parse_size(const char *s, const char *prog)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        usage(prog, 2);
    if (*end == 'K' || *end == 'k')
        v <<= 10, end++;
    else if (*end == 'M' || *end == 'm')
        v <<= 20, end++;
    if (*end != '\0' || v < MIN_SIZE || v > (64u << 20)) {
        fprintf(stderr, "%s: size '%s': from %zu bytes to 64M\n", prog, s, MIN_SIZE);
        exit(2);
    }
    return (size_t)v;
}

static void parse_args(int argc, char *argv[])
{
    char *mechs = NULL, *sizes = NULL, *pls = NULL;
    int quick = 0, opt;
    double dur = -1;
    o.reps = -1;
    o.out = ".";
    while ((opt = getopt(argc, argv, "qm:s:d:r:p:o:Qh")) != -1) {
        switch (opt) {
        case 'q': quick = 1; break;
        case 'm': mechs = optarg; break;
        case 's': sizes = optarg; break;
        case 'd': dur = atof(optarg); break;
        case 'r': o.reps = atoi(optarg); break;
        case 'p': pls = optarg; break;
        case 'o': o.out = optarg; break;
        case 'Q': o.quiet = 1; break;
        case 'h': usage(argv[0], 0);
        default:  usage(argv[0], 2);
        }
    }
    if (optind != argc)
        usage(argv[0], 2);
    if (dur < 0)
        dur = quick ? 0.01 : 0.05;
    if (o.reps < 0)
        o.reps = quick ? 3 : 5;
    if (dur <= 0 || dur > 60 || o.reps < 1 || o.reps > MAX_REPS) {
        fprintf(stderr, "%s: -d from 0 to 60 s, -r from 1 to %d\n", argv[0], MAX_REPS);
        exit(2);
    }
    o.dur_s = dur;

    char dflt_sizes[] = "64,256,1K,4K,16K,64K,256K,1M", quick_sizes[] = "64,4K,64K,1M";
    if (sizes == NULL || *sizes == '\0')
        sizes = quick ? quick_sizes : dflt_sizes;
    for (char *t = strtok(sizes, ", "); t; t = strtok(NULL, ", ")) {
        if (o.nsize == MAX_SIZES)
            fatal("at most %d sizes", MAX_SIZES);
        o.size[o.nsize] = parse_size(t, argv[0]);
        if (o.size[o.nsize] > o.maxsize)
            o.maxsize = o.size[o.nsize];
        o.nsize++;
    }
    if (o.nsize == 0)
        usage(argv[0], 2);

    if (mechs == NULL || *mechs == '\0' || strcmp(mechs, "all") == 0) {
        for (size_t i = 0; i < NMECH_ALL; i++)
            o.mech[o.nmech++] = all_mechs[i];
    } else {
        for (char *t = strtok(mechs, ", "); t; t = strtok(NULL, ", ")) {
            size_t i;
            for (i = 0; i < NMECH_ALL && strcmp(all_mechs[i]->name, t) != 0; i++)
                ;
            if (i == NMECH_ALL) {
                fprintf(stderr, "%s: unknown mechanism '%s'\n", argv[0], t);
                usage(argv[0], 2);
            }
            if (o.nmech == NMECH_ALL)
                usage(argv[0], 2);
            o.mech[o.nmech++] = all_mechs[i];
        }
    }

    if (pls == NULL || *pls == '\0' || strcmp(pls, "all") == 0) {
        o.pl[PL_SAME] = o.pl[PL_CROSS] = o.pl[PL_NONE] = 1;
    } else {
        for (char *t = strtok(pls, ", "); t; t = strtok(NULL, ", ")) {
            int pl;
            for (pl = 0; pl < NPL && strcmp(pl_name[pl], t) != 0; pl++)
                ;
            if (pl == NPL) {
                fprintf(stderr, "%s: placement '%s': same, cross or none\n", argv[0], t);
                exit(2);
            }
            o.pl[pl] = 1;
        }
    }
}

int main(int argc, char *argv[])
{
    setvbuf(stdout, NULL, _IOLBF, 0);
    parse_args(argc, argv);
    cleanup_install();

    /* The CPUs we may use (a container or taskset may allow fewer than
     * nproc): the first two serve for "same" and "cross". */
    if (sched_getaffinity(0, sizeof all_cpus, &all_cpus) == -1)
        errExit("sched_getaffinity");
    for (int i = 0; i < CPU_SETSIZE && ncpus < 2; i++)
        if (CPU_ISSET(i, &all_cpus))
            cpus[ncpus++] = i;
    if (ncpus < 2 && o.pl[PL_CROSS]) {
        fprintf(stderr, "ipcbench: only one CPU allowed: no cross-CPU placement\n");
        o.pl[PL_CROSS] = 0;
    }

    if (mkdir(o.out, 0755) == -1 && errno != EEXIST)
        errExit("mkdir %s", o.out);
    samples = malloc(MAX_SAMPLES * sizeof *samples);
    if (samples == NULL)
        errExit("malloc");
    sbuf = xmalloc(o.maxsize);
    rbuf = xmalloc(o.maxsize);
    raw = xfopen("raw.csv", "w");
    fprintf(raw, "mechanism,placement,size,rep,lat_median_us,lat_p99_us,lat_min_us,lat_mean_us,"
                 "tput_MBps,tput_msgps\n");

    uint64_t t0 = now_ns();
    if (!o.quiet)
        fprintf(stderr, "ipcbench: %zu mechanisms, %zu sizes, %d repetitions of %g s; limits...\n",
                o.nmech, o.nsize, o.reps, o.dur_s);
    run_memcpy();
    for (int pl = 0; pl < NPL; pl++)
        if (o.pl[pl])
            run_futex(pl);
    for (int pl = 0; pl < NPL; pl++)
        for (size_t mi = 0; o.pl[pl] && mi < o.nmech; mi++)
            run_mech(mi, pl);

    xfclose(raw, "raw.csv");
    write_csv();
    for (int pl = 0; pl < NPL; pl++)
        if (o.pl[pl]) {
            write_dat(pl, 0);
            write_dat(pl, 1);
        }
    FILE *rep = xfopen("report.txt", "w");
    report(rep);
    report(stdout);
    fprintf(rep, "\n(%.1f s)\n", (double)(now_ns() - t0) / 1e9);
    xfclose(rep, "report.txt");
    printf("\nipcbench: %.1f s; results in %s/ (bench.csv, raw.csv, report.txt)\n",
           (double)(now_ns() - t0) / 1e9, o.out);
    free(samples);
    free(sbuf);
    free(rbuf);
    return EXIT_SUCCESS;
}
