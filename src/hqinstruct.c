/* hqinstruct.c — head office builds and tracks instruction files. */
#include "hqinstruct.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "digest.h"
#include "drvsig.h"
#include "hqcredit.h"
#include "hqkey.h"
#include "instructfile.h"
#include "masterdata.h"
#include "typeindex.h"

#define HQ_FILES_COUNTER "hq.instruct.files" /* group and all files, for names */
#define SEQ_PREFIX "hq.instruct.seq."          /* + kiosk id: its last sequence */

static size_t kkey(const char *kiosk, uint64_t n, uint8_t *out)
{
    size_t l = strlen(kiosk);
    memcpy(out, kiosk, l);
    out[l] = '\0';
    rec_u64_key(n, out + l + 1);
    return l + 9;
}

uv_status hq_kiosk_group(struct uv_ctx *ctx, const char *kiosk, const char *group)
{
    struct rec_hq_kiosk k;
    if (!md_id_valid(kiosk) || (group && *group && !md_id_valid(group)))
        return uv_fail(&ctx->err, UVS_INPUT, "kiosk and group names are 1-31 of A-Z a-z 0-9 . _ -");
    DB_TXN *txn;
    uv_status st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = store_get_rec(&ctx->store, txn, UV_DB_HQ_KIOSKS, kiosk, strlen(kiosk),
                       &rec_hq_kiosk_layout, &k, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        st = uv_fail(&ctx->err, UVS_NOTFOUND, "kiosk %s is not registered here", kiosk);
    if (st == UVS_OK) {
        snprintf(k.group, sizeof k.group, "%s", group ? group : "");
        st = store_put_rec(&ctx->store, txn, UV_DB_HQ_KIOSKS, kiosk, strlen(kiosk),
                           &rec_hq_kiosk_layout, &k, 0, &ctx->err);
    }
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "hq.kiosk.group", kiosk, "group %s", k.group[0] ? k.group : "(none)");
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

/* ---- the kiosks a file goes to ---------------------------------------- */

struct targets {
    const struct hq_instruct_opts *o;
    char (*ids)[REC_ID_MAX];
    size_t n, cap;
};

static int pick_kiosk(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct targets *t = arg;
    struct rec_hq_kiosk r;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_kiosk_layout, v, vl, &r) != 0)
        return 0;
    if (!t->o->all && strcmp(r.group, t->o->group) != 0)
        return 0;
    if (t->n == t->cap) {
        size_t nc = t->cap ? t->cap * 2 : 16;
        void *nv = realloc(t->ids, nc * sizeof *t->ids);
        if (nv == NULL)
            return UVS_NOMEM;
        t->ids = nv;
        t->cap = nc;
    }
    snprintf(t->ids[t->n++], REC_ID_MAX, "%s", r.id);
    return 0;
}

static uv_status find_targets(struct uv_ctx *ctx, const struct hq_instruct_opts *o,
                              struct targets *t, char *target, size_t cap)
{
    memset(t, 0, sizeof *t);
    t->o = o;
    if (o->kiosk) {
        struct rec_hq_kiosk k;
        uv_status st = md_id_valid(o->kiosk)
                           ? store_get_rec(&ctx->store, NULL, UV_DB_HQ_KIOSKS, o->kiosk,
                                           strlen(o->kiosk), &rec_hq_kiosk_layout, &k, 0, &ctx->err)
                           : UVS_NOTFOUND;
        if (st == UVS_NOTFOUND)
            return uv_fail(&ctx->err, UVS_NOTFOUND,
                           "kiosk %s is not registered here ('univend hq kiosk add')", o->kiosk);
        if (st != UVS_OK)
            return st;
        t->ids = calloc(1, sizeof *t->ids);
        if (t->ids == NULL)
            return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
        snprintf(t->ids[0], REC_ID_MAX, "%s", o->kiosk);
        t->n = t->cap = 1;
        snprintf(target, cap, "kiosk:%s", o->kiosk);
        return UVS_OK;
    }
    if (o->group && !md_id_valid(o->group))
        return uv_fail(&ctx->err, UVS_INPUT, "group name '%s' is invalid", o->group);
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_KIOSKS, NULL, 0, 0, pick_kiosk, t,
                                 &ctx->err);
    if (st == UVS_NOMEM)
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    if (st != UVS_OK)
        return st;
    if (t->n == 0)
        return uv_fail(&ctx->err, UVS_NOTFOUND, o->all ? "no kiosk is registered here"
                                                       : "no registered kiosk is in group %s",
                       o->group);
    if (o->all)
        snprintf(target, cap, "all");
    else
        snprintf(target, cap, "group:%s", o->group);
    return UVS_OK;
}

/* ---- the records -------------------------------------------------------- */

static uv_status read_all(struct uv_ctx *ctx, const char *path, char **buf, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL)
        return uv_fail(&ctx->err, UVS_IO, "cannot read %s: %s", path, strerror(errno));
    FILE *m = open_memstream(buf, len);
    char chunk[65536];
    size_t n;
    uv_status st = m ? UVS_OK : uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    while (st == UVS_OK && (n = fread(chunk, 1, sizeof chunk, f)) > 0) {
        fwrite(chunk, 1, n, m);
        if (ftell(m) > INSTR_FILE_MAX)
            st = uv_fail(&ctx->err, UVS_INPUT, "%s is larger than an instruction file may be", path);
    }
    if (st == UVS_OK && ferror(f))
        st = uv_fail(&ctx->err, UVS_IO, "cannot read %s", path);
    if (f != stdin)
        fclose(f);
    if (m)
        fclose(m);
    if (st != UVS_OK) {
        free(*buf);
        *buf = NULL;
    }
    return st;
}

/* Check each record line of text and copy it to body; *n counts them.
   Blank lines and lines starting with '#' are left out. */
static uv_status add_records(struct uv_ctx *ctx, const char *path, const char *text, size_t len,
                             FILE *body, uint64_t *n)
{
    const char *p = text, *end = text + len;
    unsigned line = 0;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        line++;
        if (l > 0 && p[l - 1] == '\r')
            l--;
        if (l > 0 && p[0] != '#') {
            uv_status st = instrfile_check_line(p, l, line, &ctx->err);
            if (st != UVS_OK) {
                char msg[sizeof ctx->err.message];
                snprintf(msg, sizeof msg, "%s", ctx->err.message);
                return uv_fail(&ctx->err, st, "%s: %s", path, msg);
            }
            fwrite(p, 1, l, body);
            fputc('\n', body);
            (*n)++;
        }
        p += nl ? l + 1 + (p[l] == '\r') : l;
        if (nl == NULL)
            break;
    }
    return UVS_OK;
}

/* A driver record from a .so (probed as the kiosk will) and its .sig. */
static uv_status add_driver(struct uv_ctx *ctx, const char *path, FILE *body, uint64_t *n)
{
    struct uv_probe pr;
    char *so = NULL, *sig = NULL, sigpath[4200], hex_sha[65];
    size_t so_len = 0, sig_len = 0;
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    uv_status st = loader_probe(path, base, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
    if (st != UVS_OK)
        return uv_fail(&ctx->err, st, "%s", pr.message);
    if ((st = read_all(ctx, path, &so, &so_len)) != UVS_OK)
        return st;
    snprintf(sigpath, sizeof sigpath, "%s.sig", path);
    if (access(sigpath, F_OK) != 0) {
        free(so);
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver %s is not signed (no %s.sig beside it): sign it first with "
                       "'univend driver sign %s'; kiosks take only signed drivers",
                       base, base, path);
    }
    if ((st = read_all(ctx, sigpath, &sig, &sig_len)) != UVS_OK) {
        free(so);
        return st;
    }
    uint8_t sha[32];
    digest_sha256(so, so_len, sha);
    digest_hex(sha, 32, hex_sha);
    /* the package carries only what kiosks will accept: this head office's
       own signature over these very bytes; its codes are the approved ones */
    struct drvsig d;
    uint8_t own[32];
    st = drvsig_parse_verified(sig, sig_len, &d, &ctx->err);
    if (st == UVS_OK && memcmp(d.sha256, sha, 32) != 0)
        st = uv_fail(&ctx->err, UVS_REFUSED,
                     "%s.sig was made for other bytes than %s (SHA-256 differs): sign the "
                     "driver again",
                     base, base);
    if (st == UVS_OK && (st = hqkey_public(ctx, own)) == UVS_OK && memcmp(d.signer, own, 32) != 0)
        st = uv_fail(&ctx->err, UVS_REFUSED,
                     "%s.sig is signed by another key than this head office's: kiosks would "
                     "refuse it; sign the driver here with 'univend driver sign %s'",
                     base, path);
    if (st != UVS_OK) {
        free(so);
        free(sig);
        return st;
    }
    char codes[UV_TYPE_CODES_MAX * (UV_TYPE_CODE_MAX + 1) + 1] = "";
    for (unsigned i = 0; i < d.n_codes; i++) {
        if (i)
            strcat(codes, " ");
        strcat(codes, d.codes[i]);
    }
    char *so_hex = malloc(2 * so_len + 1), *sig_hex = malloc(2 * sig_len + 1);
    if (so_hex == NULL || sig_hex == NULL) {
        free(so_hex);
        free(sig_hex);
        free(so);
        free(sig);
        return uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    }
    digest_hex((const uint8_t *)so, so_len, so_hex);
    digest_hex((const uint8_t *)sig, sig_len, sig_hex);
    char name[128], kind[] = "driver", scope[] = "*";
    snprintf(name, sizeof name, "%s", base);
    char *fields[] = {kind, scope, name, codes, hex_sha, so_hex, sig_hex};
    /* the line as the kiosk will read it, checked the same way */
    char *line = NULL;
    size_t ll = 0;
    FILE *m = open_memstream(&line, &ll);
    if (m) {
        instrfile_write_record(m, fields, sig_len ? 7 : 6);
        fclose(m);
        st = instrfile_check_line(line, ll - 1, 0, &ctx->err);
        if (st == UVS_OK) {
            fwrite(line, 1, ll, body);
            (*n)++;
        }
    } else {
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    }
    free(line);
    free(so_hex);
    free(sig_hex);
    free(so);
    free(sig);
    return st;
}

/* ---- writing the file --------------------------------------------------- */

static uv_status write_file(struct uv_ctx *ctx, const char *dir, const char *name, const char *buf,
                           size_t len)
{
    char tmp[8192], path[8192];
    snprintf(tmp, sizeof tmp, "%s/.univend-instruct-%s.%d", dir, name, (int)getpid());
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot write to %s: %s", dir, strerror(errno));
    size_t done = 0;
    int e = 0;
    while (done < len && !e) {
        ssize_t w = write(fd, buf + done, len - done);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            e = w < 0 ? errno : EIO;
        else
            done += (size_t)w;
    }
    if (!e && fsync(fd) != 0)
        e = errno;
    if (close(fd) != 0 && !e)
        e = errno;
    if (!e && rename(tmp, path) != 0)
        e = errno;
    if (e) {
        unlink(tmp);
        return uv_fail(&ctx->err, UVS_IO, "writing %s: %s%s", path, strerror(e),
                       e == ENOSPC ? " (the medium is full; nothing was sent)" : "");
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return UVS_OK;
}

static uv_status next_seq(struct uv_ctx *ctx, DB_TXN *txn, const char *kiosk, uint64_t *seq)
{
    char name[64];
    snprintf(name, sizeof name, SEQ_PREFIX "%s", kiosk);
    return store_counter_next(&ctx->store, txn, name, seq, &ctx->err);
}

uv_status hq_instruct(struct uv_ctx *ctx, const struct hq_instruct_opts *o, FILE *out)
{
    struct targets t;
    struct instr_header h;
    char *records = NULL, *text = NULL, *file = NULL;
    size_t rlen = 0, tlen = 0, flen = 0;
    uint64_t nrec = 0, *seqs = NULL;
    DB_TXN *txn = NULL;
    FILE *rb = NULL;
    int written = 0;
    char name[128], path[8192];
    if (!!o->kiosk + !!o->group + !!o->all != 1)
        return uv_fail(&ctx->err, UVS_USAGE, "say who the file is for: --kiosk ID, --group NAME or --all");
    if (o->out_dir == NULL || o->out_dir[0] == '\0')
        return uv_fail(&ctx->err, UVS_USAGE, "say where to write the file (--out DIR)");
    memset(&h, 0, sizeof h);
    uv_status st = hqkey_public(ctx, h.signer);
    if (st != UVS_OK)
        return st;
    if ((st = find_targets(ctx, o, &t, h.target, sizeof h.target)) != UVS_OK)
        return st;
    /* the records: drivers first (meters may need them), then the file's */
    if ((rb = open_memstream(&records, &rlen)) == NULL)
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    for (size_t i = 0; st == UVS_OK && i < o->n_drivers; i++)
        st = add_driver(ctx, o->drivers[i], rb, &nrec);
    if (st == UVS_OK && o->records && (st = read_all(ctx, o->records, &text, &tlen)) == UVS_OK)
        st = add_records(ctx, o->records, text, tlen, rb, &nrec);
    if (rb)
        fclose(rb);
    if (st == UVS_OK && nrec > INSTR_RECORDS_MAX)
        st = uv_fail(&ctx->err, UVS_INPUT,
                     "%llu records: a file holds at most %d (a kiosk applies it in one "
                     "transaction); split them into several files",
                     (unsigned long long)nrec, INSTR_RECORDS_MAX);
    if (st == UVS_OK && rlen > (size_t)INSTR_FILE_MAX - 65536)
        st = uv_fail(&ctx->err, UVS_INPUT, "the records make a file larger than %ld MiB",
                     INSTR_FILE_MAX >> 20);
    if (st == UVS_OK && (seqs = calloc(t.n, sizeof *seqs)) == NULL)
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    if (st == UVS_OK)
        st = store_begin(&ctx->store, &txn, &ctx->err);
    for (size_t i = 0; st == UVS_OK && i < t.n; i++)
        st = next_seq(ctx, txn, t.ids[i], &seqs[i]);
    uint64_t n_name = t.n == 1 && o->kiosk ? seqs ? seqs[0] : 0 : 0;
    if (st == UVS_OK && !o->kiosk)
        st = store_counter_next(&ctx->store, txn, HQ_FILES_COUNTER, &n_name, &ctx->err);
    if (st != UVS_OK)
        goto done;
    h.created = (int64_t)time(NULL);
    h.expires = h.created + (int64_t)(o->expires_days ? o->expires_days : HQ_INSTRUCT_EXPIRES_DAYS) * 86400;
    h.kiosks = t.n;
    h.records = nrec;
    FILE *fb = open_memstream(&file, &flen);
    if (fb == NULL) {
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
        goto done;
    }
    instrfile_write_header(fb, &h);
    for (size_t i = 0; i < t.n; i++)
        instrfile_write_kiosk(fb, t.ids[i], seqs[i]);
    if (rlen)
        fwrite(records, 1, rlen, fb);
    fflush(fb);
    uint8_t msg[INSTR_SIG_CONTEXT_LEN + 32], sig[64], signer[32];
    instrfile_signed_message(file, flen, msg);
    st = hqkey_sign(ctx, msg, sizeof msg, sig, signer);
    if (st == UVS_OK)
        instrfile_write_signature(fb, sig);
    fclose(fb);
    if (st != UVS_OK)
        goto done;
    uint8_t hash[32];
    digest_sha256(file, flen, hash);
    instrfile_name(h.target, n_name, name, sizeof name);
    /* the credit grants in it, per kiosk, for the reconciliation */
    if (st == UVS_OK)
        st = hq_credit_sent(ctx, txn, file, flen, (const char (*)[REC_ID_MAX])t.ids, seqs, t.n);
    for (size_t i = 0; st == UVS_OK && i < t.n; i++) {
        struct rec_hq_instr s;
        uint8_t key[REC_ID_MAX + 9];
        memset(&s, 0, sizeof s);
        snprintf(s.kiosk, sizeof s.kiosk, "%s", t.ids[i]);
        s.sequence = seqs[i];
        memcpy(s.file_hash, hash, 32);
        snprintf(s.name, sizeof s.name, "%.95s", name);
        snprintf(s.target, sizeof s.target, "%s", h.target);
        s.created = h.created;
        s.expires = h.expires;
        s.records = nrec;
        st = store_put_rec(&ctx->store, txn, UV_DB_HQ_INSTR, key, kkey(s.kiosk, s.sequence, key),
                           &rec_hq_instr_layout, &s, 1, &ctx->err);
    }
    if (st == UVS_OK) {
        char hex[65];
        digest_hex(hash, 32, hex);
        st = audit_append(ctx, txn, "hq.instruct", name, "for %s, %zu kiosk(s), %llu record(s), "
                                                         "expires %lld, sha256=%.16s",
                          h.target, t.n, (unsigned long long)nrec, (long long)h.expires, hex);
    }
    /* the file first: a file on the medium whose sending is not recorded is
       written again, same name, by the next attempt */
    if (st == UVS_OK && (st = write_file(ctx, o->out_dir, name, file, flen)) == UVS_OK)
        written = 1;
    if (st == UVS_OK) {
        st = store_commit(&ctx->store, txn, &ctx->err);
        txn = NULL;
    }
    if (st != UVS_OK && written) {
        snprintf(path, sizeof path, "%s/%s", o->out_dir, name);
        unlink(path);
    }
    if (st == UVS_OK && out) {
        char when[32];
        time_t te = (time_t)h.expires;
        struct tm tm;
        strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&te, &tm));
        fprintf(out, "wrote %s/%s: for %s, %llu record(s), expires %s UTC\n", o->out_dir, name,
                h.target, (unsigned long long)nrec, when);
        for (size_t i = 0; i < t.n; i++)
            fprintf(out, "  kiosk %-20s instruction %llu\n", t.ids[i], (unsigned long long)seqs[i]);
    }
done:
    if (txn)
        store_abort(txn);
    free(t.ids);
    free(seqs);
    free(records);
    free(text);
    free(file);
    return st;
}

/* ---- confirmations and the report ------------------------------------- */

uv_status hq_instruct_confirm(struct uv_ctx *ctx, DB_TXN *txn, const char *kiosk,
                              const struct rec_instruction *ri, uint64_t export_seq)
{
    struct rec_hq_instr s;
    uint8_t key[REC_ID_MAX + 9];
    size_t kl = kkey(kiosk, ri->sequence, key);
    uv_status st = store_get_rec(&ctx->store, txn, UV_DB_HQ_INSTR, key, kl, &rec_hq_instr_layout,
                                 &s, 1, &ctx->err);
    if (st == UVS_NOTFOUND) { /* applied, but not sent from this head office store */
        memset(&s, 0, sizeof s);
        snprintf(s.kiosk, sizeof s.kiosk, "%s", kiosk);
        s.sequence = ri->sequence;
        snprintf(s.name, sizeof s.name, "%s", ri->name);
        snprintf(s.target, sizeof s.target, "%s", ri->target);
        s.created = ri->created;
        s.expires = ri->expires;
        s.records = ri->records;
        st = UVS_OK;
    }
    if (st != UVS_OK)
        return st;
    s.applied_at = ri->applied_at;
    memcpy(s.applied_hash, ri->file_hash, 32);
    s.confirmed_in = export_seq;
    return store_put_rec(&ctx->store, txn, UV_DB_HQ_INSTR, key, kl, &rec_hq_instr_layout, &s, 0,
                         &ctx->err);
}

struct rep {
    FILE *out;
    char kiosk[REC_ID_MAX];
    uint64_t sent, applied, last_sent, last_applied, mismatched, expired;
    char pending[256];
    int64_t now;
    int any;
};

static void rep_flush(struct rep *r)
{
    if (r->kiosk[0] == '\0')
        return;
    r->any = 1;
    fprintf(r->out, "  %-20s sent %4llu (last %llu)  applied %4llu (last %llu)%s%s%s\n", r->kiosk,
            (unsigned long long)r->sent, (unsigned long long)r->last_sent,
            (unsigned long long)r->applied, (unsigned long long)r->last_applied,
            r->pending[0] ? "  pending " : "", r->pending, r->mismatched ? "  HASH MISMATCH" : "");
}

static int rep_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rep *r = arg;
    struct rec_hq_instr s;
    static const uint8_t zero[32];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_hq_instr_layout, v, vl, &s) != 0)
        return 0;
    if (strcmp(s.kiosk, r->kiosk) != 0) {
        rep_flush(r);
        r->sent = r->applied = r->last_sent = r->last_applied = r->mismatched = r->expired = 0;
        r->pending[0] = '\0';
        snprintf(r->kiosk, sizeof r->kiosk, "%s", s.kiosk);
    }
    int sent = memcmp(s.file_hash, zero, 32) != 0;
    if (sent) {
        r->sent++;
        r->last_sent = s.sequence;
    }
    if (s.applied_at) {
        r->applied++;
        r->last_applied = s.sequence;
        if (sent && memcmp(s.file_hash, s.applied_hash, 32) != 0)
            r->mismatched++;
    } else if (strlen(r->pending) + 32 < sizeof r->pending) {
        char one[40];
        snprintf(one, sizeof one, "%s%llu%s", r->pending[0] ? "," : "",
                 (unsigned long long)s.sequence, s.expires < r->now ? "(expired)" : "");
        strcat(r->pending, one);
    }
    return 0;
}

uv_status hq_instruct_report(struct uv_ctx *ctx, FILE *out)
{
    struct rep r;
    memset(&r, 0, sizeof r);
    r.out = out;
    r.now = (int64_t)time(NULL);
    fprintf(out, "\ninstructions sent and applied (as the kiosks' exports confirm)\n");
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_HQ_INSTR, NULL, 0, 0, rep_one, &r,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    rep_flush(&r);
    if (!r.any)
        fprintf(out, "  none\n");
    return UVS_OK;
}
