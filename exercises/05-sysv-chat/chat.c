/*
 * chat.c - two unrelated processes talk in both directions at once through
 * two System V shared memory segments (one per direction), synchronised with
 * one System V semaphore set.
 *
 *     usage: chat [-k KEY] -r a|b
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. Fill in the
 * functions below, then replace the body of main() (its comment gives the
 * order). Every function may be reshaped: only the behaviour in README.md is
 * graded. Remove an __attribute__((unused)) once the function is called.
 */
#define _GNU_SOURCE             /* semtimedop() */
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
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
#define DEFAULT_KEY 0x1a00cafeL     /* §2: -k KEY when not given */
#define MSG_MAX     4096            /* §4: bytes of text in one message */
#define TICK_MS     100             /* §8: how often a blocked thread looks around */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §7 */

/* §3: what a message in a channel is. */
enum kind { MSG_TEXT = 1, MSG_END = 2, MSG_QUIT = 3 };

/* §3: one direction of the conversation, a one-slot mailbox in its own segment. */
struct channel {
    uint32_t kind;
    uint32_t len;
    char text[MSG_MAX];
};

/* §3: the semaphores of the set, and their first values. */
enum { EMPTY_AB, FULL_AB, EMPTY_BA, FULL_BA, ALIVE_A, ALIVE_B, NSEMS };

/*
 * What both threads use. The ids and addresses are set before the threads
 * start. Whatever a thread changes while the other runs (why the chat ends,
 * who has sent or received MSG_END) must be read and written with the mutex
 * held (§5).
 */
static struct __attribute__((unused)) {
    int semid;
    int shmid[2];                   /* [0]: a -> b (key KEY), [1]: b -> a (key KEY+1) */
    struct channel *seg[2];

    pthread_mutex_t lock;
    bool stop;                      /* the conversation is over */
    bool sent_end, got_end;         /* MSG_END sent by our writer, received by our reader */
} chat = {
    .semid = -1,
    .shmid = { -1, -1 },
    .lock = PTHREAD_MUTEX_INITIALIZER,
};

/* "chat: CALL: strerror text" for a failed call; errno holds its error (§7). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§2): set *key (DEFAULT_KEY without -k) and *role (0 for a, 1 for b).
 * - getopt(3) with ":k:r:" and opterr = 0.
 * - KEY: strtol(s, &end, 0) (decimal, 0x hex), nothing after it, from 1 to
 *   0x7ffffffe. The role: exactly "a" or "b", and it is required.
 * - Any operand is an error.
 * - On any error: one line saying what is wrong, then the line
 *   "usage: chat [-k KEY] -r a|b", then exit(EXIT_USAGE), before any IPC call.
 */
__attribute__((unused))
static void parse_args(int argc, char *argv[], key_t *key, int *role)
{
    (void)argc;
    (void)argv;
    *key = (key_t)DEFAULT_KEY;
    *role = 0;
}

/* ------------------------------------------------------------------------- */
/* Semaphores                                                                */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§3, §8): take one unit of semaphore num (sem_op = -1, no SEM_UNDO).
 * Wait with semtimedop(2) and a timeout of TICK_MS; each time it times out
 * (EAGAIN), look whether the conversation is over (chat.stop, under the
 * mutex) and whether the peer still lives (its ALIVE semaphore, semctl
 * GETVAL: 0 means it died without removing anything). EIDRM or EINVAL: the
 * peer removed the set, it has left.
 */
__attribute__((unused))
static int sem_take(int num)
{
    (void)num;
    errno = ENOSYS;
    return -1;
}

/* TODO (§3): give one unit of semaphore num (sem_op = +1, no SEM_UNDO). */
__attribute__((unused))
static int sem_give(int num)
{
    (void)num;
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------------- */
/* The threads                                                               */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§4, §6): the writer thread. Read standard input (poll(2) it with a
 * TICK_MS timeout, so that the thread sees when the conversation is over),
 * cut it into lines, and send each line: wait for EMPTY of our direction,
 * fill the slot, post FULL. A line longer than MSG_MAX goes in pieces.
 * - "quit": send MSG_QUIT, and the conversation is over.
 * - End of input: send MSG_END; the conversation is over if the peer's
 *   MSG_END has come already.
 */
__attribute__((unused))
static void *writer_main(void *arg)
{
    return arg;
}

/*
 * TODO (§4, §6): the reader thread. Wait for FULL of the peer's direction,
 * copy the message out, post EMPTY, then act on it:
 * - MSG_TEXT: print "peer: TEXT\n" on stdout, in one write().
 * - MSG_END: the peer sends nothing more; the conversation is over if we
 *   have sent our MSG_END already.
 * - MSG_QUIT: the conversation is over.
 * - A peer that vanished (§8): print "chat: peer vanished" on stderr.
 */
__attribute__((unused))
static void *reader_main(void *arg)
{
    return arg;
}

/* ------------------------------------------------------------------------- */
/* Setting up and removing                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§3): both segments with shmget(KEY + i, sizeof(struct channel),
 * IPC_CREAT | 0600) and shmat(); then the semaphore set: create it with
 * IPC_CREAT | IPC_EXCL and initialise it (SETALL), or, if it exists (EEXIST),
 * join it and wait until its sem_otime is not 0 (hint 1). Then raise our
 * ALIVE semaphore with SEM_UNDO and wait until the peer's is 1 (§5).
 */
__attribute__((unused))
static int open_objects(key_t key, int role)
{
    (void)key;
    (void)role;
    errno = ENOSYS;
    return -1;
}

/*
 * TODO (§9): shmdt() both segments, then IPC_RMID both segments and the
 * semaphore set. EINVAL or EIDRM means the peer removed it first: fine.
 */
__attribute__((unused))
static int remove_objects(void)
{
    return 0;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    /*
     * TODO (§1): replace the lines below with the program, in this order:
     *   1. parse_args(argc, argv, &key, &role);
     *   2. block SIGINT, SIGTERM and SIGHUP with pthread_sigmask() (§7): the
     *      threads inherit the mask, and main picks them up with
     *      sigtimedwait();
     *   3. open_objects(): create or join, wait for the peer, then print
     *      "chat: connected" on stderr (§5);
     *   4. pthread_create() the reader and the writer;
     *   5. loop: sigtimedwait() with a TICK_MS timeout, until a signal comes
     *      or a thread says the conversation is over;
     *   6. pthread_join() both, remove_objects(), exit 0 (or 1, §7).
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
