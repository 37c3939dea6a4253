/* drvsig.c — building and parsing driver signature texts. */
#include "drvsig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "digest.h"
#include "ed25519.h"
#include "loader.h"

int drvsig_text_valid(const char *s)
{
    size_t n = s ? strlen(s) : 0;
    if (n == 0 || n > 31 || s[0] == ' ' || s[n - 1] == ' ')
        return 0;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
            return 0;
    return 1;
}

int drvsig_has_code(const struct drvsig *d, const char *code)
{
    for (unsigned i = 0; i < d->n_codes; i++)
        if (strcmp(d->codes[i], code) == 0)
            return 1;
    return 0;
}

int drvsig_set_codes(struct drvsig *d, const char *list)
{
    d->n_codes = 0;
    for (const char *p = list; p && *p;) {
        const char *q = strchr(p, ',');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        char code[UV_TYPE_CODE_MAX + 1];
        if (l == 0 || l > UV_TYPE_CODE_MAX || d->n_codes >= UV_TYPE_CODES_MAX)
            return -1;
        memcpy(code, p, l);
        code[l] = '\0';
        if (!loader_type_code_valid(code) || drvsig_has_code(d, code))
            return -1;
        strcpy(d->codes[d->n_codes++], code);
        if (q == NULL)
            break;
        p = q + 1;
        if (*p == '\0')
            return -1; /* a trailing comma */
    }
    return d->n_codes ? 0 : -1;
}

void drvsig_codes_text(const struct drvsig *d, char *out, size_t cap)
{
    size_t pos = 0;
    out[0] = '\0';
    for (unsigned i = 0; i < d->n_codes; i++) {
        int w = snprintf(out + pos, cap - pos, "%s%s", i ? "," : "", d->codes[i]);
        if (w < 0 || (size_t)w >= cap - pos)
            return;
        pos += (size_t)w;
    }
}

static void time_text(int64_t t, char out[21])
{
    time_t tt = (time_t)t;
    struct tm tm;
    if (gmtime_r(&tt, &tm) == NULL || strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm) != 20)
        strcpy(out, "1970-01-01T00:00:00Z");
}

size_t drvsig_body(const struct drvsig *d, char *out, size_t cap, struct uv_error *err)
{
    char sha[65], signer[65], codes[UV_TYPE_CODES_MAX * 16], when[21];
    if (!drvsig_text_valid(d->driver) || !drvsig_text_valid(d->version)) {
        uv_fail(err, UVS_INPUT, "driver name and version must be 1-31 printable characters");
        return 0;
    }
    if (d->n_codes == 0 || d->n_codes > UV_TYPE_CODES_MAX) {
        uv_fail(err, UVS_INPUT, "a driver signature approves 1 to %d type codes",
                UV_TYPE_CODES_MAX);
        return 0;
    }
    for (unsigned i = 0; i < d->n_codes; i++) {
        if (!loader_type_code_valid(d->codes[i])) {
            uv_fail(err, UVS_INPUT, "type code '%s' is invalid (1-%d of A-Z 0-9 . _ -)",
                    d->codes[i], UV_TYPE_CODE_MAX);
            return 0;
        }
        for (unsigned j = 0; j < i; j++)
            if (strcmp(d->codes[i], d->codes[j]) == 0) {
                uv_fail(err, UVS_INPUT, "type code %s is listed twice", d->codes[i]);
                return 0;
            }
    }
    if (d->signed_at < 0 || d->signed_at > 253402300799) { /* up to 9999-12-31 */
        uv_fail(err, UVS_INPUT, "the signing time is out of range");
        return 0;
    }
    digest_hex(d->sha256, 32, sha);
    digest_hex(d->signer, 32, signer);
    drvsig_codes_text(d, codes, sizeof codes);
    time_text(d->signed_at, when);
    int n = snprintf(out, cap,
                     DRVSIG_MAGIC "\ndriver: %s\nversion: %s\ncodes: %s\nsha256: %s\n"
                                  "size: %llu\nsigned-at: %s\nsigner: %s\n",
                     d->driver, d->version, codes, sha, (unsigned long long)d->size, when, signer);
    if (n < 0 || (size_t)n >= cap) {
        uv_fail(err, UVS_INPUT, "a driver signature does not fit %zu bytes", cap);
        return 0;
    }
    return (size_t)n;
}

void drvsig_message(const char *body, size_t body_len, uint8_t *msg, size_t *len)
{
    memcpy(msg, DRVSIG_DOMAIN, sizeof DRVSIG_DOMAIN); /* with its NUL */
    memcpy(msg + sizeof DRVSIG_DOMAIN, body, body_len);
    *len = sizeof DRVSIG_DOMAIN + body_len;
}

size_t drvsig_format(const struct drvsig *d, char *out, size_t cap, struct uv_error *err)
{
    char sig[129];
    size_t n = drvsig_body(d, out, cap, err);
    if (n == 0)
        return 0;
    digest_hex(d->sig, 64, sig);
    int w = snprintf(out + n, cap - n, "signature: %s\n", sig);
    if (w < 0 || (size_t)w >= cap - n) {
        uv_fail(err, UVS_INPUT, "a driver signature does not fit %zu bytes", cap);
        return 0;
    }
    return n + (size_t)w;
}

/* ---- parsing ------------------------------------------------------------ */

struct cursor {
    const char *p, *end;
    unsigned line;
    struct uv_error *err;
};

/* The next line must be "name: value"; copy the value (NUL-terminated)
   into val. */
static int field(struct cursor *c, const char *name, char *val, size_t cap)
{
    c->line++;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    size_t nlen = strlen(name);
    if (nl == NULL) {
        uv_fail(c->err, UVS_INPUT, "line %u: the text ends before '%s:' (truncated?)", c->line,
                name);
        return -1;
    }
    size_t l = (size_t)(nl - c->p);
    if (l < nlen + 2 || memcmp(c->p, name, nlen) != 0 || c->p[nlen] != ':' ||
        c->p[nlen + 1] != ' ') {
        uv_fail(c->err, UVS_INPUT, "line %u: expected '%s: ...'", c->line, name);
        return -1;
    }
    size_t vl = l - nlen - 2;
    if (vl == 0 || vl >= cap || memchr(c->p + nlen + 2, '\0', vl) != NULL) {
        uv_fail(c->err, UVS_INPUT, "line %u: '%s' is empty or too long", c->line, name);
        return -1;
    }
    memcpy(val, c->p + nlen + 2, vl);
    val[vl] = '\0';
    c->p = nl + 1;
    return 0;
}

static int lower_hex(const char *s, uint8_t *out, size_t n)
{
    for (const char *q = s; *q; q++)
        if (!((*q >= '0' && *q <= '9') || (*q >= 'a' && *q <= 'f')))
            return -1;
    return digest_unhex(s, out, n);
}

static int parse_time(const char *s, int64_t *out)
{
    struct tm tm;
    char back[21];
    memset(&tm, 0, sizeof tm);
    if (strlen(s) != 20)
        return -1;
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%SZ", &tm);
    if (e == NULL || *e != '\0')
        return -1;
    time_t t = timegm(&tm);
    if (t < 0)
        return -1;
    time_text(t, back); /* canonical: no 25:61:61 that mktime would fold */
    if (strcmp(back, s) != 0)
        return -1;
    *out = (int64_t)t;
    return 0;
}

static int parse_size(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0') || strlen(s) > 12)
        return -1;
    for (const char *q = s; *q; q++) {
        if (*q < '0' || *q > '9')
            return -1;
        v = v * 10 + (uint64_t)(*q - '0');
    }
    *out = v;
    return 0;
}

uv_status drvsig_parse(const char *text, size_t len, struct drvsig *out, struct uv_error *err)
{
    struct cursor c = {text, text + len, 0, err};
    char v[DRVSIG_MAX];
    memset(out, 0, sizeof *out);
    if (len == 0)
        return uv_fail(err, UVS_INPUT, "the signature is empty");
    if (len > DRVSIG_MAX)
        return uv_fail(err, UVS_INPUT, "the signature is longer than %d bytes: not a driver "
                                       "signature", DRVSIG_MAX);
    size_t ml = strlen(DRVSIG_MAGIC);
    c.line = 1;
    if (len < ml + 1 || memcmp(text, DRVSIG_MAGIC, ml) != 0 || text[ml] != '\n')
        return uv_fail(err, UVS_INPUT, "line 1: not a univend driver signature (expected '%s')",
                       DRVSIG_MAGIC);
    c.p = text + ml + 1;
    if (field(&c, "driver", out->driver, sizeof out->driver) != 0)
        return err->status;
    if (!drvsig_text_valid(out->driver))
        return uv_fail(err, UVS_INPUT, "line %u: driver name is not 1-31 printable characters",
                       c.line);
    if (field(&c, "version", out->version, sizeof out->version) != 0)
        return err->status;
    if (!drvsig_text_valid(out->version))
        return uv_fail(err, UVS_INPUT, "line %u: version is not 1-31 printable characters",
                       c.line);
    if (field(&c, "codes", v, UV_TYPE_CODES_MAX * 16) != 0)
        return err->status;
    if (drvsig_set_codes(out, v) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: type codes are invalid, repeated or more than %d",
                       c.line, UV_TYPE_CODES_MAX);
    if (field(&c, "sha256", v, 65) != 0)
        return err->status;
    if (lower_hex(v, out->sha256, 32) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: sha256 is not 64 lower-case hex digits", c.line);
    if (field(&c, "size", v, 13) != 0)
        return err->status;
    if (parse_size(v, &out->size) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: size is not a number of bytes", c.line);
    if (field(&c, "signed-at", v, 21) != 0)
        return err->status;
    if (parse_time(v, &out->signed_at) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: signed-at is not YYYY-MM-DDTHH:MM:SSZ", c.line);
    if (field(&c, "signer", v, 65) != 0)
        return err->status;
    if (lower_hex(v, out->signer, 32) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: signer is not 64 lower-case hex digits", c.line);
    out->body_len = (size_t)(c.p - text);
    if (field(&c, "signature", v, 129) != 0)
        return err->status;
    if (lower_hex(v, out->sig, 64) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: signature is not 128 lower-case hex digits",
                       c.line);
    if (c.p != c.end)
        return uv_fail(err, UVS_INPUT, "line %u: text after the signature", c.line + 1);
    return UVS_OK;
}

uv_status drvsig_parse_verified(const char *text, size_t len, struct drvsig *out,
                                struct uv_error *err)
{
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX];
    size_t ml;
    uv_status st = drvsig_parse(text, len, out, err);
    if (st != UVS_OK)
        return st;
    drvsig_message(text, out->body_len, msg, &ml);
    if (ed25519_verify(out->signer, msg, ml, out->sig, err) != UVS_OK)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the key it names: the signature "
                       "text was altered or forged");
    return UVS_OK;
}
