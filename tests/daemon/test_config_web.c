/* SPDX-License-Identifier: MIT
 * Unit tests of the [web] section (tinyfleet-web's): its defaults (loopback, no tiles, no
 * authentication, public_url from listen), every key read, public_url following TLS, and each
 * refusal naming FILE:LINE and the key.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "config/config.h"
#include "config_fixture.h"

static void test_config_web_defaults(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, "[gateway]\n"), 0);
    assert_string_equal(f->cfg.web.listen, "127.0.0.1:8080");
    assert_string_equal(f->cfg.web.tiles, "");
    assert_string_equal(f->cfg.web.user, "");
    assert_string_equal(f->cfg.web.password_hash, "");
    assert_string_equal(f->cfg.web.tls_cert, "");
    assert_string_equal(f->cfg.web.public_url, "http://127.0.0.1:8080/");
    /* no [web] key: alerts sent to Alertmanager carry no link to a page nobody runs */
    assert_false(f->cfg.web.configured);
}

static void test_config_web_keys(void **state)
{
    struct fixture *f = *state;

    assert_int_equal(load(f, "[web]\nlisten = 127.0.0.1:18080\n"
                             "tiles = https://tile.example.org/{z}/{x}/{y}.png\n"
                             "user = ranger\npassword_hash = $6$salt$abc\n"
                             "tls_cert = /etc/c.pem\ntls_key = /etc/k.pem\n"),
                     0);
    assert_string_equal(f->cfg.web.listen, "127.0.0.1:18080");
    assert_string_equal(f->cfg.web.tiles, "https://tile.example.org/{z}/{x}/{y}.png");
    assert_string_equal(f->cfg.web.user, "ranger");
    assert_string_equal(f->cfg.web.password_hash, "$6$salt$abc");
    assert_string_equal(f->cfg.web.tls_cert, "/etc/c.pem");
    assert_string_equal(f->cfg.web.tls_key, "/etc/k.pem");
    /* TLS makes the default public URL https */
    assert_string_equal(f->cfg.web.public_url, "https://127.0.0.1:18080/");
    assert_int_equal(load(f, "[web]\npublic_url = https://gw.example.org/status/\n"), 0);
    assert_string_equal(f->cfg.web.public_url, "https://gw.example.org/status/");
    assert_true(f->cfg.web.configured);
}

struct web_err_case {
    const char *text;
    unsigned line;
    const char *want;
};

static const struct web_err_case web_err_cases[] = {
    {"[web]\nlisten =\n", 2, "[web] listen: needs host:port"},
    {"[web]\nlisten = 127.0.0.1\n", 2, "[web] listen:"},
    {"[web]\ntiles = ftp://x/{z}\n", 2, "[web] tiles: not an http:// or https:// URL"},
    {"[web]\nuser = a\n", 2, "[web] user: needs password_hash as well"},
    {"[web]\n\npassword_hash = $6$a$b\n", 3, "[web] password_hash: needs a user as well"},
    {"[web]\nuser = a\npassword_hash = secret\n", 3, "[web] password_hash: not a crypt(3) hash"},
    {"[web]\nuser = a:b\npassword_hash = $6$a$b\n", 2, "[web] user: may not contain ':'"},
    {"[web]\ntls_cert = /c\n", 2, "[web] tls_cert: needs tls_key as well"},
    {"[web]\ntls_key = /k\n", 2, "[web] tls_key: needs tls_cert as well"},
    {"[web]\npublic_url = gw:8080\n", 2, "[web] public_url: not an http:// or https:// URL"},
    {"[web]\nport = 1\n", 2, "[web] port: unknown key"},
};

static void test_config_web_errors(void **state)
{
    struct fixture *f = *state;
    unsigned failed = 0;
    size_t i;

    for (i = 0; i < sizeof(web_err_cases) / sizeof(web_err_cases[0]); i++) {
        const struct web_err_case *tc = &web_err_cases[i];
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

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_config_web_defaults, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_web_keys, setup, teardown),
        cmocka_unit_test_setup_teardown(test_config_web_errors, setup, teardown),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
