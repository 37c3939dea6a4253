/* test_tariff.c — every tariff part against hand-computed figures.
   Prices are VAT-exclusive, in 1/1000 minor unit per kWh; amounts in minor
   units; energy in Wh (0.1 kWh = 100 Wh). */
#include <string.h>

#include "tariff.h"
#include "testutil.h"

static struct tariff_def flat(int64_t price_milli, uint32_t vat_bp)
{
    struct tariff_def t;
    memset(&t, 0, sizeof t);
    t.n_blocks = 1;
    t.price_milli[0] = price_milli;
    t.vat_bp = vat_bp;
    return t;
}

static const struct tariff_month new_month;

START_TEST(rounding_modes)
{
    ck_assert_int_eq(tariff_round_div(25, 10, ROUND_HALF_UP), 3);
    ck_assert_int_eq(tariff_round_div(25, 10, ROUND_HALF_EVEN), 2);
    ck_assert_int_eq(tariff_round_div(35, 10, ROUND_HALF_EVEN), 4);
    ck_assert_int_eq(tariff_round_div(29, 10, ROUND_DOWN), 2);
    ck_assert_int_eq(tariff_round_div(24, 10, ROUND_HALF_UP), 2);
    ck_assert_int_eq(tariff_round_div(26, 10, ROUND_HALF_EVEN), 3);
}
END_TEST

START_TEST(flat_with_vat_and_change)
{
    /* 1.500/kWh + 15 % VAT, 50.00 tendered.
       28.9 kWh: energy 28900 * 1.5 / 1000 = 43.35; VAT 6.5025 -> 6.50; total 49.85.
       29.0 kWh: energy 43.50; VAT 6.525 -> 6.53 (half up); 50.03 > 50.00.
       So 28.9 kWh, charged 49.85, change 0.15. */
    struct tariff_def t = flat(150000, 1500);
    struct tariff_sale s;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 28900);
    ck_assert_int_eq(s.energy_cost, 4335);
    ck_assert_int_eq(s.vat, 650);
    ck_assert_int_eq(s.total, 4985);
    ck_assert_int_eq(s.change, 15);
    ck_assert_uint_eq(s.n_blocks, 1);
    ck_assert_uint_eq(s.block_wh[0], 28900);
    ck_assert_int_eq(s.block_cost[0], 4335);
    ck_assert_uint_eq(s.after.bought_wh, 28900);
}
END_TEST

START_TEST(blocks_count_the_months_earlier_purchases)
{
    /* 0-50 kWh at 1.00, 50-350 at 2.00, above at 3.00, no VAT; 40 kWh bought
       already this month; 100.00 tendered:
       10 kWh at 1.00 = 10.00, then 90.00 / 2.00 = 45 kWh: 55 kWh, change 0. */
    struct tariff_def t;
    memset(&t, 0, sizeof t);
    t.n_blocks = 3;
    t.upto_wh[0] = 50000;
    t.price_milli[0] = 100000;
    t.upto_wh[1] = 350000;
    t.price_milli[1] = 200000;
    t.upto_wh[2] = 0;
    t.price_milli[2] = 300000;
    struct tariff_month m = {.bought_wh = 40000};
    struct tariff_sale s;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &m, NULL, 10000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 55000);
    ck_assert_uint_eq(s.n_blocks, 2);
    ck_assert_uint_eq(s.block_wh[0], 10000);
    ck_assert_int_eq(s.block_cost[0], 1000);
    ck_assert_uint_eq(s.block_wh[1], 45000);
    ck_assert_int_eq(s.block_price_milli[1], 200000);
    ck_assert_int_eq(s.block_cost[1], 9000);
    ck_assert_int_eq(s.change, 0);
    ck_assert_uint_eq(s.after.bought_wh, 95000);
    /* across two boundaries: 340 kWh bought, 50.00 buys 10 kWh at 2.00 (20.00)
       and 30.00 / 3.00 = 10 kWh */
    m.bought_wh = 340000;
    ck_assert_int_eq(tariff_apply(&t, &m, NULL, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 20000);
    ck_assert_uint_eq(s.n_blocks, 2);
    ck_assert_int_eq(s.block_cost[0], 2000);
    ck_assert_int_eq(s.block_cost[1], 3000);
}
END_TEST

START_TEST(fixed_monthly_charge_once_a_month)
{
    /* fixed 20.00 (excl.) a month, 1.00/kWh, VAT 15 %, 50.00 tendered:
       (energy + 20.00) * 1.15 <= 50.00.
       23.4 kWh: 23.40 + 20.00 = 43.40, VAT 6.51 -> 49.91.
       23.5 kWh: 43.50, VAT 6.525 -> 6.53 -> 50.03 > 50.00.
       So 23.4 kWh, change 0.09, fixed paid. */
    struct tariff_def t = flat(100000, 1500);
    t.fixed_monthly = 2000;
    struct tariff_sale s, s2;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_int_eq(s.fixed_charge, 2000);
    ck_assert_uint_eq(s.energy_wh, 23400);
    ck_assert_int_eq(s.vat, 651);
    ck_assert_int_eq(s.change, 9);
    ck_assert_int_eq(s.after.fixed_paid, 2000);
    /* the second purchase of the month pays no fixed charge:
       50.00 / 1.15 = 43.478 -> 43.4 kWh: 43.40 + VAT 6.51 = 49.91 */
    ck_assert_int_eq(tariff_apply(&t, &s.after, NULL, 5000, ROUND_HALF_UP, &s2, &e), UVS_OK);
    ck_assert_int_eq(s2.fixed_charge, 0);
    ck_assert_uint_eq(s2.energy_wh, 43400);
    /* an amount that only covers part of the fixed charge buys nothing */
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 1000, ROUND_HALF_UP, &s, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "buys no energy"));
}
END_TEST

START_TEST(debt_recovery_percent_and_fixed)
{
    /* 20 % of 50.00 = 10.00, but only 5.00 is owed: 5.00 recovered;
       45.00 at 1.00/kWh, no VAT = 45 kWh */
    struct tariff_def t = flat(100000, 0);
    struct tariff_debt d = {.debt = 500, .recover_bp = 2000};
    struct tariff_sale s;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, &d, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_int_eq(s.debt_recovered, 500);
    ck_assert_uint_eq(s.energy_wh, 45000);
    ck_assert_int_eq(s.total, 5000);
    /* a larger debt: 20 % of 50.00 = 10.00 */
    d.debt = 100000;
    ck_assert_int_eq(tariff_apply(&t, &new_month, &d, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_int_eq(s.debt_recovered, 1000);
    ck_assert_uint_eq(s.energy_wh, 40000);
    /* a fixed 7.50 per purchase */
    d.recover_bp = 0;
    d.recover_fixed = 750;
    ck_assert_int_eq(tariff_apply(&t, &new_month, &d, 5000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_int_eq(s.debt_recovered, 750);
    ck_assert_uint_eq(s.energy_wh, 42500);
}
END_TEST

START_TEST(levies_and_vat)
{
    /* 1.00/kWh, levies 2 % and 1 %, VAT 15 % on energy + levies, 100.00:
       84.4 kWh: 84.40, levies 1.688 -> 1.69 and 0.844 -> 0.84, 86.93, VAT
       13.0395 -> 13.04, total 99.97.
       84.5 kWh: 84.50, 1.69, 0.845 -> 0.85, 87.04, VAT 13.056 -> 13.06, 100.10.
       So 84.4 kWh, change 0.03. */
    struct tariff_def t = flat(100000, 1500);
    t.n_levies = 2;
    strcpy(t.levy_name[0], "Street lighting");
    t.levy_bp[0] = 200;
    strcpy(t.levy_name[1], "Environment");
    t.levy_bp[1] = 100;
    struct tariff_sale s;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 10000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 84400);
    ck_assert_int_eq(s.levy[0], 169);
    ck_assert_int_eq(s.levy[1], 84);
    ck_assert_int_eq(s.levies, 253);
    ck_assert_int_eq(s.vat, 1304);
    ck_assert_int_eq(s.total, 9997);
    ck_assert_int_eq(s.change, 3);
    /* the same with rounding down: VAT 13.03, levies 1.68 + 0.84 */
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 10000, ROUND_DOWN, &s, &e), UVS_OK);
    ck_assert_int_eq(s.levy[0], 168);
}
END_TEST

START_TEST(lifeline_units_once_a_month)
{
    /* 50 kWh free with the month's first purchase */
    struct tariff_def t = flat(100000, 0);
    t.lifeline_wh = 50000;
    struct tariff_sale s, s2;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 1000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 10000);
    ck_assert_uint_eq(s.lifeline_wh, 50000);
    ck_assert(s.after.lifeline_given);
    ck_assert_uint_eq(s.after.bought_wh, 10000); /* free units do not fill blocks */
    ck_assert_int_eq(tariff_apply(&t, &s.after, NULL, 1000, ROUND_HALF_UP, &s2, &e), UVS_OK);
    ck_assert_uint_eq(s2.lifeline_wh, 0);
}
END_TEST

START_TEST(nothing_bought_is_refused)
{
    struct tariff_def t = flat(100000, 0);
    struct tariff_sale s;
    struct uv_error e;
    /* 0.01 buys 0.01 kWh: less than 0.1 kWh */
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 1, ROUND_HALF_UP, &s, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "buys no energy"));
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 0, ROUND_HALF_UP, &s, &e), UVS_INPUT);
    /* malformed tariffs */
    struct tariff_def bad = flat(0, 0);
    ck_assert_int_eq(tariff_check(&bad, &e), UVS_INPUT);
    bad = flat(100000, 0);
    bad.n_blocks = 2;
    bad.upto_wh[0] = 0;
    bad.price_milli[1] = 1;
    ck_assert_int_eq(tariff_check(&bad, &e), UVS_INPUT); /* open block first */
    bad = flat(100000, 10001);
    ck_assert_int_eq(tariff_check(&bad, &e), UVS_INPUT);
}
END_TEST

START_TEST(property_total_never_exceeds_tendered)
{
    struct tariff_def t;
    memset(&t, 0, sizeof t);
    t.n_blocks = 2;
    t.upto_wh[0] = 75000;
    t.price_milli[0] = 123456;
    t.price_milli[1] = 234567;
    t.vat_bp = 1400;
    t.n_levies = 1;
    t.levy_bp[0] = 333;
    t.fixed_monthly = 1234;
    struct tariff_debt d = {.debt = 100000, .recover_bp = 1000};
    struct uv_error e;
    for (int64_t g = 500; g < 60000; g += 137) {
        struct tariff_month m = {.bought_wh = (uint64_t)(g % 9) * 10000};
        struct tariff_sale s;
        if (tariff_apply(&t, &m, &d, g, ROUND_HALF_EVEN, &s, &e) != UVS_OK)
            continue;
        ck_assert_int_le(s.total, g);
        ck_assert_int_ge(s.change, 0);
        ck_assert_int_eq(s.total, s.debt_recovered + s.fixed_charge + s.energy_cost + s.levies + s.vat);
        ck_assert_uint_eq(s.energy_wh % 100, 0);
        /* 0.1 kWh more would not fit */
        uint64_t sum = 0;
        for (unsigned i = 0; i < s.n_blocks; i++)
            sum += s.block_wh[i];
        ck_assert_uint_eq(sum, s.energy_wh);
    }
}
END_TEST

START_TEST(reprice_to_what_the_medium_carries)
{
    /* 3.00 at 2.00/kWh, no VAT, buys 1.5 kWh; a medium that carries whole kWh
       issues 1 kWh: charged 2.00, change 1.00 */
    struct tariff_def t = flat(200000, 0);
    struct tariff_sale s;
    struct uv_error e;
    ck_assert_int_eq(tariff_apply(&t, &new_month, NULL, 300, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 1500);
    ck_assert_int_eq(tariff_reprice(&t, &new_month, NULL, 300, 1000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_uint_eq(s.energy_wh, 1000);
    ck_assert_int_eq(s.total, 200);
    ck_assert_int_eq(s.change, 100);
    ck_assert_uint_eq(s.after.bought_wh, 1000);
    /* debt and the fixed charge are taken the same way */
    t.fixed_monthly = 50;
    struct tariff_debt d = {.debt = 1000, .recover_fixed = 25};
    ck_assert_int_eq(tariff_reprice(&t, &new_month, &d, 300, 1000, ROUND_HALF_UP, &s, &e), UVS_OK);
    ck_assert_int_eq(s.debt_recovered, 25);
    ck_assert_int_eq(s.fixed_charge, 50);
    ck_assert_int_eq(s.total, 275);
    ck_assert_int_eq(s.change, 25);
}
END_TEST

Suite *tariff_suite(void)
{
    Suite *s = suite_create("tariff");
    TCase *tc = tcase_create("apply");
    tcase_add_test(tc, rounding_modes);
    tcase_add_test(tc, flat_with_vat_and_change);
    tcase_add_test(tc, blocks_count_the_months_earlier_purchases);
    tcase_add_test(tc, fixed_monthly_charge_once_a_month);
    tcase_add_test(tc, debt_recovery_percent_and_fixed);
    tcase_add_test(tc, levies_and_vat);
    tcase_add_test(tc, lifeline_units_once_a_month);
    tcase_add_test(tc, nothing_bought_is_refused);
    tcase_add_test(tc, property_total_never_exceeds_tendered);
    tcase_add_test(tc, reprice_to_what_the_medium_carries);
    suite_add_tcase(s, tc);
    return s;
}
