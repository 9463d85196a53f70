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
 * The statement is README.md in this folder; the "§N" in the TODO comments
 * are its sections. parse_args() is done; the rest is yours. Remove an
 * __attribute__((unused)) once the function is called.
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

__attribute__((unused))
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
 * TODO (§3, §4): create the object (shm_open with O_CREAT | O_EXCL | O_RDWR,
 * 0600), give it its size (ftruncate), map it (mmap, MAP_SHARED), close the
 * descriptor, fill in the header (slots, chunk, data_offset, quit), sem_init()
 * both semaphores with pshared = 1, and set magic last. Set *created once
 * shm_open() succeeded. Return the mapping, or NULL after a message.
 */
__attribute__((unused))
static struct ring_header *create_ring(const struct options *o, size_t size, bool *created)
{
    (void)o;
    (void)size;
    (void)created;
    return NULL;
}

/*
 * TODO (§4, §6): copy stdin into the ring, one read() per slot, straight into
 * ring_slot(ring, i); then the end-of-stream chunk (length 0). Wait on
 * free_slots before each slot, post full_slots after. If quit is
 * QUIT_CONSUMER: the message of §6 and EXIT_SYSERR. On a signal or a failed
 * call: set quit to QUIT_PRODUCER, post full_slots, remove the names, return
 * EXIT_SYSERR. Return EXIT_SUCCESS once the end of the stream is in.
 */
__attribute__((unused))
static int produce(struct ring_header *ring, const char *name)
{
    (void)ring;
    (void)name;
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    /*
     * TODO (§1, §3, §6): replace the lines below with, in this order:
     *   1. ring_prog = "ring_producer"; o = parse_args(argc, argv);
     *   2. ring_catch_signals();
     *   3. ready = sem_open(o.name, O_CREAT, 0600, 0);
     *   4. ring = create_ring(...) (on failure: sem_close, and shm_unlink only
     *      if this run created the object);
     *   5. sem_post(ready), sem_close(ready);
     *   6. status = produce(ring, o.name); munmap(ring, size);
     *   7. after a signal: "ring_producer: interrupted by SIGINT" and 128 + N.
     */
    (void)argc;
    (void)argv;
    fputs("ring_producer: not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
