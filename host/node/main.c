/* SPDX-License-Identifier: MIT
 * tinyfleet-node: the node firmware on a Linux host.
 *   classify --profile P FILE.wav   one JSON line per window
 *   synth    --profile P ... OUT.wav write a test signal from host/synth
 *   run      ...                     one node, host HAL, to a CoAP URI or a forwarder address
 *   fleet    --scenario FILE         many nodes, simulated clock (fleet.c)
 * Usage errors exit 2, failures 1.
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "energy_cmd.h"
#include "fleet.h"
#include "host_hal.h"
#include "simutil.h"
#include "lib/hostutil.h"
#include "nodefw/classify.h"
#include "learn_cli.h"
#include "nodefw/node.h"
#include "nodefw/profile.h"
#include "proto/tfp.h"
#include "synth/synth.h"
#include "lib/wav.h"

static int usage(FILE *out, int rc)
{
    fprintf(out,
            "usage: tinyfleet-node classify --profile P [--learn H.wav ... | --frozen] FILE.wav\n"
            "       tinyfleet-node synth --profile P --seconds S [--event KIND --at S --snr DB]\n"
            "                            [--severity X] [--seed N] OUT.wav\n"
            "       tinyfleet-node run --profile P --devaddr HEX8 --nwkskey HEX32 --appskey HEX32\n"
            "                          (--coap coap://HOST[:PORT]/up | --forwarder HOST:PORT)\n"
            "                          (--wav FILE | --event KIND [--seconds S --at S --snr DB])\n"
            "                          [--speed X] [--nv FILE] [--health-s N] [--batch-s N]\n"
            "                          [--sf N] [--eui HEX16] [--k N] [--seed N] [--confirmed]\n"
            "                          [--rx] [-v] [--listen-s S (--every-s S | --wake-level X\n"
            "                          [--wake-margin-db D])]\n"
            "                          [--learn-s S] [--relearn]\n"
            "                          [--otaa --deveui HEX16 --joineui HEX16 --appkey HEX32\n"
            "                          [--rejoin-after N]] (with --otaa, no session keys)\n"
            "       tinyfleet-node fleet --scenario FILE [--speed X] [--duration-s N]\n"
            "                            [--coap URI] [--forwarder HOST:PORT] [--list] [-v]\n"
            "       tinyfleet-node budget --profile P [--battery NAME] [--sf N] [--scenario FILE]\n"
            "                             [--json]\n"
            "\n"
            "  -v, --verbose  (run, fleet) log what the nodes do to stderr\n"
            "\n"
            "Profiles and the input sample rate they need: elephant 1000 Hz, whale 2000 Hz,\n"
            "turbine 4000 Hz; WAV input is mono 16-bit PCM. classify prints one JSON object\n"
            "per window (1024 samples): t (s, end of the window), class (a class name,\n"
            "\"machine_anomaly\" or \"none\"), confidence (0..1), class_id, level_db, and for the\n"
            "turbine anomaly_score and peak_band. run and fleet print one JSON line of counters\n"
            "per node at the end. Scenario files: nodefw/NODE.md, config/scenarios/.\n"
            "`tinyfleet-node COMMAND --help` describes every option of a command;\n"
            "`tinyfleet-node --version` prints the version.\n"
            "Exit status: 0 success, 1 failure, 2 usage error.\n");
    return rc;
}

/* `tinyfleet-node COMMAND --help`: every option of one command (man/tinyfleet-node.1 has
 * the same words). */
static const struct command_help {
    const char *name;
    const char *text;
} command_help[] = {
    {"classify",
     "usage: tinyfleet-node classify --profile P [--learn H.wav ... | --frozen] FILE.wav\n"
     "\n"
     "Runs the node's feature extraction and model on a WAV file and prints one JSON\n"
     "object per window of 1024 samples: t (s, end of the window), class (a class\n"
     "name, \"machine_anomaly\" or \"none\"), confidence (0..1), best, class_id,\n"
     "level_db, and for the turbine anomaly_score, anomalous and peak_band.\n"
     "  --profile P   elephant (1000 Hz), whale (2000 Hz) or turbine (4000 Hz);\n"
     "                FILE.wav is mono 16-bit PCM at that rate\n"
     "  --learn H.wav turbine: learn this machine's normal from H.wav (repeatable)\n"
     "                as the node does over its learning period, then judge FILE.wav;\n"
     "                each line adds learn, score and threshold (0..255);\n"
     "                without it the turbine says it has not learned (exit 1)\n"
     "  --frozen      turbine: judge with the model frozen at flash time instead\n"
     "                (trained on one synthetic gearbox: a comparison, not a verdict)\n"},
    {"synth", "usage: tinyfleet-node synth --profile P --seconds S [--event KIND --at S --snr DB]\n"
              "                            [--severity X] [--seed N] OUT.wav\n"
              "\n"
              "Writes a synthesised scene at the profile's rate to OUT.wav.\n"
              "  --profile P    elephant, whale or turbine: the background and the rate\n"
              "  --seconds S    length of the scene (default 30)\n"
              "  --event KIND   one signal: rumble, wind, rain, thunder, engine, voice, upcall,\n"
              "                 humpback, ship, shrimp, turbine, fault_outer, fault_inner,\n"
              "                 fault_imbalance, fault_misalign, bg_land, bg_sea, bg_plant\n"
              "  --at S         when the event starts, s into the scene (default 5)\n"
              "  --snr DB       the event's level over the background, dB (default 15)\n"
              "  --severity X   0..1, scales a fault (default 1)\n"
              "  --seed N       fixes the random choices (default 1)\n"},
    {"run",
     "usage: tinyfleet-node run --profile P (--devaddr HEX8 --nwkskey HEX32 --appskey HEX32 |\n"
     "                          --otaa --deveui HEX16 --joineui HEX16 --appkey HEX32\n"
     "                          [--rejoin-after N])\n"
     "                          (--coap coap://HOST[:PORT]/up | --forwarder HOST:PORT)\n"
     "                          (--wav FILE | --event KIND [--seconds S --at S --snr DB])\n"
     "                          [--speed X] [--nv FILE] [--health-s N] [--batch-s N]\n"
     "                          [--sf N] [--eui HEX16] [--k N] [--seed N] [--confirmed]\n"
     "                          [--rx] [-v] [--listen-s S (--every-s S | --wake-level X\n"
     "                          [--wake-margin-db D])]\n"
     "                          [--learn-s S] [--relearn]\n"
     "\n"
     "One node on the host HAL; at the end of the input it flushes and prints its\n"
     "counters as one JSON line.\n"
     "  --profile P          elephant, whale or turbine\n"
     "  --devaddr, --nwkskey, --appskey\n"
     "                       the node's ABP identity, as registered with `tinyfleet node add`\n"
     "  --otaa --deveui E --joineui E --appkey K\n"
     "                       or: the node joins over the air at start, as registered with\n"
     "                       `tinyfleet node add --otaa` (the forwarder's join windows: 5 s\n"
     "                       and 6 s; CoAP: the JoinAccept in the 2.04); with --nv the session\n"
     "                       and the DevNonce are kept across runs\n"
     "  --rejoin-after N     join again after N uplinks without any downlink (default 0:\n"
     "                       never)\n"
     "  --coap URI           send through the firmware's CoAP client (CON, POST /up)\n"
     "  --forwarder H:P      send each frame as a Semtech PUSH_DATA to a gateway's UDP\n"
     "                       port; waits up to 3 s for the PUSH_ACK\n"
     "  --wav FILE           the sensor input, mono 16-bit PCM at the profile's rate\n"
     "  --event KIND         or a synthesised scene (see `synth --help`: --seconds, --at,\n"
     "                       --snr, --seed)\n"
     "  --speed X            simulated seconds per real second (default 1); max: as\n"
     "                       fast as the node runs (time passes only while it idles)\n"
     "  --nv FILE            keep the frame counter record in FILE across runs\n"
     "  --health-s N         health message period, s (default: the profile's)\n"
     "  --batch-s N          how long records wait to share a frame, s\n"
     "  --sf N               LoRa spreading factor, 7..12\n"
     "  --eui HEX16          the forwarder's gateway EUI in PUSH_DATA\n"
     "  --k N                how far the stored counter limit runs ahead (1..16383)\n"
     "  --confirmed          confirmed uplinks: the gateway acknowledges each (implies --rx)\n"
     "  --rx                 forwarder: open the receive windows after each uplink (RX1 1 s,\n"
     "                       RX2 2 s, real time): downlinks (ACKs, commands) reach the node,\n"
     "                       and the next uplink waits for the windows to close\n"
     "  -v, --verbose        log what the node does to stderr\n"
     "  --listen-s S         duty-cycled sensing: listen S seconds ...\n"
     "  --every-s S          ... of every S seconds (the sensor is off in between),\n"
     "                       from a phase the DevAddr sets, as the firmware does\n"
     "  --wake-level X       or: off until a sample reaches X (full scale 1), the host's\n"
     "                       wake-on-sound line; then listen --listen-s seconds\n"
     "  --wake-margin-db D   the line adapts: it fires when the input's envelope is D dB\n"
     "                       over the tracked background (and at least X)\n"
     "  --learn-s S          turbine: learn the machine's normal for S seconds of sensing\n"
     "                       before judging (default 1209600, 14 days; 0: the frozen model)\n"
     "  --relearn            turbine: forget what was learned (kept in --nv FILE.learn)\n"
     "                       and learn again\n"},
    {"fleet", "usage: tinyfleet-node fleet --scenario FILE [--speed X] [--duration-s N]\n"
              "                            [--coap URI] [--forwarder HOST:PORT] [--list] [-v]\n"
              "\n"
              "Many nodes, one firmware instance per [node.*] section of the scenario file, on\n"
              "one simulated clock; each node prints one JSON line of counters at the end.\n"
              "  --scenario FILE    the scenario (nodefw/NODE.md, config/scenarios/)\n"
              "  --speed X          simulated seconds per real second (default: the file's)\n"
              "  --duration-s N     simulated seconds to run (default: the file's)\n"
              "  --coap URI         replaces the file's CoAP address\n"
              "  --forwarder H:P    replaces the file's packet-forwarder address\n"
              "  --list             print the nodes with their keys as JSON lines and stop\n"
              "  -v, --verbose      log what the nodes do to stderr\n"},
};

/* Whether a word after the command asks for help (up to a "--"). */
static bool wants_help(int argc, char **argv)
{
    int i;

    for (i = 2; i < argc && strcmp(argv[i], "--") != 0; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return true;
        }
    }
    return false;
}

static int command_usage(const char *name)
{
    size_t i;

    if (strcmp(name, "budget") == 0) {
        fputs(energy_cmd_help, stdout);
        fputs("\nExit status: 0 success, 1 failure, 2 usage error.\n", stdout);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    for (i = 0; i < sizeof(command_help) / sizeof(command_help[0]); i++) {
        if (strcmp(command_help[i].name, name) == 0) {
            fputs(command_help[i].text, stdout);
            fputs("\nExit status: 0 success, 1 failure, 2 usage error.\n", stdout);
            return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
        }
    }
    return usage(stderr, 2);
}

/* --- classify ----------------------------------------------------------------------------- */

static int open_checked(struct wav *w, const char *path, enum dsp_profile p)
{
    const struct dsp_profile_info *info = dsp_profile_get(p);
    char err[200];

    if (wav_open(w, path, err, sizeof(err)) != 0) {
        fprintf(stderr, "tinyfleet-node: %s: %s\n", path, err);
        return -1;
    }
    if (w->rate_hz != info->sample_rate_hz) {
        fprintf(stderr,
                "tinyfleet-node: %s: sample rate %" PRIu32 " Hz, but the %s profile needs %u "
                "Hz (resample the file, e.g. sox IN.wav -r %u OUT.wav)\n",
                path, w->rate_hz, info->name, (unsigned)info->sample_rate_hz,
                (unsigned)info->sample_rate_hz);
        wav_close(w);
        return -1;
    }
    return 0;
}

static void print_result(double t, const struct node_classify_result *r)
{
    const char *cls = "none";

    if (r->is_anomaly_model) {
        cls = r->anomalous ? hostutil_class_name(PROTO_TFP_CLASS_MACHINE_ANOMALY) : "none";
    } else if (r->detected) {
        cls = hostutil_class_name(r->class_id);
    }
    printf("{\"t\":%.3f,\"class\":\"%s\",\"confidence\":%.4f,\"best\":\"%s\",\"class_id\":%u,"
           "\"level_db\":%u",
           t, cls, r->confidence / 255.0,
           r->is_anomaly_model || r->class_id == 0u ? "none" : hostutil_class_name(r->class_id),
           r->detected ? r->class_id : 0u, r->level_db);
    if (r->is_anomaly_model) {
        printf(",\"anomaly_score\":%.4f,\"anomalous\":%s,\"peak_band\":%u",
               r->anomaly_score / 255.0, r->anomalous ? "true" : "false", r->peak_band);
    }
    printf("}\n");
}

static int cmd_classify(int argc, char **argv)
{
    static const struct option opts[] = {{"profile", required_argument, NULL, 'p'},
                                         {"learn", required_argument, NULL, 'l'},
                                         {"frozen", no_argument, NULL, 'f'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    static struct node_classify st;
    static struct node_learn learn;
    static char *learn_paths[64];
    int n_learn = 0;
    bool frozen = false;
    int16_t block[FEAT_STEP_SAMPLES];
    struct node_classify_result res;
    struct wav w;
    int prof = -1;
    uint64_t samples = 0;
    int c;

    while ((c = getopt_long(argc, argv, "p:l:h", opts, NULL)) != -1) {
        if (c == 'f') {
            frozen = true;
        } else if (c == 'l') {
            if (n_learn == 64) {
                fprintf(stderr, "tinyfleet-node: --learn: at most 64 files\n");
                return 2;
            }
            learn_paths[n_learn++] = optarg;
        } else if (c == 'p') {
            prof = dsp_profile_from_name(optarg);
            if (prof < 0) {
                fprintf(stderr,
                        "tinyfleet-node: --profile: unknown profile '%s' (elephant, "
                        "whale, turbine)\n",
                        optarg);
                return 2;
            }
        } else {
            return usage(c == 'h' ? stdout : stderr, c == 'h' ? 0 : 2);
        }
    }
    if (prof < 0 || optind != argc - 1) {
        fprintf(stderr, "tinyfleet-node classify: needs --profile P and one WAV file\n");
        return 2;
    }
    if ((n_learn > 0 || frozen) && prof != DSP_PROFILE_TURBINE) {
        fprintf(stderr, "tinyfleet-node classify: --learn and --frozen are for the turbine "
                        "profile\n");
        return 2;
    }
    if (n_learn > 0 && frozen) {
        fprintf(stderr, "tinyfleet-node classify: give --learn or --frozen, not both\n");
        return 2;
    }
    if (n_learn > 0) {
        return learn_cli_learn(&learn, &st, learn_paths, n_learn) == 0 &&
                       learn_cli_classify(&learn, &st, argv[optind]) == 0
                   ? 0
                   : 1;
    }
    if (prof == DSP_PROFILE_TURBINE && !frozen) {
        /* A turbine node judges only its own learned normal: anything else is a guess. */
        fprintf(stderr, "tinyfleet-node: turbine: not learned yet: give --learn HEALTHY.wav "
                        "(this machine in good health), or --frozen for the model frozen at "
                        "flash time\n");
        return 1;
    }
    if (open_checked(&w, argv[optind], (enum dsp_profile)prof) != 0) {
        return 1;
    }
    if (node_classify_init(&st, (enum dsp_profile)prof) != NODE_CLASSIFY_OK) {
        fprintf(stderr, "tinyfleet-node: the %s model does not load\n", argv[optind]);
        wav_close(&w);
        return 1;
    }
    while (wav_read(&w, block, FEAT_STEP_SAMPLES) == FEAT_STEP_SAMPLES) {
        samples += FEAT_STEP_SAMPLES;
        if (node_classify_step(&st, block, FEAT_STEP_SAMPLES, &res) == 1) {
            print_result((double)samples / w.rate_hz, &res);
        }
    }
    wav_close(&w);
    return fflush(stdout) == 0 ? 0 : 1;
}

/* --- synth -------------------------------------------------------------------------------- */

/* One event over the profile's background: the input of `synth` and of `run --event`. */
struct synth_scene {
    struct synth_source bg;
    struct synth_source ev;
    bool has_event;
    uint64_t at_n;    /* sample the event starts at */
    uint64_t n;       /* samples produced */
    uint64_t total_n; /* samples in all */
    float bg_gain;
    float ev_gain;
};

static enum synth_kind background_of(enum dsp_profile p)
{
    return p == DSP_PROFILE_WHALE     ? SYNTH_BG_SEA
           : p == DSP_PROFILE_TURBINE ? SYNTH_BG_PLANT
                                      : SYNTH_BG_LAND;
}

/* What a scene renders: the options `synth` and `run --event` share (their defaults differ). */
struct scene_opts {
    const char *event; /* --event KIND, or NULL: the background alone */
    double seconds;    /* --seconds */
    double at;         /* --at: the event's start, s */
    double snr;        /* --snr, dB */
    double severity;   /* --severity, 0..1 (faults) */
    unsigned long long seed;
};

/* Takes option @c into @o when it is one of the scene's.
 * Return: 1 taken, 0 not a scene option, -1 a bad value (said on stderr). */
static int scene_option(int c, const char *arg, struct scene_opts *o)
{
    switch (c) {
    case 'e':
        o->event = arg;
        return 1;
    case 's':
        return hostutil_num("seconds", arg, 0.001, 86400, &o->seconds) != 0 ? -1 : 1;
    case 'a':
        return hostutil_num("at", arg, 0, 86400, &o->at) != 0 ? -1 : 1;
    case 'n':
        return hostutil_num("snr", arg, -60, 100, &o->snr) != 0 ? -1 : 1;
    case 'S':
        return hostutil_num("severity", arg, 0, 1, &o->severity) != 0 ? -1 : 1;
    case 'r':
        o->seed = strtoull(arg, NULL, 0);
        return 1;
    default:
        return 0;
    }
}

static int scene_init(struct synth_scene *s, enum dsp_profile p, const struct scene_opts *o,
                      uint64_t seed)
{
    unsigned rate = synth_profile_rate((enum synth_profile)p);

    memset(s, 0, sizeof(*s));
    s->total_n = (uint64_t)(o->seconds * rate);
    s->at_n = (uint64_t)(o->at * rate);
    s->bg_gain = 0.2f;
    if (synth_source_init(&s->bg, background_of(p), rate, seed) != 0) {
        return -1;
    }
    if (o->event != NULL) {
        int k = simutil_synth_kind(o->event);

        if (k < 0 || synth_source_init(&s->ev, (enum synth_kind)k, rate, seed + 1u) != 0) {
            fprintf(stderr, "tinyfleet-node: unknown signal kind '%s'\n", o->event);
            return -1;
        }
        s->ev.severity = o->severity;
        s->ev_gain = (float)(s->bg_gain * synth_snr_gain(o->snr));
        s->has_event = true;
    }
    return 0;
}

static size_t scene_render(void *arg, int16_t *out, size_t n)
{
    struct synth_scene *s = arg;
    float buf[1024];
    size_t done = 0;

    while (done < n && s->n < s->total_n) {
        size_t k = n - done;
        size_t lead = 0;

        if (k > 1024u) {
            k = 1024u;
        }
        if (k > s->total_n - s->n) {
            k = (size_t)(s->total_n - s->n);
        }
        memset(buf, 0, k * sizeof(float));
        synth_render(&s->bg, buf, k, s->bg_gain);
        if (s->has_event && s->n + k > s->at_n) {
            lead = s->n < s->at_n ? (size_t)(s->at_n - s->n) : 0u;
            synth_render(&s->ev, buf + lead, k - lead, s->ev_gain);
        }
        synth_to_int16(buf, out + done, k);
        done += k;
        s->n += k;
    }
    return done;
}

static int cmd_synth(int argc, char **argv)
{
    static const struct option opts[] = {
        {"profile", required_argument, NULL, 'p'}, {"seconds", required_argument, NULL, 's'},
        {"event", required_argument, NULL, 'e'},   {"at", required_argument, NULL, 'a'},
        {"snr", required_argument, NULL, 'n'},     {"severity", required_argument, NULL, 'S'},
        {"seed", required_argument, NULL, 'r'},    {NULL, 0, NULL, 0}};
    struct scene_opts so = {NULL, 30, 5, 15, 1, 1};
    struct synth_scene scene;
    int prof = -1;
    int16_t *pcm;
    size_t n;
    int c;
    int rc;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        rc = scene_option(c, optarg, &so);
        if (rc < 0) {
            return 2;
        }
        if (rc > 0) {
            continue;
        }
        if (c != 'p') {
            return usage(stderr, 2);
        }
        prof = dsp_profile_from_name(optarg);
    }
    if (prof < 0 || optind != argc - 1) {
        fprintf(stderr, "tinyfleet-node synth: needs --profile P and an output file\n");
        return 2;
    }
    if (scene_init(&scene, (enum dsp_profile)prof, &so, so.seed) != 0) {
        return 2;
    }
    pcm = malloc(scene.total_n * sizeof(int16_t));
    if (pcm == NULL) {
        return 1;
    }
    n = scene_render(&scene, pcm, (size_t)scene.total_n);
    rc = wav_write(argv[optind], synth_profile_rate((enum synth_profile)prof), pcm, n);
    free(pcm);
    if (rc != 0) {
        fprintf(stderr, "tinyfleet-node: %s: %s\n", argv[optind], strerror(errno));
        return 1;
    }
    return 0;
}

/* --- run ---------------------------------------------------------------------------------- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
    (void)sig;
    stop_flag = 1;
}

static size_t wav_source(void *arg, int16_t *buf, size_t n)
{
    return wav_read(arg, buf, n);
}

static const struct option run_options[] = {{"profile", required_argument, NULL, 'p'},
                                            {"devaddr", required_argument, NULL, 'd'},
                                            {"nwkskey", required_argument, NULL, 'N'},
                                            {"appskey", required_argument, NULL, 'A'},
                                            {"coap", required_argument, NULL, 'c'},
                                            {"forwarder", required_argument, NULL, 'f'},
                                            {"wav", required_argument, NULL, 'w'},
                                            {"event", required_argument, NULL, 'e'},
                                            {"seconds", required_argument, NULL, 's'},
                                            {"at", required_argument, NULL, 'a'},
                                            {"snr", required_argument, NULL, 'n'},
                                            {"speed", required_argument, NULL, 'x'},
                                            {"nv", required_argument, NULL, 'V'},
                                            {"health-s", required_argument, NULL, 'H'},
                                            {"batch-s", required_argument, NULL, 'B'},
                                            {"sf", required_argument, NULL, 'F'},
                                            {"eui", required_argument, NULL, 'E'},
                                            {"k", required_argument, NULL, 'k'},
                                            {"seed", required_argument, NULL, 'r'},
                                            {"verbose", no_argument, NULL, 'v'},
                                            {"listen-s", required_argument, NULL, 'L'},
                                            {"every-s", required_argument, NULL, 'Y'},
                                            {"wake-level", required_argument, NULL, 'W'},
                                            {"confirmed", no_argument, NULL, 'C'},
                                            {"rx", no_argument, NULL, 'R'},
                                            {"wake-margin-db", required_argument, NULL, 'M'},
                                            {"learn-s", required_argument, NULL, 'l'},
                                            {"relearn", no_argument, NULL, 'Q'},
                                            {"otaa", no_argument, NULL, 'O'},
                                            {"deveui", required_argument, NULL, 'U'},
                                            {"joineui", required_argument, NULL, 'J'},
                                            {"appkey", required_argument, NULL, 'K'},
                                            {"rejoin-after", required_argument, NULL, 'j'},
                                            {NULL, 0, NULL, 0}};

/* What `run` was given. */
struct run_opts {
    struct scene_opts so;   /* --event and what shapes it */
    struct node_config cfg; /* --devaddr, --nwkskey, --appskey (the rest: defaults) */
    uint8_t eui[8];         /* --eui: the forwarder's gateway EUI */
    const char *coap;       /* --coap URI, or NULL */
    const char *forwarder;  /* --forwarder HOST:PORT, or NULL */
    const char *wavpath;    /* --wav FILE, or NULL */
    const char *nv;         /* --nv FILE, or NULL */
    double speed;           /* --speed: simulated seconds per real second */
    double health_s;        /* --health-s, -1: the profile's default */
    double batch_s;         /* --batch-s, -1: the profile's default */
    double sf;              /* --sf, 0: the default */
    double k;               /* --k: frame-counter writes every k frames */
    double listen_s;        /* --listen-s: duty-cycled or woken sensing (0: continuous) */
    double every_s;         /* --every-s */
    double wake_level;      /* --wake-level: wake-on-sound threshold, full scale 1 */
    double wake_margin_db;  /* --wake-margin-db: adaptive wake line (0: fixed level) */
    double learn_s;         /* --learn-s: turbine learning period, -1: the firmware's */
    bool relearn;           /* --relearn: forget what the node learned, learn again */
    double rejoin_after;    /* --rejoin-after */
    int prof;               /* --profile, -1: not given */
    bool have_dev;
    bool have_nk;
    bool have_ak;
    bool have_deveui; /* --otaa: cfg.otaa, deveui, joineui, appkey */
    bool have_joineui;
    bool have_appkey;
    bool verbose;
    bool confirmed; /* --confirmed */
    bool rx;        /* --rx (or --confirmed) */
};

/* --deveui or --joineui: 16 hex digits, as written on the device (most significant first).
 * Return: 0, or 2 (said why). */
static int eui_option(const char *opt, const char *arg, uint64_t *out, bool *have)
{
    if (hostutil_eui(arg, out) != 0) {
        fprintf(stderr, "tinyfleet-node: --%s: 16 hex digits expected\n", opt);
        return 2;
    }
    *have = true;
    return 0;
}

/* One option of `run` into @o. Return: 0; 2 for a bad value (said why); -1 for an option
 * `run` does not have. */
static int run_option(int c, const char *arg, struct run_opts *o)
{
    switch (c) {
    case 'p':
        o->prof = dsp_profile_from_name(arg);
        return 0;
    case 'd':
        o->have_dev = hostutil_devaddr(arg, &o->cfg.devaddr) == 0;
        return 0;
    case 'N':
        o->have_nk = hostutil_hex(arg, o->cfg.nwkskey, 16) == 0;
        return 0;
    case 'A':
        o->have_ak = hostutil_hex(arg, o->cfg.appskey, 16) == 0;
        return 0;
    case 'c':
        o->coap = arg;
        return 0;
    case 'f':
        o->forwarder = arg;
        return 0;
    case 'w':
        o->wavpath = arg;
        return 0;
    case 'x':
        if (strcmp(arg, "max") == 0) {
            o->speed = 0; /* a manual clock: see run_loop() */
            return 0;
        }
        return hostutil_num("speed", arg, 0.001, 100000, &o->speed) != 0 ? 2 : 0;
    case 'V':
        o->nv = arg;
        return 0;
    case 'H':
        return hostutil_num("health-s", arg, 0, 86400, &o->health_s) != 0 ? 2 : 0;
    case 'B':
        return hostutil_num("batch-s", arg, 0, 86400, &o->batch_s) != 0 ? 2 : 0;
    case 'F':
        return hostutil_num("sf", arg, 7, 12, &o->sf) != 0 ? 2 : 0;
    case 'E':
        if (hostutil_hex(arg, o->eui, 8) != 0) {
            fprintf(stderr, "tinyfleet-node: --eui: 16 hex digits expected\n");
            return 2;
        }
        return 0;
    case 'k':
        return hostutil_num("k", arg, 1, 16383, &o->k) != 0 ? 2 : 0;
    case 'v':
        o->verbose = true;
        return 0;
    case 'L':
        return hostutil_num("listen-s", arg, 0.001, 86400, &o->listen_s) != 0 ? 2 : 0;
    case 'Y':
        return hostutil_num("every-s", arg, 0.001, 86400, &o->every_s) != 0 ? 2 : 0;
    case 'W':
        return hostutil_num("wake-level", arg, 0.0001, 1, &o->wake_level) != 0 ? 2 : 0;
    case 'C':
        o->confirmed = true;
        o->rx = true;
        return 0;
    case 'R':
        o->rx = true;
        return 0;
    case 'M':
        return hostutil_num("wake-margin-db", arg, 0.1, 60, &o->wake_margin_db) != 0 ? 2 : 0;
    case 'l':
        return hostutil_num("learn-s", arg, 0, 366 * 86400.0, &o->learn_s) != 0 ? 2 : 0;
    case 'Q':
        o->relearn = true;
        return 0;
    case 'O':
        o->cfg.otaa = true;
        return 0;
    case 'U':
    case 'J':
        return eui_option(c == 'U' ? "deveui" : "joineui", arg,
                          c == 'U' ? &o->cfg.deveui : &o->cfg.joineui,
                          c == 'U' ? &o->have_deveui : &o->have_joineui);
    case 'K':
        o->have_appkey = hostutil_hex(arg, o->cfg.appkey, 16) == 0;
        return 0;
    case 'j':
        return hostutil_num("rejoin-after", arg, 0, 65535, &o->rejoin_after) != 0 ? 2 : 0;
    default:
        return -1;
    }
}

/* The command line into @o. Return: 0, or the exit status (2: said why). */
static int run_parse(int argc, char **argv, struct run_opts *o)
{
    int c;
    int rc;

    while ((c = getopt_long(argc, argv, "v", run_options, NULL)) != -1) {
        rc = scene_option(c, optarg, &o->so);
        if (rc < 0) {
            return 2;
        }
        if (rc > 0) {
            continue;
        }
        rc = run_option(c, optarg, o);
        if (rc < 0) {
            return usage(stderr, 2);
        }
        if (rc != 0) {
            return rc;
        }
    }
    if (o->cfg.otaa && (o->prof < 0 || !o->have_deveui || !o->have_joineui || !o->have_appkey ||
                        o->have_nk || o->have_ak || optind != argc)) {
        fprintf(stderr, "tinyfleet-node run: --otaa needs --profile, --deveui, --joineui "
                        "(16 hex digits) and --appkey (32), and no session keys\n");
        return 2;
    }
    if (!o->cfg.otaa &&
        (o->prof < 0 || !o->have_dev || !o->have_nk || !o->have_ak || optind != argc)) {
        fprintf(stderr, "tinyfleet-node run: needs --profile, --devaddr (8 hex digits), "
                        "--nwkskey and --appskey (32 hex digits each)\n");
        return 2;
    }
    if ((o->coap == NULL) == (o->forwarder == NULL)) {
        fprintf(stderr, "tinyfleet-node run: give exactly one of --coap URI and --forwarder "
                        "HOST:PORT\n");
        return 2;
    }
    if (simutil_sensing(&o->cfg.sense, o->listen_s, o->every_s, o->wake_level) != 0) {
        fprintf(stderr, "tinyfleet-node run: --listen-s S needs --every-s (>= S) or "
                        "--wake-level X, and they need --listen-s\n");
        return 2;
    }
    if (o->wake_margin_db > 0 && o->wake_level <= 0) {
        fprintf(stderr, "tinyfleet-node run: --wake-margin-db needs --wake-level X (the least "
                        "level that wakes)\n");
        return 2;
    }
    if ((o->wavpath == NULL) == (o->so.event == NULL)) {
        fprintf(stderr, "tinyfleet-node run: give exactly one of --wav FILE and --event KIND\n");
        return 2;
    }
    return 0;
}

/* The profile's defaults, then what the command line gave. */
static void run_config(const struct run_opts *o, struct node_config *cfg)
{
    node_default_config(cfg, (enum dsp_profile)o->prof,
                        o->coap != NULL ? BEARER_COAP : BEARER_LORA);
    cfg->devaddr = o->cfg.devaddr;
    memcpy(cfg->nwkskey, o->cfg.nwkskey, sizeof(cfg->nwkskey));
    memcpy(cfg->appskey, o->cfg.appskey, sizeof(cfg->appskey));
    cfg->fcnt_k = (uint16_t)o->k;
    cfg->otaa = o->cfg.otaa;
    cfg->deveui = o->cfg.deveui;
    cfg->joineui = o->cfg.joineui;
    memcpy(cfg->appkey, o->cfg.appkey, sizeof(cfg->appkey));
    cfg->rejoin_after = (uint16_t)o->rejoin_after;
    cfg->sense = o->cfg.sense;
    /* The phase the firmware takes from its DevAddr (node_config_from_record()). */
    cfg->sense.phase_ms = sensing_phase_ms(cfg->devaddr, cfg->sense.every_ms);
    cfg->confirmed = o->confirmed;
    if (o->health_s >= 0) {
        cfg->agg.health_period_ms = (uint32_t)o->health_s * 1000u;
    }
    if (o->batch_s >= 0) {
        cfg->agg.batch_wait_ms = (uint32_t)o->batch_s * 1000u;
    }
    if (o->sf != 0) {
        cfg->lora.sf = (uint8_t)o->sf;
        cfg->lora.low_dr_optimize = o->sf >= 11;
    }
    if (o->learn_s >= 0) {
        cfg->learn_s = (uint32_t)o->learn_s;
    }
}

/* The bearer's socket: CoAP's into @hn, the forwarder's into @fwd (and @hn->fwd).
 * Return: 0, or the exit status (said why). */
static int run_connect(const struct run_opts *o, struct host_node *hn, struct host_fwd *fwd)
{
    char host[256];
    char port[32];
    char err[300];

    if (o->coap != NULL) {
        if (host_parse_coap_uri(o->coap, host, sizeof(host), port, sizeof(port)) != 0) {
            fprintf(stderr, "tinyfleet-node: --coap: expected coap://HOST[:PORT]/up, got '%s'\n",
                    o->coap);
            return 2;
        }
        hn->coap_fd = host_udp_connect(host, port, err, sizeof(err));
        if (hn->coap_fd < 0) {
            fprintf(stderr, "tinyfleet-node: --coap: %s\n", err);
            return 1;
        }
        return 0;
    }
    if (host_split_hostport(o->forwarder, host, sizeof(host), port, sizeof(port)) != 0) {
        fprintf(stderr, "tinyfleet-node: --forwarder: expected HOST:PORT, got '%s'\n",
                o->forwarder);
        return 2;
    }
    fwd->fd = host_udp_connect(host, port, err, sizeof(err));
    if (fwd->fd < 0) {
        fprintf(stderr, "tinyfleet-node: --forwarder: %s\n", err);
        return 1;
    }
    hn->fwd = fwd;
    /* An OTAA node hears its JoinAccept in the join windows. */
    hn->rx_enabled = o->rx || o->cfg.otaa;
    if (hn->rx_enabled && host_fwd_pull(fwd) != 0) {
        fprintf(stderr, "tinyfleet-node: --forwarder: cannot send PULL_DATA: %s\n",
                strerror(errno));
        return 1;
    }
    return 0;
}

/* The sensor: the WAV file, or the synthesised scene. Return: 0, or the exit status. */
static int run_source(const struct run_opts *o, struct host_node *hn, struct wav *w,
                      struct synth_scene *scene)
{
    if (o->wavpath != NULL) {
        if (open_checked(w, o->wavpath, (enum dsp_profile)o->prof) != 0) {
            return 1;
        }
        hn->source = wav_source;
        hn->source_arg = w;
        return 0;
    }
    if (scene_init(scene, (enum dsp_profile)o->prof, &o->so, o->so.seed != 0 ? o->so.seed : 1u) !=
        0) {
        return 2;
    }
    hn->source = scene_render;
    hn->source_arg = scene;
    return 0;
}

/* Nothing to do for now: let 20 ms of simulated time pass. With `--speed max` the clock is
 * manual and moves only here, so the node never falls behind its input however slow the
 * host (at a fixed speed, a duty-cycled node that cannot keep up would drop the backlog of
 * each listening period when the period ends, and the counts would depend on the load). */
static void idle(struct host_node *hn)
{
    if (hn->clock->manual) {
        hn->clock->manual_ms += 20;
    } else {
        hal_sleep_ms(&hn->hal, 20);
    }
}

/* Steps the node until it is done; SIGINT or SIGTERM flushes what it holds first.
 * Return: the last node_step() status. */
static int run_loop(struct node *node, struct host_node *hn)
{
    int status;

    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    for (;;) {
        status = node_step(node);
        if (status == NODE_DONE || status < 0) {
            return status;
        }
        if (stop_flag) {
            node_flush(node);
            stop_flag = 0;
        }
        if (status == NODE_IDLE) {
            idle(hn);
        }
    }
}

static int cmd_run(int argc, char **argv)
{
    static struct node node;
    static struct host_node hn;
    static struct synth_scene scene;
    static struct run_opts o;
    struct host_clock clock;
    static struct host_fwd fwd; /* hn (static) points at it */
    struct node_config cfg;
    struct wav w;
    int rc;
    int status;

    memset(&o, 0, sizeof(o));
    o.so = (struct scene_opts){NULL, 30, 5, 20, 1, 0};
    o.speed = 1;
    o.health_s = -1;
    o.batch_s = -1;
    o.k = 64;
    o.prof = -1;
    o.learn_s = -1;
    memcpy(o.eui, "\xAA\x55\x5A\x00\x00\x00\x00\x01", 8);
    memset(&fwd, 0, sizeof(fwd));
    memset(&w, 0, sizeof(w));
    rc = run_parse(argc, argv, &o);
    if (rc != 0) {
        return rc;
    }
    fwd.fd = -1;
    fwd.ack_timeout_ms = 3000;
    memcpy(fwd.eui, o.eui, sizeof(fwd.eui));
    run_config(&o, &cfg);
    host_clock_init(&clock, o.speed, o.speed == 0);
    host_node_init(&hn, &clock, "node",
                   o.so.seed != 0 ? o.so.seed
                                  : ((uint64_t)cfg.devaddr << 20) ^ (uint64_t)time(NULL));
    hn.verbose = o.verbose;
    host_node_set_wake(&hn, o.cfg.sense.mode == SENSING_WAKE ? o.wake_level : 0);
    host_node_set_wake_margin(&hn, o.wake_margin_db);
    if (o.nv != NULL) {
        char learn[300];

        snprintf(learn, sizeof(learn), "%s.learn", o.nv);
        if (host_node_set_store(&hn, o.nv, learn) != 0) {
            fprintf(stderr, "tinyfleet-node: --nv: path too long\n");
            return 2;
        }
    }
    rc = run_connect(&o, &hn, &fwd);
    if (rc == 0) {
        rc = run_source(&o, &hn, &w, &scene);
    }
    if (rc != 0) {
        return rc;
    }
    rc = node_init(&node, &cfg, &hn.hal);
    if (rc != 0) {
        fprintf(stderr, "tinyfleet-node: node start failed: %s\n", simutil_node_strerror(rc));
        wav_close(&w);
        return 1;
    }
    if (o.relearn && node_learn_restart(&node) != 0) {
        fprintf(stderr, "tinyfleet-node: --relearn: only a turbine with a learning period "
                        "learns\n");
    }
    status = run_loop(&node, &hn);
    wav_close(&w);
    simutil_print_stats(stdout, "node", &node, fwd.acks, fwd.timeouts);
    if (hn.coap_fd >= 0) {
        close(hn.coap_fd);
    }
    if (fwd.fd >= 0) {
        close(fwd.fd);
    }
    /* Success means every frame made it: the caller (and the integration test) relies on
     * the exit status to know nothing was lost. */
    return status < 0 || node.stats.tx_failed != 0 ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        return usage(stderr, 2);
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
        strcmp(argv[1], "help") == 0) {
        return usage(stdout, 0);
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("tinyfleet-node %s\n", TINYFLEET_VERSION);
        return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
    }
    if (wants_help(argc, argv)) {
        return command_usage(argv[1]);
    }
    if (strcmp(argv[1], "classify") == 0) {
        return cmd_classify(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "synth") == 0) {
        return cmd_synth(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "run") == 0) {
        return cmd_run(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "fleet") == 0) {
        return fleet_main(argc - 1, argv + 1);
    }
    if (strcmp(argv[1], "budget") == 0) {
        return energy_cmd_budget(argc - 1, argv + 1);
    }
    fprintf(stderr, "tinyfleet-node: unknown command '%s'\n", argv[1]);
    return usage(stderr, 2);
}
