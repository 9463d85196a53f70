/* Hostile submission: leaves one object of every IPC kind behind: a System V
 * segment, semaphore set and message queue, a POSIX shared memory object,
 * semaphore and message queue, and a FIFO.  The POSIX names start with the
 * test's LAB_PREFIX (the grader exports it), so that another grading running
 * at the same time knows they are not its own.
 * expect: leaked IPC objects */
#include <fcntl.h>
#include <mqueue.h>
#include <sys/mman.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/sem.h>
#include <sys/shm.h>
#include <sys/stat.h>
#include <unistd.h>

int main(void)
{
    const char *prefix = getenv("LAB_PREFIX");
    char name[128];
    int fd;
    sem_t *sem;
    mqd_t mq;

    shmget(IPC_PRIVATE, 4096, IPC_CREAT | 0600);
    semget(IPC_PRIVATE, 1, IPC_CREAT | 0600);
    msgget(IPC_PRIVATE, IPC_CREAT | 0600);
    if (prefix == NULL)
        prefix = "hostile";
    snprintf(name, sizeof name, "/%s-hostile-shm-%ld", prefix, (long) getpid());
    fd = shm_open(name, O_CREAT | O_RDWR, 0600);
    if (fd != -1)
        close(fd);
    snprintf(name, sizeof name, "/%s-hostile-sem-%ld", prefix, (long) getpid());
    sem = sem_open(name, O_CREAT, 0600, 0);
    if (sem != SEM_FAILED)
        sem_close(sem);
    snprintf(name, sizeof name, "/%s-hostile-mq-%ld", prefix, (long) getpid());
    mq = mq_open(name, O_CREAT | O_RDONLY, 0600, NULL);
    if (mq != (mqd_t) -1)
        mq_close(mq);
    snprintf(name, sizeof name, "/tmp/%s-hostile-fifo-%ld", prefix, (long) getpid());
    mkfifo(name, 0600);
    return 0;
}
