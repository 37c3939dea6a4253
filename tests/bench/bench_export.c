/*
 * bench_export.c — export and head office import figures for make bench.
 *
 *  - export of 100,000 receipts from one kiosk (receipts put straight into
 *    the store in large transactions: this measures the export, not sales);
 *  - import of 1,000 kiosk files of 1,000 receipts each (files made with the
 *    same writer and signatures the kiosk uses, one key per kiosk), next to
 *    a plain sequential read of the same files; beside it the CPU time it
 *    took, and what libgcrypt's Ed25519 verification (once per file) and
 *    SHA-256 cost on their own in this run: the part of the budget (2 us per
 *    receipt at 500,000 receipts/s) no storage or parsing can win back.
 */
#include <dirent.h>
#include <fcntl.h>
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "digest.h"
#include "ed25519.h"
#include "export.h"
#include "exportfile.h"
#include "hq.h"
#include "init.h"
#include "univend.h"

double bench_now(void);

static void fail(struct uv_ctx *ctx, const char *what)
{
    fprintf(stderr, "bench: %s: %s\n", what, ctx->err.message);
    exit(1);
}

static void fake_receipt(struct rec_receipt *r, uint64_t n)
{
    memset(r, 0, sizeof *r);
    r->number = n;
    r->time = 1790000000 + (int64_t)n;
    snprintf(r->kiosk, sizeof r->kiosk, "BENCH");
    snprintf(r->clerk, sizeof r->clerk, "clerk%llu", (unsigned long long)(n % 7));
    snprintf(r->meter, sizeof r->meter, "0123456789%llu", (unsigned long long)(n % 10));
    snprintf(r->customer, sizeof r->customer, "C%llu", (unsigned long long)(n % 1000));
    snprintf(r->type_code, sizeof r->type_code, "STS-EA07");
    snprintf(r->driver, sizeof r->driver, "sts");
    snprintf(r->driver_version, sizeof r->driver_version, "1.0.0");
    snprintf(r->tariff, sizeof r->tariff, "RES");
    snprintf(r->currency, sizeof r->currency, "ZAR");
    r->gross = 5000;
    r->vat = 652;
    r->net = 4348;
    r->price_milli = 150000;
    r->vat_bp = 1500;
    r->energy_wh = 28900;
    r->energy_wh_requested = 28900;
    snprintf(r->token_id, sizeof r->token_id, "%llu", (unsigned long long)(6780000 + n));
    snprintf(r->tokens[0], sizeof r->tokens[0], "%020llu", (unsigned long long)(n * 7919));
    r->n_tokens = 1;
    digest_sha256(&n, sizeof n, r->hash);
}

static double export_100k(const char *dir, double *mb)
{
    static struct uv_ctx ctx;
    char home[4200], usb[4200];
    snprintf(home, sizeof home, "%s/exp-kiosk", dir);
    snprintf(usb, sizeof usb, "%s/exp-usb", dir);
    mkdir(usb, 0700);
    uv_ctx_init(&ctx, home, "bench");
    struct kiosk_init_opts o = {.kiosk_id = "BENCH", .currency = "ZAR", .decimals = 2,
                                .kdf_iterations = 1000};
    if (kiosk_init(&ctx, &o) != UVS_OK)
        fail(&ctx, "init");
    const uint64_t n = 100000;
    for (uint64_t base = 1; base <= n; base += 5000) {
        DB_TXN *txn;
        if (store_begin_nosync(&ctx.store, &txn, &ctx.err) != UVS_OK)
            fail(&ctx, "txn");
        for (uint64_t i = base; i < base + 5000 && i <= n; i++) {
            struct rec_receipt r;
            uint8_t key[8];
            fake_receipt(&r, i);
            rec_u64_key(i, key);
            if (store_put_rec(&ctx.store, txn, UV_DB_RECEIPTS, key, 8, &rec_receipt_layout, &r, 0,
                              &ctx.err) != UVS_OK)
                fail(&ctx, "put");
        }
        uint8_t c[8];
        rec_u64_key(base + 4999 < n ? base + 4999 : n, c);
        store_meta_put(&ctx.store, txn, "receipt.seq", c, 8, &ctx.err);
        if (store_commit(&ctx.store, txn, &ctx.err) != UVS_OK)
            fail(&ctx, "commit");
    }
    struct rec_export e;
    double t0 = bench_now();
    if (export_run(&ctx, usb, &e) != UVS_OK)
        fail(&ctx, "export");
    double dt = bench_now() - t0;
    char path[8400];
    struct stat st;
    snprintf(path, sizeof path, "%s/%s", usb, e.name);
    *mb = stat(path, &st) == 0 ? (double)st.st_size / 1e6 : 0;
    uv_ctx_close(&ctx);
    return dt;
}

/* n kiosks, one file each of per receipts, written with the kiosk's format */
static void make_files(const char *usb, unsigned n, unsigned per, char (*ids)[32],
                       uint8_t (*pubs)[32])
{
    for (unsigned k = 0; k < n; k++) {
        uint8_t secret[32], sig[64], msg[49];
        struct uv_error err;
        struct export_header h;
        memset(&h, 0, sizeof h);
        snprintf(ids[k], 32, "K%04u", k);
        if (ed25519_generate(secret, pubs[k], &err) != UVS_OK)
            exit(1);
        snprintf(h.kiosk, sizeof h.kiosk, "%s", ids[k]);
        h.sequence = 1;
        h.created = 1790000000;
        memcpy(h.currency, "ZAR", 4);
        h.currency_decimals = 2;
        h.receipt_first = 1;
        h.receipt_last = per;
        h.receipts = per;
        h.total_gross = 5000LL * per;
        h.total_vat = 652LL * per;
        h.total_net = 4348LL * per;
        h.total_energy_wh = 28900ULL * per;
        memcpy(h.public_key, pubs[k], 32);
        /* the format kiosks write now: with the vending credit, counted
           from the first receipt (head office reconciles it in hq report) */
        h.version = EXPORT_VERSION;
        h.credit_grants = 1;
        h.credit_from_receipt = 1;
        h.credit_money_granted = h.total_gross + 100000;
        h.credit_money_used = h.total_gross;
        h.credit_expires = h.created + 30 * 86400;
        char *buf = NULL;
        size_t len = 0;
        FILE *m = open_memstream(&buf, &len);
        exportfile_write_header(m, &h);
        for (unsigned i = 1; i <= per; i++) {
            struct rec_receipt r;
            fake_receipt(&r, i);
            exportfile_write_receipt(m, &r);
        }
        fflush(m);
        exportfile_signed_message(buf, len, msg);
        ed25519_sign(secret, pubs[k], msg, sizeof msg, sig, &err);
        exportfile_write_signature(m, sig);
        fclose(m);
        char name[64], path[8400];
        exportfile_name(ids[k], 1, name, sizeof name);
        snprintf(path, sizeof path, "%s/%s", usb, name);
        FILE *f = fopen(path, "w");
        if (!f || fwrite(buf, 1, len, f) != len || fclose(f) != 0)
            exit(1);
        free(buf);
    }
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Seconds per Ed25519 verification of the message an export file signs. */
static double ed25519_verify_s(void)
{
    uint8_t secret[32], pub[32], sig[64], msg[49];
    struct uv_error err;
    const int n = 200;
    exportfile_signed_message("bench", 5, msg);
    if (ed25519_generate(secret, pub, &err) != UVS_OK ||
        ed25519_sign(secret, pub, msg, sizeof msg, sig, &err) != UVS_OK)
        exit(1);
    double t0 = bench_now();
    for (int i = 0; i < n; i++)
        if (ed25519_verify(pub, msg, sizeof msg, sig, &err) != UVS_OK)
            exit(1);
    return (bench_now() - t0) / n;
}

/* SHA-256 MB/s over buffers of one export file's size. */
static double sha256_mb_s(size_t len)
{
    uint8_t *buf = calloc(1, len), h[32];
    const int n = 200;
    double t0 = bench_now();
    for (int i = 0; i < n; i++) {
        buf[0] = (uint8_t)i;
        digest_sha256(buf, len, h);
    }
    double dt = bench_now() - t0;
    free(buf);
    return (double)len * n / dt / 1e6;
}

static double read_all(const char *usb, double *mb)
{
    DIR *d = opendir(usb);
    struct dirent *de;
    static char buf[1 << 20];
    double bytes = 0, t0 = bench_now();
    while (d && (de = readdir(d)) != NULL) {
        char path[8400];
        if (de->d_name[0] == '.')
            continue;
        snprintf(path, sizeof path, "%s/%s", usb, de->d_name);
        int fd = open(path, O_RDONLY);
        ssize_t r;
        while (fd >= 0 && (r = read(fd, buf, sizeof buf)) > 0)
            bytes += (double)r;
        if (fd >= 0)
            close(fd);
    }
    if (d)
        closedir(d);
    *mb = bytes / 1e6;
    return bench_now() - t0;
}

void bench_export(const char *dir)
{
    double exp_mb = 0;
    double exp_s = export_100k(dir, &exp_mb);

    const unsigned nk = 1000, per = 1000;
    char usb[4200], home[4200];
    snprintf(usb, sizeof usb, "%s/imp-usb", dir);
    snprintf(home, sizeof home, "%s/hq", dir);
    mkdir(usb, 0700);
    char(*ids)[32] = calloc(nk, 32);
    uint8_t(*pubs)[32] = calloc(nk, 32);
    make_files(usb, nk, per, ids, pubs);

    static struct uv_ctx ctx;
    uv_ctx_init(&ctx, home, "bench");
    struct kiosk_init_opts o = {.kiosk_id = "HQ", .currency = "ZAR", .decimals = 2,
                                .kdf_iterations = 1000};
    if (kiosk_init(&ctx, &o) != UVS_OK)
        fail(&ctx, "hq init");
    uv_ctx_close(&ctx);
    char conf[8400];
    snprintf(conf, sizeof conf, "%s/univend.conf", home);
    FILE *f = fopen(conf, "a");
    fprintf(f, "db_cache_mb = 1024\n");
    fclose(f);
    uv_ctx_init(&ctx, home, "bench");
    if (uv_ctx_open(&ctx) != UVS_OK)
        fail(&ctx, "hq open");
    for (unsigned k = 0; k < nk; k++) {
        char hex[65];
        digest_hex(pubs[k], 32, hex);
        if (hq_kiosk_add(&ctx, ids[k], hex) != UVS_OK)
            fail(&ctx, "kiosk add");
    }
    double read_mb = 0, read_s = read_all(usb, &read_mb);
    struct hq_import_stats s;
    char *paths[1] = {usb};
    double c0 = cpu_now();
    if (hq_import(&ctx, paths, 1, NULL, NULL, &s) != UVS_OK || s.receipts != (uint64_t)nk * per)
        fail(&ctx, "import");
    double cpu = cpu_now() - c0, t_close = bench_now();
    uv_ctx_close(&ctx); /* the cache's pages written, a checkpoint */
    t_close = bench_now() - t_close;
    /* what head office then reads: the report (from the per-file sums) and
       the billing CSV (every receipt, read back from the stored files) */
    uv_ctx_init(&ctx, home, "bench");
    FILE *devnull = fopen("/dev/null", "w");
    if (uv_ctx_open(&ctx) != UVS_OK || devnull == NULL)
        fail(&ctx, "hq reopen");
    double t_rep = bench_now();
    if (hq_report(&ctx, devnull) != UVS_OK)
        fail(&ctx, "hq report");
    double t_csv = bench_now();
    t_rep = t_csv - t_rep;
    if (hq_export_csv(&ctx, devnull) != UVS_OK)
        fail(&ctx, "hq export-csv");
    t_csv = bench_now() - t_csv;
    fclose(devnull);
    uv_ctx_close(&ctx);
    free(ids);
    free(pubs);
    double verify_s = ed25519_verify_s(), sha = sha256_mb_s((size_t)(read_mb * 1e6 / nk));

    printf("%-34s %14.2f s %s(%.1f MB file; %.0f receipts/s)\n", "export of 100,000 receipts", exp_s,
           "", exp_mb, 100000 / exp_s);
    printf("%-34s %14.0f   raw read of the same %.0f MB: %.0f receipts/s (%.0f%%)\n",
           "import receipts/s (1000 files x 1000)", s.receipts / s.seconds, read_mb,
           s.receipts / read_s, 100 * read_s / s.seconds);
    printf("%-34s %14.0f   %.2f s of CPU in %.2f s; then %.2f s to close the store\n",
           "  per second of CPU", s.receipts / cpu, cpu, s.seconds, t_close);
    printf("%-34s %14.3f ms  %.2f us per receipt at %u receipts per file (budget: 2 us)\n",
           "  Ed25519 verify (once per file)", verify_s * 1e3, verify_s * 1e6 / per, per);
    printf("%-34s %14.0f MB/s %.2f us per receipt (%.0f bytes each)\n", "  SHA-256 (once per file)",
           sha, read_mb * 1e6 / nk / per / sha, read_mb * 1e6 / nk / per);
    printf("%-34s %14.3f s   hq export-csv of the same: %.2f s\n", "hq report (1,000,000 receipts)",
           t_rep, t_csv);
}
