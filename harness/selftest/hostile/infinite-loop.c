/* Hostile submission: spins forever without reading its input.
 * expect: busy: */
int main(void)
{
    for (volatile unsigned long n = 0;; n++)
        continue;
}
