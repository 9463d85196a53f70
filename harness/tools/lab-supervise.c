/* lab-supervise: run one command as the root of a process tree that the
 * grader controls completely.
 *
 * Why a C program and not a few lines of bash: a tested program can fork,
 * double-fork, call setsid() or ignore signals, and bash's `timeout`, bats'
 * BATS_TEST_TIMEOUT and `kill -- -PGID` all miss some of those.  This
 * supervisor
 *   - is a child subreaper (prctl PR_SET_CHILD_SUBREAPER), so every process
 *     the command leaves behind is re-parented to it and can be seen,
 *     reported and killed;
 *   - starts the command in its own process group, with every signal
 *     disposition at its default (a background job of a non-interactive
 *     shell inherits SIGINT and SIGQUIT ignored), fds above 2 closed, no core
 *     files, an optional file-size limit (an output flood ends with SIGXFSZ
 *     instead of filling the disk) and a process budget (a fork bomb hits a
 *     wall: a pids cgroup when run as root, RLIMIT_NPROC otherwise);
 *   - kills the whole tree on its time limit, on SIGTERM/SIGINT/SIGHUP, and
 *     when its own parent dies (PR_SET_PDEATHSIG), so nothing outlives a test;
 *   - with -u UID (the grader runs as root), runs the command under that
 *     uid and gid with no supplementary groups: the command can then
 *     neither write the grader's files nor open the grader's processes'
 *     /proc entries (their descriptors: the results stream), which the
 *     kernel allows only to the same uid;
 *   - writes what happened as key=value lines for the bash library to read.
 *
 * Usage: see usage() below.  Status file keys:
 *   pid=N            pid of the command (also the process group id)
 *   result=exited|signaled|timeout|killed|exec-failed
 *   code=N           exit status              (result=exited)
 *   signal=SIGNAME   terminating signal       (result=signaled)
 *   core=0|1         a core dump was attempted (result=signaled)
 *   elapsed_ms=N     wall time from start to the command's end (or the kill)
 *   limit_ms=N       the time limit in force (0 = none)
 *   strays=N         processes left behind: re-parented to the supervisor
 *                    because their parent ended without waiting for them,
 *                    or still alive when the command itself ended
 *   stray_list=...   pid:name:state separated by spaces; state Z = it had
 *                    exited and nobody waited for it (a zombie), R/S/D/T =
 *                    it was still running (an orphan)
 *   procs_limit=cgroup|rlimit|off   how the process budget was enforced
 *   procs_peak=N     the most processes found below us in one sweep when
 *                    the tree was killed (a fork bomb reaches its budget)
 *   procs_refused=N  forks the pids cgroup refused (a fork bomb, or a
 *                    program that needs more processes than its budget);
 *                    only with procs_limit=cgroup
 *   error=TEXT       exec failure text (result=exec-failed)
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <grp.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_STRAYS 64           /* listed by name; more are only counted */
#define STRAY_TEXT 64

static const char *prog = "lab-supervise";

/* What the supervisor learned, written to the status file at the end. */
static struct {
    pid_t pid;
    const char *result;
    int code;
    int signo;
    bool core;
    long elapsed_ms;
    long limit_ms;
    int nstrays;
    char strays[MAX_STRAYS][STRAY_TEXT];
    const char *procs_limit;
    long procs_refused;
    int procs_peak;
    char error[256];
} st = { .result = "killed", .procs_limit = "off" };

static char cgroup_dir[PATH_MAX];       /* our pids cgroup, "" if none */
static long run_uid = -1;               /* -u: the command's uid, -1 = ours */

static void
fatal(const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "%s: ", prog);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    exit(125);
}

static void
usage(void)
{
    fprintf(stderr,
        "usage: %s [-t SECONDS] [-g SECONDS] [-f BYTES] [-n PROCS] [-b PROGRAMS]\n"
        "       %*s [-u UID] [-p PIDFILE] [-s STATUSFILE] -- COMMAND [ARG...]\n"
        "  -t  kill the whole process tree after SECONDS (decimal, 0 = never)\n"
        "  -g  after COMMAND ends, give what it left running SECONDS to end\n"
        "      by itself before it is killed (default 0)\n"
        "  -f  largest file COMMAND may write, in bytes (RLIMIT_FSIZE)\n"
        "  -n  how many more processes the tree may have (fork-bomb guard)\n"
        "  -b  how many other programs the caller runs beside COMMAND: when\n"
        "      the budget is RLIMIT_NPROC they count in it, and it grows by\n"
        "      that many (twice as many if their supervisors share the uid)\n"
        "  -u  run COMMAND under this uid and gid, no other groups (as root)\n"
        "  -p  write COMMAND's pid to PIDFILE once it has started\n"
        "  -s  write what happened to STATUSFILE (key=value lines)\n",
        prog, (int) strlen(prog), "");
    exit(125);
}

static long
now_ms(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

static double
parse_number(const char *s, const char *what)
{
    char *end;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || v < 0)
        fatal("%s must be a non-negative number, not '%s'", what, s);
    return v;
}

/* Write a whole file through a temporary name and rename(), so a reader
 * polling for it never sees half of it. */
static void
write_file_atomically(const char *path, const char *text)
{
    char tmp[PATH_MAX];
    FILE *f;

    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long) getpid()) >= (int) sizeof tmp)
        fatal("path too long: %s", path);
    f = fopen(tmp, "w");
    if (f == NULL)
        fatal("fopen %s: %s", tmp, strerror(errno));
    fputs(text, f);
    if (fclose(f) != 0)
        fatal("write %s: %s", tmp, strerror(errno));
    if (rename(tmp, path) == -1)
        fatal("rename %s: %s", path, strerror(errno));
}

/* Read /proc/PID/stat: the name (comm), the state letter and the parent.
 * Returns false if the process is gone. */
static bool
read_proc_stat(pid_t pid, char *name, size_t namelen, char *state, pid_t *ppid)
{
    char path[64], buf[1024];
    char *open_paren, *close_paren;
    ssize_t n;
    int fd;

    snprintf(path, sizeof path, "/proc/%ld/stat", (long) pid);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd == -1)
        return false;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return false;
    buf[n] = '\0';
    /* The name may itself contain spaces and parentheses: it runs from the
     * first '(' to the last ')'. */
    open_paren = strchr(buf, '(');
    close_paren = strrchr(buf, ')');
    if (open_paren == NULL || close_paren == NULL || close_paren[1] == '\0')
        return false;
    if (name != NULL) {
        size_t len = (size_t) (close_paren - open_paren - 1);
        if (len >= namelen)
            len = namelen - 1;
        memcpy(name, open_paren + 1, len);
        name[len] = '\0';
    }
    long parent;
    char s;
    if (sscanf(close_paren + 2, "%c %ld", &s, &parent) != 2)
        return false;
    if (state != NULL)
        *state = s;
    if (ppid != NULL)
        *ppid = (pid_t) parent;
    return true;
}

static void
note_stray(pid_t pid)
{
    char name[32] = "?", state = '?';

    read_proc_stat(pid, name, sizeof name, &state, NULL);
    for (char *p = name; *p; p++)       /* keep the list one line, space-separated */
        if (*p == ' ' || *p == '\n' || *p == ':')
            *p = '_';
    if (st.nstrays < MAX_STRAYS)
        snprintf(st.strays[st.nstrays], STRAY_TEXT, "%ld:%s:%c", (long) pid, name, state);
    st.nstrays++;
}

/* Every process below us, found by walking the parent links in /proc.
 * Returns how many pids were stored in out[] (at most max). */
static int
list_descendants(pid_t *out, int max)
{
    enum { TABLE = 65536 };
    static pid_t pids[TABLE], ppids[TABLE];
    int n = 0, found = 0;
    DIR *d = opendir("/proc");
    struct dirent *e;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL && n < TABLE) {
        char *end;
        long pid = strtol(e->d_name, &end, 10);
        pid_t ppid;
        if (*end != '\0' || pid <= 0)
            continue;
        if (read_proc_stat((pid_t) pid, NULL, 0, NULL, &ppid)) {
            pids[n] = (pid_t) pid;
            ppids[n] = ppid;
            n++;
        }
    }
    closedir(d);

    /* Breadth-first from ourselves: out[] doubles as the queue. */
    pid_t self = getpid();
    for (int head = -1; head < found; head++) {
        pid_t parent = head < 0 ? self : out[head];
        for (int i = 0; i < n && found < max; i++)
            if (ppids[i] == parent)
                out[found++] = pids[i];
    }
    return found;
}

static int
signal_cgroup(int sig)
{
    char path[PATH_MAX + 16];
    FILE *f;
    long pid;
    int n = 0;

    if (cgroup_dir[0] == '\0')
        return 0;
    snprintf(path, sizeof path, "%s/cgroup.procs", cgroup_dir);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    while (fscanf(f, "%ld", &pid) == 1)
        if (pid != getpid() && kill((pid_t) pid, sig) == 0)
            n++;
    fclose(f);
    return n;
}

/* True if PID is below us: its chain of parents, read in /proc, reaches
 * us.  The bound only guards against a loop read from a /proc that changed
 * under the walk; a real chain is shorter than the pids the lab allows. */
static bool
is_below_us(pid_t pid)
{
    pid_t self = getpid();

    for (int steps = 0; pid > 1 && steps < 65536; steps++) {
        pid_t ppid;
        if (!read_proc_stat(pid, NULL, 0, NULL, &ppid))
            return false;
        if (ppid == self)
            return true;
        pid = ppid;
    }
    return false;
}

/* SIGKILL to PID, a descendant found in a snapshot of /proc, only while it
 * is still below us: between the snapshot and the kill its own parent may
 * have reaped it and its pid come round to somebody else's process.  A
 * pidfd pins the process it was opened on, so the check made after opening
 * it holds for the process the signal goes to.  Without pidfds (ENOSYS:
 * an old kernel, or a seccomp filter that refuses them) the check is made
 * just before kill(): a window of a few microseconds instead of a sweep's. */
static bool
kill_if_below(pid_t pid)
{
#ifdef SYS_pidfd_open
    int fd = (int) syscall(SYS_pidfd_open, pid, 0);
    if (fd >= 0) {
        bool sent = is_below_us(pid) &&
            syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0) == 0;
        close(fd);
        return sent;
    }
    if (errno != ENOSYS && errno != EPERM)
        return false;           /* ESRCH: it has ended */
#endif
    return is_below_us(pid) && kill(pid, SIGKILL) == 0;
}

/* Reap every child that has ended.  With note_strays, every one that is
 * not the command itself was re-parented to us: a stray. */
static void
reap(bool note_strays, bool *main_done, int *main_status)
{
    for (;;) {
        siginfo_t si;
        int status;

        si.si_pid = 0;
        /* Peek first (WNOWAIT) so a stray's name can still be read. */
        if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) == -1 || si.si_pid == 0)
            return;
        if (note_strays && si.si_pid != st.pid)
            note_stray(si.si_pid);
        if (waitpid(si.si_pid, &status, 0) == -1)
            return;
        if (si.si_pid == st.pid && !*main_done) {
            *main_done = true;
            *main_status = status;
        }
    }
}

/* Kill everything below us until nothing is left.  A fork bomb keeps
 * forking while we kill, so repeat until a sweep finds nobody. */
static void
kill_tree(bool *main_done, int *main_status)
{
    pid_t victims[4096];

    for (int round = 0; ; round++) {
        int n = 0;

        if (!*main_done)
            kill(-st.pid, SIGKILL);
        n += signal_cgroup(SIGKILL);
        int found = list_descendants(victims, 4096);
        if (found > st.procs_peak)
            st.procs_peak = found;
        for (int i = 0; i < found; i++)
            if (kill_if_below(victims[i]))
                n++;
        reap(false, main_done, main_status);
        if (n == 0 && *main_done) {
            errno = 0;
            if (waitpid(-1, NULL, WNOHANG) == -1 && errno == ECHILD)
                return;
        }
        /* Give the kernel a moment to deliver the kills before the next
         * sweep; this is a kill loop, not synchronisation with the test. */
        struct timespec pause_ts = { 0, round < 100 ? 1000000L : 10000000L };
        nanosleep(&pause_ts, NULL);
    }
}

/* Count the threads (RLIMIT_NPROC counts threads) of one user. */
static long
count_user_tasks(uid_t uid)
{
    DIR *d = opendir("/proc");
    struct dirent *e;
    long total = 0;

    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        char path[300], line[256];
        struct stat sb;
        FILE *f;
        if (e->d_name[0] < '0' || e->d_name[0] > '9')
            continue;
        snprintf(path, sizeof path, "/proc/%s", e->d_name);
        if (stat(path, &sb) == -1 || sb.st_uid != uid)
            continue;
        snprintf(path, sizeof path, "/proc/%s/status", e->d_name);
        f = fopen(path, "r");
        if (f == NULL)
            continue;
        while (fgets(line, sizeof line, f) != NULL)
            if (strncmp(line, "Threads:", 8) == 0) {
                total += strtol(line + 8, NULL, 10);
                break;
            }
        fclose(f);
    }
    closedir(d);
    return total;
}

static bool
write_text(const char *path, const char *text)
{
    int fd = open(path, O_WRONLY | O_CLOEXEC);
    bool ok;

    if (fd == -1)
        return false;
    ok = write(fd, text, strlen(text)) == (ssize_t) strlen(text);
    close(fd);
    return ok;
}

/* How many forks the pids cgroup refused: "max N" in pids.events. */
static long
read_pids_refused(void)
{
    char path[PATH_MAX + 16];
    long refused = 0;
    FILE *f;

    snprintf(path, sizeof path, "%s/pids.events", cgroup_dir);
    f = fopen(path, "r");
    if (f == NULL)
        return 0;
    if (fscanf(f, "max %ld", &refused) != 1)
        refused = 0;
    fclose(f);
    return refused;
}

/* A supervisor killed with SIGKILL cannot remove its cgroup: remove the
 * empty ipc-lab-PID cgroups of supervisors that no longer run (rmdir
 * fails harmlessly on one that still holds processes). */
static void
remove_stale_cgroups(const char *parent)
{
    DIR *d = opendir(parent);
    struct dirent *e;

    if (d == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        char *end, path[PATH_MAX];
        long pid;

        if (strncmp(e->d_name, "ipc-lab-", 8) != 0)
            continue;
        pid = strtol(e->d_name + 8, &end, 10);
        if (*end != '\0' || pid <= 0 || (kill((pid_t) pid, 0) == 0 || errno != ESRCH))
            continue;
        if (snprintf(path, sizeof path, "%s/%s", parent, e->d_name) < (int) sizeof path)
            rmdir(path);
    }
    closedir(d);
}

/* As root, RLIMIT_NPROC does not apply (the kernel exempts uid 0), so the
 * budget is a pids cgroup of our own, below the one we are in.  Returns
 * true if one was made; cgroup_dir then names it. */
static bool
make_pids_cgroup(long budget)
{
    FILE *mi = fopen("/proc/self/mountinfo", "r");
    char line[4096], mount_point[PATH_MAX] = "", own[PATH_MAX] = "";
    bool v2 = false;

    if (mi == NULL)
        return false;
    while (fgets(line, sizeof line, mi) != NULL) {
        char mp[PATH_MAX], fstype[64], opts[1024];
        char *sep = strstr(line, " - ");
        if (sep == NULL || sscanf(line, "%*s %*s %*s %*s %4095s", mp) != 1 ||
            sscanf(sep + 3, "%63s %*s %1023s", fstype, opts) != 2)
            continue;
        if (strcmp(fstype, "cgroup") == 0 && strstr(opts, "pids") != NULL) {
            strcpy(mount_point, mp);
            v2 = false;
            break;
        }
        if (strcmp(fstype, "cgroup2") == 0 && mount_point[0] == '\0') {
            strcpy(mount_point, mp);
            v2 = true;
        }
    }
    fclose(mi);
    if (mount_point[0] == '\0')
        return false;

    /* Our own place in that hierarchy, from /proc/self/cgroup. */
    FILE *cg = fopen("/proc/self/cgroup", "r");
    if (cg == NULL)
        return false;
    while (fgets(line, sizeof line, cg) != NULL) {
        char *controllers = strchr(line, ':');
        char *path = controllers ? strchr(controllers + 1, ':') : NULL;
        if (path == NULL)
            continue;
        *path++ = '\0';
        path[strcspn(path, "\n")] = '\0';
        bool match = v2 ? strcmp(controllers + 1, "") == 0
                        : strstr(controllers + 1, "pids") != NULL;
        if (match) {
            snprintf(own, sizeof own, "%s", path);
            break;
        }
    }
    fclose(cg);
    if (own[0] == '\0')
        return false;

    char parent_dir[PATH_MAX];
    snprintf(parent_dir, sizeof parent_dir, "%s%s", mount_point, strcmp(own, "/") == 0 ? "" : own);
    remove_stale_cgroups(parent_dir);
    int len = snprintf(cgroup_dir, sizeof cgroup_dir, "%s/ipc-lab-%ld", parent_dir, (long) getpid());
    if (len >= (int) sizeof cgroup_dir || mkdir(cgroup_dir, 0755) == -1) {
        cgroup_dir[0] = '\0';
        return false;
    }
    char file[PATH_MAX + 16], value[32];
    snprintf(file, sizeof file, "%s/pids.max", cgroup_dir);
    /* pids.max counts the command itself too: "budget more" is budget + 1. */
    snprintf(value, sizeof value, "%ld", budget + 1);
    if (!write_text(file, value)) {     /* no pids controller here after all */
        rmdir(cgroup_dir);
        cgroup_dir[0] = '\0';
        return false;
    }
    return true;
}

/* In the child, before exec: put ourselves where the grader wants us. */
static void
prepare_child(long fsize_limit, long budget, long beside, sigset_t *saved_mask)
{
    struct rlimit rl;
    struct sigaction dfl;

    if (setpgid(0, 0) == -1)
        _exit(125);
    if (cgroup_dir[0] != '\0') {
        char file[PATH_MAX + 16];
        snprintf(file, sizeof file, "%s/cgroup.procs", cgroup_dir);
        if (!write_text(file, "0"))
            _exit(125);
    } else if (budget > 0 && (geteuid() != 0 || run_uid >= 0)) {
        /* RLIMIT_NPROC counts every process of the uid on the machine, and
         * never applies to root: it is the command's uid that counts.  The
         * programs the caller starts beside this one after it (and, when
         * we are not root, their supervisors: same uid) would use up the
         * budget; -b makes room for them.  A pids cgroup counts our own
         * tree only, and needs none. */
        uid_t uid = run_uid >= 0 ? (uid_t) run_uid : getuid();
        long room = beside * (geteuid() != 0 ? 2 : 1);
        rl.rlim_cur = rl.rlim_max = (rlim_t) (count_user_tasks(uid) + budget + room);
        setrlimit(RLIMIT_NPROC, &rl);
    }
    /* Every signal back to its default: ignored signals survive exec, and a
     * background job of a non-interactive bash starts with SIGINT and
     * SIGQUIT ignored, which would make a correct program look deaf. */
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    for (int sig = 1; sig < NSIG; sig++)
        sigaction(sig, &dfl, NULL);     /* fails harmlessly for SIGKILL/SIGSTOP */
    sigprocmask(SIG_SETMASK, saved_mask, NULL);
    prctl(PR_SET_PDEATHSIG, 0);

    rl.rlim_cur = rl.rlim_max = 0;
    setrlimit(RLIMIT_CORE, &rl);
    if (fsize_limit > 0) {
        rl.rlim_cur = rl.rlim_max = (rlim_t) fsize_limit;
        setrlimit(RLIMIT_FSIZE, &rl);
    }
}

static void
write_status(const char *path)
{
    char text[8192];
    int len = 0;

#define ADD(...) len += snprintf(text + len, sizeof text - (size_t) len, __VA_ARGS__)
    ADD("pid=%ld\nresult=%s\n", (long) st.pid, st.result);
    if (strcmp(st.result, "exited") == 0)
        ADD("code=%d\n", st.code);
    if (strcmp(st.result, "signaled") == 0)
        ADD("signal=SIG%s\ncore=%d\n", sigabbrev_np(st.signo) ? sigabbrev_np(st.signo) : "UNKNOWN",
            st.core);
    if (st.error[0] != '\0')
        ADD("error=%s\n", st.error);
    ADD("elapsed_ms=%ld\nlimit_ms=%ld\nstrays=%d\nstray_list=", st.elapsed_ms, st.limit_ms,
        st.nstrays);
    for (int i = 0; i < st.nstrays && i < MAX_STRAYS; i++)
        ADD("%s%s", i ? " " : "", st.strays[i]);
    ADD("\nprocs_limit=%s\nprocs_peak=%d\n", st.procs_limit, st.procs_peak);
    if (strcmp(st.procs_limit, "cgroup") == 0)
        ADD("procs_refused=%ld\n", st.procs_refused);
#undef ADD
    if (path != NULL)
        write_file_atomically(path, text);
}

int
main(int argc, char *argv[])
{
    const char *pid_file = NULL, *status_file = NULL;
    double limit_s = 0, grace_s = 0;
    long fsize_limit = 0, budget = 0, beside = 0;
    int opt;

    while ((opt = getopt(argc, argv, "+t:g:f:n:b:p:s:u:")) != -1) {
        switch (opt) {
        case 't': limit_s = parse_number(optarg, "-t"); break;
        case 'g': grace_s = parse_number(optarg, "-g"); break;
        case 'f': fsize_limit = (long) parse_number(optarg, "-f"); break;
        case 'n': budget = (long) parse_number(optarg, "-n"); break;
        case 'b': beside = (long) parse_number(optarg, "-b"); break;
        case 'p': pid_file = optarg; break;
        case 's': status_file = optarg; break;
        case 'u':
            run_uid = (long) parse_number(optarg, "-u");
            if (run_uid <= 0 || run_uid > 0x7fffffffL)
                fatal("-u %s: a uid above 0 is needed", optarg);
            break;
        default: usage();
        }
    }
    if (optind >= argc)
        usage();

    /* Descriptors the test shell had open (bats' fd 3, the write end of a
     * FIFO feeding another program) must not live on in here: a reader
     * would never see EOF, and bats would wait for fd 3 to close. */
    if (close_range(3, ~0U, 0) == -1)
        fatal("close_range: %s", strerror(errno));

    /* Become the reaper of everything below us, and die with our parent
     * (the bats test) so that a killed grader leaves nothing running. */
    pid_t parent = getppid();
    if (prctl(PR_SET_CHILD_SUBREAPER, 1) == -1)
        fatal("prctl(PR_SET_CHILD_SUBREAPER): %s", strerror(errno));
    if (prctl(PR_SET_PDEATHSIG, SIGTERM) == -1)
        fatal("prctl(PR_SET_PDEATHSIG): %s", strerror(errno));

    /* All the signals we act on are taken synchronously with sigtimedwait. */
    sigset_t wanted, saved;
    sigemptyset(&wanted);
    sigaddset(&wanted, SIGCHLD);
    sigaddset(&wanted, SIGTERM);
    sigaddset(&wanted, SIGINT);
    sigaddset(&wanted, SIGHUP);
    if (sigprocmask(SIG_BLOCK, &wanted, &saved) == -1)
        fatal("sigprocmask: %s", strerror(errno));
    if (getppid() != parent)            /* the parent died before PDEATHSIG was armed */
        return 125;

    if (run_uid >= 0 && geteuid() != 0)
        fatal("-u needs root (the grader drops the command's uid only as root)");
    if (budget > 0) {
        if (geteuid() == 0 && make_pids_cgroup(budget))
            st.procs_limit = "cgroup";
        else if (geteuid() != 0 || run_uid >= 0)
            st.procs_limit = "rlimit";
        else
            st.procs_limit = "off";
    }

    /* A close-on-exec pipe tells us whether exec worked: it reads EOF on
     * success and the errno on failure. */
    int exec_pipe[2];
    if (pipe2(exec_pipe, O_CLOEXEC) == -1)
        fatal("pipe2: %s", strerror(errno));

    long start = now_ms();
    st.limit_ms = (long) (limit_s * 1000);
    st.pid = fork();
    if (st.pid == -1)
        fatal("fork: %s", strerror(errno));
    if (st.pid == 0) {
        close(exec_pipe[0]);
        prepare_child(fsize_limit, budget, beside, &saved);
        /* Only 0, 1, 2 and the exec pipe (close-on-exec) go on. */
        if ((exec_pipe[1] > 3 && close_range(3, (unsigned) exec_pipe[1] - 1, 0) == -1) ||
            close_range((unsigned) exec_pipe[1] + 1, ~0U, 0) == -1)
            _exit(125);
        /* Groups first: after setuid() we could no longer change them. */
        if (run_uid >= 0 && (setgroups(0, NULL) == -1 || setgid((gid_t) run_uid) == -1 ||
                setuid((uid_t) run_uid) == -1)) {
            int err = errno;
            if (write(exec_pipe[1], &err, sizeof err) != sizeof err)
                _exit(125);
            _exit(126);
        }
        execvp(argv[optind], &argv[optind]);
        int err = errno;
        if (write(exec_pipe[1], &err, sizeof err) != sizeof err)
            _exit(125);
        _exit(127);
    }
    setpgid(st.pid, st.pid);            /* also here: whichever runs first */
    close(exec_pipe[1]);
    int exec_errno = 0;
    ssize_t got;
    while ((got = read(exec_pipe[0], &exec_errno, sizeof exec_errno)) == -1 && errno == EINTR)
        continue;
    close(exec_pipe[0]);

    if (pid_file != NULL) {
        char text[32];
        snprintf(text, sizeof text, "%ld\n", (long) st.pid);
        write_file_atomically(pid_file, text);
    }

    bool main_done = false;
    int main_status = 0;
    if (got == (ssize_t) sizeof exec_errno) {
        snprintf(st.error, sizeof st.error, "cannot run %s: %s", argv[optind], strerror(exec_errno));
        fprintf(stderr, "%s: %s\n", prog, st.error);
        st.result = "exec-failed";
        kill_tree(&main_done, &main_status);
        st.elapsed_ms = now_ms() - start;
        write_status(status_file);
        return 0;
    }

    /* Wait for the command to end, the time limit, or a request to stop. */
    bool timed_out = false;
    while (!main_done) {
        struct timespec wait_ts, *timeout = NULL;
        if (limit_s > 0) {
            long left = start + st.limit_ms - now_ms();
            if (left <= 0) {
                timed_out = true;
                break;
            }
            wait_ts.tv_sec = left / 1000;
            wait_ts.tv_nsec = (left % 1000) * 1000000L;
            timeout = &wait_ts;
        }
        int sig = sigtimedwait(&wanted, NULL, timeout);
        if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP)
            break;
        reap(true, &main_done, &main_status);
    }
    st.elapsed_ms = now_ms() - start;

    if (main_done) {
        if (WIFEXITED(main_status)) {
            st.result = "exited";
            st.code = WEXITSTATUS(main_status);
        } else {
            st.result = "signaled";
            st.signo = WTERMSIG(main_status);
            st.core = WCOREDUMP(main_status);
        }
        /* What is still below us now was left behind by the command. */
        pid_t left[MAX_STRAYS];
        int nleft = list_descendants(left, MAX_STRAYS);
        for (int i = 0; i < nleft; i++)
            note_stray(left[i]);
        /* With a grace period, let them end by themselves (say, a child
         * that notices its parent is gone); they are strays all the same. */
        long deadline = now_ms() + (long) (grace_s * 1000);
        while (nleft > 0 && now_ms() < deadline) {
            long left_ms = deadline - now_ms();
            struct timespec wait_ts = { left_ms / 1000, (left_ms % 1000) * 1000000L };
            sigtimedwait(&wanted, NULL, &wait_ts);
            reap(false, &main_done, &main_status);
            nleft = list_descendants(left, 1);
        }
    } else {
        st.result = timed_out ? "timeout" : "killed";
    }
    kill_tree(&main_done, &main_status);
    if (cgroup_dir[0] != '\0') {
        st.procs_refused = read_pids_refused();
        rmdir(cgroup_dir);
    }
    write_status(status_file);
    return 0;
}
