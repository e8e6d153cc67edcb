/* SPDX-License-Identifier: MIT
 * What every board offers the programs linked for it (the firmware main files): its HAL
 * instance and its processor clock. Each board directory has one board.c defining these,
 * besides the start-up hooks of cortex-m4/cm4.h.
 */
#ifndef PROJ_NODEFW_BOARDS_COMMON_BOARD_H
#define PROJ_NODEFW_BOARDS_COMMON_BOARD_H

#include <stdbool.h>
#include <stdint.h>

#include "nodefw/hal.h"

/* board_hal() - the board's HAL (static; valid forever after board_init()). */
const struct hal *board_hal(void);

/* The provisioning record's flash page (linker symbol, PROTO_PROVISION_PAGE_LEN bytes): read
 * with proto_provision_parse() at start; see proto/SPEC.md section 7. */
extern const uint8_t board_provision[];

/* While an uplink's receive windows are open (bearer_busy()), the main loop polls the radio
 * at least this often: a board's radio_recv() waits for a window in low power once it is
 * this near, and returns 0 before. */
#define BOARD_RX_POLL_MS 100u

/* board_scripted_downlinks() - mps2-an386 only: whether a test loaded downlinks for the
 * board's receive windows (mps2-an386.ld); the node then sends confirmed uplinks. */
bool board_scripted_downlinks(void);

/* Processor clock, Hz. */
extern const uint32_t board_clock_hz;

/*
 * board_ticks() - ticks of board_clock_hz since board_init(), modulo 2^32, from a counter
 * that never goes backwards (for measuring intervals). Context: main loop.
 */
uint32_t board_ticks(void);

#endif
