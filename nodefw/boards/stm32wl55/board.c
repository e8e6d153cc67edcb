/* SPDX-License-Identifier: MIT
 * STM32WL55 (Nucleo-WL55JC wiring) HAL: 48 MHz MSI bursts on the SMPS, 2 MHz low-power
 * sleep while sampling and Stop2 while not (lowpower.c), SysTick milliseconds, the sensor
 * on ADC channel BOARD_SENSOR_CH converted on TIM2's trigger into a DMA ring (no interrupt
 * per sample), the radio put to sleep after each transmission,
 * the on-chip SX126x radio through the SUBGHZSPI with the low-power PA behind the board's
 * RF switch, the frame counter record in two alternating flash pages, the hardware RNG and
 * the supply voltage from VREFINT. No IP stack: datagrams are HAL_ENOTSUP.
 *
 * Written from RM0453 and the Nucleo schematic; it builds, but has not run on silicon
 * (see nodefw/boards/README.md).
 */
#include "board.h"
#include "cm4.h"
#include "msclock.h"
#include "stm32wl55.h"
#include "subghz.h"
#include "lowpower.h"
#include "learnstore.h"
#include "nodefw/sx126x.h"

#include <string.h>

#include "nodefw/dutycycle.h"
#include "nodefw/rxwin.h"

#define CLOCK_HZ        48000000u
#define TICKS_PER_MS    (CLOCK_HZ / 1000u)
#define BOARD_SENSOR_CH 5u    /* ADC_IN5 = PB1, Arduino A0 on the Nucleo-WL55JC */
#define RING_SAMPLES    1024u /* 256 ms at 4 kHz: the slack between two node_step() calls */
#define ADC_SPINS       100000u

const uint32_t board_clock_hz = CLOCK_HZ;

static uint16_t supply_mv = 3300u;

/* The DMA writes raw 12-bit conversions round the ring; sensor_read() consumes from tail and
 * finds the DMA's position from CNDTR. A reader more than a ring behind loses samples
 * (counted), which the 256 ms of slack at 4 kHz and the half-ring wake-up prevent. */
static volatile uint16_t ring[RING_SAMPLES];
static uint32_t ring_tail; /* samples consumed, counting from the start of sampling */
static uint32_t ring_laps; /* full turns of the DMA seen by sensor_read() */
static uint32_t ring_last; /* DMA position at the previous read */
static uint32_t ring_overruns;
static uint8_t sampling;

static struct sx126x radio;

/* Nucleo-WL55JC: TCXO on DIO3 at 1.7 V, DC-DC regulator, low-power PA at up to +14 dBm
 * (RM0453 table 35: paDutyCycle 4, hpMax 0, LP PA selected). */
static const struct sx126x_pa nucleo_pa = {0x04, 0x00, 0x01, 14, 0x01, 1};

/* The board's interrupt vectors, after the core's 16 (see cortex-m4/startup.c). */
static void dma_isr(void);
__attribute__((section(".vectors.irq"), used)) static const cm4_vector irq_vectors[IRQ_COUNT] = {
    [IRQ_DMA1_CH1] = dma_isr,
    [IRQ_LPTIM1] = lowpower_lptim_isr,
    [IRQ_SUBGHZ_RADIO] = subghz_radio_isr,
};

void board_fault(uint32_t ipsr)
{
    (void)ipsr;
    /* No console: reset and start over (the frame counter skips ahead by K on boot). */
    CM4_SCB_AIRCR = CM4_SCB_AIRCR_RESET;
    for (;;) {
        __asm__ volatile("wfi");
    }
}

void board_exit(int status)
{
    board_fault((uint32_t)status);
}

/* MSI 4 -> 48 MHz (RM0453 7.2.3): voltage range 1 and two flash wait states first. */
static void clock_init(void)
{
    PWR_CR1 = (PWR_CR1 & ~PWR_CR1_VOS_MASK) | PWR_CR1_VOS_RANGE1;
    while (PWR_SR2 & PWR_SR2_VOSF) {
    }
    FLASH_ACR = FLASH_ACR_LATENCY_2 | FLASH_ACR_PRFTEN | FLASH_ACR_ICEN | FLASH_ACR_DCEN;
    while ((FLASH_ACR & 7u) != FLASH_ACR_LATENCY_2) {
    }
    RCC_CR = (RCC_CR & ~RCC_CR_MSIRANGE_MASK) | RCC_CR_MSIRANGE_48MHZ | RCC_CR_MSIRGSEL;
    while ((RCC_CR & RCC_CR_MSIRDY) == 0) {
    }
    cm4_msclock_start(TICKS_PER_MS);
}

static int adc_wait(uint32_t flag)
{
    uint32_t n = 0;

    while ((ADC_ISR & flag) == 0) {
        if (++n > ADC_SPINS) {
            return HAL_EIO;
        }
    }
    return HAL_OK;
}

/* ADC on PCLK/2, regulator on, calibrated, enabled (RM0453 18.3.2-18.3.4). */
static int adc_init(void)
{
    uint32_t n;

    RCC_APB2ENR |= RCC_APB2ENR_ADCEN;
    (void)RCC_APB2ENR;
    ADC_CFGR2 = ADC_CFGR2_CKMODE_PCLK_DIV2;
    ADC_CR = ADC_CR_ADVREGEN;
    for (n = 0; n < CLOCK_HZ / 50000u; n++) { /* t_ADCVREG_STUP: 20 us */
        __asm__ volatile("nop");
    }
    ADC_CR |= ADC_CR_ADCAL;
    if (adc_wait(ADC_ISR_EOCAL) != HAL_OK) {
        return HAL_EIO;
    }
    ADC_ISR = ADC_ISR_EOCAL | ADC_ISR_ADRDY;
    ADC_CCR |= ADC_CCR_VREFEN;
    ADC_SMPR = 7u; /* 160.5 cycles = 6.7 us: VREFINT needs >= 4 us (DS13293) */
    ADC_CR |= ADC_CR_ADEN;
    return adc_wait(ADC_ISR_ADRDY);
}

static uint16_t adc_read_blocking(uint32_t ch)
{
    ADC_CHSELR = 1u << ch;
    ADC_CR |= ADC_CR_ADSTART;
    if (adc_wait(ADC_ISR_EOC) != HAL_OK) {
        return 0;
    }
    return (uint16_t)ADC_DR;
}

/* VDD = 3.3 V * VREFINT_CAL / VREFINT reading (RM0453 18.4.32). Only while not sampling:
 * the sensor owns the ADC then, and the last reading stands. */
static void measure_supply(void)
{
    uint32_t v = adc_read_blocking(ADC_CH_VREFINT);

    if (v != 0) {
        supply_mv = (uint16_t)(VREFINT_CAL_MV * VREFINT_CAL / v);
    }
}

/* Half or full ring: only wakes the core from LPSleep; sensor_read() does the rest. */
static void dma_isr(void)
{
    DMA1_IFCR = 0x0Fu; /* channel 1: global, TC, HT, TE */
}

/* SX126x SetSleep (0x84) with warm start (bit 2: the configuration is kept), about 0.6 uA
 * instead of 0.6 mA in STDBY_RC; the next command (NSS low) wakes it (datasheet 13.1.1). */
static void radio_sleep(void)
{
    static const uint8_t warm = 0x04u;

    if (radio.bus != NULL && sx126x_command(&radio, 0x84u, &warm, 1u) != HAL_OK) {
        radio.bus = NULL;
    }
}

void board_init(void)
{
    clock_init();
    RCC_AHB2ENR |= RCC_AHB2ENR_GPIOCEN;
    RCC_AHB3ENR |= RCC_AHB3ENR_RNGEN;
    RCC_CCIPR |= RCC_CCIPR_RNGSEL_MSI;
    RNG_CR = RNG_CR_RNGEN;
    /* RF switch pins PC3, PC4, PC5 as outputs, switch off. */
    GPIOC_MODER = (GPIOC_MODER & ~(0x3Fu << 6)) | (0x15u << 6);
    GPIOC_BSRR = (0x38u << 16);
    if (adc_init() == HAL_OK) {
        measure_supply();
    }
    radio.bus = &subghz_bus;
    radio.bus_ctx = NULL;
    radio.pa = &nucleo_pa;
    if (subghz_init() != HAL_OK || sx126x_init(&radio) != HAL_OK) {
        radio.bus = NULL; /* radio_send() reports HAL_EIO */
    }
    radio_sleep();
    lowpower_init();
}

/*
 * SysTick's count extended by the millisecond interrupt. A reload between the two reads of
 * the count means retry; a reload whose interrupt is still pending (ICSR.PENDSTSET, read
 * between them) means the millisecond counter is one behind the count.
 */
uint32_t board_ticks(void)
{
    for (;;) {
        uint32_t ms = cm4_ms;
        uint32_t c1 = CM4_SYST_CVR;
        uint32_t pend = CM4_SCB_ICSR & CM4_SCB_ICSR_PENDSTSET;
        uint32_t c2 = CM4_SYST_CVR;

        if (ms == cm4_ms && c2 <= c1) {
            return (ms + (pend != 0 ? 1u : 0u)) * TICKS_PER_MS + (TICKS_PER_MS - 1u - c1);
        }
    }
}

static uint64_t now_ms(void *ctx)
{
    (void)ctx;
    return cm4_now_ms();
}

static void sleep_ms(void *ctx, uint32_t ms)
{
    (void)ctx;
    lowpower_sleep_ms(ms, sampling != 0u);
}

/* TIM2 counts at 2 MHz at either core clock (lowpower.c keeps its prescaler in step), so
 * 1000, 2000 and 4000 Hz are exact: ARR = 2 MHz / rate - 1. Each update triggers one
 * conversion; the ADC switches itself off between them (AUTOFF); DMA1 channel 1 moves each
 * result into the ring, circularly, interrupting at half and full ring only. */
static int sensor_start(void *ctx, uint32_t rate_hz)
{
    (void)ctx;
    if (rate_hz < 100u || rate_hz > 16000u || 2000000u % rate_hz != 0u) {
        return HAL_EINVAL;
    }
    RCC_APB1ENR1 |= RCC_APB1ENR1_TIM2EN;
    RCC_AHB1ENR |= RCC_AHB1ENR_DMA1EN | RCC_AHB1ENR_DMAMUXEN;
    (void)RCC_AHB1ENR;
    TIM2_CR1 = 0;
    TIM2_PSC = CLOCK_HZ / 2000000u - 1u;
    TIM2_ARR = 2000000u / rate_hz - 1u;
    TIM2_CR2 = TIM_CR2_MMS_UPDATE;
    TIM2_EGR = TIM_EGR_UG;
    TIM2_SR = 0;
    DMA1_CCR1 = 0;
    DMAMUX1_C0CR = DMAMUX_REQ_ADC;
    DMA1_CPAR1 = (uint32_t)(uintptr_t)&ADC_DR;
    DMA1_CMAR1 = (uint32_t)(uintptr_t)ring;
    DMA1_CNDTR1 = RING_SAMPLES;
    DMA1_CCR1 =
        DMA_CCR_MINC | DMA_CCR_CIRC | DMA_CCR_P16_M16 | DMA_CCR_HTIE | DMA_CCR_TCIE | DMA_CCR_EN;
    ADC_CHSELR = 1u << BOARD_SENSOR_CH;
    ADC_CFGR1 = ADC_CFGR1_DMAEN | ADC_CFGR1_DMACFG | ADC_CFGR1_EXTSEL_T2 | ADC_CFGR1_EXTEN_R |
                ADC_CFGR1_AUTOFF;
    ring_tail = 0;
    ring_laps = 0;
    ring_last = 0;
    sampling = 1;
    lowpower_sensor(true);
    CM4_NVIC_ISER(IRQ_DMA1_CH1 / 32u) = 1u << (IRQ_DMA1_CH1 % 32u);
    ADC_CR |= ADC_CR_ADSTART; /* armed: converts on each trigger */
    TIM2_CR1 = TIM_CR1_CEN;
    return HAL_OK;
}

static void sensor_stop(void *ctx)
{
    (void)ctx;
    TIM2_CR1 = 0;
    ADC_CR |= ADC_CR_ADSTP;
    DMA1_CCR1 = 0;
    ADC_CFGR1 = 0;
    sampling = 0;
    lowpower_sensor(false);
}

static int sensor_read(void *ctx, int16_t *buf, size_t n)
{
    uint32_t pos = RING_SAMPLES - DMA1_CNDTR1; /* next index the DMA writes */
    uint32_t head;
    size_t got = 0;

    (void)ctx;
    if (!sampling) {
        return HAL_EIO;
    }
    if (pos < ring_last) {
        ring_laps++;
    }
    ring_last = pos;
    head = ring_laps * RING_SAMPLES + pos;
    if (head - ring_tail > RING_SAMPLES) {
        ring_overruns += head - ring_tail - RING_SAMPLES;
        ring_tail = head - RING_SAMPLES;
    }
    while (got < n && ring_tail != head) {
        /* 12-bit unsigned around mid-scale -> full-scale signed 16 bit */
        buf[got++] = (int16_t)(((int32_t)ring[ring_tail % RING_SAMPLES] - 2048) * 16);
        ring_tail++;
    }
    return (int)got;
}

/* RF switch (Nucleo-WL55JC, UM2592): low-power PA = FE_CTRL1, 2, 3 all high; off = low. */
static void rf_switch(int tx_lp)
{
    GPIOC_BSRR = tx_lp ? 0x38u : (0x38u << 16);
}

/* RF switch for reception (UM2592): FE_CTRL1 (PC4) and FE_CTRL3 (PC3) high, FE_CTRL2 (PC5)
 * low. */
static void rf_switch_rx(void)
{
    GPIOC_BSRR = 0x18u | (0x20u << 16);
}

/* The receive windows of the last uplink (rxwin.h); the radio stays in standby from TxDone
 * until they are over, then sleeps. */
static struct rxwin windows;

static int radio_send(void *ctx, const struct hal_lora_tx *tx, const uint8_t *phy, size_t len)
{
    uint32_t toa_ms;
    int rc;

    (void)ctx;
    if (radio.bus == NULL) {
        return HAL_EIO;
    }
    if (len == 0 || len > 255u) {
        return HAL_EINVAL;
    }
    /* The chip's own TX timeout: twice the time on air, plus the TCXO start. */
    toa_ms = dutycycle_toa_us(tx, len) / 1000u + 1u;
    subghz_irq_arm();
    rf_switch(1);
    rc = sx126x_lora_send(&radio, tx, phy, len, 2u * toa_ms + 10u);
    rf_switch(0);
    lowpower_tx(dutycycle_toa_us(tx, len), tx->power_dbm);
    if (rc != HAL_OK) {
        windows.state = RXWIN_CLOSED;
        radio_sleep();
        return rc;
    }
    /* RX1 counts from the end of the transmission, which is now (sx126x_lora_send() returns
     * at TxDone); the radio sleeps after the last window (radio_recv()). */
    rxwin_open(&windows, tx, cm4_now_ms());
    return rc;
}

/* Polled by the node while the windows are open (bearer_downlink()): returns 0 until a
 * window is near, then waits for it in low power and listens, blocking for the window. */
static int radio_recv(void *ctx, uint8_t *buf, size_t cap)
{
    struct hal_lora_tx rx;
    uint32_t wait_ms = 0;
    uint32_t listen_ms = 0;
    uint64_t t0;
    int rc;

    (void)ctx;
    if (rxwin_next(&windows, cm4_now_ms(), &rx, &wait_ms, &listen_ms) == RXWIN_CLOSED) {
        radio_sleep();
        return HAL_ETIMEDOUT;
    }
    if (wait_ms > BOARD_RX_POLL_MS) {
        return 0; /* the main loop polls again within BOARD_RX_POLL_MS (main_node.c) */
    }
    if (wait_ms > 0u) {
        lowpower_sleep_ms(wait_ms, sampling != 0u);
    }
    if (radio.bus == NULL) {
        windows.state = RXWIN_CLOSED;
        return HAL_EIO;
    }
    subghz_irq_arm();
    rf_switch_rx();
    t0 = cm4_now_ms();
    rc = sx126x_lora_recv(&radio, &rx, buf, cap, listen_ms);
    rf_switch(0);
    /* What the receiver was on, measured: the chip stops early on a packet's end. */
    lowpower_rx((uint32_t)(cm4_now_ms() - t0) * 1000u);
    rxwin_done(&windows, rc > 0);
    if (rc > 0) {
        radio_sleep();
        return rc;
    }
    if (windows.state == RXWIN_CLOSED) {
        radio_sleep();
        return HAL_ETIMEDOUT;
    }
    return 0; /* RX2 is next */
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

/*
 * NV record: two flash pages (linker symbols board_nv_page0/1) used alternately. A page
 * holds a header {magic, sequence, length, checksum} then the data; a write erases the
 * older page, programs the data, then the header last, so a power cut leaves either the old
 * page or a complete new one valid.
 */
#define NV_MAGIC 0x5446564Eu /* "NVFT" */

struct nv_page {
    uint32_t magic;
    uint32_t seq;
    uint32_t len;
    uint32_t sum;
    uint8_t data[HAL_NV_MAX];
};

extern const struct nv_page board_nv_page0;
extern const struct nv_page board_nv_page1;

static uint32_t nv_sum(const struct nv_page *p)
{
    uint32_t s = 0x811C9DC5u ^ p->seq ^ (p->len << 16);
    uint32_t i;

    for (i = 0; i < p->len && i < HAL_NV_MAX; i++) {
        s = (s ^ p->data[i]) * 0x01000193u; /* FNV-1a */
    }
    return s;
}

static int nv_valid(const struct nv_page *p)
{
    return p->magic == NV_MAGIC && p->len <= HAL_NV_MAX && p->sum == nv_sum(p);
}

static const struct nv_page *nv_current(void)
{
    int v0 = nv_valid(&board_nv_page0);
    int v1 = nv_valid(&board_nv_page1);

    if (v0 && v1) {
        return (int32_t)(board_nv_page1.seq - board_nv_page0.seq) > 0 ? &board_nv_page1
                                                                      : &board_nv_page0;
    }
    return v0 ? &board_nv_page0 : (v1 ? &board_nv_page1 : NULL);
}

static int nv_read(void *ctx, uint8_t *buf, size_t cap)
{
    const struct nv_page *p = nv_current();

    (void)ctx;
    if (p == NULL) {
        return 0;
    }
    if (p->len > cap) {
        return HAL_ENOSPC;
    }
    memcpy(buf, p->data, p->len);
    return (int)p->len;
}

static int flash_wait(void)
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

/* Program 64-bit double words (RM0453 3.3.7) from @src to flash at @dst. */
static int flash_program(uint32_t dst, const uint32_t *src, uint32_t words)
{
    uint32_t i;
    int rc = HAL_OK;

    FLASH_CR = FLASH_CR_PG;
    for (i = 0; i < words && rc == HAL_OK; i += 2) {
        CM4_REG(dst + 4u * i) = src[i];
        CM4_REG(dst + 4u * i + 4u) = i + 1u < words ? src[i + 1u] : 0xFFFFFFFFu;
        rc = flash_wait();
    }
    FLASH_CR = 0;
    return rc;
}

static int nv_write(void *ctx, const uint8_t *buf, size_t len)
{
    static struct nv_page page;
    const struct nv_page *cur = nv_current();
    const struct nv_page *dst = cur == &board_nv_page0 ? &board_nv_page1 : &board_nv_page0;
    uint32_t addr = (uint32_t)(uintptr_t)dst;
    uint32_t words[sizeof(page) / 4u];
    int rc;

    (void)ctx;
    if (len > HAL_NV_MAX) {
        return HAL_ENOSPC;
    }
    memset(&page, 0xFF, sizeof(page));
    page.magic = NV_MAGIC;
    page.seq = cur != NULL ? cur->seq + 1u : 1u;
    page.len = (uint32_t)len;
    memcpy(page.data, buf, len);
    page.sum = nv_sum(&page);
    memcpy(words, &page, sizeof(page));

    FLASH_KEYR = FLASH_KEY1;
    FLASH_KEYR = FLASH_KEY2;
    rc = flash_wait();
    if (rc == HAL_OK) {
        FLASH_CR = FLASH_CR_PER | (((addr - FLASH_ORIGIN) / FLASH_PAGE_SIZE) << FLASH_CR_PNB_SHIFT);
        FLASH_CR |= FLASH_CR_STRT;
        rc = flash_wait();
        FLASH_CR = 0;
    }
    /* data first (words 4.. of the page), header (words 0..3) last */
    if (rc == HAL_OK) {
        rc = flash_program(addr + 16u, &words[4], (uint32_t)(sizeof(words) / 4u) - 4u);
    }
    if (rc == HAL_OK) {
        rc = flash_program(addr, words, 4u);
    }
    FLASH_CR = FLASH_CR_LOCK;
    return rc;
}

static uint32_t random_u32(void *ctx)
{
    static uint32_t fallback = 0x2545F491u;
    uint32_t n = 0;

    (void)ctx;
    while ((RNG_SR & RNG_SR_DRDY) == 0) {
        if (++n > 10000u) {
            /* RNG fault (seed or clock error): xorshift keeps tokens distinct */
            fallback ^= fallback << 13;
            fallback ^= fallback >> 17;
            fallback ^= fallback << 5;
            return fallback ^ board_ticks();
        }
    }
    return RNG_DR;
}

static uint16_t battery_mv(void *ctx)
{
    (void)ctx;
    if (!sampling) {
        measure_supply();
    }
    return supply_mv;
}

static void energy(void *ctx, struct energy_acct *out)
{
    (void)ctx;
    lowpower_account(out);
}

static const struct hal_ops stm32wl55_ops = {
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
    .temp_c = NULL,
    .log = NULL,
    .sensor_stop = sensor_stop,
    .wake_pending = NULL,
    .energy = energy,
    .learn_read = learnstore_read,
    .learn_write = learnstore_write,
    .radio_recv = radio_recv,
};

static const struct hal stm32wl55_hal = {&stm32wl55_ops, NULL};

const struct hal *board_hal(void)
{
    return &stm32wl55_hal;
}
