/* test_report.c — shift/day reports, closings, reprint, search, printing. */
#include <stdlib.h>
#include <string.h>

#include "print.h"
#include "receipt.h"
#include "report.h"
#include "testutil.h"
#include "vend.h"

#define METER "01234567897"

static void sell_as(struct uv_ctx *ctx, const char *clerk, const char *amount)
{
    struct rec_receipt r;
    snprintf(ctx->actor, sizeof ctx->actor, "%s", clerk);
    ck_assert_msg(vend_sell(ctx, METER, amount, &r) == UVS_OK, "%s", ctx->err.message);
}

START_TEST(shift_and_day_totals_match_sales)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    sell_as(ctx, "ann", "10.00");
    sell_as(ctx, "bob", "20.00");
    sell_as(ctx, "ann", "30.00");
    struct uv_report r;
    ck_assert(report_shift(ctx, "ann", &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 2);
    /* 1.500/kWh + 15 % VAT, charged amounts (change returned):
       10.00 -> 5.7 kWh: 8.55 + VAT 1.2825 -> 1.28 = 9.83 (5.8 kWh: 10.01)
       30.00 -> 17.3 kWh: 25.95 + VAT 3.8925 -> 3.89 = 29.84 (17.4 kWh: 30.02) */
    ck_assert_int_eq(r.total.gross, 983 + 2984);
    ck_assert_int_eq(r.total.vat, 128 + 389);
    ck_assert_int_eq(r.total.net, 855 + 2595);
    ck_assert_uint_eq(r.first_receipt, 1);
    ck_assert_uint_eq(r.last_receipt, 3);
    ck_assert_uint_eq(r.n_tariff, 1);
    ck_assert_str_eq(r.by_driver[0].key, "sts");

    ck_assert(report_day(ctx, &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 3);
    /* + 20.00 -> 11.5 kWh: 17.25 + VAT 2.5875 -> 2.59 = 19.84 */
    ck_assert_int_eq(r.total.gross, 983 + 1984 + 2984);
    ck_assert_uint_eq(r.n_clerk, 2);
    uint64_t sum = 0;
    for (size_t i = 0; i < r.n_clerk; i++)
        sum += (uint64_t)r.by_clerk[i].gross;
    ck_assert_uint_eq(sum, 983 + 1984 + 2984);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(closing_starts_a_new_period)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    sell_as(ctx, "ann", "10.00");
    struct uv_report r, stale;
    uint64_t no = 0;
    ck_assert(report_shift(ctx, "ann", &r) == UVS_OK);
    stale = r;
    ck_assert(report_close(ctx, &r, &no) == UVS_OK);
    ck_assert_uint_eq(no, 1);
    /* closing the same period twice is refused */
    ck_assert_int_eq(report_close(ctx, &stale, &no), UVS_REFUSED);
    ck_assert(report_shift(ctx, "ann", &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 0);
    sell_as(ctx, "ann", "15.00");
    ck_assert(report_shift(ctx, "ann", &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 1);
    /* 15.00 -> 8.6 kWh: 12.90 + VAT 1.935 -> 1.94 = 14.84 */
    ck_assert_int_eq(r.total.gross, 1484);
    /* the day is independent of shift closings */
    ck_assert(report_day(ctx, &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 2);
    ck_assert(report_close(ctx, &r, &no) == UVS_OK);
    ck_assert_uint_eq(no, 2);
    ck_assert(report_day(ctx, &r) == UVS_OK);
    ck_assert_uint_eq(r.total.count, 0);
    /* the closing record holds the totals */
    struct rec_closing c;
    uint8_t key[8];
    rec_u64_key(2, key);
    ck_assert(store_get_rec(&ctx->store, NULL, UV_DB_CLOSINGS, key, 8, &rec_closing_layout, &c, 0,
                            &ctx->err) == UVS_OK);
    ck_assert_uint_eq(c.kind, CLOSING_DAY);
    ck_assert_uint_eq(c.count, 2);
    ck_assert_int_eq(c.gross, 983 + 1484);
    ck_assert_uint_eq(c.first_receipt, 1);
    ck_assert_uint_eq(c.last_receipt, 2);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(reprint_counts_and_keeps_the_chain)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r, back;
    ck_assert(vend_sell(ctx, METER, "10.00", &r) == UVS_OK);
    ck_assert(receipt_reprint(ctx, 1, &back) == UVS_OK);
    ck_assert_uint_eq(back.reprints, 1);
    ck_assert(receipt_reprint(ctx, 1, &back) == UVS_OK);
    ck_assert_uint_eq(back.reprints, 2);
    uint8_t h[32];
    receipt_hash(&back, h);
    ck_assert_mem_eq(h, r.hash, 32); /* a reprint does not change the sale */
    char *buf;
    size_t len;
    ck_assert(print_render_receipt(ctx, &back, 0, &buf, &len) == UVS_OK);
    ck_assert_ptr_nonnull(strstr(buf, "*** REPRINT 2 ***"));
    free(buf);
    ck_assert_int_eq(receipt_reprint(ctx, 99, &back), UVS_NOTFOUND);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(find_by_meter_clerk_and_time)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    sell_as(ctx, "ann", "10.00");
    sell_as(ctx, "bob", "11.00");
    sell_as(ctx, "ann", "12.00");
    struct rec_receipt out[10];
    size_t n;
    struct receipt_filter f = {NULL, "ann", 0, 0};
    ck_assert(receipt_find(ctx, &f, out, 10, &n) == UVS_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_uint_eq(out[0].number, 3); /* newest first */
    ck_assert_uint_eq(out[1].number, 1);
    struct receipt_filter g = {METER, NULL, 0, 0};
    ck_assert(receipt_find(ctx, &g, out, 2, &n) == UVS_OK);
    ck_assert_uint_eq(n, 2);
    struct receipt_filter h = {NULL, NULL, 1, 2}; /* 1970: nothing */
    ck_assert(receipt_find(ctx, &h, out, 10, &n) == UVS_OK);
    ck_assert_uint_eq(n, 0);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(escpos_and_printer_file)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    ck_assert(vend_sell(ctx, METER, "10.00", &r) == UVS_OK);
    char *buf;
    size_t len;
    ck_assert(print_render_receipt(ctx, &r, 1, &buf, &len) == UVS_OK);
    ck_assert_uint_ge(len, 10);
    ck_assert_mem_eq(buf, "\x1b@", 2);                           /* initialise */
    ck_assert_ptr_nonnull(memmem(buf, len, "\x1d!\x11", 3));      /* token double size */
    ck_assert_ptr_nonnull(memmem(buf, len, "\x1d!\x00", 3));      /* back to normal */
    ck_assert_mem_eq(buf + len - 4, "\x1dV\x42\x00", 4);         /* cut, NUL included */
    ck_assert_ptr_nonnull(memmem(buf, len, r.token_id, strlen(r.token_id)));
    free(buf);
    /* to a file, then to a path that cannot be opened */
    char *dir = tu_mkdtemp();
    snprintf(ctx->cfg.printer, sizeof ctx->cfg.printer, "%s/printer.out", dir);
    ck_assert(print_receipt(ctx, &r) == UVS_OK);
    FILE *f = fopen(ctx->cfg.printer, "rb");
    ck_assert_ptr_nonnull(f);
    char got[4096];
    size_t n = fread(got, 1, sizeof got, f);
    fclose(f);
    ck_assert_ptr_nonnull(memmem(got, n, "Receipt   1", 11));
    snprintf(ctx->cfg.printer, sizeof ctx->cfg.printer, "%s/missing/dir/lp0", dir);
    ck_assert_int_eq(print_receipt(ctx, &r), UVS_IO);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "the sale is stored"));
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *report_suite(void)
{
    Suite *s = suite_create("report");
    TCase *tc = tcase_create("report");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, shift_and_day_totals_match_sales);
    tcase_add_test(tc, closing_starts_a_new_period);
    tcase_add_test(tc, reprint_counts_and_keeps_the_chain);
    tcase_add_test(tc, find_by_meter_clerk_and_time);
    tcase_add_test(tc, escpos_and_printer_file);
    suite_add_tcase(s, tc);
    return s;
}
