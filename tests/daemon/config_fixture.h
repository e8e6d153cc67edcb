/* SPDX-License-Identifier: MIT
 * What the config parser's unit tests share: a fresh /tmp directory per test, the config
 * file's path in it, and load(), which writes a text there and runs config_load() on it.
 */
#ifndef PROJ_TESTS_DAEMON_CONFIG_FIXTURE_H
#define PROJ_TESTS_DAEMON_CONFIG_FIXTURE_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>

#include <cmocka.h>

#include "config/config.h"

struct fixture {
    char dir[64];
    char path[96];
    struct config cfg;
    char err[CONFIG_ERR_LEN];
};

static inline int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));

    if (f == NULL) {
        return -1;
    }
    (void)snprintf(f->dir, sizeof(f->dir), "/tmp/test_config.XXXXXX");
    if (mkdtemp(f->dir) == NULL) {
        free(f);
        return -1;
    }
    (void)snprintf(f->path, sizeof(f->path), "%s/tinyfleetd.conf", f->dir);
    *state = f;
    return 0;
}

/* Removes the directory with whatever a test put in it besides the config file. */
static inline int teardown(void **state)
{
    struct fixture *f = *state;
    char cmd[128];

    (void)snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

static inline void write_file(const struct fixture *f, const char *text)
{
    FILE *fp = fopen(f->path, "w");

    assert_non_null(fp);
    assert_int_equal(fputs(text, fp) >= 0, 1);
    assert_int_equal(fclose(fp), 0);
}

static inline int load(struct fixture *f, const char *text)
{
    write_file(f, text);
    f->err[0] = '\0';
    return config_load(f->path, &f->cfg, f->err, sizeof(f->err));
}

#endif
