/* SPDX-License-Identifier: MIT
 * Unit tests of /metrics (web/web_metrics.c) against a real database (web_fixture.h): each
 * family's values, the HELP and TYPE lines once per family and before its samples, label
 * values escaped, and only the DevAddr as a per-node label.
 */
#include <errno.h>

#include "web_fixture.h"
#include "web_db.h"
#include "web_metrics.h"

static char *metrics(struct fixture *f)
{
    struct web_db *db = NULL;
    char *text = NULL;
    size_t len = 0;

    assert_int_equal(web_db_open(f->path, &db), 0);
    assert_int_equal(web_metrics_text(db, &f->cfg, NOW_MS, &text, &len), 0);
    web_db_close(db);
    assert_int_equal(strlen(text), len);
    return text;
}

/* @text has the whole line @line. */
static bool has_line(const char *text, const char *line)
{
    size_t n = strlen(line);
    const char *p = text;

    while ((p = strstr(p, line)) != NULL) {
        if ((p == text || p[-1] == '\n') && (p[n] == '\n' || p[n] == '\0')) {
            return true;
        }
        p += n;
    }
    return false;
}

static void test_web_metrics_values(void **state)
{
    struct fixture *f = *state;
    static const char *const want[] = {
        "tinyfleet_frames_total{bearer=\"lora\",reason=\"accepted\"} 1234",
        "tinyfleet_frames_total{bearer=\"lora\",reason=\"bad_mic\"} 5",
        "tinyfleet_frames_total{bearer=\"coap\",reason=\"accepted\"} 77",
        "tinyfleet_frames_total{bearer=\"coap\",reason=\"replay\"} 0",
        "tinyfleet_outbox_messages 2",
        "tinyfleet_outbox_oldest_age_seconds 10.000",
        "tinyfleet_alerts_active{class=\"elephant\",level=\"critical\"} 1",
        "tinyfleet_alerts_active{class=\"whale\",level=\"watch\"} 0",
        "tinyfleet_nodes{state=\"ok\"} 1",
        "tinyfleet_nodes{state=\"alerting\"} 1",
        "tinyfleet_nodes{state=\"battery_low\"} 1",
        "tinyfleet_nodes{state=\"offline\"} 2",
        "tinyfleet_nodes{state=\"learning\"} 0",
        "tinyfleet_node_last_seen_age_seconds{devaddr=\"26011F00\"} 60.000",
        "tinyfleet_node_last_seen_age_seconds{devaddr=\"26011F03\"} 7200.000",
        "tinyfleet_node_battery_volts{devaddr=\"26011F02\"} 3.200",
        "tinyfleet_node_series_omitted 0",
        "# TYPE tinyfleet_frames_total counter",
        "# TYPE tinyfleet_nodes gauge",
    };
    char *text;
    size_t i;

    fill_fleet(f);
    text = metrics(f);
    for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (!has_line(text, want[i])) {
            fail_msg("missing line: %s\n%s", want[i], text);
        }
    }
    /* the counter of an unknown reason is not invented into a label; names never labels */
    assert_null(strstr(text, "nonsense"));
    assert_null(strstr(text, "ok-node"));
    assert_null(strstr(text, "script"));
    /* a node never heard has no age, one without a battery report no voltage */
    assert_null(strstr(text, "seconds{devaddr=\"26011F04\"}"));
    assert_null(strstr(text, "volts{devaddr=\"26011F04\"}"));
    assert_null(strstr(text, "tinyfleet_database_bytes 0\n"));
    assert_non_null(strstr(text, "tinyfleet_database_bytes "));
    free(text);
}

static void test_web_metrics_format(void **state)
{
    struct fixture *f = *state;
    char *text;
    char *line;
    char *save = NULL;
    char seen[32][64];
    size_t nseen = 0;
    char typed[64] = "";

    fill_fleet(f);
    /* a class the config does not know, with characters a label must escape */
    exec_sql(f->db, "INSERT INTO alerts (id, class, topic_key, level, state, seq, opened_ms,"
                    " changed_ms, json) VALUES (9, 'odd\"cl\\ass', 'z', 'warning', 'open', 1, 1,"
                    " 1, '{}')");
    text = metrics(f);
    assert_true(has_line(text, "tinyfleet_alerts_active{class=\"odd\\\"cl\\\\ass\","
                               "level=\"warning\"} 1"));
    /* every sample follows the TYPE line of its own family, and no family is typed twice */
    for (line = strtok_r(text, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
        size_t i;

        if (strncmp(line, "# TYPE ", 7) == 0) {
            (void)sscanf(line + 7, "%63s", typed);
            for (i = 0; i < nseen; i++) {
                assert_string_not_equal(seen[i], typed);
            }
            assert_true(nseen < 32);
            (void)snprintf(seen[nseen++], sizeof(seen[0]), "%s", typed);
        } else if (line[0] != '#') {
            assert_int_equal(strncmp(line, typed, strlen(typed)), 0);
            assert_true(line[strlen(typed)] == '{' || line[strlen(typed)] == ' ');
        }
    }
    assert_true(nseen >= 9);
    free(text);
}

static void test_web_metrics_no_tables(void **state)
{
    struct fixture *f = *state;
    struct web_db *db = NULL;
    char *text = (char *)"x";
    size_t len = 1;

    exec_sql(f->db, "DROP TABLE counters");
    assert_int_equal(web_db_open(f->path, &db), 0);
    assert_int_equal(web_metrics_text(db, &f->cfg, NOW_MS, &text, &len), -EIO);
    assert_null(text);
    assert_int_equal(len, 0);
    web_db_close(db);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_web_metrics_values, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_metrics_format, setup, teardown),
        cmocka_unit_test_setup_teardown(test_web_metrics_no_tables, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
