/*
 * cb_client.c - ask the callback server to run a callback, by name.
 *
 *     usage: cb_client [-n SHMNAME] [-c COUNT] NAME ARG
 *
 * The client opens the registry the server created (callbacks.h), claims a free
 * slot under the registry's lock, writes NAME and ARG into it, and waits until
 * the server has run cb_NAME from its plugin. It prints
 *
 *     NAME(ARG) = RESULT (ran in pid P)
 *
 * where P is the process that ran the callback: the server, never the client.
 * With -c COUNT it makes COUNT calls in a row, the i-th with the argument ARG-i.
 *
 * See exercises/10-dlopen-callback/README.md for the full statement.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"

#define PROG        "cb_client"
#define MAX_COUNT   1000000L

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2, EXIT_CALL = 3 };

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

static void msg(const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    fprintf(stderr, "%s: ", PROG);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

static void syserr(const char *call)
{
    msg("%s: %s", call, strerror(errno));
}

static void usage_error(const char *what, const char *detail)
{
    msg("%s%s", what, detail);
    fputs("usage: " PROG " [-n SHMNAME] [-c COUNT] NAME ARG\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

static bool valid_shm_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] == '/' && len >= 2 && len <= 201 && strchr(name + 1, '/') == NULL;
}

static bool valid_callback_name(const char *name)
{
    size_t len = strlen(name);

    if (len == 0 || len >= CB_NAME_MAX)
        return false;
    for (const char *p = name; *p != '\0'; p++)
        if (!isalnum((unsigned char)*p) && *p != '_')
            return false;
    return true;
}

/* Digits only, from 1 to MAX_COUNT. */
static bool parse_count(const char *s, long *count)
{
    char *end;
    long value;

    if (!isdigit((unsigned char)s[0]))
        return false;
    errno = 0;
    value = strtol(s, &end, 10);
    if (errno != 0 || *end != '\0' || value < 1 || value > MAX_COUNT)
        return false;
    *count = value;
    return true;
}

struct options {
    const char *shm_name;
    long count;             /* 0: one call with ARG itself; N: ARG-1 .. ARG-N */
    const char *name;
    const char *arg;
};

static struct options parse_args(int argc, char *argv[])
{
    struct options opt = { .shm_name = CB_DEFAULT_SHM, .count = 0 };
    int c;

    /* "+": options only before the operands (an ARG such as -12 is an
     * operand, not an option); ":": we print our own messages. */
    opterr = 0;
    while ((c = getopt(argc, argv, "+:n:c:")) != -1) {
        switch (c) {
        case 'n':
            if (!valid_shm_name(optarg))
                usage_error("invalid shared memory name: ", optarg);
            opt.shm_name = optarg;
            break;
        case 'c':
            if (!parse_count(optarg, &opt.count))
                usage_error("invalid count (expected an integer from 1 to 1000000): ", optarg);
            break;
        case ':': {
            char letter[] = { '-', (char)optopt, '\0' };

            usage_error("this option needs an argument: ", letter);
            break;
        }
        default: {
            char letter[] = { '-', (char)optopt, '\0' };

            usage_error("unknown option: ", optopt != 0 ? letter : argv[optind - 1]);
        }
        }
    }
    if (argc - optind != 2)
        usage_error("expected two operands: NAME ARG", "");
    opt.name = argv[optind];
    opt.arg = argv[optind + 1];
    if (!valid_callback_name(opt.name))
        usage_error("invalid callback name (1 to 63 letters, digits or '_'): ", opt.name);
    /* Room for "-1000000" and the NUL when -c is given. */
    if (strlen(opt.arg) >= CB_ARG_MAX - (opt.count ? 8 : 0))
        usage_error("the argument is too long", "");
    return opt;
}

/* ------------------------------------------------------------------------- */
/* The registry                                                              */
/* ------------------------------------------------------------------------- */

/* sem_wait() again after a signal handler ran (none is installed, but a
 * debugger or SIGCONT can interrupt it too). */
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

/* Open and map the server's registry; NULL (after a message) if there is none. */
static struct cb_registry *open_registry(const char *name)
{
    struct cb_registry *reg;
    struct stat st;
    int fd;

    fd = shm_open(name, O_RDWR, 0);
    if (fd == -1) {
        if (errno == ENOENT)
            msg("no server on %s (shm_open: %s)", name, strerror(errno));
        else
            syserr("shm_open");
        return NULL;
    }
    if (fstat(fd, &st) == -1) {
        syserr("fstat");
        close(fd);
        return NULL;
    }
    if ((size_t)st.st_size < sizeof *reg) {
        msg("%s is not a callback registry (%lld bytes, expected %zu)", name,
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
    if (close(fd) == -1) {
        syserr("close");
        munmap(reg, sizeof *reg);
        return NULL;
    }
    if (__atomic_load_n(&reg->magic, __ATOMIC_ACQUIRE) != CB_MAGIC) {
        msg("%s is not a callback registry (wrong magic number)", name);
        munmap(reg, sizeof *reg);
        return NULL;
    }
    return reg;
}

/*
 * One call: claim a free slot, register, wait for the answer, give the slot
 * back. Returns 0 after printing the result, EXIT_CALL after printing the
 * server's error, EXIT_SYSERR otherwise.
 */
static int call(struct cb_registry *reg, const char *name, const char *arg)
{
    struct cb_slot *slot = NULL;
    char result[CB_RESULT_MAX];
    int status;
    pid_t ran_in;

    /* A free slot exists once free_slots lets us through: at most CB_SLOTS
     * calls are in progress, the others wait here. */
    if (wait_sem(&reg->free_slots) == -1)
        return EXIT_SYSERR;
    if (wait_sem(&reg->lock) == -1)
        return EXIT_SYSERR;
    if (reg->stopping) {
        post_sem(&reg->lock);
        post_sem(&reg->free_slots);     /* wake the next client waiting there */
        msg("the server stopped");
        return EXIT_SYSERR;
    }
    /*
     * Under the lock, finding a FREE slot and marking it REGISTERED is one step
     * for every other process: without it, two clients can both see the same
     * slot free and write their calls over each other.
     */
    for (int i = 0; i < CB_SLOTS; i++) {
        if (reg->slots[i].state == SLOT_FREE) {
            slot = &reg->slots[i];
            break;
        }
    }
    if (slot == NULL) {                 /* cannot happen while free_slots counts right */
        post_sem(&reg->lock);
        msg("no free slot although free_slots said so: the registry is corrupt");
        return EXIT_SYSERR;
    }
    slot->client = getpid();
    slot->ran_in = 0;
    slot->status = CALL_OK;
    snprintf(slot->name, sizeof slot->name, "%s", name);
    snprintf(slot->arg, sizeof slot->arg, "%s", arg);
    slot->result[0] = '\0';
    slot->state = SLOT_REGISTERED;
    if (post_sem(&reg->lock) == -1)
        return EXIT_SYSERR;
    if (post_sem(&reg->work) == -1)     /* one more call for the server */
        return EXIT_SYSERR;

    /* The slot is the server's now, until it posts done. */
    if (wait_sem(&slot->done) == -1)
        return EXIT_SYSERR;
    status = slot->status;
    ran_in = slot->ran_in;
    memcpy(result, slot->result, sizeof result);
    result[sizeof result - 1] = '\0';

    /* Give the slot back: FREE under the lock, then one more free slot. */
    if (wait_sem(&reg->lock) == -1)
        return EXIT_SYSERR;
    slot->state = SLOT_FREE;
    if (post_sem(&reg->lock) == -1 || post_sem(&reg->free_slots) == -1)
        return EXIT_SYSERR;

    switch (status) {
    case CALL_OK:
        printf("%s(%s) = %s (ran in pid %ld)\n", name, arg, result, (long)ran_in);
        return EXIT_SUCCESS;
    case CALL_FAILED:
        msg("%s(%s) failed: %s", name, arg, result);
        return EXIT_CALL;
    case CALL_STOPPED:
        msg("the server stopped");
        return EXIT_SYSERR;
    default:                            /* CALL_UNKNOWN */
        msg("%s", result);
        return EXIT_CALL;
    }
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct options opt = parse_args(argc, argv);
    struct cb_registry *reg;
    int status = EXIT_SUCCESS;

    reg = open_registry(opt.shm_name);
    if (reg == NULL)
        return EXIT_SYSERR;

    if (opt.count == 0) {
        status = call(reg, opt.name, opt.arg);
    } else {
        char arg[CB_ARG_MAX];

        for (long i = 1; i <= opt.count && status == EXIT_SUCCESS; i++) {
            snprintf(arg, sizeof arg, "%s-%ld", opt.arg, i);
            status = call(reg, opt.name, arg);
        }
    }

    if (fflush(stdout) == EOF) {
        syserr("fflush");
        status = EXIT_SYSERR;
    }
    if (munmap(reg, sizeof *reg) == -1) {
        syserr("munmap");
        status = EXIT_SYSERR;
    }
    return status;
}
