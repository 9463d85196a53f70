/*
 * shm_server.c - create a System V shared memory segment whose key is
 * ftok(PATH, 'S'), wait for one shm_client, and exchange COUNT messages with
 * it, one at a time, each side signalling the other.
 *
 *     usage: shm_server [-p PATH] [-n COUNT]
 *
 * The statement is README.md in this folder: the "§N" in the TODO comments
 * below are its sections. Hints: HINTS.md, or `make hint`. The segment's
 * layout and the shared helpers are in shm_lab.h and shm_common.c.
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

const char *const prog = "shm_server";

int main(int argc, char *argv[])
{
    /*
     * TODO (§4, §5, §6): replace the lines below with the program:
     *   1. parse -p PATH and -n COUNT (§2);
     *   2. key = ftok(PATH, SHM_PROJ_ID) (§7 for the error message);
     *   3. block_signals() for SIGUSR2, SIGINT, SIGTERM;
     *   4. shmget(key, SHM_SIZE, IPC_CREAT | IPC_EXCL | 0600): EEXIST is
     *      another server's segment: say so and touch nothing (§4);
     *   5. shmat(), write server_pid, print the ready line (§4);
     *   6. wait for the client's hello, then the conversation (§4, §5);
     *   7. on every way out (§6): shmdt() and shmctl(IPC_RMID).
     */
    (void)argc;
    (void)argv;
    fputs("shm_server: not implemented yet (see README.md)\n", stderr);
    return EXIT_SYSERR;
}
