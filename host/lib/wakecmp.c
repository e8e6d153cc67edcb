/* SPDX-License-Identifier: MIT
 * The simulated wake-on-sound comparator (wakecmp.h).
 */
#include "wakecmp.h"

#include <math.h>

/* Time constants, s: the envelope detector's attack and release, the floor's fall and rise. */
#define ENV_ATTACK_S  0.005
#define ENV_RELEASE_S 0.1
#define FLOOR_FALL_S  2.0
#define FLOOR_RISE_S  10.0
/* For its first second the floor follows the envelope quickly (from nothing to the
 * background), as the RC of a real circuit charges at power-up. */
#define FLOOR_WARM_S 0.2

static double coef(double tau_s, uint32_t rate_hz)
{
    return 1.0 - exp(-1.0 / (tau_s * (double)rate_hz));
}

void wakecmp_init(struct wakecmp *c, uint32_t rate_hz, double level, double margin_db)
{
    c->level = level;
    c->margin = margin_db > 0 ? pow(10.0, margin_db / 20.0) : 0.0;
    c->att = coef(ENV_ATTACK_S, rate_hz);
    c->rel = coef(ENV_RELEASE_S, rate_hz);
    c->fall = coef(FLOOR_FALL_S, rate_hz);
    c->rise = coef(FLOOR_RISE_S, rate_hz);
    c->warm = coef(FLOOR_WARM_S, rate_hz);
    c->warm_left = rate_hz;
    c->env = 0.0;
    c->floor = 0.0;
}

static bool adaptive(struct wakecmp *c, double a)
{
    c->env += (a > c->env ? c->att : c->rel) * (a - c->env);
    if (c->warm_left > 0u) {
        c->warm_left--;
        c->floor += c->warm * (c->env - c->floor);
        return false;
    }
    c->floor += (c->env < c->floor ? c->fall : c->rise) * (c->env - c->floor);
    return c->env >= c->level && c->env >= c->floor * c->margin;
}

bool wakecmp_feed(struct wakecmp *c, const int16_t *x, size_t n)
{
    bool fired = false;
    size_t i;

    /* The fixed level as the firmware's wake_level_q15 holds it (simutil_sensing()). */
    int32_t q = (int32_t)(c->level * 32767.0);

    for (i = 0; i < n; i++) {
        if (c->margin > 0.0) {
            fired |= adaptive(c, fabs((double)x[i]) / 32767.0);
        } else if (q > 0) {
            fired |= x[i] >= q || x[i] <= -q;
        }
    }
    return fired;
}
