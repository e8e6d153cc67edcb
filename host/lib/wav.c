/* SPDX-License-Identifier: MIT
 * RIFF/WAVE reading and writing (mono 16-bit PCM). Chunks other than "fmt " and "data" are
 * skipped (LIST, fact, ...); WAVE_FORMAT_EXTENSIBLE is accepted when its sub-format is PCM.
 * Multi-byte fields are little-endian and read byte by byte, so the host's endianness does
 * not matter.
 */
#include "wav.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

static uint16_t le16(const uint8_t *p)
{
    return (uint16_t)(p[0] | (p[1] << 8));
}

/* Close the file and leave @msg in @err (@msg may already be @err). */
static int fail(struct wav *w, char *err, size_t errlen, const char *msg)
{
    if (msg != err) {
        snprintf(err, errlen, "%s", msg);
    }
    if (w->f != NULL) {
        fclose(w->f);
        w->f = NULL;
    }
    return -1;
}

int wav_open(struct wav *w, const char *path, char *err, size_t errlen)
{
    uint8_t hdr[12];
    uint8_t ch[8];
    uint8_t fmt[40];
    int have_fmt = 0;
    uint16_t format = 0;

    memset(w, 0, sizeof(*w));
    w->f = fopen(path, "rb");
    if (w->f == NULL) {
        snprintf(err, errlen, "cannot open: %s", strerror(errno));
        return -1;
    }
    if (fread(hdr, 1, sizeof(hdr), w->f) != sizeof(hdr)) {
        return fail(w, err, errlen, "truncated header: shorter than the 12-byte RIFF header");
    }
    if (memcmp(hdr, "RIFF", 4) != 0 || memcmp(hdr + 8, "WAVE", 4) != 0) {
        return fail(w, err, errlen, "not a WAV file (no RIFF/WAVE header)");
    }
    for (;;) {
        uint32_t size;

        if (fread(ch, 1, sizeof(ch), w->f) != sizeof(ch)) {
            return fail(w, err, errlen,
                        have_fmt ? "truncated header: no data chunk"
                                 : "truncated header: no fmt chunk");
        }
        size = le32(ch + 4);
        if (memcmp(ch, "fmt ", 4) == 0) {
            size_t want = size < sizeof(fmt) ? size : sizeof(fmt);

            if (size < 16u) {
                return fail(w, err, errlen, "bad fmt chunk: shorter than 16 bytes");
            }
            if (fread(fmt, 1, want, w->f) != want) {
                return fail(w, err, errlen, "truncated header: fmt chunk cut short");
            }
            if (size > want && fseek(w->f, (long)(size - want), SEEK_CUR) != 0) {
                return fail(w, err, errlen, "truncated header: fmt chunk cut short");
            }
            format = le16(fmt);
            w->channels = le16(fmt + 2);
            w->rate_hz = le32(fmt + 4);
            w->bits = le16(fmt + 14);
            /* WAVE_FORMAT_EXTENSIBLE: the real format is the sub-format GUID's first two
             * bytes. */
            if (format == 0xFFFEu && size >= 26u) {
                format = le16(fmt + 24);
            }
            have_fmt = 1;
        } else if (memcmp(ch, "data", 4) == 0) {
            if (!have_fmt) {
                return fail(w, err, errlen, "bad WAV file: data chunk before the fmt chunk");
            }
            break;
        } else if (fseek(w->f, (long)size + (long)(size & 1u), SEEK_CUR) != 0) {
            return fail(w, err, errlen, "truncated header: chunk cut short");
        }
        /* RIFF pads odd-sized chunks to an even length. */
        if ((size & 1u) != 0u && memcmp(ch, "fmt ", 4) == 0 && fseek(w->f, 1, SEEK_CUR) != 0) {
            return fail(w, err, errlen, "truncated header: chunk cut short");
        }
    }
    if (format != 1u) {
        snprintf(err, errlen, "unsupported encoding (format tag %u): 16-bit PCM required",
                 (unsigned)format);
        return fail(w, err, errlen, err);
    }
    if (w->channels != 1u) {
        snprintf(err, errlen, "%s file (%u channels): mono 16-bit PCM required",
                 w->channels == 2u ? "stereo" : "multi-channel", (unsigned)w->channels);
        return fail(w, err, errlen, err);
    }
    if (w->bits != 16u) {
        snprintf(err, errlen, "%u-bit samples: mono 16-bit PCM required", (unsigned)w->bits);
        return fail(w, err, errlen, err);
    }
    if (w->rate_hz == 0u) {
        return fail(w, err, errlen, "bad fmt chunk: sample rate 0");
    }
    w->frames = le32(ch + 4) / 2u;
    return 0;
}

size_t wav_read(struct wav *w, int16_t *buf, size_t n)
{
    uint8_t raw[2048];
    size_t done = 0;

    if (w->f == NULL) {
        return 0;
    }
    while (done < n && w->pos < w->frames) {
        size_t k = n - done;
        size_t got;
        size_t i;

        if (k > sizeof(raw) / 2u) {
            k = sizeof(raw) / 2u;
        }
        if (k > w->frames - w->pos) {
            k = (size_t)(w->frames - w->pos);
        }
        got = fread(raw, 2, k, w->f);
        for (i = 0; i < got; i++) {
            buf[done + i] = (int16_t)le16(raw + 2u * i);
        }
        done += got;
        w->pos += got;
        if (got < k) {
            w->frames = w->pos; /* the file ends before its data chunk says */
            break;
        }
    }
    return done;
}

void wav_close(struct wav *w)
{
    if (w->f != NULL) {
        fclose(w->f);
        w->f = NULL;
    }
}

int16_t *wav_read_all(const char *path, uint32_t *rate_hz, size_t *n, char *err, size_t errlen)
{
    struct wav w;
    int16_t *x;
    size_t want;
    size_t got;

    if (wav_open(&w, path, err, errlen) != 0) {
        return NULL;
    }
    if (w.frames > SIZE_MAX / sizeof(*x) - 1u) {
        snprintf(err, errlen, "too large: %llu samples", (unsigned long long)w.frames);
        wav_close(&w);
        return NULL;
    }
    x = malloc(((size_t)w.frames + 1u) * sizeof(*x));
    if (x == NULL) {
        snprintf(err, errlen, "out of memory for %llu samples", (unsigned long long)w.frames);
        wav_close(&w);
        return NULL;
    }
    want = (size_t)w.frames;
    got = wav_read(&w, x, want);
    /* wav_read() ends early where the file does; a whole-file reader calls that damage. */
    if (got != want) {
        snprintf(err, errlen, "truncated data: the data chunk is cut short");
        free(x);
        wav_close(&w);
        return NULL;
    }
    *rate_hz = w.rate_hz;
    *n = got;
    wav_close(&w);
    return x;
}

static void put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
    p[2] = (uint8_t)(v >> 16);
    p[3] = (uint8_t)(v >> 24);
}

/* A four-character RIFF tag (no terminating NUL in the file). */
static void put_tag(uint8_t *p, const char *tag)
{
    int i;

    for (i = 0; i < 4; i++) {
        p[i] = (uint8_t)tag[i];
    }
}

static void put16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

int wav_write(const char *path, uint32_t rate_hz, const int16_t *samples, size_t n)
{
    uint8_t h[44];
    FILE *f = fopen(path, "wb");
    int rc = 0;
    size_t i;

    if (f == NULL) {
        return -1;
    }
    put_tag(h, "RIFF");
    put32(h + 4, (uint32_t)(36u + 2u * n));
    put_tag(h + 8, "WAVE");
    put_tag(h + 12, "fmt ");
    put32(h + 16, 16);
    put16(h + 20, 1);            /* PCM */
    put16(h + 22, 1);            /* mono */
    put32(h + 24, rate_hz);      /* sample rate */
    put32(h + 28, rate_hz * 2u); /* byte rate */
    put16(h + 32, 2);            /* block align */
    put16(h + 34, 16);           /* bits */
    put_tag(h + 36, "data");
    put32(h + 40, (uint32_t)(2u * n));
    if (fwrite(h, 1, sizeof(h), f) != sizeof(h)) {
        rc = -1;
    }
    for (i = 0; i < n && rc == 0; i++) {
        uint8_t s[2];

        put16(s, (uint16_t)samples[i]);
        if (fwrite(s, 1, 2, f) != 2) {
            rc = -1;
        }
    }
    if (fclose(f) != 0) {
        rc = -1;
    }
    return rc;
}
