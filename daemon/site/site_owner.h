/* SPDX-License-Identifier: MIT
 * Who owns each zone of a site (README "Many gateways, one site"): the gateways' membership
 * and their retained zone claims, as heard from the broker, worked out the same way on every
 * gateway. No I/O and no clock: every call carries the time (Unix ms, the local clock: leases
 * are measured from when a message was heard here, so gateways' clocks need not agree).
 *
 * A gateway is alive while its membership message has been heard within takeover_s and not
 * emptied (its last will empties it). A zone's claim is held by the first gateway heard
 * claiming it while it had no live holder; a claim heard within SITE_OWNER_SETTLE_MS of the
 * holder's from a gateway whose id sorts lower takes it over (gateways that start together,
 * or that take over a dead owner's zone together, end with the lowest id, whatever order each
 * broker delivered the claims in). A holder owns its zone once its claim has settled.
 * Loop thread only.
 */
#ifndef PROJ_DAEMON_SITE_SITE_OWNER_H
#define PROJ_DAEMON_SITE_SITE_OWNER_H

#include <stdbool.h>
#include <stdint.h>

#define SITE_OWNER_SETTLE_MS 2000 /* competing claims within this much of the first: lowest id */
#define SITE_OWNER_ZONES     1024u
#define SITE_OWNER_MEMBERS   256u
#define SITE_OWNER_NAME_LEN  64u

struct site_owner;

/* site_owner_new() - for gateway @me with [fusion] takeover_s. Return: 0, -ENOMEM. */
int site_owner_new(const char *me, unsigned takeover_s, struct site_owner **out);
void site_owner_free(struct site_owner *o);

/* site_owner_member() - gateway @gw's membership message: @alive false for an empty one. */
void site_owner_member(struct site_owner *o, const char *gw, bool alive, int64_t now_ms);

/* site_owner_alive() - @gw heard within takeover_s and not gone. */
bool site_owner_alive(const struct site_owner *o, const char *gw, int64_t now_ms);

/*
 * site_owner_claim() - gateway @gw's claim on @zone ("" = released) was heard.
 * Return: true when this gateway holds @zone and the claim lost against it: re-publish ours,
 * so that the retained claim names the holder again.
 */
bool site_owner_claim(struct site_owner *o, const char *zone, const char *gw, int64_t now_ms);

/* site_owner_touch() - @zone exists (an alert or a node is in it); -ENOSPC beyond
 * SITE_OWNER_ZONES. Return: its index. */
int site_owner_touch(struct site_owner *o, const char *zone);

/* site_owner_want_claim() - zone @i has no live holder and we have not claimed it within the
 * last second: claim it now (the call notes the claim). */
bool site_owner_want_claim(struct site_owner *o, unsigned i, int64_t now_ms);

/* site_owner_mine() - we hold zone @zone, settled, and we are alive; or @alone (cut off from
 * the broker for takeover_s: every zone is ours until the broker returns). */
bool site_owner_mine(const struct site_owner *o, const char *zone, int64_t now_ms, bool alone);

/* The zones known, by index 0 .. site_owner_zone_count() - 1. */
unsigned site_owner_zone_count(const struct site_owner *o);
const char *site_owner_zone(const struct site_owner *o, unsigned i);

/* site_owner_gained() - zone @i is ours now (site_owner_mine()) and was not at the previous
 * call for it: its alerts are to be taken over. */
bool site_owner_gained(struct site_owner *o, unsigned i, int64_t now_ms, bool alone);

/* site_owner_held() - site_owner_gained() has seen @zone become ours and it still is. */
bool site_owner_held(const struct site_owner *o, const char *zone, int64_t now_ms, bool alone);

/* site_owner_holder() - who holds @zone ("" = nobody). */
const char *site_owner_holder(const struct site_owner *o, const char *zone);

#endif
