/*
 * cpucard_driver.c — univend driver for the univend CPU user card (ISO
 * 7816-4), a prepaid meter's credit carrier: the kiosk writes a purchase on
 * the card, the customer takes it to the meter, the meter loads it and
 * writes back its remaining credit and tamper flags.
 *
 * Medium: CPU card. Type code: CPU-E1 (electricity, Wh). ATR: 3B 8B 80 01
 * 80 59 "UVEND CPU" F9. The card's files and MACs: cpu_layout.h; its
 * commands: tests/cardsim/card_cpu.c.
 *
 * Settings (univend.conf driver.cpucard.NAME, handed to open()):
 *   alg        3des | aes | sm4                       (default aes)
 *   keys       store | sam                            (default store)
 *   card_key   key store reference of the card master key  (default cpucard:card)
 *   meter_key  key store reference of the meter master key (default cpucard:meter)
 *   card_slot  SAM slot of the card master key, 1-15  (default 1)
 *   meter_slot SAM slot of the meter master key, 1-15 (default 2)
 * Master keys are 16 bytes. The card master authenticates the card and the
 * kiosk to each other and protects writes; the meter master gives each meter
 * its key, under which the kiosk MACs the purchase and the meter MACs what it
 * returns.
 *
 * Meter parameters read: card (optional) — the serial (16 hex digits) of the
 * card issued for this meter; another card is refused. Without it the first
 * card sold to is the meter's card, and another is refused until the
 * parameter names it (a replacement card).
 *
 * Per-meter state (the kiosk's shadow of the card), 33 bytes:
 *   0 version 1 | 1 card serial (8) | 9 purchase counter (4) | 13 sequence
 *   of the last purchase (8) | 21 its MAC (8) | 29 meter return counter (4)
 *
 * verify() of a meter whose card read_medium() did not just identify (the
 * meter being added): its parameters and, keys = store, both master keys;
 * nothing can be written then. verify() of the card's meter: SELECT, read
 * the identification, INTERNAL AUTHENTICATE (the card proves it holds its
 * card key: a clone made without the master fails), identification MAC,
 * GET CHALLENGE + EXTERNAL AUTHENTICATE (the kiosk proves its key), purchase
 * and return files with their MACs, and the counters against the shadow:
 * an older counter, or the shadow's counter with another record, is a card
 * rolled back (replay). issue_credit():
 * purchase record counter + 1, sequence = the request's, credit = what the
 * meter has not loaded yet + this sale, MAC'd for the meter, written with
 * the card's MAC over a fresh challenge and read back before medium_written.
 * issue_mgmt(UV_MGMT_REFUND): a purchase the meter has not loaded is
 * cancelled (counter + 1, credit 0) and its credit given back.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../cardkey/cardkey.h"
#include "cpu_driver.h"

#define CPU_TYPE_CODE "CPU-E1"
#define CPU_STATE_VERSION 1
#define CPU_STATE_LEN 33

static const char *const cpu_type_codes[] = {CPU_TYPE_CODE, NULL};
static const struct uv_atr_pattern cpu_atr_patterns[] = {
    {"3B8B800180595556454E4420435055F9", NULL},
    {NULL, NULL},
};

int cpu_fail(struct cpu_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *cpu_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_FAILED: return "failed";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_ARG: return "invalid argument";
    case UV_E_UNSUPPORTED: return "not offered by the CPU card driver, or not a CPU card of it";
    case UV_E_BUFFER_TOO_SMALL: return "buffer too small";
    case UV_E_PARAM: return "a setting or meter parameter is missing or invalid";
    case UV_E_METER_ID: return "meter number cannot be carried by the card";
    case UV_E_KEY_MISSING: return "master key not available (key store or SAM)";
    case UV_E_KEY_INVALID: return "master key unusable (length, algorithm or SAM usage)";
    case UV_E_AMOUNT_RANGE: return "amount cannot be put on (or taken off) the card";
    case UV_E_TOKEN_FORMAT: return "cards carry no tokens";
    case UV_E_TOKEN_AUTH: return "cards carry no tokens";
    case UV_E_VERIFY: return "the card's data failed its checks (altered MAC or record)";
    case UV_E_MEDIUM_ABSENT: return "card removed, or no card in the reader";
    case UV_E_MEDIUM_IO: return "card or reader communication failed";
    case UV_E_RETRY: return "try again";
    case UV_E_STATE: return "the kiosk's stored card state for this meter is damaged";
    case UV_E_CRYPTO: return "cryptographic operation failed";
    case UV_E_SELFTEST: return "CPU card driver self test failed";
    case UV_E_CARD_UNKNOWN: return "card unknown: not this utility's, another meter's, or not personalised";
    case UV_E_CARD_AUTH: return "card authentication failed: cloned or foreign card, or wrong key";
    case UV_E_REPLAY: return "card replayed: its purchase is older than the one the kiosk wrote";
    case UV_E_CARD_LOCKED: return "card blocked: its authentication tries are used up";
    default: return "unknown CPU card driver error";
    }
}

/* ---- settings ------------------------------------------------------------ */

static int slot_number(const char *v, unsigned *out)
{
    char *end;
    unsigned long n = strtoul(v, &end, 10);
    if (v[0] < '1' || v[0] > '9' || *end != '\0' || n > 15)
        return 0;
    *out = (unsigned)n;
    return 1;
}

static int setting(struct cpu_cfg *cfg, const char *name, const char *v, char *why, size_t cap)
{
    if (strcmp(name, "alg") == 0) {
        if ((cfg->alg = cardkey_alg_parse(v)) == 0)
            return snprintf(why, cap, "alg must be 3des, aes or sm4, not '%.40s'", v), 0;
    } else if (strcmp(name, "keys") == 0) {
        if (strcmp(v, "store") != 0 && strcmp(v, "sam") != 0)
            return snprintf(why, cap, "keys must be store or sam, not '%.40s'", v), 0;
        cfg->sam = strcmp(v, "sam") == 0;
    } else if (strcmp(name, "card_key") == 0 || strcmp(name, "meter_key") == 0) {
        char *dst = name[0] == 'c' ? cfg->card_ref : cfg->meter_ref;
        if (v[0] == '\0' || strlen(v) >= CPU_REF_MAX)
            return snprintf(why, cap, "%s must be a key reference of 1-63 characters", name), 0;
        snprintf(dst, CPU_REF_MAX, "%s", v);
    } else if (strcmp(name, "card_slot") == 0 || strcmp(name, "meter_slot") == 0) {
        if (!slot_number(v, name[0] == 'c' ? &cfg->card_slot : &cfg->meter_slot))
            return snprintf(why, cap, "%s must be a SAM slot 1-15", name), 0;
    } else {
        return snprintf(why, cap,
                        "unknown setting '%.40s' (alg, keys, card_key, meter_key, card_slot, "
                        "meter_slot)",
                        name),
               0;
    }
    return 1;
}

static int cpu_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                    size_t n_config, void **ctx)
{
    if (svc == NULL || ctx == NULL || svc->struct_size < offsetof(struct uv_host_services, wipe) +
                                                             sizeof svc->wipe ||
        svc->key_get == NULL || svc->wipe == NULL || svc->random == NULL ||
        (config == NULL && n_config != 0))
        return UV_E_ARG;
    struct cpu_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    c->cfg.alg = CARDKEY_AES;
    snprintf(c->cfg.card_ref, sizeof c->cfg.card_ref, "cpucard:card");
    snprintf(c->cfg.meter_ref, sizeof c->cfg.meter_ref, "cpucard:meter");
    c->cfg.card_slot = 1;
    c->cfg.meter_slot = 2;
    for (size_t i = 0; i < n_config; i++) {
        char why[160];
        if (config[i].name == NULL || config[i].value == NULL ||
            !setting(&c->cfg, config[i].name, config[i].value, why, sizeof why)) {
            if (svc->log) {
                char line[200];
                snprintf(line, sizeof line, "cpucard: %s",
                         config[i].name && config[i].value ? why : "empty setting");
                svc->log(host, UV_LOG_ERROR, line);
            }
            free(c);
            return UV_E_PARAM;
        }
    }
    if (c->cfg.sam && c->cfg.card_slot == c->cfg.meter_slot) {
        if (svc->log)
            svc->log(host, UV_LOG_ERROR, "cpucard: card_slot and meter_slot must differ");
        free(c);
        return UV_E_PARAM;
    }
    *ctx = c;
    return UV_OK;
}

static void cpu_close(void *ctx)
{
    struct cpu_ctx *c = ctx;
    if (c == NULL)
        return;
    c->svc->wipe(c, sizeof *c); /* no keys are kept; the session goes too */
    free(c);
}

static const char *cpu_last_error(void *ctx)
{
    return ctx ? ((struct cpu_ctx *)ctx)->last_error : "";
}

/* ---- the meter and its shadow ------------------------------------------- */

struct shadow {
    int have;
    uint8_t serial[CPU_SERIAL_LEN];
    uint32_t counter, ret_counter;
    uint64_t sequence;
    uint8_t mac[CPU_MAC_LEN];
};

struct meter_view {
    int have_card;                  /* parameter card= given */
    uint8_t card[CPU_SERIAL_LEN];
    struct shadow sh;
};

static int unhex(const char *s, uint8_t *out, size_t n)
{
    if (s == NULL || strlen(s) != 2 * n)
        return 0;
    for (size_t i = 0; i < 2 * n; i++) {
        char ch = s[i];
        int v = ch >= '0' && ch <= '9' ? ch - '0' : ch >= 'A' && ch <= 'F' ? ch - 'A' + 10
                : ch >= 'a' && ch <= 'f' ? ch - 'a' + 10 : -1;
        if (v < 0)
            return 0;
        if (i % 2 == 0)
            out[i / 2] = (uint8_t)(v << 4);
        else
            out[i / 2] |= (uint8_t)v;
    }
    return 1;
}

static int read_meter(struct cpu_ctx *c, const struct uv_meter *m, struct meter_view *v)
{
    memset(v, 0, sizeof *v);
    if (m == NULL || m->struct_size < sizeof *m || m->number == NULL || m->type_code == NULL ||
        (m->params == NULL && m->n_params != 0))
        return cpu_fail(c, UV_E_ARG, "no meter given");
    if (strcmp(m->type_code, CPU_TYPE_CODE) != 0)
        return cpu_fail(c, UV_E_PARAM, "type code %.16s is not a CPU card type of this driver",
                        m->type_code);
    if (!cpu_meter_valid(m->number))
        return cpu_fail(c, UV_E_METER_ID,
                        "meter number %.32s cannot be on a CPU card (1-15 of 0-9 A-Z a-z . _ -)",
                        m->number);
    for (size_t i = 0; i < m->n_params; i++) {
        const struct uv_param *p = &m->params[i];
        if (p->name && p->value && strcmp(p->name, "card") == 0) {
            if (!unhex(p->value, v->card, CPU_SERIAL_LEN))
                return cpu_fail(c, UV_E_PARAM, "parameter card must be the card serial, 16 hex digits");
            v->have_card = 1;
        }
    }
    if (m->state_len == 0)
        return UV_OK;
    const uint8_t *s = m->state;
    if (s == NULL || m->state_len != CPU_STATE_LEN || s[0] != CPU_STATE_VERSION)
        return cpu_fail(c, UV_E_STATE, "the stored card state of meter %.32s has an unknown layout",
                        m->number);
    v->sh.have = 1;
    memcpy(v->sh.serial, s + 1, CPU_SERIAL_LEN);
    v->sh.counter = cpu_be32(s + 9);
    v->sh.sequence = cpu_be64(s + 13);
    memcpy(v->sh.mac, s + 21, CPU_MAC_LEN);
    v->sh.ret_counter = cpu_be32(s + 29);
    return UV_OK;
}

static void put_state(const struct cpu_session *s, struct uv_issue_result *out)
{
    uint8_t *b = out->state;
    b[0] = CPU_STATE_VERSION;
    memcpy(b + 1, s->id.serial, CPU_SERIAL_LEN);
    cpu_put32(b + 9, s->p.counter);
    cpu_put64(b + 13, s->p.sequence);
    memcpy(b + 21, s->p.mac, CPU_MAC_LEN);
    cpu_put32(b + 29, s->ret_shadow);
    out->state_len = CPU_STATE_LEN;
}

/* ---- reading and checking the card ------------------------------------- */

static int need_channel(struct cpu_ctx *c)
{
    if (!cpu_has_channel(c->svc))
        return cpu_fail(c, UV_E_UNSUPPORTED, "this kiosk has no card reader configured");
    return UV_OK;
}

/* SELECT and the identification file. */
static int read_id(struct cpu_ctx *c, struct cpu_id *id)
{
    uint8_t b[CPU_ID_LEN];
    int rc = cpu_open_app(c);
    if (rc == UV_OK)
        rc = cpu_read_ef(c, CPU_SFI_ID, b, sizeof b);
    if (rc != UV_OK)
        return rc;
    int pr = cpu_id_parse(b, sizeof b, id);
    if (pr != CPU_PARSE_OK)
        return cpu_fail(c, UV_E_CARD_UNKNOWN, "the card's identification is unreadable (%s): "
                        "not personalised by this utility", cpu_parse_text(pr));
    return UV_OK;
}

static void fill_id(const struct cpu_id *id, struct uv_medium_info *info)
{
    snprintf(info->meter_number, sizeof info->meter_number, "%s", id->meter);
    snprintf(info->type_code, sizeof info->type_code, "%s", id->type_code);
    cpu_hex(id->serial, CPU_SERIAL_LEN, info->card_serial, sizeof info->card_serial);
}

static int cpu_read_medium(void *ctx, struct uv_medium_info *info)
{
    struct cpu_ctx *c = ctx;
    struct cpu_id id;
    uint8_t pb[CPU_REC_LEN];
    struct cpu_purchase p;
    memset(&p, 0, sizeof p);
    if (c == NULL || info == NULL || info->struct_size < sizeof *info)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    memset(&c->s, 0, sizeof c->s);
    c->armed = 0;
    int rc = need_channel(c);
    if (rc == UV_OK)
        rc = read_id(c, &id);
    if (rc != UV_OK)
        return rc;
    fill_id(&id, info);
    c->armed = 1;
    snprintf(c->armed_meter, sizeof c->armed_meter, "%s", id.meter);
    /* the sequence, not yet checked: verify() checks it with its MAC */
    if (cpu_read_ef(c, CPU_SFI_PURCHASE, pb, sizeof pb) == UV_OK &&
        cpu_purchase_parse(pb, sizeof pb, &p) == CPU_PARSE_OK && p.status != CPU_PURCHASE_NONE)
        info->last_sequence = p.sequence;
    snprintf(info->summary, sizeof info->summary,
             "CPU card %s for meter %s (%s, key version %u), last purchase %u", info->card_serial,
             id.meter, cardkey_alg_name(id.alg), id.key_version,
             p.status != CPU_PURCHASE_NONE ? p.counter : 0);
    c->last_error[0] = '\0';
    return UV_OK;
}

/* INTERNAL AUTHENTICATE, then GET CHALLENGE + EXTERNAL AUTHENTICATE. */
static int authenticate(struct cpu_ctx *c, const struct cpu_id *id)
{
    uint8_t cmd[6 + CPU_RND_LEN], in[CPU_MAC_IN_MAX], want[CPU_MAC_LEN], got[CPU_MAC_LEN];
    uint8_t rnd[CPU_RND_LEN];
    size_t n;
    unsigned sw;
    int rc = c->svc->random(c->host, rnd, sizeof rnd);
    if (rc != UV_OK)
        return cpu_fail(c, UV_E_CRYPTO, "no random bytes for the card challenge");
    cmd[0] = CPU_CLA, cmd[1] = CPU_INS_INTERNAL_AUTH, cmd[2] = 0, cmd[3] = 0, cmd[4] = CPU_RND_LEN;
    memcpy(cmd + 5, rnd, CPU_RND_LEN);
    cmd[5 + CPU_RND_LEN] = CPU_MAC_LEN;
    if ((rc = cpu_xfer(c, UV_SLOT_USER, cmd, sizeof cmd, got, sizeof got, &n, &sw)) != UV_OK)
        return rc;
    if (sw != 0x9000 || n != CPU_MAC_LEN)
        return cpu_fail(c, UV_E_CARD_AUTH, "the card would not authenticate itself (%04X)", sw);
    if ((rc = cpu_mac8(c, CPU_KEY_CARD, id->serial, CPU_SERIAL_LEN, in,
                       cpu_mac_in_auth(CPU_DOM_INTERNAL, id->serial, rnd, in), want)) != UV_OK)
        return rc;
    char serial[2 * CPU_SERIAL_LEN + 1];
    cpu_hex(id->serial, CPU_SERIAL_LEN, serial, sizeof serial);
    if (!cpu_equal(want, got, CPU_MAC_LEN))
        return cpu_fail(c, UV_E_CARD_AUTH,
                        "card %s failed authentication: it does not hold the card key this "
                        "utility's master gives its serial (a cloned or foreign card); keep it",
                        serial);
    /* the identification was written by the issuing station with the card key */
    uint8_t idb[CPU_ID_LEN];
    cpu_id_encode(id, idb);
    if ((rc = cpu_mac8(c, CPU_KEY_CARD, id->serial, CPU_SERIAL_LEN, in, cpu_mac_in_id(idb, in),
                       want)) != UV_OK)
        return rc;
    if (!cpu_equal(want, id->mac, CPU_MAC_LEN))
        return cpu_fail(c, UV_E_VERIFY,
                        "card %s: its identification (meter number, type) was altered", serial);
    if ((rc = cpu_get_challenge(c, rnd)) != UV_OK)
        return rc;
    uint8_t ext[5 + CPU_MAC_LEN] = {CPU_CLA, CPU_INS_EXTERNAL_AUTH, 0, 0, CPU_MAC_LEN};
    if ((rc = cpu_mac8(c, CPU_KEY_CARD, id->serial, CPU_SERIAL_LEN, in,
                       cpu_mac_in_auth(CPU_DOM_EXTERNAL, id->serial, rnd, in), ext + 5)) != UV_OK)
        return rc;
    if ((rc = cpu_xfer(c, UV_SLOT_USER, ext, sizeof ext, NULL, 0, &n, &sw)) != UV_OK)
        return rc;
    if (sw == 0x9000)
        return UV_OK;
    if (sw == 0x6983)
        return cpu_fail(c, UV_E_CARD_LOCKED,
                        "card %s is blocked: no authentication tries left; it takes no more "
                        "purchases, issue a new card", serial);
    if ((sw & 0xFFF0) == 0x63C0)
        return cpu_fail(c, UV_E_CARD_AUTH,
                        "card %s refused the kiosk's key (%u tries left): this kiosk's card "
                        "master does not match the card; do not retry", serial, sw & 0x0F);
    return cpu_fail(c, UV_E_CARD_AUTH, "card %s refused the kiosk's authentication (%04X)",
                    serial, sw);
}

/* Purchase and return files, their MACs, and their counters. */
static int check_records(struct cpu_ctx *c, struct cpu_session *s)
{
    uint8_t pb[CPU_REC_LEN], rb[CPU_REC_LEN], in[CPU_MAC_IN_MAX], mac[CPU_MAC_LEN];
    const struct cpu_id *id = &s->id;
    size_t mlen = strlen(id->meter);
    int rc, pr;
    if ((rc = cpu_read_ef(c, CPU_SFI_PURCHASE, pb, sizeof pb)) != UV_OK ||
        (rc = cpu_read_ef(c, CPU_SFI_RETURN, rb, sizeof rb)) != UV_OK)
        return rc;
    if ((pr = cpu_purchase_parse(pb, sizeof pb, &s->p)) != CPU_PARSE_OK)
        return cpu_fail(c, UV_E_VERIFY, "the card's purchase file is malformed (%s)",
                        cpu_parse_text(pr));
    if ((pr = cpu_return_parse(rb, sizeof rb, &s->r)) != CPU_PARSE_OK)
        return cpu_fail(c, UV_E_VERIFY, "the meter's return file on the card is malformed (%s)",
                        cpu_parse_text(pr));
    if (s->p.status == CPU_PURCHASE_NONE) {
        static const uint8_t zero[CPU_MAC_LEN];
        if (s->p.sequence || s->p.total || s->p.added || memcmp(s->p.mac, zero, CPU_MAC_LEN))
            return cpu_fail(c, UV_E_VERIFY, "the card's empty purchase file holds data: altered");
    } else {
        if ((rc = cpu_mac8(c, CPU_KEY_METER, (const uint8_t *)id->meter, mlen, in,
                           cpu_mac_in_record(CPU_DOM_PURCHASE, id->serial, pb, in), mac)) != UV_OK)
            return rc;
        if (!cpu_equal(mac, s->p.mac, CPU_MAC_LEN))
            return cpu_fail(c, UV_E_VERIFY,
                            "purchase %u on the card has a wrong MAC: the record was altered or "
                            "forged", s->p.counter);
        if (s->p.kind != id->kind)
            return cpu_fail(c, UV_E_VERIFY, "purchase %u is of another credit kind", s->p.counter);
    }
    if (s->r.status == 1) {
        if ((rc = cpu_mac8(c, CPU_KEY_METER, (const uint8_t *)id->meter, mlen, in,
                           cpu_mac_in_record(CPU_DOM_RETURN, id->serial, rb, in), mac)) != UV_OK)
            return rc;
        if (!cpu_equal(mac, s->r.mac, CPU_MAC_LEN))
            return cpu_fail(c, UV_E_VERIFY,
                            "the meter's return data on the card has a wrong MAC: altered");
        if (s->r.loaded > s->p.counter)
            return cpu_fail(c, UV_E_VERIFY,
                            "the meter reports loading purchase %u, the card's last is %u: altered",
                            s->r.loaded, s->p.counter);
        s->have_return = 1;
    }
    return UV_OK;
}

/* The card's counters against what this kiosk wrote last. */
static int check_shadow(struct cpu_ctx *c, const struct cpu_session *s, const struct shadow *sh)
{
    if (!sh->have)
        return UV_OK;
    if (s->p.counter < sh->counter)
        return cpu_fail(c, UV_E_REPLAY,
                        "the card holds purchase %u but this kiosk wrote purchase %u to it: the "
                        "card was rolled back to an older copy (replay); keep the card",
                        s->p.counter, sh->counter);
    if (s->p.counter == sh->counter && sh->counter != 0 &&
        (s->p.sequence != sh->sequence || !cpu_equal(s->p.mac, sh->mac, CPU_MAC_LEN)))
        return cpu_fail(c, UV_E_REPLAY,
                        "purchase %u on the card is not the one this kiosk wrote (sequence %llu): "
                        "replayed from another copy",
                        s->p.counter, (unsigned long long)sh->sequence);
    if (s->have_return && s->r.ret_counter < sh->ret_counter)
        return cpu_fail(c, UV_E_REPLAY,
                        "the meter's return data (%u) is older than the kiosk saw (%u): replayed",
                        s->r.ret_counter, sh->ret_counter);
    return UV_OK;
}

static uint64_t pending_of(const struct cpu_session *s)
{
    uint32_t loaded = s->have_return ? s->r.loaded : 0;
    return s->p.status == CPU_PURCHASE_CREDIT && s->p.counter > loaded ? s->p.total : 0;
}

static void tamper_text(uint32_t t, char *out, size_t cap)
{
    static const char *const names[] = {"cover opened", "magnetic field", "reverse energy",
                                        "current bypass"};
    size_t o = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < 4; i++)
        if (t & (1u << i))
            o += (size_t)snprintf(out + o, cap - o, "%s%s", o ? ", " : "", names[i]);
    if (t & ~CPU_TAMPER_KNOWN && o < cap)
        snprintf(out + o, cap - o, "%sother 0x%X", o ? ", " : "", t & ~CPU_TAMPER_KNOWN);
}

/* Wh as kWh text: one decimal when that is exact, else three. */
static void kwh_text(uint64_t wh, char *out, size_t cap)
{
    if (wh % 100 == 0)
        snprintf(out, cap, "%llu.%llu", (unsigned long long)(wh / 1000),
                 (unsigned long long)(wh % 1000 / 100));
    else
        snprintf(out, cap, "%llu.%03llu", (unsigned long long)(wh / 1000),
                 (unsigned long long)(wh % 1000));
}

static void fill_info(const struct cpu_session *s, struct uv_medium_info *info)
{
    char tamper[96] = "", meter[256] = "", pending_kwh[32], left_kwh[32];
    uint64_t pending = pending_of(s);
    fill_id(&s->id, info);
    info->last_sequence = s->p.status != CPU_PURCHASE_NONE ? s->p.sequence : 0;
    info->pending_amount = pending;
    info->pending_kind = s->id.kind;
    info->flags = UV_INFO_PENDING;
    kwh_text(pending, pending_kwh, sizeof pending_kwh);
    if (s->have_return) {
        info->flags |= UV_INFO_METER_DATA;
        info->meter_remaining = s->r.remaining;
        info->meter_tamper = s->r.tamper;
        tamper_text(s->r.tamper, tamper, sizeof tamper);
        kwh_text(s->r.remaining, left_kwh, sizeof left_kwh);
        snprintf(meter, sizeof meter, "; the meter loaded purchase %u and reports %s kWh left, "
                 "tamper %s", s->r.loaded, left_kwh, tamper[0] ? tamper : "none");
    }
    snprintf(info->summary, sizeof info->summary,
             "CPU card purchase %u%s%s, %s kWh not yet in the meter%.150s", s->p.counter,
             s->p.status == CPU_PURCHASE_CANCELLED ? " (refunded)" : "",
             s->p.status == CPU_PURCHASE_NONE ? " (none yet)" : "", pending_kwh, meter);
}

/* No card of this meter in the reader (the meter is being added, or
   checked): its parameters and the keys, and nothing can be written. */
static int verify_meter(struct cpu_ctx *c, const struct uv_meter *meter,
                        struct uv_medium_info *info)
{
    int rc = cpu_keys_present(c);
    if (rc != UV_OK)
        return rc;
    if (info) {
        snprintf(info->meter_number, sizeof info->meter_number, "%s", meter->number);
        snprintf(info->type_code, sizeof info->type_code, "%s", meter->type_code);
        snprintf(info->summary, sizeof info->summary,
                 "CPU card meter (%s keys %s); its card is checked when it is inserted",
                 cardkey_alg_name(c->cfg.alg), c->cfg.sam ? "on the SAM" : "in the key store");
    }
    return UV_OK;
}

static int cpu_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct cpu_ctx *c = ctx;
    struct meter_view mv;
    struct cpu_session s;
    if (c == NULL)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    memset(&c->s, 0, sizeof c->s);
    memset(&s, 0, sizeof s);
    if (info != NULL && info->struct_size < sizeof *info)
        return cpu_fail(c, UV_E_ARG, "medium info too small");
    int rc = read_meter(c, meter, &mv);
    if (rc != UV_OK)
        return rc;
    if (!c->armed || strcmp(c->armed_meter, meter->number) != 0 || !cpu_has_channel(c->svc))
        return verify_meter(c, meter, info);
    rc = read_id(c, &s.id);
    if (rc == UV_E_UNSUPPORTED)
        rc = cpu_fail(c, UV_E_CARD_UNKNOWN, "not a univend CPU card: no such application");
    if (rc != UV_OK)
        return rc;
    char serial[2 * CPU_SERIAL_LEN + 1], shadow_serial[2 * CPU_SERIAL_LEN + 1];
    cpu_hex(s.id.serial, CPU_SERIAL_LEN, serial, sizeof serial);
    if (s.id.alg != c->cfg.alg)
        return cpu_fail(c, UV_E_CARD_UNKNOWN, "card %s uses %s keys; this kiosk's CPU card "
                        "driver is set to %s", serial, cardkey_alg_name(s.id.alg),
                        cardkey_alg_name(c->cfg.alg));
    if (strcmp(s.id.type_code, meter->type_code) != 0 || strcmp(s.id.meter, meter->number) != 0)
        return cpu_fail(c, UV_E_CARD_UNKNOWN, "card %s belongs to meter %s (%s), not to meter "
                        "%.32s", serial, s.id.meter, s.id.type_code, meter->number);
    if (mv.have_card && memcmp(mv.card, s.id.serial, CPU_SERIAL_LEN) != 0) {
        cpu_hex(mv.card, CPU_SERIAL_LEN, shadow_serial, sizeof shadow_serial);
        return cpu_fail(c, UV_E_CARD_UNKNOWN, "card %s is not the card issued for meter %s (%s)",
                        serial, s.id.meter, shadow_serial);
    }
    if (mv.sh.have && memcmp(mv.sh.serial, s.id.serial, CPU_SERIAL_LEN) != 0) {
        if (!mv.have_card) {
            cpu_hex(mv.sh.serial, CPU_SERIAL_LEN, shadow_serial, sizeof shadow_serial);
            return cpu_fail(c, UV_E_CARD_UNKNOWN,
                            "meter %s was sold to on card %s; card %s is another card (a "
                            "replacement is registered with the meter parameter card=%s)",
                            s.id.meter, shadow_serial, serial, serial);
        }
        memset(&mv.sh, 0, sizeof mv.sh); /* a registered replacement: its own counters */
    }
    if (c->cfg.sam && (rc = cpu_sam_check(c)) != UV_OK)
        return rc;
    if ((rc = authenticate(c, &s.id)) != UV_OK || (rc = check_records(c, &s)) != UV_OK ||
        (rc = check_shadow(c, &s, &mv.sh)) != UV_OK)
        return rc;
    if (s.p.counter == UINT32_MAX)
        return cpu_fail(c, UV_E_VERIFY, "card %s: its purchase counter is used up (%u) and "
                        "cannot increase; issue a new card", serial, s.p.counter);
    s.ret_shadow = s.have_return ? s.r.ret_counter : mv.sh.ret_counter;
    s.verified = 1;
    c->s = s;
    if (info)
        fill_info(&s, info);
    return UV_OK;
}

/* ---- writing ------------------------------------------------------------ */

/* The verified card of this meter, re-read: nothing changed since verify. */
static int session_for(struct cpu_ctx *c, const struct uv_meter *meter)
{
    uint8_t pb[CPU_REC_LEN], now[CPU_REC_LEN];
    struct meter_view mv;
    int rc = read_meter(c, meter, &mv);
    if (rc != UV_OK)
        return rc;
    if (!c->s.verified || strcmp(c->s.id.meter, meter->number) != 0)
        return cpu_fail(c, UV_E_VERIFY, "the card of meter %.32s was not verified on this "
                        "connection", meter->number);
    if ((rc = cpu_read_ef(c, CPU_SFI_PURCHASE, now, sizeof now)) != UV_OK)
        return rc;
    cpu_purchase_encode(&c->s.p, pb);
    if (memcmp(pb, now, sizeof pb) != 0)
        return cpu_fail(c, UV_E_VERIFY, "the card's purchase changed after it was verified");
    return UV_OK;
}

/* MAC the record for the meter, write it with the card's MAC, read it back. */
static int write_purchase(struct cpu_ctx *c, struct cpu_purchase *np)
{
    const struct cpu_id *id = &c->s.id;
    uint8_t rec[CPU_REC_LEN], in[CPU_MAC_IN_MAX], rnd[CPU_RND_LEN], back[CPU_REC_LEN];
    uint8_t cmd[5 + CPU_REC_LEN + CPU_MAC_LEN];
    size_t n;
    unsigned sw;
    memset(np->mac, 0, sizeof np->mac);
    cpu_purchase_encode(np, rec);
    int rc = cpu_mac8(c, CPU_KEY_METER, (const uint8_t *)id->meter, strlen(id->meter), in,
                      cpu_mac_in_record(CPU_DOM_PURCHASE, id->serial, rec, in), np->mac);
    if (rc != UV_OK)
        return rc;
    cpu_purchase_encode(np, rec);
    if ((rc = cpu_get_challenge(c, rnd)) != UV_OK)
        return rc;
    cmd[0] = CPU_CLA_MAC;
    cmd[1] = CPU_INS_UPDATE_BINARY;
    cmd[2] = 0x80 | CPU_SFI_PURCHASE;
    cmd[3] = 0;
    cmd[4] = CPU_REC_LEN + CPU_MAC_LEN;
    memcpy(cmd + 5, rec, CPU_REC_LEN);
    if ((rc = cpu_mac8(c, CPU_KEY_CARD, id->serial, CPU_SERIAL_LEN, in,
                       cpu_mac_in_write(id->serial, rnd, cmd, rec, CPU_REC_LEN, in),
                       cmd + 5 + CPU_REC_LEN)) != UV_OK)
        return rc;
    rc = cpu_xfer(c, UV_SLOT_USER, cmd, sizeof cmd, NULL, 0, &n, &sw);
    if (rc == UV_E_MEDIUM_ABSENT)
        return cpu_fail(c, rc, "the card was removed while purchase %u was being written: it "
                        "may or may not hold it; put the card back to check", np->counter);
    if (rc != UV_OK)
        return rc;
    switch (sw) {
    case 0x9000: break;
    case 0x6985:
        return cpu_fail(c, UV_E_REPLAY, "the card refused purchase %u: its purchase counter "
                        "would not increase", np->counter);
    case 0x6982:
    case 0x6988:
        return cpu_fail(c, UV_E_CARD_AUTH, "the card refused the kiosk's write (%04X): "
                        "authentication lost", sw);
    default:
        return cpu_fail(c, UV_E_MEDIUM_IO, "the card could not write purchase %u (%04X)",
                        np->counter, sw);
    }
    rc = cpu_read_ef(c, CPU_SFI_PURCHASE, back, sizeof back);
    if (rc == UV_E_MEDIUM_ABSENT)
        return cpu_fail(c, rc, "the card was removed before purchase %u could be read back; "
                        "put the card back to check", np->counter);
    if (rc != UV_OK)
        return rc;
    if (memcmp(back, rec, sizeof rec) != 0)
        return cpu_fail(c, UV_E_MEDIUM_IO, "the card does not hold purchase %u after writing it",
                        np->counter);
    return UV_OK;
}

static int check_out(const struct uv_issue_result *out)
{
    return out != NULL && out->struct_size >= sizeof *out;
}

static void written(struct cpu_ctx *c, const struct cpu_purchase *np, uint64_t amount,
                    struct uv_issue_result *out)
{
    char serial[2 * CPU_SERIAL_LEN + 1];
    c->s.p = *np;
    c->s.verified = 0; /* one write per verification */
    out->n_tokens = 0;
    out->amount_issued = amount;
    out->medium_written = 1;
    cpu_hex(c->s.id.serial, CPU_SERIAL_LEN, serial, sizeof serial);
    snprintf(out->token_id, sizeof out->token_id, "%s/%u", serial, np->counter);
    put_state(&c->s, out);
}

static int cpu_issue_credit(void *ctx, const struct uv_meter *meter,
                            const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct cpu_ctx *c = ctx;
    if (c == NULL || req == NULL || req->struct_size < sizeof *req || !check_out(out))
        return UV_E_ARG;
    c->last_error[0] = '\0';
    if (req->amount == 0 || req->amount > CPU_CREDIT_MAX)
        return cpu_fail(c, UV_E_AMOUNT_RANGE, "a card purchase is 1 Wh to %llu Wh",
                        (unsigned long long)CPU_CREDIT_MAX);
    int rc = session_for(c, meter);
    if (rc != UV_OK)
        return rc;
    const struct cpu_session *s = &c->s;
    if (req->kind != s->id.kind)
        return cpu_fail(c, UV_E_UNSUPPORTED, "this card takes electricity credit (Wh) only");
    uint64_t pending = pending_of(s);
    if (pending + req->amount > CPU_CREDIT_MAX)
        return cpu_fail(c, UV_E_AMOUNT_RANGE, "the card would carry more than it can");
    struct cpu_purchase np = {.status = CPU_PURCHASE_CREDIT, .kind = s->id.kind,
                              .counter = s->p.counter + 1, .sequence = req->sequence,
                              .total = pending + req->amount, .added = req->amount};
    if ((rc = write_purchase(c, &np)) != UV_OK) {
        c->s.verified = 0; /* read and verify the card again before anything else */
        return rc;
    }
    written(c, &np, req->amount, out);
    return UV_OK;
}

static int cpu_issue_mgmt(void *ctx, const struct uv_meter *meter, const struct uv_mgmt_request *req,
                          struct uv_issue_result *out)
{
    struct cpu_ctx *c = ctx;
    if (c == NULL || req == NULL || req->struct_size < sizeof *req || !check_out(out) ||
        (req->params == NULL && req->n_params != 0))
        return UV_E_ARG;
    c->last_error[0] = '\0';
    if (req->op != UV_MGMT_REFUND)
        return cpu_fail(c, UV_E_UNSUPPORTED, "management operation %u is not offered for CPU "
                        "cards (only refund)", req->op);
    for (size_t i = 0; i < req->n_params; i++) {
        const char *n = req->params[i].name, *v = req->params[i].value;
        if (n && v && strcmp(n, "kind") == 0 && strcmp(v, "electricity") != 0 && strcmp(v, "0") != 0)
            return cpu_fail(c, UV_E_UNSUPPORTED, "CPU cards carry electricity credit only");
    }
    int rc = session_for(c, meter);
    if (rc != UV_OK)
        return rc;
    const struct cpu_session *s = &c->s;
    uint64_t pending = pending_of(s);
    if (pending == 0)
        return cpu_fail(c, UV_E_AMOUNT_RANGE, "nothing to refund: %s",
                        s->p.status == CPU_PURCHASE_CREDIT ? "the meter has loaded the card's last purchase"
                        : s->p.status == CPU_PURCHASE_CANCELLED ? "the card's last purchase was refunded already"
                                                                : "the card has no purchase");
    struct cpu_purchase np = {.status = CPU_PURCHASE_CANCELLED, .kind = s->id.kind,
                              .counter = s->p.counter + 1, .sequence = s->p.sequence};
    if ((rc = write_purchase(c, &np)) != UV_OK) {
        c->s.verified = 0;
        return rc;
    }
    written(c, &np, pending, out);
    return UV_OK;
}

static int cpu_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    return cpu_crypto_self_test();
}

static const struct uv_driver cpu_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "cpucard",
    .vendor = "univend",
    .version = "1.0.0",
    .description = "ISO 7816-4 CPU card: mutual authentication, MAC'd purchases, refund, meter "
                   "read-back (3DES/AES/SM4, store or SAM)",
    .media = UV_MEDIUM_CPU_CARD,
    .type_codes = cpu_type_codes,
    .open = cpu_open,
    .close = cpu_close,
    .verify = cpu_verify,
    .read_medium = cpu_read_medium,
    .issue_credit = cpu_issue_credit,
    .issue_mgmt = cpu_issue_mgmt,
    .decode_token = NULL,
    .strerror = cpu_strerror,
    .last_error = cpu_last_error,
    .self_test = cpu_self_test,
    .atr_patterns = cpu_atr_patterns,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &cpu_driver : NULL;
}
