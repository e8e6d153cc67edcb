/* SPDX-License-Identifier: MIT
 * `tinyfleet node command DEVADDR NAME [KEY=VALUE...]` queues a command for a node (proto/SPEC.md
 * section 9) and prints its id; `tinyfleet commands [--node DEVADDR] [--json]` shows the queue.
 * tinyfleetd sends the oldest waiting command of a node in its next receive window and marks it
 * acknowledged when the node confirms it.
 */
#include "cli.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "proto/command.h"
#include "store/store.h"
#include "util/hex.h"
#include "util/rfc3339.h"

#define DEFAULT_TTL_S 86400L
#define MAX_TTL_S     (30L * 86400L)

static const char cmd_verb[] = "node command";
static const char list_verb[] = "commands";

enum opt_id {
    OPT_TTL = 256,
    OPT_NODE,
    OPT_JSON,
};

static const struct option cmd_options[] = {
    {"ttl", required_argument, NULL, OPT_TTL},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static const struct option list_options[] = {
    {"node", required_argument, NULL, OPT_NODE},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void cmd_usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] node command [--ttl SECONDS] DEVADDR NAME\n"
        "                 [KEY=VALUE...]\n"
        "\n"
        "Queue a command for node DEVADDR and print its id. tinyfleetd sends it in the node's\n"
        "next receive window (after an uplink) and marks it acknowledged when the node confirms\n"
        "it; `tinyfleet commands` shows where it is. Commands and their keys:\n"
        "  interval seconds=60..86400           period of the periodic report\n"
        "  health-interval seconds=0|60..604800 period of the health message (0: never)\n"
        "  threshold class=NAME conf=0..1       a detection of that class counts from conf\n"
        "  duty permille=1..1000 dr=0..5        share of the legal duty cycle, data rate\n"
        "  learn-restart                        forget the learnt baseline, learn again\n"
        "  health-now                           send a health message now\n"
        "  reboot                               restart after confirming\n"
        "  sensing mode=continuous              listen all the time\n"
        "  sensing listen_s=S every_s=P         listen S seconds of every P (0.001..86400)\n"
        "  sensing listen_s=S wake_level=0..1 [margin_db=0..60]\n"
        "                                       off until the wake-on-sound line fires at\n"
        "                                       that share of full scale (0: the board's\n"
        "                                       own), margin_db over the background; then\n"
        "                                       listen S seconds\n"
        "  --ttl SECONDS  expire the command if not confirmed within this time (default 86400)\n"
        "\n"
        "Exit status: 0 queued; 1 failure (no such node, no database); 2 usage error.\n",
        out);
}

static void list_usage(FILE *out)
{
    (void)fputs("usage: tinyfleet [-c FILE | --db PATH] commands [--node DEVADDR] [--json]\n"
                "\n"
                "The node command queue, oldest first: id, node, command, state (queued, sent,\n"
                "acknowledged, failed, expired), the node's answer (applied, refused-unknown,\n"
                "refused-bad-value, refused-bad-length), downlinks tried, last change.\n"
                "  --node DEVADDR  only this node's commands\n"
                "  --json          one JSON object per line: id, devaddr, command, seq, state,\n"
                "                  status, tries, created, changed, expires (RFC 3339 UTC)\n"
                "\n"
                "Exit status: 0 success (also when there are none); 1 failure; 2 usage error.\n",
                out);
}

/* A whole decimal number in [lo, hi]. */
static int parse_u32(const char *s, unsigned long lo, unsigned long hi, uint32_t *out)
{
    char *end = NULL;
    unsigned long v;

    if (s[0] < '0' || s[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi) {
        return -EINVAL;
    }
    *out = (uint32_t)v;
    return 0;
}

/* conf=0..1 as a confidence byte (p * 255, rounded). */
static int parse_conf(const char *s, uint8_t *out)
{
    char *end = NULL;
    double p;

    errno = 0;
    p = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(p >= 0.0 && p <= 1.0)) {
        return -EINVAL;
    }
    *out = (uint8_t)(p * 255.0 + 0.5);
    return 0;
}

/* A number of seconds (decimals allowed) as whole milliseconds, 1 ms .. a day. */
static int parse_ms(const char *s, uint32_t *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != '\0' || !(v >= 0.001 && v <= 86400.0)) {
        return -EINVAL;
    }
    *out = (uint32_t)(v * 1000.0 + 0.5);
    return 0;
}

/* The sensing command's keys; bits of @seen: 1 mode, 2 listen_s, 4 every_s, 8 wake_level,
 * 16 margin_db. Return: 0, -EINVAL, -ENOENT (no such key). */
static int sensing_kv(struct proto_cmd *c, const char *key, size_t klen, const char *v,
                      unsigned *seen)
{
    uint32_t n = 0;
    int rc = -ENOENT;

#define KEY_IS(k) (klen == strlen(k) && strncmp(key, k, klen) == 0)
    if (KEY_IS("mode")) {
        static const char *const modes[] = {"continuous", "duty", "wake"};

        rc = -EINVAL;
        for (uint8_t m = 0; m < 3u; m++) {
            if (strcmp(v, modes[m]) == 0) {
                c->u.sensing.mode = m;
                rc = 0;
            }
        }
        *seen |= 1u;
    } else if (KEY_IS("listen_s")) {
        rc = parse_ms(v, &c->u.sensing.listen_ms);
        *seen |= 2u;
    } else if (KEY_IS("every_s")) {
        rc = parse_ms(v, &c->u.sensing.every_ms);
        *seen |= 4u;
    } else if (KEY_IS("wake_level")) {
        uint8_t unused;

        rc = parse_conf(v, &unused); /* the same 0..1 check */
        c->u.sensing.wake_level_q15 = rc == 0 ? (uint16_t)(strtod(v, NULL) * 32767.0) : 0;
        *seen |= 8u;
    } else if (KEY_IS("margin_db")) {
        rc = parse_u32(v, 0, PROTO_CMD_WAKE_MARGIN_MAX_DB, &n);
        c->u.sensing.margin_db = (uint8_t)n;
        *seen |= 16u;
    }
#undef KEY_IS
    return rc;
}

/* The mode the sensing keys given (@seen) mean; PROTO_ERANGE when they fit none. */
static int sensing_mode(struct proto_cmd *c, unsigned seen)
{
    unsigned keys = seen & ~1u;

    if ((seen & 1u) == 0u) {
        c->u.sensing.mode = (seen & 4u) != 0u    ? PROTO_CMD_SENSE_DUTY
                            : (seen & 24u) != 0u ? PROTO_CMD_SENSE_WAKE
                                                 : 0xFFu; /* nothing said */
    }
    switch (c->u.sensing.mode) {
    case PROTO_CMD_SENSE_CONTINUOUS:
        return keys == 0u ? 0 : PROTO_ERANGE;
    case PROTO_CMD_SENSE_DUTY:
        return keys == 6u ? 0 : PROTO_ERANGE;
    case PROTO_CMD_SENSE_WAKE:
        return (keys & 2u) != 0u && (keys & 4u) == 0u ? 0 : PROTO_ERANGE;
    default:
        return PROTO_ERANGE;
    }
}

/* One KEY=VALUE of command @c; @db for class names. Return: 0 or CLI_EXIT_USAGE (said why). */
static int apply_kv(const struct cli_db *db, struct proto_cmd *c, const char *kv, unsigned *seen)
{
    const char *eq = strchr(kv, '=');
    size_t klen = eq != NULL ? (size_t)(eq - kv) : 0;
    const char *v = eq != NULL ? eq + 1 : "";
    uint32_t n = 0;
    int rc = -ENOENT;

#define KEY_IS(k) (klen == strlen(k) && strncmp(kv, k, klen) == 0)
    if ((c->op == PROTO_CMD_INTERVAL || c->op == PROTO_CMD_HEALTH_INTERVAL) && KEY_IS("seconds")) {
        rc = c->op == PROTO_CMD_INTERVAL
                 ? parse_u32(v, PROTO_CMD_INTERVAL_MIN_S, PROTO_CMD_INTERVAL_MAX_S, &n)
                 : parse_u32(v, 0, PROTO_CMD_HEALTH_INTERVAL_MAX_S, &n);
        if (rc == 0 && c->op == PROTO_CMD_HEALTH_INTERVAL && n != 0 &&
            n < PROTO_CMD_INTERVAL_MIN_S) {
            rc = -EINVAL;
        }
        c->u.seconds = n;
        *seen |= 1u;
    } else if (c->op == PROTO_CMD_THRESHOLD && KEY_IS("class")) {
        int id = cli_class_id(db, v);

        rc = id >= 0 && id <= (int)PROTO_CMD_MAX_CLASS ? 0 : -EINVAL;
        c->u.threshold.class_id = (uint8_t)(id < 0 ? 0 : id);
        *seen |= 1u;
    } else if (c->op == PROTO_CMD_THRESHOLD && KEY_IS("conf")) {
        rc = parse_conf(v, &c->u.threshold.min_conf);
        *seen |= 2u;
    } else if (c->op == PROTO_CMD_DUTY && KEY_IS("permille")) {
        rc = parse_u32(v, 1, PROTO_CMD_DUTY_MAX_PERMILLE, &n);
        c->u.duty.permille = (uint16_t)n;
        *seen |= 1u;
    } else if (c->op == PROTO_CMD_DUTY && KEY_IS("dr")) {
        rc = parse_u32(v, 0, PROTO_CMD_MAX_DR, &n);
        c->u.duty.dr = (uint8_t)n;
        *seen |= 2u;
    } else if (c->op == PROTO_CMD_SENSING) {
        rc = sensing_kv(c, kv, klen, v, seen);
    }
#undef KEY_IS
    if (rc == -ENOENT) {
        cli_errf(cmd_verb, "'%s': %s takes no such key (see --help)", kv, proto_cmd_name(c->op));
        return CLI_EXIT_USAGE;
    }
    if (rc < 0) {
        cli_errf(cmd_verb, "'%s': value out of range (see --help)", kv);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

/* The keys each command needs, as bits of apply_kv()'s @seen. */
static unsigned keys_needed(uint8_t op)
{
    switch (op) {
    case PROTO_CMD_INTERVAL:
    case PROTO_CMD_HEALTH_INTERVAL:
        return 1u;
    case PROTO_CMD_THRESHOLD:
    case PROTO_CMD_DUTY:
        return 3u;
    default:
        return 0u;
    }
}

static int parse_command(const struct cli_db *db, int argc, char **argv, struct proto_cmd *c)
{
    unsigned seen = 0;

    memset(c, 0, sizeof(*c));
    c->op = proto_cmd_op_of(argv[0]);
    if (c->op == 0) {
        cli_errf(cmd_verb,
                 "unknown command '%s' (interval, health-interval, threshold, duty, "
                 "learn-restart, health-now, reboot, sensing)",
                 argv[0]);
        return cli_usage_error(cmd_verb);
    }
    for (int i = 1; i < argc; i++) {
        if (apply_kv(db, c, argv[i], &seen) != 0) {
            return cli_usage_error(cmd_verb);
        }
    }
    if (c->op == PROTO_CMD_SENSING) {
        if (sensing_mode(c, seen) != 0) {
            cli_errf(cmd_verb, "sensing: want mode=continuous, listen_s=S every_s=P, or "
                               "listen_s=S wake_level=X [margin_db=D] (see --help)");
            return cli_usage_error(cmd_verb);
        }
        if (proto_cmd_encode(c, (uint8_t[PROTO_CMD_MAX_LEN]){0}, PROTO_CMD_MAX_LEN) < 0) {
            cli_errf(cmd_verb, "sensing: listen_s is longer than every_s");
            return cli_usage_error(cmd_verb);
        }
        return 0;
    }
    if (seen != keys_needed(c->op)) {
        cli_errf(cmd_verb, "%s: missing a key (see --help)", argv[0]);
        return cli_usage_error(cmd_verb);
    }
    return 0;
}

static int64_t now_ms(void)
{
    struct timespec ts;

    (void)clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int cli_node_command(const struct global_opts *g, int argc, char **argv)
{
    struct cli_db db = {NULL, NULL};
    struct store_command out;
    struct proto_cmd c;
    uint32_t devaddr = 0;
    uint32_t ttl_s = DEFAULT_TTL_S;
    char why[HEX_ERR_LEN];
    int ret;
    int rc;
    int o;

    cli_getopt_begin();
    /* '+': stop at the first operand, so the command's KEY=VALUE words are not options. */
    while ((o = getopt_long(argc, argv, "+:h", cmd_options, NULL)) != -1) {
        if (o == OPT_TTL) {
            if (parse_u32(optarg, 1, MAX_TTL_S, &ttl_s) != 0) {
                cli_errf(cmd_verb, "--ttl: '%s' is not a number of seconds 1..%ld", optarg,
                         MAX_TTL_S);
                return cli_usage_error(cmd_verb);
            }
            continue;
        }
        return cli_help_or_bad_option(cmd_verb, o, argv, cmd_usage);
    }
    if (argc - optind < 2) {
        cli_errf(cmd_verb, "want DEVADDR and a command NAME");
        return cli_usage_error(cmd_verb);
    }
    if (hex_decode_devaddr(argv[optind], &devaddr, why, sizeof(why)) < 0) {
        cli_errf(cmd_verb, "DEVADDR '%s': %s", argv[optind], why);
        return cli_usage_error(cmd_verb);
    }
    ret = cli_open(g, cmd_verb, CLI_OPEN_EXISTING, &db);
    if (ret != CLI_EXIT_OK) {
        return ret;
    }
    ret = parse_command(&db, argc - optind - 1, argv + optind + 1, &c);
    if (ret != 0) {
        goto out;
    }
    /* With the daemon's config and a broker in it, "queued" is published like the later
     * states (the daemon sends it with its next messages). */
    rc = store_command_add_published(
        db.store, devaddr, &c, now_ms(), (int64_t)ttl_s * 1000,
        db.config != NULL && db.config->mqtt.host[0] != '\0' ? db.config->mqtt.prefix : NULL, &out);
    if (rc == -ENOENT) {
        cli_errf(cmd_verb, "no node %08X (`tinyfleet node add` registers one)", (unsigned)devaddr);
        ret = CLI_EXIT_FAIL;
    } else if (rc < 0) {
        cli_errf(cmd_verb, "cannot queue the command: %s", store_errmsg(db.store));
        ret = CLI_EXIT_FAIL;
    } else {
        (void)printf("%" PRId64 "\n", out.id);
        ret = cli_flush_stdout(cmd_verb);
    }
out:
    cli_close(&db);
    return ret;
}

struct list_ctx {
    bool json;
    unsigned printed;
};

static cJSON *command_json(const struct store_command *c)
{
    char addr[HEX_DEVADDR_STR_LEN];
    char t[RFC3339_LEN];
    cJSON *o = cJSON_CreateObject();
    bool ok = o != NULL;

    hex_format_devaddr(c->devaddr, addr);
    ok = ok && cJSON_AddNumberToObject(o, "id", (double)c->id) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "devaddr", addr) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "command",
                                       proto_cmd_name(c->op) != NULL ? proto_cmd_name(c->op)
                                                                     : "unknown") != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "seq", (double)(c->id & 0xFFFF)) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "state", store_cmd_state_name(c->state)) != NULL;
    ok = ok && cJSON_AddStringToObject(o, "status", c->status) != NULL;
    ok = ok && cJSON_AddNumberToObject(o, "tries", c->tries) != NULL;
    rfc3339_format(c->created_ms, t);
    ok = ok && cJSON_AddStringToObject(o, "created", t) != NULL;
    rfc3339_format(c->changed_ms, t);
    ok = ok && cJSON_AddStringToObject(o, "changed", t) != NULL;
    rfc3339_format(c->expires_ms, t);
    ok = ok && cJSON_AddStringToObject(o, "expires", t) != NULL;
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static int print_command(const struct store_command *c, void *arg)
{
    struct list_ctx *p = arg;
    char t[RFC3339_LEN];

    p->printed++;
    if (p->json) {
        cJSON *o = command_json(c);
        char *text = o != NULL ? cJSON_PrintUnformatted(o) : NULL;

        cJSON_Delete(o);
        if (text == NULL) {
            return -ENOMEM;
        }
        (void)printf("%s\n", text);
        cJSON_free(text);
        return 0;
    }
    if (p->printed == 1) {
        (void)printf("%-6s %-8s %-16s %-12s %-18s %5s %s\n", "ID", "NODE", "COMMAND", "STATE",
                     "STATUS", "TRIES", "CHANGED");
    }
    rfc3339_format(c->changed_ms, t);
    (void)printf("%-6" PRId64 " %08X %-16s %-12s %-18s %5d %s\n", c->id, (unsigned)c->devaddr,
                 proto_cmd_name(c->op) != NULL ? proto_cmd_name(c->op) : "unknown",
                 store_cmd_state_name(c->state), c->status[0] != '\0' ? c->status : "-", c->tries,
                 t);
    return 0;
}

int cli_commands_main(const struct global_opts *g, int argc, char **argv)
{
    struct list_ctx p = {false, 0};
    struct cli_db db = {NULL, NULL};
    uint32_t devaddr = 0;
    bool has_node = false;
    char why[HEX_ERR_LEN];
    int ret;
    int rc;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, list_options)) != -1) {
        switch (c) {
        case OPT_NODE:
            if (hex_decode_devaddr(optarg, &devaddr, why, sizeof(why)) < 0) {
                cli_errf(list_verb, "--node '%s': %s", optarg, why);
                return cli_usage_error(list_verb);
            }
            has_node = true;
            break;
        case OPT_JSON:
            p.json = true;
            break;
        default:
            return cli_help_or_bad_option(list_verb, c, argv, list_usage);
        }
    }
    if (cli_no_operands(list_verb, argc, argv) != 0) {
        return CLI_EXIT_USAGE;
    }
    ret = cli_open(g, list_verb, CLI_OPEN_EXISTING, &db);
    if (ret != CLI_EXIT_OK) {
        return ret;
    }
    rc = store_commands_foreach(db.store, has_node ? &devaddr : NULL, print_command, &p);
    if (rc < 0) {
        cli_errf(list_verb, "%s", rc == -ENOMEM ? "out of memory" : store_errmsg(db.store));
        ret = CLI_EXIT_FAIL;
    } else {
        if (p.printed == 0 && !p.json) {
            (void)puts("(no commands)");
        }
        ret = cli_flush_stdout(list_verb);
    }
    cli_close(&db);
    return ret;
}
