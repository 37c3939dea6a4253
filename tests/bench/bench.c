/*
 * bench.c — `make bench`: throughput and latency figures, printed, never
 * asserted. Each figure is shown beside a bound measured in the same run:
 *   STS tokens/s         vs raw libgcrypt DES blocks/s
 *   durable sales/s      vs fsync()s/s of a small write on the same disk
 */
#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "credit.h"
#include "digest.h"
#include "drvsign.h"
#include "hqkey.h"
#include "init.h"
#include "keys.h"
#include "masterdata.h"
#include "params.h"
#include "sts_crypt.h"
#include "sts_token.h"
#include "trust.h"
#include "typeindex.h"
#include "univend.h"
#include "vend.h"

void bench_export(const char *dir);
void bench_isolate(struct uv_ctx *ctx, const char *meter, const char *token);

double bench_now(void);
double bench_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double des_blocks_per_s(void)
{
    gcry_cipher_hd_t h;
    static const uint8_t key[8] = {0x13, 0x34, 0x57, 0x79, 0x9B, 0xBC, 0xDF, 0xF1};
    uint8_t blk[8] = {0};
    gcry_cipher_open(&h, GCRY_CIPHER_DES, GCRY_CIPHER_MODE_ECB, 0);
    gcry_cipher_setkey(h, key, 8);
    const int n = 2000000;
    double t0 = now_s();
    for (int i = 0; i < n; i++)
        gcry_cipher_encrypt(h, blk, 8, NULL, 0);
    double dt = now_s() - t0;
    gcry_cipher_close(h);
    return n / dt;
}

static double sts_tokens_per_s(int ea)
{
    static const uint8_t vk[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    sts_key_params kp = {2, 123456, 1, 1, "600727", "01234567897"};
    uint8_t dk[8];
    char digits[21];
    const int n = 100000;
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        /* what a sale does: derive the decoder key, build and encrypt the token */
        sts_block_fields f = {0, 0, (uint8_t)(i & 15), (uint32_t)(1000000 + i), 0, 0};
        uint64_t rep;
        sts_amount_encode((uint64_t)(i % 5000) + 1, &f.amount, &rep);
        if (sts_dkga02(vk, &kp, dk) != STS_OK || sts_token_encode(dk, ea, &f, digits) != STS_OK) {
            fprintf(stderr, "bench: token encoding failed\n");
            exit(1);
        }
    }
    return n / (now_s() - t0);
}

static double fsyncs_per_s(const char *dir, int n)
{
    char path[8300];
    snprintf(path, sizeof path, "%s/fsync-probe", dir);
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0)
        return 0;
    char buf[512] = {0};
    double t0 = now_s();
    for (int i = 0; i < n; i++) {
        if (pwrite(fd, buf, sizeof buf, (off_t)(i % 64) * 512) < 0 || fsync(fd) != 0)
            break;
    }
    double dt = now_s() - t0;
    close(fd);
    unlink(path);
    return n / dt;
}

static void die(struct uv_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, ctx->err.message);
    exit(1);
}

/* A head office in dir/driver-hq signs sts.so (the signature kept there), the
   kiosk trusts its key and registers the driver, as every kiosk must. */
static void register_signed_sts(struct uv_ctx *ctx, const char *dir)
{
    static struct uv_ctx hq;
    char home[4200], drv[8300], sig[4300], hex[65], text[DRVSIG_MAX + 2];
    uint8_t pub[32];
    size_t len = 0;
    snprintf(home, sizeof home, "%s/driver-hq", dir);
    snprintf(drv, sizeof drv, "%s/sts.so", ctx->cfg.driver_dir);
    snprintf(sig, sizeof sig, "%s/sts.so.sig", home);
    uv_ctx_init(&hq, home, "bench");
    struct kiosk_init_opts o = {.kiosk_id = "BENCH-HQ", .currency = "ZAR", .decimals = 2,
                                .kdf_iterations = 1000};
    struct driver_sign_opts so = {.out = sig};
    if (kiosk_init(&hq, &o) || hqkey_generate(&hq, pub) || driver_sign(&hq, drv, &so, NULL))
        die(&hq, "head office");
    uv_ctx_close(&hq);
    digest_hex(pub, 32, hex);
    if (driver_signature_read(ctx, sig, text, sizeof text, &len) || trust_add(ctx, "BENCH-HQ", hex) ||
        typeindex_register_signed(ctx, "sts.so", NULL, text, len, NULL))
        die(ctx, "signed driver");
}

int main(int argc, char **argv)
{
    int sales = argc > 1 ? atoi(argv[1]) : 400;
    gcry_check_version(GCRYPT_VERSION);
    gcry_control(GCRYCTL_SUSPEND_SECMEM_WARN);
    gcry_control(GCRYCTL_INIT_SECMEM, 65536, 0);
    gcry_control(GCRYCTL_RESUME_SECMEM_WARN);
    gcry_control(GCRYCTL_INITIALIZATION_FINISHED, 0);

    char tmpl[] = "/tmp/univend-bench-XXXXXX";
    const char *base = getenv("BENCH_DIR");
    char dir[4096];
    if (base)
        snprintf(dir, sizeof dir, "%s", base);
    else if (mkdtemp(tmpl))
        snprintf(dir, sizeof dir, "%s", tmpl);
    else
        return 1;

    printf("univend bench (single process, one core)\n\n");
    double des = des_blocks_per_s();
    double t07 = sts_tokens_per_s(7), t09 = sts_tokens_per_s(9);

    static struct uv_ctx ctx;
    char home[4200];
    snprintf(home, sizeof home, "%s/kiosk", dir);
    setenv("UNIVEND_PASSPHRASE", "bench-passphrase", 1);
    uv_ctx_init(&ctx, home, "bench");
    struct kiosk_init_opts o = {.kiosk_id = "BENCH", .currency = "ZAR", .decimals = 2,
                                .kdf_iterations = 1000};
    if (kiosk_init(&ctx, &o) != UVS_OK)
        die(&ctx, "init");
    if (getenv("UNIVEND_DRIVERS"))
        snprintf(ctx.cfg.driver_dir, sizeof ctx.cfg.driver_dir, "%s", getenv("UNIVEND_DRIVERS"));
    static const uint8_t vk[8] = {0x01, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF};
    struct rec_customer c = {.id = "C1", .name = "Bench"};
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    strcpy(m.number, "01234567897");
    strcpy(m.type_code, "STS-EA07");
    strcpy(m.customer, "C1");
    strcpy(m.tariff, "RES");
    const char *ps[] = {"sgc=123456", "ti=01", "krn=1"};
    for (int i = 0; i < 3; i++)
        params_add(m.params, sizeof m.params, ps[i], &ctx.err);
    register_signed_sts(&ctx, dir);
    if (keys_add(&ctx, "sts:123456:1", vk, 8) ||
        tariff_add(&ctx, "RES", "Res", "1.500", "15") || customer_add(&ctx, &c) ||
        meter_add(&ctx, &m, NULL))
        die(&ctx, "setup");
    /* sales as a kiosk under head office makes them: each consumes the
       vending credit in its transaction (the grant as an instruction
       file's transaction applies it) */
    struct rec_credit_grant g = {.id = "BENCH", .money = 100000000,
                                 .expires = (int64_t)time(NULL) + 86400};
    DB_TXN *gt;
    if (store_begin(&ctx.store, &gt, &ctx.err) || credit_grant(&ctx, gt, &g) ||
        store_commit(&ctx.store, gt, &ctx.err))
        die(&ctx, "credit");

    double *lat = calloc((size_t)sales, sizeof *lat);
    struct rec_receipt r;
    vend_sell(&ctx, "01234567897", "10.00", &r); /* warm: driver loaded, caches */
    double t0 = now_s();
    for (int i = 0; i < sales; i++) {
        double a = now_s();
        if (vend_sell(&ctx, "01234567897", "10.00", &r) != UVS_OK)
            die(&ctx, "sale");
        lat[i] = now_s() - a;
    }
    double total = now_s() - t0;
    qsort(lat, (size_t)sales, sizeof *lat, cmp_d);
    double p50 = lat[sales / 2] * 1e3, p99 = lat[(sales * 99) / 100] * 1e3;
    double fs = fsyncs_per_s(home, 200);
    char token[64];
    snprintf(token, sizeof token, "%s", r.tokens[0]);
    free(lat);

    printf("%-34s %14s   %s\n", "figure", "value", "bound measured in this run (ratio)");
    printf("%-34s %14.0f   %.0f DES blocks/s (%.1f%%)\n", "STS EA07 tokens/s (DKGA02+encode)", t07,
           des, 100 * t07 / des);
    printf("%-34s %14.0f   %.0f DES blocks/s (%.1f%%)\n", "STS EA09 tokens/s (DKGA02+encode)", t09,
           des, 100 * t09 / des);
    printf("%-34s %14.1f   %.1f fsync/s on the same disk (%.0f%%)\n", "durable sales/s", sales / total,
           fs, 100 * (sales / total) / fs);
    printf("%-34s %14.3f ms\n", "sale latency p50", p50);
    printf("%-34s %14.3f ms\n", "sale latency p99", p99);
    bench_isolate(&ctx, "01234567897", token);
    uv_ctx_close(&ctx);
    bench_export(dir);
    printf("\n(%d sales; each sale is one synchronous Berkeley DB commit; an import commits\n"
           " each file without waiting for the disk and flushes the log once per batch)\n", sales);
    if (!base) {
        char cmd[4300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "bench: could not remove %s\n", dir);
    }
    return 0;
}
