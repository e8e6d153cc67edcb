/* SPDX-License-Identifier: MIT
 * The STM32WL55's second persistent record: a turbine node's learned state (nodefw/learn.h,
 * up to HAL_LEARN_MAX bytes) in two 4 KB flash slots used alternately (linker symbols
 * board_learn_slot0/1), apart from the 64-byte frame-counter record, which is written far
 * more often. About 20 writes per learning period: flash wear is no concern.
 */
#ifndef PROJ_NODEFW_BOARDS_STM32WL55_LEARNSTORE_H
#define PROJ_NODEFW_BOARDS_STM32WL55_LEARNSTORE_H

#include <stddef.h>
#include <stdint.h>

/* learnstore_read() - hal_ops.learn_read: the newest valid slot's record, 0 when blank. */
int learnstore_read(void *ctx, uint8_t *buf, size_t cap);

/* learnstore_write() - hal_ops.learn_write: erase the older slot, program the data, then
 * the header last, so a power cut leaves the old record or the whole new one. */
int learnstore_write(void *ctx, const uint8_t *buf, size_t len);

#endif
