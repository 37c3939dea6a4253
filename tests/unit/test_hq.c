/* test_hq.c — head office import with hand-made signed files: refusals (a
   conflicting copy, a broken chain, receipts already imported from another
   file), and what the report and the billing CSV read back from the stored
   files when they arrive out of order. Files are written with the kiosk's
   own writer and signed with a key head office has registered. */
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

/* Fills receipt n of a file; arg is the maker's own. */
typedef void (*make_fn)(struct rec_receipt *r, uint64_t n, const void *arg);

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

static void plain(struct rec_receipt *r, uint64_t n, const void *gross)
{
    receipt(r, n, *(const int64_t *)gross);
}

/* Write file seq with receipts first..last (made by make) into dir; returns
   its path (malloc'ed) and, in hash, the file's SHA-256. */
static char *write_file_with(const char *dir, const struct signer *s, uint64_t seq,
                             uint64_t first, uint64_t last, const uint8_t prev[32], make_fn make,
                             const void *arg, uint8_t hash[32])
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
    memcpy(h.prev_hash, prev, 32);
    memcpy(h.public_key, s->pub, 32);
    for (uint64_t i = first; i <= last; i++) {
        struct rec_receipt r;
        make(&r, i, arg);
        h.total_gross += r.gross;
        h.total_vat += r.vat;
        h.total_net += r.net;
        h.total_energy_wh += r.energy_wh;
    }
    char *buf = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&buf, &len);
    exportfile_write_header(m, &h);
    for (uint64_t i = first; i <= last; i++) {
        struct rec_receipt r;
        make(&r, i, arg);
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
    ck_assert(asprintf(&path, "%s/f-%llu-%llu-%02x%02x.uvx", dir, (unsigned long long)seq,
                       (unsigned long long)first, hash[0], hash[1]) > 0);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(buf, 1, len, f), len);
    fclose(f);
    free(buf);
    return path;
}

static char *write_file(const char *dir, const struct signer *s, uint64_t seq, uint64_t first,
                        uint64_t last, const uint8_t prev[32], int64_t gross, uint8_t hash[32])
{
    return write_file_with(dir, s, seq, first, last, prev, plain, &gross, hash);
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

/* Receipts 1-3: tariff ZED on 2026-09-20; 4-5: tariff ALPHA a day earlier
   (the kiosk's clock was set back), so neither name nor day order is the
   order of the receipts. */
static void zed_then_alpha(struct rec_receipt *r, uint64_t n, const void *arg)
{
    (void)arg;
    receipt(r, n, 100 * (int64_t)n);
    strcpy(r->tariff, n <= 3 ? "ZED" : "ALPHA");
    r->time = n <= 3 ? 1790000000 + (int64_t)n : 1790000000 - 86400 + (int64_t)n;
}

static char *report_of(struct uv_ctx *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_msg(hq_report(ctx, out) == UVS_OK, "%s", ctx->err.message);
    fclose(out);
    return text;
}

static char *csv_of(struct uv_ctx *ctx)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    ck_assert_msg(hq_export_csv(ctx, out) == UVS_OK, "%s", ctx->err.message);
    fclose(out);
    return text;
}

/* Does the report line at `at` show this key, count and amount? */
static int row_is(const char *at, const char *key, unsigned count, const char *amount)
{
    char want[80];
    snprintf(want, sizeof want, "  %-30s %8u %16s ", key, count, amount);
    return at != NULL && strncmp(at, want, strlen(want)) == 0;
}

/* Where `line` starts in text after `after`, or NULL. */
static const char *line_after(const char *text, const char *after, const char *line)
{
    const char *a = strstr(text, after);
    return a ? strstr(a, line) : NULL;
}

START_TEST(report_and_csv_follow_the_receipts_when_files_arrive_out_of_order)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32], h2[32];
    char *f1 = write_file_with(dir, &s, 1, 1, 3, zero, zed_then_alpha, NULL, h1);
    char *f2 = write_file_with(dir, &s, 2, 4, 5, h1, zed_then_alpha, NULL, h2);
    ck_assert_int_eq(import1(ctx, f2, &st), UVS_OK);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    char *rep = report_of(ctx);
    /* rows in the order of their first receipt, with every receipt counted */
    const char *zed = line_after(rep, "by tariff", "  ZED "),
               *alpha = line_after(rep, "by tariff", "  ALPHA ");
    ck_assert_msg(zed && alpha && zed < alpha, "ALPHA (receipts 4-5) is listed before ZED (1-3)");
    ck_assert(row_is(zed, "ZED", 3, "6.00"));
    ck_assert(row_is(alpha, "ALPHA", 2, "9.00"));
    const char *later = line_after(rep, "by day and kiosk", "  2026-09-21 K1 "),
               *earlier = line_after(rep, "by day and kiosk", "  2026-09-20 K1 ");
    ck_assert_msg(later && earlier && later < earlier, "the days are not in receipt order");
    ck_assert(row_is(line_after(rep, "by kiosk", "  K1 "), "K1", 5, "15.00"));
    /* the billing CSV lists receipts 1 to 5 in order, read from both files */
    char *csv = csv_of(ctx);
    const char *at = csv;
    for (int n = 1; n <= 5; n++) {
        char want[32];
        snprintf(want, sizeof want, "\nK1,%d,", n);
        const char *next = strstr(at, want);
        ck_assert_msg(next != NULL, "receipt %d is not after receipt %d", n, n - 1);
        at = next + 1;
    }
    ck_assert_ptr_nonnull(strstr(csv, "\nK1,4,2026-09-20T"));
    ck_assert_ptr_null(strstr(at + 1, "\nK1,"));
    free(rep);
    free(csv);
    free(f1), free(f2);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

static void one_tariff_each(struct rec_receipt *r, uint64_t n, const void *arg)
{
    (void)arg;
    receipt(r, n, 100);
    snprintf(r->tariff, sizeof r->tariff, "T%02llu", (unsigned long long)n - 1);
}

START_TEST(a_report_table_past_64_rows_ends_with_the_others)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32];
    char *f1 = write_file_with(dir, &s, 1, 1, 66, zero, one_tariff_each, NULL, h1);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    char *rep = report_of(ctx);
    const char *tariffs = strstr(rep, "by tariff"), *drivers = strstr(rep, "by driver");
    ck_assert_ptr_nonnull(tariffs);
    const char *last = strstr(tariffs, "  T62 "), *others = strstr(tariffs, "  (others) ");
    ck_assert_msg(last && last < drivers, "T62 has no row");
    const char *t63 = strstr(tariffs, "  T63 ");
    ck_assert_msg(t63 == NULL || t63 > drivers, "T63 has a row of its own");
    /* T63, T64 and T65: three receipts of 1.00 */
    ck_assert(others && others < drivers && row_is(others, "(others)", 3, "3.00"));
    ck_assert(row_is(strstr(tariffs, "  T00 "), "T00", 1, "1.00"));
    free(rep);
    free(f1);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

static void far_future(struct rec_receipt *r, uint64_t n, const void *arg)
{
    (void)arg;
    receipt(r, n, 100);
    r->time = INT64_MAX; /* signed by the kiosk, but beyond any calendar */
}

START_TEST(a_time_beyond_the_calendar_is_shown_not_fatal)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32];
    char *f1 = write_file_with(dir, &s, 1, 1, 1, zero, far_future, NULL, h1);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    char *rep = report_of(ctx), *csv = csv_of(ctx);
    ck_assert_ptr_nonnull(line_after(rep, "by day and kiosk", "  day 106751991167300 K1 "));
    ck_assert_ptr_nonnull(strstr(csv, "\nK1,1,@9223372036854775807,"));
    free(rep);
    free(csv);
    free(f1);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_damaged_stored_file_is_reported_not_read)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    char *dir = tu_mkdtemp();
    uint8_t zero[32] = {0}, h1[32], key[64];
    char *f1 = write_file(dir, &s, 1, 1, 3, zero, 1000, h1);
    ck_assert_int_eq(import1(ctx, f1, &st), UVS_OK);
    /* change one digit of the stored copy, behind head office's back */
    void *buf = NULL;
    size_t cap = 0, len = 0, kl = strlen("K1") + 9;
    memcpy(key, "K1", 3);
    rec_u64_key(1, key + 3);
    ck_assert(store_get_alloc(&ctx->store, NULL, UV_DB_HQ_FILEDATA, key, kl, &buf, &cap, &len,
                              &ctx->err) == UVS_OK);
    char *gross = memmem(buf, len, ",1000,", 6);
    ck_assert_ptr_nonnull(gross);
    gross[1] = '2';
    ck_assert(store_put(&ctx->store, NULL, UV_DB_HQ_FILEDATA, key, kl, buf, len, 0, &ctx->err) ==
              UVS_OK);
    FILE *out = tmpfile();
    ck_assert_int_eq(hq_export_csv(ctx, out), UVS_STORE);
    ck_assert_msg(strstr(ctx->err.message, "stored copy of kiosk K1 file 1 differs") != NULL, "%s",
                  ctx->err.message);
    fclose(out);
    free(buf);
    free(f1);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_store_of_the_earlier_layout_is_refused)
{
    struct signer s;
    struct uv_ctx *ctx = hq_with_kiosk(&s);
    struct hq_import_stats st;
    /* what an earlier univend left: receipts one by one in hq-receipts.db */
    DB *db;
    DBT k, v;
    ck_assert_int_eq(db_create(&db, ctx->store.env, 0), 0);
    ck_assert_int_eq(db->open(db, NULL, "hq-receipts.db", NULL, DB_BTREE,
                              DB_CREATE | DB_AUTO_COMMIT, 0600), 0);
    memset(&k, 0, sizeof k);
    memset(&v, 0, sizeof v);
    k.data = "K1";
    k.size = 3;
    v.data = "x";
    v.size = 1;
    ck_assert_int_eq(db->put(db, NULL, &k, &v, DB_AUTO_COMMIT), 0);
    db->close(db, 0);
    FILE *out = tmpfile();
    ck_assert_int_eq(hq_report(ctx, out), UVS_STORE);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "written by an earlier univend"));
    ck_assert_int_eq(hq_export_csv(ctx, out), UVS_STORE);
    char *none[1] = {"/nonexistent"};
    ck_assert_int_eq(hq_import(ctx, none, 1, NULL, NULL, &st), UVS_STORE);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "import the export files again"));
    fclose(out);
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
    tcase_add_test(tc, report_and_csv_follow_the_receipts_when_files_arrive_out_of_order);
    tcase_add_test(tc, a_report_table_past_64_rows_ends_with_the_others);
    tcase_add_test(tc, a_time_beyond_the_calendar_is_shown_not_fatal);
    tcase_add_test(tc, a_damaged_stored_file_is_reported_not_read);
    tcase_add_test(tc, a_store_of_the_earlier_layout_is_refused);
    suite_add_tcase(s, tc);
    return s;
}
