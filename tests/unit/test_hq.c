/* test_hq.c — head office import refusals that need hand-made signed files:
   a conflicting copy, a broken chain, receipts already imported from another
   file. Files are written with the kiosk's own writer and signed with a key
   head office has registered. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "digest.h"
#include "ed25519.h"
#include "exportfile.h"
#include "hq.h"
#include "testutil.h"

struct signer {
    uint8_t secret[32], pub[32];
};

static void receipt(struct rec_receipt *r, uint64_t n, int64_t gross)
{
    memset(r, 0, sizeof *r);
    r->number = n;
    r->time = 1790000000 + (int64_t)n;
    strcpy(r->clerk, "c1");
    strcpy(r->meter, "01234567897");
    strcpy(r->customer, "C1");
    strcpy(r->type_code, "STS-EA07");
    strcpy(r->driver, "sts");
    strcpy(r->driver_version, "1.0.0");
    strcpy(r->tariff, "RES");
    r->gross = gross;
    r->net = gross;
    r->energy_wh = 1000;
    snprintf(r->tokens[0], sizeof r->tokens[0], "%020llu", (unsigned long long)n);
    r->n_tokens = 1;
    digest_sha256(&n, sizeof n, r->hash);
}

/* Write file seq with receipts first..last into dir; returns its path
   (malloc'ed) and, in hash, the file's SHA-256. */
static char *write_file(const char *dir, const struct signer *s, uint64_t seq, uint64_t first,
                        uint64_t last, const uint8_t prev[32], int64_t gross, uint8_t hash[32])
{
    struct export_header h;
    memset(&h, 0, sizeof h);
    strcpy(h.kiosk, "K1");
    h.sequence = seq;
    h.created = 1790000000;
    memcpy(h.currency, "ZAR", 4);
    h.currency_decimals = 2;
    h.receipt_first = first;
    h.receipt_last = last;
    h.receipts = last - first + 1;
    h.total_gross = h.total_net = gross * (int64_t)h.receipts;
    h.total_energy_wh = 1000 * h.receipts;
    memcpy(h.prev_hash, prev, 32);
    memcpy(h.public_key, s->pub, 32);
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    exportfile_write_header(m, &h);
    for (uint64_t i = first; i <= last; i++) {
        struct rec_receipt r;
        receipt(&r, i, gross);
        exportfile_write_receipt(m, &r);
    }
    fflush(m);
    uint8_t msg[49], sig[64];
    struct uv_error e;
    exportfile_signed_message(buf, len, msg);
    ck_assert(ed25519_sign(s->secret, s->pub, msg, sizeof msg, sig, &e) == UVS_OK);
    exportfile_write_signature(m, sig);
    fclose(m);
    digest_sha256(buf, len, hash);
    char *path;
    ck_assert(asprintf(&path, "%s/f-%llu-%llu-%lld.uvx", dir, (unsigned long long)seq,
                       (unsigned long long)first, (long long)gross) > 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    return path;
}

static struct uv_ctx *hq_with_kiosk(struct signer *s)
{
    struct uv_ctx *ctx = tu_kiosk_new();
    struct uv_error e;
    char hex[65];
    ck_assert(ed25519_generate(s->secret, s->pub, &e) == UVS_OK);
    digest_hex(s->pub, 32, hex);
    ck_assert_msg(hq_kiosk_add(ctx, "K1", hex) == UVS_OK, "%s", ctx->err.message);
    return ctx;
}

static uv_status import1(struct uv_ctx *ctx, char *path, struct hq_import_stats *st)
{
    char *paths[1] = {path};
    return hq_import(ctx, paths, 1, NULL, NULL, st);
}

START_TEST(conflicting_copy_and_broken_chain_are_refused)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32], h1b[32], h2[32];
    char *f1 = write_file(dir, &s, 1, 1, 3, zero, 1000, h1);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    ck_assert_uint_eq(st.receipts, 3);
    /* the same sequence with other content, validly signed: a conflicting copy */
    char *f1b = write_file(dir, &s, 1, 1, 3, zero, 1100, h1b);
    ck_assert_int_eq(import1(ctx, f1b, &st), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "1 of 1 files refused"));
    /* file 2 naming another predecessor: chain broken */
    char *f2 = write_file(dir, &s, 2, 4, 5, h1b, 1000, h2);
    ck_assert_int_eq(import1(ctx, f2, &st), UVS_REFUSED);
    /* file 2 with the right predecessor is accepted */
    char *f2ok = write_file(dir, &s, 2, 4, 5, h1, 1000, h2);
    ck_assert_int_eq(import1(ctx, f2ok, &st), UVS_OK);
    ck_assert_uint_eq(st.receipts, 2);
    free(f1), free(f1b), free(f2), free(f2ok);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(receipts_already_imported_from_another_file_are_refused)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32], h3[32], other[32];
    memset(other, 7, sizeof other);
    char *f1 = write_file(dir, &s, 1, 1, 3, zero, 1000, h1);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    /* file 3 (file 2 missing, so no chain check) overlapping receipts 3-4 */
    char *f3 = write_file(dir, &s, 3, 3, 4, other, 1000, h3);
    ck_assert_int_eq(import1(ctx, f3, &st), UVS_REFUSED);
    ck_assert_uint_eq(st.refused, 1);
    /* nothing of it was merged: receipt 4 is not there */
    FILE *out = tmpfile();
    ck_assert(hq_export_csv(ctx, out) == UVS_OK);
    long lines = 0;
    int c;
    rewind(out);
    while ((c = fgetc(out)) != EOF)
        lines += c == '\n';
    fclose(out);
    ck_assert_int_eq(lines, 1 + 3);
    /* a gap is reported */
    uint64_t missing = 0;
    ck_assert(hq_missing(ctx, NULL, &missing) == UVS_OK);
    ck_assert_uint_eq(missing, 0); /* file 3 was refused, so no gap yet */
    char *f3ok = write_file(dir, &s, 3, 5, 6, other, 1000, h3);
    ck_assert_int_eq(import1(ctx, f3ok, &st), UVS_OK);
    ck_assert(hq_missing(ctx, NULL, &missing) == UVS_OK);
    ck_assert_uint_eq(missing, 1); /* file 2 */
    free(f1), free(f3), free(f3ok);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *hq_suite(void)
{
    Suite *s = suite_create("hq");
    TCase *tc = tcase_create("import");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, conflicting_copy_and_broken_chain_are_refused);
    tcase_add_test(tc, receipts_already_imported_from_another_file_are_refused);
    suite_add_tcase(s, tc);
    return s;
}
