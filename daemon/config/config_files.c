/* SPDX-License-Identifier: MIT
 * config_check_files(): what the configuration names on disk, checked before the daemon
 * relies on it. Kept apart from config_load(), which reads only the file: the CLI loads the
 * same file, and an operator's `tinyfleet` must not fail because it cannot read the daemon's
 * TLS key. Uses nothing else of the parser.
 */
#include "config/config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

/* "FILE:LINE: [section] key: ..." or, for a key left to its default, "FILE: [section] key
 * (default): ...". */
static void fail(char *err, size_t err_len, const char *path, unsigned line, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 6, 7)));

static void fail(char *err, size_t err_len, const char *path, unsigned line, const char *key,
                 const char *fmt, ...)
{
    va_list ap;
    int n;

    if (err == NULL || err_len == 0) {
        return;
    }
    if (line != 0) {
        n = snprintf(err, err_len, "%s:%u: %s: ", path, line, key);
    } else {
        n = snprintf(err, err_len, "%s: %s (default): ", path, key);
    }
    if (n < 0 || (size_t)n >= err_len) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(err + n, err_len - (size_t)n, fmt, ap);
    va_end(ap);
}

/* SQLite creates the database file, never its directory. */
static int check_db_dir(const char *path, const struct config *cfg, char *err, size_t err_len)
{
    const char *db = cfg->storage.path;
    const char *slash = strrchr(db, '/');
    char dir[sizeof(cfg->storage.path)];
    struct stat st;
    int rc;

    if (slash == NULL) {
        (void)snprintf(dir, sizeof(dir), ".");
    } else if (slash == db) {
        (void)snprintf(dir, sizeof(dir), "/");
    } else {
        (void)snprintf(dir, sizeof(dir), "%.*s", (int)(slash - db), db);
    }
    if (stat(dir, &st) != 0) {
        rc = -errno;
        fail(err, err_len, path, cfg->where.storage_path, "[storage] path",
             "the database's directory '%s': %s", dir, strerror(errno));
        return rc;
    }
    if (!S_ISDIR(st.st_mode)) {
        fail(err, err_len, path, cfg->where.storage_path, "[storage] path",
             "the database's directory '%s': %s", dir, strerror(ENOTDIR));
        return -ENOTDIR;
    }
    return 0;
}

/* A TLS file libmosquitto will read at connect time, read now: a missing one is otherwise
 * only "Invalid function arguments provided" from libmosquitto, again at every retry. */
static int check_readable(const char *path, unsigned line, const char *key, const char *file,
                          char *err, size_t err_len)
{
    struct stat st;
    int fd;
    int rc = 0;

    if (file[0] == '\0') {
        return 0;
    }
    fd = open(file, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0) {
        rc = -errno;
        fail(err, err_len, path, line, key, "cannot read '%s': %s", file, strerror(errno));
        return rc;
    }
    if (fstat(fd, &st) != 0) {
        rc = -errno;
        fail(err, err_len, path, line, key, "cannot read '%s': %s", file, strerror(errno));
    } else if (!S_ISREG(st.st_mode)) {
        rc = -EISDIR;
        fail(err, err_len, path, line, key, "'%s' is not a regular file", file);
    }
    (void)close(fd);
    return rc;
}

int config_check_files(const char *path, const struct config *cfg, char *err, size_t err_len)
{
    const struct config_mqtt *m = &cfg->mqtt;
    int rc;

    if (err != NULL && err_len > 0) {
        err[0] = '\0';
    }
    if (path == NULL || cfg == NULL) {
        return -EINVAL;
    }
    rc = check_db_dir(path, cfg, err, err_len);
    if (rc == 0) {
        rc = check_readable(path, cfg->where.tls_ca, "[mqtt] tls_ca", m->tls_ca, err, err_len);
    }
    if (rc == 0) {
        rc =
            check_readable(path, cfg->where.tls_cert, "[mqtt] tls_cert", m->tls_cert, err, err_len);
    }
    if (rc == 0) {
        rc = check_readable(path, cfg->where.tls_key, "[mqtt] tls_key", m->tls_key, err, err_len);
    }
    if (rc == 0) {
        rc = check_readable(path, cfg->where.am_tls_ca, "[alertmanager] tls_ca",
                            cfg->alertmanager.tls_ca, err, err_len);
    }
    return rc;
}
