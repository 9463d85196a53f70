/*
 * shm-attacher.c - for the self-test: holds one System V segment attached
 * until its standard input ends, so that the grader's handling of a segment
 * that outlives a check (lab_shm_wait_gone) can be tested without timing.
 *
 *     usage: shm-attacher [-m]
 *
 * Creates a 4096-byte IPC_PRIVATE segment, attaches it, and with -m marks it
 * for removal (IPC_RMID) at once.  Prints the shmid on a line, then reads its
 * standard input to end of file, detaches and exits: a marked segment goes
 * away then, an unmarked one stays (the caller removes it).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ipc.h>
#include <sys/shm.h>
#include <unistd.h>

static void die(const char *what)
{
    fprintf(stderr, "shm-attacher: %s: %s\n", what, strerror(errno));
    exit(EXIT_FAILURE);
}

int main(int argc, char *argv[])
{
    int mark = argc == 2 && strcmp(argv[1], "-m") == 0;
    char buf[256];
    void *addr;
    int shmid;

    if (argc > 2 || (argc == 2 && !mark)) {
        fputs("usage: shm-attacher [-m]\n", stderr);
        return 2;
    }
    shmid = shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    if (shmid == -1)
        die("shmget");
    addr = shmat(shmid, NULL, 0);
    if (addr == (void *) -1) {
        int saved = errno;
        shmctl(shmid, IPC_RMID, NULL); /* leave nothing behind */
        errno = saved;
        die("shmat");
    }
    if (mark && shmctl(shmid, IPC_RMID, NULL) == -1)
        die("shmctl(IPC_RMID)");
    if (printf("%d\n", shmid) < 0 || fflush(stdout) == EOF)
        die("write");
    /* Holds the attachment until the caller closes our input. */
    while (read(STDIN_FILENO, buf, sizeof buf) > 0)
        continue;
    if (shmdt(addr) == -1)
        die("shmdt");
    return EXIT_SUCCESS;
}
