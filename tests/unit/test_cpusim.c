/* test_cpusim.c — the card simulator's SAM (tests/cardsim/card_sam.c) on its
 * own, APDU by APDU: what it refuses, and that what it computes is what
 * docs/cards.md says. Also the shared key module (drivers/cardkeys) against
 * published vectors. */
#include <gcrypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../drivers/cardkeys/cardkeys.h"
#include "../cardsim/card.h"
#include "testutil.h"

#define MASTER "000102030405060708090A0B0C0D0E0F"
#define SERIAL "0000A1B2C3D4E5F6"

static void unhex(const char *h, uint8_t *out, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        ck_assert_int_eq(sscanf(h + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
}

struct sim {
    char dir[4096], path[4200];
    struct sim_card c;
};

static struct sim *sim_new(const struct sim_card_ops *ops, ...)
{
    struct sim *s = calloc(1, sizeof *s);
    char *argv[16], *d = tu_mkdtemp();
    int argc = 0;
    snprintf(s->dir, sizeof s->dir, "%s", d);
    free(d);
    snprintf(s->path, sizeof s->path, "%s/card.img", s->dir);
    va_list ap;
    va_start(ap, ops);
    for (char *a; (a = va_arg(ap, char *)) != NULL;)
        argv[argc++] = a;
    va_end(ap);
    ck_assert_int_eq(ops->personalise(s->path, argc, argv, stderr), 0);
    s->c.ops = ops;
    ck_assert_int_eq(image_load(&s->c.img, s->path, 0), 0);
    ck_assert_int_eq(ops->reset(&s->c), 0);
    return s;
}

static void sim_free(struct sim *s)
{
    s->c.ops->release(&s->c);
    tu_rmrf(s->dir);
    free(s);
}

/* Send an APDU given as hex (spaces allowed); the status word is returned,
   the data copied to out (if not NULL) and counted in *n. */
static unsigned apdu_n(struct sim *s, const uint8_t *cmd, size_t len, uint8_t *out, size_t *n)
{
    uint8_t r[SIM_RESP_MAX];
    size_t rl = s->c.ops->apdu(&s->c, cmd, len, r);
    ck_assert_uint_ge(rl, 2);
    ck_assert_uint_le(rl, SIM_RESP_MAX);
    if (out)
        memcpy(out, r, rl - 2);
    if (n)
        *n = rl - 2;
    return (unsigned)r[rl - 2] << 8 | r[rl - 1];
}

static unsigned apdu(struct sim *s, const char *hex, uint8_t *out, size_t *n)
{
    uint8_t cmd[300];
    size_t len = 0;
    for (const char *p = hex; *p;) {
        if (*p == ' ') {
            p++;
            continue;
        }
        unhex(p, cmd + len++, 1);
        p += 2;
    }
    return apdu_n(s, cmd, len, out, n);
}

/* ---- cardkeys against published vectors ---------------------------------- */

START_TEST(test_cardkeys_vectors)
{
    uint8_t k[16], m[32], t[16], e[16];
    size_t n;
    /* NIST SP 800-38B D.1, AES-128, Examples 1 and 2 */
    unhex("2b7e151628aed2a6abf7158809cf4f3c", k, 16);
    ck_assert_int_eq(ck_cmac(CK_AES, k, NULL, 0, t, &n), 0);
    unhex("bb1d6929e95937287fa37d129b756746", e, 16);
    ck_assert_uint_eq(n, 16);
    ck_assert_mem_eq(t, e, 16);
    unhex("6bc1bee22e409f96e93d7e117393172a", m, 16);
    ck_assert_int_eq(ck_cmac(CK_AES, k, m, 16, t, &n), 0);
    unhex("070a16b46b4d4144f79bdd9dd04a287c", e, 16);
    ck_assert_mem_eq(t, e, 16);
    /* NIST SP 800-38B D.3, two-key TDEA, Examples 9 and 10 */
    unhex("4cf15134a2850dd58a3d10ba80570d38", k, 16);
    ck_assert_int_eq(ck_cmac(CK_3DES, k, NULL, 0, t, &n), 0);
    ck_assert_uint_eq(n, 8);
    unhex("bd2ebf9a3ba00361", e, 8);
    ck_assert_mem_eq(t, e, 8);
    ck_assert_int_eq(ck_cmac(CK_3DES, k, m, 8, t, &n), 0);
    unhex("4ff2ab813c53ce83", e, 8);
    ck_assert_mem_eq(t, e, 8);
    /* GB/T 32907-2016 Appendix A, example 1 (SM4) */
    unhex("0123456789abcdeffedcba9876543210", k, 16);
    ck_assert_int_eq(ck_ecb(CK_SM4, k, 1, k, 16, t), 0);
    unhex("681edf34d206965e86b3e94f536e4246", e, 16);
    ck_assert_mem_eq(t, e, 16);
    /* bad arguments */
    ck_assert_int_eq(ck_derive(CK_AES, k, m, 0, t), -1);
    ck_assert_int_eq(ck_derive(CK_AES, k, m, 16, t), -1);
    ck_assert_int_eq(ck_derive(9, k, m, 8, t), -1);
    ck_assert_int_eq(ck_ecb(CK_AES, k, 1, m, 15, t), -1);
    ck_assert_int_eq(ck_alg_parse("des"), 0);
    ck_assert_str_eq(ck_alg_name(CK_SM4), "sm4");
}
END_TEST

/* The derivation of docs/cards.md, computed here with libgcrypt directly. */
START_TEST(test_cardkeys_derive_definition)
{
    uint8_t mk[16], serial[8], d[16], k[16], e[32];
    unhex(MASTER, mk, 16);
    unhex(SERIAL, serial, 8);
    memset(d, 0, sizeof d);
    memcpy(d, serial, 8);
    d[8] = 0x80;
    gcry_cipher_hd_t h;
    /* aes: AES-128-ECB(master, serial || 80 || 00..) */
    ck_assert_int_eq(ck_derive(CK_AES, mk, serial, 8, k), 0);
    ck_assert_int_eq(gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0), 0);
    ck_assert_int_eq(gcry_cipher_setkey(h, mk, 16), 0);
    ck_assert_int_eq(gcry_cipher_encrypt(h, e, 16, d, 16), 0);
    gcry_cipher_close(h);
    ck_assert_mem_eq(k, e, 16);
    /* 3des, 8-byte serial: D is two blocks; halves are the last CBC block
       of D and of its complement (answer from OpenSSL des-ede3-cbc) */
    unhex("4cf15134a2850dd58a3d10ba80570d38", mk, 16);
    ck_assert_int_eq(ck_derive(CK_3DES, mk, serial, 8, k), 0);
    unhex("233b1132b9d90160f0b81fb96c0acf33", e, 16);
    ck_assert_mem_eq(k, e, 16);
}
END_TEST

/* ---- the SAM ------------------------------------------------------------- */

START_TEST(test_sam_commands)
{
    struct sim *s = sim_new(&sim_card_sam, "slot1=aes:" MASTER,
                            "slot2=3des:4cf15134a2850dd58a3d10ba80570d38:mac",
                            "slot5=sm4:" MASTER ":mac:export", NULL);
    uint8_t r[256], mk[16], serial[8], k[16], t[16];
    size_t n, tl;
    unhex(MASTER, mk, 16);
    unhex(SERIAL, serial, 8);
    /* GET-INFO: slot alg usage */
    ck_assert_uint_eq(apdu(s, "8020000000", r, &n), 0x9000);
    ck_assert_uint_eq(n, 9);
    static const uint8_t want_info[9] = {1, 2, 7, 2, 1, 1, 5, 3, 9};
    ck_assert_mem_eq(r, want_info, 9);
    /* DERIVE-MAC: the full CMAC under derive(master, serial) */
    ck_assert_uint_eq(apdu(s, "8010010013 08 0000A1B2C3D4E5F6 0102030405060708090A 00", r, &n),
                      0x9000);
    ck_assert_uint_eq(n, 16);
    ck_assert_int_eq(ck_derive(CK_AES, mk, serial, 8, k), 0);
    ck_assert_int_eq(ck_cmac(CK_AES, k, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10, t, &tl),
                     0);
    ck_assert_mem_eq(r, t, 16);
    /* 3des: 8 bytes */
    ck_assert_uint_eq(apdu(s, "8010020009 08 0000A1B2C3D4E5F6 00", r, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    /* DERIVE-ENCRYPT then DERIVE-DECRYPT */
    ck_assert_uint_eq(
        apdu(s, "8012010019 08 0000A1B2C3D4E5F6 00112233445566778899AABBCCDDEEFF 00", r, &n),
        0x9000);
    ck_assert_uint_eq(n, 16);
    uint8_t e[16];
    ck_assert_int_eq(ck_ecb(CK_AES, k, 1, (const uint8_t *)"\x00\x11\x22\x33\x44\x55\x66\x77\x88"
                                                           "\x99\xaa\xbb\xcc\xdd\xee\xff",
                            16, e),
                     0);
    ck_assert_mem_eq(r, e, 16);
    char dec[120] = "8014010019 08 0000A1B2C3D4E5F6 ";
    for (int i = 0; i < 16; i++)
        snprintf(dec + strlen(dec), 3, "%02X", r[i]);
    ck_assert_uint_eq(apdu(s, dec, r, &n), 0x9000);
    ck_assert_uint_eq(r[15], 0xFF);
    /* not whole blocks */
    ck_assert_uint_eq(apdu(s, "801201000C 08 0000A1B2C3D4E5F6 001122", r, &n), 0x6700);
    /* usage: slot 2 only MACs; export only from slot 5 */
    ck_assert_uint_eq(apdu(s, "8012020011 08 0000A1B2C3D4E5F6 0011223344556677", r, &n), 0x6985);
    ck_assert_uint_eq(apdu(s, "8016010009 08 0000A1B2C3D4E5F6 00", r, &n), 0x6985);
    ck_assert_uint_eq(apdu(s, "8016050009 08 0000A1B2C3D4E5F6 00", r, &n), 0x9000);
    ck_assert_uint_eq(n, 16);
    ck_assert_int_eq(ck_derive(CK_SM4, mk, serial, 8, k), 0);
    ck_assert_mem_eq(r, k, 16);
    /* no such slot, bad diversifier, length, class, instruction, P2 */
    ck_assert_uint_eq(apdu(s, "8010030009 08 0000A1B2C3D4E5F6 00", r, &n), 0x6A88);
    ck_assert_uint_eq(apdu(s, "8010100009 08 0000A1B2C3D4E5F6 00", r, &n), 0x6A88);
    ck_assert_uint_eq(apdu(s, "8010010002 00 00 00", r, &n), 0x6A80);
    ck_assert_uint_eq(apdu(s, "8010010011 10 0000A1B2C3D4E5F60000A1B2C3D4E5F6 00", r, &n),
                      0x6A80);
    ck_assert_uint_eq(apdu(s, "8010010005 08 0000A1B2 00", r, &n), 0x6700);
    ck_assert_uint_eq(apdu(s, "0010010009 08 0000A1B2C3D4E5F6 00", r, &n), 0x6E00);
    ck_assert_uint_eq(apdu(s, "8030010009 08 0000A1B2C3D4E5F6 00", r, &n), 0x6D00);
    ck_assert_uint_eq(apdu(s, "8010010109 08 0000A1B2C3D4E5F6 00", r, &n), 0x6B00);
    sim_free(s);
}
END_TEST

START_TEST(test_sam_personalise_refusals)
{
    char *d = tu_mkdtemp(), path[4200];
    snprintf(path, sizeof path, "%s/s.img", d);
    FILE *err = fopen("/dev/null", "w");
    char *bad[][2] = {
        {"slot0=aes:" MASTER, NULL},  {"slot16=aes:" MASTER, NULL},
        {"slot1=des:" MASTER, NULL},  {"slot1=aes:0011", NULL},
        {"slot1=aes:" MASTER ":sign", NULL}, {"slot1=aes:" MASTER, "slot1=aes:" MASTER},
        {"key=aes:" MASTER, NULL},    {NULL, NULL},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = bad[i][0] == NULL ? 0 : bad[i][1] == NULL ? 1 : 2;
        ck_assert_msg(sim_card_sam.personalise(path, argc, bad[i], err) == 1, "case %zu", i);
        ck_assert_int_eq(access(path, F_OK), -1);
    }
    fclose(err);
    tu_rmrf(d);
    free(d);
}
END_TEST

Suite *cpusim_suite(void)
{
    Suite *s = suite_create("cpusim");
    TCase *tc = tcase_create("cards");
    tcase_add_test(tc, test_cardkeys_vectors);
    tcase_add_test(tc, test_cardkeys_derive_definition);
    tcase_add_test(tc, test_sam_commands);
    tcase_add_test(tc, test_sam_personalise_refusals);
    suite_add_tcase(s, tc);
    return s;
}
