/* SPDX-License-Identifier: MIT
 * The node's side of a downlink (downlink.h): check, decrypt, decode, apply, answer. Checks
 * run in the order of proto/SPEC.md section 1.5, each cheaper than the next, so a stranger's
 * frame costs no AES. A command is decoded whole (proto_cmd_decode()) and its settings
 * stored before they take effect: a power cut leaves the old or the new, never half.
 */
#include "nodefw/downlink.h"

#include <string.h>

#include "proto/crc32.h"
#include "proto/frame.h"
#include "proto/le.h"

/* The settings record: 'S', version 2, interval u32, health u32, flags, duty u16, dr,
 * min_conf[32], last FCntDown u32, sensing mode + 1, listen_ms u32, every_ms u32, wake level
 * u16, wake margin, CRC-32 of the bytes before it (all LE): 66 bytes, within what the storage
 * holds behind the counter's record (FCNT_TAIL_MAX). Version 1 ended at the last FCntDown
 * (CRC at 50, 54 bytes); it is read as "no commanded schedule". */
#define SET_LEN      66u
#define SET_CRC_AT   62u
#define SET_V1_LEN   54u
#define SET_V1_CRC   50u
#define SET_SENSE_AT 50u
#define FLAG_NEVER   0x01u
#define FLAG_HAS_FCD 0x02u

int node_settings_encode(const struct node_settings *s, uint8_t *buf, size_t cap)
{
    if (cap < SET_LEN) {
        return NODE_DL_EMALFORMED;
    }
    buf[0] = 'S';
    buf[1] = 2;
    proto_le32_put(&buf[2], s->interval_s);
    proto_le32_put(&buf[6], s->health_interval_s);
    buf[10] =
        (uint8_t)((s->health_never ? FLAG_NEVER : 0u) | (s->has_fcnt_down ? FLAG_HAS_FCD : 0u));
    buf[11] = (uint8_t)s->duty_permille;
    buf[12] = (uint8_t)(s->duty_permille >> 8);
    buf[13] = s->dr;
    memcpy(&buf[14], s->min_conf, NODE_DL_CLASSES);
    proto_le32_put(&buf[46], s->last_fcnt_down);
    buf[SET_SENSE_AT] = s->sense_mode;
    proto_le32_put(&buf[SET_SENSE_AT + 1u], s->listen_ms);
    proto_le32_put(&buf[SET_SENSE_AT + 5u], s->every_ms);
    buf[SET_SENSE_AT + 9u] = (uint8_t)s->wake_level_q15;
    buf[SET_SENSE_AT + 10u] = (uint8_t)(s->wake_level_q15 >> 8);
    buf[SET_SENSE_AT + 11u] = s->wake_margin_db;
    proto_le32_put(&buf[SET_CRC_AT], proto_crc32(0, buf, SET_CRC_AT));
    return (int)SET_LEN;
}

int node_settings_decode(const uint8_t *buf, size_t len, struct node_settings *out)
{
    bool v1 = len == SET_V1_LEN && buf[1] == 1u;
    size_t crc_at = v1 ? SET_V1_CRC : SET_CRC_AT;

    if (!(v1 || (len == SET_LEN && buf[1] == 2u)) || buf[0] != 'S' ||
        proto_le32_get(&buf[crc_at]) != proto_crc32(0, buf, crc_at)) {
        return NODE_DL_EMALFORMED;
    }
    memset(out, 0, sizeof(*out));
    if (!v1) {
        out->sense_mode = buf[SET_SENSE_AT];
        out->listen_ms = proto_le32_get(&buf[SET_SENSE_AT + 1u]);
        out->every_ms = proto_le32_get(&buf[SET_SENSE_AT + 5u]);
        out->wake_level_q15 = (uint16_t)(buf[SET_SENSE_AT + 9u] | (buf[SET_SENSE_AT + 10u] << 8));
        out->wake_margin_db = buf[SET_SENSE_AT + 11u];
    }
    out->interval_s = proto_le32_get(&buf[2]);
    out->health_interval_s = proto_le32_get(&buf[6]);
    out->health_never = (buf[10] & FLAG_NEVER) != 0u;
    out->has_fcnt_down = (buf[10] & FLAG_HAS_FCD) != 0u;
    out->duty_permille = (uint16_t)(buf[11] | (buf[12] << 8));
    out->dr = buf[13];
    memcpy(out->min_conf, &buf[14], NODE_DL_CLASSES);
    out->last_fcnt_down = proto_le32_get(&buf[46]);
    return NODE_DL_OK;
}

bool node_settings_sensing(const struct node_settings *s, uint32_t devaddr,
                           struct sensing_config *out)
{
    memset(out, 0, sizeof(*out));
    if (s->sense_mode == 0u) {
        return false;
    }
    out->mode = (uint8_t)(s->sense_mode - 1u);
    out->listen_ms = s->listen_ms;
    out->every_ms = s->every_ms;
    out->wake_level_q15 = s->wake_level_q15;
    out->wake_margin_db = s->wake_margin_db;
    if (out->mode == (uint8_t)SENSING_DUTY) {
        out->phase_ms = sensing_phase_ms(devaddr, s->every_ms);
    }
    return true;
}

void node_dl_init(struct node_dl *d, uint32_t devaddr, const uint8_t nwkskey[PROTO_AES_KEY],
                  const uint8_t appskey[PROTO_AES_KEY], struct fcnt *f)
{
    memset(d, 0, sizeof(*d));
    d->devaddr = devaddr;
    d->nwkskey = nwkskey;
    d->appskey = appskey;
    d->fcnt = f;
    if (f == NULL || node_settings_decode(f->tail, f->tail_len, &d->settings) != NODE_DL_OK) {
        memset(&d->settings, 0, sizeof(d->settings));
    }
}

/* The full FCntDown of @f, or NODE_DL_EOLD (section 1.3, the node's side). */
static int fcnt_down_of(const struct node_settings *s, const struct proto_frame *f, uint32_t *out)
{
    uint32_t next;
    uint32_t ahead;

    if (!s->has_fcnt_down) {
        *out = f->fcnt16;
        return NODE_DL_OK;
    }
    next = proto_frame_fcnt_expand(s->last_fcnt_down, f->fcnt16);
    ahead = next - s->last_fcnt_down;
    if (ahead < 1u || ahead > PROTO_FCNT_MAX_GAP || next <= s->last_fcnt_down) {
        return NODE_DL_EOLD;
    }
    *out = next;
    return NODE_DL_OK;
}

/* The sensing command into @s (unless @repeated: it is there), if the node can run it; a
 * repeated command is checked again so that it gets the same answer. Return: PROTO_OK or
 * PROTO_ERANGE. */
static int apply_sensing(struct node_dl *d, struct node_settings *s, const struct proto_cmd *c,
                         bool repeated)
{
    struct node_settings t = *s;
    struct sensing_config sc;

    /* The modes are numbered alike in the command and in the firmware (test_node_commands.c). */
    t.sense_mode = (uint8_t)(c->u.sensing.mode + 1u);
    t.listen_ms = c->u.sensing.listen_ms;
    t.every_ms = c->u.sensing.every_ms;
    t.wake_level_q15 = c->u.sensing.wake_level_q15;
    t.wake_margin_db = c->u.sensing.margin_db;
    if (!node_settings_sensing(&t, d->devaddr, &sc) || !sensing_config_ok(&sc) ||
        (d->sensing_ok != NULL && !d->sensing_ok(d->sensing_ok_arg, &sc))) {
        return PROTO_ERANGE;
    }
    if (!repeated) {
        *s = t;
        d->actions |= NODE_DL_DO_SENSING;
    }
    return PROTO_OK;
}

/* @c into the settings copy @s. Return: true when something persistent changed. */
static bool apply(struct node_dl *d, struct node_settings *s, const struct proto_cmd *c)
{
    switch (c->op) {
    case PROTO_CMD_SENSING:
        return true; /* apply_sensing() did it */
    case PROTO_CMD_INTERVAL:
        s->interval_s = c->u.seconds;
        return true;
    case PROTO_CMD_HEALTH_INTERVAL:
        s->health_never = c->u.seconds == 0u;
        s->health_interval_s = c->u.seconds;
        return true;
    case PROTO_CMD_THRESHOLD:
        s->min_conf[c->u.threshold.class_id] = c->u.threshold.min_conf;
        return true;
    case PROTO_CMD_DUTY:
        s->duty_permille = c->u.duty.permille;
        s->dr = (uint8_t)(c->u.duty.dr + 1u);
        return true;
    case PROTO_CMD_LEARN_RESTART:
        d->actions |= NODE_DL_DO_LEARN;
        return false;
    case PROTO_CMD_HEALTH_NOW:
        d->actions |= NODE_DL_DO_HEALTH;
        return false;
    default: /* PROTO_CMD_REBOOT: decoded ops are 1..8 */
        d->actions |= NODE_DL_DO_REBOOT;
        return false;
    }
}

/* Store @s (with @fcnt_down accepted) and make it current. Return: NODE_DL_OK, NODE_DL_EIO. */
static int commit(struct node_dl *d, struct node_settings *s, uint32_t fcnt_down)
{
    uint8_t rec[SET_LEN];
    int n;

    s->has_fcnt_down = true;
    s->last_fcnt_down = fcnt_down;
    n = node_settings_encode(s, rec, sizeof(rec));
    if (n < 0 || d->fcnt == NULL || fcnt_set_tail(d->fcnt, rec, (size_t)n) != FCNT_OK) {
        return NODE_DL_EIO;
    }
    d->settings = *s;
    return NODE_DL_OK;
}

/* FPort 10: decode whole, apply or refuse, answer. The FCntDown is stored with it. */
static int on_command(struct node_dl *d, const uint8_t *p, size_t n, uint32_t fcnt_down)
{
    struct node_settings s = d->settings;
    struct proto_cmd c;
    int rc = proto_cmd_decode(p, n, &c);
    uint8_t status;
    bool repeated;

    if (rc == PROTO_EVERSION || (rc == PROTO_ETOOSHORT && n < PROTO_CMD_HDR_LEN)) {
        return NODE_DL_ETRUNCATED; /* no sequence number to answer */
    }
    if (d->answer_count >= PROTO_CMD_ANSWER_MAX) {
        return NODE_DL_EFULL;
    }
    repeated = d->settings.has_seq && d->settings.last_seq == c.seq;
    if (rc == PROTO_OK && c.op == PROTO_CMD_SENSING) {
        rc = apply_sensing(d, &s, &c, repeated); /* the node's own checks, beyond the codec's */
    }
    status = proto_cmd_status_of(rc);
    if (rc == PROTO_OK && !repeated && apply(d, &s, &c)) {
        d->actions |= NODE_DL_DO_SETTING;
    }
    s.has_seq = true;
    s.last_seq = c.seq;
    if (commit(d, &s, fcnt_down) != NODE_DL_OK) {
        d->actions &= (uint8_t) ~(NODE_DL_DO_LEARN | NODE_DL_DO_HEALTH | NODE_DL_DO_REBOOT |
                                  NODE_DL_DO_SETTING | NODE_DL_DO_SENSING);
        return NODE_DL_EIO;
    }
    if (repeated) {
        d->stats.repeated++;
    } else if (status == PROTO_CMD_APPLIED) {
        d->stats.applied++;
    } else {
        d->stats.refused++;
    }
    d->answers[d->answer_count].seq = c.seq;
    d->answers[d->answer_count].op = c.op;
    d->answers[d->answer_count].status = status;
    d->answer_count++;
    return NODE_DL_OK;
}

static int drop(struct node_dl *d, int why)
{
    switch (why) {
    case NODE_DL_EDEVADDR:
        d->stats.devaddr++;
        break;
    case NODE_DL_EOLD:
        d->stats.old_fcnt++;
        break;
    case NODE_DL_EMIC:
        d->stats.bad_mic++;
        break;
    case NODE_DL_ETRUNCATED:
        d->stats.truncated++;
        break;
    case NODE_DL_EIO:
    case NODE_DL_EFULL:
        d->stats.io++;
        break;
    default:
        d->stats.malformed++;
        break;
    }
    return why;
}

int node_dl_receive(struct node_dl *d, const uint8_t *phy, size_t len)
{
    struct proto_frame f;
    uint8_t plain[PROTO_FRAME_MAX_LEN];
    uint32_t fcnt_down;
    int n = 0;
    int rc;

    if (proto_frame_parse_down(phy, len, &f) != PROTO_OK) {
        return drop(d, NODE_DL_EMALFORMED);
    }
    if (f.devaddr != d->devaddr) {
        return drop(d, NODE_DL_EDEVADDR);
    }
    if (fcnt_down_of(&d->settings, &f, &fcnt_down) != NODE_DL_OK) {
        return drop(d, NODE_DL_EOLD);
    }
    if (proto_frame_verify(&f, d->nwkskey, fcnt_down) != PROTO_OK) {
        return drop(d, NODE_DL_EMIC);
    }
    if (f.has_fport) {
        n = proto_frame_decrypt(&f, f.fport == 0u ? d->nwkskey : d->appskey, fcnt_down, plain,
                                sizeof(plain));
        if (n < 0) {
            return drop(d, NODE_DL_EMALFORMED);
        }
    }
    if (f.has_fport && f.fport == PROTO_CMD_PORT) {
        rc = on_command(d, plain, (size_t)n, fcnt_down);
        memset(plain, 0, sizeof(plain));
        if (rc != NODE_DL_OK) {
            return drop(d, rc);
        }
    } else {
        /* An ACK (or a port we do not use): the counter moves in RAM only; storing it for
         * every ACK would cost a flash write per confirmed uplink. */
        d->settings.has_fcnt_down = true;
        d->settings.last_fcnt_down = fcnt_down;
    }
    d->ack = (f.fctrl & PROTO_FCTRL_ACK) != 0u;
    d->stats.accepted++;
    if (d->ack) {
        d->stats.acks++;
    }
    return NODE_DL_OK;
}

int node_dl_answers(const struct node_dl *d, uint8_t *buf, size_t cap)
{
    if (d->answer_count == 0u) {
        return 0;
    }
    return proto_cmd_answer_encode(d->answers, d->answer_count, buf, cap);
}

void node_dl_answered(struct node_dl *d)
{
    d->answer_count = 0;
}
