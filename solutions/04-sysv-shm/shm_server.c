/*
 * shm_server.c - create a System V shared memory segment whose key is
 * ftok(PATH, 'S'), wait for one shm_client, and exchange COUNT messages with
 * it, one at a time: the server writes "message I" and sends SIGUSR1, the
 * client prints it, writes "ack message I" and sends SIGUSR2, the server
 * prints that. Then the server removes the segment.
 *
 *     usage: shm_server [-p PATH] [-n COUNT]
 *
 * SIGINT or SIGTERM end it at any moment: it tells the client, removes the
 * segment and exits 128 + the signal's number.
 *
 * See exercises/04-sysv-shm/README.md for the full statement (§4 to §7).
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <unistd.h>

#include "shm_lab.h"

const char *const prog = "shm_server";

struct options {
    const char *path;
    long count;
};

static void usage_error(const char *what, const char *arg)
{
    msg(what, arg);
    fputs("usage: shm_server [-p PATH] [-n COUNT]\n", stderr);
    exit(EXIT_USAGE);
}

static struct options parse_args(int argc, char *argv[])
{
    struct options o = { .path = SHM_DEFAULT_PATH, .count = DEFAULT_COUNT };
    char opt_text[3] = "-?";
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":p:n:")) != -1) {
        switch (opt) {
        case 'p':
            if (optarg[0] == '\0')
                usage_error("the path must not be empty%s", "");
            o.path = optarg;
            break;
        case 'n':
            if (!parse_count(optarg, &o.count))
                usage_error("invalid count '%s' (expected an integer from 1 to 1000000)", optarg);
            break;
        case ':':
            opt_text[1] = (char)optopt;
            usage_error("option %s needs an argument", opt_text);
            break;
        default:
            opt_text[1] = (char)optopt;
            usage_error("unknown option %s", optopt ? opt_text : argv[optind - 1]);
        }
    }
    if (optind < argc)
        usage_error("unexpected operand '%s'", argv[optind]);
    return o;
}

/* ------------------------------------------------------------------------- */
/* The conversation                                                          */
/* ------------------------------------------------------------------------- */

enum outcome { DONE, CLIENT_QUIT, FAILED };

/* The client's pid, once it has claimed the segment and said hello. */
static int wait_for_client(struct shm_channel *ch, const sigset_t *waitmask, pid_t *client)
{
    int sig;

    /* A SIGUSR2 from anyone but a client that has written its pid is not a
     * hello: wait on. */
    do {
        sig = wait_for_turn(waitmask);
        if (sig != 0)
            return sig;
    } while (ch->client_pid == 0);
    *client = ch->client_pid;
    return 0;
}

static enum outcome converse(struct shm_channel *ch, pid_t client, long count,
                             const sigset_t *waitmask, int *stop)
{
    long i;

    for (i = 1; i <= count; i++) {
        snprintf(ch->text, sizeof ch->text, "message %ld", i);
        ch->kind = KIND_TEXT;
        if (kill(client, SIGUSR1) == -1) {
            if (errno == ESRCH)     /* it quit and has exited already */
                return CLIENT_QUIT;
            syserr("kill");
            return FAILED;
        }
        *stop = wait_for_turn(waitmask);
        if (*stop != 0)
            return FAILED;
        if (ch->client_quit)
            return CLIENT_QUIT;
        ch->text[sizeof ch->text - 1] = '\0';
        if (printf("%s\n", ch->text) < 0) {
            syserr("write");
            return FAILED;
        }
    }
    /* The end: the client detaches, then answers one last SIGUSR2. Waiting for
     * it makes nattch go 2 -> 1 -> 0 in order (§4). */
    ch->kind = KIND_END;
    if (kill(client, SIGUSR1) == -1) {
        if (errno == ESRCH)
            return CLIENT_QUIT;
        syserr("kill");
        return FAILED;
    }
    *stop = wait_for_turn(waitmask);
    if (*stop != 0)
        return FAILED;
    return ch->client_quit ? CLIENT_QUIT : DONE;
}

int main(int argc, char *argv[])
{
    static const int signals[] = { SIGUSR2, SIGINT, SIGTERM };
    struct options o = parse_args(argc, argv);
    struct shm_channel *ch;
    enum outcome outcome = FAILED;
    sigset_t waitmask;
    pid_t client = 0;
    int shmid, stop = 0, status;
    key_t key;

    /* ftok() turns an existing file into a key: the inode and device numbers
     * of PATH plus our project id. Every process using the same PATH gets the
     * same key, which is how an unrelated client finds the segment. */
    key = ftok(o.path, SHM_PROJ_ID);
    if (key == -1) {
        msg("ftok: %s: %s", o.path, strerror(errno));
        exit(EXIT_SYSERR);
    }

    /* Blocked before the segment exists: a client can only signal us after it
     * has found it, and that SIGUSR2 then waits for our sigsuspend(). So do
     * SIGINT and SIGTERM, which are handled in the same place. */
    if (block_signals(signals, sizeof signals / sizeof signals[0], &waitmask) == -1)
        exit(EXIT_SYSERR);

    /*
     * IPC_EXCL: create it or fail, never open someone else's. Without it a
     * second server would attach to the first one's segment, overwrite its
     * pid, and remove it when done. When it exists, we say so and touch
     * nothing: it is not ours to remove (§4).
     */
    shmid = shmget(key, SHM_SIZE, IPC_CREAT | IPC_EXCL | 0600);
    if (shmid == -1) {
        if (errno == EEXIST)
            msg("key 0x%08x is in use: is another shm_server running on %s?",
                (unsigned)key, o.path);
        else
            syserr("shmget");
        exit(EXIT_SYSERR);
    }
    ch = shmat(shmid, NULL, 0);
    if (ch == (void *)-1) {
        syserr("shmat");
        if (shmctl(shmid, IPC_RMID, NULL) == -1)
            syserr("shmctl(IPC_RMID)");
        exit(EXIT_SYSERR);
    }

    /* Our pid first, then the ready line: a client that starts after the line
     * finds the pid it must signal. */
    ch->server_pid = getpid();
    msg("segment %d ready, key 0x%08x", shmid, (unsigned)key);
    setvbuf(stdout, NULL, _IOLBF, 0);

    stop = wait_for_client(ch, &waitmask, &client);
    if (stop == 0)
        outcome = converse(ch, client, o.count, &waitmask, &stop);

    if (stop != 0) {
        msg("interrupted by %s", signal_name(stop));
        if (client == 0)        /* a hello may have come with the stop signal */
            client = ch->client_pid;
        if (client != 0) {
            /* Tell the client, or it would wait forever for a SIGUSR1. */
            ch->server_quit = 1;
            if (kill(client, SIGUSR1) == -1 && errno != ESRCH)
                syserr("kill");
        }
    } else if (outcome == CLIENT_QUIT) {
        msg("the client has quit");
    }
    if (fflush(stdout) == EOF) {
        syserr("write");
        outcome = FAILED;
    }

    /* On every path: detach, then remove. The creator removes the segment; a
     * segment nobody removes lives until reboot (ipcs -m shows it). */
    if (shmdt(ch) == -1) {
        syserr("shmdt");
        outcome = FAILED;
    }
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        syserr("shmctl(IPC_RMID)");
        outcome = FAILED;
    }

    if (stop != 0)
        status = 128 + stop;
    else
        status = outcome == DONE ? EXIT_SUCCESS : EXIT_SYSERR;
    return status;
}
