/*
 * memcard_driver.c — univend driver for plain memory cards (an EEPROM card
 * with no protection of its own, read and written through the reader's
 * storage-card commands). Layout: memcard_card.h.
 *
 * Medium: memory card. Type codes: MEM-A1, MEM-A2.
 *
 * Settings (univend.conf, driver.memcard.NAME), read by drivers/cardlib's
 * key source:
 *   keys      store (default): the master key is in the kiosk's key store;
 *             the card key is derived from it and the card's serial
 *             (docs/cards.md) and wiped after each use.
 *             sam: the master key is in a SAM in UV_SLOT_SAM (sam_reader),
 *             which computes and checks every MAC; no key enters kiosk memory
 *   key       key store reference of the utility's 16-byte master key
 *             (default memcard:master)
 *   alg       aes (default), 3des or sm4: derivation and CMAC (store; a SAM
 *             slot carries its own)
 *   sam_slot  the SAM key slot holding the master key (default 1); it must
 *             allow DERIVE-MAC
 * Meter parameters: none.
 *
 * The card protects nothing itself: a MAC under the card key covers the
 * identification (serial, meter, type code), the credit record and the
 * meter's report, and the credit record's counter is shadowed in the
 * kiosk's store (uv_meter.state), so:
 *   another serial or key (a clone)       -> UV_E_CARD_AUTH
 *   a credit record altered               -> UV_E_VERIFY
 *   a counter older than the kiosk wrote  -> UV_E_REPLAY (copied or rolled back)
 *   not our layout                        -> UV_E_UNSUPPORTED (read_medium)
 *
 * Card session: read_medium() reads the identification and arms the
 * session for that card's meter; verify() for that meter reads the card
 * again and authenticates it (verify() for any other meter, as when the
 * meter is added, checks only that the master key is in the key store, or
 * with keys = sam nothing: the SAM is asked with the card); issue_credit()
 * needs that verification, writes the credit record in one UPDATE BINARY
 * and reads it back: medium_written = 1 only when what it reads is what it
 * wrote. Credit the meter has not taken yet stays on the card: the new
 * credit is added to it.
 *
 * Per-meter state, 12 bytes: version 1, the card's serial (7), the counter
 * this kiosk wrote last (4, big endian).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cardkey/cardkey.h"
#include "../cardlib/cardio.h"
#include "../cardlib/keysource.h"
#include "../univend_driver.h"
#include "memcard_card.h"

struct mc_ctx {
    const struct uv_host_services *svc;
    void *host;
    struct ks_source keys;       /* key store or SAM (drivers/cardlib) */
    char last_error[256];
    /* the card session (see the top of this file) */
    int armed;                   /* read_medium() read this card      */
    struct mc_ident id;
    int verified;                /* verify() authenticated it         */
    uint8_t credit_area[MC_CREDIT_LEN]; /* as verify() read it        */
    struct mc_credit credit;
    uint64_t pending;            /* credit not yet taken by the meter */
};

static const char *const mc_type_codes[] = {"MEM-A1", "MEM-A2", NULL};
static const struct uv_atr_pattern mc_atr[] = {{MC_ATR_HEX, MC_ATR_MASK_HEX}, {NULL, NULL}};

static int set_error(struct mc_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_error(struct mc_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *mc_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_FAILED: return "failed";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_ARG: return "invalid argument";
    case UV_E_UNSUPPORTED: return "not a memory card of this layout";
    case UV_E_BUFFER_TOO_SMALL: return "buffer too small";
    case UV_E_PARAM: return "driver setting invalid";
    case UV_E_KEY_MISSING: return "the memory card master key is not in the key store or SAM";
    case UV_E_KEY_INVALID: return "the memory card master key is unusable (not 16 bytes, or a "
                                  "SAM slot that does not allow MACs)";
    case UV_E_AMOUNT_RANGE: return "amount cannot be written to the card";
    case UV_E_VERIFY: return "the card's records do not verify (altered)";
    case UV_E_MEDIUM_ABSENT: return "no card, or the card was removed";
    case UV_E_MEDIUM_IO: return "card or reader communication failed";
    case UV_E_STATE: return "the stored card state is damaged";
    case UV_E_CRYPTO: return "the crypto library failed";
    case UV_E_SELFTEST: return "memory card self test failed";
    case UV_E_CARD_UNKNOWN: return "the card is not personalised for a meter";
    case UV_E_CARD_AUTH: return "the card is not authentic (cloned, or another utility's key)";
    case UV_E_REPLAY: return "the card holds an older credit record than this kiosk wrote "
                             "(copied or rolled back)";
    default: return "unknown memory card driver error";
    }
}

static const char *mc_last_error(void *ctx)
{
    return ctx ? ((struct mc_ctx *)ctx)->last_error : "";
}

static void session_end(struct mc_ctx *c)
{
    c->armed = c->verified = 0;
    c->pending = 0;
    memset(&c->id, 0, sizeof c->id);
    memset(&c->credit, 0, sizeof c->credit);
    memset(c->credit_area, 0, sizeof c->credit_area);
}

static int mc_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    if (svc == NULL || ctx == NULL || svc->struct_size < offsetof(struct uv_host_services, card_readers) ||
        svc->key_get == NULL || svc->wipe == NULL || (config == NULL && n_config))
        return UV_E_ARG;
    struct mc_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    c->keys.svc = svc;
    c->keys.host = host;
    c->keys.alg = CARDKEY_AES;
    c->keys.slot[0] = 1;
    snprintf(c->keys.ref[0], sizeof c->keys.ref[0], "memcard:master");
    int rc = UV_OK;
    for (size_t i = 0; i < n_config && rc == UV_OK; i++) {
        const char *n = config[i].name ? config[i].name : "", *v = config[i].value;
        if (ks_option(&c->keys, n, v, &rc))
            continue;
        if (strcmp(n, "key") == 0 && v && v[0] && strlen(v) < KS_REF_MAX)
            snprintf(c->keys.ref[0], sizeof c->keys.ref[0], "%s", v);
        else if (strcmp(n, "sam_slot") == 0 && ks_parse_slot(v, &c->keys.slot[0]) == 0)
            continue;
        else
            rc = cio_fail(c->keys.err, UV_E_PARAM,
                          "driver option '%s': the memory card driver takes keys (store|sam), "
                          "alg (aes|3des|sm4), key (a key reference) and sam_slot (1-15)",
                          n);
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

static void mc_close(void *ctx)
{
    if (ctx == NULL)
        return;
    struct mc_ctx *c = ctx;
    c->svc->wipe(c, sizeof *c);
    free(c);
}

static int have_channel(const struct mc_ctx *c)
{
    const struct uv_host_services *s = c->svc;
    return s->struct_size >= offsetof(struct uv_host_services, card_disconnect) +
                                 sizeof s->card_disconnect &&
           s->card_connect && s->card_transmit;
}

/* A key source failure, with its detail for the clerk. */
static int key_fail(struct mc_ctx *c, int rc)
{
    return set_error(c, rc, "%s", c->keys.err);
}

/* Where the master key is, for messages: "key memcard:master (aes)" or
   "SAM slot 1". */
static void key_where(const struct mc_ctx *c, char *out, size_t cap)
{
    if (c->keys.sam)
        snprintf(out, cap, "SAM slot %u", c->keys.slot[0]);
    else
        snprintf(out, cap, "key %s (%s)", c->keys.ref[0], cardkey_alg_name(c->keys.alg));
}

/* Check an area's MAC under the card key (store: derived in memory and
   wiped; sam: the SAM computes it): UV_OK it holds, UV_E_TOKEN_AUTH it does
   not, or the key source's failure with its detail in last_error. */
static int mac_check(struct mc_ctx *c, const uint8_t serial[MC_SERIAL_LEN], const uint8_t *in,
                     size_t n, const uint8_t *mac)
{
    int rc = ks_check(&c->keys, 0, serial, MC_SERIAL_LEN, in, n, mac, MC_MAC_LEN);
    return rc == UV_OK || rc == UV_E_TOKEN_AUTH ? rc : key_fail(c, rc);
}

/* One APDU to the customer's card; transport failures keep the host's code. */
static int xfer(struct mc_ctx *c, const uint8_t *cmd, size_t n, uint8_t *resp, size_t *rn,
                const char *doing)
{
    int rc = c->svc->card_transmit(c->host, UV_SLOT_USER, cmd, n, resp, UV_RESPONSE_MAX, rn);
    if (rc != UV_OK)
        return set_error(c, rc, "%s: %s", doing, mc_strerror(rc));
    return UV_OK;
}

static int read_area(struct mc_ctx *c, uint16_t addr, uint8_t len, uint8_t *out)
{
    uint8_t cmd[5], resp[UV_RESPONSE_MAX];
    size_t rn = 0;
    const uint8_t *data;
    int rc = xfer(c, cmd, mc_cmd_read(addr, len, cmd), resp, &rn, "reading the card");
    if (rc != UV_OK)
        return rc;
    unsigned sw = mc_read_answer(resp, rn, len, &data);
    if (data == NULL)
        return set_error(c, UV_E_MEDIUM_IO, "the card refused to be read (status %04X)", sw);
    memcpy(out, data, len);
    return UV_OK;
}

static int mc_read_medium(void *ctx, struct uv_medium_info *info)
{
    struct mc_ctx *c = ctx;
    if (c == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    session_end(c);
    if (!have_channel(c))
        return set_error(c, UV_E_UNSUPPORTED, "the host offers no card channel");
    int rc = c->svc->card_connect(c->host, UV_SLOT_USER);
    if (rc != UV_OK)
        return set_error(c, rc, "connecting to the card: %s", mc_strerror(rc));
    uint8_t area[MC_IDENT_LEN];
    if ((rc = read_area(c, MC_IDENT, MC_IDENT_LEN, area)) != UV_OK)
        return rc;
    int p = mc_ident_parse(area, sizeof area, &c->id);
    if (p == MC_FOREIGN)
        return set_error(c, UV_E_UNSUPPORTED, "not a univend memory card (blank or foreign)");
    if (p != MC_OK)
        return set_error(c, UV_E_CARD_UNKNOWN, "the card's identification area is malformed");
    snprintf(info->meter_number, sizeof info->meter_number, "%s", c->id.meter);
    snprintf(info->type_code, sizeof info->type_code, "%s", c->id.type_code);
    mc_serial_text(c->id.serial, info->card_serial);
    snprintf(info->summary, sizeof info->summary, "memory card %s for meter %s (%s)",
             info->card_serial, c->id.meter, c->id.type_code);
    c->armed = 1;
    return UV_OK;
}

/* The card inserted for this sale, authenticated. */
static int verify_card(struct mc_ctx *c, const struct uv_meter *meter, struct uv_medium_info *info)
{
    uint8_t all[MC_USED], in[MC_MAC_INPUT_MAX];
    struct mc_ident id;
    struct mc_credit cr;
    struct mc_meter mr;
    struct mc_state shadow;
    char serial[2 * MC_SERIAL_LEN + 1], where[KS_REF_MAX + 16];
    int rc = read_area(c, 0, MC_USED, all);
    if (rc != UV_OK)
        return rc;
    if (mc_ident_parse(all + MC_IDENT, MC_IDENT_LEN, &id) != MC_OK ||
        memcmp(id.serial, c->id.serial, MC_SERIAL_LEN) != 0 || strcmp(id.meter, c->id.meter) != 0)
        return set_error(c, UV_E_MEDIUM_ABSENT, "another card is in the reader now");
    mc_serial_text(id.serial, serial);
    if (meter->state_len && mc_state_parse(meter->state, meter->state_len, &shadow) != 0)
        return set_error(c, UV_E_STATE, "the stored state of meter %s is damaged", meter->number);
    /* the identification first: a card of another key is a clone */
    rc = mac_check(c, id.serial, in, mc_ident_mac_input(all + MC_IDENT, in), id.mac);
    if (rc == UV_E_TOKEN_AUTH) {
        key_where(c, where, sizeof where);
        return set_error(c, UV_E_CARD_AUTH,
                         "card %s: its identification does not verify under %s: a cloned card "
                         "or another utility's",
                         serial, where);
    }
    if (rc != UV_OK)
        return rc;
    if (mc_credit_parse(all + MC_CREDIT, MC_CREDIT_LEN, &cr) != MC_OK)
        rc = UV_E_TOKEN_AUTH;
    else
        rc = mac_check(c, id.serial, in, mc_credit_mac_input(all + MC_CREDIT, in), cr.mac);
    if (rc == UV_E_TOKEN_AUTH)
        return set_error(c, UV_E_VERIFY,
                         "card %s: the credit record was altered (its MAC is wrong)", serial);
    if (rc != UV_OK)
        return rc;
    if (meter->state_len && memcmp(shadow.serial, id.serial, MC_SERIAL_LEN) == 0 &&
        cr.counter < shadow.counter)
        return set_error(c, UV_E_REPLAY,
                         "card %s holds credit record %u, but this kiosk wrote record %u to it: "
                         "a copied or rolled-back card",
                         serial, cr.counter, shadow.counter);
    if (mc_meter_parse(all + MC_METER, MC_METER_LEN, &mr) != MC_OK)
        rc = UV_E_TOKEN_AUTH;
    else if (mr.present)
        rc = mac_check(c, id.serial, in, mc_meter_mac_input(all + MC_METER, in), mr.mac);
    if (rc == UV_E_TOKEN_AUTH)
        return set_error(c, UV_E_VERIFY,
                         "card %s: the meter's report was altered (its MAC is wrong)", serial);
    if (rc != UV_OK)
        return rc;
    memcpy(c->credit_area, all + MC_CREDIT, MC_CREDIT_LEN);
    c->credit = cr;
    c->pending = cr.amount && !(mr.present && mr.loaded == cr.sequence) ? cr.amount : 0;
    info->last_sequence = cr.sequence;
    info->pending_kind = UV_CREDIT_ELECTRICITY;
    if (c->pending) {
        info->pending_amount = c->pending;
        info->flags |= UV_INFO_PENDING;
    }
    if (mr.present) {
        info->flags |= UV_INFO_METER_DATA;
        info->meter_remaining = mr.remaining;
        info->meter_tamper = mr.tamper;
    }
    snprintf(info->meter_number, sizeof info->meter_number, "%s", id.meter);
    snprintf(info->type_code, sizeof info->type_code, "%s", id.type_code);
    snprintf(info->card_serial, sizeof info->card_serial, "%s", serial);
    int w = snprintf(info->summary, sizeof info->summary, "memory card %s, record %u", serial,
                     cr.counter);
    if (c->pending && w > 0 && (size_t)w < sizeof info->summary)
        w += snprintf(info->summary + w, sizeof info->summary - (size_t)w,
                      ", %llu.%llu kWh not yet in the meter",
                      (unsigned long long)(c->pending / 1000),
                      (unsigned long long)(c->pending % 1000 / 100));
    if (mr.present && mr.tamper && w > 0 && (size_t)w < sizeof info->summary)
        snprintf(info->summary + w, sizeof info->summary - (size_t)w,
                 ", meter reports tamper:%s%s%s", mr.tamper & MC_TAMPER_COVER ? " cover" : "",
                 mr.tamper & MC_TAMPER_MAGNET ? " magnet" : "",
                 mr.tamper & MC_TAMPER_BYPASS ? " bypass" : "");
    c->verified = 1;
    return UV_OK;
}

static int mc_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct mc_ctx *c = ctx;
    if (c == NULL || meter == NULL || info == NULL || info->struct_size < sizeof *info ||
        meter->number == NULL)
        return c ? set_error(c, UV_E_ARG, "verify needs a meter and an info output") : UV_E_ARG;
    c->verified = 0;
    if (c->armed && strcmp(meter->number, c->id.meter) == 0 && have_channel(c))
        return verify_card(c, meter, info);
    /* no card of this meter in the reader (the meter is being added): the
       master key must be there (in sam mode the SAM is asked with a card) */
    int rc = ks_ready(&c->keys, 1);
    if (rc != UV_OK)
        return key_fail(c, rc);
    if (meter->state_len && meter->state_len != MC_STATE_LEN)
        return set_error(c, UV_E_STATE, "the stored state of meter %s is damaged", meter->number);
    if (c->keys.sam)
        snprintf(info->summary, sizeof info->summary,
                 "memory card meter (key in SAM slot %u); its card is checked when inserted",
                 c->keys.slot[0]);
    else
        snprintf(info->summary, sizeof info->summary,
                 "memory card meter (%s keys); its card is checked when inserted",
                 cardkey_alg_name(c->keys.alg));
    return UV_OK;
}

static int mc_issue_credit(void *ctx, const struct uv_meter *meter,
                           const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct mc_ctx *c = ctx;
    if (c == NULL || out == NULL || out->struct_size < sizeof *out)
        return UV_E_ARG;
    if (meter == NULL || meter->number == NULL || req == NULL || req->struct_size < sizeof *req)
        return set_error(c, UV_E_ARG, "issue_credit needs a meter and a request");
    if (req->kind != UV_CREDIT_ELECTRICITY || req->amount == 0)
        return set_error(c, UV_E_AMOUNT_RANGE, "a memory card carries electricity, more than 0 Wh");
    if (!c->verified || strcmp(meter->number, c->id.meter) != 0)
        return set_error(c, UV_E_MEDIUM_ABSENT,
                         "no verified card of meter %s in the reader: insert the card",
                         meter->number);
    c->verified = 0; /* one write per verification */
    /* Never add to credit no meter report says was taken: the report area
       has no protection of its own, so a report wiped or put back from an
       older copy would otherwise have the kiosk write that credit again. */
    if (c->pending)
        return set_error(c, UV_E_VERIFY,
                         "the card still carries %llu.%llu kWh the meter has not taken (record "
                         "%u): the customer must put the card in the meter first",
                         (unsigned long long)(c->pending / 1000),
                         (unsigned long long)(c->pending % 1000 / 100), c->credit.counter);
    if (c->credit.counter == UINT32_MAX)
        return set_error(c, UV_E_AMOUNT_RANGE, "the card cannot take another credit record");
    uint8_t now[MC_CREDIT_LEN], area[MC_CREDIT_LEN], in[MC_MAC_INPUT_MAX];
    uint8_t cmd[5 + MC_CREDIT_LEN], resp[UV_RESPONSE_MAX];
    size_t rn = 0;
    /* nothing may have changed on the card since it was checked */
    int rc = read_area(c, MC_CREDIT, MC_CREDIT_LEN, now);
    if (rc != UV_OK)
        return rc;
    if (memcmp(now, c->credit_area, MC_CREDIT_LEN) != 0)
        return set_error(c, UV_E_VERIFY, "the card's credit record changed since it was checked");
    struct mc_credit cr = {
        .amount = req->amount,
        .sequence = req->sequence,
        .counter = c->credit.counter + 1,
    };
    mc_credit_build(&cr, area);
    if ((rc = ks_mac(&c->keys, 0, c->id.serial, MC_SERIAL_LEN, in, mc_credit_mac_input(area, in),
                     area + MC_RECORD_MAC_AT, MC_MAC_LEN)) != UV_OK)
        return key_fail(c, rc);
    /* the one write of the sale */
    if ((rc = xfer(c, cmd, mc_cmd_update(MC_CREDIT, area, MC_CREDIT_LEN, cmd), resp, &rn,
                   "writing the credit to the card")) != UV_OK)
        return rc;
    if (mc_sw(resp, rn) != 0x9000)
        return set_error(c, UV_E_MEDIUM_IO, "the card refused the write (status %04X)",
                         mc_sw(resp, rn));
    /* confirmed only when the card gives back what was written */
    if ((rc = read_area(c, MC_CREDIT, MC_CREDIT_LEN, now)) != UV_OK) {
        char why[sizeof c->last_error];
        snprintf(why, sizeof why, "%s", c->last_error);
        return set_error(c, rc, "the write was not confirmed (%s)", why);
    }
    if (memcmp(now, area, MC_CREDIT_LEN) != 0)
        return set_error(c, UV_E_MEDIUM_IO, "the card did not keep the credit written to it");
    struct mc_state st;
    memcpy(st.serial, c->id.serial, MC_SERIAL_LEN);
    st.counter = cr.counter;
    char serial[2 * MC_SERIAL_LEN + 1];
    mc_serial_text(c->id.serial, serial);
    memset(out->tokens, 0, sizeof out->tokens);
    out->n_tokens = 0;
    out->amount_issued = req->amount;
    out->medium_written = 1;
    snprintf(out->token_id, sizeof out->token_id, "%s/%u", serial, cr.counter);
    out->state_len = mc_state_build(&st, out->state);
    session_end(c);
    return UV_OK;
}

static int mc_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    /* derivation and CMAC (docs/cards.md), AES: computed independently */
    static const uint8_t want_key[16] = {0xf4, 0x77, 0xcf, 0x3f, 0x7a, 0xe1, 0xe7, 0x7f,
                                         0x38, 0x90, 0xdc, 0x75, 0x4f, 0x44, 0xfb, 0x5d};
    static const uint8_t want_mac[8] = {0x77, 0x4f, 0x4e, 0xef, 0xa4, 0x97, 0x86, 0x2b};
    uint8_t master[16], key[16], mac[CARDKEY_MAC_MAX];
    const uint8_t serial[MC_SERIAL_LEN] = {1, 2, 3, 4, 5, 6, 7};
    for (int i = 0; i < 16; i++)
        master[i] = (uint8_t)i;
    if (cardkey_derive(CARDKEY_AES, master, serial, sizeof serial, key) != 0 ||
        memcmp(key, want_key, 16) != 0 ||
        cardkey_cmac(CARDKEY_AES, key, "univend card MAC", 16, mac) != 0 ||
        memcmp(mac, want_mac, 8) != 0)
        return UV_E_SELFTEST;
    /* the layout round trip */
    struct mc_credit a = {.amount = 28900, .sequence = 7, .counter = 3}, b;
    uint8_t area[MC_CREDIT_LEN];
    mc_credit_build(&a, area);
    if (mc_credit_parse(area, sizeof area, &b) != MC_OK || b.amount != 28900 ||
        b.sequence != 7 || b.counter != 3 || area[11] != 0xE4 || area[23] != 3)
        return UV_E_SELFTEST;
    return UV_OK;
}

static const struct uv_driver mc_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "memcard",
    .vendor = "univend",
    .version = "1.0.0",
    .description = "plain memory card (EEPROM, storage-card commands): credit record under a "
                   "card-unique CMAC, counter shadowed in the kiosk",
    .media = UV_MEDIUM_MEMORY_CARD,
    .type_codes = mc_type_codes,
    .open = mc_open,
    .close = mc_close,
    .verify = mc_verify,
    .read_medium = mc_read_medium,
    .issue_credit = mc_issue_credit,
    .issue_mgmt = NULL,
    .decode_token = NULL,
    .strerror = mc_strerror,
    .last_error = mc_last_error,
    .self_test = mc_self_test,
    .atr_patterns = mc_atr,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &mc_driver : NULL;
}
