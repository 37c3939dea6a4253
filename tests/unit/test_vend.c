/* test_vend.c — the sale: durable receipt, token verified, refusals leave nothing. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "audit.h"
#include "masterdata.h"
#include "receipt.h"
#include "testutil.h"
#include "typeindex.h"
#include "vend.h"

#define METER "01234567897"

static uint64_t receipt_seq(struct uv_ctx *ctx)
{
    uint64_t n = 99;
    ck_assert(store_counter_peek(&ctx->store, NULL, "receipt.seq", &n, &ctx->err) == UVS_OK);
    return n;
}

struct audit_count {
    const char *action;
    unsigned n;
};

static int audit_count_one(const void *k, size_t kl, const void *v, size_t vl, void *p)
{
    struct audit_count *x = p;
    struct rec_audit a;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_audit_layout, v, vl, &a) == 0 && strcmp(a.action, x->action) == 0)
        x->n++;
    return 0;
}

static unsigned count_audit(struct uv_ctx *ctx, const char *action)
{
    struct audit_count arg = {action, 0};
    ck_assert(store_iterate(&ctx->store, NULL, UV_DB_AUDIT, NULL, 0, 0, audit_count_one, &arg,
                            &ctx->err) == UVS_OK);
    return arg.n;
}

START_TEST(sale_is_stored_and_token_verifies)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r, back;
    uv_status st = vend_sell(ctx, METER, "50.00", &r);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
    ck_assert_uint_eq(r.number, 1);
    /* 50.00 tendered at 1.500/kWh (VAT-exclusive) + 15 % VAT:
       28.9 kWh = 43.35 + VAT 6.5025 -> 6.50 = 49.85; 29.0 kWh would be 50.03.
       So 28.9 kWh, charged 49.85, change 0.15 */
    ck_assert_int_eq(r.tendered, 5000);
    ck_assert_int_eq(r.gross, 4985);
    ck_assert_int_eq(r.vat, 650);
    ck_assert_int_eq(r.net, 4335);
    ck_assert_int_eq(r.change, 15);
    ck_assert_uint_eq(r.energy_wh, 28900);
    ck_assert_uint_eq(r.n_tokens, 1);
    ck_assert_uint_eq(strlen(r.tokens[0]), 20);
    ck_assert_str_eq(r.driver, "sts");
    ck_assert_str_eq(r.kiosk, "TEST-1");
    ck_assert_str_eq(r.clerk, "tester");

    ck_assert(receipt_get(ctx, 1, &back) == UVS_OK);
    ck_assert_str_eq(back.tokens[0], r.tokens[0]);
    ck_assert_mem_eq(back.hash, r.hash, 32);

    struct uv_token_info ti;
    ck_assert(token_decode(ctx, METER, r.tokens[0], &ti) == UVS_OK);
    ck_assert_uint_eq(ti.amount, 28900);
    ck_assert_uint_eq(ti.token_class, 0);
    ck_assert_str_eq(ti.token_id, r.token_id);

    struct rec_meter m;
    ck_assert(meter_get(ctx, NULL, METER, &m, 0) == UVS_OK);
    ck_assert_uint_eq(m.sales_count, 1);
    ck_assert_uint_eq(m.last_receipt, 1);
    ck_assert_uint_eq(m.state_len, 5);
    ck_assert_uint_eq(count_audit(ctx, "sale"), 1);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(sale_survives_reopen)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r, back;
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK);
    tu_kiosk_reopen(ctx);
    ck_assert(receipt_get(ctx, r.number, &back) == UVS_OK);
    ck_assert_str_eq(back.tokens[0], r.tokens[0]);
    ck_assert_uint_eq(receipt_seq(ctx), 1);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(same_minute_sales_get_increasing_tids_and_chain)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r1, r2, r3;
    ck_assert(vend_sell(ctx, METER, "10.00", &r1) == UVS_OK);
    ck_assert(vend_sell(ctx, METER, "10.00", &r2) == UVS_OK);
    ck_assert(vend_sell(ctx, METER, "10.00", &r3) == UVS_OK);
    unsigned long t1 = strtoul(r1.token_id, NULL, 10), t2 = strtoul(r2.token_id, NULL, 10),
                  t3 = strtoul(r3.token_id, NULL, 10);
    ck_assert_uint_lt(t1, t2);
    ck_assert_uint_lt(t2, t3);
    ck_assert_str_ne(r1.tokens[0], r2.tokens[0]);
    /* receipts are chained: each carries the previous one's hash */
    uint8_t zero[32] = {0}, h[32];
    ck_assert_mem_eq(r1.prev_hash, zero, 32);
    ck_assert_mem_eq(r2.prev_hash, r1.hash, 32);
    ck_assert_mem_eq(r3.prev_hash, r2.hash, 32);
    receipt_hash(&r2, h);
    ck_assert_mem_eq(h, r2.hash, 32);
    tu_kiosk_free(ctx);
}
END_TEST

/* Each refusal: the right status, a message, no receipt, no number used. */
static void expect_refusal(struct uv_ctx *ctx, const char *meter, const char *amount,
                           uv_status want, const char *msg_part)
{
    struct rec_receipt r;
    uint64_t before = receipt_seq(ctx);
    uv_status st = vend_sell(ctx, meter, amount, &r);
    ck_assert_msg(st == want, "sale %s %s: got %d (%s), want %d", meter, amount, st,
                  ctx->err.message, want);
    ck_assert_msg(strstr(ctx->err.message, msg_part) != NULL, "message '%s' lacks '%s'",
                  ctx->err.message, msg_part);
    ck_assert_uint_eq(r.number, 0);
    ck_assert_uint_eq(receipt_seq(ctx), before);
}

START_TEST(bad_input_is_refused_without_receipt)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    expect_refusal(ctx, "99999999999", "10.00", UVS_NOTFOUND, "no meter");
    expect_refusal(ctx, "bad meter!", "10.00", UVS_INPUT, "invalid");
    expect_refusal(ctx, METER, "-5.00", UVS_INPUT, "negative");
    expect_refusal(ctx, METER, "abc", UVS_INPUT, "not a valid amount");
    expect_refusal(ctx, METER, "10.001", UVS_INPUT, "not a valid amount");
    expect_refusal(ctx, METER, "0.50", UVS_INPUT, "below the minimum");
    expect_refusal(ctx, METER, "10000.01", UVS_INPUT, "above the maximum");
    expect_refusal(ctx, METER, "99999999999999999999", UVS_INPUT, "not a valid amount");
    /* a refusal in between does not leave a gap in receipt numbers */
    struct rec_receipt r;
    ck_assert(vend_sell(ctx, METER, "10.00", &r) == UVS_OK);
    ck_assert_uint_eq(r.number, 1);
    expect_refusal(ctx, METER, "0", UVS_INPUT, "below the minimum");
    ck_assert(vend_sell(ctx, METER, "10.00", &r) == UVS_OK);
    ck_assert_uint_eq(r.number, 2);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(amount_buying_nothing_is_refused)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    ck_assert(tariff_add(ctx, "DEAR", "Dear", "50000", "0") == UVS_OK);
    struct rec_meter m;
    ck_assert(meter_get(ctx, NULL, METER, &m, 0) == UVS_OK);
    strcpy(m.tariff, "DEAR");
    ck_assert(store_put_rec(&ctx->store, NULL, UV_DB_METERS, m.number, strlen(m.number),
                            &rec_meter_layout, &m, 0, &ctx->err) == UVS_OK);
    /* 10.00 at 50000/kWh buys 0.0002 kWh: nothing a token can carry */
    expect_refusal(ctx, METER, "10.00", UVS_INPUT, "buys no energy");
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(unregistered_type_code_is_refused)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    ck_assert(store_del(&ctx->store, NULL, UV_DB_TYPEIDX, "STS-EA07", 8, &ctx->err) == UVS_OK);
    expect_refusal(ctx, METER, "10.00", UVS_REFUSED, "no driver is registered");
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(tampered_driver_is_refused_and_audited)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    /* a private driver dir holding a copy of sts.so, registered there */
    char *dir = tu_mkdtemp(), from[4200], to[4200];
    snprintf(from, sizeof from, "%s/sts.so", tu_driver_dir());
    snprintf(to, sizeof to, "%s/sts.so", dir);
    tu_copy(from, to);
    tu_sign_driver(ctx, to);
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", dir);
    ck_assert(store_del(&ctx->store, NULL, UV_DB_TYPEIDX, "STS-EA07", 8, &ctx->err) == UVS_OK);
    ck_assert(store_del(&ctx->store, NULL, UV_DB_TYPEIDX, "STS-EA09", 8, &ctx->err) == UVS_OK);
    ck_assert_msg(typeindex_register(ctx, "sts.so", NULL, NULL) == UVS_OK, "%s", ctx->err.message);
    tu_kiosk_reopen(ctx); /* nothing loaded yet */
    snprintf(ctx->cfg.driver_dir, sizeof ctx->cfg.driver_dir, "%s", dir);
    FILE *f = fopen(to, "ab");
    ck_assert_ptr_nonnull(f);
    fputc(0, f); /* one byte appended: still loads, but not what was registered */
    fclose(f);
    unsigned refused = count_audit(ctx, "driver.refused");
    expect_refusal(ctx, METER, "10.00", UVS_REFUSED, "changed since it was registered");
    ck_assert_uint_eq(count_audit(ctx, "driver.refused"), refused + 1);
    tu_rmrf(dir);
    free(dir);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(missing_key_fails_verification)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    ck_assert(store_del(&ctx->store, NULL, UV_DB_KEYS, TU_VK_REF, strlen(TU_VK_REF), &ctx->err) == UVS_OK);
    expect_refusal(ctx, METER, "10.00", UVS_REFUSED, "vending key");
    ck_assert_uint_eq(count_audit(ctx, "sale.refused"), 1);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(meter_with_bad_check_digit_is_not_added)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_meter m;
    memset(&m, 0, sizeof m);
    strcpy(m.number, "01234567890"); /* check digit should be 7 */
    strcpy(m.type_code, "STS-EA07");
    strcpy(m.customer, "C001");
    strcpy(m.tariff, "RES");
    ck_assert(params_add(m.params, sizeof m.params, "sgc=123456", &ctx->err) == UVS_OK);
    ck_assert(params_add(m.params, sizeof m.params, "ti=01", &ctx->err) == UVS_OK);
    ck_assert(params_add(m.params, sizeof m.params, "krn=1", &ctx->err) == UVS_OK);
    uv_status st = meter_add(ctx, &m, NULL);
    ck_assert_int_eq(st, UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "check digit"));
    struct rec_meter back;
    ck_assert_int_eq(meter_get(ctx, NULL, "01234567890", &back, 0), UVS_NOTFOUND);
    /* unknown type code */
    strcpy(m.number, "04123456784");
    strcpy(m.type_code, "NOPE");
    ck_assert_int_eq(meter_add(ctx, &m, NULL), UVS_REFUSED);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(token_of_another_meter_does_not_verify)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_meter m;
    ck_assert(meter_get(ctx, NULL, METER, &m, 0) == UVS_OK);
    strcpy(m.number, "04123456784");
    m.state_len = 0;
    ck_assert(meter_add(ctx, &m, NULL) == UVS_OK);
    struct rec_receipt r;
    ck_assert(vend_sell(ctx, METER, "30.00", &r) == UVS_OK);
    struct uv_token_info ti;
    uv_status st = token_decode(ctx, "04123456784", r.tokens[0], &ti);
    /* another DRN derives another decoder key: the CRC fails (1 in 65536 chance to pass) */
    ck_assert_int_eq(st, UVS_REFUSED);
    ck_assert_int_eq(token_decode(ctx, METER, "1234", &ti), UVS_INPUT);
    ck_assert_int_eq(token_decode(ctx, METER, "1234567890123456789a", &ti), UVS_INPUT);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *vend_suite(void)
{
    Suite *s = suite_create("vend");
    TCase *tc = tcase_create("sale");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, sale_is_stored_and_token_verifies);
    tcase_add_test(tc, sale_survives_reopen);
    tcase_add_test(tc, same_minute_sales_get_increasing_tids_and_chain);
    tcase_add_test(tc, bad_input_is_refused_without_receipt);
    tcase_add_test(tc, amount_buying_nothing_is_refused);
    tcase_add_test(tc, unregistered_type_code_is_refused);
    tcase_add_test(tc, tampered_driver_is_refused_and_audited);
    tcase_add_test(tc, missing_key_fails_verification);
    tcase_add_test(tc, meter_with_bad_check_digit_is_not_added);
    tcase_add_test(tc, token_of_another_meter_does_not_verify);
    suite_add_tcase(s, tc);
    return s;
}
