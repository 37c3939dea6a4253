/* demo.c — the demo kiosk the README's first command runs. */
#include "demo.h"

#include <errno.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "digest.h"
#include "drvsign.h"
#include "clerks.h"
#include "hqkey.h"
#include "init.h"
#include "keys.h"
#include "masterdata.h"
#include "params.h"
#include "trust.h"
#include "typeindex.h"

static const struct {
    const char *number, *type, *customer, *tariff;
} demo_meters[] = {
    {"01234567897", "STS-EA07", "C001", "RES"},
    {"04123456784", "STS-EA07", "C002", "LIFE"},
    {"47160001237", "STS-EA09", "C003", "RES"},
};

static uv_status write_passphrase(struct uv_ctx *ctx)
{
    char path[8192], hex[33];
    uint8_t raw[16];
    if (mkdir(ctx->home, 0700) != 0 && errno != EEXIST)
        return uv_fail(&ctx->err, UVS_IO, "cannot create %s: %s", ctx->home, strerror(errno));
    snprintf(path, sizeof path, "%s/passphrase", ctx->home);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot create %s: %s", path, strerror(errno));
    gcry_randomize(raw, sizeof raw, GCRY_STRONG_RANDOM);
    digest_hex(raw, sizeof raw, hex);
    hex[32] = '\n';
    ssize_t w = write(fd, hex, 33);
    explicit_bzero(hex, sizeof hex);
    if (w != 33 || fsync(fd) != 0) {
        close(fd);
        return uv_fail(&ctx->err, UVS_IO, "cannot write %s", path);
    }
    close(fd);
    return UVS_OK;
}

/* The demo's head office, in HOME/hq: a store with its own passphrase file
   and signing key. It signs the demo's drivers (the signatures go to
   HOME/hq/, the driver directory is the build's and stays untouched) and
   the kiosk trusts its key, as a real kiosk trusts its utility's. */
static uv_status demo_head_office(struct uv_ctx *ctx, FILE *out)
{
    struct uv_ctx *hq = calloc(1, sizeof *hq);
    char home[4200], drv[8300], sig[4300], hex[65], text[DRVSIG_MAX + 2];
    uint8_t pub[32];
    size_t len = 0;
    if (hq == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    snprintf(home, sizeof home, "%s/hq", ctx->home);
    uv_ctx_init(hq, home, ctx->actor);
    struct kiosk_init_opts o = {.kiosk_id = "DEMO-HQ", .currency = "ZAR", .decimals = 2,
                                .passphrase_file = "passphrase", .kdf_iterations = 20000};
    uv_status st = write_passphrase(hq);
    if (st == UVS_OK)
        st = kiosk_init(hq, &o);
    if (st == UVS_OK)
        st = hqkey_generate(hq, pub);
    snprintf(drv, sizeof drv, "%s/sts.so", ctx->cfg.driver_dir);
    snprintf(sig, sizeof sig, "%s/sts.so.sig", home);
    struct driver_sign_opts so = {.out = sig};
    if (st == UVS_OK)
        st = driver_sign(hq, drv, &so, NULL);
    if (st != UVS_OK)
        ctx->err = hq->err;
    uv_ctx_close(hq);
    free(hq);
    if (st == UVS_OK)
        st = driver_signature_read(ctx, sig, text, sizeof text, &len);
    digest_hex(pub, 32, hex);
    if (st == UVS_OK)
        st = trust_add(ctx, "DEMO-HQ", hex);
    if (st == UVS_OK && out)
        fprintf(out, "head office DEMO-HQ (%s) signed sts.so; this kiosk trusts its key %.16s...\n",
                home, hex);
    if (st == UVS_OK)
        st = typeindex_register_signed(ctx, "sts.so", NULL, text, len, out);
    return st;
}

static uv_status create_demo(struct uv_ctx *ctx, FILE *out)
{
    struct kiosk_init_opts o = {.kiosk_id = "DEMO-1", .currency = "ZAR", .decimals = 2,
                                .passphrase_file = "passphrase", .kdf_iterations = 20000,
                                .pin_kdf_iterations = 20000,
                                /* a demo sells without head office's credit */
                                .credit_required = "no"};
    uint8_t vk[8];
    uv_status st = write_passphrase(ctx);
    if (st == UVS_OK)
        st = kiosk_init(ctx, &o);
    if (st != UVS_OK)
        return st;
    gcry_randomize(vk, sizeof vk, GCRY_STRONG_RANDOM);
    st = keys_add(ctx, "sts:123456:1", vk, sizeof vk);
    explicit_bzero(vk, sizeof vk);
    if (st == UVS_OK)
        st = demo_head_office(ctx, out);
    if (st == UVS_OK)
        st = tariff_add(ctx, "RES", "Residential", "1.500", "15");
    if (st == UVS_OK)
        st = tariff_add(ctx, "LIFE", "Lifeline", "0.900", "15");
    static const char *cust[][3] = {{"C001", "Thandi Nkosi", "12 Main Rd"},
                                    {"C002", "Pieter van Wyk", "3 Kerk St"},
                                    {"C003", "Amina Yusuf", "7 Market Sq"}};
    for (size_t i = 0; st == UVS_OK && i < 3; i++) {
        struct rec_customer c;
        memset(&c, 0, sizeof c);
        snprintf(c.id, sizeof c.id, "%s", cust[i][0]);
        snprintf(c.name, sizeof c.name, "%s", cust[i][1]);
        snprintf(c.address, sizeof c.address, "%s", cust[i][2]);
        st = customer_add(ctx, &c);
    }
    if (st == UVS_OK)
        st = clerk_add(ctx, "super", "Demo Supervisor", UV_ROLE_SUPERVISOR, "1234");
    if (st == UVS_OK)
        st = clerk_add(ctx, "clerk1", "Demo Clerk", UV_ROLE_CLERK, "1111");
    for (size_t i = 0; st == UVS_OK && i < sizeof demo_meters / sizeof demo_meters[0]; i++) {
        struct rec_meter m;
        memset(&m, 0, sizeof m);
        snprintf(m.number, sizeof m.number, "%s", demo_meters[i].number);
        snprintf(m.type_code, sizeof m.type_code, "%s", demo_meters[i].type);
        snprintf(m.customer, sizeof m.customer, "%s", demo_meters[i].customer);
        snprintf(m.tariff, sizeof m.tariff, "%s", demo_meters[i].tariff);
        static const char *p[] = {"sgc=123456", "ti=01", "krn=1", "kt=2", "bdt=2014"};
        for (size_t j = 0; st == UVS_OK && j < 5; j++)
            st = params_add(m.params, sizeof m.params, p[j], &ctx->err);
        if (st == UVS_OK)
            st = meter_add(ctx, &m, out);
    }
    return st;
}

uv_status demo_run(struct uv_ctx *ctx, FILE *out)
{
    char conf[8192];
    uv_status st;
    snprintf(conf, sizeof conf, "%s/univend.conf", ctx->home);
    if (access(conf, F_OK) != 0) {
        fprintf(out, "Creating the demo kiosk in %s ...\n", ctx->home);
        st = create_demo(ctx, out);
        if (st != UVS_OK)
            return st;
    } else if ((st = uv_ctx_open(ctx)) != UVS_OK) {
        return st;
    }
    fprintf(out, "\nDemo kiosk %s in %s\n\nDrivers:\n", ctx->cfg.kiosk_id, ctx->home);
    if ((st = typeindex_list(ctx, out)) != UVS_OK)
        return st;
    fprintf(out, "\nMeters:\n");
    if ((st = meter_list(ctx, out)) != UVS_OK)
        return st;
    fprintf(out, "\nClerks: super (supervisor, PIN 1234), clerk1 (clerk, PIN 1111)\n");
    fprintf(out, "\nTry:\n  univend --home %s sell --meter %s --amount 50.00\n", ctx->home,
            demo_meters[0].number);
    return UVS_OK;
}
