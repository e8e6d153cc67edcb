/* SPDX-License-Identifier: MIT
 * The fleet simulator (see fleet.h). One simulated clock for all nodes, stepped in ticks of
 * 100 ms and paced against real time by the speed factor; each node has its own host HAL,
 * firmware state, CoAP socket and storage. Signals: every call of a moving source is one
 * synth source seeded per call, so all nodes hear the same waveform, each scaled by its
 * distance (synth_gain) and delayed by the travel time of sound in the medium.
 */
#include "fleet.h"

#include <errno.h>
#include <getopt.h>
#include <ini.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "host_hal.h"
#include "simutil.h"
#include "lib/hostutil.h"
#include "nodefw/node.h"
#include "synth/synth.h"

#define TICK_MS      100u
#define MAX_CALLS    8       /* calls a node hears at once */
#define DRAIN_MAX_MS 180000u /* after the end: time allowed to send what is pending */

/* --- the scenario file ---------------------------------------------------------------------- */

struct parse {
    struct fleet_scenario *sc;
    char err[200];
};

static int perr(struct parse *p, const char *section, const char *key, const char *what)
{
    snprintf(p->err, sizeof(p->err), "[%s] %s: %s", section, key, what);
    return 0;
}

static int num(const char *v, double *out)
{
    char *end;

    errno = 0;
    *out = strtod(v, &end);
    return errno == 0 && end != v && *end == 0 && isfinite(*out) ? 0 : -1;
}

static int point(const char *v, double *x, double *y)
{
    char *end;

    *x = strtod(v, &end);
    if (end == v || *end != ',') {
        return -1;
    }
    v = end + 1;
    *y = strtod(v, &end);
    return end != v && *end == 0 ? 0 : -1;
}

static int bearer_of(const char *v)
{
    return strcmp(v, "lora") == 0 ? BEARER_LORA : strcmp(v, "coap") == 0 ? BEARER_COAP : -1;
}

/* The OTAA keys of a [fleet] or [node.NAME] section. Return: 1 handled, 0 not an OTAA key,
 * -1 after perr(). */
static int otaa_key(struct parse *p, const char *s, const char *k, const char *v, uint64_t *joineui,
                    uint8_t *appkey, int *has_joineui, int *has_appkey)
{
    if (strcmp(k, "joineui") == 0) {
        if (hostutil_eui(v, joineui) != 0) {
            return perr(p, s, k, "16 hex digits expected") - 1;
        }
        *has_joineui = 1;
        return 1;
    }
    if (strcmp(k, "appkey") == 0) {
        if (hostutil_hex(v, appkey, 16) != 0) {
            return perr(p, s, k, "32 hex digits expected") - 1;
        }
        *has_appkey = 1;
        return 1;
    }
    return 0;
}

static int fleet_key(struct parse *p, const char *s, const char *k, const char *v)
{
    struct fleet_scenario *sc = p->sc;
    double d;
    int o = otaa_key(p, s, k, v, &sc->joineui, sc->appkey, &sc->has_joineui, &sc->has_appkey);

    if (o != 0) {
        return o > 0;
    }
    if (strcmp(k, "rejoin_after") == 0) {
        if (num(v, &d) != 0 || d < 0 || d > 65535) {
            return perr(p, s, k, "a number of uplinks (0..65535) expected");
        }
        sc->rejoin_after = (long)d;
    } else if (strcmp(k, "speed") == 0) {
        if (num(v, &sc->speed) != 0 || sc->speed <= 0 || sc->speed > 100000) {
            return perr(p, s, k, "a number in (0, 100000] expected");
        }
    } else if (strcmp(k, "duration_s") == 0) {
        if (num(v, &sc->duration_s) != 0 || sc->duration_s <= 0) {
            return perr(p, s, k, "a positive number of seconds expected");
        }
    } else if (strcmp(k, "seed") == 0) {
        sc->seed = strtoull(v, NULL, 0);
    } else if (strcmp(k, "coap") == 0) {
        snprintf(sc->coap, sizeof(sc->coap), "%s", v);
    } else if (strcmp(k, "forwarder") == 0) {
        snprintf(sc->forwarder, sizeof(sc->forwarder), "%s", v);
    } else if (strcmp(k, "gateway_eui") == 0) {
        if (hostutil_hex(v, sc->gateway_eui, 8) != 0) {
            return perr(p, s, k, "16 hex digits expected");
        }
    } else if (strcmp(k, "bearer") == 0) {
        if ((sc->bearer = bearer_of(v)) < 0) {
            return perr(p, s, k, "lora or coap expected");
        }
    } else if (strcmp(k, "nwkskey") == 0 || strcmp(k, "appskey") == 0) {
        if (hostutil_hex(v, k[0] == 'n' ? sc->nwkskey : sc->appskey, 16) != 0) {
            return perr(p, s, k, "32 hex digits expected");
        }
        sc->has_keys |= k[0] == 'n' ? 1 : 2;
    } else if (strcmp(k, "health_s") == 0 || strcmp(k, "batch_s") == 0 || strcmp(k, "sf") == 0) {
        if (num(v, &d) != 0 || d < 0 || d > 86400) {
            return perr(p, s, k, "a number of seconds (0..86400) expected");
        }
        if (k[0] == 'h') {
            sc->health_s = (long)d;
        } else if (k[0] == 'b') {
            sc->batch_s = (long)d;
        } else if (d < 7 || d > 12) {
            return perr(p, s, k, "a spreading factor 7..12 expected");
        } else {
            sc->sf = (long)d;
        }
    } else if (strcmp(k, "noise") == 0) {
        if (num(v, &sc->noise) != 0 || sc->noise <= 0 || sc->noise > 1) {
            return perr(p, s, k, "a gain in (0, 1] expected");
        }
    } else if (strcmp(k, "confirmed") == 0) {
        if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
            return perr(p, s, k, "true or false expected");
        }
        sc->confirmed = v[0] == 't';
    } else if (strcmp(k, "state_dir") == 0) {
        snprintf(sc->state_dir, sizeof(sc->state_dir), "%s", v);
    } else {
        return perr(p, s, k, "unknown key");
    }
    return 1;
}

static int node_key(struct parse *p, const char *s, struct fleet_node_cfg *n, const char *k,
                    const char *v)
{
    int o = otaa_key(p, s, k, v, &n->joineui, n->appkey, &n->has_joineui, &n->has_appkey);

    if (o != 0) {
        return o > 0;
    }
    if (strcmp(k, "deveui") == 0) {
        if (hostutil_eui(v, &n->deveui) != 0) {
            return perr(p, s, k, "16 hex digits expected");
        }
        n->otaa = 1;
    } else if (strcmp(k, "devaddr") == 0) {
        if (hostutil_devaddr(v, &n->devaddr) != 0) {
            return perr(p, s, k, "8 hex digits expected");
        }
    } else if (strcmp(k, "profile") == 0) {
        if ((n->profile = dsp_profile_from_name(v)) < 0) {
            return perr(p, s, k, "elephant, whale or turbine expected");
        }
    } else if (strcmp(k, "bearer") == 0) {
        if ((n->bearer = bearer_of(v)) < 0) {
            return perr(p, s, k, "lora or coap expected");
        }
    } else if (strcmp(k, "x") == 0 || strcmp(k, "y") == 0) {
        if (num(v, k[0] == 'x' ? &n->x : &n->y) != 0) {
            return perr(p, s, k, "metres expected");
        }
    } else if (strcmp(k, "nwkskey") == 0 || strcmp(k, "appskey") == 0) {
        if (hostutil_hex(v, k[0] == 'n' ? n->nwkskey : n->appskey, 16) != 0) {
            return perr(p, s, k, "32 hex digits expected");
        }
        n->has_keys |= k[0] == 'n' ? 1 : 2;
    } else if (strcmp(k, "listen_s") == 0 || strcmp(k, "every_s") == 0 ||
               strcmp(k, "wake_level") == 0) {
        double *dst = k[0] == 'l' ? &n->listen_s : k[0] == 'e' ? &n->every_s : &n->wake_level;

        if (num(v, dst) != 0 || *dst < 0 || *dst > (k[0] == 'w' ? 1 : 86400)) {
            return perr(p, s, k,
                        k[0] == 'w' ? "a level in 0..1 expected"
                                    : "a number of seconds (0..86400) expected");
        }
    } else if (strcmp(k, "learn_s") == 0) {
        if (num(v, &n->learn_s) != 0 || n->learn_s < 0 || n->learn_s > 366 * 86400.0) {
            return perr(p, s, k, "a number of seconds (0..31622400) expected");
        }
    } else {
        return perr(p, s, k, "unknown key");
    }
    return 1;
}

static int source_key(struct parse *p, const char *s, struct fleet_source *src, const char *k,
                      const char *v)
{
    double *dst = NULL;

    if (strcmp(k, "kind") == 0) {
        if ((src->kind = simutil_synth_kind(v)) < 0) {
            return perr(p, s, k, "a signal kind of host/synth/synth.h expected (rumble...)");
        }
        return 1;
    }
    if (strcmp(k, "from") == 0 || strcmp(k, "to") == 0 || strcmp(k, "at") == 0) {
        double x;
        double y;

        if (point(v, &x, &y) != 0) {
            return perr(p, s, k, "X,Y in metres expected");
        }
        if (k[0] != 't') {
            src->x0 = x;
            src->y0 = y;
        }
        if (k[0] != 'f') {
            src->x1 = x;
            src->y1 = y;
        }
        return 1;
    }
    if (strcmp(k, "node") == 0) {
        snprintf(src->node, sizeof(src->node), "%s", v);
        return 1;
    }
    if (strcmp(k, "start_s") == 0) {
        dst = &src->start_s;
    } else if (strcmp(k, "speed_mps") == 0) {
        dst = &src->speed_mps;
    } else if (strcmp(k, "every_s") == 0) {
        dst = &src->every_s;
    } else if (strcmp(k, "snr_db") == 0) {
        dst = &src->snr_db;
    } else if (strcmp(k, "range_m") == 0) {
        dst = &src->range_m;
    } else if (strcmp(k, "severity_from") == 0) {
        dst = &src->severity_from;
    } else if (strcmp(k, "severity_to") == 0) {
        dst = &src->severity_to;
    } else if (strcmp(k, "ramp_s") == 0) {
        dst = &src->ramp_s;
    } else {
        return perr(p, s, k, "unknown key");
    }
    if (num(v, dst) != 0 || (*dst < 0 && dst != &src->snr_db)) {
        return perr(p, s, k, "a non-negative number expected");
    }
    return 1;
}

static int on_ini(void *user, const char *section, const char *name, const char *value)
{
    struct parse *p = user;
    struct fleet_scenario *sc = p->sc;
    int i;

    if (strcmp(section, "fleet") == 0) {
        return fleet_key(p, section, name, value);
    }
    if (strncmp(section, "node.", 5) == 0 && section[5] != 0) {
        for (i = 0; i < sc->n_nodes && strcmp(sc->nodes[i].name, section + 5) != 0; i++) {
        }
        if (i == sc->n_nodes) {
            if (sc->n_nodes == FLEET_MAX_NODES) {
                return perr(p, section, name, "too many nodes (64 at most)");
            }
            memset(&sc->nodes[i], 0, sizeof(sc->nodes[i]));
            snprintf(sc->nodes[i].name, sizeof(sc->nodes[i].name), "%s", section + 5);
            sc->nodes[i].profile = -1;
            sc->nodes[i].bearer = -1;
            sc->nodes[i].learn_s = -1;
            sc->n_nodes++;
        }
        return node_key(p, section, &sc->nodes[i], name, value);
    }
    if (strncmp(section, "source.", 7) == 0 && section[7] != 0) {
        for (i = 0; i < sc->n_sources && strcmp(sc->sources[i].name, section + 7) != 0; i++) {
        }
        if (i == sc->n_sources) {
            if (sc->n_sources == FLEET_MAX_SOURCES) {
                return perr(p, section, name, "too many sources (16 at most)");
            }
            memset(&sc->sources[i], 0, sizeof(sc->sources[i]));
            snprintf(sc->sources[i].name, sizeof(sc->sources[i].name), "%s", section + 7);
            sc->sources[i].kind = -1;
            sc->sources[i].snr_db = 10;
            sc->sources[i].range_m = 300;
            sc->sources[i].every_s = 20;
            sc->sources[i].severity_to = 1;
            sc->sources[i].seed = sc->seed * 7919u + (uint64_t)i * 104729u + 1u;
            sc->n_sources++;
        }
        return source_key(p, section, &sc->sources[i], name, value);
    }
    return perr(p, section, name, "unknown section (fleet, node.NAME, source.NAME)");
}

/* The profile a signal kind belongs to (the synth.h enum is grouped by profile). */
static int profile_of_kind(int kind)
{
    if (kind >= SYNTH_UPCALL && kind <= SYNTH_SHRIMP) {
        return DSP_PROFILE_WHALE;
    }
    if ((kind >= SYNTH_TURBINE_HEALTHY && kind <= SYNTH_FAULT_MISALIGN) || kind == SYNTH_BG_PLANT) {
        return DSP_PROFILE_TURBINE;
    }
    return DSP_PROFILE_ELEPHANT;
}

int fleet_load(const char *path, struct fleet_scenario *sc, const char *coap, const char *forwarder)
{
    struct parse p;
    int line;
    int i;
    int j;

    memset(sc, 0, sizeof(*sc));
    sc->speed = 10;
    sc->duration_s = 600;
    sc->seed = 1;
    sc->bearer = BEARER_LORA;
    sc->health_s = -1;
    sc->batch_s = -1;
    sc->noise = 0.05;
    memcpy(sc->gateway_eui, "\xAA\x55\x5A\x00\x00\x00\x00\x01", 8);
    memset(&p, 0, sizeof(p));
    p.sc = sc;
    line = ini_parse(path, on_ini, &p);
    if (line < 0) {
        fprintf(stderr, "tinyfleet-node: %s: cannot read the scenario\n", path);
        return -1;
    }
    if (line > 0) {
        fprintf(stderr, "tinyfleet-node: %s:%d: %s\n", path, line,
                p.err[0] ? p.err : "syntax error");
        return -1;
    }
    if (coap != NULL) {
        snprintf(sc->coap, sizeof(sc->coap), "%s", coap);
    }
    if (forwarder != NULL) {
        snprintf(sc->forwarder, sizeof(sc->forwarder), "%s", forwarder);
    }
    /* What only the whole file can tell. */
    if (sc->n_nodes == 0) {
        fprintf(stderr, "tinyfleet-node: %s: no [node.NAME] section\n", path);
        return -1;
    }
    for (i = 0; i < sc->n_nodes; i++) {
        struct fleet_node_cfg *n = &sc->nodes[i];
        const char *what = NULL;

        if (n->devaddr == 0) {
            what = "devaddr missing";
        } else if (n->profile < 0) {
            what = "profile missing";
        } else if (n->otaa && (n->has_keys != 0 || (!n->has_joineui && !sc->has_joineui) ||
                               (!n->has_appkey && !sc->has_appkey))) {
            what = "an OTAA node (deveui) needs joineui and appkey (here or in [fleet]) and no "
                   "session keys";
        } else if (!n->otaa && n->has_keys != 3 && sc->has_keys != 3) {
            what = "nwkskey and appskey missing (here or in [fleet])";
        } else if (n->has_keys == 1 || n->has_keys == 2) {
            what = "give both nwkskey and appskey or neither";
        }
        for (j = 0; j < i && what == NULL; j++) {
            if (sc->nodes[j].devaddr == n->devaddr) {
                what = "devaddr used twice";
            }
        }
        if (n->bearer < 0) {
            n->bearer = sc->bearer;
        }
        if (what == NULL && n->bearer == BEARER_COAP && sc->coap[0] == 0) {
            what = "bearer coap needs coap = URI in [fleet]";
        }
        if (what == NULL && n->bearer == BEARER_LORA && sc->forwarder[0] == 0) {
            what = "bearer lora needs forwarder = HOST:PORT in [fleet]";
        }
        if (what != NULL) {
            fprintf(stderr, "tinyfleet-node: %s: [node.%s]: %s\n", path, n->name, what);
            return -1;
        }
        if (n->has_keys != 3) {
            memcpy(n->nwkskey, sc->nwkskey, 16);
            memcpy(n->appskey, sc->appskey, 16);
        }
        if (n->otaa && !n->has_joineui) {
            n->joineui = sc->joineui;
        }
        if (n->otaa && !n->has_appkey) {
            memcpy(n->appkey, sc->appkey, 16);
        }
        sc->any_otaa |= n->otaa;
    }
    for (i = 0; i < sc->n_sources; i++) {
        struct fleet_source *s = &sc->sources[i];
        const char *what = NULL;

        if (s->kind < 0) {
            what = "kind missing";
        } else if (profile_of_kind(s->kind) == DSP_PROFILE_TURBINE) {
            what = s->node[0] == 0 ? "a machine source needs node = NAME" : NULL;
            for (j = 0; j < sc->n_nodes && what == NULL; j++) {
                if (strcmp(sc->nodes[j].name, s->node) == 0) {
                    break;
                }
            }
            if (what == NULL && j == sc->n_nodes) {
                what = "node names no [node.NAME]";
            }
        } else if (s->every_s <= 0 || s->range_m <= 0) {
            what = "every_s and range_m must be positive";
        }
        if (what != NULL) {
            fprintf(stderr, "tinyfleet-node: %s: [source.%s]: %s\n", path, s->name, what);
            return -1;
        }
    }
    return 0;
}

/* --- what each node hears ------------------------------------------------------------------ */

struct call {
    struct synth_source src;
    uint64_t start_n; /* the node's sample index where it begins (travel time included) */
    float gain;
};

struct sim_node {
    struct fleet_node_cfg *cfg;
    struct host_node hn;
    struct node fw;
    int started;
    int done;
    unsigned rate;
    uint64_t n; /* samples rendered */
    struct synth_source bg;
    struct synth_source machine; /* turbine: the whole machine, maybe with a fault */
    int has_machine;
    struct fleet_source *fault; /* the source driving machine.severity, or NULL */
    struct call calls[MAX_CALLS];
    int n_calls;
    uint32_t calls_missed; /* calls not rendered because MAX_CALLS were playing */
    float noise;
};

static size_t node_render(void *arg, int16_t *out, size_t n)
{
    struct sim_node *sn = arg;
    float buf[1024];
    size_t done = 0;

    while (done < n) {
        size_t k = n - done < 1024u ? n - done : 1024u;
        int i;

        memset(buf, 0, k * sizeof(float));
        synth_render(&sn->bg, buf, k, sn->noise);
        if (sn->has_machine) {
            if (sn->fault != NULL) {
                double t = (double)sn->n / sn->rate - sn->fault->start_s;
                double r = sn->fault->ramp_s > 0 ? t / sn->fault->ramp_s : 1.0;

                r = r < 0 ? 0 : r > 1 ? 1 : r;
                sn->machine.severity =
                    t < 0 ? 0.0
                          : sn->fault->severity_from +
                                (sn->fault->severity_to - sn->fault->severity_from) * r;
            }
            synth_render(&sn->machine, buf, k, 1.0f);
        }
        for (i = 0; i < sn->n_calls; i++) {
            struct call *c = &sn->calls[i];

            if (sn->n + k > c->start_n) {
                size_t lead = sn->n < c->start_n ? (size_t)(c->start_n - sn->n) : 0u;

                synth_render(&c->src, buf + lead, k - lead, c->gain);
            }
        }
        /* Calls that have ended leave the list. */
        for (i = 0; i < sn->n_calls;) {
            struct call *c = &sn->calls[i];
            double dur = synth_source_duration(&c->src);

            if (sn->n + k > c->start_n && (double)(sn->n + k - c->start_n) > dur * sn->rate) {
                sn->calls[i] = sn->calls[--sn->n_calls];
            } else {
                i++;
            }
        }
        synth_to_int16(buf, out + done, k);
        done += k;
        sn->n += k;
    }
    return n;
}

static enum synth_medium medium_of(int profile)
{
    return profile == DSP_PROFILE_WHALE     ? SYNTH_WATER
           : profile == DSP_PROFILE_TURBINE ? SYNTH_SOLID
                                            : SYNTH_AIR;
}

/* Where a moving source is at @t_s (clamped to its path); -1 before start or after the end. */
static int position(const struct fleet_source *s, double t_s, double *x, double *y)
{
    double len = hypot(s->x1 - s->x0, s->y1 - s->y0);
    double d;

    if (t_s < s->start_s) {
        return -1;
    }
    d = s->speed_mps * (t_s - s->start_s);
    if (len <= 0 || s->speed_mps <= 0) {
        *x = s->x0;
        *y = s->y0;
        return 0;
    }
    if (d > len) {
        return -1;
    }
    *x = s->x0 + (s->x1 - s->x0) * d / len;
    *y = s->y0 + (s->y1 - s->y0) * d / len;
    return 0;
}

/* Emit the call number @k of source @s, made at simulated time @t_s, to every node that can
 * hear it. */
static void emit_call(struct fleet_scenario *sc, struct sim_node *nodes, struct fleet_source *s,
                      uint64_t k, double t_s)
{
    int prof = profile_of_kind(s->kind);
    enum synth_medium med = medium_of(prof);
    double sound = med == SYNTH_WATER ? 1500.0 : 343.0;
    double x;
    double y;
    double level;
    int i;

    if (position(s, t_s, &x, &y) != 0) {
        return;
    }
    /* The gain that puts the call snr_db over the noise at range_m. */
    level = sc->noise * synth_snr_gain(s->snr_db) / synth_gain(med, s->range_m);
    for (i = 0; i < sc->n_nodes; i++) {
        struct sim_node *sn = &nodes[i];
        double dist = hypot(sn->cfg->x - x, sn->cfg->y - y);
        double g = level * synth_gain(med, dist);
        struct call *c;

        if (sn->cfg->profile != prof || !sn->started || g < sc->noise * 0.03) {
            continue; /* another medium, or more than 30 dB under the noise */
        }
        if (sn->n_calls == MAX_CALLS) {
            sn->calls_missed++;
            continue;
        }
        c = &sn->calls[sn->n_calls++];
        synth_source_init(&c->src, (enum synth_kind)s->kind, sn->rate, s->seed + k * 31u);
        c->gain = (float)g;
        c->start_n = (uint64_t)((t_s + dist / sound) * sn->rate);
        if (c->start_n < sn->n) {
            c->start_n = sn->n;
        }
    }
}

static int start_node(struct fleet_scenario *sc, struct sim_node *sn, struct host_clock *clock,
                      struct host_fwd *fwd, int idx)
{
    struct node_config cfg;
    char host[256];
    char port[32];
    char err[300];
    int rc;
    int j;

    sn->rate = synth_profile_rate((enum synth_profile)sn->cfg->profile);
    sn->noise = (float)sc->noise;
    host_node_init(&sn->hn, clock, sn->cfg->name, sc->seed * 1000003u + (uint64_t)idx + 1u);
    sn->hn.source = node_render;
    sn->hn.source_arg = sn;
    sn->hn.rssi = (int16_t)(-70 - (idx * 7) % 40);
    sn->hn.battery_mv = (uint16_t)(3600 - (idx * 37) % 500);
    if (sc->state_dir[0] != 0) {
        char nv[300];
        char learn[300];

        snprintf(nv, sizeof(nv), "%s/%08X.fcnt", sc->state_dir, sn->cfg->devaddr);
        snprintf(learn, sizeof(learn), "%s/%08X.learn", sc->state_dir, sn->cfg->devaddr);
        if (host_node_set_store(&sn->hn, nv, learn) != 0) {
            fprintf(stderr, "tinyfleet-node: state_dir too long\n");
            return -1;
        }
    }
    synth_source_init(&sn->bg,
                      sn->cfg->profile == DSP_PROFILE_WHALE     ? SYNTH_BG_SEA
                      : sn->cfg->profile == DSP_PROFILE_TURBINE ? SYNTH_BG_PLANT
                                                                : SYNTH_BG_LAND,
                      sn->rate, sc->seed * 31u + (uint64_t)idx);
    if (sn->cfg->profile == DSP_PROFILE_TURBINE) {
        int kind = SYNTH_TURBINE_HEALTHY;

        for (j = 0; j < sc->n_sources; j++) {
            if (strcmp(sc->sources[j].node, sn->cfg->name) == 0) {
                sn->fault = &sc->sources[j];
                kind = sc->sources[j].kind;
            }
        }
        synth_source_init(&sn->machine, (enum synth_kind)kind, sn->rate,
                          sc->seed * 17u + (uint64_t)idx);
        /* The machine is the signal itself (structure-borne), well over the sensor noise. */
        sn->has_machine = 1;
    }
    node_default_config(&cfg, (enum dsp_profile)sn->cfg->profile,
                        (enum bearer_kind)sn->cfg->bearer);
    cfg.devaddr = sn->cfg->devaddr;
    memcpy(cfg.nwkskey, sn->cfg->nwkskey, 16);
    memcpy(cfg.appskey, sn->cfg->appskey, 16);
    if (sc->health_s >= 0) {
        cfg.agg.health_period_ms = (uint32_t)sc->health_s * 1000u;
    }
    if (sc->batch_s >= 0) {
        cfg.agg.batch_wait_ms = (uint32_t)sc->batch_s * 1000u;
    }
    cfg.confirmed = sc->confirmed != 0;
    sn->hn.rx_enabled = sc->confirmed != 0 || sn->cfg->otaa;
    cfg.otaa = sn->cfg->otaa != 0;
    cfg.deveui = sn->cfg->deveui;
    cfg.joineui = sn->cfg->joineui;
    memcpy(cfg.appkey, sn->cfg->appkey, 16);
    cfg.rejoin_after = (uint16_t)sc->rejoin_after;
    if (sc->sf != 0) {
        cfg.lora.sf = (uint8_t)sc->sf;
        cfg.lora.low_dr_optimize = sc->sf >= 11;
    }
    if (simutil_sensing(&cfg.sense, sn->cfg->listen_s, sn->cfg->every_s, sn->cfg->wake_level) !=
        0) {
        fprintf(stderr,
                "tinyfleet-node: [node.%s]: listen_s needs every_s >= listen_s or "
                "wake_level\n",
                sn->cfg->name);
        return -1;
    }
    /* As the firmware does from its provisioning record: each node's duty cycle starts at a
     * phase of its DevAddr, so the nodes of a zone do not all listen at the same time. */
    cfg.sense.phase_ms = sensing_phase_ms(cfg.devaddr, cfg.sense.every_ms);
    host_node_set_wake(&sn->hn, cfg.sense.mode == SENSING_WAKE ? sn->cfg->wake_level : 0);
    if (sn->cfg->learn_s >= 0) {
        cfg.learn_s = (uint32_t)sn->cfg->learn_s;
    }
    if (sn->cfg->bearer == BEARER_COAP) {
        if (host_parse_coap_uri(sc->coap, host, sizeof(host), port, sizeof(port)) != 0) {
            fprintf(stderr, "tinyfleet-node: coap = %s: expected coap://HOST[:PORT]/up\n",
                    sc->coap);
            return -1;
        }
        sn->hn.coap_fd = host_udp_connect(host, port, err, sizeof(err));
        if (sn->hn.coap_fd < 0) {
            fprintf(stderr, "tinyfleet-node: %s\n", err);
            return -1;
        }
    } else {
        sn->hn.fwd = fwd;
    }
    rc = node_init(&sn->fw, &cfg, &sn->hn.hal);
    if (rc != 0) {
        fprintf(stderr, "tinyfleet-node: node %s: %s\n", sn->cfg->name, simutil_node_strerror(rc));
        return -1;
    }
    sn->started = 1;
    return 0;
}

#define FLEET_USAGE                                                                                \
    "usage: tinyfleet-node fleet --scenario FILE [--speed X] [--duration-s N]\n"                   \
    "                            [--coap URI] [--forwarder HOST:PORT] [--list] [-v]\n"

/*
 * Network latency is not part of the simulation: at a speed of 600, CoAP's 2 s first timeout
 * would be 3 ms of real time, less than the gateway may need under load, and every request
 * would end in retransmissions. So while a CoAP request is in flight the clock holds up to
 * GATEWAY_WAIT_MS of real time per tick for the answer.
 */
#define GATEWAY_WAIT_MS 20

static void wait_gateway(struct sim_node *nodes, int n)
{
    struct pollfd fds[FLEET_MAX_NODES];
    nfds_t k = 0;
    int i;

    for (i = 0; i < n; i++) {
        if (nodes[i].hn.coap_fd >= 0 && bearer_busy(&nodes[i].fw.bearer) &&
            nodes[i].fw.bearer.coap.state == COAP_CLIENT_WAIT_ACK) {
            fds[k].fd = nodes[i].hn.coap_fd;
            fds[k].events = POLLIN;
            fds[k].revents = 0;
            k++;
        }
    }
    if (k > 0) {
        (void)poll(fds, k, GATEWAY_WAIT_MS);
    }
}

static volatile sig_atomic_t fleet_stop;

static void on_stop(int sig)
{
    (void)sig;
    fleet_stop = 1;
}

/* Sleep until real time catches up with the simulated time @sim_ms at @speed. */
static void pace(const struct timespec *t0, uint64_t sim_ms, double speed)
{
    struct timespec now;
    double real_ms;
    double want_ms = (double)sim_ms / speed;

    clock_gettime(CLOCK_MONOTONIC, &now);
    real_ms = (double)(now.tv_sec - t0->tv_sec) * 1e3 + (double)(now.tv_nsec - t0->tv_nsec) / 1e6;
    if (want_ms > real_ms) {
        usleep((useconds_t)((want_ms - real_ms) * 1000.0));
    }
}

/* What the command line of `fleet` gave. */
struct fleet_args {
    const char *path;      /* --scenario FILE */
    const char *coap;      /* --coap URI, replacing the file's, or NULL */
    const char *forwarder; /* --forwarder HOST:PORT, replacing the file's, or NULL */
    double speed;          /* --speed, 0: the file's */
    double duration;       /* --duration-s, 0: the file's */
    int list;              /* --list: print the nodes and stop */
    int verbose;
};

/* Return: 0, or the exit status (2, said why). */
static int fleet_parse(int argc, char **argv, struct fleet_args *a)
{
    static const struct option opts[] = {{"scenario", required_argument, NULL, 's'},
                                         {"speed", required_argument, NULL, 'x'},
                                         {"duration-s", required_argument, NULL, 'd'},
                                         {"verbose", no_argument, NULL, 'v'},
                                         {"coap", required_argument, NULL, 'c'},
                                         {"forwarder", required_argument, NULL, 'f'},
                                         {"list", no_argument, NULL, 'l'},
                                         {NULL, 0, NULL, 0}};
    int c;

    while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
        if (c == 's') {
            a->path = optarg;
        } else if (c == 'x') {
            if (hostutil_num("speed", optarg, 0.001, 100000, &a->speed) != 0) {
                return 2;
            }
        } else if (c == 'd') {
            if (hostutil_num("duration-s", optarg, 1, 1e7, &a->duration) != 0) {
                return 2;
            }
        } else if (c == 'v') {
            a->verbose = 1;
        } else if (c == 'c') {
            a->coap = optarg;
        } else if (c == 'f') {
            a->forwarder = optarg;
        } else if (c == 'l') {
            a->list = 1;
        } else {
            fprintf(stderr, FLEET_USAGE);
            return 2;
        }
    }
    if (a->path == NULL || optind != argc || a->speed < 0 || a->duration < 0) {
        fprintf(stderr, FLEET_USAGE);
        return 2;
    }
    return 0;
}

/* --list: one JSON line per node, keys included (the test registers them from it). */
static void fleet_list(const struct fleet_scenario *sc)
{
    int i;

    for (i = 0; i < sc->n_nodes; i++) {
        const struct fleet_node_cfg *n = &sc->nodes[i];
        char nk[33];
        char ak[33];

        hostutil_to_hex(n->nwkskey, 16, nk);
        hostutil_to_hex(n->appskey, 16, ak);
        printf("{\"name\":\"%s\",\"devaddr\":\"%08X\",\"profile\":\"%s\","
               "\"bearer\":\"%s\",\"x\":%g,\"y\":%g,\"nwkskey\":\"%s\",\"appskey\":\"%s\"}\n",
               n->name, n->devaddr, dsp_profile_name((enum dsp_profile)n->profile),
               n->bearer == BEARER_COAP ? "coap" : "lora", n->x, n->y, nk, ak);
    }
}

/* The scenario's forwarder socket into @fwd (none when the file names none); it pulls when
 * downlinks can come (confirmed uplinks, OTAA nodes). */
static int fleet_connect(const struct fleet_scenario *sc, struct host_fwd *fwd)
{
    return simutil_fwd_connect(sc->forwarder, sc->gateway_eui, sc->confirmed || sc->any_otaa, fwd);
}

/* The calls every source makes up to simulated time @t ms. */
static void fleet_emit_calls(struct fleet_scenario *sc, struct sim_node *nodes, uint64_t *next_call,
                             uint64_t t)
{
    int i;

    for (i = 0; i < sc->n_sources; i++) {
        struct fleet_source *s = &sc->sources[i];
        double call_t = s->start_s + (double)next_call[i] * s->every_s;

        if (profile_of_kind(s->kind) == DSP_PROFILE_TURBINE) {
            continue; /* rendered continuously by its node */
        }
        while (call_t * 1000.0 <= (double)t) {
            emit_call(sc, nodes, s, next_call[i], call_t);
            next_call[i]++;
            call_t = s->start_s + (double)next_call[i] * s->every_s;
        }
    }
}

/* Up to 64 steps of each node that is not done. Return: 1 when every node is done. */
static int fleet_step_nodes(struct sim_node *nodes, int n)
{
    int all_done = 1;
    int i;

    for (i = 0; i < n; i++) {
        struct sim_node *sn = &nodes[i];
        int k;

        for (k = 0; k < 64 && !sn->done; k++) {
            int st = node_step(&sn->fw);

            if (st == NODE_DONE) {
                sn->done = 1;
            } else if (st != NODE_BUSY) {
                break;
            }
        }
        all_done &= sn->done;
    }
    return all_done;
}

/* The scenario, then the drain: every node flushed, until all are done or time is up. */
static void fleet_run(struct fleet_scenario *sc, struct sim_node *nodes, uint64_t *next_call,
                      struct host_clock *clock)
{
    struct timespec t0;
    uint64_t end_ms = (uint64_t)(sc->duration_s * 1000.0);
    uint64_t t;
    int i;

    signal(SIGINT, on_stop);
    signal(SIGTERM, on_stop);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    fprintf(stderr, "tinyfleet-node: fleet of %d nodes, %d sources, %.0f s simulated at x%g\n",
            sc->n_nodes, sc->n_sources, sc->duration_s, sc->speed);
    for (t = 0; t < end_ms + DRAIN_MAX_MS; t += TICK_MS) {
        clock->manual_ms = t;
        if (t < end_ms && !fleet_stop) {
            fleet_emit_calls(sc, nodes, next_call, t);
        } else {
            for (i = 0; i < sc->n_nodes; i++) {
                if (!nodes[i].fw.eof) {
                    node_flush(&nodes[i].fw);
                }
            }
        }
        if (fleet_step_nodes(nodes, sc->n_nodes)) {
            break;
        }
        wait_gateway(nodes, sc->n_nodes);
        pace(&t0, t, sc->speed);
    }
}

int fleet_main(int argc, char **argv)
{
    struct fleet_args a = {NULL, NULL, NULL, 0, 0, 0, 0};
    struct fleet_scenario *sc = NULL;
    struct sim_node *nodes = NULL;
    struct host_clock clock;
    struct host_fwd fwd;
    uint64_t *next_call = NULL;
    int rc;
    int i;
    uint32_t failed = 0;

    memset(&fwd, 0, sizeof(fwd));
    fwd.fd = -1;
    rc = fleet_parse(argc, argv, &a);
    if (rc != 0) {
        return rc;
    }
    sc = calloc(1, sizeof(*sc));
    if (sc == NULL) {
        return 1;
    }
    /* The command line's addresses replace the file's (tests run on free ports). */
    if (fleet_load(a.path, sc, a.coap, a.forwarder) != 0) {
        free(sc);
        return 2;
    }
    if (a.list) {
        fleet_list(sc);
        free(sc);
        return 0;
    }
    if (a.speed > 0) {
        sc->speed = a.speed;
    }
    if (a.duration > 0) {
        sc->duration_s = a.duration;
    }
    rc = 1;
    nodes = calloc((size_t)sc->n_nodes, sizeof(*nodes));
    next_call = calloc((size_t)sc->n_sources, sizeof(*next_call));
    if (nodes == NULL || next_call == NULL || fleet_connect(sc, &fwd) != 0) {
        goto out;
    }
    host_clock_init(&clock, sc->speed, true);
    for (i = 0; i < sc->n_nodes; i++) {
        nodes[i].cfg = &sc->nodes[i];
        if (start_node(sc, &nodes[i], &clock, &fwd, i) != 0) {
            goto out;
        }
        nodes[i].hn.verbose = a.verbose;
    }
    fleet_run(sc, nodes, next_call, &clock);
    for (i = 0; i < sc->n_nodes; i++) {
        simutil_print_stats(stdout, nodes[i].cfg->name, &nodes[i].fw, nodes[i].hn.push_acks,
                            nodes[i].hn.push_timeouts);
        failed += nodes[i].fw.stats.tx_failed;
    }
    if ((sc->confirmed || sc->any_otaa) && fwd.fd >= 0) {
        /* Every PULL_RESP the gateway sent: held to its tmst and heard in a node's window,
         * refused as too late, unusable, or left over (aimed at no window). */
        printf("{\"forwarder\":\"%02X%02X%02X%02X%02X%02X%02X%02X\",\"pull_resps\":%u,"
               "\"too_late\":%u,\"bad\":%u,\"left_over\":%d}\n",
               fwd.eui[0], fwd.eui[1], fwd.eui[2], fwd.eui[3], fwd.eui[4], fwd.eui[5], fwd.eui[6],
               fwd.eui[7], (unsigned)fwd.pull_resps, (unsigned)fwd.too_late,
               (unsigned)fwd.bad_resps, fwd.nrx);
    }
    rc = failed == 0 ? 0 : 1;
out:
    if (nodes != NULL) {
        for (i = 0; i < sc->n_nodes; i++) {
            if (nodes[i].hn.coap_fd >= 0 && nodes[i].started) {
                close(nodes[i].hn.coap_fd);
            }
        }
    }
    if (fwd.fd >= 0) {
        close(fwd.fd);
    }
    free(next_call);
    free(nodes);
    free(sc);
    return rc;
}
