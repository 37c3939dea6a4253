/* test_config.c — univend.conf: defaults, parsing, refusals, load and write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "testutil.h"

#define DDIR "/opt/univend/drivers"

static uv_status parse(struct uv_config *c, const char *text, struct uv_error *e)
{
    config_defaults(c, DDIR);
    memset(e, 0, sizeof *e);
    return config_parse(c, text, strlen(text), e);
}

static void parse_ok(struct uv_config *c, const char *text)
{
    struct uv_error e;
    uv_status st = parse(c, text, &e);
    ck_assert_msg(st == UVS_OK, "config '%s' refused: %s", text, e.message);
}

/* Refused with UVS_INPUT and a message containing `want`. */
static void parse_bad(const char *text, const char *want)
{
    struct uv_config c;
    struct uv_error e;
    uv_status st = parse(&c, text, &e);
    ck_assert_msg(st == UVS_INPUT, "config '%s' accepted (status %d)", text, st);
    ck_assert_msg(strstr(e.message, want) != NULL, "config '%s': message '%s' lacks '%s'", text,
                  e.message, want);
}

START_TEST(defaults)
{
    struct uv_config c;
    memset(&c, 0xA5, sizeof c);
    config_defaults(&c, DDIR);
    ck_assert_str_eq(c.kiosk_id, "KIOSK-1");
    ck_assert_str_eq(c.currency, "ZAR");
    ck_assert_uint_eq(c.currency_decimals, 2);
    ck_assert_int_eq(c.min_sale, 100);
    ck_assert_int_eq(c.max_sale, 1000000);
    ck_assert_str_eq(c.driver_dir, DDIR);
    ck_assert_str_eq(c.passphrase_file, "");
    ck_assert_uint_eq(c.n_driver_opts, 0);
    ck_assert_str_eq(c.card_reader, "");
    ck_assert_str_eq(c.sam_reader, "");
    ck_assert_uint_eq(c.card_wait_seconds, 30);

    /* an empty file (or only comments) leaves the defaults and is valid */
    struct uv_config d;
    parse_ok(&d, "");
    ck_assert_mem_eq(&c, &d, sizeof c);
    parse_ok(&d, "# nothing here\n\n   \n");
    ck_assert_mem_eq(&c, &d, sizeof c);
}
END_TEST

START_TEST(every_key)
{
    struct uv_config c;
    parse_ok(&c, "kiosk_id = SHOP_7.north-2\n"
                 "currency = USD\n"
                 "currency_decimals = 2\n"
                 "min_sale = 2.50\n"
                 "max_sale = 500\n"
                 "driver_dir = /usr/local/lib/univend\n"
                 "passphrase_file = /etc/univend/pass phrase\n");
    ck_assert_str_eq(c.kiosk_id, "SHOP_7.north-2");
    ck_assert_str_eq(c.currency, "USD");
    ck_assert_uint_eq(c.currency_decimals, 2);
    ck_assert_int_eq(c.min_sale, 250);
    ck_assert_int_eq(c.max_sale, 50000);
    ck_assert_str_eq(c.driver_dir, "/usr/local/lib/univend");
    ck_assert_str_eq(c.passphrase_file, "/etc/univend/pass phrase"); /* inner space kept */
    /* card readers: names with inner blanks, trimmed at the ends */
    parse_ok(&c, "card_reader = Virtual PCD 00 00  \nsam_reader=ACS ACR39U\ncard_wait_seconds = 90\n");
    ck_assert_str_eq(c.card_reader, "Virtual PCD 00 00");
    ck_assert_str_eq(c.sam_reader, "ACS ACR39U");
    ck_assert_uint_eq(c.card_wait_seconds, 90);
    /* a later line overrides an earlier one */
    parse_ok(&c, "kiosk_id = A\nkiosk_id = B\n");
    ck_assert_str_eq(c.kiosk_id, "B");
    /* every decimals digit 0..4 */
    for (char d = '0'; d <= '4'; d++) {
        char t[64];
        snprintf(t, sizeof t, "currency_decimals = %c\nmin_sale = 1\nmax_sale = 2\n", d);
        parse_ok(&c, t);
        ck_assert_uint_eq(c.currency_decimals, (unsigned)(d - '0'));
    }
    /* a kiosk_id of 31 characters fits char[32] */
    parse_ok(&c, "kiosk_id = ABCDEFGHIJKLMNOPQRSTUVWXYZ01234\n");
    ck_assert_uint_eq(strlen(c.kiosk_id), 31);
}
END_TEST

START_TEST(comments_blank_crlf)
{
    struct uv_config c;
    parse_ok(&c, "# univend kiosk configuration\r\n"
                 "\r\n"
                 "   \t  \r\n"
                 "  kiosk_id\t=\tK-2   # trailing comment\r\n"
                 "currency=EUR\r\n"
                 "#currency = GBP\r\n"
                 "max_sale = 99.99\r\n"
                 "min_sale = 0.5"); /* last line without newline */
    ck_assert_str_eq(c.kiosk_id, "K-2");
    ck_assert_str_eq(c.currency, "EUR");
    ck_assert_int_eq(c.max_sale, 9999);
    ck_assert_int_eq(c.min_sale, 50);
    /* parse honours len: text after it is not read */
    const char *t = "kiosk_id = K-3\nkiosk_id = bad value\n";
    struct uv_error e;
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, t, 15, &e), UVS_OK);
    ck_assert_str_eq(c.kiosk_id, "K-3");
}
END_TEST

START_TEST(unknown_key_and_syntax)
{
    parse_bad("kiosk_id = A\n\n# x\nkiosk = B\n", "line 4");
    parse_bad("kiosk_id = A\n\n# x\nkiosk = B\n", "unknown setting 'kiosk'");
    parse_bad("Kiosk_id = A\n", "unknown");        /* names are case-sensitive */
    parse_bad("\n\njust words\n", "line 3: expected name = value");
    parse_bad(" = value\n", "line 1");
    parse_bad("currency = ZAR\r\nmax_sales = 5\r\n", "line 2");
}
END_TEST

START_TEST(bad_values)
{
    parse_bad("kiosk_id = KIOSK 1\n", "line 1: kiosk_id");
    parse_bad("kiosk_id =\n", "line 1: kiosk_id");
    parse_bad("kiosk_id = a/b\n", "kiosk_id");
    parse_bad("kiosk_id = ABCDEFGHIJKLMNOPQRSTUVWXYZ012345\n", "too long"); /* 32 chars */
    parse_bad("\ncurrency = zar\n", "line 2: currency");
    parse_bad("currency = ZA\n", "currency");
    parse_bad("currency = ZARR\n", "currency");
    parse_bad("currency = Z4R\n", "currency");
    parse_bad("currency_decimals = 5\n", "currency_decimals");
    parse_bad("card_wait_seconds = 0\n", "card_wait_seconds must be 1..600");
    parse_bad("card_wait_seconds = 601\n", "card_wait_seconds");
    parse_bad("card_reader = \x01reader\n", "card_reader is not printable");
    parse_bad("sam_reader = A very long reader name that goes on and on and on and on and on and "
              "on and on and on and on and on and on and on and on and on and on and on and on\n",
              "sam_reader is too long"); /* 148 characters: more than 127 */
    parse_bad("currency_decimals = -1\n", "currency_decimals");
    parse_bad("currency_decimals = 02\n", "currency_decimals");
    parse_bad("currency_decimals =\n", "currency_decimals");
    parse_bad("min_sale = abc\n", "line 1: min_sale is not an amount");
    parse_bad("max_sale = -5\n", "max_sale is not an amount");
    parse_bad("max_sale = 1.00001\n", "max_sale"); /* beyond 4 decimals */
    parse_bad("min_sale = 500\nmax_sale = 100\n", "min_sale <= max_sale");
    parse_bad("min_sale = 0\n", "0 < min_sale");
    parse_bad("max_sale = 0.5\n", "min_sale <= max_sale"); /* below the default min 1.00 */
    parse_bad("driver_dir = relative/drivers\n", "line 1: driver_dir must be absolute");
    parse_bad("driver_dir =\n", "driver_dir");
}
END_TEST

START_TEST(driver_options)
{
    struct uv_config c;
    parse_ok(&c, "driver.sts.port = /dev/ttyS0\n"
                 "driver.sts.baud=9600\n"
                 "driver.prism.endpoint = https://example.test/x?a=b\n"
                 "driver.prism.empty =\n");
    ck_assert_uint_eq(c.n_driver_opts, 4);
    ck_assert_str_eq(c.driver_opts[0].driver, "sts");
    ck_assert_str_eq(c.driver_opts[0].name, "port");
    ck_assert_str_eq(c.driver_opts[0].value, "/dev/ttyS0");
    ck_assert_str_eq(c.driver_opts[1].name, "baud");
    ck_assert_str_eq(c.driver_opts[1].value, "9600");
    ck_assert_str_eq(c.driver_opts[2].driver, "prism");
    ck_assert_str_eq(c.driver_opts[2].value, "https://example.test/x?a=b"); /* '=' in value */
    ck_assert_str_eq(c.driver_opts[3].value, "");
    /* OPTION may itself contain dots: only the first dot after NAME splits */
    parse_ok(&c, "driver.sts.a.b = 1\n");
    ck_assert_str_eq(c.driver_opts[0].driver, "sts");
    ck_assert_str_eq(c.driver_opts[0].name, "a.b");

    parse_bad("driver.sts = 1\n", "driver.NAME.OPTION");
    parse_bad("driver..x = 1\n", "driver.NAME.OPTION");
    parse_bad("driver.sts. = 1\n", "driver.NAME.OPTION");
    parse_bad("driver. = 1\n", "driver.NAME.OPTION");
    /* 31 is the longest driver name (char[32]); 32 is refused */
    parse_ok(&c, "driver.abcdefghijklmnopqrstuvwxyz01234.x = 1\n");
    ck_assert_uint_eq(strlen(c.driver_opts[0].driver), 31);
    parse_bad("driver.abcdefghijklmnopqrstuvwxyz012345.x = 1\n", "too long");
    char t[512];
    memset(t, 0, sizeof t);
    strcpy(t, "driver.sts.x = ");
    memset(t + strlen(t), 'v', 128); /* value of 128 > 127 */
    strcat(t, "\n");
    parse_bad(t, "too long");

    /* at most 16 options */
    char big[2048] = "";
    for (int i = 0; i < UV_DRIVER_CONFIG_MAX; i++)
        snprintf(big + strlen(big), sizeof big - strlen(big), "driver.d.o%d = %d\n", i, i);
    parse_ok(&c, big);
    ck_assert_uint_eq(c.n_driver_opts, UV_DRIVER_CONFIG_MAX);
    ck_assert_str_eq(c.driver_opts[15].name, "o15");
    strcat(big, "driver.d.o16 = 16\n");
    parse_bad(big, "line 17: too many driver options");
}
END_TEST

START_TEST(long_lines_and_nul)
{
    struct uv_config c;
    struct uv_error e;
    /* a line of 1023 characters (the buffer is 1024) is read; 1024 is refused */
    char *t = malloc(1100);
    ck_assert_ptr_nonnull(t);
    memset(t, 'x', 1100);
    t[0] = '#';
    t[1023] = '\n';
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, t, 1024, &e), UVS_OK);
    t[1023] = 'x';
    t[1024] = '\n';
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, t, 1025, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "line 1 is too long"));
    /* without a newline at all */
    t[1024] = 'x';
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, t, 1100, &e), UVS_INPUT);
    free(t);

    /* a NUL byte, even inside a comment */
    static const char nul1[] = "kiosk_id = A\0B\n";
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, nul1, sizeof nul1 - 1, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "line 1 contains a NUL byte"));
    static const char nul2[] = "currency = USD\n# comment \0 here\n";
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_parse(&c, nul2, sizeof nul2 - 1, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "line 2 contains a NUL byte"));
}
END_TEST

START_TEST(sale_limits_rescaled)
{
    struct uv_config c;
    /* amounts are read with 4 decimals, then divided by 10^(4 - decimals) */
    parse_ok(&c, "currency_decimals = 0\nmin_sale = 5\nmax_sale = 500\n");
    ck_assert_int_eq(c.min_sale, 5);
    ck_assert_int_eq(c.max_sale, 500);
    /* order does not matter: decimals after the amounts */
    parse_ok(&c, "min_sale = 5\nmax_sale = 500\ncurrency_decimals = 0\n");
    ck_assert_int_eq(c.min_sale, 5);
    ck_assert_int_eq(c.max_sale, 500);
    parse_ok(&c, "min_sale = 1.5\nmax_sale = 2000.125\ncurrency_decimals = 3\n");
    ck_assert_int_eq(c.min_sale, 1500);    /* 1.500 */
    ck_assert_int_eq(c.max_sale, 2000125); /* 2000.125 */
    parse_ok(&c, "currency_decimals = 4\nmin_sale = 0.0001\nmax_sale = 1\n");
    ck_assert_int_eq(c.min_sale, 1);
    ck_assert_int_eq(c.max_sale, 10000);
    parse_ok(&c, "min_sale = 2.5\n"); /* default decimals 2 */
    ck_assert_int_eq(c.min_sale, 250);
    ck_assert_int_eq(c.max_sale, 1000000); /* default kept */
    parse_ok(&c, "min_sale = 7\nmax_sale = 7\n"); /* min == max is allowed */
    ck_assert_int_eq(c.min_sale, 700);
    ck_assert_int_eq(c.max_sale, 700);
}
END_TEST

START_TEST(sale_limits_finer_than_currency_refused)
{
    /* BUG (src/config.c, config_parse rescaling): an amount with more
       decimals than the currency has is silently truncated, e.g. with
       currency_decimals = 2, "min_sale = 1.005" becomes 100 (1.00) and
       with currency_decimals = 0, "max_sale = 99.9" becomes 99. Money input
       elsewhere (money_parse) refuses such amounts; the configuration should
       too, so a typo cannot silently move a limit. */
    parse_bad("currency_decimals = 2\nmin_sale = 1.005\n", "min_sale");
    parse_bad("currency_decimals = 0\nmin_sale = 1\nmax_sale = 99.9\n", "max_sale");
    parse_bad("max_sale = 150.5\nmin_sale = 1\ncurrency_decimals = 0\n", "max_sale");
}
END_TEST

static char *write_file(const char *dir, const char *name, const void *data, size_t len)
{
    char *p;
    ck_assert(asprintf(&p, "%s/%s", dir, name) > 0);
    FILE *f = fopen(p, "wb");
    ck_assert_ptr_nonnull(f);
    ck_assert_uint_eq(fwrite(data, 1, len, f), len);
    ck_assert_int_eq(fclose(f), 0);
    return p;
}

START_TEST(load_files)
{
    char *dir = tu_mkdtemp();
    struct uv_config c, d;
    struct uv_error e;
    char path[4200];

    /* a missing file keeps the defaults */
    snprintf(path, sizeof path, "%s/univend.conf", dir);
    config_defaults(&c, DDIR);
    config_defaults(&d, DDIR);
    ck_assert_int_eq(config_load(&c, path, &e), UVS_OK);
    ck_assert_mem_eq(&c, &d, sizeof c);

    /* a real file */
    const char *text = "kiosk_id = FILE-1\ncurrency = KWD\ncurrency_decimals = 3\n"
                       "min_sale = 0.250\nmax_sale = 300\n";
    char *p = write_file(dir, "a.conf", text, strlen(text));
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_load(&c, p, &e), UVS_OK);
    ck_assert_str_eq(c.kiosk_id, "FILE-1");
    ck_assert_str_eq(c.currency, "KWD");
    ck_assert_int_eq(c.min_sale, 250);
    ck_assert_int_eq(c.max_sale, 300000);
    free(p);

    /* a bad file reports the line */
    text = "kiosk_id = FILE-1\nbogus = 1\n";
    p = write_file(dir, "b.conf", text, strlen(text));
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_load(&c, p, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "line 2"));
    free(p);

    /* size limit: 65535 bytes of comments are read; 65536 are refused */
    char *big = malloc(65536);
    ck_assert_ptr_nonnull(big);
    for (size_t i = 0; i < 65536; i++)
        big[i] = (i % 64 == 63) ? '\n' : '#';
    p = write_file(dir, "c.conf", big, 65535);
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_load(&c, p, &e), UVS_OK);
    free(p);
    p = write_file(dir, "d.conf", big, 65536);
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_load(&c, p, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "64 KiB"));
    free(p);
    free(big);

    /* a directory where the file should be is an I/O error */
    config_defaults(&c, DDIR);
    ck_assert_int_eq(config_load(&c, dir, &e), UVS_IO);

    tu_rmrf(dir);
    free(dir);
}
END_TEST

static void roundtrip(const struct uv_config *c)
{
    char *dir = tu_mkdtemp();
    char path[4200];
    struct uv_config d;
    struct uv_error e;
    snprintf(path, sizeof path, "%s/univend.conf", dir);
    ck_assert_msg(config_write(c, path, &e) == UVS_OK, "%s", e.message);
    config_defaults(&d, DDIR);
    uv_status st = config_load(&d, path, &e);
    /* a second write refuses to replace the file */
    uv_status st2 = config_write(c, path, &e);
    tu_rmrf(dir);
    free(dir);
    ck_assert_msg(st == UVS_OK, "%s", e.message);
    ck_assert_int_eq(st2, UVS_IO);
    ck_assert_str_eq(d.kiosk_id, c->kiosk_id);
    ck_assert_str_eq(d.currency, c->currency);
    ck_assert_uint_eq(d.currency_decimals, c->currency_decimals);
    ck_assert_int_eq(d.min_sale, c->min_sale);
    ck_assert_int_eq(d.max_sale, c->max_sale);
    ck_assert_str_eq(d.passphrase_file, c->passphrase_file);
    ck_assert_str_eq(d.driver_dir, DDIR);
}

START_TEST(write_then_load)
{
    struct uv_config c;
    config_defaults(&c, DDIR);
    roundtrip(&c); /* the defaults */

    strcpy(c.kiosk_id, "RT-9");
    strcpy(c.currency, "USD");
    c.min_sale = 123;       /* 1.23 */
    c.max_sale = 987654321; /* 9876543.21 */
    strcpy(c.passphrase_file, "/etc/univend/passphrase");
    roundtrip(&c);

    c.currency_decimals = 0;
    strcpy(c.currency, "JPY");
    c.min_sale = 100;
    c.max_sale = 500000;
    c.passphrase_file[0] = '\0';
    roundtrip(&c);

    c.currency_decimals = 3;
    strcpy(c.currency, "KWD");
    c.min_sale = 1;       /* 0.001 */
    c.max_sale = 2000125; /* 2000.125 */
    roundtrip(&c);

    c.currency_decimals = 4;
    c.min_sale = 1;
    c.max_sale = 10000;
    roundtrip(&c);
}
END_TEST

START_TEST(write_then_load_odd_passphrase_path)
{
    /* BUG (src/config.c, config_write): values are written without any check
       or quoting, but config_parse treats '#' as the start of a comment and
       trims surrounding blanks. A passphrase_file such as
       "/srv/kiosk#2/pass" (a legal path, accepted by 'univend init
       --passphrase-file') is written verbatim and read back as "/srv/kiosk",
       so the kiosk can no longer find its passphrase. config_write should
       refuse a value it cannot represent (or the format should allow
       quoting). Correct behaviour: write refuses, or the value round trips. */
    struct uv_config c, d;
    struct uv_error e;
    char *dir = tu_mkdtemp();
    char path[4200];
    snprintf(path, sizeof path, "%s/univend.conf", dir);
    config_defaults(&c, DDIR);
    strcpy(c.passphrase_file, "/srv/kiosk#2/pass");
    uv_status wst = config_write(&c, path, &e);
    uv_status lst = UVS_FAILED;
    if (wst == UVS_OK) {
        config_defaults(&d, DDIR);
        lst = config_load(&d, path, &e);
    }
    tu_rmrf(dir);
    free(dir);
    if (wst == UVS_OK) {
        ck_assert_int_eq(lst, UVS_OK);
        ck_assert_str_eq(d.passphrase_file, c.passphrase_file);
    } else {
        ck_assert_int_eq(wst, UVS_INPUT);
    }
}
END_TEST

Suite *config_suite(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("parse");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, every_key);
    tcase_add_test(tc, comments_blank_crlf);
    tcase_add_test(tc, unknown_key_and_syntax);
    tcase_add_test(tc, bad_values);
    tcase_add_test(tc, driver_options);
    tcase_add_test(tc, long_lines_and_nul);
    tcase_add_test(tc, sale_limits_rescaled);
    tcase_add_test(tc, sale_limits_finer_than_currency_refused);
    suite_add_tcase(s, tc);
    tc = tcase_create("files");
    tcase_add_test(tc, load_files);
    tcase_add_test(tc, write_then_load);
    tcase_add_test(tc, write_then_load_odd_passphrase_path);
    suite_add_tcase(s, tc);
    return s;
}
