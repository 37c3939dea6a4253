/*
 * export_reference.c — the plain export file reader univend had before the
 * lean one (src/exportparse.c): every line split into copied fields first,
 * then converted; formats 1, 2 and 3. fuzz_export holds the two to the same
 * verdict and the same records on every input; the format is the one in
 * docs/export-format.md.
 */
#include <string.h>

#include "digest.h"
#include "exportfile.h"

uv_status ref_exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                               exportfile_record_fn fn, void *arg, struct uv_error *err);

#define MAX_FIELDS 24
#define FIELD_MAX 512

struct cursor {
    const char *p, *end;
    unsigned line;
    struct uv_error *err;
};

static uv_status bad(struct cursor *c, const char *what)
{
    return uv_fail(c->err, UVS_INPUT, "line %u: %s", c->line, what);
}

/* Next line without its LF; refuses CR, NUL and a missing final LF. */
static int next_line(struct cursor *c, const char **s, size_t *n)
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

static int parse_u64(const char *s, size_t n, uint64_t *out)
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

static int parse_i64(const char *s, size_t n, int64_t *out)
{
    uint64_t v;
    int neg = n > 0 && s[0] == '-';
    if (parse_u64(s + neg, n - (size_t)neg, &v) != 0 || v > (uint64_t)INT64_MAX || (neg && v == 0))
        return -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

static int parse_hex(const char *s, size_t n, uint8_t *out, size_t len)
{
    char tmp[129];
    if (n != 2 * len || n >= sizeof tmp)
        return -1;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (!((tmp[i] >= '0' && tmp[i] <= '9') || (tmp[i] >= 'a' && tmp[i] <= 'f')))
            return -1; /* lower case only: one spelling per value */
    return digest_unhex(tmp, out, len);
}

static int printable(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return 0;
    return 1;
}

/* The header: fixed names in a fixed order; version 2 adds three at the end,
   version 3 nine more. */
static uv_status parse_header(struct cursor *c, struct export_header *h)
{
    static const char *const names[] = {
        "kiosk",         "sequence",     "created",       "currency",
        "currency_decimals", "receipt_first", "receipt_last", "audit_first",
        "audit_last",    "closing_first", "closing_last", "prev_hash",
        "receipts",      "audits",       "closings",      "total_gross",
        "total_vat",     "total_net",    "total_energy_wh", "public_key",
        "instruction_first", "instruction_last", "instructions",
        "credit_grants", "credit_from_receipt", "credit_money_granted", "credit_money_used",
        "credit_money_left", "credit_energy_granted_wh", "credit_energy_used_wh",
        "credit_energy_left_wh", "credit_expires"};
    int64_t money_left = 0, energy_left = 0;
    const char *s;
    size_t n, m = strlen(EXPORT_MAGIC);
    /* a file cut inside its header is reported as truncated, not as foreign */
    if (memchr(c->p, '\n', (size_t)(c->end - c->p)) == NULL) {
        size_t have = (size_t)(c->end - c->p);
        if (memcmp(c->p, EXPORT_MAGIC, have < m - 1 ? have : m - 1) == 0)
            return uv_fail(c->err, UVS_INPUT, "the file is cut off in its header (truncated)");
    }
    memset(h, 0, sizeof *h);
    int got = next_line(c, &s, &n);
    if (got == 1 && n == m && memcmp(s, EXPORT_MAGIC, n) == 0)
        h->version = 1;
    else if (got == 1 && n == m && memcmp(s, EXPORT_MAGIC_V2, n) == 0)
        h->version = 2;
    else if (got == 1 && n == m && memcmp(s, EXPORT_MAGIC_V3, n) == 0)
        h->version = 3;
    else
        return uv_fail(c->err, UVS_INPUT, "not a univend export file (its first line is wrong)");
    size_t nnames = h->version >= 3 ? sizeof names / sizeof names[0] : h->version == 2 ? 23 : 20;
    for (size_t i = 0; i < nnames; i++) {
        size_t nl = strlen(names[i]);
        got = next_line(c, &s, &n);
        if (got != 1)
            return uv_fail(c->err, UVS_INPUT, "the file is cut off in its header (truncated)");
        if (n <= nl || memcmp(s, names[i], nl) != 0 || s[nl] != '=')
            return uv_fail(c->err, UVS_INPUT, "line %u: header field %s missing or out of order",
                           c->line, names[i]);
        const char *v = s + nl + 1;
        size_t vn = n - nl - 1;
        uint64_t u = 0;
        int64_t x = 0;
        int rc = 0;
        switch (i) {
        case 0:
            if (vn == 0 || vn >= sizeof h->kiosk || !printable(v, vn) || memchr(v, ',', vn))
                rc = -1;
            else
                memcpy(h->kiosk, v, vn);
            break;
        case 1: rc = parse_u64(v, vn, &h->sequence) || h->sequence == 0; break;
        case 2: rc = parse_i64(v, vn, &h->created); break;
        case 3:
            rc = vn != 3 || !printable(v, vn);
            if (!rc)
                memcpy(h->currency, v, 3);
            break;
        case 4: rc = parse_u64(v, vn, &u) || u > 4; h->currency_decimals = (unsigned)u; break;
        case 5: rc = parse_u64(v, vn, &h->receipt_first); break;
        case 6: rc = parse_u64(v, vn, &h->receipt_last); break;
        case 7: rc = parse_u64(v, vn, &h->audit_first); break;
        case 8: rc = parse_u64(v, vn, &h->audit_last); break;
        case 9: rc = parse_u64(v, vn, &h->closing_first); break;
        case 10: rc = parse_u64(v, vn, &h->closing_last); break;
        case 11: rc = parse_hex(v, vn, h->prev_hash, 32); break;
        case 12: rc = parse_u64(v, vn, &h->receipts); break;
        case 13: rc = parse_u64(v, vn, &h->audits); break;
        case 14: rc = parse_u64(v, vn, &h->closings); break;
        case 15: rc = parse_i64(v, vn, &h->total_gross); break;
        case 16: rc = parse_i64(v, vn, &h->total_vat); break;
        case 17: rc = parse_i64(v, vn, &x); h->total_net = x; break;
        case 18: rc = parse_u64(v, vn, &h->total_energy_wh); break;
        case 19: rc = parse_hex(v, vn, h->public_key, 32); break;
        case 20: rc = parse_u64(v, vn, &h->instruction_first); break;
        case 21: rc = parse_u64(v, vn, &h->instruction_last); break;
        case 22: rc = parse_u64(v, vn, &h->instructions); break;
        case 23: rc = parse_u64(v, vn, &h->credit_grants); break;
        case 24: rc = parse_u64(v, vn, &h->credit_from_receipt); break;
        case 25: rc = parse_i64(v, vn, &h->credit_money_granted) || h->credit_money_granted < 0; break;
        case 26: rc = parse_i64(v, vn, &h->credit_money_used) || h->credit_money_used < 0; break;
        case 27: rc = parse_i64(v, vn, &money_left); break;
        case 28: rc = parse_u64(v, vn, &h->credit_energy_granted_wh) ||
                      h->credit_energy_granted_wh > INT64_MAX; break;
        case 29: rc = parse_u64(v, vn, &h->credit_energy_used_wh) ||
                      h->credit_energy_used_wh > INT64_MAX; break;
        case 30: rc = parse_i64(v, vn, &energy_left); break;
        case 31: rc = parse_i64(v, vn, &h->credit_expires); break;
        }
        if (rc)
            return uv_fail(c->err, UVS_INPUT, "line %u: header field %s is malformed", c->line,
                           names[i]);
    }
    if (next_line(c, &s, &n) != 1 || n != 0)
        return bad(c, "expected a blank line after the header");
    if (h->version >= 3 &&
        (money_left != h->credit_money_granted - h->credit_money_used ||
         energy_left != (int64_t)h->credit_energy_granted_wh - (int64_t)h->credit_energy_used_wh))
        return uv_fail(c->err, UVS_INPUT, "header: the credit left is not granted minus used");
    /* each range: empty (0,0) or first <= last with last-first+1 == count */
    struct { uint64_t f, l, n; const char *what; } r[] = {
        {h->receipt_first, h->receipt_last, h->receipts, "receipt"},
        {h->audit_first, h->audit_last, h->audits, "audit"},
        {h->closing_first, h->closing_last, h->closings, "closing"},
        {h->instruction_first, h->instruction_last, h->instructions, "instruction"}};
    for (int i = 0; i < 4; i++) {
        int empty = r[i].f == 0 && r[i].l == 0 && r[i].n == 0;
        if (!empty && (r[i].f == 0 || r[i].l < r[i].f || r[i].l - r[i].f + 1 != r[i].n))
            return uv_fail(c->err, UVS_INPUT, "header: the %s range does not match its count",
                           r[i].what);
    }
    return UVS_OK;
}

/* Split one CSV line (RFC 4180 quoting) into fields copied to buf. */
static int split_csv(const char *s, size_t n, char fields[][FIELD_MAX], size_t *nf)
{
    size_t i = 0, f = 0;
    for (;;) {
        if (f >= MAX_FIELDS)
            return -1;
        size_t o = 0;
        if (i < n && s[i] == '"') {
            i++;
            for (;;) {
                if (i >= n)
                    return -1; /* unterminated quote */
                if (s[i] == '"') {
                    if (i + 1 < n && s[i + 1] == '"') {
                        i += 2;
                        if (o + 1 >= FIELD_MAX)
                            return -1;
                        fields[f][o++] = '"';
                        continue;
                    }
                    i++;
                    break;
                }
                if (o + 1 >= FIELD_MAX)
                    return -1;
                fields[f][o++] = s[i++];
            }
            if (i < n && s[i] != ',')
                return -1;
        } else {
            while (i < n && s[i] != ',') {
                if (s[i] == '"' || o + 1 >= FIELD_MAX)
                    return -1;
                fields[f][o++] = s[i++];
            }
        }
        fields[f][o] = '\0';
        if (memchr(fields[f], '\0', o) != NULL)
            return -1;
        f++;
        if (i >= n)
            break;
        i++; /* the comma */
        if (i == n) { /* trailing comma: one more empty field */
            if (f >= MAX_FIELDS)
                return -1;
            fields[f++][0] = '\0';
            break;
        }
    }
    *nf = f;
    return 0;
}

static int fu64(const char *f, uint64_t *v) { return parse_u64(f, strlen(f), v); }
static int fi64(const char *f, int64_t *v) { return parse_i64(f, strlen(f), v); }
static int fstr(const char *f, char *dst, size_t cap)
{
    size_t n = strlen(f);
    if (n >= cap || !printable(f, n))
        return -1;
    memcpy(dst, f, n + 1);
    return 0;
}

static int to_receipt(char f[][FIELD_MAX], size_t nf, struct rec_receipt *r)
{
    uint64_t u;
    memset(r, 0, sizeof *r);
    if (nf != 19)
        return -1;
    if (fu64(f[1], &r->number) || fi64(f[2], &r->time) || fstr(f[3], r->clerk, sizeof r->clerk) ||
        fstr(f[4], r->meter, sizeof r->meter) || fstr(f[5], r->customer, sizeof r->customer) ||
        fstr(f[6], r->type_code, sizeof r->type_code) || fstr(f[7], r->driver, sizeof r->driver) ||
        fstr(f[8], r->driver_version, sizeof r->driver_version) ||
        fstr(f[9], r->tariff, sizeof r->tariff) || fi64(f[10], &r->gross) ||
        fi64(f[11], &r->vat) || fi64(f[12], &r->net) || fu64(f[13], &u) || u > 10000)
        return -1;
    r->vat_bp = (uint32_t)u;
    if (fi64(f[14], &r->price_milli) || fu64(f[15], &r->energy_wh) ||
        fstr(f[16], r->token_id, sizeof r->token_id))
        return -1;
    /* tokens: space separated */
    const char *t = f[17];
    while (*t) {
        const char *sp = strchr(t, ' ');
        size_t n = sp ? (size_t)(sp - t) : strlen(t);
        if (n == 0 || n >= REC_TOKEN_MAX || r->n_tokens >= REC_TOKENS || !printable(t, n))
            return -1;
        memcpy(r->tokens[r->n_tokens], t, n);
        r->tokens[r->n_tokens++][n] = '\0';
        t += n + (sp ? 1 : 0);
        if (sp && *t == '\0')
            return -1;
    }
    return parse_hex(f[18], strlen(f[18]), r->hash, 32);
}

static int to_audit(char f[][FIELD_MAX], size_t nf, struct rec_audit *a)
{
    memset(a, 0, sizeof *a);
    if (nf != 7)
        return -1;
    return fu64(f[1], &a->seq) || fi64(f[2], &a->time) || fstr(f[3], a->actor, sizeof a->actor) ||
           fstr(f[4], a->action, sizeof a->action) || fstr(f[5], a->subject, sizeof a->subject) ||
           fstr(f[6], a->detail, sizeof a->detail);
}

static int to_closing(char f[][FIELD_MAX], size_t nf, struct rec_closing *c)
{
    memset(c, 0, sizeof *c);
    if (nf != 12)
        return -1;
    if (strcmp(f[2], "day") == 0)
        c->kind = CLOSING_DAY;
    else if (strcmp(f[2], "shift") == 0)
        c->kind = CLOSING_SHIFT;
    else
        return -1;
    return fu64(f[1], &c->number) || fstr(f[3], c->clerk, sizeof c->clerk) ||
           fi64(f[4], &c->time) || fu64(f[5], &c->first_receipt) ||
           fu64(f[6], &c->last_receipt) || fu64(f[7], &c->count) || fi64(f[8], &c->gross) ||
           fi64(f[9], &c->vat) || fi64(f[10], &c->net) || fu64(f[11], &c->energy_wh);
}

static int to_instruction(char f[][FIELD_MAX], size_t nf, struct rec_instruction *i)
{
    memset(i, 0, sizeof *i);
    if (nf != 8)
        return -1;
    return fu64(f[1], &i->sequence) || parse_hex(f[2], strlen(f[2]), i->file_hash, 32) ||
           fi64(f[3], &i->created) || fi64(f[4], &i->applied_at) || fu64(f[5], &i->records) ||
           fstr(f[6], i->name, sizeof i->name) || fstr(f[7], i->target, sizeof i->target);
}

static int add_i64(int64_t *sum, int64_t v)
{
    return __builtin_add_overflow(*sum, v, sum);
}

uv_status ref_exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                           exportfile_record_fn fn, void *arg, struct uv_error *err)
{
    struct cursor c = {buf, buf + len, 0, err};
    static char fields[MAX_FIELDS][FIELD_MAX];
    memset(fields, 0, sizeof fields);
    memset(p, 0, sizeof *p);
    if (buf == NULL || len == 0)
        return uv_fail(err, UVS_INPUT, "the file is empty");
    if (memchr(buf, '\0', len) != NULL)
        return uv_fail(err, UVS_INPUT, "the file contains NUL bytes (damaged)");
    uv_status st = parse_header(&c, &p->h);
    if (st != UVS_OK)
        return st;
    const struct export_header *h = &p->h;
    uint64_t nr = 0, na = 0, nz = 0, ni = 0, energy = 0;
    int64_t gross = 0, vat = 0, net = 0;
    int stage = 0; /* 0 receipts, 1 audit, 2 closings, 3 instructions */
    for (;;) {
        const char *s;
        size_t n;
        const char *line_start = c.p;
        int got = next_line(&c, &s, &n);
        if (got == 0)
            return uv_fail(err, UVS_INPUT, "the file ends without its signature (truncated)");
        if (got < 0)
            return uv_fail(err, UVS_INPUT, "the last line is cut off (truncated)");
        if (n >= 4 && memcmp(s, "SIG,", 4) == 0) {
            if (parse_hex(s + 4, n - 4, p->sig, 64) != 0)
                return bad(&c, "the signature is malformed");
            if (c.p != c.end)
                return bad(&c, "data after the signature");
            p->body_len = (size_t)(line_start - buf);
            break;
        }
        size_t nf;
        if (n == 0 || split_csv(s, n, fields, &nf) != 0 || fields[0][1] != '\0')
            return bad(&c, "not a well-formed CSV record");
        char kind = fields[0][0];
        int want = kind == 'R' ? 0 : kind == 'A' ? 1 : kind == 'Z' ? 2
                 : kind == 'I' && h->version >= 2 ? 3 : -1;
        if (want < 0)
            return bad(&c, "unknown record type");
        if (want < stage)
            return bad(&c, "records out of order (R, then A, then Z, then I)");
        stage = want;
        if (kind == 'R') {
            struct rec_receipt r;
            if (to_receipt(fields, nf, &r) != 0)
                return bad(&c, "receipt record is malformed");
            if (r.number != h->receipt_first + nr || nr >= h->receipts)
                return bad(&c, "receipt out of the header's range or out of sequence");
            if (add_i64(&gross, r.gross) || add_i64(&vat, r.vat) || add_i64(&net, r.net) ||
                __builtin_add_overflow(energy, r.energy_wh, &energy))
                return bad(&c, "receipt totals overflow");
            nr++;
            if (fn && (st = (uv_status)fn('R', &r, arg)) != UVS_OK)
                return st;
        } else if (kind == 'A') {
            struct rec_audit a;
            if (to_audit(fields, nf, &a) != 0)
                return bad(&c, "audit record is malformed");
            if (a.seq != h->audit_first + na || na >= h->audits)
                return bad(&c, "audit record out of the header's range or out of sequence");
            na++;
            if (fn && (st = (uv_status)fn('A', &a, arg)) != UVS_OK)
                return st;
        } else if (kind == 'Z') {
            struct rec_closing z;
            if (to_closing(fields, nf, &z) != 0)
                return bad(&c, "closing record is malformed");
            if (z.number != h->closing_first + nz || nz >= h->closings)
                return bad(&c, "closing out of the header's range or out of sequence");
            nz++;
            if (fn && (st = (uv_status)fn('Z', &z, arg)) != UVS_OK)
                return st;
        } else {
            struct rec_instruction in;
            if (to_instruction(fields, nf, &in) != 0)
                return bad(&c, "instruction record is malformed");
            if (in.sequence != h->instruction_first + ni || ni >= h->instructions)
                return bad(&c, "instruction out of the header's range or out of sequence");
            ni++;
            if (fn && (st = (uv_status)fn('I', &in, arg)) != UVS_OK)
                return st;
        }
    }
    if (ni != h->instructions)
        return uv_fail(err, UVS_INPUT, "%llu instruction record(s) found, %llu declared",
                       (unsigned long long)ni, (unsigned long long)h->instructions);
    if (nr != h->receipts || na != h->audits || nz != h->closings)
        return uv_fail(err, UVS_INPUT, "record counts do not match the header (%llu/%llu/%llu "
                                       "found, %llu/%llu/%llu declared)",
                       (unsigned long long)nr, (unsigned long long)na, (unsigned long long)nz,
                       (unsigned long long)h->receipts, (unsigned long long)h->audits,
                       (unsigned long long)h->closings);
    if (gross != h->total_gross || vat != h->total_vat || net != h->total_net ||
        energy != h->total_energy_wh)
        return uv_fail(err, UVS_INPUT, "receipt totals do not match the header");
    return UVS_OK;
}

