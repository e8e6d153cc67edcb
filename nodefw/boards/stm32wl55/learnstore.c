/* SPDX-License-Identifier: MIT
 * The learned state in flash (learnstore.h). A slot is two 2 KB pages: a header {magic,
 * sequence, length, CRC-32 of the data} then the data. Its own small flash routines, so that
 * the frame-counter record's code in board.c stays as it is.
 */
#include "learnstore.h"

#include <string.h>

#include "nodefw/hal.h"
#include "proto/crc32.h"
#include "stm32wl55.h"

#define LEARN_MAGIC      0x4E524C54u /* "TLRN" */
#define LEARN_SLOT_PAGES 2u

struct learn_slot {
    uint32_t magic;
    uint32_t seq;
    uint32_t len;
    uint32_t crc;
    uint8_t data[HAL_LEARN_MAX];
};

typedef char
    learn_slot_fits[sizeof(struct learn_slot) <= LEARN_SLOT_PAGES * FLASH_PAGE_SIZE ? 1 : -1];

extern const struct learn_slot board_learn_slot0;
extern const struct learn_slot board_learn_slot1;

static int slot_valid(const struct learn_slot *s)
{
    return s->magic == LEARN_MAGIC && s->len <= HAL_LEARN_MAX &&
           s->crc == proto_crc32(0, s->data, s->len);
}

static const struct learn_slot *slot_current(void)
{
    int v0 = slot_valid(&board_learn_slot0);
    int v1 = slot_valid(&board_learn_slot1);

    if (v0 && v1) {
        return (int32_t)(board_learn_slot1.seq - board_learn_slot0.seq) > 0 ? &board_learn_slot1
                                                                            : &board_learn_slot0;
    }
    return v0 ? &board_learn_slot0 : (v1 ? &board_learn_slot1 : NULL);
}

int learnstore_read(void *ctx, uint8_t *buf, size_t cap)
{
    const struct learn_slot *s = slot_current();

    (void)ctx;
    if (s == NULL) {
        return 0;
    }
    if (s->len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, s->data, s->len);
    return (int)s->len;
}

static int wait_ready(void)
{
    uint32_t n = 0;

    while (FLASH_SR & FLASH_SR_BSY) {
        if (++n > 10000000u) {
            return HAL_EIO;
        }
    }
    if (FLASH_SR & FLASH_SR_ERRORS) {
        FLASH_SR = FLASH_SR_ERRORS;
        return HAL_EIO;
    }
    return HAL_OK;
}

static int erase_page(uint32_t addr)
{
    int rc;

    FLASH_CR = FLASH_CR_PER | (((addr - FLASH_ORIGIN) / FLASH_PAGE_SIZE) << FLASH_CR_PNB_SHIFT);
    FLASH_CR |= FLASH_CR_STRT;
    rc = wait_ready();
    FLASH_CR = 0;
    return rc;
}

/* Program @len bytes of @src (any alignment) at @dst, 64 bits at a time, the last double word
 * padded with 0xFF: no RAM copy of the record (the RAM budget of learning is 4 KB). */
static int program(uint32_t dst, const uint8_t *src, size_t len)
{
    int rc = HAL_OK;

    FLASH_CR = FLASH_CR_PG;
    for (size_t off = 0; off < len && rc == HAL_OK; off += 8u) {
        uint32_t w[2] = {0xFFFFFFFFu, 0xFFFFFFFFu};

        memcpy(w, src + off, len - off < 8u ? len - off : 8u);
        CM4_REG(dst + (uint32_t)off) = w[0];
        CM4_REG(dst + (uint32_t)off + 4u) = w[1];
        rc = wait_ready();
    }
    FLASH_CR = 0;
    return rc;
}

int learnstore_write(void *ctx, const uint8_t *buf, size_t len)
{
    const struct learn_slot *cur = slot_current();
    const struct learn_slot *dst =
        cur == &board_learn_slot0 ? &board_learn_slot1 : &board_learn_slot0;
    uint32_t addr = (uint32_t)(uintptr_t)dst;
    uint32_t head[4];
    int rc;

    (void)ctx;
    if (len > HAL_LEARN_MAX) {
        return HAL_ENOSPC;
    }
    head[0] = LEARN_MAGIC;
    head[1] = cur != NULL ? cur->seq + 1u : 1u;
    head[2] = (uint32_t)len;
    head[3] = proto_crc32(0, buf, len);

    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
    rc = wait_ready();
    for (uint32_t p = 0; p < LEARN_SLOT_PAGES && rc == HAL_OK; p++) {
        rc = erase_page(addr + p * FLASH_PAGE_SIZE);
    }
    /* data first, the header (its first 16 bytes) last */
    if (rc == HAL_OK && len > 0u) {
        rc = program(addr + 16u, buf, len);
    }
    if (rc == HAL_OK) {
        rc = program(addr, (const uint8_t *)head, sizeof(head));
    }
    FLASH_CR = FLASH_CR_LOCK;
    return rc;
}
