/*
 * hqreport.c — what head office reports: sales by kiosk, day, tariff and
 * driver (from the per-file groups), the missing files, the instructions
 * and the vending credit (hqinstruct.c, hqcredit.c), and every receipt as
 * CSV for billing (read back from the files as they were signed).
 */
#include "hq.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "exportfile.h"
#include "hqcredit.h"
#include "hqinstruct.h"
#include "hqstore.h"
#include "textrec.h"
#include "money.h"

/* ---- missing files -------------------------------------------------- */

struct miss_arg {
    FILE *out;
    char kiosk[REC_ID_MAX];
    uint64_t expect, missing;
};

static void miss_flush_range(struct miss_arg *m, uint64_t from, uint64_t to)
{
    m->missing += to - from + 1;
    if (!m->out)
        return;
    if (from == to)
        fprintf(m->out, "missing   kiosk %s file %llu\n", m->kiosk, (unsigned long long)from);
    else
        fprintf(m->out, "missing   kiosk %s files %llu-%llu\n", m->kiosk,
                (unsigned long long)from, (unsigned long long)to);
}

static int miss_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct miss_arg *m = arg;
    struct rec_hq_file f;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_file_layout, v, vl, &f) != 0)
        return 0;
    if (strcmp(f.kiosk, m->kiosk) != 0) {
        snprintf(m->kiosk, sizeof m->kiosk, "%s", f.kiosk);
        m->expect = 1;
    }
    if (f.sequence > m->expect)
        miss_flush_range(m, m->expect, f.sequence - 1);
    m->expect = f.sequence + 1;
    return 0;
}

uv_status hq_missing(struct uv_ctx *ctx, FILE *out, uint64_t *n_missing)
{
    struct miss_arg m = {out, "", 1, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_FILES, NULL, 0, 0, miss_one, &m,
                                 &ctx->err);
    *n_missing = m.missing;
    return st;
}

/* ---- the sales report ----------------------------------------------- */

/* A table's rows come in the order of their first receipt (kiosks in key
   order, receipt numbers within a kiosk), as if every receipt were read in
   that order; past HQ_ROWS rows the last one is "(others)". */
#define HQ_ROWS 64

struct row {
    char key[48];
    uint32_t kpos;   /* first receipt: its kiosk's place in key order ... */
    uint64_t npos;   /* ... and its number                              */
    uint64_t count;
    int64_t gross;
    uint64_t energy_wh;
};

struct table {
    struct row *rows;
    size_t n, cap;
    uint32_t *slot; /* open addressing: row index + 1, 0 when free */
    size_t nslot;
};

static uint64_t key_hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL; /* FNV-1a */
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 1099511628211ULL;
    return h;
}

static int table_grow(struct table *t)
{
    size_t nslot = t->nslot ? t->nslot * 2 : 64;
    uint32_t *slot = calloc(nslot, sizeof *slot);
    if (slot == NULL)
        return -1;
    for (size_t i = 0; i < t->n; i++) {
        size_t j = key_hash(t->rows[i].key) & (nslot - 1);
        while (slot[j])
            j = (j + 1) & (nslot - 1);
        slot[j] = (uint32_t)i + 1;
    }
    free(t->slot);
    t->slot = slot;
    t->nslot = nslot;
    return 0;
}

static int table_add(struct table *t, const char *key, uint32_t kpos, const struct rec_hq_group *g)
{
    char k[sizeof t->rows[0].key];
    snprintf(k, sizeof k, "%s", key);
    if (2 * (t->n + 1) > t->nslot && table_grow(t) != 0)
        return -1;
    size_t j = key_hash(k) & (t->nslot - 1);
    while (t->slot[j] && strcmp(t->rows[t->slot[j] - 1].key, k) != 0)
        j = (j + 1) & (t->nslot - 1);
    struct row *r;
    if (t->slot[j]) {
        r = &t->rows[t->slot[j] - 1];
    } else {
        if (t->n == t->cap) {
            size_t cap = t->cap ? t->cap * 2 : 64;
            struct row *more = realloc(t->rows, cap * sizeof *more);
            if (more == NULL)
                return -1;
            t->rows = more;
            t->cap = cap;
        }
        r = &t->rows[t->n];
        memset(r, 0, sizeof *r);
        memcpy(r->key, k, sizeof r->key);
        r->kpos = kpos;
        r->npos = g->first_receipt;
        t->slot[j] = (uint32_t)++t->n;
    }
    if (kpos < r->kpos || (kpos == r->kpos && g->first_receipt < r->npos)) {
        r->kpos = kpos;
        r->npos = g->first_receipt;
    }
    r->count += g->count;
    r->gross = (int64_t)((uint64_t)r->gross + (uint64_t)g->gross);
    r->energy_wh += g->energy_wh;
    return 0;
}

static int row_order(const void *a, const void *b)
{
    const struct row *x = a, *y = b;
    if (x->kpos != y->kpos)
        return x->kpos < y->kpos ? -1 : 1;
    return (x->npos > y->npos) - (x->npos < y->npos);
}

enum { BY_KIOSK, BY_DAY, BY_TARIFF, BY_DRIVER, N_TABLES };

struct rep_arg {
    struct table t[N_TABLES];
    char kiosk[REC_ID_MAX];
    uint32_t kpos;
    int failed;
};

static void day_text(int64_t day, char *out, size_t cap)
{
    time_t t;
    struct tm tm;
    if (__builtin_mul_overflow(day, (int64_t)86400, &t) || gmtime_r(&t, &tm) == NULL)
        snprintf(out, cap, "day %lld", (long long)day); /* beyond what gmtime can show */
    else
        strftime(out, cap, "%Y-%m-%d", &tm);
}

static int rep_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rep_arg *a = arg;
    struct rec_hq_group g;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_group_layout, v, vl, &g) != 0)
        return 0;
    if (strcmp(g.kiosk, a->kiosk) != 0) {
        snprintf(a->kiosk, sizeof a->kiosk, "%s", g.kiosk);
        a->kpos++;
    }
    char d[32], day[80];
    day_text(g.day, d, sizeof d);
    snprintf(day, sizeof day, "%s %s", d, g.kiosk);
    if (table_add(&a->t[BY_KIOSK], g.kiosk, a->kpos, &g) || table_add(&a->t[BY_DAY], day, a->kpos, &g) ||
        table_add(&a->t[BY_TARIFF], g.tariff, a->kpos, &g) ||
        table_add(&a->t[BY_DRIVER], g.driver, a->kpos, &g)) {
        a->failed = 1;
        return STORE_STOP;
    }
    return 0;
}

static void rep_row(struct uv_ctx *ctx, FILE *out, const struct row *r)
{
    char amt[32], kwh[32];
    money_format(r->gross, ctx->cfg.currency_decimals, amt, sizeof amt);
    energy_format(r->energy_wh, kwh, sizeof kwh);
    fprintf(out, "  %-30s %8llu %16s %14s kWh\n", r->key, (unsigned long long)r->count, amt, kwh);
}

static void rep_rows(struct uv_ctx *ctx, FILE *out, const char *title, struct table *t, size_t cap)
{
    fprintf(out, "\nby %s\n", title);
    if (t->n)
        qsort(t->rows, t->n, sizeof *t->rows, row_order);
    size_t shown = t->n <= cap ? t->n : cap - 1;
    for (size_t i = 0; i < shown; i++)
        rep_row(ctx, out, &t->rows[i]);
    if (shown < t->n) {
        struct row others = {.key = "(others)"};
        for (size_t i = shown; i < t->n; i++) {
            others.count += t->rows[i].count;
            others.gross = (int64_t)((uint64_t)others.gross + (uint64_t)t->rows[i].gross);
            others.energy_wh += t->rows[i].energy_wh;
        }
        rep_row(ctx, out, &others);
    }
}

uv_status hq_report(struct uv_ctx *ctx, FILE *out)
{
    uv_status st = hq_store_check(ctx);
    if (st != UVS_OK)
        return st;
    struct rep_arg *a = calloc(1, sizeof *a);
    if (!a)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    st = store_iterate(&ctx->store, NULL, UV_DB_HQ_GROUPS, NULL, 0, 0, rep_one, a, &ctx->err);
    if (st == UVS_OK && a->failed)
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory for the report");
    if (st == UVS_OK) {
        fprintf(out, "head office sales (%s; amounts in %s)\n", ctx->cfg.kiosk_id,
                ctx->cfg.currency);
        rep_rows(ctx, out, "kiosk", &a->t[BY_KIOSK], HQ_ROWS);
        rep_rows(ctx, out, "day and kiosk", &a->t[BY_DAY], HQ_ROWS * 4);
        rep_rows(ctx, out, "tariff", &a->t[BY_TARIFF], HQ_ROWS);
        rep_rows(ctx, out, "driver", &a->t[BY_DRIVER], HQ_ROWS);
        fprintf(out, "\nmissing files\n");
        uint64_t nm = 0;
        st = hq_missing(ctx, out, &nm);
        if (st == UVS_OK && nm == 0)
            fprintf(out, "  none\n");
        if (st == UVS_OK)
            st = hq_instruct_report(ctx, out);
        if (st == UVS_OK)
            st = hq_credit_report(ctx, out, NULL);
    }
    for (int i = 0; i < N_TABLES; i++) {
        free(a->t[i].rows);
        free(a->t[i].slot);
    }
    free(a);
    return st;
}

/* ---- billing CSV ---------------------------------------------------- */

struct csv_arg {
    struct uv_ctx *ctx;
    FILE *out;
    const char *kiosk;
    void *buf; /* one stored file at a time */
    size_t cap;
};

static int csv_receipt(int kind, const void *rec, void *arg)
{
    struct csv_arg *a = arg;
    const struct rec_receipt *r = rec;
    if (kind != 'R')
        return 0;
    FILE *out = a->out;
    char when[32];
    time_t t = (time_t)r->time;
    struct tm tm;
    if (gmtime_r(&t, &tm) != NULL)
        strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm);
    else
        snprintf(when, sizeof when, "@%lld", (long long)r->time); /* beyond gmtime */
    const char *text[] = {r->meter, r->customer, r->tariff, r->driver, r->clerk};
    fprintf(out, "%s,%llu,%s", a->kiosk, (unsigned long long)r->number, when);
    for (size_t i = 0; i < 5; i++) {
        fputc(',', out);
        tr_csv_text(out, text[i]);
    }
    fprintf(out, ",%lld,%lld,%lld,%llu,", (long long)r->gross, (long long)r->vat,
            (long long)r->net, (unsigned long long)r->energy_wh);
    tr_csv_text(out, r->token_id);
    fputc(',', out);
    tr_csv_text(out, r->tokens[0]);
    fputc('\n', out);
    return 0;
}

/* One range of receipts: the file that holds them, read back and checked
   against the hash it was imported with. */
static int csv_range(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct csv_arg *a = arg;
    struct uv_ctx *ctx = a->ctx;
    const char *kiosk = k;
    if (kl < 10 || kl > HQ_KEY_MAX || ((const char *)k)[kl - 9] != '\0' || vl != 16 ||
        strlen(kiosk) != kl - 9)
        return uv_fail(&ctx->err, UVS_STORE, "a record in hq-ranges.db is damaged");
    uint64_t seq = rec_u64_from_key(v);
    size_t len = 0;
    uv_status st = hq_file_read(ctx, kiosk, seq, &a->buf, &a->cap, &len, NULL);
    if (st != UVS_OK)
        return st;
    struct export_parsed p;
    a->kiosk = kiosk;
    struct uv_error e;
    if (exportfile_parse(a->buf, len, &p, csv_receipt, a, &e) != UVS_OK)
        return uv_fail(&ctx->err, UVS_STORE, "the stored copy of kiosk %s file %llu does not "
                                             "read back (%s)",
                       kiosk, (unsigned long long)seq, e.message);
    return 0;
}

uv_status hq_export_csv(struct uv_ctx *ctx, FILE *out)
{
    uv_status st = hq_store_check(ctx);
    if (st != UVS_OK)
        return st;
    fprintf(out, "kiosk,receipt,time,meter,customer,tariff,driver,clerk,gross_minor,vat_minor,"
                 "net_minor,energy_wh,token_id,token\n");
    struct csv_arg a = {ctx, out, NULL, NULL, 0};
    st = store_iterate(&ctx->store, NULL, UV_DB_HQ_RANGES, NULL, 0, 0, csv_range, &a, &ctx->err);
    free(a.buf);
    return st;
}
