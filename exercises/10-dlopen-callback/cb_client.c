/*
 * cb_client.c - ask the callback server to run a callback, by name.
 *
 *     usage: cb_client [-n SHMNAME] [-c COUNT] NAME ARG
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. Fill in the
 * functions below, then replace the body of main() (its comment gives the
 * order). Every function may be reshaped: only the behaviour in README.md is
 * graded. Remove an __attribute__((unused)) once the function is called.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"

#define PROG "cb_client"

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2, EXIT_CALL = 3 };       /* §4 */

/* "cb_client: CALL: strerror text" for a failed call (§4). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2): parse [-n SHMNAME] [-c COUNT] NAME ARG with getopt(3). Use
 * "+:n:c:": the "+" stops at the first operand, so that an ARG such as -12
 * is not taken for an option. COUNT: digits only, 1 to 1000000. NAME: 1 to 63
 * letters, digits or '_'. ARG: at most 247 bytes with -c, 255 without.
 * Errors: one line, then "usage: cb_client [-n SHMNAME] [-c COUNT] NAME ARG",
 * exit(EXIT_USAGE).
 */

/*
 * TODO (§4): open the registry: shm_open(name, O_RDWR, 0) (never O_CREAT: no
 * registry means no server: "cb_client: no server on NAME (...)", exit 1);
 * fstat: at least sizeof(struct cb_registry); mmap MAP_SHARED; close the
 * descriptor; the magic number must be CB_MAGIC.
 */
__attribute__((unused))
static struct cb_registry *open_registry(const char *name)
{
    (void)name;
    errno = ENOSYS;
    return NULL;
}

/*
 * TODO (§3, §4): one call.
 *   sem_wait(free_slots); sem_wait(lock); if stopping: post lock and
 *   free_slots, fail. Find a FREE slot; fill in client, name, arg; state =
 *   SLOT_REGISTERED; sem_post(lock); sem_post(work) (hint 2).
 *   sem_wait(&slot->done); copy status, ran_in and result.
 *   sem_wait(lock); state = SLOT_FREE; sem_post(lock); sem_post(free_slots)
 *   (hint 3).
 *   Print "NAME(ARG) = RESULT (ran in pid P)" on stdout and return 0, or the
 *   error on stderr and return EXIT_CALL; CALL_STOPPED: "cb_client: the
 *   server stopped", EXIT_SYSERR (§4).
 */
__attribute__((unused))
static int call(struct cb_registry *reg, const char *name, const char *arg)
{
    (void)reg;
    (void)name;
    (void)arg;
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§4): replace the lines below with the program:
     *   1. parse the arguments (§2);
     *   2. open the registry;
     *   3. one call(NAME, ARG), or with -c COUNT, COUNT calls with the
     *      arguments ARG-1 .. ARG-COUNT, stopping at the first failure;
     *   4. munmap, and exit with the status of the last call.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
