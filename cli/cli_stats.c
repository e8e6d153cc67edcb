/* SPDX-License-Identifier: MIT
 * `tinyfleet stats`: how many frames and datagrams tinyfleetd accepted and refused, by
 * reason and bearer, as of its last commit (the daemon keeps counts in memory and writes
 * them with each batch), and the MQTT outbox: messages waiting for the broker's
 * acknowledgement and messages dropped at its size bound; the Alertmanager outbox and the
 * poster's last success and failure. A table of every reason, or one JSON object per bearer
 * and one for the outboxes.
 */
#include "cli.h"

#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/rfc3339.h"
#include "store/store.h"

struct outbox_stats {
    int64_t depth;     /* rows waiting */
    int64_t oldest_ms; /* created_ms of the oldest, 0 when empty */
    uint64_t dropped;  /* rows dropped at [mqtt] outbox_max, ever */
};

enum opt_id {
    OPT_JSON = 256,
};

static const struct option options[] = {
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const char verb[] = "stats";

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] stats [--json]\n"
        "\n"
        "Frames and datagrams tinyfleetd counted, by reason and bearer (coap, lora),\n"
        "as of its last commit. Reasons: accepted (stored); duplicate (a copy from\n"
        "another forwarder); refused as malformed, unknown_node, bad_mic, replay,\n"
        "bad_payload (a TFP message that does not decode), bad_datagram (forwarder\n"
        "datagram: oversized, bad JSON, wrong version; or one bad rxpk entry of a\n"
        "datagram whose good frames were kept); storage_failed\n"
        "(passed the checks, but the database write failed; the node retries).\n"
        "Then the MQTT outbox: alert messages waiting for the broker's acknowledgement,\n"
        "the oldest one's age, and messages dropped because the outbox was full;\n"
        "the alerts waiting for an Alertmanager ([alertmanager] url), the last post one\n"
        "accepted and the last failure.\n"
        "  --json  one object per bearer and line: {\"bearer\":\"coap\",\"accepted\":N,...}\n"
        "          with every reason, then {\"outbox\":N,\"outbox_oldest\":TIME|null,\n"
        "          \"outbox_dropped\":N,\"alertmanager_queue\":N,\"alertmanager_oldest\":\n"
        "          TIME|null,\"alertmanager_last_ok\":TIME|null,\"alertmanager_last_error\":\n"
        "          TEXT|null,\"alertmanager_last_error_time\":TIME|null}\n"
        "\n"
        "Exit status: 0 success; 1 failure (no database); 2 usage error.\n",
        out);
}

/* Prints @obj (consumed) as one line. Return: 0 or CLI_EXIT_FAIL (out of memory). */
static int print_line(cJSON *obj, bool ok)
{
    char *text = ok ? cJSON_PrintUnformatted(obj) : NULL;

    if (text != NULL) {
        (void)printf("%s\n", text);
    }
    cJSON_free(text);
    cJSON_Delete(obj);
    if (text == NULL) {
        cli_errf(verb, "out of memory");
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

/* @name: TIME of @ms, or null when @ms is 0 (never). */
static bool add_time_or_null(cJSON *obj, const char *name, int64_t ms)
{
    char when[RFC3339_LEN];

    if (ms == 0) {
        return cJSON_AddNullToObject(obj, name) != NULL;
    }
    rfc3339_format(ms, when);
    return cJSON_AddStringToObject(obj, name, when) != NULL;
}

static bool add_am(cJSON *obj, const struct store_am_status *am)
{
    return cJSON_AddNumberToObject(obj, "alertmanager_queue", (double)am->queued) != NULL &&
           add_time_or_null(obj, "alertmanager_oldest", am->queued > 0 ? am->oldest_ms : 0) &&
           add_time_or_null(obj, "alertmanager_last_ok", am->last_ok_ms) &&
           (am->last_error_ms > 0
                ? cJSON_AddStringToObject(obj, "alertmanager_last_error", am->last_error)
                : cJSON_AddNullToObject(obj, "alertmanager_last_error")) != NULL &&
           add_time_or_null(obj, "alertmanager_last_error_time", am->last_error_ms);
}

/* The downlink outcomes as one line {"bearer":"downlink","rx1":N,...}. */
static int print_json_downlink(const uint64_t dl[STORE_DL_COUNT])
{
    cJSON *obj = cJSON_CreateObject();
    bool ok = obj != NULL && cJSON_AddStringToObject(obj, "bearer", "downlink") != NULL;

    for (int d = 0; ok && d < STORE_DL_COUNT; d++) {
        ok = cJSON_AddNumberToObject(obj, store_dl_name((enum store_dl)d), (double)dl[d]) != NULL;
    }
    return print_line(obj, ok);
}

static void print_table_downlink(const uint64_t dl[STORE_DL_COUNT])
{
    (void)printf("\ndownlinks:");
    for (int d = 0; d < STORE_DL_COUNT; d++) {
        (void)printf("%s %s %" PRIu64, d == 0 ? "" : ",", store_dl_name((enum store_dl)d), dl[d]);
    }
    (void)printf("\n");
}

static int print_json(uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT],
                      const uint64_t dl[STORE_DL_COUNT], const struct outbox_stats *ob,
                      const struct store_am_status *am)
{
    char when[RFC3339_LEN];
    cJSON *obj;
    bool ok;
    int b;
    int r;

    for (b = 0; b < STORE_BEARER_COUNT; b++) {
        obj = cJSON_CreateObject();
        ok = obj != NULL && cJSON_AddStringToObject(
                                obj, "bearer", store_bearer_name((enum store_bearer)b)) != NULL;

        for (r = 0; ok && r < STORE_REASON_COUNT; r++) {
            /* A double holds every count below 2^53: decades of frames at any real rate. */
            ok = cJSON_AddNumberToObject(obj, store_reason_name((enum store_reason)r),
                                         (double)counts[b][r]) != NULL;
        }
        if (print_line(obj, ok) != CLI_EXIT_OK) {
            return CLI_EXIT_FAIL;
        }
    }
    /* Before the outbox, which stays the last line. */
    if (print_json_downlink(dl) != CLI_EXIT_OK) {
        return CLI_EXIT_FAIL;
    }
    obj = cJSON_CreateObject();
    rfc3339_format(ob->oldest_ms, when);
    ok = obj != NULL && cJSON_AddNumberToObject(obj, "outbox", (double)ob->depth) != NULL &&
         (ob->depth > 0 ? cJSON_AddStringToObject(obj, "outbox_oldest", when)
                        : cJSON_AddNullToObject(obj, "outbox_oldest")) != NULL &&
         cJSON_AddNumberToObject(obj, "outbox_dropped", (double)ob->dropped) != NULL &&
         add_am(obj, am);
    return print_line(obj, ok);
}

static void print_table(uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT])
{
    int b;
    int r;

    (void)printf("%-16s", "REASON");
    for (b = 0; b < STORE_BEARER_COUNT; b++) {
        char name[16];
        size_t i;

        (void)snprintf(name, sizeof(name), "%s", store_bearer_name((enum store_bearer)b));
        for (i = 0; name[i] != '\0'; i++) {
            name[i] = (char)(name[i] >= 'a' && name[i] <= 'z' ? name[i] - 'a' + 'A' : name[i]);
        }
        (void)printf("  %12s", name);
    }
    (void)printf("  %12s\n", "TOTAL");
    for (r = 0; r < STORE_REASON_COUNT; r++) {
        uint64_t total = 0;

        (void)printf("%-16s", store_reason_name((enum store_reason)r));
        for (b = 0; b < STORE_BEARER_COUNT; b++) {
            (void)printf("  %12" PRIu64, counts[b][r]);
            total += counts[b][r];
        }
        (void)printf("  %12" PRIu64 "\n", total);
    }
}

static void print_outbox(const struct outbox_stats *ob)
{
    char when[RFC3339_LEN];

    (void)printf("\nmqtt outbox: %" PRId64 " waiting", ob->depth);
    if (ob->depth > 0) {
        rfc3339_format(ob->oldest_ms, when);
        (void)printf(" (oldest %s)", when);
    }
    (void)printf(", %" PRIu64 " dropped\n", ob->dropped);
}

static void print_am(const struct store_am_status *am)
{
    char when[RFC3339_LEN];

    (void)printf("alertmanager outbox: %" PRId64 " waiting", am->queued);
    if (am->queued > 0) {
        rfc3339_format(am->oldest_ms, when);
        (void)printf(" (oldest %s)", when);
    }
    rfc3339_format(am->last_ok_ms, when);
    (void)printf(", last success %s", am->last_ok_ms > 0 ? when : "never");
    rfc3339_format(am->last_error_ms, when);
    if (am->last_error_ms > 0) {
        (void)printf(", last error %s: %s\n", when, am->last_error);
    } else {
        (void)printf(", no error\n");
    }
}

int cli_stats_main(const struct global_opts *g, int argc, char **argv)
{
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    uint64_t dl[STORE_DL_COUNT];
    struct outbox_stats ob = {0, 0, 0};
    struct store_am_status am;
    struct cli_db db = {NULL, NULL};
    bool json = false;
    int ret;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_JSON:
            json = true;
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
    if (store_stats(db.store, counts) < 0 || store_downlink_stats(db.store, dl) < 0 ||
        store_outbox_depth(db.store, &ob.depth, &ob.oldest_ms) < 0 ||
        store_outbox_dropped(db.store, &ob.dropped) < 0 || store_am_status(db.store, &am) < 0) {
        cli_errf(verb, "%s", store_errmsg(db.store));
        ret = CLI_EXIT_FAIL;
        goto out;
    }
    if (json) {
        ret = print_json(counts, dl, &ob, &am);
    } else {
        print_table(counts);
        print_table_downlink(dl);
        print_outbox(&ob);
        print_am(&am);
        ret = CLI_EXIT_OK;
    }
    if (ret == CLI_EXIT_OK) {
        ret = cli_flush_stdout(verb);
    }
out:
    cli_close(&db);
    return ret;
}
