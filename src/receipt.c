/* receipt.c — receipts: get, print, list. */
#include "receipt.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "money.h"

uv_status receipt_get(struct uv_ctx *ctx, uint64_t number, struct rec_receipt *r)
{
    uint8_t key[8];
    rec_u64_key(number, key);
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_RECEIPTS, key, 8, &rec_receipt_layout,
                                 r, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no receipt %llu", (unsigned long long)number);
    return st;
}

void token_group(const char *token, char *out, size_t cap)
{
    size_t o = 0, n = strlen(token);
    for (size_t i = 0; i < n && o + 2 < cap; i++) {
        if (i && i % 4 == 0)
            out[o++] = ' ';
        out[o++] = token[i];
    }
    out[o] = '\0';
}

void receipt_print(struct uv_ctx *ctx, const struct rec_receipt *r, FILE *out)
{
    unsigned d = ctx->cfg.currency_decimals;
    char gross[32], net[32], vat[32], price[40], kwh[32], when[32], tok[96], m1[32];
    time_t t = (time_t)r->time;
    struct tm tm;
    money_format(r->gross, d, gross, sizeof gross);
    money_format(r->net, d, net, sizeof net);
    money_format(r->vat, d, vat, sizeof vat);
    price_format(r->price_milli, d, price, sizeof price);
    energy_format(r->energy_wh, kwh, sizeof kwh);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", gmtime_r(&t, &tm));
    fprintf(out, "========================================\n");
    fprintf(out, "  ELECTRICITY PREPAYMENT  %s\n", r->kiosk);
    fprintf(out, "========================================\n");
    if (r->reprints)
        fprintf(out, "*** REPRINT %u ***\n", r->reprints);
    fprintf(out, "Receipt   %-10llu %s\n", (unsigned long long)r->number, when);
    fprintf(out, "Clerk     %s\n", r->clerk);
    fprintf(out, "Meter     %s\n", r->meter);
    fprintf(out, "Customer  %s\n", r->customer);
    fprintf(out, "Type      %s (%s %s)\n", r->type_code, r->driver, r->driver_version);
    fprintf(out, "Tariff    %s  %s %s/kWh\n", r->tariff, price, r->currency);
    fprintf(out, "----------------------------------------\n");
    for (unsigned i = 0; i < r->n_tokens && i < REC_TOKENS; i++) {
        token_group(r->tokens[i], tok, sizeof tok);
        fprintf(out, "TOKEN     %s\n", tok);
    }
    if (r->card_serial[0])
        fprintf(out, "CARD      %s (the credit is on the card)\n", r->card_serial);
    if (r->token_id[0])
        fprintf(out, "TID       %s\n", r->token_id);
    fprintf(out, "----------------------------------------\n");
    money_format(r->tendered ? r->tendered : r->gross, d, m1, sizeof m1);
    fprintf(out, "Paid      %20s %s\n", m1, r->currency);
    fprintf(out, "Energy    %20s kWh\n", kwh);
    for (unsigned i = 0; r->n_blocks > 1 && i < r->n_blocks && i < 4; i++) {
        char bk[32], bp[40];
        energy_format(r->block_wh[i], bk, sizeof bk);
        price_format(r->block_price_milli[i], d, bp, sizeof bp);
        money_format(r->block_cost[i], d, m1, sizeof m1);
        fprintf(out, "  %8s kWh x %-10s %13s\n", bk, bp, m1);
    }
    if (r->lifeline_wh) {
        energy_format(r->lifeline_wh, m1, sizeof m1);
        fprintf(out, "  of which free %15s kWh\n", m1);
    }
    for (unsigned i = 0; i < 3; i++) {
        if (r->levy_name[i][0] == '\0')
            continue;
        money_format(r->levy[i], d, m1, sizeof m1);
        fprintf(out, "  %-20.20s %17s\n", r->levy_name[i], m1);
    }
    if (r->fixed_charge) {
        money_format(r->fixed_charge, d, m1, sizeof m1);
        fprintf(out, "Fixed charge %17s %s\n", m1, r->currency);
    }
    fprintf(out, "Net       %20s %s\n", net, r->currency);
    fprintf(out, "VAT %u.%02u%% %20s %s\n", r->vat_bp / 100, r->vat_bp % 100, vat, r->currency);
    if (r->debt_recovered) {
        money_format(r->debt_recovered, d, m1, sizeof m1);
        fprintf(out, "Debt recovered %15s %s\n", m1, r->currency);
    }
    fprintf(out, "Total     %20s %s\n", gross, r->currency);
    money_format(r->change, d, m1, sizeof m1);
    fprintf(out, "Change    %20s %s\n", m1, r->currency);
    fprintf(out, "========================================\n");
}

struct list_arg {
    struct uv_ctx *ctx;
    const char *meter;
    unsigned left;
    int limited;
    FILE *out;
};

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct list_arg *la = arg;
    struct rec_receipt r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0) {
        fprintf(la->out, "(damaged receipt record)\n");
        return 0;
    }
    if (la->meter && strcmp(la->meter, r.meter) != 0)
        return 0;
    char gross[32], kwh[32], when[32];
    time_t t = (time_t)r.time;
    struct tm tm;
    money_format(r.gross, la->ctx->cfg.currency_decimals, gross, sizeof gross);
    energy_format(r.energy_wh, kwh, sizeof kwh);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    fprintf(la->out, "%8llu %s %-14s %-10s %12s %10s %s\n", (unsigned long long)r.number, when,
            r.meter, r.clerk, gross, kwh, r.n_tokens ? r.tokens[0] : "(card)");
    if (la->limited && --la->left == 0)
        return STORE_STOP;
    return 0;
}

uv_status receipt_list(struct uv_ctx *ctx, const char *meter, unsigned limit, FILE *out)
{
    struct list_arg la = {ctx, meter, limit, limit != 0, out};
    fprintf(out, "%8s %-16s %-14s %-10s %12s %10s %s\n", "RECEIPT", "TIME (UTC)", "METER", "CLERK",
            "PAID", "kWh", "TOKEN");
    return store_iterate(&ctx->store, NULL, UV_DB_RECEIPTS, NULL, 0, 1, list_one, &la, &ctx->err);
}

uv_status receipt_reprint(struct uv_ctx *ctx, uint64_t number, struct rec_receipt *r)
{
    DB_TXN *txn;
    uint8_t key[8];
    rec_u64_key(number, key);
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_RECEIPTS, key, 8, &rec_receipt_layout, r, 1,
                       &ctx->err);
    if (st == UVS_NOTFOUND)
        st = uv_fail(&ctx->err, UVS_NOTFOUND, "no receipt %llu", (unsigned long long)number);
    if (st == UVS_OK) {
        r->reprints++; /* not part of the receipt's hash: the sale is unchanged */
        st = store_put_rec(&ctx->store, txn, UV_DB_RECEIPTS, key, 8, &rec_receipt_layout, r, 0,
                           &ctx->err);
    }
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "receipt.reprint", r->meter, "receipt %llu reprint %u",
                          (unsigned long long)number, r->reprints);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

struct find_arg {
    const struct receipt_filter *f;
    struct rec_receipt *out;
    size_t cap, n;
};

static int find_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct find_arg *fa = arg;
    struct rec_receipt r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0)
        return 0;
    const struct receipt_filter *f = fa->f;
    if ((f->meter && *f->meter && strcmp(f->meter, r.meter) != 0) ||
        (f->clerk && *f->clerk && strcmp(f->clerk, r.clerk) != 0) || (f->from && r.time < f->from) ||
        (f->to && r.time > f->to))
        return 0;
    fa->out[fa->n++] = r;
    return fa->n >= fa->cap ? STORE_STOP : 0;
}

uv_status receipt_find(struct uv_ctx *ctx, const struct receipt_filter *f, struct rec_receipt *out,
                       size_t cap, size_t *n)
{
    struct find_arg fa = {f, out, cap, 0};
    *n = 0;
    if (cap == 0)
        return UVS_OK;
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_RECEIPTS, NULL, 0, 1, find_one, &fa,
                                 &ctx->err);
    *n = fa.n;
    return st;
}
