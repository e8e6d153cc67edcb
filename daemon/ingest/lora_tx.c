/* SPDX-License-Identifier: MIT
 * The Class A downlink scheduler for packet forwarders (lora_tx.h). A fixed table of slots,
 * each one downlink on its way through the four steps; linear scans, since a slot lives
 * about two seconds and a gateway sends far fewer downlinks than it hears uplinks.
 */
#include "ingest/lora_tx.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ingest/adr.h"
#include "ingest/downlink.h"
#include "util/hex.h"
#include "util/log.h"

#define SLOT_MAX    1024u /* downlinks on their way at once; more uplinks wait for the next */
#define DUTY_MAX    64u   /* forwarders whose airtime is kept; the least recent makes room */
#define RETRANS_MAX 64u   /* frames whose retransmissions are counted; the oldest makes room */
/* A TX_ACK later than RX2's time plus this is not coming: the slot is freed. */
#define TX_ACK_WAIT_MS 1000u

enum slot_state {
    SLOT_FREE = 0,
    SLOT_UPLINK,    /* step 1: the uplink is in the open batch */
    SLOT_DUE,       /* committed; planned at due_ms */
    SLOT_PREPARED,  /* step 2 done in the open batch */
    SLOT_COMMITTED, /* that batch committed as gen; sent when durable */
    SLOT_INFLIGHT   /* PULL_RESP sent, TX_ACK awaited until due_ms */
};

struct slot {
    enum slot_state state;
    struct lora_tx_up up;
    uint64_t arrival_ms; /* loop time the uplink arrived */
    uint64_t due_ms;     /* SLOT_DUE: plan then; SLOT_INFLIGHT: give up on TX_ACK then */
    uint64_t gen;        /* SLOT_COMMITTED; a join's: the commit of its JoinRequest's batch */
    enum region_pick window;
    struct region_window w;
    uint16_t token;
    struct downlink_frame frame;
    bool adr_only; /* nothing to send when it came: planned for its SNR (adr.h) */
};

struct duty_entry {
    uint8_t eui[PFWD_EUI_LEN];
    uint64_t last_ms;
    bool used;
    struct region_duty ledger;
};

/* How often one confirmed frame (DevAddr, FCnt) came again. */
struct retrans {
    uint32_t devaddr;
    uint32_t fcnt;
    uint32_t count;
};

struct lora_tx {
    uv_timer_t timer; /* timer.data = this */
    uv_idle_t idle;   /* active while a downlink waits in the open batch: the loop must not
                         block in poll before the commit (a check handle) runs */
    int open_handles; /* the last close callback frees this */
    struct store *store;
    struct poststore *post;
    const struct region *region;
    uint32_t window_ms;
    lora_tx_send_cb send;
    void *arg;
    uint16_t next_token;
    uint64_t durable_gen; /* the last batch known durable */
    struct log_limit lim;
    struct adr *adr; /* NULL: [lora] adr off */
    struct duty_entry duty[DUTY_MAX];
    struct retrans retrans[RETRANS_MAX];
    size_t retrans_next; /* the entry the next new frame overwrites */
    struct slot slot[SLOT_MAX];
};

static int64_t wall_ms(void)
{
    struct timespec ts;

    if (clock_gettime(CLOCK_REALTIME, &ts) != 0) {
        return 0;
    }
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static struct region_duty *ledger_of(struct lora_tx *t, const uint8_t eui[PFWD_EUI_LEN],
                                     uint64_t now_ms)
{
    struct duty_entry *e = &t->duty[0];

    for (size_t i = 0; i < DUTY_MAX; i++) {
        if (t->duty[i].used && memcmp(t->duty[i].eui, eui, PFWD_EUI_LEN) == 0) {
            t->duty[i].last_ms = now_ms;
            return &t->duty[i].ledger;
        }
        if (!t->duty[i].used || (e->used && t->duty[i].last_ms < e->last_ms)) {
            e = &t->duty[i];
        }
    }
    /* A forwarder forgotten for room starts again from zero airtime: with 64 kept, only a
     * gateway serving more forwarders than that within an hour could exceed a limit. */
    memset(e, 0, sizeof(*e));
    memcpy(e->eui, eui, PFWD_EUI_LEN);
    e->used = true;
    e->last_ms = now_ms;
    return &e->ledger;
}

static void on_timer(uv_timer_t *timer);

/* Nothing to do: being active is what keeps the loop from blocking until the commit. */
static void on_idle(uv_idle_t *h)
{
    (void)h;
}

static void arm(struct lora_tx *t)
{
    uint64_t now = uv_now(t->timer.loop);
    uint64_t next = UINT64_MAX;

    for (size_t i = 0; i < SLOT_MAX; i++) {
        const struct slot *s = &t->slot[i];

        if ((s->state == SLOT_DUE || s->state == SLOT_INFLIGHT) && s->due_ms < next) {
            next = s->due_ms;
        }
    }
    if (next == UINT64_MAX) {
        (void)uv_timer_stop(&t->timer);
        return;
    }
    (void)uv_timer_start(&t->timer, on_timer, next > now ? next - now : 0, 0);
}

/* The window @pick of @s into s->w, if its sub-band has the airtime left. Return: 0, or
 * -EAGAIN (duty cycle), or region_rx1()'s error. */
static int take_window(struct lora_tx *t, struct slot *s, enum region_pick pick, uint64_t now_ms)
{
    struct region_window w;
    struct region_duty *d;
    int64_t air;
    int rc;

    if (s->up.join) {
        rc = pick == REGION_RX1 ? region_join1(t->region, s->up.tmst, s->up.freq_hz, s->up.datr, &w)
                                : region_join2(t->region, s->up.tmst, &w);
    } else {
        rc = pick == REGION_RX1 ? region_rx1(t->region, s->up.tmst, s->up.freq_hz, s->up.datr, &w)
                                : region_rx2(t->region, s->up.tmst, &w);
    }

    if (rc < 0) {
        return rc;
    }
    air = region_airtime_us(w.datr, s->frame.len != 0 ? s->frame.len : DOWNLINK_PHY_MAX, false);
    d = ledger_of(t, s->up.eui, now_ms);
    if (air < 0 || !region_duty_allows(t->region, d, w.subband, now_ms, air)) {
        return -EAGAIN;
    }
    region_duty_charge(d, w.subband, now_ms, air);
    s->w = w;
    s->window = pick;
    return 0;
}

static enum region_pick pick_of(const struct lora_tx *t, const struct slot *s, uint64_t now_ms)
{
    uint64_t elapsed = now_ms - s->arrival_ms;

    return s->up.join ? region_pick_join(t->region, elapsed, LORA_TX_MARGIN_MS)
                      : region_pick(t->region, elapsed, LORA_TX_MARGIN_MS);
}

static void send_slot(struct lora_tx *t, struct slot *s, uint64_t now_ms);

/* Step 2 for a JoinAccept: built and committed with its JoinRequest; only the window is
 * left to choose. It leaves at once if that batch is durable already, else at
 * lora_tx_durable(). */
static void plan_join(struct lora_tx *t, struct slot *s, uint64_t now_ms)
{
    enum region_pick pick = pick_of(t, s, now_ms);
    int rc;

    s->state = SLOT_FREE;
    if (pick == REGION_NONE) {
        store_count_downlink(t->store, STORE_DL_NO_WINDOW);
        return;
    }
    rc = take_window(t, s, pick, now_ms);
    if (rc != 0 && pick == REGION_RX1) {
        rc = take_window(t, s, REGION_RX2, now_ms);
    }
    if (rc != 0) {
        store_count_downlink(t->store, STORE_DL_DUTY_CYCLE);
        return;
    }
    store_count_downlink(t->store, STORE_DL_JOIN_ACCEPT);
    s->state = SLOT_COMMITTED;
    if (s->gen <= t->durable_gen) {
        send_slot(t, s, now_ms);
    }
}

/* Every copy of a stored frame is in: its best SNR to ADR, which may queue a command in the
 * open batch that this very downlink then carries. Return: 1 queued, else 0. */
static int adr_of(struct lora_tx *t, const struct slot *s, int64_t wall, uint64_t now_ms)
{
    int rc;

    /* A quality above LORA_TX_NO_SNR is an SNR; a retransmission was counted with its frame. */
    if (t->adr == NULL || s->up.retransmission || s->up.quality <= LORA_TX_NO_SNR) {
        return 0;
    }
    rc = adr_uplink(t->adr, t->store, t->post, s->up.devaddr, s->up.datr, s->up.quality, wall,
                    now_ms);
    if (rc < 0) {
        log_limited_at(&t->lim, now_ms, LOG_ERR, "adr for %08X: %s", (unsigned)s->up.devaddr,
                       store_errmsg(t->store));
    }
    return rc;
}

/* Step 2 for one slot. The frame length is known from the plan before anything is written,
 * so the airtime is checked before FCntDown is taken. */
static void plan_one(struct lora_tx *t, struct slot *s, uint64_t now_ms)
{
    struct downlink_plan plan;
    enum region_pick pick = pick_of(t, s, now_ms);
    const int64_t wall = wall_ms();
    int rc;

    if (s->up.join) {
        plan_join(t, s, now_ms);
        return;
    }
    s->state = SLOT_FREE;
    rc = adr_of(t, s, wall, now_ms);
    if (pick == REGION_NONE) {
        if (!s->adr_only || rc > 0) {
            store_count_downlink(t->store, STORE_DL_NO_WINDOW);
        }
        return;
    }
    rc = downlink_plan(t->store, t->post, s->up.devaddr, s->up.confirmed, wall, &plan);
    if (rc <= 0) {
        if (rc < 0) {
            log_limited_at(&t->lim, now_ms, LOG_ERR, "downlink to %08X not planned: %s",
                           (unsigned)s->up.devaddr, store_errmsg(t->store));
        }
        return;
    }
    s->frame.len = plan.len;
    rc = take_window(t, s, pick, now_ms);
    if (rc != 0 && pick == REGION_RX1) {
        rc = take_window(t, s, REGION_RX2, now_ms); /* FSK uplink or RX1's band used up */
    }
    if (rc != 0) {
        store_count_downlink(t->store, STORE_DL_DUTY_CYCLE);
        return;
    }
    rc = downlink_make(t->store, t->post, &plan, wall, &s->frame);
    if (rc < 0) {
        log_limited_at(&t->lim, now_ms, LOG_ERR, "downlink to %08X not built: %s",
                       (unsigned)s->up.devaddr, strerror(-rc));
        return;
    }
    s->state = SLOT_PREPARED;
}

static void on_timer(uv_timer_t *timer)
{
    struct lora_tx *t = timer->data;
    uint64_t now = uv_now(timer->loop);

    for (size_t i = 0; i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state == SLOT_DUE && s->due_ms <= now) {
            plan_one(t, s, now);
        } else if (s->state == SLOT_INFLIGHT && s->due_ms <= now) {
            store_count_downlink(t->store, STORE_DL_NO_TX_ACK);
            s->state = SLOT_FREE;
        }
    }
    if (store_pending(t->store)) {
        (void)uv_idle_start(&t->idle, on_idle); /* commit it this turn of the loop */
    }
    arm(t);
}

int lora_tx_new(uv_loop_t *loop, struct store *store, struct poststore *post,
                const struct region *region, uint32_t window_ms, lora_tx_send_cb send, void *arg,
                struct lora_tx **out)
{
    struct lora_tx *t = calloc(1, sizeof(*t));
    int rc;

    *out = NULL;
    if (t == NULL) {
        return -ENOMEM;
    }
    rc = uv_timer_init(loop, &t->timer);
    if (rc != 0) {
        free(t);
        return rc;
    }
    t->open_handles = 1;
    t->timer.data = t;
    rc = uv_idle_init(loop, &t->idle);
    if (rc != 0) {
        lora_tx_close(t);
        return rc;
    }
    t->open_handles++;
    t->idle.data = t;
    t->store = store;
    t->post = post;
    t->region = region;
    t->window_ms = window_ms;
    t->send = send;
    t->arg = arg;
    log_limit_init(&t->lim, "downlink failures", 10, 10000);
    *out = t;
    return 0;
}

static void on_close(uv_handle_t *h)
{
    struct lora_tx *t = h->data;

    if (--t->open_handles == 0) {
        adr_free(t->adr);
        free(t);
    }
}

void lora_tx_close(struct lora_tx *t)
{
    if (t != NULL) {
        (void)log_limit_flush(&t->lim, uv_now(t->timer.loop), true);
        if (t->open_handles > 1) {
            uv_close((uv_handle_t *)&t->idle, on_close);
        }
        uv_close((uv_handle_t *)&t->timer, on_close);
    }
}

int lora_tx_adr(struct lora_tx *t, uint64_t interval_ms)
{
    adr_free(t->adr);
    t->adr = NULL;
    return adr_new(interval_ms, &t->adr);
}

/* Whether a retransmission of @up still gets an ACK; counts it. */
static bool retrans_allowed(struct lora_tx *t, const struct lora_tx_up *up)
{
    struct retrans *e = NULL;

    for (size_t i = 0; i < RETRANS_MAX; i++) {
        if (t->retrans[i].count != 0 && t->retrans[i].devaddr == up->devaddr &&
            t->retrans[i].fcnt == up->fcnt) {
            e = &t->retrans[i];
            break;
        }
    }
    if (e == NULL) {
        e = &t->retrans[t->retrans_next];
        t->retrans_next = (t->retrans_next + 1) % RETRANS_MAX;
        e->devaddr = up->devaddr;
        e->fcnt = up->fcnt;
        e->count = 0;
    }
    if (e->count >= LORA_TX_RETRANS_MAX) {
        return false;
    }
    e->count++;
    return true;
}

void lora_tx_uplink(struct lora_tx *t, const struct lora_tx_up *up, uint64_t now_ms)
{
    struct store_command c;
    bool adr_only = false;

    if (t == NULL) {
        return;
    }
    if (up->retransmission && !retrans_allowed(t, up)) {
        store_count_downlink(t->store, STORE_DL_RETRANS_REFUSED);
        return;
    }
    /* An unconfirmed uplink of a node with nothing queued needs nothing back; ADR still
     * wants its best SNR, known once the dedup window is over. */
    if (!up->confirmed && store_command_pending(t->store, up->devaddr, &c) != 0) {
        if (t->adr == NULL || up->retransmission) {
            return;
        }
        adr_only = true;
    }
    for (size_t i = 0; i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state == SLOT_FREE) {
            memset(s, 0, sizeof(*s));
            s->state = SLOT_UPLINK;
            s->up = *up;
            s->arrival_ms = now_ms;
            s->due_ms = now_ms + t->window_ms;
            s->adr_only = adr_only;
            if (up->retransmission) {
                store_count_downlink(t->store, STORE_DL_RETRANSMISSION);
            }
            return;
        }
    }
    log_limited_at(&t->lim, now_ms, LOG_WARNING, "downlink to %08X dropped: %u on their way",
                   (unsigned)up->devaddr, SLOT_MAX);
}

void lora_tx_join(struct lora_tx *t, const struct lora_tx_up *up, const uint8_t *phy, size_t len,
                  uint64_t now_ms)
{
    if (t == NULL || len > sizeof(t->slot[0].frame.phy)) {
        return;
    }
    for (size_t i = 0; i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state == SLOT_FREE) {
            memset(s, 0, sizeof(*s));
            s->state = SLOT_UPLINK;
            s->up = *up;
            s->up.join = true;
            s->arrival_ms = now_ms;
            s->due_ms = now_ms + t->window_ms;
            memcpy(s->frame.phy, phy, len);
            s->frame.len = len;
            s->frame.devaddr = up->devaddr;
            return;
        }
    }
    log_limited_at(&t->lim, now_ms, LOG_WARNING, "JoinAccept to %08X dropped: %u on their way",
                   (unsigned)up->devaddr, SLOT_MAX);
}

void lora_tx_copy(struct lora_tx *t, int64_t frame_id, const uint8_t eui[PFWD_EUI_LEN],
                  int32_t quality)
{
    for (size_t i = 0; t != NULL && i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if ((s->state == SLOT_UPLINK || s->state == SLOT_DUE) && s->up.frame_id == frame_id &&
            frame_id != 0 && quality > s->up.quality) {
            memcpy(s->up.eui, eui, PFWD_EUI_LEN);
            s->up.quality = quality;
        }
    }
}

void lora_tx_committed(struct lora_tx *t, int flush_rc, uint64_t gen)
{
    bool due = false;

    if (t != NULL) {
        (void)uv_idle_stop(&t->idle);
    }
    for (size_t i = 0; t != NULL && i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state == SLOT_UPLINK) {
            s->state = flush_rc == 0 ? SLOT_DUE : SLOT_FREE;
            s->gen = gen;
            due = true;
        } else if (s->state == SLOT_PREPARED) {
            /* Rolled back: FCntDown and the command's state are as before; nothing is sent. */
            s->state = flush_rc == 0 ? SLOT_COMMITTED : SLOT_FREE;
            s->gen = gen;
        }
    }
    if (due) {
        arm(t);
    }
}

/* Step 3 (and 4's retry): the PULL_RESP for s->w. */
static void send_slot(struct lora_tx *t, struct slot *s, uint64_t now_ms)
{
    uint8_t buf[PFWD_PULL_RESP_MAX];
    char gw[2 * PFWD_EUI_LEN + 1] = "?";
    struct pfwd_txpk tx = {false,     s->w.tmst, s->w.freq_hz, 0,           s->w.power_dbm,
                           s->w.datr, true,      s->frame.phy, s->frame.len};
    int n;
    int rc;

    s->token = t->next_token++;
    n = pfwd_build_pull_resp(buf, sizeof(buf), s->token, &tx);
    rc = n < 0 ? n : t->send(t->arg, s->up.eui, buf, (size_t)n);
    if (rc < 0) {
        if (hex_encode(s->up.eui, PFWD_EUI_LEN, gw, sizeof(gw)) < 0) {
            gw[0] = '\0';
        }
        store_count_downlink(t->store, rc == -ENOENT ? STORE_DL_NO_ROUTE : STORE_DL_TX_OTHER);
        log_limited_at(&t->lim, now_ms, LOG_WARNING, "downlink to %08X via %s not sent: %s",
                       (unsigned)s->up.devaddr, gw,
                       rc == -ENOENT ? "no PULL_DATA from it yet" : strerror(-rc));
        s->state = SLOT_FREE;
        return;
    }
    store_count_downlink(t->store, s->window == REGION_RX1 ? STORE_DL_RX1 : STORE_DL_RX2);
    s->state = SLOT_INFLIGHT;
    s->due_ms = s->arrival_ms +
                (s->up.join ? t->region->join2_delay_us : t->region->rx2_delay_us) / 1000u +
                TX_ACK_WAIT_MS;
}

void lora_tx_durable(struct lora_tx *t, uint64_t gen)
{
    bool sent = false;
    uint64_t now;

    if (t == NULL) {
        return;
    }
    now = uv_now(t->timer.loop);
    if (gen > t->durable_gen) {
        t->durable_gen = gen;
    }
    for (size_t i = 0; i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state == SLOT_COMMITTED && s->gen <= gen) {
            send_slot(t, s, now);
            sent = true;
        }
    }
    if (sent) {
        arm(t);
    }
}

static const enum store_dl txack_counter[PFWD_TXACK_COUNT] = {
    STORE_DL_TX_OK,
    STORE_DL_TOO_LATE,
    STORE_DL_TOO_EARLY,
    STORE_DL_COLLISION_PACKET,
    STORE_DL_COLLISION_BEACON,
    STORE_DL_TX_FREQ,
    STORE_DL_TX_POWER,
    STORE_DL_GPS_UNLOCKED,
    STORE_DL_TX_OTHER,
};

void lora_tx_tx_ack(struct lora_tx *t, const uint8_t eui[PFWD_EUI_LEN], uint16_t token,
                    enum pfwd_txack e, uint64_t now_ms)
{
    for (size_t i = 0; t != NULL && i < SLOT_MAX; i++) {
        struct slot *s = &t->slot[i];

        if (s->state != SLOT_INFLIGHT || s->token != token ||
            memcmp(s->up.eui, eui, PFWD_EUI_LEN) != 0) {
            continue;
        }
        store_count_downlink(t->store,
                             (unsigned)e < PFWD_TXACK_COUNT ? txack_counter[e] : STORE_DL_TX_OTHER);
        s->state = SLOT_FREE;
        /* The same bytes (same FCntDown) in RX2: the node opens RX2 only when RX1 brought
         * nothing, so it sees the frame at most once. Otherwise the command waits for the
         * node's next uplink, still "sent". */
        if (e != PFWD_TXACK_NONE && s->window == REGION_RX1 &&
            pick_of(t, s, now_ms) != REGION_NONE && take_window(t, s, REGION_RX2, now_ms) == 0) {
            send_slot(t, s, now_ms);
        }
        arm(t);
        return;
    }
}
