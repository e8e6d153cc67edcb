/* SPDX-License-Identifier: MIT
 * HTTP basic authentication (RFC 7617) against [web] user and password_hash: the password is
 * checked with crypt_r() (libcrypt), so the config holds only a crypt(3) hash (SHA-512
 * "$6$...", yescrypt "$y$..."). Any thread (crypt_r keeps its state in the caller's buffer).
 */
#ifndef PROJ_WEB_WEB_AUTH_H
#define PROJ_WEB_WEB_AUTH_H

#include <stdbool.h>

#include "config/config.h"

/*
 * web_auth_hash_usable() - whether @hash is a hashing method this libcrypt supports (a
 * hash it cannot compute would lock everyone out: refused at start instead).
 */
bool web_auth_hash_usable(const char *hash);

/*
 * web_auth_check() - whether @user and @password (NUL-terminated, NULL when the request sent
 * none) match @web's user and password_hash. With no user configured every request passes.
 * The comparison of the hash takes the same time wherever the first difference is.
 */
bool web_auth_check(const struct config_web *web, const char *user, const char *password);

#endif
