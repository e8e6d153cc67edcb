/* SPDX-License-Identifier: MIT
 * tinyfleet, the operator CLI: `tinyfleet [-c FILE | --db PATH] VERB ...`. This file owns
 * the global options and the verb table; the exit statuses (0 success, 1 runtime failure or
 * malformed input, 2 usage error) and what the verbs share are in cli.h, and each verb lives
 * in its own cli_<verb>.c. Verbs that read the gateway's SQLite file (node, events, alerts, stats,
 * provision)
 * find it through -c (the daemon's config, [storage] path) or --db; `frame` needs neither
 * and ignores them.
 */
#include <getopt.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cli_frame.h"

#define EXIT_OK    CLI_EXIT_OK
#define EXIT_FAIL  CLI_EXIT_FAIL
#define EXIT_USAGE CLI_EXIT_USAGE

/*
 * One verb. @run gets the words from the verb on (argv[0] is the verb) and returns an exit
 * status. Verbs that need the database (node, events, alerts, stats) open it from -c or --db with
 * cli_open(); `frame` works on its arguments alone.
 */
struct verb {
    const char *name;
    const char *summary; /* one line for the usage text */
    int (*run)(const struct global_opts *g, int argc, char **argv);
};

static int run_frame(const struct global_opts *g, int argc, char **argv)
{
    (void)g; /* frame works on its arguments only: -c and --db are accepted and ignored */
    return cli_frame_main(argc, argv);
}

static const struct verb verbs[] = {
    {"node",
     "register, change, list, show, remove or command nodes "
     "(add|edit|list|show|remove|command)",
     cli_node_main},
    {"commands", "the node command queue and where each command is (--node, --json)",
     cli_commands_main},
    {"events", "the stored events, newest first (--since, --node, --class, --json)",
     cli_events_main},
    {"alerts", "alerts fusion raised (--active, --limit, --json); ack, mute, mutes, unmute",
     cli_alerts_main},
    {"stats", "accepted and refused frames by reason and bearer, the MQTT outbox", cli_stats_main},
    {"frame", "encode or decode a LoRaWAN data-up frame (no database needed)", run_frame},
    {"provision", "register a node and write its firmware image with its keys (--board, --out)",
     cli_provision_main},
};

static void usage(FILE *out)
{
    size_t i;

    (void)fputs("usage: tinyfleet [-c FILE | --db PATH] VERB [ARGS...]\n"
                "       tinyfleet --help | help [VERB] | --version\n"
                "\n"
                "  -c, --config FILE  gateway config; the database is its [storage] path\n"
                "                     (default /etc/tinyfleet/tinyfleetd.conf)\n"
                "      --db PATH      the gateway's SQLite file, instead of -c\n"
                "  -h, --help         this text; `tinyfleet VERB --help` describes a verb\n"
                "      --version      print \"tinyfleet VERSION\" and exit\n"
                "\n"
                "verbs:\n",
                out);
    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        (void)fprintf(out, "  %-8s %s\n", verbs[i].name, verbs[i].summary);
    }
    (void)fputs("\n"
                "Exit status: 0 success, 1 runtime failure or malformed input, 2 usage error.\n",
                out);
}

static int usage_error(const char *what, const char *word)
{
    (void)fprintf(stderr, "tinyfleet: %s '%s'\n", what, word);
    (void)fputs("Try 'tinyfleet --help'.\n", stderr);
    return EXIT_USAGE;
}

static int print_usage(void)
{
    usage(stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_FAIL;
}

static const struct verb *find_verb(const char *name)
{
    size_t i;

    for (i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
        if (strcmp(verbs[i].name, name) == 0) {
            return &verbs[i];
        }
    }
    return NULL;
}

/* `tinyfleet help [VERB]`: the same as `tinyfleet [VERB] --help`. */
static int run_help(const struct global_opts *g, int argc, char **argv)
{
    static char help_opt[] = "--help";
    const struct verb *v;
    char *args[3];

    if (argc < 2) {
        return print_usage();
    }
    v = find_verb(argv[1]);
    if (v == NULL) {
        return usage_error("unknown verb", argv[1]);
    }
    args[0] = argv[1];
    args[1] = help_opt;
    args[2] = NULL;
    return v->run(g, 2, args);
}

int main(int argc, char **argv)
{
    enum { OPT_DB = 256, OPT_VERSION };
    static const struct option options[] = {
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, OPT_DB},
        {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, OPT_VERSION},
        {NULL, 0, NULL, 0},
    };
    struct global_opts g = {NULL, NULL};
    const struct verb *v;
    int c;

    /* "+": stop at the verb, whose own options may look like ours. */
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+:c:h", options, NULL)) != -1) {
        switch (c) {
        case 'c':
            g.config_path = optarg;
            break;
        case OPT_DB:
            g.db_path = optarg;
            break;
        case 'h':
            return print_usage();
        case OPT_VERSION:
            (void)puts("tinyfleet " TINYFLEET_VERSION);
            return fflush(stdout) == 0 && !ferror(stdout) ? EXIT_OK : EXIT_FAIL;
        case ':':
            return usage_error("option needs a value:", argv[optind - 1]);
        default:
            if (strncmp(argv[optind - 1], "--", 2) == 0) {
                /* getopt_long() sets optopt to the option's value for "--help=x". */
                return usage_error(optopt != 0 ? "option takes no value:" : "unknown option",
                                   argv[optind - 1]);
            }
            if (optopt > 0 && optopt < 128) {
                char word[3] = {'-', (char)optopt, '\0'};

                return usage_error("unknown option", word);
            }
            return usage_error("unknown option", argv[optind - 1]);
        }
    }
    if (g.config_path != NULL && g.db_path != NULL) {
        (void)fputs("tinyfleet: give either -c FILE or --db PATH, not both\n", stderr);
        (void)fputs("Try 'tinyfleet --help'.\n", stderr);
        return EXIT_USAGE;
    }
    if (optind >= argc) {
        (void)fputs("tinyfleet: missing VERB\n", stderr);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[optind], "help") == 0) {
        return run_help(&g, argc - optind, argv + optind);
    }
    v = find_verb(argv[optind]);
    if (v == NULL) {
        return usage_error("unknown verb", argv[optind]);
    }
    return v->run(&g, argc - optind, argv + optind);
}
