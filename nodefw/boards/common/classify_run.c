/* SPDX-License-Identifier: MIT
 * See classify_run.h. Everything the runs need is static: a node state, one window's
 * feature matrix and a line buffer.
 */
#include "classify_run.h"

#include "nodefw/classify.h"
#include "nodefw/features.h"

#define LINE_MAX 160u

static struct node_classify state;
static int8_t window[FEAT_FRAMES][FEAT_BANDS];
static char line[LINE_MAX];

char *board_utoa(uint64_t v, char *end)
{
    *--end = '\0';
    do {
        *--end = (char)('0' + (int)(v % 10u));
        v /= 10u;
    } while (v != 0);
    return end;
}

/* Appends "key=value" (or just value for a NULL key) and a separator to line[*pos]. */
static void put(size_t *pos, const char *key, uint64_t v, char sep)
{
    char digits[24];
    const char *s = board_utoa(v, digits + sizeof(digits));

    while (key != NULL && *key != '\0' && *pos < LINE_MAX - 2u) {
        line[(*pos)++] = *key++;
    }
    if (key != NULL && *pos < LINE_MAX - 2u) {
        line[(*pos)++] = '=';
    }
    while (*s != '\0' && *pos < LINE_MAX - 2u) {
        line[(*pos)++] = *s++;
    }
    line[(*pos)++] = sep;
    line[*pos] = '\0';
}

static void put_text(size_t *pos, const char *s)
{
    while (*s != '\0' && *pos < LINE_MAX - 2u) {
        line[(*pos)++] = *s++;
    }
    line[*pos] = '\0';
}

int board_classify_run(enum dsp_profile p, const int16_t *x, size_t n, board_emit_fn emit)
{
    const struct dsp_profile_info *info = dsp_profile_get(p);
    struct node_classify_result r;
    uint32_t windows = 0;
    size_t off;
    size_t pos;
    int rc = node_classify_init(&state, p);

    if (rc == NODE_CLASSIFY_OK && info == NULL) {
        rc = NODE_CLASSIFY_EINVAL;
    }
    for (off = 0; rc >= 0 && off + FEAT_STEP_SAMPLES <= n; off += FEAT_STEP_SAMPLES) {
        rc = node_classify_step(&state, x + off, FEAT_STEP_SAMPLES, &r);
        if (rc != 1) {
            continue;
        }
        pos = 0;
        put_text(&pos, "win ");
        put(&pos, NULL, windows, ' ');
        put(&pos, "end_ms", (uint64_t)(off + FEAT_STEP_SAMPLES) * 1000u / info->sample_rate_hz,
            ' ');
        put(&pos, "class", r.class_id, ' ');
        put(&pos, "conf", r.confidence, ' ');
        put(&pos, "det", r.detected, ' ');
        put(&pos, "level", r.level_db, ' ');
        put(&pos, "score", r.anomaly_score, ' ');
        put(&pos, "anom", r.anomalous, ' ');
        put(&pos, "peak", r.peak_band, '\n');
        emit(line);
        windows++;
    }
    pos = 0;
    if (rc < 0) {
        put_text(&pos, "error ");
        put(&pos, NULL, (uint64_t)(-(int64_t)rc), '\n');
        emit(line);
        return rc;
    }
    put_text(&pos, "windows ");
    put(&pos, NULL, windows, '\n');
    emit(line);
    return (int)windows;
}

static uint32_t read_counter(board_counter_fn counter)
{
    return counter != NULL ? counter() : 0u;
}

/* The two measured parts of a step as functions of their own, never inlined: callgrind
 * counts the host build by function (--toggle-collect), the QEMU image brackets the calls. */
__attribute__((noinline)) int board_bench_features(const int16_t *x, struct dsp_window_info *winfo)
{
    if (dsp_features_push(&state.feat, x, FEAT_STEP_SAMPLES) < 0) {
        return DSP_EINVAL;
    }
    return dsp_features_window(&state.feat, window, winfo);
}

__attribute__((noinline)) int board_bench_infer(enum dsp_profile p,
                                                const struct dsp_window_info *winfo,
                                                struct node_classify_result *r)
{
    return node_classify_window(p, &window[0][0], winfo, r);
}

int board_bench_run(enum dsp_profile p, const int16_t *x, size_t n, board_counter_fn counter,
                    struct board_bench *out)
{
    struct dsp_window_info winfo;
    struct node_classify_result r;
    uint16_t id;
    uint8_t ver;
    const struct nn_model *m = node_classify_model_info(p, &id, &ver);
    size_t off;
    int rc = node_classify_init(&state, p);

    out->windows = 0;
    out->features = 0;
    out->infer = 0;
    out->macs = m != NULL ? m->macs : 0u;
    /* The two steps before the first complete window (classify.h: the first result comes
     * with the third step) are not measured. */
    for (off = 0; rc == NODE_CLASSIFY_OK && off < (size_t)2 * FEAT_STEP_SAMPLES &&
                  off + FEAT_STEP_SAMPLES <= n;
         off += FEAT_STEP_SAMPLES) {
        if (dsp_features_push(&state.feat, x + off, FEAT_STEP_SAMPLES) < 0) {
            return NODE_CLASSIFY_EINVAL;
        }
    }
    for (; rc == NODE_CLASSIFY_OK && off + FEAT_STEP_SAMPLES <= n; off += FEAT_STEP_SAMPLES) {
        uint32_t t0 = read_counter(counter);
        uint32_t t1;
        uint32_t t2;

        if (board_bench_features(x + off, &winfo) != DSP_OK) {
            return NODE_CLASSIFY_EINVAL;
        }
        t1 = read_counter(counter);
        rc = board_bench_infer(p, &winfo, &r);
        t2 = read_counter(counter);
        out->features += (uint32_t)(t1 - t0);
        out->infer += (uint32_t)(t2 - t1);
        out->windows++;
    }
    return rc;
}
