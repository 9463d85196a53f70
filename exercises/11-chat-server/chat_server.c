/*
 * chat_server.c - a TCP chat room: one forked child per client, the clients'
 * buffers in one POSIX shared memory object, a socketpair between the parent
 * and each child, epoll in the parent, and signals turned into events through
 * a self-pipe.
 *
 *     usage: chat_server [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`.
 *
 * As it is, this program only says that it is not implemented. The functions
 * below are a suggested shape; every one may be reshaped, only the behaviour
 * in README.md is graded. Remove an __attribute__((unused)) once the function
 * is called.
 */
#define _GNU_SOURCE     /* accept4(), pipe2() */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#define PROG             "chat_server"
#define DEFAULT_ADDR     "127.0.0.1"    /* §2 */
#define DEFAULT_PORT     7878
#define DEFAULT_CLIENTS  16
#define MAX_CLIENTS      256
#define DEFAULT_SHM      "/ipclab-chat"
#define SLOT_SIZE        1024           /* §3: one client's slot in the shared object */
#define MAX_LINE         65536          /* §4: longest line relayed, newline included */

enum { EXIT_SYSERR = 1, EXIT_USAGE = 2 };  /* §6 */

/* §7: the messages on a socketpair (SOCK_SEQPACKET: one send() = one recv()). */
enum msg_type { MSG_CHUNK = 1, MSG_ACK, MSG_DELIVER, MSG_DONE };

struct chat_msg {
    uint32_t type;      /* enum msg_type */
    uint32_t slot;      /* DELIVER: whose slot to read */
    uint32_t len;       /* CHUNK, DELIVER: how many bytes of the slot */
    uint32_t last;      /* CHUNK: this chunk ends the line */
};

/* §6: the self-pipe; the parent's handler writes the signal number into [1]. */
__attribute__((unused)) static int sig_pipe[2] = { -1, -1 };

/* §6: set by the child's SIGTERM/SIGINT handler. */
__attribute__((unused)) static volatile sig_atomic_t child_stop;

/* ------------------------------------------------------------------------- */
/* Messages                                                                  */
/* ------------------------------------------------------------------------- */

/* "chat_server: CALL: strerror text" for a failed call (§8). */
__attribute__((unused))
static void syserr(const char *call)
{
    fprintf(stderr, "%s: %s: %s\n", PROG, call, strerror(errno));
}

/* The fixed usage line (§2). */
__attribute__((unused))
static void usage(void)
{
    fputs(PROG ": usage: " PROG " [-a ADDR] [-p PORT] [-m MAXCLIENTS] [-n SHMNAME]\n", stderr);
}

/*
 * TODO (§4, §6): write all len bytes of buf to fd; 0, or -1 with errno set.
 * send(..., MSG_NOSIGNAL) or write() may write less than asked: go on with
 * the rest. EINTR: try again, unless the child was asked to stop.
 */
__attribute__((unused))
static int write_all(int fd, const char *buf, size_t len)
{
    (void)fd;
    (void)buf;
    (void)len;
    errno = ENOSYS;
    return -1;
}

/* ------------------------------------------------------------------------- */
/* Command line                                                              */
/* ------------------------------------------------------------------------- */

struct options {
    struct in_addr addr;
    const char *addr_text;
    long port;
    long max_clients;
    const char *shm_name;
};

/*
 * TODO (§2): fill o from the command line, with the defaults above.
 * getopt(3) with ":a:p:m:n:" and opterr = 0; numbers digits only, in range
 * (PORT 0..65535, MAXCLIENTS 1..MAX_CLIENTS); SHMNAME "/name" without another
 * '/'; ADDR through inet_pton(AF_INET). Any error: a line saying what is
 * wrong, usage(), exit(EXIT_USAGE).
 */
__attribute__((unused))
static void parse_args(int argc, char *argv[], struct options *o)
{
    (void)argc;
    (void)argv;
    (void)o;
}

/* ------------------------------------------------------------------------- */
/* Signals                                                                   */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§6): the parent's handler for SIGCHLD, SIGTERM and SIGINT. Save errno,
 * write the signal number (one byte) to sig_pipe[1], restore errno. Nothing
 * else: no printf, no waitpid, no cleanup (signal-safety(7)).
 */
__attribute__((unused))
static void on_parent_signal(int sig)
{
    (void)sig;
}

/* TODO (§6): the child's handler for SIGTERM and SIGINT: child_stop = 1. */
__attribute__((unused))
static void on_child_signal(int sig)
{
    (void)sig;
}

/* ------------------------------------------------------------------------- */
/* The child: one client                                                     */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§4, §7): serve one client until it leaves, the parent closes the
 * socketpair, or child_stop is set.
 * - Read the client's socket into a private buffer of MAX_LINE bytes.
 * - When it holds a whole line: copy it into this child's slot (mine), at
 *   most SLOT_SIZE bytes at a time, and send CHUNK(len, last) to the parent;
 *   wait for DONE before the next chunk (the slot is being read).
 * - DELIVER(slot, len): write exactly len bytes of mem + slot * SLOT_SIZE to
 *   the client, then answer ACK.
 * - poll() the socketpair always, the client only when there is room and
 *   nothing waiting to be published.
 * - End of input: relay what is left (a last line gets its newline), return.
 */
__attribute__((unused))
static void run_child(int sock, int chan, const char *mem, char *mine)
{
    (void)sock;
    (void)chan;
    (void)mem;
    (void)mine;
}

/* ------------------------------------------------------------------------- */
/* The parent                                                                */
/* ------------------------------------------------------------------------- */

/*
 * TODO (§3, §5, §6, §7): the parent. A suggested split:
 * - set_up(): the shared object (shm_open O_CREAT|O_EXCL, ftruncate to
 *   max_clients * SLOT_SIZE, mmap MAP_SHARED, close), the self-pipe (pipe2
 *   O_NONBLOCK), the handlers (sigaction; SIGPIPE ignored), the listening
 *   socket (SO_REUSEADDR, bind, listen), epoll; then the readiness line
 *   "chat_server: listening on ADDR:PORT".
 * - on_accept(): a free slot, or the "server full" line and close; else
 *   socketpair(AF_UNIX, SOCK_SEQPACKET), fork; the child closes everything it
 *   does not use (§3) and runs run_child(), then _exit(); the parent adds its
 *   end to epoll and logs "client N joined".
 * - on_channel(): CHUNK -> the floor (DELIVER to every other child), ACK ->
 *   count down, then DONE to the sender (§7).
 * - SIGCHLD -> waitpid(-1, ..., WNOHANG) in a loop, "client N left";
 *   SIGTERM/SIGINT -> shut down (§6): close the listening socket, send every
 *   child SIGTERM (a child blocked writing to its client sees nothing else),
 *   reap them all, then munmap, shm_unlink, exit 0.
 */

int main(int argc, char *argv[])
{
    (void)argc;
    (void)argv;
    fputs(PROG ": not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
