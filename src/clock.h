/*
 * clock.h — the kiosk's guarded clock.
 *
 * A kiosk has no network time, and STS token ids are made from the time: a
 * clock set back would issue ids the meter refuses, a clock run forward
 * burns ids that cannot be taken back. So:
 *
 *  - Time is read only through clock_now(): the host's clock plus an offset
 *    a supervisor stored (`univend clock set`), since the kiosk may not be
 *    allowed to set the system clock. Receipts, tokens (the drivers' svc->now),
 *    audit records and exports all carry it.
 *  - The store keeps a floor: the latest of the last sale or token, the last
 *    instruction applied and head office's time carried in instruction files.
 *    A clock earlier than the floor (less a tolerance, clock_tolerance_minutes)
 *    refuses every sale and token until a supervisor corrects the time.
 *  - A clock more than clock_jump_days past the last activity (the floor, or
 *    the last time a supervisor confirmed or set the clock) refuses the next
 *    sale until a supervisor confirms the time (audited).
 *
 * The floor never goes down. Every change (set, confirm, floor raised by
 * head office) is audited with the old and new time.
 */
#ifndef UV_CLOCK_H
#define UV_CLOCK_H

#include "univend.h"

enum clock_verdict {
    CLOCK_OK = 0,
    CLOCK_BEHIND = 1, /* earlier than the floor: correct the time          */
    CLOCK_JUMPED = 2  /* far past the last activity: a supervisor confirms */
};

struct clock_state {
    int64_t system;    /* the host's clock                                  */
    int64_t offset;    /* the stored correction                             */
    int64_t now;       /* system + offset: the time the kiosk uses          */
    int64_t floor;     /* no sale or token before this (0: none yet)        */
    int64_t confirmed; /* last time a supervisor set or confirmed the clock */
    int64_t activity;  /* max(floor, confirmed)                             */
    enum clock_verdict verdict;
};

/* The guarded time: the host's clock plus the stored offset. */
int64_t clock_now(const struct uv_ctx *ctx);
/* Read the stored offset into ctx (at open). */
uv_status clock_load(struct uv_ctx *ctx);
/* The state as of clock_now(), read in txn (NULL: its own reads). */
uv_status clock_state(struct uv_ctx *ctx, DB_TXN *txn, struct clock_state *out);
/* UVS_OK when a sale or token may be issued at now; otherwise UVS_REFUSED
   with a message for the clerk (the refusal itself is not audited here). */
uv_status clock_guard(struct uv_ctx *ctx, DB_TXN *txn, int64_t now);
/* clock_guard outside a transaction, the refusal audited as clock.refused. */
uv_status clock_guard_audited(struct uv_ctx *ctx);
/* Raise the floor to t inside txn (nothing when t is not later). The sale,
   engineering tokens and instruction files call it; head office's time
   arrives this way too. */
uv_status clock_raise_floor(struct uv_ctx *ctx, DB_TXN *txn, int64_t t);
/* The same for head office's time carried in an instruction file: raised
   and audited as clock.floor when it moves the floor. */
uv_status clock_raise_floor_hq(struct uv_ctx *ctx, DB_TXN *txn, int64_t hq_time);

/* Supervisor: the kiosk's time is t from now on (offset stored; audited
   with old and new time). Refused when t is before the floor. */
uv_status clock_set(struct uv_ctx *ctx, int64_t t);
/* Supervisor: the clock, far past the last activity, is right (audited). */
uv_status clock_confirm(struct uv_ctx *ctx);
/* The same on behalf of supervisor id with pin, while another clerk stays
   logged in (the kiosk's sale screen). */
uv_status clock_confirm_as(struct uv_ctx *ctx, const char *id, const char *pin);
/* Human-readable state (`univend clock show`). */
uv_status clock_show(struct uv_ctx *ctx, FILE *out);

/* "YYYY-MM-DD HH:MM[:SS]" or with 'T' and an optional 'Z', UTC. 0 ok, -1 not a time. */
int clock_parse(const char *s, int64_t *out);
/* "YYYY-MM-DD HH:MM:SS UTC" */
void clock_format(int64_t t, char *buf, size_t cap);

#endif
