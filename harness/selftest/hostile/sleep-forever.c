/* Hostile submission: makes a pipe, forks a child that holds both ends and
 * sleeps, and sleeps itself; a grandchild escapes into a session of its own.
 * expect: blocked in pause() */
#include <unistd.h>

int main(void)
{
    int fd[2];

    if (pipe(fd) == -1)
        return 1;
    if (fork() == 0) {
        if (fork() == 0) {
            setsid();
            for (;;)
                pause();
        }
        for (;;)
            pause();
    }
    for (;;)
        pause();
}
