/* SPDX-License-Identifier: MIT
 * The energy budget (budget.h). The model, term by term (nodefw/ENERGY.md has it in words):
 *   L  = listen share: listen_s / every_s, or wake_share with a wake-on-sound line
 *   r  = core run share while listening: instr/window * cpi * windows/s / run_hz
 *   sensing = L * sensor + sampling (as built: the ADC stays on, always; tuned: L * adc_lp)
 *             + the wake-on-sound microphone when used (always on)
 *   compute = run current * (L * r + interrupts' share)
 *             run current: run_ua_per_mhz (LDO as built, SMPS tuned) * run_hz
 *             interrupts: as built one per sample and a 1 kHz SysTick, always; tuned one per
 *             half DMA ring (512 samples) while listening, and the 1 kHz SysTick while
 *             listening, taken at lp_hz (the board keeps it in LPSleep; Stop2 stops it)
 *   sleep   = as built: Sleep at run_hz whenever not running;
 *             tuned: LPSleep at lp_hz while listening, Stop2 otherwise
 *   radio   = (TX time * TX current + RX window time * RX current) / day + the radio idle
 *             (as built: left in standby; tuned: sleep with warm start)
 * Message sizes: 13 bytes of LoRaWAN overhead + TFP payload (proto/SPEC.md section 2):
 * health 16, anomaly summary 8, detections 1 + 6 per record.
 */
#include "lib/budget.h"

/* The SysTick rate of both boards (nodefw/boards/stm32wl55/msclock.c). */
#define SYSTICK_HZ 1000.0

#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nodefw/dutycycle.h"
#include "nodefw/profile.h"

#define DAY_S          86400.0
#define FRAME_OVERHEAD 13u
#define HEALTH_LEN     16u
#define ANOMALY_LEN    8u
#define DETECTION_LEN  7u
#define DMA_HALF_RING  512.0

void budget_defaults(struct budget_in *in, int profile, bool tuned)
{
    memset(in, 0, sizeof(*in));
    in->profile = profile;
    in->tuned = tuned;
    in->listen_s = 1;
    in->every_s = 1;
    in->wake_share = 0.02;
    in->health_s = tuned ? 21600 : 900;
    in->anomaly_s = 600;
    in->events_per_day = 24;
    in->sf = 9;
    in->dbm = 14;
    in->rx_windows = tuned ? 2 : 0;
    in->rx_symbols = 8;
    in->rx2_sf = 9;
}

double budget_toa_s(int sf, size_t len)
{
    struct hal_lora_tx tx;

    memset(&tx, 0, sizeof(tx));
    tx.sf = (uint8_t)sf;
    tx.bw_khz = 125;
    tx.cr = 1;
    tx.preamble = 8;
    tx.explicit_header = true;
    tx.crc = true;
    tx.low_dr_optimize = sf >= 11;
    return dutycycle_toa_us(&tx, len) / 1e6;
}

double budget_life_days(double mah, double ua)
{
    return ua > 0 ? mah * CURRENTS_USABLE_SHARE / (ua / 1000.0) / 24.0 : 0;
}

/* --- scenario files ------------------------------------------------------------------------ */

struct load_ctx {
    struct budget_in *in;
    char *err;
    size_t errlen;
    int pass; /* 0: [budget] keys, 1: the profile's section (so it wins, whatever the order) */
    bool failed;
};

static bool num(const char *v, double lo, double hi, double *out)
{
    char *end;
    double d = strtod(v, &end);

    if (end == v || *end != '\0' || !(d >= lo && d <= hi)) {
        return false;
    }
    *out = d;
    return true;
}

struct key_def {
    const char *key;
    double lo;
    double hi;
    size_t off;
    bool is_int;
};

static const struct key_def num_keys[] = {
    {"listen_s", 0.001, 86400, offsetof(struct budget_in, listen_s), false},
    {"every_s", 0.001, 86400, offsetof(struct budget_in, every_s), false},
    {"wake_share", 0, 1, offsetof(struct budget_in, wake_share), false},
    {"health_s", 60, 604800, offsetof(struct budget_in, health_s), false},
    {"anomaly_s", 60, 86400, offsetof(struct budget_in, anomaly_s), false},
    {"events_per_day", 0, 100000, offsetof(struct budget_in, events_per_day), false},
    {"sf", 7, 12, offsetof(struct budget_in, sf), true},
    {"dbm", 10, 14, offsetof(struct budget_in, dbm), true},
    {"rx_windows", 0, 2, offsetof(struct budget_in, rx_windows), true},
    {"rx_symbols", 4, 64, offsetof(struct budget_in, rx_symbols), true},
    {"rx2_sf", 7, 12, offsetof(struct budget_in, rx2_sf), true},
};

/* One key into @in. Return: true if the key exists and its value is good. */
static bool set_key(struct budget_in *in, const char *key, const char *v)
{
    double d = 0;
    size_t i;

    if (strcmp(key, "firmware") == 0) {
        if (strcmp(v, "tuned") != 0 && strcmp(v, "as-built") != 0) {
            return false;
        }
        in->tuned = strcmp(v, "tuned") == 0;
        return true;
    }
    if (strcmp(key, "wake_on_sound") == 0) {
        if (strcmp(v, "yes") != 0 && strcmp(v, "no") != 0) {
            return false;
        }
        in->wake_on_sound = strcmp(v, "yes") == 0;
        return true;
    }
    for (i = 0; i < sizeof(num_keys) / sizeof(num_keys[0]); i++) {
        const struct key_def *k = &num_keys[i];

        if (strcmp(k->key, key) != 0) {
            continue;
        }
        if (!num(v, k->lo, k->hi, &d) || (k->is_int && d != (double)(int)d)) {
            return false;
        }
        if (k->is_int) {
            *(int *)(void *)((char *)in + k->off) = (int)d;
        } else {
            *(double *)(void *)((char *)in + k->off) = d;
        }
        return true;
    }
    return false;
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
    struct load_ctx *c = user;
    const char *prof = dsp_profile_name((enum dsp_profile)c->in->profile);
    bool is_prof = strncmp(section, "profile.", 8) == 0;
    struct budget_in scratch = *c->in;
    bool apply;

    if (strcmp(section, "budget") != 0 && !is_prof) {
        snprintf(c->err, c->errlen, "unknown section [%s]", section);
        c->failed = true;
        return 0;
    }
    if (is_prof && dsp_profile_from_name(section + 8) < 0) {
        snprintf(c->err, c->errlen, "[%s]: unknown profile", section);
        c->failed = true;
        return 0;
    }
    /* Every key is checked in pass 0; a key is applied in its own pass only. */
    apply = c->pass == (is_prof ? 1 : 0) && (!is_prof || strcmp(section + 8, prof) == 0);
    if (set_key(apply ? c->in : &scratch, key, value)) {
        return 1;
    }
    snprintf(c->err, c->errlen, "[%s] %s: unknown key or bad value '%s'", section, key, value);
    c->failed = true;
    return 0;
}

int budget_load(const char *path, struct budget_in *in, char *err, size_t errlen)
{
    struct budget_in work = *in;
    struct load_ctx c = {&work, err, errlen, 0, false};
    int rc = 0;

    for (c.pass = 0; c.pass < 2 && rc == 0; c.pass++) {
        rc = ini_parse(path, on_key, &c);
    }
    if (rc < 0) {
        snprintf(err, errlen, "%s: cannot open", path);
        return -1;
    }
    if (rc > 0) {
        char why[200];

        snprintf(why, sizeof(why), "%s", c.failed ? err : "syntax error");
        snprintf(err, errlen, "%s:%d: %s", path, rc, why);
    }
    if (rc != 0) {
        return -1;
    }
    *in = work;
    return 0;
}

/* --- the model ----------------------------------------------------------------------------- */

static const char *instr_key(int profile)
{
    return profile == DSP_PROFILE_WHALE     ? "instr_whale"
           : profile == DSP_PROFILE_TURBINE ? "instr_turbine"
                                            : "instr_elephant";
}

static const char *sensor_key(int profile)
{
    return profile == DSP_PROFILE_WHALE     ? "sensor_whale_ua"
           : profile == DSP_PROFILE_TURBINE ? "sensor_turbine_ua"
                                            : "sensor_elephant_ua";
}

/* Radio: TX and RX windows per day, and the idle radio. */
static void radio_terms(const struct currents_board *b, const struct budget_in *in,
                        struct budget_out *out)
{
    double tx_ua = currents_get(b, in->dbm >= 14 ? "tx_ua_14dbm" : "tx_ua_10dbm");
    double health = DAY_S / in->health_s;
    double other;
    double other_len;
    double rx1;
    double rx2;

    if (in->profile == DSP_PROFILE_TURBINE) {
        other = DAY_S / in->anomaly_s;
        other_len = FRAME_OVERHEAD + ANOMALY_LEN;
    } else {
        other = in->events_per_day;
        other_len = FRAME_OVERHEAD + DETECTION_LEN;
    }
    out->uplinks_per_day = health + other;
    out->tx_s_per_day = health * budget_toa_s(in->sf, FRAME_OVERHEAD + HEALTH_LEN) +
                        other * budget_toa_s(in->sf, (size_t)other_len);
    /* A window stays open rx_symbols symbols of its SF (2^SF / 125 kHz) when nothing comes. */
    rx1 = in->rx_symbols * (double)(1u << in->sf) / 125000.0;
    rx2 = in->rx_symbols * (double)(1u << in->rx2_sf) / 125000.0;
    out->rx_s_per_day = out->uplinks_per_day * (in->rx_windows >= 1 ? rx1 : 0) +
                        out->uplinks_per_day * (in->rx_windows >= 2 ? rx2 : 0);
    out->radio_ua =
        (out->tx_s_per_day * tx_ua + out->rx_s_per_day * currents_get(b, "rx_ua")) / DAY_S +
        currents_get(b, in->tuned ? "radio_sleep_ua" : "radio_standby_ua");
}

int budget_compute(const struct currents_board *b, const struct budget_in *in,
                   struct budget_out *out, char *err, size_t errlen)
{
    const struct dsp_profile_info *p = dsp_profile_get((enum dsp_profile)in->profile);
    const char *missing = currents_check(b);
    double run_hz;
    double run_ua;
    double win_per_s;
    double isr_share;
    double l;

    if (missing != NULL) {
        snprintf(err, errlen, "the %s current table lacks '%s' (or its source)", b->name, missing);
        return -1;
    }
    if (p == NULL || in->listen_s > in->every_s || in->sf < 7 || in->sf > 12 || in->rx2_sf < 7 ||
        in->rx2_sf > 12) {
        snprintf(err, errlen, "inconsistent assumptions (listen_s over every_s, or SF)");
        return -1;
    }
    memset(out, 0, sizeof(*out));
    run_hz = currents_get(b, "run_hz");
    l = in->wake_on_sound ? in->wake_share : in->listen_s / in->every_s;
    if (!in->tuned) {
        l = 1; /* the firmware as built samples all the time */
    }
    out->listen_share = l;
    win_per_s = p->sample_rate_hz / (double)FEAT_STEP_SAMPLES;
    out->window_ms =
        currents_get(b, instr_key(in->profile)) * currents_get(b, "cpi") / run_hz * 1000.0;
    run_ua =
        currents_get(b, in->tuned ? "run_ua_per_mhz_smps" : "run_ua_per_mhz_ldo") * run_hz / 1e6;
    isr_share =
        currents_get(b, "isr_cycles") / run_hz *
        (in->tuned ? l * p->sample_rate_hz / DMA_HALF_RING : (double)p->sample_rate_hz + 1000.0);
    out->run_share = l * win_per_s * out->window_ms / 1000.0 + isr_share;
    out->compute_ua = run_ua * out->run_share;
    if (in->tuned) {
        /* The board's millisecond clock is the 1 kHz SysTick, which keeps ticking in LPSleep
         * while listening (not in Stop2): each tick wakes the core at lp_hz for isr_cycles. */
        double lp_hz = currents_get(b, "lp_hz");
        double tick_share = l * SYSTICK_HZ * currents_get(b, "isr_cycles") / lp_hz;

        out->compute_ua += tick_share * currents_get(b, "run_ua_per_mhz_smps") * lp_hz / 1e6;
    }
    out->sensing_ua =
        l * currents_get(b, sensor_key(in->profile)) +
        (in->tuned ? l * currents_get(b, "adc_lp_ua") : currents_get(b, "adc_on_ua")) +
        (in->tuned && in->wake_on_sound ? currents_get(b, "wake_on_sound_ua") : 0);
    if (in->tuned) {
        out->sleep_ua = (l - (out->run_share > l ? l : out->run_share)) *
                            currents_get(b, "lpsleep_ua_per_mhz") * currents_get(b, "lp_hz") / 1e6 +
                        (1 - l) * currents_get(b, "stop2_ua");
    } else {
        out->sleep_ua = (1 - out->run_share) * currents_get(b, "sleep_ua_per_mhz") * run_hz / 1e6;
    }
    radio_terms(b, in, out);
    out->total_ua = out->sensing_ua + out->compute_ua + out->sleep_ua + out->radio_ua;
    return 0;
}
