/* hqkey.c — head office's signing key, wrapped in its key store. */
#include "hqkey.h"

#include <string.h>

#include "audit.h"
#include "digest.h"
#include "ed25519.h"
#include "services.h"

/* The secret seed, unwrapped; UVS_NOTFOUND when head office has none. */
static uv_status load_secret(struct uv_ctx *ctx, uint8_t secret[32], uint8_t pub[32])
{
    size_t len = 0;
    uv_status st = services_unlock_keys(ctx);
    if (st != UVS_OK)
        return st;
    st = keystore_get(&ctx->keys, &ctx->store, HQKEY_REF, secret, 32, &len, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND,
                       "head office has no signing key yet (run 'univend hq keygen')");
    if (st == UVS_OK && len != 32)
        st = uv_fail(&ctx->err, UVS_KEY, "the head office signing key is damaged");
    if (st == UVS_OK)
        st = ed25519_public(secret, pub, &ctx->err);
    if (st != UVS_OK)
        explicit_bzero(secret, 32);
    return st;
}

uv_status hqkey_generate(struct uv_ctx *ctx, uint8_t pub[32])
{
    uint8_t secret[32];
    char hex[65];
    uv_status st = load_secret(ctx, secret, pub);
    explicit_bzero(secret, sizeof secret);
    if (st == UVS_OK) {
        digest_hex(pub, 32, hex);
        return uv_fail(&ctx->err, UVS_EXISTS,
                       "head office already has a signing key (public key %s); kiosks trust it, "
                       "so it is never replaced silently",
                       hex);
    }
    if (st != UVS_NOTFOUND)
        return st;
    DB_TXN *txn;
    if ((st = ed25519_generate(secret, pub, &ctx->err)) != UVS_OK)
        return st;
    if ((st = store_begin(&ctx->store, &txn, &ctx->err)) == UVS_OK) {
        st = keystore_put(&ctx->keys, &ctx->store, txn, HQKEY_REF, secret, 32, ctx->actor,
                          &ctx->err);
        digest_hex(pub, 32, hex);
        if (st == UVS_OK)
            st = audit_append(ctx, txn, "hq.keygen", HQKEY_REF, "public key %s", hex);
        if (st == UVS_OK)
            st = store_commit(&ctx->store, txn, &ctx->err);
        else
            store_abort(txn);
    }
    explicit_bzero(secret, sizeof secret);
    return st;
}

uv_status hqkey_public(struct uv_ctx *ctx, uint8_t pub[32])
{
    uint8_t secret[32];
    uv_status st = load_secret(ctx, secret, pub);
    explicit_bzero(secret, sizeof secret);
    return st;
}

uv_status hqkey_sign(struct uv_ctx *ctx, const void *msg, size_t len, uint8_t sig[64],
                     uint8_t pub[32])
{
    uint8_t secret[32];
    uv_status st = load_secret(ctx, secret, pub);
    if (st == UVS_OK)
        st = ed25519_sign(secret, pub, msg, len, sig, &ctx->err);
    explicit_bzero(secret, sizeof secret);
    return st;
}
