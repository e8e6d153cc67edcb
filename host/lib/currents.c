/* SPDX-License-Identifier: MIT
 * The current table (currents.h): every figure `tinyfleet-node budget` uses, each with its
 * source. Datasheet figures are typical values (25 C, VDD 3.0-3.3 V) as transcribed from the
 * document named; none has been measured on a board of this project yet. Lines whose source
 * says "estimate" are derived from the named document rather than read off one of its
 * tables. To correct a figure after measuring, change its value and write the measurement
 * (instrument, board, firmware commit) as its source.
 */
#include "lib/currents.h"

#include <string.h>

#define DS_WL  "DS13293 (STM32WL55xx/54xx datasheet)"
#define ST_PWR "ST training 'STM32WL5 - Power controller (PWR)' rev 1.0, overview slide"
#define SX     "Semtech SX1261/2 datasheet rev 2.1, 'Electrical specifications'"

static const struct currents_figure stm32wl55_figures[] = {
    /* the core (Cortex-M4 of the STM32WL55) */
    {"run_hz", 48e6, "Hz", "nodefw/boards/stm32wl55/board.c: MSI range 11, voltage range 1"},
    {"lp_hz", 2e6, "Hz", "RM0453 6.4.4: low-power sleep runs at most 2 MHz (MSI range 5)"},
    {"run_ua_per_mhz_ldo", 101, "uA/MHz", ST_PWR ": Run range 1, 48 MHz, LDO"},
    {"run_ua_per_mhz_smps", 70, "uA/MHz", ST_PWR ": Run range 1, 48 MHz, SMPS"},
    {"sleep_ua_per_mhz", 29, "uA/MHz", ST_PWR ": Sleep, 48 MHz"},
    {"lpsleep_ua_per_mhz", 30, "uA/MHz", ST_PWR ": LPSleep, 2 MHz"},
    {"stop2_ua", 1.1, "uA", DS_WL ": Stop 2 with RTC (LSE), typical"},
    {"cpi", 1.3, "cycles/instr",
     "estimate: Cortex-M4 TRM instruction timings with 2 flash wait states at 48 MHz "
     "(RM0453 3.3.3) behind the prefetch and caches; QEMU counts instructions, not cycles"},
    {"isr_cycles", 60, "cycles",
     "estimate: Cortex-M4 TRM 12-cycle exception entry and 12-cycle return, plus the "
     "TIM2/SysTick handler bodies of board.c and msclock.c"},
    /* sampling: the ADC with its trigger */
    {"adc_on_ua", 200, "uA",
     "estimate from " DS_WL " ADC consumption table: ADC enabled with its clock running "
     "between conversions, as board.c leaves it"},
    {"adc_lp_ua", 40, "uA",
     "estimate from " DS_WL " ADC consumption at low rate with AUTOFF, plus TIM2 and DMA "
     "clocks (RM0453 18.4.19 auto-off)"},
    /* the sub-GHz radio (SX126x inside the STM32WL) */
    {"tx_ua_14dbm", 25500, "uA", SX ": TX +14 dBm, low-power PA, DC-DC"},
    {"tx_ua_10dbm", 15000, "uA", DS_WL " Features: TX 15 mA at +10 dBm (low-power PA)"},
    {"rx_ua", 4820, "uA", DS_WL " Features: RX 4.82 mA (LoRa 125 kHz)"},
    {"radio_standby_ua", 600, "uA", SX ": STDBY_RC"},
    {"radio_sleep_ua", 0.6, "uA", SX ": Sleep, warm start (configuration kept)"},
    /* sensor front ends */
    {"sensor_elephant_ua", 280, "uA",
     "TDK InvenSense ICS-40300 datasheet: supply current 220 uA (low-frequency analog MEMS "
     "microphone) + TI TLV9001 datasheet: 60 uA quiescent (preamp)"},
    {"sensor_whale_ua", 120, "uA",
     "passive piezo hydrophone (no supply) + two gain stages, TI TLV9001 datasheet: 60 uA "
     "quiescent each"},
    {"sensor_turbine_ua", 1000, "uA", "Analog Devices ADXL1002 datasheet: supply current 1.0 mA"},
    {"wake_on_sound_ua", 10, "uA", "Vesper VM1010 datasheet: wake-on-sound mode, 10 uA"},
    /* firmware: instructions per classification window, measured */
    {"instr_elephant", 550098, "instr/window",
     "measured: make bench-nodefw, Cortex-M4 under QEMU -icount (340,589 features + 209,509 "
     "inference)"},
    {"instr_whale", 532570, "instr/window",
     "measured: make bench-nodefw, Cortex-M4 under QEMU -icount (340,250 + 192,320)"},
    {"instr_turbine", 369774, "instr/window",
     "measured: make bench-nodefw, Cortex-M4 under QEMU -icount (340,499 + 29,275)"},
};

static const struct currents_board boards[] = {
    {"stm32wl55", stm32wl55_figures, sizeof(stm32wl55_figures) / sizeof(stm32wl55_figures[0])},
};

static const struct currents_battery batteries[] = {
    {"cr2032", "CR2032", 225, "Energizer CR2032 datasheet: 225 mAh to 2.0 V at 0.19 mA"},
    {"2xaa", "2xAA lithium", 3500,
     "Energizer L91 datasheet: 3500 mAh at low drain (two in series: 3 V, same mAh)"},
    {"d", "D Li-SOCl2", 17000, "Saft LS 33600 datasheet: 17 Ah nominal (3.6 V)"},
};

/* What budget.c asks for: a table without one of these is incomplete. */
static const char *const needed[] = {
    "run_hz",
    "lp_hz",
    "run_ua_per_mhz_ldo",
    "run_ua_per_mhz_smps",
    "sleep_ua_per_mhz",
    "lpsleep_ua_per_mhz",
    "stop2_ua",
    "cpi",
    "isr_cycles",
    "adc_on_ua",
    "adc_lp_ua",
    "tx_ua_14dbm",
    "tx_ua_10dbm",
    "rx_ua",
    "radio_standby_ua",
    "radio_sleep_ua",
    "sensor_elephant_ua",
    "sensor_whale_ua",
    "sensor_turbine_ua",
    "wake_on_sound_ua",
    "instr_elephant",
    "instr_whale",
    "instr_turbine",
};

const struct currents_board *currents_board(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
        if (strcmp(boards[i].name, name) == 0) {
            return &boards[i];
        }
    }
    return NULL;
}

const struct currents_figure *currents_figure(const struct currents_board *b, const char *key)
{
    size_t i;

    for (i = 0; i < b->count; i++) {
        if (strcmp(b->figures[i].key, key) == 0) {
            return &b->figures[i];
        }
    }
    return NULL;
}

double currents_get(const struct currents_board *b, const char *key)
{
    const struct currents_figure *f = currents_figure(b, key);

    return f != NULL ? f->value : -1;
}

const char *currents_check(const struct currents_board *b)
{
    size_t i;

    for (i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
        const struct currents_figure *f = currents_figure(b, needed[i]);

        if (f == NULL || !(f->value >= 0) || f->source == NULL || f->source[0] == '\0') {
            return needed[i];
        }
    }
    return NULL;
}

const struct currents_battery *currents_batteries(size_t *n)
{
    *n = sizeof(batteries) / sizeof(batteries[0]);
    return batteries;
}

const struct currents_battery *currents_battery(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(batteries) / sizeof(batteries[0]); i++) {
        if (strcmp(batteries[i].name, name) == 0) {
            return &batteries[i];
        }
    }
    return NULL;
}
