/* SPDX-License-Identifier: MIT
 * Hex parsing and printing (see hex.h). The strings parsed here come from command lines and
 * configuration files typed by people, so each refusal says exactly what is wrong: which
 * character at which position, or how many digits were given against how many are needed.
 * A reason never quotes more than the one offending character, which cannot be part of a
 * valid key, so key material does not leak into logs through error messages.
 */
#include "util/hex.h"

#include <assert.h>
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>

#include "proto/hex.h"

#define HEX_DEVADDR_DIGITS 8u

static void set_err(char *err, size_t err_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t err_len, const char *fmt, ...)
{
    va_list ap;

    if (err == NULL || err_len == 0) {
        return;
    }
    va_start(ap, fmt);
    (void)vsnprintf(err, err_len, fmt, ap);
    va_end(ap);
}

/*
 * Checks that every character of @s is a hex digit and counts them. A printable offender is
 * quoted; anything else (control bytes, UTF-8 pieces) is shown as its byte value.
 */
static int scan_digits(const char *s, size_t *n_digits, char *err, size_t err_len)
{
    size_t i;

    for (i = 0; s[i] != '\0'; i++) {
        unsigned char c = (unsigned char)s[i];

        if (proto_hex_digit(c) < 0) {
            if (c >= 0x20 && c < 0x7F) {
                set_err(err, err_len, "invalid hex digit '%c' at position %zu", (char)c, i + 1);
            } else {
                set_err(err, err_len, "invalid byte 0x%02X at position %zu", (unsigned)c, i + 1);
            }
            return -EILSEQ;
        }
    }
    *n_digits = i;
    return 0;
}

/* Converts @n_digits (even, already checked) digits of @s into @out, which has room. */
static void pack(const char *s, size_t n_digits, uint8_t *out)
{
    /* scan_digits() let only hex digits through and the callers checked the length. */
    int n = proto_hex_decode(s, n_digits, out, n_digits / 2);

    assert(n == (int)(n_digits / 2));
    (void)n;
}

int hex_decode(const char *s, uint8_t *out, size_t cap, char *err, size_t err_len)
{
    size_t n_digits = 0;
    int rc;

    if (s == NULL || (out == NULL && cap > 0)) {
        set_err(err, err_len, "no input");
        return -EINVAL;
    }
    rc = scan_digits(s, &n_digits, err, err_len);
    if (rc < 0) {
        return rc;
    }
    if (n_digits % 2 != 0) {
        set_err(err, err_len, "odd number of hex digits (%zu)", n_digits);
        return -EINVAL;
    }
    /* INT_MAX bounds the return value; no caller's buffer comes near it. */
    if (n_digits / 2 > cap || n_digits / 2 > (size_t)INT_MAX) {
        set_err(err, err_len, "too long: %zu bytes, at most %zu", n_digits / 2, cap);
        return -EMSGSIZE;
    }
    pack(s, n_digits, out);
    return (int)(n_digits / 2);
}

int hex_decode_key(const char *s, uint8_t key[HEX_KEY_LEN], char *err, size_t err_len)
{
    size_t n_digits = 0;
    int rc;

    if (s == NULL || key == NULL) {
        set_err(err, err_len, "no input");
        return -EINVAL;
    }
    rc = scan_digits(s, &n_digits, err, err_len);
    if (rc < 0) {
        return rc;
    }
    if (n_digits != (size_t)2 * HEX_KEY_LEN) {
        set_err(err, err_len, "must be %u hex digits (%u bytes), got %zu", 2 * HEX_KEY_LEN,
                HEX_KEY_LEN, n_digits);
        return -EINVAL;
    }
    pack(s, n_digits, key);
    return 0;
}

int hex_decode_devaddr(const char *s, uint32_t *out, char *err, size_t err_len)
{
    uint8_t b[HEX_DEVADDR_DIGITS / 2];
    size_t n_digits = 0;
    int rc;

    if (s == NULL || out == NULL) {
        set_err(err, err_len, "no input");
        return -EINVAL;
    }
    rc = scan_digits(s, &n_digits, err, err_len);
    if (rc < 0) {
        return rc;
    }
    if (n_digits != HEX_DEVADDR_DIGITS) {
        set_err(err, err_len, "must be exactly %u hex digits, got %zu", HEX_DEVADDR_DIGITS,
                n_digits);
        return -EINVAL;
    }
    pack(s, n_digits, b);
    /* Written most significant byte first, as printed on devices and in network servers. */
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | (uint32_t)b[3];
    return 0;
}

int hex_encode(const uint8_t *in, size_t len, char *out, size_t cap)
{
    int n = proto_hex_encode(in, len, out, cap);

    if (n == PROTO_EINVAL) {
        return -EINVAL;
    }
    return n == PROTO_ENOSPC ? -ENOSPC : n;
}

void hex_format_devaddr(uint32_t devaddr, char out[HEX_DEVADDR_STR_LEN])
{
    (void)snprintf(out, HEX_DEVADDR_STR_LEN, "%08" PRIX32, devaddr);
}
