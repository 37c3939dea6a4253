/*
 * test_memcard.c — the card keys of docs/cards.md (drivers/cardkey) against
 * vectors computed independently (Python's cryptography package: AES, SM4,
 * two-key 3DES, CMAC), and the plain memory card's layout codec
 * (drivers/memcard/memcard_card.c): byte positions, round trips and every
 * way a card's bytes or a reader's answer can be malformed.
 */
#include <check.h>
#include <stdio.h>
#include <string.h>

#include "cardkey.h"
#include "memcard_card.h"
#include "testutil.h"

static void unhex(const char *h, uint8_t *out)
{
    for (size_t i = 0; h[2 * i]; i++) {
        unsigned v;
        sscanf(h + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
}

static const uint8_t serial7[MC_SERIAL_LEN] = {1, 2, 3, 4, 5, 6, 7};

static void master16(uint8_t m[16])
{
    for (int i = 0; i < 16; i++)
        m[i] = (uint8_t)i;
}

/* derive(00..0F, alg, 01..07) and CMAC("univend card MAC") under it */
START_TEST(cardkey_known_answers)
{
    static const struct {
        const char *alg, *key, *mac;
    } v[] = {
        {"aes", "f477cf3f7ae1e77f3890dc754f44fb5d", "774f4eefa497862b1388d4a9e210e947"},
        {"sm4", "cd26e66906d0020dc2a840ef6778619c", "9a87ef546fccf48e4975a5a13a245892"},
        {"3des", "419af60366606844f38e2505a0e1fefc", "e71b3445f74eb93e"},
    };
    uint8_t master[16], key[16], want[16], mac[CARDKEY_MAC_MAX], wmac[16];
    master16(master);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) {
        int alg = cardkey_alg_parse(v[i].alg);
        ck_assert_int_ne(alg, 0);
        ck_assert_str_eq(cardkey_alg_name(alg), v[i].alg);
        ck_assert_int_eq(cardkey_derive(alg, master, serial7, sizeof serial7, key), 0);
        unhex(v[i].key, want);
        ck_assert_msg(memcmp(key, want, 16) == 0, "%s: derived key differs", v[i].alg);
        ck_assert_int_eq(cardkey_cmac(alg, key, "univend card MAC", 16, mac), 0);
        unhex(v[i].mac, wmac);
        size_t ml = strlen(v[i].mac) / 2;
        ck_assert_uint_eq(ml, cardkey_block(alg));
        ck_assert_msg(memcmp(mac, wmac, ml) == 0, "%s: CMAC differs", v[i].alg);
        ck_assert_int_eq(cardkey_cmac_check(alg, key, "univend card MAC", 16, wmac, 8), 1);
        wmac[7] ^= 1;
        ck_assert_int_eq(cardkey_cmac_check(alg, key, "univend card MAC", 16, wmac, 8), 0);
        /* ECB both ways */
        uint8_t blk[16] = "0123456789abcdef", orig[16];
        memcpy(orig, blk, 16);
        ck_assert_int_eq(cardkey_ecb(alg, key, 1, blk, 16), 0);
        ck_assert(memcmp(blk, orig, 16) != 0);
        ck_assert_int_eq(cardkey_ecb(alg, key, 0, blk, 16), 0);
        ck_assert(memcmp(blk, orig, 16) == 0);
    }
}
END_TEST

START_TEST(cardkey_refusals)
{
    uint8_t master[16], key[16], mac[16], serial[16] = {0};
    master16(master);
    memset(key, 0xEE, sizeof key);
    ck_assert_int_eq(cardkey_alg_parse("des"), 0);
    ck_assert_int_eq(cardkey_alg_parse(NULL), 0);
    ck_assert_int_eq(cardkey_alg_parse("AES"), 0);
    /* a serial is 1..15 bytes (with 3des, 8..15 make D two blocks) */
    ck_assert_int_eq(cardkey_derive(CARDKEY_3DES, master, serial, 16, key), -1);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, master, serial, 16, key), -1);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, master, serial, 0, key), -1);
    ck_assert_int_eq(cardkey_derive(9, master, serial, 7, key), -1);
    ck_assert_uint_eq(key[0], 0xEE); /* nothing written on failure */
    ck_assert_int_eq(cardkey_derive(CARDKEY_3DES, master, serial, 7, key), 0);
    ck_assert_int_eq(cardkey_derive(CARDKEY_3DES, master, serial, 15, key), 0);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, master, serial, 15, key), 0);
    ck_assert_int_eq(cardkey_cmac(9, key, "x", 1, mac), -1);
    ck_assert_int_eq(cardkey_cmac_check(CARDKEY_3DES, key, "x", 1, mac, 9), 0); /* > block */
    ck_assert_int_eq(cardkey_ecb(CARDKEY_AES, key, 1, serial, 15), -1);     /* not whole blocks */
}
END_TEST

static void sample_ident(struct mc_ident *id)
{
    memset(id, 0, sizeof *id);
    memcpy(id->serial, serial7, sizeof serial7);
    strcpy(id->meter, "01234567897");
    strcpy(id->type_code, "MEM-A1");
    memset(id->mac, 0xAB, sizeof id->mac);
}

START_TEST(ident_layout)
{
    struct mc_ident id, back;
    uint8_t a[MC_IDENT_LEN], in[MC_MAC_INPUT_MAX];
    sample_ident(&id);
    mc_ident_build(&id, a);
    ck_assert(memcmp(a, "UVMC\x01\x00", 6) == 0);
    ck_assert(memcmp(a + 6, serial7, 7) == 0);
    ck_assert(memcmp(a + 13, "01234567897\0\0\0\0\0", 16) == 0);
    ck_assert(memcmp(a + 29, "MEM-A1\0", 7) == 0);
    ck_assert_uint_eq(a[45], 0xAB);
    ck_assert_uint_eq(a[52], 0xAB);
    ck_assert_uint_eq(a[53], 0);
    ck_assert_int_eq(mc_ident_parse(a, sizeof a, &back), MC_OK);
    ck_assert(memcmp(&id, &back, sizeof id) == 0);
    ck_assert_uint_eq(mc_ident_mac_input(a, in), 45);
    ck_assert(memcmp(in, a, 45) == 0);
    /* the longest meter number and type code fit their fields */
    strcpy(id.meter, "ABCDEFGHIJKLMNOP");
    strcpy(id.type_code, "ABCDEFGHIJKLMNO");
    mc_ident_build(&id, a);
    ck_assert_int_eq(mc_ident_parse(a, sizeof a, &back), MC_OK);
    ck_assert_str_eq(back.meter, "ABCDEFGHIJKLMNOP");
    ck_assert_str_eq(back.type_code, "ABCDEFGHIJKLMNO");
}
END_TEST

START_TEST(ident_refusals)
{
    struct mc_ident id, back;
    uint8_t good[MC_IDENT_LEN], a[MC_IDENT_LEN];
    sample_ident(&id);
    mc_ident_build(&id, good);
    ck_assert_int_eq(mc_ident_parse(good, sizeof good - 1, &back), MC_MALFORMED);
    ck_assert_int_eq(mc_ident_parse(NULL, sizeof good, &back), MC_MALFORMED);
    memset(a, 0xFF, sizeof a); /* a blank card */
    ck_assert_int_eq(mc_ident_parse(a, sizeof a, &back), MC_FOREIGN);
    static const struct {
        size_t at;
        uint8_t v;
    } bad[] = {
        {4, 2},    /* layout version          */
        {5, 1},    /* reserved                */
        {13, 0},   /* empty meter number      */
        {14, ' '}, /* a blank in the number   */
        {25, 'x'}, /* after the NUL padding   */
        {29, 'a'}, /* lower case in a type    */
        {29, 0},   /* empty type code         */
        {44, 'Z'}, /* a 16th type character   */
        {60, 1},   /* the zero tail           */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        memcpy(a, good, sizeof a);
        a[bad[i].at] = bad[i].v;
        ck_assert_msg(mc_ident_parse(a, sizeof a, &back) == MC_MALFORMED, "byte %zu = %u accepted",
                      bad[i].at, bad[i].v);
    }
    ck_assert(!mc_meter_number_ok("01234567897012345"));
    ck_assert(!mc_type_code_ok("MEM-A1-LONGER-16"));
    ck_assert(mc_meter_number_ok("abc-1.2_3"));
    ck_assert(!mc_type_code_ok("mem"));
}
END_TEST

START_TEST(credit_and_meter_records)
{
    struct mc_credit c = {.amount = 0x0102030405060708ull, .sequence = 42, .counter = 0xA0B0C0D0u},
                     cb;
    uint8_t a[MC_CREDIT_LEN], in[MC_MAC_INPUT_MAX];
    memset(c.mac, 0x5A, sizeof c.mac);
    mc_credit_build(&c, a);
    ck_assert_uint_eq(a[0], 1);
    ck_assert(memcmp(a + 4, "\x01\x02\x03\x04\x05\x06\x07\x08", 8) == 0);
    ck_assert_uint_eq(a[19], 42);
    ck_assert(memcmp(a + 20, "\xA0\xB0\xC0\xD0", 4) == 0);
    ck_assert_int_eq(mc_credit_parse(a, sizeof a, &cb), MC_OK);
    ck_assert(memcmp(&c, &cb, sizeof c) == 0);
    ck_assert_uint_eq(mc_credit_mac_input(a, in), 26);
    ck_assert(memcmp(in, "CR", 2) == 0 && memcmp(in + 2, a, 24) == 0);
    a[0] = 0;
    ck_assert_int_eq(mc_credit_parse(a, sizeof a, &cb), MC_MALFORMED);
    a[0] = 1;
    a[2] = 1;
    ck_assert_int_eq(mc_credit_parse(a, sizeof a, &cb), MC_MALFORMED);

    struct mc_meter m, mb;
    uint8_t r[MC_METER_LEN];
    memset(r, 0, sizeof r);
    ck_assert_int_eq(mc_meter_parse(r, sizeof r, &mb), MC_OK);
    ck_assert_int_eq(mb.present, 0); /* not been to the meter yet */
    memset(&m, 0, sizeof m);
    m.present = 1;
    m.flags = 1;
    m.loaded = 7;
    m.remaining = 39400;
    m.tamper = 3;
    mc_meter_build(&m, r);
    ck_assert_int_eq(mc_meter_parse(r, sizeof r, &mb), MC_OK);
    ck_assert(memcmp(&m, &mb, sizeof m) == 0);
    ck_assert_uint_eq(mc_meter_mac_input(r, in), 26);
    ck_assert(memcmp(in, "MR", 2) == 0);
    r[1] = 2; /* an unknown flag */
    ck_assert_int_eq(mc_meter_parse(r, sizeof r, &mb), MC_MALFORMED);
    ck_assert_int_eq(mc_meter_parse(r, sizeof r - 1, &mb), MC_MALFORMED);
}
END_TEST

START_TEST(reader_answers_and_commands)
{
    uint8_t resp[40], cmd[5 + 32];
    const uint8_t *data;
    memset(resp, 0x11, sizeof resp);
    resp[32] = 0x90;
    resp[33] = 0x00;
    ck_assert_uint_eq(mc_read_answer(resp, 34, 32, &data), 0x9000);
    ck_assert_ptr_eq(data, resp);
    /* success with too little or too much data is no success */
    ck_assert_uint_eq(mc_read_answer(resp + 1, 33, 32, &data), 0x6700);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(mc_read_answer(resp, 34, 31, &data), 0x6700);
    ck_assert_ptr_null(data);
    resp[32] = 0x62;
    resp[33] = 0x82;
    ck_assert_uint_eq(mc_read_answer(resp, 34, 32, &data), 0x6282);
    ck_assert_ptr_null(data);
    ck_assert_uint_eq(mc_read_answer(resp, 1, 32, &data), 0);
    ck_assert_uint_eq(mc_sw(NULL, 2), 0);
    ck_assert_uint_eq(mc_cmd_read(0x0140, 0x20, cmd), 5);
    ck_assert(memcmp(cmd, "\xFF\xB0\x01\x40\x20", 5) == 0);
    uint8_t data32[32];
    memset(data32, 0x77, sizeof data32);
    ck_assert_uint_eq(mc_cmd_update(0x40, data32, 32, cmd), 37);
    ck_assert(memcmp(cmd, "\xFF\xD6\x00\x40\x20", 5) == 0);
    ck_assert_uint_eq(cmd[36], 0x77);
}
END_TEST

START_TEST(state_blob)
{
    struct mc_state s = {.counter = 0x01020304u}, b;
    uint8_t out[MC_STATE_LEN];
    memcpy(s.serial, serial7, sizeof serial7);
    ck_assert_uint_eq(mc_state_build(&s, out), MC_STATE_LEN);
    ck_assert_uint_eq(out[0], 1);
    ck_assert_int_eq(mc_state_parse(out, sizeof out, &b), 0);
    ck_assert(memcmp(&s, &b, sizeof s) == 0);
    ck_assert_int_eq(mc_state_parse(out, sizeof out - 1, &b), -1);
    out[0] = 2;
    ck_assert_int_eq(mc_state_parse(out, sizeof out, &b), -1);
    ck_assert_int_eq(mc_state_parse(NULL, MC_STATE_LEN, &b), -1);
    char text[15];
    mc_serial_text(serial7, text);
    ck_assert_str_eq(text, "01020304050607");
}
END_TEST

Suite *memcard_suite(void)
{
    Suite *s = suite_create("memcard");
    TCase *tc = tcase_create("layout");
    tcase_add_test(tc, cardkey_known_answers);
    tcase_add_test(tc, cardkey_refusals);
    tcase_add_test(tc, ident_layout);
    tcase_add_test(tc, ident_refusals);
    tcase_add_test(tc, credit_and_meter_records);
    tcase_add_test(tc, reader_answers_and_commands);
    tcase_add_test(tc, state_blob);
    suite_add_tcase(s, tc);
    return s;
}
