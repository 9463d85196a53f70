/*
 * posix_lab.h - what posix_server and posix_client agree on: the names of the
 * IPC objects, the layout of the connection area, the limits.
 *
 * See exercises/09-posix-server/README.md, §3 and §4.
 */
#ifndef POSIX_LAB_H
#define POSIX_LAB_H

#include <sys/types.h>

#define DEFAULT_PREFIX  "/ipclab-srv"

/* The longest PREFIX: "PREFIX-PID-resp" must stay below NAME_MAX (255). */
#define PREFIX_MAX      200

/* Room for one IPC name, its '\0' included. */
#define NAME_SIZE       256

/* Every message queue of a client: at most 10 messages of at most 256 bytes
 * (10 is the default limit /proc/sys/fs/mqueue/msg_max for a user). */
#define QUEUE_MAXMSG    10
#define MESSAGE_MAX     256

/* How often a handler (or a client) that waits on a queue looks whether the
 * process at the other end still lives: kill(pid, 0). */
#define LIVENESS_SECONDS 1

/*
 * The connection area: the POSIX shared memory object PREFIX holds exactly
 * one of these (its size is sizeof(struct conn_area)). A client fills it in
 * while it owns the area (it took the semaphore PREFIX-ready), then posts
 * PREFIX-conn; the server copies it, clears it, starts a handler with the
 * copy and posts PREFIX-ready again.
 */
struct conn_area {
    pid_t client_pid;               /* the client, for kill(pid, 0) */
    char req_name[NAME_SIZE];       /* its request queue:  PREFIX-PID-req */
    char resp_name[NAME_SIZE];      /* its response queue: PREFIX-PID-resp */
};

#endif
