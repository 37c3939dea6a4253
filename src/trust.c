/* trust.c — the kiosk's list of trusted head office keys. */
#include "trust.h"

#include <string.h>
#include <time.h>

#include "audit.h"
#include "clock.h"
#include "clerks.h"
#include "digest.h"
#include "ed25519.h"
#include "masterdata.h"

struct find_arg {
    const uint8_t *pub;
    struct rec_trust found; /* a revoked entry wins: revoked anywhere is revoked */
    int any;
};

static int find_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct find_arg *f = arg;
    struct rec_trust t;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_trust_layout, v, vl, &t) != 0 || memcmp(t.public_key, f->pub, 32) != 0)
        return 0;
    if (!f->any || (t.revoked_at && !f->found.revoked_at))
        f->found = t;
    f->any = 1;
    return 0;
}

/* Look for pub among the entries; any==0 when unknown. */
static uv_status find_key(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t pub[32],
                          struct find_arg *f)
{
    memset(f, 0, sizeof *f);
    f->pub = pub;
    return store_iterate(&ctx->store, txn, UV_DB_TRUST, NULL, 0, 0, find_one, f, &ctx->err);
}

uv_status trust_add_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *name, const uint8_t pub[32])
{
    struct rec_trust t;
    struct find_arg f;
    char hex[65];
    if (!md_id_valid(name))
        return uv_fail(&ctx->err, UVS_INPUT, "trust name '%s' is invalid (1-31 of A-Z a-z 0-9 . _ -)",
                       name ? name : "");
    if (!ed25519_public_ok(pub))
        return uv_fail(&ctx->err, UVS_INPUT, "that public key is a degenerate (small-order) point; "
                                             "copy it from 'univend hq pubkey' again");
    uv_status st = find_key(ctx, txn, pub, &f);
    if (st != UVS_OK)
        return st;
    digest_hex(pub, 32, hex);
    if (f.any && f.found.revoked_at)
        return uv_fail(&ctx->err, UVS_REFUSED, "key %.16s... was revoked (as %s) and cannot be "
                                               "trusted again; head office needs a new key",
                       hex, f.found.name);
    if (f.any)
        return uv_fail(&ctx->err, UVS_EXISTS, "key %.16s... is already trusted as %s", hex,
                       f.found.name);
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "%s", name);
    memcpy(t.public_key, pub, 32);
    t.added_at = clock_now(ctx);
    snprintf(t.added_by, sizeof t.added_by, "%s", ctx->actor);
    st = store_put_rec(&ctx->store, txn, UV_DB_TRUST, name, strlen(name), &rec_trust_layout, &t, 1,
                       &ctx->err);
    if (st == UVS_EXISTS)
        return uv_fail(&ctx->err, UVS_EXISTS, "a trusted key named %s is already here", name);
    if (st != UVS_OK)
        return st;
    return audit_append(ctx, txn, "trust.add", name, "head office key %s", hex);
}

static uv_status revoke_entry(struct uv_ctx *ctx, DB_TXN *txn, struct rec_trust *t,
                              const char *why)
{
    char hex[65];
    t->revoked_at = clock_now(ctx);
    snprintf(t->revoked_by, sizeof t->revoked_by, "%s", ctx->actor);
    snprintf(t->revoked_why, sizeof t->revoked_why, "%s", why ? why : "");
    uv_status st = store_put_rec(&ctx->store, txn, UV_DB_TRUST, t->name, strlen(t->name),
                                 &rec_trust_layout, t, 0, &ctx->err);
    digest_hex(t->public_key, 32, hex);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "trust.revoke", t->name, "head office key %s%s%s", hex,
                          why && *why ? " by " : "", why ? why : "");
    return st;
}

struct revoke_arg {
    const uint8_t *pub;
    char names[16][REC_ID_MAX];
    size_t n;
};

static int collect(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct revoke_arg *r = arg;
    struct rec_trust t;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_trust_layout, v, vl, &t) == 0 && memcmp(t.public_key, r->pub, 32) == 0 &&
        t.revoked_at == 0 && r->n < 16)
        snprintf(r->names[r->n++], REC_ID_MAX, "%s", t.name);
    return 0;
}

uv_status trust_revoke_key_txn(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t pub[32],
                               const char *why)
{
    struct revoke_arg r;
    struct rec_trust t;
    memset(&r, 0, sizeof r);
    r.pub = pub;
    uv_status st = store_iterate(&ctx->store, txn, UV_DB_TRUST, NULL, 0, 0, collect, &r, &ctx->err);
    for (size_t i = 0; st == UVS_OK && i < r.n; i++) {
        st = store_get_rec(&ctx->store, txn, UV_DB_TRUST, r.names[i], strlen(r.names[i]),
                           &rec_trust_layout, &t, 1, &ctx->err);
        if (st == UVS_OK)
            st = revoke_entry(ctx, txn, &t, why);
    }
    if (st != UVS_OK || r.n)
        return st;
    /* not known here: remember it as revoked, so it is never trusted later */
    struct find_arg f;
    if ((st = find_key(ctx, txn, pub, &f)) != UVS_OK || f.any)
        return st; /* already revoked */
    char hex[65];
    digest_hex(pub, 32, hex);
    memset(&t, 0, sizeof t);
    snprintf(t.name, sizeof t.name, "revoked-%.16s", hex);
    memcpy(t.public_key, pub, 32);
    t.added_at = clock_now(ctx);
    snprintf(t.added_by, sizeof t.added_by, "%s", ctx->actor);
    return revoke_entry(ctx, txn, &t, why);
}

uv_status trust_check(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t pub[32],
                      struct rec_trust *out)
{
    struct find_arg f;
    char hex[65];
    uv_status st = find_key(ctx, txn, pub, &f);
    if (st != UVS_OK)
        return st;
    digest_hex(pub, 32, hex);
    if (f.any && f.found.revoked_at) {
        char when[32];
        time_t tt = (time_t)f.found.revoked_at;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&tt, &tm));
        return uv_fail(&ctx->err, UVS_REFUSED, "signed by head office key %s (%.16s...), which was "
                                               "revoked on %s UTC by %s%s%s",
                       f.found.name, hex, when, f.found.revoked_by,
                       f.found.revoked_why[0] ? ", " : "", f.found.revoked_why);
    }
    if (!f.any)
        return uv_fail(&ctx->err, UVS_REFUSED, "signed by key %.16s..., which this kiosk does not "
                                               "trust (see 'univend trust list')",
                       hex);
    if (out)
        *out = f.found;
    return UVS_OK;
}

uv_status trust_add(struct uv_ctx *ctx, const char *name, const char *hex)
{
    uint8_t pub[32];
    if (clerk_require_supervisor(ctx, "trust head office keys") != UVS_OK)
        return ctx->err.status;
    if (hex == NULL || strlen(hex) != 64 || digest_unhex(hex, pub, 32) != 0)
        return uv_fail(&ctx->err, UVS_INPUT, "the public key must be 64 hex digits "
                                             "(from 'univend hq pubkey' at head office)");
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = trust_add_txn(ctx, txn, name, pub);
    if (st != UVS_OK) {
        store_abort(txn);
        if (st == UVS_REFUSED)
            audit_append(ctx, NULL, "trust.refused", name, "%s", ctx->err.message);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

uv_status trust_revoke(struct uv_ctx *ctx, const char *name)
{
    struct rec_trust t;
    if (clerk_require_supervisor(ctx, "revoke head office keys") != UVS_OK)
        return ctx->err.status;
    if (!md_id_valid(name))
        return uv_fail(&ctx->err, UVS_INPUT, "trust name '%s' is invalid", name ? name : "");
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_TRUST, name, strlen(name), &rec_trust_layout, &t, 1,
                       &ctx->err);
    if (st == UVS_NOTFOUND)
        st = uv_fail(&ctx->err, UVS_NOTFOUND, "no trusted key named %s", name);
    else if (st == UVS_OK && t.revoked_at)
        st = uv_fail(&ctx->err, UVS_EXISTS, "key %s is already revoked", name);
    if (st == UVS_OK)
        st = revoke_entry(ctx, txn, &t, "");
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    FILE *out = arg;
    struct rec_trust t;
    char hex[65], when[32];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_trust_layout, v, vl, &t) != 0) {
        fprintf(out, "(damaged trust entry)\n");
        return 0;
    }
    digest_hex(t.public_key, 32, hex);
    time_t tt = (time_t)(t.revoked_at ? t.revoked_at : t.added_at);
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&tt, &tm));
    if (t.revoked_at)
        fprintf(out, "%-20s %s REVOKED %s by %s%s%s\n", t.name, hex, when, t.revoked_by,
                t.revoked_why[0] ? ", " : "", t.revoked_why);
    else
        fprintf(out, "%-20s %s trusted since %s by %s\n", t.name, hex, when, t.added_by);
    return 0;
}

uv_status trust_list(struct uv_ctx *ctx, FILE *out)
{
    return store_iterate(&ctx->store, NULL, UV_DB_TRUST, NULL, 0, 0, list_one, out, &ctx->err);
}
