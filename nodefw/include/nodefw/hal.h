/* SPDX-License-Identifier: MIT
 * The node firmware's hardware abstraction: everything the firmware core needs from a board
 * (clock, sleep, sensor samples, LoRa radio, datagrams, non-volatile storage, randomness,
 * battery). A board fills one const `struct hal_ops` table; the core calls it only through
 * the hal_*() wrappers below, with the board's context pointer. The context makes many node
 * instances possible in one process (the host fleet simulator gives each node its own clock,
 * sensor stream and storage); a microcontroller board passes NULL or its driver state.
 *
 * Calling context: every function is called from the firmware's single main loop, never
 * from an interrupt; an implementation may block where its comment allows it.
 */
#ifndef PROJ_NODEFW_HAL_H
#define PROJ_NODEFW_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nodefw/energy.h"

#if defined(__GNUC__)
#define HAL_MUST_CHECK __attribute__((warn_unused_result))
#else
#define HAL_MUST_CHECK
#endif

/* Return codes of the HAL functions; all failures are negative. */
enum hal_err {
    HAL_OK = 0,
    HAL_EINVAL = -1,    /* impossible argument (length, parameter out of range) */
    HAL_EIO = -2,       /* the device failed (radio busy or no TX done, flash error, ...) */
    HAL_ETIMEDOUT = -3, /* the operation gave up waiting (e.g. no PUSH_ACK on the host) */
    HAL_ENOSPC = -4,    /* record or datagram larger than the implementation holds */
    HAL_EEOF = -5,      /* the sensor stream has ended (host: end of the WAV file) */
    HAL_ENOTSUP = -6,   /* the board has no such device (e.g. no IP stack: no datagrams) */
};

/* Largest record nv_write() must hold; the firmware keeps its persistent state below it:
 * the frame counter, an OTAA node's session and the settings commands change (fcnt.h). */
#define HAL_NV_MAX 128u

/* Largest record learn_write() must hold: a learning node's learned state (learn.h), a
 * second area beside the frame-counter record because it is 40 times larger and written at
 * other times. */
#define HAL_LEARN_MAX 2048u

/* Largest datagram the firmware sends or expects (a CoAP message carrying one frame). */
#define HAL_DGRAM_MAX 320u

/*
 * LoRa modulation of one transmission. The firmware fills it from its region settings and
 * also uses it to compute the time on air for the duty-cycle budget (dutycycle.h), so a
 * radio must transmit with exactly these parameters.
 */
struct hal_lora_tx {
    uint32_t freq_hz;     /* carrier, e.g. 868100000 */
    uint8_t sf;           /* spreading factor 7..12 */
    uint16_t bw_khz;      /* bandwidth: 125, 250 or 500 */
    uint8_t cr;           /* coding rate 4/(4+cr), cr = 1..4 */
    uint16_t preamble;    /* preamble symbols (LoRaWAN: 8) */
    bool explicit_header; /* LoRaWAN uplinks: true */
    bool crc;             /* payload CRC on (LoRaWAN uplinks: true) */
    bool low_dr_optimize; /* LowDataRateOptimize: on for SF11/SF12 at 125 kHz */
    int8_t power_dbm;     /* conducted TX power, dBm */
    /* When RX1 opens after the end of this transmission, seconds (RX2 one second later):
     * 0 means RECEIVE_DELAY1, 1 s; a JoinRequest's are JOIN_ACCEPT_DELAY1, 5 s
     * (proto/SPEC.md sections 1.5, 1.6). */
    uint8_t rx1_delay_s;
};

/*
 * The board's functions. Every entry is mandatory unless its comment says NULL is allowed;
 * @ctx is the `ctx` member of struct hal, passed through untouched.
 */
struct hal_ops {
    /*
     * now_ms() - monotonic milliseconds since boot; never goes backwards, does not wrap in
     * practice (64 bits). The host simulator returns its simulated clock.
     */
    uint64_t (*now_ms)(void *ctx);

    /*
     * sleep_ms() - low-power wait for @ms milliseconds. It may return early when a datagram
     * arrives (as WFI wakes on an interrupt); callers re-check the clock. The simulator
     * only advances its clock.
     */
    void (*sleep_ms)(void *ctx, uint32_t ms);

    /*
     * sensor_start() - start sampling at @rate_hz, mono 16-bit samples.
     * Return: HAL_OK; HAL_EINVAL when the sensor cannot run at that rate (the host WAV
     * reader returns it when the file's rate differs).
     */
    int (*sensor_start)(void *ctx, uint32_t rate_hz);

    /*
     * sensor_read() - take up to @n samples that are ready, in order, without gaps.
     * @buf: out, @n int16 samples (full-scale signed 16 bit).
     * Return: the number of samples written (0 when none is ready yet), HAL_EEOF when the
     * stream has ended for good, HAL_EIO on a sensor fault. Does not block.
     */
    int (*sensor_read)(void *ctx, int16_t *buf, size_t n);

    /*
     * radio_send() - transmit one LoRa PHYPayload with modulation @tx; blocks until the
     * transmission is done (TX done interrupt or timeout).
     * Return: HAL_OK once sent; HAL_EIO (radio fault), HAL_ETIMEDOUT, HAL_EINVAL (@len over
     * 255 or unsupported parameters), HAL_ENOTSUP (no radio on this board).
     */
    int (*radio_send)(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy, size_t len);

    /*
     * dgram_send() - send one UDP datagram to the gateway's CoAP endpoint (the board or the
     * host program knows its address). Does not block for long.
     * Return: HAL_OK; HAL_EIO; HAL_ENOSPC (@len over HAL_DGRAM_MAX); HAL_ENOTSUP.
     */
    int (*dgram_send)(void *ctx, const uint8_t *buf, size_t len);

    /*
     * dgram_recv() - fetch one datagram from the gateway's CoAP endpoint if one is waiting.
     * @buf: out, @cap bytes. Does not block.
     * Return: its length (> 0), 0 when none is waiting, HAL_EIO, HAL_ENOTSUP. A datagram
     * longer than @cap is dropped (counted as 0).
     */
    int (*dgram_recv)(void *ctx, uint8_t *buf, size_t cap);

    /*
     * nv_read() - read the persistent record (the frame counter and its check).
     * @buf: out, @cap bytes.
     * Return: the record's length, 0 when nothing was ever written (a blank board),
     * HAL_EIO, HAL_ENOSPC when the record is longer than @cap.
     */
    int (*nv_read)(void *ctx, uint8_t *buf, size_t cap);

    /*
     * nv_write() - replace the persistent record with @len bytes (at most HAL_NV_MAX).
     * Must be atomic: after a power cut during the write, nv_read() returns either the old
     * or the new record, whole. (The firmware adds a CRC and a sequence number on top, so
     * a board may implement atomicity with two alternating pages.)
     * Return: HAL_OK, HAL_EIO, HAL_ENOSPC.
     */
    int (*nv_write)(void *ctx, const uint8_t *buf, size_t len);

    /*
     * random_u32() - 32 random bits: the CoAP token and message id and the retransmission
     * jitter. A true RNG where the chip has one; the simulator uses a seeded PRNG so runs
     * repeat.
     */
    uint32_t (*random_u32)(void *ctx);

    /* battery_mv() - battery (or supply) voltage, millivolts. */
    uint16_t (*battery_mv)(void *ctx);

    /* temp_c() - board temperature, degrees Celsius. NULL allowed: the health message then
     * reports 0. */
    int8_t (*temp_c)(void *ctx);

    /*
     * log() - one line of diagnostic text (no newline), for a UART or semihosting console.
     * NULL allowed: the firmware then says nothing. The text is only valid during the call.
     */
    void (*log)(void *ctx, const char *line);

    /* --- power (nodefw/ENERGY.md); each NULL allowed ------------------------------------ */

    /*
     * sensor_stop() - power the sensor front end and its sampling down until the next
     * sensor_start() (duty-cycled sensing). NULL: the sensor keeps running and the firmware
     * discards what it reads while not listening.
     */
    void (*sensor_stop)(void *ctx);

    /*
     * wake_pending() - whether the wake-on-sound line (a wake-on-sound microphone's output
     * or an analog envelope comparator on an EXTI input) fired since the last call; the
     * call clears it. NULL: the board has no such line.
     */
    bool (*wake_pending)(void *ctx);

    /*
     * energy() - the board's energy account as of now (energy.h), into @out.
     * NULL: the board keeps none (hal_energy() then returns HAL_ENOTSUP).
     */
    void (*energy)(void *ctx, struct energy_acct *out);

    /*
     * radio_recv() - the Class A receive windows of the last radio_send(): RX1 and RX2
     * (proto/SPEC.md section 1.5), polled. @buf: out, @cap bytes. Does not block for long.
     * Return: the length of a downlink heard in a window; 0 while a window may still bring
     * one; HAL_ETIMEDOUT once both closed empty; HAL_EIO. NULL in the table (a board without
     * a receiver yet) reads as HAL_ENOTSUP: the node then never waits for a downlink.
     */
    int (*radio_recv)(void *ctx, uint8_t *buf, size_t cap);

    /*
     * learn_read(), learn_write() - the second persistent record: what a node that learns
     * its machine has learned (learn.h), up to HAL_LEARN_MAX bytes; the same contract as
     * nv_read() and nv_write() (0 when blank, atomic replacement). Written at most about 20
     * times per learning period. NULL allowed: the node then learns again after each boot.
     */
    int (*learn_read)(void *ctx, uint8_t *buf, size_t cap);
    int (*learn_write)(void *ctx, const uint8_t *buf, size_t len);

    /*
     * wake_config() - set the wake line's comparator as a commanded sensing schedule asks
     * (sensing.h): @level_q15 the level (full scale 32767; 0: the board's own), @margin_db
     * above the tracked background when > 0 (0: a fixed level). The provisioned schedule is
     * the board's main file's to set at boot. NULL: the board's line is fixed.
     */
    void (*wake_config)(void *ctx, uint16_t level_q15, uint8_t margin_db);
};

/* One board instance: its function table and its context. Caller-owned, usually static. */
struct hal {
    const struct hal_ops *ops;
    void *ctx;
};

/* The wrappers the firmware calls; each passes h->ctx to the matching hal_ops entry. */
static inline uint64_t hal_now_ms(const struct hal *h)
{
    return h->ops->now_ms(h->ctx);
}

static inline void hal_sleep_ms(const struct hal *h, uint32_t ms)
{
    h->ops->sleep_ms(h->ctx, ms);
}

static inline HAL_MUST_CHECK int hal_sensor_start(const struct hal *h, uint32_t rate_hz)
{
    return h->ops->sensor_start(h->ctx, rate_hz);
}

static inline HAL_MUST_CHECK int hal_sensor_read(const struct hal *h, int16_t *buf, size_t n)
{
    return h->ops->sensor_read(h->ctx, buf, n);
}

static inline HAL_MUST_CHECK int hal_radio_send(const struct hal *h, const struct hal_lora_tx *tx,
                                                const uint8_t *phy, size_t len)
{
    return h->ops->radio_send(h->ctx, tx, phy, len);
}

static inline HAL_MUST_CHECK int hal_radio_recv(const struct hal *h, uint8_t *buf, size_t cap)
{
    return h->ops->radio_recv != NULL ? h->ops->radio_recv(h->ctx, buf, cap) : HAL_ENOTSUP;
}

static inline HAL_MUST_CHECK int hal_dgram_send(const struct hal *h, const uint8_t *buf, size_t len)
{
    return h->ops->dgram_send(h->ctx, buf, len);
}

static inline HAL_MUST_CHECK int hal_dgram_recv(const struct hal *h, uint8_t *buf, size_t cap)
{
    return h->ops->dgram_recv(h->ctx, buf, cap);
}

static inline HAL_MUST_CHECK int hal_nv_read(const struct hal *h, uint8_t *buf, size_t cap)
{
    return h->ops->nv_read(h->ctx, buf, cap);
}

static inline HAL_MUST_CHECK int hal_nv_write(const struct hal *h, const uint8_t *buf, size_t len)
{
    return h->ops->nv_write(h->ctx, buf, len);
}

static inline uint32_t hal_random_u32(const struct hal *h)
{
    return h->ops->random_u32(h->ctx);
}

static inline uint16_t hal_battery_mv(const struct hal *h)
{
    return h->ops->battery_mv(h->ctx);
}

static inline int8_t hal_temp_c(const struct hal *h)
{
    return h->ops->temp_c != NULL ? h->ops->temp_c(h->ctx) : 0;
}

static inline void hal_log(const struct hal *h, const char *line)
{
    if (h->ops->log != NULL) {
        h->ops->log(h->ctx, line);
    }
}

static inline void hal_sensor_stop(const struct hal *h)
{
    if (h->ops->sensor_stop != NULL) {
        h->ops->sensor_stop(h->ctx);
    }
}

static inline bool hal_has_wake_line(const struct hal *h)
{
    return h->ops->wake_pending != NULL;
}

static inline bool hal_wake_pending(const struct hal *h)
{
    return h->ops->wake_pending != NULL && h->ops->wake_pending(h->ctx);
}

static inline void hal_wake_config(const struct hal *h, uint16_t level_q15, uint8_t margin_db)
{
    if (h->ops->wake_config != NULL) {
        h->ops->wake_config(h->ctx, level_q15, margin_db);
    }
}

static inline HAL_MUST_CHECK int hal_energy(const struct hal *h, struct energy_acct *out)
{
    if (h->ops->energy == NULL) {
        return HAL_ENOTSUP;
    }
    h->ops->energy(h->ctx, out);
    return HAL_OK;
}

static inline HAL_MUST_CHECK int hal_learn_read(const struct hal *h, uint8_t *buf, size_t cap)
{
    return h->ops->learn_read != NULL ? h->ops->learn_read(h->ctx, buf, cap) : HAL_ENOTSUP;
}

static inline HAL_MUST_CHECK int hal_learn_write(const struct hal *h, const uint8_t *buf,
                                                 size_t len)
{
    return h->ops->learn_write != NULL ? h->ops->learn_write(h->ctx, buf, len) : HAL_ENOTSUP;
}

#endif
