/* SPDX-License-Identifier: MIT
 * What the verbs of the operator CLI `tinyfleet` share: the global options, the exit
 * statuses, finding and opening the gateway's database (--db PATH, or -c FILE and its
 * [storage] path), class names (the config's table, or the built-in one), time stamps and
 * how verbs scan their options and operands, and the error and output conventions. Main
 * thread only: getopt and stdio are not reentrant.
 */
#ifndef PROJ_CLI_CLI_H
#define PROJ_CLI_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <cjson/cJSON.h>

#include "util/hex.h"
#include "store/store.h"

/* Exit statuses of the tinyfleet CLI; every verb returns one of these. */
enum cli_exit {
    CLI_EXIT_OK = 0,
    CLI_EXIT_FAIL = 1,  /* runtime failure, malformed input, wrong MIC, missing database */
    CLI_EXIT_USAGE = 2, /* unknown/missing option, bad option value */
};

/* Not an exit status: what a verb's option parser returns when the verb goes on (any other
 * value is the status to exit with, as after --help or a refused option). */
#define CLI_GO (-1)

/* What the global options selected; read-only for the verbs. */
struct global_opts {
    const char *config_path; /* -c FILE, NULL when not given */
    const char *db_path;     /* --db PATH, NULL when not given */
};

/* How a verb needs the database. */
enum cli_open_mode {
    CLI_OPEN_EXISTING, /* read verbs and remove: a missing file is an error */
    CLI_OPEN_CREATE,   /* node add: may create the file (before the daemon's first start) */
};

struct config;

/* An open database and the configuration it was found through. */
struct cli_db {
    struct store *store;
    struct config *config; /* loaded from -c (or the default config), NULL with --db */
};

/*
 * cli_open() - open the database the global options name: --db PATH, else the [storage]
 * path of -c FILE, else of CONFIG_DEFAULT_PATH. With --db the writes use synchronous FULL;
 * with a config, its [storage] synchronous.
 * @verb: in, e.g. "node list", for messages ("tinyfleet: node list: ...").
 * @out:  out, filled on success; release with cli_close().
 * Writes the reason to stderr on failure.
 * Return: CLI_EXIT_OK or CLI_EXIT_FAIL.
 */
int cli_open(const struct global_opts *g, const char *verb, enum cli_open_mode mode,
             struct cli_db *out);

/*
 * cli_open_zone() - cli_open() for a verb that gives a node @zone (NULL or "": none): with a
 * config (-c FILE or the default one) a zone it does not define is refused before the
 * database is opened or created, naming the config's zones (exit 2). With --db there is no
 * config to check against.
 * Return: CLI_EXIT_OK, CLI_EXIT_FAIL or CLI_EXIT_USAGE.
 */
int cli_open_zone(const struct global_opts *g, const char *verb, enum cli_open_mode mode,
                  const char *zone, struct cli_db *out);

/*
 * cli_give_db() - after cli_open() created the database @path: run as root with a config
 * whose [gateway] user is @user (non-empty), make the file (and its -wal and -shm files, and
 * its directory when it holds nothing else) the user's, so that tinyfleetd, running as that
 * user, can write it. Says on stderr what it did, or what the operator must do.
 */
void cli_give_db(const char *verb, const char *path, const char *user);

/* cli_close() - close what cli_open() opened; a zeroed struct is fine. */
void cli_close(struct cli_db *db);

/*
 * cli_class_name() - a tfp_json_class_name_cb: the config's class table when @arg is a
 * struct cli_db with a config, else the built-in one (tfp_json_default_class_name).
 */
const char *cli_class_name(void *arg, uint8_t class_id);

/*
 * cli_class_id() - the class id of @name in the same table as cli_class_name(), also
 * accepting "class_<id>" (what the JSON shows for an id without a name).
 * Return: 0..255, or -1 when the name is unknown.
 */
int cli_class_id(const struct cli_db *db, const char *name);

/* cli_parse_limit() - a --limit value: decimal digits only, 0..INT_MAX. Return: 0 or -EINVAL. */
int cli_parse_limit(const char *s, int *out);

/* cli_errf() - "tinyfleet: VERB: message\n" on stderr. */
void cli_errf(const char *verb, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* cli_usage_error() - the "Try 'tinyfleet VERB --help'." line; returns CLI_EXIT_USAGE. */
int cli_usage_error(const char *verb);

/* cli_flush_stdout() - flush stdout; a failed write (full disk, closed pipe) is reported.
 * Return: CLI_EXIT_OK or CLI_EXIT_FAIL. */
int cli_flush_stdout(const char *verb);

/* cli_is_help() - whether a subverb position holds -h, --help or help. */
bool cli_is_help(const char *word);

/* A verb's usage text, written to @out: stdout for --help, stderr along with an error. */
typedef void (*cli_usage_cb)(FILE *out);

/*
 * Each verb scans its own words the same way:
 *
 *     cli_getopt_begin();
 *     while ((c = cli_getopt(argc, argv, options)) != -1) {
 *         switch (c) {
 *         case OPT_...: ...
 *         default:
 *             return cli_help_or_bad_option(verb, c, argv, usage);
 *         }
 *     }
 *
 * then checks its operands with cli_no_operands() or cli_one_operand(). @options must have
 * {"help", no_argument, NULL, 'h'}; -h is added here.
 */

/*
 * cli_getopt_begin() - make the next cli_getopt() scan from argv[1] (GNU getopt: optind 0
 * also re-reads the option string), with getopt's own messages off.
 */
void cli_getopt_begin(void);

/*
 * cli_getopt() - the next option: getopt_long() with @options and -h. ':' for an option
 * without its value, '?' for an unknown one (or a value given to a flag).
 * Return: the option's value, or -1 after the last option (optind indexes the first operand).
 */
int cli_getopt(int argc, char **argv, const struct option *options);

/*
 * cli_help_or_bad_option() - the default case of a verb's option switch: for 'h' the usage
 * text on stdout, for anything else what getopt_long() refused, on stderr.
 * Return: cli_flush_stdout() after the help, CLI_EXIT_USAGE after a refused option.
 */
int cli_help_or_bad_option(const char *verb, int c, char **argv, cli_usage_cb usage);

/*
 * cli_no_operands() - after the options, no word may be left.
 * Return: 0, or CLI_EXIT_USAGE after saying which word was unexpected.
 */
int cli_no_operands(const char *verb, int argc, char **argv);

/*
 * cli_one_operand() - after the options, exactly one word must be left (argv[optind]).
 * @what: in, the operand as the message names it: "missing WHAT".
 * Return: 0, or CLI_EXIT_USAGE after saying what is missing or unexpected.
 */
int cli_one_operand(const char *verb, int argc, char **argv, const char *what);

/*
 * cli_option_key() - the value @s of the key option --@name (32 hex digits) into @key. The
 * message names the option and what is wrong, never the value.
 * Return: 0 or CLI_EXIT_USAGE.
 */
int cli_option_key(const char *verb, const char *name, const char *s, uint8_t key[HEX_KEY_LEN]);

/*
 * The verbs. @argc, @argv: the words from the verb on (argv[0] is "node", "events" or
 * "stats"); getopt state is reset inside. Return: an enum cli_exit value.
 *   node add|list|show|remove   the node registry (cli_node.c)
 *   events                      stored events, newest first (cli_events.c)
 *   stats                       accepted and refused counts (cli_stats.c)
 */
/* cli_option_text() - copy option --@opt's value @s into @dst (@cap bytes): too long or with
 * control characters is a usage error (message printed). Return: 0 or CLI_EXIT_USAGE. */
int cli_option_text(const char *verb, const char *opt, const char *s, char *dst, size_t cap);

/* cli_option_degrees() - option --@opt as degrees in -@max..@max (latitude 90, longitude 180).
 * Return: 0 and *@out, or CLI_EXIT_USAGE (message printed). */
int cli_option_degrees(const char *verb, const char *opt, const char *s, double max, double *out);

/* cli_generate_keys() - a node's NwkSKey and AppSKey from getrandom(2).
 * Return: 0 or CLI_EXIT_FAIL (message printed). */
int cli_generate_keys(const char *verb, struct store_node *n);

/* cli_json_add_key() - add a key as 32 hex digits to @obj (the text is wiped after). */
bool cli_json_add_key(cJSON *obj, const char *name, const uint8_t key[PROTO_AES_KEY]);

/* cli_json_add_rx() - a reception's fields to @obj: bearer, gateway, rssi (dBm), snr (dB),
 * freq_hz, datr; the radio fields null without radio data (CoAP), all null for @rx NULL. */
bool cli_json_add_rx(cJSON *obj, const struct store_rx *rx);

/* cli_format_rx() - RSSI and SNR of @rx for a table ("-97", "7.5"; "-" without radio data or
 * for @rx NULL), each into a buffer of @cap bytes. */
void cli_format_rx(const struct store_rx *rx, char *rssi, char *snr, size_t cap);

int cli_node_main(const struct global_opts *g, int argc, char **argv);
int cli_events_main(const struct global_opts *g, int argc, char **argv);
int cli_stats_main(const struct global_opts *g, int argc, char **argv);
int cli_alerts_main(const struct global_opts *g, int argc, char **argv);
/* `node command` (argv[0] is "command") and `commands` (cli_command.c). */
int cli_node_command(const struct global_opts *g, int argc, char **argv);
/* cli_otaa_identity() - make @n an OTAA node: its DevEUI and JoinEUI from @deveui and
 * @joineui (16 hex digits, required), its AppKey from @appkey (32 hex digits) or, when NULL,
 * getrandom(2), and session keys nobody holds until it joins (cli_otaa.c).
 * Return: 0, CLI_EXIT_USAGE or CLI_EXIT_FAIL (message printed, for @verb). */
int cli_otaa_identity(const char *verb, const char *deveui, const char *joineui, const char *appkey,
                      struct store_node *n);
/* cli_node_add_otaa() - `node add --otaa` (cli_otaa.c). */
int cli_node_add_otaa(const struct global_opts *g, int argc, char **argv);
/* cli_register_node() - add @n to the registry: with its DevAddr when @given, else the
 * lowest free one of the config's [gateway] devaddr_range (cli_register.c); says why not.
 * Return: an enum cli_exit value. */
int cli_register_node(struct cli_db *db, const char *verb, bool given, struct store_node *n);
int cli_commands_main(const struct global_opts *g, int argc, char **argv);
/* provision: register a node and write its firmware image with the provisioning record
 * (cli_provision.c). */
int cli_provision_main(const struct global_opts *g, int argc, char **argv);

/*
 * cli_am_request() - one request to Alertmanager's API: @method ("GET", "POST", "DELETE") on
 * the path @path (e.g. "/api/v2/silences") of each URL of @am in turn until one answers;
 * @body (JSON) for a POST, else NULL. @answer: out, the body of the answer (free()), or NULL.
 * @err: out, why no URL answered (names the URL, never a credential).
 * Return: the HTTP status of the answer, or 0 when none came.
 */
struct config_alertmanager;
long cli_am_request(const struct config_alertmanager *am, const char *method, const char *path,
                    const char *body, char **answer, char *err, size_t cap);

/* cli_alerts_am_main() - `alerts ack|mute|mutes|unmute` (cli_silence.c); @argv[0] is the
 * subverb. */
int cli_alerts_am_main(const struct global_opts *g, int argc, char **argv);

/* cli_alerts_is_am() - @word is one of those subverbs. */
bool cli_alerts_is_am(const char *word);

#endif
