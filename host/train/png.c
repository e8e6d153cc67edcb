/*
 * png: line plots as RGB PNG (see png.h). The deflate encoder knows one trick, repeating the
 * previous pixel, with the fixed Huffman code: a page of code, and a plot of a few tens of
 * KB instead of a megabyte.
 */
#include "png.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/crc32.h"

#define PANEL_W 360
#define PANEL_H 300
#define M_LEFT  52
#define M_RIGHT 12
#define M_TOP   12
#define M_BOT   34

struct canvas {
    int w, h;
    unsigned char *px; /* w * h * 3 */
};

static void put(struct canvas *c, int x, int y, unsigned rgb)
{
    if (x < 0 || y < 0 || x >= c->w || y >= c->h) {
        return;
    }
    unsigned char *p = c->px + ((size_t)y * (size_t)c->w + (size_t)x) * 3;
    p[0] = (unsigned char)(rgb >> 16);
    p[1] = (unsigned char)(rgb >> 8);
    p[2] = (unsigned char)rgb;
}

static void line(struct canvas *c, int x0, int y0, int x1, int y1, unsigned rgb, int dashed)
{
    int dx = abs(x1 - x0);
    int dy = -abs(y1 - y0);
    int sx = x0 < x1 ? 1 : -1;
    int sy = y0 < y1 ? 1 : -1;
    int err = dx + dy;
    int step = 0;
    for (;;) {
        if (!dashed || (step / 6) % 2 == 0) {
            put(c, x0, y0, rgb);
            put(c, x0, y0 + 1, rgb);
        }
        step++;
        if (x0 == x1 && y0 == y1) {
            break;
        }
        int e2 = 2 * err;
        if (e2 >= dy) {
            err += dy;
            x0 += sx;
        }
        if (e2 <= dx) {
            err += dx;
            y0 += sy;
        }
    }
}

/* 3x5 glyphs, one row per 3 bits, for tick labels. */
static const char glyph_chars[] = "0123456789.-%k";
static const unsigned short glyphs[] = {
    0x7B6F, 0x2C97, 0x73E7, 0x73CF, 0x5BC9, 0x79CF, 0x79EF,
    0x7249, 0x7BEF, 0x7BCF, 0x0002, 0x01C0, 0x52A5, 0x4BAD,
};

static void text(struct canvas *c, int x, int y, const char *s, unsigned rgb)
{
    for (; *s; s++, x += 8) {
        const char *g = strchr(glyph_chars, *s);
        if (!g) {
            continue;
        }
        unsigned bits = glyphs[g - glyph_chars];
        for (int r = 0; r < 5; r++) {
            for (int k = 0; k < 3; k++) {
                if (bits >> (14 - (r * 3 + k)) & 1u) {
                    for (int dy = 0; dy < 2; dy++) {
                        for (int dx = 0; dx < 2; dx++) {
                            put(c, x + 2 * k + dx, y + 2 * r + dy, rgb);
                        }
                    }
                }
            }
        }
    }
}

static void panel(struct canvas *c, int ox, const struct png_panel *p)
{
    int x0 = ox + M_LEFT;
    int x1 = ox + PANEL_W - M_RIGHT;
    int y0 = PANEL_H - M_BOT;
    int y1 = M_TOP;
    char lab[32];
    for (int t = 0; t <= 4; t++) {
        double fx = p->x_lo + (p->x_hi - p->x_lo) * t / 4.0;
        double fy = p->y_lo + (p->y_hi - p->y_lo) * t / 4.0;
        int gx = x0 + (x1 - x0) * t / 4;
        int gy = y0 - (y0 - y1) * t / 4;
        line(c, gx, y0, gx, y1, 0xE0E0E0, 0);
        line(c, x0, gy, x1, gy, 0xE0E0E0, 0);
        if (p->x_hi >= 2000.0) {
            snprintf(lab, sizeof(lab), "%.1fk", fx / 1000.0);
        } else {
            snprintf(lab, sizeof(lab), "%.0f", fx);
        }
        /* Centred under the tick; the last one right-aligned so it stays in the panel. */
        int lx = t == 4 ? gx - 8 * (int)strlen(lab) + 2 : gx - 4 * (int)strlen(lab);
        text(c, lx, y0 + 8, lab, 0x000000);
        snprintf(lab, sizeof(lab), "%.2f", fy);
        text(c, x0 - 8 * (int)strlen(lab) - 4, gy - 5, lab, 0x000000);
    }
    line(c, x0, y0, x1, y0, 0x000000, 0);
    line(c, x0, y0, x0, y1, 0x000000, 0);
    for (int i = 0; i < p->n_series; i++) {
        const struct png_series *s = &p->s[i];
        int px = 0;
        int py = 0;
        for (int k = 0; k < s->n; k++) {
            double fx = (s->x[k] - p->x_lo) / (p->x_hi - p->x_lo);
            double fy = (s->y[k] - p->y_lo) / (p->y_hi - p->y_lo);
            fy = fy < 0.0 ? 0.0 : fy > 1.0 ? 1.0 : fy;
            int qx = x0 + (int)lround(fx * (x1 - x0));
            int qy = y0 - (int)lround(fy * (y0 - y1));
            for (int dy = -2; dy <= 2; dy++) {
                for (int dx = -2; dx <= 2; dx++) {
                    put(c, qx + dx, qy + dy, s->color);
                }
            }
            if (k > 0) {
                line(c, px, py, qx, qy, s->color, s->dashed);
            }
            px = qx;
            py = qy;
        }
    }
}

static void be32(unsigned char *b, uint32_t v)
{
    b[0] = (unsigned char)(v >> 24);
    b[1] = (unsigned char)(v >> 16);
    b[2] = (unsigned char)(v >> 8);
    b[3] = (unsigned char)v;
}

static int chunk(FILE *f, const char *type, const unsigned char *data, size_t n)
{
    unsigned char h[8];
    be32(h, (uint32_t)n);
    memcpy(h + 4, type, 4);
    /* The chunk's CRC covers its type and data, not its length (PNG section 5.3). */
    uint32_t v = proto_crc32(proto_crc32(0, h + 4, 4), data, n);
    unsigned char t[4];
    be32(t, v);
    return fwrite(h, 1, 8, f) == 8 && (n == 0 || fwrite(data, 1, n, f) == n) &&
                   fwrite(t, 1, 4, f) == 4
               ? 0
               : -1;
}

/* LSB-first bit writer of a deflate stream. */
struct bits {
    unsigned char *out;
    size_t n;
    uint32_t acc;
    int nbits;
};

static void put_bits(struct bits *b, uint32_t v, int n)
{
    b->acc |= v << b->nbits;
    b->nbits += n;
    while (b->nbits >= 8) {
        b->out[b->n++] = (unsigned char)b->acc;
        b->acc >>= 8;
        b->nbits -= 8;
    }
}

/* Huffman codes go out most significant bit first. */
static void put_code(struct bits *b, uint32_t code, int n)
{
    uint32_t r = 0;
    for (int i = 0; i < n; i++) {
        r = (r << 1) | ((code >> i) & 1u);
    }
    put_bits(b, r, n);
}

/* A literal/length symbol in the fixed Huffman code (RFC 1951 section 3.2.6). */
static void put_sym(struct bits *b, int sym)
{
    if (sym < 144) {
        put_code(b, 0x30u + (uint32_t)sym, 8);
    } else if (sym < 256) {
        put_code(b, 0x190u + (uint32_t)(sym - 144), 9);
    } else if (sym < 280) {
        put_code(b, (uint32_t)(sym - 256), 7);
    } else {
        put_code(b, 0xC0u + (uint32_t)(sym - 280), 8);
    }
}

static void put_length(struct bits *b, int len)
{
    static const int base[29] = {3,  4,  5,  6,  7,  8,  9,  10, 11,  13,  15,  17,  19,  23, 27,
                                 31, 35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258};
    static const int extra[29] = {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2,
                                  2, 3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0};
    int i = 28;
    while (base[i] > len) {
        i--;
    }
    put_sym(b, 257 + i);
    if (extra[i]) {
        put_bits(b, (uint32_t)(len - base[i]), extra[i]);
    }
}

/*
 * One fixed-Huffman block whose only matches repeat the previous pixel (distance 3): a plot
 * is mostly runs of one colour, so this alone shrinks it about fiftyfold.
 */
static size_t deflate_runs(const unsigned char *raw, size_t n, unsigned char *out)
{
    struct bits b = {out, 0, 0, 0};
    put_bits(&b, 1, 1); /* final block */
    put_bits(&b, 1, 2); /* fixed Huffman */
    for (size_t i = 0; i < n;) {
        size_t len = 0;
        if (i >= 3) {
            while (i + len < n && len < 258 && raw[i + len] == raw[i + len - 3]) {
                len++;
            }
        }
        if (len >= 3) {
            put_length(&b, (int)len);
            put_code(&b, 2, 5); /* distance 3 */
            i += len;
        } else {
            put_sym(&b, raw[i]);
            i++;
        }
    }
    put_sym(&b, 256);
    if (b.nbits > 0) {
        put_bits(&b, 0, 8 - b.nbits);
    }
    return b.n;
}

int png_plot(const char *path, const struct png_panel *panels, int n)
{
    struct canvas c = {PANEL_W * n, PANEL_H, NULL};
    size_t raw_n = (size_t)c.h * (size_t)(c.w * 3 + 1);
    c.px = malloc((size_t)c.w * (size_t)c.h * 3);
    /* Worst case 9 bits per byte, plus headers. */
    unsigned char *z = malloc(raw_n + raw_n / 8 + 64);
    unsigned char *raw = calloc(raw_n, 1);
    FILE *f = fopen(path, "wb");
    int rc = -1;
    if (!c.px || !z || !raw || !f) {
        goto out;
    }
    memset(c.px, 0xFF, (size_t)c.w * (size_t)c.h * 3);
    for (int i = 0; i < n; i++) {
        panel(&c, i * PANEL_W, &panels[i]);
    }
    for (int y = 0; y < c.h; y++) {
        unsigned char *r = raw + (size_t)y * (size_t)(c.w * 3 + 1);
        r[0] = 0; /* filter: none */
        memcpy(r + 1, c.px + (size_t)y * (size_t)c.w * 3, (size_t)c.w * 3);
    }
    /* zlib stream: header, one deflate block, Adler-32 of the raw bytes. */
    size_t zn = 0;
    z[zn++] = 0x78;
    z[zn++] = 0x01;
    zn += deflate_runs(raw, raw_n, z + zn);
    uint32_t a = 1;
    uint32_t b = 0;
    for (size_t i = 0; i < raw_n; i++) {
        a = (a + raw[i]) % 65521u;
        b = (b + a) % 65521u;
    }
    be32(z + zn, (b << 16) | a);
    zn += 4;
    static const unsigned char sig[8] = {137, 80, 78, 71, 13, 10, 26, 10};
    unsigned char ihdr[13];
    be32(ihdr, (uint32_t)c.w);
    be32(ihdr + 4, (uint32_t)c.h);
    ihdr[8] = 8;  /* bit depth */
    ihdr[9] = 2;  /* RGB */
    ihdr[10] = 0; /* deflate */
    ihdr[11] = 0; /* adaptive filtering */
    ihdr[12] = 0; /* no interlace */
    if (fwrite(sig, 1, 8, f) == 8 && chunk(f, "IHDR", ihdr, 13) == 0 &&
        chunk(f, "IDAT", z, zn) == 0 && chunk(f, "IEND", NULL, 0) == 0) {
        rc = 0;
    }
out:
    if (f && fclose(f) != 0) {
        rc = -1;
    }
    free(c.px);
    free(z);
    free(raw);
    return rc;
}
