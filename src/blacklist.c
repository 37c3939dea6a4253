/* blacklist.c — blacklisted card serials. */
#include "blacklist.h"

#include <string.h>
#include <time.h>

int blacklist_serial_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n >= REC_ID_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-' || c == ':'))
            return 0;
    }
    return 1;
}

int blacklist_contains(struct uv_ctx *ctx, DB_TXN *txn, const char *serial)
{
    uint8_t buf[REC_BUF_MAX];
    size_t len = 0;
    if (!blacklist_serial_valid(serial))
        return 0;
    uv_status st = store_get(&ctx->store, txn, UV_DB_BLACKLIST, serial, strlen(serial), buf,
                             sizeof buf, &len, 0, &ctx->err);
    if (st == UVS_NOTFOUND)
        return 0;
    return st == UVS_OK ? 1 : -1;
}

uv_status blacklist_put_txn(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_blacklist *b)
{
    return store_put_rec(&ctx->store, txn, UV_DB_BLACKLIST, b->serial, strlen(b->serial),
                         &rec_blacklist_layout, b, 0, &ctx->err);
}

uv_status blacklist_del_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *serial)
{
    return store_del(&ctx->store, txn, UV_DB_BLACKLIST, serial, strlen(serial), &ctx->err);
}

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_blacklist b;
    char when[32];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_blacklist_layout, v, vl, &b) != 0) {
        fprintf(arg, "(damaged blacklist entry)\n");
        return 0;
    }
    time_t t = (time_t)b.added_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    fprintf(arg, "%-31s %s instruction %llu %s\n", b.serial, when,
            (unsigned long long)b.instruction, b.reason);
    return 0;
}

uv_status blacklist_list(struct uv_ctx *ctx, FILE *out)
{
    return store_iterate(&ctx->store, NULL, UV_DB_BLACKLIST, NULL, 0, 0, list_one, out, &ctx->err);
}
