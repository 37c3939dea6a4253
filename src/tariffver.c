/* tariffver.c — dated tariff versions. */
#include "tariffver.h"

#include <string.h>
#include <time.h>

#include "money.h"

/* id NUL from (u64 BE; times before 1970 are not used) */
static size_t vkey(const char *id, int64_t from, uint8_t *out)
{
    size_t l = strlen(id);
    memcpy(out, id, l);
    out[l] = '\0';
    rec_u64_key(from < 0 ? 0 : (uint64_t)from, out + l + 1);
    return l + 9;
}

uv_status tariff_version_put(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_tariff *t,
                             int64_t from)
{
    uint8_t key[REC_ID_MAX + 9];
    return store_put_rec(&ctx->store, txn, UV_DB_TARIFF_VERSIONS, key, vkey(t->id, from, key),
                         &rec_tariff_layout, t, 0, &ctx->err);
}

struct at_arg {
    const uint8_t *prefix;
    size_t plen;
    struct rec_tariff *t;
    int64_t from;
    int found, damaged;
};

static int at_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct at_arg *a = arg;
    if (kl != a->plen + 8 || memcmp(k, a->prefix, a->plen) != 0)
        return STORE_STOP; /* another tariff's versions: none of this one in range */
    if (rec_decode(&rec_tariff_layout, v, vl, a->t) != 0) {
        a->damaged = 1;
        return STORE_STOP;
    }
    a->from = (int64_t)rec_u64_from_key((const uint8_t *)k + a->plen);
    a->found = 1;
    return STORE_STOP;
}

uv_status tariff_version_at(struct uv_ctx *ctx, DB_TXN *txn, const char *id, int64_t when,
                            struct rec_tariff *t, int64_t *from)
{
    uint8_t key[REC_ID_MAX + 9];
    if (strlen(id) >= REC_ID_MAX)
        return UVS_NOTFOUND;
    size_t kl = vkey(id, when, key);
    struct at_arg a = {key, kl - 8, t, 0, 0, 0};
    uv_status st = store_iterate(&ctx->store, txn, UV_DB_TARIFF_VERSIONS, key, kl, 1, at_one, &a,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    if (a.damaged)
        return uv_fail(&ctx->err, UVS_STORE, "a version of tariff %s is damaged", id);
    if (!a.found)
        return UVS_NOTFOUND;
    if (from)
        *from = a.from;
    return UVS_OK;
}

uv_status tariff_version_any(struct uv_ctx *ctx, DB_TXN *txn, const char *id, int *found)
{
    struct rec_tariff t;
    uv_status st = tariff_version_at(ctx, txn, id, INT64_MAX, &t, NULL);
    *found = st == UVS_OK;
    return st == UVS_NOTFOUND ? UVS_OK : st;
}

struct print_arg {
    struct uv_ctx *ctx;
    FILE *out;
    unsigned n;
};

static int print_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct print_arg *a = arg;
    struct uv_ctx *ctx = a->ctx;
    struct rec_tariff t;
    char when[32], price[40];
    if (kl < 9 || rec_decode(&rec_tariff_layout, v, vl, &t) != 0)
        return 0;
    time_t from = (time_t)rec_u64_from_key((const uint8_t *)k + kl - 8);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&from, &tm));
    price_format(t.price_milli, ctx->cfg.currency_decimals, price, sizeof price);
    if (a->n++ == 0)
        fprintf(a->out, "versions from head office:\n");
    fprintf(a->out, "  %-16s from %s UTC%s %s %s/kWh%s, VAT %u.%02u%%\n", t.id, when,
            from > time(NULL) ? " (to come)" : "", t.name, price, t.n_blocks > 1 ? " first block" : "",
            t.vat_bp / 100, t.vat_bp % 100);
    return 0;
}

uv_status tariff_versions_print(struct uv_ctx *ctx, FILE *out)
{
    struct print_arg a = {ctx, out, 0};
    return store_iterate(&ctx->store, NULL, UV_DB_TARIFF_VERSIONS, NULL, 0, 0, print_one, &a,
                         &ctx->err);
}
