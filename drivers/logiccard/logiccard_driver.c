/*
 * logiccard_driver.c — univend driver for prepaid meters fed by a
 * logic-encryption memory card (SLE4442 style: a 3-byte programmable
 * security code (PSC) guards every write, and an error counter of 3 tries
 * locks the card for good when it runs out).
 *
 * Medium: logic card. Type code: LOGIC-4442. Card layout: logic_layout.h.
 *
 * verify() checks the card when read_medium() has just read a card of that
 * meter in this context (the host's card sale does: read_medium, then
 * verify); otherwise (a meter being added) it checks that the key is there.
 * issue_credit() always checks the card in the reader itself.
 *
 * What the driver does with a card, in order, and never otherwise:
 *   1. reads the security code counter first (VERIFY without data);
 *   2. reads the memory and the identity (serial, type code, meter number);
 *   3. checks the MAC of both credit-record slots and of the meter data
 *      under the card key (derived from the master key and the card serial;
 *      in the key store or a SAM): a card with no valid record was not
 *      issued under this utility's key, or was altered — refused
 *      (UV_E_CARD_AUTH) before its security code is ever tried;
 *   4. refuses a card whose counter is older than the one this kiosk last
 *      wrote to it (uv_meter.state): a restored copy (UV_E_REPLAY);
 *   5. with the counter at 0 or 1, stops: UV_E_CARD_LOCKED, telling the
 *      clerk to send the card to the utility office — the driver never
 *      spends the last try;
 *   6. presents the card's own PSC (CMAC of "UVPSC" under the card key),
 *      so a wrong code costs at most one try and never locks a card.
 *   verify() reports the credit still on the card (pending_amount) and the
 *   receipt that put it there (last_sequence), so the host can settle a
 *   write it did not see confirmed. issue_credit() does all that again on
 *   the card in the reader, refuses a card still carrying credit the meter
 *   has not taken (adding to it would let a card restored from a copy have
 *   the same credit loaded twice), writes the new record (counter + 1) to
 *   the slot not holding the current one, reads it back, and only then
 *   reports medium_written = 1 with the new counter as the meter state.
 *
 * Driver options (univend.conf driver.logiccard.NAME = value):
 *   keys      store (default) or sam
 *   alg       aes (default), 3des or sm4: the master key's cipher (store)
 *   key       key store reference of the 16-byte master key
 *             (default logiccard:master)
 *   sam_slot  the SAM key slot holding the master key (default 1)
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
#include "logic_io.h"
#include "logic_layout.h"

#define LC_TYPE_CODE "LOGIC-4442"
#define LC_AMOUNT_MAX UINT64_C(0xFFFFFFFF)

struct lc_ctx {
    const struct uv_host_services *svc;
    void *host;
    struct ks_source keys;
    char armed[32]; /* the meter of the card read_medium() read, for verify() */
    char err[CIO_ERR_MAX];
};

/* What the driver read and checked of the card in the reader. */
struct lc_card {
    uint8_t mem[LC_USED];
    struct lc_identity id;
    int tries;              /* security code tries left, or LCIO_PRESENTED */
    struct lc_record best;  /* the newest record whose MAC holds            */
    unsigned best_at;       /* its slot's address                           */
    int has_mdata;          /* the meter's data, MAC checked                */
    struct lc_mdata md;
};

static const char *const lc_type_codes[] = {LC_TYPE_CODE, NULL};

/* The ATR a PC/SC reader builds for the card (logic_layout.h), and the
   chip's own synchronous ATR as some readers pass it on (3B 04 + A2 13 10 91). */
static const struct uv_atr_pattern lc_atr_patterns[] = {
    {"3B8F8001804F0CA0000003060F00000000000067", NULL},
    {"3B04A2131091", NULL},
    {NULL, NULL},
};

static const char *drv_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_FAILED: return "failed";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_ARG: return "invalid argument";
    case UV_E_UNSUPPORTED: return "not a logic-encryption card of this driver";
    case UV_E_BUFFER_TOO_SMALL: return "buffer too small";
    case UV_E_PARAM: return "driver option or meter parameter invalid";
    case UV_E_METER_ID: return "meter number invalid";
    case UV_E_KEY_MISSING: return "card master key not available";
    case UV_E_KEY_INVALID: return "card master key unusable";
    case UV_E_AMOUNT_RANGE: return "amount cannot be written to the card";
    case UV_E_VERIFY: return "the card cannot be sold to";
    case UV_E_MEDIUM_ABSENT: return "no card, or the card was taken out";
    case UV_E_MEDIUM_IO: return "card reader or card failure";
    case UV_E_STATE: return "stored card state is damaged";
    case UV_E_CRYPTO: return "crypto library failure";
    case UV_E_SELFTEST: return "logic card driver self test failed";
    case UV_E_CARD_UNKNOWN: return "card not issued for this driver, or not personalised";
    case UV_E_CARD_AUTH: return "card authentication failed: forged, altered or copied card";
    case UV_E_REPLAY: return "card restored from an older copy (replayed purchase record)";
    case UV_E_CARD_LOCKED: return "card security code blocked or at its last try";
    default: return "unknown logic card driver error";
    }
}

static int fail(struct lc_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail(struct lc_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err, sizeof c->err, fmt, ap);
    va_end(ap);
    return rc;
}

/* A key source failure, with its detail. */
static int key_fail(struct lc_ctx *c, int rc)
{
    if (rc == UV_E_TOKEN_AUTH)
        return rc;
    snprintf(c->err, sizeof c->err, "%s", c->keys.err);
    return rc;
}

static int lc_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    if (svc == NULL || ctx == NULL || svc->struct_size < offsetof(struct uv_host_services, wipe) +
                                                             sizeof svc->wipe ||
        svc->wipe == NULL || (config == NULL && n_config != 0))
        return UV_E_ARG;
    struct lc_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    c->keys.svc = svc;
    c->keys.host = host;
    c->keys.alg = CARDKEY_AES;
    c->keys.slot[0] = 1;
    snprintf(c->keys.ref[0], sizeof c->keys.ref[0], "logiccard:master");
    int rc = UV_OK;
    for (size_t i = 0; i < n_config && rc == UV_OK; i++) {
        const char *name = config[i].name ? config[i].name : "", *value = config[i].value;
        if (ks_option(&c->keys, name, value, &rc))
            continue;
        if (strcmp(name, "key") == 0 && value && value[0] && strlen(value) < KS_REF_MAX)
            snprintf(c->keys.ref[0], sizeof c->keys.ref[0], "%s", value);
        else if (strcmp(name, "sam_slot") == 0 && ks_parse_slot(value, &c->keys.slot[0]) == 0)
            continue;
        else
            rc = cio_fail(c->keys.err, UV_E_PARAM,
                          "driver option '%s': the logic card driver takes keys (store|sam), "
                          "alg (aes|3des|sm4), key (a key reference) and sam_slot (1-15)",
                          name);
    }
    if (rc != UV_OK) {
        if (svc->log)
            svc->log(host, UV_LOG_ERROR, c->keys.err);
        free(c);
        return rc;
    }
    *ctx = c;
    return UV_OK;
}

static void lc_close(void *ctx)
{
    struct lc_ctx *c = ctx;
    if (c == NULL)
        return;
    c->svc->wipe(c, sizeof *c);
    free(c);
}

static const char *lc_last_error(void *ctx)
{
    return ctx ? ((struct lc_ctx *)ctx)->err : "";
}

static int served(const char *type)
{
    for (size_t i = 0; lc_type_codes[i]; i++)
        if (strcmp(type, lc_type_codes[i]) == 0)
            return 1;
    return 0;
}

/* Steps 1 and 2: the counter of tries, the memory, the identity. */
static int card_read(struct lc_ctx *c, struct lc_card *k)
{
    struct lc_io io = {c->svc, c->host, c->err};
    memset(k, 0, sizeof *k);
    if (!cio_has_channel(c->svc))
        return fail(c, UV_E_UNSUPPORTED, "this kiosk has no card readers configured");
    int rc = c->svc->card_connect(c->host, UV_SLOT_USER);
    if (rc != UV_OK)
        return cio_transport_fail(c->err, rc, "it was being connected");
    if ((rc = lcio_tries(&io, &k->tries)) != UV_OK)
        return rc == UV_E_MEDIUM_IO ? fail(c, UV_E_UNSUPPORTED,
                                           "the card has no security code counter: it is not "
                                           "a logic-encryption card")
                                    : rc;
    if ((rc = lcio_read(&io, 0, LC_USED, k->mem)) != UV_OK)
        return rc;
    switch (lc_identity_parse(k->mem, sizeof k->mem, &k->id)) {
    case LC_ID_OK: break;
    case LC_ID_NOT_OURS:
        return fail(c, UV_E_UNSUPPORTED,
                    "this logic card carries no univend identity: a blank card or another "
                    "system's card");
    default:
        return fail(c, UV_E_CARD_UNKNOWN,
                    "the card's identity block is of a layout this driver does not know: "
                    "send the card to the utility office");
    }
    if (!served(k->id.type))
        return fail(c, UV_E_CARD_UNKNOWN,
                    "the card is for meter type %s, which the logic card driver does not serve",
                    k->id.type);
    return UV_OK;
}

/* Step 3: the newest record whose MAC holds, and the meter data. */
static int card_check(struct lc_ctx *c, struct lc_card *k)
{
    static const unsigned slots[2] = {LC_OFF_REC0, LC_OFF_REC1};
    uint8_t msg[LC_MSG_MAX];
    for (int i = 0; i < 2; i++) {
        struct lc_record r;
        const uint8_t *rec = k->mem + slots[i];
        if (lc_record_parse(rec, &r) != 0)
            continue;
        size_t n = lc_mac_msg("UVCR", k->mem, rec, msg);
        int rc = ks_check(&c->keys, 0, k->id.serial, k->id.serial_len, msg, n, r.mac,
                                 LC_MAC_LEN);
        if (rc == UV_E_TOKEN_AUTH)
            continue;
        if (rc != UV_OK)
            return key_fail(c, rc);
        if (k->best_at == 0 || r.counter > k->best.counter) {
            k->best = r;
            k->best_at = slots[i];
        }
    }
    if (k->best_at == 0)
        return fail(c, UV_E_CARD_AUTH,
                    "the card's credit record fails its MAC under this utility's key: the card "
                    "was altered, forged, or issued under another key (a copy); refused — send "
                    "it to the utility office");
    const uint8_t *mdb = k->mem + LC_OFF_MDATA;
    if (lc_mdata_parse(mdb, &k->md) == 0) {
        size_t n = lc_mac_msg("UVMD", k->mem, mdb, msg);
        int rc = ks_check(&c->keys, 0, k->id.serial, k->id.serial_len, msg, n, k->md.mac,
                                 LC_MAC_LEN);
        if (rc != UV_OK && rc != UV_E_TOKEN_AUTH)
            return key_fail(c, rc);
        k->has_mdata = rc == UV_OK;
    }
    return UV_OK;
}

static void fill_identity(const struct lc_card *k, struct uv_medium_info *info)
{
    snprintf(info->meter_number, sizeof info->meter_number, "%s", k->id.meter);
    snprintf(info->type_code, sizeof info->type_code, "%s", k->id.type);
    ct_hex(k->id.serial, k->id.serial_len, info->card_serial);
}

static void fill_checked(const struct lc_card *k, struct uv_medium_info *info)
{
    char md[96] = "no meter data yet";
    info->last_sequence = k->best.sequence;
    info->pending_amount = k->best.amount;
    info->pending_kind = k->id.kind;
    info->flags = UV_INFO_PENDING;
    if (k->has_mdata) {
        info->flags |= UV_INFO_METER_DATA;
        info->meter_remaining = k->md.remaining;
        info->meter_tamper = k->md.tamper;
        snprintf(md, sizeof md, "meter reports %llu %s left%s",
                 (unsigned long long)k->md.remaining, ct_unit(k->id.kind),
                 k->md.tamper ? ", TAMPER flags set" : "");
    } else if (k->mem[LC_OFF_MDATA] != 0) {
        snprintf(md, sizeof md, "meter data fails its MAC (ignored)");
    }
    snprintf(info->summary, sizeof info->summary,
             "logic card %s, meter %s: purchase %u, %llu %s not yet in the meter; %s",
             info->card_serial, k->id.meter, k->best.counter, (unsigned long long)k->best.amount, ct_unit(k->id.kind),
             md);
}

static int lc_read_medium(void *ctx, struct uv_medium_info *info)
{
    struct lc_ctx *c = ctx;
    struct lc_card k;
    if (c == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    c->err[0] = '\0';
    int rc = card_read(c, &k);
    if (rc != UV_OK)
        return rc;
    fill_identity(&k, info);
    snprintf(info->summary, sizeof info->summary, "logic card %s for meter %s (%s)",
             info->card_serial, k.id.meter, k.id.type);
    snprintf(c->armed, sizeof c->armed, "%s", k.id.meter);
    return UV_OK;
}

/* Steps 1 to 6 (see the top of this file); on UV_OK the card in the reader
   has accepted its security code and k holds what it carries. */
static int card_open_for_sale(struct lc_ctx *c, const struct uv_meter *meter, struct lc_card *k,
                              struct uv_medium_info *info)
{
    struct cst st;
    if (meter == NULL || meter->struct_size < sizeof *meter || meter->number == NULL ||
        meter->type_code == NULL || (meter->state == NULL && meter->state_len != 0))
        return fail(c, UV_E_ARG, "no meter given");
    if (!served(meter->type_code))
        return fail(c, UV_E_PARAM, "type code %.16s is not a logic card type", meter->type_code);
    if (meter->state_len != 0 && cst_decode(meter->state, meter->state_len, &st) != 0)
        return fail(c, UV_E_STATE, "the stored card state of meter %.31s is damaged",
                    meter->number);
    int rc = card_read(c, k);
    if (rc != UV_OK)
        return rc;
    if (info)
        fill_identity(k, info);
    if (strcmp(k->id.meter, meter->number) != 0 || strcmp(k->id.type, meter->type_code) != 0)
        return fail(c, UV_E_VERIFY, "the card is for meter %s (%s), not meter %.31s (%.16s)",
                    k->id.meter, k->id.type, meter->number, meter->type_code);
    if ((rc = card_check(c, k)) != UV_OK)
        return rc;
    if (info)
        fill_checked(k, info);
    if (k->tries == 0)
        return fail(c, UV_E_CARD_LOCKED,
                    "the card's security code is blocked for good: nothing can be written to "
                    "it; send the card to the utility office for a new one");
    if (k->tries == 1)
        return fail(c, UV_E_CARD_LOCKED,
                    "the card has only the last try of its security code left; the kiosk will "
                    "not risk locking it: send the card to the utility office");
    if (meter->state_len != 0 && st.serial_len == k->id.serial_len &&
        memcmp(st.serial, k->id.serial, st.serial_len) == 0 && k->best.counter < st.counter)
        return fail(c, UV_E_REPLAY,
                    "the card carries purchase %u, but this kiosk wrote purchase %u to it: the "
                    "card was restored from an older copy; refused — send it to the utility "
                    "office",
                    k->best.counter, st.counter);
    if (k->tries == LCIO_PRESENTED)
        return UV_OK;
    uint8_t psc[CARDKEY_MAC_MAX];
    struct lc_io io = {c->svc, c->host, c->err};
    rc = ks_mac(&c->keys, 0, k->id.serial, k->id.serial_len,
                       (const uint8_t *)LC_PSC_MSG, strlen(LC_PSC_MSG), psc, LC_PSC_LEN);
    if (rc != UV_OK)
        return key_fail(c, rc);
    int left = -1;
    rc = lcio_present(&io, psc, &left);
    c->svc->wipe(psc, sizeof psc);
    if (rc == UV_E_CARD_AUTH)
        return fail(c, UV_E_CARD_AUTH,
                    "the card refused the security code this kiosk derives for it (%d tries "
                    "left): it was not issued under this utility's key, or its code was "
                    "changed; refused — send it to the utility office",
                    left);
    return rc;
}

static int lc_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct lc_ctx *c = ctx;
    struct lc_card k;
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
        return fail(c, UV_E_PARAM, "type code %.16s is not a logic card type", meter->type_code);
    struct cst st;
    if (meter->state_len != 0 && cst_decode(meter->state, meter->state_len, &st) != 0)
        return fail(c, UV_E_STATE, "the stored card state of meter %.31s is damaged",
                    meter->number);
    int rc = ks_ready(&c->keys, 1);
    if (rc != UV_OK)
        return key_fail(c, rc);
    if (info)
        snprintf(info->summary, sizeof info->summary,
                 "logic card meter (keys in the %s); its card is checked when inserted",
                 c->keys.sam ? "SAM" : "key store");
    return UV_OK;
}

static int lc_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct lc_ctx *c = ctx;
    struct lc_card k;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->err[0] = '\0';
    if (req->amount == 0 || req->amount > LC_AMOUNT_MAX)
        return fail(c, UV_E_AMOUNT_RANGE, "a card purchase is 1 to %llu units",
                    (unsigned long long)LC_AMOUNT_MAX);
    int rc = card_open_for_sale(c, meter, &k, NULL);
    if (rc != UV_OK)
        return rc;
    if (k.best.amount != 0)
        return fail(c, UV_E_VERIFY,
                    "the card still carries %llu %s the meter has not taken (purchase %u): the "
                    "customer must put the card in the meter first",
                    (unsigned long long)k.best.amount, ct_unit(k.id.kind), k.best.counter);
    if (req->kind != k.id.kind)
        return fail(c, UV_E_UNSUPPORTED, "the card carries %s credit, not %s", ct_unit(k.id.kind),
                    ct_unit(req->kind));
    if (k.best.counter == UINT32_MAX)
        return fail(c, UV_E_VERIFY, "the card's purchase counter is used up: issue a new card");
    struct lc_record r = {.flags = 0, .counter = k.best.counter + 1, .sequence = req->sequence,
                          .amount = req->amount};
    uint8_t rec[LC_REC_LEN], msg[LC_MSG_MAX];
    lc_record_encode(&r, rec);
    size_t n = lc_mac_msg("UVCR", k.mem, rec, msg);
    if ((rc = ks_mac(&c->keys, 0, k.id.serial, k.id.serial_len, msg, n, rec + 24,
                            LC_MAC_LEN)) != UV_OK)
        return key_fail(c, rc);
    unsigned at = k.best_at == LC_OFF_REC0 ? LC_OFF_REC1 : LC_OFF_REC0;
    struct lc_io io = {c->svc, c->host, c->err};
    int reached = 0;
    rc = lcio_write(&io, at, rec, sizeof rec, &reached);
    if (rc == UV_E_MEDIUM_ABSENT)
        return fail(c, rc,
                    "the card was taken out %s the credit was written: the sale is not "
                    "recorded; put the card back — the kiosk checks whether purchase %u "
                    "(receipt %llu) reached it",
                    reached ? "just after" : "while", r.counter,
                    (unsigned long long)req->sequence);
    if (rc != UV_OK)
        return rc;
    struct cst st = {.serial_len = k.id.serial_len, .counter = r.counter};
    memcpy(st.serial, k.id.serial, k.id.serial_len);
    memset(out->tokens, 0, sizeof out->tokens);
    out->n_tokens = 0;
    out->amount_issued = req->amount;
    out->medium_written = 1;
    snprintf(out->token_id, sizeof out->token_id, "%u", r.counter);
    out->state_len = cst_encode(&st, out->state, sizeof out->state);
    return UV_OK;
}

/* The shared crypto's known answers, then the layout. */
static int lc_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    static const uint8_t serial[7] = {1, 2, 3, 4, 5, 6, 7};
    if (cl_crypto_self_test() != 0)
        return UV_E_SELFTEST;
    /* the layout: an identity and a record survive encoding */
    uint8_t mem[LC_MEM_SIZE] = {0}, rec[LC_REC_LEN];
    struct lc_identity id = {.serial_len = 7, .kind = 0, .type = LC_TYPE_CODE, .meter = "M-1"},
                       back;
    struct lc_record r = {.counter = 7, .sequence = 42, .amount = 1000}, r2;
    memcpy(id.serial, serial, sizeof serial);
    lc_record_encode(&r, rec);
    if (lc_identity_encode(&id, mem) != 0 || lc_identity_parse(mem, sizeof mem, &back) != 0 ||
        strcmp(back.meter, "M-1") != 0 || back.serial_len != 7 || lc_record_parse(rec, &r2) != 0 ||
        r2.counter != 7 || r2.sequence != 42 || r2.amount != 1000)
        return UV_E_SELFTEST;
    return UV_OK;
}

static const struct uv_driver lc_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "logiccard",
    .vendor = "univend",
    .version = "1.0.0",
    .description = "logic-encryption memory card (SLE4442 style: security code, 3 tries, CMAC-"
                   "protected credit record)",
    .media = UV_MEDIUM_LOGIC_CARD,
    .type_codes = lc_type_codes,
    .open = lc_open,
    .close = lc_close,
    .verify = lc_verify,
    .read_medium = lc_read_medium,
    .issue_credit = lc_issue_credit,
    .issue_mgmt = NULL,
    .decode_token = NULL,
    .strerror = drv_strerror,
    .last_error = lc_last_error,
    .self_test = lc_self_test,
    .atr_patterns = lc_atr_patterns,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &lc_driver : NULL;
}
