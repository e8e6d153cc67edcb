/* SPDX-License-Identifier: MIT
 * Internal to proto/src/aes.c and its unit test: the C cipher, which proto_aes128_encrypt()
 * passes by on a CPU with AES instructions, callable on its own so a test on such a CPU
 * still checks it (a node runs only this one).
 */
#ifndef PROJ_PROTO_AES_INT_H
#define PROJ_PROTO_AES_INT_H

#include "proto/aes.h"

void proto__aes128_encrypt_c(const struct proto_aes128 *ctx, const uint8_t in[PROTO_AES_BLOCK],
                             uint8_t out[PROTO_AES_BLOCK]);

#endif
