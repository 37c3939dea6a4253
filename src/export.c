/* export.c — writing export files on the kiosk. */
#include "export.h"

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
#include "credit.h"
#include "clerks.h"
#include "digest.h"
#include "ed25519.h"
#include "exportfile.h"
#include "instruct.h"
#include "services.h"

#define SIGN_KEY_REF "kiosk:export-signing"
#define META_EXPORT_RECEIPT "export.receipt"
#define META_EXPORT_AUDIT "export.audit"
#define META_EXPORT_CLOSING "export.closing"
#define META_EXPORT_INSTR "export.instruction"
#define META_EXPORT_HEAD "export.head"
#define EXPORT_COUNTER "export.seq"
#define TMP_PREFIX ".univend-export-"

static uv_status signing_key(struct uv_ctx *ctx, uint8_t secret[32], uint8_t pub[32])
{
    size_t len = 0;
    uv_status st = services_unlock_keys(ctx);
    if (st != UVS_OK)
        return st;
    st = keystore_get(&ctx->keys, &ctx->store, SIGN_KEY_REF, secret, 32, &len, &ctx->err);
    if (st == UVS_NOTFOUND) {
        DB_TXN *txn;
        if ((st = ed25519_generate(secret, pub, &ctx->err)) != UVS_OK)
            return st;
        if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
            return st;
        st = keystore_put(&ctx->keys, &ctx->store, txn, SIGN_KEY_REF, secret, 32, ctx->actor,
                          &ctx->err);
        if (st == UVS_OK) {
            char hex[65];
            digest_hex(pub, 32, hex);
            st = audit_append(ctx, txn, "export.key", ctx->cfg.kiosk_id, "public key %s", hex);
        }
        if (st == UVS_OK)
            return store_commit(&ctx->store, txn, &ctx->err);
        store_abort(txn);
        return st;
    }
    if (st == UVS_OK && len != 32)
        return uv_fail(&ctx->err, UVS_KEY, "the export signing key is damaged");
    if (st == UVS_OK)
        st = ed25519_public(secret, pub, &ctx->err);
    return st;
}

uv_status export_public_key(struct uv_ctx *ctx, uint8_t pub[32])
{
    uint8_t secret[32];
    uv_status st = signing_key(ctx, secret, pub);
    explicit_bzero(secret, sizeof secret);
    return st;
}

static uv_status meta_u64(struct uv_ctx *ctx, DB_TXN *txn, const char *name, uint64_t *v)
{
    uint8_t b[8];
    size_t len = 0;
    uv_status st = store_meta_get(&ctx->store, txn, name, b, sizeof b, &len, 1, &ctx->err);
    *v = 0;
    if (st == UVS_NOTFOUND)
        return UVS_OK;
    if (st == UVS_OK && len != 8)
        return uv_fail(&ctx->err, UVS_STORE, "export marker %s is damaged", name);
    if (st == UVS_OK)
        *v = rec_u64_from_key(b);
    return st;
}

static uv_status put_u64(struct uv_ctx *ctx, DB_TXN *txn, const char *name, uint64_t v)
{
    uint8_t b[8];
    rec_u64_key(v, b);
    return store_meta_put(&ctx->store, txn, name, b, 8, &ctx->err);
}

struct build_arg {
    struct uv_ctx *ctx;
    FILE *out;
    struct export_header *h;
    uint64_t last, next;
    int kind;
    int pass; /* 0: count and total, 1: write */
};

static int build_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct build_arg *b = arg;
    if (kl != 8)
        return UVS_STORE;
    uint64_t n = rec_u64_from_key(k);
    if (n > b->last)
        return STORE_STOP;
    if (n != b->next)
        return uv_fail(&b->ctx->err, UVS_STORE, "record %llu is missing; run 'univend store verify'",
                       (unsigned long long)b->next);
    b->next++;
    if (b->kind == 'R') {
        struct rec_receipt r;
        if (rec_decode(&rec_receipt_layout, v, vl, &r) != 0)
            return uv_fail(&b->ctx->err, UVS_STORE, "receipt %llu is damaged", (unsigned long long)n);
        if (b->pass == 0) {
            b->h->total_gross += r.gross;
            b->h->total_vat += r.vat;
            b->h->total_net += r.net;
            b->h->total_energy_wh += r.energy_wh;
        } else {
            exportfile_write_receipt(b->out, &r);
        }
    } else if (b->kind == 'A') {
        struct rec_audit a;
        if (rec_decode(&rec_audit_layout, v, vl, &a) != 0)
            return uv_fail(&b->ctx->err, UVS_STORE, "audit record %llu is damaged",
                           (unsigned long long)n);
        exportfile_write_audit(b->out, &a);
    } else if (b->kind == 'Z') {
        struct rec_closing z;
        if (rec_decode(&rec_closing_layout, v, vl, &z) != 0)
            return uv_fail(&b->ctx->err, UVS_STORE, "closing %llu is damaged", (unsigned long long)n);
        exportfile_write_closing(b->out, &z);
    } else {
        struct rec_instruction in;
        if (rec_decode(&rec_instruction_layout, v, vl, &in) != 0)
            return uv_fail(&b->ctx->err, UVS_STORE, "applied instruction %llu is damaged",
                           (unsigned long long)n);
        exportfile_write_instruction(b->out, &in);
    }
    return 0;
}

static uv_status walk(struct uv_ctx *ctx, DB_TXN *txn, enum uv_dbid db, int kind, uint64_t first,
                      uint64_t last, int pass, FILE *out, struct export_header *h)
{
    if (first == 0)
        return UVS_OK;
    uint8_t from[8];
    struct build_arg b = {ctx, out, h, last, first, kind, pass};
    rec_u64_key(first, from);
    uv_status st = store_iterate(&ctx->store, txn, db, from, 8, 0, build_one, &b, &ctx->err);
    if (st == UVS_OK && b.next != last + 1)
        st = uv_fail(&ctx->err, UVS_STORE, "record %llu is missing; run 'univend store verify'",
                     (unsigned long long)b.next);
    return st;
}

uv_status export_build(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_export *e, char **buf,
                       size_t *len)
{
    struct export_header h;
    uint8_t secret[32], sig[64], msg[17 + 32];
    memset(&h, 0, sizeof h);
    uv_status st = signing_key(ctx, secret, h.public_key);
    if (st != UVS_OK)
        return st;
    h.version = e->format ? e->format : 1; /* a rewrite keeps the file's version */
    snprintf(h.kiosk, sizeof h.kiosk, "%s", ctx->cfg.kiosk_id);
    h.sequence = e->sequence;
    h.created = e->created;
    memcpy(h.currency, ctx->cfg.currency, 4);
    h.currency_decimals = ctx->cfg.currency_decimals;
    h.receipt_first = e->receipt_first;
    h.receipt_last = e->receipt_last;
    h.audit_first = e->audit_first;
    h.audit_last = e->audit_last;
    h.closing_first = e->closing_first;
    h.closing_last = e->closing_last;
    memcpy(h.prev_hash, e->prev_hash, 32);
    h.receipts = e->receipt_first ? e->receipt_last - e->receipt_first + 1 : 0;
    h.audits = e->audit_first ? e->audit_last - e->audit_first + 1 : 0;
    h.closings = e->closing_first ? e->closing_last - e->closing_first + 1 : 0;
    h.instruction_first = e->instruction_first;
    h.instruction_last = e->instruction_last;
    h.instructions = e->instruction_first ? e->instruction_last - e->instruction_first + 1 : 0;
    h.credit_grants = e->credit_grants;
    h.credit_from_receipt = e->credit_from_receipt;
    h.credit_money_granted = e->credit_money_granted;
    h.credit_money_used = e->credit_money_used;
    h.credit_energy_granted_wh = e->credit_energy_granted_wh;
    h.credit_energy_used_wh = e->credit_energy_used_wh;
    h.credit_expires = e->credit_expires;
    st = walk(ctx, txn, UV_DB_RECEIPTS, 'R', e->receipt_first, e->receipt_last, 0, NULL, &h);
    FILE *out = NULL;
    if (st == UVS_OK && (out = open_memstream(buf, len)) == NULL)
        st = uv_fail(&ctx->err, UVS_NOMEM, "out of memory building an export");
    if (st == UVS_OK) {
        exportfile_write_header(out, &h);
        st = walk(ctx, txn, UV_DB_RECEIPTS, 'R', e->receipt_first, e->receipt_last, 1, out, &h);
    }
    if (st == UVS_OK)
        st = walk(ctx, txn, UV_DB_AUDIT, 'A', e->audit_first, e->audit_last, 1, out, &h);
    if (st == UVS_OK)
        st = walk(ctx, txn, UV_DB_CLOSINGS, 'Z', e->closing_first, e->closing_last, 1, out, &h);
    if (st == UVS_OK && h.version >= 2)
        st = walk(ctx, txn, UV_DB_INSTRUCTIONS, 'I', e->instruction_first, e->instruction_last, 1,
                  out, &h);
    if (out) {
        fflush(out);
        if (st == UVS_OK) {
            exportfile_signed_message(*buf, *len, msg);
            st = ed25519_sign(secret, h.public_key, msg, sizeof msg, sig, &ctx->err);
        }
        if (st == UVS_OK)
            exportfile_write_signature(out, sig);
        fclose(out);
        if (st != UVS_OK) {
            free(*buf);
            *buf = NULL;
        }
    }
    explicit_bzero(secret, sizeof secret);
    return st;
}

static void fsync_dir(const char *dir)
{
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
}

static uv_status write_failed(struct uv_ctx *ctx, const char *dir, const char *path, int e)
{
    if (e == ENOSPC || e == EDQUOT)
        return uv_fail(&ctx->err, UVS_IO,
                       "%s is full: the export was not written and not recorded (nothing is "
                       "lost: free space or change the medium and export again)",
                       dir);
    return uv_fail(&ctx->err, UVS_IO, "writing %s: %s", path, strerror(e));
}

/* The whole file under a temporary name in dir, fsynced; tmp gets its path.
   On failure nothing is left. */
static uv_status write_temp(struct uv_ctx *ctx, const char *dir, const char *name,
                            const char *buf, size_t len, char *tmp, size_t cap)
{
    snprintf(tmp, cap, "%s/" TMP_PREFIX "%s.%d", dir, name, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    if (fd < 0)
        return errno == ENOSPC || errno == EDQUOT
                   ? write_failed(ctx, dir, tmp, errno)
                   : uv_fail(&ctx->err, UVS_IO, "cannot write to %s: %s", dir, strerror(errno));
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
    if (e) {
        unlink(tmp);
        return write_failed(ctx, dir, tmp, e);
    }
    return UVS_OK;
}

/* The temporary file under its final name, the directory fsynced. */
static uv_status place(struct uv_ctx *ctx, const char *dir, const char *tmp, const char *name)
{
    char path[8192];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    if (rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return write_failed(ctx, dir, path, e);
    }
    fsync_dir(dir);
    return UVS_OK;
}

/* Does the file name in dir hold exactly the bytes hashing to hash? */
static int temp_holds(int dfd, const char *name, const uint8_t hash[32])
{
    int fd = openat(dfd, name, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    struct stat st;
    char *buf = NULL;
    int same = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0 && (buf = malloc((size_t)st.st_size)) != NULL) {
        size_t done = 0, len = (size_t)st.st_size;
        while (done < len) {
            ssize_t r = read(fd, buf + done, len - done);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                break;
            done += (size_t)r;
        }
        uint8_t h[32];
        if (done == len) {
            digest_sha256(buf, len, h);
            same = memcmp(h, hash, 32) == 0;
        }
    }
    free(buf);
    close(fd);
    return same;
}

/* What an export killed half-way left in dir: temporary files only, never
   a partial file under a final name. The temporary file of the last
   recorded export, whose final file is missing, was killed between its
   commit and its rename: it is put in place when it holds exactly what was
   recorded. Every other temporary file is removed. */
static void settle_temps(struct uv_ctx *ctx, const char *dir)
{
    char last_name[sizeof ((struct rec_export *)0)->name] = "", prefix[160];
    struct rec_export last;
    uint64_t n = 0;
    int have_last = 0;
    if (store_counter_peek(&ctx->store, NULL, EXPORT_COUNTER, &n, &ctx->err) == UVS_OK && n) {
        uint8_t key[8];
        rec_u64_key(n, key);
        have_last = store_get_rec(&ctx->store, NULL, UV_DB_EXPORTS, key, 8, &rec_export_layout,
                                  &last, 0, &ctx->err) == UVS_OK;
        if (have_last)
            snprintf(last_name, sizeof last_name, "%s", last.name);
    }
    snprintf(prefix, sizeof prefix, TMP_PREFIX "%s.", last_name);
    DIR *d = opendir(dir);
    struct dirent *de;
    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (strncmp(de->d_name, TMP_PREFIX, strlen(TMP_PREFIX)) != 0)
            continue;
        if (have_last && strncmp(de->d_name, prefix, strlen(prefix)) == 0 &&
            faccessat(dirfd(d), last_name, F_OK, 0) != 0 && errno == ENOENT &&
            temp_holds(dirfd(d), de->d_name, last.file_hash) &&
            renameat(dirfd(d), de->d_name, dirfd(d), last_name) == 0) {
            fsync_dir(dir);
            continue;
        }
        unlinkat(dirfd(d), de->d_name, 0);
    }
    closedir(d);
}

static const char *target_dir(struct uv_ctx *ctx, const char *dir)
{
    if (dir && *dir)
        return dir;
    return ctx->cfg.export_dir[0] ? ctx->cfg.export_dir : NULL;
}

/* A failure of the kiosk's own disk is told as such: nothing was recorded. */
static uv_status export_failed(struct uv_ctx *ctx, uv_status st)
{
    if (store_disk_full(&ctx->store))
        return uv_fail(&ctx->err, UVS_STORE, EXPORT_DISK_FULL);
    return st;
}

/* The export itself; export_run checks who asks, a periodic export is the
   kiosk's own doing. */
static uv_status export_write(struct uv_ctx *ctx, const char *dir_arg, struct rec_export *out)
{
    const char *dir = target_dir(ctx, dir_arg);
    if (dir == NULL)
        return uv_fail(&ctx->err, UVS_INPUT, "no export directory (give one, or set export_dir)");
    settle_temps(ctx, dir);
    uint8_t pub[32];
    uv_status st = export_public_key(ctx, pub); /* before the transaction: may create the key */
    if (st != UVS_OK)
        return st;
    DB_TXN *txn;
    if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
        return st;
    struct rec_export e;
    memset(&e, 0, sizeof e);
    uint64_t w_r = 0, w_a = 0, w_z = 0, w_i = 0, c_r = 0, c_a = 0, c_z = 0, c_i = 0;
    size_t hl = 0;
    char *buf = NULL, tmp[8192] = "";
    size_t len = 0;
    if ((st = meta_u64(ctx, txn, META_EXPORT_RECEIPT, &w_r)) != UVS_OK ||
        (st = meta_u64(ctx, txn, META_EXPORT_AUDIT, &w_a)) != UVS_OK ||
        (st = meta_u64(ctx, txn, META_EXPORT_CLOSING, &w_z)) != UVS_OK ||
        (st = store_counter_peek(&ctx->store, txn, "receipt.seq", &c_r, &ctx->err)) != UVS_OK ||
        (st = store_counter_peek(&ctx->store, txn, "audit.seq", &c_a, &ctx->err)) != UVS_OK ||
        (st = store_counter_peek(&ctx->store, txn, "closing.seq", &c_z, &ctx->err)) != UVS_OK ||
        (st = meta_u64(ctx, txn, META_EXPORT_INSTR, &w_i)) != UVS_OK ||
        (st = store_counter_peek(&ctx->store, txn, META_INSTR_SEQ, &c_i, &ctx->err)) != UVS_OK)
        goto fail;
    st = store_meta_get(&ctx->store, txn, META_EXPORT_HEAD, e.prev_hash, 32, &hl, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        st = UVS_OK;
    if (st != UVS_OK)
        goto fail;
    if ((st = store_counter_next(&ctx->store, txn, EXPORT_COUNTER, &e.sequence, &ctx->err)) != UVS_OK)
        goto fail;
    e.created = clock_now(ctx);
    if (c_r > w_r) {
        e.receipt_first = w_r + 1;
        e.receipt_last = c_r;
    }
    if (c_a > w_a) {
        e.audit_first = w_a + 1;
        e.audit_last = c_a;
    }
    if (c_z > w_z) {
        e.closing_first = w_z + 1;
        e.closing_last = c_z;
    }
    e.format = EXPORT_VERSION;
    /* the credit as of the receipts counted above, read in the same
       transaction: head office reconciles it against them */
    struct rec_credit cr;
    if ((st = credit_get(ctx, txn, &cr, 0)) != UVS_OK)
        goto fail;
    e.credit_grants = cr.grants;
    e.credit_from_receipt = cr.from_receipt;
    e.credit_money_granted = cr.money_granted;
    e.credit_money_used = cr.money_used;
    e.credit_energy_granted_wh = cr.energy_granted_wh;
    e.credit_energy_used_wh = cr.energy_used_wh;
    e.credit_expires = cr.expires;
    if (c_i > w_i) { /* instruction files applied since: head office sees them applied */
        e.instruction_first = w_i + 1;
        e.instruction_last = c_i;
    }
    exportfile_name(ctx->cfg.kiosk_id, e.sequence, e.name, sizeof e.name);
    /* receipts, audit records and closings up to the counters read above never
       change, and this process owns the environment: read them without
       holding a lock on every page */
    if ((st = export_build(ctx, NULL, &e, &buf, &len)) != UVS_OK)
        goto fail;
    digest_sha256(buf, len, e.file_hash);
    /* the whole file under a temporary name first, then the record, then
       the rename: a file under its final name is always one the kiosk has
       recorded, so its sequence number is never used for another file.
       Killed before the commit, the export did not happen (the temporary
       file is removed by the next export); killed after it, the next
       export puts the temporary file in place (settle_temps). */
    if ((st = write_temp(ctx, dir, e.name, buf, len, tmp, sizeof tmp)) != UVS_OK) {
        tmp[0] = '\0';
        goto fail;
    }
    e.written_at = clock_now(ctx);
    uint8_t key[8];
    rec_u64_key(e.sequence, key);
    if ((st = store_put_rec(&ctx->store, txn, UV_DB_EXPORTS, key, 8, &rec_export_layout, &e, 1,
                            &ctx->err)) != UVS_OK ||
        (st = put_u64(ctx, txn, META_EXPORT_RECEIPT, c_r)) != UVS_OK ||
        (st = put_u64(ctx, txn, META_EXPORT_AUDIT, c_a)) != UVS_OK ||
        (st = put_u64(ctx, txn, META_EXPORT_CLOSING, c_z)) != UVS_OK ||
        (st = put_u64(ctx, txn, META_EXPORT_INSTR, c_i)) != UVS_OK ||
        (st = store_meta_put(&ctx->store, txn, META_EXPORT_HEAD, e.file_hash, 32, &ctx->err)) != UVS_OK)
        goto fail;
    st = audit_append(ctx, txn, "export", e.name, "sequence %llu receipts %llu-%llu audit %llu-%llu to %s",
                      (unsigned long long)e.sequence, (unsigned long long)e.receipt_first,
                      (unsigned long long)e.receipt_last, (unsigned long long)e.audit_first,
                      (unsigned long long)e.audit_last, dir);
    if (st != UVS_OK)
        goto fail;
    free(buf);
    st = store_commit(&ctx->store, txn, &ctx->err);
    if (st != UVS_OK) {
        unlink(tmp);
        return export_failed(ctx, st);
    }
    if ((st = place(ctx, dir, tmp, e.name)) != UVS_OK) {
        char why[sizeof ctx->err.message]; /* not formatted into itself */
        snprintf(why, sizeof why, "%s", ctx->err.message);
        return uv_fail(&ctx->err, st,
                       "export %llu is recorded but its file could not be put in %s (%s); write "
                       "it with 'univend export --rewrite %llu'",
                       (unsigned long long)e.sequence, dir, why, (unsigned long long)e.sequence);
    }
    if (out)
        *out = e;
    return UVS_OK;
fail:
    free(buf);
    store_abort(txn);
    if (tmp[0])
        unlink(tmp);
    return export_failed(ctx, st);
}

uv_status export_run(struct uv_ctx *ctx, const char *dir_arg, struct rec_export *out)
{
    if (clerk_require_supervisor(ctx, "write export files") != UVS_OK)
        return ctx->err.status;
    return export_write(ctx, dir_arg, out);
}

uv_status export_rewrite(struct uv_ctx *ctx, uint64_t first, uint64_t last, const char *dir_arg,
                         FILE *out)
{
    if (clerk_require_supervisor(ctx, "rewrite export files") != UVS_OK)
        return ctx->err.status;
    const char *dir = target_dir(ctx, dir_arg);
    if (dir == NULL)
        return uv_fail(&ctx->err, UVS_INPUT, "no export directory (give one, or set export_dir)");
    if (first == 0 || last < first)
        return uv_fail(&ctx->err, UVS_INPUT, "rewrite needs a sequence range FIRST[-LAST]");
    settle_temps(ctx, dir);
    for (uint64_t seq = first; seq <= last; seq++) {
        struct rec_export e;
        uint8_t key[8], h[32];
        char *buf = NULL;
        size_t len = 0;
        rec_u64_key(seq, key);
        uv_status st = store_get_rec(&ctx->store, NULL, UV_DB_EXPORTS, key, 8, &rec_export_layout,
                                     &e, 0, &ctx->err);
        if (st == UVS_NOTFOUND)
            return uv_fail(&ctx->err, UVS_NOTFOUND, "export %llu was never written",
                           (unsigned long long)seq);
        if (st == UVS_OK)
            st = export_build(ctx, NULL, &e, &buf, &len);
        if (st != UVS_OK)
            return st;
        digest_sha256(buf, len, h);
        if (memcmp(h, e.file_hash, 32) != 0) {
            free(buf);
            return uv_fail(&ctx->err, UVS_STORE,
                           "export %llu cannot be rebuilt identically (its records changed); "
                           "run 'univend store verify'",
                           (unsigned long long)seq);
        }
        char tmp[8192];
        st = write_temp(ctx, dir, e.name, buf, len, tmp, sizeof tmp);
        free(buf);
        if (st == UVS_OK)
            st = place(ctx, dir, tmp, e.name);
        if (st != UVS_OK)
            return st;
        DB_TXN *txn;
        if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
            return st;
        e.rewrites++;
        e.written_at = clock_now(ctx);
        st = store_put_rec(&ctx->store, txn, UV_DB_EXPORTS, key, 8, &rec_export_layout, &e, 0,
                           &ctx->err);
        if (st == UVS_OK)
            st = audit_append(ctx, txn, "export.rewrite", e.name, "sequence %llu rewrite %u to %s",
                              (unsigned long long)seq, e.rewrites, dir);
        if (st != UVS_OK) {
            store_abort(txn);
            return st;
        }
        if ((st = store_commit(&ctx->store, txn, &ctx->err)) != UVS_OK)
            return st;
        if (out)
            fprintf(out, "rewrote %s\n", e.name);
    }
    return UVS_OK;
}

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct rec_export e;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_export_layout, v, vl, &e) != 0)
        return 0;
    char when[32], hex[65];
    time_t t = (time_t)e.written_at;
    struct tm tm;
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    digest_hex(e.file_hash, 32, hex);
    fprintf(arg, "%6llu %-34s receipts %6llu-%-6llu %s %.16s%s\n", (unsigned long long)e.sequence,
            e.name, (unsigned long long)e.receipt_first, (unsigned long long)e.receipt_last, when,
            hex, e.rewrites ? " (rewritten)" : "");
    return 0;
}

uv_status export_list(struct uv_ctx *ctx, FILE *out)
{
    return store_iterate(&ctx->store, NULL, UV_DB_EXPORTS, NULL, 0, 0, list_one, out, &ctx->err);
}

int export_due(struct uv_ctx *ctx)
{
    uint64_t w_r = 0, c_r = 0, n = 0;
    struct rec_export last;
    int have_last = 0;
    if (ctx->cfg.export_every_sales == 0 && ctx->cfg.export_daily_minute < 0)
        return 0;
    if (meta_u64(ctx, NULL, META_EXPORT_RECEIPT, &w_r) != UVS_OK ||
        store_counter_peek(&ctx->store, NULL, "receipt.seq", &c_r, &ctx->err) != UVS_OK ||
        store_counter_peek(&ctx->store, NULL, EXPORT_COUNTER, &n, &ctx->err) != UVS_OK)
        return 0;
    if (ctx->cfg.export_every_sales && c_r - w_r >= ctx->cfg.export_every_sales)
        return 1;
    if (ctx->cfg.export_daily_minute >= 0) {
        if (n) {
            uint8_t key[8];
            rec_u64_key(n, key);
            have_last = store_get_rec(&ctx->store, NULL, UV_DB_EXPORTS, key, 8, &rec_export_layout,
                                      &last, 0, &ctx->err) == UVS_OK;
        }
        time_t now = (time_t)clock_now(ctx);
        int64_t today_at = (int64_t)(now - now % 86400) + ctx->cfg.export_daily_minute * 60;
        if (now >= today_at && (!have_last || last.created < today_at))
            return 1;
    }
    return 0;
}

uv_status export_if_due(struct uv_ctx *ctx, struct rec_export *out, int *written)
{
    *written = 0;
    if (!export_due(ctx))
        return UVS_OK;
    uv_status st = export_write(ctx, NULL, out);
    if (st == UVS_OK)
        *written = 1;
    return st;
}
