/* typeindex.c — the meter type matching module. */
#include "typeindex.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "audit.h"
#include "clerks.h"
#include "digest.h"
#include "services.h"

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

static int code_selected(const char *codes, const char *code)
{
    if (codes == NULL)
        return 1;
    size_t n = strlen(code);
    for (const char *p = codes; *p;) {
        const char *q = strchr(p, ',');
        size_t l = q ? (size_t)(q - p) : strlen(p);
        if (l == n && strncmp(p, code, n) == 0)
            return 1;
        p = q ? q + 1 : p + l;
    }
    return 0;
}

static int info_has_code(const struct uv_driver_info *info, const char *code)
{
    for (unsigned i = 0; i < info->n_codes; i++)
        if (strcmp(info->codes[i], code) == 0)
            return 1;
    return 0;
}

uv_status typeindex_register(struct uv_ctx *ctx, const char *file_arg, const char *codes,
                             FILE *out)
{
    if (clerk_require_supervisor(ctx, "register drivers") != UVS_OK)
        return ctx->err.status;
    char path[4096], file[128];
    struct uv_probe pr;
    uv_status st = loader_resolve(ctx->cfg.driver_dir, file_arg, path, sizeof path, file,
                                  sizeof file, &ctx->err);
    if (st != UVS_OK)
        return st;
    st = loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
    if (st != UVS_OK) {
        uv_fail(&ctx->err, st, "%s", pr.message);
        audit_append(ctx, NULL, "driver.refused", file, "%s", pr.message);
        return st;
    }
    if (codes) { /* every requested code must be one the driver claims */
        char tmp[256];
        snprintf(tmp, sizeof tmp, "%s", codes);
        for (char *sv, *c = strtok_r(tmp, ",", &sv); c; c = strtok_r(NULL, ",", &sv))
            if (!info_has_code(&pr.info, c))
                return uv_fail(&ctx->err, UVS_INPUT, "driver %s does not serve type code %s",
                               pr.info.name, c);
    }
    DB_TXN *txn;
    if ((st = store_begin(&ctx->store, &txn, &ctx->err)) != UVS_OK)
        return st;
    unsigned n = 0;
    for (unsigned i = 0; i < pr.info.n_codes && st == UVS_OK; i++) {
        const char *code = pr.info.codes[i];
        struct rec_typeidx e;
        if (!code_selected(codes, code))
            continue;
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
        memcpy(e.sha256, pr.sha256, 32);
        e.registered_at = (int64_t)time(NULL);
        snprintf(e.registered_by, sizeof e.registered_by, "%s", ctx->actor);
        st = store_put_rec(&ctx->store, txn, UV_DB_TYPEIDX, code, strlen(code),
                           &rec_typeidx_layout, &e, 0, &ctx->err);
        if (st == UVS_OK) {
            char hex[65];
            digest_hex(pr.sha256, 32, hex);
            st = audit_append(ctx, txn, "driver.register", code, "%s %s %s sha256=%s", file,
                              pr.info.name, pr.info.version, hex);
        }
        if (st == UVS_OK && out)
            fprintf(out, "registered %-15s -> %s (%s %s)\n", code, file, pr.info.name,
                    pr.info.version);
        n++;
    }
    if (st == UVS_OK && n == 0)
        st = uv_fail(&ctx->err, UVS_INPUT, "no type code selected");
    if (st != UVS_OK) {
        store_abort(txn);
        if (st == UVS_EXISTS)
            audit_append(ctx, NULL, "driver.refused", file, "%s", ctx->err.message);
        return st;
    }
    return store_commit(txn, &ctx->err);
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
    st = store_commit(txn, &ctx->err);
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
    fprintf(out, "%-15s %-22s %-10s %-8s %.16s… %s by %s\n", e.code, e.file, e.driver, e.version,
            hex, when, e.registered_by);
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
    uv_status st = check_hash(ctx, &e, path, sizeof path);
    const char *why = ctx->err.message;
    struct uv_probe pr;
    if (st == UVS_OK) {
        st = loader_probe(path, e.file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr);
        why = pr.message;
        if (st == UVS_OK && !info_has_code(&pr.info, e.code)) {
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
            loader_probe(path, file, &ctx->svc, ctx, typeindex_time_limit_ms(), &pr[i]);
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
    fprintf(out, "\nconformance:\n");
    unsigned failures = 0;
    st = loader_conformance(path, file, typeindex_time_limit_ms(), out, &failures);
    if (st != UVS_OK)
        return uv_fail(&ctx->err, UVS_DRIVER, "%u conformance check(s) failed", failures);
    return UVS_OK;
}

/* Open the driver's context, handing it its driver.<name>.* options. */
static uv_status open_driver(struct uv_ctx *ctx, struct uv_loaded *l)
{
    struct uv_param cfg[UV_DRIVER_CONFIG_MAX];
    size_t n = 0;
    for (size_t i = 0; i < ctx->cfg.n_driver_opts; i++) {
        if (strcmp(ctx->cfg.driver_opts[i].driver, l->info.name) == 0) {
            cfg[n].name = ctx->cfg.driver_opts[i].name;
            cfg[n].value = ctx->cfg.driver_opts[i].value;
            n++;
        }
    }
    int rc = l->desc->open(&ctx->svc, ctx, cfg, n, &l->dctx);
    if (rc != UV_OK) {
        l->dctx = NULL;
        return uv_fail(&ctx->err, UVS_DRIVER, "driver %s would not open: %s", l->info.name,
                       l->desc->strerror(rc));
    }
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
            *drv = l;
            return UVS_OK;
        }
    }
    if (ctx->n_loaded >= UV_MAX_LOADED)
        return uv_fail(&ctx->err, UVS_DRIVER, "too many drivers loaded");
    st = check_hash(ctx, entry, path, sizeof path);
    struct uv_loaded *l = &ctx->loaded[ctx->n_loaded];
    if (st == UVS_OK)
        st = loader_load(path, entry->file, l, &ctx->err);
    if (st == UVS_OK && memcmp(l->sha256, entry->sha256, 32) != 0) {
        loader_unload(l);
        st = uv_fail(&ctx->err, UVS_REFUSED, "driver file %s changed while loading; refused",
                     entry->file);
    }
    if (st == UVS_OK && !info_has_code(&l->info, code)) {
        loader_unload(l);
        st = uv_fail(&ctx->err, UVS_REFUSED, "driver %s no longer claims type code %s",
                     entry->file, code);
    }
    if (st == UVS_OK && (st = open_driver(ctx, l)) != UVS_OK)
        loader_unload(l);
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
    if (check_hash(sa->ctx, &e, path, sizeof path) != UVS_OK) {
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
