/* testutil.c — fixtures: temp kiosks on real Berkeley DB files. */
#include "testutil.h"

#include <fcntl.h>
#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "init.h"
#include "keys.h"
#include "masterdata.h"
#include "params.h"
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
                                .kdf_iterations = 1000};
    uv_status st = kiosk_init(ctx, &o);
    ck_assert_msg(st == UVS_OK, "kiosk_init: %s", ctx->err.message);
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", tu_driver_dir());
    return ctx;
}

struct uv_ctx *tu_kiosk_with_sts(void)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    static const uint8_t vk[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    uv_status st = keys_add(ctx, TU_VK_REF, vk, sizeof vk);
    ck_assert_msg(st == UVS_OK, "keys_add: %s", ctx->err.message);
    st = typeindex_register(ctx, "sts.so", NULL, NULL);
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
