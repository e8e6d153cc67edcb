/* SPDX-License-Identifier: MIT
 * Unit tests for [alertmanager] in daemon/config/: the defaults, a URL list split and
 * cleaned, the credentials, and every refusal with its line; a URL with credentials in it is
 * refused without being echoed (the password would be in the message); [alertmanager]
 * tls_ca checked by config_check_files().
 */
#include "daemon/config_fixture.h"

#include <errno.h>
#include <string.h>

static void test_config_alertmanager_defaults(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, "[gateway]\nid = gw\n"), 0);
    assert_int_equal(f->cfg.alertmanager.url_count, 0);
    assert_int_equal(f->cfg.alertmanager.resend_s, 60);
    assert_int_equal(f->cfg.alertmanager.timeout_s, 10);
}

static void test_config_alertmanager_url_list(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f,
                          "[alertmanager]\n"
                          "url = http://am1:9093/, https://am2.example/prefix  http://[::1]:9093\n"
                          "username = tinyfleet\npassword = s3cret\nresend_s = 30\n"),
                     0);
    assert_int_equal(f->cfg.alertmanager.url_count, 3);
    assert_string_equal(f->cfg.alertmanager.urls[0], "http://am1:9093");
    assert_string_equal(f->cfg.alertmanager.urls[1], "https://am2.example/prefix");
    assert_string_equal(f->cfg.alertmanager.urls[2], "http://[::1]:9093");
    assert_string_equal(f->cfg.alertmanager.password, "s3cret");
    assert_int_equal(f->cfg.alertmanager.resend_s, 30);
    assert_int_equal(load(f, "[alertmanager]\nurl = http://am:9093\nbearer_token = abc\n"), 0);
    assert_string_equal(f->cfg.alertmanager.bearer_token, "abc");
}

struct bad {
    const char *text;
    const char *want; /* after "FILE:LINE: " */
    unsigned line;
};

static const struct bad bad[] = {
    {"[alertmanager]\nurl = ftp://am:21\n", "[alertmanager] url: 'ftp://am:21' is not", 2},
    {"[alertmanager]\nurl = http:///x\n", "[alertmanager] url: 'http:///x' is not", 2},
    {"[alertmanager]\nurl = am:9093\n", "[alertmanager] url: 'am:9093' is not", 2},
    {"[alertmanager]\nurl = http://a http://b http://c http://d http://e\n",
     "[alertmanager] url: more than 4 URLs", 2},
    {"[alertmanager]\nurl = http://am/x\"y\n", "[alertmanager] url: 'http://am/x\"y' is not", 2},
    {"[alertmanager]\nurl = http://am\npassword = p\n", "[alertmanager] password: needs a username",
     3},
    {"[alertmanager]\nurl = http://am\nusername = u\nbearer_token = t\n",
     "[alertmanager] bearer_token: use either it or username/password", 4},
    {"[alertmanager]\nresend_s = 0\n", "[alertmanager] resend_s:", 2},
    {"[alertmanager]\ntimeout_s = 301\n", "[alertmanager] timeout_s:", 2},
    {"[alertmanager]\nsecret = 1\n", "[alertmanager] secret:", 2},
};

static void test_config_alertmanager_refused(void **state)
{
    struct fixture *f = *state;
    unsigned failed = 0;
    size_t i;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        char head[160];
        int rc = load(f, bad[i].text);

        (void)snprintf(head, sizeof(head), "%s:%u: ", f->path, bad[i].line);
        if (rc != -EINVAL || strncmp(f->err, head, strlen(head)) != 0 ||
            strncmp(f->err + strlen(head), bad[i].want, strlen(bad[i].want)) != 0) {
            print_error("case %zu: rc %d: %s\n", i, rc, f->err);
            failed++;
        }
    }
    assert_int_equal(failed, 0);
}

static void test_config_alertmanager_credentials_in_url(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, "[alertmanager]\nurl = http://am:1 http://user:hunter2@am:9093\n"),
                     -EINVAL);
    assert_non_null(strstr(f->err, ":2: [alertmanager] url: URL 2 has an '@'"));
    assert_null(strstr(f->err, "hunter2"));
}

static void test_config_alertmanager_tls_ca_file(void **state)
{
    struct fixture *f = *state;
    char text[256];

    (void)snprintf(text, sizeof(text),
                   "[storage]\npath = %s/t.db\n[alertmanager]\nurl = https://am\n"
                   "tls_ca = %s/missing.pem\n",
                   f->dir, f->dir);
    assert_int_equal(load(f, text), 0);
    assert_int_equal(config_check_files(f->path, &f->cfg, f->err, sizeof(f->err)), -ENOENT);
    assert_non_null(strstr(f->err, ":5: [alertmanager] tls_ca"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_alertmanager_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_alertmanager_url_list, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_alertmanager_refused, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_alertmanager_credentials_in_url, setup,
                                        teardown),
        cmocka_unit_test_setup_teardown(test_config_alertmanager_tls_ca_file, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
