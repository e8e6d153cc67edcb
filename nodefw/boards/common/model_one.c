/* SPDX-License-Identifier: MIT
 * The model lookup of model.h for a firmware image that runs one profile: it links only
 * that profile's model, where nodefw/model/models.c (the host library's lookup) links all
 * three. A node is built for one sensor and one profile, and the flash budget (64 KB on the
 * STM32WL55 for the elephant profile, model included) is about that one model.
 *
 * The build passes BOARD_PROFILE (enum dsp_profile), BOARD_MODEL_HEADER ("elephant_model.h"),
 * BOARD_MODEL (elephant_model) and BOARD_MODEL_ARENA (ELEPHANT_MODEL_ARENA_BYTES): the names
 * model.h fixes for every model header.
 */
#include "model.h"

#include <stdint.h>

#include BOARD_MODEL_HEADER

const size_t nn_model_arena_max = BOARD_MODEL_ARENA;

/* int32 alignment: layers may read the arena as wider words. */
static int32_t arena_words[(BOARD_MODEL_ARENA + 3) / 4];

const struct nn_model *nn_model_for_profile(enum dsp_profile p)
{
    return p == BOARD_PROFILE ? &BOARD_MODEL : NULL;
}

int8_t *nn_model_arena(void)
{
    return (int8_t *)arena_words;
}
