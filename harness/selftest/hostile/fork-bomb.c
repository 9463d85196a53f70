/* Hostile submission: forks without end; every child forks too.
 * expect: did not finish within */
#include <unistd.h>

int main(void)
{
    for (;;)
        (void) fork();
}
