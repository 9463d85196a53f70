/* Hostile submission: forges the grader's results stream instead of doing
 * the work.  It walks up its ancestors (/proc/PID/stat), and for each one
 * opens the pipes among its standard output and bats' fd 3 through
 * /proc/PID/fd/N, the way a same-uid process may.  Into each it writes an
 * "ok N NAME in 1ms" line for every test of the exercise's bats file, then
 * a stray byte without a newline, so that the real "not ok" line that bats
 * writes next no longer parses.  Then it exits 0 without reading its input.
 *
 * As root the grader runs it under a uid of its own, so every open fails
 * (EACCES) and it simply scores 0; graded by an unprivileged user, the
 * forged lines reach the stream and the grader must see that they do not
 * fit bats' own sequence.
 * expect-as-root: wrote into 0 of the grader's pipes
 * expect-as-user: the results stream was tampered with */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The parent of PID, from /proc/PID/stat (after the command's ")"). */
static long
parent_of(long pid)
{
    char path[64], text[1024];
    FILE *f;
    size_t n;

    snprintf(path, sizeof path, "/proc/%ld/stat", pid);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    char *end = strrchr(text, ')');
    long ppid = 0;
    if (end == NULL || sscanf(end + 1, " %*c %ld", &ppid) != 1)
        return 0;
    return ppid;
}

/* Every test name of the bats file, as "ok N NAME in 1ms" lines. */
static size_t
forged_lines(char *buf, size_t size)
{
    const char *harness = getenv("LAB_HARNESS"), *ex = getenv("LAB_EXERCISE");
    char path[4096], line[4096];
    size_t len = 0;
    int number = 0;
    FILE *f;

    if (harness == NULL || ex == NULL)
        return 0;
    snprintf(path, sizeof path, "%s/tests/%s.bats", harness, ex);
    if ((f = fopen(path, "r")) == NULL)
        return 0;
    while (fgets(line, sizeof line, f) != NULL) {
        char *end;
        if (strncmp(line, "@test \"", 7) != 0 || (end = strstr(line, "\" {")) == NULL)
            continue;
        *end = '\0';
        int n = snprintf(buf + len, size - len, "ok %d %s in 1ms\n", ++number, line + 7);
        if (n < 0 || (size_t) n >= size - len)
            break;
        len += (size_t) n;
    }
    fclose(f);
    return len;
}

int
main(void)
{
    static char lines[65536];
    size_t len = forged_lines(lines, sizeof lines - 1);
    int reached = 0;

    lines[len++] = 'X';                 /* the stray byte */
    for (long pid = parent_of(getpid()); pid > 1; pid = parent_of(pid)) {
        static const int fds[] = { 1, 3 };
        for (size_t i = 0; i < sizeof fds / sizeof fds[0]; i++) {
            char path[64], target[256];
            ssize_t n;
            snprintf(path, sizeof path, "/proc/%ld/fd/%d", pid, fds[i]);
            n = readlink(path, target, sizeof target - 1);
            if (n <= 0)
                continue;
            target[n] = '\0';
            if (strncmp(target, "pipe:", 5) != 0)
                continue;
            int fd = open(path, O_WRONLY | O_NONBLOCK);
            if (fd == -1)
                continue;
            if (write(fd, lines, len) == (ssize_t) len)
                reached++;
            close(fd);
        }
    }
    fprintf(stderr, "forge-stream: wrote into %d of the grader's pipes\n", reached);
    return 0;
}
