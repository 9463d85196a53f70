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
 * The statement is README.md in this folder; the "§N" in the TODO comments
 * are its sections. parse_args() is done; the rest is yours. Remove an
 * __attribute__((unused)) once the function is called.
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

__attribute__((unused))
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
 * TODO (§3, §6): sem_open(name, O_CREAT, 0600, 0), then wait on it
 * (ring_wait). After a signal: sem_unlink(name) (ENOENT is fine). sem_close()
 * in every case. Return 0, or -1.
 */
__attribute__((unused))
static int wait_for_producer(const char *name)
{
    (void)name;
    return -1;
}

/*
 * TODO (§3, §4): shm_open(name, O_RDWR, 0), fstat() for the size, mmap() it
 * with MAP_SHARED, close the descriptor, check the header (§4). Set *size.
 * Return the mapping, or NULL after a message.
 */
__attribute__((unused))
static struct ring_header *map_ring(const char *name, size_t *size)
{
    (void)name;
    (void)size;
    return NULL;
}

/*
 * TODO (§4, §6): write out every full slot, in order, straight from
 * ring_slot(ring, i), until the chunk of length 0. Wait on full_slots before
 * each slot, post free_slots after. If quit is QUIT_PRODUCER: the message of
 * §6 and EXIT_SYSERR. On a signal or a failed write: set quit to
 * QUIT_CONSUMER, post free_slots, return EXIT_SYSERR.
 */
__attribute__((unused))
static int consume(struct ring_header *ring)
{
    (void)ring;
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1, §3, §5, §6): replace the lines below with, in this order:
     *   1. ring_prog = "ring_consumer"; name = parse_args(argc, argv);
     *   2. ring_catch_signals(), ring_ignore_sigpipe();
     *   3. wait_for_producer(name) (after a signal: the message, 128 + N);
     *   4. ring = map_ring(name, &size); ring_remove_names(name);
     *   5. status = consume(ring); after the end of the stream, sem_destroy()
     *      both semaphores; munmap(ring, size);
     *   6. after a signal: "ring_consumer: interrupted by SIGINT" and 128 + N.
     */
    (void)argc;
    (void)argv;
    fputs("ring_consumer: not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
