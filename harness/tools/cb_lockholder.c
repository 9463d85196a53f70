/*
 * cb_lockholder.c - the grader's stand-in for a second client of
 * 10-dlopen-callback, one that holds the registry's lock for as long as the
 * grader wants. With it, "the client claims its slot under the lock" is
 * checked step by step, not by hoping that two clients collide:
 *
 *     usage: cb_lockholder [-L] -n SHMNAME
 *
 * It opens the registry (callbacks.h, the grader's copy of the exercise's
 * header), takes one token of free_slots and the lock, prints
 *     holding the lock
 * and then obeys one command per line on standard input:
 *     claim   prints "slots: S0 S1 S2 S3", the states it sees while holding
 *             the lock (a client that changed one did so without the lock),
 *             then claims the first FREE slot the way a client would, but
 *             marks it RUNNING (the server leaves RUNNING slots alone),
 *             prints "claimed slot I" and lets go of the lock
 *     check   takes the lock again and prints "slot I: kept" if the slot is
 *             still its own, else "slot I: taken over (state S, client pid
 *             P, NAME(ARG))": a client that chose that slot before it held
 *             the lock wrote its call over it; then gives the slot back
 *             (FREE, if still its own), lets go of the lock and gives its
 *             free_slots token back
 * With -L it takes the lock alone (no free_slots token, no slot: it changes
 * nothing in the registry, it only keeps the learner's server and client
 * waiting for the lock), prints
 *     holding the lock
 * and holds it until the end of its input, obeying meanwhile:
 *     states  prints "slots: S0 S1 S2 S3", the states it sees while holding
 *             the lock (one that changes meanwhile was changed without it)
 *     work    prints "work taken" once the work semaphore's value is 0 (it
 *             polls every millisecond, without a deadline: the grader's own
 *             wait bounds it): the server has taken every call posted
 * At the end of its input it lets go of whatever it still holds and exits.
 * Exit status: 0, 1 on a failed call or a command out of turn, 2 on bad
 * arguments.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "callbacks.h"

#define PROG "cb_lockholder"

static void usage(void)
{
    fprintf(stderr, "usage: %s [-L] -n SHMNAME\n", PROG);
    exit(2);
}

static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* sem_wait() again after an interruption (a debugger, SIGCONT). */
static int wait_sem(sem_t *sem)
{
    while (sem_wait(sem) == -1) {
        if (errno != EINTR) {
            syserr("sem_wait");
            return -1;
        }
    }
    return 0;
}

static int post_sem(sem_t *sem)
{
    if (sem_post(sem) == -1) {
        syserr("sem_post");
        return -1;
    }
    return 0;
}

static const char *state_name(int state)
{
    static char other[32];

    switch (state) {
    case SLOT_FREE:
        return "FREE";
    case SLOT_REGISTERED:
        return "REGISTERED";
    case SLOT_RUNNING:
        return "RUNNING";
    case SLOT_DONE:
        return "DONE";
    default:
        snprintf(other, sizeof other, "state-%d", state);
        return other;
    }
}

static struct cb_registry *open_registry(const char *name)
{
    struct cb_registry *reg;
    struct stat st;
    int fd;

    fd = shm_open(name, O_RDWR, 0);
    if (fd == -1) {
        syserr("shm_open");
        return NULL;
    }
    if (fstat(fd, &st) == -1) {
        syserr("fstat");
        close(fd);
        return NULL;
    }
    if ((size_t)st.st_size < sizeof *reg) {
        fprintf(stderr, "%s: %s is %lld bytes, not a registry of %zu\n", PROG, name,
                (long long)st.st_size, sizeof *reg);
        close(fd);
        return NULL;
    }
    reg = mmap(NULL, sizeof *reg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (reg == MAP_FAILED) {
        syserr("mmap");
        close(fd);
        return NULL;
    }
    if (close(fd) == -1)
        syserr("close");
    if (__atomic_load_n(&reg->magic, __ATOMIC_ACQUIRE) != CB_MAGIC) {
        fprintf(stderr, "%s: %s has no magic number: not a registry\n", PROG, name);
        return NULL;
    }
    return reg;
}

/* "states" (and the start of "claim"), with the lock held: a slot's state
 * that changes meanwhile was changed by a process without the lock. */
static void print_states(const struct cb_registry *reg)
{
    printf("slots:");
    for (int i = 0; i < CB_SLOTS; i++)
        printf(" %s", state_name(reg->slots[i].state));
    printf("\n");
}

/* "work": wait until the work semaphore's value is 0, i.e. the server has
 * taken (sem_wait) every call posted. Polled, because no call waits for a
 * semaphore to reach 0; sem_getvalue() only reads it, it takes nothing. */
static int wait_work_taken(struct cb_registry *reg)
{
    const struct timespec tick = { 0, 1000000 };   /* 1 ms */
    int value;

    for (;;) {
        if (sem_getvalue(&reg->work, &value) == -1) {
            syserr("sem_getvalue");
            return -1;
        }
        if (value <= 0)
            return 0;
        /* Interrupted (a debugger, SIGCONT): the next round sleeps again. */
        if (nanosleep(&tick, NULL) == -1 && errno != EINTR) {
            syserr("nanosleep");
            return -1;
        }
    }
}

/* "claim", with the lock held: report the states, take the first FREE slot,
 * let go of the lock. Returns the slot's index, or -1. */
static int claim(struct cb_registry *reg)
{
    int mine = -1;

    print_states(reg);
    for (int i = 0; i < CB_SLOTS && mine == -1; i++)
        if (reg->slots[i].state == SLOT_FREE)
            mine = i;
    if (mine == -1) {
        printf("no FREE slot\n");
        return -1;
    }
    reg->slots[mine].client = getpid();
    snprintf(reg->slots[mine].name, sizeof reg->slots[mine].name, "%s", PROG);
    snprintf(reg->slots[mine].arg, sizeof reg->slots[mine].arg, "%s", "holding");
    reg->slots[mine].state = SLOT_RUNNING;
    printf("claimed slot %d\n", mine);
    return mine;
}

/* "check": is the slot still ours? Give it back either way. */
static int check(struct cb_registry *reg, int mine)
{
    struct cb_slot *slot = &reg->slots[mine];

    if (wait_sem(&reg->lock) == -1)
        return -1;
    if (slot->state == SLOT_RUNNING && slot->client == getpid() && strcmp(slot->name, PROG) == 0) {
        printf("slot %d: kept\n", mine);
        slot->state = SLOT_FREE;
    } else {
        slot->name[sizeof slot->name - 1] = '\0';
        slot->arg[sizeof slot->arg - 1] = '\0';
        printf("slot %d: taken over (state %s, client pid %ld, %s(%s))\n", mine,
               state_name(slot->state), (long)slot->client, slot->name, slot->arg);
    }
    return post_sem(&reg->lock);
}

int main(int argc, char *argv[])
{
    const char *shm_name = NULL;
    struct cb_registry *reg;
    bool holding, token = false, lock_only = false;
    int mine = -1, opt, status = EXIT_SUCCESS;
    char line[64];

    while ((opt = getopt(argc, argv, "Ln:")) != -1) {
        switch (opt) {
        case 'L':
            lock_only = true;
            break;
        case 'n':
            shm_name = optarg;
            break;
        default:
            usage();
        }
    }
    if (shm_name == NULL || optind != argc)
        usage();
    /* Line by line: the grader waits for each answer before it goes on. */
    if (setvbuf(stdout, NULL, _IOLBF, 0) != 0) {
        fprintf(stderr, "%s: setvbuf failed\n", PROG);
        return EXIT_FAILURE;
    }

    reg = open_registry(shm_name);
    if (reg == NULL)
        return EXIT_FAILURE;
    /* A client's first two steps (§4): a free slot's token, then the lock.
     * With -L the lock alone: no slot is claimed, so no token is needed. */
    if (!lock_only) {
        if (wait_sem(&reg->free_slots) == -1)
            return EXIT_FAILURE;
        token = true;
    }
    if (wait_sem(&reg->lock) == -1) {
        if (token)
            post_sem(&reg->free_slots);
        return EXIT_FAILURE;
    }
    holding = true;
    printf("holding the lock\n");

    while (status == EXIT_SUCCESS && fgets(line, sizeof line, stdin) != NULL) {
        line[strcspn(line, "\n")] = '\0';
        if (strcmp(line, "states") == 0 && lock_only) {
            print_states(reg);
        } else if (strcmp(line, "work") == 0 && lock_only) {
            if (wait_work_taken(reg) == -1)
                status = EXIT_FAILURE;
            else
                printf("work taken\n");
        } else if (strcmp(line, "claim") == 0 && holding && !lock_only) {
            mine = claim(reg);
            holding = false;
            if (post_sem(&reg->lock) == -1 || mine == -1)
                status = EXIT_FAILURE;
        } else if (strcmp(line, "check") == 0 && mine != -1) {
            if (check(reg, mine) == -1)
                status = EXIT_FAILURE;
            mine = -1;
            token = false;
            if (post_sem(&reg->free_slots) == -1)
                status = EXIT_FAILURE;
        } else {
            fprintf(stderr, "%s: unexpected command '%s'\n", PROG, line);
            status = EXIT_FAILURE;
        }
    }

    /* Let go of what is still held, so that the server can stop. */
    if (mine != -1 && check(reg, mine) == -1)
        status = EXIT_FAILURE;
    if (holding && post_sem(&reg->lock) == -1)
        status = EXIT_FAILURE;
    if (token && post_sem(&reg->free_slots) == -1)
        status = EXIT_FAILURE;
    if (munmap(reg, sizeof *reg) == -1) {
        syserr("munmap");
        status = EXIT_FAILURE;
    }
    return status;
}
