/* SPDX-License-Identifier: MIT
 * Small helpers the host programs share: key and DevAddr parsing, numbers from options and
 * class names. Hex goes through proto/hex.h and the names through proto/classes.h, the same
 * code the gateway uses.
 */
#ifndef PROJ_HOST_LIB_HOSTUTIL_H
#define PROJ_HOST_LIB_HOSTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* hostutil_hex() - exactly 2 * @n hex digits (either case) into @out. Return: 0 or -1. */
int hostutil_hex(const char *s, uint8_t *out, size_t n);

/* hostutil_to_hex() - @n bytes as 2 * @n upper-case hex digits and a NUL into @out. */
void hostutil_to_hex(const uint8_t *in, size_t n, char *out);

/* hostutil_devaddr() - 8 hex digits as written on the device. Return: 0 or -1. */
int hostutil_devaddr(const char *s, uint32_t *out);

/* hostutil_eui() - a DevEUI or JoinEUI: 16 hex digits as written on the device (most
 * significant first). Return: 0 or -1. */
int hostutil_eui(const char *s, uint64_t *out);

/*
 * hostutil_num() - a whole string as a finite number in [@lo, @hi]; on failure prints
 * "tinyfleet-node: --@opt: a number in LO..HI expected, got 'S'" to stderr.
 * Return: 0 or -1.
 */
int hostutil_num(const char *opt, const char *s, double lo, double hi, double *out);

/* hostutil_class_name() - the default name of a wire class id ("elephant"...); "unknown" for
 * an id the table does not name. */
const char *hostutil_class_name(uint8_t class_id);

#endif
