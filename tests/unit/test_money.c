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

/* The tariff arithmetic (VAT, blocks, levies, debt, change) is tested in
   test_tariff.c. */

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
    return s;
}
