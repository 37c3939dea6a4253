/* test_cpusim.c — the card simulator's CPU card and SAM (tests/cardsim/
 * card_cpu.c, card_sam.c) on their own, APDU by APDU: what the card and the
 * SAM refuse, and that what they compute is what docs/cards.md and
 * cpu_layout.h say. Also the shared key module (drivers/cardkey) against
 * published vectors. */
#include <gcrypt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../drivers/cardkey/cardkey.h"
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

static void sim_reinsert(struct sim *s)
{
    s->c.ops->release(&s->c);
    ck_assert_int_eq(image_load(&s->c.img, s->path, 0), 0);
    ck_assert_int_eq(s->c.ops->reset(&s->c), 0);
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

static void card_key(struct sim *s, uint8_t key[16])
{
    ck_assert_int_eq(image_get_bin(&s->c.img, "key", key, 16), 16);
}

static struct sim *cpu_card(void)
{
    return sim_new(&sim_card_cpu, "serial=" SERIAL, "meter=04123456789", "master=" MASTER, NULL);
}

#define SELECT_APP "00A4040C0B F0555645 4E444350 553031"

/* ---- drivers/cardkey against published vectors ---------------------------------- */

START_TEST(test_cardkey_vectors)
{
    uint8_t k[16], m[32], t[16], e[16];
    /* NIST SP 800-38B D.1, AES-128, Examples 1 and 2 */
    unhex("2b7e151628aed2a6abf7158809cf4f3c", k, 16);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, k, NULL, 0, t), 0);
    unhex("bb1d6929e95937287fa37d129b756746", e, 16);
    ck_assert_uint_eq(cardkey_block(CARDKEY_AES), 16);
    ck_assert_mem_eq(t, e, 16);
    unhex("6bc1bee22e409f96e93d7e117393172a", m, 16);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, k, m, 16, t), 0);
    unhex("070a16b46b4d4144f79bdd9dd04a287c", e, 16);
    ck_assert_mem_eq(t, e, 16);
    /* NIST SP 800-38B D.3, two-key TDEA, Examples 9 and 10 */
    unhex("4cf15134a2850dd58a3d10ba80570d38", k, 16);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_3DES, k, NULL, 0, t), 0);
    ck_assert_uint_eq(cardkey_block(CARDKEY_3DES), 8);
    unhex("bd2ebf9a3ba00361", e, 8);
    ck_assert_mem_eq(t, e, 8);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_3DES, k, m, 8, t), 0);
    unhex("4ff2ab813c53ce83", e, 8);
    ck_assert_mem_eq(t, e, 8);
    /* GB/T 32907-2016 Appendix A, example 1 (SM4) */
    unhex("0123456789abcdeffedcba9876543210", k, 16);
    memcpy(t, k, 16);
    ck_assert_int_eq(cardkey_ecb(CARDKEY_SM4, k, 1, t, 16), 0);
    unhex("681edf34d206965e86b3e94f536e4246", e, 16);
    ck_assert_mem_eq(t, e, 16);
    /* bad arguments */
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, k, m, 0, t), -1);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, k, m, 16, t), -1);
    ck_assert_int_eq(cardkey_derive(9, k, m, 8, t), -1);
    ck_assert_int_eq(cardkey_ecb(CARDKEY_AES, k, 1, m, 15), -1);
    ck_assert_int_eq(cardkey_alg_parse("des"), 0);
    ck_assert_str_eq(cardkey_alg_name(CARDKEY_SM4), "sm4");
}
END_TEST

/* The derivation of docs/cards.md, computed here with libgcrypt directly. */
START_TEST(test_cardkey_derive_definition)
{
    uint8_t mk[16], serial[8], d[16], k[16], e[32];
    unhex(MASTER, mk, 16);
    unhex(SERIAL, serial, 8);
    memset(d, 0, sizeof d);
    memcpy(d, serial, 8);
    d[8] = 0x80;
    gcry_cipher_hd_t h;
    /* aes: AES-128-ECB(master, serial || 80 || 00..) */
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, mk, serial, 8, k), 0);
    ck_assert_int_eq(gcry_cipher_open(&h, GCRY_CIPHER_AES128, GCRY_CIPHER_MODE_ECB, 0), 0);
    ck_assert_int_eq(gcry_cipher_setkey(h, mk, 16), 0);
    ck_assert_int_eq(gcry_cipher_encrypt(h, e, 16, d, 16), 0);
    gcry_cipher_close(h);
    ck_assert_mem_eq(k, e, 16);
    /* 3des, 8-byte serial: D is two blocks; halves are the last CBC block
       of D and of its complement (answer from OpenSSL des-ede3-cbc) */
    unhex("4cf15134a2850dd58a3d10ba80570d38", mk, 16);
    ck_assert_int_eq(cardkey_derive(CARDKEY_3DES, mk, serial, 8, k), 0);
    unhex("233b1132b9d90160f0b81fb96c0acf33", e, 16);
    ck_assert_mem_eq(k, e, 16);
}
END_TEST

/* ---- the CPU card ---------------------------------------------------------- */

START_TEST(test_cpusim_select_and_read)
{
    struct sim *s = cpu_card();
    uint8_t r[256];
    size_t n;
    uint8_t atr[SIM_ATR_MAX];
    size_t an = s->c.ops->atr(&s->c, atr);
    ck_assert_uint_eq(an, 16);
    ck_assert_mem_eq(atr + 6, "UVEND CPU", 9);
    /* nothing is readable before the application is selected */
    ck_assert_uint_eq(apdu(s, "00B0810038", r, &n), 0x6986);
    ck_assert_uint_eq(apdu(s, "00A4040C05 F055564544", r, &n), 0x6A82);
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(n, 0);
    /* with FCP: DF 1000 and the AID */
    ck_assert_uint_eq(apdu(s, "00A40400 0B F0555645 4E444350 553031", r, &n), 0x9000);
    ck_assert_uint_eq(r[0], 0x62);
    ck_assert_uint_eq(r[1], n - 2);
    /* identification by SFI: 56 bytes, serial at 4, meter at 12 */
    ck_assert_uint_eq(apdu(s, "00B0810038", r, &n), 0x9000);
    ck_assert_uint_eq(n, 56);
    ck_assert_uint_eq(r[0], 1);
    ck_assert_uint_eq(r[1], CARDKEY_AES);
    ck_assert_uint_eq(r[4 + 2], 0xA1);
    ck_assert_mem_eq(r + 12, "04123456789\0", 12);
    ck_assert_mem_eq(r + 28, "CPU-E1\0", 7);
    /* by FID then offset; Le past the end: what there is, and 6282 */
    ck_assert_uint_eq(apdu(s, "00A4000C02 0002", r, &n), 0x9000);
    ck_assert_uint_eq(apdu(s, "00B0001010", r, &n), 0x9000);
    ck_assert_uint_eq(n, 16);
    ck_assert_uint_eq(apdu(s, "00B0002010", r, &n), 0x6282);
    ck_assert_uint_eq(n, 8);
    ck_assert_uint_eq(apdu(s, "00B0003000", r, &n), 0x6B00);
    ck_assert_uint_eq(apdu(s, "00B0840000", r, &n), 0x6A82); /* SFI 4 */
    ck_assert_uint_eq(apdu(s, "00A4000C02 0004", r, &n), 0x6A82);
    /* unknown instruction and class; a malformed APDU */
    ck_assert_uint_eq(apdu(s, "00CA000000", r, &n), 0x6D00);
    ck_assert_uint_eq(apdu(s, "80B0810038", r, &n), 0x6E00);
    ck_assert_uint_eq(apdu(s, "00B0", r, &n), 0x6700);
    ck_assert_uint_eq(apdu(s, "00A4040C0BF055", r, &n), 0x6700);
    sim_free(s);
}
END_TEST

static void cmac8(struct sim *s, const uint8_t *msg, size_t len, uint8_t out[8])
{
    uint8_t key[16], t[16];
    card_key(s, key);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, key, msg, len, t), 0);
    memcpy(out, t, 8);
}

START_TEST(test_cpusim_internal_authenticate)
{
    struct sim *s = cpu_card();
    uint8_t r[256], in[32], want[8];
    size_t n;
    ck_assert_uint_eq(apdu(s, "0088000008 0102030405060708 08", r, &n), 0x6985); /* no app */
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(apdu(s, "0088000008 0102030405060708 08", r, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    in[0] = 0x01;
    unhex(SERIAL, in + 1, 8);
    unhex("0102030405060708", in + 9, 8);
    cmac8(s, in, 17, want);
    ck_assert_mem_eq(r, want, 8);
    /* the key the card keeps is derive(master, aes, serial) */
    uint8_t mk[16], serial[8], k1[16], k2[16];
    unhex(MASTER, mk, 16);
    unhex(SERIAL, serial, 8);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, mk, serial, 8, k1), 0);
    card_key(s, k2);
    ck_assert_mem_eq(k1, k2, 16);
    ck_assert_uint_eq(apdu(s, "0088000007 01020304050607 08", r, &n), 0x6700);
    ck_assert_uint_eq(apdu(s, "0088000108 0102030405060708 08", r, &n), 0x6B00);
    sim_free(s);
}
END_TEST

/* EXTERNAL AUTHENTICATE: right over the challenge, wrong spends a try, no
   tries blocks it, and the count survives the card leaving the reader. */
static unsigned external(struct sim *s, int right)
{
    uint8_t rnd[8], in[32], cmd[13] = {0x00, 0x82, 0x00, 0x00, 0x08};
    size_t n;
    ck_assert_uint_eq(apdu(s, "0084000008", rnd, &n), 0x9000);
    ck_assert_uint_eq(n, 8);
    in[0] = 0x02;
    unhex(SERIAL, in + 1, 8);
    memcpy(in + 9, rnd, 8);
    cmac8(s, in, 17, cmd + 5);
    if (!right)
        cmd[5] ^= 1;
    return apdu_n(s, cmd, sizeof cmd, NULL, NULL);
}

START_TEST(test_cpusim_external_authenticate)
{
    struct sim *s = cpu_card();
    uint8_t r[256];
    size_t n;
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    /* no challenge outstanding */
    ck_assert_uint_eq(apdu(s, "0082000008 0000000000000000", r, &n), 0x6985);
    ck_assert_uint_eq(external(s, 0), 0x63C2);
    ck_assert_uint_eq(external(s, 1), 0x9000); /* tries back to 3 */
    ck_assert_uint_eq(external(s, 0), 0x63C2);
    ck_assert_uint_eq(external(s, 0), 0x63C1);
    sim_reinsert(s); /* the count is on the card, not in the session */
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(external(s, 0), 0x63C0);
    ck_assert_uint_eq(external(s, 1), 0x6983); /* blocked: even the right key */
    sim_reinsert(s);
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(external(s, 1), 0x6983);
    /* a challenge is good for one use */
    struct sim *s2 = cpu_card();
    uint8_t rnd[8], in[32], cmd[13] = {0x00, 0x82, 0x00, 0x00, 0x08};
    ck_assert_uint_eq(apdu(s2, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(apdu(s2, "0084000008", rnd, &n), 0x9000);
    in[0] = 0x02;
    unhex(SERIAL, in + 1, 8);
    memcpy(in + 9, rnd, 8);
    cmac8(s2, in, 17, cmd + 5);
    ck_assert_uint_eq(apdu_n(s2, cmd, sizeof cmd, NULL, NULL), 0x9000);
    ck_assert_uint_eq(apdu_n(s2, cmd, sizeof cmd, NULL, NULL), 0x6985);
    /* and the internal-authenticate answer does not pass as the external one
       (different MAC domains) */
    ck_assert_uint_eq(apdu(s2, "0084000008", rnd, &n), 0x9000);
    uint8_t ia[20] = {0x00, 0x88, 0x00, 0x00, 0x08};
    memcpy(ia + 5, rnd, 8);
    ia[13] = 8;
    uint8_t ans[8];
    ck_assert_uint_eq(apdu_n(s2, ia, 14, ans, &n), 0x9000);
    memcpy(cmd + 5, ans, 8);
    ck_assert_uint_eq(apdu_n(s2, cmd, sizeof cmd, NULL, NULL), 0x63C2);
    sim_free(s2);
    sim_free(s);
}
END_TEST

/* 04 D6 with the MAC over a fresh challenge: the purchase file. */
static unsigned write_purchase(struct sim *s, uint32_t counter, int good_mac)
{
    uint8_t rnd[8], cmd[5 + 48] = {0x04, 0xD6, 0x82, 0x00, 48}, in[80];
    size_t n;
    memset(cmd + 5, 0, 40);
    cmd[5] = 1;
    cmd[6] = 1;
    cmd[9] = (uint8_t)(counter >> 24), cmd[10] = (uint8_t)(counter >> 16);
    cmd[11] = (uint8_t)(counter >> 8), cmd[12] = (uint8_t)counter;
    cmd[5 + 23] = 0x10; /* 16 Wh */
    ck_assert_uint_eq(apdu(s, "0084000008", rnd, &n), 0x9000);
    in[0] = 0x03;
    unhex(SERIAL, in + 1, 8);
    memcpy(in + 9, rnd, 8);
    memcpy(in + 17, cmd, 5);
    memcpy(in + 22, cmd + 5, 40);
    cmac8(s, in, 62, cmd + 45);
    if (!good_mac)
        cmd[45] ^= 0x80;
    return apdu_n(s, cmd, sizeof cmd, NULL, NULL);
}

START_TEST(test_cpusim_protected_write)
{
    struct sim *s = cpu_card();
    uint8_t r[256];
    size_t n;
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    /* not authenticated */
    ck_assert_uint_eq(write_purchase(s, 1, 1), 0x6982);
    ck_assert_uint_eq(external(s, 1), 0x9000);
    /* plain UPDATE BINARY of the purchase file */
    char plain[200] = "00D6820028";
    for (int i = 0; i < 40; i++)
        strcat(plain, "01");
    ck_assert_uint_eq(apdu(s, plain, r, &n), 0x6982);
    /* wrong MAC */
    ck_assert_uint_eq(write_purchase(s, 1, 0), 0x6988);
    /* right */
    ck_assert_uint_eq(write_purchase(s, 1, 1), 0x9000);
    ck_assert_uint_eq(apdu(s, "00B0820028", r, &n), 0x9000);
    ck_assert_uint_eq(r[7], 1);
    /* the counter must grow: the same again, and a lower one, are refused */
    ck_assert_uint_eq(write_purchase(s, 1, 1), 0x6985);
    ck_assert_uint_eq(write_purchase(s, 0, 1), 0x6985);
    ck_assert_uint_eq(write_purchase(s, 7, 1), 0x9000);
    /* saved: the card keeps it when it leaves the reader */
    sim_reinsert(s);
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(apdu(s, "00B0820028", r, &n), 0x9000);
    ck_assert_uint_eq(r[7], 7);
    /* after a reset the authentication is gone */
    ck_assert_uint_eq(write_purchase(s, 8, 1), 0x6982);
    /* the identification file is read-only */
    ck_assert_uint_eq(external(s, 1), 0x9000);
    ck_assert_uint_eq(apdu(s, "00D6810001 00", r, &n), 0x6985);
    sim_free(s);
}
END_TEST

START_TEST(test_cpusim_return_file)
{
    struct sim *s = cpu_card();
    uint8_t r[256];
    size_t n;
    char cmd[200];
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    /* return counter 1, loaded 0 */
    snprintf(cmd, sizeof cmd, "00D6830028 0101000000000000 00000001 %056d", 0);
    ck_assert_uint_eq(apdu(s, cmd, r, &n), 0x9000);
    /* the same return counter again: refused */
    ck_assert_uint_eq(apdu(s, cmd, r, &n), 0x6985);
    /* loaded counter 5, return 2 */
    snprintf(cmd, sizeof cmd, "00D6830028 0101000000000005 00000002 %056d", 0);
    ck_assert_uint_eq(apdu(s, cmd, r, &n), 0x9000);
    /* loaded back to 4 with return 3: refused */
    snprintf(cmd, sizeof cmd, "00D6830028 0101000000000004 00000003 %056d", 0);
    ck_assert_uint_eq(apdu(s, cmd, r, &n), 0x6985);
    /* wrong length */
    ck_assert_uint_eq(apdu(s, "00D6830002 0101", r, &n), 0x6700);
    sim_free(s);
}
END_TEST

START_TEST(test_cpusim_personalise_refusals)
{
    char *d = tu_mkdtemp(), path[4200];
    snprintf(path, sizeof path, "%s/c.img", d);
    FILE *err = fopen("/dev/null", "w");
    char *bad[][4] = {
        {"serial=00", "meter=1", "master=" MASTER, NULL},                        /* short serial */
        {"serial=" SERIAL, "meter=1", NULL, NULL},                               /* no master */
        {"serial=" SERIAL, "meter=1", "master=" MASTER, "alg=des"},              /* alg */
        {"serial=" SERIAL, "meter=has space", "master=" MASTER, NULL},           /* meter */
        {"serial=" SERIAL, "meter=1", "master=" MASTER, "type=lower"},           /* type code */
        {"serial=" SERIAL, "meter=1", "master=" MASTER, "tries=0"},              /* tries */
        {"serial=" SERIAL, "meter=1", "master=" MASTER, "colour=red"},           /* unknown */
        {"serial=" SERIAL, "serial=" SERIAL, "meter=1", "master=" MASTER},       /* twice */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        int argc = 0;
        while (argc < 4 && bad[i][argc])
            argc++;
        ck_assert_msg(sim_card_cpu.personalise(path, argc, bad[i], err) == 1, "case %zu", i);
        ck_assert_int_eq(access(path, F_OK), -1);
    }
    char *good[] = {"serial=" SERIAL, "meter=1", "master=" MASTER};
    ck_assert_int_eq(sim_card_cpu.personalise(path, 3, good, err), 0);
    ck_assert_int_eq(sim_card_cpu.personalise(path, 3, good, err), 1); /* exists */
    fclose(err);
    tu_rmrf(d);
    free(d);
}
END_TEST

/* The meter's side: it loads a purchase once, and with a memory of its own
   it is not fooled by a card rolled back. */
START_TEST(test_cpusim_meter)
{
    struct sim *s = cpu_card();
    uint8_t r[256];
    size_t n;
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(external(s, 1), 0x9000);
    /* a purchase MAC'd by the kiosk under the meter key */
    uint8_t mm[16], km[16], rec[40], in[64], t[16];
    unhex("F0E1D2C3B4A5968778695A4B3C2D1E0F", mm, 16);
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, mm, (const uint8_t *)"04123456789", 11, km), 0);
    memset(rec, 0, sizeof rec);
    rec[0] = 1, rec[1] = 1, rec[7] = 1, rec[15] = 9;
    rec[22] = 0x27, rec[23] = 0x10; /* 10000 Wh */
    rec[30] = 0x27, rec[31] = 0x10;
    in[0] = 0x10;
    unhex(SERIAL, in + 1, 8);
    memcpy(in + 9, rec, 32);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, km, in, 41, t), 0);
    memcpy(rec + 32, t, 8);
    uint8_t rnd[8], cmd[53] = {0x04, 0xD6, 0x82, 0x00, 48}, win[80];
    memcpy(cmd + 5, rec, 40);
    ck_assert_uint_eq(apdu(s, "0084000008", rnd, &n), 0x9000);
    win[0] = 0x03;
    unhex(SERIAL, win + 1, 8);
    memcpy(win + 9, rnd, 8);
    memcpy(win + 17, cmd, 5);
    memcpy(win + 22, rec, 40);
    cmac8(s, win, 62, cmd + 45);
    ck_assert_uint_eq(apdu_n(s, cmd, sizeof cmd, NULL, NULL), 0x9000);
    char copy[4300], state[4300], *argv[4];
    snprintf(copy, sizeof copy, "%s/old.img", s->dir);
    snprintf(state, sizeof state, "state=%s/meter.state", s->dir);
    tu_copy(s->path, copy);
    FILE *out = tmpfile();
    argv[0] = "metermaster=F0E1D2C3B4A5968778695A4B3C2D1E0F";
    argv[1] = "use=250";
    argv[2] = state;
    ck_assert_int_eq(sim_card_cpu.meter(s->path, 3, argv, out), 0);
    sim_reinsert(s);
    ck_assert_uint_eq(apdu(s, SELECT_APP, r, &n), 0x9000);
    ck_assert_uint_eq(apdu(s, "00B0830028", r, &n), 0x9000);
    ck_assert_uint_eq(r[1], 1);
    ck_assert_uint_eq(r[7], 1);      /* loaded purchase 1 */
    ck_assert_uint_eq(r[11], 1);     /* return 1 */
    ck_assert_uint_eq(r[22], 0x26);  /* 9750 Wh = 0x2616 */
    ck_assert_uint_eq(r[23], 0x16);
    /* the MAC is the meter's */
    in[0] = 0x20;
    memcpy(in + 9, r, 32);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, km, in, 41, t), 0);
    ck_assert_mem_eq(r + 32, t, 8);
    /* the card from before the visit, again: the meter remembers purchase 1 */
    char *again[] = {"metermaster=F0E1D2C3B4A5968778695A4B3C2D1E0F", state};
    ck_assert_int_eq(sim_card_cpu.meter(copy, 2, again, out), 0);
    struct sim_image *img = calloc(1, sizeof *img);
    ck_assert_int_eq(image_load(img, state + 6, 0), 0);
    ck_assert_str_eq(image_get(img, "credit"), "9750"); /* not loaded twice */
    ck_assert_str_eq(image_get(img, "loaded"), "1");
    free(img);
    /* options */
    char *bad[] = {"meterkey=00"};
    ck_assert_int_eq(sim_card_cpu.meter(s->path, 1, bad, out), 1);
    char *none[] = {"use=1"};
    ck_assert_int_eq(sim_card_cpu.meter(s->path, 1, none, out), 1);
    fclose(out);
    sim_free(s);
}
END_TEST

/* ---- the SAM ------------------------------------------------------------- */

START_TEST(test_sam_commands)
{
    struct sim *s = sim_new(&sim_card_sam, "slot1=aes:" MASTER,
                            "slot2=3des:4cf15134a2850dd58a3d10ba80570d38:mac",
                            "slot5=sm4:" MASTER ":mac:export", NULL);
    uint8_t r[256], mk[16], serial[8], k[16], t[16];
    size_t n;
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
    ck_assert_int_eq(cardkey_derive(CARDKEY_AES, mk, serial, 8, k), 0);
    ck_assert_int_eq(cardkey_cmac(CARDKEY_AES, k, "\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a", 10, t),
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
    memcpy(e, "\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb\xcc\xdd\xee\xff", 16);
    ck_assert_int_eq(cardkey_ecb(CARDKEY_AES, k, 1, e, 16), 0);
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
    ck_assert_int_eq(cardkey_derive(CARDKEY_SM4, mk, serial, 8, k), 0);
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
    tcase_add_test(tc, test_cardkey_vectors);
    tcase_add_test(tc, test_cardkey_derive_definition);
    tcase_add_test(tc, test_cpusim_select_and_read);
    tcase_add_test(tc, test_cpusim_internal_authenticate);
    tcase_add_test(tc, test_cpusim_external_authenticate);
    tcase_add_test(tc, test_cpusim_protected_write);
    tcase_add_test(tc, test_cpusim_return_file);
    tcase_add_test(tc, test_cpusim_personalise_refusals);
    tcase_add_test(tc, test_cpusim_meter);
    tcase_add_test(tc, test_sam_commands);
    tcase_add_test(tc, test_sam_personalise_refusals);
    suite_add_tcase(s, tc);
    return s;
}
