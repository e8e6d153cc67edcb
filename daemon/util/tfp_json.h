/* SPDX-License-Identifier: MIT
 * A decoded TFP v1 message (proto/tfp.h) as cJSON, with the field names of the operator CLI,
 * `events --json` and the MQTT event payloads (ARCHITECTURE.md). No I/O and no global
 * state: class names come from a lookup the caller passes, so the gateway config can rename
 * or add classes; tfp_json_default_class_name() is the built-in table.
 */
#ifndef PROJ_DAEMON_UTIL_TFP_JSON_H
#define PROJ_DAEMON_UTIL_TFP_JSON_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "proto/tfp.h"

#if defined(__GNUC__)
#define TFP_JSON_MUST_CHECK __attribute__((warn_unused_result))
#else
#define TFP_JSON_MUST_CHECK
#endif

/*
 * tfp_json_class_name_cb - name of a class id.
 * @arg:      the pointer given along with the callback.
 * @class_id: the id on the wire.
 * Return: a NUL-terminated name that stays valid until the tfp_json_* call returns (it is
 * copied into the JSON), or NULL when the id has no name; the JSON then says "class_<id>".
 */
typedef const char *(*tfp_json_class_name_cb)(void *arg, uint8_t class_id);

/*
 * tfp_json_default_class_name() - the built-in class table of ARCHITECTURE.md: 0 unknown,
 * 1 elephant, 2 whale, 3 machine_anomaly, 4 human, 5 vehicle, 6 gunshot, 7 ship.
 * @arg: ignored (NULL is fine).
 * Return: a static string, or NULL for ids above 7. Any thread.
 */
const char *tfp_json_default_class_name(void *arg, uint8_t class_id);

/*
 * tfp_json_kind() - the "kind" of the message an FPort carries.
 * Return: "detection" (1), "health" (2), "anomaly" (3), or NULL for any other port (the
 * gateway stores those as "raw"). A static string. Any thread.
 */
const char *tfp_json_kind(uint8_t port);

/*
 * tfp_json_add_detection() - add one detection record's fields to @obj:
 * "class" (name), "class_id", "confidence" (the wire value / 255, a number 0..1, not rounded;
 * the wire byte is round(confidence * 255)), "age_s", "duration_s", "level_db".
 * @obj:      in/out, a cJSON object; fields are appended.
 * @d:        in, the record.
 * @names:    in, class name lookup; NULL means tfp_json_default_class_name.
 * @arg:      in, passed to @names.
 * Return: 0, or -ENOMEM (@obj may then hold some of the fields). Any thread.
 * Used flat by `events --json` (one object per detection) and inside tfp_json_msg().
 */
TFP_JSON_MUST_CHECK int tfp_json_add_detection(cJSON *obj, const struct proto_tfp_detection *d,
                                               tfp_json_class_name_cb names, void *arg);

/*
 * tfp_json_add_health() - add "battery_mv", "temp_c", "uptime_s", "model_id", "model_ver",
 * "inferences", "detections", "tx_failures" to @obj. Return: 0 or -ENOMEM.
 */
TFP_JSON_MUST_CHECK int tfp_json_add_health(cJSON *obj, const struct proto_tfp_health *h);

/*
 * tfp_json_add_anomaly() - add "windows", "anomalous", "score_mean", "score_max",
 * "peak_band", "period_s" to @obj. Return: 0 or -ENOMEM.
 */
TFP_JSON_MUST_CHECK int tfp_json_add_anomaly(cJSON *obj, const struct proto_tfp_anomaly *a);

/*
 * tfp_json_msg() - the whole message as a new object:
 *   FPort 1: {"kind":"detection","records":[{detection fields}, ...]}
 *   FPort 2: {"kind":"health", health fields}
 *   FPort 3: {"kind":"anomaly", anomaly fields}
 * @msg:   in, a message filled by proto_tfp_decode() (or by hand); msg->port picks the kind.
 * @names: in, class name lookup; NULL means tfp_json_default_class_name.
 * @arg:   in, passed to @names.
 * Return: a new object the caller frees with cJSON_Delete(), or NULL when out of memory,
 * for a port other than 1..3, or a detection count of 0 or above 8. Any thread.
 */
TFP_JSON_MUST_CHECK cJSON *tfp_json_msg(const struct proto_tfp_msg *msg,
                                        tfp_json_class_name_cb names, void *arg);

#endif
