/* SPDX-License-Identifier: MIT
 * The owner of a database the CLI creates (cli_give_db(), cli.h). README's order runs
 * `tinyfleet node add` as root before the first start of tinyfleetd, which runs as
 * [gateway] user: a root-owned file would be opened read-only by the daemon. So a database
 * created by root is handed to that user, with its directory when the directory is the
 * database's alone (a shared one such as /tmp is never touched).
 */
#include "cli.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include "util/runas.h"

/* Whether every entry of @dir is @base or one of its SQLite files (@base-wal, ...). */
static bool dir_is_the_dbs(const char *dir, const char *base)
{
    size_t len = strlen(base);
    const struct dirent *e;
    bool only = true;
    DIR *d = opendir(dir);

    if (d == NULL) {
        return false;
    }
    while (only && (e = readdir(d)) != NULL) {
        if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0 &&
            strncmp(e->d_name, base, len) != 0) {
            only = false;
        }
    }
    (void)closedir(d);
    return only;
}

/* Whether @uid (group @gid) may write into @dir, by its mode bits. */
static bool dir_writable_by(const char *dir, uid_t uid, gid_t gid)
{
    struct stat st;

    if (stat(dir, &st) < 0) {
        return false;
    }
    if (st.st_uid == uid) {
        return (st.st_mode & S_IWUSR) != 0;
    }
    if (st.st_gid == gid) {
        return (st.st_mode & S_IWGRP) != 0;
    }
    return (st.st_mode & S_IWOTH) != 0;
}

void cli_give_db(const char *verb, const char *path, const char *user)
{
    static const char *const suffix[] = {"", "-wal", "-shm"};
    struct runas u;
    char err[256];
    char dir[4096];
    char file[4096 + 8];
    const char *slash = strrchr(path, '/');
    const char *base = slash != NULL ? slash + 1 : path;
    size_t i;

    if (geteuid() != 0 || user[0] == '\0') {
        return;
    }
    if (runas_lookup(user, &u, err, sizeof(err)) < 0) {
        cli_errf(verb, "[gateway] user: %s: %s stays root's, and tinyfleetd will refuse to start",
                 err, path);
        return;
    }
    for (i = 0; i < sizeof(suffix) / sizeof(suffix[0]); i++) {
        (void)snprintf(file, sizeof(file), "%s%s", path, suffix[i]);
        if (chown(file, u.uid, u.gid) < 0 && (errno != ENOENT || i == 0)) {
            cli_errf(verb, "cannot give %s to %s: %s (chown %s: %s)", file, user, strerror(errno),
                     user, file);
            return;
        }
    }
    (void)snprintf(dir, sizeof(dir), "%.*s", slash != NULL ? (int)(slash - path) : 1,
                   slash != NULL ? path : ".");
    if (dir[0] == '\0') {
        (void)snprintf(dir, sizeof(dir), "/");
    }
    if (strcmp(dir, "/") != 0 && dir_is_the_dbs(dir, base)) {
        if (chown(dir, u.uid, u.gid) < 0) {
            cli_errf(verb, "cannot give %s to %s: %s (chown %s: %s)", dir, user, strerror(errno),
                     user, dir);
            return;
        }
        cli_errf(verb, "created %s and gave it and %s to %s, tinyfleetd's [gateway] user", path,
                 dir, user);
        return;
    }
    cli_errf(verb, "created %s and gave it to %s, tinyfleetd's [gateway] user", path, user);
    if (!dir_writable_by(dir, u.uid, u.gid)) {
        cli_errf(verb,
                 "%s is not writable by %s: tinyfleetd creates the database's -wal and -shm "
                 "files there and will refuse to start (chown %s: %s)",
                 dir, user, user, dir);
    }
}
