/*
 * test_drvsig.c — the driver signature text (src/drvsig.c): its exact
 * format, strict parsing, and that no change to a signed text goes
 * unnoticed. No kiosk here: trust is test_drvsign.c's.
 */
#include <stdlib.h>
#include <string.h>

#include "drvsig.h"
#include "ed25519.h"
#include "testutil.h"

/* A fixed signature's fields (RFC 8032 test 1's key, for a stable text). */
static void sample(struct drvsig *d)
{
    memset(d, 0, sizeof *d);
    strcpy(d->driver, "sts");
    strcpy(d->version, "1.0.0");
    ck_assert_int_eq(drvsig_set_codes(d, "STS-EA07,STS-EA09"), 0);
    for (int i = 0; i < 32; i++)
        d->sha256[i] = (uint8_t)i;
    d->size = 126488;
    d->signed_at = 1795000000; /* 2026-11-18T11:06:40Z */
}

/* Sign d with a fresh key and format it; returns the text's length. */
static size_t signed_text(struct drvsig *d, uint8_t secret[32], char *text, size_t cap)
{
    struct uv_error e = {0};
    char body[DRVSIG_MAX + 1];
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX];
    size_t ml;
    ck_assert_int_eq(ed25519_generate(secret, d->signer, &e), UVS_OK);
    size_t bl = drvsig_body(d, body, sizeof body, &e);
    ck_assert_msg(bl > 0, "%s", e.message);
    drvsig_message(body, bl, msg, &ml);
    ck_assert_int_eq(ed25519_sign(secret, d->signer, msg, ml, d->sig, &e), UVS_OK);
    size_t n = drvsig_format(d, text, cap, &e);
    ck_assert_msg(n > 0, "%s", e.message);
    return n;
}

START_TEST(format_is_the_documented_one)
{
    struct drvsig d;
    struct uv_error e = {0};
    char text[DRVSIG_MAX + 1];
    sample(&d);
    memset(d.signer, 0xab, 32);
    memset(d.sig, 0x5c, 64);
    size_t n = drvsig_format(&d, text, sizeof text, &e);
    const char *want =
        "univend-driver-signature 1\n"
        "driver: sts\n"
        "version: 1.0.0\n"
        "codes: STS-EA07,STS-EA09\n"
        "sha256: 000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n"
        "size: 126488\n"
        "signed-at: 2026-11-18T11:06:40Z\n"
        "signer: abababababababababababababababababababababababababababababababab\n"
        "signature: 5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c"
        "5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c5c\n";
    ck_assert_uint_eq(n, strlen(want));
    ck_assert_str_eq(text, want);
    /* the signed part is everything before the signature line */
    char body[DRVSIG_MAX + 1];
    size_t bl = drvsig_body(&d, body, sizeof body, &e);
    ck_assert_uint_eq(bl, (size_t)(strstr(want, "signature: ") - want));
    ck_assert_int_eq(memcmp(body, want, bl), 0);
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX];
    size_t ml;
    drvsig_message(body, bl, msg, &ml);
    ck_assert_uint_eq(ml, strlen("univend driver signature v1") + 1 + bl);
    ck_assert_int_eq(memcmp(msg, "univend driver signature v1\0", 28), 0);
    /* and it parses back to the same fields (not verified: a fixed sig) */
    struct drvsig p;
    ck_assert_int_eq(drvsig_parse(text, n, &p, &e), UVS_OK);
    ck_assert_str_eq(p.driver, "sts");
    ck_assert_str_eq(p.version, "1.0.0");
    ck_assert_uint_eq(p.n_codes, 2);
    ck_assert_str_eq(p.codes[1], "STS-EA09");
    ck_assert_mem_eq(p.sha256, d.sha256, 32);
    ck_assert_uint_eq(p.size, 126488);
    ck_assert_int_eq(p.signed_at, 1795000000);
    ck_assert_mem_eq(p.signer, d.signer, 32);
    ck_assert_mem_eq(p.sig, d.sig, 64);
    ck_assert_uint_eq(p.body_len, bl);
    ck_assert_int_eq(drvsig_parse_verified(text, n, &p, &e), UVS_REFUSED);
}
END_TEST

START_TEST(signed_text_verifies_and_round_trips)
{
    struct drvsig d, p;
    struct uv_error e = {0};
    uint8_t secret[32];
    char text[DRVSIG_MAX + 1], again[DRVSIG_MAX + 1];
    sample(&d);
    size_t n = signed_text(&d, secret, text, sizeof text);
    ck_assert_int_eq(drvsig_parse_verified(text, n, &p, &e), UVS_OK);
    ck_assert_mem_eq(p.signer, d.signer, 32);
    ck_assert_uint_eq(drvsig_format(&p, again, sizeof again, &e), n);
    ck_assert_str_eq(again, text);
    ck_assert(drvsig_has_code(&p, "STS-EA07"));
    ck_assert(!drvsig_has_code(&p, "STS-EA0"));
}
END_TEST

/* Any change anywhere in a signed text, one bit of one byte at a time, or
   cutting it short anywhere: never accepted. */
START_TEST(every_change_is_refused)
{
    struct drvsig d, p;
    struct uv_error e = {0};
    uint8_t secret[32];
    char text[DRVSIG_MAX + 1], t2[DRVSIG_MAX + 1];
    sample(&d);
    size_t n = signed_text(&d, secret, text, sizeof text);
    for (size_t i = 0; i < n; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(t2, text, n);
            t2[i] ^= (char)(1 << bit);
            uv_status st = drvsig_parse_verified(t2, n, &p, &e);
            ck_assert_msg(st == UVS_INPUT || st == UVS_REFUSED,
                          "byte %zu bit %d changed and still accepted", i, bit);
        }
    }
    for (size_t l = 0; l < n; l++)
        ck_assert_msg(drvsig_parse(text, l, &p, &e) == UVS_INPUT, "cut at %zu accepted", l);
    /* nothing may follow */
    memcpy(t2, text, n);
    t2[n] = '\n';
    ck_assert_int_eq(drvsig_parse(t2, n + 1, &p, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "text after the signature"));
}
END_TEST

/* The signature covers the domain prefix: the same key's signature over
   the bare text (or anything else head office signs) does not pass. */
START_TEST(domain_separation)
{
    struct drvsig d, p;
    struct uv_error e = {0};
    uint8_t secret[32];
    char text[DRVSIG_MAX + 1], body[DRVSIG_MAX + 1];
    sample(&d);
    signed_text(&d, secret, text, sizeof text);
    size_t bl = drvsig_body(&d, body, sizeof body, &e);
    ck_assert_int_eq(ed25519_sign(secret, d.signer, body, bl, d.sig, &e), UVS_OK);
    size_t n = drvsig_format(&d, text, sizeof text, &e);
    ck_assert_int_eq(drvsig_parse(text, n, &p, &e), UVS_OK);
    ck_assert_int_eq(drvsig_parse_verified(text, n, &p, &e), UVS_REFUSED);
    ck_assert_ptr_nonnull(strstr(e.message, "altered or forged"));
}
END_TEST

static uv_status parse_str(const char *t, struct uv_error *e)
{
    struct drvsig p;
    return drvsig_parse(t, strlen(t), &p, e);
}

/* One line of a valid text replaced: what the parser says. */
static void expect_line_refused(const char *text, const char *from, const char *to,
                                const char *why)
{
    char t[DRVSIG_MAX * 2];
    struct uv_error e = {0};
    const char *at = strstr(text, from);
    ck_assert_ptr_nonnull(at);
    snprintf(t, sizeof t, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
    ck_assert_msg(parse_str(t, &e) == UVS_INPUT, "'%s' -> '%s' accepted", from, to);
    ck_assert_msg(strstr(e.message, why) != NULL, "'%s': %s (want %s)", to, e.message, why);
}

START_TEST(parser_is_strict)
{
    struct drvsig d;
    struct uv_error e = {0};
    char text[DRVSIG_MAX + 1];
    sample(&d);
    memset(d.signer, 0xab, 32);
    memset(d.sig, 0x5c, 64);
    drvsig_format(&d, text, sizeof text, &e);
    ck_assert_int_eq(parse_str(text, &e), UVS_OK);
    expect_line_refused(text, "univend-driver-signature 1\n", "univend-driver-signature 2\n",
                        "line 1: not a univend driver signature");
    expect_line_refused(text, "driver: sts\n", "driver: sts \n", "line 2: driver name");
    expect_line_refused(text, "driver: sts\n", "driver:sts\n", "line 2: expected 'driver: ...'");
    expect_line_refused(text, "driver: sts\n", "Driver: sts\n", "line 2: expected");
    expect_line_refused(text, "driver: sts\n", "driver: \n", "line 2: 'driver' is empty");
    expect_line_refused(text, "driver: sts\n", "driver: st\ts\n", "line 2: driver name");
    expect_line_refused(text, "version: 1.0.0\n", "version: 1.0.0\r\n", "line 3: version");
    expect_line_refused(text, "version: 1.0.0\n",
                        "version: 12345678901234567890123456789012\n", "line 3");
    expect_line_refused(text, "codes: STS-EA07,STS-EA09\n", "codes: STS-EA07,STS-EA07\n",
                        "line 4: type codes");
    expect_line_refused(text, "codes: STS-EA07,STS-EA09\n", "codes: STS-EA07,\n", "line 4");
    expect_line_refused(text, "codes: STS-EA07,STS-EA09\n", "codes: sts-ea07\n", "line 4");
    expect_line_refused(text, "codes: STS-EA07,STS-EA09\n", "codes: STS-EA07 STS-EA09\n",
                        "line 4");
    expect_line_refused(text, "sha256: 00", "sha256: 0A", "line 5: sha256");
    expect_line_refused(text, "sha256: 00", "sha256: 0", "line 5: sha256");
    expect_line_refused(text, "size: 126488\n", "size: 0126488\n", "line 6: size");
    expect_line_refused(text, "size: 126488\n", "size: -1\n", "line 6: size");
    expect_line_refused(text, "size: 126488\n", "size: 1234567890123\n", "line 6");
    expect_line_refused(text, "signed-at: 2026-11-18T11:06:40Z\n",
                        "signed-at: 2026-02-30T08:26:40Z\n", "line 7: signed-at");
    expect_line_refused(text, "signed-at: 2026-11-18T11:06:40Z\n",
                        "signed-at: 2026-11-19 08:26:40Z\n", "line 7: signed-at");
    expect_line_refused(text, "signer: ab", "signer: AB", "line 8: signer");
    expect_line_refused(text, "signature: 5c", "signature: 5C", "line 9: signature");
    expect_line_refused(text, "signature: 5c", "signature: 5", "line 9: signature");
    expect_line_refused(text, "size: 126488\n", "size: 126488\nextra: 1\n",
                        "line 7: expected 'signed-at: ...'");
    expect_line_refused(text, "size: 126488\n", "", "line 6: expected 'size: ...'");
    /* a NUL inside, nothing at all, far too much */
    char t[DRVSIG_MAX + 8];
    size_t n = strlen(text);
    memcpy(t, text, n);
    t[20] = '\0';
    struct drvsig p;
    ck_assert_int_eq(drvsig_parse(t, n, &p, &e), UVS_INPUT);
    ck_assert_int_eq(drvsig_parse(text, 0, &p, &e), UVS_INPUT);
    memset(t, 'a', sizeof t);
    ck_assert_int_eq(drvsig_parse(t, DRVSIG_MAX + 1, &p, &e), UVS_INPUT);
    ck_assert_ptr_nonnull(strstr(e.message, "longer than"));
}
END_TEST

START_TEST(body_refuses_what_it_cannot_write)
{
    struct drvsig d;
    struct uv_error e = {0};
    char body[DRVSIG_MAX + 1];
    sample(&d);
    strcpy(d.driver, "");
    ck_assert_uint_eq(drvsig_body(&d, body, sizeof body, &e), 0);
    sample(&d);
    strcpy(d.version, "1.0\n");
    ck_assert_uint_eq(drvsig_body(&d, body, sizeof body, &e), 0);
    sample(&d);
    d.n_codes = 0;
    ck_assert_uint_eq(drvsig_body(&d, body, sizeof body, &e), 0);
    sample(&d);
    strcpy(d.codes[1], d.codes[0]);
    ck_assert_uint_eq(drvsig_body(&d, body, sizeof body, &e), 0);
    ck_assert_ptr_nonnull(strstr(e.message, "listed twice"));
    sample(&d);
    ck_assert_uint_eq(drvsig_body(&d, body, 40, &e), 0);
    /* the most a signature holds still fits DRVSIG_MAX */
    sample(&d);
    strcpy(d.driver, "1234567890123456789012345678901");
    strcpy(d.version, "1234567890123456789012345678901");
    d.n_codes = UV_TYPE_CODES_MAX;
    for (unsigned i = 0; i < UV_TYPE_CODES_MAX; i++)
        snprintf(d.codes[i], sizeof d.codes[i], "CODE-%010u", i);
    d.size = 999999999999ull;
    d.signed_at = 253402300799; /* 9999-12-31T23:59:59Z */
    char text[DRVSIG_MAX + 1];
    size_t n = drvsig_format(&d, text, sizeof text, &e);
    ck_assert_msg(n > 0 && n <= DRVSIG_MAX, "%s", e.message);
    struct drvsig p;
    ck_assert_int_eq(drvsig_parse(text, n, &p, &e), UVS_OK);
    ck_assert_uint_eq(p.n_codes, UV_TYPE_CODES_MAX);
    ck_assert_int_eq(p.signed_at, 253402300799);
}
END_TEST

START_TEST(codes_lists)
{
    struct drvsig d;
    char out[UV_TYPE_CODES_MAX * 16];
    memset(&d, 0, sizeof d);
    ck_assert_int_eq(drvsig_set_codes(&d, "A"), 0);
    ck_assert_int_eq(drvsig_set_codes(&d, "A,B.C,D_1"), 0);
    drvsig_codes_text(&d, out, sizeof out);
    ck_assert_str_eq(out, "A,B.C,D_1");
    ck_assert_int_eq(drvsig_set_codes(&d, ""), -1);
    ck_assert_int_eq(drvsig_set_codes(&d, ",A"), -1);
    ck_assert_int_eq(drvsig_set_codes(&d, "A,,B"), -1);
    ck_assert_int_eq(drvsig_set_codes(&d, "A,B,A"), -1);
    ck_assert_int_eq(drvsig_set_codes(&d, "ABCDEFGHIJKLMNOP"), -1); /* 16 characters */
    ck_assert_int_eq(drvsig_set_codes(&d, NULL), -1);
}
END_TEST

Suite *drvsig_suite(void)
{
    Suite *s = suite_create("drvsig");
    TCase *tc = tcase_create("drvsig");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, format_is_the_documented_one);
    tcase_add_test(tc, signed_text_verifies_and_round_trips);
    tcase_add_test(tc, every_change_is_refused);
    tcase_add_test(tc, domain_separation);
    tcase_add_test(tc, parser_is_strict);
    tcase_add_test(tc, body_refuses_what_it_cannot_write);
    tcase_add_test(tc, codes_lists);
    suite_add_tcase(s, tc);
    return s;
}
