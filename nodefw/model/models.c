/* SPDX-License-Identifier: MIT
 * The models linked into the firmware, one per profile, and the static inference arena sized
 * for the largest. The only file that includes the model headers (they define static const
 * objects).
 */
#include "model.h"

#include "elephant_model.h"
#include "turbine_model.h"
#include "whale_model.h"

#define MODELS_MAX2(a, b) ((a) > (b) ? (a) : (b))
#define MODELS_ARENA_BYTES                                                                         \
    MODELS_MAX2(ELEPHANT_MODEL_ARENA_BYTES,                                                        \
                MODELS_MAX2(WHALE_MODEL_ARENA_BYTES, TURBINE_MODEL_ARENA_BYTES))

const size_t nn_model_arena_max = MODELS_ARENA_BYTES;

/* Shared scratch of nn_infer(): one inference at a time (single thread). 4-byte aligned so a
 * future kernel may read it in words. */
static int8_t arena[MODELS_ARENA_BYTES] __attribute__((aligned(4)));

static const struct nn_model *const models[DSP_PROFILE_COUNT] = {
    [DSP_PROFILE_ELEPHANT] = &elephant_model,
    [DSP_PROFILE_WHALE] = &whale_model,
    [DSP_PROFILE_TURBINE] = &turbine_model,
};

const struct nn_model *nn_model_for_profile(enum dsp_profile p)
{
    if ((unsigned)p >= (unsigned)DSP_PROFILE_COUNT) {
        return NULL;
    }
    return models[p];
}

int8_t *nn_model_arena(void)
{
    return arena;
}
