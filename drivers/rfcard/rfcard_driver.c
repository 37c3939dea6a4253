/*
 * rfcard_driver.c — univend driver for prepaid meters fed by a contactless
 * MIFARE-Classic-1K-style card, reached through a PC/SC reader's storage-card
 * pseudo-APDUs.
 *
 * Medium: RF card. Type code: RF-MF1K. Card layout: rf_layout.h.
 *
 * verify() checks the card when read_medium() has just read a card of that
 * meter in this context (the host's card sale does: read_medium, then
 * verify); otherwise (a meter being added) it checks that the keys are
 * there. issue_credit() always checks the card in the reader itself.
 *
 * With a card, the driver: reads the UID (the card serial); opens each
 * sector it uses with the keys derived for that UID and sector (key A to
 * read identity and meter data, key B to read and write the credit); checks
 * the value block's copies and the CMAC of both credit-record slots over
 * identity, record and value (a MAC master of its own); refuses a card whose
 * counter is older than the one this kiosk last wrote to it (uv_meter.state:
 * a restored copy); it reports the credit still on the card and the receipt
 * that put it there. issue_credit() does all that again, refuses a card
 * still carrying credit the meter has not taken (adding to it would let a
 * restored copy have the same credit loaded twice), writes the new record
 * (counter + 1) into the slot not holding the current one, then the value
 * block, reads both back, and only then reports medium_written = 1.
 *
 * Keys and the SAM. A contactless reader must be handed each sector key in
 * clear (LOAD KEYS): in SAM mode the sector keys come out of the SAM by
 * DERIVE-EXPORT, so their slot must be personalised export=1 and the sector
 * keys of the card in the reader do pass through kiosk memory (wiped after
 * each use). The MAC master is in another slot that never exports: the
 * credit's integrity rests on it, not on the sector keys (MIFARE Classic's
 * Crypto1 is broken, so sector keys can be recovered from a card anyway).
 *
 * Driver options (univend.conf driver.rfcard.NAME = value):
 *   keys             store (default) or sam
 *   alg              aes (default), 3des or sm4: the masters' cipher (store)
 *   sector_key       key store reference of the sector-key master
 *                    (default rfcard:sector)
 *   mac_key          key store reference of the MAC master (default rfcard:mac)
 *   sam_sector_slot  SAM slot of the sector-key master, export=1 (default 2)
 *   sam_mac_slot     SAM slot of the MAC master (default 1)
 *
 * Meter parameters: none; the card carries the meter number and type code.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cardkey/cardkey.h"
#include "../cardlib/cardio.h"
#include "../cardlib/cardkat.h"
#include "../cardlib/keysource.h"
#include "../cardlib/cardstate.h"
#include "../cardlib/cardtext.h"
#include "../univend_driver.h"
#include "rf_io.h"
#include "rf_layout.h"

#define RF_TYPE_CODE "RF-MF1K"
#define ROLE_SECTOR 0
#define ROLE_MAC 1

struct rf_ctx {
    const struct uv_host_services *svc;
    void *host;
    struct ks_source keys;
    char armed[32]; /* the meter of the card read_medium() read, for verify() */
    char err[CIO_ERR_MAX];
};

/* What the driver read and checked of the card in the reader. */
struct rf_card {
    uint8_t uid[RF_UID_MAX];
    size_t uid_len;
    uint8_t id[3 * RF_BLOCK]; /* blocks 4-6 */
    struct rf_identity ident;
    uint8_t value_block[RF_BLOCK];
    int32_t value;
    struct rf_record best; /* the newest record whose MAC holds */
    unsigned best_blk;
    int has_mdata;
    struct rf_mdata md;
    int mdata_bad;
};

static const char *const rf_type_codes[] = {RF_TYPE_CODE, NULL};

static const struct uv_atr_pattern rf_atr_patterns[] = {
    {"3B8F8001804F0CA000000306030001000000006A", NULL},
    {NULL, NULL},
};

static const char *drv_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_FAILED: return "failed";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_ARG: return "invalid argument";
    case UV_E_UNSUPPORTED: return "not an RF card of this driver";
    case UV_E_BUFFER_TOO_SMALL: return "buffer too small";
    case UV_E_PARAM: return "driver option or meter parameter invalid";
    case UV_E_METER_ID: return "meter number invalid";
    case UV_E_KEY_MISSING: return "card master key not available";
    case UV_E_KEY_INVALID: return "card master key unusable";
    case UV_E_AMOUNT_RANGE: return "amount cannot be written to the card";
    case UV_E_VERIFY: return "the card cannot be sold to";
    case UV_E_MEDIUM_ABSENT: return "no card, or the card was taken away";
    case UV_E_MEDIUM_IO: return "card reader or card failure";
    case UV_E_STATE: return "stored card state is damaged";
    case UV_E_CRYPTO: return "crypto library failure";
    case UV_E_SELFTEST: return "RF card driver self test failed";
    case UV_E_CARD_UNKNOWN: return "card not issued for this driver, or not personalised";
    case UV_E_CARD_AUTH: return "card authentication failed: forged, altered or copied card";
    case UV_E_REPLAY: return "card restored from an older copy (replayed purchase record)";
    default: return "unknown RF card driver error";
    }
}

static int fail(struct rf_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct rf_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return rc;
}

static int key_fail(struct rf_ctx *c, int rc)
{
    snprintf(c->err, sizeof c->err, "%s", c->keys.err);
    return rc;
}

static int rf_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    if (svc == NULL || ctx == NULL || svc->struct_size < offsetof(struct uv_host_services, wipe) +
                                                             sizeof svc->wipe ||
        svc->wipe == NULL || (config == NULL && n_config != 0))
        return UV_E_ARG;
    struct rf_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    c->keys.svc = svc;
    c->keys.host = host;
    c->keys.alg = CARDKEY_AES;
    c->keys.slot[ROLE_SECTOR] = 2;
    c->keys.slot[ROLE_MAC] = 1;
    snprintf(c->keys.ref[ROLE_SECTOR], KS_REF_MAX, "rfcard:sector");
    snprintf(c->keys.ref[ROLE_MAC], KS_REF_MAX, "rfcard:mac");
    int rc = UV_OK;
    for (size_t i = 0; i < n_config && rc == UV_OK; i++) {
        const char *name = config[i].name ? config[i].name : "", *value = config[i].value;
        int role = strcmp(name, "sector_key") == 0 || strcmp(name, "sam_sector_slot") == 0
                       ? ROLE_SECTOR
                       : ROLE_MAC;
        if (ks_option(&c->keys, name, value, &rc))
            continue;
        if ((strcmp(name, "sector_key") == 0 || strcmp(name, "mac_key") == 0) && value &&
            value[0] && strlen(value) < KS_REF_MAX)
            snprintf(c->keys.ref[role], KS_REF_MAX, "%s", value);
        else if ((strcmp(name, "sam_sector_slot") == 0 || strcmp(name, "sam_mac_slot") == 0) &&
                 ks_parse_slot(value, &c->keys.slot[role]) == 0)
            continue;
        else
            rc = cio_fail(c->keys.err, UV_E_PARAM,
                          "driver option '%s': the RF card driver takes keys (store|sam), alg "
                          "(aes|3des|sm4), sector_key and mac_key (key references), "
                          "sam_sector_slot and sam_mac_slot (1-15)",
                          name);
    }
    if (rc == UV_OK && c->keys.sam && c->keys.slot[ROLE_SECTOR] == c->keys.slot[ROLE_MAC])
        rc = cio_fail(c->keys.err, UV_E_PARAM,
                      "sam_sector_slot and sam_mac_slot must differ: the sector keys are "
                      "exported, the MAC key must never be");
    if (rc != UV_OK) {
        if (svc->log)
            svc->log(host, UV_LOG_ERROR, c->keys.err);
        free(c);
        return rc;
    }
    *ctx = c;
    return UV_OK;
}

static void rf_close(void *ctx)
{
    struct rf_ctx *c = ctx;
    if (c == NULL)
        return;
    c->svc->wipe(c, sizeof *c);
    free(c);
}

static const char *rf_last_error(void *ctx)
{
    return ctx ? ((struct rf_ctx *)ctx)->err : "";
}

static int served(const char *type)
{
    for (size_t i = 0; rf_type_codes[i]; i++)
        if (strcmp(type, rf_type_codes[i]) == 0)
            return 1;
    return 0;
}

/* Authenticate a sector with the key derived for this card and sector. */
static int open_sector(struct rf_ctx *c, const struct rf_card *k, unsigned sector, int key_b)
{
    struct rf_io io = {c->svc, c->host, c->err};
    uint8_t serial[8], key[CARDKEY_LEN];
    size_t n = rf_sector_serial(k->uid, k->uid_len, sector, serial);
    int rc = ks_export(&c->keys, ROLE_SECTOR, serial, n, key);
    if (rc != UV_OK)
        return key_fail(c, rc);
    rc = rfio_auth(&io, sector * 4 + 3, key_b, key + (key_b ? RF_KEY_LEN : 0));
    c->svc->wipe(key, sizeof key);
    return rc;
}

static int read_blocks(struct rf_ctx *c, unsigned first, unsigned n, uint8_t *out)
{
    struct rf_io io = {c->svc, c->host, c->err};
    for (unsigned i = 0; i < n; i++) {
        int rc = rfio_read(&io, first + i, out + i * RF_BLOCK);
        if (rc != UV_OK)
            return rc;
    }
    return UV_OK;
}

/* The UID, the identity sector. for_sale: a sector refusing its key is a
   refusal (UV_E_CARD_AUTH); otherwise "not one of mine". */
static int card_identify(struct rf_ctx *c, struct rf_card *k, int for_sale)
{
    struct rf_io io = {c->svc, c->host, c->err};
    memset(k, 0, sizeof *k);
    if (!cio_has_channel(c->svc))
        return fail(c, UV_E_UNSUPPORTED, "this kiosk has no card readers configured");
    int rc = c->svc->card_connect(c->host, UV_SLOT_USER);
    if (rc != UV_OK)
        return cio_transport_fail(c->err, rc, "it was being connected");
    if ((rc = rfio_uid(&io, k->uid, &k->uid_len)) != UV_OK)
        return rc;
    rc = open_sector(c, k, RF_SEC_ID, 0);
    if (rc == UV_E_CARD_AUTH)
        return fail(c, for_sale ? UV_E_CARD_AUTH : UV_E_UNSUPPORTED,
                    "the card does not open with the keys this utility derives for its UID: a "
                    "card of another system, a blank card, or a copy of one of ours%s",
                    for_sale ? "; refused — send it to the utility office" : "");
    if (rc != UV_OK)
        return rc;
    if ((rc = read_blocks(c, RF_BLK_MAGIC, 3, k->id)) != UV_OK)
        return rc;
    switch (rf_identity_parse(k->id, &k->ident)) {
    case RF_ID_OK: break;
    case RF_ID_NOT_OURS:
        return fail(c, UV_E_CARD_UNKNOWN,
                    "the card opens with this utility's keys but carries no identity: it was "
                    "not issued completely; send it to the utility office");
    default:
        return fail(c, UV_E_CARD_UNKNOWN,
                    "the card's identity is of a layout this driver does not know: send the "
                    "card to the utility office");
    }
    if (!served(k->ident.type))
        return fail(c, UV_E_CARD_UNKNOWN,
                    "the card is for meter type %s, which the RF card driver does not serve",
                    k->ident.type);
    return UV_OK;
}

/* A sector of a card whose identity sector opened refuses its own key. */
static int rekeyed(struct rf_ctx *c, unsigned sector)
{
    return fail(c, UV_E_CARD_AUTH,
                "sector %u of the card refuses the key this utility derives for it: the card "
                "was altered; refused — send it to the utility office",
                sector);
}

/* The meter data (sector 3, key A), then the credit (sector 2, key B, which
   stays authenticated for the sale). */
static int card_check(struct rf_ctx *c, struct rf_card *k)
{
    uint8_t md[2 * RF_BLOCK], credit[3 * RF_BLOCK], msg[RF_MSG_MAX];
    uint8_t addr = 0;
    int rc;
    if ((rc = open_sector(c, k, RF_SEC_MDATA, 0)) != UV_OK ||
        (rc = read_blocks(c, RF_BLK_MDATA, 2, md)) != UV_OK)
        return rc == UV_E_CARD_AUTH ? rekeyed(c, RF_SEC_MDATA) : rc;
    int m = rf_mdata_parse(md, &k->md);
    if (m == 0) {
        size_t n = rf_mdata_msg(k->uid, k->uid_len, md, msg);
        rc = ks_check(&c->keys, ROLE_MAC, k->uid, k->uid_len, msg, n, md + RF_BLOCK,
                             RF_MAC_LEN);
        if (rc != UV_OK && rc != UV_E_TOKEN_AUTH)
            return key_fail(c, rc);
        k->has_mdata = rc == UV_OK;
    }
    k->mdata_bad = m < 0 || (m == 0 && !k->has_mdata);
    if ((rc = open_sector(c, k, RF_SEC_CREDIT, 1)) != UV_OK ||
        (rc = read_blocks(c, RF_BLK_VALUE, 3, credit)) != UV_OK)
        return rc == UV_E_CARD_AUTH ? rekeyed(c, RF_SEC_CREDIT) : rc;
    memcpy(k->value_block, credit, RF_BLOCK);
    if (rf_value_parse(k->value_block, &k->value, &addr) != 0 || k->value < 0)
        return fail(c, UV_E_VERIFY,
                    "the card's credit value block is damaged (its copies disagree): send the "
                    "card to the utility office");
    for (unsigned i = 0; i < 2; i++) {
        const uint8_t *rec = credit + (1 + i) * RF_BLOCK;
        struct rf_record r;
        rf_record_parse(rec, &r);
        size_t n = rf_record_msg(k->uid, k->uid_len, k->id, rec, k->value_block, msg);
        rc = ks_check(&c->keys, ROLE_MAC, k->uid, k->uid_len, msg, n, r.mac, RF_MAC_LEN);
        if (rc == UV_E_TOKEN_AUTH)
            continue;
        if (rc != UV_OK)
            return key_fail(c, rc);
        if (k->best_blk == 0 || r.counter > k->best.counter) {
            k->best = r;
            k->best_blk = RF_BLK_REC0 + i;
        }
    }
    if (k->best_blk == 0)
        return fail(c, UV_E_CARD_AUTH,
                    "the card's credit record fails its MAC under this utility's key: the card "
                    "was altered or forged (its sector keys may have been broken); refused — "
                    "send it to the utility office");
    return UV_OK;
}

static void fill_identity(const struct rf_card *k, struct uv_medium_info *info)
{
    snprintf(info->meter_number, sizeof info->meter_number, "%s", k->ident.meter);
    snprintf(info->type_code, sizeof info->type_code, "%s", k->ident.type);
    ct_hex(k->uid, k->uid_len, info->card_serial);
}

static void fill_checked(const struct rf_card *k, struct uv_medium_info *info)
{
    char md[96] = "no meter data yet";
    info->last_sequence = k->best.sequence;
    info->pending_amount = (uint64_t)k->value;
    info->pending_kind = k->ident.kind;
    info->flags = UV_INFO_PENDING;
    if (k->has_mdata) {
        info->flags |= UV_INFO_METER_DATA;
        info->meter_remaining = k->md.remaining;
        info->meter_tamper = k->md.tamper;
        snprintf(md, sizeof md, "meter reports %u %s left%s", k->md.remaining,
                 ct_unit(k->ident.kind), k->md.tamper ? ", TAMPER flags set" : "");
    } else if (k->mdata_bad) {
        snprintf(md, sizeof md, "meter data fails its MAC (ignored)");
    }
    snprintf(info->summary, sizeof info->summary,
             "RF card %s, meter %s: purchase %u, %d %s not yet in the meter; %s",
             info->card_serial, k->ident.meter, k->best.counter, (int)k->value,
             ct_unit(k->ident.kind), md);
}

static int rf_read_medium(void *ctx, struct uv_medium_info *info)
{
    struct rf_ctx *c = ctx;
    struct rf_card k;
    if (c == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    c->err[0] = '\0';
    int rc = card_identify(c, &k, 0);
    if (rc != UV_OK)
        return rc;
    fill_identity(&k, info);
    snprintf(info->summary, sizeof info->summary, "RF card %s for meter %s (%s)",
             info->card_serial, k.ident.meter, k.ident.type);
    snprintf(c->armed, sizeof c->armed, "%s", k.ident.meter);
    return UV_OK;
}

/* Everything short of writing; on UV_OK the credit sector is open with key B. */
static int card_open_for_sale(struct rf_ctx *c, const struct uv_meter *meter, struct rf_card *k,
                              struct uv_medium_info *info)
{
    struct cst st;
    if (meter == NULL || meter->struct_size < sizeof *meter || meter->number == NULL ||
        meter->type_code == NULL || (meter->state == NULL && meter->state_len != 0))
        return fail(c, UV_E_ARG, "no meter given");
    if (!served(meter->type_code))
        return fail(c, UV_E_PARAM, "type code %.16s is not an RF card type", meter->type_code);
    if (meter->state_len != 0 && cst_decode(meter->state, meter->state_len, &st) != 0)
        return fail(c, UV_E_STATE, "the stored card state of meter %.31s is damaged",
                    meter->number);
    int rc = card_identify(c, k, 1);
    if (rc != UV_OK)
        return rc;
    if (info)
        fill_identity(k, info);
    if (strcmp(k->ident.meter, meter->number) != 0 || strcmp(k->ident.type, meter->type_code) != 0)
        return fail(c, UV_E_VERIFY, "the card is for meter %s (%s), not meter %.31s (%.16s)",
                    k->ident.meter, k->ident.type, meter->number, meter->type_code);
    if ((rc = card_check(c, k)) != UV_OK)
        return rc;
    if (info)
        fill_checked(k, info);
    if (meter->state_len != 0 && st.serial_len == k->uid_len &&
        memcmp(st.serial, k->uid, k->uid_len) == 0 && k->best.counter < st.counter)
        return fail(c, UV_E_REPLAY,
                    "the card carries purchase %u, but this kiosk wrote purchase %u to it: the "
                    "card was restored from an older copy; refused — send it to the utility "
                    "office",
                    k->best.counter, st.counter);
    return UV_OK;
}

static int rf_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct rf_ctx *c = ctx;
    struct rf_card k;
    if (c == NULL)
        return UV_E_ARG;
    c->err[0] = '\0';
    if (info && info->struct_size < sizeof *info)
        return fail(c, UV_E_ARG, "medium info too small");
    int armed = meter && meter->number && strcmp(c->armed, meter->number) == 0;
    c->armed[0] = '\0';
    if (armed)
        return card_open_for_sale(c, meter, &k, info);
    /* no card of this meter was read (the meter is being added): its keys
       must be there; the card is checked when it is inserted */
    if (meter == NULL || meter->struct_size < sizeof *meter || meter->number == NULL ||
        meter->type_code == NULL || (meter->state == NULL && meter->state_len != 0))
        return fail(c, UV_E_ARG, "no meter given");
    if (!served(meter->type_code))
        return fail(c, UV_E_PARAM, "type code %.16s is not an RF card type", meter->type_code);
    struct cst st;
    if (meter->state_len != 0 && cst_decode(meter->state, meter->state_len, &st) != 0)
        return fail(c, UV_E_STATE, "the stored card state of meter %.31s is damaged",
                    meter->number);
    int rc = ks_ready(&c->keys, 2);
    if (rc != UV_OK)
        return key_fail(c, rc);
    if (info)
        snprintf(info->summary, sizeof info->summary,
                 "RF card meter (keys in the %s); its card is checked when inserted",
                 c->keys.sam ? "SAM" : "key store");
    return UV_OK;
}

/* A pulled card: which step it reached decides what the clerk is told. */
static int pulled(struct rf_ctx *c, int step, unsigned counter, uint64_t sequence)
{
    static const char *const when[] = {"before the credit was written",
                                       "while the credit was being written",
                                       "just after the credit was written"};
    return fail(c, UV_E_MEDIUM_ABSENT,
                "the card was taken away %s: the sale is not recorded; hold the card to the "
                "reader again — the kiosk checks whether purchase %u (receipt %llu) reached it",
                when[step], counter, (unsigned long long)sequence);
}

static int rf_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct rf_ctx *c = ctx;
    struct rf_card k;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->err[0] = '\0';
    if (req->amount == 0 || req->amount > INT32_MAX)
        return fail(c, UV_E_AMOUNT_RANGE, "a card purchase is 1 to %d units", INT32_MAX);
    if (req->sequence > RF_SEQUENCE_MAX)
        return fail(c, UV_E_ARG, "receipt number %llu does not fit the card record",
                    (unsigned long long)req->sequence);
    int rc = card_open_for_sale(c, meter, &k, NULL);
    if (rc != UV_OK)
        return rc;
    if (k.value != 0)
        return fail(c, UV_E_VERIFY,
                    "the card still carries %d %s the meter has not taken (purchase %u): the "
                    "customer must hold the card to the meter first",
                    (int)k.value, ct_unit(k.ident.kind), k.best.counter);
    if (req->kind != k.ident.kind)
        return fail(c, UV_E_UNSUPPORTED, "the card carries %s credit, not %s",
                    ct_unit(k.ident.kind), ct_unit(req->kind));
    if (k.best.counter >= RF_COUNTER_MAX)
        return fail(c, UV_E_VERIFY, "the card's purchase counter is used up: issue a new card");
    struct rf_record r = {.counter = (uint16_t)(k.best.counter + 1), .sequence = req->sequence};
    uint8_t value[RF_BLOCK], rec[RF_BLOCK], msg[RF_MSG_MAX], back[RF_BLOCK];
    rf_value_encode((int32_t)req->amount, RF_BLK_VALUE, value);
    rf_record_encode(&r, rec);
    size_t n = rf_record_msg(k.uid, k.uid_len, k.id, rec, value, msg);
    if ((rc = ks_mac(&c->keys, ROLE_MAC, k.uid, k.uid_len, msg, n, rec + 8,
                            RF_MAC_LEN)) != UV_OK)
        return key_fail(c, rc);
    unsigned slot = k.best_blk == RF_BLK_REC0 ? RF_BLK_REC1 : RF_BLK_REC0;
    struct rf_io io = {c->svc, c->host, c->err};
    /* the record first, then the value block that puts it in force */
    if ((rc = rfio_write(&io, slot, rec)) != UV_OK)
        return rc == UV_E_MEDIUM_ABSENT ? pulled(c, 0, r.counter, req->sequence) : rc;
    if ((rc = rfio_write(&io, RF_BLK_VALUE, value)) != UV_OK)
        return rc == UV_E_MEDIUM_ABSENT ? pulled(c, 1, r.counter, req->sequence) : rc;
    if ((rc = rfio_read(&io, slot, back)) != UV_OK || memcmp(back, rec, RF_BLOCK) != 0 ||
        (rc = rfio_read(&io, RF_BLK_VALUE, back)) != UV_OK || memcmp(back, value, RF_BLOCK) != 0)
        return rc == UV_E_MEDIUM_ABSENT ? pulled(c, 2, r.counter, req->sequence)
               : rc != UV_OK           ? rc
                                       : fail(c, UV_E_MEDIUM_IO,
                                              "the card did not keep what was written: send it "
                                              "to the utility office");
    struct cst st = {.serial_len = k.uid_len, .counter = r.counter};
    memcpy(st.serial, k.uid, k.uid_len);
    memset(out->tokens, 0, sizeof out->tokens);
    out->n_tokens = 0;
    out->amount_issued = req->amount;
    out->medium_written = 1;
    snprintf(out->token_id, sizeof out->token_id, "%u", r.counter);
    out->state_len = cst_encode(&st, out->state, sizeof out->state);
    return UV_OK;
}

/* The shared crypto's known answers, then the layout: a value block of 1000
   at address 8 and the access bits 78 77 88 (data: read A|B, write B;
   trailer: key B) as MIFARE Classic codes them. */
static int rf_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    static const uint8_t value_1000[RF_BLOCK] = {0xE8, 0x03, 0x00, 0x00, 0x17, 0xFC,
                                                 0xFF, 0xFF, 0xE8, 0x03, 0x00, 0x00,
                                                 0x08, 0xF7, 0x08, 0xF7};
    static const uint8_t credit_ac[4] = {RF_AC_DATA_WRITE_B, RF_AC_DATA_WRITE_B,
                                         RF_AC_DATA_WRITE_B, RF_AC_TRAILER_B};
    static const uint8_t bits_787788[3] = {0x78, 0x77, 0x88}, transport[3] = {0xFF, 0x07, 0x80};
    uint8_t b[RF_BLOCK], ac[4];
    int32_t v = 0;
    uint8_t addr = 0;
    if (cl_crypto_self_test() != 0)
        return UV_E_SELFTEST;
    rf_value_encode(1000, RF_BLK_VALUE, b);
    if (memcmp(b, value_1000, RF_BLOCK) != 0 || rf_value_parse(b, &v, &addr) != 0 || v != 1000 ||
        addr != RF_BLK_VALUE)
        return UV_E_SELFTEST;
    b[5] ^= 1;
    if (rf_value_parse(b, &v, &addr) == 0)
        return UV_E_SELFTEST;
    rf_access_encode(credit_ac, b);
    if (memcmp(b, bits_787788, 3) != 0 || rf_access_decode(transport, ac) != 0 ||
        ac[0] != RF_AC_DATA_TRANSPORT || ac[3] != RF_AC_TRAILER_A)
        return UV_E_SELFTEST;
    return UV_OK;
}

static const struct uv_driver rf_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "rfcard",
    .vendor = "univend",
    .version = "1.0.0",
    .description = "contactless MIFARE Classic 1K style card (per-card sector keys, value block, "
                   "CMAC-protected credit record)",
    .media = UV_MEDIUM_RF_CARD,
    .type_codes = rf_type_codes,
    .open = rf_open,
    .close = rf_close,
    .verify = rf_verify,
    .read_medium = rf_read_medium,
    .issue_credit = rf_issue_credit,
    .issue_mgmt = NULL,
    .decode_token = NULL,
    .strerror = drv_strerror,
    .last_error = rf_last_error,
    .self_test = rf_self_test,
    .atr_patterns = rf_atr_patterns,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &rf_driver : NULL;
}
