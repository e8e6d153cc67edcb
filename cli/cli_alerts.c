/* SPDX-License-Identifier: MIT
 * `tinyfleet alerts [--active] [--limit N] [--json]`: the alerts fusion raised, each as its
 * latest transition, newest first (or, with --active, those not yet cleared, oldest first).
 * The JSON is the very message the daemon published (alert/alert_json.h), so what an operator reads
 * here is what subscribers got, with the alert's acknowledgement ("ack") added when it came
 * after that message. `alerts ack|mute|mutes|unmute` are in cli_silence.c.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/rfc3339.h"
#include "store/store.h"

#define DEFAULT_LIMIT 50

enum opt_id {
    OPT_ACTIVE = 256,
    OPT_LIMIT,
    OPT_JSON,
};

static const struct option options[] = {
    {"active", no_argument, NULL, OPT_ACTIVE},
    {"limit", required_argument, NULL, OPT_LIMIT},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char verb[] = "alerts";

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] alerts [--active] [--limit N] [--json]\n"
        "\n"
        "The alerts tinyfleetd's fusion raised, each with its latest transition, the most\n"
        "recently changed first. It works while tinyfleetd runs.\n"
        "  --active   only alerts not yet cleared, oldest first (--limit does not apply)\n"
        "  --limit N  at most N alerts; default 50; 0: no limit\n"
        "  --json     one JSON object per line, as published on <prefix>/alert/<class>/<key>:\n"
        "             id, seq, class, zone, key, rule, level (watch, warning, critical), state\n"
        "             (open, escalate, update, cleared), confidence (0..1), nodes (DevAddrs),\n"
        "             nodes_truncated, detections, lat, lon (null without a position),\n"
        "             first_seen, last_seen, time (RFC 3339 UTC), gateway, message, and\n"
        "             ack {by, time, note, silence} once acknowledged\n"
        "Acknowledge and mute: tinyfleet alerts ack|mute|mutes|unmute --help\n"
        "\n"
        "Exit status: 0 success (also when there are none); 1 failure (no database);\n"
        "2 usage error.\n",
        out);
}

struct print_ctx {
    bool json;
    unsigned printed;
    struct store *store;
};

/* The published @json with the alert's acknowledgement as "ack" when the store has one the
 * message lacks (it came after the message). Return: text to free with cJSON_free(), or NULL
 * to print @json as it is. */
static char *json_with_ack(struct store *s, int64_t id, const char *json)
{
    struct store_ack ack;
    char when[RFC3339_LEN];
    cJSON *o;
    cJSON *k;
    char *text = NULL;

    if (store_ack_get(s, id, &ack) != 0) {
        return NULL;
    }
    o = cJSON_Parse(json);
    if (o == NULL || cJSON_GetObjectItemCaseSensitive(o, "ack") != NULL) {
        cJSON_Delete(o);
        return NULL;
    }
    rfc3339_format(ack.time_ms, when);
    k = cJSON_AddObjectToObject(o, "ack");
    if (k != NULL && cJSON_AddStringToObject(k, "by", ack.by) != NULL &&
        cJSON_AddStringToObject(k, "time", when) != NULL &&
        cJSON_AddStringToObject(k, "note", ack.note) != NULL &&
        cJSON_AddStringToObject(k, "silence", ack.silence_id) != NULL) {
        text = cJSON_PrintUnformatted(o);
    }
    cJSON_Delete(o);
    return text;
}

static int print_alert(const struct store_alert *a, void *arg)
{
    struct print_ctx *p = arg;
    char when[RFC3339_LEN];
    cJSON *o;
    const cJSON *conf;
    const cJSON *msg;

    struct store_ack ack;
    char *text;

    p->printed++;
    if (p->json) {
        text = json_with_ack(p->store, a->id, a->json);
        (void)printf("%s\n", text != NULL ? text : a->json);
        cJSON_free(text);
        return 0;
    }
    if (p->printed == 1) {
        (void)printf("%-6s %4s %-8s %-8s %-16s %-16s %5s %-24s %s\n", "ID", "SEQ", "STATE", "LEVEL",
                     "CLASS", "KEY", "CONF", "CHANGED", "MESSAGE");
    }
    o = cJSON_Parse(a->json);
    conf = cJSON_GetObjectItemCaseSensitive(o, "confidence");
    msg = cJSON_GetObjectItemCaseSensitive(o, "message");
    rfc3339_format(a->changed_ms, when);
    (void)printf("%-6" PRId64 " %4" PRIu32 " %-8s %-8s %-16s %-16s %5.2f %-24s %s\n", a->id, a->seq,
                 a->state, a->level, a->class_name, a->topic_key,
                 cJSON_IsNumber(conf) ? conf->valuedouble : 0.0, when,
                 cJSON_IsString(msg) ? msg->valuestring : "");
    cJSON_Delete(o);
    if (store_ack_get(p->store, a->id, &ack) == 0) {
        rfc3339_format(ack.time_ms, when);
        (void)printf("%6s acknowledged by %s at %s%s%s\n", "", ack.by, when,
                     ack.note[0] != '\0' ? ": " : "", ack.note);
    }
    return 0;
}

int cli_alerts_main(const struct global_opts *g, int argc, char **argv)
{
    struct print_ctx p = {false, 0, NULL};
    struct cli_db db = {NULL, NULL};
    bool active = false;
    int limit = DEFAULT_LIMIT;
    int ret;
    int c;

    if (argc > 1 && cli_alerts_is_am(argv[1])) {
        return cli_alerts_am_main(g, argc - 1, argv + 1);
    }
    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_ACTIVE:
            active = true;
            break;
        case OPT_LIMIT:
            if (cli_parse_limit(optarg, &limit) < 0) {
                cli_errf(verb, "--limit: '%s' is not a number 0..%d", optarg, INT_MAX);
                return cli_usage_error(verb);
            }
            break;
        case OPT_JSON:
            p.json = true;
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
    p.store = db.store;
    if (store_alerts_foreach(db.store, active, limit, print_alert, &p) < 0) {
        cli_errf(verb, "%s", store_errmsg(db.store));
        ret = CLI_EXIT_FAIL;
        goto out;
    }
    if (p.printed == 0 && !p.json) {
        (void)puts(active ? "(no active alerts)" : "(no alerts)");
    }
    ret = cli_flush_stdout(verb);
out:
    cli_close(&db);
    return ret;
}
