/* SPDX-License-Identifier: MIT
 * Internals of the store module shared between daemon/store/store.c, the migrations C file that
 * tools/embed-migrations.sh generates from migrations/NNNN_name.sql, and the unit tests.
 * Nothing here is for other modules.
 */
#ifndef PROJ_DAEMON_STORE_INT_H
#define PROJ_DAEMON_STORE_INT_H

#include <stddef.h>

/* One migration file. */
struct store__migration {
    int version;      /* NNNN of the file name; the array holds 1, 2, 3... in order */
    const char *name; /* the file name between NNNN_ and .sql */
    const char *sql;  /* the file's text, NUL-terminated; run with sqlite3_exec() */
};

/* All migrations, versions 1..store__migration_count; the generated file defines both. */
extern const struct store__migration store__migrations[];
extern const size_t store__migration_count;

#endif
