/* SPDX-License-Identifier: MIT
 * `tinyfleet provision`: put a node into service in one step. It registers the node in the
 * gateway's database (as `node add` does: fresh session keys from getrandom(2), a DevAddr
 * from [gateway] devaddr_range unless --devaddr names one) and writes the per-node image:
 * the board's firmware for the node's profile with the provisioning record in its flash page,
 * ready for `make flash IMAGE=DIR/nodefw.bin` (or QEMU for mps2-an386).
 *
 * The record is encoded by proto/ (proto/SPEC.md section 7), the same code the firmware
 * parses it with; tests/integration/provision.sh checks both ends: the image read back in
 * Python against zlib's CRC-32, and the firmware accepting it in QEMU.
 *
 * Order: the node is registered first, then the files are written; if a write fails, the
 * node is removed again and the files written so far are deleted, so a failed provision
 * leaves neither a node without an image nor an image the gateway does not know. Every file
 * holds the keys (node.json only with --show-keys) and is created mode 0600.
 */
#include "cli.h"

#include <assert.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "config/config.h"
#include "proto/provision.h"
#include "util/hex.h"
#include "util/rfc3339.h"
#include "store/store.h"

/* The files written into --out DIR. */
#define FILE_IMAGE  "nodefw.bin"
#define FILE_HEX    "nodefw.hex"
#define FILE_RECORD "record.bin"
#define FILE_JSON   "node.json"

static const char verb[] = "provision";

/* A board: where its flash starts, where the record's page is, which build file to use. */
struct board {
    const char *name;
    uint32_t flash_base;  /* address of byte 0 of the .bin */
    uint32_t record_off;  /* the record page's offset from flash_base (page aligned) */
    const char *firmware; /* file in <firmware-dir>/<board>/<profile>/ */
    const char *how;      /* what to do with the image, for the summary: @how IMAGE @how_end */
    const char *how_end;
};

/* The addresses repeat the boards' linker scripts (nodefw/boards/<board>/<board>.ld, region
 * PROVISION): the CLI does not link firmware. tests/integration/provision.sh checks each
 * record_address written into node.json against the symbol board_provision of the board's
 * linked image, so a change to either side fails there. */
static const struct board boards[] = {
    /* RM0453: 256 KB flash at 0x08000000 in 2 KB pages; the record page is the third last
     * (nodefw/boards/stm32wl55/stm32wl55.ld); the two after it hold the frame counter and
     * are not part of the image, so flashing does not reset the counter. */
    {"stm32wl55", 0x08000000u, 0x3E800u, "nodefw.bin", "flash it: make flash IMAGE=", ""},
    /* QEMU's mps2-an386: the node image (node.bin: the whole node; nodefw.bin there is the
     * classification benchmark) and the page at 0x000FF800 (mps2-an386.ld). */
    {"mps2-an386", 0x00000000u, 0xFF800u, "node.bin",
     "run it: qemu-system-arm -M mps2-an386 -nographic -icount shift=0,sleep=off -semihosting "
     "-device loader,file=",
     ",addr=0,force-raw=on"},
};

enum opt_id {
    OPT_BOARD = 256,
    OPT_PROFILE,
    OPT_NAME,
    OPT_LAT,
    OPT_LON,
    OPT_ZONE,
    OPT_OUT,
    OPT_DEVADDR,
    OPT_FIRMWARE_DIR,
    OPT_SHOW_KEYS,
    OPT_JSON,
    OPT_LISTEN,
    OPT_EVERY,
    OPT_WAKE,
    OPT_HEALTH,
    OPT_OTAA,
    OPT_DEVEUI,
    OPT_JOINEUI,
    OPT_APPKEY,
};

static const struct option options[] = {
    {"board", required_argument, NULL, OPT_BOARD},
    {"profile", required_argument, NULL, OPT_PROFILE},
    {"name", required_argument, NULL, OPT_NAME},
    {"lat", required_argument, NULL, OPT_LAT},
    {"lon", required_argument, NULL, OPT_LON},
    {"zone", required_argument, NULL, OPT_ZONE},
    {"out", required_argument, NULL, OPT_OUT},
    {"devaddr", required_argument, NULL, OPT_DEVADDR},
    {"firmware-dir", required_argument, NULL, OPT_FIRMWARE_DIR},
    {"show-keys", no_argument, NULL, OPT_SHOW_KEYS},
    {"json", no_argument, NULL, OPT_JSON},
    {"listen-s", required_argument, NULL, OPT_LISTEN},
    {"every-s", required_argument, NULL, OPT_EVERY},
    {"wake-level", required_argument, NULL, OPT_WAKE},
    {"health-s", required_argument, NULL, OPT_HEALTH},
    {"otaa", no_argument, NULL, OPT_OTAA},
    {"deveui", required_argument, NULL, OPT_DEVEUI},
    {"joineui", required_argument, NULL, OPT_JOINEUI},
    {"appkey", required_argument, NULL, OPT_APPKEY},
    {"help", no_argument, NULL, 'h'},
    {NULL, 0, NULL, 0},
};

static void usage(FILE *out)
{
    (void)fputs(
        "usage: tinyfleet [-c FILE | --db PATH] provision --board BOARD --profile P\n"
        "           --lat DEG --lon DEG --out DIR [--name NAME] [--zone Z] [--devaddr HEX8]\n"
        "           [--firmware-dir DIR] [--show-keys] [--json]\n"
        "           [--listen-s S (--every-s S | --wake-level X)] [--health-s N]\n"
        "           [--otaa --deveui EUI --joineui EUI [--appkey HEX32]]\n"
        "\n"
        "Registers a new node in the gateway's database with fresh session keys and writes\n"
        "its image into DIR: the firmware with the provisioning record in its flash page.\n"
        "  --board         stm32wl55 (Nucleo-WL55JC) or mps2-an386 (QEMU)\n"
        "  --profile       elephant, whale or turbine: the image built for it is used\n"
        "  --lat, --lon    the node's position, degrees WGS84 (stored to 1e-6 degrees)\n"
        "  --name          at most 31 bytes; --zone: a zone of the gateway's config\n"
        "  --out           the directory for the files (created if missing):\n"
        "                    nodefw.bin  flash from its first address (STM32WL55: 0x08000000,\n"
        "                                the record at 0x0803E800; mps2-an386: 0, record at\n"
        "                                0x000FF800), gaps 0xFF\n"
        "                    nodefw.hex  the same as Intel HEX, without the gaps\n"
        "                    record.bin  the record alone (108 bytes; 144 with --otaa)\n"
        "                    node.json   devaddr, name, profile, zone, lat, lon, board, image,\n"
        "                                the sensing schedule and the health interval\n"
        "                  All of them hold the session keys (node.json only with\n"
        "                  --show-keys) and are created mode 0600.\n"
        "  --devaddr       use this DevAddr; without it the lowest free one of the config's\n"
        "                  [gateway] devaddr_range is taken (an error when it is full)\n"
        "  --firmware-dir  where the builds are (<dir>/<board>/<profile>/); default: nodefw/\n"
        "                  next to this program, else ./build/nodefw\n"
        "  --listen-s, --every-s  duty-cycled sensing: listen S seconds at the start of\n"
        "                  every --every-s seconds (e.g. 2.5 of every 600 for a turbine);\n"
        "                  the node's DevAddr sets where in the period it listens\n"
        "  --listen-s, --wake-level  woken by sound: the sensor off until the wake line\n"
        "                  fires at level X (0..1 of full scale; 0: the board's own), then\n"
        "                  listening --listen-s seconds. Neither: continuous sensing\n"
        "  --health-s      the health message interval, 60..604800 s (default 21600: 6 h)\n"
        "  --otaa          the node joins over the air (LoRaWAN 1.0.x): the record holds its\n"
        "                  --deveui and --joineui (16 hex digits) and its AppKey (--appkey,\n"
        "                  else generated) instead of session keys; registered as with\n"
        "                  `node add --otaa`, it joins at boot and gets its DevAddr then\n"
        "  --show-keys     print the session keys, or the AppKey (and put them into node.json)\n"
        "  --json          print node.json's object instead of the summary\n"
        "\n"
        "When a file cannot be written the node is removed again: nothing stays registered\n"
        "without its image. Flash an STM32WL55 image with `make flash IMAGE=DIR/nodefw.bin`.\n"
        "\n"
        "Exit status: 0 success; 1 failure (missing firmware, range full, duplicate DevAddr,\n"
        "database or file errors); 2 usage error.\n",
        out);
}

/* ---- the record and the images ---- */

struct node_prov {
    struct store_node n; /* what is registered */
    const struct board *board;
    uint8_t profile; /* enum proto_provision_profile */
    int32_t lat_ude; /* position in the record, micro-degrees */
    int32_t lon_ude;
    uint8_t sensing; /* the schedule, as the record holds it */
    uint16_t wake_level_q15;
    uint32_t listen_ms;
    uint32_t every_ms;
    uint32_t health_s;
};

static const char *const sensing_names[PROTO_PROVISION_SENSING_COUNT] = {
    [PROTO_PROVISION_CONTINUOUS] = "continuous",
    [PROTO_PROVISION_DUTY] = "duty-cycled",
    [PROTO_PROVISION_WAKE] = "wake-on-sound",
};

/* The record's bytes; check_args() let through only what the encoder accepts. */
static int encode_record(const struct node_prov *p, uint8_t rec[PROTO_PROVISION_MAX_LEN])
{
    struct proto_provision r;
    int n;

    memset(&r, 0, sizeof(r));
    r.devaddr = p->n.devaddr;
    if (p->n.otaa) {
        /* Version 3: the join identity; the session keys come from the join. */
        r.otaa = true;
        r.deveui = p->n.deveui;
        r.joineui = p->n.joineui;
        memcpy(r.appkey, p->n.appkey, PROTO_PROVISION_KEY_LEN);
    } else {
        memcpy(r.nwkskey, p->n.nwkskey, PROTO_PROVISION_KEY_LEN);
        memcpy(r.appskey, p->n.appskey, PROTO_PROVISION_KEY_LEN);
    }
    r.profile = p->profile;
    r.lat_ude = p->lat_ude;
    r.lon_ude = p->lon_ude;
    r.sensing = p->sensing;
    r.wake_level_q15 = p->wake_level_q15;
    r.listen_ms = p->listen_ms;
    r.every_ms = p->every_ms;
    r.health_s = p->health_s;
    /* The name was checked to fit in 31 bytes: the field stays NUL-padded. */
    memcpy(r.name, p->n.name, strlen(p->n.name));
    n = proto_provision_encode(&r, rec, PROTO_PROVISION_MAX_LEN);
    explicit_bzero(&r, sizeof(r));
    if (n < 0) {
        cli_errf(verb, "cannot encode the provisioning record: %s", proto_strerror(n));
        return -CLI_EXIT_FAIL;
    }
    return n;
}

/* One Intel HEX line: ":LLAAAATT<data>CC" (CC: two's complement of the byte sum). */
static int hex_line(FILE *f, uint8_t type, uint16_t addr, const uint8_t *data, size_t len)
{
    unsigned sum = (unsigned)len + (addr >> 8) + (addr & 0xFFu) + type;
    size_t i;

    if (fprintf(f, ":%02X%04X%02X", (unsigned)len, (unsigned)addr, (unsigned)type) < 0) {
        return -EIO;
    }
    for (i = 0; i < len; i++) {
        sum += data[i];
        if (fprintf(f, "%02X", (unsigned)data[i]) < 0) {
            return -EIO;
        }
    }
    return fprintf(f, "%02X\n", (unsigned)((0x100u - (sum & 0xFFu)) & 0xFFu)) < 0 ? -EIO : 0;
}

/* @len bytes of @data at absolute address @addr, 16 per line, never across a 64 KB boundary
 * (a line's 16-bit address must not wrap), with an extended linear address record (type 04)
 * whenever the upper half changes. @upper: in/out, the upper half in force (-1: none yet). */
static int hex_block(FILE *f, uint32_t addr, const uint8_t *data, size_t len, long *upper)
{
    while (len > 0) {
        size_t room = 0x10000u - (addr & 0xFFFFu);
        size_t n = len < 16u ? len : 16u;

        if (n > room) {
            n = room;
        }
        if ((long)(addr >> 16) != *upper) {
            uint8_t ela[2] = {(uint8_t)(addr >> 24), (uint8_t)(addr >> 16)};

            if (hex_line(f, 0x04, 0, ela, sizeof(ela)) < 0) {
                return -EIO;
            }
            *upper = (long)(addr >> 16);
        }
        if (hex_line(f, 0x00, (uint16_t)(addr & 0xFFFFu), data, n) < 0) {
            return -EIO;
        }
        addr += (uint32_t)n;
        data += n;
        len -= n;
    }
    return 0;
}

/* ---- files ---- */

/* The files written so far, to delete them again when a later step fails. */
struct written {
    char paths[4][PATH_MAX];
    int count;
};

static int path_in(char *dst, const char *dir, const char *name)
{
    int n = snprintf(dst, PATH_MAX, "%s/%s", dir, name);

    return n < 0 || n >= PATH_MAX ? -ENAMETOOLONG : 0;
}

/* Opens DIR/NAME for writing, mode 0600 (it holds keys), never through a symlink. */
static FILE *open_out(const char *dir, const char *name, struct written *w)
{
    char *path = w->paths[w->count];
    FILE *f;
    int fd;

    if (path_in(path, dir, name) < 0) {
        cli_errf(verb, "%s/%s: path too long", dir, name);
        return NULL;
    }
    fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0) {
        cli_errf(verb, "cannot create %s: %s", path, strerror(errno));
        return NULL;
    }
    /* An existing file keeps its mode through O_TRUNC: it is about to hold keys. */
    if (fchmod(fd, 0600) < 0) {
        cli_errf(verb, "cannot chmod %s: %s", path, strerror(errno));
        (void)close(fd);
        return NULL;
    }
    w->count++;
    f = fdopen(fd, "w");
    if (f == NULL) {
        cli_errf(verb, "%s: %s", path, strerror(errno));
        (void)close(fd);
    }
    return f;
}

/* Flushes, syncs and closes @f; reports a failure (a full disk shows here). */
static int close_out(FILE *f, const char *path, int rc)
{
    errno = 0;
    if (rc == 0 && (fflush(f) != 0 || ferror(f) || fsync(fileno(f)) != 0)) {
        rc = errno != 0 ? -errno : -EIO;
    }
    if (fclose(f) != 0 && rc == 0) {
        rc = errno != 0 ? -errno : -EIO;
    }
    if (rc < 0) {
        cli_errf(verb, "cannot write %s: %s", path, strerror(-rc));
    }
    return rc;
}

static int write_bytes(const char *dir, const char *name, const uint8_t *data, size_t len,
                       struct written *w)
{
    FILE *f = open_out(dir, name, w);

    if (f == NULL) {
        return -EIO;
    }
    errno = 0;
    return close_out(f, w->paths[w->count - 1],
                     fwrite(data, 1, len, f) == len ? 0 : (errno != 0 ? -errno : -EIO));
}

static int write_hex(const char *dir, const struct board *b, const uint8_t *image, size_t fw_len,
                     size_t rec_len, struct written *w)
{
    FILE *f = open_out(dir, FILE_HEX, w);
    long upper = -1;
    int rc;

    if (f == NULL) {
        return -EIO;
    }
    rc = hex_block(f, b->flash_base, image, fw_len, &upper);
    if (rc == 0) {
        rc = hex_block(f, b->flash_base + b->record_off, image + b->record_off, rec_len, &upper);
    }
    if (rc == 0) {
        rc = hex_line(f, 0x01, 0, NULL, 0); /* end of file */
    }
    return close_out(f, w->paths[w->count - 1], rc);
}

static void remove_written(struct written *w)
{
    int i;

    for (i = 0; i < w->count; i++) {
        (void)unlink(w->paths[i]);
    }
    w->count = 0;
}

/* Reads the whole firmware file (at most @max bytes) into a new buffer of @cap bytes. */
static int read_firmware(const char *path, size_t max, size_t cap, uint8_t **out, size_t *len)
{
    FILE *f = fopen(path, "rb");
    uint8_t *buf = NULL;
    size_t n;
    int ret = CLI_EXIT_FAIL;

    if (f == NULL) {
        if (errno == ENOENT) {
            cli_errf(verb,
                     "no firmware image %s (build it with `make firmware`, or point "
                     "--firmware-dir at the build's nodefw directory)",
                     path);
        } else {
            cli_errf(verb, "cannot read %s: %s", path, strerror(errno));
        }
        return CLI_EXIT_FAIL;
    }
    buf = malloc(cap);
    if (buf == NULL) {
        cli_errf(verb, "out of memory");
        goto out;
    }
    n = fread(buf, 1, max + 1u, f);
    if (ferror(f)) {
        cli_errf(verb, "cannot read %s: %s", path, strerror(errno));
        goto out;
    }
    if (n == 0) {
        cli_errf(verb, "%s is empty", path);
        goto out;
    }
    if (n > max) {
        cli_errf(verb, "%s is larger than the flash below the record page (%zu bytes)", path, max);
        goto out;
    }
    *out = buf;
    *len = n;
    buf = NULL;
    ret = CLI_EXIT_OK;
out:
    free(buf);
    (void)fclose(f);
    return ret;
}

/* The default --firmware-dir: nodefw/ beside the running binary (build/tinyfleet ->
 * build/nodefw), else ./build/nodefw. */
static void default_firmware_dir(char *dst, size_t cap)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1u);
    struct stat st;

    if (n > 0) {
        char *slash;

        exe[n] = '\0';
        slash = strrchr(exe, '/');
        if (slash != NULL) {
            *slash = '\0';
            if (snprintf(dst, cap, "%s/nodefw", exe) < (int)cap && stat(dst, &st) == 0 &&
                S_ISDIR(st.st_mode)) {
                return;
            }
        }
    }
    (void)snprintf(dst, cap, "build/nodefw");
}

/* ---- options ---- */

static int degrees_option(const char *opt, const char *s, double max, double *deg, int32_t *ude)
{
    int rc = cli_option_degrees(verb, opt, s, max, deg);

    if (rc == 0) {
        *ude = (int32_t)lround(*deg * 1e6);
    }
    return rc;
}

/* ---- node.json ---- */

/* node.json's text (free with cJSON_free after wiping); NULL when out of memory. */
static char *node_json(const struct node_prov *p, const char *image, bool keys)
{
    const char *profile = proto_provision_profile_name(p->profile);
    char devaddr[HEX_DEVADDR_STR_LEN];
    char addr[16];
    cJSON *obj = cJSON_CreateObject();
    char *text = NULL;
    bool ok;

    if (obj == NULL) {
        return NULL;
    }
    hex_format_devaddr(p->n.devaddr, devaddr);
    (void)snprintf(addr, sizeof(addr), "0x%08X",
                   (unsigned)(p->board->flash_base + p->board->record_off));
    ok = cJSON_AddStringToObject(obj, "devaddr", devaddr) != NULL &&
         cJSON_AddStringToObject(obj, "name", p->n.name) != NULL &&
         cJSON_AddStringToObject(obj, "profile", profile) != NULL &&
         cJSON_AddStringToObject(obj, "zone", p->n.zone) != NULL &&
         cJSON_AddNumberToObject(obj, "lat", p->n.lat) != NULL &&
         cJSON_AddNumberToObject(obj, "lon", p->n.lon) != NULL &&
         cJSON_AddStringToObject(obj, "board", p->board->name) != NULL &&
         cJSON_AddStringToObject(obj, "image", image) != NULL &&
         cJSON_AddStringToObject(obj, "record_address", addr) != NULL &&
         cJSON_AddStringToObject(obj, "sensing", sensing_names[p->sensing]) != NULL &&
         cJSON_AddNumberToObject(obj, "listen_s", p->listen_ms / 1000.0) != NULL &&
         cJSON_AddNumberToObject(obj, "every_s", p->every_ms / 1000.0) != NULL &&
         cJSON_AddNumberToObject(obj, "wake_level", p->wake_level_q15 / 32767.0) != NULL &&
         cJSON_AddNumberToObject(obj, "health_s", p->health_s) != NULL;
    if (ok && p->n.otaa) {
        char eui[17];

        (void)snprintf(eui, sizeof(eui), "%016llX", (unsigned long long)p->n.deveui);
        ok = cJSON_AddStringToObject(obj, "deveui", eui) != NULL;
        (void)snprintf(eui, sizeof(eui), "%016llX", (unsigned long long)p->n.joineui);
        ok = ok && cJSON_AddStringToObject(obj, "joineui", eui) != NULL;
    }
    if (ok && keys) {
        ok = p->n.otaa ? cli_json_add_key(obj, "appkey", p->n.appkey)
                       : cli_json_add_key(obj, "nwkskey", p->n.nwkskey) &&
                             cli_json_add_key(obj, "appskey", p->n.appskey);
    }
    if (ok) {
        text = cJSON_PrintUnformatted(obj);
    }
    if (keys) {
        static const char *const names[] = {"nwkskey", "appskey", "appkey"};
        size_t i;

        for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
            const cJSON *item = cJSON_GetObjectItemCaseSensitive(obj, names[i]);

            if (cJSON_IsString(item) && item->valuestring != NULL) {
                explicit_bzero(item->valuestring, strlen(item->valuestring));
            }
        }
    }
    cJSON_Delete(obj);
    return text;
}

/* ---- the verb ---- */

struct args {
    const char *board;
    const char *profile;
    const char *lat;
    const char *lon;
    const char *out;
    const char *devaddr;
    const char *firmware_dir;
    const char *listen_s; /* the schedule's options as given */
    const char *every_s;
    const char *wake_level;
    const char *health_s;
    const char *deveui; /* --otaa */
    const char *joineui;
    const char *appkey;
    bool otaa;
    bool show_keys;
    bool json;
};

/* Option --@opt as a number in @min..@max (finite, the whole text), times @scale, rounded:
 * 0 and *@out, or CLI_EXIT_USAGE (message printed). */
static int number_option(const char *opt, const char *s, double min, double max, double scale,
                         uint32_t *out)
{
    char *end = NULL;
    double v;

    errno = 0;
    v = strtod(s, &end);
    if (end == s || *end != '\0' || errno != 0 || !isfinite(v) || v < min || v > max) {
        cli_errf(verb, "--%s '%s': want a number from %g to %g", opt, s, min, max);
        return cli_usage_error(verb);
    }
    *out = (uint32_t)lround(v * scale);
    return 0;
}

/* The schedule the options ask for, checked as the record's parser checks it. */
static int check_schedule(const struct args *a, struct node_prov *p)
{
    const double day_s = PROTO_PROVISION_PERIOD_MAX_MS / 1000.0;
    uint32_t level = 0;

    p->health_s = PROTO_PROVISION_HEALTH_DEFAULT_S;
    if (a->health_s != NULL &&
        number_option("health-s", a->health_s, PROTO_PROVISION_HEALTH_MIN_S,
                      PROTO_PROVISION_HEALTH_MAX_S, 1.0, &p->health_s) != 0) {
        return CLI_EXIT_USAGE;
    }
    p->sensing = PROTO_PROVISION_CONTINUOUS;
    if (a->listen_s == NULL && a->every_s == NULL && a->wake_level == NULL) {
        return 0;
    }
    if (a->listen_s == NULL || (a->every_s == NULL) == (a->wake_level == NULL)) {
        cli_errf(verb, "a sensing schedule is --listen-s S with either --every-s S or "
                       "--wake-level X");
        return cli_usage_error(verb);
    }
    if (number_option("listen-s", a->listen_s, 0.001, day_s, 1000.0, &p->listen_ms) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (a->every_s != NULL) {
        if (number_option("every-s", a->every_s, 0.001, day_s, 1000.0, &p->every_ms) != 0) {
            return CLI_EXIT_USAGE;
        }
        if (p->listen_ms > p->every_ms) {
            cli_errf(verb, "--listen-s %s is longer than --every-s %s", a->listen_s, a->every_s);
            return cli_usage_error(verb);
        }
        p->sensing = PROTO_PROVISION_DUTY;
        return 0;
    }
    if (number_option("wake-level", a->wake_level, 0.0, 1.0, 32767.0, &level) != 0) {
        return CLI_EXIT_USAGE;
    }
    p->wake_level_q15 = (uint16_t)level;
    p->sensing = PROTO_PROVISION_WAKE;
    return 0;
}

static int check_args(const struct args *a, struct node_prov *p)
{
    size_t i;

    if (a->board == NULL || a->profile == NULL || a->lat == NULL || a->lon == NULL ||
        a->out == NULL) {
        cli_errf(verb, "missing %s",
                 a->board == NULL     ? "--board (stm32wl55 or mps2-an386)"
                 : a->profile == NULL ? "--profile (elephant, whale or turbine)"
                 : a->lat == NULL     ? "--lat"
                 : a->lon == NULL     ? "--lon"
                                      : "--out DIR");
        return cli_usage_error(verb);
    }
    for (i = 0; i < sizeof(boards) / sizeof(boards[0]); i++) {
        if (strcmp(a->board, boards[i].name) == 0) {
            p->board = &boards[i];
        }
    }
    if (p->board == NULL) {
        cli_errf(verb, "--board: unknown board '%s' (stm32wl55 or mps2-an386)", a->board);
        return cli_usage_error(verb);
    }
    p->profile = PROTO_PROVISION_PROFILE_COUNT;
    for (i = 0; i < PROTO_PROVISION_PROFILE_COUNT; i++) {
        if (strcmp(a->profile, proto_provision_profile_name((uint8_t)i)) == 0) {
            p->profile = (uint8_t)i;
        }
    }
    if (p->profile == PROTO_PROVISION_PROFILE_COUNT) {
        cli_errf(verb, "--profile: unknown profile '%s' (elephant, whale or turbine)", a->profile);
        return cli_usage_error(verb);
    }
    (void)snprintf(p->n.profile, sizeof(p->n.profile), "%s", a->profile);
    if (degrees_option("lat", a->lat, 90.0, &p->n.lat, &p->lat_ude) != 0 ||
        degrees_option("lon", a->lon, 180.0, &p->n.lon, &p->lon_ude) != 0) {
        return CLI_EXIT_USAGE;
    }
    p->n.has_position = true;
    if (a->devaddr != NULL) {
        char why[HEX_ERR_LEN];

        if (hex_decode_devaddr(a->devaddr, &p->n.devaddr, why, sizeof(why)) < 0) {
            cli_errf(verb, "--devaddr '%s': %s", a->devaddr, why);
            return cli_usage_error(verb);
        }
    }
    return check_schedule(a, p);
}

/* Registers @p->n: with --devaddr as given, else the lowest free DevAddr of the range. */
static int register_node(struct cli_db *db, const struct args *a, struct node_prov *p)
{
    return cli_register_node(db, verb, a->devaddr != NULL, &p->n);
}

static int make_dir(const char *dir)
{
    struct stat st;

    if (mkdir(dir, 0700) == 0) {
        return 0;
    }
    if (errno == EEXIST && stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
        return 0;
    }
    cli_errf(verb, "--out %s: %s", dir, errno == EEXIST ? "not a directory" : strerror(errno));
    return CLI_EXIT_FAIL;
}

static void print_summary(const struct node_prov *p, const char *dir, size_t fw_len, bool keys)
{
    char devaddr[HEX_DEVADDR_STR_LEN];
    char text[2 * PROTO_AES_KEY + 1];
    char image[PATH_MAX];

    hex_format_devaddr(p->n.devaddr, devaddr);
    if (path_in(image, dir, FILE_IMAGE) < 0) {
        image[0] = '\0';
    }
    (void)printf("node %s provisioned: %s, profile %s, %s\n", devaddr, p->board->name,
                 proto_provision_profile_name(p->profile),
                 p->n.otaa ? "joins over the air (OTAA)" : "session keys generated");
    (void)printf("image      %s (firmware %zu bytes, record at 0x%08X)\n", image, fw_len,
                 (unsigned)(p->board->flash_base + p->board->record_off));
    (void)printf("hex        %s/%s\n", dir, FILE_HEX);
    (void)printf("record     %s/%s\n", dir, FILE_RECORD);
    (void)printf("node       %s/%s\n", dir, FILE_JSON);
    if (p->sensing == PROTO_PROVISION_DUTY) {
        (void)printf("sensing    %g s of every %g s, health every %u s\n", p->listen_ms / 1000.0,
                     p->every_ms / 1000.0, (unsigned)p->health_s);
    } else if (p->sensing == PROTO_PROVISION_WAKE) {
        (void)printf("sensing    woken by sound at %.4g, then %g s, health every %u s\n",
                     p->wake_level_q15 / 32767.0, p->listen_ms / 1000.0, (unsigned)p->health_s);
    } else {
        (void)printf("sensing    continuous, health every %u s\n", (unsigned)p->health_s);
    }
    (void)printf("next       %s%s%s\n", p->board->how, image, p->board->how_end);
    if (keys && p->n.otaa) {
        if (hex_encode(p->n.appkey, PROTO_AES_KEY, text, sizeof(text)) >= 0) {
            (void)printf("appkey     %s\n", text);
        }
        explicit_bzero(text, sizeof(text));
    } else if (keys) {
        if (hex_encode(p->n.nwkskey, PROTO_AES_KEY, text, sizeof(text)) >= 0) {
            (void)printf("nwkskey    %s\n", text);
        }
        if (hex_encode(p->n.appskey, PROTO_AES_KEY, text, sizeof(text)) >= 0) {
            (void)printf("appskey    %s\n", text);
        }
        explicit_bzero(text, sizeof(text));
    }
}

static int parse_options(int argc, char **argv, struct args *a, struct node_prov *p)
{
    int ret;
    int c;

    cli_getopt_begin();
    while ((c = cli_getopt(argc, argv, options)) != -1) {
        switch (c) {
        case OPT_BOARD:
            a->board = optarg;
            break;
        case OPT_PROFILE:
            a->profile = optarg;
            break;
        case OPT_NAME:
            /* The record's name field: 31 bytes and a NUL. */
            if (cli_option_text(verb, "name", optarg, p->n.name, PROTO_PROVISION_NAME_LEN) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_LAT:
            a->lat = optarg;
            break;
        case OPT_LON:
            a->lon = optarg;
            break;
        case OPT_ZONE:
            if (cli_option_text(verb, "zone", optarg, p->n.zone, sizeof(p->n.zone)) != 0) {
                return CLI_EXIT_USAGE;
            }
            break;
        case OPT_OUT:
            a->out = optarg;
            break;
        case OPT_DEVADDR:
            a->devaddr = optarg;
            break;
        case OPT_FIRMWARE_DIR:
            a->firmware_dir = optarg;
            break;
        case OPT_SHOW_KEYS:
            a->show_keys = true;
            break;
        case OPT_JSON:
            a->json = true;
            break;
        case OPT_LISTEN:
            a->listen_s = optarg;
            break;
        case OPT_EVERY:
            a->every_s = optarg;
            break;
        case OPT_WAKE:
            a->wake_level = optarg;
            break;
        case OPT_HEALTH:
            a->health_s = optarg;
            break;
        case OPT_OTAA:
            a->otaa = true;
            break;
        case OPT_DEVEUI:
            a->deveui = optarg;
            break;
        case OPT_JOINEUI:
            a->joineui = optarg;
            break;
        case OPT_APPKEY:
            a->appkey = optarg;
            break;
        default:
            return cli_help_or_bad_option(verb, c, argv, usage);
        }
    }
    if (cli_no_operands(verb, argc, argv) != 0) {
        return CLI_EXIT_USAGE;
    }
    if (!a->otaa && (a->deveui != NULL || a->joineui != NULL || a->appkey != NULL)) {
        cli_errf(verb, "--deveui, --joineui and --appkey go with --otaa");
        return cli_usage_error(verb);
    }
    ret = check_args(a, p);
    if (ret != 0) {
        return ret;
    }
    assert(a->out != NULL && p->board != NULL); /* check_args() refuses anything else */
    return CLI_GO;
}

/* The image being built: the firmware read from the build, then the record page. */
struct image {
    uint8_t *buf;        /* len bytes */
    size_t len;          /* up to the end of the record page */
    size_t fw_len;       /* the firmware's bytes at the start */
    char path[PATH_MAX]; /* where nodefw.bin goes, for node.json and the summary */
};

/* Reads the board's firmware for the profile into @im. The firmware comes first: a missing
 * build is the likeliest mistake and changes nothing. */
static int load_firmware(const struct args *a, const struct node_prov *p, struct image *im)
{
    char fw_dir[PATH_MAX];
    char fw_path[PATH_MAX];

    assert(a->out != NULL && p->board != NULL); /* parse_options() refuses anything else */
    if (a->firmware_dir != NULL) {
        (void)snprintf(fw_dir, sizeof(fw_dir), "%s", a->firmware_dir);
    } else {
        default_firmware_dir(fw_dir, sizeof(fw_dir));
    }
    if (snprintf(fw_path, sizeof(fw_path), "%s/%s/%s/%s", fw_dir, p->board->name, a->profile,
                 p->board->firmware) >= (int)sizeof(fw_path) ||
        path_in(im->path, a->out, FILE_IMAGE) < 0) {
        cli_errf(verb, "path too long");
        return CLI_EXIT_USAGE;
    }
    im->len = p->board->record_off + PROTO_PROVISION_PAGE_LEN;
    return read_firmware(fw_path, p->board->record_off, im->len, &im->buf, &im->fw_len);
}

/* Completes the image with @p's record and writes the four files, then says what was done.
 * @json: out, node.json's text (the caller wipes and frees it). */
static int write_image(const struct args *a, const struct node_prov *p, struct image *im,
                       struct written *w, char **json)
{
    uint8_t rec[PROTO_PROVISION_MAX_LEN];
    int n = encode_record(p, rec);
    size_t len = n > 0 ? (size_t)n : 0;
    int ret;

    if (n < 0) {
        return -n;
    }
    /* The firmware, erased flash (0xFF) up to the record page, the record, and the rest of
     * the page erased. */
    memset(im->buf + im->fw_len, 0xFF, im->len - im->fw_len);
    memcpy(im->buf + p->board->record_off, rec, len);
    ret = CLI_EXIT_FAIL;
    *json = node_json(p, im->path, a->show_keys);
    if (*json == NULL) {
        cli_errf(verb, "out of memory");
        goto out;
    }
    if (write_bytes(a->out, FILE_IMAGE, im->buf, im->len, w) < 0 ||
        write_hex(a->out, p->board, im->buf, im->fw_len, len, w) < 0 ||
        write_bytes(a->out, FILE_RECORD, rec, len, w) < 0 ||
        write_bytes(a->out, FILE_JSON, (const uint8_t *)*json, strlen(*json), w) < 0) {
        goto out;
    }
    if (a->json) {
        (void)printf("%s\n", *json);
    } else {
        print_summary(p, a->out, im->fw_len, a->show_keys);
    }
    ret = cli_flush_stdout(verb);
out:
    explicit_bzero(rec, sizeof(rec));
    return ret;
}

int cli_provision_main(const struct global_opts *g, int argc, char **argv)
{
    struct args a;
    struct node_prov p;
    struct cli_db db = {NULL, NULL};
    struct written w;
    struct image im;
    char *json = NULL;
    bool registered = false;
    int ret;

    memset(&a, 0, sizeof(a));
    memset(&p, 0, sizeof(p));
    memset(&w, 0, sizeof(w));
    memset(&im, 0, sizeof(im));
    p.n.battery_mv = -1;
    ret = parse_options(argc, argv, &a, &p);
    if (ret != CLI_GO) {
        return ret;
    }
    /* A bad EUI or AppKey is a usage error, before anything is read or made. */
    ret = a.otaa ? cli_otaa_identity(verb, a.deveui, a.joineui, a.appkey, &p.n)
                 : cli_generate_keys(verb, &p.n);
    if (ret == CLI_EXIT_OK) {
        ret = load_firmware(&a, &p, &im);
    }
    if (ret == CLI_EXIT_OK) {
        ret = make_dir(a.out);
    }
    if (ret == CLI_EXIT_OK) {
        ret = cli_open_zone(g, verb, CLI_OPEN_CREATE, p.n.zone, &db);
    }
    if (ret == CLI_EXIT_OK) {
        ret = register_node(&db, &a, &p);
        registered = ret == CLI_EXIT_OK;
    }
    if (registered) {
        ret = write_image(&a, &p, &im, &w, &json);
    }
    if (ret != CLI_EXIT_OK && registered) {
        remove_written(&w);
        if (store_node_remove(db.store, p.n.devaddr) < 0) {
            cli_errf(verb, "and removing node %08X again failed: %s (`tinyfleet node remove`)",
                     (unsigned)p.n.devaddr, store_errmsg(db.store));
        } else {
            cli_errf(verb, "node %08X not registered", (unsigned)p.n.devaddr);
        }
    }
    cli_close(&db);
    if (json != NULL) {
        explicit_bzero(json, strlen(json));
    }
    cJSON_free(json);
    if (im.buf != NULL) {
        explicit_bzero(im.buf, im.len);
    }
    free(im.buf);
    explicit_bzero(&p, sizeof(p));
    return ret;
}
