/* SPDX-License-Identifier: MIT
 * tinyfleetd, the gateway daemon: `tinyfleetd -c FILE [--check] [-v]`. One libuv loop on one
 * thread runs both bearers, the store and the timers; libuv's worker threads only wait on
 * the disk for it (the WAL sync of durability.h, checkpoint.h). This file wires the modules
 * together; the rule everything here serves: a bearer holds its acknowledgements back until
 * the group commit, a uv_check handle that runs after each iteration's I/O, has flushed the
 * store, and until that commit is durable; only then are they released.
 * Signals: SIGTERM/SIGINT stop (commit, answer, close, exit 0), SIGHUP reloads the config.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <uv.h>

#include "store/checkpoint.h"
#include "store/durability.h"
#include "config/config.h"
#include "poststore/poststore.h"
#include "ingest/ingest_coap.h"
#include "ingest/ingest_lora.h"
#include "util/log.h"
#include "util/notify.h"
#include "util/rfc3339.h"
#include "util/runas.h"
#include "store/store.h"

#define EXIT_USAGE 2

#define RETENTION_FIRST_MS  5000u  /* first pruning round, soon after start or a reload */
#define RETENTION_PERIOD_MS 60000u /* between rounds */
#define RETENTION_STEP_MS   1u     /* between steps of a round, so I/O is served in between */
#define RETENTION_STEP_ROWS 500    /* rows per step: a few ms of SQLite work */

struct daemon {
    uv_loop_t loop;
    uv_signal_t sig_term;
    uv_signal_t sig_int;
    uv_signal_t sig_hup;
    uv_check_t commit;     /* the group commit, after each iteration's I/O callbacks */
    uv_timer_t watchdog;   /* WATCHDOG=1 at half of WATCHDOG_USEC */
    uv_timer_t retention;  /* store_prune() in small steps */
    unsigned handles_init; /* how many of the handles above are initialised */
    bool handles_closed;   /* uv_close() was called on them */
    const char *config_path;
    struct config cfg;  /* the configuration in force */
    struct config next; /* a reload is parsed here, so a bad file leaves cfg untouched */
    struct store *store;
    struct ingest_coap *coap;
    struct ingest_lora *lora;
    struct poststore *post; /* what follows a stored frame: fusion, alerts, MQTT */
    struct checkpointer *checkpointer;
    struct durability *durability; /* commit generations, the WAL sync */
    bool stopping;
    int exit_status;
    uint64_t pruned; /* rows deleted in the current retention round */
    struct log_limit prune_limit;
    struct runas user; /* [gateway] user, when started as root */
};

static void usage(FILE *out)
{
    (void)fputs("usage: tinyfleetd [-c FILE] [--check] [-v]\n"
                "\n"
                "  -c, --config FILE  configuration (default " CONFIG_DEFAULT_PATH ")\n"
                "      --check        check the configuration, print \"config ok\" or the\n"
                "                     error, and exit 0 or 1 without starting\n"
                "  -v, --verbose      log debug messages too\n"
                "  -h, --help         this text\n"
                "      --version      print \"tinyfleetd VERSION\" and exit (alone)\n"
                "\n"
                "Runs in the foreground and logs to stderr with syslog priority prefixes.\n"
                "SIGHUP reloads classes, zones, rules, health and retention settings;\n"
                "SIGTERM or SIGINT commits what was received and exits 0.\n",
                out);
}

static const char *or_off(const char *addr)
{
    return addr[0] != '\0' ? addr : "off";
}

/* Acknowledgements of commits up to @gen leave now. */
static void on_durable(void *arg, uint64_t gen)
{
    struct daemon *d = arg;

    ingest_coap_durable(d->coap, gen);
    ingest_lora_durable(d->lora, gen);
}

static void begin_stop(struct daemon *d, const char *why);

static void on_sync_failed(void *arg)
{
    struct daemon *d = arg;

    d->exit_status = EXIT_FAILURE;
    begin_stop(d, "WAL sync failure");
}

/*
 * The group commit. A bearer may have written to the batch in any callback of this
 * iteration; flushing here, telling both bearers the result, and releasing what is durable
 * is what lets them send 2.04 / PUSH_ACK for exactly what is durable. They are told even
 * when nothing was pending: then what they hold belongs to the last commit. Fusion's
 * alerts and events are published at the commit, before the sync: a machine crash in
 * between can lose a transition a subscriber saw, and the frame behind it, unacknowledged,
 * is sent again and makes it anew (QoS 1 subscribers see duplicates anyway).
 */
static int group_commit(struct daemon *d)
{
    uint64_t gen = 0;
    int rc = durability_commit(d->durability, &gen);

    ingest_coap_committed(d->coap, rc, gen);
    ingest_lora_committed(d->lora, rc, gen);
    if (d->post != NULL) {
        poststore_committed(d->post, rc);
    }
    durability_release(d->durability);
    return rc;
}

static void on_check(uv_check_t *h)
{
    struct daemon *d = h->data;

    if (group_commit(d) == -ESTALE) {
        log_error("%s; exiting so that a restart opens the database anew", store_errmsg(d->store));
        begin_stop(d, "database file gone");
        d->exit_status = EXIT_FAILURE;
    }
}

static void close_handles(struct daemon *d)
{
    uv_handle_t *const handles[] = {
        (uv_handle_t *)&d->sig_term, (uv_handle_t *)&d->sig_int,  (uv_handle_t *)&d->sig_hup,
        (uv_handle_t *)&d->commit,   (uv_handle_t *)&d->watchdog, (uv_handle_t *)&d->retention,
    };
    unsigned i;

    if (d->handles_closed) {
        return;
    }
    d->handles_closed = true;
    /* The handles live inside struct daemon, which main() frees after the loop has run the
     * close callbacks; nothing to release per handle. */
    for (i = 0; i < d->handles_init; i++) {
        uv_close(handles[i], NULL);
    }
}

static void stop_bearers(struct daemon *d)
{
    /* Their memory goes in their close callbacks: the loop must run once more. */
    if (d->coap != NULL) {
        ingest_coap_stop(d->coap);
        d->coap = NULL;
    }
    if (d->lora != NULL) {
        ingest_lora_stop(d->lora);
        d->lora = NULL;
    }
}

static void begin_stop(struct daemon *d, const char *why)
{
    if (d->stopping) {
        return;
    }
    d->stopping = true;
    log_info("%s: stopping", why);
    (void)notify_stopping();
    /* Commit, sync and answer what was received, then take no more input: nothing runs
     * between these calls, so no frame arrives after the last commit. */
    if (group_commit(d) < 0) {
        log_error("the last commit failed; its frames were refused");
        d->exit_status = EXIT_FAILURE;
    }
    if (durability_sync_now(d->durability) < 0) {
        d->exit_status = EXIT_FAILURE;
    }
    stop_bearers(d);
    poststore_stop(d->post);
    d->post = NULL;
    checkpointer_stop(d->checkpointer);
    d->checkpointer = NULL;
    durability_stop(d->durability);
    d->durability = NULL;
    (void)log_limit_flush(&d->prune_limit, 0, true);
    close_handles(d);
}

static void on_watchdog(uv_timer_t *t)
{
    (void)t;
    (void)notify_watchdog();
}

/* One step of pruning per callback: a big backlog goes in 500-row bites with the loop
 * serving I/O between them, instead of one long transaction that stalls ingest. */
static void on_retention(uv_timer_t *t)
{
    struct daemon *d = t->data;
    uint64_t next = RETENTION_PERIOD_MS;
    int n;

    if (d->cfg.storage.retention_days > 0) {
        /* store_prune() runs its own transaction, so the open batch is committed first
         * (and its acknowledgements released). */
        (void)group_commit(d);
        n = store_prune_retention(d->store, rfc3339_now_ms(), d->cfg.storage.retention_days,
                                  RETENTION_STEP_ROWS);
        if (n < 0) {
            (void)log_limited(&d->prune_limit, LOG_ERR, "pruning old events failed: %s",
                              store_errmsg(d->store));
            d->pruned = 0;
        } else if (n > 0) {
            d->pruned += (uint64_t)n;
            next = RETENTION_STEP_MS;
        } else if (d->pruned > 0) {
            log_info("retention: deleted %" PRIu64 " events older than %u days", d->pruned,
                     d->cfg.storage.retention_days);
            d->pruned = 0;
        }
    }
    (void)uv_timer_start(t, on_retention, next, 0);
}

/* A live reload changes what the loop reads on each event; what was bound or opened at
 * start (sockets, the database, the MQTT session) stays until a restart. A section of the
 * latter kind that differs is named key by key in @list. */
static void note_restart(const char *section, const void *running, const void *next, size_t size,
                         char *list, size_t cap)
{
    if (memcmp(running, next, size) != 0) {
        (void)config_changed_keys(section, running, next, list, cap);
    }
}

static void apply_reload(struct daemon *d)
{
    struct config *c = &d->cfg;
    const struct config *n = &d->next;
    struct config_gateway gateway = n->gateway;
    struct config_storage storage = n->storage;
    char restart[512] = "";
    unsigned classes = 0;
    unsigned i;

    /* devaddr_range is the CLI's (provisioning); retention_days is applied live, below. */
    gateway.devaddr_range = c->gateway.devaddr_range;
    storage.retention_days = c->storage.retention_days;
    note_restart("gateway", &c->gateway, &gateway, sizeof(gateway), restart, sizeof(restart));
    note_restart("storage", &c->storage, &storage, sizeof(storage), restart, sizeof(restart));
    note_restart("coap", &c->coap, &n->coap, sizeof(n->coap), restart, sizeof(restart));
    note_restart("lora", &c->lora, &n->lora, sizeof(n->lora), restart, sizeof(restart));
    note_restart("mqtt", &c->mqtt, &n->mqtt, sizeof(n->mqtt), restart, sizeof(restart));
    note_restart("alertmanager", &c->alertmanager, &n->alertmanager, sizeof(n->alertmanager),
                 restart, sizeof(restart));
    if (restart[0] != '\0') {
        log_warning("reload: changes to %s take effect only after a restart", restart);
    }

    /* Read through pointers by the post-store stage: swapped whole, then handed to fusion. */
    c->fusion = n->fusion;
    if (c->storage.retention_days != n->storage.retention_days) {
        c->storage.retention_days = n->storage.retention_days;
        /* A shorter retention should not wait a whole period to take effect. */
        if (!d->stopping) {
            (void)uv_timer_start(&d->retention, on_retention, RETENTION_FIRST_MS, 0);
        }
    }
    for (i = 0; i < CONFIG_CLASS_MAX; i++) {
        classes += c->fusion.class_names[i][0] != '\0';
    }
    if (d->post != NULL) {
        poststore_reload(d->post);
    }
    log_info("reloaded %s: %u classes, %u zones, %u rules, retention %u days", d->config_path,
             classes, c->fusion.zone_count, c->fusion.rule_count, c->storage.retention_days);
}

static void reload(struct daemon *d)
{
    char err[CONFIG_ERR_LEN];
    int rc;

    (void)notify_reloading();
    log_info("SIGHUP: reloading %s", d->config_path);
    rc = config_load(d->config_path, &d->next, err, sizeof(err));
    if (rc < 0) {
        log_error("reload failed, keeping the running configuration: %s", err);
        (void)notify_sendf("READY=1\nSTATUS=running; the last reload failed: %s", err);
        return;
    }
    apply_reload(d);
    (void)notify_ready("running; configuration reloaded");
}

static void on_signal(uv_signal_t *h, int signum)
{
    struct daemon *d = h->data;

    if (signum == SIGHUP) {
        reload(d);
    } else {
        begin_stop(d, signum == SIGTERM ? "SIGTERM" : "SIGINT");
    }
}

static int init_handles(struct daemon *d)
{
    int rc;

    rc = uv_signal_init(&d->loop, &d->sig_term);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    rc = uv_signal_init(&d->loop, &d->sig_int);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    rc = uv_signal_init(&d->loop, &d->sig_hup);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    rc = uv_check_init(&d->loop, &d->commit);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    rc = uv_timer_init(&d->loop, &d->watchdog);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    rc = uv_timer_init(&d->loop, &d->retention);
    if (rc < 0) {
        return rc;
    }
    d->handles_init++;
    d->sig_term.data = d;
    d->sig_int.data = d;
    d->sig_hup.data = d;
    d->commit.data = d;
    d->watchdog.data = d;
    d->retention.data = d;
    return 0;
}

static int start_handles(struct daemon *d)
{
    uint64_t wd_usec = notify_watchdog_usec();
    int rc;

    rc = uv_signal_start(&d->sig_term, on_signal, SIGTERM);
    if (rc == 0) {
        rc = uv_signal_start(&d->sig_int, on_signal, SIGINT);
    }
    if (rc == 0) {
        rc = uv_signal_start(&d->sig_hup, on_signal, SIGHUP);
    }
    if (rc == 0) {
        rc = uv_check_start(&d->commit, on_check);
    }
    if (rc == 0) {
        rc = uv_timer_start(&d->retention, on_retention, RETENTION_FIRST_MS, 0);
    }
    if (rc == 0 && wd_usec > 0) {
        uint64_t ms = wd_usec / 2000u;

        rc = uv_timer_start(&d->watchdog, on_watchdog, ms > 0 ? ms : 1, ms > 0 ? ms : 1);
        if (rc == 0) {
            log_info("systemd watchdog: %" PRIu64 " ms, pinging every %" PRIu64 " ms",
                     wd_usec / 1000u, ms > 0 ? ms : 1);
        }
    }
    return rc;
}

static int start_bearers(struct daemon *d)
{
    int rc;

    if (d->cfg.coap.listen[0] != '\0' || d->cfg.coap.dtls_listen[0] != '\0') {
        rc = ingest_coap_start(&d->loop, d->store, d->post, &d->cfg.coap, &d->coap);
        if (rc < 0) {
            log_error("cannot start CoAP ingest on %s (DTLS %s): %s", or_off(d->cfg.coap.listen),
                      or_off(d->cfg.coap.dtls_listen), strerror(-rc));
            return rc;
        }
    }
    if (d->cfg.lora.listen[0] != '\0') {
        rc = ingest_lora_start(&d->loop, d->store, d->post, &d->cfg.lora, &d->lora);
        if (rc < 0) {
            log_error("cannot start LoRa ingest on %s: %s", d->cfg.lora.listen, strerror(-rc));
            return rc;
        }
    }
    if (d->coap == NULL && d->lora == NULL) {
        log_warning("no listener enabled ([coap] listen, dtls_listen and [lora] listen are "
                    "empty): nothing will be received");
    }
    return 0;
}

/*
 * [gateway] user, then the database. Started as root with a user set, the database is opened
 * with the user's effective ids (files SQLite creates are the user's); either way the daemon
 * refuses a database it could open but not write (SQLite would open it read-only, and every
 * frame would then be refused with 5.03).
 */
static int open_store_as_user(struct daemon *d, char *err, size_t cap)
{
    const char *path = d->cfg.storage.path;
    char note[256];
    int rc;

    rc = runas_init(d->cfg.gateway.user, &d->user, note, sizeof(note), err, cap);
    if (rc < 0) {
        log_error("%s: [gateway] user: %s", d->config_path, err);
        return rc;
    }
    if (note[0] != '\0') {
        log_warning("%s", note);
    }
    rc = runas_enter(&d->user);
    if (rc < 0) {
        log_error("cannot act as user %s: %s", d->user.name, strerror(-rc));
        return rc;
    }
    rc = runas_check_db(path, err, cap);
    if (rc < 0) {
        log_error("%s", err);
    } else {
        rc = store_open(path, durability_store_synchronous(d->cfg.storage.synchronous), &d->store,
                        err, cap);
        if (rc < 0) {
            log_error("cannot open the database %s: %s", path, err);
        }
    }
    if (runas_leave(&d->user) < 0) {
        log_error("cannot take back root's ids after opening the database");
        rc = rc < 0 ? rc : -EPERM;
    }
    return rc;
}

static void report_handle(uv_handle_t *h, void *arg)
{
    (void)arg;
    log_error("a %s handle is still open at exit", uv_handle_type_name(uv_handle_get_type(h)));
}

static int run(struct daemon *d)
{
    char err[CONFIG_ERR_LEN];
    bool loop_ok = false;
    int rc;

    d->exit_status = EXIT_FAILURE;
    log_limit_init(&d->prune_limit, "pruning failures", 1, 600000);
    rc = config_load(d->config_path, &d->cfg, err, sizeof(err));
    if (rc == 0) {
        rc = config_check_files(d->config_path, &d->cfg, err, sizeof(err));
    }
    if (rc < 0) {
        log_error("%s", err);
        return EXIT_FAILURE;
    }
    /* A peer closing a TCP connection (the MQTT broker) must be an error code, not death. */
    (void)signal(SIGPIPE, SIG_IGN);
    rc = uv_loop_init(&d->loop);
    if (rc < 0) {
        log_error("cannot create the event loop: %s", uv_strerror(rc));
        return EXIT_FAILURE;
    }
    loop_ok = true;
    rc = init_handles(d);
    if (rc < 0) {
        log_error("cannot create loop handles: %s", uv_strerror(rc));
        goto out;
    }
    rc = open_store_as_user(d, err, sizeof(err));
    if (rc < 0) {
        goto out;
    }
    rc = store_daemon_mode(d->store);
    if (rc < 0) {
        log_error("cannot set up the database %s: %s", d->cfg.storage.path, store_errmsg(d->store));
        goto out;
    }
    rc = checkpointer_start(&d->loop, d->store, STORE_CHECKPOINT_PAGES, &d->checkpointer);
    if (rc < 0) {
        log_error("out of memory");
        goto out;
    }
    rc = durability_start(&d->loop, d->store, d->cfg.storage.synchronous, on_durable,
                          on_sync_failed, d, &d->durability);
    if (rc == -ENOMEM) {
        log_error("out of memory");
        goto out;
    }
    if (rc < 0) {
        log_error("cannot open the WAL of %s: %s", d->cfg.storage.path, store_errmsg(d->store));
        goto out;
    }
    /* Before the bearers: the first frame stored already feeds fusion. */
    rc = poststore_start(&d->loop, &d->cfg.fusion, &d->cfg.mqtt, &d->cfg.alertmanager, &d->cfg.web,
                         &d->cfg.gateway, d->store, &d->post);
    if (rc < 0) {
        log_error("cannot start alert fusion and MQTT: %s",
                  rc == -EIO ? store_errmsg(d->store) : strerror(-rc));
        goto out;
    }
    rc = start_bearers(d);
    if (rc < 0) {
        goto out;
    }
    /* Sockets bound (as root, so a port below 1024 works), files open: root is not needed
     * any more. */
    rc = runas_drop(&d->user);
    if (rc < 0) {
        log_error("cannot become user %s: %s", d->user.name, strerror(-rc));
        goto out;
    }
    if (d->user.active) {
        log_info("running as user %s (uid %u, gid %u)", d->user.name, (unsigned)d->user.uid,
                 (unsigned)d->user.gid);
    }
    rc = start_handles(d);
    if (rc < 0) {
        log_error("cannot start loop handles: %s", uv_strerror(rc));
        goto out;
    }
    log_info("listening coap=%s coap_dtls=%s lora=%s db=%s", or_off(d->cfg.coap.listen),
             or_off(d->cfg.coap.dtls_listen), or_off(d->cfg.lora.listen), d->cfg.storage.path);
    (void)notify_sendf("READY=1\nSTATUS=listening coap=%s coap_dtls=%s lora=%s",
                       or_off(d->cfg.coap.listen), or_off(d->cfg.coap.dtls_listen),
                       or_off(d->cfg.lora.listen));
    d->exit_status = EXIT_SUCCESS;
    (void)uv_run(&d->loop, UV_RUN_DEFAULT);
out:
    if (!d->stopping) {
        /* A start that failed half-way: nothing was received, so nothing to commit. */
        d->exit_status = EXIT_FAILURE;
        stop_bearers(d);
        poststore_stop(d->post);
        d->post = NULL;
        checkpointer_stop(d->checkpointer);
        d->checkpointer = NULL;
        durability_stop(d->durability);
        d->durability = NULL;
        close_handles(d);
    }
    if (loop_ok) {
        (void)uv_run(&d->loop, UV_RUN_DEFAULT);
    }
    store_close(d->store);
    d->store = NULL;
    if (loop_ok) {
        rc = uv_loop_close(&d->loop);
        if (rc < 0) {
            uv_walk(&d->loop, report_handle, NULL);
            d->exit_status = EXIT_FAILURE;
        }
    }
    if (d->exit_status == EXIT_SUCCESS) {
        log_info("stopped");
    }
    return d->exit_status;
}

static int check_config(const char *path)
{
    struct config *cfg = malloc(sizeof(*cfg));
    char err[CONFIG_ERR_LEN];
    int rc;

    if (cfg == NULL) {
        (void)fputs("tinyfleetd: out of memory\n", stderr);
        return EXIT_FAILURE;
    }
    rc = config_load(path, cfg, err, sizeof(err));
    if (rc == 0) {
        rc = config_check_files(path, cfg, err, sizeof(err));
    }
    free(cfg);
    if (rc < 0) {
        (void)fprintf(stderr, "%s\n", err);
        return EXIT_FAILURE;
    }
    (void)puts("config ok");
    return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}

int main(int argc, char **argv)
{
    enum { OPT_CHECK = 256 };
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"check", no_argument, NULL, OPT_CHECK},
        {"verbose", no_argument, NULL, 'v'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *path = CONFIG_DEFAULT_PATH;
    bool check = false;
    bool verbose = false;
    struct daemon *d;
    int status;
    int opt;

    if (argc == 2 && strcmp(argv[1], "--version") == 0) {
        (void)puts("tinyfleetd " TINYFLEET_VERSION);
        return fflush(stdout) == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
    }
    while ((opt = getopt_long(argc, argv, "c:vh", opts, NULL)) != -1) {
        switch (opt) {
        case 'c':
            path = optarg;
            break;
        case OPT_CHECK:
            check = true;
            break;
        case 'v':
            verbose = true;
            break;
        case 'h':
            usage(stdout);
            return EXIT_SUCCESS;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        (void)fprintf(stderr, "tinyfleetd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }
    if (check) {
        return check_config(path);
    }
    log_init("tinyfleetd", STDERR_FILENO, verbose ? LOG_DEBUG : LOG_INFO);
    /* libuv's worker threads run only the WAL sync and the checkpoint, one of each at a
     * time: two threads, not the default four, so a checkpoint never delays a sync. Read
     * at the first request; a value set by the user stands. */
    (void)setenv("UV_THREADPOOL_SIZE", "2", 0);
    /* Two copies of the config make this too big for comfort on the stack. */
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        log_error("out of memory");
        return EXIT_FAILURE;
    }
    d->config_path = path;
    status = run(d);
    free(d);
    return status;
}
