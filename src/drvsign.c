/* drvsign.c — head office signs driver files; kiosks check the signatures. */
#include "drvsign.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clerks.h"
#include "digest.h"
#include "ed25519.h"
#include "hqkey.h"
#include "trust.h"
#include "typeindex.h"

uv_status driver_signature_check(struct uv_ctx *ctx, DB_TXN *txn, const uint8_t sha256[32],
                                 const char *sig_text, size_t sig_len, const char *file,
                                 struct drvsig *out)
{
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX];
    size_t ml;
    struct rec_trust t;
    char why[sizeof ctx->err.message];
    if (drvsig_parse(sig_text, sig_len, out, &ctx->err) != UVS_OK) {
        snprintf(why, sizeof why, "%s", ctx->err.message);
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "the signature of driver %s is not a valid driver signature (%s); refused",
                       file, why);
    }
    if (memcmp(out->sha256, sha256, 32) != 0)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver %s does not match its signature (SHA-256 differs): the file was "
                       "changed after head office signed it, or the signature is another "
                       "driver's; refused",
                       file);
    uv_status st = trust_check(ctx, txn, out->signer, &t);
    if (st == UVS_REFUSED) {
        snprintf(why, sizeof why, "%s", ctx->err.message);
        return uv_fail(&ctx->err, UVS_REFUSED, "driver %s refused: %s", file, why);
    }
    if (st != UVS_OK)
        return st;
    drvsig_message(sig_text, out->body_len, msg, &ml);
    if (ed25519_verify(out->signer, msg, ml, out->sig, &ctx->err) != UVS_OK)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "the signature of driver %s does not verify under head office key %s: "
                       "the signature was altered or forged; refused",
                       file, t.name);
    return UVS_OK;
}

uv_status driver_signature_verify(struct uv_ctx *ctx, const void *so_bytes, size_t so_len,
                                  const char *sig_text, size_t sig_len, const char *file,
                                  struct drvsig *out)
{
    uint8_t h[32];
    digest_sha256(so_bytes, so_len, h);
    uv_status st = driver_signature_check(ctx, NULL, h, sig_text, sig_len, file, out);
    if (st == UVS_OK && out->size != so_len)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver %s is %zu bytes but its signature says %llu; refused", file,
                       so_len, (unsigned long long)out->size);
    return st;
}

uv_status driver_signature_read(struct uv_ctx *ctx, const char *path, char *buf, size_t cap,
                                size_t *len)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "no signature file %s", path);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot read %s: %s", path, strerror(errno));
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > DRVSIG_MAX ||
        (size_t)sb.st_size >= cap) {
        close(fd);
        return uv_fail(&ctx->err, UVS_INPUT,
                       "%s is not a driver signature (not a file of at most %d bytes)", path,
                       DRVSIG_MAX);
    }
    size_t got = 0;
    while (got < cap - 1) {
        ssize_t r = read(fd, buf + got, cap - 1 - got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            int e = errno;
            close(fd);
            return uv_fail(&ctx->err, UVS_IO, "cannot read %s: %s", path, strerror(e));
        }
        if (r == 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    if (got > DRVSIG_MAX)
        return uv_fail(&ctx->err, UVS_INPUT, "%s is not a driver signature (over %d bytes)", path,
                       DRVSIG_MAX);
    buf[got] = '\0';
    *len = got;
    return UVS_OK;
}

/* ---- head office ------------------------------------------------------- */

/* Write data to path whole or not at all: a temporary file in the same
   directory, fsynced, renamed over path, the directory fsynced. */
static uv_status write_whole(struct uv_ctx *ctx, const char *path, const char *data, size_t len)
{
    char tmp[4200], dir[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp-XXXXXX", path) >= (int)sizeof tmp)
        return uv_fail(&ctx->err, UVS_INPUT, "signature path is too long");
    int fd = mkstemp(tmp);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_IO, "cannot create %s: %s", tmp, strerror(errno));
    size_t done = 0;
    int e = 0;
    while (done < len && e == 0) {
        ssize_t w = write(fd, data + done, len - done);
        if (w < 0 && errno != EINTR)
            e = errno;
        else if (w > 0)
            done += (size_t)w;
    }
    if (e == 0 && (fchmod(fd, 0644) != 0 || fsync(fd) != 0))
        e = errno;
    if (close(fd) != 0 && e == 0)
        e = errno;
    if (e == 0 && rename(tmp, path) != 0)
        e = errno;
    if (e != 0) {
        unlink(tmp);
        return uv_fail(&ctx->err, UVS_IO, "cannot write %s: %s (nothing was written)", path,
                       strerror(e));
    }
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return UVS_OK;
}

/* What head office approves: from the options, or from a probe of the file. */
static uv_status approve(struct uv_ctx *ctx, const char *path, const char *file,
                         const struct driver_sign_opts *o, struct drvsig *d)
{
    int given = (o->name != NULL) + (o->version != NULL);
    if (given == 1 || (given == 2 && o->codes == NULL))
        return uv_fail(&ctx->err, UVS_USAGE,
                       "give --name, --version and --codes together (a driver not run here), or "
                       "only --codes, or none");
    if (given == 2) {
        snprintf(d->driver, sizeof d->driver, "%s", o->name);
        snprintf(d->version, sizeof d->version, "%s", o->version);
        if (!drvsig_text_valid(o->name) || !drvsig_text_valid(o->version))
            return uv_fail(&ctx->err, UVS_INPUT,
                           "--name and --version must be 1-31 printable characters");
        if (drvsig_set_codes(d, o->codes) != 0)
            return uv_fail(&ctx->err, UVS_INPUT,
                           "--codes must be type codes (1-%d of A-Z 0-9 . _ -), each once",
                           UV_TYPE_CODE_MAX);
        return UVS_OK;
    }
    struct uv_probe pr;
    uv_status st = loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
    if (st != UVS_OK)
        return uv_fail(&ctx->err, st, "%s; not signed (fix the driver, or sign a driver built for "
                                      "another processor with --name, --version and --codes)",
                       pr.message);
    if (memcmp(pr.sha256, d->sha256, 32) != 0)
        return uv_fail(&ctx->err, UVS_IO, "%s changed while it was being signed; not signed",
                       file);
    snprintf(d->driver, sizeof d->driver, "%s", pr.info.name);
    snprintf(d->version, sizeof d->version, "%s", pr.info.version);
    if (o->codes == NULL) {
        for (unsigned i = 0; i < pr.info.n_codes; i++)
            strcpy(d->codes[i], pr.info.codes[i]);
        d->n_codes = pr.info.n_codes;
        return UVS_OK;
    }
    if (drvsig_set_codes(d, o->codes) != 0)
        return uv_fail(&ctx->err, UVS_INPUT,
                       "--codes must be type codes (1-%d of A-Z 0-9 . _ -), each once",
                       UV_TYPE_CODE_MAX);
    for (unsigned i = 0; i < d->n_codes; i++) {
        unsigned j = 0;
        while (j < pr.info.n_codes && strcmp(pr.info.codes[j], d->codes[i]) != 0)
            j++;
        if (j == pr.info.n_codes)
            return uv_fail(&ctx->err, UVS_INPUT, "driver %s does not serve type code %s",
                           pr.info.name, d->codes[i]);
    }
    return UVS_OK;
}

/* SHA-256 and size of the file at path. */
static uv_status hash_file(struct uv_ctx *ctx, const char *path, struct drvsig *d)
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(&ctx->err, errno == ENOENT ? UVS_NOTFOUND : UVS_IO, "driver file %s: %s",
                       path, strerror(errno));
    uv_status st = UVS_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = uv_fail(&ctx->err, UVS_INPUT, "%s is not a regular file", path);
    if (st == UVS_OK)
        st = digest_sha256_fd(fd, d->sha256, &ctx->err);
    d->size = (uint64_t)sb.st_size;
    close(fd);
    return st;
}

uv_status driver_sign(struct uv_ctx *ctx, const char *path, const struct driver_sign_opts *o,
                      FILE *out)
{
    struct drvsig d;
    char sig_path[4200], text[DRVSIG_MAX + 1], body[DRVSIG_MAX + 1], codes[UV_TYPE_CODES_MAX * 16];
    uint8_t msg[sizeof DRVSIG_DOMAIN + DRVSIG_MAX], pub[32];
    size_t ml;
    if (clerk_require_supervisor(ctx, "sign drivers") != UVS_OK)
        return ctx->err.status;
    const char *file = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    if (snprintf(sig_path, sizeof sig_path, "%s", o->out ? o->out : path) >= (int)sizeof sig_path ||
        (o->out == NULL && strlen(sig_path) + 4 >= sizeof sig_path))
        return uv_fail(&ctx->err, UVS_INPUT, "path is too long");
    if (o->out == NULL)
        strcat(sig_path, ".sig");
    memset(&d, 0, sizeof d);
    uv_status st = hash_file(ctx, path, &d);
    if (st == UVS_OK)
        st = approve(ctx, path, file, o, &d);
    if (st == UVS_OK)
        st = hqkey_public(ctx, d.signer);
    if (st != UVS_OK)
        return st;
    d.signed_at = (int64_t)time(NULL);
    size_t bl = drvsig_body(&d, body, sizeof body, &ctx->err);
    if (bl == 0)
        return ctx->err.status;
    drvsig_message(body, bl, msg, &ml);
    if ((st = hqkey_sign(ctx, msg, ml, d.sig, pub)) != UVS_OK)
        return st;
    if (memcmp(pub, d.signer, 32) != 0)
        return uv_fail(&ctx->err, UVS_KEY, "the head office key changed while signing; try again");
    size_t tl = drvsig_format(&d, text, sizeof text, &ctx->err);
    if (tl == 0)
        return ctx->err.status;
    char hex[65], signer[65];
    digest_hex(d.sha256, 32, hex);
    digest_hex(d.signer, 32, signer);
    drvsig_codes_text(&d, codes, sizeof codes);
    DB_TXN *txn;
    if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
        return st;
    st = audit_append(ctx, txn, "driver.sign", file, "%s %s codes %s sha256=%s", d.driver,
                      d.version, codes, hex);
    if (st == UVS_OK)
        st = write_whole(ctx, sig_path, text, tl);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    if ((st = store_commit(&ctx->store, txn, &ctx->err)) != UVS_OK) {
        unlink(sig_path); /* not audited: not signed */
        return st;
    }
    if (out)
        fprintf(out, "signed %s (%s %s, codes %s, sha256 %.16s...) by head office key %.16s...\n"
                     "signature written to %s\n",
                file, d.driver, d.version, codes, hex, signer, sig_path);
    return UVS_OK;
}
