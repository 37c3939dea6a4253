/*
 * test_memcard.c — the card keys of docs/cards.md (drivers/cardkey) against
 * vectors computed independently (Python's cryptography package: AES, SM4,
 * two-key 3DES, CMAC), and the plain memory card's layout codec
 * (drivers/memcard/memcard_card.c): byte positions, round trips and every
 * way a card's bytes or a reader's answer can be malformed. Then the built
 * driver (memcard.so) with its master key in a SAM (keys = sam), against the
 * card and SAM emulations of tests/cardsim in process (tests/unit/cardhost.h).
 */
#include <check.h>
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cardhost.h"
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

/* ---- the driver with its master key in a SAM ---------------------------- */

#define MASTER_STORE "000102030405060708090A0B0C0D0E0F"
#define MASTER_SAM "F0E1D2C3B4A5968778695A4B3C2D1E0F"
#define SERIAL "0A1B2C3D4E5F60"
#define METER "01234567897"

static char *dir;
static char card_img[4200];
static struct ch_host *h;
static void *so;
static const struct uv_driver *drv;
static void *sam_ctx;   /* keys = sam, sam_slot = 2          */
static void *store_ctx; /* keys = store, memcard:master      */
static struct uv_meter meter;
static uint8_t state[UV_STATE_MAX];
static unsigned key_gets; /* the host's key store, asked how often */
static int (*store_key_get)(void *, const char *, void *, size_t, size_t *);

static int counting_key_get(void *host, const char *ref, void *buf, size_t cap, size_t *len)
{
    key_gets++;
    return store_key_get(host, ref, buf, cap, len);
}

static void sam_setup(void)
{
    dir = tu_mkdtemp();
    snprintf(card_img, sizeof card_img, "%s/card.img", dir);
    h = ch_new();
    ch_add_key(h, "memcard:master", MASTER_STORE);
    store_key_get = h->svc.key_get;
    h->svc.key_get = counting_key_get;
    key_gets = 0;
    drv = ch_load_driver("memcard.so", &so);
    struct uv_param sam[] = {{"keys", "sam"}, {"sam_slot", "2"}};
    ck_assert_int_eq(drv->open(&h->svc, h, sam, 2, &sam_ctx), UV_OK);
    ck_assert_int_eq(drv->open(&h->svc, h, NULL, 0, &store_ctx), UV_OK);
    memset(&meter, 0, sizeof meter);
    meter.struct_size = sizeof meter;
    meter.number = METER;
    meter.type_code = "MEM-A1";
    meter.state = state;
}

static void sam_teardown(void)
{
    drv->close(sam_ctx);
    drv->close(store_ctx);
    dlclose(so);
    ch_free(h);
    tu_rmrf(dir);
    free(dir);
}

static void split(char *buf, char **argv, int *argc, int max)
{
    *argc = 0;
    for (char *t = strtok(buf, " "); t && *argc < max; t = strtok(NULL, " "))
        argv[(*argc)++] = t;
}

/* cardsim new memory: the customer's card, under master (alg aes unless
   given), in the user slot */
static void new_card(const char *master, const char *alg)
{
    char buf[256], *argv[8];
    int argc;
    snprintf(buf, sizeof buf, "serial=" SERIAL " meter=" METER " type=MEM-A1 key=%s alg=%s",
             master, alg);
    split(buf, argv, &argc, 8);
    remove(card_img);
    ck_assert_int_eq(sim_card_memory.personalise(card_img, argc, argv, stderr), 0);
    ch_insert(h, UV_SLOT_USER, &sim_card_memory, card_img);
}

/* cardsim new sam: a SAM (personalised once, so a new image each time) in
   the SAM slot */
static void new_sam(const char *args)
{
    static int n_sams;
    char path[4300], buf[256], *argv[8];
    int argc;
    snprintf(path, sizeof path, "%s/sam%d.img", dir, ++n_sams);
    snprintf(buf, sizeof buf, "%s", args);
    split(buf, argv, &argc, 8);
    ck_assert_int_eq(sim_card_sam.personalise(path, argc, argv, stderr), 0);
    ch_insert(h, UV_SLOT_SAM, &sim_card_sam, path);
}

/* cardsim meter memory: the meter takes the credit and reports on the card */
static void meter_visit(const char *args, char *out, size_t cap)
{
    char buf[256], *argv[8];
    int argc;
    snprintf(buf, sizeof buf, "%s", args);
    split(buf, argv, &argc, 8);
    FILE *f = fmemopen(out, cap, "w");
    ck_assert_ptr_nonnull(f);
    int rc = sim_card_memory.meter(card_img, argc, argv, f);
    fclose(f);
    ck_assert_msg(rc == 0, "the meter refused the card: %s", out);
    ch_reinsert(h, UV_SLOT_USER);
}

/* The host's card sale up to the write: read_medium(), then verify(). */
static int identify(void *ctx, struct uv_medium_info *info)
{
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    int rc = drv->read_medium(ctx, info);
    if (rc != UV_OK)
        return rc;
    memset(info, 0, sizeof *info);
    info->struct_size = sizeof *info;
    return drv->verify(ctx, &meter, info);
}

static int issue(void *ctx, uint64_t amount, uint64_t seq, struct uv_issue_result *r)
{
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, amount, seq};
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    int rc = drv->issue_credit(ctx, &meter, &req, r);
    if (rc == UV_OK) {
        memcpy(state, r->state, r->state_len);
        meter.state_len = r->state_len;
    }
    return rc;
}

/* A sale with the master key in SAM slot 2 (none of it in the key store):
   the SAM checks the identification and credit record, makes the new
   record's MAC, and the meter, holding the master itself, accepts it; its
   report is checked by the SAM on the next sale. Both aes and 3des slots. */
START_TEST(sam_sale)
{
    static const char *const algs[] = {"aes", "3des"};
    for (size_t i = 0; i < 2; i++) {
        char args[128], out[256];
        snprintf(args, sizeof args, "slot2=%s:" MASTER_SAM ":mac", algs[i]);
        new_sam(args);
        new_card(MASTER_SAM, algs[i]);
        meter.state_len = 0;
        unsigned apdus = h->apdus, writes = h->writes;
        struct uv_medium_info info;
        struct uv_issue_result r;
        ck_assert_int_eq(identify(sam_ctx, &info), UV_OK);
        ck_assert_ptr_nonnull(strstr(info.summary, "record 0"));
        ck_assert_int_eq(issue(sam_ctx, 28900, 7, &r), UV_OK);
        ck_assert_uint_eq(r.medium_written, 1);
        ck_assert_str_eq(r.token_id, SERIAL "/1");
        ck_assert_uint_eq(h->writes, writes + 1);
        /* the identification read, the whole read and 2 DERIVE-MACs (no
           meter report yet); the read before the write, 1 DERIVE-MAC, the
           write, the read back */
        ck_assert_uint_eq(h->apdus - apdus, 8);
        snprintf(args, sizeof args, "key=" MASTER_SAM " alg=%s use=900", algs[i]);
        meter_visit(args, out, sizeof out);
        ck_assert_ptr_nonnull(strstr(out, "took 28900 Wh of purchase 7"));
        ck_assert_int_eq(identify(sam_ctx, &info), UV_OK);
        ck_assert(info.flags & UV_INFO_METER_DATA);
        ck_assert_uint_eq(info.meter_remaining, 28000);
        ck_assert_int_eq(issue(sam_ctx, 1000, 8, &r), UV_OK);
        ck_assert_str_eq(r.token_id, SERIAL "/2");
        ck_assert_uint_eq(key_gets, 0); /* the key store was never asked */
        /* the store's master is not this card's: store mode refuses it */
        ck_assert_int_eq(identify(store_ctx, &info), UV_E_CARD_AUTH);
        ck_assert_uint_gt(key_gets, 0);
        key_gets = 0;
    }
}
END_TEST

/* A card personalised under another master (the key store's): the SAM's
   MAC of its identification differs, the card is refused as a clone and
   nothing is written. */
START_TEST(sam_clone_refused)
{
    new_sam("slot2=aes:" MASTER_SAM ":mac");
    new_card(MASTER_STORE, "aes");
    struct uv_medium_info info;
    struct uv_issue_result r;
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(sam_ctx),
                                 "card " SERIAL ": its identification does not verify under "
                                 "SAM slot 2: a cloned card"));
    ck_assert_int_eq(issue(sam_ctx, 1000, 1, &r), UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(h->writes, 0);
    ck_assert_uint_eq(key_gets, 0);
    /* the same card is good in store mode */
    ck_assert_int_eq(identify(store_ctx, &info), UV_OK);
    key_gets = 0;
    /* and an altered credit record is caught by the SAM too */
    new_card(MASTER_SAM, "aes");
    struct sim_image img;
    uint8_t mem[MC_SIZE];
    ck_assert_int_eq(image_load(&img, card_img, 0), 0);
    ck_assert_int_eq(image_get_bin(&img, "mem", mem, sizeof mem), MC_SIZE);
    mem[MC_CREDIT + 11] = 0x99; /* credit put in by hand */
    ck_assert_int_eq(image_set_bin(&img, "mem", mem, sizeof mem), 0);
    ck_assert_int_eq(image_save(&img), 0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(drv->last_error(sam_ctx), "credit record was altered"));
    ck_assert_uint_eq(h->writes, 0);
    ck_assert_uint_eq(key_gets, 0);
}
END_TEST

/* No SAM in its reader, or none with the key slot: the clerk is told, the
   card is not touched. A meter added without its card is accepted (the SAM
   is asked when the card comes). */
START_TEST(sam_missing)
{
    new_card(MASTER_SAM, "aes");
    struct uv_medium_info info;
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(drv->last_error(sam_ctx), "there is no SAM in the SAM reader"));
    ck_assert_ptr_nonnull(strstr(drv->strerror(UV_E_KEY_MISSING), "SAM"));
    new_sam("slot1=aes:" MASTER_SAM ":mac");
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(drv->last_error(sam_ctx), "the SAM has no key in slot 2"));
    ck_assert_uint_eq(h->writes, 0);
    /* a meter being added: no card of it read, keys = sam needs no store key */
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    meter.number = "04123456789";
    ck_assert_int_eq(drv->verify(sam_ctx, &meter, &info), UV_OK);
    ck_assert_ptr_nonnull(strstr(info.summary, "key in SAM slot 2"));
    ck_assert_uint_eq(key_gets, 0);
    /* the SAM taken out between the check and the write: nothing written */
    meter.number = METER;
    new_sam("slot2=aes:" MASTER_SAM ":mac");
    ck_assert_int_eq(identify(sam_ctx, &info), UV_OK);
    ch_pull(h, UV_SLOT_SAM);
    struct uv_issue_result r;
    ck_assert_int_eq(issue(sam_ctx, 1000, 1, &r), UV_E_KEY_MISSING);
    ck_assert_uint_eq(r.medium_written, 0);
    ck_assert_uint_eq(h->writes, 0);
}
END_TEST

/* A SAM slot personalised without DERIVE-MAC (encryption only, or export
   only) cannot serve the memory card: UV_E_KEY_INVALID, said plainly. */
START_TEST(sam_slot_without_mac_use)
{
    new_card(MASTER_SAM, "aes");
    struct uv_medium_info info;
    new_sam("slot2=aes:" MASTER_SAM ":enc:dec");
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_KEY_INVALID);
    ck_assert_ptr_nonnull(strstr(drv->last_error(sam_ctx), "SAM slot 2 does not allow this use"));
    new_sam("slot2=aes:" MASTER_SAM ":enc:export");
    ck_assert_int_eq(identify(sam_ctx, &info), UV_E_KEY_INVALID);
    ck_assert_uint_eq(h->writes, 0);
    new_sam("slot2=aes:" MASTER_SAM ":mac");
    ck_assert_int_eq(identify(sam_ctx, &info), UV_OK);
}
END_TEST

/* The options the key source reads, and the ones it refuses. */
START_TEST(sam_options)
{
    void *c = NULL;
    static const struct uv_param bad[][1] = {
        {{"keys", "hsm"}}, {{"sam_slot", "16"}}, {{"sam_slot", "0"}}, {{"alg", "des"}},
        {{"key", ""}},     {{"colour", "red"}},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(drv->open(&h->svc, h, bad[i], 1, &c) == UV_E_PARAM, "%s=%s accepted",
                      bad[i][0].name, bad[i][0].value);
    struct uv_param good[] = {{"keys", "sam"}, {"sam_slot", "15"}, {"alg", "sm4"},
                              {"key", "utility:7"}};
    ck_assert_int_eq(drv->open(&h->svc, h, good, 4, &c), UV_OK);
    new_sam("slot15=sm4:" MASTER_SAM ":mac");
    new_card(MASTER_SAM, "sm4");
    struct uv_medium_info info;
    ck_assert_int_eq(identify(c, &info), UV_OK);
    drv->close(c);
    /* store mode with a key that is not there */
    struct uv_param missing[] = {{"keys", "store"}, {"key", "nowhere"}};
    ck_assert_int_eq(drv->open(&h->svc, h, missing, 2, &c), UV_OK);
    ck_assert_int_eq(identify(c, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(drv->last_error(c), "univend key add nowhere"));
    drv->close(c);
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
    TCase *sam = tcase_create("sam");
    tcase_add_checked_fixture(sam, sam_setup, sam_teardown);
    tcase_add_test(sam, sam_sale);
    tcase_add_test(sam, sam_clone_refused);
    tcase_add_test(sam, sam_missing);
    tcase_add_test(sam, sam_slot_without_mac_use);
    tcase_add_test(sam, sam_options);
    suite_add_tcase(s, sam);
    return s;
}
