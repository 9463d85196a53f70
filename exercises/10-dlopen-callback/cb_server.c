/*
 * cb_server.c - run callbacks, by name, for other processes.
 *
 *     usage: cb_server [-n SHMNAME] -l PLUGIN.so
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
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"

#define PROG "cb_server"

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };      /* §6 */

/* The signal that asked us to stop (0: none yet), set by the handler (§7). */
static volatile sig_atomic_t stop_signal;

/* The registry once it is mapped: the handler posts its work semaphore (§7). */
static struct cb_registry *volatile registry;

/* "cb_server: CALL: strerror text" for a failed call (§6). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/*
 * TODO (§2): parse -n SHMNAME and -l PLUGIN.so with getopt(3) ("+:n:l:",
 * opterr = 0). SHMNAME: "/" then 1 to 200 characters, no other "/". -l is
 * required. No operand. On any error: one line saying what is wrong, then
 * "usage: cb_server [-n SHMNAME] -l PLUGIN.so", exit(EXIT_USAGE).
 */

/*
 * TODO (§7): the SIGINT/SIGTERM handler. Set stop_signal = sig and, if the
 * registry is mapped, sem_post(&registry->work): sem_post() is
 * async-signal-safe, and it wakes the main loop blocked in sem_wait() even if
 * the signal came just before the call (hint 5). Install it with sigaction().
 */
__attribute__((unused))
static void on_stop(int sig)
{
    (void)sig;
}

/*
 * TODO (§3): create the registry. shm_open(name, O_CREAT | O_EXCL | O_RDWR,
 * 0600), ftruncate to sizeof(struct cb_registry), mmap MAP_SHARED, close the
 * descriptor. Then: server = getpid(); sem_init(..., 1, ...) with pshared = 1
 * for lock (1), free_slots (CB_SLOTS), work (0) and every slot's done (0);
 * magic = CB_MAGIC last. On failure: remove what you created, return NULL.
 */
__attribute__((unused))
static struct cb_registry *create_registry(const char *name)
{
    (void)name;
    errno = ENOSYS;
    return NULL;
}

/*
 * TODO (§5): run one call in this process. Check the name (letters, digits,
 * '_'), build the symbol "cb_" NAME, dlerror() to clear, dlsym(plugin, symbol).
 * NULL: write "unknown callback 'NAME': " and dlerror()'s text into result,
 * return CALL_UNKNOWN, and never call it (hint 4). Else call it: 0 is
 * CALL_OK, anything else CALL_FAILED (its message is in result).
 */
__attribute__((unused))
static int run_call(void *plugin, const char *name, const char *arg, char *result, size_t size)
{
    (void)plugin;
    (void)name;
    (void)arg;
    snprintf(result, size, "not implemented");
    return CALL_UNKNOWN;
}

/*
 * TODO (§3, §5, §6): the main loop, until stop_signal is set:
 *   sem_wait(&reg->work) (EINTR: look at the flag again);
 *   under the lock, take a REGISTERED slot, mark it RUNNING, copy name and arg
 *   (bounded, NUL-terminated: never trust the shared memory);
 *   run_call() without the lock (CALL_UNKNOWN: also print "cb_server: " and
 *   result on stderr); fill in status, ran_in = getpid(), result; under the
 *   lock state = SLOT_DONE; sem_post(&slot->done).
 */

/*
 * TODO (§7): stopping. Under the lock set stopping = 1, answer every
 * REGISTERED slot with CALL_STOPPED (and post its done), then post free_slots
 * once. Then shm_unlink(SHMNAME), munmap, dlclose(plugin) (hint 5). Do not
 * sem_destroy(): clients may still wait on those semaphores.
 */

int main(int argc, char *argv[])
{
    /*
     * TODO (§6): replace the lines below with the program, in this order:
     *   1. parse the arguments (§2);
     *   2. plugin = dlopen(PATH, RTLD_NOW | RTLD_LOCAL); NULL: print
     *      "cb_server: dlopen: " and dlerror(), exit 2, nothing created;
     *   3. install the SIGINT/SIGTERM handler (§7);
     *   4. create the registry (§3), set `registry`, print the ready line;
     *   5. serve until a signal; 6. stop (§7) and exit 128 + the signal.
     */
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
