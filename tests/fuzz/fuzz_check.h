/* SPDX-License-Identifier: MIT
 * What the fuzz targets share: CHECK() names a broken invariant (file and line, the first
 * thing to read in a crash report) before trapping, ERRBIT() builds sets of proto_err codes
 * an input may legitimately produce, and little-endian readers for the models of the wire.
 */
#ifndef PROJ_TESTS_FUZZ_FUZZ_CHECK_H
#define PROJ_TESTS_FUZZ_FUZZ_CHECK_H

#include <stdint.h>
#include <stdio.h>

#define ERRBIT(e) (1u << (unsigned)-(e))

#define CHECK(cond)                                                                                \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fuzz_fail(__FILE__, __LINE__, #cond);                                                  \
        }                                                                                          \
    } while (0)

static inline void fuzz_fail(const char *file, int line, const char *what)
{
    fprintf(stderr, "%s:%d: invariant broken: %s\n", file, line, what);
    __builtin_trap();
}

static inline uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | p[1] << 8);
}

static inline uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

#endif
