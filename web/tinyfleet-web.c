/* SPDX-License-Identifier: MIT
 * tinyfleet-web: the gateway's status page, its JSON API and Prometheus metrics, as a program
 * of its own, so that nothing it does (a slow client, a crash) can stall ingest. It reads the
 * gateway's config file and its database read-only (web_db.h), serves HTTP from a
 * libmicrohttpd thread (web_http.h), and in the main thread reads the frame counters every
 * few seconds for the rates (web_rates.h) until SIGTERM or SIGINT.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/rfc3339.h"
#include "web_auth.h"
#include "web_db.h"
#include "web_http.h"
#include "web_rates.h"

#ifndef TINYFLEET_VERSION
#define TINYFLEET_VERSION "0"
#endif

#define SAMPLE_S 5 /* seconds between two readings of the frame counters */

static void usage(FILE *out)
{
    (void)fputs("usage: tinyfleet-web [-c FILE] [--check] [--leaflet DIR]\n"
                "       tinyfleet-web --help | --version\n"
                "\n"
                "The gateway's status page (/), its JSON API (/api/status, /api/transitions,\n"
                "/api/node) and Prometheus metrics (/metrics), from the database of the\n"
                "config's [storage] path, opened read-only, on its [web] listen address.\n"
                "  -c, --config FILE  the gateway's config (default " CONFIG_DEFAULT_PATH ")\n"
                "      --check        check the config and the [web] password hash, then exit\n"
                "      --leaflet DIR  where Leaflet is (default " WEB_HTTP_LEAFLET_DIR ")\n"
                "  -h, --help         this text\n"
                "      --version      print \"tinyfleet-web VERSION\" and exit\n"
                "\n"
                "Exit status: 0 stopped by SIGTERM or SIGINT (or --check passed); 1 the config,\n"
                "the TLS files or the listen address cannot be used; 2 usage error.\n",
                out);
}

/* Reads the counters once into @rates; a database that is missing or busy is skipped (the
 * rates then span the readings that worked). */
static void sample(const char *path, struct web_rates *rates)
{
    uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT];
    struct web_db *db = NULL;

    if (web_db_open(path, &db) == 0 && web_db_counters(db, counts) == 0) {
        web_rates_add(rates, rfc3339_now_ms(), counts);
    }
    web_db_close(db);
}

/* Until SIGTERM or SIGINT (blocked in every thread, taken here): a reading every SAMPLE_S. */
static void run(const char *path, struct web_rates *rates, const sigset_t *stop)
{
    const struct timespec every = {SAMPLE_S, 0};
    int sig;

    for (;;) {
        sample(path, rates);
        sig = sigtimedwait(stop, NULL, &every);
        if (sig == SIGTERM || sig == SIGINT) {
            log_msg(LOG_INFO, "stopping (signal %d)", sig);
            return;
        }
    }
}

static int load(const char *path, struct config *cfg)
{
    char err[CONFIG_ERR_LEN];

    if (config_load(path, cfg, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, "%s", err);
        return -1;
    }
    if (cfg->web.password_hash[0] != '\0' && !web_auth_hash_usable(cfg->web.password_hash)) {
        log_msg(LOG_ERR, "%s: [web] password_hash: not a hash this system's crypt(3) computes",
                path);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},  {"check", no_argument, NULL, 'k'},
        {"leaflet", required_argument, NULL, 'l'}, {"help", no_argument, NULL, 'h'},
        {"version", no_argument, NULL, 'V'},       {NULL, 0, NULL, 0},
    };
    const char *path = CONFIG_DEFAULT_PATH;
    const char *leaflet = WEB_HTTP_LEAFLET_DIR;
    struct config *cfg = NULL;
    struct web_http *http = NULL;
    struct web_rates rates;
    char err[512] = "";
    sigset_t stop;
    int check = 0;
    int opt;
    int rc = 1;

    log_init("tinyfleet-web", 2, LOG_INFO);
    while ((opt = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case 'k':
            check = 1;
            break;
        case 'l':
            leaflet = optarg;
            break;
        case 'h':
            usage(stdout);
            return 0;
        case 'V':
            (void)printf("tinyfleet-web %s\n", TINYFLEET_VERSION);
            return 0;
        default:
            usage(stderr);
            return 2;
        }
    }
    if (optind != argc) {
        (void)fprintf(stderr, "tinyfleet-web: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return 2;
    }
    cfg = malloc(sizeof(*cfg));
    if (cfg == NULL || load(path, cfg) != 0) {
        free(cfg);
        return 1;
    }
    if (check) {
        (void)printf("%s: [web] ok: listen %s, page %s\n", path, cfg->web.listen,
                     cfg->web.public_url);
        free(cfg);
        return 0;
    }
    (void)sigemptyset(&stop);
    (void)sigaddset(&stop, SIGTERM);
    (void)sigaddset(&stop, SIGINT);
    (void)sigaddset(&stop, SIGHUP); /* taken and ignored: a new config needs a restart */
    (void)sigaddset(&stop, SIGPIPE);
    /* Blocked before the server's thread starts, so it inherits the mask. */
    if (pthread_sigmask(SIG_BLOCK, &stop, NULL) != 0 || web_rates_init(&rates) != 0) {
        free(cfg);
        return 1;
    }
    if (web_http_start(cfg, &rates, leaflet, &http, err, sizeof(err)) != 0) {
        log_msg(LOG_ERR, "%s", err);
        goto out;
    }
    if (cfg->web.user[0] == '\0' && strncmp(cfg->web.listen, "127.", 4) != 0 &&
        strncmp(cfg->web.listen, "[::1]", 5) != 0 &&
        strncmp(cfg->web.listen, "localhost:", 10) != 0) {
        log_msg(LOG_WARNING,
                "[web] listen %s is not loopback and [web] user is not set: anyone "
                "who reaches it sees where the nodes are",
                cfg->web.listen);
    }
    log_msg(LOG_INFO, "serving %s (port %u) from %s, read-only", cfg->web.public_url,
            web_http_port(http), cfg->storage.path);
    (void)notify_ready("serving");
    run(cfg->storage.path, &rates, &stop);
    (void)notify_stopping();
    rc = 0;
out:
    web_http_stop(http);
    web_rates_deinit(&rates);
    free(cfg);
    return rc;
}
