/* SPDX-License-Identifier: MIT
 * A scriptable HAL for the node firmware's unit tests: a clock the test sets, non-volatile
 * storage in RAM (with a switch to make writes fail), a log of every datagram and radio frame
 * sent with its time, a queue of datagrams to deliver, and a deterministic random generator.
 * Header-only (static functions) so each test program includes it once.
 */
#ifndef PROJ_TESTS_NODEFW_NODE_FAKE_HAL_H
#define PROJ_TESTS_NODEFW_NODE_FAKE_HAL_H

#include <stdint.h>
#include <string.h>

#include "nodefw/hal.h"

#define FAKE_MAX_SENT 64
#define FAKE_MAX_IN   8

struct fake_sent {
    uint64_t t_ms;
    uint8_t buf[HAL_DGRAM_MAX];
    size_t len;
};

struct fake_hal {
    uint64_t now_ms;
    uint8_t nv[HAL_NV_MAX];
    int nv_len;  /* 0: blank */
    int nv_fail; /* 1: writes fail with HAL_EIO */
    int nv_writes;
    struct fake_sent sent[FAKE_MAX_SENT]; /* datagrams, or radio frames */
    int nsent;
    struct fake_sent in[FAKE_MAX_IN]; /* waiting to be received */
    int nin;
    uint32_t rng;
    int radio_fail;
    const int16_t *samples; /* sensor input; NULL: silence without end */
    size_t nsamples;
    size_t spos;
    uint32_t rate_hz; /* set by sensor_start: samples become ready as the clock passes */
    uint64_t start_ms;
    uint8_t learn[HAL_LEARN_MAX]; /* the learned-state area */
    int learn_len;                /* 0: blank */
    int learn_writes;
};

static inline uint64_t fake_now(void *ctx)
{
    return ((struct fake_hal *)ctx)->now_ms;
}

static inline void fake_sleep(void *ctx, uint32_t ms)
{
    ((struct fake_hal *)ctx)->now_ms += ms;
}

static inline int fake_sensor_start(void *ctx, uint32_t rate)
{
    struct fake_hal *f = ctx;

    f->rate_hz = rate;
    f->start_ms = f->now_ms;
    f->spos = 0;
    return rate > 0 ? HAL_OK : HAL_EINVAL;
}

static inline int fake_sensor_read(void *ctx, int16_t *buf, size_t n)
{
    struct fake_hal *f = ctx;
    size_t due = (size_t)((f->now_ms - f->start_ms) * f->rate_hz / 1000u);
    size_t k;

    if (f->samples != NULL && f->spos == f->nsamples) {
        return HAL_EEOF;
    }
    if (f->samples != NULL && due > f->nsamples) {
        due = f->nsamples;
    }
    k = due > f->spos ? due - f->spos : 0;
    if (k > n) {
        k = n;
    }
    if (f->samples != NULL) {
        memcpy(buf, f->samples + f->spos, k * sizeof(*buf));
    } else {
        memset(buf, 0, k * sizeof(*buf));
    }
    f->spos += k;
    return (int)k;
}

static inline void fake_log_send(struct fake_hal *f, const uint8_t *buf, size_t len)
{
    if (f->nsent < FAKE_MAX_SENT && len <= HAL_DGRAM_MAX) {
        f->sent[f->nsent].t_ms = f->now_ms;
        memcpy(f->sent[f->nsent].buf, buf, len);
        f->sent[f->nsent].len = len;
        f->nsent++;
    }
}

static inline int fake_radio_send(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy,
                                  size_t len)
{
    struct fake_hal *f = ctx;

    (void)tx;
    if (f->radio_fail) {
        return HAL_EIO;
    }
    fake_log_send(f, phy, len);
    return HAL_OK;
}

static inline int fake_dgram_send(void *ctx, const uint8_t *buf, size_t len)
{
    fake_log_send(ctx, buf, len);
    return HAL_OK;
}

static inline int fake_dgram_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct fake_hal *f = ctx;
    size_t len;

    if (f->nin == 0) {
        return 0;
    }
    len = f->in[0].len;
    if (len > cap) {
        len = 0;
    } else {
        memcpy(buf, f->in[0].buf, len);
    }
    memmove(&f->in[0], &f->in[1], (size_t)(f->nin - 1) * sizeof(f->in[0]));
    f->nin--;
    return (int)len;
}

/* Queue a datagram for the device to receive. */
static inline void fake_deliver(struct fake_hal *f, const uint8_t *buf, size_t len)
{
    if (f->nin < FAKE_MAX_IN) {
        memcpy(f->in[f->nin].buf, buf, len);
        f->in[f->nin].len = len;
        f->nin++;
    }
}

static inline int fake_nv_read(void *ctx, uint8_t *buf, size_t cap)
{
    struct fake_hal *f = ctx;

    if ((size_t)f->nv_len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, f->nv, (size_t)f->nv_len);
    return f->nv_len;
}

static inline int fake_nv_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake_hal *f = ctx;

    if (f->nv_fail) {
        return HAL_EIO;
    }
    if (len > HAL_NV_MAX) {
        return HAL_ENOSPC;
    }
    memcpy(f->nv, buf, len);
    f->nv_len = (int)len;
    f->nv_writes++;
    return HAL_OK;
}

static inline int fake_learn_read(void *ctx, uint8_t *buf, size_t cap)
{
    struct fake_hal *f = ctx;

    if ((size_t)f->learn_len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, f->learn, (size_t)f->learn_len);
    return f->learn_len;
}

static inline int fake_learn_write(void *ctx, const uint8_t *buf, size_t len)
{
    struct fake_hal *f = ctx;

    if (len > HAL_LEARN_MAX) {
        return HAL_ENOSPC;
    }
    memcpy(f->learn, buf, len);
    f->learn_len = (int)len;
    f->learn_writes++;
    return HAL_OK;
}

static inline uint32_t fake_random(void *ctx)
{
    struct fake_hal *f = ctx;

    /* xorshift32: deterministic, so the retransmission times are known in advance. */
    f->rng ^= f->rng << 13;
    f->rng ^= f->rng >> 17;
    f->rng ^= f->rng << 5;
    return f->rng;
}

static inline uint16_t fake_battery(void *ctx)
{
    (void)ctx;
    return 3300;
}

static const struct hal_ops fake_ops = {
    .now_ms = fake_now,
    .sleep_ms = fake_sleep,
    .sensor_start = fake_sensor_start,
    .sensor_read = fake_sensor_read,
    .radio_send = fake_radio_send,
    .dgram_send = fake_dgram_send,
    .dgram_recv = fake_dgram_recv,
    .nv_read = fake_nv_read,
    .nv_write = fake_nv_write,
    .random_u32 = fake_random,
    .battery_mv = fake_battery,
    .temp_c = NULL,
    .log = NULL,
    .learn_read = fake_learn_read,
    .learn_write = fake_learn_write,
};

static inline void fake_init(struct fake_hal *f, struct hal *h)
{
    memset(f, 0, sizeof(*f));
    f->rng = 0x12345678u;
    h->ops = &fake_ops;
    h->ctx = f;
}

#endif
