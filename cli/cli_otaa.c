/* SPDX-License-Identifier: MIT
 * `tinyfleet node add --otaa`: registers a node that joins over the air (proto/SPEC.md
 * section 1.6). It gets its DevAddr now (--devaddr, or the lowest free one of [gateway]
 * devaddr_range), kept across joins; its AppKey is given or drawn from getrandom(2) and
 * printed only with --show-keys. Until it joins, its session keys are random bytes nobody
 * holds, so no frame verifies for it.
 */
#include "cli.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <cjson/cJSON.h>

#include "util/hex.h"
#include "store/store.h"

static const char verb[] = "node add --otaa";

enum opt_id {
    OPT_OTAA = 256,
    OPT_DEVEUI,
    OPT_JOINEUI,
    OPT_APPKEY,
    OPT_DEVADDR,
    OPT_NAME,
    OPT_PROFILE,
    OPT_ZONE,
    OPT_SHOW_KEYS,
    OPT_JSON,
};

static const struct option options[] = {
    {"otaa", no_argument, NULL, OPT_OTAA},
    {"deveui", required_argument, NULL, OPT_DEVEUI},
    {"joineui", required_argument, NULL, OPT_JOINEUI},
    {"appkey", required_argument, NULL, OPT_APPKEY},
    {"devaddr", required_argument, NULL, OPT_DEVADDR},
    {"name", required_argument, NULL, OPT_NAME},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"show-keys", no_argument, NULL, OPT_SHOW_KEYS},
    {"json", no_argument, NULL, OPT_JSON},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] node add --otaa --deveui EUI --joineui EUI\n"
        "                     [--appkey HEX32] [--devaddr DEVADDR] [--name NAME] [--profile P]\n"
        "                     [--zone Z] [--show-keys] [--json]\n"
        "\n"
        "Registers a node that joins over the air (LoRaWAN 1.0.x OTAA). EUI: 16 hex digits as\n"
        "written on the device. Without --appkey the AppKey is generated from getrandom(2).\n"
        "The DevAddr the node gets at every join is chosen now: --devaddr, or the lowest free\n"
        "one of the config's [gateway] devaddr_range. Prints the DevAddr; the AppKey only with\n"
        "--show-keys. --json: one object with devaddr, deveui, joineui (and appkey).\n"
        "\n"
        "Exit status: 0 success; 1 failure (DevEUI or DevAddr registered, range full); 2 usage\n"
        "error.\n",
        out);
}

struct otaa_args {
    const char *deveui;
    const char *joineui;
    const char *appkey;
    const char *devaddr;
    bool show_keys;
    bool json;
};

static int parse_eui(const char *who, const char *opt, const char *s, uint64_t *out)
{
    uint8_t b[8];
    char why[HEX_ERR_LEN];

    if (s == NULL) {
        cli_errf(who, "--%s is required", opt);
        return CLI_EXIT_USAGE;
    }
    if (strlen(s) != 16 || hex_decode(s, b, sizeof(b), why, sizeof(why)) != 8) {
        cli_errf(who, "--%s '%s': want 16 hex digits", opt, s);
        return CLI_EXIT_USAGE;
    }
    *out = 0;
    for (size_t i = 0; i < 8; i++) {
        *out = *out << 8 | b[i];
    }
    return 0;
}

static int parse_args(int argc, char **argv, struct otaa_args *a, struct store_node *n)
{
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_OTAA:
            break;
        case OPT_DEVEUI:
            a->deveui = optarg;
            break;
        case OPT_JOINEUI:
            a->joineui = optarg;
            break;
        case OPT_APPKEY:
            a->appkey = optarg;
            break;
        case OPT_DEVADDR:
            a->devaddr = optarg;
            break;
        case OPT_NAME:
        case OPT_PROFILE:
        case OPT_ZONE:
            if (cli_option_text(verb, options[c - OPT_OTAA].name, optarg,
                                c == OPT_NAME      ? n->name
                                : c == OPT_PROFILE ? n->profile
                                                   : n->zone,
                                c == OPT_NAME      ? sizeof(n->name)
                                : c == OPT_PROFILE ? sizeof(n->profile)
                                                   : sizeof(n->zone)) != 0) {
                return CLI_EXIT_USAGE;
            }
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
    if (optind < argc) {
        cli_errf(verb, "unexpected '%s' (the DevAddr is --devaddr with --otaa)", argv[optind]);
        return CLI_EXIT_USAGE;
    }
    if (a->devaddr != NULL) {
        char why[HEX_ERR_LEN];

        if (hex_decode_devaddr(a->devaddr, &n->devaddr, why, sizeof(why)) < 0) {
            cli_errf(verb, "--devaddr '%s': %s", a->devaddr, why);
            return CLI_EXIT_USAGE;
        }
    }
    return CLI_GO;
}

int cli_otaa_identity(const char *who, const char *deveui, const char *joineui, const char *appkey,
                      struct store_node *n)
{
    if (parse_eui(who, "deveui", deveui, &n->deveui) != 0 ||
        parse_eui(who, "joineui", joineui, &n->joineui) != 0) {
        return cli_usage_error(who);
    }
    if (appkey != NULL && cli_option_key(who, "appkey", appkey, n->appkey) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (appkey == NULL &&
        getrandom(n->appkey, sizeof(n->appkey), 0) != (ssize_t)sizeof(n->appkey)) {
        cli_errf(who, "getrandom: no random AppKey");
        return CLI_EXIT_FAIL;
    }
    n->otaa = true;
    /* The AppKey if not given, and session keys nobody holds until the first join. */
    return cli_generate_keys(who, n);
}

static int print_added(const struct otaa_args *a, const struct store_node *n)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    char key[2 * PROTO_AES_KEY + 1] = "";
    char deveui[17];
    char joineui[17];

    hex_format_devaddr(n->devaddr, devaddr);
    (void)snprintf(deveui, sizeof(deveui), "%016llX", (unsigned long long)n->deveui);
    (void)snprintf(joineui, sizeof(joineui), "%016llX", (unsigned long long)n->joineui);
    if (a->show_keys && hex_encode(n->appkey, PROTO_AES_KEY, key, sizeof(key)) < 0) {
        key[0] = '\0';
    }
    if (a->json) {
        (void)printf("{\"devaddr\":\"%s\",\"deveui\":\"%s\",\"joineui\":\"%s\"%s%s%s}\n", devaddr,
                     deveui, joineui, a->show_keys ? ",\"appkey\":\"" : "", key,
                     a->show_keys ? "\"" : "");
    } else {
        (void)printf("node %s added (OTAA: DevEUI %s, JoinEUI %s), AppKey %s\n", devaddr, deveui,
                     joineui, a->appkey != NULL ? "as given" : "generated");
        if (a->show_keys) {
            (void)printf("appkey     %s\n", key);
        }
    }
    explicit_bzero(key, sizeof(key));
    return cli_flush_stdout(verb);
}

int cli_node_add_otaa(const struct global_opts *g, int argc, char **argv)
{
    struct otaa_args a;
    struct store_node n;
    struct cli_db db = {NULL, NULL};
    int ret;

    memset(&a, 0, sizeof(a));
    memset(&n, 0, sizeof(n));
    n.battery_mv = -1;
    n.otaa = true;
    ret = parse_args(argc, argv, &a, &n);
    if (ret != CLI_GO) {
        return ret;
    }
    ret = cli_otaa_identity(verb, a.deveui, a.joineui, a.appkey, &n);
    if (ret != 0) {
        goto out;
    }
    ret = cli_open_zone(g, verb, CLI_OPEN_CREATE, n.zone, &db);
    if (ret != CLI_EXIT_OK) {
        goto out;
    }
    ret = cli_register_node(&db, verb, a.devaddr != NULL, &n);
    if (ret == CLI_EXIT_OK) {
        ret = print_added(&a, &n);
    }
out:
    cli_close(&db);
    explicit_bzero(&n, sizeof(n));
    return ret;
}
