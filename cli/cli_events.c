/* SPDX-License-Identifier: MIT
 * `tinyfleet events`: the events the gateway stored, newest first, as a table or as one JSON
 * object per line. The JSON carries the same field names as `frame decode` (tfp_json.h), so
 * a script reads a detection the same way from either; class names come from the config's
 * table when -c is used, else from the built-in one. Reads only: works while tinyfleetd runs.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "proto/frame.h"
#include "proto/tfp.h"
#include "util/hex.h"
#include "util/rfc3339.h"
#include "store/store.h"
#include "util/tfp_json.h"

/* Upper-case hex of the largest payload, plus the NUL. */
#define PAYLOAD_HEX_LEN (2u * PROTO_FRAME_MAX_LEN + 1u)

/* A --since beyond a century is surely a typo; it also keeps the milliseconds far from
 * overflowing int64. */
#define MAX_SINCE_S (100ull * 366u * 24u * 3600u)

enum opt_id {
    OPT_SINCE = 256,
    OPT_NODE,
    OPT_CLASS,
    OPT_LIMIT,
    OPT_JSON,
};

static const struct option options[] = {
    {"since", required_argument, NULL, OPT_SINCE},
    {"node", required_argument, NULL, OPT_NODE},
    {"class", required_argument, NULL, OPT_CLASS},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char verb[] = "events";

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] events [--since DURATION] [--node DEVADDR]\n"
        "                                               [--class NAME] [--limit N] [--json]\n"
        "\n"
        "The events tinyfleetd stored (one per detection record, health message, anomaly\n"
        "summary or raw payload), newest first. It works while tinyfleetd runs.\n"
        "  --since DURATION  received in the last DURATION: a number and s, m, h or d\n"
        "                    (90s, 15m, 2h, 7d); default: all\n"
        "  --node DEVADDR    of this node only (8 hex digits)\n"
        "  --class NAME      detections of this class only: a name of the config's class table\n"
        "                    (built in: unknown, elephant, whale, machine_anomaly, human,\n"
        "                    vehicle, gunshot, ship), or class_<id>\n"
        "  --limit N         at most the N newest; default and 0: no limit\n"
        "  --json            one JSON object per line: devaddr (8 hex digits), fcnt, received\n"
        "                    and time (RFC 3339 UTC with milliseconds; time is when it\n"
        "                    happened: received minus age_s for a detection), kind (detection,\n"
        "                    health, anomaly, raw), the message's fields as `frame decode`\n"
        "                    names them (class, class_id, confidence 0..1, age_s, duration_s,\n"
        "                    level_db; battery_mv, temp_c, ...; windows, anomalous, ...), for\n"
        "                    raw fport and payload (hex); the frame's first reception:\n"
        "                    bearer (coap, lora), gateway (the forwarder's EUI, or the CoAP\n"
        "                    peer ip:port), rssi (dBm), snr (dB), freq_hz and datr (null for\n"
        "                    CoAP); and id\n"
        "The table shows RSSI, SNR and GATEWAY of the same reception (- where none).\n"
        "\n"
        "Exit status: 0 success (also when nothing matches); 1 failure (no database);\n"
        "2 usage error.\n",
        out);
}

/* "90s", "15m", "2h", "7d" -> milliseconds. */
static int parse_duration(const char *s, int64_t *ms)
{
    static const struct {
        char unit;
        unsigned long long seconds;
    } units[] = {{'s', 1}, {'m', 60}, {'h', 3600}, {'d', 86400}};
    unsigned long long v;
    char *end = NULL;
    size_t i;

    if (s[0] < '0' || s[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoull(s, &end, 10);
    if (errno != 0 || end[0] == '\0' || end[1] != '\0') {
        return -EINVAL;
    }
    for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
        if (end[0] == units[i].unit) {
            if (v > MAX_SINCE_S / units[i].seconds) {
                return -ERANGE;
            }
            *ms = (int64_t)(v * units[i].seconds * 1000u);
            return 0;
        }
    }
    return -EINVAL;
}

struct print_ctx {
    struct cli_db *db;
    bool json;
    int count;
};

static bool add_time(cJSON *obj, const char *key, int64_t ms)
{
    char t[RFC3339_LEN];

    rfc3339_format(ms, t);
    return cJSON_AddStringToObject(obj, key, t) != NULL;
}

/* The reception fields of @rx into @obj: bearer and gateway, and rssi, snr, freq_hz and
 * datr (null without radio fields: CoAP). Also used by `node show` through cli.h. */
bool cli_json_add_rx(cJSON *obj, const struct store_rx *rx)
{
    if (rx == NULL) {
        return cJSON_AddNullToObject(obj, "bearer") != NULL &&
               cJSON_AddNullToObject(obj, "gateway") != NULL &&
               cJSON_AddNullToObject(obj, "rssi") != NULL &&
               cJSON_AddNullToObject(obj, "snr") != NULL &&
               cJSON_AddNullToObject(obj, "freq_hz") != NULL &&
               cJSON_AddNullToObject(obj, "datr") != NULL;
    }
    if (cJSON_AddStringToObject(obj, "bearer", store_bearer_name(rx->bearer)) == NULL ||
        cJSON_AddStringToObject(obj, "gateway", rx->gateway) == NULL) {
        return false;
    }
    if (!rx->has_radio) {
        return cJSON_AddNullToObject(obj, "rssi") != NULL &&
               cJSON_AddNullToObject(obj, "snr") != NULL &&
               cJSON_AddNullToObject(obj, "freq_hz") != NULL &&
               cJSON_AddNullToObject(obj, "datr") != NULL;
    }
    return cJSON_AddNumberToObject(obj, "rssi", rx->rssi_dbm) != NULL &&
           cJSON_AddNumberToObject(obj, "snr", rx->snr_db) != NULL &&
           cJSON_AddNumberToObject(obj, "freq_hz", rx->freq_hz) != NULL &&
           cJSON_AddStringToObject(obj, "datr", rx->datr) != NULL;
}

void cli_format_rx(const struct store_rx *rx, char *rssi, char *snr, size_t cap)
{
    if (rx == NULL || !rx->has_radio) {
        (void)snprintf(rssi, cap, "-");
        (void)snprintf(snr, cap, "-");
        return;
    }
    (void)snprintf(rssi, cap, "%d", (int)rx->rssi_dbm);
    (void)snprintf(snr, cap, "%.1f", rx->snr_db);
}

/* The event as one JSON line. Return: 0 or -ENOMEM. */
static int print_json(const struct store_event *e, struct cli_db *db)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    char payload[PAYLOAD_HEX_LEN];
    cJSON *obj = cJSON_CreateObject();
    char *text = NULL;
    bool ok;
    int ret = -ENOMEM;

    if (obj == NULL) {
        return -ENOMEM;
    }
    hex_format_devaddr(e->devaddr, devaddr);
    ok = cJSON_AddStringToObject(obj, "devaddr", devaddr) != NULL &&
         cJSON_AddNumberToObject(obj, "fcnt", e->fcnt) != NULL &&
         add_time(obj, "received", e->received_ms) && add_time(obj, "time", e->time_ms) &&
         cJSON_AddStringToObject(obj, "kind", e->kind) != NULL;
    /* By kind, not by port: a raw event may carry FPort 1..3 (a TFP version we do not
     * know), and its msg.port is then that FPort. */
    if (ok && strcmp(e->kind, "detection") == 0) {
        ok = tfp_json_add_detection(obj, &e->msg.u.det.rec[0], cli_class_name, db) == 0;
    } else if (ok && strcmp(e->kind, "health") == 0) {
        ok = tfp_json_add_health(obj, &e->msg.u.health) == 0;
    } else if (ok && strcmp(e->kind, "anomaly") == 0) {
        ok = tfp_json_add_anomaly(obj, &e->msg.u.anomaly) == 0;
    } else if (ok) {
        ok = cJSON_AddNumberToObject(obj, "fport", e->msg.port) != NULL &&
             hex_encode(e->raw, e->raw_len, payload, sizeof(payload)) >= 0 &&
             cJSON_AddStringToObject(obj, "payload", payload) != NULL;
    }
    ok = ok && cli_json_add_rx(obj, e->has_rx ? &e->rx : NULL) &&
         cJSON_AddNumberToObject(obj, "id", (double)e->id) != NULL;
    text = ok ? cJSON_PrintUnformatted(obj) : NULL;
    if (text != NULL) {
        (void)printf("%s\n", text);
        ret = 0;
    }
    cJSON_free(text);
    cJSON_Delete(obj);
    return ret;
}

/* The DETAILS column of the table. */
static void details(const struct store_event *e, struct cli_db *db, char *out, size_t cap)
{
    if (strcmp(e->kind, "detection") == 0) {
        const struct proto_tfp_detection *d = &e->msg.u.det.rec[0];
        const char *name = cli_class_name(db, d->class_id);
        char fallback[16];

        if (name == NULL) {
            (void)snprintf(fallback, sizeof(fallback), "class_%u", (unsigned)d->class_id);
            name = fallback;
        }
        (void)snprintf(out, cap, "%s p=%.2f age=%us duration=%us level=%udB", name,
                       (double)d->confidence / 255.0, (unsigned)d->age_s, (unsigned)d->duration_s,
                       (unsigned)d->level_db);
    } else if (strcmp(e->kind, "health") == 0) {
        const struct proto_tfp_health *h = &e->msg.u.health;

        (void)snprintf(out, cap,
                       "battery=%umV temp=%dC uptime=%" PRIu32 "s model=%u/v%u inferences=%u "
                       "detections=%u tx_failures=%u",
                       (unsigned)h->battery_mv, (int)h->temp_c, h->uptime_s, (unsigned)h->model_id,
                       (unsigned)h->model_ver, (unsigned)h->inferences, (unsigned)h->detections,
                       (unsigned)h->tx_failures);
    } else if (strcmp(e->kind, "anomaly") == 0) {
        const struct proto_tfp_anomaly *a = &e->msg.u.anomaly;

        (void)snprintf(out, cap,
                       "anomalous=%u/%u score_mean=%u score_max=%u peak_band=%u period=%us",
                       (unsigned)a->anomalous, (unsigned)a->windows, (unsigned)a->score_mean,
                       (unsigned)a->score_max, (unsigned)a->peak_band, (unsigned)a->period_s);
    } else {
        char payload[PAYLOAD_HEX_LEN];

        if (hex_encode(e->raw, e->raw_len, payload, sizeof(payload)) < 0) {
            (void)snprintf(payload, sizeof(payload), "(%zu bytes)", e->raw_len);
        }
        (void)snprintf(out, cap, "fport=%u payload=%s", (unsigned)e->msg.port, payload);
    }
}

static int print_event(const struct store_event *e, void *arg)
{
    struct print_ctx *ctx = arg;
    char devaddr[HEX_DEVADDR_STR_LEN];
    char received[RFC3339_LEN];
    char text[PAYLOAD_HEX_LEN + 32];
    char rssi[16];
    char snr[16];

    ctx->count++;
    if (ctx->json) {
        return print_json(e, ctx->db);
    }
    hex_format_devaddr(e->devaddr, devaddr);
    rfc3339_format(e->received_ms, received);
    details(e, ctx->db, text, sizeof(text));
    cli_format_rx(e->has_rx ? &e->rx : NULL, rssi, snr, sizeof(rssi));
    (void)printf("%-24s  %-8s  %10" PRIu32 "  %-9s  %5s  %5s  %-16s  %s\n", received, devaddr,
                 e->fcnt, e->kind, rssi, snr, e->has_rx ? e->rx.gateway : "-", text);
    return 0;
}

int cli_events_main(const struct global_opts *g, int argc, char **argv)
{
    struct store_event_filter f = {0, false, 0, -1, 0};
    struct cli_db db = {NULL, NULL};
    struct print_ctx ctx = {&db, false, 0};
    const char *class_s = NULL;
    char why[HEX_ERR_LEN];
    int64_t since = 0;
    bool has_since = false;
    int ret;
    int rc;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_SINCE:
            rc = parse_duration(optarg, &since);
            if (rc < 0) {
                cli_errf(verb,
                         rc == -ERANGE ? "--since: '%s' is too long ago (at most a century)"
                                       : "--since: '%s' is not a duration such as 90s, 15m, "
                                         "2h or 7d",
                         optarg);
                return cli_usage_error(verb);
            }
            has_since = true;
            break;
        case OPT_NODE:
            if (hex_decode_devaddr(optarg, &f.devaddr, why, sizeof(why)) < 0) {
                cli_errf(verb, "--node '%s': %s", optarg, why);
                return cli_usage_error(verb);
            }
            f.has_devaddr = true;
            break;
        case OPT_CLASS:
            class_s = optarg;
            break;
        case OPT_LIMIT:
            if (cli_parse_limit(optarg, &f.limit) < 0) {
                cli_errf(verb, "--limit: '%s' is not a number 0..%d", optarg, INT_MAX);
                return cli_usage_error(verb);
            }
            break;
        case OPT_JSON:
            ctx.json = true;
            break;
        default:
            return cli_help_or_bad_option(verb, c, argv, usage);
        }
    }
    if (cli_no_operands(verb, argc, argv) != 0) {
        return CLI_EXIT_USAGE;
    }

    ret = cli_open(g, verb, CLI_OPEN_EXISTING, &db);
    if (ret != CLI_EXIT_OK) {
        return ret;
    }
    /* Class names need the config's table, hence only now. */
    if (class_s != NULL) {
        f.class_id = cli_class_id(&db, class_s);
        if (f.class_id < 0) {
            cli_errf(verb, "--class: unknown class '%s'", class_s);
            ret = cli_usage_error(verb);
            goto out;
        }
    }
    if (has_since) {
        f.since_ms = rfc3339_now_ms() - since;
    }
    if (!ctx.json) {
        (void)printf("%-24s  %-8s  %10s  %-9s  %5s  %5s  %-16s  %s\n", "RECEIVED (UTC)", "DEVADDR",
                     "FCNT", "KIND", "RSSI", "SNR", "GATEWAY", "DETAILS");
    }
    rc = store_events_foreach(db.store, &f, print_event, &ctx);
    if (rc < 0) {
        cli_errf(verb, "%s", rc == -ENOMEM ? "out of memory" : store_errmsg(db.store));
        ret = CLI_EXIT_FAIL;
        goto out;
    }
    if (!ctx.json && ctx.count == 0) {
        (void)printf("(no events)\n");
    }
    ret = cli_flush_stdout(verb);
out:
    cli_close(&db);
    return ret;
}
