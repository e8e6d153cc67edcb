/* SPDX-License-Identifier: MIT
 * What the unit tests of the two bearers (test_ingest_coap.c, test_ingest_lora.c) share: a
 * free loopback UDP port, a temporary store with one registered node, and the daemon's group
 * commit as tinyfleetd runs it after each loop iteration's I/O.
 */
#ifndef PROJ_TESTS_DAEMON_INGEST_FIXTURE_H
#define PROJ_TESTS_DAEMON_INGEST_FIXTURE_H

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <cmocka.h>

#include "store/store.h"

/* A UDP port on 127.0.0.1 that was free a moment ago. */
static inline unsigned free_port(void)
{
    struct sockaddr_in a;
    socklen_t len = sizeof(a);
    int fd = socket(AF_INET, SOCK_DGRAM, 0);
    unsigned port;

    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    port = ntohs(a.sin_port);
    close(fd);
    return port;
}

/* A new store at a fresh name made from the template @path (which receives the name), with
 * node @devaddr registered under the two keys. */
static inline struct store *ingest_test_store(char *path, uint32_t devaddr,
                                              const uint8_t nwkskey[16], const uint8_t appskey[16])
{
    struct store *s = NULL;
    struct store_node n;
    char err[256];
    int fd = mkstemp(path);

    assert_true(fd >= 0);
    close(fd);
    unlink(path);
    assert_int_equal(store_open(path, 1, &s, err, sizeof(err)), 0);
    memset(&n, 0, sizeof(n));
    n.devaddr = devaddr;
    n.battery_mv = -1;
    memcpy(n.nwkskey, nwkskey, 16);
    memcpy(n.appskey, appskey, 16);
    assert_int_equal(store_node_add(s, &n), 0);
    return s;
}

/* The group commit: flush what is pending; *@fail_next reports the next flush as failed
 * (once); a successful one counts in *@gen. Return: the result the bearer is told. */
static inline int ingest_test_commit(struct store *s, int *fail_next, uint64_t *gen)
{
    bool flushed = store_pending(s);
    int rc = 0;

    if (flushed) {
        rc = store_flush(s);
    }
    if (flushed && *fail_next) {
        *fail_next = 0;
        rc = -EIO;
    }
    if (flushed && rc == 0) {
        (*gen)++;
    }
    return rc;
}

#endif
