/* SPDX-License-Identifier: MIT
 * Hex text <-> bytes for the operator CLI and the daemon's JSON output. Parsing accepts
 * upper and lower case and nothing else (no "0x" prefix, no spaces); every refusal comes
 * with a one-line English reason that names the length or the position of the fault, so a
 * caller only has to prefix the option name. Output is always upper case.
 */
#ifndef PROJ_DAEMON_UTIL_HEX_H
#define PROJ_DAEMON_UTIL_HEX_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define HEX_MUST_CHECK __attribute__((warn_unused_result))
#else
#define HEX_MUST_CHECK
#endif

#define HEX_KEY_LEN         16u /* bytes in an AES-128 session key */
#define HEX_DEVADDR_STR_LEN 9u  /* "26011F00" plus the terminating NUL */
#define HEX_ERR_LEN         96u /* a buffer this large holds any message written here */

/*
 * hex_decode() - parse a string of hex digit pairs into bytes.
 * @s:       in, NUL-terminated text; "" is valid and gives 0 bytes.
 * @out:     out, receives the bytes; may be NULL when @cap is 0.
 * @cap:     in, room in @out, bytes.
 * @err:     out, optional (NULL): on failure a NUL-terminated reason such as
 *           "odd number of hex digits (5)" or "invalid hex digit 'g' at position 3"
 *           (positions count from 1), truncated to @err_len.
 * @err_len: in, size of @err in bytes.
 * Return: the number of bytes written; -EILSEQ for a character that is not a hex digit
 * (checked first), -EINVAL for an odd number of digits (or a NULL @s, or a NULL @out with
 * @cap > 0), -EMSGSIZE when the bytes would not fit @cap (@out is untouched then).
 * Any thread.
 */
HEX_MUST_CHECK int hex_decode(const char *s, uint8_t *out, size_t cap, char *err, size_t err_len);

/*
 * hex_decode_key() - parse a 128-bit key: exactly 32 hex digits.
 * @key: out, 16 bytes. The reason written to @err never repeats the key.
 * Return: 0; -EILSEQ for a non-hex character; -EINVAL for any length but 32 digits
 * ("must be 32 hex digits (16 bytes), got 30") or a NULL argument. Any thread.
 */
HEX_MUST_CHECK int hex_decode_key(const char *s, uint8_t key[HEX_KEY_LEN], char *err,
                                  size_t err_len);

/*
 * hex_decode_devaddr() - parse a DevAddr as written on the device: exactly 8 hex digits,
 * most significant first ("26011F00" -> 0x26011F00).
 * @out: out, the address; unchanged on failure.
 * Return: 0; -EILSEQ for a non-hex character; -EINVAL for any length but 8 digits or a
 * NULL argument. Any thread.
 */
HEX_MUST_CHECK int hex_decode_devaddr(const char *s, uint32_t *out, char *err, size_t err_len);

/*
 * hex_encode() - write @len bytes as upper-case hex and a terminating NUL.
 * @in:  in, the bytes; may be NULL when @len is 0.
 * @out: out, @cap bytes; needs 2 * @len + 1.
 * Return: the number of characters written without the NUL (2 * @len); -ENOSPC when
 * @cap is too small (then @out holds "" if @cap > 0); -EINVAL for a NULL @out, or a NULL @in
 * with @len > 0. Any thread.
 */
HEX_MUST_CHECK int hex_encode(const uint8_t *in, size_t len, char *out, size_t cap);

/*
 * hex_format_devaddr() - @devaddr as 8 upper-case hex digits, as written on the device.
 * @out: out, HEX_DEVADDR_STR_LEN bytes, NUL-terminated. Any thread; no failure.
 */
void hex_format_devaddr(uint32_t devaddr, char out[HEX_DEVADDR_STR_LEN]);

#endif
