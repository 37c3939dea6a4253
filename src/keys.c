/* keys.c — key store commands, audited. */
#include "keys.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clerks.h"
#include "services.h"

uv_status keys_add(struct uv_ctx *ctx, const char *ref, const uint8_t *key, size_t len)
{
    if (clerk_require_supervisor(ctx, "add keys") != UVS_OK)
        return ctx->err.status;
    DB_TXN *txn;
    uv_status st = services_unlock_keys(ctx);
    if (st == UVS_OK)
        st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = keystore_put(&ctx->keys, &ctx->store, txn, ref, key, len, ctx->actor, &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "key.add", ref, "%zu bytes", len);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

static int key_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_key r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_key_layout, v, vl, &r) != 0) {
        fprintf(arg, "(damaged key record)\n");
        return 0;
    }
    char when[32];
    time_t t = (time_t)r.created_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    fprintf(arg, "%-32s %3u bytes  %s by %s\n", r.ref, r.ct_len, when, r.created_by);
    return 0;
}

uv_status keys_list(struct uv_ctx *ctx, FILE *out)
{
    fprintf(out, "%-32s %9s  %s\n", "KEY", "LENGTH", "CREATED");
    return store_iterate(&ctx->store, NULL, UV_DB_KEYS, NULL, 0, 0, key_line, out, &ctx->err);
}
