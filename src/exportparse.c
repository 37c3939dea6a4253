/*
 * exportparse.c — the strict export file reader (docs/export-format.md),
 * formats 1, 2 and 3.
 *
 * One pass over the file, no allocation: each line is found with memchr,
 * each field read where it lies (a quoted field is unquoted into one small
 * buffer), numbers and hex converted as they are checked. Lines, numbers,
 * hex and printable text are read with the primitives every signed text
 * file shares (textrec.h); only the record fields are read here, in place,
 * because head office runs this over every receipt it imports. What it
 * accepts and refuses is fixed by the format, and the fuzz target
 * (tests/fuzz/fuzz_export.c) holds it to a plain reference reader.
 */
#include "exportfile.h"

#include <string.h>

#include "textrec.h"

#define FIELD_MAX 512 /* longest field, quoted or not, plus one */

/* The header: fixed names in a fixed order; version 2 adds three at the end,
   version 3 nine more. */
static uv_status parse_header(struct tr_cursor *c, struct export_header *h)
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
    int got = tr_next_line(c, &s, &n);
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
        got = tr_next_line(c, &s, &n);
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
            if (vn == 0 || vn >= sizeof h->kiosk || !tr_printable(v, vn) || memchr(v, ',', vn))
                rc = -1;
            else
                memcpy(h->kiosk, v, vn);
            break;
        case 1: rc = tr_parse_u64(v, vn, &h->sequence) || h->sequence == 0; break;
        case 2: rc = tr_parse_i64(v, vn, &h->created); break;
        case 3:
            rc = vn != 3 || !tr_printable(v, vn);
            if (!rc)
                memcpy(h->currency, v, 3);
            break;
        case 4: rc = tr_parse_u64(v, vn, &u) || u > 4; h->currency_decimals = (unsigned)u; break;
        case 5: rc = tr_parse_u64(v, vn, &h->receipt_first); break;
        case 6: rc = tr_parse_u64(v, vn, &h->receipt_last); break;
        case 7: rc = tr_parse_u64(v, vn, &h->audit_first); break;
        case 8: rc = tr_parse_u64(v, vn, &h->audit_last); break;
        case 9: rc = tr_parse_u64(v, vn, &h->closing_first); break;
        case 10: rc = tr_parse_u64(v, vn, &h->closing_last); break;
        case 11: rc = tr_parse_hex(v, vn, h->prev_hash, 32); break;
        case 12: rc = tr_parse_u64(v, vn, &h->receipts); break;
        case 13: rc = tr_parse_u64(v, vn, &h->audits); break;
        case 14: rc = tr_parse_u64(v, vn, &h->closings); break;
        case 15: rc = tr_parse_i64(v, vn, &h->total_gross); break;
        case 16: rc = tr_parse_i64(v, vn, &h->total_vat); break;
        case 17: rc = tr_parse_i64(v, vn, &x); h->total_net = x; break;
        case 18: rc = tr_parse_u64(v, vn, &h->total_energy_wh); break;
        case 19: rc = tr_parse_hex(v, vn, h->public_key, 32); break;
        case 20: rc = tr_parse_u64(v, vn, &h->instruction_first); break;
        case 21: rc = tr_parse_u64(v, vn, &h->instruction_last); break;
        case 22: rc = tr_parse_u64(v, vn, &h->instructions); break;
        case 23: rc = tr_parse_u64(v, vn, &h->credit_grants); break;
        case 24: rc = tr_parse_u64(v, vn, &h->credit_from_receipt); break;
        case 25: rc = tr_parse_i64(v, vn, &h->credit_money_granted) || h->credit_money_granted < 0; break;
        case 26: rc = tr_parse_i64(v, vn, &h->credit_money_used) || h->credit_money_used < 0; break;
        case 27: rc = tr_parse_i64(v, vn, &money_left); break;
        case 28: rc = tr_parse_u64(v, vn, &h->credit_energy_granted_wh) ||
                      h->credit_energy_granted_wh > INT64_MAX; break;
        case 29: rc = tr_parse_u64(v, vn, &h->credit_energy_used_wh) ||
                      h->credit_energy_used_wh > INT64_MAX; break;
        case 30: rc = tr_parse_i64(v, vn, &energy_left); break;
        case 31: rc = tr_parse_i64(v, vn, &h->credit_expires); break;
        }
        if (rc)
            return uv_fail(c->err, UVS_INPUT, "line %u: header field %s is malformed", c->line,
                           names[i]);
    }
    if (tr_next_line(c, &s, &n) != 1 || n != 0)
        return tr_bad(c, "expected a blank line after the header");
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

/* ---- one record line, field by field (RFC 4180 quoting) ---------------- */

struct fields {
    const char *p, *end; /* what is left of the line */
    int more;            /* another field follows (possibly empty) */
    int quotes;          /* the line holds a '"' somewhere */
    char tmp[FIELD_MAX]; /* a quoted field, unquoted */
};

static void fields_start(struct fields *f, const char *s, size_t n)
{
    f->p = s;
    f->end = s + n;
    f->more = 1;
    f->quotes = memchr(s, '"', n) != NULL;
}

/* The next field as (s, n); -1 when malformed or when there is none. */
static inline int field(struct fields *f, const char **s, size_t *n)
{
    const char *p = f->p, *e = f->end;
    if (!f->more)
        return -1;
    if (f->quotes && p < e && *p == '"') {
        size_t o = 0;
        for (p++;;) {
            if (p >= e)
                return -1; /* unterminated quote */
            if (*p == '"') {
                if (p + 1 < e && p[1] == '"') {
                    if (o + 1 >= FIELD_MAX)
                        return -1;
                    f->tmp[o++] = '"';
                    p += 2;
                    continue;
                }
                p++;
                break;
            }
            if (o + 1 >= FIELD_MAX)
                return -1;
            f->tmp[o++] = *p++;
        }
        *s = f->tmp;
        *n = o;
    } else {
        const char *q = memchr(p, ',', (size_t)(e - p));
        if (q == NULL)
            q = e;
        if ((size_t)(q - p) >= FIELD_MAX || (f->quotes && memchr(p, '"', (size_t)(q - p))))
            return -1;
        *s = p;
        *n = (size_t)(q - p);
        p = q;
    }
    if (p == e)
        f->more = 0;
    else if (*p == ',')
        p++; /* at the end of the line: one more, empty, field */
    else
        return -1;
    f->p = p;
    return 0;
}

static int f_u64(struct fields *f, uint64_t *v)
{
    const char *s;
    size_t n;
    return field(f, &s, &n) || tr_parse_u64(s, n, v);
}

static int f_i64(struct fields *f, int64_t *v)
{
    const char *s;
    size_t n;
    return field(f, &s, &n) || tr_parse_i64(s, n, v);
}

/* Text of printable characters, shorter than its slot. */
static int f_str(struct fields *f, char *dst, size_t cap)
{
    const char *s;
    size_t n;
    if (field(f, &s, &n) || n >= cap || !tr_printable(s, n))
        return -1;
    memcpy(dst, s, n);
    dst[n] = '\0';
    return 0;
}

static int f_hex(struct fields *f, uint8_t *out, size_t len)
{
    const char *s;
    size_t n;
    return field(f, &s, &n) || tr_parse_hex(s, n, out, len);
}

/* The tokens: 0 to REC_TOKENS of them, separated by single spaces. */
static int f_tokens(struct fields *f, struct rec_receipt *r)
{
    const char *s;
    size_t n;
    if (field(f, &s, &n))
        return -1;
    while (n > 0) {
        const char *sp = memchr(s, ' ', n);
        size_t l = sp ? (size_t)(sp - s) : n;
        if (l == 0 || l >= REC_TOKEN_MAX || r->n_tokens >= REC_TOKENS || !tr_printable(s, l))
            return -1;
        memcpy(r->tokens[r->n_tokens], s, l);
        r->tokens[r->n_tokens++][l] = '\0';
        if (sp == NULL)
            break;
        s = sp + 1;
        n -= l + 1;
        if (n == 0)
            return -1; /* a trailing space */
    }
    return 0;
}

/* The rest of an R line (its kind already read); all 18 fields, no more. */
static int to_receipt(struct fields *f, struct rec_receipt *r)
{
    uint64_t u;
    memset(r, 0, sizeof *r);
    if (f_u64(f, &r->number) || f_i64(f, &r->time) || f_str(f, r->clerk, sizeof r->clerk) ||
        f_str(f, r->meter, sizeof r->meter) || f_str(f, r->customer, sizeof r->customer) ||
        f_str(f, r->type_code, sizeof r->type_code) || f_str(f, r->driver, sizeof r->driver) ||
        f_str(f, r->driver_version, sizeof r->driver_version) ||
        f_str(f, r->tariff, sizeof r->tariff) || f_i64(f, &r->gross) || f_i64(f, &r->vat) ||
        f_i64(f, &r->net) || f_u64(f, &u) || u > 10000)
        return -1;
    r->vat_bp = (uint32_t)u;
    if (f_i64(f, &r->price_milli) || f_u64(f, &r->energy_wh) ||
        f_str(f, r->token_id, sizeof r->token_id) || f_tokens(f, r) || f_hex(f, r->hash, 32))
        return -1;
    return f->more ? -1 : 0;
}

static int to_audit(struct fields *f, struct rec_audit *a)
{
    memset(a, 0, sizeof *a);
    if (f_u64(f, &a->seq) || f_i64(f, &a->time) || f_str(f, a->actor, sizeof a->actor) ||
        f_str(f, a->action, sizeof a->action) || f_str(f, a->subject, sizeof a->subject) ||
        f_str(f, a->detail, sizeof a->detail))
        return -1;
    return f->more ? -1 : 0;
}

static int to_closing(struct fields *f, struct rec_closing *c)
{
    const char *s;
    size_t n;
    memset(c, 0, sizeof *c);
    if (f_u64(f, &c->number) || field(f, &s, &n))
        return -1;
    if (n == 3 && memcmp(s, "day", 3) == 0)
        c->kind = CLOSING_DAY;
    else if (n == 5 && memcmp(s, "shift", 5) == 0)
        c->kind = CLOSING_SHIFT;
    else
        return -1;
    if (f_str(f, c->clerk, sizeof c->clerk) || f_i64(f, &c->time) ||
        f_u64(f, &c->first_receipt) || f_u64(f, &c->last_receipt) || f_u64(f, &c->count) ||
        f_i64(f, &c->gross) || f_i64(f, &c->vat) || f_i64(f, &c->net) || f_u64(f, &c->energy_wh))
        return -1;
    return f->more ? -1 : 0;
}

static int to_instruction(struct fields *f, struct rec_instruction *i)
{
    memset(i, 0, sizeof *i);
    if (f_u64(f, &i->sequence) || f_hex(f, i->file_hash, 32) || f_i64(f, &i->created) ||
        f_i64(f, &i->applied_at) || f_u64(f, &i->records) || f_str(f, i->name, sizeof i->name) ||
        f_str(f, i->target, sizeof i->target))
        return -1;
    return f->more ? -1 : 0;
}

static int add_i64(int64_t *sum, int64_t v)
{
    return __builtin_add_overflow(*sum, v, sum);
}

uv_status exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                           exportfile_record_fn fn, void *arg, struct uv_error *err)
{
    struct tr_cursor c = {buf, buf + len, 0, err};
    struct fields f;
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
        const char *s, *kind;
        size_t n, kn;
        const char *line_start = c.p;
        int got = tr_next_line(&c, &s, &n);
        if (got == 0)
            return uv_fail(err, UVS_INPUT, "the file ends without its signature (truncated)");
        if (got < 0)
            return uv_fail(err, UVS_INPUT, "the last line is cut off (truncated)");
        if (n >= 4 && memcmp(s, "SIG,", 4) == 0) {
            if (tr_parse_hex(s + 4, n - 4, p->sig, 64) != 0)
                return tr_bad(&c, "the signature is malformed");
            if (c.p != c.end)
                return tr_bad(&c, "data after the signature");
            p->body_len = (size_t)(line_start - buf);
            break;
        }
        fields_start(&f, s, n);
        if (n == 0 || field(&f, &kind, &kn) != 0 || kn != 1)
            return tr_bad(&c, "not a well-formed CSV record");
        int want = kind[0] == 'R' ? 0 : kind[0] == 'A' ? 1 : kind[0] == 'Z' ? 2
                 : kind[0] == 'I' && h->version >= 2 ? 3 : -1;
        if (want < 0)
            return tr_bad(&c, "unknown record type");
        if (want < stage)
            return tr_bad(&c, "records out of order (R, then A, then Z, then I)");
        stage = want;
        if (want == 0) {
            struct rec_receipt r;
            if (to_receipt(&f, &r) != 0)
                return tr_bad(&c, "receipt record is malformed");
            if (r.number != h->receipt_first + nr || nr >= h->receipts)
                return tr_bad(&c, "receipt out of the header's range or out of sequence");
            if (add_i64(&gross, r.gross) || add_i64(&vat, r.vat) || add_i64(&net, r.net) ||
                __builtin_add_overflow(energy, r.energy_wh, &energy))
                return tr_bad(&c, "receipt totals overflow");
            nr++;
            if (fn && (st = (uv_status)fn('R', &r, arg)) != UVS_OK)
                return st;
        } else if (want == 1) {
            struct rec_audit a;
            if (to_audit(&f, &a) != 0)
                return tr_bad(&c, "audit record is malformed");
            if (a.seq != h->audit_first + na || na >= h->audits)
                return tr_bad(&c, "audit record out of the header's range or out of sequence");
            na++;
            if (fn && (st = (uv_status)fn('A', &a, arg)) != UVS_OK)
                return st;
        } else if (want == 2) {
            struct rec_closing z;
            if (to_closing(&f, &z) != 0)
                return tr_bad(&c, "closing record is malformed");
            if (z.number != h->closing_first + nz || nz >= h->closings)
                return tr_bad(&c, "closing out of the header's range or out of sequence");
            nz++;
            if (fn && (st = (uv_status)fn('Z', &z, arg)) != UVS_OK)
                return st;
        } else {
            struct rec_instruction in;
            if (to_instruction(&f, &in) != 0)
                return tr_bad(&c, "instruction record is malformed");
            if (in.sequence != h->instruction_first + ni || ni >= h->instructions)
                return tr_bad(&c, "instruction out of the header's range or out of sequence");
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

uv_status exportfile_peek(const char *buf, size_t len, struct export_parsed *p,
                          struct uv_error *err)
{
    struct tr_cursor c = {buf, buf + len, 0, err};
    memset(p, 0, sizeof *p);
    if (buf == NULL || len == 0)
        return uv_fail(err, UVS_INPUT, "the file is empty");
    uv_status st = parse_header(&c, &p->h);
    if (st != UVS_OK)
        return st;
    if (buf[len - 1] != '\n')
        return uv_fail(err, UVS_INPUT, "the last line is cut off (truncated)");
    size_t i = len - 1;
    while (i > 0 && buf[i - 1] != '\n')
        i--;
    if ((size_t)(c.p - buf) > i || len - 1 - i != 4 + 128 || memcmp(buf + i, "SIG,", 4) != 0 ||
        tr_parse_hex(buf + i + 4, 128, p->sig, 64) != 0)
        return uv_fail(err, UVS_INPUT, "the file ends without its signature (truncated)");
    p->body_len = i;
    return UVS_OK;
}
