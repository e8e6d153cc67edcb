/* SPDX-License-Identifier: MIT
 * The built-in class names (see classes.h), indexed by the wire ids of tfp.h.
 */
#include "proto/classes.h"

#include <stddef.h>

#include "proto/tfp.h"

static const char *const names[PROTO_CLASS_COUNT] = {
    [PROTO_TFP_CLASS_UNKNOWN] = "unknown", [PROTO_TFP_CLASS_ELEPHANT] = "elephant",
    [PROTO_TFP_CLASS_WHALE] = "whale",     [PROTO_TFP_CLASS_MACHINE_ANOMALY] = "machine_anomaly",
    [PROTO_TFP_CLASS_HUMAN] = "human",     [PROTO_TFP_CLASS_VEHICLE] = "vehicle",
    [PROTO_TFP_CLASS_GUNSHOT] = "gunshot", [PROTO_TFP_CLASS_SHIP] = "ship",
};

const char *proto_class_name(uint8_t class_id)
{
    return class_id < PROTO_CLASS_COUNT ? names[class_id] : NULL;
}
