/* SPDX-License-Identifier: MIT
 * `tinyfleet frame encode|decode`: the operator's view of one LoRaWAN 1.0.x data-up frame
 * (ABP), using the same proto/ calls as the gateway. encode prints only the PHYPayload;
 * decode prints one JSON object built with cJSON and shows as much as the keys given allow
 * (see the usage text). Keys read from the command line are never printed and are wiped
 * from this process's memory before returning (they stay visible in /proc/PID/cmdline while
 * it runs, as for any command-line secret).
 */
#include "cli_frame.h"

#include <assert.h>
#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/err.h"
#include "proto/frame.h"
#include "proto/tfp.h"
#include "cli.h"
#include "util/hex.h"
#include "util/tfp_json.h"

/* MHDR + DevAddr + FCtrl + FCnt + FPort + MIC: the frame bytes around FOpts and FRMPayload. */
#define FRAME_OVERHEAD_WITH_PORT (PROTO_FRAME_MIN_LEN + 1u)

/* Upper-case hex of the largest frame, plus the NUL. */
#define FRAME_HEX_LEN (2u * PROTO_FRAME_MAX_LEN + 1u)

enum opt_id {
    OPT_DEVADDR = 256, /* above any short option character */
    OPT_FCNT,
    OPT_FPORT,
    OPT_PAYLOAD,
    OPT_NWKSKEY,
    OPT_APPSKEY,
    OPT_CONFIRMED,
    OPT_ADR,
    OPT_ACK,
    OPT_FOPTS,
    OPT_FCNT_LAST,
    OPT_JSON,
};

static const struct option encode_options[] = {
    {"devaddr", required_argument, NULL, OPT_DEVADDR},
    {"fcnt", required_argument, NULL, OPT_FCNT},
    {"fport", required_argument, NULL, OPT_FPORT},
    {"payload", required_argument, NULL, OPT_PAYLOAD},
    {"nwkskey", required_argument, NULL, OPT_NWKSKEY},
    {"appskey", required_argument, NULL, OPT_APPSKEY},
    {"confirmed", no_argument, NULL, OPT_CONFIRMED},
    {"adr", no_argument, NULL, OPT_ADR},
    {"ack", no_argument, NULL, OPT_ACK},
    {"fopts", required_argument, NULL, OPT_FOPTS},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option decode_options[] = {
    {"nwkskey", required_argument, NULL, OPT_NWKSKEY},
    {"appskey", required_argument, NULL, OPT_APPSKEY},
    {"fcnt-last", required_argument, NULL, OPT_FCNT_LAST},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* Session keys as given to decode; a key is used only when its have_ flag is set. */
struct session_keys {
    bool have_nwk;
    bool have_app;
    uint8_t nwk[PROTO_AES_KEY];
    uint8_t app[PROTO_AES_KEY];
};

void cli_frame_usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet frame encode --devaddr HEX8 --fcnt N --fport P --payload HEX\n"
        "                              --nwkskey HEX32 --appskey HEX32\n"
        "                              [--confirmed] [--adr] [--ack] [--fopts HEX]\n"
        "       tinyfleet frame decode [--nwkskey HEX32] [--appskey HEX32] [--fcnt-last N]\n"
        "                              [--json] PHYPAYLOAD_HEX\n"
        "\n"
        "encode builds a LoRaWAN 1.0.x data-up frame (ABP) and prints the PHYPayload as\n"
        "upper-case hex and a newline; nothing else, and never a key.\n"
        "  --devaddr HEX8   DevAddr as written on the device, exactly 8 hex digits: 26011F00\n"
        "  --fcnt N         full 32-bit frame counter, decimal or 0x-prefixed hex; its 16 low\n"
        "                   bits go on air, all 32 enter the MIC and the encryption\n"
        "  --fport P        FPort 0..255: 1 detections, 2 health, 3 anomaly (TFP v1);\n"
        "                   0 carries MAC commands and is encrypted with the NwkSKey\n"
        "  --payload HEX    plaintext FRMPayload, may be empty ('')\n"
        "  --nwkskey HEX32  network session key, 32 hex digits (MIC)\n"
        "  --appskey HEX32  application session key, 32 hex digits (FRMPayload encryption)\n"
        "  --confirmed      confirmed data up (MHDR 80) instead of unconfirmed (40)\n"
        "  --adr, --ack     set the ADR / ACK bit of FCtrl\n"
        "  --fopts HEX      FOpts (MAC commands in clear), 0..15 bytes\n"
        "\n"
        "decode prints one JSON object on one line: mtype (unconfirmed_up, confirmed_up),\n"
        "devaddr, fcnt, fport (null if the frame has none), adr, ack, fopts, then what the\n"
        "keys given allow:\n"
        "  both keys        mic_ok, payload (decrypted), tfp\n"
        "  --nwkskey only   mic_ok; payload and tfp only for FPort 0, else payload_encrypted\n"
        "  --appskey only   payload and tfp (FPort 1..255); the MIC is not checked, no mic_ok\n"
        "  no key           payload_encrypted\n"
        "  --fcnt-last N    the last counter accepted from the device (default 0): fcnt is the\n"
        "                   nearest 32-bit counter at or after N with the frame's 16 low bits,\n"
        "                   which also enters the MIC and the decryption\n"
        "  --json           accepted as by every verb: JSON is decode's only output\n"
        "tfp is the TFP v1 message: {\"kind\":\"detection\",\"records\":[{class, class_id,\n"
        "confidence (0..1, byte/255), age_s, duration_s, level_db}]}, {\"kind\":\"health\",...}\n"
        "or {\"kind\":\"anomaly\",...}; a class id without a name shows as \"class_<id>\". When\n"
        "the payload is not a TFP message, tfp is null and tfp_error says why.\n"
        "\n"
        "Hex input may use either case; hex output is upper case.\n"
        "Exit status: 0 success (also for a payload that is not TFP); 1 malformed frame or\n"
        "bad PHYPAYLOAD_HEX, or a wrong MIC (the JSON is still printed, with mic_ok false);\n"
        "2 usage error: unknown or missing option, bad option value.\n",
        out);
}

/*
 * Parses an unsigned number up to @max: decimal, or hex after "0x". Signs, spaces and
 * octal-looking leading zeros are not special ("010" is ten), so what the operator typed is
 * what is used.
 */
static int parse_uint(const char *s, unsigned long long max, unsigned long long *out)
{
    const char *p = s;
    unsigned long long v;
    char *end = NULL;
    int base = 10;

    if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        base = 16;
        p += 2;
    }
    if (!(*p >= '0' && *p <= '9') &&
        !(base == 16 && ((*p >= 'a' && *p <= 'f') || (*p >= 'A' && *p <= 'F')))) {
        return -EINVAL;
    }
    if (base == 16 && p[0] == '0' && (p[1] == 'x' || p[1] == 'X')) {
        return -EINVAL; /* strtoull() would take a second "0x" */
    }
    errno = 0;
    v = strtoull(p, &end, base);
    if (*end != '\0') {
        return -EINVAL;
    }
    if (errno == ERANGE || v > max) {
        return -ERANGE;
    }
    *out = v;
    return 0;
}

/* parse_uint() for option @name, with the message; 0 or CLI_EXIT_USAGE. */
static int option_uint(const char *verb, const char *name, const char *s, unsigned long long max,
                       unsigned long long *out)
{
    int rc = parse_uint(s, max, out);

    if (rc == -ERANGE) {
        cli_errf(verb, "--%s: '%s' is out of range 0..%llu", name, s, max);
    } else if (rc < 0) {
        cli_errf(verb, "--%s: '%s' is not a number (decimal, or hex after 0x)", name, s);
    }
    return rc < 0 ? CLI_EXIT_USAGE : 0;
}

/* The options of `frame encode` as given (NULL: not given). */
struct encode_args {
    const char *devaddr;
    const char *fcnt;
    const char *fport;
    const char *payload;
    const char *nwkskey;
    const char *appskey;
    const char *fopts;
};

/* The frame's buffers, filled from struct encode_args by encode_fields(). */
struct encode_bufs {
    uint8_t nwkskey[PROTO_AES_KEY];
    uint8_t appskey[PROTO_AES_KEY];
    uint8_t payload[PROTO_FRAME_MAX_LEN];
    uint8_t fopts[PROTO_FRAME_MAX_FOPTS];
};

static const char encode_verb[] = "frame encode";

static int parse_encode(int argc, char **argv, struct encode_args *a, struct proto_uplink *up)
{
    const char *verb = encode_verb;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, encode_options)) != -1) {
        switch (c) {
        case OPT_DEVADDR:
            a->devaddr = optarg;
            break;
        case OPT_FCNT:
            a->fcnt = optarg;
            break;
        case OPT_FPORT:
            a->fport = optarg;
            break;
        case OPT_PAYLOAD:
            a->payload = optarg;
            break;
        case OPT_NWKSKEY:
            a->nwkskey = optarg;
            break;
        case OPT_APPSKEY:
            a->appskey = optarg;
            break;
        case OPT_CONFIRMED:
            up->confirmed = true;
            break;
        case OPT_ADR:
            up->fctrl_flags |= PROTO_FCTRL_ADR;
            break;
        case OPT_ACK:
            up->fctrl_flags |= PROTO_FCTRL_ACK;
            break;
        case OPT_FOPTS:
            a->fopts = optarg;
            break;
        default:
            return cli_help_or_bad_option(verb, c, argv, cli_frame_usage);
        }
    }
    if (cli_no_operands(verb, argc, argv) != 0) {
        return CLI_EXIT_USAGE;
    }
    return CLI_GO;
}

/* Every option but --fopts, --confirmed, --adr and --ack is required; all are named. */
static int check_required(const struct encode_args *a)
{
    const struct {
        const char *name;
        const char *value;
    } required[] = {
        {"devaddr", a->devaddr}, {"fcnt", a->fcnt},       {"fport", a->fport},
        {"payload", a->payload}, {"nwkskey", a->nwkskey}, {"appskey", a->appskey},
    };
    bool missing = false;
    size_t i;

    for (i = 0; i < sizeof(required) / sizeof(required[0]); i++) {
        if (required[i].value == NULL) {
            cli_errf(encode_verb, "missing required option --%s", required[i].name);
            missing = true;
        }
    }
    return missing ? cli_usage_error(encode_verb) : 0;
}

/* The options' values into @up (pointing into @b). Return: 0 or CLI_EXIT_USAGE, said why. */
static int encode_fields(const struct encode_args *a, struct proto_uplink *up,
                         struct encode_bufs *b)
{
    const char *verb = encode_verb;
    char why[HEX_ERR_LEN];
    unsigned long long num;
    size_t max_payload;
    int payload_len;
    int fopts_len = 0;

    /* check_required() let nothing else through. */
    assert(a->devaddr != NULL && a->fcnt != NULL && a->fport != NULL && a->payload != NULL &&
           a->nwkskey != NULL && a->appskey != NULL);
    if (hex_decode_devaddr(a->devaddr, &up->devaddr, why, sizeof(why)) < 0) {
        cli_errf(verb, "--devaddr: %s", why);
        return CLI_EXIT_USAGE;
    }
    if (option_uint(verb, "fcnt", a->fcnt, UINT32_MAX, &num) != 0) {
        return CLI_EXIT_USAGE;
    }
    up->fcnt = (uint32_t)num;
    if (option_uint(verb, "fport", a->fport, UINT8_MAX, &num) != 0) {
        return CLI_EXIT_USAGE;
    }
    up->has_fport = true;
    up->fport = (uint8_t)num;
    if (a->fopts != NULL) {
        fopts_len = hex_decode(a->fopts, b->fopts, sizeof(b->fopts), why, sizeof(why));
        if (fopts_len < 0) {
            cli_errf(verb, "--fopts: %s", why);
            return CLI_EXIT_USAGE;
        }
        up->fopts = b->fopts;
        up->fopts_len = (uint8_t)fopts_len;
    }
    payload_len = hex_decode(a->payload, b->payload, sizeof(b->payload), why, sizeof(why));
    if (payload_len < 0) {
        cli_errf(verb, "--payload: %s", why);
        return CLI_EXIT_USAGE;
    }
    max_payload = PROTO_FRAME_MAX_LEN - FRAME_OVERHEAD_WITH_PORT - (size_t)fopts_len;
    if ((size_t)payload_len > max_payload) {
        cli_errf(verb, "--payload: too long: %d bytes, at most %zu (a frame is at most %u bytes)",
                 payload_len, max_payload, PROTO_FRAME_MAX_LEN);
        return CLI_EXIT_USAGE;
    }
    up->payload = b->payload;
    up->payload_len = (size_t)payload_len;
    if (cli_option_key(verb, "nwkskey", a->nwkskey, b->nwkskey) != 0 ||
        cli_option_key(verb, "appskey", a->appskey, b->appskey) != 0) {
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static int frame_encode(int argc, char **argv)
{
    const char *verb = encode_verb;
    struct encode_args a = {NULL, NULL, NULL, NULL, NULL, NULL, NULL};
    struct proto_uplink up = {0};
    struct encode_bufs b;
    uint8_t frame[PROTO_FRAME_MAX_LEN];
    char frame_hex[FRAME_HEX_LEN];
    int ret;
    int n;

    ret = parse_encode(argc, argv, &a, &up);
    if (ret != CLI_GO) {
        return ret;
    }
    ret = check_required(&a);
    if (ret != 0) {
        return ret;
    }
    ret = encode_fields(&a, &up, &b);
    if (ret != 0) {
        goto out;
    }
    ret = CLI_EXIT_FAIL;
    n = proto_frame_build(&up, b.nwkskey, b.appskey, frame, sizeof(frame));
    if (n < 0) {
        cli_errf(verb, "cannot build the frame: %s", proto_strerror(n));
        goto out;
    }
    if (hex_encode(frame, (size_t)n, frame_hex, sizeof(frame_hex)) < 0) {
        cli_errf(verb, "cannot format the frame");
        goto out;
    }
    (void)printf("%s\n", frame_hex);
    ret = cli_flush_stdout(verb);

out:
    explicit_bzero(&b, sizeof(b));
    return ret;
}

/* Says what proto_frame_parse() refused, in terms of the bytes the operator supplied. */
static void report_parse_error(int rc, const uint8_t *phy, size_t len)
{
    static const char verb[] = "frame decode";

    switch (rc) {
    case PROTO_ETOOSHORT:
        /* FCtrl (byte 5) announces the FOpts length, which the frame must then hold. */
        if (len > 5 && (phy[5] & PROTO_FCTRL_FOPTS_LEN) != 0) {
            unsigned fopts = phy[5] & PROTO_FCTRL_FOPTS_LEN;

            cli_errf(verb,
                     "truncated frame: %zu bytes, its header needs %u (%u + %u bytes of FOpts)",
                     len, PROTO_FRAME_MIN_LEN + fopts, PROTO_FRAME_MIN_LEN, fopts);
        } else {
            cli_errf(verb, "truncated frame: %zu bytes, a data-up frame has at least %u", len,
                     PROTO_FRAME_MIN_LEN);
        }
        break;
    case PROTO_ETOOLONG:
        cli_errf(verb, "frame too long: %zu bytes, at most %u", len, PROTO_FRAME_MAX_LEN);
        break;
    case PROTO_EMTYPE:
        cli_errf(verb, "not a data-up frame: MHDR %02X (unconfirmed up is 40, confirmed up 80)",
                 len > 0 ? (unsigned)phy[0] : 0u);
        break;
    case PROTO_EMAJOR:
        cli_errf(verb, "MHDR %02X: Major is not LoRaWAN R1", len > 0 ? (unsigned)phy[0] : 0u);
        break;
    default:
        cli_errf(verb, "malformed frame (%zu bytes): %s", len, proto_strerror(rc));
        break;
    }
}

static bool add_hex(cJSON *obj, const char *key, const uint8_t *bytes, size_t len)
{
    char text[FRAME_HEX_LEN];

    if (hex_encode(bytes, len, text, sizeof(text)) < 0) {
        return false;
    }
    return cJSON_AddStringToObject(obj, key, text) != NULL;
}

/*
 * The payload part of the decode output: "payload" and "tfp" (or "tfp_error") when the key
 * for this FPort was given, else "payload_encrypted". FPort 0 is encrypted with the NwkSKey
 * (LoRaWAN 1.0.3 section 4.3.3), every other FPort with the AppSKey.
 */
static bool add_payload(cJSON *obj, const struct proto_frame *f, uint32_t fcnt32,
                        const struct session_keys *keys)
{
    uint8_t plain[PROTO_FRAME_MAX_LEN];
    struct proto_tfp_msg msg;
    const uint8_t *key = NULL;
    cJSON *tfp;
    int n;
    int rc;

    if (!f->has_fport) {
        /* Nothing is encrypted, so any key shows the (empty) plaintext. */
        if (!keys->have_nwk && !keys->have_app) {
            return add_hex(obj, "payload_encrypted", NULL, 0);
        }
        return add_hex(obj, "payload", NULL, 0) && cJSON_AddNullToObject(obj, "tfp") != NULL &&
               cJSON_AddStringToObject(obj, "tfp_error", proto_strerror(PROTO_ENOPORT)) != NULL;
    }
    if (f->fport == 0 && keys->have_nwk) {
        key = keys->nwk;
    } else if (f->fport != 0 && keys->have_app) {
        key = keys->app;
    }
    if (key == NULL) {
        return add_hex(obj, "payload_encrypted", f->frm_payload, f->frm_len);
    }
    n = proto_frame_decrypt(f, key, fcnt32, plain, sizeof(plain));
    if (n < 0) {
        /* Not expected: plain holds the largest FRMPayload. Shown rather than hidden. */
        return cJSON_AddNullToObject(obj, "payload") != NULL &&
               cJSON_AddNullToObject(obj, "tfp") != NULL &&
               cJSON_AddStringToObject(obj, "tfp_error", proto_strerror(n)) != NULL;
    }
    if (!add_hex(obj, "payload", plain, (size_t)n)) {
        return false;
    }
    rc = proto_tfp_decode(f->fport, plain, (size_t)n, &msg);
    if (rc != PROTO_OK) {
        return cJSON_AddNullToObject(obj, "tfp") != NULL &&
               cJSON_AddStringToObject(obj, "tfp_error", proto_strerror(rc)) != NULL;
    }
    tfp = tfp_json_msg(&msg, NULL, NULL);
    if (tfp == NULL) {
        return false;
    }
    if (!cJSON_AddItemToObject(obj, "tfp", tfp)) {
        cJSON_Delete(tfp);
        return false;
    }
    return true;
}

/*
 * Builds the decode output for a parsed frame. @mic_bad is set when the NwkSKey was given and
 * the MIC does not match. Return: a new object, or NULL when out of memory.
 */
static cJSON *frame_json(const struct proto_frame *f, uint32_t fcnt32,
                         const struct session_keys *keys, bool *mic_bad)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    cJSON *obj = cJSON_CreateObject();
    bool ok;

    *mic_bad = false;
    if (obj == NULL) {
        return NULL;
    }
    hex_format_devaddr(f->devaddr, devaddr);
    ok = cJSON_AddStringToObject(obj, "mtype",
                                 (f->mhdr & 0xE0u) == PROTO_MHDR_CONFIRMED_UP
                                     ? "confirmed_up"
                                     : "unconfirmed_up") != NULL &&
         cJSON_AddStringToObject(obj, "devaddr", devaddr) != NULL &&
         cJSON_AddNumberToObject(obj, "fcnt", fcnt32) != NULL &&
         (f->has_fport ? cJSON_AddNumberToObject(obj, "fport", f->fport) != NULL
                       : cJSON_AddNullToObject(obj, "fport") != NULL) &&
         cJSON_AddBoolToObject(obj, "adr", (f->fctrl & PROTO_FCTRL_ADR) != 0) != NULL &&
         cJSON_AddBoolToObject(obj, "ack", (f->fctrl & PROTO_FCTRL_ACK) != 0) != NULL &&
         add_hex(obj, "fopts", f->fopts, f->fopts_len);
    if (ok && keys->have_nwk) {
        *mic_bad = proto_frame_verify(f, keys->nwk, fcnt32) != PROTO_OK;
        ok = cJSON_AddBoolToObject(obj, "mic_ok", !*mic_bad) != NULL;
    }
    if (!ok || !add_payload(obj, f, fcnt32, keys)) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

static int frame_decode(int argc, char **argv)
{
    static const char verb[] = "frame decode";
    struct session_keys keys = {0};
    struct proto_frame f;
    uint8_t phy[PROTO_FRAME_MAX_LEN];
    char why[HEX_ERR_LEN];
    unsigned long long num;
    uint32_t fcnt_last = 0;
    const char *phy_s;
    cJSON *json = NULL;
    char *text = NULL;
    bool mic_bad = false;
    int ret = CLI_EXIT_USAGE;
    int len;
    int rc;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, decode_options)) != -1) {
        switch (c) {
        case OPT_NWKSKEY:
            if (cli_option_key(verb, "nwkskey", optarg, keys.nwk) != 0) {
                goto out;
            }
            keys.have_nwk = true;
            break;
        case OPT_APPSKEY:
            if (cli_option_key(verb, "appskey", optarg, keys.app) != 0) {
                goto out;
            }
            keys.have_app = true;
            break;
        case OPT_FCNT_LAST:
            if (option_uint(verb, "fcnt-last", optarg, UINT32_MAX, &num) != 0) {
                goto out;
            }
            fcnt_last = (uint32_t)num;
            break;
        case OPT_JSON:
            /* JSON is the only output of decode; accepted like every verb's --json. */
            break;
        default:
            ret = cli_help_or_bad_option(verb, c, argv, cli_frame_usage);
            goto out;
        }
    }
    if (optind >= argc) {
        cli_errf(verb, "missing PHYPAYLOAD_HEX, the frame to decode");
        ret = cli_usage_error(verb);
        goto out;
    }
    if (optind + 1 < argc) {
        cli_errf(verb, "unexpected argument '%s' (one frame at a time)", argv[optind + 1]);
        ret = cli_usage_error(verb);
        goto out;
    }
    phy_s = argv[optind];

    ret = CLI_EXIT_FAIL;
    len = hex_decode(phy_s, phy, sizeof(phy), why, sizeof(why));
    if (len < 0) {
        cli_errf(verb, "PHYPAYLOAD_HEX: %s", why);
        goto out;
    }
    rc = proto_frame_parse(phy, (size_t)len, &f);
    if (rc != PROTO_OK) {
        report_parse_error(rc, phy, (size_t)len);
        goto out;
    }

    json = frame_json(&f, proto_frame_fcnt_expand(fcnt_last, f.fcnt16), &keys, &mic_bad);
    text = json != NULL ? cJSON_PrintUnformatted(json) : NULL;
    if (text == NULL) {
        cli_errf(verb, "out of memory");
        goto out;
    }
    (void)printf("%s\n", text);
    ret = cli_flush_stdout(verb);
    if (ret == CLI_EXIT_OK && mic_bad) {
        cli_errf(verb, "MIC mismatch: wrong NwkSKey, wrong --fcnt-last, or a corrupted frame");
        ret = CLI_EXIT_FAIL;
    }

out:
    cJSON_free(text);
    cJSON_Delete(json);
    explicit_bzero(&keys, sizeof(keys));
    return ret;
}

int cli_frame_main(int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub == NULL) {
        cli_errf("frame", "missing subverb, encode or decode");
        cli_frame_usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(sub, "encode") == 0) {
        return frame_encode(argc - 1, argv + 1);
    }
    if (strcmp(sub, "decode") == 0) {
        return frame_decode(argc - 1, argv + 1);
    }
    if (cli_is_help(sub)) {
        cli_frame_usage(stdout);
        return fflush(stdout) == 0 ? CLI_EXIT_OK : CLI_EXIT_FAIL;
    }
    cli_errf("frame", "unknown subverb '%s' (encode or decode)", sub);
    return cli_usage_error("frame");
}
