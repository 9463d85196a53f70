/* Hostile submission: spins forever without reading its input.
 * expect: did not finish within */
int main(void)
{
    for (volatile unsigned long n = 0;; n++)
        continue;
}
