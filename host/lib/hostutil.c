/* SPDX-License-Identifier: MIT
 * Helpers shared by the host programs (see hostutil.h).
 */
#include "hostutil.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/classes.h"
#include "proto/hex.h"

int hostutil_hex(const char *s, uint8_t *out, size_t n)
{
    size_t len = strlen(s);

    if (len != 2u * n) {
        return -1;
    }
    return proto_hex_decode(s, len, out, n) == (int)n ? 0 : -1;
}

void hostutil_to_hex(const uint8_t *in, size_t n, char *out)
{
    /* The caller's buffer holds 2 * @n + 1 characters, as the contract says. */
    if (proto_hex_encode(in, n, out, 2u * n + 1u) < 0) {
        out[0] = '\0';
    }
}

int hostutil_devaddr(const char *s, uint32_t *out)
{
    uint8_t b[4];

    if (hostutil_hex(s, b, 4) != 0) {
        return -1;
    }
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

int hostutil_eui(const char *s, uint64_t *out)
{
    uint8_t b[8];

    if (hostutil_hex(s, b, 8) != 0) {
        return -1;
    }
    *out = 0;
    for (size_t i = 0; i < 8; i++) {
        *out = *out << 8 | b[i];
    }
    return 0;
}

int hostutil_num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != 0 || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "tinyfleet-node: --%s: a number in %g..%g expected, got '%s'\n", opt, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

const char *hostutil_class_name(uint8_t class_id)
{
    /* The built-in table; the gateway's config may rename them. */
    const char *name = proto_class_name(class_id);

    return name != NULL ? name : "unknown";
}
