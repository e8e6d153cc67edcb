/* SPDX-License-Identifier: MIT
 * `tinyfleet alerts ack ID [--by NAME] [--note TEXT]`, `alerts mute [--zone Z] [--class C]
 * --for DURATION [--by NAME] [--note TEXT]`, `alerts mutes [--json]`, `alerts unmute ID`:
 * "seen, we are on it" and "quiet for two hours". An ack is recorded in the database (the
 * daemon puts it in the alert's next transition) with an Alertmanager silence of that alert,
 * which the daemon expires when the alert clears; a mute is a silence of a zone and/or class
 * of this site. Silences live in Alertmanager (amtool shows the same ones): they mute
 * notifications, never the record.
 */
#include "cli.h"

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "util/rfc3339.h"
#include "store/store.h"

/* An ack's silence lasts until the alert clears (the daemon expires it then), at most this
 * long: an alert still active after a week is news again. */
#define ACK_MAX_MS   (7LL * 86400000)
#define DURATION_MAX (366LL * 86400) /* --for, s */
#define ERR_LEN      512u

enum opt_id { OPT_BY = 256, OPT_NOTE, OPT_ZONE, OPT_CLASS, OPT_FOR, OPT_JSON };

static const struct option options[] = {
    {"by", required_argument, NULL, OPT_BY},
    {"note", required_argument, NULL, OPT_NOTE},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"class", required_argument, NULL, OPT_CLASS},
    {"for", required_argument, NULL, OPT_FOR},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

struct args {
    const char *verb; /* "alerts ack", ... */
    char by[64];
    char note[256];
    char zone[CONFIG_NAME_MAX];
    char class_name[CONFIG_NAME_MAX];
    int64_t for_s; /* 0 = not given */
    bool json;
    const char *operand; /* the ID of ack and unmute */
};

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE] alerts ack ID [--by NAME] [--note TEXT]\n"
        "       tinyfleet [-c FILE] alerts mute [--zone Z] [--class C] --for DURATION\n"
        "                                       [--by NAME] [--note TEXT]\n"
        "       tinyfleet [-c FILE] alerts mutes [--json]\n"
        "       tinyfleet [-c FILE] alerts unmute SILENCE-ID\n"
        "\n"
        "ack: record who acknowledged alert ID, when, and a note (shown by `alerts` and in\n"
        "the alert's next MQTT transition as \"ack\"), and silence that alert in\n"
        "Alertmanager until it clears (at most 7 days). Without [alertmanager] url only the\n"
        "record is made.\n"
        "mute: silence this site's alerts of a zone and/or class (all of them without\n"
        "either) for DURATION: 90s, 30m, 2h, 1d, or seconds. Prints the silence's ID.\n"
        "mutes: the silences of this site still active or pending; unmute expires one.\n"
        "Silences mute notifications, never the record (MQTT, the database).\n"
        "  --by NAME    who (default: $SUDO_USER, else $USER)\n"
        "  --note TEXT  why, or what is being done\n"
        "  --json       mutes: Alertmanager's silence objects, one per line\n"
        "\n"
        "Exit status: 0 success; 1 failure (no such alert or silence, Alertmanager\n"
        "unreachable or refusing; nothing is recorded then); 2 usage error.\n",
        out);
}

/* "90s", "30m", "2h", "1d" or plain seconds, 1 s .. 366 days. Return: seconds, or -1. */
static int64_t parse_duration(const char *s)
{
    char *end = NULL;
    long long v;
    int64_t unit = 1;

    if (!isdigit((unsigned char)s[0])) {
        return -1;
    }
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || end == s) {
        return -1;
    }
    if (*end != '\0') {
        if (end[1] != '\0') {
            return -1;
        }
        unit = *end == 's' ? 1 : *end == 'm' ? 60 : *end == 'h' ? 3600 : *end == 'd' ? 86400 : 0;
    }
    if (unit == 0 || v < 1 || v > DURATION_MAX / unit) {
        return -1;
    }
    return (int64_t)v * unit;
}

static int parse_args(struct args *a, int argc, char **argv)
{
    const char *user = getenv("SUDO_USER");
    int c;

    if (user == NULL || user[0] == '\0') {
        user = getenv("USER");
    }
    (void)snprintf(a->by, sizeof(a->by), "%s", user != NULL && user[0] != '\0' ? user : "unknown");
    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        int rc = 0;

        switch (c) {
        case OPT_BY:
            rc = cli_option_text(a->verb, "by", optarg, a->by, sizeof(a->by));
            rc = rc == 0 && a->by[0] == '\0' ? cli_usage_error(a->verb) : rc;
            break;
        case OPT_NOTE:
            rc = cli_option_text(a->verb, "note", optarg, a->note, sizeof(a->note));
            break;
        case OPT_ZONE:
            rc = cli_option_text(a->verb, "zone", optarg, a->zone, sizeof(a->zone));
            break;
        case OPT_CLASS:
            rc = cli_option_text(a->verb, "class", optarg, a->class_name, sizeof(a->class_name));
            break;
        case OPT_FOR:
            a->for_s = parse_duration(optarg);
            if (a->for_s < 0) {
                cli_errf(a->verb, "--for: '%s' is not a duration (90s, 30m, 2h, 1d; up to 366d)",
                         optarg);
                rc = cli_usage_error(a->verb);
            }
            break;
        case OPT_JSON:
            a->json = true;
            break;
        default:
            return cli_help_or_bad_option(a->verb, c, argv, usage);
        }
        if (rc != 0) {
            return rc;
        }
    }
    return CLI_GO;
}

static bool add_matcher(cJSON *list, const char *name, const char *value)
{
    cJSON *m = cJSON_CreateObject();

    if (m == NULL || !cJSON_AddItemToArray(list, m)) {
        cJSON_Delete(m);
        return false;
    }
    return cJSON_AddStringToObject(m, "name", name) != NULL &&
           cJSON_AddStringToObject(m, "value", value) != NULL &&
           cJSON_AddBoolToObject(m, "isRegex", false) != NULL &&
           cJSON_AddBoolToObject(m, "isEqual", true) != NULL;
}

/* POST a silence with @matchers (consumed) from now for @ms; its ID into @id.
 * Return: CLI_EXIT_OK or CLI_EXIT_FAIL (message printed). */
static int create_silence(const struct args *a, const struct config_alertmanager *am,
                          cJSON *matchers, int64_t ms, char *id, size_t cap)
{
    cJSON *o = cJSON_CreateObject();
    cJSON *ans = NULL;
    const cJSON *sid;
    char from[RFC3339_LEN];
    char to[RFC3339_LEN];
    char err[ERR_LEN];
    char *body = NULL;
    char *answer = NULL;
    long status = 0;
    int64_t now = rfc3339_now_ms();

    rfc3339_format(now, from);
    rfc3339_format(now + ms, to);
    if (o != NULL && cJSON_AddItemToObject(o, "matchers", matchers)) {
        matchers = NULL;
        if (cJSON_AddStringToObject(o, "startsAt", from) != NULL &&
            cJSON_AddStringToObject(o, "endsAt", to) != NULL &&
            cJSON_AddStringToObject(o, "createdBy", a->by) != NULL &&
            cJSON_AddStringToObject(o, "comment",
                                    a->note[0] != '\0' ? a->note : "tinyfleet alerts") != NULL) {
            body = cJSON_PrintUnformatted(o);
        }
    }
    cJSON_Delete(matchers);
    cJSON_Delete(o);
    if (body == NULL) {
        cli_errf(a->verb, "out of memory");
        return CLI_EXIT_FAIL;
    }
    status = cli_am_request(am, "POST", "/api/v2/silences", body, &answer, err, sizeof(err));
    cJSON_free(body);
    ans = answer != NULL ? cJSON_Parse(answer) : NULL;
    sid = cJSON_GetObjectItemCaseSensitive(ans, "silenceID");
    if (status == 200 && cJSON_IsString(sid) && strlen(sid->valuestring) < cap) {
        (void)snprintf(id, cap, "%s", sid->valuestring);
    } else if (status == 0) {
        cli_errf(a->verb, "no Alertmanager answered: %s", err);
    } else {
        cli_errf(a->verb, "Alertmanager refused the silence: HTTP %ld: %.200s", status,
                 answer != NULL ? answer : "");
    }
    cJSON_Delete(ans);
    free(answer);
    return id[0] != '\0' ? CLI_EXIT_OK : CLI_EXIT_FAIL;
}

/* The alert @id's latest state, if it exists. */
struct find_ctx {
    int64_t id;
    bool found;
    bool cleared;
    char gateway[64];
};

static int find_alert(const struct store_alert *a, void *arg)
{
    struct find_ctx *f = arg;
    cJSON *o;
    const cJSON *gw;

    if (a->id != f->id) {
        return 0;
    }
    f->found = true;
    f->cleared = strcmp(a->state, "cleared") == 0;
    o = cJSON_Parse(a->json);
    gw = cJSON_GetObjectItemCaseSensitive(o, "gateway");
    (void)snprintf(f->gateway, sizeof(f->gateway), "%s", cJSON_IsString(gw) ? gw->valuestring : "");
    cJSON_Delete(o);
    return 1;
}

static int ack(const struct args *a, struct cli_db *db)
{
    struct find_ctx f = {0, false, false, ""};
    struct store_ack rec;
    cJSON *m;
    char *end = NULL;
    char idtext[24];
    int rc;

    memset(&rec, 0, sizeof(rec));
    f.id = strtoll(a->operand, &end, 10);
    if (end == a->operand || *end != '\0' || f.id < 1) {
        cli_errf(a->verb, "'%s' is not an alert id (see `tinyfleet alerts`)", a->operand);
        return CLI_EXIT_USAGE;
    }
    rc = store_alerts_foreach(db->store, false, 0, find_alert, &f);
    if (rc < 0) {
        cli_errf(a->verb, "%s", store_errmsg(db->store));
        return CLI_EXIT_FAIL;
    }
    if (!f.found || f.cleared) {
        cli_errf(a->verb, "alert %" PRId64 " %s", f.id,
                 f.found ? "is cleared: nothing to acknowledge" : "does not exist");
        return CLI_EXIT_FAIL;
    }
    if (db->config != NULL && db->config->alertmanager.url_count > 0) {
        (void)snprintf(idtext, sizeof(idtext), "%" PRId64, f.id);
        m = cJSON_CreateArray();
        if (m == NULL || !add_matcher(m, "alert_id", idtext) ||
            !add_matcher(m, "gateway", f.gateway) ||
            !add_matcher(m, "site", db->config->gateway.site)) {
            cJSON_Delete(m);
            cli_errf(a->verb, "out of memory");
            return CLI_EXIT_FAIL;
        }
        rc = create_silence(a, &db->config->alertmanager, m, ACK_MAX_MS, rec.silence_id,
                            sizeof(rec.silence_id));
        if (rc != CLI_EXIT_OK) {
            return rc;
        }
    }
    rec.alert_id = f.id;
    rec.time_ms = rfc3339_now_ms();
    (void)snprintf(rec.by, sizeof(rec.by), "%s", a->by);
    (void)snprintf(rec.note, sizeof(rec.note), "%s", a->note);
    rc = store_ack_put(db->store, &rec);
    if (rc < 0) {
        cli_errf(a->verb, "cannot record the acknowledgement: %s",
                 rc == -ENOENT ? "the alert is gone" : store_errmsg(db->store));
        return CLI_EXIT_FAIL;
    }
    (void)printf("alert %" PRId64 " acknowledged by %s%s%s\n", f.id, rec.by,
                 rec.silence_id[0] != '\0' ? "; silence " : " (no [alertmanager] url: no silence)",
                 rec.silence_id);
    return CLI_EXIT_OK;
}

static int mute(const struct args *a, const struct cli_db *db)
{
    char id[64] = "";
    cJSON *m;
    int rc;

    if (a->for_s == 0) {
        cli_errf(a->verb, "--for DURATION is required (90s, 30m, 2h, 1d)");
        return cli_usage_error(a->verb);
    }
    m = cJSON_CreateArray();
    if (m == NULL || !add_matcher(m, "site", db->config->gateway.site) ||
        (a->zone[0] != '\0' && !add_matcher(m, "zone", a->zone)) ||
        (a->class_name[0] != '\0' && !add_matcher(m, "alertname", a->class_name))) {
        cJSON_Delete(m);
        cli_errf(a->verb, "out of memory");
        return CLI_EXIT_FAIL;
    }
    rc = create_silence(a, &db->config->alertmanager, m, a->for_s * 1000, id, sizeof(id));
    if (rc == CLI_EXIT_OK) {
        (void)printf("%s\n", id);
    }
    return rc;
}

/* One silence of `mutes` as a table row: ID, ENDS, BY, MATCHERS, COMMENT. */
static void print_silence(const cJSON *s)
{
    const cJSON *m;
    char matchers[256] = "";
    size_t used = 0;

    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(s, "matchers"))
    {
        const cJSON *n = cJSON_GetObjectItemCaseSensitive(m, "name");
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "value");

        if (cJSON_IsString(n) && cJSON_IsString(v) && used < sizeof(matchers)) {
            used += (size_t)snprintf(matchers + used, sizeof(matchers) - used, "%s%s=%s",
                                     used > 0 ? "," : "", n->valuestring, v->valuestring);
        }
    }
    (void)printf("%-36s %-24s %-12s %-40s %s\n",
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "id")),
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "endsAt")),
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "createdBy")), matchers,
                 cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(s, "comment")));
}

static int mutes(const struct args *a, const struct cli_db *db)
{
    char path[128];
    char err[ERR_LEN];
    char *answer = NULL;
    cJSON *list;
    const cJSON *s;
    unsigned shown = 0;
    long status;

    /* filter=site="<site>", URL-encoded; a site name is letters, digits, '_', '-', '.'. */
    (void)snprintf(path, sizeof(path), "/api/v2/silences?filter=site%%3D%%22%s%%22",
                   db->config->gateway.site);
    status =
        cli_am_request(&db->config->alertmanager, "GET", path, NULL, &answer, err, sizeof(err));
    list = status == 200 && answer != NULL ? cJSON_Parse(answer) : NULL;
    if (!cJSON_IsArray(list)) {
        if (status == 0) {
            cli_errf(a->verb, "no Alertmanager answered: %s", err);
        } else {
            cli_errf(a->verb, "Alertmanager answered HTTP %ld", status);
        }
        cJSON_Delete(list);
        free(answer);
        return CLI_EXIT_FAIL;
    }
    cJSON_ArrayForEach(s, list)
    {
        const char *state = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(s, "status"), "state"));
        char *text;

        if (state == NULL || strcmp(state, "expired") == 0) {
            continue;
        }
        if (a->json) {
            text = cJSON_PrintUnformatted(s);
            (void)printf("%s\n", text != NULL ? text : "{}");
            cJSON_free(text);
        } else {
            if (shown == 0) {
                (void)printf("%-36s %-24s %-12s %-40s %s\n", "ID", "ENDS", "BY", "MATCHERS",
                             "COMMENT");
            }
            print_silence(s);
        }
        shown++;
    }
    if (shown == 0 && !a->json) {
        (void)puts("(no silences)");
    }
    cJSON_Delete(list);
    free(answer);
    return CLI_EXIT_OK;
}

static int unmute(const struct args *a, const struct cli_db *db)
{
    char path[128];
    char err[ERR_LEN];
    char *answer = NULL;
    long status;
    size_t i;

    /* Alertmanager's ids are UUIDs: anything else would change the request's path. */
    for (i = 0; a->operand[i] != '\0'; i++) {
        if (!isxdigit((unsigned char)a->operand[i]) && a->operand[i] != '-') {
            break;
        }
    }
    if (a->operand[i] != '\0' || i == 0 || i > 64) {
        cli_errf(a->verb, "'%s' is not a silence id (see `tinyfleet alerts mutes`)", a->operand);
        return CLI_EXIT_USAGE;
    }
    (void)snprintf(path, sizeof(path), "/api/v2/silence/%s", a->operand);
    status =
        cli_am_request(&db->config->alertmanager, "DELETE", path, NULL, &answer, err, sizeof(err));
    free(answer);
    if (status == 200) {
        (void)printf("silence %s expired\n", a->operand);
        return CLI_EXIT_OK;
    }
    if (status == 0) {
        cli_errf(a->verb, "no Alertmanager answered: %s", err);
    } else {
        cli_errf(a->verb, "Alertmanager refused: HTTP %ld (%s)", status,
                 status == 404 ? "no such silence" : "already expired?");
    }
    return CLI_EXIT_FAIL;
}

bool cli_alerts_is_am(const char *word)
{
    return strcmp(word, "ack") == 0 || strcmp(word, "mute") == 0 || strcmp(word, "mutes") == 0 ||
           strcmp(word, "unmute") == 0;
}

int cli_alerts_am_main(const struct global_opts *g, int argc, char **argv)
{
    static char verb[16];
    struct args a;
    struct cli_db db = {NULL, NULL};
    const char *sub = argv[0];
    bool needs_id = strcmp(sub, "ack") == 0 || strcmp(sub, "unmute") == 0;
    int ret;

    memset(&a, 0, sizeof(a));
    (void)snprintf(verb, sizeof(verb), "alerts %s", sub);
    a.verb = verb;
    ret = parse_args(&a, argc, argv);
    if (ret != CLI_GO) {
        return ret;
    }
    if (needs_id ? cli_one_operand(a.verb, argc, argv, "ID") != 0
                 : cli_no_operands(a.verb, argc, argv) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (needs_id) {
        a.operand = argv[optind];
    }
    ret = cli_open(g, a.verb, CLI_OPEN_EXISTING, &db);
    if (ret != CLI_EXIT_OK) {
        return ret;
    }
    if (strcmp(sub, "ack") != 0 && (db.config == NULL || db.config->alertmanager.url_count == 0)) {
        cli_errf(a.verb, "needs [alertmanager] url in the config (-c FILE)");
        ret = CLI_EXIT_FAIL;
    } else if (strcmp(sub, "ack") == 0) {
        ret = ack(&a, &db);
    } else if (strcmp(sub, "mute") == 0) {
        ret = mute(&a, &db);
    } else if (strcmp(sub, "mutes") == 0) {
        ret = mutes(&a, &db);
    } else {
        ret = unmute(&a, &db);
    }
    if (ret == CLI_EXIT_OK) {
        ret = cli_flush_stdout(a.verb);
    }
    cli_close(&db);
    return ret;
}
