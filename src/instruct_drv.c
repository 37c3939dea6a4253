/* instruct_drv.c — instruction records for drivers: install a driver
   package, retire a type code, map a type code to a driver file. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clock.h"
#include "digest.h"
#include "drvsig.h"
#include "instruct_apply.h"
#include "textrec.h"
#include "typeindex.h"

#define SIG_MAX (64 * 1024)

static uv_status bad(struct uv_error *err, const char *what)
{
    return uv_fail(err, UVS_INPUT, "%s", what);
}

/* A driver file name: 4-127 of A-Z a-z 0-9 . _ -, ending in .so, not
   starting with a dot. */
static int so_file_ok(const char *f)
{
    size_t n = strlen(f);
    if (n < 4 || n > 127 || f[0] == '.' || strcmp(f + n - 3, ".so") != 0)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = f[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

/* Space-separated type codes, 1 to UV_TYPE_CODES_MAX, each valid, no repeats. */
static int codes_ok(const char *s)
{
    char tmp[INSTR_FIELD_MAX], seen[UV_TYPE_CODES_MAX][UV_TYPE_CODE_MAX + 1];
    size_t n = 0;
    snprintf(tmp, sizeof tmp, "%s", s);
    char *sv = NULL;
    for (char *c = strtok_r(tmp, " ", &sv); c; c = strtok_r(NULL, " ", &sv)) {
        if (n >= UV_TYPE_CODES_MAX || !loader_type_code_valid(c))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (strcmp(seen[i], c) == 0)
                return 0;
        snprintf(seen[n++], sizeof seen[0], "%s", c);
    }
    return n > 0;
}

/* Decode a hex blob (malloc'ed into *out). */
static int unhex_blob(const char *hex, uint8_t **out, size_t *len)
{
    size_t n = strlen(hex);
    *out = NULL;
    *len = 0;
    if (n % 2 != 0)
        return -1;
    if (n == 0)
        return 0;
    *out = malloc(n / 2);
    if (*out == NULL || tr_parse_hex(hex, n, *out, n / 2) != 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    *len = n / 2;
    return 0;
}

struct package {
    uint8_t sha[32];
    uint8_t *so, *sig;
    size_t so_len, sig_len;
};

static void package_free(struct package *p)
{
    free(p->so);
    free(p->sig);
    p->so = p->sig = NULL;
}

/* driver: FILE,CODES,SHA256,SO_HEX[,SIG_HEX] */
static uv_status package_of(const struct instr_record *r, struct package *p, struct uv_error *err)
{
    uint8_t h[32];
    memset(p, 0, sizeof *p);
    if (!so_file_ok(r->f[0]))
        return bad(err, "the driver file name is 4-127 of A-Z a-z 0-9 . _ - ending in .so");
    if (!codes_ok(r->f[1]))
        return bad(err, "type codes are 1 to 16 valid codes separated by spaces");
    if (tr_parse_hex(r->f[2], strlen(r->f[2]), p->sha, 32) != 0)
        return bad(err, "the SHA-256 is not 64 lower-case hex digits");
    if (unhex_blob(r->f[3], &p->so, &p->so_len) != 0 || p->so_len == 0)
        return bad(err, "the driver is not lower-case hex");
    digest_sha256(p->so, p->so_len, h);
    if (memcmp(h, p->sha, 32) != 0) {
        package_free(p);
        return bad(err, "the driver bytes do not match their SHA-256 (damaged)");
    }
    if (r->nf > 4 && (strlen(r->f[4]) > 2 * SIG_MAX || unhex_blob(r->f[4], &p->sig, &p->sig_len) != 0)) {
        package_free(p);
        return bad(err, "the driver signature is not lower-case hex of at most 64 KiB");
    }
    return UVS_OK;
}

uv_status ik_driver_check(const struct instr_record *r, struct uv_error *err)
{
    struct package p;
    uv_status st = package_of(r, &p, err);
    package_free(&p);
    return st;
}

/* Put bytes at dir/name: a new inode (temp file, fsync, rename, directory
   fsync), so a driver loaded from an older file of that name is never
   changed under its mapping. An existing file with the same bytes is kept
   (*created 0); with other bytes, refused. */
static uv_status place_file(struct uv_ctx *ctx, const char *dir, const char *name,
                            const uint8_t *data, size_t len, int *created)
{
    char path[4200], tmp[4300];
    uint8_t want[32], have[32];
    *created = 0;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    digest_sha256(data, len, want);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd >= 0) {
        uv_status st = digest_sha256_fd(fd, have, &ctx->err);
        close(fd);
        if (st != UVS_OK)
            return st;
        if (memcmp(have, want, 32) != 0)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "a different file %s is already in the driver directory; head office "
                           "must give a new driver version its own file name",
                           name);
        return UVS_OK;
    }
    snprintf(tmp, sizeof tmp, "%s/.univend-pkg-%s.%d", dir, name, (int)getpid());
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot write to the driver directory %s: %s", dir,
                       strerror(errno));
    size_t done = 0;
    int e = 0;
    while (done < len && !e) {
        ssize_t w = write(fd, data + done, len - done);
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
                       e == ENOSPC ? " (the disk is full; nothing was applied)" : "");
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    *created = 1;
    return UVS_OK;
}

static void remember(struct instr_run *run, const char *name)
{
    if (run->n_created < sizeof run->created / sizeof run->created[0])
        snprintf(run->created[run->n_created++], sizeof run->created[0], "%s", name);
}

/* The SHA-256 of dir/file must be sha. */
static uv_status file_is(struct uv_ctx *ctx, const char *file, const uint8_t sha[32],
                         const char *mismatch)
{
    char path[4200];
    uint8_t have[32];
    snprintf(path, sizeof path, "%s/%s", ctx->cfg.driver_dir, file);
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "driver file %s is not in the driver directory",
                       file);
    uv_status st = digest_sha256_fd(fd, have, &ctx->err);
    close(fd);
    if (st == UVS_OK && memcmp(have, sha, 32) != 0)
        st = uv_fail(&ctx->err, UVS_REFUSED, "driver file %s %s", file, mismatch);
    return st;
}

/* Give the type codes (space-separated) to driver file, replacing whatever
   served them. The type index checks head office's signature (sig, or
   FILE.sig beside it when sig is NULL), probes the driver in a child and
   keeps the signature with each entry, exactly as `driver register` does. */
static uv_status install_codes(struct uv_ctx *ctx, DB_TXN *txn, const char *file,
                               const char *codes, const char *sig, size_t sig_len,
                               const struct instr_record *r, const char *action)
{
    char tmp[INSTR_FIELD_MAX], list[INSTR_FIELD_MAX] = "", by[48];
    uv_status st = UVS_OK;
    ik_by(r, by, sizeof by);
    snprintf(tmp, sizeof tmp, "%s", codes);
    char *sv = NULL;
    for (char *c = strtok_r(tmp, " ", &sv); st == UVS_OK && c; c = strtok_r(NULL, " ", &sv)) {
        struct rec_typeidx e;
        st = store_get_rec(&ctx->store, txn, UV_DB_TYPEIDX, c, strlen(c), &rec_typeidx_layout, &e,
                           1, &ctx->err);
        if (st == UVS_OK && strcmp(e.file, file) != 0) {
            st = store_del(&ctx->store, txn, UV_DB_TYPEIDX, c, strlen(c), &ctx->err);
            if (st == UVS_OK)
                st = audit_append(ctx, txn, "driver.replace", c, "%s %s %s gives way to %s, by %s",
                                  e.file, e.driver, e.version, file, by);
        } else if (st == UVS_NOTFOUND) {
            st = UVS_OK;
        }
        size_t l = strlen(list);
        snprintf(list + l, sizeof list - l, "%s%s", l ? "," : "", c);
    }
    if (st == UVS_OK)
        st = typeindex_register_txn(ctx, txn, file, list, sig, sig_len, NULL);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, action, file, "type codes %s, by %s", codes, by);
    return st;
}

uv_status ik_driver_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct package p;
    int created = 0;
    uv_status st = package_of(r, &p, &ctx->err);
    if (st != UVS_OK)
        return st;
    const char *file = r->f[0];
    if (p.sig_len == 0 || p.sig_len > DRVSIG_MAX)
        st = uv_fail(&ctx->err, UVS_REFUSED,
                     "driver package %s carries no head office signature; kiosks take only "
                     "signed drivers",
                     file);
    /* every file written must be known, to be removed if the file fails */
    if (st == UVS_OK && r->run->n_created + 2 > INSTR_CREATED_MAX)
        st = uv_fail(&ctx->err, UVS_INPUT,
                     "an instruction file installs at most %d driver packages; send the rest in "
                     "another file",
                     INSTR_CREATED_MAX / 2);
    if (st == UVS_OK)
        st = place_file(ctx, ctx->cfg.driver_dir, file, p.so, p.so_len, &created);
    if (st == UVS_OK && created)
        remember(r->run, file);
    if (st == UVS_OK) { /* the detached signature beside it */
        char sig_name[140];
        snprintf(sig_name, sizeof sig_name, "%s.sig", file);
        st = place_file(ctx, ctx->cfg.driver_dir, sig_name, p.sig, p.sig_len, &created);
        if (st == UVS_OK && created)
            remember(r->run, sig_name);
    }
    if (st == UVS_OK)
        st = file_is(ctx, file, p.sha, "changed while it was installed");
    if (st == UVS_OK)
        st = install_codes(ctx, txn, file, r->f[1], (const char *)p.sig, p.sig_len, r,
                           "driver.install");
    package_free(&p);
    if (st == UVS_OK)
        r->run->drivers++;
    return st;
}

/* ---- driver-retire: CODE ---------------------------------------------- */

uv_status ik_driver_retire_check(const struct instr_record *r, struct uv_error *err)
{
    return loader_type_code_valid(r->f[0]) ? UVS_OK : bad(err, "the type code is invalid");
}

struct uses {
    const char *code;
    uint64_t n;
};

static int count_uses(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct uses *u = arg;
    struct rec_meter m;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_meter_layout, v, vl, &m) == 0 && strcmp(m.type_code, u->code) == 0)
        u->n++;
    return 0;
}

uv_status ik_driver_retire_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    struct rec_typeidx e;
    struct uses u = {r->f[0], 0};
    char by[48];
    uv_status st = store_iterate(&ctx->store, txn, UV_DB_METERS, NULL, 0, 0, count_uses, &u,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    if (u.n)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "type code %s is still used by %llu meter(s) here; they could no longer "
                       "be sold to",
                       r->f[0], (unsigned long long)u.n);
    st = store_get_rec(&ctx->store, txn, UV_DB_TYPEIDX, r->f[0], strlen(r->f[0]),
                       &rec_typeidx_layout, &e, 1, &ctx->err);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "type code %s is not registered here", r->f[0]);
    if (st == UVS_OK)
        st = store_del(&ctx->store, txn, UV_DB_TYPEIDX, r->f[0], strlen(r->f[0]), &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "driver.retire", r->f[0], "%s %s, by %s", e.file, e.driver,
                          ik_by(r, by, sizeof by));
    if (st == UVS_OK)
        r->run->drivers++;
    return st;
}

/* ---- typeindex: CODE,FILE,SHA256 -------------------------------------- */

uv_status ik_typeindex_check(const struct instr_record *r, struct uv_error *err)
{
    uint8_t sha[32];
    if (!loader_type_code_valid(r->f[0]))
        return bad(err, "the type code is invalid");
    if (!so_file_ok(r->f[1]))
        return bad(err, "the driver file name is 4-127 of A-Z a-z 0-9 . _ - ending in .so");
    if (tr_parse_hex(r->f[2], strlen(r->f[2]), sha, 32) != 0)
        return bad(err, "the SHA-256 is not 64 lower-case hex digits");
    return UVS_OK;
}

uv_status ik_typeindex_apply(struct uv_ctx *ctx, DB_TXN *txn, const struct instr_record *r)
{
    uint8_t sha[32];
    tr_parse_hex(r->f[2], strlen(r->f[2]), sha, 32);
    uv_status st = file_is(ctx, r->f[1], sha,
                           "here is not the one head office names (SHA-256 differs)");
    if (st == UVS_OK)
        st = install_codes(ctx, txn, r->f[1], r->f[0], NULL, 0, r, "driver.map");
    if (st == UVS_OK)
        r->run->drivers++;
    return st;
}
