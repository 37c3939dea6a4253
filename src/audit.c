/* audit.c — the chained audit log. */
#include "audit.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "digest.h"

#define AUDIT_COUNTER "audit.seq"
#define AUDIT_HEAD "audit.head"

void audit_hash(const struct rec_audit *a, uint8_t out[32])
{
    struct rec_audit tmp = *a;
    uint8_t buf[REC_BUF_MAX];
    memset(tmp.hash, 0, sizeof tmp.hash);
    size_t n = rec_encode(&rec_audit_layout, &tmp, buf, sizeof buf);
    digest_sha256(buf, n, out);
}

uv_status audit_append(struct uv_ctx *ctx, DB_TXN *txn, const char *action, const char *subject,
                       const char *fmt, ...)
{
    struct rec_audit a;
    DB_TXN *own = NULL;
    struct uv_error e2; /* an audit failure must not hide the caller's error */
    struct uv_error *err = txn ? &ctx->err : &e2;
    uv_status st;
    memset(&a, 0, sizeof a);
    if (txn == NULL) {
        if ((st = store_begin(&ctx->store, &own, err)) != UVS_OK)
            return st;
        txn = own;
    }
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(a.detail, sizeof a.detail, fmt, ap);
    va_end(ap);
    snprintf(a.action, sizeof a.action, "%s", action);
    snprintf(a.subject, sizeof a.subject, "%s", subject ? subject : "");
    snprintf(a.actor, sizeof a.actor, "%s", ctx->actor);
    a.time = (int64_t)time(NULL);
    size_t hl = 0;
    st = store_counter_next(&ctx->store, txn, AUDIT_COUNTER, &a.seq, err);
    if (st == UVS_OK) {
        st = store_meta_get(&ctx->store, txn, AUDIT_HEAD, a.prev_hash, sizeof a.prev_hash, &hl, 1,
                            err);
        if (st == UVS_NOTFOUND)
            st = UVS_OK;
    }
    if (st == UVS_OK) {
        uint8_t key[8];
        audit_hash(&a, a.hash);
        rec_u64_key(a.seq, key);
        st = store_put_rec(&ctx->store, txn, UV_DB_AUDIT, key, 8, &rec_audit_layout, &a, 1, err);
    }
    if (st == UVS_OK)
        st = store_meta_put(&ctx->store, txn, AUDIT_HEAD, a.hash, sizeof a.hash, err);
    if (own) {
        if (st == UVS_OK)
            st = store_commit(own, err);
        else
            store_abort(own);
    }
    return st;
}

struct print_arg {
    FILE *out;
    uint64_t skip;
};

static int print_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct print_arg *pa = arg;
    struct rec_audit a;
    (void)k;
    (void)kl;
    if (pa->skip) {
        pa->skip--;
        return 0;
    }
    if (rec_decode(&rec_audit_layout, v, vl, &a) != 0) {
        fprintf(pa->out, "(damaged audit record)\n");
        return 0;
    }
    char when[32];
    time_t t = (time_t)a.time;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S", gmtime_r(&t, &tm));
    fprintf(pa->out, "%6llu %s %-12s %-18s %-16s %s\n", (unsigned long long)a.seq, when, a.actor,
            a.action, a.subject, a.detail);
    return 0;
}

uv_status audit_print(struct uv_ctx *ctx, FILE *out, unsigned limit)
{
    uint64_t n = 0;
    uv_status st = store_counter_peek(&ctx->store, NULL, AUDIT_COUNTER, &n, &ctx->err);
    if (st != UVS_OK)
        return st;
    struct print_arg pa = {out, (limit && n > limit) ? n - limit : 0};
    return store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 0, print_one, &pa, &ctx->err);
}

struct verify_arg {
    uint64_t expect;
    uint8_t prev[32];
    struct uv_error *err;
};

static int verify_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct verify_arg *va = arg;
    struct rec_audit a;
    uint8_t h[32];
    if (kl != 8 || rec_decode(&rec_audit_layout, v, vl, &a) != 0)
        return uv_fail(va->err, UVS_STORE, "audit record after #%llu is damaged",
                       (unsigned long long)va->expect);
    if (rec_u64_from_key(k) != va->expect || a.seq != va->expect)
        return uv_fail(va->err, UVS_STORE, "audit record #%llu is missing",
                       (unsigned long long)va->expect);
    audit_hash(&a, h);
    if (memcmp(h, a.hash, 32) != 0 || memcmp(a.prev_hash, va->prev, 32) != 0)
        return uv_fail(va->err, UVS_STORE, "audit chain broken at record #%llu",
                       (unsigned long long)a.seq);
    memcpy(va->prev, a.hash, 32);
    va->expect++;
    return 0;
}

uv_status audit_verify(struct uv_ctx *ctx, uint64_t *count)
{
    struct verify_arg va = {.expect = 1, .err = &ctx->err};
    memset(va.prev, 0, sizeof va.prev);
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 0, verify_one, &va,
                                 &ctx->err);
    *count = va.expect - 1;
    return st;
}
