/* verify.c — whole-store consistency check. */
#include "verify.h"

#include <string.h>

#include "audit.h"
#include "money.h"
#include "vend.h"

struct rwalk {
    uint64_t expect;
    uint8_t prev[32];
    int64_t gross;
    struct uv_error *err;
};

static int receipt_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rwalk *w = arg;
    struct rec_receipt r;
    uint8_t h[32];
    if (kl != 8 || rec_decode(&rec_receipt_layout, v, vl, &r) != 0)
        return uv_fail(w->err, UVS_STORE, "receipt after #%llu is damaged",
                       (unsigned long long)(w->expect - 1));
    uint64_t n = rec_u64_from_key(k);
    if (n != w->expect)
        return uv_fail(w->err, UVS_STORE, "receipt #%llu is missing (next stored is #%llu)",
                       (unsigned long long)w->expect, (unsigned long long)n);
    if (r.number != n)
        return uv_fail(w->err, UVS_STORE, "receipt #%llu is stored under the wrong number",
                       (unsigned long long)n);
    receipt_hash(&r, h);
    if (memcmp(h, r.hash, 32) != 0)
        return uv_fail(w->err, UVS_STORE, "receipt #%llu was altered (hash differs)",
                       (unsigned long long)n);
    if (memcmp(r.prev_hash, w->prev, 32) != 0)
        return uv_fail(w->err, UVS_STORE, "receipt chain broken before #%llu",
                       (unsigned long long)n);
    memcpy(w->prev, r.hash, 32);
    w->gross += r.gross;
    w->expect++;
    return 0;
}

struct mwalk {
    uint64_t sales;
};

static int meter_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct mwalk *w = arg;
    struct rec_meter m;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_meter_layout, v, vl, &m) == 0)
        w->sales += m.sales_count;
    return 0;
}

uv_status store_verify(struct uv_ctx *ctx, FILE *out)
{
    struct rwalk w = {.expect = 1, .err = &ctx->err};
    memset(w.prev, 0, 32);
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_RECEIPTS, NULL, 0, 0, receipt_one, &w,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    uint64_t n = w.expect - 1, counter = 0;
    uint8_t head[32] = {0};
    size_t hl = 0;
    if ((st = store_counter_peek(&ctx->store, NULL, "receipt.seq", &counter, &ctx->err)) != UVS_OK)
        return st;
    st = store_meta_get(&ctx->store, NULL, "receipt.head", head, sizeof head, &hl, 0, &ctx->err);
    if (st != UVS_OK && st != UVS_NOTFOUND)
        return st;
    if (counter != n)
        return uv_fail(&ctx->err, UVS_STORE, "receipt counter is %llu but %llu receipts are stored",
                       (unsigned long long)counter, (unsigned long long)n);
    if (n && memcmp(head, w.prev, 32) != 0)
        return uv_fail(&ctx->err, UVS_STORE, "receipt chain head does not match receipt #%llu",
                       (unsigned long long)n);
    fprintf(out, "receipts: %llu, numbered 1..%llu without gaps, hash chain intact\n",
            (unsigned long long)n, (unsigned long long)n);
    char total[32];
    money_format(w.gross, ctx->cfg.currency_decimals, total, sizeof total);
    fprintf(out, "receipts total: %s %s\n", total, ctx->cfg.currency);
    struct mwalk mw = {0};
    if ((st = store_iterate(&ctx->store, NULL, UV_DB_METERS, NULL, 0, 0, meter_one, &mw,
                            &ctx->err)) != UVS_OK)
        return st;
    if (mw.sales != n)
        return uv_fail(&ctx->err, UVS_STORE, "meters count %llu sales but %llu receipts exist",
                       (unsigned long long)mw.sales, (unsigned long long)n);
    fprintf(out, "meters: sale counters add up to %llu\n", (unsigned long long)mw.sales);
    uint64_t na = 0;
    if ((st = audit_verify(ctx, &na)) != UVS_OK)
        return st;
    fprintf(out, "audit: %llu records, chain intact\n", (unsigned long long)na);
    return UVS_OK;
}
