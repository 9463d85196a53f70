/*
 * cb_server.c - run callbacks, by name, for other processes.
 *
 *     usage: cb_server [-n SHMNAME] -l PLUGIN.so
 *
 * The server loads the plugin library with dlopen(), creates the registry (a
 * POSIX shared memory object, see callbacks.h) and waits. A client writes the
 * NAME of a callback and its argument into a free slot of the registry; the
 * server finds the function cb_NAME in the plugin with dlsym(), calls it in its
 * own process, and puts the result back into the slot for the client.
 * SIGINT or SIGTERM stops it: it wakes the waiting clients, removes the
 * registry and unloads the plugin (dlclose).
 *
 * See exercises/10-dlopen-callback/README.md for the full statement.
 */
#include <ctype.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <semaphore.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "callbacks.h"

#define PROG "cb_server"

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* The signal that asked us to stop (0: none yet), set by the handler. */
static volatile sig_atomic_t stop_signal;

/* The registry, once it is mapped: the handler posts its work semaphore. */
static struct cb_registry *volatile registry;

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

static void msg(const char *fmt, ...)
{
    va_list ap;

    /* stderr is unbuffered: one fprintf per line keeps lines whole. */
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
    fputs("usage: " PROG " [-n SHMNAME] -l PLUGIN.so\n", stderr);
    exit(EXIT_USAGE);
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

/* A POSIX IPC name: "/" then 1 to 200 characters, none of them a "/". */
static bool valid_shm_name(const char *name)
{
    size_t len = strlen(name);

    return name[0] == '/' && len >= 2 && len <= 201 && strchr(name + 1, '/') == NULL;
}

struct options {
    const char *shm_name;
    const char *plugin;
};

static struct options parse_args(int argc, char *argv[])
{
    struct options opt = { .shm_name = CB_DEFAULT_SHM, .plugin = NULL };
    int c;

    /* "+": options only before the operands (an ARG such as -12 is an
     * operand, not an option); ":": we print our own messages. */
    opterr = 0;
    while ((c = getopt(argc, argv, "+:n:l:")) != -1) {
        switch (c) {
        case 'n':
            if (!valid_shm_name(optarg))
                usage_error("invalid shared memory name: ", optarg);
            opt.shm_name = optarg;
            break;
        case 'l':
            if (optarg[0] == '\0')
                usage_error("empty plugin path", "");
            opt.plugin = optarg;
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
    if (optind < argc)
        usage_error("unexpected operand: ", argv[optind]);
    if (opt.plugin == NULL)
        usage_error("the plugin is missing (-l PLUGIN.so)", "");
    return opt;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * Set the flag, and post the work semaphore so that the main loop, which may be
 * blocked in sem_wait() on it, wakes up and sees the flag. sem_post() is
 * async-signal-safe (signal-safety(7)); relying on EINTR alone would lose a
 * signal that arrives just before sem_wait() is entered.
 */
static void on_stop(int sig)
{
    struct cb_registry *reg = registry;

    stop_signal = sig;
    if (reg != NULL)
        sem_post(&reg->work);
}

static int install_handlers(void)
{
    struct sigaction sa;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaddset(&sa.sa_mask, SIGINT);     /* one handler at a time */
    sigaddset(&sa.sa_mask, SIGTERM);
    if (sigaction(SIGINT, &sa, NULL) == -1 || sigaction(SIGTERM, &sa, NULL) == -1)
        return -1;
    return 0;
}

/* ------------------------------------------------------------------------- */
/* The registry                                                              */
/* ------------------------------------------------------------------------- */

/* sem_wait() that goes on after a signal: the lock is held only briefly. */
static int lock(struct cb_registry *reg)
{
    while (sem_wait(&reg->lock) == -1) {
        if (errno != EINTR) {
            syserr("sem_wait");
            return -1;
        }
    }
    return 0;
}

static int unlock(struct cb_registry *reg)
{
    if (sem_post(&reg->lock) == -1) {
        syserr("sem_post");
        return -1;
    }
    return 0;
}

/*
 * Create the object (O_EXCL: never take over another server's registry), give
 * it its size, map it, and set it up. The unnamed semaphores live in the object
 * itself, so they are initialised with pshared = 1.
 */
static struct cb_registry *create_registry(const char *name)
{
    struct cb_registry *reg;
    int fd;

    fd = shm_open(name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1) {
        bool exists = errno == EEXIST;  /* before syserr()'s stdio calls */

        syserr("shm_open");
        if (exists)
            msg("is another server running on %s? If not, remove /dev/shm%s", name, name);
        return NULL;
    }
    if (ftruncate(fd, sizeof *reg) == -1) {
        syserr("ftruncate");
        goto fail_unlink;
    }
    reg = mmap(NULL, sizeof *reg, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (reg == MAP_FAILED) {
        syserr("mmap");
        goto fail_unlink;
    }
    /* The mapping stays valid without the descriptor. */
    if (close(fd) == -1) {
        syserr("close");
        fd = -1;
        goto fail_unmap;
    }
    fd = -1;

    /* ftruncate() filled the object with zeros: every slot is SLOT_FREE. */
    reg->server = getpid();
    reg->stopping = 0;
    if (sem_init(&reg->lock, 1, 1) == -1 || sem_init(&reg->free_slots, 1, CB_SLOTS) == -1 ||
        sem_init(&reg->work, 1, 0) == -1) {
        syserr("sem_init");
        goto fail_unmap;
    }
    for (int i = 0; i < CB_SLOTS; i++) {
        if (sem_init(&reg->slots[i].done, 1, 0) == -1) {
            syserr("sem_init");
            goto fail_unmap;
        }
    }
    /* Last: a client that sees the magic number sees a complete registry. */
    __atomic_store_n(&reg->magic, CB_MAGIC, __ATOMIC_RELEASE);
    return reg;

fail_unmap:
    munmap(reg, sizeof *reg);
fail_unlink:
    if (fd != -1)
        close(fd);
    shm_unlink(name);
    return NULL;
}

/*
 * Stopping: no new call may start, and no client may be left waiting on a
 * semaphore nobody will post again. Every registered call is answered with
 * CALL_STOPPED, and free_slots is posted once: a client woken there sees
 * `stopping` and posts it again for the next one (a chain).
 * The semaphores are not destroyed: clients may still be blocked on them, and
 * their mapping stays valid after ours is gone.
 */
static void stop_clients(struct cb_registry *reg)
{
    if (lock(reg) == -1)
        return;
    reg->stopping = 1;
    for (int i = 0; i < CB_SLOTS; i++) {
        struct cb_slot *slot = &reg->slots[i];

        if (slot->state == SLOT_REGISTERED) {
            slot->status = CALL_STOPPED;
            snprintf(slot->result, sizeof slot->result, "the server stopped");
            slot->state = SLOT_DONE;
            if (sem_post(&slot->done) == -1)
                syserr("sem_post");
        }
    }
    unlock(reg);
    if (sem_post(&reg->free_slots) == -1)
        syserr("sem_post");
}

/* ------------------------------------------------------------------------- */
/* Calls                                                                     */
/* ------------------------------------------------------------------------- */

/* A callback name: letters, digits and '_', 1 to CB_NAME_MAX - 1 of them. */
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

/*
 * Run one call: look cb_NAME up in the plugin and call it, in this process.
 * name and arg are our own NUL-terminated copies; status, result and size
 * describe the answer.
 */
static int run_call(void *plugin, const char *name, const char *arg, char *result, size_t size)
{
    char symbol[sizeof CB_PREFIX + CB_NAME_MAX];
    cb_func *fn;
    void *sym;
    const char *error;

    /* Never trust the shared memory: any process that can open it wrote it. */
    if (!valid_callback_name(name)) {
        snprintf(result, size, "invalid callback name '%.*s'", CB_NAME_MAX, name);
        return CALL_UNKNOWN;
    }
    /*
     * The prefix keeps the lookup among the plugin's callbacks: dlsym() on the
     * plugin's handle also searches the libraries it depends on, and a client
     * must not be able to make us call exit() or abort() by name.
     */
    snprintf(symbol, sizeof symbol, CB_PREFIX "%s", name);
    dlerror();                          /* clear any old error */
    sym = dlsym(plugin, symbol);
    error = dlerror();
    if (error != NULL || sym == NULL) {
        /* Calling through a NULL pointer would kill the server and every
         * client waiting for it: an unknown name is the client's error. */
        snprintf(result, size, "unknown callback '%s': %s", name,
                 error != NULL ? error : "its address is NULL");
        return CALL_UNKNOWN;
    }
    /* POSIX guarantees that dlsym()'s void * converts to a function pointer. */
    fn = (cb_func *)sym;
    result[0] = '\0';
    if (fn(arg, result, size) != 0) {
        result[size - 1] = '\0';
        return CALL_FAILED;
    }
    result[size - 1] = '\0';            /* whatever the callback did */
    return CALL_OK;
}

/*
 * Take one REGISTERED slot (the work semaphore said there is one), run its call
 * without holding the lock (a callback may take its time), and hand the answer
 * back. Returns 0, or -1 on a failed system call.
 */
static int serve_one(struct cb_registry *reg, void *plugin)
{
    char name[CB_NAME_MAX], arg[CB_ARG_MAX], result[CB_RESULT_MAX];
    struct cb_slot *slot = NULL;
    int status;

    if (lock(reg) == -1)
        return -1;
    for (int i = 0; i < CB_SLOTS; i++) {
        if (reg->slots[i].state == SLOT_REGISTERED) {
            slot = &reg->slots[i];
            break;
        }
    }
    if (slot != NULL) {
        slot->state = SLOT_RUNNING;
        /* Bounded copies, always terminated. */
        memcpy(name, slot->name, sizeof name);
        name[sizeof name - 1] = '\0';
        memcpy(arg, slot->arg, sizeof arg);
        arg[sizeof arg - 1] = '\0';
    }
    if (unlock(reg) == -1)
        return -1;
    if (slot == NULL)                   /* a wake-up to stop: nothing to do */
        return 0;

    status = run_call(plugin, name, arg, result, sizeof result);
    if (status == CALL_UNKNOWN)
        msg("%s", result);

    /* The answer, then DONE under the lock, like every change of state; the
     * post of done publishes these writes to the client. */
    if (lock(reg) == -1)
        return -1;
    slot->status = status;
    slot->ran_in = getpid();
    memcpy(slot->result, result, sizeof result);
    slot->state = SLOT_DONE;
    if (unlock(reg) == -1)
        return -1;
    if (sem_post(&slot->done) == -1) {
        syserr("sem_post");
        return -1;
    }
    return 0;
}

/* Serve until a signal asks us to stop; returns 0, or -1 on a failed call. */
static int serve(struct cb_registry *reg, void *plugin)
{
    while (!stop_signal) {
        if (sem_wait(&reg->work) == -1) {
            if (errno == EINTR)
                continue;
            syserr("sem_wait");
            return -1;
        }
        if (stop_signal)
            break;
        if (serve_one(reg, plugin) == -1)
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------- */

int main(int argc, char *argv[])
{
    struct options opt = parse_args(argc, argv);
    struct cb_registry *reg;
    void *plugin;
    int status = EXIT_SUCCESS;

    /*
     * The plugin first: a missing or broken library is reported before any IPC
     * object exists. RTLD_NOW resolves every symbol the plugin needs now, so a
     * plugin that cannot work fails here, not in the middle of a call.
     */
    plugin = dlopen(opt.plugin, RTLD_NOW | RTLD_LOCAL);
    if (plugin == NULL) {
        msg("dlopen: %s", dlerror());
        return EXIT_USAGE;
    }

    if (install_handlers() == -1) {
        syserr("sigaction");
        dlclose(plugin);
        return EXIT_SYSERR;
    }

    reg = create_registry(opt.shm_name);
    if (reg == NULL) {
        dlclose(plugin);
        return EXIT_SYSERR;
    }
    registry = reg;
    /* A signal that came before `registry` was set found nothing to post:
     * serve() looks at the flag before it waits. */

    printf("%s: ready on %s, plugin %s (pid %ld)\n", PROG, opt.shm_name, opt.plugin,
           (long)getpid());
    if (fflush(stdout) == EOF) {
        syserr("fflush");
        status = EXIT_SYSERR;
    }

    if (status == EXIT_SUCCESS && serve(reg, plugin) == -1)
        status = EXIT_SYSERR;

    /* Cleanup, on every path from here: clients, the name, the mapping, the plugin. */
    stop_clients(reg);
    if (shm_unlink(opt.shm_name) == -1) {
        syserr("shm_unlink");
        status = EXIT_SYSERR;
    }
    registry = NULL;
    if (munmap(reg, sizeof *reg) == -1) {
        syserr("munmap");
        status = EXIT_SYSERR;
    }
    if (dlclose(plugin) != 0) {
        msg("dlclose: %s", dlerror());
        status = EXIT_SYSERR;
    }
    if (stop_signal) {
        msg("stopped by %s: plugin unloaded, %s removed",
            stop_signal == SIGINT ? "SIGINT" : "SIGTERM", opt.shm_name);
        if (status == EXIT_SUCCESS)
            status = 128 + stop_signal;
    }
    return status;
}
