/* typeindex.c — the meter type matching module. */
#include "typeindex.h"

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
#include "drvproxy.h"
#include "drvsign.h"
#include "services.h"
#include "trust.h"

int typeindex_time_limit_ms(void)
{
    const char *v = getenv("UNIVEND_DRIVER_TIME_LIMIT_MS");
    char *end;
    long ms = v ? strtol(v, &end, 10) : 0;
    if (v == NULL || *v == '\0' || *end != '\0' || ms < 100 || ms > 600000)
        return UV_PROBE_TIMEOUT_MS;
    return (int)ms;
}

static uv_status get_entry(struct uv_ctx *ctx, DB_TXN *txn, const char *code,
                           struct rec_typeidx *e, int rmw)
{
    return store_get_rec(&ctx->store, txn, UV_DB_TYPEIDX, code, strlen(code), &rec_typeidx_layout,
                         e, rmw, &ctx->err);
}

static int info_has_code(const struct uv_driver_info *info, const char *code)
{
    for (unsigned i = 0; i < info->n_codes; i++)
        if (strcmp(info->codes[i], code) == 0)
            return 1;
    return 0;
}

_Static_assert(sizeof(((struct rec_typeidx *)0)->signature) == DRVSIG_MAX + 1,
               "the type index keeps a whole driver signature");

/* A refusal to register `file`: st returned with its message, audited
   unless the caller's transaction is in use (the caller refuses and audits;
   a record of our own beside its transaction could wait on its locks). */
static uv_status refuse_register(struct uv_ctx *ctx, DB_TXN *caller_txn, const char *file,
                                 uv_status st)
{
    if (caller_txn == NULL)
        audit_append(ctx, NULL, "driver.refused", file, "%s", ctx->err.message);
    return st;
}

/* The SHA-256 of the regular file at path. */
static uv_status hash_path(struct uv_ctx *ctx, const char *path, const char *file,
                           uint8_t out[32])
{
    struct stat sb;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(&ctx->err, errno == ENOENT ? UVS_NOTFOUND : UVS_IO, "driver file %s: %s",
                       file, strerror(errno));
    uv_status st = UVS_OK;
    if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
        st = uv_fail(&ctx->err, UVS_DRIVER, "%s is not a regular file", file);
    if (st == UVS_OK)
        st = digest_sha256_fd(fd, out, &ctx->err);
    close(fd);
    return st;
}

/* The signature of the driver file at path: *sig_text, or when that is
   NULL FILE.sig read into buf (cap > DRVSIG_MAX + 1). Hashes the file and
   checks the signature against it (driver_signature_check). UVS_REFUSED
   for an unsigned file and every bad signature. */
static uv_status signature_of(struct uv_ctx *ctx, DB_TXN *txn, const char *path,
                              const char *file, const char **sig_text, size_t *sig_len, char *buf,
                              size_t cap, uint8_t sha[32], struct drvsig *d)
{
    char sig_path[4200];
    uv_status st = hash_path(ctx, path, file, sha);
    if (st != UVS_OK)
        return st;
    if (*sig_text == NULL) {
        snprintf(sig_path, sizeof sig_path, "%s.sig", path);
        st = driver_signature_read(ctx, sig_path, buf, cap, sig_len);
        if (st == UVS_NOTFOUND)
            return uv_fail(&ctx->err, UVS_REFUSED,
                           "driver %s is not signed (no %s.sig beside it): a kiosk takes only "
                           "drivers signed by head office ('univend driver sign'); refused",
                           file, file);
        if (st != UVS_OK)
            return st == UVS_INPUT ? UVS_REFUSED : st;
        *sig_text = buf;
    }
    return driver_signature_check(ctx, txn, sha, *sig_text, *sig_len, file, d);
}

/* The codes to register: `codes` (a subset) or every code the signature
   approves; each must be approved by head office and served by the driver. */
static uv_status pick_codes(struct uv_ctx *ctx, DB_TXN *caller_txn, const char *file,
                            const struct drvsig *d, const struct uv_driver_info *info,
                            const char *codes, struct drvsig *pick)
{
    memset(pick, 0, sizeof *pick);
    if (codes == NULL) {
        memcpy(pick->codes, d->codes, sizeof d->codes);
        pick->n_codes = d->n_codes;
    } else if (*codes == '\0') {
        return uv_fail(&ctx->err, UVS_INPUT, "no type code selected");
    } else if (drvsig_set_codes(pick, codes) != 0) {
        return uv_fail(&ctx->err, UVS_INPUT, "--codes must be type codes separated by commas, "
                                             "each once");
    }
    for (unsigned i = 0; i < pick->n_codes; i++)
        if (!info_has_code(info, pick->codes[i]))
            return uv_fail(&ctx->err, UVS_INPUT, "driver %s does not serve type code %s",
                           info->name, pick->codes[i]);
    for (unsigned i = 0; i < pick->n_codes; i++) {
        if (!drvsig_has_code(d, pick->codes[i])) {
            char approved[UV_TYPE_CODES_MAX * 16];
            drvsig_codes_text(d, approved, sizeof approved);
            return refuse_register(
                ctx, caller_txn, file,
                uv_fail(&ctx->err, UVS_REFUSED,
                        "driver %s: head office did not approve it for type code %s (its "
                        "signature approves %s); refused",
                        file, pick->codes[i], approved));
        }
    }
    return UVS_OK;
}

uv_status typeindex_register(struct uv_ctx *ctx, const char *file_arg, const char *codes,
                             FILE *out)
{
    return typeindex_register_signed(ctx, file_arg, codes, NULL, 0, out);
}

uv_status typeindex_register_signed(struct uv_ctx *ctx, const char *file_arg, const char *codes,
                                    const char *sig_text, size_t sig_len, FILE *out)
{
    if (clerk_require_supervisor(ctx, "register drivers") != UVS_OK)
        return ctx->err.status;
    return typeindex_register_txn(ctx, NULL, file_arg, codes, sig_text, sig_len, out);
}

uv_status typeindex_register_txn(struct uv_ctx *ctx, DB_TXN *caller_txn, const char *file_arg,
                                 const char *codes, const char *sig_text, size_t sig_len,
                                 FILE *out)
{
    char path[4096], file[128], sig_buf[DRVSIG_MAX + 2];
    uint8_t sha[32];
    struct uv_probe pr;
    struct drvsig d, pick;
    uv_status st = loader_resolve(ctx->cfg.driver_dir, file_arg, path, sizeof path, file,
                                  sizeof file, &ctx->err);
    if (st != UVS_OK)
        return st;
    /* the signature first: nothing of a driver runs before it is checked */
    st = signature_of(ctx, caller_txn, path, file, &sig_text, &sig_len, sig_buf, sizeof sig_buf,
                      sha, &d);
    if (st == UVS_REFUSED || st == UVS_DRIVER)
        return refuse_register(ctx, caller_txn, file, st);
    if (st != UVS_OK)
        return st;
    st = loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
    if (st != UVS_OK) {
        uv_fail(&ctx->err, st, "%s", pr.message);
        return refuse_register(ctx, caller_txn, file, st);
    }
    if (memcmp(pr.sha256, sha, 32) != 0)
        return refuse_register(ctx, caller_txn, file,
                               uv_fail(&ctx->err, UVS_REFUSED,
                                       "driver %s changed while it was being registered; "
                                       "refused",
                                       file));
    if (strcmp(pr.info.name, d.driver) != 0 || strcmp(pr.info.version, d.version) != 0)
        return refuse_register(ctx, caller_txn, file,
                               uv_fail(&ctx->err, UVS_REFUSED,
                                       "driver %s says it is %s %s but head office signed it "
                                       "as %s %s; refused",
                                       file, pr.info.name, pr.info.version, d.driver,
                                       d.version));
    if ((st = pick_codes(ctx, caller_txn, file, &d, &pr.info, codes, &pick)) != UVS_OK)
        return st;
    char hex[65], signer[65];
    digest_hex(sha, 32, hex);
    digest_hex(d.signer, 32, signer);
    DB_TXN *txn = caller_txn;
    if (txn == NULL && (st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
        return st;
    for (unsigned i = 0; i < pick.n_codes && st == UVS_OK; i++) {
        const char *code = pick.codes[i];
        struct rec_typeidx e;
        st = get_entry(ctx, txn, code, &e, 1);
        if (st == UVS_OK && strcmp(e.file, file) != 0) {
            st = uv_fail(&ctx->err, UVS_EXISTS,
                         "type code %s is already served by driver %s (%s); remove it first",
                         code, e.driver, e.file);
            break;
        }
        if (st != UVS_OK && st != UVS_NOTFOUND)
            break;
        memset(&e, 0, sizeof e);
        snprintf(e.code, sizeof e.code, "%s", code);
        snprintf(e.file, sizeof e.file, "%s", file);
        snprintf(e.driver, sizeof e.driver, "%s", pr.info.name);
        snprintf(e.version, sizeof e.version, "%s", pr.info.version);
        snprintf(e.vendor, sizeof e.vendor, "%s", pr.info.vendor);
        memcpy(e.sha256, sha, 32);
        e.media = pr.info.media;
        loader_atr_text(pr.info.atr, pr.info.n_atr, e.atr, sizeof e.atr);
        e.registered_at = clock_now(ctx);
        snprintf(e.registered_by, sizeof e.registered_by, "%s", ctx->actor);
        memcpy(e.signature, sig_text, sig_len);
        e.signature[sig_len] = '\0';
        st = store_put_rec(&ctx->store, txn, UV_DB_TYPEIDX, code, strlen(code),
                           &rec_typeidx_layout, &e, 0, &ctx->err);
        if (st == UVS_OK)
            st = audit_append(ctx, txn, "driver.register", code,
                              "%s %s %s sha256=%s signer=%.16s", file, pr.info.name,
                              pr.info.version, hex, signer);
        if (st == UVS_OK && out)
            fprintf(out, "registered %-15s -> %s (%s %s, signed by head office)\n", code, file,
                    pr.info.name, pr.info.version);
    }
    if (caller_txn)
        return st; /* the caller commits or aborts */
    if (st != UVS_OK) {
        store_abort(txn);
        if (st == UVS_EXISTS)
            audit_append(ctx, NULL, "driver.refused", file, "%s", ctx->err.message);
        return st;
    }
    return store_commit(&ctx->store, txn, &ctx->err);
}

struct meter_use {
    const char *code;
    uint64_t n;
};

static int count_meters(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct meter_use *mu = arg;
    struct rec_meter m;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_meter_layout, v, vl, &m) == 0 && strcmp(m.type_code, mu->code) == 0)
        mu->n++;
    return 0;
}

uv_status typeindex_remove(struct uv_ctx *ctx, const char *code, FILE *out)
{
    if (clerk_require_supervisor(ctx, "remove drivers") != UVS_OK)
        return ctx->err.status;
    DB_TXN *txn;
    struct rec_typeidx e;
    struct meter_use mu = {code, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_METERS, NULL, 0, 0, count_meters, &mu,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    if (mu.n)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "type code %s is used by %llu meter(s); they could no longer be sold to",
                       code, (unsigned long long)mu.n);
    if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
        return st;
    st = get_entry(ctx, txn, code, &e, 1);
    if (st == UVS_NOTFOUND)
        st = uv_fail(&ctx->err, UVS_NOTFOUND, "type code %s is not registered", code);
    if (st == UVS_OK)
        st = store_del(&ctx->store, txn, UV_DB_TYPEIDX, code, strlen(code), &ctx->err);
    if (st == UVS_OK)
        st = audit_append(ctx, txn, "driver.remove", code, "%s %s", e.file, e.driver);
    if (st != UVS_OK) {
        store_abort(txn);
        return st;
    }
    st = store_commit(&ctx->store, txn, &ctx->err);
    if (st == UVS_OK && out)
        fprintf(out, "removed %s (was %s)\n", code, e.file);
    return st;
}

static int list_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    FILE *out = arg;
    struct rec_typeidx e;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_typeidx_layout, v, vl, &e) != 0) {
        fprintf(out, "(damaged type index entry)\n");
        return 0;
    }
    char hex[65], when[32];
    time_t t = (time_t)e.registered_at;
    struct tm tm;
    digest_hex(e.sha256, 32, hex);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M", gmtime_r(&t, &tm));
    fprintf(out, "%-15s %-22s %-10s %-8s %.16s… %s by %s%s\n", e.code, e.file, e.driver,
            e.version, hex, when, e.registered_by,
            e.signature[0] ? "" : "  UNSIGNED: not loaded until registered again, signed");
    if (e.atr[0])
        fprintf(out, "%-15s card ATR %s\n", "", e.atr);
    return 0;
}

uv_status typeindex_list(struct uv_ctx *ctx, FILE *out)
{
    fprintf(out, "%-15s %-22s %-10s %-8s %-17s %s\n", "TYPE CODE", "FILE", "DRIVER", "VERSION",
            "SHA-256", "REGISTERED");
    return store_iterate(&ctx->store, NULL, UV_DB_TYPEIDX, NULL, 0, 0, list_one, out, &ctx->err);
}

/* Hash the registered file and compare. */
static uv_status check_hash(struct uv_ctx *ctx, const struct rec_typeidx *e, char *path,
                            size_t cap)
{
    uint8_t h[32];
    if (snprintf(path, cap, "%s/%s", ctx->cfg.driver_dir, e->file) >= (int)cap)
        return uv_fail(&ctx->err, UVS_INPUT, "driver path too long");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return uv_fail(&ctx->err, UVS_REFUSED, "driver file %s for type %s is missing: %s",
                       e->file, e->code, strerror(errno));
    uv_status st = digest_sha256_fd(fd, h, &ctx->err);
    close(fd);
    if (st != UVS_OK)
        return st;
    if (memcmp(h, e->sha256, 32) != 0)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver file %s for type %s has changed since it was registered "
                       "(SHA-256 differs): refused as tampered",
                       e->file, e->code);
    return UVS_OK;
}

/* Everything a registered entry must still be before its driver runs:
   signed, by a head office key still trusted, for this type code, and the
   file the very one registered. A refusal names the file and the reason. */
static uv_status check_entry(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_typeidx *e,
                             char *path, size_t cap)
{
    struct drvsig d;
    if (e->signature[0] == '\0')
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver %s for type %s was registered before drivers were signed: it is "
                       "not loaded until head office signs it and it is registered again "
                       "('univend driver register %s')",
                       e->file, e->code, e->file);
    uv_status st = driver_signature_check(ctx, txn, e->sha256, e->signature,
                                          strlen(e->signature), e->file, &d);
    if (st != UVS_OK)
        return st;
    if (!drvsig_has_code(&d, e->code))
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "driver %s: its signature does not approve type code %s; refused",
                       e->file, e->code);
    return check_hash(ctx, e, path, cap);
}

/* For a driver this process loaded already (its signature verified then):
   is its signer still trusted? A key revoked since stops it at once. */
static uv_status check_signer(struct uv_ctx *ctx, DB_TXN *txn, const struct rec_typeidx *e)
{
    struct drvsig d;
    char why[sizeof ctx->err.message];
    if (drvsig_parse(e->signature, strlen(e->signature), &d, &ctx->err) != UVS_OK)
        return uv_fail(&ctx->err, UVS_REFUSED, "driver %s: its signature is damaged; refused",
                       e->file);
    uv_status st = trust_check(ctx, txn, d.signer, NULL);
    if (st == UVS_REFUSED) {
        snprintf(why, sizeof why, "%s", ctx->err.message);
        return uv_fail(&ctx->err, UVS_REFUSED, "driver %s refused: %s", e->file, why);
    }
    return st;
}

struct verify_arg {
    struct uv_ctx *ctx;
    FILE *out;
    const char *only;
    unsigned bad, n;
};

static int verify_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct verify_arg *va = arg;
    struct uv_ctx *ctx = va->ctx;
    struct rec_typeidx e;
    char path[4096];
    (void)k;
    (void)kl;
    if (rec_decode(&rec_typeidx_layout, v, vl, &e) != 0) {
        fprintf(va->out, "DAMAGED  type index entry\n");
        va->bad++;
        return 0;
    }
    if (va->only && strcmp(va->only, e.code) != 0)
        return 0;
    va->n++;
    uv_status st = check_entry(ctx, NULL, &e, path, sizeof path);
    const char *why = ctx->err.message;
    struct uv_probe pr;
    if (st == UVS_OK) {
        st = loader_probe(path, e.file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
        why = pr.message;
        if (st == UVS_OK && memcmp(pr.sha256, e.sha256, 32) != 0) {
            st = UVS_REFUSED;
            why = "the file changed while it was being checked";
        } else if (st == UVS_OK && !info_has_code(&pr.info, e.code)) {
            st = UVS_REFUSED;
            why = "the driver no longer claims this type code";
        }
    }
    if (st == UVS_OK) {
        fprintf(va->out, "OK       %-15s %s (%s %s)\n", e.code, e.file, pr.info.name,
                pr.info.version);
    } else {
        fprintf(va->out, "REFUSED  %-15s %s: %s\n", e.code, e.file, why);
        va->bad++;
    }
    return 0;
}

uv_status typeindex_verify(struct uv_ctx *ctx, const char *code, FILE *out)
{
    struct verify_arg va = {ctx, out, code, 0, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_TYPEIDX, NULL, 0, 0, verify_one, &va,
                                 &ctx->err);
    if (st != UVS_OK)
        return st;
    if (code && va.n == 0)
        return uv_fail(&ctx->err, UVS_NOTFOUND, "type code %s is not registered", code);
    if (va.bad)
        return uv_fail(&ctx->err, UVS_REFUSED, "%u of %u driver entries failed verification",
                       va.bad, va.n);
    return UVS_OK;
}

static int so_name(const char *n)
{
    size_t l = strlen(n);
    return l > 3 && strcmp(n + l - 3, ".so") == 0 && n[0] != '.';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

uv_status typeindex_scan(struct uv_ctx *ctx, FILE *out)
{
    DIR *d = opendir(ctx->cfg.driver_dir);
    if (d == NULL)
        return uv_fail(&ctx->err, UVS_IO, "driver directory %s: %s", ctx->cfg.driver_dir,
                       strerror(errno));
    char *names[256];
    size_t n = 0;
    struct dirent *de;
    while ((de = readdir(d)) != NULL && n < 256)
        if (so_name(de->d_name))
            names[n++] = strdup(de->d_name);
    closedir(d);
    qsort(names, n, sizeof names[0], cmp_str);
    struct uv_probe *pr = calloc(n ? n : 1, sizeof *pr);
    unsigned bad = 0;
    for (size_t i = 0; pr && i < n; i++) {
        char path[8192], file[128];
        snprintf(path, sizeof path, "%s/%s", ctx->cfg.driver_dir, names[i]);
        if (snprintf(file, sizeof file, "%s", names[i]) >= (int)sizeof file) {
            pr[i].status = UVS_INPUT;
            snprintf(pr[i].message, sizeof pr[i].message, "file name is too long");
        } else {
            /* an unsigned file is reported, never run */
            const char *text = NULL;
            char buf[DRVSIG_MAX + 2];
            size_t len = 0;
            uint8_t sha[32];
            struct drvsig sig;
            struct uv_error saved = ctx->err;
            pr[i].status =
                signature_of(ctx, NULL, path, file, &text, &len, buf, sizeof buf, sha, &sig);
            if (pr[i].status != UVS_OK) {
                snprintf(pr[i].message, sizeof pr[i].message, "%s", ctx->err.message);
            } else if (loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(),
                                    &pr[i]) == UVS_OK &&
                       memcmp(pr[i].sha256, sha, 32) != 0) {
                pr[i].status = UVS_REFUSED;
                snprintf(pr[i].message, sizeof pr[i].message,
                         "%s changed while it was being scanned", file);
            }
            ctx->err = saved;
        }
    }
    /* a code claimed by two good files: the one the type index registered
       keeps it, else the first by name; the other is refused */
    for (size_t i = 0; pr && i < n; i++) {
        for (size_t j = 0; pr[i].status == UVS_OK && j < n; j++) {
            if (j == i || pr[j].status != UVS_OK)
                continue;
            for (unsigned c = 0; c < pr[i].info.n_codes; c++) {
                const char *code = pr[i].info.codes[c];
                if (!info_has_code(&pr[j].info, code))
                    continue;
                struct rec_typeidx e;
                struct uv_error saved = ctx->err;
                int reg_i = 0, reg_j = 0;
                if (get_entry(ctx, NULL, code, &e, 0) == UVS_OK) {
                    reg_i = strcmp(e.file, names[i]) == 0;
                    reg_j = strcmp(e.file, names[j]) == 0;
                }
                ctx->err = saved;
                if (reg_i || (!reg_j && i < j))
                    continue; /* i keeps the code; j is refused in its turn */
                pr[i].status = UVS_EXISTS;
                snprintf(pr[i].message, sizeof pr[i].message,
                         "%s: type code %s is also claimed by %s; refused as duplicate",
                         names[i], code, names[j]);
                break;
            }
        }
    }
    for (size_t i = 0; pr && i < n; i++) {
        if (pr[i].status == UVS_OK) {
            char media[80], codes[UV_TYPE_CODES_MAX * 17] = "";
            for (unsigned c = 0; c < pr[i].info.n_codes; c++) {
                strcat(codes, c ? "," : "");
                strcat(codes, pr[i].info.codes[c]);
            }
            fprintf(out, "LOADED   %-22s %s %s [%s] codes %s\n", names[i], pr[i].info.name,
                    pr[i].info.version, loader_media_text(pr[i].info.media, media, sizeof media),
                    codes);
        } else {
            fprintf(out, "REFUSED  %-22s %s\n", names[i], pr[i].message);
            bad++;
        }
    }
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(pr);
    if (bad)
        return uv_fail(&ctx->err, UVS_REFUSED, "%u driver file(s) refused", bad);
    return UVS_OK;
}

uv_status typeindex_check_file(struct uv_ctx *ctx, const char *file_arg, FILE *out)
{
    char path[4096], file[128], media[80], hex[65];
    struct uv_probe pr;
    uv_status st = loader_resolve(ctx->cfg.driver_dir, file_arg, path, sizeof path, file,
                                  sizeof file, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
    if (st != UVS_OK)
        return uv_fail(&ctx->err, st, "%s", pr.message);
    digest_hex(pr.sha256, 32, hex);
    fprintf(out, "file:        %s\nsha256:      %s\nname:        %s\nvendor:      %s\n"
                 "version:     %s\ndescription: %s\nabi:         %u.%u\nmedia:       %s\n"
                 "operations:  credit verify%s%s%s\nself test:   passed\ntype codes: ",
            file, hex, pr.info.name, pr.info.vendor, pr.info.version, pr.info.description,
            pr.info.abi_major, pr.info.abi_minor, loader_media_text(pr.info.media, media, sizeof media),
            pr.info.has_decode ? " decode" : "", pr.info.has_mgmt ? " management" : "",
            pr.info.has_read_medium ? " read-medium" : "");
    for (unsigned i = 0; i < pr.info.n_codes; i++)
        fprintf(out, " %s", pr.info.codes[i]);
    if (pr.info.n_atr) {
        char atr[UV_ATR_TEXT_MAX];
        loader_atr_text(pr.info.atr, pr.info.n_atr, atr, sizeof atr);
        fprintf(out, "\ncard ATRs:   %s", atr);
    }
    /* what registering it here would say of its signature */
    const char *text = NULL;
    char buf[DRVSIG_MAX + 2];
    size_t len = 0;
    uint8_t sha[32];
    struct drvsig sig;
    struct uv_error saved = ctx->err;
    if (signature_of(ctx, NULL, path, file, &text, &len, buf, sizeof buf, sha, &sig) == UVS_OK) {
        char signer[65], codes[UV_TYPE_CODES_MAX * 16];
        digest_hex(sig.signer, 32, signer);
        drvsig_codes_text(&sig, codes, sizeof codes);
        fprintf(out, "\nsignature:   valid, by trusted head office key %.16s... for %s %s, codes %s",
                signer, sig.driver, sig.version, codes);
    } else {
        fprintf(out, "\nsignature:   %s", ctx->err.message);
    }
    ctx->err = saved;
    fprintf(out, "\nconformance:\n");
    unsigned failures = 0;
    st = loader_conformance(path, file, typeindex_time_limit_ms(), out, &failures);
    if (st != UVS_OK)
        return uv_fail(&ctx->err, UVS_DRIVER, "%u conformance check(s) failed", failures);
    return UVS_OK;
}

uv_status typeindex_match(struct uv_ctx *ctx, const char *code, struct uv_loaded **drv,
                          struct rec_typeidx *entry)
{
    return typeindex_match_txn(ctx, NULL, code, drv, entry);
}

uv_status typeindex_match_txn(struct uv_ctx *ctx, DB_TXN *txn, const char *code,
                              struct uv_loaded **drv, struct rec_typeidx *entry)
{
    char path[4096];
    uv_status st = get_entry(ctx, txn, code, entry, 0);
    if (st == UVS_NOTFOUND)
        return uv_fail(&ctx->err, UVS_REFUSED,
                       "no driver is registered for meter type %s; the sale is refused", code);
    if (st != UVS_OK)
        return st;
    for (size_t i = 0; i < ctx->n_loaded; i++) {
        struct uv_loaded *l = &ctx->loaded[i];
        if (strcmp(l->file, entry->file) == 0 && memcmp(l->sha256, entry->sha256, 32) == 0 &&
            info_has_code(&l->info, code)) {
            /* inside txn: the file being applied may have changed the trust list */
            if ((st = check_signer(ctx, txn, entry)) != UVS_OK) {
                if (txn == NULL) /* inside a transaction its owner reports it */
                    audit_append(ctx, NULL, "driver.refused", code, "%s", ctx->err.message);
                return st;
            }
            *drv = l;
            return UVS_OK;
        }
    }
    if (ctx->n_loaded >= UV_MAX_LOADED)
        return uv_fail(&ctx->err, UVS_DRIVER, "too many drivers loaded");
    st = check_entry(ctx, txn, entry, path, sizeof path);
    struct uv_loaded *l = &ctx->loaded[ctx->n_loaded];
    /* the driver runs in its own host process; univend holds a proxy */
    if (st == UVS_OK)
        st = drvproxy_start(ctx, path, entry->file, entry->sha256, l);
    if (st == UVS_OK && !info_has_code(&l->info, code)) {
        loader_unload(l);
        st = uv_fail(&ctx->err, UVS_REFUSED, "driver %s no longer claims type code %s",
                     entry->file, code);
    }
    if (st != UVS_OK) {
        if (txn == NULL) /* inside a transaction its owner reports the failure */
            audit_append(ctx, NULL, "driver.refused", code, "%s", ctx->err.message);
        return st;
    }
    ctx->n_loaded++;
    *drv = l;
    return UVS_OK;
}

struct status_arg {
    struct uv_ctx *ctx;
    struct uv_driver_status *out;
    size_t cap, n;
    struct uv_probe *probes; /* one probe per distinct file */
    char (*files)[128];
    size_t nfiles;
};

static int status_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct status_arg *sa = arg;
    struct rec_typeidx e;
    char path[4096];
    (void)k;
    (void)kl;
    if (sa->n >= sa->cap)
        return STORE_STOP;
    struct uv_driver_status *ds = &sa->out[sa->n++];
    memset(ds, 0, sizeof *ds);
    if (rec_decode(&rec_typeidx_layout, v, vl, &e) != 0) {
        snprintf(ds->reason, sizeof ds->reason, "damaged type index entry");
        return 0;
    }
    snprintf(ds->code, sizeof ds->code, "%s", e.code);
    snprintf(ds->file, sizeof ds->file, "%s", e.file);
    snprintf(ds->driver, sizeof ds->driver, "%s", e.driver);
    snprintf(ds->version, sizeof ds->version, "%s", e.version);
    struct uv_error saved = sa->ctx->err;
    if (check_entry(sa->ctx, NULL, &e, path, sizeof path) != UVS_OK) {
        snprintf(ds->reason, sizeof ds->reason, "%s", sa->ctx->err.message);
        sa->ctx->err = saved;
        return 0;
    }
    sa->ctx->err = saved;
    /* probe each file once, however many codes it serves */
    size_t i;
    for (i = 0; i < sa->nfiles && strcmp(sa->files[i], e.file) != 0; i++)
        ;
    if (i == sa->nfiles) {
        snprintf(sa->files[i], sizeof sa->files[i], "%s", e.file);
        loader_probe(path, e.file, &sa->ctx->svc, sa->ctx, typeindex_time_limit_ms(), &sa->probes[i]);
        sa->nfiles++;
    }
    if (sa->probes[i].status != UVS_OK)
        snprintf(ds->reason, sizeof ds->reason, "%s", sa->probes[i].message);
    else if (memcmp(sa->probes[i].sha256, e.sha256, 32) != 0)
        snprintf(ds->reason, sizeof ds->reason, "driver file %s changed while it was checked",
                 e.file);
    else if (!info_has_code(&sa->probes[i].info, e.code))
        snprintf(ds->reason, sizeof ds->reason, "the driver no longer claims this type code");
    else
        ds->ok = 1;
    return 0;
}

uv_status typeindex_status(struct uv_ctx *ctx, struct uv_driver_status *out, size_t cap,
                           size_t *n)
{
    struct status_arg sa = {ctx, out, cap, 0, calloc(cap ? cap : 1, sizeof(struct uv_probe)),
                            calloc(cap ? cap : 1, 128), 0};
    uv_status st = UVS_NOMEM;
    if (sa.probes && sa.files)
        st = store_iterate(&ctx->store, NULL, UV_DB_TYPEIDX, NULL, 0, 0, status_one, &sa,
                           &ctx->err);
    else
        uv_fail(&ctx->err, UVS_NOMEM, "out of memory");
    free(sa.probes);
    free(sa.files);
    *n = sa.n;
    return st;
}

struct atr_arg {
    const uint8_t *atr;
    size_t len;
    struct uv_card_candidate *out;
    size_t cap, n;
};

static int atr_one(const void *k, size_t kl, const void *v, size_t vl, void *arg)
{
    struct atr_arg *a = arg;
    struct rec_typeidx e;
    struct uv_atr_info p[UV_ATR_PATTERNS_MAX];
    unsigned np = 0, best = 0;
    int hit = 0;
    (void)k;
    (void)kl;
    if (rec_decode(&rec_typeidx_layout, v, vl, &e) != 0 || e.atr[0] == '\0' ||
        loader_atr_parse(e.atr, p, UV_ATR_PATTERNS_MAX, &np) != 0)
        return 0; /* a damaged entry shows in driver verify; it matches no card */
    for (unsigned i = 0; i < np; i++)
        if (loader_atr_match(&p[i], a->atr, a->len)) {
            unsigned sp = loader_atr_specificity(&p[i]);
            best = !hit || sp > best ? sp : best;
            hit = 1;
        }
    if (!hit)
        return 0;
    for (size_t i = 0; i < a->n; i++) /* one candidate per driver file */
        if (strcmp(a->out[i].entry.file, e.file) == 0)
            return 0;
    if (a->n < a->cap) {
        a->out[a->n].entry = e;
        a->out[a->n].specificity = best;
        a->n++;
    }
    return 0;
}

static int by_specificity(const void *x, const void *y)
{
    const struct uv_card_candidate *a = x, *b = y;
    if (a->specificity != b->specificity)
        return a->specificity > b->specificity ? -1 : 1;
    return strcmp(a->entry.file, b->entry.file);
}

uv_status typeindex_atr_candidates(struct uv_ctx *ctx, const uint8_t *atr, size_t len,
                                   struct uv_card_candidate *out, size_t cap, size_t *n)
{
    struct atr_arg a = {atr, len, out, cap, 0};
    uv_status st = store_iterate(&ctx->store, NULL, UV_DB_TYPEIDX, NULL, 0, 0, atr_one, &a,
                                 &ctx->err);
    *n = a.n;
    if (st == UVS_OK && a.n > 1)
        qsort(out, a.n, sizeof *out, by_specificity);
    return st;
}
