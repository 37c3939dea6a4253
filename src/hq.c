/* hq.c — head office import, report and billing CSV. */
#include "hq.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "digest.h"
#include "ed25519.h"
#include "exportfile.h"
#include "hqcredit.h"
#include "hqinstruct.h"
#include "masterdata.h"
#include "money.h"

#define HQ_FILE_MAX (1024L * 1024 * 1024) /* refuse files over 1 GiB */

/* kiosk NUL u64-BE */
static size_t kkey(const char *kiosk, uint64_t n, uint8_t *out)
{
    size_t l = strlen(kiosk);
    memcpy(out, kiosk, l);
    out[l] = '\0';
    rec_u64_key(n, out + l + 1);
    return l + 9;
}

uv_status hq_kiosk_add(struct uv_ctx *ctx, const char *id, const char *hex)
{
    struct rec_hq_kiosk k;
    memset(&k, 0, sizeof k);
    if (!md_id_valid(id))
        return uv_fail(&ctx->err, UVS_INPUT, "kiosk id '%s' is invalid", id ? id : "");
    if (hex == NULL || digest_unhex(hex, k.public_key, 32) != 0)
        return uv_fail(&ctx->err, UVS_INPUT, "the public key must be 64 hex digits");
    if (!ed25519_public_ok(k.public_key))
        return uv_fail(&ctx->err, UVS_INPUT, "that public key is a degenerate (small-order) point; "
                                             "copy the key from 'univend export pubkey' again");
    snprintf(k.id, sizeof k.id, "%s", id);
    snprintf(k.registered_by, sizeof k.registered_by, "%s", ctx->actor);
    k.registered_at = clock_now(ctx);
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_put_rec(&ctx->store, txn, UV_DB_HQ_KIOSKS, id, strlen(id), &rec_hq_kiosk_layout, &k,
                       1, &ctx->err);
    if (st == UVS_EXISTS)
        st = uv_fail(&ctx->err, UVS_EXISTS, "kiosk %s is already registered", id);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "hq.kiosk.add", id, "public key %s", hex);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(txn, &ctx->err);
}

static int kiosk_line(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_hq_kiosk r;
    char hex[65];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_kiosk_layout, v, vl, &r) == 0) {
        digest_hex(r.public_key, 32, hex);
        fprintf(arg, "%-16s %s%s%s\n", r.id, hex, r.group[0] ? " group " : "", r.group);
    }
    return 0;
}

uv_status hq_kiosk_list(struct uv_ctx *ctx, FILE *out)
{
    return store_iterate(&ctx->store, NULL, UV_DB_HQ_KIOSKS, NULL, 0, 0, kiosk_line, out, &ctx->err);
}

/* ---- import --------------------------------------------------------- */

struct merge {
    struct uv_ctx *ctx;
    DB_TXN *txn;
    const char *kiosk;
    uint64_t receipts;
    struct store_bulk *bulk; /* receipts go in bulk */
    uint64_t sequence;       /* the export file's */
};

static int merge_one(int kind, const void *rec, void *arg)
{
    struct merge *m = arg;
    uint8_t key[REC_ID_MAX + 9];
    uv_status st;
    if (kind == 'R') {
        struct rec_receipt r = *(const struct rec_receipt *)rec;
        uint8_t val[REC_BUF_MAX];
        snprintf(r.kiosk, sizeof r.kiosk, "%s", m->kiosk);
        size_t klen = kkey(m->kiosk, r.number, key);
        size_t vlen = rec_encode(&rec_receipt_layout, &r, val, sizeof val);
        if (vlen == 0)
            return uv_fail(&m->ctx->err, UVS_INPUT, "receipt %llu does not fit its fields",
                           (unsigned long long)r.number);
        if (store_bulk_add(m->bulk, key, klen, val, vlen) != 0) {
            if ((st = store_bulk_flush(&m->ctx->store, m->txn, UV_DB_HQ_RECEIPTS, m->bulk,
                                       &m->ctx->err)) != UVS_OK)
                return st;
            if (store_bulk_add(m->bulk, key, klen, val, vlen) != 0)
                return uv_fail(&m->ctx->err, UVS_NOMEM, "a receipt larger than the bulk buffer");
        }
        m->receipts++;
        st = UVS_OK;
    } else if (kind == 'A') {
        const struct rec_audit *a = rec;
        st = store_put_rec(&m->ctx->store, m->txn, UV_DB_HQ_AUDIT, key, kkey(m->kiosk, a->seq, key),
                           &rec_audit_layout, a, 1, &m->ctx->err);
        if (st == UVS_EXISTS)
            return uv_fail(&m->ctx->err, UVS_REFUSED,
                           "audit record %llu is already here from another file",
                           (unsigned long long)a->seq);
    } else if (kind == 'I') { /* the kiosk applied an instruction file */
        st = hq_instruct_confirm(m->ctx, m->txn, m->kiosk, rec, m->sequence);
    } else {
        const struct rec_closing *z = rec;
        st = store_put_rec(&m->ctx->store, m->txn, UV_DB_HQ_CLOSINGS, key,
                           kkey(m->kiosk, z->number, key), &rec_closing_layout, z, 1, &m->ctx->err);
        if (st == UVS_EXISTS)
            return uv_fail(&m->ctx->err, UVS_REFUSED, "closing %llu is already here",
                           (unsigned long long)z->number);
    }
    return st;
}

enum outcome { IMPORTED, ALREADY, REFUSED };

static uv_status read_file(struct uv_ctx *ctx, const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot read it: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > HQ_FILE_MAX) {
        close(fd);
        return uv_fail(&ctx->err, UVS_INPUT, "not a regular file of at most 1 GiB");
    }
    *buf = malloc((size_t)st.st_size + 1);
    size_t got = 0;
    ssize_t r = 0;
    while (*buf && got < (size_t)st.st_size &&
           ((r = read(fd, *buf + got, (size_t)st.st_size - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            got += (size_t)r;
    close(fd);
    if (*buf == NULL || got != (size_t)st.st_size) {
        free(*buf);
        *buf = NULL;
        return uv_fail(&ctx->err, UVS_IO, "cannot read it");
    }
    *len = got;
    return UVS_OK;
}

static enum outcome import_one(struct uv_ctx *ctx, const char *path, char *buf, size_t len,
                               struct store_bulk *bulk, uint64_t *receipts)
{
    struct export_parsed p;
    struct rec_hq_kiosk k;
    struct rec_hq_file f, nb;
    uint8_t key[REC_ID_MAX + 9], hash[32];
    (void)path;
    if (exportfile_peek(buf, len, &p, &ctx->err) != UVS_OK)
        return REFUSED;
    const struct export_header *h = &p.h;
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_HQ_KIOSKS, h->kiosk, strlen(h->kiosk),
                                 &rec_hq_kiosk_layout, &k, 0, &ctx->err);
    if (st == UVS_NOTFOUND) {
        uv_fail(&ctx->err, UVS_REFUSED, "kiosk %s is not registered here", h->kiosk);
        return REFUSED;
    }
    if (st != UVS_OK || exportfile_verify_hash(buf, len, &p, k.public_key, hash, &ctx->err) != UVS_OK)
        return REFUSED;

    DB_TXN *txn;
    if (store_begin_nosync(&ctx->store, &txn, &ctx->err) != UVS_OK)
        return REFUSED;
    /* this sequence already here? */
    st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key, kkey(h->kiosk, h->sequence, key),
                       &rec_hq_file_layout, &f, 1, &ctx->err);
    if (st == UVS_OK) {
        store_abort(txn);
        if (memcmp(f.file_hash, hash, 32) == 0)
            return ALREADY;
        uv_fail(&ctx->err, UVS_REFUSED,
                "kiosk %s file %llu was already imported with other content (a conflicting copy)",
                h->kiosk, (unsigned long long)h->sequence);
        return REFUSED;
    }
    if (st != UVS_NOTFOUND)
        goto fail;
    /* the chain: the previous file's hash, and the next file's prev_hash */
    if (h->sequence > 1) {
        st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key,
                           kkey(h->kiosk, h->sequence - 1, key), &rec_hq_file_layout, &nb, 0,
                           &ctx->err);
        if (st == UVS_OK && memcmp(nb.file_hash, h->prev_hash, 32) != 0) {
            uv_fail(&ctx->err, UVS_REFUSED,
                    "does not follow file %llu of kiosk %s (hash chain broken)",
                    (unsigned long long)h->sequence - 1, h->kiosk);
            goto refuse;
        }
        if (st == UVS_OK && nb.receipt_last && h->receipts &&
            h->receipt_first != nb.receipt_last + 1) {
            uv_fail(&ctx->err, UVS_REFUSED, "receipts do not continue from file %llu",
                    (unsigned long long)h->sequence - 1);
            goto refuse;
        }
        if (st != UVS_OK && st != UVS_NOTFOUND)
            goto fail;
    } else {
        static const uint8_t zero[32];
        if (memcmp(h->prev_hash, zero, 32) != 0) {
            uv_fail(&ctx->err, UVS_REFUSED, "file 1 must not name a previous file");
            goto refuse;
        }
    }
    st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key, kkey(h->kiosk, h->sequence + 1, key),
                       &rec_hq_file_layout, &nb, 0, &ctx->err);
    if (st == UVS_OK && memcmp(nb.prev_hash, hash, 32) != 0) {
        uv_fail(&ctx->err, UVS_REFUSED, "file %llu of kiosk %s, already here, names another "
                                        "predecessor (hash chain broken)",
                (unsigned long long)h->sequence + 1, h->kiosk);
        goto refuse;
    }
    if (st != UVS_OK && st != UVS_NOTFOUND)
        goto fail;

    /* receipts of this file already here from another file? (one range
       check instead of one per receipt: they go in bulk) */
    if (h->receipts) {
        uint8_t lo[REC_ID_MAX + 9], hi[REC_ID_MAX + 9];
        int found = 0;
        size_t ll = kkey(h->kiosk, h->receipt_first, lo), hl = kkey(h->kiosk, h->receipt_last, hi);
        st = store_any_in_range(&ctx->store, txn, UV_DB_HQ_RECEIPTS, lo, ll, hi, hl, &found,
                                &ctx->err);
        if (st != UVS_OK)
            goto fail;
        if (found) {
            uv_fail(&ctx->err, UVS_REFUSED, "receipts %llu-%llu of kiosk %s are already here "
                                            "from another file",
                    (unsigned long long)h->receipt_first, (unsigned long long)h->receipt_last,
                    h->kiosk);
            goto refuse;
        }
    }
    struct merge m = {ctx, txn, h->kiosk, 0, bulk, h->sequence};
    st = exportfile_parse(buf, len, &p, merge_one, &m, &ctx->err);
    if (st == UVS_OK)
        st = store_bulk_flush(&ctx->store, txn, UV_DB_HQ_RECEIPTS, bulk, &ctx->err);
    if (st != UVS_OK)
        goto refuse;
    memset(&f, 0, sizeof f);
    snprintf(f.kiosk, sizeof f.kiosk, "%s", h->kiosk);
    f.sequence = h->sequence;
    memcpy(f.file_hash, hash, 32);
    memcpy(f.prev_hash, h->prev_hash, 32);
    const char *base = strrchr(path, '/');
    snprintf(f.name, sizeof f.name, "%.95s", base ? base + 1 : path);
    f.created = h->created;
    f.imported_at = clock_now(ctx);
    f.receipt_first = h->receipt_first;
    f.receipt_last = h->receipt_last;
    f.receipts = h->receipts;
    f.gross = h->total_gross;
    f.vat = h->total_vat;
    f.net = h->total_net;
    f.energy_wh = h->total_energy_wh;
    if (h->version >= 3) { /* the vending credit the kiosk reports */
        f.credit_in = 1;
        f.credit_grants = h->credit_grants;
        f.credit_from_receipt = h->credit_from_receipt;
        f.credit_money_granted = h->credit_money_granted;
        f.credit_money_used = h->credit_money_used;
        f.credit_energy_granted_wh = h->credit_energy_granted_wh;
        f.credit_energy_used_wh = h->credit_energy_used_wh;
        f.credit_expires = h->credit_expires;
    }
    st = store_put_rec(&ctx->store, txn, UV_DB_HQ_FILES, key, kkey(h->kiosk, h->sequence, key),
                       &rec_hq_file_layout, &f, 1, &ctx->err);
    if (st != UVS_OK || store_commit(txn, &ctx->err) != UVS_OK)
        return REFUSED;
    *receipts = m.receipts;
    return IMPORTED;
refuse:
fail:
    store_abort(txn);
    return REFUSED;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Expand directories into their .uvx files, sorted. */
static char **expand(char *const *paths, size_t n, size_t *out_n)
{
    size_t cap = 64, k = 0;
    char **v = malloc(cap * sizeof *v);
    for (size_t i = 0; v && i < n; i++) {
        struct stat st;
        DIR *d;
        if (stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode) && (d = opendir(paths[i])) != NULL) {
            struct dirent *de;
            size_t start = k;
            while ((de = readdir(d)) != NULL) {
                size_t l = strlen(de->d_name);
                if (l < 5 || strcmp(de->d_name + l - 4, ".uvx") != 0 || de->d_name[0] == '.')
                    continue;
                if (k == cap && !(v = realloc(v, (cap *= 2) * sizeof *v)))
                    break;
                if (asprintf(&v[k], "%s/%s", paths[i], de->d_name) < 0)
                    break;
                k++;
            }
            closedir(d);
            if (v)
                qsort(v + start, k - start, sizeof *v, cmp_str);
        } else {
            if (k == cap && !(v = realloc(v, (cap *= 2) * sizeof *v)))
                break;
            v[k++] = strdup(paths[i]);
        }
    }
    *out_n = v ? k : 0;
    return v;
}

static double mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

uv_status hq_import(struct uv_ctx *ctx, char *const *paths, size_t n, FILE *out, FILE *progress,
                    struct hq_import_stats *stats)
{
    size_t nf = 0;
    char **files = expand(paths, n, &nf);
    memset(stats, 0, sizeof *stats);
    if (files == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    struct store_bulk bulk;
    if (store_bulk_init(&bulk, 4 * 1024 * 1024, &ctx->err) != UVS_OK) {
        for (size_t i = 0; i < nf; i++)
            free(files[i]);
        free(files);
        return ctx->err.status;
    }
    double t0 = mono(), last_shown = 0;
    for (size_t i = 0; i < nf; i++) {
        char *buf = NULL;
        size_t len = 0;
        uint64_t rc = 0;
        enum outcome o = REFUSED;
        uv_error_clear(&ctx->err);
        if (read_file(ctx, files[i], &buf, &len) == UVS_OK)
            o = import_one(ctx, files[i], buf, len, &bulk, &rc);
        free(buf);
        stats->files++;
        if (o == IMPORTED) {
            stats->imported++;
            stats->receipts += rc;
            if (out)
                fprintf(out, "imported  %s (%llu receipts)\n", files[i], (unsigned long long)rc);
        } else if (o == ALREADY) {
            stats->already++;
            if (out)
                fprintf(out, "unchanged %s: already imported\n", files[i]);
        } else {
            stats->refused++;
            if (out)
                fprintf(out, "REFUSED   %s: %s\n", files[i], ctx->err.message);
        }
        double now = mono();
        if (progress && (now - last_shown > 0.2 || i + 1 == nf)) {
            fprintf(progress, "\rimporting: %zu/%zu files, %.0f receipts/s   ", i + 1, nf,
                    stats->receipts / (now - t0 > 1e-9 ? now - t0 : 1e-9));
            fflush(progress);
            last_shown = now;
        }
        free(files[i]);
    }
    free(files);
    store_bulk_free(&bulk);
    if (progress && nf)
        fputc('\n', progress);
    uv_status st = store_flush(&ctx->store, &ctx->err); /* the batch is durable */
    stats->seconds = mono() - t0;
    if (st != UVS_OK)
        return st;
    if (stats->refused)
        return uv_fail(&ctx->err, UVS_REFUSED, "%u of %u files refused", stats->refused,
                       stats->files);
    return UVS_OK;
}

/* ---- reports -------------------------------------------------------- */

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

#define HQ_ROWS 64
struct row {
    char key[48];
    uint64_t count;
    int64_t gross;
    uint64_t energy_wh;
};

struct rep_arg {
    struct row kiosk[HQ_ROWS], day[HQ_ROWS * 4], tariff[HQ_ROWS], driver[HQ_ROWS];
    size_t nk, nd, nt, nr;
};

static void bump(struct row *rows, size_t *n, size_t cap, const char *key,
                 const struct rec_receipt *r)
{
    size_t i;
    for (i = 0; i < *n && strcmp(rows[i].key, key) != 0; i++)
        ;
    if (i == *n) {
        if (*n == cap) {
            i = cap - 1;
            snprintf(rows[i].key, sizeof rows[i].key, "(others)");
        } else {
            memset(&rows[i], 0, sizeof rows[i]);
            snprintf(rows[i].key, sizeof rows[i].key, "%s", key);
            (*n)++;
        }
    }
    rows[i].count++;
    rows[i].gross += r->gross;
    rows[i].energy_wh += r->energy_wh;
}

static int rep_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rep_arg *a = arg;
    struct rec_receipt r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0)
        return 0;
    char day[48];
    time_t t = (time_t)r.time;
    struct tm tm;
    char d[16];
    strftime(d, sizeof d, "%Y-%m-%d", gmtime_r(&t, &tm));
    snprintf(day, sizeof day, "%s %s", d, r.kiosk);
    bump(a->kiosk, &a->nk, HQ_ROWS, r.kiosk, &r);
    bump(a->day, &a->nd, HQ_ROWS * 4, day, &r);
    bump(a->tariff, &a->nt, HQ_ROWS, r.tariff, &r);
    bump(a->driver, &a->nr, HQ_ROWS, r.driver, &r);
    return 0;
}

static void rep_rows(struct uv_ctx *ctx, FILE *out, const char *title, struct row *rows, size_t n)
{
    char amt[32], kwh[32];
    fprintf(out, "\nby %s\n", title);
    for (size_t i = 0; i < n; i++) {
        money_format(rows[i].gross, ctx->cfg.currency_decimals, amt, sizeof amt);
        energy_format(rows[i].energy_wh, kwh, sizeof kwh);
        fprintf(out, "  %-30s %8llu %16s %14s kWh\n", rows[i].key,
                (unsigned long long)rows[i].count, amt, kwh);
    }
}

uv_status hq_report(struct uv_ctx *ctx, FILE *out)
{
    struct rep_arg *a = calloc(1, sizeof *a);
    if (!a)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_RECEIPTS, NULL, 0, 0, rep_one, a,
                                 &ctx->err);
    if (st == UVS_OK) {
        fprintf(out, "head office sales (%s; amounts in %s)\n", ctx->cfg.kiosk_id,
                ctx->cfg.currency);
        rep_rows(ctx, out, "kiosk", a->kiosk, a->nk);
        rep_rows(ctx, out, "day and kiosk", a->day, a->nd);
        rep_rows(ctx, out, "tariff", a->tariff, a->nt);
        rep_rows(ctx, out, "driver", a->driver, a->nr);
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
    free(a);
    return st;
}

static int csv_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    FILE *out = arg;
    struct rec_receipt r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0)
        return 0;
    char when[32];
    time_t t = (time_t)r.time;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", gmtime_r(&t, &tm));
    const char *text[] = {r.kiosk, r.meter, r.customer, r.tariff, r.driver, r.clerk};
    fprintf(out, "%s,%llu,%s", r.kiosk, (unsigned long long)r.number, when);
    for (size_t i = 1; i < 6; i++) {
        fputc(',', out);
        exportfile_csv_text(out, text[i]);
    }
    fprintf(out, ",%lld,%lld,%lld,%llu,%s,%s\n", (long long)r.gross, (long long)r.vat,
            (long long)r.net, (unsigned long long)r.energy_wh, r.token_id, r.tokens[0]);
    return 0;
}

uv_status hq_export_csv(struct uv_ctx *ctx, FILE *out)
{
    fprintf(out, "kiosk,receipt,time,meter,customer,tariff,driver,clerk,gross_minor,vat_minor,"
                 "net_minor,energy_wh,token_id,token\n");
    return store_iterate(&ctx->store, NULL, UV_DB_HQ_RECEIPTS, NULL, 0, 0, csv_one, out, &ctx->err);
}
