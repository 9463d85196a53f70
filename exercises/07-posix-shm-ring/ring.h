/*
 * ring.h - what ring_producer and ring_consumer share: the layout of the ring
 * in the POSIX shared memory object, and the helpers in ring_common.c.
 *
 * The statement is README.md in this folder (§4: the layout). Add your own
 * declarations if you like, but keep struct ring_header and the constants as
 * they are: the grader reads the header of a ring a producer left.
 */
#ifndef RING_H
#define RING_H

#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define RING_DEFAULT_NAME   "/ipclab-ring"
#define RING_DEFAULT_SLOTS  16L
#define RING_DEFAULT_CHUNK  65536L
#define RING_MAX_SLOTS      1024L
#define RING_MAX_CHUNK      1048576L
#define RING_MAX_BYTES      (16L * 1024 * 1024)     /* SLOTS x CHUNK at most */
#define RING_MAX_NAME       200

#define RING_MAGIC          0x474e4952u             /* "RING" */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };

/* Who gave up before the end of the stream (§6). */
enum { QUIT_NONE = 0, QUIT_PRODUCER = 1, QUIT_CONSUMER = 2 };

/*
 * The object starts with this header (§4). The producer fills it in before it
 * posts the rendezvous semaphore; the consumer reads it only after its
 * sem_wait() on that semaphore returned, so it always sees it complete.
 */
struct ring_header {
    uint32_t magic;             /* RING_MAGIC: it is one of our rings */
    uint32_t slots;             /* number of slots */
    uint32_t chunk;             /* bytes of data per slot */
    uint32_t data_offset;       /* where slot 0's data starts */
    atomic_int quit;            /* QUIT_NONE, or who gave up */
    sem_t free_slots;           /* slots the producer may fill (starts at SLOTS) */
    sem_t full_slots;           /* slots the consumer may empty (starts at 0) */
    uint32_t len[];             /* bytes in each slot; 0 is the end of the stream */
};

/* Set by the SIGINT/SIGTERM handler: the signal's number. */
extern volatile sig_atomic_t ring_signal;
extern const char *ring_prog;

void ring_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void ring_syserr(const char *call);
int ring_parse_name(const char *s);
int ring_parse_long(const char *s, long min, long max, long *value);
int ring_catch_signals(void);
int ring_ignore_sigpipe(void);
int ring_wait(sem_t *sem);
int ring_write_all(int fd, const char *buf, size_t len);
int ring_remove_names(const char *name);

size_t ring_data_offset(uint32_t slots);
size_t ring_size(uint32_t slots, uint32_t chunk);

/* Slot i's data. */
static inline char *ring_slot(struct ring_header *ring, uint32_t i)
{
    return (char *)ring + ring->data_offset + (size_t)i * ring->chunk;
}

#endif
