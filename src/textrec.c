/* textrec.c — lines, numbers, hex and CSV for univend's signed text files. */
#include "textrec.h"

#include <string.h>

#include "digest.h"

int tr_next_line(struct tr_cursor *c, const char **s, size_t *n)
{
    if (c->p >= c->end)
        return 0;
    const char *nl = memchr(c->p, '\n', (size_t)(c->end - c->p));
    if (nl == NULL)
        return -1;
    *s = c->p;
    *n = (size_t)(nl - c->p);
    c->p = nl + 1;
    c->line++;
    return 1;
}

uv_status tr_bad(struct tr_cursor *c, const char *what)
{
    return uv_fail(c->err, UVS_INPUT, "line %u: %s", c->line, what);
}

int tr_parse_u64(const char *s, size_t n, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 19 || (n > 1 && s[0] == '0'))
        return -1;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    *out = v;
    return 0;
}

int tr_parse_i64(const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    int neg = n > 0 && s[0] == '-';
    if (tr_parse_u64(s + neg, n - (size_t)neg, &v) != 0 || v > (uint64_t)INT64_MAX ||
        (neg && v == 0))
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

/* Lower case only: one spelling per value. A table, not comparisons: head
   office decodes a receipt hash per receipt it imports. */
static const uint8_t hexdigit[256] = {
    ['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8,
    ['8'] = 9, ['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16};

int tr_parse_hex(const char *s, size_t n, uint8_t *out, size_t len)
{
    if (n != 2 * len)
        return -1;
    for (size_t i = 0; i < len; i++) {
        unsigned hi = hexdigit[(unsigned char)s[2 * i]], lo = hexdigit[(unsigned char)s[2 * i + 1]];
        if (hi == 0 || lo == 0)
            return -1;
        out[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
    }
    return 0;
}

int tr_printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

int tr_csv_split(const char *s, size_t n, char *scratch, char **fields, size_t max,
                 size_t field_max, size_t *nf)
{
    size_t i = 0, f = 0;
    char *o = scratch;
    if (memchr(s, '\0', n) != NULL)
        return -1;
    for (;;) {
        if (f >= max)
            return -1;
        char *start = o;
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return -1; /* unterminated quote */
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        *o++ = '"';
                        i += 2;
                        continue;
                    }
                    i++;
                    break;
                }
                *o++ = s[i++];
            }
            if (i < n && s[i] != ',')
                return -1;
        } else {
            const char *comma = memchr(s + i, ',', n - i);
            size_t l = comma ? (size_t)(comma - (s + i)) : n - i;
            if (memchr(s + i, '"', l) != NULL)
                return -1;
            memcpy(o, s + i, l);
            o += l;
            i += l;
        }
        if ((size_t)(o - start) + 1 > field_max)
            return -1;
        *o++ = '\0';
        fields[f++] = start;
        if (i >= n)
            break;
        i++; /* the comma */
        if (i == n) { /* trailing comma: one more empty field */
            if (f >= max)
                return -1;
            *o = '\0';
            fields[f++] = o++;
            break;
        }
    }
    *nf = f;
    return 0;
}

void tr_csv_text(FILE *out, const char *s)
{
    int quote = strpbrk(s, ",\"") != NULL;
    if (quote)
        fputc('"', out);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"')
            fputc('"', out);
        /* the readers take no control byte: a tab or line break in an
           audit subject or a file name must not make a signed file that
           can never be read */
        fputc(c < 0x20 || c == 0x7f ? '?' : c, out);
    }
    if (quote)
        fputc('"', out);
}

void tr_signed_message(const char *context, size_t ctx_len, const void *body, size_t len,
                       uint8_t *msg)
{
    memcpy(msg, context, ctx_len);
    digest_sha256(body, len, msg + ctx_len);
}
