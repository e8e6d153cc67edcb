/*
 * synth: physical signal models for the three tinyfleet profiles (host code, C11 + libm).
 *
 * One module renders every signal the project trains on and simulates with: the training
 * tool (host/train/) draws labelled examples from it, and `tinyfleet-node fleet` mixes
 * the same sources into what each simulated node hears. Keeping one model of a rumble, an
 * upcall or a bearing fault means a model is evaluated on the signals it was trained on
 * and the fleet demo exercises that very model.
 *
 * Every source is deterministic for its seed and rendered block by block: a source is a
 * small state machine (phase accumulators, filter states, its own random generator), so
 * rendering 10 000 samples at once or in blocks of 256 gives identical samples. Two sources
 * initialised with the same kind, rate and seed produce the same waveform, which is how a
 * fleet lets several nodes hear one elephant: one source per node, same seed, each scaled
 * by synth_gain() for its own distance (and, if wanted, delayed by distance / speed).
 *
 * Units: samples are float with full scale 1.0 (synth_to_int16() maps 1.0 to 32767).
 * A source rendered at gain 1 has an RMS of about SYNTH_REF_RMS over its active part,
 * meaning "heard at the reference distance of 1 m"; distance and SNR are applied by the
 * caller through synth_gain() and synth_snr_gain(). Rendering ADDS into the output buffer
 * (out[i] += gain * s), so mixing several sources is a loop over sources.
 *
 * Typical use (a rumble 300 m away at 10 dB over wind, at the elephant rate):
 *
 *     struct synth_source rumble, wind;
 *     synth_source_init(&rumble, SYNTH_RUMBLE, 1000, seed);
 *     synth_source_init(&wind, SYNTH_WIND, 1000, seed + 1);
 *     float buf[N] = {0};
 *     synth_render(&wind, buf, N, 0.2f);                       (background first)
 *     synth_render(&rumble, buf, N, 0.2f * synth_snr_gain(10.0));
 *     synth_to_int16(buf, pcm, N);
 *
 * or, for a physical scene, synth_gain(SYNTH_AIR, 300.0) instead of the SNR gain.
 */
#ifndef PROJ_HOST_SYNTH_SYNTH_H
#define PROJ_HOST_SYNTH_SYNTH_H

#include <stddef.h>
#include <stdint.h>

/* Nominal RMS of every source at gain 1 over its active part (full scale 1.0). */
#define SYNTH_REF_RMS 0.1

/* The three node profiles and their input sample rates (ARCHITECTURE.md). */
enum synth_profile {
    SYNTH_PROFILE_ELEPHANT = 0, /* 1000 Hz, infrasound microphone / geophone */
    SYNTH_PROFILE_WHALE,        /* 2000 Hz, hydrophone */
    SYNTH_PROFILE_TURBINE,      /* 4000 Hz, accelerometer on a gearbox */
    SYNTH_PROFILE_COUNT
};

/*
 * Signal sources. "Events" have a finite duration (synth_source_duration() > 0) and render
 * silence after it; the others are continuous. The turbine kinds each render the whole
 * machine: the healthy gearbox and blade-pass vibration plus, for a fault kind, the fault's
 * own component scaled by the source's severity (0 = healthy, 1 = fully developed), so a
 * degrading bearing is one source whose severity the caller raises over time.
 */
enum synth_kind {
    /* elephant profile */
    SYNTH_RUMBLE = 0, /* event: 10-40 Hz fundamental, harmonics, 2-6 s, slow pitch contour */
    SYNTH_WIND,       /* continuous: low-passed gusty noise, energy below ~50 Hz */
    SYNTH_RAIN,       /* continuous: broadband drops (clicks) on a hiss; both land and sea */
    SYNTH_THUNDER,    /* event: 2-8 s crack then low rolling rumble, broadband < 100 Hz */
    SYNTH_ENGINE,     /* continuous: vehicle/generator, firing harmonics 25-100 Hz, RPM drift */
    SYNTH_VOICE,      /* event: 1-4 s of syllables, 100-250 Hz pitch with formant harmonics */
    /* whale profile */
    SYNTH_UPCALL,   /* event: North Atlantic right whale upcall, ~50 -> 250 Hz in ~1 s */
    SYNTH_HUMPBACK, /* event: humpback song unit, 0.5-3 s, 100-800 Hz tonal with harmonics */
    SYNTH_SHIP,     /* continuous: propeller blade-rate tones 5-30 Hz harmonics + cavitation */
    SYNTH_SHRIMP,   /* continuous: snapping shrimp, dense broadband impulsive snaps */
    /* turbine profile (whole machine; see above) */
    SYNTH_TURBINE_HEALTHY, /* one gearbox type: shaft 20-28 Hz, 31-tooth mesh, blade pass, floor */
    SYNTH_FAULT_OUTER,     /* + outer race defect: impacts at BPFO, resonance 1-1.6 kHz */
    SYNTH_FAULT_INNER,     /* + inner race defect: impacts at BPFI, amplitude-modulated at 1x */
    SYNTH_FAULT_IMBALANCE, /* + strong 1x shaft component */
    SYNTH_FAULT_MISALIGN,  /* + strong 2x (and 3x) shaft components */
    /* background noise floors, one per medium (continuous, ~pink spectrum) */
    SYNTH_BG_LAND,  /* savanna: wind-free ambient, insects, distant noise */
    SYNTH_BG_SEA,   /* ocean ambient (Wenz curves: falling ~5 dB/octave) */
    SYNTH_BG_PLANT, /* accelerometer self-noise and plant vibration floor */
    /* Distractors: everyday sounds a field node meets that are not its target. Physical
     * models and parameter ranges: host/synth/README.md; code: host/synth/distract.c.
     * Appended after the original kinds, so every earlier kind renders as it always did. */
    SYNTH_THUNDER_FAR,  /* event 4-12 s: distant roll, no crack, energy below ~50 Hz */
    SYNTH_WIND_BUFFET,  /* continuous: turbulent gusts buffeting the microphone, < 50 Hz */
    SYNTH_VEHICLE_PASS, /* event 6-20 s: engine + tyres passing at 8-25 m/s, Doppler */
    SYNTH_DIESEL_IDLE,  /* continuous: idling diesel, firing 15-60 Hz with harmonics */
    SYNTH_TRUCK_GEAR,   /* event 8-20 s: truck accelerating through gear changes */
    SYNTH_TRAIN,        /* event 15-30 s: locomotive engine, wheel-rail clatter, horn */
    SYNTH_LIVESTOCK,    /* event 0.5-3 s: a cow's moo or a dog's barks */
    SYNTH_SHOUT,        /* event 0.5-2 s: shouting, raised pitch 180-400 Hz */
    SYNTH_CHAINSAW,     /* continuous: two-stroke 100-220 Hz firing, throttle bursts */
    SYNTH_GENERATOR,    /* continuous: generator set, steady firing + 50/60 Hz hum */
    SYNTH_GUNSHOT,      /* event 0.4-1.5 s: muzzle blast N-wave + echo tail */
    SYNTH_OUTBOARD,     /* continuous: outboard motor with throttle sweeps, hydrophone */
    SYNTH_JETSKI,       /* continuous: jet ski impeller, fast throttle changes, hops */
    SYNTH_CAVITATION,   /* continuous: ship propeller cavitation, blade-rate modulated */
    SYNTH_SONAR,        /* event 0.03-0.5 s: echo sounder / sonar ping (CW or LFM up) */
    SYNTH_AIRGUN,       /* event 2-4 s: seismic airgun shot, bubble pulses, reverberation */
    SYNTH_FIN_PULSE,    /* event ~1 s: fin whale 20 Hz downswept pulse */
    SYNTH_DOLPHIN,      /* event 0.3-1.5 s: rising odontocete whistle, 300-950 Hz here */
    SYNTH_SURF,         /* continuous: breaking waves every 6-14 s, bubble noise */
    SYNTH_KIND_COUNT
};

/* Propagation media for synth_gain(). */
enum synth_medium {
    SYNTH_AIR = 0, /* spherical spreading + ~0.5 dB/km low-frequency absorption */
    SYNTH_WATER,   /* spherical spreading + ~0.1 dB/km at a few hundred Hz */
    SYNTH_SOLID    /* structure-borne: 1/d with strong damping (~1 dB/m) */
};

/*
 * One source. Treat the fields as private except `severity`, which a caller may change
 * between render calls (turbine fault kinds; ignored by the other kinds). The struct is
 * plain data: copying it forks the source (both copies continue identically).
 */
struct synth_source {
    enum synth_kind kind;
    unsigned rate_hz;  /* sample rate the source renders at */
    uint64_t rng;      /* xorshift64* state, advanced only by rendering */
    uint64_t n;        /* samples rendered so far */
    uint64_t dur_n;    /* active length in samples; 0 = continuous */
    double severity;   /* fault kinds: 0..1 (default 1 at init) */
    double p[12];      /* kind parameters drawn at init (pitch, rates, amplitudes...) */
    double ph[8];      /* oscillator phases, cycles in [0,1) */
    double z[8];       /* filter states */
    double env;        /* impulsive envelope state (rain, shrimp, bearing impacts) */
    double next_hit_s; /* time of the next impulse, seconds from the source start */
};

/* Sample rate of a profile: 1000, 2000 or 4000 Hz. */
unsigned synth_profile_rate(enum synth_profile profile);

/* The profile whose sample rate and scenes a kind belongs to (background floors and
 * distractors included); the bare voice and rain kinds are listed under the elephant. */
enum synth_profile synth_kind_profile(enum synth_kind kind);

/* Short lower-case name of a kind ("rumble", "fault_outer", ...); never NULL. */
const char *synth_kind_name(enum synth_kind kind);

/*
 * Initialise a source of `kind` rendering at `rate_hz` (any rate >= 500 Hz works; the
 * profiles use 1000, 2000 and 4000). The seed fixes everything random about it: pitch,
 * duration, timing of impulses, noise. Returns 0, or -1 for an unknown kind or a rate
 * below 500 Hz.
 */
int synth_source_init(struct synth_source *src, enum synth_kind kind, unsigned rate_hz,
                      uint64_t seed);

/*
 * Stretch a rumble or an upcall, before it renders, to `seconds` (0.2-20; its pitch contour
 * follows) and recalibrate its loudness, so an evaluation can cover call durations beyond
 * the drawn range (rumbles 1-8 s, upcalls 0.4-1.5 s). 0, or -1 for another kind, a source
 * already rendering or a duration out of range.
 */
int synth_source_set_duration(struct synth_source *src, double seconds);

/* Active duration of an event source in seconds; 0 for a continuous source. */
double synth_source_duration(const struct synth_source *src);

/*
 * Render the next n samples of the source and ADD gain * sample into out[0..n).
 * Successive calls continue the signal seamlessly.
 */
void synth_render(struct synth_source *src, float *out, size_t n, float gain);

/*
 * Amplitude gain of a source heard at distance_m (metres) relative to 1 m in `medium`:
 * spherical spreading 1/d with d clamped to >= 1 m, times the medium's absorption.
 */
double synth_gain(enum synth_medium medium, double distance_m);

/* Amplitude factor for a signal-to-noise ratio in dB between two unit-RMS sources:
 * render the noise at gain g and the signal at g * synth_snr_gain(snr_db). */
double synth_snr_gain(double snr_db);

/* Root mean square of n samples (0 for n == 0). */
double synth_rms(const float *x, size_t n);

/*
 * Convert to 16-bit PCM: 1.0 -> 32767, rounded to nearest, saturating at +-32767 (so a
 * clipping scene is audible as clipping, never as wrap-around). Returns the number of
 * samples that saturated.
 */
size_t synth_to_int16(const float *in, int16_t *out, size_t n);

/* The deterministic generator every source uses (xorshift64*), for callers that need
 * random scene parameters consistent with the sources: a uniform double in [0, 1). */
double synth_uniform(uint64_t *state);

#endif /* PROJ_HOST_SYNTH_SYNTH_H */
