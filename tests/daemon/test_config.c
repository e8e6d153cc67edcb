/* SPDX-License-Identifier: MIT
 * Unit tests for daemon/config/ (config_load() and config_parse_addr()): every refusal names
 * FILE:LINE, the section and the key and says what is wrong (one table; an empty file, a NUL
 * byte, a section given twice, two listeners on one port among them), a complete file loads
 * with the right values, a bare [gateway] gives the documented defaults, and the class table, zones
 * and addresses parse as described. Sections compare whole: a value leaves no bytes of the one
 * it replaced, and config_changed_keys() names what differs.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_fixture.h"
#include "config/config_int.h"

struct err_case {
    const char *text;
    unsigned line;    /* the line the message must name */
    const char *want; /* what follows "FILE:LINE: " (a prefix of the rest of the message) */
};

#define LONG70 "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"

static const struct err_case err_cases[] = {
    /* unknown section, with keys and without */
    {"[gateway]\nid = a\n\n[radio]\nx = 1\n", 4, "[radio]: unknown section (known: gateway,"},
    {"[gateway]\nid = a\n[extras]\n", 3, "[extras]: unknown section"},
    {"[zone.]\n", 1, "[zone.]: a name must follow 'zone.'"},
    {"[class.ele phant]\nid = 9\n", 1, "[class.ele phant]: only letters, digits"},
    /* unknown key, lists the known ones */
    {"[lora]\nlisten = 127.0.0.1:1700\ndedup = 5\n", 3,
     "[lora] dedup: unknown key (known: listen, dedup_window_ms, adr, adr_interval_s, region)"},
    /* regions: EU868 only, another LoRaWAN region said to be unsupported */
    {"[lora]\nregion = US915\n", 2, "[lora] region: region US915 is not supported yet: only EU868"},
    {"[lora]\nregion = AS923\n", 2, "[lora] region: region AS923 is not supported yet"},
    {"[lora]\nregion = eu868\n", 2, "[lora] region: unknown region 'eu868': only EU868"},
    {"[zone.a]\nradius = 5\n", 2, "[zone.a] radius: unknown key (known: critical, lat, lon,"},
    /* numbers */
    {"[lora]\n\n; comment\ndedup_window_ms = abc\n", 4,
     "[lora] dedup_window_ms: not a number: 'abc'"},
    {"[storage]\nretention_days = -1\n", 2, "[storage] retention_days: not a number: '-1'"},
    {"[storage]\nretention_days = 12d\n", 2, "[storage] retention_days: not a number: '12d'"},
    {"[lora]\ndedup_window_ms = 60001\n", 2,
     "[lora] dedup_window_ms: out of range: '60001' (0..60000)"},
    {"[storage]\nretention_days = 99999999999999999999999\n", 2,
     "[storage] retention_days: out of range"},
    {"[mqtt]\nport = 0\n", 2, "[mqtt] port: out of range: '0' (1..65535)"},
    {"[mqtt]\npuback_timeout_s = 0\n", 2, "[mqtt] puback_timeout_s: out of range: '0' (1..3600)"},
    {"[mqtt]\npuback_timeout_s = 3601\n", 2, "[mqtt] puback_timeout_s: out of range"},
    {"[health]\nbattery_low_mv = 10001\n", 2, "[health] battery_low_mv: out of range"},
    {"[zone.z]\nlat = 91\nlon = 0\nradius_m = 10\n", 2,
     "[zone.z] lat: out of range: '91' (-90..90)"},
    {"[zone.z]\nlat = 1\nlon = nan\n", 3, "[zone.z] lon: not a number: 'nan'"},
    {"[rule.r]\ntype = cluster\nclass = whale\nwarning_confidence = 1.5\n", 4,
     "[rule.r] warning_confidence: out of range: '1.5' (0..1)"},
    /* enumerations and booleans */
    {"[storage]\nsynchronous = FULL\n", 2,
     "[storage] synchronous: must be off, normal or full: 'FULL'"},
    {"[mqtt]\npublish_events = maybe\n", 2,
     "[mqtt] publish_events: must be true or false: 'maybe'"},
    {"[rule.r]\ntype = clustr\n", 2, "[rule.r] type: must be cluster or persistence: 'clustr'"},
    /* addresses */
    {"[coap]\nlisten = 127.0.0.1\n", 2,
     "[coap] listen: bad address '127.0.0.1': expected host:port"},
    {"[lora]\nlisten = 127.0.0.1:70000\n", 2, "[lora] listen: bad address '127.0.0.1:70000': port"},
    {"[coap]\ndtls_listen = ::1:5684\n", 2, "[coap] dtls_listen: bad address '::1:5684': an IPv6"},
    {"[coap]\nlisten = [::1:5683\n", 2, "[coap] listen: bad address '[::1:5683': expected ["},
    {"[coap]\nlisten = [bad]:5683\n", 2, "[coap] listen: bad address '[bad]:5683': not an IPv6"},
    {"[lora]\nlisten = no-such-host.invalid:1700\n", 2,
     "[lora] listen: bad address 'no-such-host.invalid:1700': host does not resolve"},
    {"[lora]\nlisten = 127.0.0.1:0\n", 2, "[lora] listen: bad address '127.0.0.1:0': a listener"},
    /* class table */
    {"[class.elephant]\nid = 1\n[class.rhino]\nid = 1\n", 4,
     "[class.rhino] id: 1 is already the id of [class.elephant] (line 2)"},
    {"[class.rhino]\nid = 256\n", 2, "[class.rhino] id: out of range: '256' (0..255)"},
    {"[class.rhino]\n\n[class.ship]\nid = 7\n", 1, "[class.rhino]: missing id (0..255)"},
    {"[class.ship]\nid = 7\n[class.ship]\nid = 8\n", 3,
     "[class.ship]: given twice (first at line 1)"},
    /* structure */
    {"[gateway]\nid = a\nsite = s\nid = b\n", 4, "[gateway] id: given twice (first at line 2)"},
    {"id = 1\n[gateway]\n", 1, "id: key before the first [section]"},
    {"[gateway]\nid a\n", 2, "syntax error"},
    {"[gateway\nid = a\n", 1, "syntax error"},
    {"[zone.z]\nlat = 1\n  lon = 2\nradius_m = 3\n", 3,
     "[zone.z] lat: an indented line continues this value"},
    {"[mqtt]\nhost = " LONG70 LONG70 LONG70 "\n", 2, "line longer than 198 characters"},
    /* strings */
    {"[gateway]\nid = gw/1\n", 2, "[gateway] id: only letters, digits, '_', '-' and '.' allowed"},
    {"[gateway]\nsite =\n", 2, "[gateway] site: must not be empty"},
    {"[mqtt]\nclient_id = " LONG70 "\n", 2,
     "[mqtt] client_id: too long: 70 characters (at most 63)"},
    {"[mqtt]\nprefix = farm/#\n", 2, "[mqtt] prefix: not a topic prefix"},
    {"[mqtt]\nprefix = /farm\n", 2, "[mqtt] prefix: not a topic prefix"},
    {"[mqtt]\nhomeassistant_prefix = ha/+\n", 2, "[mqtt] homeassistant_prefix: not a topic prefix"},
    {"[mqtt]\nhomeassistant = sometimes\n", 2,
     "[mqtt] homeassistant: must be true or false: 'sometimes'"},
    {"[mqtt]\nhost = b\n\npassword = secret\n", 4, "[mqtt] password: needs a username"},
    {"[mqtt]\ntls_ca = /ca\ntls_cert = /c\n", 3, "[mqtt] tls_cert: needs tls_key"},
    {"[mqtt]\ntls_key = /k\n", 2, "[mqtt] tls_key: needs tls_cert"},
    /* zones */
    {"[zone.river]\nlat = 1\nlon = 2\n", 1, "[zone.river]: missing radius_m (a zone is"},
    {"[zone.river]\nradius_m = 5\n", 1, "[zone.river]: missing lat"},
    {"[zone.river]\n", 1, "[zone.river]: missing lat"},
    {"[zone.a]\nlat = 1\npolygon = 1 1, 1 2, 2 2\n", 3, "[zone.a] polygon: a zone is lat, lon"},
    {"[zone.a]\npolygon = 1 1, 1 2\n", 2, "[zone.a] polygon: needs at least 3 corners, got 2"},
    {"[zone.a]\npolygon = 1 1, 1 2 2 2\n", 2, "[zone.a] polygon: expected ',' between corners"},
    {"[zone.a]\npolygon = 1 1, 1 x, 2 2\n", 2,
     "[zone.a] polygon: not a 'lat lon' pair at 'x, 2 2'"},
    {"[zone.a]\npolygon = 1 1, 1 2,\n  2 200\n", 3, "[zone.a] polygon: corner 3 out of range"},
    {"[zone.a]\ncritical = 1\nlat = 1\nlon = 1\nradius_m = 1\n[zone.a]\n", 6,
     "[zone.a]: given twice (first at line 1)"},
    /* rules */
    {"[rule.r]\nclass = whale\n", 1, "[rule.r]: missing type (cluster or persistence)"},
    {"[rule.r]\ntype = cluster\n", 1, "[rule.r]: missing class"},
    {"[rule.r]\ntype = cluster\nclass = rhino\n", 3, "[rule.r] class: unknown class 'rhino'"},
    {"[class.rhino]\nid = 9\n[rule.r]\ntype = cluster\nclass = elephant\n", 5,
     "[rule.r] class: unknown class 'elephant'"},
    {"[rule.r]\ntype = cluster\nclass = whale\nwarning_confidence = 0.4\n", 4,
     "[rule.r]: confidences must not fall: watch_confidence 0.5, warning_confidence 0.4"},
    {"[rule.r]\ntype = persistence\nclass = machine_anomaly\nn = 4\nk = 6\n", 5,
     "[rule.r] k: 6 is more than n (4)"},
    {"[rule.r]\ntype = persistence\nclass = machine_anomaly\nk = 65\n", 4,
     "[rule.r] k: out of range: '65' (1..64)"},
    {"[rule.r]\ntype = cluster\nclass = whale\nwindow_s = 0\n", 4,
     "[rule.r] window_s: out of range: '0' (1..86400)"},
    {"[rule.r]\ntype = persistence\nclass = machine_anomaly\nanomalous_ratio = 1\n", 4,
     "[rule.r] anomalous_ratio: out of range: '1' (0..0.99)"},
    /* a fixed section given twice: its keys would merge silently */
    {"[gateway]\nid = a\n[storage]\n[gateway]\nsite = b\n", 4,
     "[gateway]: given twice (first at line 1)"},
    {"[mqtt]\nhost = b\n\n[mqtt]\n", 4, "[mqtt]: given twice (first at line 1)"},
    {"[health]\n[lora]\n[health]\n", 3, "[health]: given twice (first at line 1)"},
    /* two listeners on one port (the later line is named, and the other key) */
    {"[coap]\nlisten = 127.0.0.1:1700\n", 2,
     "[coap] listen: '127.0.0.1:1700' takes the port of [lora] listen '0.0.0.0:1700' (its "
     "default): each listener needs a port of its own"},
    {"[lora]\nlisten = 127.0.0.1:5684\n[coap]\ndtls_listen = 127.0.0.1:5684\n", 4,
     "[coap] dtls_listen: '127.0.0.1:5684' takes the port of [lora] listen '127.0.0.1:5684' "
     "(line 2)"},
    {"[coap]\nlisten = [::]:6000\n[lora]\nlisten = 127.0.0.1:6000\n", 4,
     "[lora] listen: '127.0.0.1:6000' takes the port of [coap] listen '[::]:6000' (line 2)"},
    {"[coap]\nlisten = 127.0.0.1:6000\ndtls_listen = 0.0.0.0:6000\n[lora]\nlisten =\n", 3,
     "[coap] dtls_listen: '0.0.0.0:6000' takes the port of [coap] listen"},
};

/* Files refused as a whole: "FILE: ..." with no line. */
static const struct err_case empty_cases[] = {
    {"", 0, "empty: no [section] in the file"},
    {"; nothing but a comment\n\n# and another\n", 0, "empty: no [section] in the file"},
    {"\n   \n\t\n", 0, "empty: no [section] in the file"},
};

/* Texts with a NUL byte: @len bytes of @text. */
struct nul_case {
    const char *text;
    size_t len;
    unsigned line;
    const char *want;
};

#define NUL_CASE(s, line, want)                                                                    \
    {                                                                                              \
        s, sizeof(s) - 1, line, want                                                               \
    }

static const struct nul_case nul_cases[] = {
    NUL_CASE("[gateway]\nid = a\0b\nsite = s\n", 2, "[gateway] id: contains a NUL byte"),
    /* on the last line, with or without its newline: fgets() would read "a" and stop */
    NUL_CASE("[gateway]\nid = a\0b\n", 2, "[gateway] id: contains a NUL byte"),
    NUL_CASE("[gateway]\nid = a\0b", 2, "[gateway] id: contains a NUL byte"),
    NUL_CASE("[gateway]\nid = a\n\0[lora]\n", 3, "contains a NUL byte"),
    NUL_CASE("\0", 1, "contains a NUL byte"),
    NUL_CASE("[gate\0way]\n", 1, "contains a NUL byte"),
};

static void test_config_load_errors(void **state)
{
    struct fixture *f = *state;
    unsigned failed = 0;
    size_t i;

    for (i = 0; i < sizeof(err_cases) / sizeof(err_cases[0]); i++) {
        const struct err_case *tc = &err_cases[i];
        char head[160];
        int rc = load(f, tc->text);

        (void)snprintf(head, sizeof(head), "%s:%u: ", f->path, tc->line);
        if (rc != -EINVAL || strncmp(f->err, head, strlen(head)) != 0 ||
            strncmp(f->err + strlen(head), tc->want, strlen(tc->want)) != 0) {
            print_error("case %zu: rc %d, message\n  %s\nwanted\n  %s%s...\n", i, rc, f->err, head,
                        tc->want);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void test_config_load_empty_file(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(empty_cases) / sizeof(empty_cases[0]); i++) {
        char want[256];
        int rc = load(f, empty_cases[i].text);

        (void)snprintf(want, sizeof(want), "%s: %s", f->path, empty_cases[i].want);
        if (rc != -EINVAL || strncmp(f->err, want, strlen(want)) != 0) {
            fail_msg("case %zu: rc %d, message '%s', wanted '%s...'", i, rc, f->err, want);
        }
    }
}

static void test_config_load_nul_byte(void **state)
{
    struct fixture *f = *state;
    size_t i;

    for (i = 0; i < sizeof(nul_cases) / sizeof(nul_cases[0]); i++) {
        const struct nul_case *tc = &nul_cases[i];
        char want[256];
        FILE *fp = fopen(f->path, "w");
        int rc;

        assert_non_null(fp);
        assert_int_equal(fwrite(tc->text, 1, tc->len, fp), tc->len);
        assert_int_equal(fclose(fp), 0);
        rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
        (void)snprintf(want, sizeof(want), "%s:%u: %s", f->path, tc->line, tc->want);
        if (rc != -EINVAL || strcmp(f->err, want) != 0) {
            fail_msg("case %zu: rc %d, message '%s', wanted '%s'", i, rc, f->err, want);
        }
    }
}

/* Listeners that may share a port number: other addresses of one family, an IPv4 wildcard
 * beside a specific IPv6 address, a listener turned off. */
static void test_config_load_listeners_apart(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, "[coap]\nlisten = 127.0.0.1:6000\n[lora]\nlisten = 127.0.0.2:6000\n"),
                     0);
    assert_int_equal(load(f, "[coap]\nlisten = 0.0.0.0:6000\ndtls_listen = [::1]:6000\n"), 0);
    assert_int_equal(load(f, "[coap]\nlisten =\n[lora]\nlisten = 0.0.0.0:5683\n"), 0);
    assert_int_equal(load(f, "[lora]\nlisten = 0.0.0.0:5684\n"), 0); /* dtls_listen is off */
}

static void test_config_load_missing_file(void **state)
{
    struct fixture *f = *state;
    int rc;

    rc = config_load(f->path, &f->cfg, f->err, sizeof(f->err));
    assert_int_equal(rc, -ENOENT);
    assert_non_null(strstr(f->err, f->path));
    assert_non_null(strstr(f->err, "cannot open: No such file or directory"));
    /* A NULL message buffer is allowed. */
    assert_int_equal(config_load(f->path, &f->cfg, NULL, 0), -ENOENT);
}

static void test_config_load_truncates_message(void **state)
{
    struct fixture *f = *state;
    char small[16];

    write_file(f, "[radio]\n");
    memset(small, 'x', sizeof(small));
    assert_int_equal(config_load(f->path, &f->cfg, small, sizeof(small)), -EINVAL);
    assert_int_equal(strlen(small), sizeof(small) - 1);
}

static const char full_text[] = "\xEF\xBB\xBF; every section and key\r\n"
                                "[gateway]\n"
                                "id = gw-7\n"
                                "site = amboseli\n"
                                "[storage]\n"
                                "path = /tmp/x/tinyfleet.db ; inline comment\n"
                                "retention_days = 30\n"
                                "synchronous = normal\n"
                                "[coap]\n"
                                "listen = 127.0.0.1:15683\n"
                                "dtls_listen = [::1]:15684\n"
                                "[lora]\n"
                                "listen = localhost:11700\n"
                                "dedup_window_ms = 350\n"
                                "adr = on\n"
                                "adr_interval_s = 3600\n"
                                "region = EU868\n"
                                "[mqtt]\n"
                                "host = broker.local\n"
                                "port = 8883\n"
                                "client_id = gw7\n"
                                "username = tf\n"
                                "password = s3cret;x\n"
                                "tls_ca = /etc/ssl/ca.pem\n"
                                "tls_cert = /etc/tf/cert.pem\n"
                                "tls_key = /etc/tf/key.pem\n"
                                "prefix = kenya/amboseli\n"
                                "publish_events = yes\n"
                                "homeassistant = on\n"
                                "homeassistant_prefix = ha/discovery\n"
                                "[health]\n"
                                "offline_after_s = 7200\n"
                                "battery_low_mv = 3100\n"
                                "[class.unknown]\n"
                                "id = 0\n"
                                "[class.elephant]\n"
                                "id = 1\n"
                                "[class.machine_anomaly]\n"
                                "id = 3\n"
                                "[class.rhino]\n"
                                "id = 200\n"
                                "[zone.village]\n"
                                "critical = true\n"
                                "lat = -2.653\n"
                                "lon = 37.26\n"
                                "radius_m = 1500\n"
                                "[zone.railway]\n"
                                "polygon = -2.640 37.200, -2.640 37.320,\n"
                                "          -2.648 37.320 ,\n"
                                "\t-2.648 37.200\n"
                                "[rule.elephant]\n"
                                "type = cluster\n"
                                "class = elephant\n"
                                "window_s = 120\n"
                                "min_nodes = 3\n"
                                "watch_confidence = 0.4\n"
                                "warning_confidence = 0.75\n"
                                "critical_confidence = 0.95\n"
                                "clear_after_s = 600\n"
                                "update_interval_s = 20\n"
                                "[rule.turbine]\n"
                                "type = persistence\n"
                                "class = machine_anomaly\n"
                                "k = 4\n"
                                "n = 6\n";

static void test_config_load_full(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    const struct config_zone *z;
    const struct config_rule *r;

    assert_int_equal(load(f, full_text), 0);
    assert_string_equal(f->err, "");
    assert_string_equal(c->gateway.id, "gw-7");
    assert_string_equal(c->gateway.site, "amboseli");
    assert_string_equal(c->storage.path, "/tmp/x/tinyfleet.db");
    assert_int_equal(c->storage.retention_days, 30);
    assert_int_equal(c->storage.synchronous, CONFIG_SYNC_NORMAL);
    assert_string_equal(c->coap.listen, "127.0.0.1:15683");
    assert_string_equal(c->coap.dtls_listen, "[::1]:15684");
    assert_string_equal(c->lora.listen, "localhost:11700");
    assert_int_equal(c->lora.dedup_window_ms, 350);
    assert_true(c->lora.adr);
    assert_int_equal(c->lora.adr_interval_s, 3600);
    assert_string_equal(c->lora.region, "EU868");
    assert_string_equal(c->mqtt.host, "broker.local");
    assert_int_equal(c->mqtt.port, 8883);
    assert_string_equal(c->mqtt.client_id, "gw7");
    assert_string_equal(c->mqtt.username, "tf");
    /* ';' starts a comment only after white space, so it may be part of a password */
    assert_string_equal(c->mqtt.password, "s3cret;x");
    assert_string_equal(c->mqtt.tls_ca, "/etc/ssl/ca.pem");
    assert_string_equal(c->mqtt.tls_cert, "/etc/tf/cert.pem");
    assert_string_equal(c->mqtt.tls_key, "/etc/tf/key.pem");
    assert_string_equal(c->mqtt.prefix, "kenya/amboseli");
    assert_true(c->mqtt.publish_events);
    assert_true(c->mqtt.homeassistant);
    assert_string_equal(c->mqtt.homeassistant_prefix, "ha/discovery");
    assert_int_equal(c->fusion.health.offline_after_s, 7200);
    assert_int_equal(c->fusion.health.battery_low_mv, 3100);

    /* the file's classes are the whole table */
    assert_string_equal(config_class_name(&c->fusion, 0), "unknown");
    assert_string_equal(config_class_name(&c->fusion, 1), "elephant");
    assert_null(config_class_name(&c->fusion, 2));
    assert_string_equal(config_class_name(&c->fusion, 200), "rhino");
    assert_int_equal(config_class_id(&c->fusion, "rhino"), 200);
    assert_int_equal(config_class_id(&c->fusion, "whale"), -1);

    assert_int_equal(c->fusion.zone_count, 2);
    z = config_zone_find(&c->fusion, "village");
    assert_non_null(z);
    assert_true(z->critical);
    assert_true(z->has_circle);
    assert_true(z->lat == -2.653 && z->lon == 37.26 && z->radius_m == 1500);
    assert_int_equal(z->polygon_len, 0);
    z = config_zone_find(&c->fusion, "railway");
    assert_non_null(z);
    assert_false(z->critical);
    assert_false(z->has_circle);
    assert_int_equal(z->polygon_len, 4);
    assert_true(z->polygon[2][0] == -2.648 && z->polygon[2][1] == 37.32);
    assert_true(z->polygon[3][0] == -2.648 && z->polygon[3][1] == 37.2);
    assert_null(config_zone_find(&c->fusion, "nowhere"));

    assert_int_equal(c->fusion.rule_count, 2);
    r = &c->fusion.rules[0];
    assert_string_equal(r->name, "elephant");
    assert_int_equal(r->type, CONFIG_RULE_CLUSTER);
    assert_int_equal(r->class_id, 1);
    assert_int_equal(r->window_s, 120);
    assert_int_equal(r->min_nodes, 3);
    assert_true(r->watch_confidence == 0.4 && r->warning_confidence == 0.75 &&
                r->critical_confidence == 0.95);
    assert_int_equal(r->clear_after_s, 600);
    assert_int_equal(r->update_interval_s, 20);
    r = &c->fusion.rules[1];
    assert_string_equal(r->name, "turbine");
    assert_int_equal(r->type, CONFIG_RULE_PERSISTENCE);
    assert_int_equal(r->class_id, 3);
    assert_int_equal(r->k, 4);
    assert_int_equal(r->n, 6);
    assert_int_equal(r->window_s, 60); /* a default */
}

static void test_config_load_defaults(void **state)
{
    struct fixture *f = *state;
    const struct config *c = &f->cfg;
    struct config d;
    char host[64] = "";

    assert_int_equal(load(f, "; nothing but a comment\n\n[gateway]\n"), 0);
    config_defaults(&d);
    if (gethostname(host, sizeof(host)) == 0 && host[0] != '\0' && strchr(host, '/') == NULL) {
        assert_string_equal(c->gateway.id, host);
    }
    assert_string_equal(c->gateway.id, d.gateway.id);
    assert_string_equal(c->gateway.site, "default");
    assert_string_equal(c->storage.path, "/var/lib/tinyfleet/tinyfleet.db");
    assert_int_equal(c->storage.retention_days, 90);
    assert_int_equal(c->storage.synchronous, CONFIG_SYNC_FULL);
    assert_string_equal(c->coap.listen, "0.0.0.0:5683");
    assert_string_equal(c->coap.dtls_listen, "");
    assert_string_equal(c->lora.listen, "0.0.0.0:1700");
    assert_int_equal(c->lora.dedup_window_ms, 200);
    assert_false(c->lora.adr);
    assert_int_equal(c->lora.adr_interval_s, 86400);
    assert_string_equal(c->lora.region, "EU868");
    assert_string_equal(c->mqtt.host, "");
    assert_int_equal(c->mqtt.port, 1883);
    assert_false(c->mqtt.publish_events);
    assert_false(c->mqtt.homeassistant);
    assert_string_equal(c->mqtt.homeassistant_prefix, "homeassistant");
    assert_int_equal(c->fusion.health.offline_after_s, 3600);
    assert_int_equal(c->fusion.health.battery_low_mv, 3300);
    assert_int_equal(c->fusion.zone_count, 0);
    assert_int_equal(c->fusion.rule_count, 0);
    assert_string_equal(config_class_name(&c->fusion, 0), "unknown");
    assert_string_equal(config_class_name(&c->fusion, 1), "elephant");
    assert_string_equal(config_class_name(&c->fusion, 2), "whale");
    assert_string_equal(config_class_name(&c->fusion, 3), "machine_anomaly");
    assert_string_equal(config_class_name(&c->fusion, 4), "human");
    assert_string_equal(config_class_name(&c->fusion, 5), "vehicle");
    assert_string_equal(config_class_name(&c->fusion, 6), "gunshot");
    assert_string_equal(config_class_name(&c->fusion, 7), "ship");
    assert_null(config_class_name(&c->fusion, 8));
    assert_null(config_class_name(&c->fusion, 255));
    assert_int_equal(config_class_id(&c->fusion, "ship"), 7);
    assert_int_equal(config_class_id(&c->fusion, "Ship"), -1);
    assert_int_equal(config_class_id(&c->fusion, ""), -1);
    assert_string_equal(config_sync_name(c->storage.synchronous), "full");
}

static void test_config_load_derived_names(void **state)
{
    struct fixture *f = *state;

    /* client_id and prefix follow the gateway id and site unless given */
    assert_int_equal(load(f, "[gateway]\nid = gw9\nsite = tsavo\n[mqtt]\nclient_id =\n"), 0);
    assert_string_equal(f->cfg.mqtt.client_id, "tinyfleetd-gw9");
    assert_string_equal(f->cfg.mqtt.prefix, "tinyfleet/tsavo");
    /* an empty discovery prefix is Home Assistant's default */
    assert_int_equal(load(f, "[mqtt]\nhomeassistant_prefix =\n"), 0);
    assert_string_equal(f->cfg.mqtt.homeassistant_prefix, "homeassistant");
    /* empty listen addresses disable the bearers */
    assert_int_equal(load(f, "[coap]\nlisten =\n[lora]\nlisten =\n"), 0);
    assert_string_equal(f->cfg.coap.listen, "");
    assert_string_equal(f->cfg.lora.listen, "");
}

static void test_config_load_example(void **state)
{
    struct fixture *f = *state;
    struct config *def;
    int rc;

    /* The shipped example must always load; the tests run from the repository root. */
    if (access("config/tinyfleetd.conf", R_OK) != 0) {
        skip();
    }
    rc = config_load("config/tinyfleetd.conf", &f->cfg, f->err, sizeof(f->err));
    if (rc != 0) {
        print_error("%s\n", f->err);
    }
    assert_int_equal(rc, 0);
    assert_int_equal(config_class_id(&f->cfg.fusion, "machine_anomaly"), 3);
    assert_true(f->cfg.fusion.rule_count > 0);
    /* What `make install` puts in /etc is neutral: named after the host, no demo zones, and
     * the service's user. */
    def = calloc(1, sizeof(*def));
    assert_non_null(def);
    config_defaults(def);
    assert_string_equal(f->cfg.gateway.id, def->gateway.id);
    free(def);
    assert_int_equal(f->cfg.fusion.zone_count, 0);
    assert_string_equal(f->cfg.gateway.user, "tinyfleet");
}

/* A key of a fixed section set to @value through the parser's own setter, as inih hands it. */
static void set_key(struct config__parse_ctx *ctx, const char *section, const char *key,
                    const char *value)
{
    const struct config__section_spec *spec = NULL;
    size_t i;

    for (i = 0; i < CONFIG__FS_COUNT; i++) {
        if (strcmp(config__fixed_sections[i].name, section) == 0) {
            spec = &config__fixed_sections[i];
        }
    }
    assert_non_null(spec);
    (void)snprintf(ctx->section, sizeof(ctx->section), "%s", section);
    ctx->kind = CONFIG__SEC_FIXED;
    ctx->spec = spec;
    ctx->base = (char *)ctx->cfg + spec->off;
    for (i = 0; i < spec->nkeys; i++) {
        if (strcmp(spec->keys[i].key, key) == 0) {
            assert_int_equal(config__set_value(ctx, &spec->keys[i], value), 0);
            return;
        }
    }
    fail_msg("[%s] %s: no such key", section, key);
}

struct twice_case {
    const char *section;
    const char *key;
    const char *first; /* the longer value, set first */
    const char *last;  /* the shorter one that replaces it */
};

static const struct twice_case twice_cases[] = {
    {"gateway", "id", "a-rather-long-gateway-name", "g"},
    {"gateway", "site", "amboseli-north", "s"},
    {"gateway", "devaddr_range", "26011F00-26011FFF", ""},
    {"storage", "path", "/var/lib/tinyfleet/another.db", "/x"},
    {"coap", "listen", "127.0.0.1:15683", "[::1]:1"},
    {"coap", "dtls_listen", "127.0.0.1:15684", ""},
    {"lora", "listen", "localhost:11700", "[::1]:2"},
    {"mqtt", "host", "broker.example.org", "b"},
    {"mqtt", "password", "a-long-secret", "s"},
    {"mqtt", "tls_ca", "/etc/ssl/certs/ca.pem", "/c"},
    {"mqtt", "prefix", "kenya/amboseli/north", "k"},
};

/* key=long then key=s leaves the same bytes as key=s alone: memcmp() of sections is exact. */
static void test_config_set_value_shorter_leaves_nothing(void **state)
{
    struct config__parse_ctx *ctx = calloc(1, sizeof(*ctx));
    struct config *twice = calloc(1, sizeof(*twice));
    struct config *once = calloc(1, sizeof(*once));
    size_t i;

    (void)state;
    assert_non_null(ctx);
    assert_non_null(twice);
    assert_non_null(once);
    ctx->path = "test.conf";
    for (i = 0; i < sizeof(twice_cases) / sizeof(twice_cases[0]); i++) {
        const struct twice_case *tc = &twice_cases[i];

        config_defaults(twice);
        config_defaults(once);
        ctx->cfg = twice;
        set_key(ctx, tc->section, tc->key, tc->first);
        set_key(ctx, tc->section, tc->key, tc->last);
        ctx->cfg = once;
        set_key(ctx, tc->section, tc->key, tc->last);
        if (memcmp(twice, once, sizeof(*once)) != 0) {
            fail_msg("[%s] %s: '%s' left bytes behind '%s'", tc->section, tc->key, tc->first,
                     tc->last);
        }
    }
    free(once);
    free(twice);
    free(ctx);
}

/* A file's value over a longer default: the section equals one built from zero. */
static void test_config_load_sections_compare_whole(void **state)
{
    struct fixture *f = *state;
    struct config_storage storage;
    struct config_coap coap;

    assert_int_equal(load(f, "[storage]\npath = /x\n[coap]\nlisten = [::1]:1\n"), 0);
    memset(&storage, 0, sizeof(storage));
    strcpy(storage.path, "/x");
    storage.retention_days = 90;
    storage.synchronous = CONFIG_SYNC_FULL;
    assert_memory_equal(&f->cfg.storage, &storage, sizeof(storage));
    memset(&coap, 0, sizeof(coap));
    strcpy(coap.listen, "[::1]:1");
    assert_memory_equal(&f->cfg.coap, &coap, sizeof(coap));
}

static void test_config_changed_keys(void **state)
{
    struct fixture *f = *state;
    struct config *before = calloc(1, sizeof(*before));
    char list[128] = "";

    assert_non_null(before);
    assert_int_equal(load(f, "[lora]\nlisten = 127.0.0.1:1700\n[mqtt]\nhost = b\n"), 0);
    *before = f->cfg;
    assert_int_equal(load(f, "[lora]\nlisten = 127.0.0.1:1701\n[mqtt]\nhost = b\nport = 1\n"), 0);
    assert_int_equal(config_changed_keys("coap", &before->coap, &f->cfg.coap, list, sizeof(list)),
                     0);
    assert_string_equal(list, "");
    assert_int_equal(config_changed_keys("lora", &before->lora, &f->cfg.lora, list, sizeof(list)),
                     1);
    assert_string_equal(list, "[lora] listen");
    assert_int_equal(config_changed_keys("mqtt", &before->mqtt, &f->cfg.mqtt, list, sizeof(list)),
                     1);
    assert_string_equal(list, "[lora] listen, [mqtt] port");
    assert_int_equal(config_changed_keys("health", &before->fusion.health, &f->cfg.fusion.health,
                                         list, sizeof(list)),
                     0);
    assert_int_equal(config_changed_keys("zone", &before->lora, &f->cfg.lora, list, sizeof(list)),
                     -EINVAL);
    free(before);
}

struct addr_case {
    const char *in;
    int rc;
    int family; /* when rc == 0; AF_UNSPEC: either */
    unsigned port;
};

static const struct addr_case addr_cases[] = {
    {"1.2.3.4:5683", 0, AF_INET, 5683},
    {"0.0.0.0:0", 0, AF_INET, 0},
    {"[::1]:5683", 0, AF_INET6, 5683},
    {"[fe80::1]:1700", 0, AF_INET6, 1700},
    {"localhost:1700", 0, AF_UNSPEC, 1700},
    {"127.0.0.1:65535", 0, AF_INET, 65535},
    {"", -EINVAL, 0, 0},
    {"1.2.3.4", -EINVAL, 0, 0},
    {"1.2.3.4:", -EINVAL, 0, 0},
    {":5683", -EINVAL, 0, 0},
    {"1.2.3.4:65536", -EINVAL, 0, 0},
    {"1.2.3.4:-1", -EINVAL, 0, 0},
    {"1.2.3.4:56x", -EINVAL, 0, 0},
    {"1.2.3.4:000005683", -EINVAL, 0, 0},
    {"::1:5683", -EINVAL, 0, 0},
    {"[::1]5683", -EINVAL, 0, 0},
    {"[::1:5683", -EINVAL, 0, 0},
    {"[1.2.3.4]:5683", -EINVAL, 0, 0},
    {"[]:5683", -EINVAL, 0, 0},
    {"no-such-host.invalid:5683", -EINVAL, 0, 0},
};

static void test_config_parse_addr_table(void **state)
{
    size_t i;

    (void)state;
    for (i = 0; i < sizeof(addr_cases) / sizeof(addr_cases[0]); i++) {
        const struct addr_case *tc = &addr_cases[i];
        struct sockaddr_storage ss;
        unsigned port = 0;
        int rc;

        memset(&ss, 0xA5, sizeof(ss));
        rc = config_parse_addr(tc->in, &ss);
        if (rc != tc->rc) {
            print_error("case %zu '%s': rc %d, wanted %d\n", i, tc->in, rc, tc->rc);
            fail();
        }
        if (rc != 0) {
            continue;
        }
        if (ss.ss_family == AF_INET) {
            port = ntohs(((const struct sockaddr_in *)&ss)->sin_port);
        } else {
            assert_int_equal(ss.ss_family, AF_INET6);
            port = ntohs(((const struct sockaddr_in6 *)&ss)->sin6_port);
        }
        if (tc->family != AF_UNSPEC) {
            assert_int_equal(ss.ss_family, tc->family);
        }
        assert_int_equal(port, tc->port);
    }
    assert_int_equal(config_parse_addr(NULL, NULL), -EINVAL);
}

static void test_config_parse_addr_values(void **state)
{
    struct sockaddr_storage ss;
    const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)&ss;
    struct in6_addr loop6 = IN6ADDR_LOOPBACK_INIT;

    (void)state;
    assert_int_equal(config_parse_addr("10.1.2.3:99", &ss), 0);
    assert_int_equal(ntohl(sin->sin_addr.s_addr), 0x0A010203u);
    assert_int_equal(config_parse_addr("[::1]:5683", &ss), 0);
    assert_memory_equal(&sin6->sin6_addr, &loop6, sizeof(loop6));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_load_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_empty_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_nul_byte, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_listeners_apart, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_missing_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_truncates_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_full, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_derived_names, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_load_example, setup, teardown),
        cmocka_unit_test(test_config_set_value_shorter_leaves_nothing),
        cmocka_unit_test_setup_teardown(test_config_load_sections_compare_whole, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_changed_keys, setup, teardown),
        cmocka_unit_test(test_config_parse_addr_table),
        cmocka_unit_test(test_config_parse_addr_values),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
