/* testutil.c — fixtures: temp kiosks on real Berkeley DB files. */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "drvsign.h"
#include "hqkey.h"
#include "init.h"
#include "keys.h"
#include "masterdata.h"
#include "params.h"
#include "trust.h"
#include "typeindex.h"

const char *tu_driver_dir(void)
{
    const char *d = getenv("UNIVEND_DRIVERS");
    return d ? d : uv_default_driver_dir();
}

const char *tu_test_driver_dir(void)
{
    const char *d = getenv("UNIVEND_TEST_DRIVERS");
    ck_assert_msg(d != NULL, "UNIVEND_TEST_DRIVERS is not set (run through make)");
    return d;
}

char *tu_mkdtemp(void)
{
    const char *base = getenv("TMPDIR");
    char *p;
    ck_assert(asprintf(&p, "%s/univend-test-XXXXXX", base ? base : "/tmp") > 0);
    ck_assert_ptr_nonnull(mkdtemp(p));
    return p;
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(path);
}

void tu_rmrf(const char *path)
{
    nftw(path, rm_one, 16, FTW_DEPTH | FTW_PHYS);
}

void tu_copy(const char *from, const char *to)
{
    int in = open(from, O_RDONLY), out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0755);
    ck_assert_msg(in >= 0 && out >= 0, "copy %s -> %s", from, to);
    char buf[65536];
    ssize_t n;
    while ((n = read(in, buf, sizeof buf)) > 0)
        ck_assert(write(out, buf, (size_t)n) == n);
    close(in);
    close(out);
}

struct uv_ctx *tu_kiosk_new(void)
{
    struct uv_ctx *ctx = calloc(1, sizeof *ctx);
    ck_assert_ptr_nonnull(ctx);
    char *dir = tu_mkdtemp();
    char home[4200];
    snprintf(home, sizeof home, "%s/kiosk", dir);
    free(dir);
    setenv("UNIVEND_PASSPHRASE", TU_PASSPHRASE, 1);
    uv_ctx_init(ctx, home, "tester");
    struct kiosk_init_opts o = {.kiosk_id = "TEST-1", .currency = "ZAR", .decimals = 2,
                                .kdf_iterations = 1000, .credit_required = "no"};
    uv_status st = kiosk_init(ctx, &o);
    ck_assert_msg(st == UVS_OK, "kiosk_init: %s", ctx->err.message);
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", tu_driver_dir());
    return ctx;
}

/* The directory the kiosk's home is in (its temp dir). */
static void kiosk_parent(const struct uv_ctx *ctx, char *out, size_t cap)
{
    ck_assert_int_lt(snprintf(out, cap, "%s", ctx->home), (int)cap);
    char *slash = strrchr(out, '/');
    ck_assert_ptr_nonnull(slash);
    *slash = '\0';
}

/* Open (creating on first use) the test head office beside ctx, and make
   ctx trust its key. The caller closes and frees it. */
static struct uv_ctx *test_hq(struct uv_ctx *ctx)
{
    struct uv_ctx *hq = calloc(1, sizeof *hq);
    char home[4200], conf[4300];
    uint8_t pub[32];
    ck_assert_ptr_nonnull(hq);
    kiosk_parent(ctx, home, sizeof home - 4);
    strcat(home, "/hq");
    snprintf(conf, sizeof conf, "%s/univend.conf", home);
    setenv("UNIVEND_PASSPHRASE", TU_PASSPHRASE, 1);
    uv_ctx_init(hq, home, "hq-tester");
    uv_status st;
    if (access(conf, F_OK) != 0) {
        struct kiosk_init_opts o = {.kiosk_id = "TEST-HQ", .currency = "ZAR", .decimals = 2,
                                    .kdf_iterations = 1000};
        st = kiosk_init(hq, &o);
        ck_assert_msg(st == UVS_OK, "test head office: %s", hq->err.message);
        st = hqkey_generate(hq, pub);
    } else {
        st = uv_ctx_open(hq);
        ck_assert_msg(st == UVS_OK, "test head office: %s", hq->err.message);
        st = hqkey_public(hq, pub);
    }
    ck_assert_msg(st == UVS_OK, "test head office key: %s", hq->err.message);
    struct uv_error saved = ctx->err;
    if (trust_check(ctx, NULL, pub, NULL) != UVS_OK) {
        DB_TXN *txn;
        ck_assert_int_eq(store_begin(&ctx->store, &txn, &ctx->err), UVS_OK);
        st = trust_add_txn(ctx, txn, "TEST-HQ", pub);
        ck_assert_msg(st == UVS_OK, "trust the test head office: %s", ctx->err.message);
        ck_assert_int_eq(store_commit(&ctx->store, txn, &ctx->err), UVS_OK);
    }
    ctx->err = saved;
    return hq;
}

static void sign_with(struct uv_ctx *ctx, const char *path, const struct driver_sign_opts *o)
{
    struct uv_ctx *hq = test_hq(ctx);
    uv_status st = driver_sign(hq, path, o, NULL);
    ck_assert_msg(st == UVS_OK, "test head office signs %s: %s", path, hq->err.message);
    uv_ctx_close(hq);
    free(hq);
}

void tu_sign_driver(struct uv_ctx *ctx, const char *path)
{
    struct driver_sign_opts o = {NULL, NULL, NULL, NULL};
    sign_with(ctx, path, &o);
}

void tu_sign_driver_as(struct uv_ctx *ctx, const char *path, const char *name,
                       const char *version, const char *codes)
{
    struct driver_sign_opts o = {name, version, codes, NULL};
    sign_with(ctx, path, &o);
}

uv_status tu_register_signed(struct uv_ctx *ctx, const char *file, const char *codes)
{
    char path[8300], sig[4300], text[DRVSIG_MAX + 2];
    size_t len = 0;
    ck_assert_int_lt(snprintf(path, sizeof path, "%s/%s", ctx->cfg.driver_dir, file),
                     (int)sizeof path);
    kiosk_parent(ctx, sig, sizeof sig - 140);
    strcat(sig, "/");
    strcat(sig, file);
    strcat(sig, ".sig");
    struct driver_sign_opts o = {NULL, NULL, NULL, sig};
    sign_with(ctx, path, &o);
    struct uv_error saved = ctx->err;
    ck_assert_int_eq(driver_signature_read(ctx, sig, text, sizeof text, &len), UVS_OK);
    ctx->err = saved;
    return typeindex_register_signed(ctx, file, codes, text, len, NULL);
}

struct uv_ctx *tu_kiosk_with_sts(void)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    static const uint8_t vk[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    uv_status st = keys_add(ctx, TU_VK_REF, vk, sizeof vk);
    ck_assert_msg(st == UVS_OK, "keys_add: %s", ctx->err.message);
    st = tu_register_signed(ctx, "sts.so", NULL);
    ck_assert_msg(st == UVS_OK, "register: %s", ctx->err.message);
    st = tariff_add(ctx, "RES", "Residential", "1.500", "15");
    ck_assert_msg(st == UVS_OK, "tariff: %s", ctx->err.message);
    struct rec_customer c = {.id = "C001", .name = "Test Customer"};
    st = customer_add(ctx, &c);
    ck_assert_msg(st == UVS_OK, "customer: %s", ctx->err.message);
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    strcpy(m.number, "01234567897");
    strcpy(m.type_code, "STS-EA07");
    strcpy(m.customer, "C001");
    strcpy(m.tariff, "RES");
    static const char *p[] = {"sgc=123456", "ti=01", "krn=1", "kt=2", "bdt=2014"};
    for (int i = 0; i < 5; i++)
        ck_assert(params_add(m.params, sizeof m.params, p[i], &ctx->err) == UVS_OK);
    st = meter_add(ctx, &m, NULL);
    ck_assert_msg(st == UVS_OK, "meter_add: %s", ctx->err.message);
    return ctx;
}

void tu_kiosk_reopen(struct uv_ctx *ctx)
{
    char home[4096], dd[4096];
    snprintf(home, sizeof home, "%s", ctx->home);
    snprintf(dd, sizeof dd, "%s", ctx->cfg.driver_dir);
    uv_ctx_close(ctx);
    uv_ctx_init(ctx, home, "tester");
    uv_status st = uv_ctx_open(ctx);
    ck_assert_msg(st == UVS_OK, "reopen: %s", ctx->err.message);
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", dd);
}

void tu_kiosk_free(struct uv_ctx *ctx)
{
    char parent[4096];
    snprintf(parent, sizeof parent, "%s", ctx->home);
    char *slash = strrchr(parent, '/');
    if (slash)
        *slash = '\0';
    uv_ctx_close(ctx);
    tu_rmrf(parent);
    free(ctx);
}

struct audit_find {
    const char *action;
    unsigned n;
    char *detail;
    size_t cap;
};

static int audit_find_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct audit_find *f = p;
    struct rec_audit a;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_audit_layout, v, vl, &a) == 0 && strcmp(a.action, f->action) == 0) {
        f->n++;
        if (f->detail)
            snprintf(f->detail, f->cap, "%s", a.detail);
    }
    return 0;
}

unsigned tu_audit_count(struct uv_ctx *ctx, const char *action, char *detail, size_t cap)
{
    struct audit_find f = {action, 0, detail, cap};
    if (detail && cap)
        detail[0] = '\0';
    ck_assert(store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 0, audit_find_one, &f,
                            &ctx->err) == UVS_OK);
    return f.n;
}
