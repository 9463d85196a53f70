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

/* reverse: the bytes of the argument in reverse order. */
int cb_reverse(const char *arg, char *result, size_t size)
{
    size_t len = strlen(arg);

    if (len >= size)
        len = size - 1;
    for (size_t i = 0; i < len; i++)
        result[i] = arg[len - 1 - i];
    result[len] = '\0';
    return 0;
}

/* square: the argument, a decimal integer with an optional '-', times
 * itself.  strtoll() alone would take more: leading blanks and a '+'. */
int cb_square(const char *arg, char *result, size_t size)
{
    char *end;
    long long n;
    const char *digits = arg[0] == '-' ? arg + 1 : arg;

    errno = 0;
    n = strtoll(arg, &end, 10);
    if (!isdigit((unsigned char)digits[0]) || end == arg || *end != '\0' || errno == ERANGE) {
        snprintf(result, size, "not an integer: '%s'", arg);
        return -1;
    }
    if (n > 3037000499LL || n < -3037000499LL) {    /* sqrt(LLONG_MAX) */
        snprintf(result, size, "the square of %lld is too large", n);
        return -1;
    }
    snprintf(result, size, "%lld", n * n);
    return 0;
}

/* length: the number of bytes of the argument. */
int cb_length(const char *arg, char *result, size_t size)
{
    snprintf(result, size, "%zu", strlen(arg));
    return 0;
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
