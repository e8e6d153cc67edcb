/* SPDX-License-Identifier: MIT
 * The helpers the CLI's verbs share (see cli.h): where the database is, opening it without
 * ever creating an empty one by mistake, class names, RFC 3339 time stamps, scanning a verb's
 * options and operands, and the message conventions ("tinyfleet: VERB: ...", exit 2 for
 * usage).
 */
#include "cli.h"

#include <errno.h>
#include <math.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/random.h>

#include "config/config.h"
#include "util/hex.h"
#include "store/store.h"
#include "util/tfp_json.h"

/* Long enough for any store_open() message (a path of PATH_MAX plus SQLite's text). */
#define OPEN_ERR_LEN (PATH_MAX + 256)

void cli_errf(const char *verb, const char *fmt, ...)
{
    va_list ap;

    (void)fprintf(stderr, "tinyfleet: %s: ", verb);
    va_start(ap, fmt);
    (void)vfprintf(stderr, fmt, ap);
    va_end(ap);
    (void)fputc('\n', stderr);
}

int cli_usage_error(const char *verb)
{
    char word[32];

    /* "node list" -> "node": the help is per verb. */
    (void)snprintf(word, sizeof(word), "%s", verb);
    word[strcspn(word, " ")] = '\0';
    (void)fprintf(stderr, "Try 'tinyfleet %s --help'.\n", word);
    return CLI_EXIT_USAGE;
}

/* Reports what getopt_long() refused; @c is its ':' or '?'. */
static int bad_option(const char *verb, int c, char **argv)
{
    const char *word = optind > 0 ? argv[optind - 1] : "?";

    if (c == ':') {
        cli_errf(verb, "option '%s' needs a value", word);
    } else if (optopt > CHAR_MAX) {
        /* getopt_long() sets optopt to the option's value for "--flag=x". */
        cli_errf(verb, "option '%s' takes no value", word);
    } else if (optopt != 0) {
        cli_errf(verb, "unknown option '-%c'", optopt);
    } else {
        cli_errf(verb, "unknown option '%s'", word);
    }
    return cli_usage_error(verb);
}

int cli_flush_stdout(const char *verb)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        cli_errf(verb, "cannot write the output: %s", strerror(errno));
        return CLI_EXIT_FAIL;
    }
    return CLI_EXIT_OK;
}

bool cli_is_help(const char *word)
{
    return strcmp(word, "-h") == 0 || strcmp(word, "--help") == 0 || strcmp(word, "help") == 0;
}

void cli_getopt_begin(void)
{
    optind = 0;
    opterr = 0;
}

int cli_getopt(int argc, char **argv, const struct option *options)
{
    /* The leading ':' makes a missing value ':' rather than '?', so the message can say so. */
    return getopt_long(argc, argv, ":h", options, NULL);
}

int cli_help_or_bad_option(const char *verb, int c, char **argv, cli_usage_cb usage)
{
    if (c == 'h') {
        usage(stdout);
        return cli_flush_stdout(verb);
    }
    return bad_option(verb, c, argv);
}

int cli_no_operands(const char *verb, int argc, char **argv)
{
    if (optind < argc) {
        cli_errf(verb, "unexpected argument '%s'", argv[optind]);
        return cli_usage_error(verb);
    }
    return 0;
}

int cli_one_operand(const char *verb, int argc, char **argv, const char *what)
{
    if (optind >= argc) {
        cli_errf(verb, "missing %s", what);
        return cli_usage_error(verb);
    }
    if (optind + 1 < argc) {
        cli_errf(verb, "unexpected argument '%s'", argv[optind + 1]);
        return cli_usage_error(verb);
    }
    return 0;
}

int cli_option_key(const char *verb, const char *name, const char *s, uint8_t key[HEX_KEY_LEN])
{
    char why[HEX_ERR_LEN];

    if (hex_decode_key(s, key, why, sizeof(why)) < 0) {
        cli_errf(verb, "--%s: %s", name, why);
        return CLI_EXIT_USAGE;
    }
    return 0;
}

int cli_parse_limit(const char *s, int *out)
{
    unsigned long v;
    char *end = NULL;

    if (s[0] < '0' || s[0] > '9') {
        return -EINVAL;
    }
    errno = 0;
    v = strtoul(s, &end, 10);
    if (errno != 0 || *end != '\0' || v > INT_MAX) {
        return -EINVAL;
    }
    *out = (int)v;
    return 0;
}

static const char *class_name(const struct cli_db *db, uint8_t class_id)
{
    if (db != NULL && db->config != NULL) {
        return config_class_name(&db->config->fusion, class_id);
    }
    return tfp_json_default_class_name(NULL, class_id);
}

const char *cli_class_name(void *arg, uint8_t class_id)
{
    return class_name(arg, class_id);
}

int cli_class_id(const struct cli_db *db, const char *name)
{
    unsigned long v;
    char *end = NULL;
    unsigned i;

    for (i = 0; i <= UINT8_MAX; i++) {
        const char *known = class_name(db, (uint8_t)i);

        if (known != NULL && strcmp(known, name) == 0) {
            return (int)i;
        }
    }
    if (strncmp(name, "class_", 6) == 0 && name[6] >= '0' && name[6] <= '9') {
        errno = 0;
        v = strtoul(name + 6, &end, 10);
        if (errno == 0 && *end == '\0' && v <= UINT8_MAX) {
            return (int)v;
        }
    }
    return -1;
}

/* The config of -c FILE or the default one into @out->config; nothing with --db. */
static int load_config(const struct global_opts *g, const char *verb, struct cli_db *out)
{
    const char *config_path = g->config_path != NULL ? g->config_path : CONFIG_DEFAULT_PATH;
    char err[CONFIG_ERR_LEN];
    int rc;

    if (g->db_path != NULL) {
        return CLI_EXIT_OK;
    }
    /* The config is large (class, zone and rule tables): not for the stack. */
    out->config = calloc(1, sizeof(*out->config));
    if (out->config == NULL) {
        cli_errf(verb, "out of memory");
        return CLI_EXIT_FAIL;
    }
    rc = config_load(config_path, out->config, err, sizeof(err));
    if (rc == -EINVAL) {
        cli_errf(verb, "%s", err);
    } else if (rc < 0) {
        cli_errf(verb, "cannot read the config %s: %s%s", config_path, strerror(-rc),
                 g->config_path == NULL ? " (give -c FILE or --db PATH)" : "");
    }
    return rc < 0 ? CLI_EXIT_FAIL : CLI_EXIT_OK;
}

/* A zone a node is given must be one of the config's: a typo would file its detections
 * under a zone of their own, apart from its neighbours'. Without a config (--db) there is
 * nothing to check against. */
static int check_zone(const struct global_opts *g, const char *verb, const struct config *cfg,
                      const char *zone)
{
    const char *path = g->config_path != NULL ? g->config_path : CONFIG_DEFAULT_PATH;
    unsigned i;

    if (zone == NULL || zone[0] == '\0' || cfg == NULL ||
        config_zone_find(&cfg->fusion, zone) != NULL) {
        return CLI_EXIT_OK;
    }
    (void)fprintf(stderr, "tinyfleet: %s: --zone '%s': %s defines no such zone; ", verb, zone,
                  path);
    if (cfg->fusion.zone_count == 0) {
        (void)fputs("it has no [zone.*] section\n", stderr);
    } else {
        (void)fputs("its zones:", stderr);
        for (i = 0; i < cfg->fusion.zone_count; i++) {
            (void)fprintf(stderr, "%s %s", i > 0 ? "," : "", cfg->fusion.zones[i].name);
        }
        (void)fputc('\n', stderr);
    }
    return cli_usage_error(verb);
}

int cli_open_zone(const struct global_opts *g, const char *verb, enum cli_open_mode mode,
                  const char *zone, struct cli_db *out)
{
    char err[OPEN_ERR_LEN];
    const char *path = g->db_path;
    int synchronous = CONFIG_SYNC_FULL; /* a CLI writes rarely: durable at once is cheap */
    bool existed;
    int ret;
    int rc;

    memset(out, 0, sizeof(*out));
    ret = load_config(g, verb, out);
    if (ret == CLI_EXIT_OK) {
        ret = check_zone(g, verb, out->config, zone);
    }
    if (ret != CLI_EXIT_OK) {
        cli_close(out);
        return ret;
    }
    if (out->config != NULL) {
        path = out->config->storage.path;
        synchronous = out->config->storage.synchronous;
    }
    existed = access(path, F_OK) == 0;
    if (mode == CLI_OPEN_CREATE) {
        rc = store_open(path, synchronous, &out->store, err, sizeof(err));
    } else {
        rc = store_open_existing(path, synchronous, &out->store, err, sizeof(err));
    }
    if (rc < 0) {
        if (rc == -ENOENT && mode == CLI_OPEN_EXISTING) {
            cli_errf(verb,
                     "no database at %s (it is created by tinyfleetd or `tinyfleet node add`)",
                     path);
        } else {
            cli_errf(verb, "cannot open the database: %s", err);
        }
        cli_close(out);
        return CLI_EXIT_FAIL;
    }
    if (!existed && out->config != NULL) {
        cli_give_db(verb, path, out->config->gateway.user);
    }
    return CLI_EXIT_OK;
}

int cli_open(const struct global_opts *g, const char *verb, enum cli_open_mode mode,
             struct cli_db *out)
{
    return cli_open_zone(g, verb, mode, NULL, out);
}

void cli_close(struct cli_db *db)
{
    store_close(db->store);
    if (db->config != NULL) {
        explicit_bzero(db->config, sizeof(*db->config)); /* it holds the MQTT password */
    }
    free(db->config);
    memset(db, 0, sizeof(*db));
}

int cli_option_text(const char *verb, const char *opt, const char *s, char *dst, size_t cap)
{
    const unsigned char *p;

    if (strlen(s) >= cap) {
        cli_errf(verb, "--%s: too long (at most %zu bytes)", opt, cap - 1);
        return cli_usage_error(verb);
    }
    for (p = (const unsigned char *)s; *p != '\0'; p++) {
        if (*p < 0x20 || *p == 0x7F) {
            cli_errf(verb, "--%s: control characters are not allowed", opt);
            return cli_usage_error(verb);
        }
    }
    (void)snprintf(dst, cap, "%s", s);
    return 0;
}

int cli_option_degrees(const char *verb, const char *opt, const char *s, double max, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < -max || v > max) {
        cli_errf(verb, "--%s: '%s' is not a number of degrees in -%g..%g", opt, s, max, max);
        return cli_usage_error(verb);
    }
    *out = v;
    return 0;
}

/* Both keys at once from the kernel's CSPRNG (getrandom blocks only until it is seeded). */
int cli_generate_keys(const char *verb, struct store_node *n)
{
    uint8_t buf[2 * PROTO_AES_KEY];
    size_t got = 0;
    ssize_t r;

    while (got < sizeof(buf)) {
        r = getrandom(buf + got, sizeof(buf) - got, 0);
        if (r < 0 && errno == EINTR) {
            continue;
        }
        if (r <= 0) {
            cli_errf(verb, "getrandom: %s", r < 0 ? strerror(errno) : "no bytes");
            explicit_bzero(buf, sizeof(buf));
            return CLI_EXIT_FAIL;
        }
        got += (size_t)r;
    }
    memcpy(n->nwkskey, buf, PROTO_AES_KEY);
    memcpy(n->appskey, buf + PROTO_AES_KEY, PROTO_AES_KEY);
    explicit_bzero(buf, sizeof(buf));
    return 0;
}

bool cli_json_add_key(cJSON *obj, const char *name, const uint8_t key[PROTO_AES_KEY])
{
    char text[2 * PROTO_AES_KEY + 1];
    bool ok;

    ok = hex_encode(key, PROTO_AES_KEY, text, sizeof(text)) >= 0 &&
         cJSON_AddStringToObject(obj, name, text) != NULL;
    explicit_bzero(text, sizeof(text));
    return ok;
}
