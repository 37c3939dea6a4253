/* vend.c — the sale. */
#include "vend.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "credit.h"
#include "digest.h"
#include "drvproxy.h"
#include "masterdata.h"
#include "money.h"
#include "services.h"
#include "typeindex.h"

#define RECEIPT_COUNTER "receipt.seq"
#define RECEIPT_HEAD "receipt.head"
#define SALE_RETRIES 3

void receipt_hash(const struct rec_receipt *r, uint8_t out[32])
{
    struct rec_receipt tmp = *r;
    uint8_t buf[REC_BUF_MAX];
    memset(tmp.hash, 0, sizeof tmp.hash);
    tmp.reprints = 0; /* reprints change later; the sale itself does not */
    size_t n = rec_encode(&rec_receipt_layout, &tmp, buf, sizeof buf);
    digest_sha256(buf, n, out);
}

uv_status vend_result_wellformed(struct uv_ctx *ctx, const struct uv_loaded *d,
                                 const struct uv_issue_result *res)
{
    if (res->n_tokens > UV_TOKENS_MAX || res->n_tokens > REC_TOKENS ||
        res->state_len > UV_STATE_MAX || res->state_len > REC_STATE_MAX)
        return uv_fail(&ctx->err, UVS_DRIVER, "%s returned a malformed result (%u tokens)",
                       d->info.name, res->n_tokens);
    for (unsigned i = 0; i < res->n_tokens; i++)
        if (memchr(res->tokens[i], '\0', sizeof res->tokens[i]) == NULL ||
            res->tokens[i][0] == '\0' || strlen(res->tokens[i]) >= REC_TOKEN_MAX)
            return uv_fail(&ctx->err, UVS_DRIVER, "%s returned a malformed token", d->info.name);
    if (memchr(res->token_id, '\0', sizeof res->token_id) == NULL)
        return uv_fail(&ctx->err, UVS_DRIVER, "%s returned a malformed token id", d->info.name);
    return UVS_OK;
}

/* What the driver handed back must be well formed before we trust it. */
static uv_status check_issue(struct uv_ctx *ctx, struct uv_loaded *d,
                             const struct uv_credit_request *req, struct uv_issue_result *res)
{
    uv_status st = vend_result_wellformed(ctx, d, res);
    if (st != UVS_OK)
        return st;
    /* a medium may round to its own step: up by at most 1 % (STS rounds up,
       in the customer's favour), or down (the sale is then charged for what
       the medium carries) */
    if (res->amount_issued == 0 || res->amount_issued > req->amount + req->amount / 100)
        return uv_fail(&ctx->err, UVS_DRIVER,
                       "%s returned a malformed result (amount %llu of %llu); the sale is refused",
                       d->info.name, (unsigned long long)res->amount_issued,
                       (unsigned long long)req->amount);
    if (res->n_tokens == 0 && !res->medium_written)
        return uv_fail(&ctx->err, UVS_DRIVER, "%s issued neither a token nor a card write",
                       d->info.name);
    return UVS_OK;
}

/* Every token is decoded again and must say exactly what was sold. */
static uv_status check_tokens(struct uv_ctx *ctx, struct uv_loaded *d, const struct uv_meter *view,
                              const struct uv_credit_request *req,
                              const struct uv_issue_result *res)
{
    for (unsigned i = 0; i < res->n_tokens; i++) {
        struct uv_token_info ti;
        memset(&ti, 0, sizeof ti);
        ti.struct_size = sizeof ti;
        int rc = d->desc->decode_token(d->dctx, view, res->tokens[i], &ti);
        if (rc != UV_OK)
            return driver_fail(ctx, d, rc, UVS_DRIVER,
                               "the token just issued does not verify; the sale is refused");
        if (ti.kind != req->kind || ti.amount != res->amount_issued)
            return uv_fail(&ctx->err, UVS_DRIVER,
                           "%s: the token just issued decodes to another amount (%llu, not "
                           "%llu); the sale is refused",
                           d->info.name, (unsigned long long)ti.amount,
                           (unsigned long long)res->amount_issued);
    }
    return UVS_OK;
}

/* The transaction: returns UVS_OK committed, or an error with nothing kept.
   *deadlock is set when the whole sale may be tried again. */
void tariff_from_record(const struct rec_tariff *t, struct tariff_def *d)
{
    memset(d, 0, sizeof *d);
    d->vat_bp = t->vat_bp;
    if (t->n_blocks == 0 || t->n_blocks > TARIFF_BLOCKS) {
        d->n_blocks = 1;
        d->price_milli[0] = t->price_milli;
    } else {
        d->n_blocks = t->n_blocks;
        for (unsigned i = 0; i < t->n_blocks; i++) {
            d->upto_wh[i] = t->block_upto_wh[i];
            d->price_milli[i] = t->block_price_milli[i];
        }
    }
    d->n_levies = t->n_levies <= TARIFF_LEVIES ? t->n_levies : 0;
    for (unsigned i = 0; i < d->n_levies; i++) {
        snprintf(d->levy_name[i], sizeof d->levy_name[i], "%s", t->levy_name[i]);
        d->levy_bp[i] = t->levy_bp[i];
    }
    d->fixed_monthly = t->fixed_monthly;
    d->lifeline_wh = t->lifeline_wh;
}

static uint32_t month_of(int64_t t)
{
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    return (uint32_t)((tm.tm_year + 1900) * 100 + tm.tm_mon + 1);
}

void meter_month(const struct rec_meter *m, int64_t now, struct tariff_month *out)
{
    memset(out, 0, sizeof *out);
    if (m->month == month_of(now)) {
        out->bought_wh = m->month_bought_wh;
        out->fixed_paid = m->month_fixed_paid;
        out->lifeline_given = m->month_lifeline != 0;
    }
}

void meter_month_set(struct rec_meter *m, int64_t now, const struct tariff_month *t)
{
    m->month = month_of(now);
    m->month_bought_wh = t->bought_wh;
    m->month_fixed_paid = t->fixed_paid;
    m->month_lifeline = (uint32_t)t->lifeline_given;
}

static void debt_of(const struct rec_customer *c, struct tariff_debt *d)
{
    d->debt = c->debt;
    d->recover_bp = c->debt_recover_bp;
    d->recover_fixed = c->debt_recover_fixed;
}

static enum rounding cfg_rounding(const struct uv_ctx *ctx)
{
    return (enum rounding)ctx->cfg.rounding;
}

/* What makes a sale a card sale (src/cardsale.c): the receipt names the
   card, its number must be the sequence the pending-write record promised,
   the driver must confirm the card write, and the pending-write record goes
   in the receipt's transaction. A draft computes the receipt only: the card
   is not written and nothing is kept. */
struct sale_card {
    const char *serial;
    uint64_t number; /* the receipt number the sale must get; 0: any */
    int draft;
    int touched;     /* out: the driver ran its write: the card may hold it */
};

/* The head of the receipt chain, this receipt's hash, the receipt and the
   new head, inside txn. */
uv_status vend_store_receipt(struct uv_ctx *ctx, DB_TXN *txn, struct rec_receipt *r)
{
    size_t hl = 0;
    uint8_t key[8];
    uv_status st = store_meta_get(&ctx->store, txn, RECEIPT_HEAD, r->prev_hash,
                                  sizeof r->prev_hash, &hl, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        st = UVS_OK;
    if (st != UVS_OK)
        return st;
    receipt_hash(r, r->hash);
    rec_u64_key(r->number, key);
    st = store_put_rec(&ctx->store, txn, UV_DB_RECEIPTS, key, 8, &rec_receipt_layout, r, 1,
                       &ctx->err);
    if (st == UVS_OK)
        st = store_meta_put(&ctx->store, txn, RECEIPT_HEAD, r->hash, 32, &ctx->err);
    return st;
}

static uv_status sale_txn(struct uv_ctx *ctx, struct uv_loaded *d, const struct rec_typeidx *e,
                          const char *meter_number, int64_t tendered,
                          const struct rec_tariff *t, struct rec_receipt *r, int *retry,
                          struct sale_card *card)
{
    DB_TXN *txn;
    struct rec_meter m;
    struct uv_param_set ps;
    struct uv_meter view;
    struct uv_issue_result res;
    struct uv_credit_request req;
    struct rec_credit credit;
    *retry = 0;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    struct rec_customer cust;
    struct tariff_def td;
    struct tariff_month month;
    struct tariff_debt debt;
    struct tariff_sale sale;
    int64_t now = clock_now(ctx);
    /* the clock against the floor, in this transaction: the floor it reads
       is the one this sale raises */
    st = clock_guard(ctx, txn, now);
    /* the meter and its customer, locked for update: the month's purchases
       and the debt must not move under us */
    if (st == UVS_OK)
        st = meter_get(ctx, txn, meter_number, &m, 1);
    if (st == UVS_OK)
        st = store_get_rec(&ctx->store, txn, UV_DB_CUSTOMERS, m.customer, strlen(m.customer),
                           &rec_customer_layout, &cust, 1, &ctx->err);
    if (st == UVS_OK) {
        tariff_from_record(t, &td);
        meter_month(&m, now, &month);
        debt_of(&cust, &debt);
        st = tariff_apply(&td, &month, &debt, tendered, cfg_rounding(ctx), &sale, &ctx->err);
    }
    if (st == UVS_OK)
        st = meter_view(ctx, &m, &ps, &view);
    if (st == UVS_OK)
        st = store_counter_next(&ctx->store, txn, RECEIPT_COUNTER, &r->number, &ctx->err);
    if (st != UVS_OK)
        goto out;

    if (card && card->number && r->number != card->number) {
        st = uv_fail(&ctx->err, UVS_STORE,
                     "receipt %llu was expected for the card write, the counter gives %llu; "
                     "nothing was written to the card",
                     (unsigned long long)card->number, (unsigned long long)r->number);
        goto out;
    }

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.kind = UV_CREDIT_ELECTRICITY;
    req.amount = sale.energy_wh + sale.lifeline_wh;
    req.sequence = r->number;
    /* the vending credit, locked for update: refused here, before the
       driver issues anything, when the sale does not fit */
    if ((st = credit_get(ctx, txn, &credit, 1)) != UVS_OK ||
        (st = credit_check(ctx, &credit, now, sale.total, req.amount)) != UVS_OK)
        goto out;
    memset(&res, 0, sizeof res);
    res.struct_size = sizeof res;
    int rc = UV_OK;
    if (card && card->draft) {
        res.amount_issued = req.amount; /* what the card is asked to carry */
        res.medium_written = 1;
    } else {
        rc = d->desc->issue_credit(d->dctx, &view, &req, &res);
        if (card)
            /* a driver host stopped in the middle may have written the card */
            card->touched = rc == UV_OK || rc == UV_E_MEDIUM_ABSENT || rc == UV_E_MEDIUM_IO ||
                            rc == DRVPROXY_E_STOPPED;
    }
    if (rc != UV_OK) {
        int io = rc == UV_E_MEDIUM_ABSENT || rc == UV_E_MEDIUM_IO;
        int refused = rc == UV_E_VERIFY || rc == UV_E_CARD_UNKNOWN || rc == UV_E_CARD_AUTH ||
                      rc == UV_E_REPLAY || rc == UV_E_CARD_LOCKED;
        st = driver_fail(ctx, d, rc,
                         rc == UV_E_AMOUNT_RANGE ? UVS_INPUT
                         : io                    ? UVS_IO
                         : refused               ? UVS_REFUSED
                                                 : UVS_DRIVER,
                         !card ? "credit not issued; nothing was sold"
                         : io || rc == DRVPROXY_E_STOPPED ? "the card write was not confirmed"
                               : "the card was not written");
        goto out;
    }
    if ((st = check_issue(ctx, d, &req, &res)) != UVS_OK ||
        (st = check_tokens(ctx, d, &view, &req, &res)) != UVS_OK)
        goto out;
    if (card && (!res.medium_written || res.n_tokens)) {
        st = uv_fail(&ctx->err, UVS_DRIVER, "%s did not confirm the card write", d->info.name);
        goto out;
    }
    if (res.amount_issued < req.amount) {
        /* the medium carries less than was priced: charge for what it carries */
        uint64_t bought = res.amount_issued > sale.lifeline_wh ? res.amount_issued - sale.lifeline_wh : 0;
        if (bought == 0) {
            st = uv_fail(&ctx->err, UVS_INPUT,
                         "%s carries energy in steps larger than this amount buys; sell more",
                         d->info.name);
            goto out;
        }
        if ((st = tariff_reprice(&td, &month, &debt, tendered, bought, cfg_rounding(ctx), &sale,
                                 &ctx->err)) != UVS_OK)
            goto out;
    }

    r->time = now;
    snprintf(r->kiosk, sizeof r->kiosk, "%s", ctx->cfg.kiosk_id);
    snprintf(r->clerk, sizeof r->clerk, "%s", ctx->actor);
    snprintf(r->meter, sizeof r->meter, "%s", m.number);
    snprintf(r->customer, sizeof r->customer, "%s", m.customer);
    snprintf(r->type_code, sizeof r->type_code, "%s", m.type_code);
    snprintf(r->driver, sizeof r->driver, "%s", e->driver);
    snprintf(r->driver_version, sizeof r->driver_version, "%s", e->version);
    snprintf(r->tariff, sizeof r->tariff, "%s", t->id);
    snprintf(r->currency, sizeof r->currency, "%s", ctx->cfg.currency);
    r->tendered = sale.tendered;
    r->change = sale.change;
    r->gross = sale.total;
    r->vat = sale.vat;
    r->debt_recovered = sale.debt_recovered;
    r->fixed_charge = sale.fixed_charge;
    r->energy_cost = sale.energy_cost;
    r->levies = sale.levies;
    r->net = sale.energy_cost + sale.levies + sale.fixed_charge;
    for (unsigned i = 0; i < td.n_levies; i++) {
        r->levy[i] = sale.levy[i];
        snprintf(r->levy_name[i], sizeof r->levy_name[i], "%s", td.levy_name[i]);
    }
    r->n_blocks = sale.n_blocks;
    for (unsigned i = 0; i < sale.n_blocks; i++) {
        r->block_wh[i] = sale.block_wh[i];
        r->block_price_milli[i] = sale.block_price_milli[i];
        r->block_cost[i] = sale.block_cost[i];
    }
    r->lifeline_wh = sale.lifeline_wh;
    r->price_milli = t->price_milli;
    r->vat_bp = t->vat_bp;
    r->credit_kind = req.kind;
    r->energy_wh_requested = req.amount;
    r->energy_wh = res.amount_issued;
    snprintf(r->token_id, sizeof r->token_id, "%s", res.token_id);
    r->n_tokens = res.n_tokens;
    for (unsigned i = 0; i < res.n_tokens; i++)
        snprintf(r->tokens[i], sizeof r->tokens[i], "%s", res.tokens[i]);
    /* what the receipt says is what the credit pays for: a medium may carry
       a little more than asked (STS rounds up) */
    if ((st = credit_check(ctx, &credit, now, r->gross, r->energy_wh)) != UVS_OK)
        goto out;
    if (card)
        snprintf(r->card_serial, sizeof r->card_serial, "%s", card->serial);
    if (card && card->draft) {
        st = UVS_OK;
        store_abort(txn); /* the receipt as it would be; nothing kept */
        explicit_bzero(&res, sizeof res);
        return st;
    }

    st = vend_store_receipt(ctx, txn, r);
    if (st == UVS_OK && card)
        st = store_del(&ctx->store, txn, UV_DB_PENDING, m.number, strlen(m.number), &ctx->err);
    if (st == UVS_OK) {
        memcpy(m.state, res.state, res.state_len);
        m.state_len = (uint32_t)res.state_len;
        m.sales_count++;
        m.last_sale_at = r->time;
        m.last_receipt = r->number;
        meter_month_set(&m, now, &sale.after);
        st = store_put_rec(&ctx->store, txn, UV_DB_METERS, m.number, strlen(m.number),
                           &rec_meter_layout, &m, 0, &ctx->err);
    }
    if (st == UVS_OK)
        st = clock_raise_floor(ctx, txn, now);
    if (st == UVS_OK)
        st = credit_consume(ctx, txn, &credit, r->gross, r->energy_wh);
    if (st == UVS_OK && sale.debt_recovered) {
        cust.debt -= sale.debt_recovered;
        st = store_put_rec(&ctx->store, txn, UV_DB_CUSTOMERS, cust.id, strlen(cust.id),
                           &rec_customer_layout, &cust, 0, &ctx->err);
    }
    if (st == UVS_OK) {
        char amt[32], kwh[32];
        money_format(r->gross, ctx->cfg.currency_decimals, amt, sizeof amt);
        energy_format(r->energy_wh, kwh, sizeof kwh);
        st = audit_append(ctx, txn, "sale", m.number, "receipt %llu %s %s %s kWh tid %s%s%s",
                          (unsigned long long)r->number, amt, r->currency, kwh, r->token_id,
                          card ? " card " : "", card ? card->serial : "");
    }
out:
    explicit_bzero(&res, sizeof res);
    if (st != UVS_OK) {
        *retry = strstr(ctx->err.message, "deadlock") != NULL;
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

/* A card-only driver: its meters are sold on their cards, never by number. */
static int card_only(const struct uv_loaded *d)
{
    return (d->info.media & UV_MEDIUM_VIRTUAL) == 0;
}

uv_status vend_lookup(struct uv_ctx *ctx, const char *meter_number, struct uv_quote *q)
{
    struct uv_loaded *d;
    struct uv_param_set ps;
    struct uv_meter view;
    struct uv_medium_info info;
    uv_status st;
    memset(q, 0, sizeof *q);
    if ((st = meter_get(ctx, NULL, meter_number, &q->meter, 0)) != UVS_OK)
        return st;
    /* no sale or token on a clock behind the floor or jumped far ahead */
    if ((st = clock_guard_audited(ctx)) != UVS_OK)
        return st;
    /* keys first: a locked key store is a kiosk problem, not a meter's */
    if ((st = services_unlock_keys(ctx)) != UVS_OK)
        return st;
    if ((st = typeindex_match(ctx, q->meter.type_code, &d, &q->driver)) != UVS_OK)
        return st;
    if (card_only(d))
        return uv_fail(&ctx->err, UVS_INPUT,
                       "meter %s (%s) is sold on its card: insert the card and sell with "
                       "--card (on the kiosk screen: F3)",
                       q->meter.number, q->meter.type_code);
    if ((st = meter_view(ctx, &q->meter, &ps, &view)) != UVS_OK)
        return st;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    int rc = d->desc->verify(d->dctx, &view, &info);
    if (rc != UV_OK) {
        st = driver_fail(ctx, d, rc, UVS_REFUSED, "security verification failed; sale refused");
        audit_append(ctx, NULL, "sale.refused", q->meter.number, "%s", ctx->err.message);
        return st;
    }
    info.summary[sizeof info.summary - 1] = '\0';
    snprintf(q->verify_summary, sizeof q->verify_summary, "%s", info.summary);
    if ((st = customer_get(ctx, NULL, q->meter.customer, &q->customer)) != UVS_OK)
        return st;
    return tariff_get(ctx, NULL, q->meter.tariff, &q->tariff);
}

/* The amount tendered, within the kiosk's sale limits. */
static uv_status amount_of(struct uv_ctx *ctx, const char *amount_text, int64_t *gross)
{
    char lim[32];
    uv_status st = money_parse(amount_text, ctx->cfg.currency_decimals, gross, &ctx->err);
    if (st != UVS_OK)
        return st;
    if (*gross < ctx->cfg.min_sale) {
        money_format(ctx->cfg.min_sale, ctx->cfg.currency_decimals, lim, sizeof lim);
        return uv_fail(&ctx->err, UVS_INPUT, "amount is below the minimum sale of %s %s", lim,
                       ctx->cfg.currency);
    }
    if (*gross > ctx->cfg.max_sale) {
        money_format(ctx->cfg.max_sale, ctx->cfg.currency_decimals, lim, sizeof lim);
        return uv_fail(&ctx->err, UVS_INPUT, "amount is above the maximum sale of %s %s", lim,
                       ctx->cfg.currency);
    }
    return UVS_OK;
}

/* The vending credit now: none granted (where required), used up or
   expired is said whatever the amount. */
static uv_status credit_now(struct uv_ctx *ctx, struct rec_credit *credit)
{
    uv_status st = credit_get(ctx, NULL, credit, 0);
    return st == UVS_OK ? credit_check(ctx, credit, clock_now(ctx), 0, 0) : st;
}

uv_status vend_price(struct uv_ctx *ctx, struct uv_quote *q, const char *amount_text)
{
    int64_t gross;
    struct rec_credit credit;
    uv_status st = credit_now(ctx, &credit);
    if (st == UVS_OK)
        st = amount_of(ctx, amount_text, &gross);
    if (st != UVS_OK)
        return st;
    struct tariff_def td;
    struct tariff_month month;
    struct tariff_debt debt;
    tariff_from_record(&q->tariff, &td);
    meter_month(&q->meter, clock_now(ctx), &month);
    debt_of(&q->customer, &debt);
    q->tendered = gross;
    st = tariff_apply(&td, &month, &debt, gross, cfg_rounding(ctx), &q->sale, &ctx->err);
    if (st == UVS_OK)
        st = credit_check(ctx, &credit, clock_now(ctx), q->sale.total,
                          q->sale.energy_wh + q->sale.lifeline_wh);
    return st;
}

uv_status vend_quote(struct uv_ctx *ctx, const char *meter_number, const char *amount_text,
                     struct uv_quote *q)
{
    int64_t gross;
    struct rec_credit credit;
    memset(q, 0, sizeof *q);
    uv_status st = credit_now(ctx, &credit);
    if (st == UVS_OK)
        st = amount_of(ctx, amount_text, &gross); /* before the meter's checks */
    if (st == UVS_OK)
        st = vend_lookup(ctx, meter_number, q);
    return st == UVS_OK ? vend_price(ctx, q, amount_text) : st;
}

uv_status vend_sell(struct uv_ctx *ctx, const char *meter_number, const char *amount_text,
                    struct rec_receipt *out)
{
    struct uv_quote q;
    struct uv_loaded *d;
    memset(out, 0, sizeof *out);
    uv_status st = vend_quote(ctx, meter_number, amount_text, &q);
    if (st != UVS_OK)
        return st;
    /* the driver is loaded and cached by the lookup */
    if ((st = typeindex_match(ctx, q.meter.type_code, &d, &q.driver)) != UVS_OK)
        return st;
    int retry = 0;
    for (int attempt = 0; attempt < SALE_RETRIES; attempt++) {
        memset(out, 0, sizeof *out);
        st = sale_txn(ctx, d, &q.driver, meter_number, q.tendered, &q.tariff, out, &retry, NULL);
        if (st == UVS_OK || !retry)
            break;
    }
    if (st != UVS_OK) {
        memset(out, 0, sizeof *out);
        if (store_disk_full(&ctx->store))
            return uv_fail(&ctx->err, UVS_STORE, VEND_DISK_FULL);
        if (st == UVS_DRIVER || st == UVS_REFUSED)
            audit_append(ctx, NULL, "sale.refused", meter_number, "%s", ctx->err.message);
    }
    return st;
}

uv_status vend_card_txn(struct uv_ctx *ctx, struct uv_loaded *d, const struct uv_quote *q,
                        const char *serial, int draft, uint64_t number, struct rec_receipt *out,
                        int *touched)
{
    struct sale_card card = {.serial = serial, .number = number, .draft = draft};
    int retry = 0;
    uv_status st = UVS_OK;
    for (int attempt = 0; attempt < SALE_RETRIES && !card.touched; attempt++) {
        memset(out, 0, sizeof *out);
        st = sale_txn(ctx, d, &q->driver, q->meter.number, q->tendered, &q->tariff, out, &retry,
                      &card);
        if (st == UVS_OK || !retry)
            break;
    }
    *touched = card.touched;
    return st;
}

uv_status token_decode(struct uv_ctx *ctx, const char *meter_number, const char *token,
                       struct uv_token_info *ti)
{
    struct rec_meter m;
    struct rec_typeidx e;
    struct uv_loaded *d;
    struct uv_param_set ps;
    struct uv_meter view;
    uv_status st = meter_get(ctx, NULL, meter_number, &m, 0);
    if (st == UVS_OK)
        st = services_unlock_keys(ctx);
    if (st == UVS_OK)
        st = typeindex_match(ctx, m.type_code, &d, &e);
    if (st == UVS_OK)
        st = meter_view(ctx, &m, &ps, &view);
    if (st != UVS_OK)
        return st;
    if (d->desc->decode_token == NULL)
        return uv_fail(&ctx->err, UVS_INPUT, "meter type %s has no tokens", m.type_code);
    memset(ti, 0, sizeof *ti);
    ti->struct_size = sizeof *ti;
    int rc = d->desc->decode_token(d->dctx, &view, token, ti);
    if (rc != UV_OK)
        return driver_fail(ctx, d, rc, rc == UV_E_TOKEN_FORMAT ? UVS_INPUT : UVS_REFUSED,
                           "token rejected");
    ti->description[sizeof ti->description - 1] = '\0';
    return UVS_OK;
}
