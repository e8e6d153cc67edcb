/* SPDX-License-Identifier: MIT
 * Base64 (RFC 4648 section 4, the standard alphabet) for the packet-forwarder protocol, whose
 * `data` fields carry PHYPayloads in it. The decoder is strict: only A-Z a-z 0-9 + /, no
 * whitespace, no URL-safe alphabet, and the unused low bits of the last character must be
 * zero (RFC 4648 section 3.5, canonical encoding). Padding is optional, but when present it
 * must be exactly right: PROTOCOL.TXT section 4 says rxpk data is "padded", its own examples
 * are not, and section 6 says "padding optional"; both forms name the bytes unambiguously.
 */
#ifndef PROJ_DAEMON_INGEST_BASE64_H
#define PROJ_DAEMON_INGEST_BASE64_H

#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define BASE64_MUST_CHECK __attribute__((warn_unused_result))
#else
#define BASE64_MUST_CHECK
#endif

/* Characters base64_encode() writes for @n bytes, without the terminating NUL. */
#define BASE64_ENCODED_LEN(n) ((((n) + 2u) / 3u) * 4u)

/*
 * base64_decode() - decode @len characters of base64 text into bytes.
 * @in:  in, the text; need not be NUL-terminated; may be NULL when @len is 0.
 * @len: in, characters in @in. 0 is valid and gives 0 bytes.
 * @out: out, receives the bytes; may be NULL when @cap is 0.
 * @cap: in, room in @out, bytes.
 * Return: the number of bytes written; -EILSEQ for a character outside the alphabet, a '='
 * anywhere but in the last two places, padding that does not complete a group of four,
 * a length that leaves one character over (4n + 1, which cannot encode whole bytes), or
 * non-zero unused bits in the last character; -EMSGSIZE when the bytes would not fit in
 * @cap. On any failure @out is untouched. -EINVAL for a NULL @in with @len > 0 or a NULL @out
 * with @cap > 0. Any thread.
 */
BASE64_MUST_CHECK int base64_decode(const char *in, size_t len, uint8_t *out, size_t cap);

/*
 * base64_encode() - encode @len bytes as padded base64 and a terminating NUL.
 * @in:  in, the bytes; may be NULL when @len is 0.
 * @out: out, @cap bytes; needs BASE64_ENCODED_LEN(@len) + 1.
 * Return: the number of characters written without the NUL; -ENOSPC when @cap is too small
 * (then @out holds "" if @cap > 0); -EINVAL for a NULL @out, a NULL @in with @len > 0, or a
 * @len whose encoding would not fit an int. Any thread.
 */
BASE64_MUST_CHECK int base64_encode(const uint8_t *in, size_t len, char *out, size_t cap);

#endif
