/* SPDX-License-Identifier: MIT
 * See learn_run.h. The node's learned state, its classify state and a line buffer are static,
 * as on a node.
 */
#include "learn_run.h"

#include "nodefw/learn.h"

#define LINE_MAX    200u
#define STATE_CHUNK 32u

static struct node_learn learner;
static struct node_classify cls;
static uint8_t state[NODE_LEARN_STATE_BYTES];
static char line[LINE_MAX];

static void put_text(size_t *pos, const char *s)
{
    while (*s != '\0' && *pos < LINE_MAX - 2u) {
        line[(*pos)++] = *s++;
    }
    line[*pos] = '\0';
}

/* Appends "key=value" (or the value alone for a NULL key) and @sep. */
static void put(size_t *pos, const char *key, uint64_t v, char sep)
{
    char digits[24];

    if (key != NULL) {
        put_text(pos, key);
        put_text(pos, "=");
    }
    put_text(pos, board_utoa(v, digits + sizeof(digits)));
    line[(*pos)++] = sep;
    line[*pos] = '\0';
}

__attribute__((noinline)) int board_learn_step_learning(const int16_t *x,
                                                        struct node_classify_result *r)
{
    return node_learn_step(&learner, &cls, x, FEAT_STEP_SAMPLES, r, NULL);
}

__attribute__((noinline)) int board_learn_step_judging(const int16_t *x,
                                                       struct node_classify_result *r)
{
    return node_learn_step(&learner, &cls, x, FEAT_STEP_SAMPLES, r, NULL);
}

static void emit_window(uint32_t i, const struct node_classify_result *r, board_emit_fn emit)
{
    size_t pos = 0;

    put_text(&pos, "lwin ");
    put(&pos, NULL, i, ' ');
    put(&pos, "phase", learner.phase, ' ');
    put(&pos, "prog", node_learn_progress(&learner), ' ');
    put(&pos, "score", r->anomaly_score, ' ');
    put(&pos, "anom", r->anomalous, ' ');
    put(&pos, "thr", learner.phase == NODE_LEARN_READY ? learner.threshold : 0u, ' ');
    put(&pos, "level", r->level_db, ' ');
    put(&pos, "peak", r->peak_band, '\n');
    emit(line);
}

static void emit_state(int len, board_emit_fn emit)
{
    static const char hex[] = "0123456789abcdef";

    for (int off = 0; off < len; off += (int)STATE_CHUNK) {
        size_t pos = 0;

        put_text(&pos, "lstate ");
        put(&pos, NULL, (uint64_t)off, ' ');
        for (int i = off; i < len && i < off + (int)STATE_CHUNK; i++) {
            line[pos++] = hex[state[i] >> 4];
            line[pos++] = hex[state[i] & 15u];
        }
        line[pos++] = '\n';
        line[pos] = '\0';
        emit(line);
    }
}

static uint32_t now(board_counter_fn counter)
{
    return counter != NULL ? counter() : 0u;
}

int board_learn_run(const int16_t *x, size_t n, board_emit_fn emit, board_counter_fn counter,
                    struct board_learn_bench *bench)
{
    struct board_learn_bench b = {0, 0, 0, 0};
    struct node_classify_result r;
    uint32_t steps = (uint32_t)(n / FEAT_STEP_SAMPLES);
    /* The first two steps only fill the feature ring: the windows start with the third. */
    uint32_t learn = steps / 2u > 2u ? steps / 2u - 2u : 0u;
    uint32_t windows = 0;
    size_t pos = 0;
    int rc = node_classify_init(&cls, DSP_PROFILE_TURBINE);
    uint8_t phase = NODE_LEARN_OFF; /* so the first window, in phase 1, is written too */

    node_learn_init(&learner);
    if (rc == NODE_CLASSIFY_OK) {
        rc = node_learn_start(&learner, learn);
    }
    for (size_t off = 0; rc >= 0 && off + FEAT_STEP_SAMPLES <= n; off += FEAT_STEP_SAMPLES) {
        int ready = learner.phase == NODE_LEARN_READY;
        uint32_t t0 = now(counter);

        rc = ready ? board_learn_step_judging(x + off, &r) : board_learn_step_learning(x + off, &r);
        uint32_t dt = now(counter) - t0;
        if (rc != 1) {
            continue;
        }
        if (ready) {
            b.judge_windows++;
            b.judge += dt;
        } else {
            b.learn_windows++;
            b.learn += dt;
        }
        emit_window(windows++, &r, emit);
        if (learner.phase != phase || phase == NODE_LEARN_THRESH) {
            /* Each phase's record format, and phase 3's histogram as it fills. */
            int len = node_learn_save(&learner, state, sizeof(state));
            if (len < 0) {
                rc = len;
                break;
            }
            emit_state(len, emit);
            phase = learner.phase;
        }
    }
    int len = rc >= 0 ? node_learn_save(&learner, state, sizeof(state)) : rc;
    if (len < 0) {
        put_text(&pos, "error ");
        put(&pos, NULL, (uint64_t)(-(int64_t)len), '\n');
        emit(line);
        return len;
    }
    emit_state(len, emit);
    put_text(&pos, "lwindows ");
    put(&pos, NULL, windows, ' ');
    put(&pos, "learned", learner.seen, ' ');
    put(&pos, "thr", learner.threshold, ' ');
    put(&pos, "modes", learner.n_protos, ' ');
    put(&pos, "bytes", (uint64_t)len, '\n');
    emit(line);
    if (bench != NULL) {
        *bench = b;
    }
    return (int)windows;
}
