/* SPDX-License-Identifier: MIT
 * The regional parameters a Class A downlink needs (LoRaWAN Regional Parameters RP002-1.0.x,
 * EU863-870 first): receive windows, the RX2 channel, and the sub-bands with their duty
 * cycle (ETSI EN 300 220). The one place they are kept, so US915 or AS923 are a new table
 * entry, not edits across the ingest. No I/O, no state. Any thread.
 */
#ifndef PROJ_DAEMON_INGEST_REGION_H
#define PROJ_DAEMON_INGEST_REGION_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define REGION_DATR_MAX 16u /* "SF12BW125", NUL included */

/* A frequency range in which one duty-cycle limit applies to the gateway's transmissions. */
struct region_subband {
    uint32_t min_hz;        /* inclusive */
    uint32_t max_hz;        /* inclusive */
    uint16_t duty_permille; /* share of any hour the gateway may transmit in it */
    int8_t max_eirp_dbm;
};

struct region {
    const char *name;        /* "EU868" */
    uint32_t rx1_delay_us;   /* RECEIVE_DELAY1: RX1 opens this long after the uplink ended */
    uint32_t rx2_delay_us;   /* RECEIVE_DELAY2 */
    uint32_t join1_delay_us; /* JOIN_ACCEPT_DELAY1: the first join window, on the uplink's
                                channel and data rate */
    uint32_t join2_delay_us; /* JOIN_ACCEPT_DELAY2: the second, on the RX2 channel */
    uint32_t rx2_freq_hz;    /* the RX2 channel */
    const char *rx2_datr;    /* the RX2 data rate, as the forwarder's `datr` */
    const struct region_subband *subbands;
    size_t subband_count;
};

/* Where and when a downlink goes: the `txpk` fields that depend on the region. */
struct region_window {
    uint32_t tmst; /* concentrator time to send at, us (wraps as tmst does) */
    uint32_t freq_hz;
    char datr[REGION_DATR_MAX];
    int8_t power_dbm; /* the sub-band's limit */
    size_t subband;   /* index into region->subbands */
};

/* region_find() - the table of @name ("EU868", case-sensitive). Return: NULL if unknown. */
const struct region *region_find(const char *name);

/* region_subband_of() - the index of the sub-band holding @freq_hz, or -ENOENT when the
 * region allows no transmission there. */
int region_subband_of(const struct region *r, uint32_t freq_hz);

/*
 * region_rx1() - RX1 of an uplink received at @up_tmst (end of reception, us) on @up_freq_hz
 * with data rate @up_datr: the same channel and data rate (RX1DROffset 0), RECEIVE_DELAY1
 * later. region_rx2() - RX2: the region's channel and data rate, RECEIVE_DELAY2 later.
 * Return: 0; -EINVAL for a data rate that is not LoRa "SF7BW125".."SF12BW125" (too long, or
 * FSK); -ENOENT for an uplink frequency outside the region's sub-bands.
 */
int region_rx1(const struct region *r, uint32_t up_tmst, uint32_t up_freq_hz, const char *up_datr,
               struct region_window *out);
int region_rx2(const struct region *r, uint32_t up_tmst, struct region_window *out);

/*
 * region_airtime_us() - LoRa time on air of a @len-byte PHYPayload at @datr ("SF7BW125" ..
 * "SF12BW500"), Semtech AN1200.13: 8-symbol preamble, explicit header, coding rate 4/5, low
 * data rate optimisation at SF11 and SF12 on 125 kHz, a payload CRC when @crc (uplinks carry
 * one, downlinks do not: LoRaWAN 1.0.3 section 3.1). Integer arithmetic, exact for 125, 250
 * and 500 kHz. Return: microseconds; -EINVAL for another data rate or @len over 255.
 */
int64_t region_airtime_us(const char *datr, size_t len, bool crc);

/* The duty-cycle ledger of one transmitter: the airtime it used in each sub-band over the last
 * hour (ETSI EN 300 220 observes duty cycle over one hour), in five-minute buckets. Zero it
 * to start. */
#define REGION_SUBBAND_MAX  8u
#define REGION_DUTY_BUCKETS 12u
#define REGION_DUTY_SLOT_MS 300000u /* 12 x 5 minutes: the hour */
struct region_duty {
    uint64_t slot[REGION_SUBBAND_MAX][REGION_DUTY_BUCKETS];    /* now_ms / SLOT_MS + 1; 0 unused */
    uint32_t used_us[REGION_SUBBAND_MAX][REGION_DUTY_BUCKETS]; /* airtime in that slot, us */
};

/*
 * region_duty_allows() - whether @airtime_us more in sub-band @sb at @now_ms (monotonic) keeps
 * the last hour's airtime within the sub-band's duty cycle. The current slot counts whole, so
 * the window looked at is 55 to 60 minutes plus the slot so far: never less than the hour.
 * region_duty_charge() - record that airtime (call it once the transmission is decided).
 */
bool region_duty_allows(const struct region *r, const struct region_duty *d, size_t sb,
                        uint64_t now_ms, int64_t airtime_us);
void region_duty_charge(struct region_duty *d, size_t sb, uint64_t now_ms, int64_t airtime_us);

/* region_join1(), region_join2() - region_rx1() and region_rx2() for a JoinAccept: the
 * same channels, JOIN_ACCEPT_DELAY1 and 2 after the JoinRequest. */
int region_join1(const struct region *r, uint32_t up_tmst, uint32_t up_freq_hz, const char *up_datr,
                 struct region_window *out);
int region_join2(const struct region *r, uint32_t up_tmst, struct region_window *out);

enum region_pick { REGION_NONE = 0, REGION_RX1 = 1, REGION_RX2 = 2 };

/*
 * region_pick() - the receive window a downlink can still reach when it can be handed to the
 * forwarder @elapsed_ms after the uplink was received, and the forwarder needs it @margin_ms
 * before the window opens (network latency, its just-in-time queue). Return: REGION_RX1,
 * REGION_RX2, or REGION_NONE (both windows are too close or past: wait for the next uplink).
 */
enum region_pick region_pick(const struct region *r, uint64_t elapsed_ms, uint32_t margin_ms);
/* region_pick_join() - region_pick() for the join windows. */
enum region_pick region_pick_join(const struct region *r, uint64_t elapsed_ms, uint32_t margin_ms);

#endif
