/* SPDX-License-Identifier: MIT
 * tinyfleet-turbine-eval: how the turbine profile does on machines nothing was trained on.
 * Each machine of the sweep (host/synth/gearbox.h, an independent generator) learns its own
 * normal with the node's code (nodefw/learn.h), then is judged healthy and with each fault;
 * the frozen model (node_classify_step) is judged on the same signals for comparison.
 * Writes a Markdown section and a PNG learning curve:
 *   tinyfleet-turbine-eval [--machines N] [--days D] [--week-machines N] [--jobs J]
 *                          OUT.md OUT.png
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "nodefw/classify.h"
#include "nodefw/learn.h"
#include "synth/gearbox.h"
#include "synth/synth.h"
#include "train/png.h"

#define RATE        4000u
#define WIN_PER_MIN (60.0 * RATE / FEAT_STEP_SAMPLES)
#define LEARN_MIN   20.0 /* learning period of the sweep, simulated minutes */
#define TEST_MIN    10.0 /* healthy test after learning */
#define FAULT_MIN   3.0  /* each fault after learning */
#define MAX_SCORES  (1u << 22)
#define N_CURVE     6

static const double curve_min[N_CURVE] = {1, 2, 5, 10, 20, 40};

struct scores {
    uint8_t *v;
    size_t n;
};

static void push(struct scores *s, uint8_t v)
{
    if (s->n < MAX_SCORES) {
        s->v[s->n++] = v;
    }
}

/* AUC of a > b with ties counted half, from score histograms. */
static double auc(const struct scores *neg, const struct scores *pos)
{
    double hn[256] = {0}, hp[256] = {0};
    for (size_t i = 0; i < neg->n; i++) {
        hn[neg->v[i]]++;
    }
    for (size_t i = 0; i < pos->n; i++) {
        hp[pos->v[i]]++;
    }
    double below = 0, a = 0;
    for (int i = 0; i < 256; i++) {
        a += hp[i] * (below + 0.5 * hn[i]);
        below += hn[i];
    }
    return neg->n && pos->n ? a / ((double)neg->n * (double)pos->n) : 0.0;
}

/* Run @windows windows of @g through the learner (and optionally the frozen model). */
static void run(struct gearbox *g, struct node_learn *l, struct node_classify *lc,
                struct node_classify *fc, size_t windows, struct scores *ls, size_t *lflag,
                struct scores *fs, size_t *fflag)
{
    int16_t blk[FEAT_STEP_SAMPLES];
    struct node_classify_result r;
    struct node_learn_info info;
    size_t done = 0;
    while (done < windows) {
        gearbox_render(g, blk, FEAT_STEP_SAMPLES);
        if (node_learn_step(l, lc, blk, FEAT_STEP_SAMPLES, &r, &info) == 1) {
            done++;
            if (ls != NULL) {
                push(ls, r.anomaly_score);
                *lflag += r.anomalous;
            }
        }
        if (fc != NULL && node_classify_step(fc, blk, FEAT_STEP_SAMPLES, &r) == 1 && fs) {
            push(fs, r.anomaly_score);
            *fflag += r.anomalous;
        }
    }
}

struct totals {
    struct scores lh, lf, fh, ff; /* learned/frozen, healthy/faulty */
    size_t lh_flag, lf_flag, fh_flag, ff_flag;
    size_t per_fault_n[GEARBOX_FAULT_COUNT], per_fault_flag[GEARBOX_FAULT_COUNT];
    double curve_thr[N_CURVE], curve_fa[N_CURVE];
    int pers_alerts, week_machines;
};

/* Days of healthy operation after learning, in 10-minute anomaly summaries as the node
 * sends them; a summary is anomalous when any of its windows is (anomalous_ratio = 0, the
 * default); [rule.turbine] alerts when 3 of the last 5 are. Return: alerts raised. */
static int persistence(struct gearbox *g, struct node_learn *l, struct node_classify *lc,
                       double days, size_t *windows, size_t *flagged)
{
    size_t per = (size_t)(10 * WIN_PER_MIN);
    int ring[5] = {0};
    int alerts = 0;
    int active = 0;
    struct scores tmp = {.v = malloc(per + 1)};
    for (int s = 0; s < (int)(days * 144); s++) {
        size_t flag = 0;
        tmp.n = 0;
        run(g, l, lc, NULL, per, &tmp, &flag, NULL, NULL);
        *windows += per;
        *flagged += flag;
        ring[s % 5] = flag > 0;
        int k = ring[0] + ring[1] + ring[2] + ring[3] + ring[4];
        if (k >= 3 && !active) {
            alerts++;
        }
        active = k >= 3;
    }
    free(tmp.v);
    return alerts;
}

static struct totals t;
static struct node_learn l, lsave;
static struct node_classify lc, fc, lcsave, fcsave;

/* One machine: learn, healthy test, each fault from the same learned state. */
static void machine(int m, FILE *log)
{
    struct gearbox g, gsave;
    gearbox_init(&g, RATE, (uint64_t)m + 1000u);
    node_learn_init(&l);
    (void)node_classify_init(&lc, DSP_PROFILE_TURBINE);
    (void)node_classify_init(&fc, DSP_PROFILE_TURBINE);
    (void)node_learn_start(&l, (uint32_t)(LEARN_MIN * WIN_PER_MIN));
    run(&g, &l, &lc, &fc, (size_t)(LEARN_MIN * WIN_PER_MIN), NULL, NULL, NULL, NULL);
    gsave = g;
    lsave = l;
    lcsave = lc;
    fcsave = fc;
    run(&g, &l, &lc, &fc, (size_t)(TEST_MIN * WIN_PER_MIN), &t.lh, &t.lh_flag, &t.fh, &t.fh_flag);
    for (int f = 1; f < GEARBOX_FAULT_COUNT; f++) {
        g = gsave;
        l = lsave;
        lc = lcsave;
        fc = fcsave;
        gearbox_set_fault(&g, (enum gearbox_fault)f, 0.6);
        size_t before = t.lf_flag, nb = t.lf.n;
        run(&g, &l, &lc, &fc, (size_t)(FAULT_MIN * WIN_PER_MIN), &t.lf, &t.lf_flag, &t.ff,
            &t.ff_flag);
        t.per_fault_n[f] += t.lf.n - nb;
        t.per_fault_flag[f] += t.lf_flag - before;
    }
    fprintf(log, "| %d | %d / %d | %.1f | %d | %.1f | %+.3f | %.0f | %u | %u |\n", m, gsave.teeth1,
            gsave.teeth2, gsave.shaft_hz, gsave.n_modes, gsave.level_dbfs, gsave.dc, gsave.noise_db,
            lsave.n_protos, lsave.threshold);
}

/* Learning curve: threshold and healthy false-alarm rate against the learning period. */
static void curve(int machines)
{
    for (int c = 0; c < N_CURVE; c++) {
        size_t n = 0, flag = 0;
        double thr = 0;
        for (int m = 0; m < machines; m++) {
            struct gearbox g;
            struct scores tmp = {.v = malloc(MAX_SCORES)};
            gearbox_init(&g, RATE, (uint64_t)m + 1000u);
            node_learn_init(&l);
            (void)node_classify_init(&lc, DSP_PROFILE_TURBINE);
            (void)node_learn_start(&l, (uint32_t)(curve_min[c] * WIN_PER_MIN));
            run(&g, &l, &lc, NULL, (size_t)(curve_min[c] * WIN_PER_MIN), NULL, NULL, NULL, NULL);
            thr += l.threshold;
            run(&g, &l, &lc, NULL, (size_t)(TEST_MIN * WIN_PER_MIN), &tmp, &flag, NULL, NULL);
            n += tmp.n;
            free(tmp.v);
        }
        t.curve_thr[c] = thr / machines;
        t.curve_fa[c] = 100.0 * (double)flag / (double)n;
    }
}

static void plot(const char *path)
{
    struct png_panel p[2];
    memset(p, 0, sizeof(p));
    p[0].n_series = 1;
    p[1].n_series = 1;
    p[0].s[0].n = p[1].s[0].n = N_CURVE;
    p[0].s[0].color = 0x1f77b4;
    p[1].s[0].color = 0xd62728;
    for (int c = 0; c < N_CURVE; c++) {
        p[0].s[0].x[c] = p[1].s[0].x[c] = curve_min[c];
        p[0].s[0].y[c] = t.curve_thr[c];
        p[1].s[0].y[c] = t.curve_fa[c];
    }
    p[0].x_lo = p[1].x_lo = 0;
    p[0].x_hi = p[1].x_hi = curve_min[N_CURVE - 1];
    p[0].y_lo = 100;
    p[0].y_hi = 255;
    p[1].y_lo = 0;
    p[1].y_hi = 10;
    if (png_plot(path, p, 2) != 0) {
        fprintf(stderr, "tinyfleet-turbine-eval: cannot write %s\n", path);
    }
}

/* What follows this line in OUT.md is measured by other tools (firmware size, instructions)
 * and kept as it is when the sweep is written again. */
#define KEEP_MARK "<!-- turbine-eval keeps what follows: measured with other tools -->"

/* The kept part of @path (from KEEP_MARK on), or NULL: malloc'ed, for the caller to free. */
static char *kept_tail(const char *path)
{
    static char text[1 << 16];
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        return NULL;
    }
    size_t n = fread(text, 1, sizeof(text) - 1u, f);
    fclose(f);
    text[n] = '\0';
    const char *mark = strstr(text, KEEP_MARK);
    return mark != NULL ? strdup(mark) : NULL;
}

/* Percentage of @k in @n (0 for none). */
static double pct(size_t k, size_t n)
{
    return n == 0u ? 0.0 : 100.0 * (double)k / (double)n;
}

static const char *met(int ok)
{
    return ok ? "met" : "**missed**";
}

/* The simulated week's results of the machines it ran on. */
struct week {
    size_t windows, flagged;
    int alerts;
    char list[256]; /* "0, 6, 12, 18" */
};

/* One machine's week, from its own learning run, in this process. */
static void week_one(int m, double days, struct week *w)
{
    struct gearbox g;
    gearbox_init(&g, RATE, (uint64_t)m + 1000u);
    node_learn_init(&l);
    (void)node_classify_init(&lc, DSP_PROFILE_TURBINE);
    (void)node_learn_start(&l, (uint32_t)(LEARN_MIN * WIN_PER_MIN));
    run(&g, &l, &lc, NULL, (size_t)(LEARN_MIN * WIN_PER_MIN), NULL, NULL, NULL, NULL);
    w->alerts = persistence(&g, &l, &lc, days, &w->windows, &w->flagged);
}

/* @n of the sweep's @machines spread evenly over it (0, machines/n, ...), each a week of
 * about 6.5 min of CPU: @jobs at a time in child processes, which hand back their figures
 * through a pipe. Return: 0, or -1 when a child failed. */
static int week_runs(int machines, int n, double days, int jobs, struct week *w)
{
    int fd[2];
    int running = 0, failed = 0;
    if (pipe(fd) != 0) {
        return -1;
    }
    for (int i = 0; i < n || running > 0;) {
        if (i < n && running < jobs) {
            int m = (int)((long)i * machines / n);
            size_t len = strlen(w->list);
            (void)snprintf(w->list + len, sizeof(w->list) - len, "%s%d", i ? ", " : "", m);
            pid_t pid = fork();
            if (pid == 0) {
                struct week one = {0};
                week_one(m, days, &one);
                /* One record of a few bytes: a pipe writes it whole. */
                _exit(write(fd[1], &one, sizeof(one)) == (ssize_t)sizeof(one) ? 0 : 1);
            }
            failed |= pid < 0;
            running += pid > 0;
            i++;
            continue;
        }
        int status;
        struct week one;
        if (wait(&status) < 0) {
            break;
        }
        running--;
        if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
            read(fd[0], &one, sizeof(one)) != (ssize_t)sizeof(one)) {
            failed = 1;
            continue;
        }
        w->windows += one.windows;
        w->flagged += one.flagged;
        w->alerts += one.alerts;
    }
    close(fd[0]);
    close(fd[1]);
    return failed ? -1 : 0;
}

int main(int argc, char **argv)
{
    int machines = 24;
    double week = 7;
    int week_machines = 1;
    int jobs = 1;
    int a = 1;
    while (a + 1 < argc && argv[a][0] == '-') {
        if (strcmp(argv[a], "--machines") == 0) {
            machines = (int)strtol(argv[a + 1], NULL, 10);
        } else if (strcmp(argv[a], "--days") == 0) {
            week = strtod(argv[a + 1], NULL);
        } else if (strcmp(argv[a], "--week-machines") == 0) {
            week_machines = (int)strtol(argv[a + 1], NULL, 10);
        } else if (strcmp(argv[a], "--jobs") == 0) {
            jobs = (int)strtol(argv[a + 1], NULL, 10);
        }
        a += 2;
    }
    if (argc - a != 2 || machines < 1 || week_machines < 0 || week_machines > machines ||
        jobs < 1) {
        fprintf(stderr, "usage: tinyfleet-turbine-eval [--machines N] [--days D] "
                        "[--week-machines N (<= machines)] [--jobs J] OUT.md OUT.png\n");
        return 2;
    }
    char *keep = kept_tail(argv[a]);
    FILE *out = fopen(argv[a], "w");
    if (out == NULL) {
        perror(argv[a]);
        free(keep);
        return 1;
    }
    t.lh.v = malloc(MAX_SCORES);
    t.lf.v = malloc(MAX_SCORES);
    t.fh.v = malloc(MAX_SCORES);
    t.ff.v = malloc(MAX_SCORES);
    fprintf(out,
            "# Turbine: every machine learns its own normal\n\n"
            "Written by `make turbine-eval` (`build/tinyfleet-turbine-eval`, "
            "host/eval/turbine_eval.c); machines from host/synth/gearbox.h, a generator "
            "independent of the training synthesiser. Each machine learns for %.0f simulated "
            "minutes (nodefw/learn.h), then runs healthy for %.0f minutes and, from the same "
            "learned state, %.0f minutes with each fault at severity 0.6.\n\n",
            LEARN_MIN, TEST_MIN, FAULT_MIN);
    fprintf(out, "| machine | teeth | shaft Hz | modes | level dBFS | DC | noise dB below | "
                 "prototypes | threshold |\n|---|---|---|---|---|---|---|---|---|\n");
    for (int m = 0; m < machines; m++) {
        machine(m, out);
    }
    struct week wk = {0};
    if (week_runs(machines, week_machines, week, jobs, &wk) != 0) {
        fprintf(stderr, "tinyfleet-turbine-eval: a week run failed\n");
        fclose(out);
        free(keep);
        return 1;
    }
    curve(machines < 6 ? machines : 6);
    plot(argv[a + 1]);
    double auc_l = auc(&t.lh, &t.lf), auc_f = auc(&t.fh, &t.ff);
    double fa_l = pct(t.lh_flag, t.lh.n), fa_f = pct(t.fh_flag, t.fh.n);
    double det_l = pct(t.lf_flag, t.lf.n), det_f = pct(t.ff_flag, t.ff.n);
    fprintf(out,
            "\n| | healthy windows flagged | fault windows flagged | AUC |\n|---|---|---|---|\n");
    fprintf(out, "| frozen model (before) | %.2f %% | %.1f %% | %.3f |\n", fa_f, det_f, auc_f);
    fprintf(out, "| learned (this) | %.3f %% | %.1f %% | %.4f |\n\n", fa_l, det_l, auc_l);
    fprintf(out, "| fault | windows flagged after learning |\n|---|---|\n");
    for (int f = 1; f < GEARBOX_FAULT_COUNT; f++) {
        fprintf(out, "| %s | %.1f %% |\n", gearbox_fault_name((enum gearbox_fault)f),
                pct(t.per_fault_flag[f], t.per_fault_n[f]));
    }
    fprintf(out,
            "\nTargets: AUC >= 0.95: %.4f, %s; <= 1 %% healthy flagged: %.3f %%, %s; "
            "fault windows flagged >= 80 %%: %.1f %%, %s; no persistence alert from a "
            "healthy machine over %.1f simulated days (%d machines: %s, each after its own "
            "learning run; %zu windows, %zu flagged): %d alerts, %s.\n\n",
            auc_l, met(auc_l >= 0.95), fa_l, met(fa_l <= 1.0), det_l, met(det_l >= 80.0), week,
            week_machines, wk.list, wk.windows, wk.flagged, wk.alerts,
            met(wk.alerts == 0 && week_machines > 0));
    fprintf(out,
            "Learning curve (first %d machines; `turbine_learning.png`: left the mean "
            "threshold, right the %% of healthy windows flagged, against the learning "
            "period in minutes):\n\n| learning min | mean threshold | healthy flagged |\n"
            "|---|---|---|\n",
            machines < 6 ? machines : 6);
    for (int c = 0; c < N_CURVE; c++) {
        fprintf(out, "| %.0f | %.1f | %.3f %% |\n", curve_min[c], t.curve_thr[c], t.curve_fa[c]);
    }
    if (keep != NULL) {
        fprintf(out, "\n%s", keep);
        free(keep);
    }
    printf("AUC %.4f healthy %.3f %% faults %.1f %% alerts %d (frozen: AUC %.3f healthy %.1f %%)\n",
           auc_l, fa_l, det_l, wk.alerts, auc_f, fa_f);
    return fclose(out) == 0 ? 0 : 1;
}
