/* SPDX-License-Identifier: MIT
 * The built-in class table of ARCHITECTURE.md: the name of each class id a detection carries
 * on the wire (enum proto_tfp_class): 0 unknown, 1 elephant, 2 whale, 3 machine_anomaly,
 * 4 human, 5 vehicle, 6 gunshot, 7 ship. The gateway's config starts from it and may rename
 * or add classes; host programs print these names. proto/SPEC.md section 8.
 */
#ifndef PROJ_PROTO_CLASSES_H
#define PROJ_PROTO_CLASSES_H

#include <stdint.h>

/* Class ids the table names: 0 .. PROTO_CLASS_COUNT - 1. */
#define PROTO_CLASS_COUNT 8u

/*
 * proto_class_name() - the built-in name of a class id, e.g. "machine_anomaly" for 3.
 * Return: a static string, or NULL for an id of PROTO_CLASS_COUNT or above. Context: any.
 */
const char *proto_class_name(uint8_t class_id);

#endif /* PROJ_PROTO_CLASSES_H */
