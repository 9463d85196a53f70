/*
 * chat_peer.c - the grader's stand-in peer for 05-sysv-chat: one side of
 * the conversation, written from the statement's §3 (the segment KEY is
 * a -> b, KEY + 1 is b -> a; struct channel is kind, len, text; the kinds
 * are 1 text, 2 end of input, 3 quit), so that the learner's chat is graded
 * against a reference side rather than against itself: a mistake made the
 * same way on both sides (segments swapped, fields or kinds reordered) is
 * invisible when chat talks to chat, and shows here.
 *
 *     usage: chat_peer -k KEY -r a|b [-t SECONDS]
 *
 * It creates or joins the objects as §3 says (either side may come first),
 * raises its ALIVE with SEM_UNDO, waits until the peer's ALIVE is 1 and
 * prints "connected" on standard output. Then it obeys one command per line
 * on standard input, one line of standard output for each:
 *     text [TEXT]  sends TEXT (possibly empty) as a message of kind 1:
 *                  prints "sent kind 1 len L"
 *     end          sends a message of kind 2, prints "sent kind 2 len 0"
 *     quit         sends a message of kind 3, prints "sent kind 3 len 0"
 *     recv         waits for one message and prints it as it finds it in
 *                  the slot: "kind K len L: TEXT" (TEXT is the first L bytes
 *                  of text, at most MSG_MAX), then gives the slot back; the
 *                  grader sends recv before the learner's side sends its
 *                  last message, and waits until this wait is queued (the
 *                  semaphore's ncount): a side that removes the set right
 *                  after its last message (quit, §6) is then no race
 * A wait longer than SECONDS (default 5) prints "timeout: ..." instead (the
 * slot stayed full, or no message came); a set removed by the other side
 * prints "removed: the peer left" and ends the tool, exit 0.
 * At the end of its input it leaves as a chat side does (§9): it detaches
 * both segments and removes the segments and the set (already gone: fine).
 * Exit status: 0, 1 on a failed call or an unknown command, 2 on bad
 * arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
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

#define PROG "chat_peer"

/* The statement's layout (§3), on purpose not shared with any solution. */
#define MSG_MAX 4096
struct channel {
    uint32_t kind;          /* 1 text, 2 end of input, 3 quit */
    uint32_t len;           /* bytes of text used, at most MSG_MAX */
    char text[MSG_MAX];     /* not NUL-terminated */
};
enum { EMPTY_AB, FULL_AB, EMPTY_BA, FULL_BA, ALIVE_A, ALIVE_B, NSEMS };

/* glibc leaves the definition of semun to the caller. */
union semun {
    int val;
    struct semid_ds *buf;
    unsigned short *array;
};

static int shmid[2] = { -1, -1 };
static struct channel *seg[2];
static int semid = -1;
static double timeout = 5;          /* -t: the longest wait, in seconds */

static void usage(void)
{
    fprintf(stderr, "usage: %s -k KEY -r a|b [-t SECONDS]\n", PROG);
    exit(2);
}

static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* The objects vanish when the learner's side leaves first (§9). */
static bool gone(int err)
{
    return err == EIDRM || err == EINVAL;
}

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Detaches and removes everything, as the first side to leave does (§9):
 * a learner's side that is still there then finds the objects gone. */
static int leave(void)
{
    int rc = 0;

    for (int i = 0; i < 2; i++) {
        if (seg[i] != NULL && shmdt(seg[i]) == -1) {
            syserr("shmdt");
            rc = 1;
        }
        if (shmid[i] != -1 && shmctl(shmid[i], IPC_RMID, NULL) == -1 && !gone(errno)) {
            syserr("shmctl IPC_RMID");
            rc = 1;
        }
    }
    if (semid != -1 && semctl(semid, 0, IPC_RMID) == -1 && !gone(errno)) {
        syserr("semctl IPC_RMID");
        rc = 1;
    }
    return rc;
}

/* Takes semaphore NUM (-1), waiting at most the timeout: 0 when taken,
 * 1 on timeout, -1 when the set is gone; exits on any other error. */
static int take(unsigned short num)
{
    struct sembuf op = { .sem_num = num, .sem_op = -1, .sem_flg = 0 };
    struct timespec ts = { .tv_sec = (time_t)timeout,
                           .tv_nsec = (long)((timeout - (double)(time_t)timeout) * 1e9) };

    while (semtimedop(semid, &op, 1, &ts) == -1) {
        if (errno == EINTR)
            continue;               /* a debugger, SIGCONT: wait again */
        if (errno == EAGAIN)
            return 1;
        if (gone(errno))
            return -1;
        syserr("semtimedop");
        leave();
        exit(1);
    }
    return 0;
}

/* Gives semaphore NUM (+1): -1 when the set is gone. */
static int give(unsigned short num)
{
    struct sembuf op = { .sem_num = num, .sem_op = 1, .sem_flg = 0 };

    if (semop(semid, &op, 1) == -1) {
        if (gone(errno))
            return -1;
        syserr("semop");
        leave();
        exit(1);
    }
    return 0;
}

static void removed(void)
{
    printf("removed: the peer left\n");
    exit(leave());
}

/* Sends one message through our outgoing slot, the way §3 says. */
static void send_message(int role, uint32_t kind, const char *text, size_t len)
{
    unsigned short empty = role == 0 ? EMPTY_AB : EMPTY_BA;
    struct channel *out = seg[role];    /* a writes KEY, b writes KEY + 1 */
    int r = take(empty);

    if (r < 0)
        removed();
    if (r > 0) {
        printf("timeout: the slot stayed full for %g s\n", timeout);
        return;
    }
    out->kind = kind;
    out->len = (uint32_t)len;
    memcpy(out->text, text, len);
    if (give(empty + 1) < 0)            /* FULL follows its EMPTY */
        removed();
    printf("sent kind %u len %zu\n", (unsigned)kind, len);
}

/* Receives one message and prints it exactly as the slot holds it. */
static void receive_message(int role)
{
    unsigned short full = role == 0 ? FULL_BA : FULL_AB;
    const struct channel *in = seg[1 - role];
    static char line[64 + MSG_MAX + 1];
    uint32_t kind, len, shown;
    int r = take(full), n;

    if (r < 0)
        removed();
    if (r > 0) {
        printf("timeout: no message within %g s\n", timeout);
        return;
    }
    kind = in->kind;
    len = in->len;
    shown = len > MSG_MAX ? MSG_MAX : len;
    n = snprintf(line, 64, "kind %u len %u: ", (unsigned)kind, (unsigned)len);
    memcpy(line + n, in->text, shown);  /* copied out before EMPTY is given */
    line[n + shown] = '\n';
    /* Printed first: a side that sent its last message may remove the set
     * at once, and the message counts all the same. */
    if (fwrite(line, 1, (size_t)n + shown + 1, stdout) != (size_t)n + shown + 1) {
        syserr("fwrite");
        leave();
        exit(1);
    }
    if (give(full - 1) < 0)
        removed();
}

/* Creates or joins the objects (§3), raises our ALIVE (§8), waits for the
 * peer's. */
static void connect_to_peer(key_t key, int role)
{
    struct sembuf alive[2] = {
        { .sem_num = (unsigned short)(ALIVE_A + role), .sem_op = 0, .sem_flg = IPC_NOWAIT },
        { .sem_num = (unsigned short)(ALIVE_A + role), .sem_op = 1, .sem_flg = SEM_UNDO },
    };
    double deadline;
    int val;

    for (int i = 0; i < 2; i++) {
        shmid[i] = shmget(key + i, sizeof(struct channel), IPC_CREAT | 0600);
        if (shmid[i] == -1) {
            syserr("shmget");
            exit(leave() | 1);
        }
        seg[i] = shmat(shmid[i], NULL, 0);
        if (seg[i] == (void *)-1) {
            seg[i] = NULL;
            syserr("shmat");
            exit(leave() | 1);
        }
    }
    deadline = now() + timeout;
    semid = semget(key, NSEMS, IPC_CREAT | IPC_EXCL | 0600);
    if (semid != -1) {
        unsigned short values[NSEMS] = { 1, 0, 1, 0, 0, 0 };
        union semun arg = { .array = values };

        if (semctl(semid, 0, SETALL, arg) == -1) {
            syserr("semctl SETALL");
            exit(leave() | 1);
        }
    } else if (errno == EEXIST) {
        struct semid_ds ds;
        union semun arg = { .buf = &ds };

        semid = semget(key, 0, 0);
        if (semid == -1) {
            syserr("semget");
            exit(leave() | 1);
        }
        /* The creator's first semop() sets sem_otime: its values are set. */
        for (;;) {
            if (semctl(semid, 0, IPC_STAT, arg) == -1) {
                syserr("semctl IPC_STAT");
                exit(leave() | 1);
            }
            if (ds.sem_otime != 0)
                break;
            if (now() > deadline) {
                fprintf(stderr, "%s: the set was never initialised\n", PROG);
                exit(leave() | 1);
            }
            usleep(10000);
        }
    } else {
        syserr("semget");
        exit(leave() | 1);
    }
    if (semop(semid, alive, 2) == -1) {
        if (errno == EAGAIN)
            fprintf(stderr, "%s: role %c is taken already\n", PROG, 'a' + role);
        else
            syserr("semop ALIVE");
        exit(leave() | 1);
    }
    /* A tool may poll: the learner's side is what is graded. */
    while ((val = semctl(semid, ALIVE_B - role, GETVAL)) != 1) {
        if (val == -1) {
            if (gone(errno))
                removed();
            syserr("semctl GETVAL");
            exit(leave() | 1);
        }
        if (now() > deadline) {
            printf("timeout: no peer within %g s\n", timeout);
            exit(leave());
        }
        usleep(10000);
    }
    printf("connected\n");
}

int main(int argc, char *argv[])
{
    long key = -1;
    int role = -1, opt;
    char *end, *line = NULL;
    size_t size = 0;
    ssize_t len;

    while ((opt = getopt(argc, argv, "k:r:t:")) != -1) {
        switch (opt) {
        case 'k':
            errno = 0;
            key = strtol(optarg, &end, 0);
            if (errno != 0 || *end != '\0' || key <= 0 || key >= 0x7fffffff)
                usage();
            break;
        case 'r':
            if (strcmp(optarg, "a") != 0 && strcmp(optarg, "b") != 0)
                usage();
            role = optarg[0] - 'a';
            break;
        case 't':
            timeout = strtod(optarg, &end);
            if (*end != '\0' || !(timeout > 0 && timeout < 3600))
                usage();
            break;
        default:
            usage();
        }
    }
    if (key == -1 || role == -1 || optind != argc)
        usage();
    /* One line at a time, as it happens: the grader waits for each. */
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
        fprintf(stderr, "%s: setvbuf failed\n", PROG);
        return 1;
    }
    connect_to_peer((key_t)key, role);

    while ((len = getline(&line, &size, stdin)) != -1) {
        if (len > 0 && line[len - 1] == '\n')
            line[--len] = '\0';
        if (strcmp(line, "text") == 0)
            send_message(role, 1, "", 0);
        else if (strncmp(line, "text ", 5) == 0)
            send_message(role, 1, line + 5,
                         (size_t)len - 5 > MSG_MAX ? MSG_MAX : (size_t)len - 5);
        else if (strcmp(line, "end") == 0)
            send_message(role, 2, "", 0);
        else if (strcmp(line, "quit") == 0)
            send_message(role, 3, "", 0);
        else if (strcmp(line, "recv") == 0)
            receive_message(role);
        else {
            fprintf(stderr, "%s: unknown command: %s\n", PROG, line);
            free(line);
            return leave() | 1;
        }
    }
    if (ferror(stdin)) {
        syserr("getline");
        free(line);
        return leave() | 1;
    }
    free(line);
    return leave();
}
