/*
 * plugin.c - the callbacks the server can run, built into libplugin.so:
 *
 *     gcc -fPIC -shared -o libplugin.so plugin.c
 *
 * Each callback NAME is exported as the function cb_NAME (callbacks.h): the
 * server looks it up with dlsym(handle, "cb_NAME"). Everything else is static,
 * so no other symbol of this file can be called by name.
 *
 * A callback reads the NUL-terminated arg and writes a NUL-terminated text of
 * at most size bytes into result; it returns 0, or -1 with an error message in
 * result. It runs in the server's process, so getpid() is the server's pid.
 *
 * whoami, upper and address are written; reverse, square and length are yours
 * (README.md §5).
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "callbacks.h"

/* The declarations check that every callback has the type the server calls. */
cb_func cb_whoami, cb_upper, cb_reverse, cb_square, cb_length, cb_address;

/* whoami: the pid of the process that runs the callback (the argument is ignored). */
int cb_whoami(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "%ld", (long)getpid());
    return 0;
}

/* upper: the argument with the letters a-z turned into A-Z. */
int cb_upper(const char *arg, char *result, size_t size)
{
    size_t i;

    for (i = 0; arg[i] != '\0' && i + 1 < size; i++)
        result[i] = (char)toupper((unsigned char)arg[i]);
    result[i] = '\0';
    return 0;
}

/*
 * TODO (§5): reverse: the bytes of the argument in reverse order.
 */
int cb_reverse(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "not implemented");
    return -1;
}

/*
 * TODO (§5): square: the argument, a decimal integer with an optional '-',
 * times itself. Anything else: "not an integer: 'ARG'", return -1. A square
 * above LLONG_MAX: an error too.
 */
int cb_square(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "not implemented");
    return -1;
}

/*
 * TODO (§5): length: the number of bytes of the argument, in decimal.
 */
int cb_length(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "not implemented");
    return -1;
}

/*
 * address: where this very function is in the process that runs it, as %p
 * prints it. With address space layout randomisation (ASLR) the library is
 * loaded at another address in every process: that is why a client can send
 * the name "address", and never the address itself.
 */
int cb_address(const char *arg, char *result, size_t size)
{
    (void)arg;
    snprintf(result, size, "%p", (void *)cb_address);
    return 0;
}
