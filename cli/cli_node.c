/* SPDX-License-Identifier: MIT
 * `tinyfleet node add|edit|list|show|remove`: the gateway's node registry. Session keys are given
 * or drawn from getrandom(2), and are printed only with --show-keys (for provisioning the
 * node); lists never show them. Keys on the command line are visible in /proc/PID/cmdline
 * while this runs, as any argument is; buffers that held them are wiped before returning.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "util/hex.h"
#include "util/rfc3339.h"
#include "store/store.h"
#include "proto/tfp.h"

enum opt_id {
    OPT_NWKSKEY = 256, /* above any short option character */
    OPT_APPSKEY,
    OPT_NAME,
    OPT_PROFILE,
    OPT_LAT,
    OPT_LON,
    OPT_ZONE,
    OPT_SHOW_KEYS,
    OPT_JSON,
};

static const struct option add_options[] = {
    {"nwkskey", required_argument, NULL, OPT_NWKSKEY},
    {"appskey", required_argument, NULL, OPT_APPSKEY},
    {"name", required_argument, NULL, OPT_NAME},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"lat", required_argument, NULL, OPT_LAT},
    {"lon", required_argument, NULL, OPT_LON},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"show-keys", no_argument, NULL, OPT_SHOW_KEYS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* list, show and remove: a subset of these applies to each (checked in node_main). */
static const struct option read_options[] = {
    {"show-keys", no_argument, NULL, OPT_SHOW_KEYS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* What node add, show and remove take after their options. */
static const char devaddr_operand[] = "DEVADDR (8 hex digits, e.g. 26011F00)";

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] node add DEVADDR [--nwkskey HEX32 --appskey "
        "HEX32]\n"
        "       tinyfleet [-c FILE | --db PATH] node add --otaa --deveui EUI --joineui EUI\n"
        "                     [--appkey HEX32] [--devaddr DEVADDR] (see node add --otaa --help)\n"
        "                     [--name NAME] [--profile P] [--lat DEG --lon DEG] [--zone Z]\n"
        "                     [--show-keys] [--json]\n"
        "       tinyfleet [-c FILE | --db PATH] node edit DEVADDR [--name NAME] [--profile P]\n"
        "                     [--lat DEG --lon DEG] [--zone Z] [--json]\n"
        "       tinyfleet [-c FILE | --db PATH] node list [--json]\n"
        "       tinyfleet [-c FILE | --db PATH] node show DEVADDR [--json] [--show-keys]\n"
        "       tinyfleet [-c FILE | --db PATH] node remove DEVADDR\n"
        "       tinyfleet [-c FILE | --db PATH] node command DEVADDR NAME [KEY=VALUE...]\n"
        "\n"
        "The gateway's node registry (LoRaWAN ABP). It works while tinyfleetd runs.\n"
        "  add     registers a node. DEVADDR is 8 hex digits as written on the device\n"
        "          (26011F00) and must be new. Without --nwkskey/--appskey both session keys\n"
        "          are generated from getrandom(2); give both or neither. --lat and --lon\n"
        "          (degrees WGS84) go together; --zone names a zone of the config (with\n"
        "          -c FILE or the default config, a zone it does not define is refused, the\n"
        "          message lists its zones; --db reads no config, so nothing is checked);\n"
        "          --profile is elephant, whale, turbine... Creates the database if there is\n"
        "          none; as root, with the config's [gateway] user set, gives it to that user.\n"
        "  edit    changes the name, profile, position or zone of a registered node; what\n"
        "          is not given stays; --zone '' clears the zone. Keys, counter and stored\n"
        "          events stay; tinyfleetd uses the change from the node's next frame.\n"
        "  list    one line per node: devaddr, name, profile, zone, last frame counter, last\n"
        "          seen (UTC), battery, learning (a turbine learning its machine: progress,\n"
        "          or ready with its threshold; - for a node that does not learn). Never keys.\n"
        "  show    everything about one node, with the reception of its newest frame\n"
        "          (time, bearer, gateway: forwarder EUI or CoAP peer; RSSI, SNR, frequency\n"
        "          and data rate for LoRa); the keys only with --show-keys.\n"
        "  remove  deletes the node and its stored frames and events.\n"
        "  command queues a command for the node and prints its id (`node command --help`).\n"
        "  --show-keys  print the session keys (add, show): to provision the node. Keys are\n"
        "               never printed otherwise.\n"
        "  --json       one JSON object per line: devaddr, name, profile, zone, lat, lon,\n"
        "               last_fcnt, last_seen, battery_mv, learn (\"learning\" or \"ready\"),\n"
        "               learn_progress (0..100), learn_threshold, created (null when unknown),\n"
        "               for show last_rx (time, bearer, gateway, rssi, snr, freq_hz, datr,\n"
        "               as `events --json` has them; null before the first frame), and\n"
        "               nwkskey, appskey with --show-keys.\n"
        "\n"
        "Exit status: 0 success; 1 failure (duplicate or unknown DevAddr, no database);\n"
        "2 usage error.\n",
        out);
}

static int parse_devaddr(const char *verb, const char *s, uint32_t *out)
{
    char why[HEX_ERR_LEN];

    if (hex_decode_devaddr(s, out, why, sizeof(why)) < 0) {
        cli_errf(verb, "DEVADDR '%s': %s", s, why);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

static bool add_time(cJSON *obj, const char *key, int64_t ms)
{
    char t[RFC3339_LEN];

    rfc3339_format(ms, t);
    return cJSON_AddStringToObject(obj, key, t) != NULL;
}

/* What `node show` adds to a node: the first reception of its newest frame. */
struct node_rx {
    bool has;           /* false: no frame stored yet, or none with its reception */
    struct store_rx rx; /* valid with @has */
};

/* "last_rx": the reception's fields as `events --json` has them, or null. */
static bool add_last_rx(cJSON *obj, const struct node_rx *last)
{
    cJSON *rx;

    if (!last->has) {
        return cJSON_AddNullToObject(obj, "last_rx") != NULL;
    }
    rx = cJSON_AddObjectToObject(obj, "last_rx");
    return rx != NULL && cli_json_add_rx(rx, &last->rx) && add_time(rx, "time", last->rx.time_ms);
}

/* The JSON of a node (with "last_rx" when @last is not NULL); NULL when out of memory. */
/* A learning node's state as health messages said it (proto/SPEC.md 2.2): "learning 42 %",
 * "ready, threshold 166", or "-" for a node that does not learn (or has not said). */
static void learn_text(const struct store_node *n, char *buf, size_t len)
{
    if (n->learn == PROTO_TFP_LEARN_LEARNING) {
        (void)snprintf(buf, len, "learning %u %%", (unsigned)n->learn_progress);
    } else if (n->learn == PROTO_TFP_LEARN_READY) {
        (void)snprintf(buf, len, "ready, threshold %u", (unsigned)n->learn_threshold);
    } else {
        (void)snprintf(buf, len, "-");
    }
}

/* "learn": "learning" with "learn_progress", or "ready" with "learn_threshold"; nulls for a
 * node that does not learn. */
static bool add_learn(cJSON *obj, const struct store_node *n)
{
    bool learning = n->learn == PROTO_TFP_LEARN_LEARNING;
    bool ready = n->learn == PROTO_TFP_LEARN_READY;

    if (!learning && !ready) {
        return cJSON_AddNullToObject(obj, "learn") != NULL &&
               cJSON_AddNullToObject(obj, "learn_progress") != NULL &&
               cJSON_AddNullToObject(obj, "learn_threshold") != NULL;
    }
    return cJSON_AddStringToObject(obj, "learn", learning ? "learning" : "ready") != NULL &&
           cJSON_AddNumberToObject(obj, "learn_progress", n->learn_progress) != NULL &&
           (ready ? cJSON_AddNumberToObject(obj, "learn_threshold", n->learn_threshold) != NULL
                  : cJSON_AddNullToObject(obj, "learn_threshold") != NULL);
}

static cJSON *node_json(const struct store_node *n, bool keys, const struct node_rx *last)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    cJSON *obj = cJSON_CreateObject();
    bool ok;

    if (obj == NULL) {
        return NULL;
    }
    hex_format_devaddr(n->devaddr, devaddr);
    ok = cJSON_AddStringToObject(obj, "devaddr", devaddr) != NULL &&
         cJSON_AddStringToObject(obj, "name", n->name) != NULL &&
         cJSON_AddStringToObject(obj, "profile", n->profile) != NULL &&
         cJSON_AddStringToObject(obj, "zone", n->zone) != NULL &&
         (n->has_position ? cJSON_AddNumberToObject(obj, "lat", n->lat) != NULL &&
                                cJSON_AddNumberToObject(obj, "lon", n->lon) != NULL
                          : cJSON_AddNullToObject(obj, "lat") != NULL &&
                                cJSON_AddNullToObject(obj, "lon") != NULL) &&
         (n->has_fcnt ? cJSON_AddNumberToObject(obj, "last_fcnt", n->last_fcnt) != NULL
                      : cJSON_AddNullToObject(obj, "last_fcnt") != NULL) &&
         (n->last_seen_ms != 0 ? add_time(obj, "last_seen", n->last_seen_ms)
                               : cJSON_AddNullToObject(obj, "last_seen") != NULL) &&
         (n->battery_mv >= 0 ? cJSON_AddNumberToObject(obj, "battery_mv", n->battery_mv) != NULL
                             : cJSON_AddNullToObject(obj, "battery_mv") != NULL) &&
         add_learn(obj, n) && add_time(obj, "created", n->created_ms) &&
         (last == NULL || add_last_rx(obj, last));
    if (ok && keys) {
        ok = cli_json_add_key(obj, "nwkskey", n->nwkskey) &&
             cli_json_add_key(obj, "appskey", n->appskey);
    }
    if (!ok) {
        cJSON_Delete(obj);
        return NULL;
    }
    return obj;
}

/* Wipes the key strings cJSON holds before it frees them. */
static void wipe_keys(cJSON *obj)
{
    static const char *const names[] = {"nwkskey", "appskey"};
    size_t i;

    for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, names[i]);

        if (cJSON_IsString(item) && item->valuestring != NULL) {
            explicit_bzero(item->valuestring, strlen(item->valuestring));
        }
    }
}

/* Prints @n as one JSON line. */
static int print_json(const char *verb, const struct store_node *n, bool keys,
                      const struct node_rx *last)
{
    cJSON *obj = node_json(n, keys, last);
    char *text = obj != NULL ? cJSON_PrintUnformatted(obj) : NULL;
    int ret = CLI_EXIT_FAIL;

    if (text == NULL) {
        cli_errf(verb, "out of memory");
        goto out;
    }
    (void)printf("%s\n", text);
    ret = CLI_EXIT_OK;
out:
    if (text != NULL) {
        explicit_bzero(text, strlen(text));
    }
    cJSON_free(text);
    if (obj != NULL) {
        wipe_keys(obj);
    }
    cJSON_Delete(obj);
    return ret;
}

static void print_keys(const struct store_node *n)
{
    char text[2 * PROTO_AES_KEY + 1];

    if (hex_encode(n->nwkskey, PROTO_AES_KEY, text, sizeof(text)) >= 0) {
        (void)printf("nwkskey    %s\n", text);
    }
    if (hex_encode(n->appskey, PROTO_AES_KEY, text, sizeof(text)) >= 0) {
        (void)printf("appskey    %s\n", text);
    }
    explicit_bzero(text, sizeof(text));
}

static const char add_verb[] = "node add";

/* The options of `node add` and `node edit` that are checked after the loop (NULL: not
 * given). */
struct add_args {
    const char *nwkskey;
    const char *appskey;
    const char *lat;
    const char *lon;
    bool show_keys;
    bool json;
    bool has_name; /* --name, --profile, --zone were given (edit changes only those) */
    bool has_profile;
    bool has_zone;
};

/* The options of @verb (add or edit, whose table @options has a subset of add's). */
static int parse_add_options(const char *verb, const struct option *options, int argc, char **argv,
                             struct add_args *a, struct store_node *n)
{
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_NWKSKEY:
            a->nwkskey = optarg;
            break;
        case OPT_APPSKEY:
            a->appskey = optarg;
            break;
        case OPT_NAME:
            if (cli_option_text(verb, "name", optarg, n->name, sizeof(n->name)) != 0) {
                return CLI_EXIT_USAGE;
            }
            a->has_name = true;
            break;
        case OPT_PROFILE:
            if (cli_option_text(verb, "profile", optarg, n->profile, sizeof(n->profile)) != 0) {
                return CLI_EXIT_USAGE;
            }
            a->has_profile = true;
            break;
        case OPT_LAT:
            a->lat = optarg;
            break;
        case OPT_LON:
            a->lon = optarg;
            break;
        case OPT_ZONE:
            if (cli_option_text(verb, "zone", optarg, n->zone, sizeof(n->zone)) != 0) {
                return CLI_EXIT_USAGE;
            }
            a->has_zone = true;
            break;
        case OPT_SHOW_KEYS:
            a->show_keys = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        default:
            return cli_help_or_bad_option(verb, c, argv, usage);
        }
    }
    return CLI_GO;
}

/* The options and the DevAddr operand of add or edit into @a and @n; the keys are left to
 * add_keys(). */
static int parse_add(const char *verb, const struct option *options, int argc, char **argv,
                     struct add_args *a, struct store_node *n)
{
    int ret = parse_add_options(verb, options, argc, argv, a, n);

    if (ret != CLI_GO) {
        return ret;
    }
    if (cli_one_operand(verb, argc, argv, devaddr_operand) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (parse_devaddr(verb, argv[optind], &n->devaddr) != 0) {
        return cli_usage_error(verb);
    }
    if ((a->nwkskey == NULL) != (a->appskey == NULL)) {
        cli_errf(verb, "give both --nwkskey and --appskey, or neither (both are generated)");
        return cli_usage_error(verb);
    }
    if ((a->lat == NULL) != (a->lon == NULL)) {
        cli_errf(verb, "give both --lat and --lon, or neither");
        return cli_usage_error(verb);
    }
    if (a->lat != NULL) {
        if (cli_option_degrees(verb, "lat", a->lat, 90.0, &n->lat) != 0 ||
            cli_option_degrees(verb, "lon", a->lon, 180.0, &n->lon) != 0) {
            return cli_usage_error(verb);
        }
        n->has_position = true;
    }
    return CLI_GO;
}

/* The keys as given, or fresh ones (@generated set). */
static int add_keys(const struct add_args *a, struct store_node *n, bool *generated)
{
    int ret;

    if (a->nwkskey != NULL) {
        if (cli_option_key(add_verb, "nwkskey", a->nwkskey, n->nwkskey) != 0 ||
            cli_option_key(add_verb, "appskey", a->appskey, n->appskey) != 0) {
            return cli_usage_error(add_verb);
        }
        return 0;
    }
    ret = cli_generate_keys(add_verb, n);
    *generated = ret == 0;
    return ret;
}

/* Registers @n; says why not. */
static int add_to_store(struct cli_db *db, const struct store_node *n, const char *devaddr)
{
    int rc = store_node_add(db->store, n);

    if (rc == -EEXIST) {
        cli_errf(add_verb,
                 "node %s is already registered (`tinyfleet node remove %s` first to "
                 "replace it)",
                 devaddr, devaddr);
        return CLI_EXIT_FAIL;
    }
    if (rc < 0) {
        cli_errf(add_verb, "cannot add node %s: %s", devaddr, store_errmsg(db->store));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

static int print_added(const struct add_args *a, const struct store_node *n, const char *devaddr,
                       bool generated)
{
    if (a->json) {
        int ret = print_json(add_verb, n, a->show_keys, NULL);

        if (ret != CLI_EXIT_OK) {
            return ret;
        }
    } else {
        (void)printf("node %s added%s\n", devaddr,
                     generated ? ", session keys generated" : ", session keys as given");
        if (a->show_keys) {
            print_keys(n);
        } else if (generated) {
            (void)printf("the keys are not shown: `tinyfleet node show %s --show-keys` prints "
                         "them for provisioning\n",
                         devaddr);
        }
    }
    return cli_flush_stdout(add_verb);
}

static int node_add(const struct global_opts *g, int argc, char **argv)
{
    struct add_args a;
    struct store_node n;
    struct cli_db db = {NULL, NULL};
    char devaddr[HEX_DEVADDR_STR_LEN];
    bool generated = false;
    int ret;

    memset(&a, 0, sizeof(a));
    memset(&n, 0, sizeof(n));
    n.battery_mv = -1;
    ret = parse_add(add_verb, add_options, argc, argv, &a, &n);
    if (ret != CLI_GO) {
        return ret;
    }
    ret = add_keys(&a, &n, &generated);
    if (ret != 0) {
        goto out;
    }
    n.created_ms = rfc3339_now_ms();
    ret = cli_open_zone(g, add_verb, CLI_OPEN_CREATE, n.zone, &db);
    if (ret != CLI_EXIT_OK) {
        goto out;
    }
    hex_format_devaddr(n.devaddr, devaddr);
    ret = add_to_store(&db, &n, devaddr);
    if (ret == CLI_EXIT_OK) {
        ret = print_added(&a, &n, devaddr, generated);
    }
out:
    cli_close(&db);
    explicit_bzero(&n, sizeof(n));
    return ret;
}

/* ---- list ---- */

struct widths {
    int name;
    int profile;
    int zone;
};

static int max_int(int a, size_t b)
{
    return (size_t)a > b ? a : (int)b;
}

static int measure(const struct store_node *n, void *arg)
{
    struct widths *w = arg;

    w->name = max_int(w->name, strlen(n->name));
    w->profile = max_int(w->profile, strlen(n->profile));
    w->zone = max_int(w->zone, strlen(n->zone));
    return 0;
}

struct list_ctx {
    const char *verb;
    const struct widths *w; /* NULL for JSON */
    int count;
};

static int print_row(const struct store_node *n, void *arg)
{
    struct list_ctx *ctx = arg;
    const struct widths *w = ctx->w;
    char devaddr[HEX_DEVADDR_STR_LEN];
    char seen[RFC3339_LEN] = "never";
    char fcnt[16] = "-";
    char battery[16] = "-";
    char learn[40];

    ctx->count++;
    if (w == NULL) {
        return print_json(ctx->verb, n, false, NULL) == CLI_EXIT_OK ? 0 : -ENOMEM;
    }
    hex_format_devaddr(n->devaddr, devaddr);
    if (n->has_fcnt) {
        (void)snprintf(fcnt, sizeof(fcnt), "%u", (unsigned)n->last_fcnt);
    }
    if (n->last_seen_ms != 0) {
        rfc3339_format(n->last_seen_ms, seen);
        /* Seconds are enough in a table; --json has the milliseconds. */
        (void)snprintf(seen + 19, sizeof(seen) - 19, "Z");
    }
    if (n->battery_mv >= 0) {
        (void)snprintf(battery, sizeof(battery), "%d mV", (int)n->battery_mv);
    }
    learn_text(n, learn, sizeof(learn));
    (void)printf("%-8s  %-*s  %-*s  %-*s  %10s  %-20s  %-8s  %s\n", devaddr, w->name,
                 n->name[0] != '\0' ? n->name : "-", w->profile,
                 n->profile[0] != '\0' ? n->profile : "-", w->zone,
                 n->zone[0] != '\0' ? n->zone : "-", fcnt, seen, battery, learn);
    return 0;
}

static int node_list(struct store *s, bool json)
{
    static const char verb[] = "node list";
    struct widths w = {4, 7, 4}; /* the headings */
    struct list_ctx ctx = {verb, NULL, 0};
    int rc;

    if (!json) {
        /* Two passes (widths, then rows) rather than copies of every node's keys. */
        rc = store_node_foreach(s, measure, &w);
        if (rc < 0) {
            cli_errf(verb, "%s", store_errmsg(s));
            return CLI_EXIT_FAIL;
        }
        ctx.w = &w;
        (void)printf("%-8s  %-*s  %-*s  %-*s  %10s  %-20s  %-8s  %s\n", "DEVADDR", w.name, "NAME",
                     w.profile, "PROFILE", w.zone, "ZONE", "LAST_FCNT", "LAST_SEEN (UTC)",
                     "BATTERY", "LEARNING");
    }
    rc = store_node_foreach(s, print_row, &ctx);
    if (rc < 0) {
        cli_errf(verb, "%s", rc == -ENOMEM ? "out of memory" : store_errmsg(s));
        return CLI_EXIT_FAIL;
    }
    return cli_flush_stdout(verb);
}

/* ---- show ---- */

static void print_last_rx(const struct node_rx *last)
{
    const struct store_rx *rx = &last->rx;
    char t[RFC3339_LEN];

    if (!last->has) {
        (void)printf("last rx    - (none stored)\n");
        return;
    }
    rfc3339_format(rx->time_ms, t);
    if (rx->has_radio) {
        (void)printf("last rx    %s lora gateway %s rssi %d dBm snr %.1f dB %.3f MHz %s\n", t,
                     rx->gateway, (int)rx->rssi_dbm, rx->snr_db, (double)rx->freq_hz / 1e6,
                     rx->datr);
    } else {
        (void)printf("last rx    %s %s from %s\n", t, store_bearer_name(rx->bearer), rx->gateway);
    }
}

static void print_node(const struct store_node *n, bool keys, const struct node_rx *last)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    char t[RFC3339_LEN];

    hex_format_devaddr(n->devaddr, devaddr);
    (void)printf("devaddr    %s\n", devaddr);
    (void)printf("name       %s\n", n->name[0] != '\0' ? n->name : "-");
    (void)printf("profile    %s\n", n->profile[0] != '\0' ? n->profile : "-");
    (void)printf("zone       %s\n", n->zone[0] != '\0' ? n->zone : "-");
    if (n->has_position) {
        (void)printf("position   %.6f, %.6f\n", n->lat, n->lon);
    } else {
        (void)printf("position   -\n");
    }
    if (n->has_fcnt) {
        (void)printf("last fcnt  %u\n", (unsigned)n->last_fcnt);
    } else {
        (void)printf("last fcnt  - (no frame yet)\n");
    }
    if (n->last_seen_ms != 0) {
        rfc3339_format(n->last_seen_ms, t);
        (void)printf("last seen  %s\n", t);
    } else {
        (void)printf("last seen  never\n");
    }
    if (n->battery_mv >= 0) {
        (void)printf("battery    %d mV\n", (int)n->battery_mv);
    } else {
        (void)printf("battery    -\n");
    }
    char learn[40];
    learn_text(n, learn, sizeof(learn));
    (void)printf("learning   %s\n", learn);
    if (last != NULL) {
        print_last_rx(last);
    }
    rfc3339_format(n->created_ms, t);
    (void)printf("created    %s\n", t);
    if (keys) {
        print_keys(n);
    } else {
        (void)printf("keys       hidden (--show-keys prints them)\n");
    }
}

static int node_show(struct store *s, uint32_t devaddr, bool json, bool keys)
{
    static const char verb[] = "node show";
    struct node_rx last;
    struct store_node n;
    int ret = CLI_EXIT_FAIL;
    int rc;

    memset(&last, 0, sizeof(last));
    rc = store_node_get(s, devaddr, &n);
    if (rc == -ENOENT) {
        cli_errf(verb, "no node %08X", (unsigned)devaddr);
        return CLI_EXIT_FAIL;
    }
    if (rc == 0) {
        rc = store_node_last_rx(s, devaddr, &last.rx);
        last.has = rc == 0;
        rc = rc == -ENOENT ? 0 : rc;
    }
    if (rc < 0) {
        cli_errf(verb, "%s", store_errmsg(s));
        explicit_bzero(&n, sizeof(n));
        return CLI_EXIT_FAIL;
    }
    if (json) {
        ret = print_json(verb, &n, keys, &last);
    } else {
        print_node(&n, keys, &last);
        ret = CLI_EXIT_OK;
    }
    explicit_bzero(&n, sizeof(n));
    return ret == CLI_EXIT_OK ? cli_flush_stdout(verb) : ret;
}

/* ---- edit ---- */

static const char edit_verb[] = "node edit";

static const struct option edit_options[] = {
    {"name", required_argument, NULL, OPT_NAME},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"lat", required_argument, NULL, OPT_LAT},
    {"lon", required_argument, NULL, OPT_LON},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

/* The given fields of @ch into @n. */
static void apply_edit(const struct add_args *a, const struct store_node *ch, struct store_node *n)
{
    if (a->has_name) {
        (void)snprintf(n->name, sizeof(n->name), "%s", ch->name);
    }
    if (a->has_profile) {
        (void)snprintf(n->profile, sizeof(n->profile), "%s", ch->profile);
    }
    if (a->has_zone) {
        (void)snprintf(n->zone, sizeof(n->zone), "%s", ch->zone);
    }
    if (ch->has_position) {
        n->has_position = true;
        n->lat = ch->lat;
        n->lon = ch->lon;
    }
}

/* The registered node with the changes of @ch, written back. */
static int edit_in_store(struct cli_db *db, const struct add_args *a, const struct store_node *ch)
{
    struct store_node n;
    int ret = CLI_EXIT_FAIL;
    int rc;

    rc = store_node_get(db->store, ch->devaddr, &n);
    if (rc == 0) {
        apply_edit(a, ch, &n);
        rc = store_node_update(db->store, &n);
    }
    if (rc == -ENOENT) {
        cli_errf(edit_verb, "no node %08X (`tinyfleet node add` registers one)",
                 (unsigned)ch->devaddr);
    } else if (rc < 0) {
        cli_errf(edit_verb, "cannot change node %08X: %s", (unsigned)ch->devaddr,
                 store_errmsg(db->store));
    } else if (a->json) {
        ret = print_json(edit_verb, &n, false, NULL);
    } else {
        (void)printf("node %08X changed\n", (unsigned)n.devaddr);
        print_node(&n, false, NULL);
        ret = CLI_EXIT_OK;
    }
    explicit_bzero(&n, sizeof(n));
    return ret == CLI_EXIT_OK ? cli_flush_stdout(edit_verb) : ret;
}

static int node_edit(const struct global_opts *g, int argc, char **argv)
{
    struct add_args a;
    struct store_node ch;
    struct cli_db db = {NULL, NULL};
    int ret;

    memset(&a, 0, sizeof(a));
    memset(&ch, 0, sizeof(ch));
    ret = parse_add(edit_verb, edit_options, argc, argv, &a, &ch);
    if (ret != CLI_GO) {
        return ret;
    }
    if (!a.has_name && !a.has_profile && !a.has_zone && !ch.has_position) {
        cli_errf(edit_verb, "nothing to change: give --name, --profile, --lat and --lon, or "
                            "--zone");
        return cli_usage_error(edit_verb);
    }
    ret = cli_open_zone(g, edit_verb, CLI_OPEN_EXISTING, a.has_zone ? ch.zone : NULL, &db);
    if (ret == CLI_EXIT_OK) {
        ret = edit_in_store(&db, &a, &ch);
    }
    cli_close(&db);
    return ret;
}

static int node_remove(struct store *s, uint32_t devaddr)
{
    static const char verb[] = "node remove";
    int rc = store_node_remove(s, devaddr);

    if (rc == -ENOENT) {
        cli_errf(verb, "no node %08X", (unsigned)devaddr);
        return CLI_EXIT_FAIL;
    }
    if (rc < 0) {
        cli_errf(verb, "%s", store_errmsg(s));
        return CLI_EXIT_FAIL;
    }
    (void)printf("node %08X removed, with its stored frames and events\n", (unsigned)devaddr);
    return cli_flush_stdout(verb);
}

/* list, show and remove: options, then the database. */
static int node_read(const struct global_opts *g, const char *sub, int argc, char **argv)
{
    char verb[32];
    struct cli_db db = {NULL, NULL};
    bool is_list = strcmp(sub, "list") == 0;
    bool is_show = strcmp(sub, "show") == 0;
    bool show_keys = false;
    bool json = false;
    uint32_t devaddr = 0;
    int ret;
    int c;

    (void)snprintf(verb, sizeof(verb), "node %s", sub);
    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, read_options)) != -1) {
        switch (c) {
        case OPT_SHOW_KEYS:
            if (!is_show) {
                cli_errf(verb, "--show-keys is for `node show` and `node add`");
                return cli_usage_error(verb);
            }
            show_keys = true;
            break;
        case OPT_JSON:
            if (!is_list && !is_show) {
                cli_errf(verb, "--json is for list and show");
                return cli_usage_error(verb);
            }
            json = true;
            break;
        default:
            return cli_help_or_bad_option(verb, c, argv, usage);
        }
    }
    if (is_list) {
        if (cli_no_operands(verb, argc, argv) != 0) {
            return CLI_EXIT_USAGE;
        }
    } else {
        if (cli_one_operand(verb, argc, argv, devaddr_operand) != 0) {
            return CLI_EXIT_USAGE;
        }
        if (parse_devaddr(verb, argv[optind], &devaddr) != 0) {
            return cli_usage_error(verb);
        }
    }

    ret = cli_open(g, verb, CLI_OPEN_EXISTING, &db);
    if (ret != CLI_EXIT_OK) {
        return ret;
    }
    if (is_list) {
        ret = node_list(db.store, json);
    } else if (is_show) {
        ret = node_show(db.store, devaddr, json, show_keys);
    } else {
        ret = node_remove(db.store, devaddr);
    }
    cli_close(&db);
    return ret;
}

int cli_node_main(const struct global_opts *g, int argc, char **argv)
{
    const char *sub = argc > 1 ? argv[1] : NULL;

    if (sub == NULL) {
        cli_errf("node", "missing subverb: add, edit, list, show, remove or command");
        usage(stderr);
        return CLI_EXIT_USAGE;
    }
    if (strcmp(sub, "add") == 0) {
        for (int i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
            if (strcmp(argv[i], "--otaa") == 0) {
                return cli_node_add_otaa(g, argc - 1, argv + 1);
            }
        }
        return node_add(g, argc - 1, argv + 1);
    }
    if (strcmp(sub, "edit") == 0) {
        return node_edit(g, argc - 1, argv + 1);
    }
    if (strcmp(sub, "list") == 0 || strcmp(sub, "show") == 0 || strcmp(sub, "remove") == 0) {
        return node_read(g, sub, argc - 1, argv + 1);
    }
    if (strcmp(sub, "command") == 0) {
        return cli_node_command(g, argc - 1, argv + 1);
    }
    if (cli_is_help(sub)) {
        usage(stdout);
        return cli_flush_stdout("node");
    }
    cli_errf("node", "unknown subverb '%s' (add, edit, list, show, remove or command)", sub);
    return cli_usage_error("node");
}
