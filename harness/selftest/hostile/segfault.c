/* Hostile submission: writes through a null pointer.
 * expect: killed by SIGSEGV */
int main(void)
{
    *(volatile int *) 0 = 1;
    return 0;
}
