/*
 * xmpl_driver.c — an example univend driver for a maker's own keypad meter.
 *
 * Built out of tree against the installed <univend_driver.h> only (see the
 * Makefile beside it and docs/drivers.md). It shows every part a driver has:
 * the one exported entry symbol, a constant descriptor, a context per open()
 * with no globals, keys from the host key store, per-meter state kept by the
 * host, a token the host can decode again, error codes with text, and a
 * known-answer self test.
 *
 * The scheme (a made-up one, for the example): a 20-digit token is
 *     amount in 0.1 kWh (7 digits) | counter (5 digits) | MAC (8 digits)
 * where MAC = the first 4 bytes of HMAC-SHA256(meter key, "meter:amount:counter")
 * as a number, mod 10^8. The counter must increase: the host keeps the last
 * one in the meter's state. Type code XMPL-1; meter parameter `key` names
 * the key (default "xmpl:<meter number>", 16 to 64 bytes).
 */
#include <gcrypt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <univend_driver.h>

#define XMPL_STATE_VERSION 1
#define XMPL_E_COUNTER (UV_E_VENDOR_BASE + 1)

struct xmpl {
    const struct uv_host_services *svc;
    void *host;
    char last_error[160];
};

static const char *const xmpl_codes[] = {"XMPL-1", NULL};

static int fail(struct xmpl *x, int rc, const char *msg)
{
    snprintf(x->last_error, sizeof x->last_error, "%s", msg);
    return rc;
}

static const char *xmpl_strerror(int rc)
{
    switch (rc) {
    case UV_OK: return "success";
    case UV_E_ARG: return "invalid argument";
    case UV_E_NOMEM: return "out of memory";
    case UV_E_UNSUPPORTED: return "not offered by the example driver";
    case UV_E_PARAM: return "meter parameter invalid";
    case UV_E_KEY_MISSING: return "meter key not in the key store";
    case UV_E_KEY_INVALID: return "meter key has the wrong length";
    case UV_E_AMOUNT_RANGE: return "amount out of range for one token";
    case UV_E_TOKEN_FORMAT: return "not a 20-digit example token";
    case UV_E_TOKEN_AUTH: return "token MAC does not match (wrong meter or mistyped)";
    case UV_E_STATE: return "stored meter state is damaged";
    case UV_E_CRYPTO: return "crypto library failure";
    case UV_E_SELFTEST: return "self test failed";
    case XMPL_E_COUNTER: return "the token counter is used up";
    default: return "unknown example driver error";
    }
}

static const char *xmpl_last_error(void *ctx)
{
    return ctx ? ((struct xmpl *)ctx)->last_error : "";
}

static int xmpl_open(const struct uv_host_services *svc, void *host, const struct uv_param *cfg,
                     size_t n_cfg, void **ctx)
{
    (void)cfg;
    (void)n_cfg;
    if (svc == NULL || ctx == NULL || svc->struct_size < sizeof *svc)
        return UV_E_ARG;
    struct xmpl *x = calloc(1, sizeof *x);
    if (x == NULL)
        return UV_E_NOMEM;
    x->svc = svc;
    x->host = host;
    *ctx = x;
    return UV_OK;
}

static void xmpl_close(void *ctx)
{
    free(ctx);
}

static const char *param(const struct uv_meter *m, const char *name)
{
    for (size_t i = 0; i < m->n_params; i++)
        if (strcmp(m->params[i].name, name) == 0)
            return m->params[i].value;
    return NULL;
}

/* The meter's key into key[64]; *len set. The caller wipes it. */
static int meter_key(struct xmpl *x, const struct uv_meter *m, unsigned char key[64], size_t *len)
{
    char ref[96];
    const char *p = param(m, "key");
    if (p)
        snprintf(ref, sizeof ref, "%s", p);
    else
        snprintf(ref, sizeof ref, "xmpl:%s", m->number);
    int rc = x->svc->key_get(x->host, ref, key, 64, len);
    if (rc == UV_E_BUFFER_TOO_SMALL)
        return fail(x, UV_E_KEY_INVALID, "the meter key is longer than 64 bytes");
    if (rc != UV_OK)
        return fail(x, UV_E_KEY_MISSING, "no key for this meter in the key store");
    if (*len < 16)
        return fail(x, UV_E_KEY_INVALID, "the meter key is shorter than 16 bytes");
    return UV_OK;
}

static int mac8(const unsigned char *key, size_t klen, const char *meter, unsigned long amount,
                unsigned long counter, unsigned long *out)
{
    char msg[96];
    unsigned char digest[32];
    int n = snprintf(msg, sizeof msg, "%s:%lu:%lu", meter, amount, counter);
    if (n < 0 || (size_t)n >= sizeof msg)
        return UV_E_ARG;
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0)
        return UV_E_CRYPTO;
    if (gcry_md_setkey(h, key, klen) != 0) {
        gcry_md_close(h);
        return UV_E_CRYPTO;
    }
    gcry_md_write(h, msg, (size_t)n);
    memcpy(digest, gcry_md_read(h, GCRY_MD_SHA256), sizeof digest);
    gcry_md_close(h);
    *out = ((unsigned long)digest[0] << 24 | (unsigned long)digest[1] << 16 |
            (unsigned long)digest[2] << 8 | digest[3]) % 100000000UL;
    return UV_OK;
}

static int read_state(struct xmpl *x, const struct uv_meter *m, unsigned long *counter)
{
    *counter = 0;
    if (m->state_len == 0)
        return UV_OK;
    if (m->state_len != 4 || m->state[0] != XMPL_STATE_VERSION)
        return fail(x, UV_E_STATE, "meter state has an unknown layout");
    *counter = (unsigned long)m->state[1] << 16 | (unsigned long)m->state[2] << 8 | m->state[3];
    return UV_OK;
}

static int xmpl_verify(void *ctx, const struct uv_meter *m, struct uv_medium_info *info)
{
    struct xmpl *x = ctx;
    unsigned char key[64];
    size_t len = 0;
    unsigned long counter;
    if (x == NULL || m == NULL || m->struct_size < sizeof *m || m->number == NULL)
        return UV_E_ARG;
    int rc = read_state(x, m, &counter);
    if (rc == UV_OK)
        rc = meter_key(x, m, key, &len);
    x->svc->wipe(key, sizeof key);
    if (rc != UV_OK)
        return rc;
    if (counter >= 99999)
        return fail(x, XMPL_E_COUNTER, "no counter values left on this meter");
    if (info && info->struct_size >= sizeof *info)
        snprintf(info->summary, sizeof info->summary, "example meter, %lu tokens so far", counter);
    return UV_OK;
}

static int xmpl_issue_credit(void *ctx, const struct uv_meter *m, const struct uv_credit_request *req,
                             struct uv_issue_result *out)
{
    struct xmpl *x = ctx;
    unsigned char key[64];
    size_t len = 0;
    unsigned long counter, mac;
    if (x == NULL || m == NULL || req == NULL || out == NULL || out->struct_size < sizeof *out ||
        req->struct_size < sizeof *req)
        return UV_E_ARG;
    if (req->kind != UV_CREDIT_ELECTRICITY)
        return fail(x, UV_E_UNSUPPORTED, "electricity only");
    unsigned long tenths = (unsigned long)(req->amount / 100);
    if (tenths == 0 || tenths > 9999999UL)
        return fail(x, UV_E_AMOUNT_RANGE, "0.1 to 999999.9 kWh per token");
    int rc = read_state(x, m, &counter);
    if (rc != UV_OK)
        return rc;
    if (++counter > 99999)
        return fail(x, XMPL_E_COUNTER, "no counter values left on this meter");
    if ((rc = meter_key(x, m, key, &len)) == UV_OK)
        rc = mac8(key, len, m->number, tenths, counter, &mac);
    x->svc->wipe(key, sizeof key);
    if (rc != UV_OK)
        return rc;
    snprintf(out->tokens[0], sizeof out->tokens[0], "%07lu%05lu%08lu", tenths, counter, mac);
    out->n_tokens = 1;
    out->amount_issued = (uint64_t)tenths * 100;
    snprintf(out->token_id, sizeof out->token_id, "%lu", counter);
    out->state[0] = XMPL_STATE_VERSION;
    out->state[1] = (uint8_t)(counter >> 16);
    out->state[2] = (uint8_t)(counter >> 8);
    out->state[3] = (uint8_t)counter;
    out->state_len = 4;
    return UV_OK;
}

static int xmpl_decode(void *ctx, const struct uv_meter *m, const char *token,
                       struct uv_token_info *out)
{
    struct xmpl *x = ctx;
    unsigned char key[64];
    size_t len = 0;
    char digits[21];
    size_t n = 0;
    if (x == NULL || m == NULL || token == NULL || out == NULL || out->struct_size < sizeof *out)
        return UV_E_ARG;
    for (const char *p = token; *p; p++) {
        if (*p == ' ' || *p == '-')
            continue;
        if (*p < '0' || *p > '9' || n == 20)
            return fail(x, UV_E_TOKEN_FORMAT, "20 digits expected");
        digits[n++] = *p;
    }
    if (n != 20)
        return fail(x, UV_E_TOKEN_FORMAT, "20 digits expected");
    digits[20] = '\0';
    unsigned long mac, want, counter, tenths;
    char part[9];
    memcpy(part, digits, 7);
    part[7] = '\0';
    tenths = strtoul(part, NULL, 10);
    memcpy(part, digits + 7, 5);
    part[5] = '\0';
    counter = strtoul(part, NULL, 10);
    mac = strtoul(digits + 12, NULL, 10);
    int rc = meter_key(x, m, key, &len);
    if (rc == UV_OK)
        rc = mac8(key, len, m->number, tenths, counter, &want);
    x->svc->wipe(key, sizeof key);
    if (rc != UV_OK)
        return rc;
    if (want != mac)
        return fail(x, UV_E_TOKEN_AUTH, "MAC mismatch");
    out->token_class = 0;
    out->kind = UV_CREDIT_ELECTRICITY;
    out->amount = (uint64_t)tenths * 100;
    snprintf(out->token_id, sizeof out->token_id, "%lu", counter);
    snprintf(out->description, sizeof out->description,
             "example token: %lu.%lu kWh, counter %lu", tenths / 10, tenths % 10, counter);
    return UV_OK;
}

/* Known answer: HMAC-SHA256 of RFC 4231 test case 2 ("Jefe", "what do ya
   want for nothing?") starts 5bdcc146, so a known MAC is checked without any
   host key. */
static int xmpl_self_test(const struct uv_host_services *svc, void *host)
{
    (void)svc;
    (void)host;
    unsigned char d[32];
    gcry_md_hd_t h;
    if (gcry_md_open(&h, GCRY_MD_SHA256, GCRY_MD_FLAG_HMAC) != 0)
        return UV_E_CRYPTO;
    gcry_md_setkey(h, "Jefe", 4);
    gcry_md_write(h, "what do ya want for nothing?", 28);
    memcpy(d, gcry_md_read(h, GCRY_MD_SHA256), 32);
    gcry_md_close(h);
    return (d[0] == 0x5b && d[1] == 0xdc && d[2] == 0xc1 && d[3] == 0x46) ? UV_OK : UV_E_SELFTEST;
}

static const struct uv_driver xmpl_driver = {
    .magic = UV_DRIVER_MAGIC,
    .abi_major = UV_ABI_MAJOR,
    .abi_minor = UV_ABI_MINOR,
    .struct_size = sizeof(struct uv_driver),
    .name = "xmpl",
    .vendor = "Example Meters Ltd",
    .version = "0.1.0",
    .description = "example keypad meter driver built out of tree",
    .media = UV_MEDIUM_VIRTUAL,
    .type_codes = xmpl_codes,
    .open = xmpl_open,
    .close = xmpl_close,
    .verify = xmpl_verify,
    .issue_credit = xmpl_issue_credit,
    .decode_token = xmpl_decode,
    .strerror = xmpl_strerror,
    .last_error = xmpl_last_error,
    .self_test = xmpl_self_test,
};

UV_DRIVER_EXPORT const struct uv_driver *univend_driver_entry(uint32_t host_abi_major,
                                                              uint32_t host_abi_minor)
{
    (void)host_abi_minor;
    return host_abi_major == UV_ABI_MAJOR ? &xmpl_driver : NULL;
}
