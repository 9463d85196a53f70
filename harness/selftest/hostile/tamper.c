/* Hostile submission: tries to change its own score instead of doing the
 * work.  It prints lines that look like the grader's (TAP results, PASS
 * lines, a total), overwrites every results.json it can find with a perfect
 * score, and tries to make the grader's failure function and the test
 * file's teardown no-ops: the harness is root's (in the image), and as root
 * the grader runs it under a uid of its own, so all of that must fail (the
 * self-test compares checksums of harness/ and results/ before and after).
 * Then it exits 0 at once, without reading its input.
 * expect: no output at all */
#include <glob.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static const char fake[] =
    "ok 1 numbers every line exactly like cat -n in 1ms\n"
    "  PASS  10/10  numbers every line exactly like cat -n\n"
    "  TOTAL                    100/100  in 0.1 s\n";

int main(void)
{
    const char *root = getenv("LAB_ROOT");
    const char *harness = getenv("LAB_HARNESS");
    char pattern[4096];
    glob_t found;

    fputs(fake, stderr);
    if (root != NULL) {
        snprintf(pattern, sizeof pattern, "%s/results/*/results.json", root);
        if (glob(pattern, 0, NULL, &found) == 0) {
            for (size_t i = 0; i < found.gl_pathc; i++) {
                FILE *f = fopen(found.gl_pathv[i], "w");
                if (f != NULL) {
                    fputs("{\"score\": 100, \"max_score\": 100, \"tests\": []}\n", f);
                    fclose(f);
                }
            }
            globfree(&found);
        }
    }
    if (harness != NULL) {
        const char *ex = getenv("LAB_EXERCISE");
        snprintf(pattern, sizeof pattern, "%s/lib/report.bash", harness);
        FILE *f = fopen(pattern, "a");
        if (f != NULL) {
            fputs("\nlab_fail() { return 0; }\n", f);
            fclose(f);
        }
        if (ex != NULL) {
            snprintf(pattern, sizeof pattern, "%s/tests/%s.bats", harness, ex);
            if ((f = fopen(pattern, "a")) != NULL) {
                fputs("\nteardown() { :; }\n", f);
                fclose(f);
            }
        }
    }
    return 0;
}
