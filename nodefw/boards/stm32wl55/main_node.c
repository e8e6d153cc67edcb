/* SPDX-License-Identifier: MIT
 * The STM32WL55 node: the firmware's main loop (node.h) on this board's HAL, sending over
 * LoRa (EU868 defaults of node_default_config()). Its identity, sensing schedule and health
 * interval come from the provisioning record at board_provision (0x0803E800, proto/SPEC.md
 * section 7), written into
 * the image by `tinyfleet provision` and flashed with it. A board whose record is missing,
 * corrupt (CRC) or for another profile stays in a safe loop without touching the radio:
 * it has no console or LED to say so, and must never send with made-up keys.
 *
 * BOARD_PROFILE (enum dsp_profile) comes from the build: one image per profile.
 */
#include "board.h"
#include "cm4.h"

#include "nodefw/node.h"
#include "nodefw/provision.h"
#include "proto/provision.h"

static struct node node;

int main(void)
{
    const struct hal *h = board_hal();
    struct node_config cfg;
    struct proto_provision rec;
    int st = proto_provision_parse(board_provision, PROTO_PROVISION_MAX_LEN, &rec);

    node_default_config(&cfg, BOARD_PROFILE, BEARER_LORA);
    /* Identity, sensing schedule and health interval; another profile's record, or a
     * schedule the node cannot run, is refused like a corrupt one. */
    if (st == PROTO_OK && node_config_from_record(&cfg, &rec) != 0) {
        st = PROTO_EINVAL;
    }
    if (st != PROTO_OK) {
        /* Nothing ever reaches radio_send(): only the node sends, and it never starts.
         * board_init() left the SX126x in standby; sleeping here costs what an idle node
         * costs. */
        hal_log(h, proto_provision_strerror(st));
        for (;;) {
            hal_sleep_ms(h, 60000u);
        }
    }
    if (node_init(&node, &cfg, h) != 0) {
        return 1; /* board_exit() resets; a bad model or counter record would repeat */
    }
    for (;;) {
        st = node_step(&node);
        if (st < 0) {
            return 1;
        }
        if (st == NODE_IDLE) {
            /* Listening: the DMA's half-ring interrupt (512 samples, 128 ms at 4 kHz) ends
             * the sleep early when there is a step to classify. Not listening: Stop2 until
             * the next period, but at most 1 s (the aggregator's timers run on the clock). */
            uint32_t idle = node_idle_ms(&node, hal_now_ms(h));
            uint32_t cap = bearer_busy(&node.bearer) ? BOARD_RX_POLL_MS : 1000u;

            hal_sleep_ms(h, idle == 0u ? (cap < 200u ? cap : 200u) : (idle > cap ? cap : idle));
        }
    }
}
