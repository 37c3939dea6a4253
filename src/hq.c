/* hq.c — head office: the kiosks it trusts, and importing their files. */
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
#include "hqinstruct.h"
#include "hqstore.h"
#include "masterdata.h"

#define HQ_FILE_MAX (1024L * 1024 * 1024) /* refuse files over 1 GiB */

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
    return store_commit(&ctx->store, txn, &ctx->err);
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

/* What one file adds: its receipts summed per UTC day, tariff and driver. */
struct groups {
    struct rec_hq_group *g;
    size_t n, cap, last;
};

struct merge {
    struct uv_ctx *ctx;
    DB_TXN *txn;
    const struct export_header *h;
    struct groups *groups;
};

static int64_t wrap_add(int64_t a, int64_t b) /* sums of signed input: defined on overflow */
{
    return (int64_t)((uint64_t)a + (uint64_t)b);
}

static uv_status group_receipt(struct merge *m, const struct rec_receipt *r)
{
    struct groups *gs = m->groups;
    int64_t day = hq_utc_day(r->time);
    struct rec_hq_group *g = gs->n ? &gs->g[gs->last] : NULL;
    /* receipts come in runs of one day, tariff and driver: try the last group first */
    if (g == NULL || g->day != day || strcmp(g->tariff, r->tariff) != 0 ||
        strcmp(g->driver, r->driver) != 0) {
        size_t i;
        for (i = 0; i < gs->n; i++) {
            g = &gs->g[i];
            if (g->day == day && strcmp(g->tariff, r->tariff) == 0 &&
                strcmp(g->driver, r->driver) == 0)
                break;
        }
        if (i == gs->n) {
            if (gs->n == gs->cap) {
                size_t cap = gs->cap ? gs->cap * 2 : 16;
                struct rec_hq_group *more = realloc(gs->g, cap * sizeof *more);
                if (more == NULL)
                    return uv_fail(&m->ctx->err, UVS_NOMEM, "out of memory");
                gs->g = more;
                gs->cap = cap;
            }
            g = &gs->g[gs->n++];
            memset(g, 0, sizeof *g);
            memcpy(g->kiosk, m->h->kiosk, sizeof g->kiosk);
            g->sequence = m->h->sequence;
            g->day = day;
            memcpy(g->tariff, r->tariff, sizeof g->tariff);
            memcpy(g->driver, r->driver, sizeof g->driver);
            g->first_receipt = r->number; /* receipts come in increasing order */
        }
        gs->last = i;
    }
    g->count++;
    g->gross = wrap_add(g->gross, r->gross);
    g->vat = wrap_add(g->vat, r->vat);
    g->net = wrap_add(g->net, r->net);
    g->energy_wh += r->energy_wh;
    return UVS_OK;
}

static int merge_one(int kind, const void *rec, void *arg)
{
    struct merge *m = arg;
    uint8_t key[HQ_KEY_MAX];
    const char *kiosk = m->h->kiosk;
    uv_status st;
    if (kind == 'R')
        return group_receipt(m, rec);
    if (kind == 'A') {
        const struct rec_audit *a = rec;
        st = store_put_rec(&m->ctx->store, m->txn, UV_DB_HQ_AUDIT, key, hq_key(kiosk, a->seq, key),
                           &rec_audit_layout, a, 1, &m->ctx->err);
        if (st == UVS_EXISTS)
            return uv_fail(&m->ctx->err, UVS_REFUSED,
                           "audit record %llu is already here from another file",
                           (unsigned long long)a->seq);
    } else if (kind == 'I') { /* the kiosk applied an instruction file */
        st = hq_instruct_confirm(m->ctx, m->txn, kiosk, rec, m->h->sequence);
    } else {
        const struct rec_closing *z = rec;
        st = store_put_rec(&m->ctx->store, m->txn, UV_DB_HQ_CLOSINGS, key,
                           hq_key(kiosk, z->number, key), &rec_closing_layout, z, 1, &m->ctx->err);
        if (st == UVS_EXISTS)
            return uv_fail(&m->ctx->err, UVS_REFUSED, "closing %llu is already here",
                           (unsigned long long)z->number);
    }
    return st;
}

enum outcome { IMPORTED, ALREADY, REFUSED };

/* One file read whole into buf (kept and grown from file to file). */
struct filebuf {
    char *p;
    size_t cap, len;
};

static uv_status read_file(struct uv_ctx *ctx, const char *path, struct filebuf *b)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot read it: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > HQ_FILE_MAX) {
        close(fd);
        return uv_fail(&ctx->err, UVS_INPUT, "not a regular file of at most 1 GiB");
    }
    size_t want = (size_t)st.st_size;
    if (want + 1 > b->cap) {
        char *p = realloc(b->p, want + 1);
        if (p == NULL) {
            close(fd);
            return uv_fail(&ctx->err, UVS_NOMEM, "out of memory for a file of %zu bytes", want);
        }
        b->p = p;
        b->cap = want + 1;
    }
    size_t got = 0;
    ssize_t r = 0;
    while (got < want &&
           ((r = read(fd, b->p + got, want - got)) > 0 || (r < 0 && errno == EINTR)))
        if (r > 0)
            got += (size_t)r;
    close(fd);
    if (got != want)
        return uv_fail(&ctx->err, UVS_IO, "cannot read it%s%s", r < 0 ? ": " : " (it shrank)",
                       r < 0 ? strerror(errno) : "");
    b->len = got;
    return UVS_OK;
}

struct overlap {
    const uint8_t *prefix; /* kiosk NUL */
    size_t prefix_len;
    uint64_t first;
    int found;
};

static int overlap_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct overlap *o = arg;
    if (kl == o->prefix_len + 8 && memcmp(k, o->prefix, o->prefix_len) == 0 && vl == 16)
        o->found = rec_u64_from_key((const uint8_t *)v + 8) >= o->first;
    return STORE_STOP;
}

/* Is any receipt first..last of the kiosk here already? Ranges do not
   overlap, so only the one starting last at or before `last` can. */
static uv_status receipts_here(struct uv_ctx *ctx, DB_TXN *txn, const char *kiosk, uint64_t first,
                               uint64_t last, int *found)
{
    uint8_t key[HQ_KEY_MAX];
    size_t kl = hq_key(kiosk, last, key);
    struct overlap o = {key, kl - 8, first, 0};
    uv_status st = store_iterate(&ctx->store, txn, UV_DB_HQ_RANGES, key, kl, 1, overlap_one, &o,
                                 &ctx->err);
    *found = o.found;
    return st;
}

/* Everything but the receipts' own records: the file as signed, its range
   of receipts, its groups and its record. */
static uv_status keep_file(struct uv_ctx *ctx, DB_TXN *txn, const char *path,
                           const struct filebuf *b, const struct export_header *h,
                           const uint8_t hash[32], const struct groups *gs)
{
    uint8_t key[HQ_KEY_MAX];
    size_t kl = hq_key(h->kiosk, h->sequence, key);
    uv_status st = store_put(&ctx->store, txn, UV_DB_HQ_FILEDATA, key, kl, b->p, b->len, 1,
                             &ctx->err);
    if (st == UVS_OK && h->receipts) {
        uint8_t rkey[HQ_KEY_MAX], val[16];
        rec_u64_key(h->sequence, val);
        rec_u64_key(h->receipt_last, val + 8);
        st = store_put(&ctx->store, txn, UV_DB_HQ_RANGES, rkey,
                       hq_key(h->kiosk, h->receipt_first, rkey), val, sizeof val, 1, &ctx->err);
    }
    for (size_t i = 0; st == UVS_OK && i < gs->n; i++) {
        uint8_t gkey[HQ_KEY_MAX];
        st = store_put_rec(&ctx->store, txn, UV_DB_HQ_GROUPS, gkey,
                           hq_group_key(h->kiosk, h->sequence, (uint32_t)i, gkey),
                           &rec_hq_group_layout, &gs->g[i], 1, &ctx->err);
    }
    if (st != UVS_OK)
        return st == UVS_EXISTS
                   ? uv_fail(&ctx->err, UVS_STORE, "the head office store already holds parts "
                                                   "of kiosk %s file %llu without its record "
                                                   "(damaged?); nothing of it was merged",
                             h->kiosk, (unsigned long long)h->sequence)
                   : st;
    struct rec_hq_file f;
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
    return store_put_rec(&ctx->store, txn, UV_DB_HQ_FILES, key, kl, &rec_hq_file_layout, &f, 1,
                         &ctx->err);
}

/* Where the file stands against what is here: new and fitting (UVS_OK),
   already here (ALREADY in *o), or refused with the reason. */
static uv_status place_file(struct uv_ctx *ctx, DB_TXN *txn, const struct export_header *h,
                            const uint8_t hash[32], enum outcome *o)
{
    struct rec_hq_file f;
    uint8_t key[HQ_KEY_MAX];
    uv_status st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key,
                                 hq_key(h->kiosk, h->sequence, key), &rec_hq_file_layout, &f, 1,
                                 &ctx->err);
    if (st == UVS_OK) {
        if (memcmp(f.file_hash, hash, 32) == 0) {
            *o = ALREADY;
            return UVS_OK;
        }
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "kiosk %s file %llu was already imported with other content "
                       "(a conflicting copy)",
                       h->kiosk, (unsigned long long)h->sequence);
    }
    if (st != UVS_NOTFOUND)
        return st;
    /* the chain: the previous file's hash, and the next file's prev_hash */
    if (h->sequence > 1) {
        st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key,
                           hq_key(h->kiosk, h->sequence - 1, key), &rec_hq_file_layout, &f, 0,
                           &ctx->err);
        if (st == UVS_OK && memcmp(f.file_hash, h->prev_hash, 32) != 0)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "does not follow file %llu of kiosk %s (hash chain broken)",
                           (unsigned long long)h->sequence - 1, h->kiosk);
        if (st == UVS_OK && f.receipt_last && h->receipts && h->receipt_first != f.receipt_last + 1)
            return uv_fail(&ctx->err, UVS_REFUSED, "receipts do not continue from file %llu",
                           (unsigned long long)h->sequence - 1);
        if (st != UVS_OK && st != UVS_NOTFOUND)
            return st;
    } else {
        static const uint8_t zero[32];
        if (memcmp(h->prev_hash, zero, 32) != 0)
            return uv_fail(&ctx->err, UVS_REFUSED, "file 1 must not name a previous file");
    }
    st = store_get_rec(&ctx->store, txn, UV_DB_HQ_FILES, key,
                       hq_key(h->kiosk, h->sequence + 1, key), &rec_hq_file_layout, &f, 0,
                       &ctx->err);
    if (st == UVS_OK && memcmp(f.prev_hash, hash, 32) != 0)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "file %llu of kiosk %s, already here, names another predecessor "
                       "(hash chain broken)",
                       (unsigned long long)h->sequence + 1, h->kiosk);
    if (st != UVS_OK && st != UVS_NOTFOUND)
        return st;
    /* receipts of this file here already from another file? */
    if (h->receipts) {
        int found = 0;
        st = receipts_here(ctx, txn, h->kiosk, h->receipt_first, h->receipt_last, &found);
        if (st != UVS_OK)
            return st;
        if (found)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "receipts %llu-%llu of kiosk %s are already here from another file",
                           (unsigned long long)h->receipt_first,
                           (unsigned long long)h->receipt_last, h->kiosk);
    }
    *o = IMPORTED;
    return UVS_OK;
}

static enum outcome import_one(struct uv_ctx *ctx, const char *path, const struct filebuf *b,
                               struct groups *gs, uint64_t *receipts)
{
    struct export_parsed p;
    struct rec_hq_kiosk k;
    uint8_t hash[32];
    enum outcome o = REFUSED;
    /* the header, the kiosk's registered key and the signature come first */
    if (exportfile_peek(b->p, b->len, &p, &ctx->err) != UVS_OK)
        return REFUSED;
    const struct export_header *h = &p.h;
    uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_HQ_KIOSKS, h->kiosk, strlen(h->kiosk),
                                 &rec_hq_kiosk_layout, &k, 0, &ctx->err);
    if (st == UVS_NOTFOUND) {
        uv_fail(&ctx->err, UVS_REFUSED, "kiosk %s is not registered here", h->kiosk);
        return REFUSED;
    }
    if (st != UVS_OK ||
        exportfile_verify_hash(b->p, b->len, &p, k.public_key, hash, &ctx->err) != UVS_OK)
        return REFUSED;

    DB_TXN *txn;
    if (store_begin_nosync(&ctx->store, &txn, &ctx->err) != UVS_OK)
        return REFUSED;
    st = place_file(ctx, txn, h, hash, &o);
    if (st == UVS_OK && o == IMPORTED) {
        /* every record checked (counts, totals, ranges) and merged */
        struct merge m = {ctx, txn, h, gs};
        gs->n = gs->last = 0;
        st = exportfile_parse(b->p, b->len, &p, merge_one, &m, &ctx->err);
        if (st == UVS_OK)
            st = keep_file(ctx, txn, path, b, h, hash, gs);
        if (st == UVS_OK)
            st = store_commit(&ctx->store, txn, &ctx->err); /* begun without sync */
        else
            store_abort(txn);
        if (st != UVS_OK)
            return REFUSED;
        *receipts = h->receipts;
        return IMPORTED;
    }
    store_abort(txn);
    return st == UVS_OK ? o : REFUSED;
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
    memset(stats, 0, sizeof *stats);
    uv_status st = hq_store_check(ctx);
    if (st != UVS_OK)
        return st;
    size_t nf = 0;
    char **files = expand(paths, n, &nf);
    if (files == NULL)
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    struct filebuf b = {NULL, 0, 0};
    struct groups gs = {NULL, 0, 0, 0};
    double t0 = mono(), last_shown = 0;
    for (size_t i = 0; i < nf; i++) {
        uint64_t rc = 0;
        enum outcome o = REFUSED;
        uv_error_clear(&ctx->err);
        if (read_file(ctx, files[i], &b) == UVS_OK)
            o = import_one(ctx, files[i], &b, &gs, &rc);
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
    free(b.p);
    free(gs.g);
    if (progress && nf)
        fputc('\n', progress);
    st = store_flush(&ctx->store, &ctx->err); /* every file imported is now durable */
    stats->seconds = mono() - t0;
    if (st != UVS_OK) {
        char why[sizeof ctx->err.message];
        snprintf(why, sizeof why, "%s", ctx->err.message);
        return uv_fail(&ctx->err, st, "%s: the files reported imported may not be on disk; "
                                      "import them again once this is put right",
                       why);
    }
    if (stats->refused)
        return uv_fail(&ctx->err, UVS_REFUSED, "%u of %u files refused", stats->refused,
                       stats->files);
    return UVS_OK;
}
