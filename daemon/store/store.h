/* SPDX-License-Identifier: MIT
 * The gateway's SQLite storage: node registry, reception metadata, events, gateway health,
 * counters. One file in WAL mode, shared by tinyfleetd and the tinyfleet CLI. Schema only
 * through migrations/ (embedded at build time, applied at open, PRAGMA user_version).
 *
 * Writes from the daemon are grouped: the first write opens a transaction (the batch),
 * store_flush() commits it. Nothing a write function touched may be acknowledged to a node
 * or forwarder before the store_flush() that holds it has returned 0 and, on a connection
 * opened with synchronous 1 whose caller syncs the WAL itself (store_wal_fd()), before that
 * sync has completed.
 * All functions: loop thread only (one connection, not shared between threads).
 */
#ifndef PROJ_DAEMON_STORE_STORE_H
#define PROJ_DAEMON_STORE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "proto/command.h"
#include "proto/frame.h"
#include "proto/tfp.h"

#if defined(__GNUC__)
#define STORE_MUST_CHECK __attribute__((warn_unused_result))
#else
#define STORE_MUST_CHECK
#endif

struct store;

/* WAL size, in pages, at which a checkpoint starts (SQLite's wal_autocheckpoint, or the
 * daemon's checkpoint.h). A checkpoint copies every page the WAL holds into the database
 * file; between two of them the daemon rewrites the same hot pages (the last leaf of each
 * table, the node rows, the leaves of frames (devaddr, fcnt)) at every commit, so a bigger
 * WAL lets more of those versions collapse into one copy: with 1,000 nodes, 4,000 pages
 * instead of SQLite's default 1,000 wrote 3.4 kB instead of 4.4 kB and read 1.9 kB instead
 * of 2.9 kB per frame (median of three runs of 200,000 frames). In the daemon each
 * checkpoint also ends with a short one on the loop thread (checkpoint.c), two fsyncs, 2 to
 * 3 ms under load: 16,000 pages make that once every 3 s at 1,000 frames/s instead of
 * every 0.7 s (make bench-alert). The WAL file grows to about 64 MB. */
#define STORE_CHECKPOINT_PAGES 16000

enum store_bearer { STORE_BEARER_COAP = 0, STORE_BEARER_LORA = 1, STORE_BEARER_COUNT };

/* Why a frame or datagram was accepted or refused; the `stats` counters are keyed by these. */
enum store_reason {
    STORE_ACCEPTED = 0,   /* stored as an event (detection, health, anomaly or raw) */
    STORE_DUPLICATE,      /* same frame from another forwarder inside the dedup window */
    STORE_MALFORMED,      /* not a LoRaWAN data-up frame (proto_frame_parse failed) */
    STORE_UNKNOWN_NODE,   /* DevAddr not in the registry */
    STORE_BAD_MIC,        /* MIC does not verify with the node's NwkSKey */
    STORE_REPLAY,         /* counter not above the last accepted (or beyond the max gap) */
    STORE_BAD_PAYLOAD,    /* known FPort and version, but the TFP payload does not decode */
    STORE_BAD_DATAGRAM,   /* forwarder datagram: oversized, bad JSON/base64, wrong version */
    STORE_STORAGE_FAILED, /* accepted by the checks but the database write failed */
    STORE_REASON_COUNT
};

/* Stable lower-case names used in logs, `tinyfleet stats` and its JSON. */
const char *store_bearer_name(enum store_bearer b);
const char *store_reason_name(enum store_reason r);

struct store_node {
    uint32_t devaddr;               /* as written on the device */
    char name[64];                  /* operator's name, may be empty */
    char profile[32];               /* elephant, whale, turbine, ... may be empty */
    bool has_position;              /* lat/lon valid */
    double lat;                     /* degrees, WGS84 */
    double lon;                     /* degrees, WGS84 */
    char zone[64];                  /* zone name from the config, may be empty */
    uint8_t nwkskey[PROTO_AES_KEY]; /* MIC key */
    uint8_t appskey[PROTO_AES_KEY]; /* FRMPayload key */
    bool has_fcnt;                  /* false until the first frame is accepted */
    uint32_t last_fcnt;             /* last accepted 32-bit uplink counter */
    uint32_t session;               /* joins activated (migrations/0009); frames are unique per
                                     * session; store_node_auth() only */
    int64_t last_seen_ms;           /* Unix ms of the last accepted frame, 0 = never */
    int32_t battery_mv;             /* from the last health message, -1 = unknown */
    int64_t created_ms;             /* Unix ms of `node add` */
    bool otaa;                      /* joins over the air (migrations/0008_otaa.sql) */
    uint64_t deveui;                /* OTAA: as written on the device */
    uint64_t joineui;               /* OTAA */
    uint8_t appkey[PROTO_AES_KEY];  /* OTAA root key; store_node_add() only, never read back */
    uint8_t learn;           /* last health: enum proto_tfp_learn (0: not learning, unknown) */
    uint8_t learn_progress;  /* ... learning: 0..100 % done */
    uint8_t learn_threshold; /* ... ready: the learned threshold */
};

/* Reception metadata of one copy of a frame. */
struct store_rx {
    enum store_bearer bearer;
    char gateway[40]; /* forwarder EUI as 16 hex digits, or the CoAP peer "ip:port" */
    int64_t time_ms;  /* Unix ms when the gateway received it */
    bool has_radio;   /* the fields below are valid (LoRa only) */
    int32_t rssi_dbm;
    double snr_db;
    uint32_t freq_hz;
    char datr[16]; /* data rate, e.g. "SF7BW125" */
};

/* One accepted frame, ready to be stored. */
struct store_uplink {
    uint32_t devaddr;
    uint32_t session; /* the node's session (store_node.session), part of the frame's key */
    uint32_t fcnt;    /* reconstructed 32-bit counter */
    uint8_t fport;
    bool confirmed;
    const uint8_t *payload; /* decrypted FRMPayload, @payload_len bytes */
    size_t payload_len;
    const struct proto_tfp_msg
        *msg;                  /* decoded message, or NULL: stored raw (unknown FPort or version) */
    const struct store_rx *rx; /* the first copy's reception */
};

/*
 * store_open() - open (creating if needed) the database at @path and apply the embedded
 * migrations in order. Sets WAL mode, a busy timeout, foreign keys, and @synchronous
 * (0 OFF, 1 NORMAL, 2 FULL).
 * @out: receives the handle.  @err: receives a message for the operator on failure.
 * Migrations are applied one per transaction, each with its user_version; a process that
 * finds the schema current takes no write lock, so the CLI can open while the daemon writes.
 * Waits up to 5 s for another connection's write lock (busy timeout), here and in every call.
 * The first call in a process turns SQLite's memory statistics off (SQLITE_CONFIG_MEMSTATUS:
 * sqlite3_memory_used() then reads 0), which takes a global mutex off every allocation.
 * Return: 0; -EPROTO when the database's user_version is newer than this binary knows
 * (the message says so and names both versions); -EINVAL for @synchronous outside 0..2;
 * -ENOMEM; -EIO for SQLite errors (a file that is not a database, a failed migration).
 */
STORE_MUST_CHECK int store_open(const char *path, int synchronous, struct store **out, char *err,
                                size_t err_len);

/*
 * store_open_existing() - store_open() for a database that must already exist: the CLI's
 * read verbs use it so that a mistyped path is an error, not a new empty database.
 * Return: as store_open(), and -ENOENT (or the errno of the failed open, e.g. -EACCES)
 * when @path cannot be opened; nothing is created then.
 */
STORE_MUST_CHECK int store_open_existing(const char *path, int synchronous, struct store **out,
                                         char *err, size_t err_len);

/* store_close() - flush a pending batch, finalise statements, close. NULL is a no-op.
 * A flush that fails here rolls the batch back, as store_flush() does. */
void store_close(struct store *s);

/* store_daemon_mode() - set @s up for the daemon's ingest: foreign keys off on this connection
 * (they hold by construction, see store.c) and node reads open the batch, so a node read and
 * the frame written for it share one write transaction. One process at a time has a database
 * in daemon mode: it holds an exclusive flock(2) on the file until store_close() (the CLI,
 * which does not call this, opens the file as usual). From here on each store_flush() checks
 * that the path still names the file written (store_flush()). Call right after store_open(),
 * loop thread. Return: 0; -EBUSY while a batch is open; -EAGAIN when another process holds
 * the database in daemon mode (store_errmsg() names its pid); -EIO; another -errno when the
 * file cannot be opened for the lock. */
STORE_MUST_CHECK int store_daemon_mode(struct store *s);

/*
 * store_wal_fd() - a descriptor of the database's WAL file, for a caller that makes commits
 * durable itself. With synchronous 1 (normal) a commit returns once its pages are in the WAL
 * file, which survives a crash of the process but not of the machine; an fdatasync() of this
 * descriptor started after store_flush() returned makes that commit durable, as synchronous 2
 * (full) would have inside the commit. Opened at the first call, closed by store_close().
 * Return: the descriptor, or a negative errno (the message in store_errmsg()).
 */
STORE_MUST_CHECK int store_wal_fd(struct store *s);

/* store_errmsg() - SQLite's text for the last failure on @s ("" if none yet); valid until
 * the next failure on @s. */
const char *store_errmsg(const struct store *s);

/* store_schema_version() - PRAGMA user_version after migration; the binary's own count is
 * store_schema_latest() (the number of embedded migrations). */
int store_schema_version(struct store *s);
int store_schema_latest(void);

/* ---- node registry (daemon and CLI) ---- */

/* Return: 0, -EEXIST when the DevAddr (or an OTAA node's DevEUI) is registered, -EINVAL for a value
 * the schema refuses (latitude beyond +-90, longitude beyond +-180), -EBUSY while a batch is open,
 * -EIO. Writes in its own transaction. */
STORE_MUST_CHECK int store_node_add(struct store *s, const struct store_node *n);
/* Return: 0, -ENOENT, -EIO. Sees the open batch's writes (same connection). */
STORE_MUST_CHECK int store_node_get(struct store *s, uint32_t devaddr, struct store_node *out);
/* store_node_auth() - store_node_get() for the frame check: fills devaddr, nwkskey, appskey,
 * has_fcnt and last_fcnt of @out (the rest unspecified). In daemon mode from a cache kept
 * current with PRAGMA data_version (store_node.c). Return: as store_node_get(). */
STORE_MUST_CHECK int store_node_auth(struct store *s, uint32_t devaddr, struct store_node *out);
/* store_node_place() - what fusion needs of a node: fills only devaddr, has_position, lat, lon
 * and zone of @out (the rest zero); in daemon mode from the same cache as store_node_auth().
 * Return: as store_node_get(). */
STORE_MUST_CHECK int store_node_place(struct store *s, uint32_t devaddr, struct store_node *out);
/* store_node_update() - set the name, profile, position (has_position, lat, lon) and zone of
 * the registered node @n->devaddr to those of @n; its keys, counter, last_seen and battery
 * stay. Writes in its own transaction; a daemon's node cache sees it at its next batch
 * (PRAGMA data_version, store_cache.c).
 * Return: 0, -ENOENT (no such node), -EINVAL for a value the schema refuses, -EBUSY while a
 * batch is open, -EIO. */
STORE_MUST_CHECK int store_node_update(struct store *s, const struct store_node *n);
/* store_node_last_rx() - the first reception of @devaddr's newest frame (highest counter):
 * bearer, gateway (forwarder EUI or CoAP peer), time_ms and, for LoRa, the radio fields.
 * Return: 0, -ENOENT (no frame stored), -ENOMEM, -EIO. */
STORE_MUST_CHECK int store_node_last_rx(struct store *s, uint32_t devaddr, struct store_rx *out);
/* Return: 0, -ENOENT, -EBUSY while a batch is open, -EIO. Also deletes the node's frames,
 * events and receptions, in the same transaction. */
STORE_MUST_CHECK int store_node_remove(struct store *s, uint32_t devaddr);
/* Calls @cb for each node in DevAddr order; a non-zero return from @cb stops and is returned.
 * Return: 0, @cb's value, -EBUSY (called from its own callback), -EIO. */
typedef int (*store_node_cb)(const struct store_node *n, void *arg);
STORE_MUST_CHECK int store_node_foreach(struct store *s, store_node_cb cb, void *arg);

/* ---- over-the-air activation (migrations/0008_otaa.sql) ---- */

/* What the join check needs of an OTAA node. */
struct store_join_device {
    uint32_t devaddr; /* handed out at `node add --otaa`, kept across joins */
    uint64_t joineui;
    uint8_t appkey[PROTO_AES_KEY];
    uint32_t join_nonce; /* the last JoinNonce sent, 0 before the first */
};

/* store_join_device() - the OTAA node with DevEUI @deveui. Return: 0, -ENOENT, -EIO. */
STORE_MUST_CHECK int store_join_device(struct store *s, uint64_t deveui,
                                       struct store_join_device *out);
/* store_join_devnonce_used() - Return: 1 if @devaddr joined with @devnonce before, 0 if
 * not, -EIO. */
STORE_MUST_CHECK int store_join_devnonce_used(struct store *s, uint32_t devaddr, uint16_t devnonce);
/* store_join_accept() - in the batch: remember @devnonce, move the node's JoinNonce to
 * @join_nonce and keep the session it opens as pending (the node's current keys stay).
 * Return: 0, -EEXIST (DevNonce used), -EIO. */
STORE_MUST_CHECK int store_join_accept(struct store *s, uint32_t devaddr, uint16_t devnonce,
                                       uint32_t join_nonce, const uint8_t nwkskey[PROTO_AES_KEY],
                                       const uint8_t appskey[PROTO_AES_KEY], int64_t now_ms);
/* store_join_pending() - the pending session's keys of @devaddr. Return: 0, -ENOENT, -EIO. */
STORE_MUST_CHECK int store_join_pending(struct store *s, uint32_t devaddr,
                                        uint8_t nwkskey[PROTO_AES_KEY],
                                        uint8_t appskey[PROTO_AES_KEY]);
/* store_join_activate() - in the batch: the pending session becomes the node's, both frame
 * counters start again at 0. Return: 0, -ENOENT (none pending), -EIO. */
STORE_MUST_CHECK int store_join_activate(struct store *s, uint32_t devaddr);

/* ---- downlinks: FCntDown and the command queue (migrations/0007_downlink.sql) ---- */

enum store_cmd_state {
    STORE_CMD_QUEUED = 0,   /* not sent yet */
    STORE_CMD_SENT,         /* in a downlink (tries times), no answer yet */
    STORE_CMD_ACKNOWLEDGED, /* the node applied it */
    STORE_CMD_FAILED,       /* the node refused it (status says why), or tries ran out */
    STORE_CMD_EXPIRED,      /* not answered before expires_ms */
    STORE_CMD_STATE_COUNT
};

/* "queued", "sent", "acknowledged", "failed", "expired"; NULL for other values. */
const char *store_cmd_state_name(enum store_cmd_state st);

struct store_command {
    int64_t id; /* its 16 low bits are the sequence number the node sees */
    uint32_t devaddr;
    uint8_t op;                         /* enum proto_cmd_op */
    uint8_t payload[PROTO_CMD_MAX_LEN]; /* the FPort 10 FRMPayload, seq included */
    size_t payload_len;
    enum store_cmd_state state;
    char status[24]; /* the node's answer (proto_cmd_status_name()), "" until one came */
    int tries;       /* downlinks that carried it */
    int64_t created_ms;
    int64_t changed_ms;
    int64_t expires_ms;
};

/*
 * store_command_add() - queue @cmd for @devaddr, in its own transaction (the CLI's write).
 * The sequence number is the new row's id mod 2^16 (cmd->seq is ignored).
 * @ttl_ms: the command expires this long after @now_ms.  @out: the row as stored, or NULL.
 * Return: 0; -ENOENT (no such node); -EINVAL (a command proto_cmd_encode() refuses);
 * -EBUSY while a batch is open; -EIO.
 */
STORE_MUST_CHECK int store_command_add(struct store *s, uint32_t devaddr,
                                       const struct proto_cmd *cmd, int64_t now_ms, int64_t ttl_ms,
                                       struct store_command *out);

/* store_command_add_published() - store_command_add(), and in the same transaction its state
 * "queued" as a retained outbox row on <@topic_prefix>/node/<DEVADDR>/command/<id> (the
 * JSON the daemon publishes for the later states), which the daemon's publisher sends with
 * its next messages. @topic_prefix NULL: as store_command_add(). Return: as it. */
STORE_MUST_CHECK int store_command_add_published(struct store *s, uint32_t devaddr,
                                                 const struct proto_cmd *cmd, int64_t now_ms,
                                                 int64_t ttl_ms, const char *topic_prefix,
                                                 struct store_command *out);

/* store_command_queue() - store_command_add() for the daemon: the row in the open batch (it
 * commits with the frame whose reception decided it), state "queued". The caller publishes
 * that state (poststore_command()). Return: 0 and @out; -ENOENT (no such node); -EINVAL;
 * -ENOMEM; -EIO. */
STORE_MUST_CHECK int store_command_queue(struct store *s, uint32_t devaddr,
                                         const struct proto_cmd *cmd, int64_t now_ms,
                                         int64_t ttl_ms, struct store_command *out);

/* store_command_pending() - @devaddr's oldest queued or sent command. Sees the open batch.
 * Return: 0, -ENOENT (none), -EIO. */
STORE_MUST_CHECK int store_command_pending(struct store *s, uint32_t devaddr,
                                           struct store_command *out);

/* store_command_by_seq() - the newest queued or sent command of @devaddr whose id ends in the
 * 16 bits @seq: the one a node's answer refers to. Return: 0, -ENOENT (none), -EIO. */
STORE_MUST_CHECK int store_command_by_seq(struct store *s, uint32_t devaddr, uint16_t seq,
                                          struct store_command *out);

/* store_command_set() - move command @id to @state, in the batch; @status the node's answer
 * (NULL: unchanged); tries grows by one when @state is STORE_CMD_SENT.
 * Return: 0, -ENOENT (no such command), -EINVAL (@state out of range), -EIO. */
STORE_MUST_CHECK int store_command_set(struct store *s, int64_t id, enum store_cmd_state state,
                                       const char *status, int64_t now_ms);

/* Calls @cb for each command, of one node (@devaddr non-NULL) or all, in id order (the order
 * they were queued). Return: 0, @cb's value, -EBUSY (nested), -EIO. */
typedef int (*store_command_cb)(const struct store_command *c, void *arg);
STORE_MUST_CHECK int store_commands_foreach(struct store *s, const uint32_t *devaddr,
                                            store_command_cb cb, void *arg);

/*
 * store_fcnt_down_take() - the next FCntDown of @devaddr, and the stored one moved past it, in
 * the batch: a counter handed out is never handed out again once the batch commits.
 * Return: 0; -ENOENT (no such node); -ERANGE when all 2^32 counters are used (the node needs
 * new keys); -EIO.
 */
STORE_MUST_CHECK int store_fcnt_down_take(struct store *s, uint32_t devaddr, uint32_t *out);

/* Downlink outcomes, counted like store_count() (written with the next store_flush()) and shown
 * by `tinyfleet stats` under the bearer "downlink". */
enum store_dl {
    STORE_DL_RX1 = 0,  /* PULL_RESP sent for RX1 */
    STORE_DL_RX2,      /* PULL_RESP sent for RX2 (first choice, or after an RX1 error) */
    STORE_DL_COAP,     /* a downlink in the payload of a CoAP 2.04 */
    STORE_DL_TX_OK,    /* TX_ACK without error */
    STORE_DL_TOO_LATE, /* TX_ACK errors, PROTOCOL.TXT section 6 */
    STORE_DL_TOO_EARLY,
    STORE_DL_COLLISION_PACKET,
    STORE_DL_COLLISION_BEACON,
    STORE_DL_TX_FREQ,
    STORE_DL_TX_POWER,
    STORE_DL_GPS_UNLOCKED,
    STORE_DL_TX_OTHER,        /* a TX_ACK error string not in that list */
    STORE_DL_NO_TX_ACK,       /* no TX_ACK came before the window was over */
    STORE_DL_NO_WINDOW,       /* both windows were too close when the downlink was ready */
    STORE_DL_DUTY_CYCLE,      /* the forwarder's sub-band had used its hour's airtime */
    STORE_DL_NO_ROUTE,        /* the forwarder never sent PULL_DATA */
    STORE_DL_RETRANSMISSION,  /* a confirmed frame already stored, acknowledged again */
    STORE_DL_RETRANS_REFUSED, /* ... repeated more than a node would: not acknowledged */
    STORE_DL_JOIN_ACCEPT,     /* a JoinAccept planned for a join window */
    STORE_DL_JOIN_UNKNOWN,    /* JoinRequest refused: DevEUI (or its JoinEUI) not registered */
    STORE_DL_JOIN_BAD_MIC,    /* JoinRequest refused: MIC does not verify with the AppKey */
    STORE_DL_JOIN_DEVNONCE,   /* JoinRequest refused: DevNonce used before (replay) */
    STORE_DL_JOIN_ACTIVATED,  /* first frame of a joined session: its keys replaced the old */
    STORE_DL_ADR,             /* a data rate change (duty command) queued from the link margin */
    STORE_DL_COUNT
};

/* "rx1", "rx2", "coap", "tx_ok", "too_late", ...; NULL for other values. */
const char *store_dl_name(enum store_dl d);

/* store_count_downlink() - count one downlink outcome. Never fails. Loop thread. */
void store_count_downlink(struct store *s, enum store_dl d);

/* Downlink counters as last flushed: counts[STORE_DL_COUNT]. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_downlink_stats(struct store *s, uint64_t counts[STORE_DL_COUNT]);

/* ---- the ingest write path (daemon): all inside the open batch ---- */

/*
 * store_uplink() - store one accepted frame: its reception, its event(s) (one row per
 * detection record, or one health, anomaly or raw row), and the node's new last_fcnt,
 * last_seen and, for health, battery. Opens the batch if none is open.
 * @frame_id: out, the id later copies refer to (store_reception()).
 * The frame is stored whole or not at all (what was written of a refused frame is deleted
 * again inside the batch): a refused frame leaves the rest of the batch as it was, to be
 * committed by the next store_flush().
 * Return: 0; -EEXIST when (devaddr, fcnt) is already stored or fcnt is not above the node's
 * stored last_fcnt (UNIQUE(devaddr, fcnt) in the schema: the last defence against storing a
 * frame twice); -ENOENT when the node is no longer registered; -EINVAL for a message with
 * a port other than 1..3 or a detection count outside 1..8; -EIO for other SQLite errors.
 * Should SQLite have rolled back the whole transaction (I/O error, full disk), every write
 * fails with -EIO until store_flush() reports the loss with -EIO; so too after any other
 * -EIO (a damaged file), since what a statement wrote before failing cannot be undone row
 * by row.
 */
STORE_MUST_CHECK int store_uplink(struct store *s, const struct store_uplink *up,
                                  int64_t *frame_id);

/*
 * store_set_wal_hook() - have @hook called after each commit on this connection with the
 * number of pages the WAL holds. SQLite's automatic checkpoints on this connection stop:
 * the caller checkpoints (checkpoint.h). NULL removes the hook; checkpoints stay off.
 */
typedef void (*store_wal_hook)(void *arg, int wal_pages);
void store_set_wal_hook(struct store *s, store_wal_hook hook, void *arg);

/* store_wal_pages() - pages in the WAL after this connection's last commit, as the WAL hook
 * reported it (0 while no hook is set); fewer than before after SQLite restarted the WAL. */
int store_wal_pages(const struct store *s);

/* store_checkpoint() - a PASSIVE checkpoint on this connection, which may be inside @s's
 * WAL hook. Return: 0 (also when another connection checkpoints right now), -EIO. */
STORE_MUST_CHECK int store_checkpoint(struct store *s);

/* store_path() - the database file's absolute path, as SQLite resolved it. */
const char *store_path(const struct store *s);

/* store_reception() - add the reception metadata of a later copy of frame @frame_id, in the
 * batch. Return: 0, -ENOENT (no such frame), -EIO. */
STORE_MUST_CHECK int store_reception(struct store *s, int64_t frame_id, const struct store_rx *rx);

/* store_gateway_stat() - keep a forwarder's `stat` object (JSON text) as gateway health, in
 * the batch. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_gateway_stat(struct store *s, const char *gateway, int64_t time_ms,
                                        const char *stat_json);

/* store_count() - count one frame or datagram by bearer and reason; kept in memory and
 * written with the next store_flush(). Never fails; out-of-range values are ignored.
 * Count STORE_ACCEPTED in the batch that holds the frame (after its store_uplink(), before
 * the store_flush()): when that flush fails, the frames were not stored, so the batch's
 * accepted count is moved to storage_failed; no count is ever lost or counted twice. */
void store_count(struct store *s, enum store_bearer b, enum store_reason r);

/* store_pending() - true when a batch is open or counters wait to be written. */
bool store_pending(const struct store *s);

/*
 * store_flush() - commit the open batch (and the counters). When it returns 0, everything
 * written since the previous flush is durable to the degree `synchronous` gives.
 * Return: 0 (also when nothing was pending); -EIO when the commit failed: the batch was
 * rolled back, nothing in it may be acknowledged, and the nodes' counters are as before it.
 * The in-memory counts are kept for the next flush (see store_count()). In daemon mode,
 * -ESTALE when the path no longer names the file the connection writes, or its -wal (it was
 * deleted or replaced): the batch went into a file nobody will read again, nothing in it may
 * be acknowledged, and every later flush says the same; the caller should exit, so that a
 * restart opens what the path now names.
 */
STORE_MUST_CHECK int store_flush(struct store *s);

/*
 * store_prune() - delete up to @max_rows rows received before @before_ms (Unix ms), in its
 * own short transaction, so a large backlog is removed in small steps: events first, then
 * receptions, then frames left without either, then gateway_stats, then alert
 * transitions, then cleared alerts left without any. Nodes keep their counter; active alerts stay.
 * It refuses to run inside an open batch rather than commit it: only store_flush() commits a
 * batch, so that its caller learns whether the frames in it may be acknowledged. Call it
 * between batches, right after a store_flush().
 * Return: the number of rows deleted (0 when nothing is left); -EINVAL for @max_rows < 1;
 * -EBUSY while a batch is open; -EIO.
 */
STORE_MUST_CHECK int store_prune(struct store *s, int64_t before_ms, int max_rows);

/*
 * store_prune_retention() - one store_prune() step of `[storage] retention_days`: up to
 * @max_rows rows received more than @retention_days days (of 86,400,000 ms) before @now_ms
 * (Unix ms). @retention_days 0 keeps everything.
 * Return: what store_prune() returns; 0 for @retention_days 0.
 */
STORE_MUST_CHECK int store_prune_retention(struct store *s, int64_t now_ms, unsigned retention_days,
                                           int max_rows);

/* ---- alerts and the MQTT outbox (ARCHITECTURE.md "MQTT"; schema 0002_alerts.sql) ---- */

/* One alert transition, or (store_alerts_foreach()) an alert's latest stored state. */
struct store_alert {
    int64_t id;             /* fusion's alert id */
    uint32_t seq;           /* this transition's number, 1 at open */
    const char *class_name; /* e.g. "elephant", "node_offline" */
    const char *topic_key;  /* the topic segment after the class: zone or DevAddr */
    const char *level;      /* "watch", "warning", "critical" */
    const char *state;      /* "open", "escalate", "update", "cleared" */
    int64_t opened_ms;      /* Unix ms the alert opened */
    int64_t changed_ms;     /* Unix ms of this transition */
    const char *json;       /* the transition's message as published */
};

/*
 * store_alert_transition() - record a transition in the batch: the alert's row (inserted or
 * brought to this state) and a row of alert_transitions. Return: 0; -EEXIST when @a->seq is
 * not above the stored seq of that alert (nothing written); -EIO.
 */
STORE_MUST_CHECK int store_alert_transition(struct store *s, const struct store_alert *a);

/* Return: the highest alert id stored (0 when none) in *@out; 0 or -EIO. */
STORE_MUST_CHECK int store_alert_max_id(struct store *s, int64_t *out);

/* Calls @cb for each alert: the active ones (state not "cleared") in id order, or, with
 * @active_only false, the @limit most recently changed (0 = all), newest first. The strings
 * live during the callback. Return: 0, @cb's value, -EBUSY (nested), -EIO. */
typedef int (*store_alert_cb)(const struct store_alert *a, void *arg);
STORE_MUST_CHECK int store_alerts_foreach(struct store *s, bool active_only, int limit,
                                          store_alert_cb cb, void *arg);

/* One outbox row. */
struct store_outbox_msg {
    int64_t id; /* rises with every row ever written (AUTOINCREMENT) */
    const char *topic;
    const void *payload; /* may be empty: clears a retained topic */
    size_t payload_len;
    bool retain;
};

/* store_outbox_add() - queue a QoS 1 message in the batch; @payload is text ("" clears a
 * retained topic). Return: 0 or -EIO. */
STORE_MUST_CHECK int store_outbox_add(struct store *s, const char *topic, const char *payload,
                                      bool retain, int64_t now_ms);

/* Calls @cb for up to @limit rows (0 = all) with id above @after_id, in id order; what @cb is
 * given lives during the call. Sees the open batch's rows: call it between batches to read
 * only committed ones. Return: 0, @cb's value, -EBUSY (nested), -EIO. */
typedef int (*store_outbox_cb)(const struct store_outbox_msg *m, void *arg);
STORE_MUST_CHECK int store_outbox_foreach(struct store *s, int64_t after_id, int limit,
                                          store_outbox_cb cb, void *arg);

/* store_outbox_delete() - delete row @id (its PUBACK came) in the batch; a row already gone
 * is no error. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_outbox_delete(struct store *s, int64_t id);

/* Rows in the outbox and the creation time of the oldest (0 when empty). @oldest_ms may be
 * NULL. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_outbox_depth(struct store *s, int64_t *rows, int64_t *oldest_ms);

/*
 * store_outbox_trim() - one step of the outbox's size bound, in the batch: when it holds more
 * than @max_rows rows, delete up to @step of them, first retained messages that a newer row
 * for the same topic supersedes (a subscriber of that state topic loses nothing), then the
 * oldest rows. The work is O(@step log rows), never O(rows): the count and the superseded
 * rows come from what the triggers and indexes of 0004_outbox_bound.sql keep. Every row
 * deleted is counted (store_outbox_dropped()).
 * @dropped: out, rows deleted now.
 * Return: 0 when the outbox is within @max_rows; 1 when more rows than @max_rows remain
 * (call again, after serving I/O); -EIO; -ENOMEM.
 */
STORE_MUST_CHECK int store_outbox_trim(struct store *s, int64_t max_rows, int64_t step,
                                       int64_t *dropped);

/* Rows store_outbox_trim() has ever dropped, as committed. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_outbox_dropped(struct store *s, uint64_t *out);

/* ---- Home Assistant discovery configs queued (schema 0005_ha_discovery.sql) ---- */

/* Calls @cb for each config topic recorded, in byte order of @topic, with the payload
 * queued for it; both live during the call. Return: 0, @cb's value, -EBUSY (nested), -EIO. */
typedef int (*store_discovery_cb)(const char *topic, const char *payload, void *arg);
STORE_MUST_CHECK int store_discovery_foreach(struct store *s, store_discovery_cb cb, void *arg);

/* store_discovery_put() - record in the batch that @payload was queued for @topic (replacing
 * what was). Return: 0 or -EIO. */
STORE_MUST_CHECK int store_discovery_put(struct store *s, const char *topic, const char *payload);

/* store_discovery_delete() - forget @topic in the batch; one not recorded is no error.
 * Return: 0 or -EIO. */
STORE_MUST_CHECK int store_discovery_delete(struct store *s, const char *topic);

/* store_data_version() - SQLite's PRAGMA data_version: it changes exactly when another
 * connection (the CLI: node add, remove, update) has committed since the last call on this
 * one, so a caller that keeps the last value knows when to read the registry again. Return:
 * 0 or -EIO. */
STORE_MUST_CHECK int store_data_version(struct store *s, int64_t *out);
/* ---- the Alertmanager outbox and acknowledgements (schema 0006_alertmanager.sql) ---- */

/* One row of the Alertmanager outbox: the latest transition of an alert not yet accepted by
 * an Alertmanager. */
struct store_am_msg {
    int64_t id;       /* rises with every row ever written (AUTOINCREMENT) */
    int64_t alert_id; /* fusion's alert id */
    uint32_t seq;     /* the transition's seq */
    const char *json; /* the transition's alert JSON (alert_json.h) */
};

/* store_am_add() - queue transition @seq of alert @alert_id (its alert JSON @json) for
 * Alertmanager in the batch; an older row of the same alert is deleted with it (Alertmanager
 * keeps only an alert's latest state). Return: 0 or -EIO. */
STORE_MUST_CHECK int store_am_add(struct store *s, int64_t alert_id, uint32_t seq, const char *json,
                                  int64_t now_ms);

/* Calls @cb for up to @limit rows (0 = all) with id above @after_id, in id order; what @cb
 * is given lives during the call. Sees the open batch's rows: call it between batches.
 * Return: 0, @cb's value, -EBUSY (nested), -EIO. */
typedef int (*store_am_cb)(const struct store_am_msg *m, void *arg);
STORE_MUST_CHECK int store_am_foreach(struct store *s, int64_t after_id, int limit, store_am_cb cb,
                                      void *arg);

/* store_am_delete() - delete row @id (an Alertmanager accepted it) in the batch; a row
 * already gone (superseded) is no error. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_am_delete(struct store *s, int64_t id);

/* store_am_note() - in the batch: an Alertmanager accepted a post at @time_ms (@error NULL),
 * or a post failed at @time_ms with @error (text for the operator; never a secret).
 * Return: 0 or -EIO. */
STORE_MUST_CHECK int store_am_note(struct store *s, int64_t time_ms, const char *error);

/* What `tinyfleet stats` shows of the Alertmanager poster, as committed. */
struct store_am_status {
    int64_t queued;        /* rows in the Alertmanager outbox */
    int64_t oldest_ms;     /* creation of the oldest row, 0 when empty */
    int64_t last_ok_ms;    /* the last post an Alertmanager accepted, 0 = never */
    int64_t last_error_ms; /* the last failed post, 0 = never */
    char last_error[256];  /* its reason, "" = none */
};

/* Return: 0 and *@out, or -EIO. */
STORE_MUST_CHECK int store_am_status(struct store *s, struct store_am_status *out);

/* An alert's acknowledgement. */
struct store_ack {
    int64_t alert_id;
    char by[64];         /* who acknowledged it */
    char note[256];      /* why, what is done; may be empty */
    int64_t time_ms;     /* when (Unix ms) */
    char silence_id[64]; /* the Alertmanager silence made for it, "" = none */
};

/* store_ack_put() - record @a (replacing an earlier ack of the same alert) in its own
 * transaction. Return: 0; -ENOENT when no alert has that id; -EBUSY while a batch is open;
 * -EIO. */
STORE_MUST_CHECK int store_ack_put(struct store *s, const struct store_ack *a);

/* store_ack_get() - the acknowledgement of alert @alert_id into *@out (sees the open batch).
 * Return: 0, -ENOENT (not acknowledged), -EIO. */
STORE_MUST_CHECK int store_ack_get(struct store *s, int64_t alert_id, struct store_ack *out);

/* ---- reads for the CLI ---- */

struct store_event_filter {
    int64_t since_ms; /* received at or after; 0 = all */
    bool has_devaddr;
    uint32_t devaddr;
    int class_id; /* detections of this class only; -1 = any kind */
    int limit;    /* newest first up to this many; 0 = no limit */
};

struct store_event {
    int64_t id;
    uint32_t devaddr;
    uint32_t fcnt;
    int64_t received_ms;      /* when the gateway received the frame */
    int64_t time_ms;          /* when it happened: received minus age_s for detections */
    const char *kind;         /* "detection", "health", "anomaly", "raw" */
    struct proto_tfp_msg msg; /* for detection: port 1 and count 1 (this record only);
                                 health/anomaly: the message; raw: port = the FPort */
    const uint8_t *raw;       /* raw events: the payload; valid during the callback */
    size_t raw_len;
    bool has_rx;        /* @rx is valid: the frame was stored with its reception (all are) */
    struct store_rx rx; /* the frame's first reception: bearer, forwarder, radio fields */
};

/*
 * store_events_foreach() - call @cb for each event matching @f, newest first (received_ms,
 * then insertion order). A non-zero return from @cb stops the walk and is returned.
 * @cb may call other store functions, but not store_events_foreach() (-EBUSY).
 * Return: 0, @cb's value, -EBUSY, -EIO.
 */
typedef int (*store_event_cb)(const struct store_event *e, void *arg);
STORE_MUST_CHECK int store_events_foreach(struct store *s, const struct store_event_filter *f,
                                          store_event_cb cb, void *arg);

/* Counters as last flushed by the daemon: counts[bearer][reason]. Return: 0 or -EIO. */
STORE_MUST_CHECK int store_stats(struct store *s,
                                 uint64_t counts[STORE_BEARER_COUNT][STORE_REASON_COUNT]);

#endif
