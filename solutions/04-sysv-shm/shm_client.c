/*
 * shm_client.c - find the segment of a running shm_server through
 * ftok(PATH, 'S'), write our pid next to the server's, and answer every
 * message: print it, write "ack " + the message back, signal the server.
 *
 *     usage: shm_client [-p PATH]
 *
 * SIGINT or SIGTERM end it at any moment: it tells the server, detaches and
 * exits 128 + the signal's number.
 *
 * See exercises/04-sysv-shm/README.md for the full statement (§4 to §7).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <unistd.h>

#include "shm_lab.h"

const char *const prog = "shm_client";

static void usage_error(const char *what, const char *arg)
{
    msg(what, arg);
    fputs("usage: shm_client [-p PATH]\n", stderr);
    exit(EXIT_USAGE);
}

static const char *parse_args(int argc, char *argv[])
{
    const char *path = SHM_DEFAULT_PATH;
    char opt_text[3] = "-?";
    int opt;

    opterr = 0;
    while ((opt = getopt(argc, argv, ":p:")) != -1) {
        switch (opt) {
        case 'p':
            if (optarg[0] == '\0')
                usage_error("the path must not be empty%s", "");
            path = optarg;
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
    return path;
}

/* Finds and attaches the server's segment; NULL after a message. */
static struct shm_channel *attach(const char *path)
{
    struct shm_channel *ch;
    key_t key;
    int shmid;

    key = ftok(path, SHM_PROJ_ID);
    if (key == -1) {
        msg("ftok: %s: %s", path, strerror(errno));
        return NULL;
    }
    /* Size 0 and no IPC_CREAT: open what exists, never create. A client that
     * created the segment would wait for a server that is not there, and
     * leave the segment behind. */
    shmid = shmget(key, 0, 0);
    if (shmid == -1) {
        if (errno == ENOENT)
            msg("no server on %s (no segment with key 0x%08x)", path, (unsigned)key);
        else
            syserr("shmget");
        return NULL;
    }
    ch = shmat(shmid, NULL, 0);
    if (ch == (void *)-1) {
        syserr("shmat");
        return NULL;
    }
    return ch;
}

/*
 * Claims the segment: writes our pid where there was 0, in one atomic step,
 * so that of two clients started together only one gets it.
 */
static int claim(struct shm_channel *ch, pid_t *server)
{
    pid_t expected = 0;

    *server = ch->server_pid;
    if (*server == 0) {     /* it has just created the segment: not ready yet */
        msg("the server is not ready yet");
        return -1;
    }
    if (!__atomic_compare_exchange_n(&ch->client_pid, &expected, getpid(), false,
                                     __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST)) {
        msg("the server already has a client (pid %ld)", (long)expected);
        return -1;
    }
    return 0;
}

int main(int argc, char *argv[])
{
    static const int signals[] = { SIGUSR1, SIGINT, SIGTERM };
    const char *path = parse_args(argc, argv);
    char text[SHM_TEXT_MAX];
    struct shm_channel *ch;
    int status = EXIT_SYSERR, stop = 0;
    sigset_t waitmask;
    pid_t server;

    /* Blocked before the server can know our pid: its first SIGUSR1 may come
     * at any moment after our hello, and must wait for our sigsuspend(). */
    if (block_signals(signals, sizeof signals / sizeof signals[0], &waitmask) == -1)
        exit(EXIT_SYSERR);
    ch = attach(path);
    if (ch == NULL)
        exit(EXIT_SYSERR);
    if (claim(ch, &server) == -1) {
        if (shmdt(ch) == -1)
            syserr("shmdt");
        exit(EXIT_SYSERR);
    }
    setvbuf(stdout, NULL, _IOLBF, 0);

    /* Hello: our pid is in the segment. */
    if (kill(server, SIGUSR2) == -1) {
        if (errno == ESRCH)     /* it died and left its segment behind */
            msg("the server has quit");
        else
            syserr("kill");
        if (shmdt(ch) == -1)
            syserr("shmdt");
        exit(EXIT_SYSERR);
    }

    for (;;) {
        stop = wait_for_turn(&waitmask);
        if (stop != 0) {
            msg("interrupted by %s", signal_name(stop));
            /* Tell the server, or it would wait forever for a SIGUSR2. */
            ch->client_quit = 1;
            if (kill(server, SIGUSR2) == -1 && errno != ESRCH)
                syserr("kill");
            break;
        }
        if (ch->server_quit) {
            msg("the server has quit");
            break;
        }
        if (ch->kind == KIND_END) {
            status = EXIT_SUCCESS;
            break;
        }
        memcpy(text, ch->text, sizeof text);
        text[sizeof text - 1] = '\0';
        if (printf("%s\n", text) < 0) {
            syserr("write");
            ch->client_quit = 1;
            if (kill(server, SIGUSR2) == -1 && errno != ESRCH)
                syserr("kill");
            break;
        }
        /* The answer fits: the server's messages are short. %.*s says so to
         * the compiler, and cuts a message that would not fit. */
        snprintf(ch->text, sizeof ch->text, "ack %.*s", (int)sizeof ch->text - 5, text);
        if (kill(server, SIGUSR2) == -1) {
            /* ESRCH: it was interrupted and has exited already. */
            if (errno == ESRCH)
                msg("the server has quit");
            else
                syserr("kill");
            break;
        }
    }

    if (fflush(stdout) == EOF && status == EXIT_SUCCESS) {
        syserr("write");
        status = EXIT_SYSERR;
    }
    /* Detach; the server removes the segment (it created it). */
    if (shmdt(ch) == -1) {
        syserr("shmdt");
        status = EXIT_SYSERR;
    }
    /* After a normal end, the last SIGUSR2 says "detached": the server waits
     * for it before it removes the segment. */
    if (status == EXIT_SUCCESS && kill(server, SIGUSR2) == -1) {
        syserr("kill");
        status = EXIT_SYSERR;
    }
    return stop != 0 ? 128 + stop : status;
}
