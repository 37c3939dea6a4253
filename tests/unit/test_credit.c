/* test_credit.c — vending credit: grants, consumption with the receipt,
   refusals (none, used up, expired, too large), warnings, grants applied
   once. Real kiosks on real Berkeley DB files. */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "clock.h"
#include "credit.h"
#include "masterdata.h"
#include "receipt.h"
#include "testutil.h"
#include "vend.h"

#define METER "01234567897"

static uv_status grant(struct uv_ctx *ctx, const char *id, int64_t money, uint64_t wh,
                       int64_t expires, int64_t warn_money, uint64_t warn_wh)
{
    struct rec_credit_grant g;
    DB_TXN *txn;
    memset(&g, 0, sizeof g);
    snprintf(g.id, sizeof g.id, "%s", id);
    g.money = money;
    g.energy_wh = wh;
    g.expires = expires;
    g.warn_money = warn_money;
    g.warn_wh = warn_wh;
    ck_assert(store_begin(&ctx->store, &txn, &ctx->err) == UVS_OK);
    uv_status st = credit_grant(ctx, txn, &g);
    if (st == UVS_OK)
        return store_commit(&ctx->store, txn, &ctx->err);
    store_abort(txn);
    return st;
}

static int64_t in_days(struct uv_ctx *ctx, int d)
{
    return clock_now(ctx) + (int64_t)d * 86400;
}

static uint64_t receipts(struct uv_ctx *ctx)
{
    uint64_t n = 99;
    ck_assert(store_counter_peek(&ctx->store, NULL, "receipt.seq", &n, &ctx->err) == UVS_OK);
    return n;
}

static struct rec_credit credit_now(struct uv_ctx *ctx)
{
    struct rec_credit c;
    ck_assert(credit_get(ctx, NULL, &c, 0) == UVS_OK);
    return c;
}

/* gross and energy of receipts first..last */
static void receipt_sums(struct uv_ctx *ctx, uint64_t first, uint64_t last, int64_t *gross,
                         uint64_t *wh)
{
    *gross = 0;
    *wh = 0;
    for (uint64_t n = first; n <= last; n++) {
        struct rec_receipt r;
        ck_assert(receipt_get(ctx, n, &r) == UVS_OK);
        *gross += r.gross;
        *wh += r.energy_wh;
    }
}

START_TEST(a_kiosk_without_credit_follows_credit_required)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    ctx->cfg.credit_required = 1;
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "no vending credit"), "%s", ctx->err.message);
    ck_assert_uint_eq(receipts(ctx), 0);
    ctx->cfg.credit_required = 0;
    ck_assert_msg(vend_sell(ctx, METER, "20.00", &r) == UVS_OK, "%s", ctx->err.message);
    struct rec_credit c = credit_now(ctx);
    ck_assert_uint_eq(c.grants, 0); /* nothing counted without a grant */
    ck_assert_int_eq(c.money_used, 0);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(each_sale_consumes_the_credit_with_its_receipt)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    /* two sales before any credit (credit_required = no), then a grant */
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK);
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK);
    ck_assert_msg(grant(ctx, "G1", 50000, 0, in_days(ctx, 30), 0, 0) == UVS_OK, "%s",
                  ctx->err.message);
    struct rec_credit c = credit_now(ctx);
    ck_assert_uint_eq(c.grants, 1);
    ck_assert_uint_eq(c.from_receipt, 3);
    ck_assert_int_eq(c.money_granted, 50000);
    ck_assert_uint_eq(tu_audit_count(ctx, "credit.grant", NULL, 0), 1);
    for (int i = 0; i < 3; i++)
        ck_assert_msg(vend_sell(ctx, METER, "20.00", &r) == UVS_OK, "%s", ctx->err.message);
    c = credit_now(ctx);
    int64_t gross;
    uint64_t wh;
    receipt_sums(ctx, 3, 5, &gross, &wh);
    ck_assert_int_eq(c.money_used, gross);
    ck_assert_uint_eq(c.energy_used_wh, wh);
    struct credit_status s;
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert_int_eq(s.money_left, 50000 - gross);
    ck_assert(s.money_limited && !s.energy_limited && s.may_sell && !s.warn);
    /* a second grant adds up, and from_receipt stays */
    ck_assert(grant(ctx, "G2", 10000, 0, in_days(ctx, 40), 0, 0) == UVS_OK);
    c = credit_now(ctx);
    ck_assert_int_eq(c.money_granted, 60000);
    ck_assert_uint_eq(c.from_receipt, 3);
    ck_assert_int_eq(c.expires, in_days(ctx, 40));
    /* kept across a restart */
    tu_kiosk_reopen(ctx);
    ck_assert_int_eq(credit_now(ctx).money_used, gross);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_sale_larger_than_the_credit_is_refused_before_the_driver_issues)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct rec_meter before, after;
    ck_assert(grant(ctx, "G1", 3000, 0, in_days(ctx, 30), 0, 0) == UVS_OK);
    ck_assert(meter_get(ctx, NULL, METER, &before, 0) == UVS_OK);
    ck_assert_int_eq(vend_sell(ctx, METER, "50.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "more than the vending credit left (30.00 ZAR)") &&
                      strstr(ctx->err.message, "sell at most 30.00 ZAR"),
                  "%s", ctx->err.message);
    /* nothing recorded: no receipt, no token id used, no credit consumed */
    ck_assert_uint_eq(receipts(ctx), 0);
    ck_assert(meter_get(ctx, NULL, METER, &after, 0) == UVS_OK);
    ck_assert_uint_eq(after.sales_count, 0);
    ck_assert_uint_eq(after.state_len, before.state_len);
    ck_assert_mem_eq(after.state, before.state, before.state_len);
    ck_assert_int_eq(credit_now(ctx).money_used, 0);
    /* what fits is sold */
    ck_assert_msg(vend_sell(ctx, METER, "30.00", &r) == UVS_OK, "%s", ctx->err.message);
    ck_assert_int_le(r.gross, 3000);
    ck_assert_int_eq(credit_now(ctx).money_used, r.gross);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(energy_credit_used_up_stops_sales)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct uv_quote q;
    /* 20.00 buys 11.5 kWh at 1.500 + 15 % VAT: grant exactly that */
    ck_assert(grant(ctx, "E1", 0, 11500, in_days(ctx, 30), 0, 2000) == UVS_OK);
    ck_assert_int_eq(vend_sell(ctx, METER, "21.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "more than the energy credit left (11.5 kWh)"), "%s",
                  ctx->err.message);
    ck_assert_msg(vend_sell(ctx, METER, "20.00", &r) == UVS_OK, "%s", ctx->err.message);
    ck_assert_uint_eq(r.energy_wh, 11500);
    struct credit_status s;
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(s.used_up && !s.may_sell);
    char line[300];
    ck_assert_int_eq(credit_warning(ctx, &s, line, sizeof line), 1);
    ck_assert_ptr_nonnull(strstr(line, "Vending credit used up"));
    ck_assert_int_eq(vend_sell(ctx, METER, "5.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "Vending credit used up (0.0 kWh left") &&
                      strstr(ctx->err.message, "head office must send new credit"),
                  "%s", ctx->err.message);
    /* the quote says so too, before any amount is weighed */
    ck_assert_int_eq(vend_quote(ctx, METER, "1.00", &q), UVS_REFUSED);
    ck_assert_uint_eq(receipts(ctx), 1);
    /* new credit: selling again */
    ck_assert(grant(ctx, "E2", 0, 5000, in_days(ctx, 30), 0, 0) == UVS_OK);
    ck_assert_msg(vend_sell(ctx, METER, "5.00", &r) == UVS_OK, "%s", ctx->err.message);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(expired_credit_stops_sales_and_warns_before)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct credit_status s;
    char line[300];
    ck_assert(grant(ctx, "G1", 100000, 0, clock_now(ctx) + 3 * 86400, 0, 0) == UVS_OK);
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(!s.warn && s.may_sell);
    ck_assert_int_eq(credit_warning(ctx, &s, line, sizeof line), 0);
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK);
    /* a day and a half later: less than two days left, a warning */
    ctx->clock_offset = 36 * 3600;
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(s.warn && s.may_sell);
    ck_assert_int_eq(credit_warning(ctx, &s, line, sizeof line), 1);
    ck_assert_ptr_nonnull(strstr(line, "Vending credit low"));
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK);
    /* past the expiry: no sale, though money is left */
    ctx->clock_offset = 3 * 86400 + 60;
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(s.expired && !s.may_sell);
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    ck_assert_msg(strstr(ctx->err.message, "Vending credit expired"), "%s", ctx->err.message);
    ck_assert_uint_eq(receipts(ctx), 2);
    /* credit_required = no does not lift a credit once granted */
    ctx->cfg.credit_required = 0;
    ck_assert_int_eq(vend_sell(ctx, METER, "20.00", &r), UVS_REFUSED);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(the_warning_level_is_head_offices)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    struct rec_receipt r;
    struct credit_status s;
    char line[300];
    ck_assert(grant(ctx, "G1", 10000, 0, in_days(ctx, 30), 9000, 0) == UVS_OK);
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(!s.warn);
    ck_assert(vend_sell(ctx, METER, "20.00", &r) == UVS_OK); /* 19.84 */
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(s.warn && s.may_sell);
    ck_assert_int_eq(credit_warning(ctx, &s, line, sizeof line), 1);
    ck_assert_msg(strstr(line, "Vending credit low: 80.16 ZAR left"), "%s", line);
    /* a new grant brings a new level */
    ck_assert(grant(ctx, "G2", 0, 0, in_days(ctx, 30), 5000, 0) == UVS_OK);
    ck_assert(credit_status(ctx, &s) == UVS_OK);
    ck_assert(!s.warn);
    tu_kiosk_free(ctx);
}
END_TEST

START_TEST(a_grant_applies_once_and_bad_grants_change_nothing)
{
    struct uv_ctx *ctx = tu_kiosk_with_sts();
    int64_t exp = in_days(ctx, 30);
    ck_assert(grant(ctx, "G1", 10000, 0, exp, 0, 0) == UVS_OK);
    /* the same grant again (a file sent twice): unchanged */
    ck_assert(grant(ctx, "G1", 10000, 0, exp, 0, 0) == UVS_OK);
    ck_assert_int_eq(credit_now(ctx).money_granted, 10000);
    ck_assert_uint_eq(credit_now(ctx).grants, 1);
    ck_assert_uint_eq(tu_audit_count(ctx, "credit.grant.repeat", NULL, 0), 1);
    /* the same id with other content: refused */
    ck_assert_int_eq(grant(ctx, "G1", 20000, 0, exp, 0, 0), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(ctx->err.message, "already applied with other amounts"));
    /* malformed grants */
    ck_assert_int_eq(grant(ctx, "", 100, 0, exp, 0, 0), UVS_INPUT);
    ck_assert_int_eq(grant(ctx, "bad id", 100, 0, exp, 0, 0), UVS_INPUT);
    ck_assert_int_eq(grant(ctx, "G3", -100, 0, exp, 0, 0), UVS_INPUT);
    ck_assert_int_eq(grant(ctx, "G4", 100, 0, 0, 0, 0), UVS_INPUT);
    ck_assert_int_eq(grant(ctx, "G5", (int64_t)1 << 60, 0, exp, 0, 0), UVS_INPUT);
    ck_assert_int_eq(credit_now(ctx).money_granted, 10000);
    ck_assert_uint_eq(tu_audit_count(ctx, "credit.grant", NULL, 0), 1);
    tu_kiosk_free(ctx);

    /* a first grant of nothing would lift every limit: refused */
    ctx = tu_kiosk_with_sts();
    ck_assert_int_eq(grant(ctx, "Z", 0, 0, in_days(ctx, 30), 0, 0), UVS_INPUT);
    ck_assert_uint_eq(credit_now(ctx).grants, 0);
    /* an aborted transaction leaves no grant behind */
    struct rec_credit_grant g = {.id = "A1", .money = 500, .expires = in_days(ctx, 30)};
    DB_TXN *txn;
    ck_assert(store_begin(&ctx->store, &txn, &ctx->err) == UVS_OK);
    ck_assert(credit_grant(ctx, txn, &g) == UVS_OK);
    store_abort(txn);
    ck_assert_uint_eq(credit_now(ctx).grants, 0);
    ck_assert(grant(ctx, "A1", 500, 0, g.expires, 0, 0) == UVS_OK); /* applies now */
    ck_assert_uint_eq(tu_audit_count(ctx, "credit.grant.repeat", NULL, 0), 0);
    tu_kiosk_free(ctx);
}
END_TEST

Suite *credit_suite(void)
{
    Suite *s = suite_create("credit");
    TCase *tc = tcase_create("credit");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, a_kiosk_without_credit_follows_credit_required);
    tcase_add_test(tc, each_sale_consumes_the_credit_with_its_receipt);
    tcase_add_test(tc, a_sale_larger_than_the_credit_is_refused_before_the_driver_issues);
    tcase_add_test(tc, energy_credit_used_up_stops_sales);
    tcase_add_test(tc, expired_credit_stops_sales_and_warns_before);
    tcase_add_test(tc, the_warning_level_is_head_offices);
    tcase_add_test(tc, a_grant_applies_once_and_bad_grants_change_nothing);
    suite_add_tcase(s, tc);
    return s;
}

/* ---- through head office: instruction files, exports, reconciliation ---- */

#include "digest.h"
#include "export.h"
#include "hq.h"
#include "hqcredit.h"
#include "hqinstruct.h"
#include "hqkey.h"
#include "instruct.h"
#include "trust.h"

struct office {
    struct uv_ctx *hq, *k;
    char dir[4300];
};

static void office_new(struct office *o)
{
    uint8_t pub[32];
    char hex[65];
    o->hq = tu_kiosk_new();
    snprintf(o->hq->cfg.kiosk_id, sizeof o->hq->cfg.kiosk_id, "HQ");
    o->k = tu_kiosk_with_sts();
    ck_assert_msg(hqkey_generate(o->hq, pub) == UVS_OK, "%s", o->hq->err.message);
    digest_hex(pub, 32, hex);
    ck_assert_msg(trust_add(o->k, "HQ-MAIN", hex) == UVS_OK, "%s", o->k->err.message);
    ck_assert(export_public_key(o->k, pub) == UVS_OK);
    digest_hex(pub, 32, hex);
    ck_assert_msg(hq_kiosk_add(o->hq, "TEST-1", hex) == UVS_OK, "%s", o->hq->err.message);
    snprintf(o->dir, sizeof o->dir, "%s/../media", o->hq->home);
    ck_assert(mkdir(o->dir, 0700) == 0);
}

static void office_free(struct office *o)
{
    tu_kiosk_free(o->k);
    tu_kiosk_free(o->hq);
}

/* Head office sends records in an instruction file; the kiosk applies it. */
static uv_status send_and_apply(struct office *o, const char *records, int apply)
{
    char path[4400], sub[4400];
    static unsigned n;
    snprintf(sub, sizeof sub, "%s/f%u", o->dir, ++n);
    ck_assert(mkdir(sub, 0700) == 0);
    snprintf(path, sizeof path, "%s/records", o->dir);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(records, f);
    fclose(f);
    struct hq_instruct_opts opts = {.kiosk = "TEST-1", .records = path, .out_dir = sub};
    uv_status st = hq_instruct(o->hq, &opts, NULL);
    if (st != UVS_OK || !apply)
        return st;
    char *p[1] = {sub};
    struct instruct_stats s;
    st = instruct_apply(o->k, p, 1, NULL, &s);
    ck_assert_msg(st == UVS_OK, "apply: %s", o->k->err.message);
    return st;
}

/* The kiosk exports, head office imports; the credit section of its report. */
static unsigned export_import_report(struct office *o, char **text)
{
    char sub[4400];
    static unsigned n;
    struct rec_export e;
    struct hq_import_stats s;
    unsigned bad = 99;
    size_t len = 0;
    snprintf(sub, sizeof sub, "%s/x%u", o->dir, ++n);
    ck_assert(mkdir(sub, 0700) == 0);
    ck_assert_msg(export_run(o->k, sub, &e) == UVS_OK, "%s", o->k->err.message);
    char *p[1] = {sub};
    ck_assert_msg(hq_import(o->hq, p, 1, NULL, NULL, &s) == UVS_OK, "%s", o->hq->err.message);
    FILE *m = open_memstream(text, &len);
    ck_assert(hq_credit_report(o->hq, m, &bad) == UVS_OK);
    fclose(m);
    return bad;
}

START_TEST(credit_and_time_floor_arrive_in_instruction_files)
{
    struct office o;
    struct rec_receipt r;
    struct clock_state cs;
    char rec[256];
    office_new(&o);
    o.k->cfg.credit_required = 1;
    ck_assert_int_eq(vend_sell(o.k, METER, "20.00", &r), UVS_REFUSED);
    /* head office's clock two minutes ahead of the kiosk's: its floor is its
       own time (a floor later than head office's time is refused) */
    o.k->clock_offset = -120;
    int64_t floor = (int64_t)time(NULL);
    snprintf(rec, sizeof rec, "credit,TEST-1,G1,5000,0,%lld,1000\ntime-floor,*,%lld\n",
             (long long)in_days(o.k, 30), (long long)floor);
    ck_assert(send_and_apply(&o, rec, 1) == UVS_OK);
    struct rec_credit c = credit_now(o.k);
    ck_assert_int_eq(c.money_granted, 5000);
    ck_assert_int_eq(c.warn_money, 1000);
    ck_assert(clock_state(o.k, NULL, &cs) == UVS_OK);
    ck_assert_int_ge(cs.floor, floor);
    char detail[256];
    ck_assert_uint_eq(tu_audit_count(o.k, "credit.grant", detail, sizeof detail), 1);
    ck_assert_uint_eq(tu_audit_count(o.k, "clock.floor", NULL, 0), 1);
    ck_assert_msg(vend_sell(o.k, METER, "20.00", &r) == UVS_OK, "%s", o.k->err.message);
    /* malformed credit records are refused at head office already */
    snprintf(rec, sizeof rec, "credit,TEST-1,G2,-5,0,%lld\n", (long long)in_days(o.k, 30));
    ck_assert_int_eq(send_and_apply(&o, rec, 0), UVS_INPUT);
    ck_assert_int_eq(send_and_apply(&o, "credit,TEST-1,G2,5,0\n", 0), UVS_INPUT);
    ck_assert_int_eq(send_and_apply(&o, "time-floor,*,soon\n", 0), UVS_INPUT);
    /* one grant id, other amounts: head office refuses to send it */
    snprintf(rec, sizeof rec, "credit,TEST-1,G1,9000,0,%lld\n", (long long)in_days(o.k, 30));
    ck_assert_int_eq(send_and_apply(&o, rec, 0), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(o.hq->err.message, "already sent to kiosk TEST-1"));
    office_free(&o);
}
END_TEST

START_TEST(head_office_reconciles_and_shows_a_forged_credit)
{
    struct office o;
    struct rec_receipt r;
    char rec[256], *text = NULL;
    office_new(&o);
    snprintf(rec, sizeof rec, "credit,TEST-1,G1,50000,100000,%lld\n", (long long)in_days(o.k, 30));
    ck_assert(send_and_apply(&o, rec, 1) == UVS_OK);
    ck_assert(vend_sell(o.k, METER, "20.00", &r) == UVS_OK);
    ck_assert(vend_sell(o.k, METER, "30.00", &r) == UVS_OK);
    /* a second grant sent, not yet applied: shown as pending, not a mismatch */
    snprintf(rec, sizeof rec, "credit,TEST-1,G2,7000,0,%lld\n", (long long)in_days(o.k, 30));
    ck_assert(send_and_apply(&o, rec, 0) == UVS_OK);
    unsigned bad = export_import_report(&o, &text);
    ck_assert_msg(bad == 0, "%s", text);
    ck_assert_msg(strstr(text, "money   granted 500.00 - sales received 49.68 = 450.32; reported "
                               "left 450.32  ok") &&
                      strstr(text, "energy  granted 100.0 - sales received 28.8 = 71.2; reported "
                                   "left 71.2  ok") &&
                      strstr(text, "1 grant(s) sent, not yet confirmed applied (70.00 ZAR"),
                  "%s", text);
    free(text);

    /* the kiosk's store is altered: credit taken back without a sale */
    struct rec_credit c = credit_now(o.k);
    uint8_t buf[REC_BUF_MAX];
    c.money_used -= 2000;
    size_t len = rec_encode(&rec_credit_layout, &c, buf, sizeof buf);
    DB_TXN *txn;
    ck_assert(store_begin(&o.k->store, &txn, &o.k->err) == UVS_OK);
    ck_assert(store_meta_put(&o.k->store, txn, "credit", buf, len, &o.k->err) == UVS_OK);
    ck_assert(store_commit(&o.k->store, txn, &o.k->err) == UVS_OK);
    ck_assert(vend_sell(o.k, METER, "10.00", &r) == UVS_OK);
    bad = export_import_report(&o, &text);
    ck_assert_uint_eq(bad, 1);
    /* 20.00 more left than the sales received allow; the energy still agrees */
    ck_assert_msg(strstr(text, "money   granted 500.00 - sales received 59.51 = 440.49; "
                               "reported left 460.49  MISMATCH") &&
                      strstr(text, "energy  granted 100.0 - sales received 34.5 = 65.5; reported "
                                   "left 65.5  ok"),
                  "%s", text);
    free(text);
    office_free(&o);
}
END_TEST

/* Head office keeps each export file whole: the first sale counted against
   the credit can fall inside a file, whose earlier sales are not counted. */
START_TEST(sales_before_the_first_grant_are_not_counted)
{
    struct office o;
    struct rec_receipt r;
    char rec[256], *text = NULL;
    office_new(&o);
    ck_assert(vend_sell(o.k, METER, "20.00", &r) == UVS_OK); /* no credit yet, none required */
    snprintf(rec, sizeof rec, "credit,TEST-1,G1,50000,0,%lld\n", (long long)in_days(o.k, 30));
    ck_assert(send_and_apply(&o, rec, 1) == UVS_OK);
    ck_assert(vend_sell(o.k, METER, "30.00", &r) == UVS_OK);
    ck_assert(vend_sell(o.k, METER, "10.00", &r) == UVS_OK);
    unsigned bad = export_import_report(&o, &text); /* one file: receipts 1-3 */
    ck_assert_msg(bad == 0, "%s", text);
    ck_assert_msg(strstr(text, "counted from receipt 2, 2 sale(s) received"), "%s", text);
    free(text);
    office_free(&o);
}
END_TEST

Suite *credit_hq_suite(void)
{
    Suite *s = suite_create("credit-hq");
    TCase *tc = tcase_create("through head office");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, credit_and_time_floor_arrive_in_instruction_files);
    tcase_add_test(tc, head_office_reconciles_and_shows_a_forged_credit);
    tcase_add_test(tc, sales_before_the_first_grant_are_not_counted);
    suite_add_tcase(s, tc);
    return s;
}
