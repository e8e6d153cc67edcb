/* SPDX-License-Identifier: MIT
 * The STM32WL55 node: the firmware's main loop (node.h) on this board's HAL, sending over
 * LoRa (EU868 defaults of node_default_config()). Its identity comes from the provisioning
 * page at the end of flash, written once per device by the programmer; an unprovisioned
 * board stays silent rather than send with made-up keys.
 *
 * BOARD_PROFILE (enum dsp_profile) comes from the build: one image per profile.
 */
#include "board.h"
#include "cm4.h"

#include <string.h>

#include "nodefw/node.h"

/* The provisioning record (little-endian, 40 bytes at the linker symbol board_provision). */
#define PROVISION_MAGIC 0x31504654u /* "TFP1" */

struct board_provision_rec {
    uint32_t magic;
    uint32_t devaddr;
    uint8_t nwkskey[16];
    uint8_t appskey[16];
};

extern const struct board_provision_rec board_provision;

static struct node node;

int main(void)
{
    const struct hal *h = board_hal();
    struct node_config cfg;

    if (board_provision.magic != PROVISION_MAGIC) {
        hal_log(h, "not provisioned: no DevAddr and keys at board_provision");
        for (;;) {
            hal_sleep_ms(h, 60000u);
        }
    }
    node_default_config(&cfg, BOARD_PROFILE, BEARER_LORA);
    cfg.devaddr = board_provision.devaddr;
    memcpy(cfg.nwkskey, board_provision.nwkskey, sizeof(cfg.nwkskey));
    memcpy(cfg.appskey, board_provision.appskey, sizeof(cfg.appskey));
    if (node_init(&node, &cfg, h) != 0) {
        return 1; /* board_exit() resets; a bad model or counter record would repeat */
    }
    for (;;) {
        int st = node_step(&node);

        if (st < 0) {
            return 1;
        }
        if (st == NODE_IDLE) {
            /* A step of FEAT_STEP_SAMPLES takes 256 ms at 4 kHz: waking every 32 ms keeps
             * the ring buffer far from full at every profile's rate. */
            hal_sleep_ms(h, 32u);
        }
    }
}
