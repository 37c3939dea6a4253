/* test_logiccard.c — the logic-encryption card driver (logiccard.so) against
 * the card emulation of tests/cardsim/card_logic.c, in process: a sale, each
 * refusal, the security code counter never spent to the end, a card pulled
 * mid-write. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/cardlib/cardstate.h"
#include "../../drivers/logiccard/logic_layout.h"
#include "cardhost.h"
#include "loader.h"
#include "testutil.h"

#define MASTER_A "000102030405060708090A0B0C0D0E0F"
#define MASTER_B "F0E1D2C3B4A5968778695A4B3C2D1E0F"
#define SERIAL "0455AA10203040"
#define METER "01234567897"
#define TYPE "LOGIC-4442"

static char *dir;
static char image[4200];
static struct ch_host *h;
static void *so;
static const struct uv_driver *drv;
static void *dctx;

/* the meter view the host would hand the driver, with its committed state */
static struct uv_meter meter;
static uint8_t state[UV_STATE_MAX];

static void setup(void)
{
    dir = tu_mkdtemp();
    snprintf(image, sizeof image, "%s/card.img", dir);
    h = ch_new();
    ch_add_key(h, "logiccard:master", MASTER_A);
    drv = ch_load_driver("logiccard.so", &so);
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

/* cardsim new logic IMAGE args... */
static int personalise(const char *args)
{
    char buf[512], *argv[16];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 16; t = strtok(NULL, " "))
        argv[argc++] = t;
    return sim_card_logic.personalise(image, argc, argv, stderr);
}

static void new_card(const char *master)
{
    char args[256];
    snprintf(args, sizeof args, "serial=" SERIAL " meter=" METER " type=" TYPE " master=%s",
             master);
    ck_assert_int_eq(personalise(args), 0);
    ch_insert(h, UV_SLOT_USER, &sim_card_logic, image);
}

/* cardsim meter logic IMAGE args...; its output line in out */
static int meter_visit(const char *args, char *out, size_t cap)
{
    char buf[256], *argv[8];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " "))
        argv[argc++] = t;
    FILE *f = fmemopen(out, cap, "w");
    ck_assert_ptr_nonnull(f);
    int rc = sim_card_logic.meter(image, argc, argv, f);
    fclose(f);
    ch_reinsert(h, UV_SLOT_USER); /* the card comes back from the meter */
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

/* The host's sale: verify, write, and commit the state with the receipt. */
static int sell(uint64_t amount, uint64_t seq, struct uv_issue_result *r)
{
    struct uv_medium_info info;
    int rc = verify(&info);
    if (rc != UV_OK)
        return rc;
    rc = issue(amount, seq, r);
    if (rc == UV_OK) {
        ck_assert_uint_le(r->state_len, sizeof state);
        memcpy(state, r->state, r->state_len);
        meter.state_len = r->state_len;
    }
    return rc;
}

static uint64_t image_u64(const char *name)
{
    struct sim_image img;
    uint64_t v = 0;
    ck_assert_int_eq(image_load(&img, image, 0), 0);
    ck_assert_int_eq(image_get_u64(&img, name, &v), 0);
    return v;
}

static void image_mem(uint8_t mem[LC_MEM_SIZE])
{
    struct sim_image img;
    ck_assert_int_eq(image_load(&img, image, 0), 0);
    ck_assert_int_eq(image_get_bin(&img, "mem", mem, LC_MEM_SIZE), LC_MEM_SIZE);
}

static void image_set_mem(const uint8_t mem[LC_MEM_SIZE])
{
    struct sim_image img;
    ck_assert_int_eq(image_load(&img, image, 0), 0);
    ck_assert_int_eq(image_set_bin(&img, "mem", mem, LC_MEM_SIZE), 0);
    ck_assert_int_eq(image_save(&img), 0);
}

static void copy_file(const char *from, const char *to)
{
    tu_copy(from, to);
}

START_TEST(test_descriptor_self_test_and_atr)
{
    ck_assert_str_eq(drv->name, "logiccard");
    ck_assert_uint_eq(drv->media, UV_MEDIUM_LOGIC_CARD);
    ck_assert_str_eq(drv->type_codes[0], TYPE);
    ck_assert_ptr_nonnull(drv->read_medium);
    ck_assert_int_eq(drv->self_test(&h->svc, h), UV_OK);
    struct uv_driver_info info;
    struct uv_error e = {0};
    ck_assert_int_eq(loader_validate(drv, &info, &e), UVS_OK);
    ck_assert_uint_eq(info.n_atr, 2);
    /* the emulated card's ATR is the first pattern, byte for byte */
    new_card(MASTER_A);
    uint8_t atr[UV_ATR_MAX];
    size_t n = 0;
    ck_assert_int_eq(h->svc.card_connect(h, UV_SLOT_USER), UV_OK);
    ck_assert_int_eq(h->svc.card_atr(h, UV_SLOT_USER, atr, sizeof atr, &n), UV_OK);
    ck_assert(loader_atr_match(&info.atr[0], atr, n));
    ck_assert_uint_eq(loader_atr_specificity(&info.atr[0]), 8 * 20);
    /* TCK: the XOR of T0..Tk is the last byte */
    uint8_t x = 0;
    for (size_t i = 1; i < n; i++)
        x ^= atr[i];
    ck_assert_uint_eq(x, 0);
}
END_TEST

START_TEST(test_sale_meter_and_sale_again)
{
    new_card(MASTER_A);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_OK);
    ck_assert_str_eq(info.meter_number, METER);
    ck_assert_str_eq(info.type_code, TYPE);
    ck_assert_str_eq(info.card_serial, SERIAL);

    struct uv_issue_result r;
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert_uint_eq(info.last_sequence, 0);
    ck_assert(info.flags & UV_INFO_PENDING);
    ck_assert(!(info.flags & UV_INFO_METER_DATA));
    ck_assert_int_eq(issue(5000, 17, &r), UV_OK);
    ck_assert_uint_eq(r.medium_written, 1);
    ck_assert_uint_eq(r.n_tokens, 0);
    ck_assert_uint_eq(r.amount_issued, 5000);
    ck_assert_str_eq(r.token_id, "1");
    struct cst st;
    ck_assert_int_eq(cst_decode(r.state, r.state_len, &st), 0);
    ck_assert_uint_eq(st.counter, 1);
    ck_assert_uint_eq(st.serial_len, 7);
    memcpy(state, r.state, r.state_len);
    meter.state_len = r.state_len;
    ck_assert_uint_eq(image_u64("ec"), 3);
    ck_assert_uint_eq(h->codes_presented, 1); /* issue_credit found it presented */

    /* the card now carries the credit: the kiosk sees it, and will not add to it */
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 5000);
    ck_assert_uint_eq(info.last_sequence, 17);
    ck_assert_int_eq(issue(1000, 18, &r), UV_E_VERIFY);
    ck_assert_uint_eq(r.medium_written, 0);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "put the card in the meter"));
    ck_assert_uint_eq(h->writes, 1);

    /* the meter takes it and reports back */
    char out[256];
    ck_assert_int_eq(meter_visit("master=" MASTER_A " remaining=3200 tamper=1", out, sizeof out),
                     0);
    ck_assert_ptr_nonnull(strstr(out, "loaded 5000 from purchase 1 (receipt 17)"));
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert(info.flags & UV_INFO_METER_DATA);
    ck_assert_uint_eq(info.meter_remaining, 3200);
    ck_assert_uint_eq(info.meter_tamper, 1);
    ck_assert_ptr_nonnull(strstr(info.summary, "TAMPER"));
    ck_assert_int_eq(sell(2500, 18, &r), UV_OK);
    ck_assert_str_eq(r.token_id, "3"); /* the meter's own write was 2 */
    ck_assert_int_eq(meter_visit("master=" MASTER_A, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "loaded 2500 from purchase 3 (receipt 18); remaining 5700"));
}
END_TEST

/* A card issued under another master key: its records fail their MAC, and
   the driver refuses before it ever tries the security code. */
START_TEST(test_cloned_card_refused_without_spending_a_try)
{
    new_card(MASTER_B);
    struct uv_medium_info info;
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "fails its MAC"));
    ck_assert_uint_eq(h->codes_presented, 0);
    ck_assert_uint_eq(image_u64("ec"), 3);
    struct uv_issue_result r;
    ck_assert_int_eq(issue(1000, 1, &r), UV_E_CARD_AUTH);
    ck_assert_uint_eq(r.medium_written, 0);
    ck_assert_uint_eq(h->writes, 0);
}
END_TEST

/* A restored copy of the card (its image rolled back) after a sale. */
START_TEST(test_replayed_card_refused)
{
    char copy[4300];
    snprintf(copy, sizeof copy, "%s/copy.img", dir);
    new_card(MASTER_A);
    copy_file(image, copy);
    struct uv_issue_result r;
    ck_assert_int_eq(sell(5000, 1, &r), UV_OK);
    copy_file(copy, image); /* the customer puts the old image back */
    ch_reinsert(h, UV_SLOT_USER);
    struct uv_medium_info info;
    ck_assert_int_eq(verify(&info), UV_E_REPLAY);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "older copy"));
    ck_assert_int_eq(issue(5000, 2, &r), UV_E_REPLAY);
    ck_assert_uint_eq(h->writes, 1);
    /* another card for the same meter (a replacement) starts its own count */
    meter.state_len = 0;
    ck_assert_int_eq(verify(&info), UV_OK);
}
END_TEST

START_TEST(test_tampered_record_and_identity_refused)
{
    new_card(MASTER_A);
    uint8_t mem[LC_MEM_SIZE], orig[LC_MEM_SIZE];
    image_mem(orig);
    struct uv_medium_info info;
    /* credit added by hand to the record */
    memcpy(mem, orig, sizeof mem);
    mem[LC_OFF_REC0 + 23] = 0x50;
    image_set_mem(mem);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    /* the MAC itself altered */
    memcpy(mem, orig, sizeof mem);
    mem[LC_OFF_REC0 + 31] ^= 1;
    image_set_mem(mem);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    /* the card moved to another meter: the identity is bound into the MAC */
    memcpy(mem, orig, sizeof mem);
    memcpy(mem + LC_OFF_METER, "01234567898", 11);
    image_set_mem(mem);
    ch_reinsert(h, UV_SLOT_USER);
    meter.number = "01234567898";
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    meter.number = METER;
    struct uv_issue_result r;
    ck_assert_int_eq(issue(1000, 1, &r), UV_E_VERIFY); /* and the wrong meter is refused too */
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "is for meter 01234567898"));
    ck_assert_uint_eq(h->codes_presented, 0);
    /* the untouched card sells */
    image_set_mem(orig);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_OK);
}
END_TEST

START_TEST(test_unknown_cards_refused)
{
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    /* a blank card: not one of this driver's */
    ck_assert_int_eq(personalise("psc=FFFFFF"), 0);
    ch_insert(h, UV_SLOT_USER, &sim_card_logic, image);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_UNSUPPORTED);
    struct uv_issue_result r;
    ck_assert_int_eq(issue(100, 1, &r), UV_E_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "blank card"));
    /* a univend card for a type this driver does not serve */
    ck_assert_int_eq(personalise("serial=01 meter=M1 type=OTHER-1 master=" MASTER_A), 0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_CARD_UNKNOWN);
    /* a layout version this driver does not know */
    new_card(MASTER_A);
    uint8_t mem[LC_MEM_SIZE];
    image_mem(mem);
    mem[LC_OFF_VERSION] = 2;
    image_set_mem(mem);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_E_CARD_UNKNOWN);
    ck_assert_uint_eq(h->writes + h->codes_presented, 0);
}
END_TEST

/* A card whose security code is not the one derived for it (changed, or a
   copy with its own code): each refusal costs one try, and the driver stops
   while one is still left. */
START_TEST(test_security_code_never_spent_to_the_end)
{
    ck_assert_int_eq(personalise("serial=" SERIAL " meter=" METER " type=" TYPE
                                 " master=" MASTER_A " psc=123456"),
                     0);
    ch_insert(h, UV_SLOT_USER, &sim_card_logic, image);
    struct uv_medium_info info;
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "2 tries left"));
    ck_assert_uint_eq(image_u64("ec"), 2);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    ck_assert_uint_eq(image_u64("ec"), 1);
    ck_assert_uint_eq(h->codes_presented, 2);
    for (int i = 0; i < 3; i++) {
        ch_reinsert(h, UV_SLOT_USER);
        ck_assert_int_eq(verify(&info), UV_E_CARD_LOCKED);
        ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "utility office"));
    }
    struct uv_issue_result r;
    ck_assert_int_eq(issue(100, 1, &r), UV_E_CARD_LOCKED);
    ck_assert_uint_eq(h->codes_presented, 2);
    ck_assert_uint_eq(image_u64("ec"), 1); /* never locked by the kiosk */
    ck_assert_str_eq(info.meter_number, METER); /* the clerk still sees whose card it is */
}
END_TEST

START_TEST(test_last_try_and_locked_card)
{
    struct uv_medium_info info;
    ck_assert_int_eq(personalise("serial=" SERIAL " meter=" METER " type=" TYPE
                                 " master=" MASTER_A " ec=1"),
                     0);
    ch_insert(h, UV_SLOT_USER, &sim_card_logic, image);
    ck_assert_int_eq(verify(&info), UV_E_CARD_LOCKED);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "last try"));
    ck_assert_uint_eq(image_u64("ec"), 1);
    ck_assert_int_eq(personalise("serial=" SERIAL " meter=" METER " type=" TYPE
                                 " master=" MASTER_A " ec=0"),
                     0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_E_CARD_LOCKED);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "blocked for good"));
    ck_assert_uint_eq(h->codes_presented, 0);
    /* a right code gives the tries back: a card at 2 sells and is at 3 again */
    ck_assert_int_eq(personalise("serial=" SERIAL " meter=" METER " type=" TYPE
                                 " master=" MASTER_A " ec=2"),
                     0);
    ch_reinsert(h, UV_SLOT_USER);
    struct uv_issue_result r;
    ck_assert_int_eq(sell(700, 5, &r), UV_OK);
    ck_assert_uint_eq(image_u64("ec"), 3);
}
END_TEST

/* Pulled before the card took the write: nothing reached it. */
START_TEST(test_pulled_before_the_write)
{
    new_card(MASTER_A);
    struct uv_medium_info info;
    struct uv_issue_result r;
    ck_assert_int_eq(verify(&info), UV_OK);
    h->pull_at_write = 1;
    ck_assert_int_eq(issue(5000, 9, &r), UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(r.medium_written, 0);
    ck_assert_uint_eq(r.state_len, 0);
    ck_assert_ptr_nonnull(strstr(drv->last_error(dctx), "not recorded"));
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_OK);
    ck_assert_uint_eq(info.last_sequence, 0); /* the credit did not reach the card */
    ck_assert_uint_eq(info.pending_amount, 0);
    ck_assert_int_eq(sell(5000, 10, &r), UV_OK);
}
END_TEST

/* Pulled after the card took the write, before the kiosk saw it confirmed. */
START_TEST(test_pulled_after_the_write)
{
    new_card(MASTER_A);
    struct uv_medium_info info;
    struct uv_issue_result r;
    ck_assert_int_eq(verify(&info), UV_OK);
    h->pull_at_write = 1;
    h->pull_after_card = 1;
    ck_assert_int_eq(issue(5000, 9, &r), UV_E_MEDIUM_ABSENT);
    ck_assert_uint_eq(r.medium_written, 0);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(verify(&info), UV_OK);   /* it carries the credit now, */
    ck_assert_uint_eq(info.last_sequence, 9); /* so the host can record that sale */
    ck_assert_uint_eq(info.pending_amount, 5000);
    ck_assert_int_eq(issue(5000, 10, &r), UV_E_VERIFY);
}
END_TEST

/* A record torn half-way (a real SLE4442 writes byte by byte): the other
   slot stays in force. */
START_TEST(test_torn_record_leaves_the_previous_one)
{
    new_card(MASTER_A);
    struct uv_issue_result r;
    char out[256];
    ck_assert_int_eq(sell(5000, 1, &r), UV_OK);
    ck_assert_int_eq(meter_visit("master=" MASTER_A, out, sizeof out), 0);
    uint8_t mem[LC_MEM_SIZE];
    image_mem(mem);
    /* purchase 1 is in slot 1, the meter's record (2) in slot 0; tear slot 0 */
    memset(mem + LC_OFF_REC0 + 10, 0xEE, 12);
    image_set_mem(mem);
    ch_reinsert(h, UV_SLOT_USER);
    struct uv_medium_info info;
    ck_assert_int_eq(verify(&info), UV_OK); /* purchase 1 counts again: not taken */
    ck_assert_uint_eq(info.pending_amount, 5000);
    ck_assert_uint_eq(info.last_sequence, 1);
}
END_TEST

START_TEST(test_options_keys_and_amounts)
{
    void *c2 = NULL;
    struct uv_param bad[] = {{"keys", "hsm"}};
    ck_assert_int_eq(drv->open(&h->svc, h, bad, 1, &c2), UV_E_PARAM);
    struct uv_param unknown[] = {{"colour", "red"}};
    ck_assert_int_eq(drv->open(&h->svc, h, unknown, 1, &c2), UV_E_PARAM);
    struct uv_param slot[] = {{"sam_slot", "16"}};
    ck_assert_int_eq(drv->open(&h->svc, h, slot, 1, &c2), UV_E_PARAM);
    struct uv_param good[] = {{"keys", "store"}, {"alg", "sm4"}, {"key", "utility:7"}};
    ck_assert_int_eq(drv->open(&h->svc, h, good, 3, &c2), UV_OK);

    /* the card and the kiosk on sm4 under another reference */
    ch_add_key(h, "utility:7", MASTER_B);
    ck_assert_int_eq(personalise("serial=" SERIAL " meter=" METER " type=" TYPE
                                 " master=" MASTER_B " alg=sm4"),
                     0);
    ch_insert(h, UV_SLOT_USER, &sim_card_logic, image);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(identify(c2, &info), UV_OK);
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH); /* aes under the default key: not it */
    drv->close(c2);

    /* no key in the store */
    struct uv_param missing[] = {{"key", "nowhere"}};
    ck_assert_int_eq(drv->open(&h->svc, h, missing, 1, &c2), UV_OK);
    ch_reinsert(h, UV_SLOT_USER);
    ck_assert_int_eq(identify(c2, &info), UV_E_KEY_MISSING);
    ck_assert_ptr_nonnull(strstr(drv->last_error(c2), "univend key add nowhere"));
    drv->close(c2);

    /* a host without card readers */
    struct uv_host_services bare = h->svc;
    bare.struct_size = offsetof(struct uv_host_services, card_readers);
    ck_assert_int_eq(drv->open(&bare, h, NULL, 0, &c2), UV_OK);
    ck_assert_int_eq(identify(c2, &info), UV_E_UNSUPPORTED);
    drv->close(c2);

    new_card(MASTER_A);
    struct uv_issue_result r;
    ck_assert_int_eq(issue(0, 1, &r), UV_E_AMOUNT_RANGE);
    ck_assert_int_eq(issue(UINT64_C(1) << 32, 1, &r), UV_E_AMOUNT_RANGE);
    struct uv_credit_request water = {sizeof water, UV_CREDIT_WATER, 100, 1};
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    ck_assert_int_eq(drv->issue_credit(dctx, &meter, &water, &r), UV_E_UNSUPPORTED);
    /* a damaged state blob */
    uint8_t junk[3] = {9, 9, 9};
    meter.state = junk;
    meter.state_len = sizeof junk;
    ck_assert_int_eq(verify(&info), UV_E_STATE);
    ck_assert_uint_eq(h->writes, 0);
}
END_TEST

/* cardsim new sam IMAGE args... into the SAM slot */
static void new_sam(const char *args)
{
    static int n_sams; /* a SAM is personalised once: a new one each time */
    char path[4300], buf[512], *argv[8];
    int argc = 0;
    snprintf(path, sizeof path, "%s/sam%d.img", dir, ++n_sams);
    snprintf(buf, sizeof buf, "%s", args);
    for (char *t = strtok(buf, " "); t && argc < 8; t = strtok(NULL, " "))
        argv[argc++] = t;
    ck_assert_int_eq(sim_card_sam.personalise(path, argc, argv, stderr), 0);
    ch_insert(h, UV_SLOT_SAM, &sim_card_sam, path);
}

/* keys = sam: the master is in the SAM (here not the one in the key store),
   which derives the security code and checks and makes the MACs. */
/* A meter being added: no card of it was read, so verify() checks the key. */
START_TEST(test_meter_registration)
{
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(drv->verify(dctx, &meter, &info), UV_OK);
    ck_assert_ptr_nonnull(strstr(info.summary, "checked when inserted"));
    void *c2 = NULL;
    struct uv_param missing[] = {{"key", "nowhere"}};
    ck_assert_int_eq(drv->open(&h->svc, h, missing, 1, &c2), UV_OK);
    ck_assert_int_eq(drv->verify(c2, &meter, &info), UV_E_KEY_MISSING);
    drv->close(c2);
    meter.type_code = "RF-MF1K";
    ck_assert_int_eq(drv->verify(dctx, &meter, &info), UV_E_PARAM);
    /* read_medium() of another meter's card arms nothing for this one */
    meter.type_code = TYPE;
    new_card(MASTER_B);
    meter.number = "04123456789";
    ck_assert_int_eq(drv->read_medium(dctx, &info), UV_OK);
    ck_assert_int_eq(drv->verify(dctx, &meter, &info), UV_OK);
    ck_assert_uint_eq(h->codes_presented, 0);
}
END_TEST

START_TEST(test_sam_mode)
{
    void *c2 = NULL;
    struct uv_param sam[] = {{"keys", "sam"}, {"sam_slot", "3"}};
    ck_assert_int_eq(drv->open(&h->svc, h, sam, 2, &c2), UV_OK);
    new_card(MASTER_B);
    struct uv_medium_info info;
    memset(&info, 0, sizeof info);
    info.struct_size = sizeof info;
    ck_assert_int_eq(identify(c2, &info), UV_E_KEY_MISSING); /* no SAM fitted */
    ck_assert_ptr_nonnull(strstr(drv->last_error(c2), "no SAM"));
    new_sam("slot1=aes:" MASTER_B);
    ck_assert_int_eq(identify(c2, &info), UV_E_KEY_MISSING); /* no slot 3 */
    new_sam("slot3=aes:" MASTER_B ":enc");
    ck_assert_int_eq(identify(c2, &info), UV_E_KEY_INVALID); /* no MAC use */
    new_sam("slot3=aes:" MASTER_B ":mac");
    ck_assert_int_eq(identify(c2, &info), UV_OK);
    struct uv_credit_request req = {sizeof req, UV_CREDIT_ELECTRICITY, 4200, 3};
    struct uv_issue_result r;
    memset(&r, 0, sizeof r);
    r.struct_size = sizeof r;
    ck_assert_int_eq(drv->issue_credit(c2, &meter, &req, &r), UV_OK);
    ck_assert_uint_eq(r.medium_written, 1);
    char out[256];
    ck_assert_int_eq(meter_visit("master=" MASTER_B, out, sizeof out), 0);
    ck_assert_ptr_nonnull(strstr(out, "loaded 4200"));
    /* the store's key (MASTER_A) is not this card's: store mode refuses it */
    ck_assert_int_eq(verify(&info), UV_E_CARD_AUTH);
    drv->close(c2);
}
END_TEST

Suite *logiccard_suite(void)
{
    Suite *s = suite_create("logiccard");
    TCase *tc = tcase_create("driver");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_descriptor_self_test_and_atr);
    tcase_add_test(tc, test_sale_meter_and_sale_again);
    tcase_add_test(tc, test_cloned_card_refused_without_spending_a_try);
    tcase_add_test(tc, test_replayed_card_refused);
    tcase_add_test(tc, test_tampered_record_and_identity_refused);
    tcase_add_test(tc, test_unknown_cards_refused);
    tcase_add_test(tc, test_security_code_never_spent_to_the_end);
    tcase_add_test(tc, test_last_try_and_locked_card);
    tcase_add_test(tc, test_pulled_before_the_write);
    tcase_add_test(tc, test_pulled_after_the_write);
    tcase_add_test(tc, test_torn_record_leaves_the_previous_one);
    tcase_add_test(tc, test_options_keys_and_amounts);
    tcase_add_test(tc, test_sam_mode);
    tcase_add_test(tc, test_meter_registration);
    suite_add_tcase(s, tc);
    return s;
}
