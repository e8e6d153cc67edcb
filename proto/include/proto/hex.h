/* SPDX-License-Identifier: MIT
 * Hex text <-> bytes, the one codec behind the gateway's config and CLI parsing (which adds
 * messages a person can act on), the host programs' options and the tests' vectors. Digits
 * of either case are read; output is upper case.
 */
#ifndef PROJ_PROTO_HEX_H
#define PROJ_PROTO_HEX_H

#include <stddef.h>
#include <stdint.h>

#include "proto/err.h"

/*
 * proto_hex_digit() - the value of one hex digit.
 * @c: a character (as int: a char or an unsigned char's value).
 * Return: 0..15, or -1 for anything but 0-9, a-f, A-F. Context: any.
 */
int proto_hex_digit(int c);

/*
 * proto_hex_decode() - @len hex digits into @len / 2 bytes.
 * @s:   in, @len characters (no terminating NUL needed; NULL allowed when @len is 0).
 * @out: out, @cap bytes; untouched on failure.
 * Return: the number of bytes; PROTO_EINVAL for a character that is not a hex digit, an odd
 * @len or a NULL argument; PROTO_ENOSPC when the bytes do not fit @cap. Context: any.
 */
PROTO_MUST_CHECK int proto_hex_decode(const char *s, size_t len, uint8_t *out, size_t cap);

/*
 * proto_hex_encode() - @len bytes as 2 * @len upper-case hex digits and a NUL.
 * @in:  in, @len bytes (NULL allowed when @len is 0).
 * @out: out, @cap bytes: 2 * @len + 1 are needed.
 * Return: 2 * @len; PROTO_ENOSPC when @cap is too small or the length would not fit an int
 * (@out then holds "" if @cap > 0); PROTO_EINVAL for a NULL argument. Context: any.
 */
PROTO_MUST_CHECK int proto_hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif /* PROJ_PROTO_HEX_H */
