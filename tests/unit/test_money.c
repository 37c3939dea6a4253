/* test_money.c — amounts as integer minor units, prices, percentages, flat tariff split. */
#include <stdint.h>
#include <string.h>

#include "money.h"
#include "testutil.h"

#define SENTINEL ((int64_t)-777)

static int64_t parse_ok(const char *t, unsigned dec)
{
    struct uv_error e = {0};
    int64_t v = SENTINEL;
    uv_status st = money_parse(t, dec, &v, &e);
    ck_assert_msg(st == UVS_OK, "money_parse('%s', %u): %s", t, dec, e.message);
    return v;
}

static void parse_bad(const char *t, unsigned dec)
{
    struct uv_error e = {0};
    int64_t v = SENTINEL;
    uv_status st = money_parse(t, dec, &v, &e);
    ck_assert_msg(st == UVS_INPUT, "money_parse('%s', %u) accepted: %lld", t ? t : "(null)", dec,
                  (long long)v);
    ck_assert_int_eq(e.status, UVS_INPUT);
    ck_assert_msg(e.message[0] != '\0', "no message for '%s'", t ? t : "(null)");
    ck_assert_int_eq(v, SENTINEL); /* output untouched on refusal */
}

START_TEST(money_parse_accepts)
{
    ck_assert_int_eq(parse_ok("50", 2), 5000);
    ck_assert_int_eq(parse_ok("50.0", 2), 5000);
    ck_assert_int_eq(parse_ok("50.00", 2), 5000);
    ck_assert_int_eq(parse_ok("0.01", 2), 1);
    ck_assert_int_eq(parse_ok("0", 2), 0);
    ck_assert_int_eq(parse_ok("007.5", 2), 750);
    ck_assert_int_eq(parse_ok("123456.78", 2), 12345678);
    /* the ceiling is 1e15 minor units: 10 000 000 000 000.00 with 2 decimals */
    ck_assert_int_eq(parse_ok("10000000000000", 2), 1000000000000000LL);
    ck_assert_int_eq(parse_ok("10000000000000.00", 2), 1000000000000000LL);
    ck_assert_int_eq(parse_ok("9999999999999.99", 2), 999999999999999LL);
    /* decimals 0: whole units only */
    ck_assert_int_eq(parse_ok("50", 0), 50);
    ck_assert_int_eq(parse_ok("1000000000000000", 0), 1000000000000000LL);
    /* decimals 3 */
    ck_assert_int_eq(parse_ok("1.5", 3), 1500);
    ck_assert_int_eq(parse_ok("1.234", 3), 1234);
    ck_assert_int_eq(parse_ok("0.001", 3), 1);
    ck_assert_int_eq(parse_ok("12", 3), 12000);
}
END_TEST

START_TEST(money_parse_refuses)
{
    static const char *const bad2[] = {
        "",     "-1",     "+1",     "1e3",  " 1",   "1 ",   "1.",  ".5",    "1.234", "1,00",
        "abc",  "1..0",   "1.0.0",  "0x10", "1.-1", "50$",  "R50", "1\n",   "\t1",   "１",
        "12345678901234567890",        /* 20 digits */
        "99999999999999999999999999",  /* far beyond int64 */
        "10000000000000.01",           /* 1e15 + 1 minor units */
        "10000000000001",              /* 1e15 + 100 minor units */
        "92233720368547758.07",        /* INT64_MAX minor units */
    };
    for (size_t i = 0; i < sizeof bad2 / sizeof bad2[0]; i++)
        parse_bad(bad2[i], 2);
    parse_bad(NULL, 2);
    /* decimals 0 refuses any fraction */
    parse_bad("50.0", 0);
    parse_bad("1000000000000001", 0);
    /* decimals 3 refuses a 4th decimal */
    parse_bad("1.2345", 3);
    /* the message for a negative amount says so */
    struct uv_error e;
    int64_t v;
    ck_assert_int_eq(money_parse("-5", 2, &v, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "negative"));
}
END_TEST

START_TEST(money_format_cases)
{
    char b[32];
    static const struct {
        int64_t v;
        unsigned dec;
        const char *want;
    } cases[] = {
        {5000, 2, "50.00"},
        {1, 2, "0.01"},
        {0, 2, "0.00"},
        {10, 2, "0.10"},
        {-5000, 2, "-50.00"},
        {-5, 2, "-0.05"},
        {5000, 0, "5000"},
        {0, 0, "0"},
        {-7, 0, "-7"},
        {1234, 3, "1.234"},
        {-1, 3, "-0.001"},
        {1000000000000000LL, 2, "10000000000000.00"},
        {INT64_MAX, 2, "92233720368547758.07"},
        {INT64_MIN, 2, "-92233720368547758.08"}, /* |INT64_MIN| = 9223372036854775808 */
        {12345, 4, "1.2345"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        memset(b, 'Z', sizeof b);
        money_format(cases[i].v, cases[i].dec, b, sizeof b);
        ck_assert_str_eq(b, cases[i].want);
    }
    /* small buffers are truncated, never overrun */
    char small[5];
    money_format(123456, 2, small, sizeof small);
    ck_assert_str_eq(small, "1234");

    /* format -> parse round trip for non-negative amounts */
    static const int64_t rt[] = {0, 1, 99, 100, 101, 5000, 123456789, 1000000000000000LL};
    for (unsigned dec = 0; dec <= 4; dec++)
        for (size_t i = 0; i < sizeof rt / sizeof rt[0]; i++) {
            money_format(rt[i], dec, b, sizeof b);
            ck_assert_int_eq(parse_ok(b, dec), rt[i]);
        }
}
END_TEST

START_TEST(price_parse_format)
{
    struct uv_error e;
    int64_t m = SENTINEL;
    char b[32];
    /* decimals 2: prices carry 2+3 = 5 fraction digits, in milli-minor units */
    ck_assert_int_eq(price_parse("1.500", 2, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 150000); /* 1.500 = 150 cents = 150000 milli-cents */
    ck_assert_int_eq(price_parse("0.1523", 2, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 15230);
    ck_assert_int_eq(price_parse("1", 2, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 100000);
    ck_assert_int_eq(price_parse("0.00001", 2, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 1);
    ck_assert_int_eq(price_parse("1.5", 0, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 1500);
    ck_assert_int_eq(price_parse("2.0005", 3, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 2000500); /* 6 fraction digits: 2.000500 */

    static const char *const bad[] = {"0", "0.00000", "", "-1", "1.000001", "1e2", "abc", ".5",
                                      "1.", "99999999999999999999"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        m = SENTINEL;
        ck_assert_msg(price_parse(bad[i], 2, &m, &e) == UVS_INPUT, "price '%s' accepted", bad[i]);
        ck_assert_int_eq(m, SENTINEL);
    }
    ck_assert_int_eq(price_parse("1.0001", 0, &m, &e), UVS_INPUT); /* 4 > 0+3 digits */

    /* extra zeros beyond the currency's decimals are dropped */
    price_format(150000, 2, b, sizeof b);
    ck_assert_str_eq(b, "1.50");
    price_format(15230, 2, b, sizeof b);
    ck_assert_str_eq(b, "0.1523");
    price_format(1500, 0, b, sizeof b);
    ck_assert_str_eq(b, "1.5");
    price_format(2000, 0, b, sizeof b);
    ck_assert_str_eq(b, "2");
    price_format(150001, 2, b, sizeof b);
    ck_assert_str_eq(b, "1.50001");
    /* format -> parse round trip */
    ck_assert_int_eq(price_parse("0.15230", 2, &m, &e), UVS_OK);
    ck_assert_int_eq(m, 15230);
}
END_TEST

START_TEST(percent_parse_cases)
{
    struct uv_error e;
    uint32_t bp = 4242;
    static const struct {
        const char *t;
        uint32_t bp;
    } ok[] = {{"0", 0},        {"15", 1500},     {"15.5", 1550},   {"15.25", 1525},
              {"100", 10000},  {"100.00", 10000}, {"0.01", 1},     {"99.99", 9999}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        ck_assert_msg(percent_parse(ok[i].t, &bp, &e) == UVS_OK, "%s: %s", ok[i].t, e.message);
        ck_assert_uint_eq(bp, ok[i].bp);
    }
    static const char *const bad[] = {"100.01", "-1", "101", "15.555", "", "15%", "1e1", " 15"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bp = 4242;
        ck_assert_msg(percent_parse(bad[i], &bp, &e) == UVS_INPUT, "'%s' accepted", bad[i]);
        ck_assert_uint_eq(bp, 4242);
    }
}
END_TEST

START_TEST(energy_format_cases)
{
    char b[32];
    energy_format(28900, b, sizeof b);
    ck_assert_str_eq(b, "28.9");
    energy_format(0, b, sizeof b);
    ck_assert_str_eq(b, "0.0");
    energy_format(999, b, sizeof b);
    ck_assert_str_eq(b, "0.9"); /* rounded down */
    energy_format(1050, b, sizeof b);
    ck_assert_str_eq(b, "1.0");
    energy_format(UINT64_MAX, b, sizeof b);
    ck_assert_str_eq(b, "18446744073709551.6"); /* 18446744073709551615 Wh */
}
END_TEST

static void apply_bad(int64_t gross, int64_t price, uint32_t bp);

static struct flat_sale apply_ok(int64_t gross, int64_t price, uint32_t bp)
{
    struct uv_error e = {0};
    struct flat_sale s;
    memset(&s, 0, sizeof s);
    uv_status st = flat_tariff_apply(gross, price, bp, &s, &e);
    ck_assert_msg(st == UVS_OK, "apply(%lld, %lld, %u): %s", (long long)gross, (long long)price,
                  bp, e.message);
    ck_assert_int_eq(s.gross, gross);
    ck_assert_int_eq(s.net + s.vat, gross);
    ck_assert_uint_eq(s.energy_wh % 100, 0);
    return s;
}

static void apply_bad(int64_t gross, int64_t price, uint32_t bp)
{
    struct uv_error e = {0};
    struct flat_sale s, before;
    memset(&s, 0x5A, sizeof s);
    before = s;
    ck_assert_int_eq(flat_tariff_apply(gross, price, bp, &s, &e), UVS_INPUT);
    ck_assert_msg(e.message[0] != '\0', "no message");
    ck_assert_mem_eq(&s, &before, sizeof s); /* nothing written on refusal */
}

START_TEST(flat_tariff_reference_sale)
{
    /* 50.00 at 1.500/kWh incl. 15 % VAT:
       VAT = 5000 * 1500 / 11500 = 652.17 -> 652 (half up)
       net = 5000 - 652 = 4348
       tenths of a kWh = net * 10000 / price_milli = 4348 * 10000 / 150000 = 289.87 -> 289
       energy = 289 * 100 Wh = 28900 Wh (28.9 kWh) */
    struct flat_sale s = apply_ok(5000, 150000, 1500);
    ck_assert_int_eq(s.vat, 652);
    ck_assert_int_eq(s.net, 4348);
    ck_assert_uint_eq(s.energy_wh, 28900);

    /* 0 % VAT: net = gross; 5000 * 10000 / 150000 = 333.33 -> 333 tenths */
    s = apply_ok(5000, 150000, 0);
    ck_assert_int_eq(s.vat, 0);
    ck_assert_int_eq(s.net, 5000);
    ck_assert_uint_eq(s.energy_wh, 33300);

    /* 100 % VAT: half the gross is VAT. 200 -> vat 100, net 100;
       100 * 10000 / 150000 = 6.67 -> 6 tenths = 600 Wh */
    s = apply_ok(200, 150000, 10000);
    ck_assert_int_eq(s.vat, 100);
    ck_assert_int_eq(s.net, 100);
    ck_assert_uint_eq(s.energy_wh, 600);

    /* exactly 1 kWh: 1.50 at 1.500 with 0 % -> 150 * 10000 / 150000 = 10 tenths */
    s = apply_ok(150, 150000, 0);
    ck_assert_uint_eq(s.energy_wh, 1000);
}
END_TEST

START_TEST(flat_tariff_vat_rounds_half_up)
{
    /* 20 % VAT: vat = gross * 2000 / 12000 = gross / 6. price 1 milli so
       every amount buys energy. */
    static const struct {
        int64_t gross, vat;
    } c[] = {
        {1, 0},  /* 0.1667 -> 0 */
        {2, 0},  /* 0.333  -> 0 */
        {3, 1},  /* 0.5    -> 1 (half up)        */
        {4, 1},  /* 0.667  -> 1 */
        {9, 2},  /* 1.5    -> 2 (half up)        */
        {15, 3}, /* 2.5    -> 3 (half up, not banker's 2) */
        {20, 3}, /* 3.333  -> 3 */
        {21, 4}, /* 3.5    -> 4 */
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        struct flat_sale s = apply_ok(c[i].gross, 1, 2000);
        ck_assert_msg(s.vat == c[i].vat, "gross %lld: vat %lld, want %lld", (long long)c[i].gross,
                      (long long)s.vat, (long long)c[i].vat);
    }
    /* 100 %: vat = gross / 2; 3 -> 1.5 -> 2 (net 1), 5 -> 2.5 -> 3 (net 2);
       1 -> 0.5 -> 1 leaves net 0, which buys nothing */
    ck_assert_int_eq(apply_ok(3, 1, 10000).vat, 2);
    ck_assert_int_eq(apply_ok(5, 1, 10000).vat, 3);
    apply_bad(1, 1, 10000);
}
END_TEST

START_TEST(flat_tariff_properties)
{
    /* For many amounts and rates, the VAT is the half-up rounding of
       gross*bp/(10000+bp):  2*vat*den <= 2*gross*bp + den < 2*(vat+1)*den,
       and the energy is the floor to 0.1 kWh of net/price:
       t*price <= net*10000 < (t+1)*price with t = energy_wh/100. */
    static const uint32_t rates[] = {0, 1, 500, 1400, 1500, 1550, 2000, 2500, 9999, 10000};
    static const int64_t prices[] = {1, 999, 15000, 150000, 152300, 2000000};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++)
        for (size_t p = 0; p < sizeof prices / sizeof prices[0]; p++)
            for (int64_t g = 1; g <= 4000; g += 7) {
                struct uv_error e;
                struct flat_sale s;
                __int128 den = 10000 + (__int128)rates[r];
                __int128 t = (__int128)(g - (g * rates[r] * 2 + (int64_t)den) / (2 * (int64_t)den))
                             * 10000 / prices[p];
                uv_status st = flat_tariff_apply(g, prices[p], rates[r], &s, &e);
                if (t == 0) {
                    ck_assert_int_eq(st, UVS_INPUT);
                    continue;
                }
                ck_assert_int_eq(st, UVS_OK);
                __int128 lhs = 2 * (__int128)s.vat * den, mid = 2 * (__int128)g * rates[r] + den;
                ck_assert(lhs <= mid && mid < lhs + 2 * den);
                ck_assert_int_eq(s.net, g - s.vat);
                ck_assert(s.net >= 0);
                __int128 tenths = s.energy_wh / 100;
                ck_assert(tenths * prices[p] <= (__int128)s.net * 10000);
                ck_assert((__int128)s.net * 10000 < (tenths + 1) * prices[p]);
            }
}
END_TEST

START_TEST(flat_tariff_refusals)
{
    /* less than 0.1 kWh: at 1.500/kWh, 0.1 kWh costs 150000/10 milli = 15 cents.
       15 cents buys 15*10000/150000 = 1 tenth; 14 cents buys 0.93 -> 0 */
    ck_assert_uint_eq(apply_ok(15, 150000, 0).energy_wh, 100);
    apply_bad(14, 150000, 0);
    apply_bad(1, 150000, 1500);
    /* with 15 % VAT 0.17 -> vat 2.2 -> 2, net 15 -> 1 tenth; 0.16 -> vat 2, net 14 -> 0 */
    ck_assert_uint_eq(apply_ok(17, 150000, 1500).energy_wh, 100);
    apply_bad(16, 150000, 1500);
    /* zero and negative amounts */
    apply_bad(0, 150000, 1500);
    apply_bad(-1, 150000, 1500);
    apply_bad(INT64_MIN, 150000, 1500);
    /* invalid prices and rates */
    apply_bad(5000, 0, 1500);
    apply_bad(5000, -150000, 1500);
    apply_bad(5000, 150000, 10001);
    apply_bad(5000, 150000, UINT32_MAX);
}
END_TEST

START_TEST(flat_tariff_large_amounts)
{
    /* 1e15 minor units at 1.500/kWh incl. 15 %:
       vat = 1e15 * 1500 / 11500 = 130434782608695.65 -> 130434782608696
       net = 1e15 - 130434782608696 = 869565217391304
       tenths = 869565217391304 * 10000 / 150000 = 57971014492753.6 -> 57971014492753
       energy = 5797101449275300 Wh (fits in uint64; products need 128 bits:
       1e15 * 1500 * 2 = 3e18 is near INT64_MAX, net * 10000 = 8.7e18 exceeds it) */
    struct flat_sale s = apply_ok(1000000000000000LL, 150000, 1500);
    ck_assert_int_eq(s.vat, 130434782608696LL);
    ck_assert_int_eq(s.net, 869565217391304LL);
    ck_assert_uint_eq(s.energy_wh, 5797101449275300ULL);

    /* INT64_MAX gross at 100 % VAT: vat = INT64_MAX/2 = 4611686018427387903.5 -> ...904,
       net = ...903; no overflow anywhere (UBSan would abort) */
    s = apply_ok(INT64_MAX, 2000000000000LL, 10000);
    ck_assert_int_eq(s.vat, 4611686018427387904LL);
    ck_assert_int_eq(s.net, 4611686018427387903LL);
    /* tenths = 4611686018427387903 * 10000 / 2e12 = 4611686018427387903 / 2e8
              = 23058430092.14 -> 23058430092; energy = 2305843009200 Wh */
    ck_assert_uint_eq(s.energy_wh, 2305843009200ULL);

    /* an amount whose energy would not fit is refused, not wrapped:
       1e15 at 1 milli/kWh, 0 %: tenths = 1e19 > UINT64_MAX/100 = 1.8e17 */
    apply_bad(1000000000000000LL, 1, 0);
    apply_bad(INT64_MAX, 1, 0);
}
END_TEST

Suite *money_suite(void)
{
    Suite *s = suite_create("money");
    TCase *tc = tcase_create("parse_format");
    tcase_add_test(tc, money_parse_accepts);
    tcase_add_test(tc, money_parse_refuses);
    tcase_add_test(tc, money_format_cases);
    tcase_add_test(tc, price_parse_format);
    tcase_add_test(tc, percent_parse_cases);
    tcase_add_test(tc, energy_format_cases);
    suite_add_tcase(s, tc);
    tc = tcase_create("flat_tariff");
    tcase_add_test(tc, flat_tariff_reference_sale);
    tcase_add_test(tc, flat_tariff_vat_rounds_half_up);
    tcase_add_test(tc, flat_tariff_properties);
    tcase_add_test(tc, flat_tariff_refusals);
    tcase_add_test(tc, flat_tariff_large_amounts);
    suite_add_tcase(s, tc);
    return s;
}
