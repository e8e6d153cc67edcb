/* SPDX-License-Identifier: MIT
 * The dedup table: a ring of entries in arrival order (so expiry only ever looks at the
 * oldest entry) and a linear-probing index at most half full, with deletion by backward
 * shift (Knuth, TAOCP vol. 3, 6.4 algorithm R) so no tombstones pile up. Frames are keyed
 * by their length and a 64-bit SipHash-2-4 under a secret key, not by their bytes: see
 * the note above dedup_lookup().
 */
#include "ingest/dedup.h"
#include "ingest/dedup_int.h"

#include <assert.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define DEDUP_MAX_CAPACITY ((size_t)1 << 24)

enum entry_state {
    ENTRY_PENDING = 0, /* first copy being judged */
    ENTRY_ACCEPTED,    /* stored: copies add receptions to frame_id */
    ENTRY_REFUSED,     /* refused: copies are only counted */
    ENTRY_DEAD         /* rolled back: out of the index, waits in the ring to expire */
};

struct entry {
    uint64_t hash;     /* keyed hash of the frame bytes */
    uint64_t seq;      /* insertion number; ring slot = seq & (cap - 1) */
    uint64_t first_ms; /* monotonic ms of the first copy */
    int64_t frame_id;  /* valid when state is ENTRY_ACCEPTED */
    uint32_t len;      /* frame length, bytes: part of the key */
    uint8_t state;     /* enum entry_state */
};

struct dedup {
    uint8_t key[DEDUP_KEY_LEN];
    uint32_t window_ms; /* lifetime of an entry after its first copy, ms */
    size_t cap;         /* ring entries, a power of two */
    size_t icap;        /* index slots, 2 * cap: load factor at most 1/2 */
    uint64_t head;      /* seq of the oldest live entry */
    uint64_t tail;      /* seq the next entry gets; live entries are [head, tail) */
    uint64_t last_ms;   /* largest now_ms seen: time never runs backwards here */
    uint64_t dead;      /* ENTRY_DEAD entries in [head, tail) */
    struct dedup_stats st;
    struct entry *ring;
    uint32_t *index; /* ring slot + 1; 0 = empty */
};

/* ---- SipHash-2-4, from the paper's description (section 2) ---- */

static uint64_t rotl(uint64_t x, unsigned b)
{
    return x << b | x >> (64u - b);
}

static uint64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    unsigned i;

    for (i = 0; i < 8; i++) {
        v |= (uint64_t)p[i] << (8u * i);
    }
    return v;
}

static void sipround(uint64_t v[4])
{
    v[0] += v[1];
    v[1] = rotl(v[1], 13);
    v[1] ^= v[0];
    v[0] = rotl(v[0], 32);
    v[2] += v[3];
    v[3] = rotl(v[3], 16);
    v[3] ^= v[2];
    v[0] += v[3];
    v[3] = rotl(v[3], 21);
    v[3] ^= v[0];
    v[2] += v[1];
    v[1] = rotl(v[1], 17);
    v[1] ^= v[2];
    v[2] = rotl(v[2], 32);
}

uint64_t dedup__siphash24(const uint8_t key[DEDUP_KEY_LEN], const uint8_t *msg, size_t len)
{
    const uint64_t k0 = le64(key);
    const uint64_t k1 = le64(key + 8);
    uint64_t v[4];
    uint64_t m;
    size_t off;
    size_t i;

    /* The initialisation constants spell "somepseudorandomlygeneratedbytes". */
    v[0] = k0 ^ 0x736f6d6570736575ull;
    v[1] = k1 ^ 0x646f72616e646f6dull;
    v[2] = k0 ^ 0x6c7967656e657261ull;
    v[3] = k1 ^ 0x7465646279746573ull;
    for (off = 0; off + 8 <= len; off += 8) {
        m = le64(msg + off);
        v[3] ^= m;
        sipround(v);
        sipround(v);
        v[0] ^= m;
    }
    /* The last block: remaining bytes little-endian, the length mod 256 in the top byte. */
    m = (uint64_t)(len & 0xFFu) << 56;
    for (i = 0; off + i < len; i++) {
        m |= (uint64_t)msg[off + i] << (8u * i);
    }
    v[3] ^= m;
    sipround(v);
    sipround(v);
    v[0] ^= m;
    v[2] ^= 0xFFu;
    sipround(v);
    sipround(v);
    sipround(v);
    sipround(v);
    return v[0] ^ v[1] ^ v[2] ^ v[3];
}

/* ---- the table ---- */

static size_t home(const struct dedup *d, uint64_t hash)
{
    return (size_t)hash & (d->icap - 1);
}

static struct entry *slot_entry(const struct dedup *d, uint64_t seq)
{
    return &d->ring[seq & (d->cap - 1)];
}

/* Remove index slot @i and close the gap behind it: an entry further along the probe run
 * moves into the hole unless its home lies cyclically in (i, j], where it is reachable
 * without passing the hole. */
static void index_delete(struct dedup *d, size_t i)
{
    const size_t mask = d->icap - 1;
    size_t j = i;
    size_t k;
    bool stays;

    for (;;) {
        j = (j + 1) & mask;
        if (d->index[j] == 0) {
            break;
        }
        k = home(d, d->ring[d->index[j] - 1].hash);
        stays = i <= j ? (i < k && k <= j) : (i < k || k <= j);
        if (!stays) {
            d->index[i] = d->index[j];
            i = j;
        }
    }
    d->index[i] = 0;
}

/* Drop the ring entry @seq from the index. */
static void forget(struct dedup *d, uint64_t seq)
{
    const size_t mask = d->icap - 1;
    const uint32_t want = (uint32_t)(seq & (d->cap - 1)) + 1u;
    size_t i = home(d, slot_entry(d, seq)->hash);

    /* The entry is in the index by construction; the bound only guards the loop. */
    for (size_t n = 0; n < d->icap; n++, i = (i + 1) & mask) {
        if (d->index[i] == want) {
            index_delete(d, i);
            return;
        }
        if (d->index[i] == 0) {
            break;
        }
    }
    assert(!"dedup: live entry missing from the index");
}

/* Remove the oldest entry from the ring (and from the index unless it is dead already). */
static void drop_head(struct dedup *d)
{
    if (slot_entry(d, d->head)->state == ENTRY_DEAD) {
        d->dead--;
    } else {
        forget(d, d->head);
    }
    d->head++;
}

static uint64_t live_count(const struct dedup *d)
{
    return d->tail - d->head - d->dead;
}

static void expire(struct dedup *d, uint64_t now_ms)
{
    const struct entry *e;

    while (d->head < d->tail) {
        e = slot_entry(d, d->head);
        if (now_ms - e->first_ms < d->window_ms) {
            break;
        }
        drop_head(d);
        d->st.expired++;
    }
}

int dedup_new(size_t capacity, uint32_t window_ms, const uint8_t key[DEDUP_KEY_LEN],
              struct dedup **out)
{
    struct dedup *d = NULL;
    size_t cap = 2;

    if (key == NULL || out == NULL || capacity > DEDUP_MAX_CAPACITY) {
        return -EINVAL;
    }
    while (cap < capacity) {
        cap <<= 1;
    }
    d = calloc(1, sizeof(*d));
    if (d == NULL) {
        return -ENOMEM;
    }
    d->ring = calloc(cap, sizeof(*d->ring));
    d->index = calloc(2 * cap, sizeof(*d->index));
    if (d->ring == NULL || d->index == NULL) {
        dedup_free(d);
        return -ENOMEM;
    }
    memcpy(d->key, key, DEDUP_KEY_LEN);
    d->window_ms = window_ms;
    d->cap = cap;
    d->icap = 2 * cap;
    *out = d;
    return 0;
}

void dedup_free(struct dedup *d)
{
    if (d == NULL) {
        return;
    }
    free(d->ring);
    free(d->index);
    free(d);
}

/*
 * Why a keyed 64-bit hash and the length, without keeping the bytes: two different frames
 * alive together collide with probability about n^2 / 2^65 for n live entries, 7e-12 for a
 * full table of 16384, and the key is secret (getrandom at start), so nobody who can send
 * datagrams can make a frame collide with one they have not seen yet. A collision would make
 * the second frame look like a copy of the first (counted as a duplicate, not stored).
 * Keeping the bytes instead would cost 255 bytes per entry for a risk that small.
 */
enum dedup_verdict dedup_lookup(struct dedup *d, const uint8_t *frame, size_t len, uint64_t now_ms,
                                struct dedup_outcome *out, uint64_t *ticket)
{
    const size_t mask = d->icap - 1;
    const uint64_t hash = dedup__siphash24(d->key, frame, len);
    const uint32_t len32 = len > UINT32_MAX ? UINT32_MAX : (uint32_t)len;
    const struct entry *e;
    struct entry *n;
    size_t i;

    memset(out, 0, sizeof(*out));
    *ticket = 0;
    if (now_ms < d->last_ms) {
        now_ms = d->last_ms;
    }
    d->last_ms = now_ms;
    expire(d, now_ms);

    for (i = home(d, hash); d->index[i] != 0; i = (i + 1) & mask) {
        e = &d->ring[d->index[i] - 1];
        if (e->hash == hash && e->len == len32) {
            out->accepted = e->state == ENTRY_ACCEPTED;
            out->frame_id = out->accepted ? e->frame_id : 0;
            out->first_ms = e->first_ms;
            d->st.copies++;
            d->st.live = live_count(d);
            return DEDUP_COPY;
        }
    }

    if (d->tail - d->head == d->cap) {
        /* Full: the oldest entry goes before its time (see dedup_new()). */
        if (slot_entry(d, d->head)->state != ENTRY_DEAD) {
            d->st.evicted++;
        }
        drop_head(d);
    }
    n = slot_entry(d, d->tail);
    n->hash = hash;
    n->seq = d->tail;
    n->first_ms = now_ms;
    n->frame_id = 0;
    n->len = len32;
    n->state = ENTRY_PENDING;
    /* At most cap of 2 * cap index slots are used, so the probe always finds a free one. */
    for (i = home(d, hash); d->index[i] != 0; i = (i + 1) & mask) {
    }
    d->index[i] = (uint32_t)(d->tail & (d->cap - 1)) + 1u;
    *ticket = d->tail;
    d->tail++;
    d->st.firsts++;
    d->st.live = live_count(d);
    return DEDUP_FIRST;
}

void dedup_set_outcome(struct dedup *d, uint64_t ticket, bool accepted, int64_t frame_id)
{
    struct entry *e;

    if (ticket < d->head || ticket >= d->tail) {
        return;
    }
    e = slot_entry(d, ticket);
    if (e->state == ENTRY_DEAD) {
        return;
    }
    e->state = accepted ? ENTRY_ACCEPTED : ENTRY_REFUSED;
    e->frame_id = accepted ? frame_id : 0;
}

uint64_t dedup_mark(const struct dedup *d)
{
    return d->tail;
}

/* Rolled-back entries stay in the ring, dead, until they leave it from the head like any
 * other: insertion numbers are never reused, so a stale ticket can never name a new entry. */
size_t dedup_rollback(struct dedup *d, uint64_t mark)
{
    size_t n = 0;
    uint64_t seq;
    struct entry *e;

    for (seq = mark > d->head ? mark : d->head; seq < d->tail; seq++) {
        e = slot_entry(d, seq);
        if (e->state != ENTRY_DEAD) {
            forget(d, seq);
            e->state = ENTRY_DEAD;
            d->dead++;
            n++;
        }
    }
    d->st.rolled_back += n;
    d->st.live = live_count(d);
    return n;
}

void dedup_get_stats(const struct dedup *d, struct dedup_stats *out)
{
    *out = d->st;
    out->live = live_count(d);
}

size_t dedup_capacity(const struct dedup *d)
{
    return d->cap;
}
