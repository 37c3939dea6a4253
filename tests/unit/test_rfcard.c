/* test_rfcard.c — the RF card driver (rfcard.so) against the MIFARE-Classic-
 * style card emulation of tests/cardsim/card_rf.c, in process: a sale, each
 * refusal, a card pulled at each step of the write, and the emulation's
 * access conditions. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardlib/cardstate.h"
#include "../../drivers/rfcard/rf_layout.h"
#include "cardhost.h"
#include "loader.h"
#include "testutil.h"

#define SECTOR_A "00112233445566778899AABBCCDDEEFF"
#define MAC_A "0F1E2D3C4B5A69788796A5B4C3D2E1F0"
#define OTHER "F0E1D2C3B4A5968778695A4B3C2D1E0F"
#define UID "A1B2C3D4"
#define METER "01234567897"
#define TYPE "RF-MF1K"

static char *dir;
static char image[4200];
static struct ch_host *h;
static void *so;
static const struct uv_driver *drv;
static void *dctx;
static struct uv_meter meter;
static uint8_t state[UV_STATE_MAX];

static void setup(void)
{
    dir = tu_mkdtemp();
    snprintf(image, sizeof image, "%s/card.img", dir);
    h = ch_new();
    ch_add_key(h, "rfcard:sector", SECTOR_A);
    ch_add_key(h, "rfcard:mac", MAC_A);
    drv = ch_load_driver("rfcard.so", &so);
    ck_assert_int_eq(drv->open(&h->svc, h, NULL, 0, &dctx), UV_OK);
    memset(&meter, 0, sizeof meter);
    meter.struct_size = sizeof meter;
    meter.number = METER;
    meter.type_code = TYPE;
    meter.state = state;
}

static void teardown(void)
{
    drv->close(dctx);
    dlclose(so);
    ch_free(h);
    tu_rmrf(dir);
    free(dir);
}

static int split(char *buf, char **argv, int max)
{
    int argc = 0;
    for (char *t = strtok(buf, " "); t && argc < max; t = strtok(NULL, " "))
        argv[argc++] = t;
    return argc;
}

static int personalise_at(const char *path, const char *args)
{
    char buf[512], *argv[16];
    snprintf(buf, sizeof buf, "%s", args);
    int argc = split(buf, argv, 16);
    return sim_card_rf.personalise(path, argc, argv, stderr);
}

static void new_card(const char *sector, const char *mac)
{
    char args[256];
    snprintf(args, sizeof args, "uid=" UID " meter=" METER " type=" TYPE " master=%s mac=%s",
             sector, mac);
    ck_assert_int_eq(personalise_at(image, args), 0);
    ch_insert(h, UV_SLOT_USER, &sim_card_rf, image);
}

static int meter_visit(const char *args, char *out, size_t cap)
{
    char buf[256], *argv[8];
    snprintf(buf, sizeof buf, "%s", args);
    int argc = split(buf, argv, 8);
    FILE *f = fmemopen(out, cap, "w");
    ck_assert_ptr_nonnull(f);
    int rc = sim_card_rf.meter(image, argc, argv, f);
    fclose(f);
    ch_reinsert(h, UV_SLOT_USER);
    return rc;
}

/* What the host does with a card: read_medium() identifies it, then verify()
   checks it for its meter (a driver context that read no card of that meter
   only checks its keys: a meter being added). */
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

static int verify(struct uv_medium_info *info)
{
    return identify(dctx, info);
}

static int issue(uint64_t amount, uint64_t seq, struct uv_issue_result *r)
{
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, amount, seq};
    memset(r, 0, sizeof *r);
    r->struct_size = sizeof *r;
    return drv->issue_credit(dctx, &meter, &req, r);
}

static int sell(uint64_t amount, uint64_t seq, struct uv_issue_result *r)
{
    struct uv_medium_info info;
    int rc = verify(&info);
    if (rc == UV_OK)
        rc = issue(amount, seq, r);
    if (rc == UV_OK) {
        memcpy(state, r->state, r->state_len);
        meter.state_len = r->state_len;
    }
    return rc;
}

/* One block of the image, read or replaced. */
static void block_get(const char *path, int b, uint8_t out[RF_BLOCK])
{
    struct sim_image img;
    uint8_t sec[4 * RF_BLOCK];
    char name[16];
    snprintf(name, sizeof name, "s%d", b / 4);
    ck_assert_int_eq(image_load(&img, path, 0), 0);
    ck_assert_int_eq(image_get_bin(&img, name, sec, sizeof sec), (long)sizeof sec);
    memcpy(out, sec + (b % 4) * RF_BLOCK, RF_BLOCK);
}

static void block_set(const char *path, int b, const uint8_t in[RF_BLOCK])
{
    struct sim_image img;
    uint8_t sec[4 * RF_BLOCK];
    char name[16];
    snprintf(name, sizeof name, "s%d", b / 4);
    ck_assert_int_eq(image_load(&img, path, 0), 0);
    ck_assert_int_eq(image_get_bin(&img, name, sec, sizeof sec), (long)sizeof sec);
    memcpy(sec + (b % 4) * RF_BLOCK, in, RF_BLOCK);
    ck_assert_int_eq(image_set_bin(&img, name, sec, sizeof sec), 0);
    ck_assert_int_eq(image_save(&img), 0);
}

static int32_t card_value(void)
{
    uint8_t b[RF_BLOCK], addr;
    int32_t v;
    block_get(image, RF_BLK_VALUE, b);
    ck_assert_int_eq(rf_value_parse(b, &v, &addr), 0);
    ck_assert_uint_eq(addr, RF_BLK_VALUE);
    return v;
}

/* One APDU to the card in the user slot; returns SW1 SW2. */
static unsigned apdu(const char *hex, uint8_t *resp, size_t *len)
{
    uint8_t cmd[UV_APDU_MAX], buf[UV_RESPONSE_MAX];
    size_t n = 0, m = strlen(hex) / 2;
    for (size_t i = 0; i < m; i++)
        ck_assert_int_eq(sscanf(hex + 2 * i, "%2hhx", &cmd[i]), 1);
    ck_assert_int_eq(h->svc.card_connect(h, UV_SLOT_USER), UV_OK);
    ck_assert_int_eq(h->svc.card_transmit(h, UV_SLOT_USER, cmd, m, buf, sizeof buf, &n), UV_OK);
    ck_assert_uint_ge(n, 2);
    if (resp) {
        memcpy(resp, buf, n - 2);
        *len = n - 2;
    }
    return (unsigned)buf[n - 2] << 8 | buf[n - 1];
}

START_TEST(test_descriptor_self_test_and_atr)
{
    ck_assert_str_eq(drv->name, "rfcard");
    ck_assert_uint_eq(drv->media, UV_MEDIUM_RF_CARD);
    ck_assert_str_eq(drv->type_codes[0], TYPE);
    ck_assert_int_eq(drv->self_test(&h->svc, h), UV_OK);
    struct uv_driver_info info;
    struct uv_error e = {0};
    ck_assert_int_eq(loader_validate(drv, &info, &e), UVS_OK);
    new_card(SECTOR_A, MAC_A);
    uint8_t atr[UV_ATR_MAX], x = 0;
    size_t n = 0;
    ck_assert_int_eq(h->svc.card_connect(h, UV_SLOT_USER), UV_OK);
    ck_assert_int_eq(h->svc.card_atr(h, UV_SLOT_USER, atr, sizeof atr, &n), UV_OK);
    ck_assert(loader_atr_match(&info.atr[0], atr, n));
    for (size_t i = 1; i < n; i++)
        x ^= atr[i];
    ck_assert_uint_eq(x, 0);
}
END_TEST

START_TEST(test_sale_meter_and_sale_again)
{
    new_card(SECTOR_A, MAC_A);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_OK);
    ck_assert_str_eq(info.meter_number, METER);
    ck_assert_str_eq(info.type_code, TYPE);
    ck_assert_str_eq(info.card_serial, UID);

    struct uv_issue_result r;
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert_int_eq(issue(12000, 41, &r), UV_OK);
    ck_assert_uint_eq(r.medium_written, 1);
    ck_assert_uint_eq(r.amount_issued, 12000);
    ck_assert_str_eq(r.token_id, "1");
    struct cst st;
    ck_assert_int_eq(cst_decode(r.state, r.state_len, &st), 0);
    ck_assert_uint_eq(st.counter, 1);
    ck_assert_uint_eq(st.serial_len, 4);
    memcpy(state, r.state, r.state_len);
    meter.state_len = r.state_len;
    ck_assert_int_eq(card_value(), 12000);
    ck_assert_uint_eq(h->writes, 2);

    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 12000);
    ck_assert_uint_eq(info.last_sequence, 41);
    ck_assert_int_eq(issue(1000, 42, &r), UV_E_VERIFY); /* the meter takes it first */
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "hold the card to the meter"));
    ck_assert_uint_eq(h->writes, 2);

    char out[256];
    ck_assert_int_eq(meter_visit("master=" SECTOR_A " mac=" MAC_A " remaining=9000", out,
                                 sizeof out),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "loaded 12000 from purchase 1 (receipt 41)"));
    ck_assert_int_eq(card_value(), 0);
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert(info.flags & UV_INFO_METER_DATA);
    ck_assert_uint_eq(info.meter_remaining, 9000);
    ck_assert_uint_eq(info.meter_tamper, 0);
    ck_assert_int_eq(sell(3000, 42, &r), UV_OK);
    ck_assert_str_eq(r.token_id, "3");
    ck_assert_int_eq(meter_visit("master=" SECTOR_A " mac=" MAC_A, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "loaded 3000 from purchase 3 (receipt 42); remaining 12000"));
}
END_TEST

START_TEST(test_cloned_cards_refused)
{
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    /* sector keys from another master: not one of this utility's cards */
    new_card(OTHER, MAC_A);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "does not open"));
    struct uv_issue_result r;
    ck_assert_int_eq(issue(100, 1, &r), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "does not open"));
    /* the sector keys right (broken out of a card) but the record forged */
    new_card(SECTOR_A, OTHER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "fails its MAC"));
    /* a good card's sectors copied onto a card with another UID */
    new_card(SECTOR_A, MAC_A);
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/clone.img", dir);
    ck_assert_int_eq(personalise_at(copy, "uid=01020304"), 0);
    for (int b = 4; b < 16; b++) {
        uint8_t blk[RF_BLOCK];
        block_get(image, b, blk);
        block_set(copy, b, blk);
    }
    ch_insert(h, UV_SLOT_USER, &sim_card_rf, copy);
    ck_assert_int_eq(verify(&info), UV_E_UNSUPPORTED);
    ck_assert_int_eq(issue(100, 1, &r), UV_E_CARD_AUTH);
    ck_assert_uint_eq(h->writes, 0);
}
END_TEST

START_TEST(test_replayed_card_refused)
{
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/copy.img", dir);
    new_card(SECTOR_A, MAC_A);
    tu_copy(image, copy);
    struct uv_issue_result r;
    ck_assert_int_eq(sell(5000, 1, &r), UV_OK);
    tu_copy(copy, image);
    ch_reinsert(h, UV_SLOT_USER);
    struct uv_medium_info info;
    ck_assert_int_eq(verify(&info), UV_E_REPLAY);
    ck_assert_int_eq(issue(5000, 2, &r), UV_E_REPLAY);
    ck_assert_uint_eq(h->writes, 2);
}
END_TEST

START_TEST(test_tampered_card_refused)
{
    new_card(SECTOR_A, MAC_A);
    uint8_t value[RF_BLOCK], rec[RF_BLOCK], id[RF_BLOCK], b[RF_BLOCK];
    struct uv_medium_info info;
    block_get(image, RF_BLK_VALUE, value);
    block_get(image, RF_BLK_REC0, rec);
    block_get(image, RF_BLK_METER, id);
    /* credit added by hand, every copy right: the MAC catches it */
    rf_value_encode(50000, RF_BLK_VALUE, b);
    block_set(image, RF_BLK_VALUE, b);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    /* copies that disagree */
    memcpy(b, value, RF_BLOCK);
    b[8] = 0x10;
    block_set(image, RF_BLK_VALUE, b);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_VERIFY);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "copies disagree"));
    block_set(image, RF_BLK_VALUE, value);
    /* the MAC altered */
    memcpy(b, rec, RF_BLOCK);
    b[15] ^= 0x80;
    block_set(image, RF_BLK_REC0, b);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    block_set(image, RF_BLK_REC0, rec);
    /* the identity moved to another meter */
    memcpy(b, id, RF_BLOCK);
    memcpy(b, "01234567898", 11);
    block_set(image, RF_BLK_METER, b);
    ch_reinsert(h, UV_SLOT_USER);
    meter.number = "01234567898";
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    meter.number = METER;
    block_set(image, RF_BLK_METER, id);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(h->writes, 0);
}
END_TEST

START_TEST(test_unknown_cards_refused)
{
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(personalise_at(image, "uid=" UID), 0); /* blank: transport keys */
    ch_insert(h, UV_SLOT_USER, &sim_card_rf, image);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_UNSUPPORTED);
    ck_assert_int_eq(personalise_at(image, "uid=" UID " meter=M1 type=OTHER-1 master=" SECTOR_A
                                           " mac=" MAC_A),
                     0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_CARD_UNKNOWN);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "OTHER-1"));
}
END_TEST

/* The card taken away at each step: the record write, the value write, the
   read-back; before or after the card took the command. */
START_TEST(test_pulled_at_each_step)
{
    static const struct {
        unsigned write;
        int after;
        int reached; /* did purchase 1 reach the card? */
    } step[] = {{1, 0, 0}, {1, 1, 0}, {2, 0, 0}, {2, 1, 1}};
    for (size_t i = 0; i < sizeof step / sizeof step[0]; i++) {
        new_card(SECTOR_A, MAC_A);
        meter.state_len = 0;
        struct uv_medium_info info;
        struct uv_issue_result r;
        ck_assert_int_eq(verify(&info), UV_OK);
        h->writes = 0;
        h->pull_at_write = step[i].write;
        h->pull_after_card = step[i].after;
        ck_assert_int_eq(issue(8000, 77, &r), UV_E_MEDIUM_ABSENT);
        ck_assert_uint_eq(r.medium_written, 0);
        ck_assert_uint_eq(r.state_len, 0);
        ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "not recorded"));
        h->pull_at_write = 0;
        ch_reinsert(h, UV_SLOT_USER);
        if (step[i].reached) {
            ck_assert_int_eq(verify(&info), UV_OK);
            ck_assert_uint_eq(info.last_sequence, 77);
            ck_assert_uint_eq(info.pending_amount, 8000);
            ck_assert_int_eq(issue(8000, 78, &r), UV_E_VERIFY);
        } else {
            ck_assert_msg(verify(&info) == UV_OK, "step %zu: %s", i, drv->last_error(dctx));
            ck_assert_uint_eq(info.last_sequence, 0);
            ck_assert_uint_eq(info.pending_amount, 0);
            ck_assert_int_eq(sell(8000, 78, &r), UV_OK);
        }
    }
}
END_TEST

START_TEST(test_options_keys_and_algorithms)
{
    void *c2 = NULL;
    struct uv_param same[] = {{"keys", "sam"}, {"sam_sector_slot", "3"}, {"sam_mac_slot", "3"}};
    ck_assert_int_eq(drv->open(&h->svc, h, same, 3, &c2), UV_E_PARAM);
    struct uv_param unknown[] = {{"key", "x"}};
    ck_assert_int_eq(drv->open(&h->svc, h, unknown, 1, &c2), UV_E_PARAM);
    struct uv_param des[] = {{"alg", "3des"}, {"sector_key", "u:s"}, {"mac_key", "u:m"}};
    ck_assert_int_eq(drv->open(&h->svc, h, des, 3, &c2), UV_OK);
    ch_add_key(h, "u:s", OTHER);
    ch_add_key(h, "u:m", SECTOR_A);
    ck_assert_int_eq(personalise_at(image, "uid=" UID " meter=" METER " type=" TYPE
                                           " master=" OTHER " mac=" SECTOR_A " alg=3des"),
                     0);
    ch_insert(h, UV_SLOT_USER, &sim_card_rf, image);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(identify(c2, &info), UV_OK);
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 4000, 5};
    struct uv_issue_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    ck_assert_int_eq(drv->issue_credit(c2, &meter, &req, &r), UV_OK);
    ck_assert_int_eq(card_value(), 4000);
    /* a 7-byte UID: its sector diversifier (8 bytes) takes two 3DES blocks */
    ck_assert_int_eq(personalise_at(image, "uid=04A1B2C3D4E5F6 meter=" METER " type=" TYPE
                                           " master=" OTHER " mac=" SECTOR_A " alg=3des"),
                     0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(identify(c2, &info), UV_OK);
    ck_assert_str_eq(info.card_serial, "04A1B2C3D4E5F6");
    ck_assert_int_eq(verify(&info), UV_E_UNSUPPORTED); /* aes masters: not this card */
    drv->close(c2);
    ck_assert_int_eq(personalise_at(image, "uid=04A1B2C3D4E5F6 meter=" METER " type=" TYPE
                                           " master=" SECTOR_A " mac=" MAC_A),
                     0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(sell(1, 1, &r), UV_OK);

    struct uv_param missing[] = {{"mac_key", "nowhere"}};
    ck_assert_int_eq(drv->open(&h->svc, h, missing, 1, &c2), UV_OK);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(identify(c2, &info), UV_E_KEY_MISSING);
    drv->close(c2);
    ck_assert_int_eq(issue((uint64_t)INT32_MAX + 1, 2, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(issue(1, UINT64_C(1) << 48, &r), UV_E_ARG);
}
END_TEST

static void new_sam(const char *args)
{
    static int n_sams; /* a SAM is personalised once: a new one each time */
    char path[4300], buf[512], *argv[8];
    snprintf(path, sizeof path, "%s/sam%d.img", dir, ++n_sams);
    snprintf(buf, sizeof buf, "%s", args);
    int argc = split(buf, argv, 8);
    ck_assert_int_eq(sim_card_sam.personalise(path, argc, argv, stderr), 0);
    ch_insert(h, UV_SLOT_SAM, &sim_card_sam, path);
}

/* keys = sam: sector keys exported from an export slot, MACs from another
   slot that never exports. */
/* A meter being added: no card of it was read, so verify() checks the keys. */
START_TEST(test_meter_registration)
{
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(drv->verify(dctx, &meter, &info), UV_OK);
    ck_assert_ptr_nonnull(strstr(info.summary, "checked when inserted"));
    void *c2 = NULL;
    struct uv_param missing[] = {{"mac_key", "nowhere"}};
    ck_assert_int_eq(drv->open(&h->svc, h, missing, 1, &c2), UV_OK);
    ck_assert_int_eq(drv->verify(c2, &meter, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(drv->last_error(c2), "nowhere"));
    drv->close(c2);
    ck_assert_uint_eq(h->apdus, 0);
}
END_TEST

START_TEST(test_sam_mode)
{
    void *c2 = NULL;
    struct uv_param sam[] = {{"keys", "sam"}, {"sam_sector_slot", "4"}, {"sam_mac_slot", "5"}};
    ck_assert_int_eq(drv->open(&h->svc, h, sam, 3, &c2), UV_OK);
    new_card(OTHER, SECTOR_A);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    /* the sector slot cannot export: the reader cannot be given its keys */
    new_sam("slot4=aes:" OTHER ":mac slot5=aes:" SECTOR_A ":mac");
    ck_assert_int_eq(drv->read_medium(c2, &info), UV_E_KEY_INVALID);
    ck_assert_ptr_nonnull(strstr(drv->last_error(c2), "export"));
    new_sam("slot4=aes:" OTHER ":export slot5=aes:" SECTOR_A ":mac");
    ck_assert_int_eq(drv->read_medium(c2, &info), UV_OK);
    ck_assert_int_eq(identify(c2, &info), UV_OK);
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 2500, 8};
    struct uv_issue_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    ck_assert_int_eq(drv->issue_credit(c2, &meter, &req, &r), UV_OK);
    ck_assert_int_eq(card_value(), 2500);
    /* a MAC slot holding another key: the record is refused */
    new_sam("slot4=aes:" OTHER ":export slot5=aes:" MAC_A ":mac");
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(identify(c2, &info), UV_E_CARD_AUTH);
    drv->close(c2);
}
END_TEST

/* The emulation itself: keys, access conditions, the manufacturer block. */
START_TEST(test_emulation_access_conditions)
{
    new_card(SECTOR_A, MAC_A);
    uint8_t resp[UV_RESPONSE_MAX];
    size_t n = 0;
    ck_assert_uint_eq(apdu("FFCA000000", resp, &n), 0x9000);
    ck_assert_uint_eq(n, 4);
    ck_assert_uint_eq(apdu("FFB0000410", NULL, NULL), 0x6982);        /* not authenticated */
    ck_assert_uint_eq(apdu("FF82000006FFFFFFFFFFFF", NULL, NULL), 0x9000);
    ck_assert_uint_eq(apdu("FF860000050100076000", NULL, NULL), 0x6300); /* transport key: no */
    ck_assert_uint_eq(apdu("FF82200006FFFFFFFFFFFF", NULL, NULL), 0x6387); /* non-volatile */
    ck_assert_uint_eq(apdu("FF82000206FFFFFFFFFFFF", NULL, NULL), 0x6388); /* key number */
    ck_assert_uint_eq(apdu("FF82000005FFFFFFFFFF", NULL, NULL), 0x6389);   /* key length */
    /* a transport sector (4): anything goes with key A */
    ck_assert_uint_eq(apdu("FF860000050100106000", NULL, NULL), 0x9000);
    ck_assert_uint_eq(apdu("FFD6001010000102030405060708090A0B0C0D0E0F", NULL, NULL), 0x9000);
    ck_assert_uint_eq(apdu("FFB0001010", resp, &n), 0x9000);
    ck_assert_uint_eq(resp[15], 0x0F);
    ck_assert_uint_eq(apdu("FFB0001310", resp, &n), 0x9000); /* trailer: keys read as 0 */
    ck_assert_uint_eq(resp[0] | resp[5] | resp[10] | resp[15], 0);
    ck_assert_uint_eq(resp[6], 0xFF);
    ck_assert_uint_eq(apdu("FFB0001410", NULL, NULL), 0x6982); /* sector 5 not authenticated */
    /* malformed access bits are refused rather than written */
    ck_assert_uint_eq(apdu("FFD6001310FFFFFFFFFFFF00000069FFFFFFFFFFFF", NULL, NULL), 0x6A80);
    ck_assert_uint_eq(apdu("FF860000050100FF6000", NULL, NULL), 0x6A82); /* no block 255 */
    ck_assert_uint_eq(apdu("FF860000050100076000", NULL, NULL), 0x6300);
    ck_assert_uint_eq(apdu("FFB0001010", NULL, NULL), 0x6982); /* failed auth left none */
    ck_assert_uint_eq(apdu("FF00000000", NULL, NULL), 0x6D00);
    ck_assert_uint_eq(apdu("00B0000010", NULL, NULL), 0x6E00);
}
END_TEST

Suite *rfcard_suite(void)
{
    Suite *s = suite_create("rfcard");
    TCase *tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_descriptor_self_test_and_atr);
    tcase_add_test(tc, test_sale_meter_and_sale_again);
    tcase_add_test(tc, test_cloned_cards_refused);
    tcase_add_test(tc, test_replayed_card_refused);
    tcase_add_test(tc, test_tampered_card_refused);
    tcase_add_test(tc, test_unknown_cards_refused);
    tcase_add_test(tc, test_pulled_at_each_step);
    tcase_add_test(tc, test_options_keys_and_algorithms);
    tcase_add_test(tc, test_emulation_access_conditions);
    tcase_add_test(tc, test_sam_mode);
    tcase_add_test(tc, test_meter_registration);
    suite_add_tcase(s, tc);
    return s;
}
