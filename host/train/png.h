/*
 * png: a tiny deterministic line-plot writer (RGB PNG, run-length deflate), so the model
 * report's trade-off plot needs no plotting package and is byte-identical on every run.
 */
#ifndef PROJ_HOST_TRAIN_PNG_H
#define PROJ_HOST_TRAIN_PNG_H

#define PNG_MAX_SERIES 6
#define PNG_MAX_POINTS 16

struct png_series {
    int n;
    double x[PNG_MAX_POINTS];
    double y[PNG_MAX_POINTS];
    unsigned color; /* 0xRRGGBB */
    int dashed;
};

struct png_panel {
    int n_series;
    struct png_series s[PNG_MAX_SERIES];
    double x_lo, x_hi, y_lo, y_hi; /* axis ranges; ticks are labelled with their values */
};

/* Write `n` panels side by side into a PNG file; 0 or -1. */
int png_plot(const char *path, const struct png_panel *panels, int n);

#endif /* PROJ_HOST_TRAIN_PNG_H */
