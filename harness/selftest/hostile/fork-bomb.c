/* Hostile submission: forks without end; every child forks too.
 * expect: a fork bomb? */
#include <unistd.h>

int main(void)
{
    for (;;)
        (void) fork();
}
