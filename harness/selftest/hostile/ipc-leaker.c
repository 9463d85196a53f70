/* Hostile submission: leaves one object of every IPC kind behind: a System V
 * segment, semaphore set and message queue, a POSIX shared memory object,
 * semaphore and message queue, and a FIFO.
 * expect: leaked IPC objects */
#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <semaphore.h>
#include <stdio.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    char name[64];
    int fd;
    sem_t *sem;
    mqd_t mq;

    shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    snprintf(name, sizeof name, "/hostile-shm-%ld", (long) getpid());
    fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd != -1)
        close(fd);
    snprintf(name, sizeof name, "/hostile-sem-%ld", (long) getpid());
    sem = sem_open(name, O_CREAT, 0600, 0);
    if (sem != SEM_FAILED)
        sem_close(sem);
    snprintf(name, sizeof name, "/hostile-mq-%ld", (long) getpid());
    mq = mq_open(name, O_CREAT | O_RDONLY, 0600, NULL);
    if (mq != (mqd_t) -1)
        mq_close(mq);
    snprintf(name, sizeof name, "/tmp/hostile-fifo-%ld", (long) getpid());
    mkfifo(name, 0600);
    return 0;
}
