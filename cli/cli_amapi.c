/* SPDX-License-Identifier: MIT
 * The CLI's requests to Alertmanager's API v2 (the silences of `tinyfleet alerts ack`,
 * `mute`, `mutes`, `unmute`), with libcurl's easy interface: a command line may wait. Each
 * URL of [alertmanager] url is tried in turn until one answers; the credentials of the config
 * go to curl only, never to a message.
 */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <curl/curl.h>

#include "config/config.h"

#define RESPONSE_MAX (4u << 20) /* a silence list larger than this is refused */

struct response {
    char *text;
    size_t len;
    bool too_big;
};

static size_t on_data(char *ptr, size_t size, size_t n, void *arg)
{
    struct response *r = arg;
    size_t add = size * n;
    char *grown;

    if (r->len + add + 1 > RESPONSE_MAX) {
        r->too_big = true;
        return 0; /* curl fails the transfer */
    }
    grown = realloc(r->text, r->len + add + 1);
    if (grown == NULL) {
        return 0;
    }
    memcpy(grown + r->len, ptr, add);
    r->len += add;
    grown[r->len] = '\0';
    r->text = grown;
    return add;
}

static CURLcode set_common(CURL *e, const struct config_alertmanager *am, struct response *r,
                           char *errbuf)
{
    CURLcode rc = curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);

    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_TIMEOUT, (long)am->timeout_s);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_data);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
    if (rc == CURLE_OK && am->username[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_USERNAME, am->username);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_PASSWORD, am->password);
    }
    if (rc == CURLE_OK && am->bearer_token[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_XOAUTH2_BEARER, am->bearer_token);
        rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BEARER);
    }
    if (rc == CURLE_OK && am->tls_ca[0] != '\0') {
        rc = curl_easy_setopt(e, CURLOPT_CAINFO, am->tls_ca);
    }
    return rc;
}

/* One request to one URL. Return: the HTTP status, or 0 with @err set. */
static long request_one(const struct config_alertmanager *am, const char *url, const char *method,
                        const char *body, struct response *r, char *err, size_t cap)
{
    char errbuf[CURL_ERROR_SIZE] = "";
    struct curl_slist *h = curl_slist_append(NULL, "Content-Type: application/json");
    CURL *e = curl_easy_init();
    long status = 0;
    CURLcode rc = e != NULL && h != NULL ? set_common(e, am, r, errbuf) : CURLE_OUT_OF_MEMORY;

    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_URL, url);
    rc = rc != CURLE_OK ? rc : curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    if (rc == CURLE_OK && body != NULL) {
        rc = curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    }
    if (rc == CURLE_OK && strcmp(method, "DELETE") == 0) {
        rc = curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    }
    rc = rc != CURLE_OK ? rc : curl_easy_perform(e);
    if (rc == CURLE_OK) {
        (void)curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &status);
    } else {
        (void)snprintf(err, cap, "%s: %s", url,
                       r->too_big  ? "answer too large"
                       : errbuf[0] ? errbuf
                                   : curl_easy_strerror(rc));
    }
    curl_easy_cleanup(e);
    curl_slist_free_all(h);
    return status;
}

long cli_am_request(const struct config_alertmanager *am, const char *method, const char *path,
                    const char *body, char **answer, char *err, size_t cap)
{
    char url[CONFIG_AM_URL_LEN + 256];
    unsigned i;
    long status = 0;

    *answer = NULL;
    err[0] = '\0';
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        (void)snprintf(err, cap, "cannot set up libcurl");
        return 0;
    }
    for (i = 0; i < am->url_count && status == 0; i++) {
        struct response r = {NULL, 0, false};

        (void)snprintf(url, sizeof(url), "%s%s", am->urls[i], path);
        status = request_one(am, url, method, body, &r, err, cap);
        if (status != 0) {
            *answer = r.text;
        } else {
            free(r.text);
        }
    }
    curl_global_cleanup();
    return status;
}
