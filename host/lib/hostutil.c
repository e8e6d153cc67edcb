/* SPDX-License-Identifier: MIT
 * Helpers shared by the host commands (see hostutil.h).
 */
#include "hostutil.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "proto/classes.h"
#include "synth/synth.h"

static int nibble(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

int hostutil_hex(const char *s, uint8_t *out, size_t n)
{
    size_t i;

    if (strlen(s) != 2u * n) {
        return -1;
    }
    for (i = 0; i < n; i++) {
        int hi = nibble(s[2 * i]);
        int lo = nibble(s[2 * i + 1]);

        if (hi < 0 || lo < 0) {
            return -1;
        }
        out[i] = (uint8_t)(hi << 4 | lo);
    }
    return 0;
}

void hostutil_to_hex(const uint8_t *in, size_t n, char *out)
{
    static const char digits[] = "0123456789ABCDEF";
    size_t i;

    for (i = 0; i < n; i++) {
        out[2 * i] = digits[in[i] >> 4];
        out[2 * i + 1] = digits[in[i] & 15u];
    }
    out[2 * n] = 0;
}

int hostutil_devaddr(const char *s, uint32_t *out)
{
    uint8_t b[4];

    if (hostutil_hex(s, b, 4) != 0) {
        return -1;
    }
    *out = (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 | (uint32_t)b[2] << 8 | b[3];
    return 0;
}

int hostutil_num(const char *opt, const char *s, double lo, double hi, double *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (errno != 0 || end == s || *end != 0 || !isfinite(v) || v < lo || v > hi) {
        fprintf(stderr, "tinyfleet-node: --%s: a number in %g..%g expected, got '%s'\n", opt, lo,
                hi, s);
        return -1;
    }
    *out = v;
    return 0;
}

const char *hostutil_class_name(uint8_t class_id)
{
    /* The built-in table; the gateway's config may rename them. */
    const char *name = proto_class_name(class_id);

    return name != NULL ? name : "unknown";
}

int hostutil_synth_kind(const char *name)
{
    int k;

    for (k = 0; k < (int)SYNTH_KIND_COUNT; k++) {
        if (strcmp(synth_kind_name((enum synth_kind)k), name) == 0) {
            return k;
        }
    }
    return -1;
}

const char *hostutil_node_strerror(int rc)
{
    switch (rc) {
    case NODE_EINVAL:
        return "bad configuration";
    case NODE_EMODEL:
        return "the profile's model does not load";
    case NODE_ESENSOR:
        return "the input does not have the profile's sample rate";
    case NODE_EFCNT:
        return "the frame counter record is unreadable (corrupt NV file?): not sending";
    default:
        return "unknown error";
    }
}

void hostutil_print_stats(FILE *out, const char *name, const struct node *n, uint32_t acks,
                          uint32_t ack_timeouts)
{
    const struct node_stats *s = &n->stats;

    fprintf(out,
            "{\"node\":\"%s\",\"devaddr\":\"%08" PRIX32 "\",\"bearer\":\"%s\",\"windows\":%" PRIu32
            ",\"detections\":%" PRIu32 ",\"episodes\":%" PRIu32 ",\"frames\":%" PRIu32
            ",\"delivered\":%" PRIu32 ",\"tx_failed\":%" PRIu32 ",\"budget_refused\":%" PRIu32
            ",\"records_dropped\":%" PRIu32 ",\"fcnt_next\":%" PRIu32 ",\"fcnt_writes\":%" PRIu32
            ",\"airtime_ms\":%.1f,\"coap_retransmissions\":%" PRIu32 ",\"coap_rejected\":%" PRIu32
            ",\"coap_timeouts\":%" PRIu32 ",\"coap_unavailable\":%" PRIu32 ",\"push_acks\":%" PRIu32
            ",\"push_ack_timeouts\":%" PRIu32 "}\n",
            name, n->cfg.devaddr, n->cfg.bearer == BEARER_COAP ? "coap" : "lora", s->windows,
            s->detections, n->agg.episodes, s->frames, s->delivered, s->tx_failed,
            s->budget_refused, n->agg.dropped, n->fcnt.next, n->fcnt.writes,
            (double)n->bearer.dc.total_us / 1000.0, n->bearer.coap.retransmissions,
            n->bearer.coap.rejected, n->bearer.coap.timeouts, n->bearer.coap.unavailable, acks,
            ack_timeouts);
    fflush(out);
}
