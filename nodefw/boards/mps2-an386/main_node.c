/* SPDX-License-Identifier: MIT
 * The whole node firmware in QEMU: the main loop of node.h over this board's HAL, the
 * baked test signal as its sensor, LoRa frames printed by the board's "radio" (one
 * "radio ... phy=HEX" line each), then exit 0 once the signal has ended and everything
 * due has been sent. Run it with `-icount shift=0,sleep=off` so that virtual time skips
 * over the node's sleeps and the duty-cycle waits of the run take no wall-clock time.
 *
 * The identity is the integration tests' test node (tests/integration/common.inc):
 * DevAddr 26011F00, NwkSKey 2B7E1516..., AppSKey 00010203...: never a real device's.
 * BOARD_PROFILE (enum dsp_profile) comes from the build: one image per profile.
 */
#include "board.h"
#include "classify_run.h"
#include "semihost.h"

#include <string.h>

#include "nodefw/node.h"

static const uint8_t test_nwkskey[16] = {0x2B, 0x7E, 0x15, 0x16, 0x28, 0xAE, 0xD2, 0xA6,
                                         0xAB, 0xF7, 0x15, 0x88, 0x09, 0xCF, 0x4F, 0x3C};
static const uint8_t test_appskey[16] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07,
                                         0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x0E, 0x0F};

static struct node node;

static void print_stat(const char *key, uint32_t v)
{
    char digits[24];

    semihost_puts(key);
    semihost_puts(board_utoa(v, digits + sizeof(digits)));
}

int main(void)
{
    const struct hal *h = board_hal();
    struct node_config cfg;
    int st;

    node_default_config(&cfg, BOARD_PROFILE, BEARER_LORA);
    cfg.devaddr = 0x26011F00u;
    memcpy(cfg.nwkskey, test_nwkskey, sizeof(cfg.nwkskey));
    memcpy(cfg.appskey, test_appskey, sizeof(cfg.appskey));
    st = node_init(&node, &cfg, h);
    if (st != 0) {
        print_stat("error: node_init ", (uint32_t)-st);
        semihost_puts("\n");
        return 1;
    }
    do {
        st = node_step(&node);
        if (st == NODE_IDLE) {
            hal_sleep_ms(h, 32u);
        }
    } while (st == NODE_IDLE || st == NODE_BUSY);
    print_stat("node windows=", node.stats.windows);
    print_stat(" detections=", node.stats.detections);
    print_stat(" frames=", node.stats.frames);
    print_stat(" tx_failed=", node.stats.tx_failed);
    print_stat(" budget_refused=", node.stats.budget_refused);
    print_stat(" uptime_ms=", (uint32_t)hal_now_ms(h));
    semihost_puts("\n");
    return st == NODE_DONE ? 0 : 1;
}
