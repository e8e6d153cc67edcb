/* SPDX-License-Identifier: MIT
 * Basic authentication against a crypt(3) hash (web_auth.h).
 */
#include "web_auth.h"

#include <assert.h>
#include <crypt.h>
#include <stdlib.h>
#include <string.h>

bool web_auth_hash_usable(const char *hash)
{
    int kind = crypt_checksalt(hash);

    return kind == CRYPT_SALT_OK || kind == CRYPT_SALT_METHOD_LEGACY;
}

/* Equal strings, in a time that depends only on their lengths. */
static bool same(const char *a, const char *b)
{
    size_t la = strlen(a);
    size_t lb = strlen(b);
    unsigned char diff = la != lb;
    size_t i;

    for (i = 0; i < la && i < lb; i++) {
        diff |= (unsigned char)(a[i] ^ b[i]);
    }
    return diff == 0;
}

bool web_auth_check(const struct config_web *web, const char *user, const char *password)
{
    struct crypt_data *cd;
    const char *h;
    bool ok;

    assert(web != NULL);
    if (web->user[0] == '\0') {
        return true;
    }
    if (user == NULL || password == NULL) {
        return false;
    }
    cd = calloc(1, sizeof(*cd)); /* 32 kB: too large for a thread's stack */
    if (cd == NULL) {
        return false;
    }
    h = crypt_r(password, web->password_hash, cd);
    /* crypt_r() fails with NULL or a hash starting with '*': never equal to a '$' hash. */
    ok = h != NULL && same(h, web->password_hash) && same(user, web->user);
    free(cd);
    return ok;
}
