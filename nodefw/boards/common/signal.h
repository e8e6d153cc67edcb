/* SPDX-License-Identifier: MIT
 * The test signal baked into a QEMU image at build time: a C array generated, together with
 * the WAV file the host build reads, by host/board-tools/gen_signal.c.
 */
#ifndef PROJ_NODEFW_BOARDS_COMMON_SIGNAL_H
#define PROJ_NODEFW_BOARDS_COMMON_SIGNAL_H

#include <stdint.h>

extern const uint32_t board_signal_rate; /* sample rate, Hz (the profile's) */
extern const uint32_t board_signal_len;  /* samples in board_signal */
extern const int16_t board_signal[];     /* mono, full-scale signed 16 bit */

#endif
