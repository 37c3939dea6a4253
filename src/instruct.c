/* instruct.c — applying instruction files at the kiosk. */
#include "instruct.h"

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
#include "clerks.h"
#include "digest.h"
#include "instruct_kinds.h"
#include "instructfile.h"
#include "services.h"
#include "trust.h"

enum outcome { APPLIED, ALREADY, SKIPPED, REFUSED };

uv_status instruct_state(struct uv_ctx *ctx, DB_TXN *txn, uint64_t *seq, int64_t *hq_time)
{
    uint8_t b[8];
    size_t len = 0;
    *seq = 0;
    *hq_time = 0;
    uv_status st = store_meta_get(&ctx->store, txn, META_INSTR_SEQ, b, sizeof b, &len, txn != NULL,
                                  &ctx->err);
    if (st == UVS_OK && len == 8)
        *seq = rec_u64_from_key(b);
    else if (st == UVS_OK)
        return uv_fail(&ctx->err, UVS_STORE, "%s is damaged", META_INSTR_SEQ);
    else if (st != UVS_NOTFOUND)
        return st;
    st = store_meta_get(&ctx->store, txn, META_INSTR_HQ_TIME, b, sizeof b, &len, txn != NULL,
                        &ctx->err);
    if (st == UVS_OK && len == 8)
        *hq_time = (int64_t)rec_u64_from_key(b);
    else if (st == UVS_OK)
        return uv_fail(&ctx->err, UVS_STORE, "%s is damaged", META_INSTR_HQ_TIME);
    else if (st != UVS_NOTFOUND)
        return st;
    return UVS_OK;
}

static uv_status read_whole(struct uv_ctx *ctx, const char *path, char **buf, size_t *len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    *buf = NULL;
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot read it: %s", strerror(errno));
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > INSTR_FILE_MAX) {
        close(fd);
        return uv_fail(&ctx->err, UVS_INPUT, "not a regular file of at most %ld MiB",
                       INSTR_FILE_MAX >> 20);
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

/* What the first pass learns from the kiosk lines. */
struct addressed {
    const char *me;
    uint64_t seq;      /* ours; 0 if not addressed to us */
    unsigned others;
    char first_other[REC_ID_MAX];
};

static int kiosk_line(const char *kiosk, uint64_t seq, void *arg)
{
    struct addressed *a = arg;
    if (strcmp(kiosk, a->me) == 0) {
        a->seq = seq;
    } else {
        if (a->others++ == 0)
            snprintf(a->first_other, sizeof a->first_other, "%s", kiosk);
    }
    return 0;
}

/* A file read and checked, not yet applied. */
struct candidate {
    char *path;
    char *buf;
    size_t len;
    struct instr_parsed p;
    struct addressed a;
    uint8_t hash[32];
    uv_status parse_st;
    char parse_msg[512];
};

static void candidate_load(struct uv_ctx *ctx, struct candidate *c)
{
    memset(&c->a, 0, sizeof c->a);
    c->a.me = ctx->cfg.kiosk_id;
    c->parse_st = read_whole(ctx, c->path, &c->buf, &c->len);
    if (c->parse_st == UVS_OK)
        c->parse_st = instrfile_parse(c->buf, c->len, &c->p, kiosk_line, NULL, &c->a, &ctx->err);
    if (c->parse_st == UVS_OK)
        digest_sha256(c->buf, c->len, c->hash);
    else
        snprintf(c->parse_msg, sizeof c->parse_msg, "%s", ctx->err.message);
    if (c->parse_st != UVS_OK || c->a.seq == 0) { /* only its verdict is needed now */
        free(c->buf);
        c->buf = NULL;
    }
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

/* Record a refusal (its own transaction) and say so. */
static enum outcome refuse(struct uv_ctx *ctx, const struct candidate *c)
{
    struct uv_error keep = ctx->err;
    audit_append(ctx, NULL, "instruction.refused", base_name(c->path), "%s", keep.message);
    ctx->err = keep;
    return REFUSED;
}

struct apply_arg {
    struct uv_ctx *ctx;
    DB_TXN *txn;
    struct instr_run *run;
};

static int apply_record(const struct instr_record *r0, void *arg)
{
    struct apply_arg *a = arg;
    struct instr_record r = *r0;
    r.run = a->run;
    if (!r.k->all_scopes && !instr_scope_mine(&r, a->ctx->cfg.kiosk_id))
        return 0;
    uv_status st = r.k->apply(a->ctx, a->txn, &r);
    if (st != UVS_OK) {
        char msg[sizeof a->ctx->err.message];
        snprintf(msg, sizeof msg, "%s", a->ctx->err.message);
        uv_fail(&a->ctx->err, st, "record %llu (line %u, %s): %s",
                (unsigned long long)r.index, r.line, r.kind, msg);
    }
    return (int)st;
}

static void remove_created(struct uv_ctx *ctx, const struct instr_run *run)
{
    for (size_t i = 0; i < run->n_created; i++) {
        char path[4300];
        snprintf(path, sizeof path, "%s/%s", ctx->cfg.driver_dir, run->created[i]);
        unlink(path);
    }
}

/* The transaction: every record, the applied record, the markers. */
static uv_status apply_txn(struct uv_ctx *ctx, const struct candidate *c, uint64_t expect_prev,
                           const struct rec_trust *signer, struct instr_run *run)
{
    DB_TXN *txn;
    uint64_t seq;
    int64_t hq_time;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    if ((st = instruct_state(ctx, txn, &seq, &hq_time)) != UVS_OK)
        goto fail;
    if (seq != expect_prev) {
        st = uv_fail(&ctx->err, UVS_REFUSED, "another instruction was applied meanwhile; try again");
        goto fail;
    }
    memset(run, 0, sizeof *run);
    run->seq = c->a.seq;
    run->h = &c->p.h;
    memcpy(run->signer, c->p.h.signer, 32);
    snprintf(run->signer_name, sizeof run->signer_name, "%s", signer->name);
    struct apply_arg aa = {ctx, txn, run};
    struct instr_parsed again;
    if ((st = instrfile_parse(c->buf, c->len, &again, NULL, apply_record, &aa, &ctx->err)) != UVS_OK)
        goto fail;
    struct rec_instruction ri;
    memset(&ri, 0, sizeof ri);
    ri.sequence = c->a.seq;
    memcpy(ri.file_hash, c->hash, 32);
    snprintf(ri.name, sizeof ri.name, "%.95s", base_name(c->path));
    snprintf(ri.target, sizeof ri.target, "%s", c->p.h.target);
    ri.created = c->p.h.created;
    ri.expires = c->p.h.expires;
    ri.applied_at = clock_now(ctx);
    snprintf(ri.applied_by, sizeof ri.applied_by, "%s", ctx->actor);
    memcpy(ri.signer, c->p.h.signer, 32);
    snprintf(ri.signer_name, sizeof ri.signer_name, "%s", signer->name);
    ri.records = c->p.h.records;
    uint8_t key[8], b[8];
    rec_u64_key(ri.sequence, key);
    if ((st = store_put_rec(&ctx->store, txn, UV_DB_INSTRUCTIONS, key, 8, &rec_instruction_layout,
                            &ri, 1, &ctx->err)) != UVS_OK)
        goto fail;
    if ((st = store_meta_put(&ctx->store, txn, META_INSTR_SEQ, key, 8, &ctx->err)) != UVS_OK)
        goto fail;
    rec_u64_key((uint64_t)(c->p.h.created > hq_time ? c->p.h.created : hq_time), b);
    if ((st = store_meta_put(&ctx->store, txn, META_INSTR_HQ_TIME, b, 8, &ctx->err)) != UVS_OK)
        goto fail;
    /* the clock's floor: head office's time in the file, and this apply */
    if ((st = clock_raise_floor(ctx, txn, c->p.h.created)) != UVS_OK ||
        (st = clock_raise_floor(ctx, txn, ri.applied_at)) != UVS_OK)
        goto fail;
    char hex[65];
    digest_hex(c->hash, 32, hex);
    st = audit_append(ctx, txn, "instruction.apply", base_name(c->path),
                      "instruction %llu for %s, %llu record(s), head office time %lld, key %s, "
                      "sha256=%.16s",
                      (unsigned long long)ri.sequence, ri.target, (unsigned long long)ri.records,
                      (long long)ri.created, signer->name, hex);
    if (st != UVS_OK)
        goto fail;
    return store_commit(&ctx->store, txn, &ctx->err);
fail:
    store_abort(txn);
    return st;
}

static enum outcome apply_one(struct uv_ctx *ctx, struct candidate *c, int named)
{
    uint64_t applied;
    int64_t floor;
    struct rec_trust signer;
    uv_error_clear(&ctx->err);
    if (c->parse_st != UVS_OK) {
        uv_fail(&ctx->err, c->parse_st, "%s", c->parse_msg);
        return refuse(ctx, c);
    }
    if (c->a.seq == 0) {
        if (!named)
            return SKIPPED;
        uv_fail(&ctx->err, UVS_REFUSED,
                "addressed to %s%s (%s), not to this kiosk (%s)", c->a.first_other,
                c->a.others > 1 ? " and others" : "", c->p.h.target, ctx->cfg.kiosk_id);
        return refuse(ctx, c);
    }
    if (instruct_state(ctx, NULL, &applied, &floor) != UVS_OK)
        return refuse(ctx, c);
    /* the very bytes applied before are judged by that (even if their key
       has been revoked since); anything else with an old number is refused */
    if (c->a.seq <= applied) {
        struct rec_instruction ri;
        uint8_t key[8];
        rec_u64_key(c->a.seq, key);
        uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_INSTRUCTIONS, key, 8,
                                     &rec_instruction_layout, &ri, 0, &ctx->err);
        if (st == UVS_OK && memcmp(ri.file_hash, c->hash, 32) == 0) {
            if (!named)
                return ALREADY;
            uv_fail(&ctx->err, UVS_REFUSED,
                    "instruction %llu was already applied here (replayed); nothing changed",
                    (unsigned long long)c->a.seq);
            return refuse(ctx, c);
        }
        uv_fail(&ctx->err, UVS_REFUSED,
                "instruction %llu was already applied here from another file; this one is "
                "refused (replayed or conflicting; the last applied is %llu)",
                (unsigned long long)c->a.seq, (unsigned long long)applied);
        return refuse(ctx, c);
    }
    if (trust_check(ctx, NULL, c->p.h.signer, &signer) != UVS_OK)
        return refuse(ctx, c);
    if (instrfile_verify(c->buf, c->len, &c->p, NULL, &ctx->err) != UVS_OK)
        return refuse(ctx, c);
    if (c->a.seq > applied + 1) {
        if (c->a.seq == applied + 2)
            uv_fail(&ctx->err, UVS_REFUSED, "out of order: instruction %llu must be applied first",
                    (unsigned long long)applied + 1);
        else
            uv_fail(&ctx->err, UVS_REFUSED,
                    "out of order: instructions %llu-%llu must be applied first",
                    (unsigned long long)applied + 1, (unsigned long long)c->a.seq - 1);
        return refuse(ctx, c);
    }
    int64_t now = clock_now(ctx);
    if (now > c->p.h.expires) {
        char when[32];
        time_t t = (time_t)c->p.h.expires;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
        uv_fail(&ctx->err, UVS_REFUSED,
                "instruction %llu expired on %s UTC; head office must send it again",
                (unsigned long long)c->a.seq, when);
        return refuse(ctx, c);
    }
    /* keys before the transaction: unlocking reads the store outside it */
    if (services_unlock_keys(ctx) != UVS_OK)
        return refuse(ctx, c);
    struct instr_run run;
    memset(&run, 0, sizeof run);
    uv_status st = apply_txn(ctx, c, applied, &signer, &run);
    if (st != UVS_OK) {
        remove_created(ctx, &run);
        char msg[sizeof ctx->err.message];
        snprintf(msg, sizeof msg, "%s", ctx->err.message);
        uv_fail(&ctx->err, st, "%s; nothing of instruction %llu was applied", msg,
                (unsigned long long)c->a.seq);
        return refuse(ctx, c);
    }
    return APPLIED;
}

static int cmp_candidate(const void *x, const void *y)
{
    const struct candidate *a = x, *b = y;
    /* ours by sequence; then files not for us; then unreadable ones */
    int ka = a->parse_st != UVS_OK ? 2 : a->a.seq == 0, kb = b->parse_st != UVS_OK ? 2 : b->a.seq == 0;
    if (ka != kb)
        return ka - kb;
    if (ka == 0 && a->a.seq != b->a.seq)
        return a->a.seq < b->a.seq ? -1 : 1;
    return strcmp(a->path, b->path);
}

static int uvi_name(const char *n)
{
    size_t l = strlen(n);
    return l > 4 && strcmp(n + l - 4, ".uvi") == 0 && n[0] != '.';
}

/* Directory entries (*.uvi) appended to *v; named[i] 0 for them. */
static int add_dir(const char *dir, struct candidate **v, size_t *n, size_t *cap)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL) {
        if (!uvi_name(de->d_name))
            continue;
        if (*n == *cap) {
            struct candidate *nv = realloc(*v, (*cap = *cap ? *cap * 2 : 16) * sizeof **v);
            if (nv == NULL)
                break;
            *v = nv;
        }
        memset(&(*v)[*n], 0, sizeof **v);
        if (asprintf(&(*v)[*n].path, "%s/%s", dir, de->d_name) < 0)
            break;
        (*n)++;
    }
    closedir(d);
    return 0;
}

static void report(FILE *out, struct instruct_stats *s, enum outcome o, const struct candidate *c,
                   const struct uv_error *err)
{
    s->files++;
    switch (o) {
    case APPLIED:
        s->applied++;
        if (out)
            fprintf(out, "applied   %s: instruction %llu, %llu record(s)\n", c->path,
                    (unsigned long long)c->a.seq, (unsigned long long)c->p.h.records);
        break;
    case ALREADY:
        s->already++;
        if (out)
            fprintf(out, "unchanged %s: instruction %llu already applied\n", c->path,
                    (unsigned long long)c->a.seq);
        break;
    case SKIPPED:
        s->skipped++;
        if (out)
            fprintf(out, "skipped   %s: for other kiosks\n", c->path);
        break;
    case REFUSED:
        s->refused++;
        if (out)
            fprintf(out, "REFUSED   %s: %s\n", c->path, err->message);
        break;
    }
}

uv_status instruct_apply(struct uv_ctx *ctx, char *const *paths, size_t n, FILE *out,
                         struct instruct_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (clerk_require_supervisor(ctx, "apply head office instructions") != UVS_OK)
        return ctx->err.status;
    for (size_t i = 0; i < n; i++) {
        struct stat sb;
        struct candidate *v = NULL;
        size_t nv = 0, cap = 0;
        int named = !(stat(paths[i], &sb) == 0 && S_ISDIR(sb.st_mode));
        if (!named && add_dir(paths[i], &v, &nv, &cap) != 0) {
            uv_fail(&ctx->err, UVS_IO, "cannot read directory %s: %s", paths[i], strerror(errno));
            stats->files++;
            stats->refused++;
            if (out)
                fprintf(out, "REFUSED   %s: %s\n", paths[i], ctx->err.message);
            continue;
        }
        if (named) {
            v = calloc(1, sizeof *v);
            if (v == NULL || (v->path = strdup(paths[i])) == NULL) {
                free(v);
                return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
            }
            nv = 1;
        }
        for (size_t j = 0; j < nv; j++) {
            uv_error_clear(&ctx->err);
            candidate_load(ctx, &v[j]);
        }
        qsort(v, nv, sizeof *v, cmp_candidate);
        for (size_t j = 0; j < nv; j++) {
            enum outcome o = apply_one(ctx, &v[j], named);
            report(out, stats, o, &v[j], &ctx->err);
            free(v[j].buf);
            free(v[j].path);
        }
        free(v);
    }
    if (stats->refused)
        return uv_fail(&ctx->err, UVS_REFUSED, "%u of %u instruction file(s) refused",
                       stats->refused, stats->files);
    return UVS_OK;
}

uv_status instruct_apply_import_dir(struct uv_ctx *ctx, FILE *out, struct instruct_stats *stats)
{
    memset(stats, 0, sizeof *stats);
    if (ctx->cfg.import_dir[0] == '\0')
        return uv_fail(&ctx->err, UVS_INPUT,
                       "no import directory: set import_dir in univend.conf (the mount point of "
                       "the medium head office's files come on)");
    char *paths[1] = {ctx->cfg.import_dir};
    return instruct_apply(ctx, paths, 1, out, stats);
}

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_instruction ri;
    char when[32], hq[32];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_instruction_layout, v, vl, &ri) != 0) {
        fprintf(arg, "(damaged instruction record)\n");
        return 0;
    }
    time_t t = (time_t)ri.applied_at, h = (time_t)ri.created;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    strftime(hq, sizeof hq, "%Y-%m-%d %H:%M", gmtime_r(&h, &tm));
    fprintf(arg, "%6llu %-34s %-20s %5llu records, sent %s, applied %s by %s (key %s)\n",
            (unsigned long long)ri.sequence, ri.name, ri.target, (unsigned long long)ri.records,
            hq, when, ri.applied_by, ri.signer_name);
    return 0;
}

uv_status instruct_list(struct uv_ctx *ctx, FILE *out)
{
    return store_iterate(&ctx->store, NULL, UV_DB_INSTRUCTIONS, NULL, 0, 0, list_one, out,
                         &ctx->err);
}
