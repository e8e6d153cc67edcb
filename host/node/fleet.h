/* SPDX-License-Identifier: MIT
 * `tinyfleet-node fleet --scenario FILE`: many firmware instances in one process on a
 * simulated clock, each hearing the scenario's signals (a herd walking past, a whale
 * crossing a line of hydrophones, a bearing that degrades) over its background noise, and
 * sending to the gateway over its bearer. The scenario format is documented in
 * nodefw/NODE.md; config/scenarios/ has examples.
 */
#ifndef PROJ_HOST_NODE_FLEET_H
#define PROJ_HOST_NODE_FLEET_H

#include <stddef.h>
#include <stdint.h>

#define FLEET_MAX_NODES   64
#define FLEET_MAX_SOURCES 16

/* A signal source of the scenario. */
struct fleet_source {
    char name[48];
    int kind;         /* enum synth_kind */
    double start_s;   /* simulated time of the first call, or of the fault's onset */
    double x0, y0;    /* metres: where it starts */
    double x1, y1;    /* where it goes (a source that does not move: the same point) */
    double speed_mps; /* along the line; 0: stays at (x0, y0) */
    double every_s;   /* seconds between calls while it moves (event kinds) */
    double snr_db;    /* signal-to-noise ratio heard at range_m */
    double range_m;
    char node[48]; /* turbine faults: the node whose machine has the fault */
    double severity_from, severity_to, ramp_s;
    uint64_t seed;
};

struct fleet_node_cfg {
    char name[48];
    uint32_t devaddr;
    uint8_t nwkskey[16], appskey[16];
    int has_keys;
    int profile;       /* enum dsp_profile */
    int bearer;        /* enum bearer_kind; -1: the [fleet] default */
    double x, y;       /* metres */
    double listen_s;   /* duty-cycled sensing: listen listen_s ... (0: continuous) */
    double every_s;    /* ... of every every_s (0: woken by sound instead) */
    double wake_level; /* wake-on-sound threshold, full scale 1 (with listen_s, no every_s) */
    double learn_s;    /* turbine: learning period, simulated s; -1: the firmware's 14 days */
    /* OTAA: deveui set, the node joins at start (devaddr names it here; the join gives it the
     * one the gateway registered). joineui and appkey default to [fleet]'s. */
    int otaa;
    uint64_t deveui, joineui;
    uint8_t appkey[16];
    int has_joineui, has_appkey;
};

struct fleet_scenario {
    double speed;      /* simulated seconds per real second */
    double duration_s; /* simulated seconds to run */
    uint64_t seed;
    char coap[256];      /* coap://HOST:PORT/up, or empty */
    char forwarder[256]; /* HOST:PORT, or empty */
    uint8_t gateway_eui[8];
    int bearer; /* default enum bearer_kind */
    uint8_t nwkskey[16], appskey[16];
    int has_keys;
    long health_s;       /* -1: node default */
    long batch_s;        /* -1: node default */
    long sf;             /* 0: node default */
    int confirmed;       /* confirmed uplinks and receive windows (downlinks reach nodes) */
    double noise;        /* background gain (full scale 1.0 = gain 10 of SYNTH_REF_RMS) */
    char state_dir[256]; /* NV files per node, or empty for memory */
    uint64_t joineui;    /* OTAA nodes' default JoinEUI and AppKey */
    uint8_t appkey[16];
    int has_joineui, has_appkey;
    long rejoin_after; /* OTAA nodes: join again after this many uplinks unheard (0: never) */
    int any_otaa;      /* some node joins: the forwarder pulls, the join windows open */
    struct fleet_node_cfg nodes[FLEET_MAX_NODES];
    int n_nodes;
    struct fleet_source sources[FLEET_MAX_SOURCES];
    int n_sources;
};

/*
 * fleet_load() - parse a scenario file (INI, inih) into @sc; @coap and @forwarder, when not
 * NULL, replace the file's [fleet] coap and forwarder.
 * Return: 0, or -1 after printing "FILE:LINE: [section] key: what is wrong" to stderr.
 */
int fleet_load(const char *path, struct fleet_scenario *sc, const char *coap,
               const char *forwarder);

/* fleet_main() - the `fleet` command. Return: the exit status. */
int fleet_main(int argc, char **argv);

#endif
