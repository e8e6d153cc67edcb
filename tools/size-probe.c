/* SPDX-License-Identifier: MIT
 * Two entry points that use exactly what a node (build) and a gateway (parse and verify)
 * need from proto/. tools/size-proto.sh links each one alone for Cortex-M4 with
 * --gc-sections, so the linked size is the flash that side of the protocol costs.
 */
#include <stddef.h>
#include <stdint.h>

#include "proto/frame.h"
#include "proto/tfp.h"

int size_probe_node(const struct proto_tfp_msg *msg, const struct proto_uplink *up,
                    const uint8_t *nwkskey, const uint8_t *appskey, uint8_t *frame);
int size_probe_gateway(const uint8_t *phy, size_t len, uint32_t last, const uint8_t *nwkskey,
                       const uint8_t *appskey, struct proto_tfp_msg *out);

int size_probe_node(const struct proto_tfp_msg *msg, const struct proto_uplink *up,
                    const uint8_t *nwkskey, const uint8_t *appskey, uint8_t *frame)
{
    uint8_t payload[PROTO_TFP_MAX_LEN];
    struct proto_uplink u = *up;
    int n = proto_tfp_encode(msg, payload, sizeof(payload));

    if (n < 0) {
        return n;
    }
    u.payload = payload;
    u.payload_len = (size_t)n;
    return proto_frame_build(&u, nwkskey, appskey, frame, PROTO_FRAME_MAX_LEN);
}

int size_probe_gateway(const uint8_t *phy, size_t len, uint32_t last, const uint8_t *nwkskey,
                       const uint8_t *appskey, struct proto_tfp_msg *out)
{
    struct proto_frame f;
    uint8_t plain[PROTO_FRAME_MAX_LEN];
    uint32_t fcnt;
    int n = proto_frame_parse(phy, len, &f);

    if (n < 0) {
        return n;
    }
    fcnt = proto_frame_fcnt_expand(last, f.fcnt16);
    n = proto_frame_verify(&f, nwkskey, fcnt);
    if (n < 0) {
        return n;
    }
    n = proto_frame_decrypt(&f, appskey, fcnt, plain, sizeof(plain));
    if (n < 0) {
        return n;
    }
    return proto_tfp_decode(f.fport, plain, (size_t)n, out);
}
