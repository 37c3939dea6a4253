/*
 * sts_driver.c — univend driver for IEC 62055-41 (STS) keypad meters.
 *
 * Medium: virtual (20-digit tokens typed on the meter's keypad).
 * Type codes: STS-EA07 (Standard Transfer Algorithm), STS-EA09 (DEA).
 *
 * Meter parameters read (struct uv_param):
 *   sgc  supply group code, 6 digits                    (required)
 *   ti   tariff index, 0..99                            (required)
 *   krn  key revision number, 1..9                      (required)
 *   kt   key type: 1 (DDTK) or 2 (DUTK)                 (default 2)
 *   iin  issuer identification number, 1..6 digits      (default 600727 for
 *        11-digit meter numbers, 0000 for 13-digit ones)
 *   bdt  token id base date: 1993, 2014 or 2035         (default 2014)
 *   key  key store reference of the vending key         (default sts:SGC:KRN)
 *   ken  key expiry number 0..255: no token whose TID's top 8 bits exceed it
 *        is issued under this key                        (default 255: never)
 * The meter number is the decoder reference number (DRN), 11 or 13 digits
 * with its check digit.
 *
 * Per-meter state (kept by the host with each receipt): the last token id
 * issued, so two sales in one minute still get distinct, increasing TIDs.
 *
 * Management (class 2) tokens, issue_mgmt:
 *   UV_MGMT_SET_POWER_LIMIT  SetMaximumPowerLimit, arg in W (0..65535)
 *   UV_MGMT_CLEAR_CREDIT     ClearCredit; request param register=electricity
 *                            (default), water, gas, time, all, or 0..65535
 *   UV_MGMT_CLEAR_TAMPER     ClearTamperCondition
 *   UV_MGMT_SET_TARIFF_RATE  SetTariffRate, arg the 16-bit rate (0..65535)
 *   UV_MGMT_KEY_CHANGE       Set1st/Set2ndSectionDecoderKey, two tokens, in
 *                            that order, encrypted under the current key; the
 *                            new values come as request params new_sgc,
 *                            new_ti, new_krn, new_kt, new_bdt, new_key and
 *                            new_ken (each replaces the meter parameter of
 *                            that name; absent ones stay as they are). A base
 *                            date change (1993 -> 2014) sets the roll-over
 *                            bit RO, and then needs a new key (new_krn).
 * The TID-carrying ones take their TID from the same state as credit tokens.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../univend_driver.h"
#include "sts_crypt.h"
#include "sts_token.h"

#define STS_STATE_VERSION 1
#define STS_STATE_LEN 5
#define STS_TID_LIMIT (1u << 24)

enum {
    STS_E_ROLLOVER = UV_E_VENDOR_BASE + 1, /* base date's token ids are used up */
    STS_E_KEY_EXPIRED = UV_E_VENDOR_BASE + 2, /* TID beyond the key's KEN          */
};

struct sts_ctx {
    const struct uv_host_services *svc;
    void *host;
    char last_error[256];
};

struct sts_meter {
    sts_key_params kp;
    char iin[8];
    char key_ref[64];
    int base_year;
    int ea;                /* 7 or 9 */
    uint8_t ken;           /* key expiry number; 255: never */
    uint32_t last_tid;     /* 0 when none */
    int has_last;
};

static const char *const sts_type_codes[] = {"STS-EA07", "STS-EA09", NULL};

static int set_error(struct sts_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int set_error(struct sts_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *drv_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_FAILED: return "failed";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_ARG: return "invalid argument";
    case UV_E_UNSUPPORTED: return "operation not supported by the STS driver";
    case UV_E_BUFFER_TOO_SMALL: return "buffer too small";
    case UV_E_PARAM: return "meter parameter missing or invalid";
    case UV_E_METER_ID: return "meter number is not a valid STS meter number";
    case UV_E_KEY_MISSING: return "vending key not in the key store";
    case UV_E_KEY_INVALID: return "vending key is not a valid 8-byte DES key";
    case UV_E_AMOUNT_RANGE: return "amount cannot be carried by an STS token";
    case UV_E_TOKEN_FORMAT: return "not a 20-digit STS token";
    case UV_E_TOKEN_AUTH: return "token does not decrypt for this meter (wrong meter or key, or mistyped)";
    case UV_E_VERIFY: return "meter cannot be sold to";
    case UV_E_STATE: return "stored meter state is damaged";
    case UV_E_CRYPTO: return "cryptographic library failure";
    case UV_E_SELFTEST: return "STS self test failed";
    case STS_E_ROLLOVER: return "token ids of this base date are used up (TID rollover)";
    case STS_E_KEY_EXPIRED: return "the meter's key has expired (key expiry number): a key change is due";
    default: return "unknown STS driver error";
    }
}

static int digits_only(const char *s, size_t min, size_t max)
{
    size_t n = s ? strlen(s) : 0;
    if (n < min || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return 1;
}

static const char *param(const struct uv_meter *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (m->params[i].name && strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}

/* Everything the driver needs from a meter, checked. */
static int read_meter(struct sts_ctx *c, const struct uv_meter *m, struct sts_meter *sm)
{
    memset(sm, 0, sizeof *sm);
    if (m == NULL || m->struct_size < sizeof *m || m->number == NULL || m->type_code == NULL)
        return set_error(c, UV_E_ARG, "no meter given");
    if (strcmp(m->type_code, "STS-EA07") == 0)
        sm->ea = 7;
    else if (strcmp(m->type_code, "STS-EA09") == 0)
        sm->ea = 9;
    else
        return set_error(c, UV_E_PARAM, "type code %.16s is not an STS type", m->type_code);
    if (!digits_only(m->number, 11, 13) || !sts_drn_valid(m->number))
        return set_error(c, UV_E_METER_ID, "meter number %.32s: wrong length or check digit",
                         m->number);
    const char *sgc = param(m, "sgc"), *ti = param(m, "ti"), *krn = param(m, "krn");
    const char *kt = param(m, "kt"), *iin = param(m, "iin"), *bdt = param(m, "bdt");
    const char *key = param(m, "key"), *ken = param(m, "ken");
    if (!digits_only(sgc, 6, 6))
        return set_error(c, UV_E_PARAM, "sgc (supply group code) must be 6 digits");
    if (!digits_only(ti, 1, 2))
        return set_error(c, UV_E_PARAM, "ti (tariff index) must be 0..99");
    if (!digits_only(krn, 1, 1) || krn[0] == '0')
        return set_error(c, UV_E_PARAM, "krn (key revision number) must be 1..9");
    if (kt && (!digits_only(kt, 1, 1) || (kt[0] != '1' && kt[0] != '2')))
        return set_error(c, UV_E_PARAM,
                         "kt (key type) must be 1 (default) or 2 (unique); key types 0 and 3 "
                         "are not supported");
    if (iin && !digits_only(iin, 1, 6))
        return set_error(c, UV_E_PARAM, "iin must be 1 to 6 digits");
    if (ken && (!digits_only(ken, 1, 3) || atoi(ken) > 255))
        return set_error(c, UV_E_PARAM, "ken (key expiry number) must be 0..255");
    sm->ken = (uint8_t)(ken ? atoi(ken) : 255);
    sm->base_year = 2014;
    if (bdt) {
        if (strcmp(bdt, "1993") == 0 || strcmp(bdt, "2014") == 0 || strcmp(bdt, "2035") == 0)
            sm->base_year = atoi(bdt);
        else
            return set_error(c, UV_E_PARAM, "bdt (base date) must be 1993, 2014 or 2035");
    }
    snprintf(sm->iin, sizeof sm->iin, "%s",
             iin ? iin : strlen(m->number) == 13 ? "0000" : "600727");
    sm->kp.key_type = (uint8_t)(kt ? kt[0] - '0' : 2);
    sm->kp.supply_group = (uint32_t)atol(sgc);
    sm->kp.tariff_index = (uint8_t)atoi(ti);
    sm->kp.key_revision = (uint8_t)(krn[0] - '0');
    sm->kp.iin = sm->iin;
    sm->kp.drn = m->number;
    if (key) {
        if (strlen(key) >= sizeof sm->key_ref)
            return set_error(c, UV_E_PARAM, "key reference is too long");
        snprintf(sm->key_ref, sizeof sm->key_ref, "%s", key);
    } else {
        snprintf(sm->key_ref, sizeof sm->key_ref, "sts:%s:%s", sgc, krn);
    }
    if (m->state_len != 0) {
        if (m->state == NULL || m->state_len != STS_STATE_LEN || m->state[0] != STS_STATE_VERSION)
            return set_error(c, UV_E_STATE, "meter state has an unknown layout");
        sm->last_tid = (uint32_t)m->state[1] << 24 | (uint32_t)m->state[2] << 16 |
                       (uint32_t)m->state[3] << 8 | m->state[4];
        if (sm->last_tid >= STS_TID_LIMIT)
            return set_error(c, UV_E_STATE, "stored last token id is out of range");
        sm->has_last = 1;
    }
    return UV_OK;
}

/* Derive the decoder key for a meter; dk is wiped by the caller. */
static int decoder_key(struct sts_ctx *c, const struct sts_meter *sm, uint8_t dk[8])
{
    uint8_t vk[8];
    size_t len = 0;
    int rc = c->svc->key_get(c->host, sm->key_ref, NULL, 0, &len);
    if (rc != UV_OK)
        return set_error(c, UV_E_KEY_MISSING, "no vending key '%s'", sm->key_ref);
    if (len != sizeof vk)
        return set_error(c, UV_E_KEY_INVALID, "vending key '%s' is %zu bytes, not 8",
                         sm->key_ref, len);
    rc = c->svc->key_get(c->host, sm->key_ref, vk, sizeof vk, &len);
    if (rc != UV_OK) {
        c->svc->wipe(vk, sizeof vk);
        return set_error(c, UV_E_KEY_MISSING, "vending key '%s' unavailable", sm->key_ref);
    }
    sts_rc r = sts_dkga02(vk, &sm->kp, dk);
    c->svc->wipe(vk, sizeof vk);
    if (r != STS_OK)
        return set_error(c, UV_E_CRYPTO, "decoder key generation: %s", sts_strerror(r));
    return UV_OK;
}

static int current_tid(struct sts_ctx *c, const struct sts_meter *sm, uint32_t *tid)
{
    int64_t now = c->svc->now(c->host);
    if (sts_tid_from_unix(now, sm->base_year, tid) != STS_OK)
        return set_error(c, STS_E_ROLLOVER,
                         "the clock is outside the token id range of base date %d%s",
                         sm->base_year,
                         sm->base_year == 1993
                             ? " (used up on 2024-11-24): the meter needs a key change to base date 2014"
                             : "");
    return UV_OK;
}

/* The TID for the next token: now, but after the last one issued, and
   within the base date's range and the key's expiry number. */
static int next_tid(struct sts_ctx *c, const struct sts_meter *sm, uint32_t *tid)
{
    int rc = current_tid(c, sm, tid);
    if (rc != UV_OK)
        return rc;
    if (sm->has_last && *tid <= sm->last_tid)
        *tid = sm->last_tid + 1; /* a second token within the same minute */
    if (*tid >= STS_TID_LIMIT)
        return set_error(c, STS_E_ROLLOVER, "no token ids left for base date %d", sm->base_year);
    if ((*tid >> 16) > sm->ken)
        return set_error(c, STS_E_KEY_EXPIRED,
                         "token id %u is past the key expiry number %u of this key", *tid,
                         sm->ken);
    return UV_OK;
}

static void put_state(struct uv_issue_result *out, uint32_t tid)
{
    out->state[0] = STS_STATE_VERSION;
    out->state[1] = (uint8_t)(tid >> 24);
    out->state[2] = (uint8_t)(tid >> 16);
    out->state[3] = (uint8_t)(tid >> 8);
    out->state[4] = (uint8_t)tid;
    out->state_len = STS_STATE_LEN;
}

static int sts_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                    size_t n_config, void **ctx)
{
    (void)config;
    if (svc == NULL || ctx == NULL || svc->struct_size < sizeof *svc || svc->key_get == NULL ||
        svc->now == NULL || svc->random == NULL || svc->wipe == NULL)
        return UV_E_ARG;
    if (n_config != 0)
        return UV_E_PARAM; /* this driver takes no options */
    struct sts_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    *ctx = c;
    return UV_OK;
}

static void sts_close(void *ctx)
{
    free(ctx);
}

static const char *sts_last_error(void *ctx)
{
    return ctx ? ((struct sts_ctx *)ctx)->last_error : "";
}

static void put_text(char *dst, size_t cap, const char *src)
{
    snprintf(dst, cap, "%s", src);
}

static int sts_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct sts_ctx *c = ctx;
    struct sts_meter sm;
    uint8_t dk[8];
    uint32_t tid;
    if (c == NULL)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = read_meter(c, meter, &sm);
    /* A base date whose token ids are used up (1993 after 2024-11-24) is
       not a fault of the meter: credit is refused when it is issued, and
       the roll-over key change (which carries no TID) must stay possible. */
    int used_up = 0;
    if (rc == UV_OK && (current_tid(c, &sm, &tid) == STS_E_ROLLOVER ||
                        (sm.has_last && sm.last_tid + 1 >= STS_TID_LIMIT)))
        used_up = 1;
    if (used_up)
        c->last_error[0] = '\0'; /* current_tid's message: not an error here */
    if (rc == UV_OK)
        rc = decoder_key(c, &sm, dk);
    c->svc->wipe(dk, sizeof dk);
    if (rc != UV_OK)
        return rc;
    if (info && info->struct_size >= sizeof *info) {
        put_text(info->meter_number, sizeof info->meter_number, meter->number);
        put_text(info->type_code, sizeof info->type_code, meter->type_code);
        snprintf(info->summary, sizeof info->summary,
                 "STS EA%02d SGC %06u TI %02u KRN %u KT %u BDT %d%s", sm.ea,
                 sm.kp.supply_group, sm.kp.tariff_index, sm.kp.key_revision, sm.kp.key_type,
                 sm.base_year,
                 used_up ? "; token ids used up: roll-over key change needed before a sale"
                         : "");
    }
    return UV_OK;
}

static int sts_issue_credit(void *ctx, const struct uv_meter *meter,
                            const struct uv_credit_request *req, struct uv_issue_result *out)
{
    struct sts_ctx *c = ctx;
    struct sts_meter sm;
    uint8_t dk[8] = {0}, rnd = 0;
    uint32_t tid;
    uint16_t amount;
    uint64_t represented;
    sts_block_fields f;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = read_meter(c, meter, &sm);
    if (rc != UV_OK)
        return rc;
    if (req->kind != UV_CREDIT_ELECTRICITY)
        return set_error(c, UV_E_UNSUPPORTED, "only electricity credit is offered");
    uint64_t tenths = req->amount / 100; /* Wh -> 0.1 kWh, rounded down */
    if (tenths == 0)
        return set_error(c, UV_E_AMOUNT_RANGE, "less than 0.1 kWh");
    if (sts_amount_encode(tenths, &amount, &represented) != STS_OK || represented == 0)
        return set_error(c, UV_E_AMOUNT_RANGE, "%llu.%llu kWh is more than one token carries",
                         (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10));
    if ((rc = next_tid(c, &sm, &tid)) != UV_OK)
        return rc;
    if (c->svc->random(c->host, &rnd, 1) != UV_OK)
        return set_error(c, UV_E_CRYPTO, "no random bytes from the host");
    memset(&f, 0, sizeof f);
    f.token_class = 0;
    f.subclass = 0;
    f.rnd = rnd & 0x0F;
    f.tid = tid;
    f.amount = amount;
    if ((rc = decoder_key(c, &sm, dk)) != UV_OK)
        return rc;
    char digits[21];
    sts_rc r = sts_token_encode(dk, sm.ea, &f, digits);
    c->svc->wipe(dk, sizeof dk);
    if (r != STS_OK)
        return set_error(c, UV_E_CRYPTO, "token encoding: %s", sts_strerror(r));
    out->n_tokens = 1;
    put_text(out->tokens[0], sizeof out->tokens[0], digits);
    out->amount_issued = represented * 100;
    out->medium_written = 0;
    snprintf(out->token_id, sizeof out->token_id, "%u", tid);
    put_state(out, tid);
    return UV_OK;
}

/* ---- management (class 2) tokens ----------------------------------------- */

static const char *req_param(const struct uv_mgmt_request *r, const char *name)
{
    for (size_t i = 0; i < r->n_params; i++)
        if (r->params[i].name && r->params[i].value && strcmp(r->params[i].name, name) == 0)
            return r->params[i].value;
    return NULL;
}

/* ClearCredit register by name or number. */
static int register_code(const char *s, uint16_t *out)
{
    static const struct {
        const char *name;
        uint16_t code;
    } regs[] = {{"electricity", STS_REGISTER_ELECTRICITY}, {"water", STS_REGISTER_WATER},
                {"gas", STS_REGISTER_GAS},                 {"time", STS_REGISTER_TIME},
                {"all", STS_REGISTER_ALL}};
    if (s == NULL) {
        *out = STS_REGISTER_ELECTRICITY;
        return 1;
    }
    for (size_t i = 0; i < sizeof regs / sizeof regs[0]; i++)
        if (strcmp(s, regs[i].name) == 0) {
            *out = regs[i].code;
            return 1;
        }
    if (digits_only(s, 1, 5) && atol(s) <= 0xFFFF) {
        *out = (uint16_t)atol(s);
        return 1;
    }
    return 0;
}

static const char *register_name(uint16_t code)
{
    switch (code) {
    case STS_REGISTER_ELECTRICITY: return "electricity";
    case STS_REGISTER_WATER: return "water";
    case STS_REGISTER_GAS: return "gas";
    case STS_REGISTER_TIME: return "time";
    case STS_REGISTER_ALL: return "all";
    default: return NULL;
    }
}

/* Prefix the context's last error (not through itself: the buffers would overlap). */
static int prefix_error(struct sts_ctx *c, int rc, const char *prefix)
{
    char detail[sizeof c->last_error];
    snprintf(detail, sizeof detail, "%s", c->last_error);
    return set_error(c, rc, "%s: %.200s", prefix, detail);
}

/* The parameter names a key change may replace. */
static int keychange_name(const char *name)
{
    static const char *const names[] = {"sgc", "ti", "krn", "kt", "bdt", "key", "ken"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(name, names[i]) == 0)
            return 1;
    return 0;
}

#define STS_VIEW_PARAMS 40

/* The meter as it will be after the key change: its parameters with every
   new_NAME of the request replacing NAME. */
static int new_meter_view(struct sts_ctx *c, const struct uv_meter *m,
                          const struct uv_mgmt_request *r, struct uv_param *p,
                          struct uv_meter *nm, int *changed)
{
    size_t n = 0;
    *changed = 0;
    if (m->n_params > STS_VIEW_PARAMS)
        return set_error(c, UV_E_PARAM, "too many meter parameters");
    for (size_t i = 0; i < m->n_params; i++)
        p[n++] = m->params[i];
    for (size_t i = 0; i < r->n_params; i++) {
        const char *name = r->params[i].name, *value = r->params[i].value;
        if (name == NULL || value == NULL || strncmp(name, "new_", 4) != 0)
            continue;
        if (!keychange_name(name + 4))
            return set_error(c, UV_E_PARAM,
                             "%.32s is not a key change value (new_sgc, new_ti, new_krn, new_kt, "
                             "new_bdt, new_key, new_ken)",
                             name);
        size_t j = 0;
        while (j < n && strcmp(p[j].name, name + 4) != 0)
            j++;
        if (j == n) {
            if (n >= STS_VIEW_PARAMS)
                return set_error(c, UV_E_PARAM, "too many meter parameters");
            n++;
        }
        p[j].name = name + 4;
        p[j].value = value;
        *changed = 1;
    }
    *nm = *m;
    nm->params = p;
    nm->n_params = n;
    nm->state = NULL; /* a new key starts with the token ids of its base date */
    nm->state_len = 0;
    return UV_OK;
}

static int issue_keychange(struct sts_ctx *c, const struct uv_meter *meter,
                           const struct sts_meter *sm, const struct uv_mgmt_request *req,
                           struct uv_issue_result *out)
{
    struct uv_param p[STS_VIEW_PARAMS];
    struct uv_meter nm;
    struct sts_meter nsm;
    int changed = 0, rc;
    uint32_t tid;
    if ((rc = new_meter_view(c, meter, req, p, &nm, &changed)) != UV_OK)
        return rc;
    if (!changed)
        return set_error(c, UV_E_ARG,
                         "a key change needs at least one new value (new_krn, new_sgc, "
                         "new_ti, new_kt, new_bdt, new_key)");
    if ((rc = read_meter(c, &nm, &nsm)) != UV_OK)
        return prefix_error(c, rc, "new value");
    if (nsm.base_year < sm->base_year)
        return set_error(c, UV_E_PARAM, "the base date cannot go back from %d to %d",
                         sm->base_year, nsm.base_year);
    const int rollover = nsm.base_year != sm->base_year;
    /* the new key must be able to issue tokens now */
    if ((rc = current_tid(c, &nsm, &tid)) != UV_OK)
        return rc;
    uint8_t old_dk[8] = {0}, new_dk[8] = {0};
    sts_keychange kc;
    sts_block_fields f1, f2;
    char d1[21] = "", d2[21] = "";
    memset(&kc, 0, sizeof kc);
    if ((rc = decoder_key(c, sm, old_dk)) != UV_OK)
        goto out;
    if ((rc = decoder_key(c, &nsm, new_dk)) != UV_OK) {
        rc = prefix_error(c, rc, "new key");
        goto out;
    }
    if (memcmp(old_dk, new_dk, sizeof old_dk) == 0) {
        rc = set_error(c, UV_E_PARAM,
                       rollover ? "a base date change needs a new key as well (new_krn): the "
                                  "meter forgets its used token ids"
                                : "the new values give the same decoder key: nothing to change");
        goto out;
    }
    kc.ken = nsm.ken;
    kc.krn = nsm.kp.key_revision;
    kc.ro = (uint8_t)rollover;
    kc.kt = nsm.kp.key_type;
    kc.ti = nsm.kp.tariff_index;
    memcpy(kc.new_key, new_dk, sizeof kc.new_key);
    sts_rc r = sts_keychange_pack(&kc, &f1, &f2);
    if (r == STS_OK)
        r = sts_token_encode(old_dk, sm->ea, &f1, d1);
    if (r == STS_OK)
        r = sts_token_encode(old_dk, sm->ea, &f2, d2);
    if (r != STS_OK) {
        rc = set_error(c, UV_E_CRYPTO, "key change token encoding: %s", sts_strerror(r));
        goto out;
    }
    out->n_tokens = 2;
    put_text(out->tokens[0], sizeof out->tokens[0], d1);
    put_text(out->tokens[1], sizeof out->tokens[1], d2);
    out->amount_issued = 0;
    out->medium_written = 0;
    out->token_id[0] = '\0'; /* key change tokens carry no TID */
    if (rollover) {
        out->state_len = 0; /* the meter clears its TID memory */
    } else if (meter->state_len <= sizeof out->state) {
        if (meter->state_len)
            memcpy(out->state, meter->state, meter->state_len);
        out->state_len = meter->state_len;
    }
    rc = UV_OK;
out:
    c->svc->wipe(old_dk, sizeof old_dk);
    c->svc->wipe(new_dk, sizeof new_dk);
    c->svc->wipe(&kc, sizeof kc);
    c->svc->wipe(&f1, sizeof f1);
    c->svc->wipe(&f2, sizeof f2);
    return rc;
}

static int sts_issue_mgmt(void *ctx, const struct uv_meter *meter,
                          const struct uv_mgmt_request *req, struct uv_issue_result *out)
{
    struct sts_ctx *c = ctx;
    struct sts_meter sm;
    uint8_t dk[8] = {0}, rnd = 0;
    uint32_t tid;
    sts_block_fields f;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out || (req->n_params && req->params == NULL))
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = read_meter(c, meter, &sm);
    if (rc != UV_OK)
        return rc;
    if (req->op == UV_MGMT_KEY_CHANGE)
        return issue_keychange(c, meter, &sm, req, out);

    memset(&f, 0, sizeof f);
    f.token_class = 2;
    switch (req->op) {
    case UV_MGMT_SET_POWER_LIMIT:
        if (req->arg > 0xFFFF)
            return set_error(c, UV_E_ARG, "a maximum power limit is 0..65535 W");
        f.subclass = STS_C2_SET_MAX_POWER_LIMIT;
        f.amount = (uint16_t)req->arg;
        break;
    case UV_MGMT_CLEAR_CREDIT:
        if (!register_code(req_param(req, "register"), &f.amount))
            return set_error(c, UV_E_ARG,
                             "register must be electricity, water, gas, time, all or 0..65535");
        f.subclass = STS_C2_CLEAR_CREDIT;
        break;
    case UV_MGMT_CLEAR_TAMPER:
        f.subclass = STS_C2_CLEAR_TAMPER;
        f.amount = 0; /* Pad */
        break;
    case UV_MGMT_SET_TARIFF_RATE:
        if (req->arg > 0xFFFF)
            return set_error(c, UV_E_ARG, "a tariff rate is 0..65535");
        f.subclass = STS_C2_SET_TARIFF_RATE;
        f.amount = (uint16_t)req->arg;
        break;
    default:
        return set_error(c, UV_E_UNSUPPORTED, "management operation %u is not offered by STS",
                         req->op);
    }
    if ((rc = next_tid(c, &sm, &tid)) != UV_OK)
        return rc;
    if (c->svc->random(c->host, &rnd, 1) != UV_OK)
        return set_error(c, UV_E_CRYPTO, "no random bytes from the host");
    f.rnd = rnd & 0x0F;
    f.tid = tid;
    if ((rc = decoder_key(c, &sm, dk)) != UV_OK)
        return rc;
    char digits[21];
    sts_rc r = sts_token_encode(dk, sm.ea, &f, digits);
    c->svc->wipe(dk, sizeof dk);
    if (r != STS_OK)
        return set_error(c, UV_E_CRYPTO, "token encoding: %s", sts_strerror(r));
    out->n_tokens = 1;
    put_text(out->tokens[0], sizeof out->tokens[0], digits);
    out->amount_issued = 0;
    out->medium_written = 0;
    snprintf(out->token_id, sizeof out->token_id, "%u", tid);
    put_state(out, tid);
    return UV_OK;
}

/* What a class 2 token says, for the clerk (never the key bits). */
static void describe_class2(const sts_block_fields *f, const char *when, const char *meter,
                            char *out, size_t cap)
{
    sts_keychange kc;
    uint8_t res = 0;
    const char *reg;
    memset(&kc, 0, sizeof kc);
    switch (f->subclass) {
    case STS_C2_SET_MAX_POWER_LIMIT:
        snprintf(out, cap, "STS management token: set maximum power limit %u W, TID %u (%s), "
                 "meter %.32s", f->amount, f->tid, when, meter);
        break;
    case STS_C2_CLEAR_CREDIT:
        reg = register_name(f->amount);
        if (reg)
            snprintf(out, cap, "STS management token: clear credit (%s register%s), TID %u (%s), "
                     "meter %.32s", reg, f->amount == STS_REGISTER_ALL ? "s" : "", f->tid, when,
                     meter);
        else
            snprintf(out, cap, "STS management token: clear credit (register %u), TID %u (%s), "
                     "meter %.32s", f->amount, f->tid, when, meter);
        break;
    case STS_C2_SET_TARIFF_RATE:
        snprintf(out, cap, "STS management token: set tariff rate %u, TID %u (%s), meter %.32s",
                 f->amount, f->tid, when, meter);
        break;
    case STS_C2_CLEAR_TAMPER:
        snprintf(out, cap, "STS management token: clear tamper condition, TID %u (%s), "
                 "meter %.32s", f->tid, when, meter);
        break;
    case STS_C2_SET_MAX_PHASE_UNBALANCE:
        snprintf(out, cap, "STS management token: set maximum phase power unbalance limit %u W, "
                 "TID %u (%s), meter %.32s", f->amount, f->tid, when, meter);
        break;
    case STS_C2_SET_WATER_METER_FACTOR:
        snprintf(out, cap, "STS management token: set water meter factor %u, TID %u (%s), "
                 "meter %.32s", f->amount, f->tid, when, meter);
        break;
    case STS_C2_SET_1ST_SECTION_KEY:
        sts_keychange_unpack(f, &kc, &res);
        snprintf(out, cap, "STS key change token 1 of 2 (set 1st section decoder key): new KRN %u, "
                 "KT %u, KEN high %X, roll-over %s, meter %.32s", kc.krn, kc.kt, kc.ken >> 4,
                 kc.ro ? "yes (the meter clears its token id memory)" : "no", meter);
        break;
    case STS_C2_SET_2ND_SECTION_KEY:
        sts_keychange_unpack(f, &kc, NULL);
        snprintf(out, cap, "STS key change token 2 of 2 (set 2nd section decoder key): new TI %02u, "
                 "KEN low %X, meter %.32s", kc.ti, kc.ken & 0xF, meter);
        break;
    default:
        snprintf(out, cap, "STS token class 2 subclass %u, meter %.32s", f->subclass, meter);
        break;
    }
    explicit_bzero(&kc, sizeof kc);
}

static int sts_decode_token(void *ctx, const struct uv_meter *meter, const char *token,
                            struct uv_token_info *out)
{
    struct sts_ctx *c = ctx;
    struct sts_meter sm;
    uint8_t dk[8] = {0};
    sts_block_fields f;
    sts_token66 t66;
    if (c == NULL || token == NULL || out == NULL || out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = read_meter(c, meter, &sm);
    if (rc != UV_OK)
        return rc;
    if (sts_token_from_digits(token, &t66) != STS_OK)
        return set_error(c, UV_E_TOKEN_FORMAT, "expected 20 digits below 2^66");
    if ((rc = decoder_key(c, &sm, dk)) != UV_OK)
        return rc;
    sts_rc r = sts_token_decode(dk, sm.ea, token, &f);
    c->svc->wipe(dk, sizeof dk);
    if (r == STS_ERR_CRC)
        return set_error(c, UV_E_TOKEN_AUTH, "CRC check failed after decryption");
    if (r != STS_OK)
        return set_error(c, UV_E_TOKEN_FORMAT, "%s", sts_strerror(r));
    out->token_class = f.token_class;
    out->subclass = f.subclass;
    /* the key change pair carries key bits where other tokens have a TID */
    const int has_tid = !(f.token_class == 2 && (f.subclass == STS_C2_SET_1ST_SECTION_KEY ||
                                                 f.subclass == STS_C2_SET_2ND_SECTION_KEY ||
                                                 f.subclass == STS_C2_SET_3RD_SECTION_KEY ||
                                                 f.subclass == STS_C2_SET_4TH_SECTION_KEY));
    out->issued_at = has_tid ? sts_tid_to_unix(f.tid, sm.base_year) : 0;
    if (has_tid)
        snprintf(out->token_id, sizeof out->token_id, "%u", f.tid);
    else
        out->token_id[0] = '\0';
    char when[32] = "";
    time_t t = (time_t)out->issued_at;
    struct tm tm;
    if (has_tid && gmtime_r(&t, &tm))
        strftime(when, sizeof when, "%Y-%m-%d %H:%M UTC", &tm);
    if (f.token_class == 0 && f.subclass == 0) {
        uint64_t tenths = sts_amount_decode(f.amount);
        out->kind = UV_CREDIT_ELECTRICITY;
        out->amount = tenths * 100;
        snprintf(out->description, sizeof out->description,
                 "STS credit token: %llu.%llu kWh electricity, TID %u (%s), meter %.32s",
                 (unsigned long long)(tenths / 10), (unsigned long long)(tenths % 10), f.tid, when,
                 meter->number);
    } else if (f.token_class == 2) {
        out->kind = UV_CREDIT_ELECTRICITY;
        out->amount = 0; /* management tokens carry no credit */
        describe_class2(&f, when, meter->number, out->description, sizeof out->description);
    } else {
        out->kind = UV_CREDIT_ELECTRICITY;
        out->amount = 0;
        snprintf(out->description, sizeof out->description,
                 "STS token class %u subclass %u, TID %u (%s), meter %.32s", f.token_class,
                 f.subclass, f.tid, when, meter->number);
    }
    c->svc->wipe(&f, sizeof f);
    return UV_OK;
}

/* Known answer: STS Association conformance test STS 531-1-0-02, CTSA01
   step 1 (vending key abababababababab, KT 2, SGC 123456, TI 01, KRN 1,
   IIN 600727, DRN 00000000000, base date 1993, 2004-03-01 13:55 UTC, RND 5,
   0.1 kWh) gives token 23716100501183194197 under DKGA02 + EA07. Then an
   EA09 round trip, for which no published token exists. Class 2: CTSA03
   step 1 (SetMaximumPowerLimit 1000 W, 2004-03-28 09:01 UTC, RND 5) gives
   50901894209860263092, and CTSA05 step 1 (key change from TI 01 to TI 02,
   KEN 255, KRN 1, KT 2, RO 0) gives 51638423060042734509 and
   15361891762113502242 (STS 531-1-0-02, as encoded in the NectarAPI
   tokens-service conformance tests). */
static int sts_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    static const uint8_t vk[8] = {0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB, 0xAB};
    const sts_key_params kp = {2, 123456, 1, 1, "600727", "00000000000"};
    uint8_t dk[8];
    sts_block_fields f = {0, 0, 5, 0, 0, 0}, back, k1, k2;
    sts_keychange kc;
    char digits[21];
    int rc = UV_E_SELFTEST;
    memset(&kc, 0, sizeof kc);
    memset(&k1, 0, sizeof k1);
    memset(&k2, 0, sizeof k2);
    if (sts_tid_from_unix(INT64_C(1078149300), 1993, &f.tid) != STS_OK ||
        sts_amount_encode(1, &f.amount, NULL) != STS_OK || sts_dkga02(vk, &kp, dk) != STS_OK)
        goto out;
    if (sts_token_encode(dk, 7, &f, digits) != STS_OK ||
        strcmp(digits, "23716100501183194197") != 0)
        goto out;
    if (sts_token_encode(dk, 9, &f, digits) != STS_OK ||
        sts_token_decode(dk, 9, digits, &back) != STS_OK || back.tid != f.tid ||
        back.amount != f.amount || back.rnd != f.rnd)
        goto out;
    sts_block_fields mpl = {2, STS_C2_SET_MAX_POWER_LIMIT, 5, 0, 1000, 0};
    if (sts_tid_from_unix(INT64_C(1080464460), 1993, &mpl.tid) != STS_OK ||
        sts_token_encode(dk, 7, &mpl, digits) != STS_OK ||
        strcmp(digits, "50901894209860263092") != 0)
        goto out;
    sts_key_params kp2 = kp;
    kp2.tariff_index = 2;
    memset(&kc, 0, sizeof kc);
    kc.ken = 255;
    kc.krn = 1;
    kc.kt = 2;
    kc.ti = 2;
    if (sts_dkga02(vk, &kp2, kc.new_key) != STS_OK || sts_keychange_pack(&kc, &k1, &k2) != STS_OK ||
        sts_token_encode(dk, 7, &k1, digits) != STS_OK ||
        strcmp(digits, "51638423060042734509") != 0 ||
        sts_token_encode(dk, 7, &k2, digits) != STS_OK ||
        strcmp(digits, "15361891762113502242") != 0)
        goto out;
    rc = UV_OK;
out:
    explicit_bzero(dk, sizeof dk);
    explicit_bzero(&kc, sizeof kc);
    explicit_bzero(&k1, sizeof k1);
    explicit_bzero(&k2, sizeof k2);
    return rc;
}

static const struct uv_driver sts_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "sts",
    .vendor = "univend",
    .version = "1.0.0",
    .description = "IEC 62055-41 STS keypad tokens (EA07 and EA09, DKGA02, BDT 1993/2014, class 2 management)",
    .media = UV_MEDIUM_VIRTUAL,
    .type_codes = sts_type_codes,
    .open = sts_open,
    .close = sts_close,
    .verify = sts_verify,
    .read_medium = NULL,
    .issue_credit = sts_issue_credit,
    .issue_mgmt = sts_issue_mgmt,
    .decode_token = sts_decode_token,
    .strerror = drv_strerror,
    .last_error = sts_last_error,
    .self_test = sts_self_test,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &sts_driver : NULL;
}
