/* instructfile.c — instruction file writer and strict parser. */
#include "instructfile.h"

#include <stdlib.h>
#include <string.h>

#include "digest.h"
#include "ed25519.h"
#include "instruct_kinds.h"
#include "masterdata.h"
#include "textrec.h"

void instrfile_name(const char *target, uint64_t n, char *out, size_t cap)
{
    if (strncmp(target, "kiosk:", 6) == 0)
        snprintf(out, cap, "instruct-%s-%08llu.uvi", target + 6, (unsigned long long)n);
    else if (strncmp(target, "group:", 6) == 0)
        snprintf(out, cap, "instruct-group-%s-%08llu.uvi", target + 6, (unsigned long long)n);
    else
        snprintf(out, cap, "instruct-all-%08llu.uvi", (unsigned long long)n);
}

/* ---- writing ---------------------------------------------------------- */

void instrfile_write_header(FILE *out, const struct instr_header *h)
{
    char signer[65];
    digest_hex(h->signer, 32, signer);
    fprintf(out,
            INSTR_MAGIC "\n"
            "target=%s\ncreated=%lld\nexpires=%lld\nsigner=%s\nkiosks=%llu\nrecords=%llu\n\n",
            h->target, (long long)h->created, (long long)h->expires, signer,
            (unsigned long long)h->kiosks, (unsigned long long)h->records);
}

void instrfile_write_kiosk(FILE *out, const char *kiosk, uint64_t seq)
{
    fprintf(out, "K,%s,%llu\n", kiosk, (unsigned long long)seq);
}

void instrfile_write_record(FILE *out, char *const *fields, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (i)
            fputc(',', out);
        tr_csv_text(out, fields[i]);
    }
    fputc('\n', out);
}

void instrfile_signed_message(const void *body, size_t len, uint8_t msg[INSTR_SIG_CONTEXT_LEN + 32])
{
    tr_signed_message(INSTR_SIG_CONTEXT, INSTR_SIG_CONTEXT_LEN, body, len, msg);
}

void instrfile_write_signature(FILE *out, const uint8_t sig[64])
{
    char hex[129];
    digest_hex(sig, 64, hex);
    fprintf(out, "SIG,%s\n", hex);
}

/* ---- reading ---------------------------------------------------------- */

static int target_ok(const char *v, size_t n)
{
    char id[INSTR_TARGET_MAX];
    if (n == 3 && memcmp(v, "all", 3) == 0)
        return 1;
    size_t p = n > 6 && memcmp(v, "kiosk:", 6) == 0 ? 6 : n > 6 && memcmp(v, "group:", 6) == 0 ? 6 : 0;
    if (p == 0 || n - p >= REC_ID_MAX)
        return 0;
    memcpy(id, v + p, n - p);
    id[n - p] = '\0';
    return md_id_valid(id);
}

static uv_status parse_header(struct tr_cursor *c, struct instr_header *h)
{
    static const char *const names[] = {"target", "created", "expires",
                                        "signer", "kiosks",  "records"};
    const char *s;
    size_t n;
    if (memchr(c->p, '\n', (size_t)(c->end - c->p)) == NULL) {
        size_t have = (size_t)(c->end - c->p), m = strlen(INSTR_MAGIC);
        if (memcmp(c->p, INSTR_MAGIC, have < m ? have : m) == 0)
            return uv_fail(c->err, UVS_INPUT, "the file is cut off in its header (truncated)");
    }
    if (tr_next_line(c, &s, &n) != 1 || n != strlen(INSTR_MAGIC) || memcmp(s, INSTR_MAGIC, n) != 0)
        return uv_fail(c->err, UVS_INPUT,
                       "not a univend instruction file of a version this kiosk reads "
                       "(its first line is wrong)");
    memset(h, 0, sizeof *h);
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        size_t nl = strlen(names[i]);
        if (tr_next_line(c, &s, &n) != 1)
            return uv_fail(c->err, UVS_INPUT, "the file is cut off in its header (truncated)");
        if (n <= nl || memcmp(s, names[i], nl) != 0 || s[nl] != '=')
            return uv_fail(c->err, UVS_INPUT, "line %u: header field %s missing or out of order",
                           c->line, names[i]);
        const char *v = s + nl + 1;
        size_t vn = n - nl - 1;
        int rc = 0;
        switch (i) {
        case 0:
            rc = !target_ok(v, vn);
            if (!rc)
                memcpy(h->target, v, vn);
            break;
        case 1: rc = tr_parse_i64(v, vn, &h->created) || h->created <= 0; break;
        case 2: rc = tr_parse_i64(v, vn, &h->expires) || h->expires < h->created; break;
        case 3: rc = tr_parse_hex(v, vn, h->signer, 32); break;
        case 4: rc = tr_parse_u64(v, vn, &h->kiosks) || h->kiosks == 0 || h->kiosks > INSTR_KIOSKS_MAX; break;
        case 5:
            rc = tr_parse_u64(v, vn, &h->records);
            if (!rc && h->records > INSTR_RECORDS_MAX)
                return uv_fail(c->err, UVS_INPUT,
                               "line %u: %llu records; a file holds at most %d (one transaction): "
                               "head office splits larger changes into several files",
                               c->line, (unsigned long long)h->records, INSTR_RECORDS_MAX);
            break;
        }
        if (rc)
            return uv_fail(c->err, UVS_INPUT, "line %u: header field %s is malformed", c->line,
                           names[i]);
    }
    if (tr_next_line(c, &s, &n) != 1 || n != 0)
        return tr_bad(c, "expected a blank line after the header");
    return UVS_OK;
}

/* Field syntax common to every record: kind known, scope "*" or a kiosk id,
   field count and sizes as the kind allows, then the kind's own check. */
static uv_status check_record(struct instr_record *r, char **fields, size_t nf,
                              struct uv_error *err)
{
    const struct instr_kind *k = nf >= 2 ? instr_kind_find(fields[0]) : NULL;
    if (nf < 2 || fields[0][0] == '\0')
        return uv_fail(err, UVS_INPUT, "line %u: a record needs a kind and a scope", r->line);
    if (k == NULL)
        return uv_fail(err, UVS_INPUT,
                       "line %u: record kind '%.32s' is unknown to this version of univend "
                       "(update the kiosk software before applying this file)",
                       r->line, fields[0]);
    if (strcmp(fields[1], "*") != 0 && !md_id_valid(fields[1]))
        return uv_fail(err, UVS_INPUT, "line %u: %s: the scope must be * or a kiosk id", r->line,
                       k->name);
    if (nf - 2 < k->min_fields || nf - 2 > k->max_fields)
        return uv_fail(err, UVS_INPUT, "line %u: %s takes %u to %u fields after its scope, not %zu",
                       r->line, k->name, k->min_fields, k->max_fields, nf - 2);
    for (size_t i = 2; i < nf; i++)
        if (strlen(fields[i]) >= INSTR_FIELD_MAX && !(i - 2 < 32 && (k->blob_fields >> (i - 2)) & 1))
            return uv_fail(err, UVS_INPUT, "line %u: %s: field %zu is too long", r->line, k->name,
                           i - 1);
    r->kind = fields[0];
    r->scope = fields[1];
    r->f = fields + 2;
    r->nf = nf - 2;
    r->k = k;
    uv_status st = k->check(r, err);
    if (st != UVS_OK && strncmp(err->message, "line ", 5) != 0) {
        char msg[sizeof err->message];
        snprintf(msg, sizeof msg, "%s", err->message);
        uv_fail(err, st, "line %u: %s: %s", r->line, k->name, msg);
    }
    return st;
}

/* Split a line into fields in scratch (grown as needed). */
static uv_status split(const char *s, size_t n, char **scratch, size_t *cap, char **fields,
                       size_t *nf, unsigned line, struct uv_error *err)
{
    if (n + 1 > *cap) {
        char *p = realloc(*scratch, n + 1);
        if (p == NULL)
            return uv_fail(err, UVS_NOMEM, "out of memory reading line %u", line);
        *scratch = p;
        *cap = n + 1;
    }
    if (n == 0 || tr_csv_split(s, n, *scratch, fields, INSTR_FIELDS_MAX, INSTR_BLOB_MAX, nf) != 0)
        return uv_fail(err, UVS_INPUT, "line %u: not a well-formed CSV record", line);
    return UVS_OK;
}

uv_status instrfile_check_line(const char *line, size_t n, unsigned lineno, struct uv_error *err)
{
    char *scratch = NULL, *fields[INSTR_FIELDS_MAX];
    size_t cap = 0, nf = 0;
    struct instr_record r;
    memset(&r, 0, sizeof r);
    r.line = lineno;
    uv_status st = split(line, n, &scratch, &cap, fields, &nf, lineno, err);
    if (st == UVS_OK)
        st = check_record(&r, fields, nf, err);
    free(scratch);
    return st;
}

static uv_status parse_body(struct tr_cursor *c, const char *buf, struct instr_parsed *p,
                            instrfile_kiosk_fn kiosk_fn, instrfile_record_fn record_fn, void *arg,
                            char **scratch, size_t *cap)
{
    char *fields[INSTR_FIELDS_MAX], last_kiosk[REC_ID_MAX] = "";
    uint64_t nk = 0, nr = 0;
    uv_status st;
    for (;;) {
        const char *s;
        size_t n, nf;
        const char *line_start = c->p;
        int got = tr_next_line(c, &s, &n);
        if (got == 0)
            return uv_fail(c->err, UVS_INPUT, "the file ends without its signature (truncated)");
        if (got < 0)
            return uv_fail(c->err, UVS_INPUT, "the last line is cut off (truncated)");
        if (n >= 4 && memcmp(s, "SIG,", 4) == 0) {
            if (tr_parse_hex(s + 4, n - 4, p->sig, 64) != 0)
                return tr_bad(c, "the signature is malformed");
            if (c->p != c->end)
                return tr_bad(c, "data after the signature");
            p->body_len = (size_t)(line_start - buf);
            break;
        }
        if ((st = split(s, n, scratch, cap, fields, &nf, c->line, c->err)) != UVS_OK)
            return st;
        if (nk < p->h.kiosks) { /* the kiosk lines come first */
            uint64_t seq;
            if (nf != 3 || strcmp(fields[0], "K") != 0)
                return tr_bad(c, "expected a kiosk line K,kiosk,sequence");
            if (!md_id_valid(fields[1]) || tr_parse_u64(fields[2], strlen(fields[2]), &seq) != 0 ||
                seq == 0)
                return tr_bad(c, "kiosk line is malformed");
            if (nk > 0 && strcmp(fields[1], last_kiosk) <= 0)
                return tr_bad(c, "kiosk lines must be in increasing id order, each once");
            snprintf(last_kiosk, sizeof last_kiosk, "%s", fields[1]);
            nk++;
            if (kiosk_fn && (st = (uv_status)kiosk_fn(fields[1], seq, arg)) != UVS_OK)
                return st;
            continue;
        }
        if (nr >= p->h.records)
            return tr_bad(c, "more records than the header declares");
        struct instr_record r;
        memset(&r, 0, sizeof r);
        r.h = &p->h;
        r.line = c->line;
        r.index = ++nr;
        if ((st = check_record(&r, fields, nf, c->err)) != UVS_OK)
            return st;
        if (record_fn && (st = (uv_status)record_fn(&r, arg)) != UVS_OK)
            return st;
    }
    if (nk != p->h.kiosks || nr != p->h.records)
        return uv_fail(c->err, UVS_INPUT,
                       "the file holds %llu kiosk line(s) and %llu record(s); its header declares "
                       "%llu and %llu",
                       (unsigned long long)nk, (unsigned long long)nr,
                       (unsigned long long)p->h.kiosks, (unsigned long long)p->h.records);
    return UVS_OK;
}

uv_status instrfile_parse(const char *buf, size_t len, struct instr_parsed *p,
                          instrfile_kiosk_fn kiosk_fn, instrfile_record_fn record_fn, void *arg,
                          struct uv_error *err)
{
    struct tr_cursor c = {buf, buf + len, 0, err};
    memset(p, 0, sizeof *p);
    if (buf == NULL || len == 0)
        return uv_fail(err, UVS_INPUT, "the file is empty");
    if ((long)len > INSTR_FILE_MAX)
        return uv_fail(err, UVS_INPUT, "the file is larger than %ld MiB", INSTR_FILE_MAX >> 20);
    if (memchr(buf, '\0', len) != NULL)
        return uv_fail(err, UVS_INPUT, "the file contains NUL bytes (damaged)");
    uv_status st = parse_header(&c, &p->h);
    if (st != UVS_OK)
        return st;
    char *scratch = NULL;
    size_t cap = 0;
    st = parse_body(&c, buf, p, kiosk_fn, record_fn, arg, &scratch, &cap);
    free(scratch);
    return st;
}

uv_status instrfile_verify(const char *buf, size_t len, const struct instr_parsed *p,
                           uint8_t file_hash[32], struct uv_error *err)
{
    uint8_t msg[INSTR_SIG_CONTEXT_LEN + 32];
    if (p->body_len > len)
        return uv_fail(err, UVS_FAILED, "parsed file and buffer disagree");
    instrfile_signed_message(buf, p->body_len, msg);
    if (file_hash)
        digest_sha256(buf, len, file_hash);
    uv_status st = ed25519_verify(p->h.signer, msg, sizeof msg, p->sig, err);
    if (st == UVS_REFUSED)
        return uv_fail(err, UVS_REFUSED,
                       "the signature does not verify under the head office key it names "
                       "(forged or altered)");
    return st;
}
