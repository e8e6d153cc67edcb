/* SPDX-License-Identifier: MIT
 * An independent gearbox vibration model (see gearbox.h). Written apart from synth.c on
 * purpose: an evaluation on the training synthesiser's own signals says nothing about
 * machines the model has not seen.
 */
#include "gearbox.h"

#include <math.h>

#define TWO_PI 6.283185307179586

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static double unif(struct gearbox *g, double lo, double hi)
{
    return lo + (hi - lo) * (double)(splitmix(&g->rng) >> 11) * 0x1.0p-53;
}

static double gauss(struct gearbox *g)
{
    double u = unif(g, 1e-12, 1.0);
    double v = unif(g, 0.0, 1.0);
    return sqrt(-2.0 * log(u)) * cos(TWO_PI * v);
}

static int teeth(struct gearbox *g, int lo, int hi)
{
    int t;
    do {
        t = lo + (int)unif(g, 0.0, (double)(hi - lo + 1));
    } while (t == 31);
    return t;
}

/* The healthy machine's RMS at gain 1, measured once so the sensor level is what it says. */
static double healthy_rms(const struct gearbox *proto)
{
    struct gearbox g = *proto;
    int16_t buf[1024];
    double sum = 0.0;
    size_t n = 0;

    g.gain = 1000.0; /* a known scale, well inside int16 */
    g.noise_rms = 0.0;
    g.dc = 0.0;
    for (int k = 0; k < 16; k++) {
        gearbox_render(&g, buf, 1024);
        for (size_t i = 0; i < 1024; i++) {
            sum += (double)buf[i] * buf[i];
        }
        n += 1024;
    }
    return sqrt(sum / (double)n) / 1000.0;
}

void gearbox_init(struct gearbox *g, unsigned rate_hz, uint64_t seed)
{
    *g = (struct gearbox){0};
    g->rng = seed * 0x2545F4914F6CDD1Dull + 12345u;
    g->rate_hz = rate_hz;
    g->shaft_hz = unif(g, 12.0, 36.0);
    g->teeth1 = teeth(g, 19, 47);
    g->teeth2 = teeth(g, 13, 29);
    g->n_modes = 2 + (int)unif(g, 0.0, 3.0);
    for (int i = 0; i < g->n_modes; i++) {
        g->mode_speed[i] = unif(g, 0.8, 1.2);
        g->mode_load[i] = unif(g, 0.6, 1.4);
    }
    int balls = 7 + (int)unif(g, 0.0, 7.0);
    double dd = unif(g, 0.15, 0.30);
    double ca = cos(unif(g, 0.0, 20.0) * TWO_PI / 360.0);
    g->bpfo = 0.5 * balls * (1.0 - dd * ca);
    g->bpfi = 0.5 * balls * (1.0 + dd * ca);
    for (int i = 0; i < 2; i++) {
        g->res_hz[i] = unif(g, 600.0, 1800.0);
        g->res_q[i] = unif(g, 8.0, 30.0);
    }
    g->unbalance = unif(g, 0.1, 0.3);
    g->level_dbfs = unif(g, -45.0, -6.0);
    g->dc = unif(g, -0.1, 0.1);
    g->noise_db = unif(g, 0.0, 30.0);
    g->mode = 0;
    g->mode_left_s = unif(g, 20.0, 90.0);
    g->ramp_s = unif(g, 2.0, 6.0);
    g->speed = g->mode_speed[0];
    g->load = g->mode_load[0];
    g->next_hit = 0.0;
    double rms = healthy_rms(g);
    double target = pow(10.0, g->level_dbfs / 20.0);
    g->gain = 32767.0 * target / (rms > 0.0 ? rms : 1.0);
    g->noise_rms = 32767.0 * target * pow(10.0, -g->noise_db / 20.0);
}

void gearbox_set_fault(struct gearbox *g, enum gearbox_fault f, double severity)
{
    g->fault = (int)f;
    g->severity = severity < 0.0 ? 0.0 : severity > 1.0 ? 1.0 : severity;
}

const char *gearbox_fault_name(enum gearbox_fault f)
{
    static const char *const names[GEARBOX_FAULT_COUNT] = {"healthy",   "outer",    "inner",
                                                           "imbalance", "misalign", "gear_wear"};
    return (unsigned)f < GEARBOX_FAULT_COUNT ? names[f] : "?";
}

/* Speed and load follow the operating mode, ramping to a new one now and then. */
static void operate(struct gearbox *g, double dt)
{
    g->mode_left_s -= dt;
    if (g->mode_left_s <= 0.0) {
        g->mode = (g->mode + 1 + (int)unif(g, 0.0, (double)(g->n_modes - 1))) % g->n_modes;
        g->mode_left_s = unif(g, 20.0, 90.0);
    }
    double a = dt / g->ramp_s;
    g->speed += a * (g->mode_speed[g->mode] - g->speed);
    g->load += a * (g->mode_load[g->mode] - g->load);
}

/* Two-pole resonator: an impact rings it. */
static double resonate(struct gearbox *g, int i, double x)
{
    double w = TWO_PI * g->res_hz[i] / g->rate_hz;
    double r = exp(-w / (2.0 * g->res_q[i]));
    double y = x + 2.0 * r * cos(w) * g->res_y1[i] - r * r * g->res_y2[i];
    g->res_y2[i] = g->res_y1[i];
    g->res_y1[i] = y;
    return y * (1.0 - r);
}

static double adv(double *ph, double f, double dt)
{
    *ph += f * dt;
    *ph -= floor(*ph);
    return *ph;
}

static double fault_part(struct gearbox *g, double fr, double dt, double t)
{
    double sev = g->severity;
    double s = sin(TWO_PI * g->ph_shaft);
    double impact = 0.0;
    double x = 0.0;

    switch (g->fault) {
    case GEARBOX_OUTER:
    case GEARBOX_INNER: {
        double per = g->fault == GEARBOX_OUTER ? g->bpfo : g->bpfi;
        if (t >= g->next_hit) {
            double am = g->fault == GEARBOX_INNER ? 0.5 + 0.5 * (1.0 + s) * 0.5 : 1.0;
            impact = 40.0 * sev * am * (0.7 + 0.6 * unif(g, 0.0, 1.0));
            g->next_hit = t + (1.0 + 0.015 * gauss(g)) / (per * fr);
        }
        break;
    }
    case GEARBOX_IMBALANCE:
        x += sev * 3.0 * g->unbalance * s;
        break;
    case GEARBOX_MISALIGN:
        x += sev * (0.5 * sin(2.0 * TWO_PI * g->ph_shaft + 0.7) +
                    0.25 * sin(3.0 * TWO_PI * g->ph_shaft + 0.2));
        break;
    case GEARBOX_GEAR_WEAR: {
        double m = TWO_PI * g->ph_mesh1;
        double sh = TWO_PI * g->ph_shaft;
        x += sev * g->load *
             (0.35 * (sin(m + sh) + sin(m - sh)) + 0.2 * (sin(m + 2 * sh) + sin(m - 2 * sh)) +
              0.3 * sin(2.0 * m) + 0.15 * sin(3.0 * m));
        if (g->ph_shaft < fr * dt) {
            impact = 15.0 * sev; /* the worn tooth meets its mate once a turn */
        }
        break;
    }
    default:
        break;
    }
    if (g->fault == GEARBOX_OUTER || g->fault == GEARBOX_INNER || g->fault == GEARBOX_GEAR_WEAR) {
        x += resonate(g, 0, impact) + 0.6 * resonate(g, 1, impact);
    }
    return x;
}

void gearbox_render(struct gearbox *g, int16_t *out, size_t n)
{
    double dt = 1.0 / g->rate_hz;
    double nyq = 0.45 * g->rate_hz;

    for (size_t i = 0; i < n; i++) {
        double t = (double)g->n * dt;
        operate(g, dt);
        double fr = g->shaft_hz * g->speed;
        double f1 = fr * g->teeth1;
        double f2 = f1 / g->teeth2 * 11.0; /* second stage: the intermediate shaft */
        adv(&g->ph_shaft, fr, dt);
        adv(&g->ph_mesh1, f1, dt);
        adv(&g->ph_mesh2, f2, dt);
        double x = g->unbalance * sin(TWO_PI * g->ph_shaft);
        double l = g->load;
        if (f1 < nyq) {
            x += l * sin(TWO_PI * g->ph_mesh1);
        }
        if (2.0 * f1 < nyq) {
            x += 0.3 * l * sin(2.0 * TWO_PI * g->ph_mesh1 + 0.4);
        }
        if (f2 < nyq) {
            x += 0.5 * l * sin(TWO_PI * g->ph_mesh2);
        }
        x += 0.05 * gauss(g); /* the machine's own broadband vibration */
        x += fault_part(g, fr, dt, t);
        double v = g->gain * x + g->noise_rms * gauss(g) + 32767.0 * g->dc;
        v = v > 32767.0 ? 32767.0 : v < -32767.0 ? -32767.0 : v;
        out[i] = (int16_t)lrint(v);
        g->n++;
    }
}
