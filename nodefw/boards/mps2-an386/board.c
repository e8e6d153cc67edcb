/* SPDX-License-Identifier: MIT
 * ARM MPS2 AN386 (Cortex-M4) as QEMU models it: the HAL of a node with no radio on the
 * board. Time is SysTick at the 25 MHz processor clock (milliseconds) and a CMSDK timer
 * at the same 25 MHz (board_ticks()); the "sensor" plays the test signal
 * baked into the image at the rate the node asks for, paced by that clock; the "radio"
 * and the log print over semihosting, which is also where the exit status goes. NV storage
 * is a RAM record (it survives a warm reset only, as QEMU keeps no flash contents).
 */
#include "board.h"
#include "classify_run.h"
#include "cm4.h"
#include "msclock.h"
#include "semihost.h"
#include "signal.h"

#include <string.h>

#define TICKS_PER_MS 25000u

/* CMSDK APB timer 1 (ARM DDI 0479C 4.4), on the 25 MHz peripheral clock: board_ticks(). */
#define CMSDK_TIMER1_CTRL   CM4_REG(0x40001000u)
#define CMSDK_TIMER1_VALUE  CM4_REG(0x40001004u)
#define CMSDK_TIMER1_RELOAD CM4_REG(0x40001008u)
#define CMSDK_TIMER_ENABLE  1u

const uint32_t board_clock_hz = 25000000u;

static uint32_t sensor_rate;
static uint64_t sensor_start_ms;
static uint32_t sensor_taken;
static uint8_t nv_record[HAL_NV_MAX];
static size_t nv_len;
/* The learned-state area (hal.h learn_read): RAM too, as the NV record (QEMU keeps neither
 * across runs). */
static uint8_t learn_record[HAL_LEARN_MAX];
static size_t learn_len;
static uint32_t rng_state = 0x9E3779B9u;

void board_init(void)
{
    cm4_msclock_start(TICKS_PER_MS);
    CMSDK_TIMER1_RELOAD = 0xFFFFFFFFu;
    CMSDK_TIMER1_VALUE = 0xFFFFFFFFu;
    CMSDK_TIMER1_CTRL = CMSDK_TIMER_ENABLE;
}

void board_exit(int status)
{
    semihost_exit(status);
}

void board_fault(uint32_t ipsr)
{
    char digits[24];

    semihost_puts("fault: exception ");
    semihost_puts(board_utoa(ipsr, digits + sizeof(digits)));
    semihost_puts("\n");
    semihost_exit(70);
}

/* Free-running count of the CMSDK timer: no interrupt, no race with the millisecond tick. */
uint32_t board_ticks(void)
{
    return 0xFFFFFFFFu - CMSDK_TIMER1_VALUE;
}

static uint64_t now_ms(void *ctx)
{
    (void)ctx;
    return cm4_now_ms();
}

static void sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    cm4_sleep_ms(ms);
}

static int sensor_start(void *ctx, uint32_t rate_hz)
{
    if (rate_hz != board_signal_rate) {
        return HAL_EINVAL;
    }
    /* The signal plays from the first start on, as the world goes on while a duty-cycled
     * node listens or not: a later start (the next listening period) does not rewind it, and
     * the node drops what passed while it was not listening. */
    if (sensor_rate == 0u) {
        sensor_rate = rate_hz;
        sensor_start_ms = now_ms(ctx);
        sensor_taken = 0;
    }
    return HAL_OK;
}

/* Samples become ready as time passes, like a DMA buffer filling at the sample rate. */
static int sensor_read(void *ctx, int16_t *buf, size_t n)
{
    uint64_t due;

    if (sensor_rate == 0) {
        return HAL_EIO;
    }
    if (sensor_taken >= board_signal_len) {
        return HAL_EEOF;
    }
    due = (now_ms(ctx) - sensor_start_ms) * sensor_rate / 1000u;
    if (due > board_signal_len) {
        due = board_signal_len;
    }
    if (due - sensor_taken < n) {
        n = (size_t)(due - sensor_taken);
    }
    memcpy(buf, &board_signal[sensor_taken], n * sizeof(buf[0]));
    sensor_taken += (uint32_t)n;
    return (int)n;
}

static const char hex[] = "0123456789abcdef";

/* The scripted receive windows (mps2-an386.ld): "TFDL", a count, then per downlink its
 * length and bytes; one per uplink, in order, length 0 for windows that stay empty. */
extern const uint8_t board_downlinks[];
static uint32_t dl_next;   /* offset of the next downlink in the page */
static uint32_t dl_taken;  /* downlinks (or empty windows) used */
static uint64_t dl_rx1_ms; /* when RX1 of the last uplink opens; 0: no windows open */

#define DL_PAGE 2048u

bool board_scripted_downlinks(void)
{
    return memcmp(board_downlinks, "TFDL", 4) == 0;
}

/* No radio on the board: the frame is printed as "radio SF BW FREQ HEX". */
static int radio_send(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy, size_t len)
{
    char text[2 * 255 + 1];
    char digits[24];
    size_t i;

    (void)ctx;
    if (len == 0 || len > 255u) {
        return HAL_EINVAL;
    }
    for (i = 0; i < len; i++) {
        text[2 * i] = hex[phy[i] >> 4];
        text[2 * i + 1] = hex[phy[i] & 0x0Fu];
    }
    text[2 * len] = '\0';
    semihost_puts("radio sf=");
    semihost_puts(board_utoa(tx->sf, digits + sizeof(digits)));
    semihost_puts(" freq=");
    semihost_puts(board_utoa(tx->freq_hz, digits + sizeof(digits)));
    semihost_puts(" phy=");
    semihost_puts(text);
    semihost_puts("\n");
    if (board_scripted_downlinks()) {
        dl_rx1_ms = cm4_now_ms() + (uint64_t)1000u * (tx->rx1_delay_s != 0u ? tx->rx1_delay_s : 1u);
    }
    return HAL_OK;
}

/* RX1 of the last uplink hears the next scripted downlink once virtual time reaches it. */
static int radio_recv(void *ctx, uint8_t *buf, size_t cap)
{
    char digits[24];
    uint32_t len;

    (void)ctx;
    if (!board_scripted_downlinks()) {
        return HAL_ENOTSUP; /* no receiver: the node does not wait */
    }
    if (dl_rx1_ms == 0u) {
        return HAL_ETIMEDOUT;
    }
    if (cm4_now_ms() < dl_rx1_ms) {
        return 0;
    }
    dl_rx1_ms = 0;
    if (dl_next == 0u) {
        dl_next = 5u; /* after the magic and the count */
    }
    if (dl_taken >= board_downlinks[4] || dl_next >= DL_PAGE) {
        return HAL_ETIMEDOUT;
    }
    len = board_downlinks[dl_next];
    dl_taken++;
    if (len == 0u || len > cap || dl_next + 1u + len > DL_PAGE) {
        dl_next += 1u + len;
        return HAL_ETIMEDOUT;
    }
    memcpy(buf, &board_downlinks[dl_next + 1u], len);
    dl_next += 1u + len;
    semihost_puts("downlink len=");
    semihost_puts(board_utoa(len, digits + sizeof(digits)));
    semihost_puts("\n");
    return (int)len;
}

static int dgram_send(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    (void)buf;
    (void)len;
    return HAL_ENOTSUP;
}

static int dgram_recv(void *ctx, uint8_t *buf, size_t cap)
{
    (void)ctx;
    (void)buf;
    (void)cap;
    return HAL_ENOTSUP;
}

static int nv_read(void *ctx, uint8_t *buf, size_t cap)
{
    (void)ctx;
    if (nv_len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, nv_record, nv_len);
    return (int)nv_len;
}

static int nv_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    if (len > sizeof(nv_record)) {
        return HAL_ENOSPC;
    }
    memcpy(nv_record, buf, len);
    nv_len = len;
    return HAL_OK;
}

static int learn_read(void *ctx, uint8_t *buf, size_t cap)
{
    (void)ctx;
    if (learn_len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, learn_record, learn_len);
    return (int)learn_len;
}

static int learn_write(void *ctx, const uint8_t *buf, size_t len)
{
    (void)ctx;
    if (len > sizeof(learn_record)) {
        return HAL_ENOSPC;
    }
    memcpy(learn_record, buf, len);
    learn_len = len;
    return HAL_OK;
}

/* xorshift32: QEMU has no TRNG; the node only needs CoAP tokens and jitter from it. */
static uint32_t random_u32(void *ctx)
{
    (void)ctx;
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

static uint16_t battery_mv(void *ctx)
{
    (void)ctx;
    return 3300u; /* the board runs from a bench supply */
}

static void log_line(void *ctx, const char *text)
{
    (void)ctx;
    semihost_puts("log ");
    semihost_puts(text);
    semihost_puts("\n");
}

static const struct hal_ops mps2_ops = {
    .now_ms = now_ms,
    .sleep_ms = sleep_ms,
    .sensor_start = sensor_start,
    .sensor_read = sensor_read,
    .radio_send = radio_send,
    .dgram_send = dgram_send,
    .dgram_recv = dgram_recv,
    .nv_read = nv_read,
    .nv_write = nv_write,
    .random_u32 = random_u32,
    .battery_mv = battery_mv,
    .log = log_line,
    /* no sensor_stop, wake line or energy accounts under QEMU */
    .learn_read = learn_read,
    .learn_write = learn_write,
    .radio_recv = radio_recv, /* scripted downlinks, when a test loads them */
};

static const struct hal mps2_hal = {&mps2_ops, NULL};

const struct hal *board_hal(void)
{
    return &mps2_hal;
}
