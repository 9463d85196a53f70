/* Hostile submission: writes 100 MB to stdout, then 100 MB to stderr.
 * expect: SIGXFSZ */
#include <string.h>
#include <unistd.h>

int main(void)
{
    static char block[1 << 20];

    memset(block, 'x', sizeof block);
    for (int fd = 1; fd <= 2; fd++)
        for (int i = 0; i < 100; i++)
            if (write(fd, block, sizeof block) < 0)
                break;
    return 0;
}
