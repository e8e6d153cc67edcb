/* SPDX-License-Identifier: MIT
 * `tinyfleet-node budget` (energy_cmd.h). Assumptions come from budget_defaults(), then the
 * scenario file, then the options; the figures from host/lib/currents.c.
 */
#include "energy_cmd.h"

#include <getopt.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "lib/budget.h"
#include "lib/currents.h"
#include "lib/hostutil.h"
#include "nodefw/profile.h"

const char energy_cmd_help[] =
    "usage: tinyfleet-node budget --profile P [--battery NAME] [--sf N] [--scenario FILE]\n"
    "                             [--firmware as-built|tuned] [--listen-s S --every-s S]\n"
    "                             [--wake-on-sound SHARE] [--health-s N] [--json]\n"
    "\n"
    "The node's average current on the STM32WL55 board, split into sensing, compute, sleep\n"
    "and radio, and the life on each battery, with the assumptions and the source of every\n"
    "figure (host/lib/currents.c; nodefw/ENERGY.md explains the model).\n"
    "  --profile P            elephant, whale or turbine\n"
    "  --battery NAME         only this battery: cr2032, 2xaa, d\n"
    "  --sf N                 spreading factor of the uplinks, 7..12 (default 9); all: a\n"
    "                         row per SF7..SF12 (a JSON object each with --json)\n"
    "  --scenario FILE        assumptions: [budget] and [profile.NAME] keys (config/budget/)\n"
    "  --firmware F           as-built (before the low-power board) or tuned (default)\n"
    "  --listen-s S, --every-s S\n"
    "                         duty-cycled sensing: listen S of every S seconds\n"
    "  --wake-on-sound SHARE  sensor woken by sound, listening SHARE (0..1) of the time\n"
    "  --health-s N           health message interval, s\n"
    "  --json                 one JSON object instead of the table\n";

struct budget_opts {
    int prof;
    const char *battery;
    const char *scenario;
    int firmware; /* -1: not given, 0 as-built, 1 tuned */
    double sf, listen_s, every_s, wake, health_s;
    bool json;
};

static int parse(int argc, char **argv, struct budget_opts *o)
{
    static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
                                         {"battery", required_argument, NULL, 'b'},
                                         {"sf", required_argument, NULL, 'F'},
                                         {"scenario", required_argument, NULL, 's'},
                                         {"firmware", required_argument, NULL, 'f'},
                                         {"listen-s", required_argument, NULL, 'l'},
                                         {"every-s", required_argument, NULL, 'e'},
                                         {"wake-on-sound", required_argument, NULL, 'w'},
                                         {"health-s", required_argument, NULL, 'H'},
                                         {"json", no_argument, NULL, 'j'},
                                         {NULL, 0, NULL, 0}};
    int c;
    int bad = 0;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'p':
            o->prof = dsp_profile_from_name(optarg);
            if (o->prof < 0) {
                fprintf(stderr,
                        "tinyfleet-node: --profile: unknown profile '%s' (elephant, "
                        "whale, turbine)\n",
                        optarg);
                return 2;
            }
            break;
        case 'b':
            o->battery = optarg;
            if (currents_battery(optarg) == NULL) {
                fprintf(stderr,
                        "tinyfleet-node: --battery: unknown battery '%s' (cr2032, 2xaa, "
                        "d)\n",
                        optarg);
                return 2;
            }
            break;
        case 'F':
            if (strcmp(optarg, "all") == 0) {
                o->sf = -1; /* every SF, a row each */
                break;
            }
            bad |= hostutil_num("sf", optarg, 7, 12, &o->sf);
            break;
        case 's':
            o->scenario = optarg;
            break;
        case 'f':
            if (strcmp(optarg, "tuned") != 0 && strcmp(optarg, "as-built") != 0) {
                fprintf(stderr, "tinyfleet-node: --firmware: as-built or tuned, got '%s'\n",
                        optarg);
                return 2;
            }
            o->firmware = strcmp(optarg, "tuned") == 0;
            break;
        case 'l':
            bad |= hostutil_num("listen-s", optarg, 0.001, 86400, &o->listen_s);
            break;
        case 'e':
            bad |= hostutil_num("every-s", optarg, 0.001, 86400, &o->every_s);
            break;
        case 'w':
            bad |= hostutil_num("wake-on-sound", optarg, 0, 1, &o->wake);
            break;
        case 'H':
            bad |= hostutil_num("health-s", optarg, 60, 604800, &o->health_s);
            break;
        case 'j':
            o->json = true;
            break;
        default:
            fputs(energy_cmd_help, stderr);
            return 2;
        }
    }
    if (bad != 0) {
        return 2;
    }
    if (o->prof < 0 || optind != argc) {
        fprintf(stderr, "tinyfleet-node budget: needs --profile P and no other arguments\n");
        return 2;
    }
    return 0;
}

/* Defaults, scenario, options into @in. Return: 0 or the exit status (said why). */
static int assumptions(const struct budget_opts *o, struct budget_in *in)
{
    char err[400];
    bool tuned = o->firmware != 0;

    budget_defaults(in, o->prof, tuned);
    if (o->scenario != NULL) {
        struct budget_in probe = *in;

        if (budget_load(o->scenario, &probe, err, sizeof(err)) != 0) {
            fprintf(stderr, "tinyfleet-node: %s\n", err);
            return 2;
        }
        /* The file may choose the firmware: its defaults first, then the file again. */
        if (o->firmware < 0 && probe.tuned != tuned) {
            budget_defaults(in, o->prof, probe.tuned);
            probe = *in;
            (void)budget_load(o->scenario, &probe, err, sizeof(err));
        }
        *in = probe;
    }
    if (o->firmware >= 0) {
        in->tuned = o->firmware != 0;
    }
    if (o->sf > 0) {
        in->sf = (int)o->sf;
    }
    if (o->listen_s > 0 || o->every_s > 0) {
        in->listen_s = o->listen_s > 0 ? o->listen_s : in->listen_s;
        in->every_s = o->every_s > 0 ? o->every_s : in->every_s;
        in->wake_on_sound = false;
    }
    if (o->wake >= 0) {
        in->wake_on_sound = true;
        in->wake_share = o->wake;
    }
    if (o->health_s > 0) {
        in->health_s = o->health_s;
    }
    return 0;
}

static void print_json(const struct budget_in *in, const struct budget_out *r, const char *only)
{
    const struct currents_battery *bat;
    size_t n;
    size_t i;
    bool first = true;

    printf("{\"board\":\"stm32wl55\",\"profile\":\"%s\",\"firmware\":\"%s\",\"sf\":%d,"
           "\"listen_share\":%.4f,\"wake_on_sound\":%s,\"health_s\":%.0f,"
           "\"sensing_ua\":%.2f,\"compute_ua\":%.2f,\"sleep_ua\":%.2f,\"radio_ua\":%.2f,"
           "\"total_ua\":%.2f,\"uplinks_per_day\":%.1f,\"tx_s_per_day\":%.3f,"
           "\"rx_s_per_day\":%.3f,\"window_ms\":%.3f,\"life_days\":{",
           dsp_profile_name((enum dsp_profile)in->profile), in->tuned ? "tuned" : "as-built",
           in->sf, r->listen_share, in->wake_on_sound ? "true" : "false", in->health_s,
           r->sensing_ua, r->compute_ua, r->sleep_ua, r->radio_ua, r->total_ua, r->uplinks_per_day,
           r->tx_s_per_day, r->rx_s_per_day, r->window_ms);
    bat = currents_batteries(&n);
    for (i = 0; i < n; i++) {
        if (only == NULL || strcmp(only, bat[i].name) == 0) {
            printf("%s\"%s\":%.1f", first ? "" : ",", bat[i].name,
                   budget_life_days(bat[i].mah, r->total_ua));
            first = false;
        }
    }
    printf("}}\n");
}

static void print_life(double days)
{
    if (days >= 730) {
        printf("%.1f years", days / 365.25);
    } else {
        printf("%.0f days", days);
    }
}

static void print_table(const struct currents_board *b, const struct budget_in *in,
                        const struct budget_out *r, const char *only)
{
    const struct currents_battery *bat;
    size_t n;
    size_t i;
    double t = r->total_ua;

    printf("budget: board %s, profile %s, firmware %s\n", b->name,
           dsp_profile_name((enum dsp_profile)in->profile), in->tuned ? "tuned" : "as-built");
    printf("  sensing  %9.1f uA  %5.1f %%\n", r->sensing_ua, 100 * r->sensing_ua / t);
    printf("  compute  %9.1f uA  %5.1f %%\n", r->compute_ua, 100 * r->compute_ua / t);
    printf("  sleep    %9.1f uA  %5.1f %%\n", r->sleep_ua, 100 * r->sleep_ua / t);
    printf("  radio    %9.1f uA  %5.1f %%\n", r->radio_ua, 100 * r->radio_ua / t);
    printf("  total    %9.1f uA\n", t);
    printf("life (%.0f %% of nominal capacity usable):\n", CURRENTS_USABLE_SHARE * 100);
    bat = currents_batteries(&n);
    for (i = 0; i < n; i++) {
        if (only == NULL || strcmp(only, bat[i].name) == 0) {
            printf("  %-13s %6.0f mAh  ", bat[i].label, bat[i].mah);
            print_life(budget_life_days(bat[i].mah, t));
            printf("\n");
        }
    }
    printf("assumptions:\n");
    if (in->wake_on_sound && in->tuned) {
        printf("  sensing: woken by sound, listening %.1f %% of the time\n", 100 * r->listen_share);
    } else {
        printf("  sensing: %.1f %% of the time (%g s every %g s)\n", 100 * r->listen_share,
               in->tuned ? in->listen_s : 1.0, in->tuned ? in->every_s : 1.0);
    }
    printf("  idle: %s\n", in->tuned ? "LPSleep at lp_hz while listening, Stop2 otherwise; "
                                       "ADC by timer into DMA; radio asleep between uses; SMPS on"
                                     : "Sleep at run_hz (LDO), an interrupt per sample and a 1 kHz "
                                       "SysTick; ADC on; radio left in standby");
    printf("  compute: %.2f ms per window at run_hz, %.3f %% of the time running\n", r->window_ms,
           100 * r->run_share);
    printf("  radio: SF%d 125 kHz +%d dBm, health every %g s, %s, %d RX windows per uplink "
           "(%d symbols, RX2 SF%d): %.1f uplinks/day, %.2f s TX/day, %.2f s RX/day\n",
           in->sf, in->dbm, in->health_s,
           in->profile == DSP_PROFILE_TURBINE ? "anomaly summary every anomaly_s"
                                              : "events_per_day detection frames",
           in->rx_windows, in->rx_symbols, in->rx2_sf, r->uplinks_per_day, r->tx_s_per_day,
           r->rx_s_per_day);
    printf("  anomaly_s %g, events_per_day %g; the battery's self-discharge and its limits on "
           "pulse current (a CR2032 cannot source a 25 mA TX pulse for long) are not modelled\n",
           in->anomaly_s, in->events_per_day);
    printf("figures (host/lib/currents.c; datasheet typical values, not measured on a board):\n");
    for (i = 0; i < b->count; i++) {
        printf("  %-20s %10g %-13s %s\n", b->figures[i].key, b->figures[i].value,
               b->figures[i].unit, b->figures[i].source);
    }
    for (i = 0; i < n; i++) {
        printf("  %-20s %10g %-13s %s\n", bat[i].name, bat[i].mah, "mAh", bat[i].source);
    }
}

/* --sf all: the same assumptions at SF7..SF12, a row (or JSON object) each, so the cost of
 * a slower data rate (ADR moves a node between them) is read off at once. */
static int print_by_sf(const struct currents_board *b, struct budget_in *in, const char *only,
                       bool json)
{
    const struct currents_battery *bat;
    struct budget_out r;
    char err[300];
    size_t n;

    bat = currents_batteries(&n);
    if (!json) {
        printf("budget by spreading factor: board %s, profile %s, firmware %s, health every %g "
               "s (other assumptions: `budget --sf N`)\n",
               b->name, dsp_profile_name((enum dsp_profile)in->profile),
               in->tuned ? "tuned" : "as-built", in->health_s);
        printf("  SF  radio uA  total uA");
        for (size_t i = 0; i < n; i++) {
            if (only == NULL || strcmp(only, bat[i].name) == 0) {
                printf("  %12s", bat[i].name);
            }
        }
        printf("\n");
    }
    for (int sf = 7; sf <= 12; sf++) {
        in->sf = sf;
        if (budget_compute(b, in, &r, err, sizeof(err)) != 0) {
            fprintf(stderr, "tinyfleet-node budget: %s\n", err);
            return 2;
        }
        if (json) {
            print_json(in, &r, only);
            continue;
        }
        printf("  %2d  %8.1f  %8.1f", sf, r.radio_ua, r.total_ua);
        for (size_t i = 0; i < n; i++) {
            if (only == NULL || strcmp(only, bat[i].name) == 0) {
                double days = budget_life_days(bat[i].mah, r.total_ua);

                if (days >= 730) {
                    printf("  %6.1f years", days / 365.25);
                } else {
                    printf("  %7.0f days", days);
                }
            }
        }
        printf("\n");
    }
    return 0;
}

int energy_cmd_budget(int argc, char **argv)
{
    struct budget_opts o = {-1, NULL, NULL, -1, 0, 0, 0, -1, 0, false};
    const struct currents_board *b = currents_board("stm32wl55");
    struct budget_in in;
    struct budget_out r;
    char err[300];
    int rc = parse(argc, argv, &o);

    if (rc != 0) {
        return rc;
    }
    rc = assumptions(&o, &in);
    if (rc != 0) {
        return rc;
    }
    if (o.sf < 0) {
        rc = print_by_sf(b, &in, o.battery, o.json);
        return rc != 0 ? rc : (fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1);
    }
    if (budget_compute(b, &in, &r, err, sizeof(err)) != 0) {
        fprintf(stderr, "tinyfleet-node budget: %s\n", err);
        return 2;
    }
    if (o.json) {
        print_json(&in, &r, o.battery);
    } else {
        print_table(b, &in, &r, o.battery);
    }
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

void energy_cmd_print_acct(FILE *out, const struct energy_acct *a)
{
    fprintf(out,
            ",\"energy\":{\"run_s\":%.3f,\"sleep_s\":%.3f,\"lpsleep_s\":%.3f,\"stop2_s\":%.3f,"
            "\"run_hz\":%u,\"sensor_on_s\":%.3f,\"sensor_starts\":%u,\"tx_s\":%.3f,"
            "\"tx_frames\":%u,\"tx_dbm\":%d,\"rx_s\":%.3f,\"rx_windows\":%u}",
            (double)a->state_us[ENERGY_RUN] / 1e6, (double)a->state_us[ENERGY_SLEEP] / 1e6,
            (double)a->state_us[ENERGY_LPSLEEP] / 1e6, (double)a->state_us[ENERGY_STOP2] / 1e6,
            (unsigned)a->run_hz, (double)a->sensor_on_us / 1e6, (unsigned)a->sensor_starts,
            (double)a->tx_us / 1e6, (unsigned)a->tx_frames, a->tx_dbm, (double)a->rx_us / 1e6,
            (unsigned)a->rx_windows);
}
