/*
 * credit.h — vending credit: the float head office grants an offline kiosk.
 *
 * A kiosk may sell only within the money (minor units) and/or energy (Wh)
 * head office granted, until the last grant's expiry. Credit arrives only
 * through signed instruction files, whose apply transaction calls
 * credit_grant(); each sale consumes it in the same transaction as its
 * receipt (vend.c), so a crash never sells without consuming nor consumes
 * without a sale. Grants add up: remaining = granted - used, for each kind;
 * a kind head office has never granted is not limited. A new grant's expiry
 * and warning levels replace the old ones. A grant carries head office's id
 * and applies once.
 *
 * A kiosk that has never received a grant sells only when univend.conf says
 * credit_required = no (the default for a configuration file without the
 * line, so an existing kiosk keeps selling after an upgrade; `univend init`
 * writes yes). Once any grant is applied the credit always applies.
 */
#ifndef UV_CREDIT_H
#define UV_CREDIT_H

#include "univend.h"

/* The kiosk warns this long before its credit expires. */
#define CREDIT_EXPIRY_WARN_S (2 * 86400)

struct credit_status {
    struct rec_credit rec;
    int active;                /* a grant was ever applied                 */
    int money_limited, energy_limited;
    int64_t money_left;
    uint64_t energy_left_wh;
    int expired;               /* active and past its expiry               */
    int used_up;               /* a limited kind has nothing left          */
    int may_sell;              /* not expired, not used up; or no credit
                                  needed                                   */
    int warn;                  /* at or below a warning level, or expiring
                                  within CREDIT_EXPIRY_WARN_S              */
    int64_t now;
};

/* The stored record (all zero when none), read in txn; rmw locks it. */
uv_status credit_get(struct uv_ctx *ctx, DB_TXN *txn, struct rec_credit *c, int rmw);
/* What a record means at time now. */
void credit_status_of(const struct uv_ctx *ctx, const struct rec_credit *c, int64_t now,
                      struct credit_status *out);
/* credit_get + credit_status_of at the guarded clock's time. */
uv_status credit_status(struct uv_ctx *ctx, struct credit_status *out);

/* Apply one grant inside txn (an instruction file's transaction): added to
   the credit, expiry and warning levels replaced, audited as credit.grant.
   A grant id already applied with the same content changes nothing
   (audited as credit.grant.repeat); with other content it is refused. */
uv_status credit_grant(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_credit_grant *g);

/* May a sale of gross (minor units) carrying wh be made against c at now?
   UVS_OK, or UVS_REFUSED with a message for the clerk. */
uv_status credit_check(struct uv_ctx *ctx, const struct rec_credit *c, int64_t now,
                       int64_t gross, uint64_t wh);
/* Consume a committed-to-be sale inside its transaction (nothing when no
   credit was ever granted). c is the record read with rmw in txn. */
uv_status credit_consume(struct uv_ctx *ctx, DB_TXN *txn, struct rec_credit *c, int64_t gross,
                         uint64_t wh);

/* "120.00 ZAR and 80.0 kWh left, until 2026-12-01 00:00:00 UTC" */
void credit_summary(const struct uv_ctx *ctx, const struct credit_status *s, char *buf,
                    size_t cap);
/* The warning line for the clerk, or 0 (buf "") when there is none. */
int credit_warning(const struct uv_ctx *ctx, const struct credit_status *s, char *buf,
                   size_t cap);
/* Supervisor: everything about the credit (`univend credit`). */
uv_status credit_show(struct uv_ctx *ctx, FILE *out);

#endif
