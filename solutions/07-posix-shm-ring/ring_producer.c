/*
 * ring_producer.c - copy standard input into a ring buffer in a POSIX shared
 * memory object, for ring_consumer to write out.
 *
 *     usage: ring_producer [-n NAME] [-s SLOTS] [-c CHUNK] < input
 *
 * The producer creates the object NAME (shm_open with O_CREAT | O_EXCL), gives
 * it its size, maps it, sets up the ring and its two unnamed semaphores
 * (sem_init with pshared = 1), then posts the named semaphore NAME: "the ring
 * is ready". Whichever side starts first creates that semaphore (sem_open
 * with O_CREAT is atomic), so either side may start first. Then every read()
 * of stdin goes straight into the next free slot; a chunk of length 0 marks
 * the end of the stream. The consumer removes both names once it has mapped
 * the object.
 *
 * See exercises/07-posix-shm-ring/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring.h"

struct options {
    const char *name;
    uint32_t slots;
    uint32_t chunk;
};

static void usage_error(const char *what, const char *arg)
{
    ring_msg(what, arg);
    fputs("usage: ring_producer [-n NAME] [-s SLOTS] [-c CHUNK]\n", stderr);
    exit(EXIT_USAGE);
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = { RING_DEFAULT_NAME, RING_DEFAULT_SLOTS, RING_DEFAULT_CHUNK };
    long v;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:s:c:")) != -1) {
        switch (opt) {
        case 'n':
            if (!ring_parse_name(optarg))
                usage_error("invalid name '%s' (expected /NAME, no other '/')", optarg);
            o.name = optarg;
            break;
        case 's':
            if (!ring_parse_long(optarg, 1, RING_MAX_SLOTS, &v))
                usage_error("invalid number of slots '%s' (expected 1 to 1024)", optarg);
            o.slots = (uint32_t)v;
            break;
        case 'c':
            if (!ring_parse_long(optarg, 1, RING_MAX_CHUNK, &v))
                usage_error("invalid chunk size '%s' (expected 1 to 1048576)", optarg);
            o.chunk = (uint32_t)v;
            break;
        case ':':
            usage_error("option -%s needs an argument", (char[]){ (char)optopt, '\0' });
            break;
        default:
            usage_error("unknown option %s", argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    if ((long)o.slots * (long)o.chunk > RING_MAX_BYTES)
        usage_error("SLOTS x CHUNK is more than %s bytes", "16777216");
    return o;
}

/*
 * Create, size, map and set up the object. Returns the mapping, or NULL after
 * a message (having removed what it created). *created tells whether the name
 * NAME is ours to remove.
 */
static struct ring_header *create_ring(const struct options *o, size_t size, bool *created)
{
    struct ring_header *ring;
    int fd;

    /* O_EXCL: an object left over by a killed run, or a second producer on the
     * same name, is an error, never something we silently share. */
    fd = shm_open(o->name, O_CREAT | O_EXCL | O_RDWR, 0600);
    if (fd == -1) {
        ring_syserr("shm_open");
        return NULL;
    }
    *created = true;
    /* A new object has size 0: mapping it and touching a page would be SIGBUS. */
    if (ftruncate(fd, (off_t)size) == -1) {
        ring_syserr("ftruncate");
        close(fd);
        return NULL;
    }
    ring = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) {
        ring_syserr("mmap");
        close(fd);
        return NULL;
    }
    /* The mapping keeps the object alive: the descriptor is no longer needed. */
    if (close(fd) == -1) {
        ring_syserr("close");
        munmap(ring, size);
        return NULL;
    }

    /* ftruncate() filled the object with zero bytes: only the non-zero fields
     * need to be set. pshared = 1: the semaphores are used by two processes,
     * through their own mappings of the same pages. */
    ring->slots = o->slots;
    ring->chunk = o->chunk;
    ring->data_offset = (uint32_t)ring_data_offset(o->slots);
    atomic_init(&ring->quit, QUIT_NONE);
    if (sem_init(&ring->free_slots, 1, o->slots) == -1 || sem_init(&ring->full_slots, 1, 0) == -1) {
        ring_syserr("sem_init");
        munmap(ring, size);
        return NULL;
    }
    ring->magic = RING_MAGIC;   /* last: the header is complete */
    return ring;
}

/*
 * Give up: tell the consumer (the flag first, then a post that wakes it if it
 * waits for a full slot), and remove the names in case no consumer ever came.
 */
static void give_up(struct ring_header *ring, const char *name)
{
    atomic_store(&ring->quit, QUIT_PRODUCER);
    if (sem_post(&ring->full_slots) == -1)
        ring_syserr("sem_post");
    (void)ring_remove_names(name);
}

/*
 * Copy stdin into the ring until EOF, then put the end-of-stream chunk.
 * Returns the exit status.
 */
static int produce(struct ring_header *ring, const char *name)
{
    uint32_t i = 0;

    for (;;) {
        ssize_t n;

        /* Wait for a free slot: the consumer posts free_slots after it has
         * written a slot out. */
        if (ring_wait(&ring->free_slots) == -1) {
            if (errno != EINTR)
                ring_syserr("sem_wait");
            give_up(ring, name);
            return EXIT_SYSERR;
        }
        if (atomic_load(&ring->quit) == QUIT_CONSUMER) {
            ring_msg("the consumer quit before the end of the stream");
            return EXIT_SYSERR;
        }

        /* Straight into the shared slot: no copy of our own. */
        do {
            n = read(STDIN_FILENO, ring_slot(ring, i), ring->chunk);
        } while (n == -1 && errno == EINTR && ring_signal == 0);
        if (n == -1) {
            if (errno != EINTR)
                ring_syserr("read");
            give_up(ring, name);
            return EXIT_SYSERR;
        }
        /* A signal that came while no call was blocked (this read() had its
         * bytes already, and returns their count) leaves only the flag. */
        if (ring_signal != 0) {
            give_up(ring, name);
            return EXIT_SYSERR;
        }

        ring->len[i] = (uint32_t)n;
        /* sem_post() makes the slot's bytes and length visible to the consumer
         * before its sem_wait() returns. */
        if (sem_post(&ring->full_slots) == -1) {
            ring_syserr("sem_post");
            give_up(ring, name);
            return EXIT_SYSERR;
        }
        i = (i + 1) % ring->slots;      /* after the last slot comes slot 0 */
        if (n == 0)                     /* the end-of-stream chunk is in */
            return EXIT_SUCCESS;
    }
}

int main(int argc, char *argv[])
{
    struct options o;
    struct ring_header *ring;
    sem_t *ready;
    size_t size;
    bool created = false;
    int status;

    ring_prog = "ring_producer";
    o = parse_args(argc, argv);
    size = ring_size(o.slots, o.chunk);
    if (ring_catch_signals() == -1)
        return EXIT_SYSERR;

    /* The rendezvous semaphore: created by whichever side comes first, with
     * the value 0; the consumer waits on it until we post. */
    ready = sem_open(o.name, O_CREAT, 0600, 0);
    if (ready == SEM_FAILED) {
        ring_syserr("sem_open");
        return EXIT_SYSERR;
    }

    ring = create_ring(&o, size, &created);
    if (ring == NULL) {
        sem_close(ready);
        /* Our own object, which its failed ftruncate(), mmap() or sem_init()
         * left of no use to anyone: both names go, as on a signal, so that
         * nothing is left. After File exists, created is false: the names
         * are another producer's, never ours to remove. */
        if (created)
            (void)ring_remove_names(o.name);
        return EXIT_SYSERR;
    }

    /* The ring is ready: let the consumer map it. */
    if (sem_post(ready) == -1) {
        ring_syserr("sem_post");
        sem_close(ready);
        ring_remove_names(o.name);
        munmap(ring, size);
        return EXIT_SYSERR;
    }
    if (sem_close(ready) == -1)
        ring_syserr("sem_close");

    status = produce(ring, o.name);

    if (munmap(ring, size) == -1) {
        ring_syserr("munmap");
        status = EXIT_SYSERR;
    }
    if (status != EXIT_SUCCESS && ring_signal != 0) {
        ring_msg("interrupted by %s", ring_signal == SIGINT ? "SIGINT" : "SIGTERM");
        return 128 + ring_signal;
    }
    return status;
}
