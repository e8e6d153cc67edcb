/* SPDX-License-Identifier: MIT
 * Unit tests for the limits of daemon/config/: every key with a range, at both ends (min - 1
 * refused, min and max accepted with that value, max + 1 refused), against a table of the
 * documented ranges written here, which must name exactly the ranged keys of the parser's
 * own key tables with the same bounds (a key whose bound moves, or a new ranged key, fails
 * until this table says so); and config_check_files(): the database's directory and the TLS
 * files, each refusal naming FILE:LINE and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_fixture.h"
#include "config/config_int.h"

/* ---- ranges ------------------------------------------------------------------------------ */

/* The documented range of every ranged key (config/tinyfleetd.conf, tinyfleetd.conf(5)). The
 * minimums matter most: a window_s of 0 would be accepted and fusion would never alert. */
struct range {
    const char *section; /* as in the file; "class", "zone", "rule" stand for class.c, ... */
    const char *key;
    double min;
    double max;
};

static const struct range ranges[] = {
    {"storage", "retention_days", 0, 36500},
    {"lora", "dedup_window_ms", 0, 60000},
    {"lora", "adr_interval_s", 60, 2592000},
    {"mqtt", "port", 1, 65535},
    {"mqtt", "outbox_max", 100, 10000000},
    {"mqtt", "reconnect_max_s", 1, 3600},
    {"mqtt", "puback_timeout_s", 1, 3600},
    {"fusion", "takeover_s", 3, 3600},
    {"health", "offline_after_s", 0, 31536000},
    {"health", "battery_low_mv", 0, 10000},
    {"alertmanager", "resend_s", 1, 3600},
    {"alertmanager", "timeout_s", 1, 300},
    {"class", "id", 0, 255},
    {"zone", "lat", -90, 90},
    {"zone", "lon", -180, 180},
    {"zone", "radius_m", 1, 1e6},
    {"rule", "window_s", 1, 86400},
    {"rule", "min_nodes", 1, 1000},
    {"rule", "watch_confidence", 0, 1},
    {"rule", "warning_confidence", 0, 1},
    {"rule", "critical_confidence", 0, 1},
    {"rule", "clear_after_s", 1, 604800},
    {"rule", "update_interval_s", 0, 86400},
    {"rule", "k", 1, 64},
    {"rule", "n", 1, 64},
    {"rule", "anomalous_ratio", 0, 0.99},
    {"rule", "storm_zones", 0, 1000},
    {"rule", "storm_window_s", 1, 86400},
};

/* The parser's tables, by the names used above. */
static const struct config__section_spec *spec_of(const char *section)
{
    size_t i;

    if (strcmp(section, "class") == 0) {
        return &config__class_section;
    }
    if (strcmp(section, "zone") == 0) {
        return &config__zone_section;
    }
    if (strcmp(section, "rule") == 0) {
        return &config__rule_section;
    }
    for (i = 0; i < CONFIG__FS_COUNT; i++) {
        if (strcmp(config__fixed_sections[i].name, section) == 0) {
            return &config__fixed_sections[i];
        }
    }
    return NULL;
}

static const struct config__key_spec *key_of(const struct range *r)
{
    const struct config__section_spec *spec = spec_of(r->section);
    size_t i;

    assert_non_null(spec);
    for (i = 0; i < spec->nkeys; i++) {
        if (strcmp(spec->keys[i].key, r->key) == 0) {
            return &spec->keys[i];
        }
    }
    return NULL;
}

/* Each ranged key of the parser is in ranges[] with the same bounds, and each entry of
 * ranges[] is a ranged key of the parser. */
static void test_config_ranges_are_the_documented_ones(void **state)
{
    static const char *const named[] = {"class", "zone", "rule"};
    unsigned wrong = 0;
    size_t s;
    size_t i;
    size_t j;

    (void)state;
    for (s = 0; s < CONFIG__FS_COUNT + 3; s++) {
        const char *name =
            s < CONFIG__FS_COUNT ? config__fixed_sections[s].name : named[s - CONFIG__FS_COUNT];
        const struct config__section_spec *spec = spec_of(name);

        for (i = 0; i < spec->nkeys; i++) {
            const struct config__key_spec *k = &spec->keys[i];
            const struct range *r = NULL;

            if (k->type != CONFIG__V_UINT && k->type != CONFIG__V_DOUBLE) {
                continue;
            }
            for (j = 0; j < sizeof(ranges) / sizeof(ranges[0]); j++) {
                if (strcmp(ranges[j].section, name) == 0 && strcmp(ranges[j].key, k->key) == 0) {
                    r = &ranges[j];
                }
            }
            if (r == NULL) {
                print_error("[%s] %s: a ranged key (%g..%g) missing from ranges[]: add its "
                            "documented range there\n",
                            name, k->key, k->min, k->max);
                wrong++;
            } else if (r->min != k->min || r->max != k->max) {
                print_error("[%s] %s: the parser takes %g..%g, the documented range is %g..%g\n",
                            name, k->key, k->min, k->max, r->min, r->max);
                wrong++;
            }
        }
    }
    for (j = 0; j < sizeof(ranges) / sizeof(ranges[0]); j++) {
        const struct config__key_spec *k = key_of(&ranges[j]);

        if (k == NULL || (k->type != CONFIG__V_UINT && k->type != CONFIG__V_DOUBLE)) {
            print_error("[%s] %s: not a ranged key of the parser\n", ranges[j].section,
                        ranges[j].key);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

/* A file in which [@r->section] @r->key = @value is the only doubtful line: the other keys
 * the section needs are there, chosen so no check across keys can fail (a persistence rule
 * has no order of confidences; k = 1 and n = 64 leave k <= n to the key under test). */
static void file_with(const struct range *r, const char *value, char *out, size_t cap,
                      unsigned *line)
{
    static const char *const rule_keys[][2] = {
        {"type", "persistence"}, {"class", "machine_anomaly"}, {"k", "1"}, {"n", "64"}};
    static const char *const zone_keys[][2] = {{"lat", "0"}, {"lon", "0"}, {"radius_m", "10"}};
    const char *const(*others)[2] = NULL;
    size_t n_others = 0;
    size_t used;
    size_t i;

    *line = 2;
    if (strcmp(r->section, "rule") == 0) {
        used = (size_t)snprintf(out, cap, "[rule.r]\n");
        others = rule_keys;
        n_others = sizeof(rule_keys) / sizeof(rule_keys[0]);
    } else if (strcmp(r->section, "zone") == 0) {
        used = (size_t)snprintf(out, cap, "[zone.z]\n");
        others = zone_keys;
        n_others = sizeof(zone_keys) / sizeof(zone_keys[0]);
    } else if (strcmp(r->section, "class") == 0) {
        used = (size_t)snprintf(out, cap, "[class.c]\n");
    } else {
        used = (size_t)snprintf(out, cap, "[%s]\n", r->section);
    }
    for (i = 0; i < n_others; i++) {
        if (strcmp(others[i][0], r->key) != 0) {
            used +=
                (size_t)snprintf(out + used, cap - used, "%s = %s\n", others[i][0], others[i][1]);
            (*line)++;
        }
    }
    (void)snprintf(out + used, cap - used, "%s = %s\n", r->key, value);
}

/* The value config_load() stored for @r's key. */
static double loaded(const struct fixture *f, const struct range *r,
                     const struct config__key_spec *k)
{
    const char *base;

    if (strcmp(r->section, "class") == 0) {
        /* The one class of the file is named "c": its id is where the name is. */
        return (double)config_class_id(&f->cfg.fusion, "c");
    }
    if (strcmp(r->section, "zone") == 0) {
        base = (const char *)&f->cfg.fusion.zones[0];
    } else if (strcmp(r->section, "rule") == 0) {
        base = (const char *)&f->cfg.fusion.rules[0];
    } else {
        base = (const char *)&f->cfg + spec_of(r->section)->off;
    }
    if (k->type == CONFIG__V_UINT) {
        unsigned v;

        memcpy(&v, base + k->off, sizeof(v));
        return (double)v;
    }
    {
        double v;

        memcpy(&v, base + k->off, sizeof(v));
        return v;
    }
}

/* The value just outside @edge, going @dir: the next integer for whole-number keys, the
 * next double for the others, so the bound is exact. */
static void outside(const struct config__key_spec *k, double edge, double dir, char *out,
                    size_t cap)
{
    if (k->type == CONFIG__V_UINT) {
        (void)snprintf(out, cap, "%.0f", edge + dir);
    } else {
        (void)snprintf(out, cap, "%.17g", nextafter(edge, dir * INFINITY));
    }
}

static void test_config_load_range_edges(void **state)
{
    struct fixture *f = *state;
    unsigned wrong = 0;
    size_t i;

    for (i = 0; i < sizeof(ranges) / sizeof(ranges[0]); i++) {
        const struct range *r = &ranges[i];
        const struct config__key_spec *k = key_of(r);
        const double edges[2] = {r->min, r->max};
        const double dirs[2] = {-1, 1};
        size_t e;

        assert_non_null(k);
        for (e = 0; e < 2; e++) {
            char value[64];
            char text[512];
            char head[256];
            unsigned line;
            int rc;

            /* The edge itself: accepted, and that is the value loaded. */
            (void)snprintf(value, sizeof(value), k->type == CONFIG__V_UINT ? "%.0f" : "%.17g",
                           edges[e]);
            file_with(r, value, text, sizeof(text), &line);
            rc = load(f, text);
            if (rc != 0 || loaded(f, r, k) != edges[e]) {
                print_error("[%s] %s = %s: rc %d (%s), loaded %g; wanted accepted\n", r->section,
                            r->key, value, rc, f->err, rc == 0 ? loaded(f, r, k) : 0.0);
                wrong++;
            }
            /* One step beyond: refused, naming the line and the key. */
            outside(k, edges[e], dirs[e], value, sizeof(value));
            file_with(r, value, text, sizeof(text), &line);
            rc = load(f, text);
            (void)snprintf(head, sizeof(head), "%s:%u: [%s%s] %s: ", f->path, line, r->section,
                           strcmp(r->section, "rule") == 0    ? ".r"
                           : strcmp(r->section, "zone") == 0  ? ".z"
                           : strcmp(r->section, "class") == 0 ? ".c"
                                                              : "",
                           r->key);
            if (rc != -EINVAL || strncmp(f->err, head, strlen(head)) != 0) {
                print_error("[%s] %s = %s: rc %d, message '%s'; wanted refused as '%s...'\n",
                            r->section, r->key, value, rc, f->err, head);
                wrong++;
            }
        }
    }
    assert_int_equal(wrong, 0);
}

/* ---- config_check_files() ----------------------------------------------------------------- */

struct files_case {
    const char *text; /* '@' stands for the test's temp directory */
    int rc;
    const char *want; /* the message after "FILE:" ('@' as above); "" for rc 0 */
};

static const struct files_case files_cases[] = {
    {"[storage]\npath = @/tinyfleet.db\n", 0, ""},
    {"[storage]\npath = @/no-such-dir/tinyfleet.db\n", -ENOENT,
     "2: [storage] path: the database's directory '@/no-such-dir': No such file or directory"},
    {"[storage]\npath = @/ca.pem/tinyfleet.db\n", -ENOTDIR,
     "2: [storage] path: the database's directory '@/ca.pem': Not a directory"},
    {"[storage]\npath = @/x.db\n[mqtt]\nhost = b\ntls_ca = @/ca.pem\n", 0, ""},
    {"[storage]\npath = @/x.db\n[mqtt]\nhost = b\ntls_ca = @/nope.pem\n", -ENOENT,
     "5: [mqtt] tls_ca: cannot read '@/nope.pem': No such file or directory"},
    {"[storage]\npath = @/x.db\n[mqtt]\nhost = b\ntls_ca = @\n", -EISDIR,
     "5: [mqtt] tls_ca: '@' is not a regular file"},
    {"[storage]\npath = @/x.db\n[mqtt]\ntls_cert = @/cert.pem\ntls_key = @/key.pem\n", -ENOENT,
     "5: [mqtt] tls_key: cannot read '@/key.pem': No such file or directory"},
    {"[storage]\npath = @/x.db\n[mqtt]\ntls_key = @/ca.pem\n\ntls_cert = @/gone.pem\n", -ENOENT,
     "6: [mqtt] tls_cert: cannot read '@/gone.pem': No such file or directory"},
    {"[storage]\npath = @/x.db\n[mqtt]\ntls_key = @/ca.pem\ntls_cert = @/cert.pem\n", 0, ""},
};

/* @in with every '@' replaced by @dir. */
static void expand(const char *in, const char *dir, char *out, size_t cap)
{
    size_t used = 0;

    for (; *in != '\0' && used + 1 < cap; in++) {
        if (*in == '@') {
            used += (size_t)snprintf(out + used, cap - used, "%s", dir);
        } else {
            out[used++] = *in;
        }
    }
    out[used < cap ? used : cap - 1] = '\0';
}

static void touch(const struct fixture *f, const char *name)
{
    char p[128];
    FILE *fp;

    (void)snprintf(p, sizeof(p), "%s/%s", f->dir, name);
    fp = fopen(p, "w");
    assert_non_null(fp);
    assert_int_equal(fclose(fp), 0);
}

static void test_config_check_files(void **state)
{
    struct fixture *f = *state;
    unsigned wrong = 0;
    size_t i;

    touch(f, "ca.pem");
    touch(f, "cert.pem");
    for (i = 0; i < sizeof(files_cases) / sizeof(files_cases[0]); i++) {
        const struct files_case *tc = &files_cases[i];
        char text[512];
        char want[512];
        char full[700];
        int rc;

        expand(tc->text, f->dir, text, sizeof(text));
        assert_int_equal(load(f, text), 0); /* config_load() looks at nothing on disk */
        rc = config_check_files(f->path, &f->cfg, f->err, sizeof(f->err));
        expand(tc->want, f->dir, want, sizeof(want));
        (void)snprintf(full, sizeof(full), "%s:%s", f->path, want);
        if (rc != tc->rc || (rc == 0 ? f->err[0] != '\0' : strcmp(f->err, full) != 0)) {
            print_error("case %zu: rc %d, message '%s'; wanted rc %d, '%s'\n", i, rc, f->err,
                        tc->rc, rc == 0 ? "" : full);
            wrong++;
        }
    }
    assert_int_equal(wrong, 0);
}

/* A key left to its default is named as such, without a line. */
static void test_config_check_files_default_path(void **state)
{
    struct fixture *f = *state;
    struct stat st;
    char want[256];
    int rc;

    assert_int_equal(load(f, "[gateway]\n"), 0);
    rc = config_check_files(f->path, &f->cfg, f->err, sizeof(f->err));
    if (stat("/var/lib/tinyfleet", &st) == 0 && S_ISDIR(st.st_mode)) {
        assert_int_equal(rc, 0);
        return;
    }
    (void)snprintf(
        want, sizeof(want),
        "%s: [storage] path (default): the database's directory '/var/lib/tinyfleet': ", f->path);
    assert_int_not_equal(rc, 0);
    assert_memory_equal(f->err, want, strlen(want));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_ranges_are_the_documented_ones),
        cmocka_unit_test_setup_teardown(test_config_load_range_edges, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_check_files, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_check_files_default_path, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
