/* SPDX-License-Identifier: MIT
 * Duty-cycled sensing (sensing.h): switching the front end on and off on schedule or on the
 * wake-on-sound line. Each listening period restarts the classifier's feature history (a
 * window must not span a gap) and rebases the sample clock, so windows keep their node-clock
 * times.
 */
#include "nodefw/node.h"

bool sensing_config_ok(const struct sensing_config *c)
{
    switch (c->mode) {
    case SENSING_CONTINUOUS:
        return c->listen_ms == 0u && c->every_ms == 0u && c->phase_ms == 0u &&
               c->wake_level_q15 == 0u && c->wake_margin_db == 0u;
    case SENSING_DUTY:
        return c->listen_ms > 0u && c->listen_ms <= c->every_ms && c->phase_ms < c->every_ms &&
               c->wake_level_q15 == 0u && c->wake_margin_db == 0u;
    case SENSING_WAKE:
        return c->listen_ms > 0u && c->every_ms == 0u && c->phase_ms == 0u &&
               c->wake_level_q15 <= 32767u && c->wake_margin_db <= SENSING_MARGIN_MAX_DB;
    default:
        return false;
    }
}

uint32_t sensing_phase_ms(uint32_t devaddr, uint32_t every_ms)
{
    /* Knuth's multiplicative hash; the top 32 bits of hash * every_ms scale it into range
     * without a division's bias towards small phases. */
    uint32_t h = devaddr * 2654435761u;

    return (uint32_t)(((uint64_t)h * every_ms) >> 32);
}

/* Samples a board without sensor_stop() delivers while the node is not listening are read
 * and dropped; a sensor stream that ends meanwhile ends the node as it would while
 * listening. */
static void drain(struct node *n)
{
    int got;

    do {
        got = hal_sensor_read(n->hal, n->block, FEAT_STEP_SAMPLES);
    } while (got > 0);
    if (got == HAL_EEOF) {
        n->eof = true;
        aggregator_flush(&n->agg, n->last_ms);
    }
}

static void start(struct node *n, uint64_t now)
{
    if (hal_sensor_start(n->hal, n->rate_hz) != HAL_OK) {
        return; /* it worked at node_init(); try again at the next step */
    }
    /* A fresh feature history; the model stays (node_init() checked it). */
    (void)node_classify_init(&n->cls, (enum dsp_profile)n->cfg.profile);
    n->fill = 0;
    n->seg_ms = now;
    n->seg_samples = n->samples;
    n->sensing.on = true;
    n->sensing.periods++;
    n->sensing.on_ms = now;
    n->sensing.lead = SENSING_LEAD_SAMPLES;
    n->sensing.off_at_ms = now + n->cfg.sense.listen_ms;
}

void node__sensing_lead(struct node *n)
{
    /* The lead is at most a step and the classifier's state is valid (node_init()): it
     * cannot fail. */
    (void)node_classify_lead(&n->cls, n->block, n->sensing.lead);
    n->samples += n->sensing.lead;
    n->fill = 0;
    n->sensing.lead = 0;
}

void node__sensing_heard(struct node *n, const struct node_classify_result *r, uint64_t end_ms)
{
    struct sensing *s = &n->sensing;
    uint64_t until = end_ms + (uint64_t)SENSING_HOLD_STEPS * FEAT_STEP_SAMPLES * 1000u / n->rate_hz;
    uint64_t end = s->on_ms + n->cfg.sense.listen_ms;
    uint64_t cap = end + n->cfg.agg.max_episode_ms;

    if (n->cfg.sense.mode == (uint8_t)SENSING_CONTINUOUS || !s->on || r->detected == 0u ||
        r->is_anomaly_model != 0u) {
        return;
    }
    if (until > cap) {
        until = cap; /* a sound that never ends (or a model that cries wolf) cannot keep the
                      * sensor on for good */
    }
    if (until > s->off_at_ms) {
        if (s->off_at_ms <= end && until > end) {
            s->held++; /* the first time this period runs past its end */
        }
        s->off_at_ms = until;
    }
}

void node__sensing_init(struct node *n, uint64_t now)
{
    const struct sensing_config *c = &n->cfg.sense;
    struct sensing *s = &n->sensing;

    s->on = true;
    s->periods = 1;
    s->on_ms = now;
    s->lead = c->mode == (uint8_t)SENSING_CONTINUOUS ? 0u : SENSING_LEAD_SAMPLES;
    s->off_at_ms = now + c->listen_ms;
    s->next_on_ms = now + c->every_ms;
    if (c->mode == (uint8_t)SENSING_DUTY && c->phase_ms > 0u) {
        /* The sensor was started to check it works; the first period waits for the phase. */
        s->periods = 0;
        s->off_at_ms = now;
        s->next_on_ms = now + c->phase_ms;
    }
}

int node_set_sensing(struct node *n, const struct sensing_config *c, uint32_t health_ms)
{
    uint64_t now = hal_now_ms(n->hal);

    if (!sensing_config_ok(c)) {
        return NODE_EINVAL;
    }
    if (n->sensing.on && c->mode != (uint8_t)SENSING_CONTINUOUS) {
        hal_sensor_stop(n->hal);
        n->sensing.on = false;
    }
    n->cfg.sense = *c;
    n->sensing.next_on_ms = now + c->phase_ms;
    if (c->mode == (uint8_t)SENSING_CONTINUOUS && !n->sensing.on && !n->eof) {
        start(n, now);
    }
    /* The next health message one new interval from now (0: never). */
    n->cfg.agg.health_period_ms = health_ms;
    n->agg.cfg.health_period_ms = health_ms;
    n->agg.next_health_ms = now + health_ms;
    return 0;
}

void node__sensing(struct node *n, uint64_t now)
{
    struct sensing *s = &n->sensing;
    const struct sensing_config *c = &n->cfg.sense;
    bool wake = c->mode == (uint8_t)SENSING_WAKE && hal_wake_pending(n->hal);

    if (s->on) {
        if (wake) {
            s->wakeups++;
            s->off_at_ms = now + c->listen_ms; /* still sounding: listen on */
        }
        if (now >= s->off_at_ms) {
            hal_sensor_stop(n->hal);
            s->on = false;
            while (c->mode == (uint8_t)SENSING_DUTY && s->next_on_ms <= now) {
                s->next_on_ms += c->every_ms;
            }
        }
        return;
    }
    drain(n);
    if (n->eof) {
        return;
    }
    if (wake) {
        s->wakeups++;
        start(n, now);
    } else if (c->mode == (uint8_t)SENSING_DUTY && now >= s->next_on_ms) {
        s->next_on_ms += c->every_ms;
        start(n, now);
    }
}

uint32_t node_idle_ms(const struct node *n, uint64_t now)
{
    const struct sensing *s = &n->sensing;
    uint64_t d;

    if (s->on || n->cfg.sense.mode == (uint8_t)SENSING_CONTINUOUS) {
        return 0;
    }
    if (n->cfg.sense.mode == (uint8_t)SENSING_WAKE) {
        return UINT32_MAX;
    }
    d = s->next_on_ms > now ? s->next_on_ms - now : 0u;
    return d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
}
