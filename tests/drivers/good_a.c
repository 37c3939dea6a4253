/*
 * good_a.c — a minimal, valid univend token driver for the tests.
 *
 * Name "good-a", medium VIRTUAL (keypad tokens), type codes TST-A1, TST-A2.
 *
 * Token format (20 digits, no secret at all — this is a test driver):
 *     K AAAAAAAAAAAAAAAAAAA
 *     K  one digit, the credit kind (uv_credit_kind 0..4)
 *     A  nineteen digits, the amount in the unit of that kind
 * so issue_credit() and decode_token() agree by construction: a token decodes
 * to exactly the kind and amount it was issued for, amount_issued equals the
 * requested amount. The token id is the host's sequence number; the per-meter
 * state is the number of tokens issued to the meter (8 bytes, big endian).
 * All state lives in the context or in the meter's state blob: no globals.
 *
 * This file is also the template of the deliberately broken drivers in this
 * directory: each of them #defines one or two TD_* knobs below and then
 * #includes this file, so it differs from a known-good driver in exactly the
 * way its name says and the loader's refusal can only be for that reason.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../drivers/univend_driver.h"

/* ---- knobs (defaults: a valid driver) ----------------------------------- */
#ifndef TD_NAME
#define TD_NAME "good-a"
#endif
#ifndef TD_VENDOR
#define TD_VENDOR "univend tests"
#endif
#ifndef TD_VERSION
#define TD_VERSION "1.0.0"
#endif
#ifndef TD_DESCRIPTION
#define TD_DESCRIPTION "test driver: amount in plain token digits"
#endif
#ifndef TD_MAGIC
#define TD_MAGIC UV_DRIVER_MAGIC
#endif
#ifndef TD_ABI_MAJOR
#define TD_ABI_MAJOR UV_ABI_MAJOR
#endif
#ifndef TD_ABI_MINOR
#define TD_ABI_MINOR UV_ABI_MINOR
#endif
#ifndef TD_STRUCT_SIZE
#define TD_STRUCT_SIZE ((uint32_t)sizeof(struct uv_driver))
#endif
#ifndef TD_MEDIA
#define TD_MEDIA UV_MEDIUM_VIRTUAL
#endif
/* The whole NULL-terminated initializer of the type code list. */
#ifndef TD_CODES
#define TD_CODES {"TST-A1", "TST-A2", NULL}
#endif
#ifndef TD_OPEN
#define TD_OPEN td_open
#endif
#ifndef TD_VERIFY
#define TD_VERIFY td_verify
#endif
#ifndef TD_ISSUE_CREDIT
#define TD_ISSUE_CREDIT td_issue_credit
#endif
#ifndef TD_DECODE_TOKEN
#define TD_DECODE_TOKEN td_decode_token
#endif
/* Optional slots: a token driver offers neither. */
#ifndef TD_READ_MEDIUM
#define TD_READ_MEDIUM NULL
#endif
#ifndef TD_ATR_PATTERNS
#define TD_ATR_PATTERNS NULL
#endif
#ifndef TD_ISSUE_MGMT
#define TD_ISSUE_MGMT NULL
#endif
/* Name of the exported entry function. */
#ifndef TD_ENTRY_FN
#define TD_ENTRY_FN univend_driver_entry
#endif
/* Statements run first thing in the entry function. */
#ifndef TD_ON_ENTRY
#define TD_ON_ENTRY
#endif
/* Statements run after issue_credit() filled a correct result (r, req). */
#ifndef TD_AFTER_ISSUE
#define TD_AFTER_ISSUE
#endif
/* Result of the self test when it is not the real known-answer test. */
#ifndef TD_SELF_TEST_RC
#define TD_SELF_TEST_RC UV_OK
#endif

#define TD_UNUSED __attribute__((unused))
#define TD_TOKEN_DIGITS 20
#define TD_AMOUNT_LIMIT 10000000000000000000ull /* 10^19: 19 digits */
#define TD_STATE_LEN 8

struct td_ctx {
    const struct uv_host_services *svc;
    void *host;
    char last_error[128];
};

static int td_error(struct td_ctx *c, int rc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int td_error(struct td_ctx *c, int rc, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->last_error, sizeof c->last_error, fmt, ap);
    va_end(ap);
    return rc;
}

static const char *td_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_ARG: return "invalid argument";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_AMOUNT_RANGE: return "amount cannot be carried by a test token";
    case UV_E_TOKEN_FORMAT: return "not a 20-digit test token";
    case UV_E_STATE: return "meter state is not a test driver state";
    case UV_E_SELFTEST: return "test driver self test failed";
    case UV_E_UNSUPPORTED: return "not offered by the test driver";
    default: return "unknown test driver error";
    }
}

static int td_open(const struct uv_host_services *svc, void *host, const struct uv_param *config,
                   size_t n_config, void **ctx)
{
    (void)config;
    (void)n_config;
    if (svc == NULL || ctx == NULL || svc->struct_size < sizeof *svc)
        return UV_E_ARG;
    struct td_ctx *c = calloc(1, sizeof *c);
    if (c == NULL)
        return UV_E_NOMEM;
    c->svc = svc;
    c->host = host;
    *ctx = c;
    return UV_OK;
}

static void td_close(void *ctx)
{
    free(ctx);
}

static const char *td_last_error(void *ctx)
{
    return ctx ? ((struct td_ctx *)ctx)->last_error : "";
}

static int td_meter_ok(struct td_ctx *c, const struct uv_meter *m)
{
    if (m == NULL || m->struct_size < sizeof *m || m->number == NULL || m->number[0] == '\0')
        return td_error(c, UV_E_ARG, "no meter given");
    if (m->state_len != 0 && (m->state == NULL || m->state_len != TD_STATE_LEN))
        return td_error(c, UV_E_STATE, "state is %zu bytes, not %d", m->state_len, TD_STATE_LEN);
    return UV_OK;
}

static int td_verify(void *ctx, const struct uv_meter *meter, struct uv_medium_info *info)
{
    struct td_ctx *c = ctx;
    if (c == NULL)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = td_meter_ok(c, meter);
    if (rc != UV_OK)
        return rc;
    if (info && info->struct_size >= sizeof *info) {
        snprintf(info->meter_number, sizeof info->meter_number, "%s", meter->number);
        snprintf(info->type_code, sizeof info->type_code, "%s",
                 meter->type_code ? meter->type_code : "");
        snprintf(info->summary, sizeof info->summary, "%s test meter %.32s", TD_NAME,
                 meter->number);
    }
    return UV_OK;
}

/* kind + amount -> 20 digits; 0 or a uv_rc. */
static int td_encode(uint32_t kind, uint64_t amount, char out[TD_TOKEN_DIGITS + 1])
{
    if (kind > UV_CREDIT_CURRENCY || amount == 0 || amount >= TD_AMOUNT_LIMIT)
        return UV_E_AMOUNT_RANGE;
    snprintf(out, TD_TOKEN_DIGITS + 1, "%u%019llu", (unsigned)kind, (unsigned long long)amount);
    return UV_OK;
}

static int td_decode(const char *token, uint32_t *kind, uint64_t *amount)
{
    if (token == NULL || strlen(token) != TD_TOKEN_DIGITS)
        return UV_E_TOKEN_FORMAT;
    uint64_t a = 0;
    for (int i = 0; i < TD_TOKEN_DIGITS; i++)
        if (token[i] < '0' || token[i] > '9')
            return UV_E_TOKEN_FORMAT;
    if (token[0] - '0' > UV_CREDIT_CURRENCY)
        return UV_E_TOKEN_FORMAT;
    for (int i = 1; i < TD_TOKEN_DIGITS; i++)
        a = a * 10 + (uint64_t)(token[i] - '0'); /* 19 digits always fit */
    if (a == 0)
        return UV_E_TOKEN_FORMAT;
    *kind = (uint32_t)(token[0] - '0');
    *amount = a;
    return UV_OK;
}

static TD_UNUSED int td_issue_credit(void *ctx, const struct uv_meter *meter,
                                     const struct uv_credit_request *req,
                                     struct uv_issue_result *out)
{
    struct td_ctx *c = ctx;
    if (c == NULL || req == NULL || out == NULL || req->struct_size < sizeof *req ||
        out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = td_meter_ok(c, meter);
    if (rc != UV_OK)
        return rc;
    char digits[TD_TOKEN_DIGITS + 1];
    if ((rc = td_encode(req->kind, req->amount, digits)) != UV_OK)
        return td_error(c, rc, "kind %u amount %llu cannot be encoded", req->kind,
                        (unsigned long long)req->amount);
    uint64_t issued = 0;
    for (size_t i = 0; i < meter->state_len; i++)
        issued = issued << 8 | meter->state[i];
    issued++;
    out->n_tokens = 1;
    snprintf(out->tokens[0], sizeof out->tokens[0], "%s", digits);
    out->amount_issued = req->amount;
    out->medium_written = 0;
    snprintf(out->token_id, sizeof out->token_id, "%llu", (unsigned long long)req->sequence);
    for (int i = 0; i < TD_STATE_LEN; i++)
        out->state[i] = (uint8_t)(issued >> (8 * (TD_STATE_LEN - 1 - i)));
    out->state_len = TD_STATE_LEN;
    TD_AFTER_ISSUE
    return UV_OK;
}

static TD_UNUSED int td_decode_token(void *ctx, const struct uv_meter *meter, const char *token,
                                     struct uv_token_info *out)
{
    struct td_ctx *c = ctx;
    if (c == NULL || token == NULL || out == NULL || out->struct_size < sizeof *out)
        return UV_E_ARG;
    c->last_error[0] = '\0';
    int rc = td_meter_ok(c, meter);
    if (rc != UV_OK)
        return rc;
    uint32_t kind;
    uint64_t amount;
    if ((rc = td_decode(token, &kind, &amount)) != UV_OK)
        return td_error(c, rc, "'%.40s' is not a test token", token);
    out->token_class = 0;
    out->subclass = 0;
    out->kind = kind;
    out->amount = amount;
    out->issued_at = 0;
    out->token_id[0] = '\0';
    snprintf(out->description, sizeof out->description, "%s credit token: kind %u amount %llu",
             TD_NAME, kind, (unsigned long long)amount);
    return UV_OK;
}

/* Known answers: one fixed token, and a round trip. */
static int td_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    if (TD_SELF_TEST_RC != UV_OK)
        return TD_SELF_TEST_RC;
    char t[TD_TOKEN_DIGITS + 1];
    uint32_t kind = 9;
    uint64_t amount = 0;
    if (td_encode(UV_CREDIT_ELECTRICITY, 1, t) != UV_OK || strcmp(t, "00000000000000000001") != 0)
        return UV_E_SELFTEST;
    if (td_encode(UV_CREDIT_WATER, 123456, t) != UV_OK || td_decode(t, &kind, &amount) != UV_OK ||
        kind != UV_CREDIT_WATER || amount != 123456)
        return UV_E_SELFTEST;
    if (td_decode("0000000000000000000x", &kind, &amount) != UV_E_TOKEN_FORMAT)
        return UV_E_SELFTEST;
    return UV_OK;
}

static const char *const td_codes[] = TD_CODES;

static const struct uv_driver td_driver = {
    .magic = TD_MAGIC,
    .abi_major = TD_ABI_MAJOR,
    .abi_minor = TD_ABI_MINOR,
    .struct_size = TD_STRUCT_SIZE,
    .name = TD_NAME,
    .vendor = TD_VENDOR,
    .version = TD_VERSION,
    .description = TD_DESCRIPTION,
    .media = TD_MEDIA,
    .type_codes = td_codes,
    .open = TD_OPEN,
    .close = td_close,
    .verify = TD_VERIFY,
    .read_medium = TD_READ_MEDIUM,
    .issue_credit = TD_ISSUE_CREDIT,
    .issue_mgmt = TD_ISSUE_MGMT,
    .decode_token = TD_DECODE_TOKEN,
    .strerror = td_strerror,
    .last_error = td_last_error,
    .self_test = td_self_test,
    .atr_patterns = TD_ATR_PATTERNS,
};

UV_DRIVER_EXPORT const struct uv_driver *TD_ENTRY_FN(uint32_t host_abi_major,
                                                     uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    TD_ON_ENTRY
    return host_abi_major == UV_ABI_MAJOR ? &td_driver : NULL;
}
