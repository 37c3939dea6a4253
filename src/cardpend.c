/* cardpend.c — card writes whose outcome is not known yet, and meter reports. */
#include "card.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clerks.h"
#include "clock.h"
#include "credit.h"
#include "masterdata.h"
#include "money.h"

static uv_status pending_get(struct uv_ctx *ctx, DB_TXN *txn, const char *meter,
                             struct rec_receipt *r, int rmw)
{
    return store_get_rec(&ctx->store, txn, UV_DB_PENDING, meter, strlen(meter),
                         &rec_receipt_layout, r, rmw, &ctx->err);
}

uv_status card_pending_put(struct uv_ctx *ctx, const struct rec_receipt *draft)
{
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_put_rec(&ctx->store, txn, UV_DB_PENDING, draft->meter, strlen(draft->meter),
                       &rec_receipt_layout, draft, 1, &ctx->err);
    if (st == UVS_EXISTS)
        st = uv_fail(&ctx->err, UVS_STORE,
                     "meter %s already has a card write waiting to be settled", draft->meter);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err); /* on disk before the card is written */
}

uv_status card_pending_drop(struct uv_ctx *ctx, const char *meter)
{
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_del(&ctx->store, txn, UV_DB_PENDING, meter, strlen(meter), &ctx->err);
    if (st == UVS_NOTFOUND)
        st = UVS_OK;
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

static void when_text(int64_t t, char *out, size_t cap)
{
    time_t tt = (time_t)t;
    struct tm tm;
    strftime(out, cap, "%Y-%m-%d %H:%M UTC", gmtime_r(&tt, &tm));
}

/* The earlier write reached the card: its receipt is recorded now, with the
   next receipt number, as of now, by the clerk settling it (who takes the
   money that was kept aside). */
static uv_status record_settled(struct uv_ctx *ctx, struct uv_card *c)
{
    DB_TXN *txn;
    struct rec_receipt r;
    struct rec_meter m;
    struct rec_customer cust;
    char orig[32], amt[32], kwh[32];
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    const char *num = c->q.meter.number;
    if ((st = pending_get(ctx, txn, num, &r, 1)) != UVS_OK ||
        (st = meter_get(ctx, txn, num, &m, 1)) != UVS_OK ||
        (st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, m.customer, strlen(m.customer),
                            &rec_customer_layout, &cust, 1, &ctx->err)) != UVS_OK)
        goto fail;
    uint64_t sequence = r.number;
    int64_t now = clock_now(ctx); /* the guarded clock, as every sale */
    when_text(r.time, orig, sizeof orig);
    char orig_clerk[sizeof r.clerk];
    snprintf(orig_clerk, sizeof orig_clerk, "%s", r.clerk);
    if ((st = store_counter_next(&ctx->store, txn, "receipt.seq", &r.number, &ctx->err)) != UVS_OK)
        goto fail;
    r.time = now;
    snprintf(r.clerk, sizeof r.clerk, "%s", ctx->actor);
    snprintf(r.token_id, sizeof r.token_id, "%s", r.card_serial);
    memset(r.prev_hash, 0, sizeof r.prev_hash);
    memset(r.hash, 0, sizeof r.hash);
    if ((st = vend_store_receipt(ctx, txn, &r)) != UVS_OK)
        goto fail;
    /* the meter's month: this purchase counted in it */
    struct tariff_month month;
    meter_month(&m, now, &month);
    month.bought_wh += r.energy_wh > r.lifeline_wh ? r.energy_wh - r.lifeline_wh : 0;
    month.fixed_paid += r.fixed_charge;
    month.lifeline_given |= r.lifeline_wh != 0;
    meter_month_set(&m, now, &month);
    m.sales_count++;
    m.last_sale_at = now;
    m.last_receipt = r.number;
    st = store_put_rec(&ctx->store, txn, UV_DB_METERS, num, strlen(num), &rec_meter_layout, &m, 0,
                       &ctx->err);
    if (st == UVS_OK && r.debt_recovered) {
        cust.debt = cust.debt > r.debt_recovered ? cust.debt - r.debt_recovered : 0;
        st = store_put_rec(&ctx->store, txn, UV_DB_CUSTOMERS, cust.id, strlen(cust.id),
                           &rec_customer_layout, &cust, 0, &ctx->err);
    }
    /* as every sale: the clock floor raised, and the vending credit pays
       for it (the card holds it already: this consumes and never refuses) */
    struct rec_credit credit;
    if (st == UVS_OK)
        st = clock_raise_floor(ctx, txn, now);
    if (st == UVS_OK && (st = credit_get(ctx, txn, &credit, 1)) == UVS_OK)
        st = credit_consume(ctx, txn, &credit, r.gross, r.energy_wh);
    if (st == UVS_OK)
        st = store_del(&ctx->store, txn, UV_DB_PENDING, num, strlen(num), &ctx->err);
    if (st == UVS_OK) {
        money_format(r.gross, ctx->cfg.currency_decimals, amt, sizeof amt);
        energy_format(r.energy_wh, kwh, sizeof kwh);
        st = audit_append(ctx, txn, "sale.card-confirmed", num,
                          "receipt %llu %s %s %s kWh: the card write of %s by %s (sequence %llu) "
                          "reached card %s; recorded now",
                          (unsigned long long)r.number, amt, r.currency, kwh, orig, orig_clerk,
                          (unsigned long long)sequence, r.card_serial);
    }
    if (st != UVS_OK)
        goto fail;
    if ((st = store_commit(&ctx->store, txn, &ctx->err)) != UVS_OK)
        return st;
    c->settled = CARD_SETTLED_SOLD;
    c->settled_receipt = r;
    c->settled_sequence = sequence;
    c->q.meter = m;
    return UVS_OK;
fail:
    store_abort(txn);
    return st;
}

/* It did not: nothing was sold then. */
static uv_status drop_settled(struct uv_ctx *ctx, struct uv_card *c, const struct rec_receipt *p)
{
    DB_TXN *txn;
    char orig[32], amt[32];
    const char *num = c->q.meter.number;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    when_text(p->time, orig, sizeof orig);
    money_format(p->gross, ctx->cfg.currency_decimals, amt, sizeof amt);
    st = store_del(&ctx->store, txn, UV_DB_PENDING, num, strlen(num), &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "sale.card-unsold", num,
                          "the card write of %s by %s (%s %s, sequence %llu) did not reach card "
                          "%s (it holds sequence %llu): nothing was sold",
                          orig, p->clerk, amt, p->currency, (unsigned long long)p->number,
                          p->card_serial, (unsigned long long)c->info.last_sequence);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    if ((st = store_commit(&ctx->store, txn, &ctx->err)) != UVS_OK)
        return st;
    c->settled = CARD_SETTLED_NOTHING;
    c->settled_receipt = *p;
    c->settled_sequence = p->number;
    return UVS_OK;
}

uv_status card_settle(struct uv_ctx *ctx, struct uv_card *c)
{
    struct rec_receipt p;
    const char *num = c->q.meter.number;
    uv_status st = pending_get(ctx, NULL, num, &p, 0);
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st != UVS_OK)
        return st;
    if (strcmp(p.card_serial, c->info.card_serial) != 0) {
        c->verified = 0;
        uv_fail(&ctx->err, UVS_REFUSED,
                "An earlier sale to meter %s was written to card %s and not confirmed: insert "
                "that card first to settle it (if it is lost, a supervisor clears it with "
                "univend card pending clear %s)",
                num, p.card_serial, num);
        audit_append(ctx, NULL, "card.refused", num, "%s card %s", ctx->err.message,
                     c->info.card_serial);
        return UVS_REFUSED;
    }
    if (c->info.last_sequence == p.number)
        return record_settled(ctx, c);
    return drop_settled(ctx, c, &p);
}

static int pending_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    void **a = arg;
    struct uv_ctx *ctx = a[0];
    FILE *out = a[1];
    struct rec_receipt r;
    char when[32], amt[32];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0) {
        fprintf(out, "(damaged pending card write)\n");
        return 0;
    }
    when_text(r.time, when, sizeof when);
    money_format(r.gross, ctx->cfg.currency_decimals, amt, sizeof amt);
    fprintf(out, "%-14s card %-16s %s %10s %s clerk %s sequence %llu\n", r.meter, r.card_serial,
            when, amt, r.currency, r.clerk, (unsigned long long)r.number);
    return 0;
}

uv_status card_pending_list(struct uv_ctx *ctx, FILE *out)
{
    void *a[2] = {ctx, out};
    fprintf(out, "card writes not settled yet (put the card back in to settle one):\n");
    return store_iterate(&ctx->store, NULL, UV_DB_PENDING, NULL, 0, 0, pending_line, a, &ctx->err);
}

uv_status card_pending_clear(struct uv_ctx *ctx, const char *meter, const char *reason)
{
    if (clerk_require_supervisor(ctx, "clear pending card writes") != UVS_OK)
        return ctx->err.status;
    if (reason == NULL || strlen(reason) < 3)
        return uv_fail(&ctx->err, UVS_INPUT, "say why (--reason TEXT)");
    DB_TXN *txn;
    struct rec_receipt p;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = pending_get(ctx, txn, meter, &p, 1);
    if (st == UVS_NOTFOUND)
        st = uv_fail(&ctx->err, UVS_NOTFOUND, "meter %s has no card write waiting", meter);
    if (st == UVS_OK)
        st = store_del(&ctx->store, txn, UV_DB_PENDING, meter, strlen(meter), &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "card.pending-cleared", meter,
                          "card %s sequence %llu: %s", p.card_serial,
                          (unsigned long long)p.number, reason);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status card_store_report(struct uv_ctx *ctx, struct uv_card *c)
{
    const struct uv_medium_info *i = &c->info;
    if (!(i->flags & UV_INFO_METER_DATA))
        return UVS_OK;
    DB_TXN *txn;
    struct rec_meter m;
    const char *num = c->q.meter.number;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    if ((st = meter_get(ctx, txn, num, &m, 1)) != UVS_OK)
        goto fail;
    if (m.report_at && m.report_remaining == i->meter_remaining &&
        m.report_tamper == i->meter_tamper && m.report_kind == i->pending_kind) {
        store_abort(txn); /* the same report again */
        return UVS_OK;
    }
    uint32_t old_tamper = m.report_tamper;
    m.report_at = clock_now(ctx);
    m.report_remaining = i->meter_remaining;
    m.report_kind = i->pending_kind;
    m.report_tamper = i->meter_tamper;
    char rem[32];
    energy_format(i->meter_remaining, rem, sizeof rem);
    st = store_put_rec(&ctx->store, txn, UV_DB_METERS, num, strlen(num), &rec_meter_layout, &m, 0,
                       &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "meter.report", num, "card %s: %s%s remaining, tamper 0x%X",
                          i->card_serial, rem, i->pending_kind == UV_CREDIT_ELECTRICITY ? " kWh" : "",
                          i->meter_tamper);
    if (st == UVS_OK && i->meter_tamper && i->meter_tamper != old_tamper)
        st = audit_append(ctx, txn, "meter.tamper", num, "tamper bits 0x%X reported by card %s: %s",
                          i->meter_tamper, i->card_serial, i->summary);
    if (st != UVS_OK)
        goto fail;
    if ((st = store_commit(&ctx->store, txn, &ctx->err)) != UVS_OK)
        return st;
    c->q.meter = m;
    c->report_new = 1;
    return UVS_OK;
fail:
    store_abort(txn);
    return st;
}
