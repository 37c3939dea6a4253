/* test_clock.c — the guarded clock: floor, set back, jumped forward, offset,
   head office time. Real kiosks on real Berkeley DB files; the host clock is
   moved by the context's clock offset, the value clock_now() adds to it. */
#include <string.h>
#include <time.h>

#include "clerks.h"
#include "clock.h"
#include "masterdata.h"
#include "mgmt.h"
#include "testutil.h"
#include "vend.h"

#define METER "01234567897"

static uint64_t receipts(struct uv_ctx *ctx)
{
    uint64_t n = 99;
    ck_assert(store_counter_peek(&ctx->store, NULL, "receipt.seq", &n, &ctx->err) == UVS_OK);
    return n;
}

static void sell_ok(struct uv_ctx *ctx, struct rec_receipt *r)
{
    uv_status st = vend_sell(ctx, METER, "20.00", r);
    ck_assert_msg(st == UVS_OK, "%s", ctx->err.message);
}

START_TEST(parse_and_format)
{
    int64_t t;
    char buf[40];
    ck_assert_int_eq(clock_parse("2026-03-01 12:34", &t), 0);
    ck_assert_int_eq(t, 1772368440);
    ck_assert_int_eq(clock_parse("2026-03-01T12:34:56Z", &t), 0);
    ck_assert_int_eq(t, 1772368496);
    clock_format(t, buf, sizeof buf);
    ck_assert_str_eq(buf, "2026-03-01 12:34:56 UTC");
    const char *bad[] = {"", "2026-04-31 10:00", "2026-3-01 12:00", "2026-03-01 24:00",
                         "2026-03-01 12:60", "1999-12-31 23:59", "2026-03-01", "2026-03-01 12:34:5",
                         "2026-03-01 12:34 ", "now"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(clock_parse(bad[i], &t) == -1, "'%s' parsed", bad[i]);
}
END_TEST

START_TEST(a_sale_raises_the_floor_and_a_clock_set_back_stops_sales)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct clock_state s;
    struct rec_meter m;
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.floor, 0); /* a new kiosk has no floor yet */
    sell_ok(ctx, &r);
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.floor, r.time);
    ck_assert_int_eq(s.verdict, CLOCK_OK);

    /* the host clock goes back an hour */
    ctx->clock_offset = -3600;
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.verdict, CLOCK_BEHIND);
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "earlier than the last sale") &&
                      strstr(ctx->err.message, "call a supervisor"),
                  "%s", ctx->err.message);
    ck_assert_uint_eq(receipts(ctx), 1); /* nothing recorded */
    ck_assert(meter_get(ctx, NULL, METER, &m, 0) == UVS_OK);
    ck_assert_uint_eq(m.sales_count, 1);
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.refused", NULL, 0), 1);
    /* a second short of the hour reads as the hour, never "60 minutes" */
    ctx->clock_offset = -3599;
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "is 1 hour earlier"), "%s", ctx->err.message);
    ctx->clock_offset = -3600;
    /* no token of any kind either */
    struct rec_mgmt g;
    ck_assert_int_eq(vend_mgmt(ctx, METER, UV_MGMT_CLEAR_TAMPER, 0, NULL, "lid", &g),
                     UVS_REFUSED);
    ck_assert_uint_eq(tu_audit_count(ctx, "mgmt", NULL, 0), 0);

    /* within the tolerance (5 minutes) it still sells */
    ctx->clock_offset = -120;
    sell_ok(ctx, &r);
    ck_assert_uint_eq(receipts(ctx), 2);
    ctx->cfg.clock_tolerance_minutes = 1;
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_supervisor_sets_the_time_audited_and_kept)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct clock_state s;
    char detail[256], a[40], b[40];
    sell_ok(ctx, &r);
    ctx->clock_offset = -86400; /* the host clock a day behind */
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);

    /* a clerk may not set it */
    ctx->role = UV_ROLE_CLERK;
    ck_assert_int_eq(clock_set(ctx, (int64_t)time(NULL)), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "only a supervisor"));
    ck_assert_int_eq(ctx->clock_offset, -86400);
    ctx->role = 0;

    int64_t before = clock_now(ctx), right = (int64_t)time(NULL);
    ck_assert_msg(clock_set(ctx, right) == UVS_OK, "%s", ctx->err.message);
    ck_assert_int_le(ctx->clock_offset, 1);
    ck_assert_int_ge(ctx->clock_offset, -1);
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.set", detail, sizeof detail), 1);
    clock_format(before, a, sizeof a);
    clock_format(right, b, sizeof b);
    ck_assert_msg(strstr(detail, a) && strstr(detail, b), "old/new time missing: %s", detail);
    sell_ok(ctx, &r);

    /* the correction is stored: a host clock a day ahead, corrected, stays
       corrected after the kiosk starts again */
    ctx->clock_offset = 0;
    ck_assert(clock_set(ctx, (int64_t)time(NULL) + 3600) == UVS_OK);
    tu_kiosk_reopen(ctx);
    ck_assert_int_ge(ctx->clock_offset, 3599);
    ck_assert_int_le(ctx->clock_offset, 3601);

    /* never before the floor */
    sell_ok(ctx, &r);
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(clock_set(ctx, s.floor - 3600), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "never goes back"));
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.set", NULL, 0), 2);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_clock_jumped_forward_needs_a_supervisor_to_confirm)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct clock_state s;
    ctx->cfg.pin_kdf_iterations = 1000;
    ck_assert(clerk_add(ctx, "ann", "Ann Clerk", UV_ROLE_CLERK, "2468") == UVS_OK);
    ck_assert(clerk_add(ctx, "boss", "Boss", UV_ROLE_SUPERVISOR, "1357") == UVS_OK);
    sell_ok(ctx, &r);

    ctx->clock_offset = 8 * 86400; /* eight days on, default span seven */
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.verdict, CLOCK_JUMPED);
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "8 days past the last activity"), "%s",
                  ctx->err.message);
    ck_assert_uint_eq(receipts(ctx), 1);

    /* a clerk's session: the clerk cannot confirm, nor can another clerk's PIN */
    snprintf(ctx->actor, sizeof ctx->actor, "ann");
    ctx->role = UV_ROLE_CLERK;
    ck_assert_int_eq(clock_confirm(ctx), UVS_REFUSED);
    ck_assert_int_eq(clock_confirm_as(ctx, "ann", "2468"), UVS_REFUSED);
    ck_assert_int_eq(clock_confirm_as(ctx, "boss", "0000"), UVS_REFUSED);
    ck_assert_str_eq(ctx->actor, "ann");
    ck_assert_uint_eq(ctx->role, UV_ROLE_CLERK);
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);

    /* the supervisor's PIN: confirmed, audited as the supervisor, and the
       clerk is still the one selling */
    ck_assert_msg(clock_confirm_as(ctx, "boss", "1357") == UVS_OK, "%s", ctx->err.message);
    ck_assert_str_eq(ctx->actor, "ann");
    ck_assert_uint_eq(ctx->role, UV_ROLE_CLERK);
    char detail[256];
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.confirm", detail, sizeof detail), 1);
    ck_assert_ptr_nonnull(strstr(detail, "8 days after the last activity"));
    sell_ok(ctx, &r);
    ck_assert_str_eq(r.clerk, "ann");
    ck_assert_uint_eq(receipts(ctx), 2);

    /* the check can be switched off */
    ctx->clock_offset += 30 * 86400;
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ctx->cfg.clock_jump_days = 0;
    sell_ok(ctx, &r);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(head_office_time_raises_the_floor)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct clock_state s;
    struct rec_receipt r;
    DB_TXN *txn;
    int64_t hq = clock_now(ctx) + 3600; /* head office's clock an hour ahead of ours */
    ck_assert(store_begin(&ctx->store, &txn, &ctx->err) == UVS_OK);
    ck_assert(clock_raise_floor_hq(ctx, txn, hq) == UVS_OK);
    ck_assert(store_commit(&ctx->store, txn, &ctx->err) == UVS_OK);
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.floor, hq);
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.floor", NULL, 0), 1);
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    /* an older time changes nothing; an aborted one neither */
    ck_assert(store_begin(&ctx->store, &txn, &ctx->err) == UVS_OK);
    ck_assert(clock_raise_floor_hq(ctx, txn, hq - 60) == UVS_OK);
    ck_assert(store_commit(&ctx->store, txn, &ctx->err) == UVS_OK);
    ck_assert(store_begin(&ctx->store, &txn, &ctx->err) == UVS_OK);
    ck_assert(clock_raise_floor_hq(ctx, txn, hq + 60) == UVS_OK);
    store_abort(txn);
    ck_assert(clock_state(ctx, NULL, &s) == UVS_OK);
    ck_assert_int_eq(s.floor, hq);
    ck_assert_uint_eq(tu_audit_count(ctx, "clock.floor", NULL, 0), 1);
    /* the supervisor puts the kiosk on head office's time */
    ck_assert(clock_set(ctx, hq) == UVS_OK);
    sell_ok(ctx, &r);
    ck_assert_int_ge(r.time, hq);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *clock_suite(void)
{
    Suite *s = suite_create("clock");
    TCase *tc = tcase_create("clock");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, parse_and_format);
    tcase_add_test(tc, a_sale_raises_the_floor_and_a_clock_set_back_stops_sales);
    tcase_add_test(tc, a_supervisor_sets_the_time_audited_and_kept);
    tcase_add_test(tc, a_clock_jumped_forward_needs_a_supervisor_to_confirm);
    tcase_add_test(tc, head_office_time_raises_the_floor);
    suite_add_tcase(s, tc);
    return s;
}
