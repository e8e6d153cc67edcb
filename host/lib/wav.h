/* SPDX-License-Identifier: MIT
 * WAV files for the host programs: reading a node's or the trainer's input (mono 16-bit PCM
 * only, with an error message a person can act on for anything else) and writing
 * synthesised signals. Streaming: the samples can be read block by block, so a long
 * recording costs no memory; wav_read_all() is for the programs that want all of them.
 */
#ifndef PROJ_HOST_LIB_WAV_H
#define PROJ_HOST_LIB_WAV_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct wav {
    FILE *f;
    uint32_t rate_hz;  /* samples per second */
    uint16_t channels; /* from the header; wav_open() accepts only 1 */
    uint16_t bits;     /* from the header; wav_open() accepts only 16 */
    uint64_t frames;   /* samples in the data chunk */
    uint64_t pos;      /* samples read so far */
};

/*
 * wav_open() - open @path and check that it is a mono 16-bit PCM WAV file.
 * @err: out, @errlen bytes: on failure one line saying what is wrong ("stereo file (2
 * channels): mono 16-bit PCM required", "truncated header: ...", ...).
 * Return: 0, or -1 with @err set (the file is closed).
 */
int wav_open(struct wav *w, const char *path, char *err, size_t errlen);

/*
 * wav_read() - read up to @n samples. Return: the number read; 0 at the end of the data
 * (a data chunk cut short by the end of the file ends early, counted as the end).
 */
size_t wav_read(struct wav *w, int16_t *buf, size_t n);

/* wav_close() - close the file; a closed or never opened struct is fine. */
void wav_close(struct wav *w);

/*
 * wav_read_all() - read a whole mono 16-bit PCM file (wav_open() checks) into memory.
 * @rate_hz: out, the sample rate.
 * @n:       out, the number of samples.
 * @err:     out, @errlen bytes: on failure one line saying what is wrong, as wav_open()'s,
 *           or "truncated data: the data chunk is cut short".
 * Return: the samples (at least one element allocated; free() them), or NULL with @err set.
 */
int16_t *wav_read_all(const char *path, uint32_t *rate_hz, size_t *n, char *err, size_t errlen);

/*
 * wav_write() - write @n mono 16-bit samples at @rate_hz to @path (replacing it).
 * Return: 0 or -1 (errno set).
 */
int wav_write(const char *path, uint32_t rate_hz, const int16_t *samples, size_t n);

#endif
