/* SPDX-License-Identifier: MIT
 * The whole node firmware in QEMU: the main loop of node.h over this board's HAL, the
 * baked test signal as its sensor, LoRa frames printed by the board's "radio" (one
 * "radio ... phy=HEX" line each), then exit 0 once the signal has ended and everything
 * due has been sent. Run it with `-icount shift=0,sleep=off` so that virtual time skips
 * over the node's sleeps and the duty-cycle waits of the run take no wall-clock time.
 *
 * The identity (DevAddr, session keys) comes from the provisioning record at
 * board_provision (proto/SPEC.md section 7), as on the real board. Without one, or
 * with a corrupt one, the node refuses to start: it prints "tinyfleet: no provisioning
 * record" or "tinyfleet: provisioning record corrupt (CRC)" and exits 3. node.elf links the
 * integration tests' test record (host/board-tools/gen_record.c: DevAddr 26011F00, the keys of
 * tests/integration/common.inc); node.bin leaves the page empty for `tinyfleet provision`.
 * BOARD_PROFILE (enum dsp_profile) comes from the build: one image per profile, and the
 * record must name the same profile.
 */
#include "board.h"
#include "classify_run.h"
#include "semihost.h"

#include "nodefw/node.h"
#include "nodefw/provision.h"
#include "proto/provision.h"

/* Exit status when the record is missing, corrupt or for another profile. */
#define EXIT_NOT_PROVISIONED 3

static struct node node;

static void print_stat(const char *key, uint32_t v)
{
    char digits[24];

    semihost_puts(key);
    semihost_puts(board_utoa(v, digits + sizeof(digits)));
}

/* "DevAddr as written on the device": 8 upper-case hex digits, as the gateway prints it. */
static void print_hex(const char *key, uint32_t v)
{
    static const char digits[] = "0123456789ABCDEF";
    char text[9];
    unsigned i;

    for (i = 0; i < 8u; i++) {
        text[i] = digits[(v >> (28u - 4u * i)) & 0xFu];
    }
    text[8] = '\0';
    semihost_puts(key);
    semihost_puts(text);
}

int main(void)
{
    const struct hal *h = board_hal();
    struct node_config cfg;
    struct proto_provision rec;
    int st;

    st = proto_provision_parse(board_provision, PROTO_PROVISION_MAX_LEN, &rec);
    if (st != PROTO_OK) {
        semihost_puts("tinyfleet: ");
        semihost_puts(proto_provision_strerror(st));
        semihost_puts("\n");
        return EXIT_NOT_PROVISIONED;
    }
    if (rec.profile != (uint8_t)BOARD_PROFILE) {
        print_stat("tinyfleet: provisioning record is for profile ", rec.profile);
        print_stat(", this image runs profile ", (uint32_t)BOARD_PROFILE);
        semihost_puts("\n");
        return EXIT_NOT_PROVISIONED;
    }
    node_default_config(&cfg, BOARD_PROFILE, BEARER_LORA);
    /* With downlinks to hear, the uplinks ask for acknowledgements. */
    cfg.confirmed = board_scripted_downlinks();
    if (node_config_from_record(&cfg, &rec) != 0) {
        semihost_puts("tinyfleet: provisioning record's sensing schedule cannot run\n");
        return EXIT_NOT_PROVISIONED;
    }
    print_hex("provisioned devaddr=", rec.devaddr);
    semihost_puts(" name=");
    semihost_puts(rec.name);
    print_stat("\nschedule sensing=", rec.sensing);
    print_stat(" listen_ms=", rec.listen_ms);
    print_stat(" every_ms=", rec.every_ms);
    print_stat(" health_s=", rec.health_s);
    semihost_puts("\n");
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
    if (cfg.confirmed) {
        print_stat("downlinks accepted=", node.dl.stats.accepted);
        print_stat(" acks=", node.dl.stats.acks);
        print_stat(" applied=", node.dl.stats.applied);
        print_stat(" answers=", node.stats.answers);
        semihost_puts("\n");
    }
    return st == NODE_DONE ? 0 : 1;
}
