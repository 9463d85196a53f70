/*
 * shm_lab.h - what shm_fork, shm_server and shm_client share: the layout of
 * the shared memory segment, the fixed constants of the statement, and the
 * helpers of shm_common.c.
 *
 * See exercises/04-sysv-shm/README.md for the full statement.
 */
#ifndef SHM_LAB_H
#define SHM_LAB_H

#include <signal.h>
#include <stdbool.h>
#include <sys/types.h>

#define SHM_PROJ_ID      'S'                 /* §4: ftok(PATH, 'S') */
#define SHM_DEFAULT_PATH "/tmp/ipclab-shm"   /* §4: -p PATH when not given */
#define SHM_SIZE         4096                /* §3: the size of every segment */
#define SHM_TEXT_MAX     128                 /* room for one message, NUL included */
#define DEFAULT_COUNT    10L                 /* §2, §4: -n COUNT when not given */
#define MAX_COUNT        1000000L            /* §2, §4: the largest COUNT accepted */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };    /* §7 */

/* What the buffer holds (§3). */
enum msg_kind { KIND_NONE = 0, KIND_TEXT = 1, KIND_END = 2 };

/*
 * The segment. shmget() fills a new segment with zero bytes, so every field
 * starts at 0 (no pid, no message, nobody has quit).
 *
 * The fields are written by one process and read by the other, but never at
 * the same time: each side writes only during its turn, and then hands the
 * turn over with kill(). kill() is a system call, so the compiler cannot move
 * the stores after it, and the kernel's signal delivery orders memory between
 * the two CPUs. volatile keeps the compiler from caching a field in a
 * register across a wait.
 */
struct shm_channel {
    volatile pid_t server_pid;  /* written by the server before its ready line */
    volatile pid_t client_pid;  /* claimed by the client (compare-and-swap) */
    volatile int server_quit;   /* the server ends early: the client must stop */
    volatile int client_quit;   /* the client ends early: the server must stop */
    volatile int kind;          /* enum msg_kind */
    char text[SHM_TEXT_MAX];    /* the message, a NUL-terminated line */
};

_Static_assert(sizeof(struct shm_channel) <= SHM_SIZE, "the channel must fit in the segment");

/* The program's name for messages; each program defines it. */
extern const char *const prog;

/* "PROG: text\n" on stderr, in a single write(). */
void msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "PROG: CALL: strerror(errno)\n". */
void syserr(const char *call);

/* A decimal integer in [1, MAX_COUNT], digits only. */
bool parse_count(const char *s, long *count);

/*
 * The signals of the conversation. block_signals() blocks each signal of set
 * (SIGUSR1, SIGUSR2: a turn; SIGINT, SIGTERM, and SIGCHLD in shm_fork: stop),
 * then installs a handler for each, and stores the mask to wait with in
 * *waitmask: the mask there was before, without those signals.  Blocked
 * first: a signal that comes before the handlers are in place stays pending.
 */
int block_signals(const int *signals, size_t nsignals, sigset_t *waitmask);

/*
 * Waits until SIGUSR1 or SIGUSR2 has arrived (returns 0), or SIGINT/SIGTERM
 * (or SIGCHLD, for shm_fork: returns that signal's number). Clears the
 * SIGUSR flag it returns on; a stop signal stays set.
 */
int wait_for_turn(const sigset_t *waitmask);

/* The signal names §6 prints: "SIGINT", "SIGTERM". */
const char *signal_name(int sig);

#endif
