/* SPDX-License-Identifier: MIT
 * The HAL on a POSIX host, one instance per simulated node: a clock that runs at a speed
 * factor (or is stepped by the fleet loop), a sensor fed by a sample source (a WAV file or
 * the signal synthesis) at the clock's pace, CoAP datagrams over a UDP socket of its own,
 * a "radio" that is a simulated Semtech packet forwarder (PUSH_DATA with an rxpk, then the
 * PUSH_ACK awaited), and the non-volatile record in a file (or in memory).
 */
#ifndef PROJ_HOST_NODE_HOST_HAL_H
#define PROJ_HOST_NODE_HOST_HAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "lib/wakecmp.h"
#include "nodefw/hal.h"

/* Simulated time: sim0 + real elapsed * speed, or stepped by hand (fleet). */
struct host_clock {
    double speed;       /* simulated ms per real ms (> 0) */
    struct timespec t0; /* real time at sim0 */
    uint64_t sim0_ms;   /* simulated time at t0 */
    bool manual;        /* true: now is manual_ms, sleep does not wait */
    uint64_t manual_ms;
};

void host_clock_init(struct host_clock *c, double speed, bool manual);
uint64_t host_clock_now(const struct host_clock *c);

/* A PULL_RESP the forwarder holds until its time (host_rx.c). */
#define HOST_RX_MAX 32
struct host_rx_pkt {
    uint32_t tmst; /* txpk tmst: when the concentrator sends it */
    uint8_t phy[255];
    size_t len;
};

/* The packet forwarder shared by the nodes it hears. */
struct host_fwd {
    int fd;             /* UDP socket connected to the gateway's forwarder port */
    uint8_t eui[8];     /* gateway EUI of the PUSH_DATA header */
    uint32_t tmst;      /* concentrator microsecond counter */
    uint32_t acks;      /* PUSH_ACKs received */
    uint32_t timeouts;  /* PUSH_DATA without PUSH_ACK in time */
    int ack_timeout_ms; /* real milliseconds to wait for a PUSH_ACK */
    /* downlinks (host_rx.c): tmst runs on real time, as a concentrator's does */
    struct host_rx_pkt rx[HOST_RX_MAX]; /* PULL_RESPs accepted, not yet "sent" */
    int nrx;
    uint16_t pull_token;
    uint32_t pull_resps; /* PULL_RESP received */
    uint32_t too_late;   /* answered TX_ACK TOO_LATE: their tmst had passed */
    uint32_t bad_resps;  /* PULL_RESP that did not parse: TX_ACK with an error */
};

/* Produces the next @n samples of a node's input. Return: samples written; fewer than @n
 * means the input ends there. */
typedef size_t (*host_source_fn)(void *arg, int16_t *buf, size_t n);

struct host_node {
    struct hal hal; /* what the firmware gets: ops + this struct as ctx */
    struct host_clock *clock;
    const char *name; /* log prefix */
    bool verbose;     /* log lines go to stderr */
    host_source_fn source;
    void *source_arg;
    uint32_t rate_hz; /* from sensor_start */
    uint64_t sensor_start_ms;
    uint64_t delivered; /* samples handed to the firmware */
    bool source_eof;
    int coap_fd;            /* connected UDP socket to the CoAP endpoint, or -1 */
    struct host_fwd *fwd;   /* the forwarder, or NULL */
    uint32_t push_acks;     /* this node's frames the forwarder got a PUSH_ACK for */
    uint32_t push_timeouts; /* ... and did not */
    bool rx_enabled;        /* open the receive windows after each LoRa uplink */
    bool rx_open;           /* they are open now, for the uplink at rx_tmst */
    uint32_t rx_tmst;       /* tmst of that uplink */
    uint32_t rx1_us;        /* RX1 after it: 1 s, a JoinRequest's 5 s (hal_lora_tx.rx1_delay_s) */
    uint32_t downlinks;     /* downlinks handed to the firmware */
    int16_t rssi;           /* what the forwarder reports for this node */
    int16_t lsnr_x10;
    char nv_path[256]; /* empty: the record lives in nv_mem */
    uint8_t nv_mem[HAL_NV_MAX];
    int nv_len;
    char learn_path[256]; /* the learned state (turbine); empty: learn_mem */
    uint8_t learn_mem[HAL_LEARN_MAX];
    int learn_len;
    uint64_t rng; /* xorshift64* state */
    uint16_t battery_mv;
    int8_t temp_c;
    /* power (host_power.c): the accounts of the simulated tuned STM32WL55 board */
    struct energy_acct energy; /* run time charged per window; idle states at snapshot */
    uint64_t window_run_us;    /* core time per window (host/lib/currents.c) */
    bool sensor_started;       /* sensor_start() was called once: the source's time runs */
    bool sensor_off;           /* sensor_stop() and no start since */
    double wake_level;         /* wake-on-sound threshold, full scale 1 (0: no wake line) */
    double wake_margin_db;     /* > 0: the threshold adapts to the background (wakecmp.h) */
    struct wakecmp wake;       /* the comparator, set up at the first sensor_start() */
    bool wake_fired;           /* the line fired and wake_pending() has not said so yet */
};

/*
 * host_fwd_pull() - PULL_DATA from the forwarder: the gateway sends downlinks (PULL_RESP) to
 * the address it came from (PROTOCOL.TXT section 5.2). Return: 0 or -1 (errno set).
 * host_fwd_datagram() - a datagram the forwarder got that is not a PUSH_ACK: a PULL_RESP is
 * parsed, answered with TX_ACK (TOO_LATE when its tmst has passed) and held until its tmst.
 * host_rx_tmst_now() - the concentrator clock: real monotonic microseconds, wrapping.
 * host_rx_recv() - the HAL's radio_recv for @hn (host_hal.c's table points at it).
 */
int host_fwd_pull(struct host_fwd *fw);
void host_fwd_datagram(struct host_fwd *fw, const uint8_t *buf, size_t len);
uint32_t host_rx_tmst_now(void);
int host_rx_recv(void *ctx, uint8_t *buf, size_t cap);

/* host_node_init() - a node HAL with no network, no source and storage in memory. */
void host_node_init(struct host_node *hn, struct host_clock *clock, const char *name,
                    uint64_t seed);

/* host_node_set_store() - keep the frame-counter record in the file @nv and the learned
 * state in the file @learn instead of memory. Return: 0, or -1 if a path is too long. */
int host_node_set_store(struct host_node *hn, const char *nv, const char *learn);

/* host_node_set_wake() - give the node a wake-on-sound line that fires when a sample of the
 * input reaches @level (full scale 1) while the sensor is off; 0 removes the line. */
void host_node_set_wake(struct host_node *hn, double level);

/* host_node_set_wake_margin() - make the wake line adaptive: it fires when the input's
 * envelope is @margin_db above the tracked background (and at least the level); 0: fixed. */
void host_node_set_wake_margin(struct host_node *hn, double margin_db);

/* Power (host_power.c), called by host_hal.c: */
/* The HAL's wake_config: a commanded level (0: keep the line's) and margin (0: fixed). */
void host_power_wake_config(void *ctx, uint16_t level_q15, uint8_t margin_db);
void host_power_init(struct host_node *hn);
/* The sensor switched on (or off), at the clock's now. */
void host_power_sensor(struct host_node *hn, bool on);
/* Samples handed to the firmware went from @before to @after: each completed step of
 * FEAT_STEP_SAMPLES is one window of core time. */
void host_power_samples(struct host_node *hn, uint64_t before, uint64_t after);
/* While the sensor is off: drop the input the clock has passed, watching for the wake
 * level. Return: false once the input has ended. */
bool host_power_skip(struct host_node *hn);
/* Samples handed to the firmware pass the wake comparator too (its floor keeps tracking). */
void host_power_listen(struct host_node *hn, const int16_t *buf, size_t n);
/* The HAL entries of host_power.c. */
void host_power_sensor_stop(void *ctx);
bool host_power_wake_pending(void *ctx);
void host_power_energy(void *ctx, struct energy_acct *out);

/*
 * host_udp_connect() - a non-blocking UDP socket connected to @host:@port.
 * Return: the descriptor, or -1 with a message in @err.
 */
int host_udp_connect(const char *host, const char *port, char *err, size_t errlen);

/*
 * host_parse_coap_uri() - split "coap://HOST[:PORT][/up]" (IPv6 in brackets).
 * Return: 0, or -1 for another scheme or a path other than /up.
 */
int host_parse_coap_uri(const char *uri, char *host, size_t hostlen, char *port, size_t portlen);

/* host_split_hostport() - "HOST:PORT" or "[V6]:PORT". Return: 0 or -1. */
int host_split_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen);

#endif
