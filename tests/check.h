/* SPDX-License-Identifier: MIT
 * The check harness of the plain-C nodefw tests (those that are not cmocka runners): CHECK
 * counts a result and reports a failure with its place; check_finish() prints the summary
 * line tools/run-units.sh style scripts read, "NAME: X passed, Y failed", and gives the
 * exit status. One test program per file, so the counters can be file-static.
 */
#ifndef PROJ_TESTS_NODEFW_CHECK_H
#define PROJ_TESTS_NODEFW_CHECK_H

#include <stdio.h>

static int passed;
static int failed;

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (cond) {                                                                                \
            passed++;                                                                              \
        } else {                                                                                   \
            failed++;                                                                              \
            printf("FAIL %s:%d: ", __FILE__, __LINE__);                                            \
            printf(__VA_ARGS__);                                                                   \
            printf("\n");                                                                          \
        }                                                                                          \
    } while (0)

/* check_finish() - the summary line; Return: the exit status, 0 when nothing failed. */
static inline int check_finish(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, passed, failed);
    return failed != 0;
}

#endif
