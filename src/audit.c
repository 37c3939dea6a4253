/* audit.c — the chained audit log. */
#include "audit.h"

#include <stdarg.h>
#include <string.h>
#include <time.h>

#include "clock.h"
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
    a.time = clock_now(ctx);
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
            st = store_commit(&ctx->store, own, err);
        else
            store_abort(own);
    }
    return st;
}

struct print_arg {
    FILE *out;
    unsigned left;
    uint8_t start[8];
};

static int print_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct print_arg *pa = arg;
    struct rec_audit a;
    (void)k;
    (void)kl;
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

static int find_start(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct print_arg *pa = arg;
    (void)v;
    (void)vl;
    if (kl == 8)
        memcpy(pa->start, k, 8);
    return --pa->left == 0 ? STORE_STOP : 0;
}

uv_status audit_print(struct uv_ctx *ctx, FILE *out, unsigned limit)
{
    struct print_arg pa = {out, limit, {0}};
    uv_status st = UVS_OK;
    if (limit) /* walk back `limit` records to find where to start */
        st = store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 1, find_start, &pa, &ctx->err);
    if (st != UVS_OK)
        return st;
    return store_iterate(&ctx->store, NULL, UV_DB_AUDIT, limit ? pa.start : NULL, 8, 0, print_one,
                         &pa, &ctx->err);
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
    if (st != UVS_OK)
        return st;
    /* records removed from the end leave a shorter, still linked chain:
       the counter and the stored head say how long it must be */
    uint64_t n = 0;
    uint8_t head[32];
    size_t hl = 0;
    if ((st = store_counter_peek(&ctx->store, NULL, AUDIT_COUNTER, &n, &ctx->err)) != UVS_OK)
        return st;
    if (n != *count)
        return uv_fail(&ctx->err, UVS_STORE, "audit record #%llu is missing (the log holds %llu of %llu)",
                       (unsigned long long)(*count + 1), (unsigned long long)*count,
                       (unsigned long long)n);
    st = store_meta_get(&ctx->store, NULL, AUDIT_HEAD, head, sizeof head, &hl, 0, &ctx->err);
    if (st == UVS_NOTFOUND && n == 0)
        return UVS_OK;
    if (st != UVS_OK)
        return st;
    if (hl != 32 || memcmp(head, va.prev, 32) != 0)
        return uv_fail(&ctx->err, UVS_STORE, "audit chain head does not match record #%llu",
                       (unsigned long long)n);
    return UVS_OK;
}
