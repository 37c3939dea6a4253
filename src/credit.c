/* credit.c — the vending credit: grants, the check before a sale, consumption. */
#include "credit.h"

#include <string.h>

#include "audit.h"
#include "clerks.h"
#include "clock.h"
#include "masterdata.h"
#include "money.h"

#define META_CREDIT "credit"
#define META_GRANT_PREFIX "credit.grant:"
#define CREDIT_MAX ((int64_t)1 << 52) /* far beyond any float, far from overflow */

uv_status credit_get(struct uv_ctx *ctx, DB_TXN *txn, struct rec_credit *c, int rmw)
{
    uint8_t buf[REC_BUF_MAX];
    size_t len = 0;
    memset(c, 0, sizeof *c);
    uv_status st = store_meta_get(&ctx->store, txn, META_CREDIT, buf, sizeof buf, &len, rmw,
                                  &ctx->err);
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st != UVS_OK)
        return st;
    if (rec_decode(&rec_credit_layout, buf, len, c) != 0)
        return uv_fail(&ctx->err, UVS_STORE,
                       "the vending credit record is damaged; run 'univend store verify'");
    return UVS_OK;
}

static uv_status credit_put(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_credit *c)
{
    uint8_t buf[REC_BUF_MAX];
    size_t len = rec_encode(&rec_credit_layout, c, buf, sizeof buf);
    if (len == 0)
        return uv_fail(&ctx->err, UVS_FAILED, "the vending credit record does not encode");
    return store_meta_put(&ctx->store, txn, META_CREDIT, buf, len, &ctx->err);
}

void credit_status_of(const struct uv_ctx *ctx, const struct rec_credit *c, int64_t now,
                      struct credit_status *s)
{
    memset(s, 0, sizeof *s);
    s->rec = *c;
    s->now = now;
    s->active = c->grants > 0;
    if (!s->active) {
        s->may_sell = !ctx->cfg.credit_required;
        return;
    }
    s->money_limited = c->money_granted > 0;
    s->energy_limited = c->energy_granted_wh > 0;
    s->money_left = c->money_granted - c->money_used;
    s->energy_left_wh = c->energy_granted_wh >= c->energy_used_wh
                            ? c->energy_granted_wh - c->energy_used_wh
                            : 0;
    s->expired = now >= c->expires;
    s->used_up = (s->money_limited && s->money_left <= 0) ||
                 (s->energy_limited && s->energy_left_wh == 0);
    s->may_sell = !s->expired && !s->used_up;
    s->warn = s->may_sell &&
              ((s->money_limited && s->money_left <= c->warn_money) ||
               (s->energy_limited && s->energy_left_wh <= c->warn_wh) ||
               c->expires - now <= CREDIT_EXPIRY_WARN_S);
}

uv_status credit_status(struct uv_ctx *ctx, struct credit_status *out)
{
    struct rec_credit c;
    uv_status st = credit_get(ctx, NULL, &c, 0);
    if (st == UVS_OK)
        credit_status_of(ctx, &c, clock_now(ctx), out);
    return st;
}

static void money_text(const struct uv_ctx *ctx, int64_t v, char *buf, size_t cap)
{
    char a[32];
    money_format(v, ctx->cfg.currency_decimals, a, sizeof a);
    snprintf(buf, cap, "%s %s", a, ctx->cfg.currency);
}

static void energy_text(uint64_t wh, char *buf, size_t cap)
{
    char a[32];
    energy_format(wh, a, sizeof a);
    snprintf(buf, cap, "%s kWh", a);
}

void credit_summary(const struct uv_ctx *ctx, const struct credit_status *s, char *buf,
                    size_t cap)
{
    char m[48] = "", e[48] = "", until[40];
    if (!s->active) {
        snprintf(buf, cap, "%s", ctx->cfg.credit_required
                                     ? "none granted: this kiosk cannot sell"
                                     : "none granted (not required here)");
        return;
    }
    if (s->money_limited)
        money_text(ctx, s->money_left, m, sizeof m);
    if (s->energy_limited)
        energy_text(s->energy_left_wh, e, sizeof e);
    clock_format(s->rec.expires, until, sizeof until);
    snprintf(buf, cap, "%s%s%s left, %s %s", m, m[0] && e[0] ? " and " : "", e,
             s->expired ? "expired" : "until", until);
}

int credit_warning(const struct uv_ctx *ctx, const struct credit_status *s, char *buf,
                   size_t cap)
{
    char sum[160];
    buf[0] = '\0';
    if (s->may_sell && !s->warn)
        return 0;
    credit_summary(ctx, s, sum, sizeof sum);
    if (!s->active)
        snprintf(buf, cap, "No vending credit: head office must send credit before this kiosk "
                           "can sell");
    else if (s->expired)
        snprintf(buf, cap, "Vending credit expired (%s): head office must send new credit", sum);
    else if (s->used_up)
        snprintf(buf, cap, "Vending credit used up (%s): head office must send new credit", sum);
    else
        snprintf(buf, cap, "Vending credit low: %s; ask head office for more", sum);
    return 1;
}

uv_status credit_check(struct uv_ctx *ctx, const struct rec_credit *c, int64_t now,
                       int64_t gross, uint64_t wh)
{
    struct credit_status s;
    char a[48], b[48], sum[160];
    credit_status_of(ctx, c, now, &s);
    if (!s.active)
        return s.may_sell ? UVS_OK
                          : uv_fail(&ctx->err, UVS_REFUSED,
                                    "no vending credit: head office has not granted this kiosk "
                                    "any; it cannot sell until an instruction file brings credit");
    if (!s.may_sell) {
        credit_summary(ctx, &s, sum, sizeof sum);
        return uv_fail(&ctx->err, UVS_REFUSED, "Vending credit %s (%s): head office must send new "
                                               "credit",
                       s.expired ? "expired" : "used up", sum);
    }
    if (s.money_limited && gross > s.money_left) {
        money_text(ctx, gross, a, sizeof a);
        money_text(ctx, s.money_left, b, sizeof b);
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "this sale (%s) is more than the vending credit left (%s): sell at most "
                       "%s, or head office must send new credit",
                       a, b, b);
    }
    if (s.energy_limited && wh > s.energy_left_wh) {
        energy_text(wh, a, sizeof a);
        energy_text(s.energy_left_wh, b, sizeof b);
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "this sale (%s) is more than the energy credit left (%s): sell less, or "
                       "head office must send new credit",
                       a, b);
    }
    return UVS_OK;
}

uv_status credit_consume(struct uv_ctx *ctx, DB_TXN *txn, struct rec_credit *c, int64_t gross,
                         uint64_t wh)
{
    if (c->grants == 0)
        return UVS_OK;
    c->money_used += gross;
    c->energy_used_wh += wh;
    return credit_put(ctx, txn, c);
}

static size_t grant_key(const char *id, char *out, size_t cap)
{
    return (size_t)snprintf(out, cap, "%s%s", META_GRANT_PREFIX, id);
}

uv_status credit_grant(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_credit_grant *g)
{
    struct rec_credit c;
    struct rec_credit_grant seen, rec = *g;
    char key[64], a[48], b[48], until[40], sum[160];
    uint8_t buf[REC_BUF_MAX];
    size_t len = 0;
    if (!md_id_valid(g->id))
        return uv_fail(&ctx->err, UVS_INPUT,
                       "a credit grant needs an id of 1-31 of A-Z a-z 0-9 . _ - (got '%s')",
                       g->id);
    if (g->money < 0 || g->money > CREDIT_MAX || g->energy_wh > (uint64_t)CREDIT_MAX ||
        g->warn_money < 0 || g->warn_money > CREDIT_MAX || g->warn_wh > (uint64_t)CREDIT_MAX)
        return uv_fail(&ctx->err, UVS_INPUT, "credit grant %s: amounts must be 0 or more", g->id);
    if (g->expires <= 0)
        return uv_fail(&ctx->err, UVS_INPUT, "credit grant %s has no expiry", g->id);
    grant_key(g->id, key, sizeof key);
    uv_status st = store_meta_get(&ctx->store, txn, key, buf, sizeof buf, &len, 1, &ctx->err);
    if (st == UVS_OK) {
        if (rec_decode(&rec_credit_grant_layout, buf, len, &seen) != 0)
            return uv_fail(&ctx->err, UVS_STORE, "credit grant %s on record is damaged", g->id);
        if (seen.money != g->money || seen.energy_wh != g->energy_wh ||
            seen.expires != g->expires || seen.warn_money != g->warn_money ||
            seen.warn_wh != g->warn_wh)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "credit grant %s was already applied with other amounts; head office "
                           "must give a new grant a new id",
                           g->id);
        return audit_append(ctx, txn, "credit.grant.repeat", g->id, "already applied; unchanged");
    }
    if (st != UVS_NOTFOUND)
        return st;
    if ((st = credit_get(ctx, txn, &c, 1)) != UVS_OK)
        return st;
    if (c.grants == 0 && (st = store_counter_peek(&ctx->store, txn, "receipt.seq",
                                                  &c.from_receipt, &ctx->err)) != UVS_OK)
        return st;
    if (c.grants == 0)
        c.from_receipt++; /* the next sale is the first counted */
    if (c.money_granted > CREDIT_MAX - g->money ||
        c.energy_granted_wh > (uint64_t)CREDIT_MAX - g->energy_wh)
        return uv_fail(&ctx->err, UVS_INPUT, "credit grant %s: the total granted is too large",
                       g->id);
    c.grants++;
    c.money_granted += g->money;
    c.energy_granted_wh += g->energy_wh;
    if (c.money_granted == 0 && c.energy_granted_wh == 0)
        return uv_fail(&ctx->err, UVS_INPUT,
                       "credit grant %s grants neither money nor energy, and none was granted "
                       "before",
                       g->id);
    c.expires = g->expires;
    c.warn_money = g->warn_money;
    c.warn_wh = g->warn_wh;
    snprintf(c.last_grant, sizeof c.last_grant, "%s", g->id);
    c.last_grant_at = clock_now(ctx);
    rec.applied_at = c.last_grant_at;
    if ((len = rec_encode(&rec_credit_grant_layout, &rec, buf, sizeof buf)) == 0)
        return uv_fail(&ctx->err, UVS_FAILED, "credit grant %s does not encode", g->id);
    if ((st = store_meta_put(&ctx->store, txn, key, buf, len, &ctx->err)) != UVS_OK ||
        (st = credit_put(ctx, txn, &c)) != UVS_OK)
        return st;
    struct credit_status s;
    credit_status_of(ctx, &c, c.last_grant_at, &s);
    credit_summary(ctx, &s, sum, sizeof sum);
    money_text(ctx, g->money, a, sizeof a);
    energy_text(g->energy_wh, b, sizeof b);
    clock_format(g->expires, until, sizeof until);
    return audit_append(ctx, txn, "credit.grant", g->id, "+%s +%s until %s; now %s", a, b, until,
                        sum);
}

uv_status credit_show(struct uv_ctx *ctx, FILE *out)
{
    struct credit_status s;
    char a[48], b[48], c[48], line[300];
    if (clerk_require_supervisor(ctx, "see the vending credit") != UVS_OK)
        return ctx->err.status;
    uv_status st = credit_status(ctx, &s);
    if (st != UVS_OK)
        return st;
    const struct rec_credit *r = &s.rec;
    fprintf(out, "vending credit of %s\n", ctx->cfg.kiosk_id);
    if (!s.active) {
        fprintf(out, "state     %s\n", ctx->cfg.credit_required
                                           ? "NONE: no grant yet, and credit_required = yes: "
                                             "this kiosk cannot sell"
                                           : "none granted; credit_required = no: sales are "
                                             "not limited");
        return UVS_OK;
    }
    money_text(ctx, s.money_left, a, sizeof a);
    money_text(ctx, r->money_granted, b, sizeof b);
    money_text(ctx, r->warn_money, c, sizeof c);
    if (s.money_limited)
        fprintf(out, "money     %s left of %s granted; warning at %s\n", a, b, c);
    else
        fprintf(out, "money     not limited\n");
    energy_text(s.energy_left_wh, a, sizeof a);
    energy_text(r->energy_granted_wh, b, sizeof b);
    energy_text(r->warn_wh, c, sizeof c);
    if (s.energy_limited)
        fprintf(out, "energy    %s left of %s granted; warning at %s\n", a, b, c);
    else
        fprintf(out, "energy    not limited\n");
    money_text(ctx, r->money_used, a, sizeof a);
    energy_text(r->energy_used_wh, b, sizeof b);
    fprintf(out, "used      %s, %s by the sales from receipt %llu on\n", a, b,
            (unsigned long long)r->from_receipt);
    clock_format(r->expires, a, sizeof a);
    fprintf(out, "expires   %s\n", a);
    clock_format(r->last_grant_at, a, sizeof a);
    fprintf(out, "grants    %llu applied; the last %s on %s\n", (unsigned long long)r->grants,
            r->last_grant, a);
    if (credit_warning(ctx, &s, line, sizeof line))
        fprintf(out, "state     %s\n", line);
    else
        fprintf(out, "state     ok\n");
    return UVS_OK;
}
