/* exportfile.c — export file writer and strict parser. */
#include "exportfile.h"

#include <gcrypt.h>
#include <string.h>

#include "digest.h"
#include "ed25519.h"
#include "textrec.h"

#define MAX_FIELDS 24
#define FIELD_MAX 512

void exportfile_name(const char *kiosk, uint64_t seq, char *out, size_t cap)
{
    snprintf(out, cap, "univend-%s-%08llu.uvx", kiosk, (unsigned long long)seq);
}

/* ---- writing ---------------------------------------------------------- */

void exportfile_csv_text(FILE *out, const char *s)
{
    tr_csv_text(out, s);
}

static void csv_field(FILE *out, const char *s)
{
    fputc(',', out);
    exportfile_csv_text(out, s);
}

static void csv_u64(FILE *out, uint64_t v)
{
    fprintf(out, ",%llu", (unsigned long long)v);
}

static void csv_i64(FILE *out, int64_t v)
{
    fprintf(out, ",%lld", (long long)v);
}

static void csv_hex(FILE *out, const uint8_t *b, size_t n)
{
    char hex[129];
    digest_hex(b, n, hex);
    fprintf(out, ",%s", hex);
}

void exportfile_write_header(FILE *out, const struct export_header *h)
{
    char prev[65], pub[65];
    digest_hex(h->prev_hash, 32, prev);
    digest_hex(h->public_key, 32, pub);
    fprintf(out,
            "%s\n"
            "kiosk=%s\nsequence=%llu\ncreated=%lld\ncurrency=%s\ncurrency_decimals=%u\n"
            "receipt_first=%llu\nreceipt_last=%llu\naudit_first=%llu\naudit_last=%llu\n"
            "closing_first=%llu\nclosing_last=%llu\nprev_hash=%s\n"
            "receipts=%llu\naudits=%llu\nclosings=%llu\n"
            "total_gross=%lld\ntotal_vat=%lld\ntotal_net=%lld\ntotal_energy_wh=%llu\n"
            "public_key=%s\n",
            h->version >= 3 ? EXPORT_MAGIC_V3 : h->version == 2 ? EXPORT_MAGIC_V2 : EXPORT_MAGIC,
            h->kiosk,
            (unsigned long long)h->sequence, (long long)h->created, h->currency,
            h->currency_decimals, (unsigned long long)h->receipt_first,
            (unsigned long long)h->receipt_last, (unsigned long long)h->audit_first,
            (unsigned long long)h->audit_last, (unsigned long long)h->closing_first,
            (unsigned long long)h->closing_last, prev, (unsigned long long)h->receipts,
            (unsigned long long)h->audits, (unsigned long long)h->closings,
            (long long)h->total_gross, (long long)h->total_vat, (long long)h->total_net,
            (unsigned long long)h->total_energy_wh, pub);
    if (h->version >= 2)
        fprintf(out, "instruction_first=%llu\ninstruction_last=%llu\ninstructions=%llu\n",
                (unsigned long long)h->instruction_first, (unsigned long long)h->instruction_last,
                (unsigned long long)h->instructions);
    if (h->version >= 3)
        fprintf(out,
                "credit_grants=%llu\ncredit_from_receipt=%llu\ncredit_money_granted=%lld\n"
                "credit_money_used=%lld\ncredit_money_left=%lld\ncredit_energy_granted_wh=%llu\n"
                "credit_energy_used_wh=%llu\ncredit_energy_left_wh=%lld\ncredit_expires=%lld\n",
                (unsigned long long)h->credit_grants, (unsigned long long)h->credit_from_receipt,
                (long long)h->credit_money_granted, (long long)h->credit_money_used,
                (long long)(h->credit_money_granted - h->credit_money_used),
                (unsigned long long)h->credit_energy_granted_wh,
                (unsigned long long)h->credit_energy_used_wh,
                (long long)h->credit_energy_granted_wh - (long long)h->credit_energy_used_wh,
                (long long)h->credit_expires);
    fputc('\n', out);
}

void exportfile_write_receipt(FILE *out, const struct rec_receipt *r)
{
    char tokens[REC_TOKENS * REC_TOKEN_MAX + 4] = "";
    for (unsigned i = 0; i < r->n_tokens && i < REC_TOKENS; i++) {
        if (i)
            strcat(tokens, " ");
        strcat(tokens, r->tokens[i]);
    }
    fputc('R', out);
    csv_u64(out, r->number);
    csv_i64(out, r->time);
    csv_field(out, r->clerk);
    csv_field(out, r->meter);
    csv_field(out, r->customer);
    csv_field(out, r->type_code);
    csv_field(out, r->driver);
    csv_field(out, r->driver_version);
    csv_field(out, r->tariff);
    csv_i64(out, r->gross);
    csv_i64(out, r->vat);
    csv_i64(out, r->net);
    csv_u64(out, r->vat_bp);
    csv_i64(out, r->price_milli);
    csv_u64(out, r->energy_wh);
    csv_field(out, r->token_id);
    csv_field(out, tokens);
    csv_hex(out, r->hash, 32);
    fputc('\n', out);
}

void exportfile_write_audit(FILE *out, const struct rec_audit *a)
{
    fputc('A', out);
    csv_u64(out, a->seq);
    csv_i64(out, a->time);
    csv_field(out, a->actor);
    csv_field(out, a->action);
    csv_field(out, a->subject);
    csv_field(out, a->detail);
    fputc('\n', out);
}

void exportfile_write_closing(FILE *out, const struct rec_closing *c)
{
    fputc('Z', out);
    csv_u64(out, c->number);
    csv_field(out, c->kind == CLOSING_DAY ? "day" : "shift");
    csv_field(out, c->clerk);
    csv_i64(out, c->time);
    csv_u64(out, c->first_receipt);
    csv_u64(out, c->last_receipt);
    csv_u64(out, c->count);
    csv_i64(out, c->gross);
    csv_i64(out, c->vat);
    csv_i64(out, c->net);
    csv_u64(out, c->energy_wh);
    fputc('\n', out);
}

void exportfile_write_instruction(FILE *out, const struct rec_instruction *i)
{
    fputc('I', out);
    csv_u64(out, i->sequence);
    csv_hex(out, i->file_hash, 32);
    csv_i64(out, i->created);
    csv_i64(out, i->applied_at);
    csv_u64(out, i->records);
    csv_field(out, i->name);
    csv_field(out, i->target);
    fputc('\n', out);
}

void exportfile_signed_message(const void *body, size_t len, uint8_t msg[17 + 32])
{
    tr_signed_message(EXPORT_SIG_CONTEXT, 17, body, len, msg); /* 17: with the NUL */
}

void exportfile_write_signature(FILE *out, const uint8_t sig[64])
{
    char hex[129];
    digest_hex(sig, 64, hex);
    fprintf(out, "SIG,%s\n", hex);
}

/* ---- reading ---------------------------------------------------------- */

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

static int fu64(const char *f, uint64_t *v) { return tr_parse_u64(f, strlen(f), v); }
static int fi64(const char *f, int64_t *v) { return tr_parse_i64(f, strlen(f), v); }
static int fstr(const char *f, char *dst, size_t cap)
{
    size_t n = strlen(f);
    if (n >= cap || !tr_printable(f, n))
        return -1;
    memcpy(dst, f, n + 1);
    return 0;
}

static int to_receipt(char **f, size_t nf, struct rec_receipt *r)
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
        if (n == 0 || n >= REC_TOKEN_MAX || r->n_tokens >= REC_TOKENS || !tr_printable(t, n))
            return -1;
        memcpy(r->tokens[r->n_tokens], t, n);
        r->tokens[r->n_tokens++][n] = '\0';
        t += n + (sp ? 1 : 0);
        if (sp && *t == '\0')
            return -1;
    }
    return tr_parse_hex(f[18], strlen(f[18]), r->hash, 32);
}

static int to_audit(char **f, size_t nf, struct rec_audit *a)
{
    memset(a, 0, sizeof *a);
    if (nf != 7)
        return -1;
    return fu64(f[1], &a->seq) || fi64(f[2], &a->time) || fstr(f[3], a->actor, sizeof a->actor) ||
           fstr(f[4], a->action, sizeof a->action) || fstr(f[5], a->subject, sizeof a->subject) ||
           fstr(f[6], a->detail, sizeof a->detail);
}

static int to_closing(char **f, size_t nf, struct rec_closing *c)
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

static int to_instruction(char **f, size_t nf, struct rec_instruction *i)
{
    memset(i, 0, sizeof *i);
    if (nf != 8)
        return -1;
    return fu64(f[1], &i->sequence) || tr_parse_hex(f[2], strlen(f[2]), i->file_hash, 32) ||
           fi64(f[3], &i->created) || fi64(f[4], &i->applied_at) || fu64(f[5], &i->records) ||
           fstr(f[6], i->name, sizeof i->name) || fstr(f[7], i->target, sizeof i->target);
}

static int add_i64(int64_t *sum, int64_t v)
{
    return __builtin_add_overflow(*sum, v, sum);
}

uv_status exportfile_parse(const char *buf, size_t len, struct export_parsed *p,
                           exportfile_record_fn fn, void *arg, struct uv_error *err)
{
    struct tr_cursor c = {buf, buf + len, 0, err};
    char scratch[MAX_FIELDS * FIELD_MAX + 1], *fields[MAX_FIELDS]; /* 12 KiB of stack */
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
        size_t nf;
        if (n == 0 || n >= sizeof scratch ||
            tr_csv_split(s, n, scratch, fields, MAX_FIELDS, FIELD_MAX, &nf) != 0 ||
            fields[0][0] == '\0' || fields[0][1] != '\0')
            return tr_bad(&c, "not a well-formed CSV record");
        char kind = fields[0][0];
        int want = kind == 'R' ? 0 : kind == 'A' ? 1 : kind == 'Z' ? 2
                 : kind == 'I' && h->version >= 2 ? 3 : -1;
        if (want < 0)
            return tr_bad(&c, "unknown record type");
        if (want < stage)
            return tr_bad(&c, "records out of order (R, then A, then Z, then I)");
        stage = want;
        if (kind == 'R') {
            struct rec_receipt r;
            if (to_receipt(fields, nf, &r) != 0)
                return tr_bad(&c, "receipt record is malformed");
            if (r.number != h->receipt_first + nr || nr >= h->receipts)
                return tr_bad(&c, "receipt out of the header's range or out of sequence");
            if (add_i64(&gross, r.gross) || add_i64(&vat, r.vat) || add_i64(&net, r.net) ||
                __builtin_add_overflow(energy, r.energy_wh, &energy))
                return tr_bad(&c, "receipt totals overflow");
            nr++;
            if (fn && (st = (uv_status)fn('R', &r, arg)) != UVS_OK)
                return st;
        } else if (kind == 'A') {
            struct rec_audit a;
            if (to_audit(fields, nf, &a) != 0)
                return tr_bad(&c, "audit record is malformed");
            if (a.seq != h->audit_first + na || na >= h->audits)
                return tr_bad(&c, "audit record out of the header's range or out of sequence");
            na++;
            if (fn && (st = (uv_status)fn('A', &a, arg)) != UVS_OK)
                return st;
        } else if (kind == 'Z') {
            struct rec_closing z;
            if (to_closing(fields, nf, &z) != 0)
                return tr_bad(&c, "closing record is malformed");
            if (z.number != h->closing_first + nz || nz >= h->closings)
                return tr_bad(&c, "closing out of the header's range or out of sequence");
            nz++;
            if (fn && (st = (uv_status)fn('Z', &z, arg)) != UVS_OK)
                return st;
        } else {
            struct rec_instruction in;
            if (to_instruction(fields, nf, &in) != 0)
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

uv_status exportfile_verify_hash(const char *buf, size_t len, const struct export_parsed *p,
                                 const uint8_t pub[32], uint8_t file_hash[32],
                                 struct uv_error *err)
{
    gcry_md_hd_t body, whole;
    uint8_t msg[17 + 32];
    if (p->body_len > len || gcry_md_open(&body, GCRY_MD_SHA256, 0) != 0)
        return uv_fail(err, UVS_FAILED, "cannot start SHA-256");
    gcry_md_write(body, buf, p->body_len);
    if (gcry_md_copy(&whole, body) != 0) {
        gcry_md_close(body);
        return uv_fail(err, UVS_FAILED, "cannot copy SHA-256 state");
    }
    gcry_md_write(whole, buf + p->body_len, len - p->body_len);
    memcpy(msg, EXPORT_SIG_CONTEXT, 17);
    memcpy(msg + 17, gcry_md_read(body, GCRY_MD_SHA256), 32);
    memcpy(file_hash, gcry_md_read(whole, GCRY_MD_SHA256), 32);
    gcry_md_close(body);
    gcry_md_close(whole);
    uv_status st = ed25519_verify(pub, msg, sizeof msg, p->sig, err);
    if (st == UVS_REFUSED)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the kiosk's registered key "
                       "(forged, altered, or signed by another key)");
    return st;
}

uv_status exportfile_verify(const char *buf, const struct export_parsed *p,
                            const uint8_t pub[32], struct uv_error *err)
{
    uint8_t msg[17 + 32];
    exportfile_signed_message(buf, p->body_len, msg);
    uv_status st = ed25519_verify(pub, msg, sizeof msg, p->sig, err);
    if (st == UVS_REFUSED)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the kiosk's registered key "
                       "(forged, altered, or signed by another key)");
    return st;
}
