/* SPDX-License-Identifier: MIT
 * Stored active alerts back into fusion at start (alert_restore.h).
 */
#include "alert/alert_restore.h"

#include <errno.h>
#include <inttypes.h>
#include <string.h>

#include "alert/alert_json.h"
#include "util/log.h"

struct restore_ctx {
    struct fusion *f;
    int restored;
};

static int restore_one(const struct store_alert *row, void *arg)
{
    struct restore_ctx *ctx = arg;
    struct fusion_alert a;
    int rc = alert_json_parse(row->json, &a);

    if (rc == 0 && a.id != row->id) {
        rc = -EINVAL;
    }
    if (rc == 0) {
        rc = fusion_restore(ctx->f, &a);
    }
    if (rc < 0) {
        log_warning("alert %" PRId64 " (%s %s) cannot be continued, it stays as stored: %s",
                    row->id, row->class_name, row->topic_key, strerror(-rc));
        return 0;
    }
    ctx->restored++;
    return 0;
}

int alert_restore(struct store *s, struct fusion *f)
{
    struct restore_ctx ctx = {f, 0};
    int64_t max_id = 0;

    if (store_alerts_foreach(s, true, 0, restore_one, &ctx) < 0 ||
        store_alert_max_id(s, &max_id) < 0) {
        return -EIO;
    }
    fusion_set_next_id(f, max_id + 1);
    return ctx.restored;
}
