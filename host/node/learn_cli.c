/* SPDX-License-Identifier: MIT
 * classify --learn (see learn_cli.h). The learning period is counted in windows: the files'
 * windows all go into it, so the learned state is the one a node would hold after hearing
 * exactly these recordings.
 */
#include "learn_cli.h"

#include <inttypes.h>

#include "lib/hostutil.h"
#include "lib/wav.h"
#include "proto/tfp.h"

static int open_turbine(struct wav *w, const char *path)
{
    char err[200];
    if (wav_open(w, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "tinyfleet-node: %s: %s\n", path, err);
        return -1;
    }
    if (w->rate_hz != 4000u) {
        fprintf(stderr, "tinyfleet-node: %s: sample rate %" PRIu32 " Hz, the turbine needs 4000\n",
                path, w->rate_hz);
        wav_close(w);
        return -1;
    }
    return 0;
}

int learn_cli_learn(struct node_learn *l, struct node_classify *cls, char **paths, int n)
{
    int16_t block[FEAT_STEP_SAMPLES];
    struct node_classify_result res;
    uint64_t windows = 0;
    struct wav w;

    for (int i = 0; i < n; i++) {
        if (open_turbine(&w, paths[i]) != 0) {
            return -1;
        }
        uint64_t steps = w.frames / FEAT_STEP_SAMPLES;
        windows += steps > 2u ? steps - 2u : 0u; /* the features restart with each file */
        wav_close(&w);
    }
    node_learn_init(l);
    if (windows > UINT32_MAX || node_learn_start(l, (uint32_t)windows) != 0) {
        fprintf(stderr,
                "tinyfleet-node: --learn: %" PRIu64 " windows is too short a learning period "
                "(at least %u: %.1f s at 4000 Hz)\n",
                windows, NODE_LEARN_MIN_WINDOWS,
                (NODE_LEARN_MIN_WINDOWS + 2.0) * FEAT_STEP_SAMPLES / 4000.0);
        return -1;
    }
    for (int i = 0; i < n; i++) {
        if (open_turbine(&w, paths[i]) != 0 ||
            node_classify_init(cls, DSP_PROFILE_TURBINE) != NODE_CLASSIFY_OK) {
            return -1;
        }
        while (wav_read(&w, block, FEAT_STEP_SAMPLES) == FEAT_STEP_SAMPLES) {
            (void)node_learn_step(l, cls, block, FEAT_STEP_SAMPLES, &res, NULL);
        }
        wav_close(&w);
    }
    if (l->phase != NODE_LEARN_READY) {
        fprintf(stderr, "tinyfleet-node: --learn: the files ended before the learning did\n");
        return -1;
    }
    fprintf(stderr,
            "tinyfleet-node: learned from %" PRIu64 " windows: %u operating mode(s), "
            "threshold %u\n",
            windows, l->n_protos, l->threshold);
    return 0;
}

int learn_cli_classify(struct node_learn *l, struct node_classify *cls, const char *path)
{
    int16_t block[FEAT_STEP_SAMPLES];
    struct node_classify_result r;
    struct node_learn_info info;
    uint64_t samples = 0;
    struct wav w;

    if (open_turbine(&w, path) != 0 ||
        node_classify_init(cls, DSP_PROFILE_TURBINE) != NODE_CLASSIFY_OK) {
        return -1;
    }
    while (wav_read(&w, block, FEAT_STEP_SAMPLES) == FEAT_STEP_SAMPLES) {
        samples += FEAT_STEP_SAMPLES;
        if (node_learn_step(l, cls, block, FEAT_STEP_SAMPLES, &r, &info) != 1) {
            continue;
        }
        printf("{\"t\":%.3f,\"class\":\"%s\",\"confidence\":%.4f,\"best\":\"none\","
               "\"class_id\":%u,\"level_db\":%u,\"anomaly_score\":%.4f,\"anomalous\":%s,"
               "\"peak_band\":%u,\"learn\":\"ready\",\"score\":%u,\"threshold\":%u}\n",
               (double)samples / 4000.0,
               r.anomalous ? hostutil_class_name(PROTO_TFP_CLASS_MACHINE_ANOMALY) : "none",
               r.confidence / 255.0, r.anomalous ? r.class_id : 0u, r.level_db,
               r.anomaly_score / 255.0, r.anomalous ? "true" : "false", r.peak_band,
               r.anomaly_score, info.threshold);
    }
    wav_close(&w);
    return fflush(stdout) == 0 ? 0 : -1;
}
