/* SPDX-License-Identifier: MIT
 * tinyfleetd's configuration: the INI file of ARCHITECTURE.md ("Configuration"), parsed with
 * inih into one fixed-size struct of one struct per section: each module is handed the
 * sections it reads, and a reload compares and swaps sections whole.
 * Everything is checked at load time: an empty file, an unknown or repeated section or key,
 * a bad value, a NUL byte, two listeners on one port or a missing required key is an error
 * that names FILE:LINE, the section and the key, and the daemon refuses to start (or, on
 * SIGHUP, keeps the config it runs with). What the file names on disk (the database's
 * directory, the TLS files) is checked by config_check_files().
 */
#ifndef PROJ_DAEMON_CONFIG_CONFIG_H
#define PROJ_DAEMON_CONFIG_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#if defined(__GNUC__)
#define CONFIG_MUST_CHECK __attribute__((warn_unused_result))
#else
#define CONFIG_MUST_CHECK
#endif

#define CONFIG_DEFAULT_PATH "/etc/tinyfleet/tinyfleetd.conf"
#define CONFIG_ERR_LEN      512u /* a buffer this large holds any config_load() message */
#define CONFIG_NAME_MAX     32u  /* bytes of a class, zone or rule name, NUL included */
#define CONFIG_CLASS_MAX    256u /* class ids are one byte on the wire */
#define CONFIG_ZONE_MAX     64u  /* [zone.*] sections */
#define CONFIG_POLYGON_MAX  32u  /* corners of one zone polygon */
#define CONFIG_RULE_MAX     32u  /* [rule.*] sections */

/* Values of [storage] synchronous, as SQLite's PRAGMA synchronous numbers them. */
enum config_sync { CONFIG_SYNC_OFF = 0, CONFIG_SYNC_NORMAL = 1, CONFIG_SYNC_FULL = 2 };

/* [zone.<name>]: a circle (lat, lon, radius_m) or a polygon, never both. */
struct config_zone {
    char name[CONFIG_NAME_MAX];
    bool critical;        /* a warning here is critical (ARCHITECTURE.md, Fusion) */
    bool has_circle;      /* lat, lon, radius_m are valid */
    double lat;           /* centre, degrees WGS84 */
    double lon;           /* centre, degrees WGS84 */
    double radius_m;      /* metres */
    unsigned polygon_len; /* corners in polygon; 0 when the zone is a circle */
    double polygon[CONFIG_POLYGON_MAX][2]; /* corners {lat, lon}, degrees, in order */
};

enum config_rule_type {
    CONFIG_RULE_CLUSTER = 0,    /* detections of a class, grouped by zone in a window */
    CONFIG_RULE_PERSISTENCE = 1 /* per node, k of the last n anomaly summaries */
};

/* [rule.<name>]: parameters of one fusion rule. Defaults in config/tinyfleetd.conf. */
struct config_rule {
    char name[CONFIG_NAME_MAX];
    enum config_rule_type type;
    uint8_t class_id;           /* `class`, resolved against the class table */
    unsigned window_s;          /* sliding window, s */
    unsigned min_nodes;         /* distinct nodes for `warning` */
    double watch_confidence;    /* 0..1: one node at or above -> watch */
    double warning_confidence;  /* 0..1: fused at or above (with min_nodes) -> warning */
    double critical_confidence; /* 0..1: fused (cluster) or score/255 (persistence) -> critical */
    unsigned clear_after_s;     /* quiet time before `cleared`, s */
    unsigned update_interval_s; /* least time between two `update` transitions, s */
    unsigned k;                 /* persistence: anomalous summaries among the last n */
    unsigned n;                 /* persistence: summaries considered, 1..64 */
    double anomalous_ratio;     /* persistence: a summary is anomalous when anomalous/windows
                                   exceeds this (0, the default: any anomalous window) */
    unsigned storm_zones;       /* cluster: more zones than this firing within storm_window_s
                                   hold new alerts of the class (0, the default: off) */
    unsigned storm_window_s;    /* cluster: the span storm_zones counts zones over, s */
};

/* [gateway] devaddr_range: the DevAddrs `tinyfleet provision` hands out, lowest free first.
 * The daemon itself does not use it: it accepts any registered node. */
struct config_devaddr_range {
    bool set;       /* false (default): none; provision then needs --devaddr */
    uint32_t first; /* lowest DevAddr of the range */
    uint32_t last;  /* highest, inclusive; >= first */
};

/* [gateway]: who this gateway is. */
struct config_gateway {
    char id[64];                               /* id; default: the host name */
    char site[64];                             /* site; default "default" */
    struct config_devaddr_range devaddr_range; /* devaddr_range: the CLI's, not the daemon's */
    char user[64]; /* user: who tinyfleetd runs as when started as root; "" (default): root */
};

/* [storage]: the SQLite file. */
struct config_storage {
    char path[256];          /* path of the SQLite file */
    unsigned retention_days; /* events older than this are pruned, days; 0 = keep */
    int synchronous;         /* enum config_sync; default full */
};

/* [coap]: the CoAP listeners. */
struct config_coap {
    char listen[80];      /* "host:port"; empty = disabled */
    char dtls_listen[80]; /* "host:port"; empty (default) = disabled */
};

/* [lora]: the Semtech packet forwarder listener. */
struct config_lora {
    char listen[80];          /* "host:port"; empty = disabled */
    unsigned dedup_window_ms; /* same frame from several forwarders, ms */
    bool adr;                 /* choose each node's data rate from its SNR (ingest/adr.h) */
    unsigned adr_interval_s;  /* at most one change per node this often */
    char region[16];          /* LoRaWAN regional parameters of the downlinks: "EU868" */
};

#define CONFIG_MQTT_HOSTS 8 /* brokers [mqtt] host may list */

/* One broker of [mqtt] host's list. */
struct config_broker {
    char host[128]; /* name or address, without brackets */
    unsigned port;
};

/* [mqtt]: the broker and what is published. */
struct config_mqtt {
    /* "host[:port]" entries separated by commas or blanks, tried in turn; empty = MQTT
     * disabled. Parsed into @brokers when the file is read. */
    char host[192];
    unsigned port;            /* TCP port, 1..65535; default 1883 */
    char client_id[64];       /* default "tinyfleetd-<gateway id>" */
    char username[64];        /* empty = none */
    char password[128];       /* empty = none; needs a username */
    char tls_ca[256];         /* CA file; non-empty turns TLS on */
    char tls_cert[256];       /* client certificate file, with tls_key */
    char tls_key[256];        /* client key file, with tls_cert */
    char prefix[128];         /* topic prefix; default "tinyfleet/<site>" */
    bool publish_events;      /* publish each stored detection (QoS 0) */
    unsigned outbox_max;      /* rows the outbox may hold; see store_outbox_trim() */
    unsigned reconnect_max_s; /* cap of the reconnect backoff, s */
    /* the oldest message in flight waits this long for its PUBACK, then a reconnect, s */
    unsigned puback_timeout_s;
    bool homeassistant;             /* publish Home Assistant MQTT discovery (homeassistant.h) */
    char homeassistant_prefix[128]; /* its discovery prefix; default "homeassistant" */
    unsigned broker_count;          /* entries of @host, 0 when empty */
    struct config_broker brokers[CONFIG_MQTT_HOSTS]; /* @host's entries, the port given or @port */
};

#define CONFIG_AM_URLS    4u   /* Alertmanagers in [alertmanager] url */
#define CONFIG_AM_URL_LEN 200u /* bytes of one of them, NUL included */

/* [alertmanager]: where alerts go besides MQTT (daemon/alertmanager/). The password and the
 * token are never logged or printed. */
struct config_alertmanager {
    char url[512];          /* url: the list as written (commas or spaces); "" = off */
    char username[64];      /* basic auth user; "" = none */
    char password[128];     /* basic auth password; needs a username */
    char bearer_token[256]; /* Authorization: Bearer; not with a username */
    char tls_ca[256];       /* CA file for https URLs; "" = the system's */
    unsigned resend_s;      /* an active alert is posted again this often, s; default 60 */
    unsigned timeout_s;     /* one post may take this long, s; default 10 */
    unsigned url_count;     /* URLs in urls (derived from url) */
    char urls[CONFIG_AM_URLS][CONFIG_AM_URL_LEN]; /* each http(s)://host[:port][/path] */
};

/* [health]: when a node's health raises an alert. */
struct config_health {
    unsigned offline_after_s; /* a node silent this long raises a health alert; 0 = never */
    unsigned battery_low_mv;  /* battery at or below this raises one; 0 = never */
};

/* [web]: tinyfleet-web, the status page and /metrics (the daemon itself ignores it). */
struct config_web {
    char listen[80];         /* "host:port" (TCP); default 127.0.0.1:8080 */
    char tiles[256];         /* map tile URL template ({z}/{x}/{y}); "" = plain background */
    char user[64];           /* basic authentication user; "" = no authentication */
    char password_hash[256]; /* crypt(3) hash of the password, e.g. SHA-512 "$6$..." */
    char tls_cert[256];      /* PEM certificate file, with tls_key; "" = plain HTTP */
    char tls_key[256];       /* PEM key file, with tls_cert */
    char public_url[256];    /* where operators reach the page; default http(s)://listen/ */
    bool configured;         /* the file gives a [web] key: the page runs, link alerts to it */
};

/* [fusion]: whose inputs fusion hears. Read at start only (a change needs a restart). */
struct config_site {
    char scope[16];      /* "gateway" (default): this gateway's nodes; "site": every gateway's */
    bool site;           /* scope is "site" */
    unsigned takeover_s; /* a zone whose owner is silent this long is taken over, s */
};

/* What fusion reads, all reloaded together on SIGHUP: the class table ([class.*]), the
 * zones, the rules and [health]. */
struct config_fusion {
    /* Class names by id; "" = no class with that id. Use config_class_name(). */
    char class_names[CONFIG_CLASS_MAX][CONFIG_NAME_MAX];
    unsigned zone_count;
    struct config_zone zones[CONFIG_ZONE_MAX];
    unsigned rule_count;
    struct config_rule rules[CONFIG_RULE_MAX];
    struct config_health health;
    struct config_site site;
};

/* Lines of the file where the keys config_check_files() looks at were given; 0 when the
 * key was left out (its default stands). Not a section: no reload compares it. */
struct config_where {
    unsigned storage_path; /* [storage] path */
    unsigned tls_ca;       /* [mqtt] tls_ca */
    unsigned tls_cert;     /* [mqtt] tls_cert */
    unsigned tls_key;      /* [mqtt] tls_key */
    unsigned am_tls_ca;    /* [alertmanager] tls_ca */
};

/* The whole file, one struct per section (or group of sections read as one). Every byte is
 * defined (config_defaults() zero-fills, strings are zero-padded), so sections compare
 * whole with memcmp(). */
struct config {
    struct config_gateway gateway;
    struct config_storage storage;
    struct config_coap coap;
    struct config_lora lora;
    struct config_mqtt mqtt;
    struct config_alertmanager alertmanager;
    struct config_fusion fusion;
    struct config_web web;
    struct config_where where;
};

/*
 * config_defaults() - fill @out with the values used for every key the file leaves out,
 * including the default class table (0 unknown, 1 elephant, 2 whale, 3 machine_anomaly,
 * 4 human, 5 vehicle, 6 gunshot, 7 ship), no zones and no rules. Any thread.
 */
void config_defaults(struct config *out);

/*
 * config_load() - read and check the file at @path.
 * @out: out, the configuration; unspecified on error (keep the old one for a reload).
 * @err: out, on error one line such as
 *       "tinyfleetd.conf:12: [lora] dedup_window_ms: not a number: 'abc'" (@path as given),
 *       truncated to @err_len (CONFIG_ERR_LEN is always enough); may be NULL.
 * Return: 0; -EINVAL for any content error (an empty file, one without any [section], is
 * one: "FILE: empty: no [section]"); the negative errno of fopen() when the file cannot be
 * read (-ENOENT, -EACCES, ...). Any thread; resolves host names of listen
 * addresses (getaddrinfo), so it may block briefly.
 */
CONFIG_MUST_CHECK int config_load(const char *path, struct config *out, char *err, size_t err_len);

/*
 * config_check_files() - what the daemon needs of the file system before it can run with
 * @cfg, as config_load() filled it from the file at @path: the directory of [storage] path
 * exists, and each [mqtt] tls_ca, tls_cert and tls_key that is set is a regular file this
 * process can open for reading. tinyfleetd runs it for --check and at start, after
 * config_load(); config_load() itself reads only the file (the CLI loads the same file
 * without needing the daemon's TLS key).
 * @err: out, on error one line such as
 *       "tinyfleetd.conf:40: [mqtt] tls_ca: cannot read '/etc/ca.pem': No such file or
 *       directory", or, for a key left to its default, "tinyfleetd.conf: [storage] path
 *       (default): ..."; may be NULL.
 * Return: 0; the negative errno of the failed stat() or open() (-ENOENT, -EACCES, ...),
 * -ENOTDIR or -EISDIR for a path of the wrong kind. Any thread.
 */
CONFIG_MUST_CHECK int config_check_files(const char *path, const struct config *cfg, char *err,
                                         size_t err_len);

/*
 * config_parse_addr() - turn "1.2.3.4:5683", "[::1]:5683" or "localhost:1700" into a
 * socket address. Host names are resolved (first result; UDP). The port must be 0..65535.
 * @out: out, the address (sockaddr_in or sockaddr_in6); unchanged on error.
 * Return: 0; -EINVAL for a malformed string, a bad port or a host that does not resolve.
 */
CONFIG_MUST_CHECK int config_parse_addr(const char *hostport, struct sockaddr_storage *out);

/*
 * config_changed_keys() - name the keys of one section whose values differ.
 * @section: "gateway", "storage", "coap", "lora", "mqtt", "health" or "web".
 * @a, @b:   in, two structs of that section (struct config_gateway for "gateway", ...), as
 *           config_load() or config_defaults() filled them: values compare byte for byte.
 * @list:    in/out, a NUL-terminated string; "[section] key" is appended for each key that
 *           differs, with ", " before each entry when @list is not empty, cut to fit @cap.
 * Return: the number of keys that differ; -EINVAL for an unknown @section. Any thread.
 */
int config_changed_keys(const char *section, const void *a, const void *b, char *list, size_t cap);

/* config_class_name() - the name of class @id, or NULL when the table has none. */
const char *config_class_name(const struct config_fusion *c, uint8_t id);

/* config_class_id() - the id of the class named @name (exact match), or -1. */
int config_class_id(const struct config_fusion *c, const char *name);

/* config_zone_find() - the zone named @name, or NULL. The pointer lives as long as @c. */
const struct config_zone *config_zone_find(const struct config_fusion *c, const char *name);

/* config_sync_name() - "off", "normal" or "full" for an enum config_sync value ("?" else). */
const char *config_sync_name(int synchronous);

#endif
