/* SPDX-License-Identifier: MIT
 * The Semtech UDP packet-forwarder protocol, version 2 (Lora-net/packet_forwarder
 * PROTOCOL.TXT), without I/O: a datagram is parsed into a caller-provided struct and the
 * acknowledgements are built into caller buffers. The JSON of a PUSH_DATA is read with
 * cJSON; every `rxpk` entry is checked and decoded on its own: a bad entry (or a bad `stat`
 * object) is counted in the message and skipped, and the good ones are kept, so one broken
 * packet does not cost the frames that came with it. What is not one well-formed datagram
 * (header, JSON, the `rxpk` array itself) is refused whole.
 */
#ifndef PROJ_DAEMON_INGEST_PFWD_H
#define PROJ_DAEMON_INGEST_PFWD_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__)
#define PFWD_MUST_CHECK __attribute__((warn_unused_result))
#else
#define PFWD_MUST_CHECK
#endif

#define PFWD_VERSION 2u /* PROTOCOL.TXT sections 3.2 to 5.5: byte 0 */
#define PFWD_HDR_LEN 4u /* version, token (2 bytes), identifier */
#define PFWD_EUI_LEN 8u /* gateway unique identifier, bytes 4-11 */
#define PFWD_ACK_LEN 4u /* PUSH_ACK and PULL_ACK carry the header only */

/*
 * Largest datagram accepted, bytes. The reference SX1301 forwarder never sends more than
 * about 4.5 kB (8 packets of at most 540 JSON bytes, plus a status report); 16 kB holds 24
 * full-size (255-byte) packets with their metadata, more than a concentrator hands over in
 * one fetch, and bounds what one datagram can make cJSON allocate. Longer is refused.
 */
#define PFWD_MAX_DATAGRAM 16384u
/* rxpk entries with stat 1 kept per datagram; more is refused (PFWD_ETOOMANY), not cut. */
#define PFWD_MAX_RXPK 64u
/* Largest PHYPayload: the LoRa radios' FIFO size (also PROTO_FRAME_MAX_LEN). */
#define PFWD_PHY_MAX 255u
/* The `stat` object as compact JSON, NUL included; a gateway's report is about 200 bytes. */
#define PFWD_STAT_MAX 4096u
#define PFWD_DATR_MAX 16u /* "SF12BW500" or an FSK bit rate in decimal, NUL included */
#define PFWD_TIME_MAX 40u /* "2013-03-31T16:21:17.528002Z", NUL included */

/* Identifiers, byte 3 (PROTOCOL.TXT sections 3.2, 3.3, 5.2 to 5.5). */
enum pfwd_ident {
    PFWD_PUSH_DATA = 0x00, /* gateway -> server: rxpk and/or stat */
    PFWD_PUSH_ACK = 0x01,  /* server -> gateway */
    PFWD_PULL_DATA = 0x02, /* gateway -> server: keepalive, opens the downlink route */
    PFWD_PULL_RESP = 0x03, /* server -> gateway: txpk */
    PFWD_PULL_ACK = 0x04,  /* server -> gateway */
    PFWD_TX_ACK = 0x05     /* gateway -> server: outcome of a PULL_RESP */
};

/* Why pfwd_parse() refused a datagram, or (first_bad) an entry of it: distinct negative errno
 * values, so a caller may also pass them on as errno codes. pfwd_strerror() names each. */
enum pfwd_err {
    PFWD_ESHORT = -ENODATA,           /* shorter than the header its identifier needs */
    PFWD_EVERSION = -EPROTONOSUPPORT, /* byte 0 is not 2 */
    PFWD_EIDENT = -ENOMSG,            /* byte 3 is not an identifier of section 3 or 5 */
    PFWD_EOVERSIZE = -EMSGSIZE,       /* longer than PFWD_MAX_DATAGRAM */
    PFWD_ELENGTH = -EOVERFLOW,        /* bytes after the end an ACK or PULL_DATA has */
    PFWD_EJSON = -EBADMSG,            /* body missing, not JSON, or not one JSON object */
    PFWD_EFIELD = -EPROTO,            /* a field of section 4 missing, mistyped or out of range */
    PFWD_EBASE64 = -EILSEQ,           /* rxpk `data` is not strict base64 (base64.h) */
    PFWD_ESIZE = -ERANGE,             /* rxpk `size` differs from the decoded length */
    PFWD_ETOOMANY = -E2BIG            /* more than PFWD_MAX_RXPK good entries with stat 1 */
};

/* One received packet (`rxpk` entry with stat 1, PROTOCOL.TXT section 4). */
struct pfwd_rxpk {
    uint8_t phy[PFWD_PHY_MAX]; /* the PHYPayload, decoded from `data` */
    size_t len;                /* bytes in phy */
    bool has_rssi;             /* rssi_dbm is valid */
    int32_t rssi_dbm;          /* `rssi`, dBm, rounded to the nearest integer */
    bool has_snr;              /* snr_db is valid (LoRa only) */
    double snr_db;             /* `lsnr`, dB */
    bool has_freq;             /* freq_hz is valid */
    uint32_t freq_hz;          /* `freq` (MHz in the JSON) in Hz, rounded */
    char datr[PFWD_DATR_MAX];  /* `datr`: "SF7BW125", or an FSK rate as "50000"; "" if absent */
    bool has_tmst;             /* tmst is valid */
    uint32_t tmst;             /* `tmst`, concentrator counter at "RX finished", us */
    char time[PFWD_TIME_MAX];  /* `time`, UTC ISO 8601, as sent; "" if absent */
};

/* The outcome a TX_ACK reports for a PULL_RESP (its `txpk_ack` `error`, PROTOCOL.TXT section
 * 6). PFWD_TXACK_OTHER: an error string this list does not know. */
enum pfwd_txack {
    PFWD_TXACK_NONE = 0,         /* accepted for transmission (also a TX_ACK without JSON) */
    PFWD_TXACK_TOO_LATE,         /* the packet came too late for its timestamp */
    PFWD_TXACK_TOO_EARLY,        /* too far ahead for the forwarder's queue */
    PFWD_TXACK_COLLISION_PACKET, /* another packet holds that time */
    PFWD_TXACK_COLLISION_BEACON, /* a Class B beacon holds that time */
    PFWD_TXACK_TX_FREQ,          /* frequency not supported by the radio */
    PFWD_TXACK_TX_POWER,         /* power not supported */
    PFWD_TXACK_GPS_UNLOCKED,     /* GPS time asked for, GPS not locked */
    PFWD_TXACK_OTHER,
    PFWD_TXACK_COUNT
};

/* A parsed datagram. Large (about 40 kB): embed it in a long-lived struct, not the stack of
 * a deep call chain. Fields are valid only after pfwd_parse() returned 0. */
struct pfwd_msg {
    uint8_t version;               /* always PFWD_VERSION after a successful parse */
    uint16_t token;                /* bytes 1-2, big-endian; echo it with pfwd_build_*_ack() */
    enum pfwd_ident ident;         /* byte 3 */
    bool has_eui;                  /* PUSH_DATA, PULL_DATA and TX_ACK carry one */
    uint8_t eui[PFWD_EUI_LEN];     /* gateway EUI as sent, most significant byte first */
    size_t rxpk_count;             /* PUSH_DATA: entries in rxpk[] (stat 1) */
    size_t ignored_count;          /* PUSH_DATA: rxpk entries with stat != 1 (CRC bad or none) */
    size_t bad_count;              /* PUSH_DATA: rxpk entries refused (not in rxpk[]), and 1 for
                                      a `stat` that was not kept */
    int first_bad;                 /* enum pfwd_err of the first of those; 0 when none */
    enum pfwd_txack txack;         /* TX_ACK: the outcome it reports */
    bool has_stat;                 /* PUSH_DATA: a `stat` object was present */
    char stat_json[PFWD_STAT_MAX]; /* that object, compact JSON, NUL-terminated */
    struct pfwd_rxpk rxpk[PFWD_MAX_RXPK];
    char scratch[PFWD_MAX_DATAGRAM + 1]; /* the body with a terminating NUL, for cJSON */
};

/*
 * pfwd_parse() - parse one datagram received from a packet forwarder.
 * @buf, @len: in, the datagram as received (not NUL-terminated); @len may exceed
 *             PFWD_MAX_DATAGRAM (then PFWD_EOVERSIZE). Not referenced after the call.
 * @out:       out, the message; its contents are unspecified after a failure.
 * The header is checked for every identifier. PUSH_DATA: the body must be one JSON object
 * (section 4) and `rxpk`, when present, an array; each entry is an object whose `stat` is a
 * number; entries with stat 1 need `data` (base64, at most PFWD_PHY_MAX bytes) and are
 * checked field by field; entries with any other stat are only counted (ignored_count). An
 * entry that fails a check is counted in bad_count (its reason in first_bad, if it is the
 * first) and left out of rxpk[]; the others stay. `stat`, when present, an object, kept as
 * compact JSON; one that is not an object or does not fit is counted in bad_count too.
 * Unknown keys are ignored (forward compatibility). PULL_DATA: exactly 12 bytes. PUSH_ACK and
 * PULL_ACK: exactly 4. TX_ACK: the EUI and an optional JSON object. PULL_RESP: the header
 * only is checked (a server never receives one; the caller decides).
 * Return: 0, an enum pfwd_err value, or -EINVAL for a NULL argument. cJSON does not tell an
 * allocation failure from bad text: both are PFWD_EJSON. Any thread (no shared state).
 */
PFWD_MUST_CHECK int pfwd_parse(const uint8_t *buf, size_t len, struct pfwd_msg *out);

/*
 * pfwd_build_push_ack() - PUSH_ACK for the PUSH_DATA with @token (section 3.3).
 * pfwd_build_pull_ack() - PULL_ACK for the PULL_DATA with @token (section 5.3).
 * @buf: out, @cap bytes; PFWD_ACK_LEN are written.
 * Return: PFWD_ACK_LEN, or -ENOSPC when @cap is smaller (nothing written), -EINVAL for a
 * NULL @buf. Any thread.
 */
PFWD_MUST_CHECK int pfwd_build_push_ack(uint8_t *buf, size_t cap, uint16_t token);
PFWD_MUST_CHECK int pfwd_build_pull_ack(uint8_t *buf, size_t cap, uint16_t token);

/* What the server asks a forwarder to send (`txpk`, PROTOCOL.TXT section 6): always LoRa,
 * coding rate 4/5, no CRC (LoRaWAN downlinks carry none). */
struct pfwd_txpk {
    bool imme;           /* send at once, ignoring tmst (Class C); false for Class A */
    uint32_t tmst;       /* concentrator time to send at, us */
    uint32_t freq_hz;    /* written as MHz with 6 decimals */
    uint8_t rfch;        /* the concentrator's RF chain that transmits */
    int8_t powe;         /* dBm */
    const char *datr;    /* "SF7BW125" */
    bool ipol;           /* inverted polarity: true for LoRaWAN downlinks */
    const uint8_t *data; /* the PHYPayload */
    size_t len;          /* its length, 1..PFWD_PHY_MAX */
};

/*
 * pfwd_build_pull_resp() - a PULL_RESP (section 5.4) carrying @tx, with @token, which the
 * forwarder's TX_ACK repeats (protocol version 2).
 * @buf: out, @cap bytes (PFWD_PULL_RESP_MAX always suffices). Not NUL-terminated.
 * Return: the datagram length; -ENOSPC when it does not fit (nothing usable written);
 * -EINVAL for NULL, an empty or oversized payload, or a missing datr. Any thread.
 */
#define PFWD_PULL_RESP_MAX 640u
PFWD_MUST_CHECK int pfwd_build_pull_resp(uint8_t *buf, size_t cap, uint16_t token,
                                         const struct pfwd_txpk *tx);

/* pfwd_txack_of() - the enum value of an `error` string ("TOO_LATE" ...; "NONE" is
 * PFWD_TXACK_NONE); PFWD_TXACK_OTHER when unknown or NULL. pfwd_txack_name() - the reverse,
 * lower case for counters and logs ("none", "too_late", ..., "other"). Any thread. */
enum pfwd_txack pfwd_txack_of(const char *error);
const char *pfwd_txack_name(enum pfwd_txack t);

/* pfwd_strerror() - a short English phrase for a pfwd_parse() return value ("bad base64",
 * "wrong protocol version", ...); "ok" for 0. Static storage. Any thread. */
const char *pfwd_strerror(int rc);

/* pfwd_ident_name() - "PUSH_DATA", "PULL_ACK", ... or "unknown". Any thread. */
const char *pfwd_ident_name(int ident);

#endif
