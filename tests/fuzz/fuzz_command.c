/* SPDX-License-Identifier: MIT
 * libFuzzer target for what a node decodes from the gateway and the gateway from a node's
 * answer (proto/SPEC.md sections 1.4 and 9): proto_frame_parse_down(), proto_cmd_decode()
 * and proto_cmd_answer_decode() on the same input. Invariants: no crash; a command decoded
 * whole re-encodes to exactly its input, and its status is "applied"; a refused command
 * still names its sequence number and op when SPEC 9.1 says it does; answers decoded
 * re-encode to exactly the input; a parsed downlink's fields lie inside the input.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/command.h"
#include "proto/err.h"
#include "proto/frame.h"

#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void command(const uint8_t *data, size_t size)
{
    struct proto_cmd c;
    uint8_t back[PROTO_CMD_MAX_LEN];
    int rc = proto_cmd_decode(data, size, &c);
    int n;

    if (rc == PROTO_OK) {
        n = proto_cmd_encode(&c, back, sizeof(back));
        CHECK(n == (int)size && memcmp(back, data, size) == 0);
        CHECK(proto_cmd_status_of(rc) == PROTO_CMD_APPLIED);
        return;
    }
    CHECK(proto_cmd_status_of(rc) <= PROTO_CMD_STATUS_MAX);
    if (size >= PROTO_CMD_HDR_LEN && data[0] == PROTO_CMD_VERSION) {
        /* SPEC 9.1: past the header every refusal is answered, so seq and op are known. */
        CHECK(c.seq == le16(data + 1) && c.op == data[3]);
        CHECK(proto_cmd_status_of(rc) != PROTO_CMD_APPLIED);
    }
}

static void answers(const uint8_t *data, size_t size)
{
    struct proto_cmd_answer a[PROTO_CMD_ANSWER_MAX];
    uint8_t back[PROTO_CMD_ANSWER_MAX_LEN];
    int n = proto_cmd_answer_decode(data, size, a);

    if (n > 0) {
        CHECK(n <= (int)PROTO_CMD_ANSWER_MAX && size == 1u + 4u * (size_t)n);
        CHECK(proto_cmd_answer_encode(a, (size_t)n, back, sizeof(back)) == (int)size);
        CHECK(memcmp(back, data, size) == 0);
    }
}

static void downlink(const uint8_t *data, size_t size)
{
    struct proto_frame f;

    if (proto_frame_parse_down(data, size, &f) != PROTO_OK) {
        return;
    }
    CHECK((f.mhdr & 0xE0u) == PROTO_MHDR_UNCONFIRMED_DOWN ||
          (f.mhdr & 0xE0u) == PROTO_MHDR_CONFIRMED_DOWN);
    CHECK(f.phy == data && f.phy_len == size);
    CHECK(f.fopts_len <= PROTO_FRAME_MAX_FOPTS);
    if (f.has_fport) {
        CHECK(f.frm_payload >= data &&
              f.frm_payload + f.frm_len + PROTO_FRAME_MIC_LEN == data + size);
    } else {
        CHECK(f.frm_len == 0);
    }
    CHECK(memcmp(f.mic, data + size - PROTO_FRAME_MIC_LEN, PROTO_FRAME_MIC_LEN) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    command(data, size);
    answers(data, size);
    downlink(data, size);
    return 0;
}
