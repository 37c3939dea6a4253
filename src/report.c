/* report.c — shift and day reports, closings. */
#include "report.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "clerks.h"
#include "money.h"

#define META_DAY "close.day"
#define META_SHIFT "close.shift." /* + clerk id */
#define CLOSING_COUNTER "closing.seq"

static void meta_name(const struct uv_report *r, char *buf, size_t cap)
{
    if (r->kind == CLOSING_DAY)
        snprintf(buf, cap, "%s", META_DAY);
    else
        snprintf(buf, cap, "%s%s", META_SHIFT, r->clerk);
}

static uv_status last_closed(struct uv_ctx *ctx, DB_TXN *txn, const char *name, uint64_t *out,
                             int rmw)
{
    uint8_t b[8];
    size_t len = 0;
    uv_status st = store_meta_get(&ctx->store, txn, name, b, sizeof b, &len, rmw, &ctx->err);
    *out = 0;
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st == UVS_OK && len != 8)
        return uv_fail(&ctx->err, UVS_STORE, "closing marker %s is damaged", name);
    if (st == UVS_OK)
        *out = rec_u64_from_key(b);
    return st;
}

static void add(struct uv_totals *t, const struct rec_receipt *rc)
{
    t->count++;
    t->gross += rc->gross;
    t->vat += rc->vat;
    t->net += rc->net;
    t->energy_wh += rc->energy_wh;
}

static void add_row(struct uv_totals *rows, size_t *n, const char *key,
                    const struct rec_receipt *rc)
{
    size_t i;
    for (i = 0; i < *n; i++)
        if (strcmp(rows[i].key, key) == 0)
            break;
    if (i == *n) {
        if (*n == UV_REPORT_ROWS) {
            i = UV_REPORT_ROWS - 1; /* the last row gathers the rest */
            snprintf(rows[i].key, sizeof rows[i].key, "(others)");
        } else {
            memset(&rows[i], 0, sizeof rows[i]);
            snprintf(rows[i].key, sizeof rows[i].key, "%s", key);
            (*n)++;
        }
    }
    add(&rows[i], rc);
}

static int collect(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct uv_report *r = arg;
    struct rec_receipt rc;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &rc) != 0)
        return UVS_STORE;
    if (r->kind == CLOSING_SHIFT && strcmp(rc.clerk, r->clerk) != 0)
        return 0;
    if (r->total.count == 0) {
        r->first_receipt = rc.number;
        r->from = rc.time;
    }
    r->last_receipt = rc.number;
    r->to = rc.time;
    add(&r->total, &rc);
    add_row(r->by_clerk, &r->n_clerk, rc.clerk, &rc);
    add_row(r->by_tariff, &r->n_tariff, rc.tariff, &rc);
    add_row(r->by_driver, &r->n_driver, rc.driver, &rc);
    return 0;
}

static uv_status build(struct uv_ctx *ctx, struct uv_report *r)
{
    char name[64];
    uint8_t from[8];
    meta_name(r, name, sizeof name);
    uv_status st = last_closed(ctx, NULL, name, &r->after, 0);
    if (st != UVS_OK)
        return st;
    rec_u64_key(r->after + 1, from);
    st = store_iterate(&ctx->store, NULL, UV_DB_RECEIPTS, from, 8, 0, collect, r, &ctx->err);
    if (st == UVS_STORE && ctx->err.message[0] == '\0')
        uv_fail(&ctx->err, UVS_STORE, "a receipt is damaged; run 'univend store verify'");
    return st;
}

uv_status report_shift(struct uv_ctx *ctx, const char *clerk, struct uv_report *r)
{
    memset(r, 0, sizeof *r);
    r->kind = CLOSING_SHIFT;
    if (clerk == NULL || strlen(clerk) >= sizeof r->clerk || *clerk == '\0')
        return uv_fail(&ctx->err, UVS_INPUT, "a shift report needs a clerk");
    strcpy(r->clerk, clerk);
    return build(ctx, r);
}

uv_status report_day(struct uv_ctx *ctx, struct uv_report *r)
{
    memset(r, 0, sizeof *r);
    r->kind = CLOSING_DAY;
    return build(ctx, r);
}

uv_status report_close(struct uv_ctx *ctx, const struct uv_report *r, uint64_t *closing)
{
    if ((r->kind == CLOSING_DAY || strcmp(r->clerk, ctx->actor) != 0) &&
        clerk_require_supervisor(ctx, r->kind == CLOSING_DAY ? "close the day"
                                                             : "close another clerk's shift") != UVS_OK)
        return ctx->err.status;
    DB_TXN *txn;
    char name[64];
    uint64_t now_after;
    struct rec_closing c;
    meta_name(r, name, sizeof name);
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = last_closed(ctx, txn, name, &now_after, 1);
    if (st == UVS_OK && now_after != r->after)
        st = uv_fail(&ctx->err, UVS_REFUSED,
                     "this period was closed meanwhile; look at the report again");
    memset(&c, 0, sizeof c);
    if (st == UVS_OK)
        st = store_counter_next(&ctx->store, txn, CLOSING_COUNTER, &c.number, &ctx->err);
    if (st == UVS_OK) {
        c.kind = r->kind;
        snprintf(c.clerk, sizeof c.clerk, "%s", r->kind == CLOSING_SHIFT ? r->clerk : ctx->actor);
        c.time = clock_now(ctx);
        c.first_receipt = r->first_receipt;
        c.last_receipt = r->last_receipt;
        c.count = r->total.count;
        c.gross = r->total.gross;
        c.vat = r->total.vat;
        c.net = r->total.net;
        c.energy_wh = r->total.energy_wh;
        uint8_t key[8];
        rec_u64_key(c.number, key);
        st = store_put_rec(&ctx->store, txn, UV_DB_CLOSINGS, key, 8, &rec_closing_layout, &c, 1,
                           &ctx->err);
    }
    if (st == UVS_OK && r->last_receipt > r->after) {
        uint8_t b[8];
        rec_u64_key(r->last_receipt, b);
        st = store_meta_put(&ctx->store, txn, name, b, 8, &ctx->err);
    }
    if (st == UVS_OK) {
        char amt[32];
        money_format(c.gross, ctx->cfg.currency_decimals, amt, sizeof amt);
        st = audit_append(ctx, txn, r->kind == CLOSING_DAY ? "day.close" : "shift.close", c.clerk,
                          "closing %llu receipts %llu..%llu count %llu total %s %s",
                          (unsigned long long)c.number, (unsigned long long)c.first_receipt,
                          (unsigned long long)c.last_receipt, (unsigned long long)c.count, amt,
                          ctx->cfg.currency);
    }
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    st = store_commit(&ctx->store, txn, &ctx->err);
    if (st == UVS_OK && closing)
        *closing = c.number;
    return st;
}

static void rows(struct uv_ctx *ctx, const char *title, const struct uv_totals *t, size_t n,
                 FILE *out)
{
    char amt[32];
    fprintf(out, "-- by %s %.*s\n", title, (int)(33 - strlen(title)),
            "----------------------------------------");
    for (size_t i = 0; i < n; i++) {
        money_format(t[i].gross, ctx->cfg.currency_decimals, amt, sizeof amt);
        fprintf(out, "%-16.16s %5llu %17s\n", t[i].key, (unsigned long long)t[i].count, amt);
    }
}

void report_print(struct uv_ctx *ctx, const struct uv_report *r, FILE *out)
{
    unsigned d = ctx->cfg.currency_decimals;
    char gross[32], vat[32], net[32], kwh[32], when[32];
    time_t t = (time_t)clock_now(ctx);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
    money_format(r->total.gross, d, gross, sizeof gross);
    money_format(r->total.vat, d, vat, sizeof vat);
    money_format(r->total.net, d, net, sizeof net);
    energy_format(r->total.energy_wh, kwh, sizeof kwh);
    fprintf(out, "========================================\n");
    if (r->kind == CLOSING_DAY)
        fprintf(out, "  DAY REPORT (Z)  %s\n", ctx->cfg.kiosk_id);
    else
        fprintf(out, "  SHIFT REPORT  %s  %s\n", r->clerk, ctx->cfg.kiosk_id);
    fprintf(out, "  %s\n", when);
    fprintf(out, "========================================\n");
    if (r->total.count)
        fprintf(out, "Receipts  %llu .. %llu\n", (unsigned long long)r->first_receipt,
                (unsigned long long)r->last_receipt);
    fprintf(out, "Sales     %20llu\n", (unsigned long long)r->total.count);
    fprintf(out, "Paid      %20s %s\n", gross, ctx->cfg.currency);
    fprintf(out, "VAT       %20s %s\n", vat, ctx->cfg.currency);
    fprintf(out, "Net       %20s %s\n", net, ctx->cfg.currency);
    fprintf(out, "Energy    %20s kWh\n", kwh);
    if (r->kind == CLOSING_DAY)
        rows(ctx, "clerk", r->by_clerk, r->n_clerk, out);
    rows(ctx, "tariff", r->by_tariff, r->n_tariff, out);
    rows(ctx, "driver", r->by_driver, r->n_driver, out);
    fprintf(out, "========================================\n");
}
