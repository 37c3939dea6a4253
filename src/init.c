/* init.c — a new kiosk. */
#include "init.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "audit.h"
#include "services.h"

uv_status kiosk_init(struct uv_ctx *ctx, const struct kiosk_init_opts *o)
{
    char conf[8192], dbdir[8192], pass[256], text[256];
    struct uv_config *c = &ctx->cfg;
    snprintf(conf, sizeof conf, "%s/univend.conf", ctx->home);
    snprintf(dbdir, sizeof dbdir, "%s/db", ctx->home);
    if (access(conf, F_OK) == 0)
        return uv_fail(&ctx->err, UVS_EXISTS, "%s already holds a kiosk", ctx->home);
    if (mkdir(ctx->home, 0700) != 0 && errno != EEXIST)
        return uv_fail(&ctx->err, UVS_IO, "cannot create %s: %s", ctx->home, strerror(errno));

    /* build the configuration text and parse it back: one validation path */
    int n = snprintf(text, sizeof text,
                     "kiosk_id = %s\ncurrency = %s\ncurrency_decimals = %u\ncredit_required = %s\n",
                     o->kiosk_id ? o->kiosk_id : c->kiosk_id,
                     o->currency ? o->currency : c->currency, o->decimals,
                     o->credit_required ? o->credit_required : "yes");
    if (n < 0 || (size_t)n >= sizeof text)
        return uv_fail(&ctx->err, UVS_INPUT, "kiosk id or currency is too long");
    uv_status st = config_parse(c, text, strlen(text), &ctx->err);
    if (st != UVS_OK)
        return st;
    if (o->pin_kdf_iterations)
        c->pin_kdf_iterations = o->pin_kdf_iterations;
    if (o->passphrase_file &&
        snprintf(c->passphrase_file, sizeof c->passphrase_file, "%s", o->passphrase_file) >=
            (int)sizeof c->passphrase_file)
        return uv_fail(&ctx->err, UVS_INPUT, "passphrase file path is too long");
    st = services_read_passphrase(ctx, "New key store passphrase: ", pass, sizeof pass);
    if (st != UVS_OK)
        return st;
    st = store_open(&ctx->store, dbdir, 1, &ctx->err);
    if (st != UVS_OK) {
        explicit_bzero(pass, sizeof pass);
        return st;
    }
    ctx->store_open = 1;
    DB_TXN *txn;
    st = store_begin(&ctx->store, &txn, &ctx->err);
    if (st == UVS_OK) {
        st = keystore_create(&ctx->keys, &ctx->store, txn, pass, o->kdf_iterations, &ctx->err);
        if (st == UVS_OK)
            st = audit_append(ctx, txn, "kiosk.init", c->kiosk_id, "currency %s/%u kdf %u",
                              c->currency, c->currency_decimals, o->kdf_iterations);
        if (st == UVS_OK)
            st = store_commit(&ctx->store, txn, &ctx->err);
        else
            store_abort(txn);
    }
    explicit_bzero(pass, sizeof pass);
    /* the configuration file comes last: its presence means a whole kiosk */
    if (st == UVS_OK)
        st = config_write(c, conf, &ctx->err);
    return st;
}
