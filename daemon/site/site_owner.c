/* SPDX-License-Identifier: MIT
 * Zone ownership from membership and claims (site_owner.h). Linear tables: a site has tens of
 * gateways and hundreds of zones, looked at once a second.
 */
#include "site/site_owner.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CLAIM_AGAIN_MS 1000 /* our unanswered claim is sent again after this */

struct member {
    char gw[SITE_OWNER_NAME_LEN];
    bool gone;
    int64_t heard_ms;
};

struct zone {
    char name[SITE_OWNER_NAME_LEN];
    char holder[SITE_OWNER_NAME_LEN]; /* "" = nobody */
    int64_t since_ms;                 /* when the holder's claim was first heard */
    int64_t claimed_ms;               /* when we last claimed it; 0 = never */
    bool was_mine;
};

struct site_owner {
    char me[SITE_OWNER_NAME_LEN];
    int64_t takeover_ms;
    unsigned n_members;
    struct member members[SITE_OWNER_MEMBERS];
    unsigned n_zones;
    struct zone zones[SITE_OWNER_ZONES];
};

static void copy(char *dst, const char *src)
{
    (void)snprintf(dst, SITE_OWNER_NAME_LEN, "%s", src);
}

int site_owner_new(const char *me, unsigned takeover_s, struct site_owner **out)
{
    struct site_owner *o = calloc(1, sizeof(*o));

    if (o == NULL) {
        return -ENOMEM;
    }
    copy(o->me, me);
    o->takeover_ms = (int64_t)takeover_s * 1000;
    *out = o;
    return 0;
}

void site_owner_free(struct site_owner *o)
{
    free(o);
}

static struct member *member_find(const struct site_owner *o, const char *gw)
{
    unsigned i;

    for (i = 0; i < o->n_members; i++) {
        if (strcmp(o->members[i].gw, gw) == 0) {
            return (struct member *)&o->members[i];
        }
    }
    return NULL;
}

void site_owner_member(struct site_owner *o, const char *gw, bool alive, int64_t now_ms)
{
    struct member *m = member_find(o, gw);

    if (m == NULL) {
        if (o->n_members == SITE_OWNER_MEMBERS) {
            return;
        }
        m = &o->members[o->n_members++];
        copy(m->gw, gw);
    }
    m->gone = !alive;
    m->heard_ms = now_ms;
}

bool site_owner_alive(const struct site_owner *o, const char *gw, int64_t now_ms)
{
    const struct member *m = member_find(o, gw);

    return m != NULL && !m->gone && now_ms - m->heard_ms < o->takeover_ms;
}

static struct zone *zone_find(const struct site_owner *o, const char *name)
{
    unsigned i;

    for (i = 0; i < o->n_zones; i++) {
        if (strcmp(o->zones[i].name, name) == 0) {
            return (struct zone *)&o->zones[i];
        }
    }
    return NULL;
}

int site_owner_touch(struct site_owner *o, const char *zone)
{
    struct zone *z = zone_find(o, zone);

    if (z != NULL) {
        return (int)(z - o->zones);
    }
    if (o->n_zones == SITE_OWNER_ZONES) {
        return -ENOSPC;
    }
    z = &o->zones[o->n_zones];
    memset(z, 0, sizeof(*z));
    copy(z->name, zone);
    return (int)o->n_zones++;
}

bool site_owner_claim(struct site_owner *o, const char *zone, const char *gw, int64_t now_ms)
{
    int i = site_owner_touch(o, zone);
    struct zone *z;

    if (i < 0) {
        return false;
    }
    z = &o->zones[i];
    if (gw[0] == '\0') {
        z->holder[0] = '\0';
        return false;
    }
    if (z->holder[0] == '\0' || !site_owner_alive(o, z->holder, now_ms)) {
        copy(z->holder, gw);
        z->since_ms = now_ms;
        return false;
    }
    if (strcmp(z->holder, gw) == 0) {
        return false;
    }
    if (now_ms - z->since_ms < SITE_OWNER_SETTLE_MS && strcmp(gw, z->holder) < 0) {
        copy(z->holder, gw); /* a tie: the lowest id wins; the settling time runs on */
        return false;
    }
    return strcmp(z->holder, o->me) == 0;
}

bool site_owner_want_claim(struct site_owner *o, unsigned i, int64_t now_ms)
{
    struct zone *z = &o->zones[i];

    if (z->holder[0] != '\0' && site_owner_alive(o, z->holder, now_ms)) {
        return false;
    }
    if (!site_owner_alive(o, o->me, now_ms) ||
        (z->claimed_ms != 0 && now_ms - z->claimed_ms < CLAIM_AGAIN_MS)) {
        return false;
    }
    z->claimed_ms = now_ms;
    return true;
}

bool site_owner_mine(const struct site_owner *o, const char *zone, int64_t now_ms, bool alone)
{
    const struct zone *z = zone_find(o, zone);

    if (alone) {
        return true;
    }
    return z != NULL && strcmp(z->holder, o->me) == 0 &&
           now_ms - z->since_ms >= SITE_OWNER_SETTLE_MS && site_owner_alive(o, o->me, now_ms);
}

unsigned site_owner_zone_count(const struct site_owner *o)
{
    return o->n_zones;
}

const char *site_owner_zone(const struct site_owner *o, unsigned i)
{
    return o->zones[i].name;
}

bool site_owner_gained(struct site_owner *o, unsigned i, int64_t now_ms, bool alone)
{
    struct zone *z = &o->zones[i];
    bool mine = site_owner_mine(o, z->name, now_ms, alone);
    bool gained = mine && !z->was_mine;

    z->was_mine = mine;
    return gained;
}

const char *site_owner_holder(const struct site_owner *o, const char *zone)
{
    const struct zone *z = zone_find(o, zone);

    return z != NULL ? z->holder : "";
}

bool site_owner_held(const struct site_owner *o, const char *zone, int64_t now_ms, bool alone)
{
    const struct zone *z = zone_find(o, zone);

    return z != NULL && z->was_mine && site_owner_mine(o, zone, now_ms, alone);
}
