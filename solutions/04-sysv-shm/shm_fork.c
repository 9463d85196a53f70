/*
 * shm_fork.c - a parent passes COUNT messages to its child through a System V
 * shared memory segment created with IPC_PRIVATE before fork(); the child
 * prints each one. The two take turns with signals: SIGUSR1 "there is a
 * message for you", SIGUSR2 "I have read it".
 *
 *     usage: shm_fork [-n COUNT]
 *
 * See exercises/04-sysv-shm/README.md for the full statement (§3 for this
 * program).
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "shm_lab.h"

const char *const prog = "shm_fork";

static void usage_error(const char *what, const char *arg)
{
    msg(what, arg);
    fputs("usage: shm_fork [-n COUNT]\n", stderr);
    exit(EXIT_USAGE);
}

static long parse_args(int argc, char *argv[])
{
    long count = DEFAULT_COUNT;
    char opt_text[3] = "-?";
    int opt;

    opterr = 0;     /* our own messages */
    while ((opt = getopt(argc, argv, ":n:")) != -1) {
        switch (opt) {
        case 'n':
            if (!parse_count(optarg, &count))
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
    return count;
}

/* ------------------------------------------------------------------------- */
/* The child: print every message                                            */
/* ------------------------------------------------------------------------- */

static int run_child(struct shm_channel *ch, pid_t parent, const sigset_t *waitmask)
{
    char text[SHM_TEXT_MAX];
    int status = EXIT_SUCCESS;

    /* The segment was attached by the parent and fork() attached it here too
     * (nattch went from 1 to 2): the child has nothing to get or attach. */
    for (;;) {
        if (wait_for_turn(waitmask) != 0) { /* a SIGCHLD: we have no child */
            status = EXIT_SYSERR;
            break;
        }
        if (ch->kind == KIND_END)
            break;
        /* Copy first: once we signal, the buffer is the parent's again. */
        memcpy(text, ch->text, sizeof text);
        text[sizeof text - 1] = '\0';
        if (printf("%s\n", text) < 0) {
            syserr("write");
            status = EXIT_SYSERR;
            break;
        }
        if (kill(parent, SIGUSR2) == -1) {
            syserr("kill");
            status = EXIT_SYSERR;
            break;
        }
    }
    if (fflush(stdout) == EOF && status == EXIT_SUCCESS) {
        syserr("write");
        status = EXIT_SYSERR;
    }
    if (shmdt(ch) == -1) {
        syserr("shmdt");
        status = EXIT_SYSERR;
    }
    return status;
}

/* ------------------------------------------------------------------------- */
/* The parent: write every message, then wait                               */
/* ------------------------------------------------------------------------- */

/* Returns 0 once the child has read all count messages, -1 if it ended early. */
static int send_messages(struct shm_channel *ch, pid_t child, long count,
                         const sigset_t *waitmask)
{
    long i;

    for (i = 1; i <= count; i++) {
        snprintf(ch->text, sizeof ch->text, "message %ld", i);
        ch->kind = KIND_TEXT;
        if (kill(child, SIGUSR1) == -1) {
            syserr("kill");
            return -1;
        }
        /* SIGCHLD counts as "stop": a child that dies does not leave us
         * waiting for a SIGUSR2 that will never come. */
        if (wait_for_turn(waitmask) != 0) {
            msg("the child ended before message %ld was read", i);
            return -1;
        }
    }
    ch->kind = KIND_END;
    if (kill(child, SIGUSR1) == -1) {
        syserr("kill");
        return -1;
    }
    return 0;
}

static int wait_for_child(pid_t child)
{
    int wstatus;

    while (waitpid(child, &wstatus, 0) == -1) {
        if (errno != EINTR) {
            syserr("waitpid");
            return EXIT_SYSERR;
        }
    }
    if (WIFEXITED(wstatus))
        return WEXITSTATUS(wstatus) == 0 ? EXIT_SUCCESS : EXIT_SYSERR;
    msg("the child was killed by signal %d", WTERMSIG(wstatus));
    return EXIT_SYSERR;
}

int main(int argc, char *argv[])
{
    static const int signals[] = { SIGUSR1, SIGUSR2, SIGCHLD };
    long count = parse_args(argc, argv);
    struct shm_channel *ch;
    sigset_t waitmask;
    int shmid, status;
    pid_t parent, child;

    /* Before fork(): the child inherits the handlers and the blocked mask, so
     * a SIGUSR1 that comes before it is ready stays pending (§5). */
    if (block_signals(signals, sizeof signals / sizeof signals[0], &waitmask) == -1)
        exit(EXIT_SYSERR);

    /* IPC_PRIVATE: a new segment no other process can find by key; only the
     * processes that inherit its attachment (our child) share it. */
    shmid = shmget(IPC_PRIVATE, SHM_SIZE, IPC_CREAT | 0600);
    if (shmid == -1) {
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
    /*
     * Mark it for removal at once (§3). An attached segment stays usable,
     * fork() still attaches it in the child, and the kernel destroys it when
     * the last process detaches or exits. From here on no exit path, not even
     * SIGKILL, can leave it behind, and there is nothing to clean up on
     * SIGINT or SIGTERM.
     */
    if (shmctl(shmid, IPC_RMID, NULL) == -1) {
        syserr("shmctl(IPC_RMID)");
        shmdt(ch);
        exit(EXIT_SYSERR);
    }

    /* Line-buffered: each message is one write(), visible as soon as read. */
    setvbuf(stdout, NULL, _IOLBF, 0);
    parent = getpid();
    child = fork();
    if (child == -1) {
        syserr("fork");
        shmdt(ch);
        exit(EXIT_SYSERR);
    }
    if (child == 0)
        _exit(run_child(ch, parent, &waitmask));

    status = send_messages(ch, child, count, &waitmask) == 0 ? EXIT_SUCCESS : EXIT_SYSERR;
    if (shmdt(ch) == -1) {
        syserr("shmdt");
        status = EXIT_SYSERR;
    }
    if (wait_for_child(child) != EXIT_SUCCESS)
        status = EXIT_SYSERR;
    return status;
}
