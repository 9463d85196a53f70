/*
 * ring_consumer.c - write out, on standard output, the byte stream that
 * ring_producer puts into a ring buffer in a POSIX shared memory object.
 *
 *     usage: ring_consumer [-n NAME] > output
 *
 * The consumer waits on the named semaphore NAME until the producer has set up
 * the object NAME (sem_open with O_CREAT: either side may start first), maps
 * it, and removes both names at once: from then on nobody needs them, and a
 * crash of either side can leave nothing behind. Then it writes out every full
 * slot, in order, until the chunk of length 0 that ends the stream.
 *
 * See exercises/07-posix-shm-ring/README.md for the full statement.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ring.h"

static const char *parse_args(int argc, char *argv[])
{
    const char *name = RING_DEFAULT_NAME;
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":n:")) != -1) {
        if (opt == 'n' && ring_parse_name(optarg)) {
            name = optarg;
            continue;
        }
        if (opt == 'n')
            ring_msg("invalid name '%s' (expected /NAME, no other '/')", optarg);
        else if (opt == ':')
            ring_msg("option -%c needs an argument", optopt);
        else
            ring_msg("unknown option %s", argv[optind - 1]);
        fputs("usage: ring_consumer [-n NAME]\n", stderr);
        exit(EXIT_USAGE);
    }
    if (optind < argc) {
        ring_msg("unexpected operand '%s'", argv[optind]);
        fputs("usage: ring_consumer [-n NAME]\n", stderr);
        exit(EXIT_USAGE);
    }
    return name;
}

/*
 * Wait until the producer has posted the rendezvous semaphore. Returns 0, or
 * -1 after a message (a signal: the semaphore's name is removed, since we may
 * well be the one who created it).
 */
static int wait_for_producer(const char *name)
{
    sem_t *ready = sem_open(name, O_CREAT, 0600, 0);
    int rc = 0;

    if (ready == SEM_FAILED) {
        ring_syserr("sem_open");
        return -1;
    }
    if (ring_wait(ready) == -1) {
        if (errno != EINTR)
            ring_syserr("sem_wait");
        if (sem_unlink(name) == -1 && errno != ENOENT)
            ring_syserr("sem_unlink");
        rc = -1;
    }
    if (sem_close(ready) == -1) {
        ring_syserr("sem_close");
        rc = -1;
    }
    return rc;
}

/* Open and map the producer's object; check that it is a ring. */
static struct ring_header *map_ring(const char *name, size_t *size)
{
    struct ring_header *ring;
    struct stat st;
    int fd = shm_open(name, O_RDWR, 0);

    if (fd == -1) {
        ring_syserr("shm_open");
        return NULL;
    }
    if (fstat(fd, &st) == -1) {
        ring_syserr("fstat");
        close(fd);
        return NULL;
    }
    *size = (size_t)st.st_size;
    if (*size < sizeof(struct ring_header)) {
        ring_msg("%s is not a ring set up by ring_producer", name);   /* too small */
        close(fd);
        return NULL;
    }
    ring = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (ring == MAP_FAILED) {
        ring_syserr("mmap");
        close(fd);
        return NULL;
    }
    if (close(fd) == -1)
        ring_syserr("close");
    if (ring->magic != RING_MAGIC || ring->slots == 0 || ring->chunk == 0 ||
        ring->data_offset != ring_data_offset(ring->slots) ||
        ring_size(ring->slots, ring->chunk) != *size) {
        ring_msg("%s is not a ring set up by ring_producer", name);
        munmap(ring, *size);
        return NULL;
    }
    return ring;
}

/* Give up: tell the producer, and wake it if it waits for a free slot. */
static void give_up(struct ring_header *ring)
{
    atomic_store(&ring->quit, QUIT_CONSUMER);
    if (sem_post(&ring->free_slots) == -1)
        ring_syserr("sem_post");
}

/* Write out every full slot until the end-of-stream chunk. Returns the exit status. */
static int consume(struct ring_header *ring)
{
    uint32_t i = 0;

    for (;;) {
        uint32_t len;

        if (ring_wait(&ring->full_slots) == -1) {
            if (errno != EINTR)
                ring_syserr("sem_wait");
            give_up(ring);
            return EXIT_SYSERR;
        }
        if (atomic_load(&ring->quit) == QUIT_PRODUCER) {
            ring_msg("the producer quit before the end of the stream");
            return EXIT_SYSERR;
        }
        len = ring->len[i];
        if (len == 0)                   /* end of the stream */
            return EXIT_SUCCESS;
        if (len > ring->chunk) {        /* never trust shared memory blindly */
            ring_msg("slot %u holds %u bytes, more than a chunk", i, len);
            give_up(ring);
            return EXIT_SYSERR;
        }
        if (ring_write_all(STDOUT_FILENO, ring_slot(ring, i), len) == -1) {
            if (errno != EINTR)
                ring_syserr("write");
            give_up(ring);
            return EXIT_SYSERR;
        }
        /* The slot is written out: the producer may fill it again. */
        if (sem_post(&ring->free_slots) == -1) {
            ring_syserr("sem_post");
            give_up(ring);
            return EXIT_SYSERR;
        }
        i = (i + 1) % ring->slots;
    }
}

int main(int argc, char *argv[])
{
    struct ring_header *ring;
    const char *name;
    size_t size;
    int status, removed;

    ring_prog = "ring_consumer";
    name = parse_args(argc, argv);
    if (ring_catch_signals() == -1 || ring_ignore_sigpipe() == -1)
        return EXIT_SYSERR;

    if (wait_for_producer(name) == -1) {
        if (ring_signal != 0) {
            ring_msg("interrupted by %s", ring_signal == SIGINT ? "SIGINT" : "SIGTERM");
            return 128 + ring_signal;
        }
        return EXIT_SYSERR;
    }
    ring = map_ring(name, &size);
    /* Both sides have what they need now (the producer its mapping, we ours):
     * the names can go. The object lives until the last munmap(). */
    removed = ring_remove_names(name);
    if (ring == NULL)
        return EXIT_SYSERR;

    status = consume(ring);
    if (removed == -1)
        status = EXIT_SYSERR;

    /* The producer is done with the semaphores once it has posted the end of
     * the stream; after a normal end we are their last user. */
    if (status == EXIT_SUCCESS &&
        (sem_destroy(&ring->free_slots) == -1 || sem_destroy(&ring->full_slots) == -1)) {
        ring_syserr("sem_destroy");
        status = EXIT_SYSERR;
    }
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
